"""Every Win32 / HRESULT / NTSTATUS symbolic name in errors.json has the value the Windows SDK headers give it.

The headers come from Debian's mingw-w64-common (/usr/share/mingw-w64/include); .ci/run installs it. Names the
mingw-w64 headers don't carry (device registration, TPM, WAM/ADAL and ConfigMgr codes) are listed below with the
document their value comes from, so the list can't grow silently.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pytest

from wizard.core.explain import hresult_from_win32

INCLUDE = Path("/usr/share/mingw-w64/include")
HEADERS = ("winerror.h", "winhttp.h", "bitsmsg.h", "ntstatus.h", "urlmon.h", "wbemcli.h")

pytestmark = pytest.mark.skipif(
    not (INCLUDE / "winerror.h").is_file(),
    reason=f"Windows SDK headers not found in {INCLUDE}: install Debian's mingw-w64-common "
           "(apt-get install -y mingw-w64-common; .ci/run does) to cross-check the error table",
)

# Not in mingw-w64's headers; the value is the one Microsoft's documentation prints next to the name.
NOT_IN_MINGW = {
    **{name: "Troubleshoot Microsoft Entra hybrid joined devices" for name in (
        "DSREG_AUTOJOIN_ADCONFIG_READ_FAILED", "DSREG_AUTOJOIN_DISC_FAILED", "DSREG_AUTOJOIN_DISC_WAIT_TIMEOUT",
        "DSREG_AUTOJOIN_USERREALM_DISCOVERY_FAILED", "DSREG_E_DIRECTORY_FAILURE", "DSREG_E_DEVICE_AUTHENTICATION_ERROR",
        "DSREG_E_DEVICE_INTERNALSERVICE_ERROR", "DSREG_DISCOVERY_TENANT_NOT_FOUND", "DSREG_SERVER_BUSY",
        "TPM_E_PCP_INTERNAL_ERROR", "TPM_E_NOTFIPS",
        "ERROR_ADAL_PROTOCOL_NOT_SUPPORTED", "ERROR_ADAL_FAILED_TO_PARSE_XML",
        "ERROR_ADAL_COULDNOT_DISCOVER_USERNAME_PASSWORD_ENDPOINT", "ERROR_ADAL_INTERNET_TIMEOUT",
        "ERROR_ADAL_INTERNET_CONNECTION_ABORTED", "ERROR_ADAL_INTERNET_SECURE_FAILURE",
        "ERROR_ADAL_INTERNET_CANNOT_CONNECT", "ERROR_ADAL_SERVER_ERROR_INVALID_GRANT",
        "ERROR_ADAL_WSTRUST_REQUEST_SECURITYTOKEN_FAILED", "ERROR_ADAL_WSTRUST_TOKEN_REQUEST_FAIL",
        "ERROR_ADAL_OPERATION_PENDING")},
    "CCM_E_BAD_HTTP_STATUS_CODE": "ConfigMgr's own name, seen in real client logs (no public header)",
}

_DEFINE = re.compile(r"^\s*#\s*define\s+([A-Z][A-Z0-9_]+)\s+(.+?)\s*(?:/[/*].*)?$", re.MULTILINE)
_ENUM = re.compile(r"^\s*([A-Z][A-Z0-9_]+)\s*=\s*(0x[0-9A-Fa-f]+|\d+)\s*,?\s*$", re.MULTILINE)
_WRAPPERS = re.compile(r"_HRESULT_TYPEDEF_|_NDIS_ERROR_TYPEDEF_|__MSABI_LONG|\((?:NTSTATUS|HRESULT|DWORD|LONG)\)")


def _value(expression: str, known: dict[str, int]) -> int | None:
    text = _WRAPPERS.sub("", expression).replace("(", " ").replace(")", " ").strip()
    text = re.sub(r"(?<=[0-9A-Fa-f])[uUlL]+\b", "", text)
    parts = [p.strip() for p in text.split("+")]
    total = 0
    for part in parts:
        if re.fullmatch(r"0[xX][0-9A-Fa-f]+|\d+", part):
            total += int(part, 0)
        elif part in known:
            total += known[part]
        else:
            return None
    return total


@pytest.fixture(scope="module")
def sdk() -> dict[str, int]:
    values: dict[str, int] = {}
    for name in HEADERS:
        text = (INCLUDE / name).read_text(encoding="latin-1")
        for symbol, value in _ENUM.findall(text):
            values.setdefault(symbol, int(value, 0))
        for _ in range(2):  # a second pass resolves names defined from other names (WINHTTP_ERROR_BASE + n)
            for symbol, expression in _DEFINE.findall(text):
                value = _value(expression, values)
                if value is not None:
                    values.setdefault(symbol, value)
    return values


def _table() -> dict:
    return json.loads(resources.files("wizard.core").joinpath("data/errors.json").read_text("utf-8"))


def _pairs() -> list[tuple[str, int, str]]:
    """(symbol, value, where) for every name the table gives a value."""
    table = _table()
    pairs = []
    for entry in table["entries"]:
        if entry.get("symbol"):
            code = entry["code"]
            value = int(code, 16) if code.lower().startswith("0x") else int(code)
            pairs.append((entry["symbol"], value, f"entries[{code}]"))
    for number, item in table["win32"].items():
        pairs.append((item["symbol"], int(number), f"win32[{number}]"))
    for number, item in table["facilities"].items():
        if item.get("symbol"):
            pairs.append((item["symbol"], int(number), f"facilities[{number}]"))
    for code, item in table["inet"].items():
        pairs.append((item["symbol"], int(code, 16), f"inet[{code}]"))
    return pairs


def test_header_parser_reads_the_kinds_of_definitions(sdk):
    assert sdk["ERROR_INSTALL_SOURCE_ABSENT"] == 1612
    assert sdk["ERROR_WINHTTP_SECURE_FAILURE"] == 12175  # (WINHTTP_ERROR_BASE + 175)
    assert sdk["BG_E_HTTP_ERROR_404"] == 0x80190194
    assert sdk["STATUS_LOGON_FAILURE"] == 0xC000006D
    assert sdk["CERT_E_UNTRUSTEDROOT"] == 0x800B0109
    assert sdk["WBEM_E_PROVIDER_LOAD_FAILURE"] == 0x80041013  # an enum member
    assert sdk["INET_E_RESOURCE_NOT_FOUND"] == 0x800C0005


def test_every_symbol_has_the_headers_value(sdk):
    wrong = []
    for symbol, value, where in _pairs():
        if symbol not in sdk:
            continue
        expected = sdk[symbol]
        if expected != value and not (expected <= 0xFFFF < value and hresult_from_win32(expected) == value):
            wrong.append(f"{where}: {symbol} is 0x{value:08x} in the table, 0x{expected:08x} in the headers")
    assert wrong == []


def test_names_missing_from_the_headers_are_the_known_ones(sdk):
    missing = {symbol for symbol, _, _ in _pairs() if symbol not in sdk}
    assert missing == set(NOT_IN_MINGW)


def test_win32_numbers_and_hresult_entries_agree():
    """An entry 0x8007xxxx with a Win32 symbol and the win32 text table name the same number."""
    table = _table()
    by_symbol = {item["symbol"]: int(number) for number, item in table["win32"].items()}
    for entry in table["entries"]:
        symbol = entry.get("symbol")
        if symbol in by_symbol and entry["code"].startswith("0x8007"):
            assert hresult_from_win32(by_symbol[symbol]) == int(entry["code"], 16), entry["code"]
