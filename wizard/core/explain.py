"""Plain-words explanations for ccmsetup return codes, HRESULTs and error texts (table: data/errors.json)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

__all__ = [
    "Explanation",
    "ExplanationTableError",
    "decode_hresult",
    "explain_code",
    "explain_message",
    "explain_return_code",
    "load_error_table",
]

_HRESULT = re.compile(r"(?<![0-9A-Za-z])(?:0x)?([0-9A-Fa-f]{8})(?![0-9A-Za-z])")
_HEX_CODE = re.compile(r"0x[0-9A-Fa-f]{8}")
SYSTEM_ERRORS_DOC = "https://learn.microsoft.com/windows/win32/debug/system-error-codes"
TROUBLESHOOT_DOC = ("https://learn.microsoft.com/troubleshoot/mem/configmgr/setup-migrate-backup-recovery/"
                    "troubleshoot-client-installation")


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

    def as_dict(self) -> dict:
        return {"code": self.code, "title": self.title, "meaning": self.meaning, "cause": self.cause,
                "action": self.action, "doc": self.doc}


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

    def explain(self, scenario: str | None) -> Explanation:
        return Explanation(self.code, self.title, self.meaning, _pick(self.cause, scenario),
                           _pick(self.action, scenario), self.doc, self.generic)


@dataclass(frozen=True)
class ErrorTable:
    return_codes: dict
    entries: tuple
    facilities: dict
    win32: dict
    http_status: dict


def _pick(value: dict, scenario: str | None) -> str:
    return value.get(scenario or "default") or value.get("default", "")


def _as_map(value, where: str) -> dict:
    if isinstance(value, str):
        return {"default": value}
    if isinstance(value, dict) and "default" in value and all(isinstance(v, str) for v in value.values()):
        return dict(value)
    raise ExplanationTableError(f"errors.json: {where} must be a text or a map with a 'default' text")


@lru_cache(maxsize=1)
def load_error_table() -> ErrorTable:
    """Load and check wizard/core/data/errors.json (cached)."""
    try:
        raw = json.loads(resources.files("wizard.core").joinpath("data/errors.json").read_text("utf-8"))
        entries = []
        for i, item in enumerate(raw["entries"]):
            entries.append(_Entry(
                code=item["code"], title=item["title"],
                patterns=tuple(p.lower() for p in item["patterns"]),
                meaning=item["meaning"], cause=_as_map(item["cause"], f"entries[{i}].cause"),
                action=_as_map(item["action"], f"entries[{i}].action"), doc=item.get("doc"),
                generic=bool(item.get("generic", False))))
        return_codes = {int(k): _Entry(code=k, title=v["title"], patterns=(), meaning=v["meaning"],
                                       cause=_as_map(v["cause"], f"return_codes.{k}.cause"),
                                       action=_as_map(v["action"], f"return_codes.{k}.action"), doc=v.get("doc"))
                        for k, v in raw["return_codes"].items()}
        return ErrorTable(return_codes, tuple(entries), {int(k): v for k, v in raw["facilities"].items()},
                          {int(k): v for k, v in raw["win32"].items()},
                          {int(k): v for k, v in raw["http_status"].items()})
    except (OSError, ValueError, KeyError, TypeError) as exc:
        if isinstance(exc, ExplanationTableError):
            raise
        raise ExplanationTableError(f"wizard/core/data/errors.json is unreadable or malformed ({exc}); "
                                    "reinstall ccmsetup-wizard") from exc


def _normalise(code) -> str:
    """'0x87D0027E', '87d0027e', -2016411010, 0x87d0027e -> '0x87d0027e'; other texts stripped."""
    if isinstance(code, int):
        return f"0x{code & 0xFFFFFFFF:08x}" if code < 0 or code > 0xFFFF else str(code)
    text = str(code).strip()
    m = _HRESULT.fullmatch(text)
    if m:
        return "0x" + m.group(1).lower()
    if re.fullmatch(r"-\d+", text):
        return f"0x{int(text) & 0xFFFFFFFF:08x}"
    return text


def explain_code(code, scenario: str | None = None) -> Explanation:
    """Explain an HRESULT ('0x80070643'), an MSI/Win32 number ('1603'), or a table id ('AADSTS50001',
    'INVALID_CA'). Unknown HRESULTs get a generic decoding."""
    key = _normalise(code)
    table = load_error_table()
    low = key.lower()
    for entry in table.entries:
        if entry.code.lower() == low:
            return entry.explain(scenario)
    for entry in table.entries:
        if low and any(low == p or (len(low) > 3 and low in p) for p in entry.patterns):
            return entry.explain(scenario)
    if _HEX_CODE.fullmatch(key):
        return decode_hresult(key)
    if key.isdigit():
        number = int(key)
        text = table.win32.get(number)
        if text:
            return Explanation(key, f"Windows error {number}", text,
                               "A Windows or Windows Installer error reported by setup.",
                               "Read the lines around it in the log for the step that failed.", SYSTEM_ERRORS_DOC,
                               True)
    return Explanation(key, f"Unknown code {key}", "This code is not in the explanation table.",
                       "Unknown.", "Search the log lines around it and Microsoft's documentation for the code.",
                       TROUBLESHOOT_DOC, True)


def explain_return_code(n: int, scenario: str | None = None) -> Explanation:
    """Explain a ccmsetup exit code (0, 6, 7, 8, 9, 10); other numbers are decoded as Win32/HRESULT values."""
    entry = load_error_table().return_codes.get(int(n))
    if entry is not None:
        return entry.explain(scenario)
    if n < 0 or n > 0xFFFF:
        return decode_hresult(n)
    return Explanation(str(n), f"Return code {n}", f"ccmsetup returned {n}, which is not a documented ccmsetup "
                       "return code.", "Unknown.", "Read the end of ccmsetup.log for the reason.",
                       "https://learn.microsoft.com/intune/configmgr/core/clients/deploy/"
                       "about-client-installation-properties#ccmsetupexe-return-codes", True)


def explain_message(text: str, scenario: str | None = None) -> Explanation | None:
    """Explanation for a log message if it contains a known text or any HRESULT, else None."""
    if not text:
        return None
    low = text.lower()
    table = load_error_table()
    for entry in table.entries:
        for pattern in entry.patterns:
            if pattern in low and (not _is_bare_hex(pattern) or _has_code(low, pattern)):
                return entry.explain(scenario)
    m = re.search(r"0x[0-9a-f]{8}", low)
    if m:
        return decode_hresult(m.group(0))
    return None


def _is_bare_hex(pattern: str) -> bool:
    return re.fullmatch(r"[0-9a-f]{8}", pattern) is not None


def _has_code(low: str, code: str) -> bool:
    """A bare 8-hex pattern must stand alone (not inside a GUID or a longer number)."""
    return re.search(r"(?<![0-9a-z-])(?:0x)?" + code + r"(?![0-9a-z-])", low) is not None


def decode_hresult(code) -> Explanation:
    """Generic decoding: severity, facility and code, with the Win32/HTTP text when the table has it."""
    key = _normalise(code)
    try:
        value = int(key, 16) if key.startswith("0x") else int(key) & 0xFFFFFFFF
    except ValueError:
        return explain_code(key)
    table = load_error_table()
    failed = bool(value & 0x80000000)
    facility = (value >> 16) & 0x7FF
    number = value & 0xFFFF
    facility_name = table.facilities.get(facility, f"facility {facility}")
    detail = ""
    if facility == 7:
        detail = table.win32.get(number, "")
        if detail:
            detail = f" Windows says: \"{detail}\""
    elif facility in (25, 32) and 100 <= (number & 0x3FF) < 600:
        status = number & 0x3FF
        detail = f" HTTP status {status}" + (f" ({table.http_status[status]})" if status in table.http_status
                                              else "") + "."
    elif facility == 12:
        detail = table.win32.get(number, "")
        detail = f" WinHTTP error {number}" + (f": \"{detail}\"" if detail else ".")
    meaning = (f"{'Failure' if failed else 'Success'} code from {facility_name}, code {number} "
               f"(0x{number:04x}).{detail}")
    return Explanation(f"0x{value:08x}", f"{facility_name} error {number}" if failed else f"Status {number}",
                       meaning.strip(), "Not in the explanation table; the decoding above is generic.",
                       "Read the log lines just before this code for the step that failed; search Microsoft "
                       "documentation for the full code.", SYSTEM_ERRORS_DOC, True)
