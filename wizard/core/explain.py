"""Plain-words explanations for ccmsetup return codes, HRESULTs, Win32/MSI/WinHTTP numbers, AADSTS codes and error
texts (table: data/errors.json, where every entry names its source).

Codes are matched whole: a decimal is a Win32/MSI number (0-65535) or an HRESULT written in decimal
(`ErrorCode="-2145844844"`, `"errorCode":2147943860`), never a fragment of a longer code. Some codes mean different
things in different situations (0x87d0027e is "the server answered an unexpected HTTP status"): pass an
`ExplainContext` (scenario, the plan's switches, the device's join state, the log lines around the code) to get the
explanation that fits.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources

__all__ = [
    "JOIN_STATES",
    "ExplainContext",
    "Explanation",
    "ExplanationTableError",
    "decode_hresult",
    "explain_code",
    "explain_message",
    "explain_return_code",
    "hresult_from_win32",
    "load_error_table",
    "normalise_code",
]

SYSTEM_ERRORS_DOC = "https://learn.microsoft.com/windows/win32/debug/system-error-codes"
RETURN_CODES_DOC = ("https://learn.microsoft.com/intune/configmgr/core/clients/deploy/"
                    "about-client-installation-properties#ccmsetupexe-return-codes")
AADSTS_LOOKUP = "https://login.microsoftonline.com/error?code="
SCENARIO_KEYS = ("default", "onprem-mp", "cmg", "internet-mp", "cmg-token")
# dsregcmd's view of the device: Entra joined, Entra hybrid joined, AD domain only, or nothing.
JOIN_STATES = ("entra-joined", "hybrid-joined", "domain-joined", "workgroup")
_NOT_ENTRA_JOINED = ("domain-joined", "workgroup")

# Whole codes in a (lower-cased) log message.
_PREFIXED_HEX_IN_TEXT = re.compile(r"0x([0-9a-f]{8})(?![0-9a-z-])")
_BARE_HEX_IN_TEXT = re.compile(r"(?<![0-9a-z-])([0-9a-f]{8})(?![0-9a-z-])")  # not inside a GUID or a longer number
_DECIMAL_IN_TEXT = re.compile(r"(?:error ?code|hresult|\bhr)[\s\"':=]{0,3}(-?\d{5,10})(?![\d.])")
_AADSTS_IN_TEXT = re.compile(r"aadsts(\d{5,7})(?!\d)")
# One code typed by a person.
_HEX_INPUT = re.compile(r"0x([0-9a-f]{1,8})")
_BARE_HEX_INPUT = re.compile(r"[0-9a-f]{8}")
_AADSTS_INPUT = re.compile(r"aadsts\s*:?\s*(\d{1,7})")
_NAME_INPUT = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")  # a symbol: ERROR_TIMEOUT, CERT_E_UNTRUSTEDROOT, INVALID_CA
# An HTTP status in a log line: DataTransferService "HTTP code 405", CCMHTTP "StatusCode=500", BITS "HTTP status 404",
# dsregcmd "Https Status : 400", IIS-style "405 Method Not Allowed".
_HTTP_STATUS = re.compile(
    r"(?:http code|statuscode|http status|https status|status code)\s*[=:]?\s*([1-5]\d\d)\b"
    r"|\b([1-5]\d\d)[ ,]+(?:status )?'?(?:bad request|unauthorized|forbidden|not found|method not allowed|"
    r"proxy authentication required|internal server error|bad gateway|service unavailable|gateway timeout)")
# The URL of a request in a log line: "[CCMHTTP] ERROR: URL=https://...,", "Checking the URL '...'",
# "Failed to check url http://.... Error ...".
_REQUEST_URL = re.compile(r"(?:\burl=|checking the url '|failed to check url )([^\s',]+)")
_TENANT_IN_URL = re.compile(r"tenantid=([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")
# Paths that serve content (a 404 there is content that isn't where the client was sent).
_CONTENT_PATHS = ("/ccm_client/", "sms_dp_", "downloadrestservice", "getcontentxml", "/nocert_sms_dp_")


class ExplanationTableError(ValueError):
    """errors.json is missing or malformed (a packaging problem, not a user error)."""


@dataclass(frozen=True)
class Explanation:
    code: str
    title: str
    meaning: str
    cause: str
    action: str
    doc: str | None
    generic: bool = False  # a catch-all or decoded code: a specific text seen nearby explains more
    source: tuple[dict, ...] = ()  # where the explanation comes from: {"kind", "title", "url"|"where"}
    symbol: str | None = None  # the Windows SDK / product name of the code, e.g. "ERROR_TIMEOUT"
    benign: bool = False  # expected noise (e.g. 0x8004100e on a first install): never the cause of a failure
    in_table: bool = True  # False: not in the explanation table, only decoded

    def as_dict(self) -> dict:
        return {"code": self.code, "title": self.title, "meaning": self.meaning, "cause": self.cause,
                "action": self.action, "doc": self.doc, "symbol": self.symbol, "in_table": self.in_table,
                "source": [dict(s) for s in self.source]}


@dataclass(frozen=True)
class ExplainContext:
    """What is known around a code, to explain it for this situation. Every field is optional."""

    scenario: str | None = None  # onprem-mp | cmg | internet-mp | cmg-token
    switches: frozenset[str] = frozenset()  # parameters on the command line, lower case with the slash: "/mp"
    join_state: str | None = None  # one of JOIN_STATES, None when unknown
    nearby: tuple[str, ...] = ()  # log lines around the code, oldest first

    def has(self, switch: str) -> bool:
        return switch.lower() in self.switches

    @classmethod
    def from_plan(cls, plan, *, join_state: str | None = None, nearby=()) -> ExplainContext:
        """The context of an InstallPlan (duck-typed: scenario, mp, regtoken, parameters)."""
        switches = {name.lower() for name, _ in plan.parameters}
        if plan.mp:
            switches.add("/mp")
        if plan.regtoken is not None:
            switches.add("/regtoken")
        return cls(plan.scenario, frozenset(switches), join_state, tuple(nearby))


@dataclass(frozen=True)
class _Entry:
    code: str
    title: str
    patterns: tuple[str, ...]
    meaning: str
    cause: dict
    action: dict
    doc: str | None
    generic: bool = False
    source: tuple[dict, ...] = ()
    symbol: str | None = None
    benign: bool = False
    aliases: tuple[str, ...] = ()

    def explain(self, scenario: str | None) -> Explanation:
        return Explanation(self.code, self.title, self.meaning, _pick(self.cause, scenario),
                           _pick(self.action, scenario), self.doc, self.generic, self.source, self.symbol,
                           self.benign, True)


@dataclass(frozen=True)
class ErrorTable:
    return_codes: dict
    entries: tuple
    facilities: dict  # number -> name
    win32: dict  # number -> text
    http_status: dict  # number -> reason phrase
    win32_symbols: dict = field(default_factory=dict)  # number -> ERROR_* name
    inet: dict = field(default_factory=dict)  # 0x800Cxxxx value -> (symbol, text)
    by_code: dict = field(default_factory=dict)  # lower-case code, alias or symbol -> entry index
    phrases: tuple = ()  # (lower-case text pattern, entry index), in table order


def _pick(value: dict, scenario: str | None) -> str:
    return value.get(scenario or "default") or value.get("default", "")


def _as_map(value, where: str) -> dict:
    if isinstance(value, str):
        return {"default": value}
    if isinstance(value, dict) and "default" in value and all(isinstance(v, str) for v in value.values()):
        unknown = set(value) - set(SCENARIO_KEYS)
        if unknown:
            raise ExplanationTableError(f"errors.json: {where} names unknown scenarios {sorted(unknown)}")
        return dict(value)
    raise ExplanationTableError(f"errors.json: {where} must be a text or a map with a 'default' text")


def _sources(value, where: str) -> tuple[dict, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(s, dict) and s.get("title") for s in value):
        raise ExplanationTableError(f"errors.json: {where} needs a 'source' list of {{kind, title, url|where}}")
    return tuple(value)


@lru_cache(maxsize=1)
def load_error_table() -> ErrorTable:
    """Load and check wizard/core/data/errors.json (cached)."""
    try:
        raw = json.loads(resources.files("wizard.core").joinpath("data/errors.json").read_text("utf-8"))
        entries = []
        by_code: dict[str, int] = {}
        phrases: list[tuple[str, int]] = []
        for i, item in enumerate(raw["entries"]):
            entry = _Entry(
                code=item["code"], title=item["title"],
                patterns=tuple(p.lower() for p in item.get("patterns", ())),
                meaning=item["meaning"], cause=_as_map(item["cause"], f"entries[{i}].cause"),
                action=_as_map(item["action"], f"entries[{i}].action"), doc=item.get("doc"),
                generic=bool(item.get("generic", False)), source=_sources(item.get("source"), f"entries[{i}]"),
                symbol=item.get("symbol"), benign=bool(item.get("benign", False)),
                aliases=tuple(a.lower() for a in item.get("aliases", ())))
            entries.append(entry)
            for key in (entry.code.lower(), *entry.aliases, *((entry.symbol.lower(),) if entry.symbol else ())):
                if key in by_code and by_code[key] != i:
                    raise ExplanationTableError(f"errors.json: '{key}' names two entries")
                by_code[key] = i
            phrases.extend((p, i) for p in entry.patterns)
        return_codes = {int(k): _Entry(code=k, title=v["title"], patterns=(), meaning=v["meaning"],
                                       cause=_as_map(v["cause"], f"return_codes.{k}.cause"),
                                       action=_as_map(v["action"], f"return_codes.{k}.action"), doc=v.get("doc"),
                                       source=_sources(v.get("source"), f"return_codes.{k}"))
                        for k, v in raw["return_codes"].items()}
        facilities = {int(k): v["name"] for k, v in raw["facilities"].items()}
        win32 = {int(k): v["text"] for k, v in raw["win32"].items()}
        win32_symbols = {int(k): v["symbol"] for k, v in raw["win32"].items()}
        inet = {int(k, 16): (v["symbol"], v["text"]) for k, v in raw.get("inet", {}).items()}
        http = {int(k): v["text"] for k, v in raw["http_status"].items()}
        return ErrorTable(return_codes, tuple(entries), facilities, win32, http, win32_symbols, inet, by_code,
                          tuple(phrases))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        if isinstance(exc, ExplanationTableError):
            raise
        raise ExplanationTableError(f"wizard/core/data/errors.json is unreadable or malformed ({exc}); "
                                    "reinstall ccmsetup-wizard") from exc


# ---- reading a code --------------------------------------------------------------------------------

def hresult_from_win32(number: int) -> int:
    """HRESULT_FROM_WIN32: 1612 -> 0x8007064c."""
    return number if number <= 0 else (number & 0xFFFF) | 0x80070000


def _key_for_number(number: int) -> str | None:
    if 0 <= number <= 0xFFFF:
        return str(number)  # a Win32 / MSI / WinHTTP number
    if -0x80000000 <= number <= 0xFFFFFFFF:
        return f"0x{number & 0xFFFFFFFF:08x}"  # an HRESULT, signed or unsigned
    return None


def normalise_code(code) -> str | None:
    """The table key for a code as a person or a log writes it, or None when it is not a code.

    '0x87D0027E', '87d0027e', -2016411010, '2278556286' -> '0x87d0027e'; '1603', '0x643' -> '1603' (a Win32/MSI number);
    'AADSTS 50126' -> 'AADSTS50126'; 'CERT_E_UNTRUSTEDROOT' -> 'CERT_E_UNTRUSTEDROOT'."""
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        return _key_for_number(code)
    text = str(code).strip().strip("\"'").strip()
    low = text.lower()
    if not low:
        return None
    m = _HEX_INPUT.fullmatch(low)
    if m:
        value = int(m.group(1), 16)
        return f"0x{value:08x}" if len(m.group(1)) == 8 else _key_for_number(value)
    if _BARE_HEX_INPUT.fullmatch(low) and (not low.isdigit() or low[0] in "89"):
        return f"0x{low}"  # "80070005" as logs write HRESULTs without 0x
    if re.fullmatch(r"[-+]?\d{1,11}", low):
        return _key_for_number(int(low))
    m = _AADSTS_INPUT.fullmatch(low)
    if m:
        return f"AADSTS{int(m.group(1))}"
    if _NAME_INPUT.fullmatch(low):
        return text.upper()
    return None


# ---- explaining ------------------------------------------------------------------------------------

def explain_code(code, scenario: str | None = None, *, context: ExplainContext | None = None) -> Explanation:
    """Explain an HRESULT ('0x80070643', '-2145844844'), a Win32/MSI number ('1603'), an Entra code ('AADSTS50126')
    or a table id / symbol ('INVALID_CA', 'ERROR_TIMEOUT'). Codes not in the table are decoded (facility and code)
    and say so (`in_table` False). `scenario` wins over `context.scenario`."""
    scenario = scenario or (context.scenario if context else None)
    table = load_error_table()
    key = normalise_code(code)
    if key is None:
        text = str(code).strip()
        return Explanation(text, f"Not a code: {text!r}" if text else "No code given",
                           "This is not an error code: expected a hex HRESULT (0x80070643), a decimal number "
                           "(1603 or -2145844844), an AADSTS code or a name such as ERROR_TIMEOUT.",
                           "Unknown.", "Copy the code exactly as the log shows it.", RETURN_CODES_DOC, True,
                           in_table=False)
    index = table.by_code.get(key.lower())
    if index is None and key.isdigit():
        index = table.by_code.get(f"0x{hresult_from_win32(int(key)):08x}")
    if index is None and not key.startswith(("0x", "AADSTS")) and not key.isdigit():
        index = next((i for p, i in table.phrases if p == key.lower()), None)
    if index is not None:
        return _in_context(table.entries[index].explain(scenario), context)
    if key.startswith("0x"):
        return decode_hresult(key)
    if key.isdigit():
        return _decode_win32(int(key))
    if key.startswith("AADSTS"):
        number = key[6:]
        return Explanation(key, f"Entra ID error {key}", f"Microsoft Entra ID refused the sign-in or token request "
                           f"with {key}; this code is not in the explanation table.", "Unknown.",
                           f"Look the code up at {AADSTS_LOOKUP}{number} (Microsoft's current error text) and in the "
                           "Entra sign-in logs.", "https://learn.microsoft.com/entra/identity-platform/"
                           "reference-error-codes", True, in_table=False)
    return Explanation(key, f"Unknown code {key}", f"{key} is not in the explanation table.", "Unknown.",
                       "Search the log lines around it and Microsoft's documentation for the name.", RETURN_CODES_DOC,
                       True, in_table=False)


def explain_return_code(n: int, scenario: str | None = None) -> Explanation:
    """Explain a ccmsetup exit code (0, 6, 7, 8, 9, 10); other numbers are decoded as Win32/HRESULT values."""
    entry = load_error_table().return_codes.get(int(n))
    if entry is not None:
        return entry.explain(scenario)
    if n < 0 or n > 0xFFFF:
        return decode_hresult(n)
    return Explanation(str(n), f"Return code {n}", f"ccmsetup returned {n}, which is not a documented ccmsetup "
                       "return code.", "Unknown.", "Read the end of ccmsetup.log for the reason.", RETURN_CODES_DOC,
                       True, in_table=False)


def explain_message(text: str, scenario: str | None = None, *,
                    context: ExplainContext | None = None) -> Explanation | None:
    """Explanation for a log message if it holds a known text or a code (whole codes only), else None."""
    if not text:
        return None
    low = text.lower()
    table = load_error_table()
    best: int | None = None
    for pattern, index in table.phrases:  # in table order: the first hit is the most specific
        if pattern in low and (not pattern[-1].isdigit() or _whole_number_at_end(low, pattern)):
            best = index
            break
    first_hex: str | None = None
    if "0x" in low:
        for digits in _PREFIXED_HEX_IN_TEXT.findall(low):
            index = table.by_code.get("0x" + digits)
            if index is not None:
                best = index if best is None else min(best, index)
            elif first_hex is None:
                first_hex = "0x" + digits
    if "err" in low or "fail" in low or "hresult" in low:  # logs write bare codes after these: "Error: 87D00269"
        for digits in _BARE_HEX_IN_TEXT.findall(low):
            index = table.by_code.get("0x" + digits)
            if index is not None:
                best = index if best is None else min(best, index)
    if "code" in low or "hr" in low:  # cheap gate before the keyword regex: ErrorCode="-2145844844", hr=...
        for number in _DECIMAL_IN_TEXT.findall(low):
            key = _key_for_number(int(number))
            if key and key.startswith("0x"):
                index = table.by_code.get(key)
                if index is not None:
                    best = index if best is None else min(best, index)
                elif first_hex is None:
                    first_hex = key
    if "aadsts" in low:
        for number in _AADSTS_IN_TEXT.findall(low):
            index = table.by_code.get(f"aadsts{int(number)}")
            if index is not None:
                best = index if best is None else min(best, index)
            elif best is None:
                return explain_code(f"AADSTS{number}", scenario, context=context)
    if best is not None:
        return _in_context(table.entries[best].explain(scenario), context)
    if first_hex is not None:
        return decode_hresult(first_hex)
    return None


def _whole_number_at_end(low: str, pattern: str) -> bool:
    """A text pattern ending in a number ("error 1603") matches only where no further digit follows."""
    start = low.find(pattern)
    while start != -1:
        end = start + len(pattern)
        if end == len(low) or not low[end].isdigit():
            return True
        start = low.find(pattern, start + 1)
    return False


def _decode_win32(number: int) -> Explanation:
    table = load_error_table()
    text = table.win32.get(number)
    symbol = table.win32_symbols.get(number)
    if text:
        name = f" ({symbol})" if symbol else ""
        return Explanation(str(number), f"Windows error {number}{name}", text,
                           "A Windows, Windows Installer or WinHTTP error; it has no entry of its own in the table.",
                           "Read the lines around it in the log for the step that failed.", SYSTEM_ERRORS_DOC, True,
                           symbol=symbol, in_table=False)
    return Explanation(str(number), f"Windows error {number}",
                       f"{number} (0x{number:04x}) read as a Windows/MSI error number: it is not in the explanation "
                       f"table. As an HRESULT it would be 0x{hresult_from_win32(number):08x}.", "Unknown.",
                       "Look the number up in Microsoft's System Error Codes or Windows Installer error list and read "
                       "the log lines around it.", SYSTEM_ERRORS_DOC, True, in_table=False)


def decode_hresult(code) -> Explanation:
    """Generic decoding: severity, facility and code, with the Win32/WinHTTP/HTTP/URL-moniker text when known."""
    key = normalise_code(code)
    if key is None:
        return explain_code(code)
    if not key.startswith("0x"):
        if key.isdigit():
            key = f"0x{int(key):08x}"
        else:
            return explain_code(key)
    value = int(key, 16)
    table = load_error_table()
    failed = bool(value & 0x80000000)
    facility = (value >> 16) & 0x7FF
    number = value & 0xFFFF
    facility_name = table.facilities.get(facility, f"facility {facility}")
    detail = ""
    title = f"{facility_name} error {number}" if failed else f"Status {number}"
    if (value >> 20) == 0xCAA:
        facility_name = "the Microsoft Entra token broker (WAM/ADAL)"
        title = f"Entra token broker error 0x{value:08x}"
        if (value >> 16) == 0xCAA8:
            text = table.win32.get(number)
            detail = f" It wraps network error {number}" + (f": \"{text}\"" if text else "") + "."
    elif (value >> 30) == 0x3 and (value >> 28) == 0xC:
        facility_name = "Windows (NTSTATUS)"
        title = f"NTSTATUS 0x{value:08x}"
    elif facility == 7:
        text = table.win32.get(number, "")
        symbol = table.win32_symbols.get(number)
        if text:
            detail = f" Windows says: \"{text}\"" + (f" ({symbol})." if symbol else "")
    elif facility == 25 and 100 <= number < 600:
        detail = f" HTTP status {number}" + (f" ({table.http_status[number]})" if number in table.http_status
                                              else "") + "."
    elif facility == 12:
        inet = table.inet.get(value)
        if inet:
            detail = f" {inet[0]}: \"{inet[1]}\""
    meaning = (f"{'Failure' if failed else 'Success'} code from {facility_name}, code {number} "
               f"(0x{number:04x}).{detail}")
    return Explanation(f"0x{value:08x}", title, meaning.strip(),
                       "Not in the explanation table; the decoding above is generic.",
                       "Read the log lines just before this code for the step that failed; search Microsoft "
                       "documentation for the full code.", SYSTEM_ERRORS_DOC, True, in_table=False)


# ---- context -----------------------------------------------------------------------------------------

def http_status_in(lines) -> int | None:
    """The last HTTP status named in these log lines, or None."""
    found = None
    for line in lines:
        for m in _HTTP_STATUS.finditer(line.lower()):
            found = int(m.group(1) or m.group(2))
    return found


_STATUS_CAUSES = {
    400: ("The server rejected the request as malformed (HTTP 400).",
          "Check the URL in the lines above; for a CMG serving content look at CMGContentService.log on the server."),
    401: ("The server wanted authentication the client didn't give (HTTP 401).",
          "Check the client's authentication: Entra token, bulk registration token or PKI certificate."),
    403: ("The server refused this client (HTTP 403 Forbidden): its authentication (Entra token, bulk registration "
          "token or PKI certificate) wasn't accepted, or the CMG doesn't let this client in.",
          "Check the authentication in the lines above (token lines, certificate selection), the client setting "
          "'Enable clients to use a cloud management gateway', and for a bulk token whether it expired or was "
          "blocked (Administration > Security > Certificates)."),
    404: ("The server didn't find the file or path (HTTP 404): the content isn't where the client was sent.",
          "Distribute the client package to a distribution point (or content-enabled CMG) the device can reach."),
    405: ("The distribution point refused the WebDAV request (HTTP 405 Method Not Allowed): the IIS 'WebDAV "
          "Publishing' role service is installed on it, which Configuration Manager distribution points don't "
          "support.",
          "Remove WebDAV Publishing from the distribution point (Server Manager > Remove Roles and Features), "
          "then retry."),
    500: ("The server failed internally (HTTP 500).",
          "Check the management point's logs (MP_*.log, mpcontrol.log) and IIS; a broken database connection of the "
          "MP is one known cause."),
    503: ("The server is unavailable (HTTP 503): the site system or CMG service is down or overloaded.",
          "Check that the management point / CMG is running, then retry."),
}


def _in_context(exp: Explanation, context: ExplainContext | None) -> Explanation:
    if context is None:
        return exp
    if exp.code == "0x87d0027e":
        return _bad_http_status(exp, context)
    if exp.code == "0x87d00215" and context.nearby:
        return _item_not_found(exp, context)
    if exp.code == "0x80092013" and context.has("/nocrlcheck"):
        return replace(exp, action="The command already has /NoCRLCheck, so this revocation check is not ccmsetup's "
                                   "own: make the CRL of the PKI reachable (or disable CRL checking in the site's "
                                   "communication settings), then retry.")
    return exp


# Lines of a content-location lookup, where 0x87d00215 ("item not found") is the client package the table describes.
_CONTENT_LOOKUP = ("dp location", "content location", "contentlocation", "expected version", "getdirectorylist",
                   "cloud distribution point", "/ccm_client/")


_OS_QUERY_SOURCE = {"kind": "real-log", "title": "ccmsetup.log ending 'CheckAndLogOSInformation failed with 0x87d00215'",
                    "where": "OSD Ninja blog, www.osdninja.com/?page_id=53 (a Windows 7 imaging log, WMI query of "
                             "Win32_OperatingSystem)"}


def _item_not_found(exp: Explanation, context: ExplainContext) -> Explanation:
    """0x87d00215 is ConfigMgr's generic "item not found": the table's client-content cause holds only when the
    lookup that found nothing was a content lookup. A real log ends with it after "CheckAndLogOSInformation failed
    with 0x87d00215" (ccmsetup's WMI query for the OS returned nothing)."""
    lows = [line.lower() for line in context.nearby]
    raised = [line for line, low in zip(context.nearby, lows, strict=True)
              if "87d00215" in low and "ccmsetup failed with error code" not in low]
    judged = [line.lower() for line in raised] or lows
    if any(marker in low for low in judged for marker in _CONTENT_LOOKUP):
        return exp
    if not raised:
        return exp  # nothing says which lookup it was
    line = raised[-1].strip()
    quoted = line if len(line) <= 200 else line[:197] + "..."
    if any("checkandlogosinformation" in low for low in judged):
        return replace(exp, title="Item not found: the operating system query (WMI) returned nothing", generic=False,
                       meaning="ConfigMgr's 'item not found' (0x87d00215): ccmsetup's WMI query for the operating "
                               "system information found nothing.",
                       cause=f"WMI on this device didn't answer ccmsetup's query for the operating system "
                             f"(Win32_OperatingSystem); the log says '{quoted}'. WMI repository damage is the usual "
                             "cause.",
                       action="Check WMI: 'winmgmt /verifyrepository' and 'Get-CimInstance Win32_OperatingSystem' "
                              "must work; repair WMI (or restart) and retry.",
                       source=(*exp.source, _OS_QUERY_SOURCE))
    return replace(exp, title="Item not found", generic=True,
                   meaning="ConfigMgr's 'item not found' (0x87d00215): something ccmsetup looked up returned nothing.",
                   cause=f"The lookup that found nothing is in the line that logged the code: '{quoted}'.",
                   action="Fix what that line looked up and retry. When it is a content lookup (DP locations), "
                          "distribute the client package where the device can reach it.")


