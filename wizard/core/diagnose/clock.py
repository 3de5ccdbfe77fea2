"""Times of records as integer milliseconds, so a merged timeline of 100k+ records sorts fast.

A key is milliseconds since 0001-01-01 00:00 (`datetime.min`). ConfigMgr writes the Windows bias after the
time: UTC = local + bias. Logs written by scripts in CMTrace format often carry the UTC offset instead (UTC =
local - offset); the convention is chosen per source (`CONVENTIONS`), never guessed.

Canonical CCM times (`HH:MM:SS.mmm+BBB`, `MM-DD-YYYY`) are read by slicing with small caches; anything else goes
through the parser's own timestamp parsing (`LogRecord.time` / `.bias`). MSI verbose logs carry their own clock
(a date in the `=== Verbose logging started: ...` header, then time of day in each line); they have no bias.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from wizard.core.diagnose._compat import MAX_BIAS, MIN_BIAS, bias_of

__all__ = ["CONVENTIONS", "DAY_MS", "key_to_datetime", "key_to_iso", "msi_local_keys", "record_key", "utc_key"]

CONVENTIONS = ("windows", "offset")  # Windows bias (ConfigMgr) | UTC offset (script-written CMTrace logs)
DAY_MS = 86_400_000
_EPOCH = datetime.min

_day_cache: dict[str, int | None] = {}
_second_cache: dict[str, int | None] = {}
_bias_cache: dict[str, tuple[int, bool] | None] = {}


def _day_ms(date_text: str) -> int | None:
    try:
        month, day, year = date_text.split("-")
        return date(int(year), int(month), int(day)).toordinal() * DAY_MS - DAY_MS
    except (ValueError, TypeError):
        return None


def _second_ms(hms: str) -> int | None:
    try:
        hh, mm, ss = int(hms[0:2]), int(hms[3:5]), int(hms[6:8])
    except ValueError:
        return None
    if hms[2] != ":" or hms[5] != ":" or hh > 23 or mm > 59 or ss > 59:
        return None
    return (hh * 3600 + mm * 60 + ss) * 1000


def _bias(text: str) -> tuple[int, bool] | None:
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        return None
    return value, MIN_BIAS <= value <= MAX_BIAS


def record_key(record) -> tuple[int | None, int | None, bool]:
    """(local milliseconds or None, bias as written or None, bias valid) of a CCM or legacy record."""
    if record.fmt == "ccm":
        t = record.time_text
        d = record.date_text
        if len(t) >= 12 and t[8] == "." and len(d) == 10:
            day = _day_cache.get(d, -1)
            if day == -1:
                day = _day_cache[d] = _day_ms(d)
            hms = t[:8]
            second = _second_cache.get(hms, -1)
            if second == -1:
                second = _second_cache[hms] = _second_ms(hms)
            frac = t[9:12]
            rest = t[12:]
            if day is not None and second is not None and frac.isdigit() and (not rest or rest[0] in "+-"):
                bias = _bias_cache.get(rest, -1) if rest else None
                if bias == -1:
                    bias = _bias_cache[rest] = _bias(rest)
                if rest and bias is None:
                    pass  # an odd bias spelling (`+-480`): the parser knows it
                else:
                    local = day + second + int(frac)
                    return (local, bias[0], bias[1]) if bias else (local, None, False)
    local_time = record.time
    if local_time is None:
        bias, valid = bias_of(record)
        return None, bias, valid
    bias, valid = bias_of(record)
    return datetime_key(local_time), bias, valid


def datetime_key(value: datetime) -> int:
    delta = value.replace(tzinfo=None) - _EPOCH
    return delta.days * DAY_MS + delta.seconds * 1000 + delta.microseconds // 1000


def utc_key(local: int, bias: int, convention: str = "windows") -> int:
    """UTC key of a local key: + bias (Windows) or - offset (script convention)."""
    return local + bias * 60_000 if convention == "windows" else local - bias * 60_000


def key_to_datetime(key: int, *, utc: bool = False) -> datetime:
    value = _EPOCH + timedelta(milliseconds=key)
    return value.replace(tzinfo=UTC) if utc else value


def key_to_iso(key: int | None, *, utc: bool) -> str | None:
    """ISO 8601 to the millisecond; UTC times end in `Z`, local wall times have no zone."""
    if key is None:
        return None
    try:
        value = _EPOCH + timedelta(milliseconds=key)
    except OverflowError:
        return None
    text = value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}"
    return text + "Z" if utc else text


# ---------------------------------------------------------------------------------------------------------------
# MSI verbose logs

_MSI_HEADER = re.compile(r"=== (?:Verbose )?logging (?:started|stopped): (\d{1,4})([./-])(\d{1,2})\2(\d{1,4})\s+"
                         r"(\d{1,2}):(\d{2}):(\d{2})", re.IGNORECASE)
_MSI_BRACKET = re.compile(r"^MSI \([csa]\) \([0-9A-Fa-f]+:[0-9A-Fa-f]+\) \[(\d{2}):(\d{2}):(\d{2}):(\d{3})\]")
_MSI_ACTION = re.compile(r"^Action (?:start|ended) (\d{1,2}):(\d{2}):(\d{2}):")


def _msi_date(first: str, sep: str, second: str, third: str) -> date | None:
    a, b, c = int(first), int(second), int(third)
    try:
        if len(first) == 4:  # 2018-02-21
            return date(a, b, c)
        if sep == "." or a > 12:  # 21.02.2018, 21/02/2018
            return date(c, b, a)
        return date(c, a, b)  # 2/21/2018 (the US order Windows Installer writes on en-US systems)
    except ValueError:
        return None


def msi_local_keys(records) -> tuple[list[int | None], list[int | None]]:
    """Local keys of an MSI verbose log's lines (None where no time is known yet): the date comes from the
    `logging started` header, the time of day from `MSI (s) (..) [HH:MM:SS:mmm]` and `Action start HH:MM:SS`
    lines; a time of day more than 12 hours before the previous one means the clock passed midnight. A
    whole-second time within the second of a finer one before it keeps the file order (it is not earlier).
    Returns (local keys as written, keys to order by)."""
    keys: list[int | None] = []
    order: list[int | None] = []
    day: int | None = None
    last: int | None = None
    for record in records:
        message = record.message
        key = None
        fine = False
        m = _MSI_HEADER.search(message)
        if m:
            found = _msi_date(m.group(1), m.group(2), m.group(3), m.group(4))
            if found is not None:
                day = found.toordinal() * DAY_MS - DAY_MS
                key = day + (int(m.group(5)) * 3600 + int(m.group(6)) * 60 + int(m.group(7))) * 1000
        elif day is not None:
            m = _MSI_BRACKET.match(message)
            fine = m is not None
            if m is None:
                m = _MSI_ACTION.match(message)
            if m:
                hh, mm, ss = int(m.group(1)), int(m.group(2)), int(m.group(3))
                if hh < 24 and mm < 60 and ss < 60:
                    key = day + (hh * 3600 + mm * 60 + ss) * 1000 + (int(m.group(4)) if fine else 0)
                    if last is not None and key < last - DAY_MS // 2:
                        day += DAY_MS
                        key += DAY_MS
        keys.append(key)
        if key is not None:
            if not fine and last is not None and last - 1000 < key < last:
                key = last
            last = key
        order.append(key)
    return keys, order
