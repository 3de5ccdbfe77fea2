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
from itertools import compress, count, repeat
from operator import add, attrgetter, getitem, is_, lt, ne

from wizard.core.logparse import BIAS_CONVENTIONS, MAX_BIAS, MIN_BIAS

__all__ = ["CONVENTIONS", "DAY_MS", "effective_bias", "key_to_datetime", "key_to_iso", "msi_local_keys",
           "record_key", "record_keys"]

CONVENTIONS = BIAS_CONVENTIONS  # ("windows", "offset"): Windows bias (ConfigMgr) | UTC offset (script logs)
DAY_MS = 86_400_000
_EPOCH = datetime.min

_day_cache: dict[str, int | None] = {}
_second_cache: dict[str, int | None] = {}
_bias_cache: dict[str, int | None] = {}


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


def _bias(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def effective_bias(written: int | None, convention: str) -> int | None:
    """Minutes to add to local time for UTC: the bias as written (Windows convention) or the negated UTC offset;
    None when nothing is written or it is no real time zone (outside -840...+720 once converted), like
    `logparse.to_utc`."""
    if written is None:
        return None
    minutes = written if convention == "windows" else -written
    return minutes if MIN_BIAS <= minutes <= MAX_BIAS else None


def record_key(record) -> tuple[int | None, int | None]:
    """(local milliseconds or None, bias as written or None) of a CCM, legacy or date-prefixed plain record."""
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
            if day is not None and second is not None and frac.isascii() and frac.isdigit() and \
                    (not rest or rest[0] in "+-"):
                bias = None
                if rest:
                    bias = _bias_cache.get(rest, -1)
                    if bias == -1:
                        bias = _bias_cache[rest] = _bias(rest)
                # An odd bias spelling (`+-480`) falls through to the parser, which knows it.
                if bias is not None or not rest:
                    return day + second + int(frac), bias
    local_time = record.time
    return (None if local_time is None else datetime_key(local_time)), record.bias


class _Memo(dict):
    """A value per text, computed on first sight: `map(memo.__getitem__, texts)` runs at C speed for the texts
    seen before. Cleared when it grows past `limit` entries (odd logs can hold many distinct texts)."""

    def __init__(self, compute, limit: int = 200_000) -> None:
        super().__init__()
        self._compute = compute
        self._limit = limit

    def __missing__(self, text: str):
        if len(self) >= self._limit:
            self.clear()
        value = self[text] = self._compute(text)
        return value


_ODD = -(1 << 62)  # a part that is not canonical: the sum of the parts is then below _ODD // 2
_ODD_BIAS = object()


def _day_part(date_text: str) -> int:
    day = _day_ms(date_text) if len(date_text) == 10 else None
    return _ODD if day is None else day


def _second_part(hms: str) -> int:
    second = _second_ms(hms) if len(hms) == 8 else None
    return _ODD if second is None else second


def _fraction_part(text: str) -> int:
    """`.mmm` (the dot and three digits after the seconds)."""
    if len(text) == 4 and text[0] == "." and text.isascii() and text[1:].isdigit():
        return int(text[1:])
    return _ODD


def _bias_part(rest: str):
    """The bias after `.mmm`: None when nothing is written, _ODD_BIAS for what only the parser reads."""
    if not rest:
        return None
    if rest[0] not in "+-":
        return _ODD_BIAS
    bias = _bias(rest)
    return _ODD_BIAS if bias is None else bias


_DAYS = _Memo(_day_part)
_SECONDS = _Memo(_second_part)
_FRACTIONS = _Memo(_fraction_part)
_BIASES = _Memo(_bias_part)
_HMS, _FRACTION, _REST = slice(0, 8), slice(8, 12), slice(12, None)


def record_keys(records: list, block: int = 16_384) -> tuple[list, list]:
    """`record_key` of every record, column-wise: canonical CCM times (`HH:MM:SS.mmm+BBB`, `MM-DD-YYYY`) go
    through C-level maps over memos of their parts, `block` records at a time (the GIL is released between
    blocks); anything else through `record_key` one by one."""
    locals_: list = []
    biases: list = []
    for at in range(0, len(records), block):
        part = records[at:at + block]
        times = list(map(_TIME_TEXT, part))
        locals_ += map(add, map(add, map(_DAYS.__getitem__, map(_DATE_TEXT, part)),
                                map(_SECONDS.__getitem__, map(getitem, times, repeat(_HMS)))),
                       map(_FRACTIONS.__getitem__, map(getitem, times, repeat(_FRACTION))))
        biases += map(_BIASES.__getitem__, map(getitem, times, repeat(_REST)))
    odd: set[int] = set()
    for at in range(0, len(records), block):
        part = slice(at, at + block)
        if min(locals_[part], default=0) < _ODD // 2:
            odd.update(compress(count(at), map(lt, locals_[part], repeat(_ODD // 2))))
        if _ODD_BIAS in biases[part]:
            odd.update(compress(count(at), map(is_, biases[part], repeat(_ODD_BIAS))))
        fmts = list(map(_FMT, records[part]))
        if fmts.count("ccm") != len(fmts):
            odd.update(compress(count(at), map(ne, fmts, repeat("ccm"))))
    for i in odd:
        locals_[i], biases[i] = record_key(records[i])
    return locals_, biases


_TIME_TEXT = attrgetter("time_text")
_DATE_TEXT = attrgetter("date_text")
_FMT = attrgetter("fmt")


def datetime_key(value: datetime) -> int:
    delta = value.replace(tzinfo=None) - _EPOCH
    return delta.days * DAY_MS + delta.seconds * 1000 + delta.microseconds // 1000


def key_to_datetime(key: int, *, utc: bool = False) -> datetime:
    value = _EPOCH + timedelta(milliseconds=key)
    return value.replace(tzinfo=UTC) if utc else value


_second_text: dict[int, str] = {}  # whole seconds -> "YYYY-MM-DDTHH:MM:SS" (many records share a second)


def key_to_iso(key: int | None, *, utc: bool) -> str | None:
    """ISO 8601 to the millisecond; UTC times end in `Z`, local wall times have no zone."""
    if key is None:
        return None
    second, millis = divmod(key, 1000)
    text = _second_text.get(second)
    if text is None:
        day, seconds = divmod(second, 86_400)
        try:
            day_text = date.fromordinal(day + 1).isoformat()
        except (ValueError, OverflowError):
            return None
        minutes, sec = divmod(seconds, 60)
        hour, minute = divmod(minutes, 60)
        if len(_second_text) > 200_000:
            _second_text.clear()
        text = _second_text[second] = f"{day_text}T{hour:02d}:{minute:02d}:{sec:02d}"
    return text + (_MILLIS_Z[millis] if utc else _MILLIS[millis])


_MILLIS = [f".{millis:03d}" for millis in range(1000)]
_MILLIS_Z = [f"{text}Z" for text in _MILLIS]


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
