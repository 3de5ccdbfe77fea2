"""Every Win32 constant the Windows layer defines (wizard/host/winapi.py, wincrypt.py) has the value the Windows SDK
headers give the same name. The layer only meets fakes here, which echo whatever number the code holds, so a wrong
value (ERROR_NO_NET_OR_BAD_PATH was once 1222, which is ERROR_NO_NETWORK) is caught only against the headers.

The headers come from Debian's mingw-w64-common (/usr/share/mingw-w64/include); .ci/run installs it. Names the
layer made up itself (TOKEN_USER_CLASS, ...) are not in the headers and are not compared.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wizard.host import winapi, wincrypt

INCLUDE = Path("/usr/share/mingw-w64/include")
HEADERS = ("winerror.h", "wincrypt.h", "wintrust.h", "softpub.h", "winbase.h", "minwinbase.h", "winnt.h",
           "winnetwk.h", "shellapi.h", "winsvc.h", "fileapi.h", "handleapi.h", "sddl.h", "winreg.h", "tlhelp32.h",
           "objbase.h", "combaseapi.h", "processthreadsapi.h", "winuser.h")

pytestmark = pytest.mark.skipif(
    not (INCLUDE / "winerror.h").is_file(),
    reason=f"Windows SDK headers not found in {INCLUDE}: install Debian's mingw-w64-common "
           "(apt-get install -y mingw-w64-common; .ci/run does) to cross-check the Win32 constants",
)

_DEFINE = re.compile(r"^\s*#\s*define\s+([A-Z][A-Z0-9_]+)\s+(.+?)\s*(?:/[/*].*)?$", re.MULTILINE)
_ENUM = re.compile(r"^\s*([A-Z][A-Z0-9_]+)\s*=\s*(0x[0-9A-Fa-f]+|\d+)\s*,?\s*$", re.MULTILINE)
# casts and wrappers that only give a literal its C type
_WRAPPERS = re.compile(r"_HRESULT_TYPEDEF_|__MSABI_LONG|\(\s*(?:HCERTCHAINENGINE|LPCSTR|HANDLE|LONG_PTR|ULONG_PTR|"
                       r"DWORD|LONG|ULONG|HKEY|HRESULT)\s*\)")


def _value(expression: str, known: dict[str, int]) -> int | None:
    text = _WRAPPERS.sub("", expression).replace("(", " ").replace(")", " ").strip()
    text = re.sub(r"(?<=[0-9A-Fa-f])[uUlL]+\b", "", text)
    total = 0
    for operator, part in re.findall(r"(^|[|+]|<<)\s*([^|+<\s]+)", text):
        if re.fullmatch(r"0[xX][0-9A-Fa-f]+|\d+", part):
            number = int(part, 0)
        elif part in known:
            number = known[part]
        else:
            return None
        if operator == "<<":
            total <<= number
        elif operator == "+":
            total += number
        else:
            total |= number
    return total


@pytest.fixture(scope="module")
def sdk() -> dict[str, int]:
    values: dict[str, int] = {}
    texts = [(INCLUDE / name).read_text(encoding="latin-1") for name in HEADERS if (INCLUDE / name).is_file()]
    for text in texts:
        for symbol, value in _ENUM.findall(text):
            values.setdefault(symbol, int(value, 0))
    for _ in range(3):  # later passes resolve names defined from other names
        for text in texts:
            for symbol, expression in _DEFINE.findall(text):
                value = _value(expression, values)
                if value is not None:
                    values.setdefault(symbol, value)
    return values


def _layer_constants() -> list[tuple[str, str, int]]:
    found = []
    for module in (winapi, wincrypt):
        for name, value in vars(module).items():
            if name.isupper() and isinstance(value, int) and not isinstance(value, bool):
                found.append((module.__name__, name, value))
    return found


def test_header_parser_reads_the_kinds_of_definitions(sdk):
    assert sdk["ERROR_NO_NET_OR_BAD_PATH"] == 1203
    assert sdk["CERT_SYSTEM_STORE_LOCAL_MACHINE"] == 0x20000  # (CERT_SYSTEM_STORE_LOCAL_MACHINE_ID << ...)
    assert sdk["CERT_CHAIN_REVOCATION_CHECK_CACHE_ONLY"] == 0x80000000


def test_every_win32_constant_has_the_headers_value(sdk):
    compared = [(module, name, value) for module, name, value in _layer_constants() if name in sdk]
    assert len(compared) >= 40  # the check compares the layer, not a handful of names
    wrong = [f"{module}.{name} = {value:#x}, the headers say {sdk[name]:#x}"
             for module, name, value in compared if value & 0xFFFFFFFF != sdk[name] & 0xFFFFFFFF]
    assert wrong == []