def request_url_in(lines) -> str | None:
    """The URL of the last request named in these log lines (lower case), or None."""
    found = None
    for line in lines:
        for m in _REQUEST_URL.finditer(line.lower()):
            found = m.group(1)
    return found


_MP_TIP = (" If this device is neither Entra joined nor holds a PKI certificate, Microsoft's tip for /regtoken with "
           "/mp is to try again without /mp.")


def _bad_http_status(exp: Explanation, context: ExplainContext) -> Explanation:
    status = http_status_in(context.nearby)
    url = request_url_in(context.nearby) or ""
    token_with_mp = context.has("/regtoken") and context.has("/mp")
    reason = load_error_table().http_status.get(status or 0)
    seen = f" The lines around it show HTTP {status}" + (f" ({reason})." if reason else ".") if status else ""
    mp_path_404 = status == 404 and "ccm_proxy" in url and not any(p in url for p in _CONTENT_PATHS)
    # A status whose cause removing /mp can't fix: WebDAV on the DP, a failing MP, content missing at the URL.
    elsewhere = status in (405, 500, 503) or (status == 404 and any(p in url for p in _CONTENT_PATHS))
    if token_with_mp and context.join_state in _NOT_ENTRA_JOINED and not elsewhere:
        return replace(exp, generic=False,
                       cause="This device is not Entra joined and the command combines /regtoken with /mp. With "
                             "that combination ccmsetup can fail with 0x87d0027e; Microsoft's tip for this error is "
                             "to remove /mp." + seen,
                       action="Run ccmsetup again without /mp, keeping CCMHOSTNAME, SMSSITECODE and /regtoken. If "
                              "the token has expired (3 days by default, 7 at most) create a new one.")
    if "/aadauthinfo" in url:
        return replace(exp, generic=False, **_tenant_unknown(url, status, context))
    if mp_path_404:
        return replace(exp, generic=False,
                       cause="The CMG answered HTTP 404 for the management point path it was asked for: no "
                             "management point of the site is behind that CMG path, most likely because the number "
                             "after CCM_Proxy_MutualAuth/ (the CMG's ID) is not this CMG's.",
                       action="Use the CMG address exactly as a working client reports it (host/CCM_Proxy_MutualAuth/"
                              "<ID>, from SMS_ActiveMPCandidate) in CCMHOSTNAME and /mp, then retry.")
    if status in _STATUS_CAUSES:
        cause, action = _STATUS_CAUSES[status]
        if status in (401, 403):
            if token_with_mp and context.join_state is None:
                cause += _MP_TIP
            elif context.join_state in _NOT_ENTRA_JOINED and not context.has("/regtoken"):
                cause += (" This device is not Entra joined, so it has no Entra device token to offer; without a "
                          "PKI client certificate or a bulk registration token the CMG refuses it.")
        return replace(exp, generic=False, cause=cause, action=action)
    if status:
        return replace(exp, cause=f"The server answered HTTP {status}" + (f" ({reason})." if reason else "."),
                       action="Check the server named in the lines above for why it answered that status.")
    if token_with_mp and context.join_state is None:
        return replace(exp, cause=exp.cause + _MP_TIP)
    return exp


