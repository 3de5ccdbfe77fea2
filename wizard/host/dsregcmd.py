"""Parse `dsregcmd /status` output by key, never by position.

Layout: section banners (`+----+` / `| Device State |`) followed by right-aligned `Key : Value` lines; some
builds and copies write `Key = Value`, and a few keys carry a stray colon (`KeySignTest: : PASSED`,
`AadRecoveryEnabled: NO`). Keys move between sections across Windows builds (older builds print TenantId under
Device State, newer ones under Tenant Details), so every lookup searches all sections; the first occurrence
wins. A placeholder (`-`, `n/a`, nothing) means the key is not present, not that it has that value.
"""

from __future__ import annotations

import datetime
import re

from wizard.host.base import DsregStatus, JoinDiagnostics, PrtDiagnostics

_BANNER_RULE = re.compile(r"^\s*\+-{3,}\+?\s*$")
_BANNER_TITLE = re.compile(r"^\s*\|\s*(?P<title>[^|]*?)\s*\|\s*$")
# "             AzureAdJoined : YES" or "DomainJoined = NO". Key characters exclude ':' and '=', so the first
# separator splits: values keep their own colons and equals signs (URLs, dates, base64 with '==').
_KEY_VALUE = re.compile(r"^\s*(?P<key>[A-Za-z][A-Za-z0-9 ()/_.-]*?)\s*[:=]\s?(?P<value>.*?)\s*$")
_PLACEHOLDERS = {"", "-", "--", "n/a", "na"}
_UTC_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.\d+)?\s*(?:UTC|Z)?")

_NO_SECTION = ""


def parse_dsregcmd(text: str) -> DsregStatus:
    """Read `dsregcmd /status` text. Unknown keys are kept in `sections`; absent keys give None fields."""
    sections: dict[str, dict[str, str]] = {}
    rows: list[tuple[str, str, str]] = []  # (section, key, value) in order, repeats kept (PRT diagnostics)
    current = _NO_SECTION
    for line in text.splitlines():
        if not line.strip() or _BANNER_RULE.match(line):
            continue
        title = _BANNER_TITLE.match(line)
        if title:
            current = title.group("title").strip()
            sections.setdefault(current, {})
            continue
        kv = _KEY_VALUE.match(line)
        if not kv:
            continue
        key, value = kv.group("key").strip(), kv.group("value").strip()
        if value.startswith(":"):  # "KeySignTest: : PASSED"
            value = value[1:].strip()
        if value.lower() in _PLACEHOLDERS:
            continue
        sections.setdefault(current, {}).setdefault(key, value)
        rows.append((current, key, value))

    index: dict[str, str] = {}
    for _section, key, value in rows:
        index.setdefault(_norm(key), value)

    def value(key: str) -> str | None:
        return index.get(_norm(key))

    def flag(key: str) -> bool | None:
        return _flag(value(key))

    found_any = bool(rows)
    validity = value("DeviceCertificateValidity")
    valid_from, valid_to = _validity(validity)
    return DsregStatus(
        azure_ad_joined=flag("AzureAdJoined"),
        enterprise_joined=flag("EnterpriseJoined"),
        domain_joined=flag("DomainJoined"),
        workplace_joined=flag("WorkplaceJoined"),
        azure_ad_prt=flag("AzureAdPrt"),
        tenant_id=_normalise_guid(value("TenantId")),
        tenant_name=value("TenantName"),
        domain_name=value("DomainName"),
        device_id=_normalise_guid(value("DeviceId")),
        device_name=value("Device Name"),
        device_auth_status=value("DeviceAuthStatus"),
        device_cert_valid_from=valid_from,
        device_cert_valid_to=valid_to,
        tpm_protected=flag("TpmProtected"),
        key_sign_test=value("KeySignTest"),
        aad_recovery_enabled=flag("AadRecoveryEnabled"),
        prt_update_time=parse_utc(value("AzureAdPrtUpdateTime")),
        prt_expiry_time=parse_utc(value("AzureAdPrtExpiryTime")),
        session_is_not_remote=flag("SessionIsNotRemote"),
        mdm_url=value("MdmUrl"),
        join_diagnostics=_join_diagnostics(rows),
        prt_diagnostics=_prt_diagnostics(rows),
        sections=sections,
        raw=text,
        error=None if found_any else "dsregcmd printed no 'Key : Value' lines",
    )


def _norm(key: str) -> str:
    return key.replace(" ", "").lower()


def _flag(text: str | None) -> bool | None:
    if text is None:
        return None
    word = text.strip().split(" ", 1)[0].upper()  # "YES ( StateReady )"
    if word in ("YES", "TRUE"):
        return True
    if word in ("NO", "FALSE"):
        return False
    return None


def parse_utc(text: str | None) -> datetime.datetime | None:
    """'2024-05-02 08:14:10.000 UTC' -> an aware UTC datetime; None when absent or unreadable."""
    if not text:
        return None
    match = _UTC_TIME.search(text)
    if not match:
        return None
    try:
        moment = datetime.datetime.fromisoformat(f"{match.group(1)} {match.group(2)}")
    except ValueError:
        return None
    return moment.replace(tzinfo=datetime.UTC)


def _validity(text: str | None) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    """'[ 2019-01-11 21:02:50.000 UTC -- 2029-01-11 21:32:50.000 UTC ]' (some builds write ' - ')."""
    if not text:
        return None, None
    times = [parse_utc(m.group(0)) for m in _UTC_TIME.finditer(text)]
    if len(times) != 2:
        return None, None
    return times[0], times[1]


# key (normalised) -> JoinDiagnostics field, from the "Diagnostic Data" section's pre-join block
_JOIN_KEYS = {
    "errorphase": "error_phase",
    "clienterrorcode": "client_error_code",
    "servererrorcode": "server_error_code",
    "servermessage": "server_message",
    "httpsstatus": "http_status",
    "httpstatus": "http_status",
    "drsdiscoverytest": "drs_discovery_test",
    "previousregistration": "previous_registration",
    "usercontext": "user_context",
}
# SSO State PRT diagnostics: "Attempt Status", "HTTP status", "Server Error Code", ...
_PRT_KEYS = {
    "previousprtattempt": "attempt_time",
    "attemptstatus": "attempt_status",
    "httpstatus": "http_status",
    "servererrorcode": "server_error_code",
    "servererrordescription": "server_error_description",
    "endpointuri": "endpoint",
}
_PRT_BLOCKS = {"acquireprtdiagnostics": "acquire", "refreshprtdiagnostics": "refresh"}


def _join_diagnostics(rows: list[tuple[str, str, str]]) -> JoinDiagnostics:
    values: dict[str, str] = {}
    for section, key, value in rows:
        if _norm(section) in ("ssostate",):
            continue  # the PRT block has its own "HTTP status" and "Server Error Code"
        name = _JOIN_KEYS.get(_norm(key))
        if name:
            values.setdefault(name, value)
    return JoinDiagnostics(**values)


def _prt_diagnostics(rows: list[tuple[str, str, str]]) -> tuple[PrtDiagnostics, ...]:
    blocks: list[PrtDiagnostics] = []
    kind: str | None = None
    values: dict[str, str] = {}

    def close() -> None:
        if kind is not None and values:
            blocks.append(PrtDiagnostics(kind=kind, **values))

    for _section, key, value in rows:
        norm = _norm(key)
        if norm in _PRT_BLOCKS and value.upper().startswith("PRESENT"):
            close()
            kind, values = _PRT_BLOCKS[norm], {}
            continue
        if kind is None:
            continue
        name = _PRT_KEYS.get(norm)
        if name:
            values.setdefault(name, value)
        elif norm.startswith(("enterpriseprt", "onpremtgt", "cloudtgt", "kerbtoplevelnames")):
            close()  # the block ends where the next SSO field begins
            kind, values = None, {}
    close()
    return tuple(blocks)


def _normalise_guid(value: str | None) -> str | None:
    if value is None:
        return None
    return value.strip().strip("{}").lower() or None


def decode_console_output(data: bytes, oem_codepage: int | None = None) -> str:
    """Decode a console tool's output, never raising.

    Tools such as dsregcmd and schtasks write redirected output in the console code page; the wizard starts
    them with CREATE_NO_WINDOW, which gives the child a fresh console in the system's OEM code page
    (GetOEMCP: 437, 850, 932, ...) whatever `chcp` says in the technician's own window. So: UTF-16 when it has
    a BOM (or is BOM-less UTF-16LE, as tools in _O_U16TEXT mode write), UTF-8 with a BOM, else the OEM code
    page; without one, UTF-8 and then the US OEM page 437.
    """
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        return data.decode("utf-16", errors="replace")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if _looks_utf16le(data):
        return data.decode("utf-16-le", errors="replace")
    encodings = [f"cp{oem_codepage}"] if oem_codepage else ["utf-8", "cp437"]
    for enc in encodings:
        try:
            return data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
    try:
        return data.decode(f"cp{oem_codepage}" if oem_codepage else "cp437", errors="replace")
    except LookupError:  # a code page Python does not know
        return data.decode("latin-1", errors="replace")


def _looks_utf16le(data: bytes) -> bool:
    """Mostly-ASCII text in UTF-16LE: NUL in (nearly) every odd byte and almost never in an even one."""
    sample = data[:4096]
    if len(sample) < 8 or len(sample) % 2:
        return False
    odd_nuls = sample[1::2].count(0)
    even_nuls = sample[0::2].count(0)
    half = len(sample) // 2
    return odd_nuls >= 0.9 * half and even_nuls <= 0.1 * half