def _tenant_unknown(url: str, status: int | None, context: ExplainContext) -> dict[str, str]:
    """ccmsetup's first CMG request (AADAuthInfo?TenantID=<tenant>) got no Entra details: the CMG knows only the
    tenants onboarded to the site ("If the tenant isn't onboarded, the CMG returns nothing", deploy-clients-cmg-azure)."""
    tenant = _TENANT_IN_URL.search(url)
    answer = f"HTTP {status}" if status else "an error"
    if tenant is None:
        cause = (f"ccmsetup asked the CMG for the Microsoft Entra details of its tenant (AADAuthInfo) without a tenant "
                 f"ID and got {answer}: the device reports no Entra tenant (it isn't Entra joined) and the command "
                 "has no AADTENANTID.")
        action = ("Join the device to Microsoft Entra ID (dsregcmd /status: AzureAdJoined : YES), or install it with "
                  "a bulk registration token (the CMG + token scenario).")
        return {"cause": cause, "action": action}
    cause = (f"ccmsetup asked the CMG for the Microsoft Entra details of tenant {tenant.group(1)} (AADAuthInfo) and got "
             f"{answer}: that tenant isn't onboarded to the site's cloud management, so no Entra token can be "
             "requested. Either AADTENANTID names another tenant than the device's, or the device belongs to a "
             "tenant the site doesn't know.")
    if context.join_state in _NOT_ENTRA_JOINED:
        cause += " This device is not Entra joined either."
    action = ("Compare that tenant with the TenantId 'dsregcmd /status' shows and with the tenant onboarded to the "
              "site (Administration > Cloud Services). Correct AADTENANTID or leave it out (with a CMG, ccmsetup uses "
              "the device's own tenant); a device of another tenant needs a bulk registration token.")
    return {"cause": cause, "action": action}
