"""Parse Configuration Manager logs: CCM/CMTrace records, the legacy `$$<` format, MSI verbose logs and plain text.

How text becomes records — the same for a whole file, for text fed piece by piece (`RecordParser`, the tailer) and
for a file streamed in chunks (`iter_file_records`):

- A CCM record starts at `<![LOG[` and ends at the first later `]LOG]!>` that is directly followed by a well-formed
  attribute block (`<name="value" ...>`, line breaks allowed; see `logscan`). The message is everything in
  between, so a message holding a literal `<![LOG[` (a script logging its own log lines) or a stray `]LOG]!>`
  stays one record, as in CMTrace; the next record is looked for after this one's end. A message may span lines
  (CR LF inside it becomes LF).
- A `<![LOG[` with no such end within MAX_RECORD_CHARS (4 Mi) characters is not a record: those characters are
  plain text and the search resumes behind them. Likewise a plain line longer than that is cut into pieces of that
  length. This bounds what an incremental reader ever holds back.
- Everything else is plain text, one record per non-blank physical line (LF; a CR before it is dropped); text on
  the same line before or after a CCM record is a plain record of its own. Nothing is silently dropped and nothing
  raises on bad input.
- A plain line ending in `$$<component><MM-DD-YYYY HH:MM:SS.mmm+bias><thread=N ...>` is a legacy SMS trace record
  (`~~` in its message is a line break); from the first `=== Verbose logging started` / `MSI (c|s|a) (` line on,
  lines are MSI verbose-log lines.

Fields:
- `type`: the CMTrace severity. CCM records keep the written `type` 0-3: 1 informational, 2 warning, 3 error, and 0
  as written — ccmsetup writes its MSI pass-through lines with 0 and PSADT-style writers use 0 for "success";
  CMTrace colours it like 1, and so should callers (0 is never a warning or error). A missing or other `type` is
  judged from the text. Plain, legacy and MSI lines are judged from whole words, CMTrace's red/yellow rule made
  word-exact: `error(s)`, `fail`, `fails`, `failed`, `failing`, `failure(s)`, `fatal`, `exception(s)` (also
  ending a .NET class name: `IOException`) -> 3; `warn`, `warns`, `warned`, `warning(s)` -> 2; else 1. So
  "Failover to backup" and "ERROR_SUCCESS" are not errors; letters glue words, digits and `_` do not
  ("error_code", "Error:0x5" count). MSI lines also count
  `Return value 3`, `Error NNNN.`, `returned actual error code` and `Product: ... -- Error` as errors.
- `thread`: the text as written (`"1456"`); an empty `thread=""` is no thread (None), as for plain lines.
- `time`: the local wall time as written (naive). Plain and MSI lines get one when they start (optionally after
  `[`) with a date and time: ISO `2026-11-26 10:00:00` / `2026-11-26T10:00:00.123Z` / `...+01:00`, year first
  with `/`, US `11/26/2026 10:00:00 AM` (a `/` date is always month/day/year, a `-` date month-day-year as in CCM
  logs), European `26.11.2026 10:00:00` (a `.` date is always day.month.year). Ambiguous forms are not guessed.
- `bias`: the number written after a CCM or legacy time, as written (`+-480`, a script's '+' glued to a negative
  number, is -480); None when absent. ConfigMgr writes the Windows bias, UTC = local + bias (+480 US Pacific, -120
  CEST); `utc_time` uses that convention. Script-written CMTrace-format logs often carry the UTC offset instead
  (the opposite sign): callers that know a source is such a log use `to_utc(time, bias, "offset")`. A number
  written without a sign (some script writers glue a positive offset to the milliseconds: `10:00:00.00060`) cannot
  be told from a longer fraction (IME logs write 7 digits) and is read as the fraction: no bias. For ISO lines with
  `Z` or an offset, `bias` is the equivalent Windows bias (`+01:00` -> -60), so `utc_time` is right.
- `bias_valid`: False only when a bias is written but outside MIN_BIAS...MAX_BIAS (-840...+720, the range of real
  Windows biases); then `time` is kept and `utc_time` is None. True when no bias is written.
- `offset`: the byte offset of the record's first byte in the file (BOM included), so callers can apply a launch
  offset ("only records written after the launch count").

Speed: text is read in windows of 256K characters. Canonical records back to back (the attribute order every
ConfigMgr component writes) are split at their joints by one `re.split` whose pattern starts with a literal (message
text is skipped at `str.find` speed) and built column-wise with C-level map/zip, up to the first record that is
not like that; from there the window goes record by record (`logscan`'s split and hand-written scanner), and the
next window tries the bulk path again. Every path is linear in the input size and gives the same records.
Timestamps are parsed lazily, on first access.
"""

from __future__ import annotations

import codecs
import gc
import re
from collections import namedtuple
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import accumulate, compress, count, repeat
from operator import add

from wizard.core import logscan
from wizard.core.logscan import END as _END
from wizard.core.logscan import GROUPS as _GROUPS
from wizard.core.logscan import MAX_RECORD_CHARS
from wizard.core.logscan import START as _START

__all__ = [
    "BIAS_CONVENTIONS",
    "MAX_BIAS",
    "MAX_RECORD_CHARS",
    "MIN_BIAS",
    "LogRecord",
    "RecordParser",
    "decode_bytes",
    "detect_encoding",
    "errors_for",
    "iter_file_batches",
    "iter_file_records",
    "parse_bytes",
    "parse_file",
    "to_utc",
]

_LEGACY_TAIL = re.compile(r"\$\$<([^>]*)><([^>]*)><thread=(\d+)[^>]*>\s*\Z")
_LEGACY_TS = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4}) (\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?([+-]{1,2}\s*\d{1,9})?")
_CCM_TIME = re.compile(r"(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?\s*([+-]{1,2}\s*\d{1,9})?")
_CCM_DATE = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})")
# A date and time at the start of a plain line. `/` dates are month/day (US) unless the year comes first, `.` dates
# are day.month (European), `-` dates are ISO when the year comes first, else month-day as in CCM logs.
_PLAIN_TIME = re.compile(
    r"[ \t]{0,8}\[?"
    r"(?:(?P<iy>\d{4})(?P<isep>[-/])(?P<im>\d{1,2})(?P=isep)(?P<id>\d{1,2})"
    r"|(?P<um>\d{1,2})(?P<usep>[/-])(?P<ud>\d{1,2})(?P=usep)(?P<uy>\d{4})"
    r"|(?P<ed>\d{1,2})\.(?P<em>\d{1,2})\.(?P<ey>\d{4}))"
    r"(?:T|[ \t]{1,3}|,[ \t]?)"
    r"(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,7}))?)?"
    r"(?:[ \t]?(?P<ampm>[AaPp])\.?[Mm]\.?)?"
    r"(?P<tz>Z|[+-]\d{2}(?::?\d{2})?)?"
    r"(?![\w:])"
)
_SURROGATE = re.compile("[\ud800-\udfff]")
_MSI_HINT = re.compile(r"^(?:=== (?:Verbose )?logging started|MSI \([csa]\) \()", re.I)
_MSI_ERROR = re.compile(r"Return value 3\b|\bError \d{4}\.|returned actual error code", re.I)
_ERROR_WORD = re.compile(
    r"(?:(?<![A-Za-z])(?:errors?(?!_success)|fail(?:s|ed|ing|ures?)?|fatal)|exceptions?)(?![A-Za-z])", re.I)
_WARNING_WORD = re.compile(r"(?<![A-Za-z])warn(?:s|ed|ings?)?(?![A-Za-z])", re.I)
_ERROR_STEMS = ("error", "fail", "fatal", "exception")  # what every match of _ERROR_WORD holds
_ATTRIBUTE = re.compile(r'([A-Za-z_][\w.:-]*)\s*=\s*"([^"]*)"')
_TYPES = {"0": 0, "1": 1, "2": 2, "3": 3}
_MAX_SHARED = 100_000

# Windows time-zone biases (TIME_ZONE_INFORMATION.Bias, UTC = local + bias) lie within UTC+14 (-840) ... UTC-12 (+720).
MIN_BIAS = -840
MAX_BIAS = 720
# "windows": UTC = local + bias (ConfigMgr's own logs); "offset": the number is the UTC offset, minutes east of UTC,
# so UTC = local - offset (what PSADT-style script writers put into CMTrace-format logs).
BIAS_CONVENTIONS = ("windows", "offset")


def to_utc(local: datetime | None, bias: int | None, convention: str = "windows") -> datetime | None:
    """UTC (aware) for a local wall time and the number written after it; None when either is missing or the number
    is not a real time-zone bias (Windows range -840...+720; mirrored, -720...+840, for the "offset" convention)."""
    if convention not in BIAS_CONVENTIONS:
        raise ValueError(f"convention must be one of {BIAS_CONVENTIONS}, not {convention!r}")
    if local is None or bias is None:
        return None
    minutes = bias if convention == "windows" else -bias
    if not MIN_BIAS <= minutes <= MAX_BIAS:
        return None
    try:
        return (local + timedelta(minutes=minutes)).replace(tzinfo=UTC)
    except OverflowError:
        return None


_LogRecordFields = namedtuple(
    "_LogRecordFields", "message component context type thread file fmt offset time_text date_text",
    defaults=("", "", 1, None, "", "plain", 0, "", ""))


class LogRecord(_LogRecordFields):
    """One log entry (a named tuple). `type`: 0 written as 0 (shown like 1), 1 info, 2 warning, 3 error.

    `time` is the local wall time as written; `bias` the number written after it (Windows convention: UTC = local +
    bias); both are parsed from `time_text`/`date_text` (plain and MSI lines: from the message) on first access.
    `thread` is the text as written, None when there is none. See the module docstring for the rules.
    """

    # No __slots__ on purpose: the instance dict is only created when a parsed timestamp gets cached, and a
    # tuple subclass can be built in C (tuple.__new__) by the bulk path of the parser.

    def _parse_time(self):
        try:
            return self.__dict__["_parsed"]
        except KeyError:
            if self.fmt in ("plain", "msi"):
                parsed = _plain_timestamp(self.message)
            else:
                parsed = _parse_timestamp(self.fmt, self.time_text, self.date_text)
            self.__dict__["_parsed"] = parsed
            return parsed

    @property
    def time(self) -> datetime | None:
        return self._parse_time()[0]

    @property
    def bias(self) -> int | None:
        return self._parse_time()[1]

    @property
    def bias_valid(self) -> bool:
        """False only when a bias is written but is not a real time-zone bias (outside MIN_BIAS...MAX_BIAS)."""
        bias = self._parse_time()[1]
        return bias is None or MIN_BIAS <= bias <= MAX_BIAS

    @property
    def utc_time(self) -> datetime | None:
        """Timestamp in UTC (aware), Windows convention (UTC = local + bias), when time and a valid bias are known."""
        local, bias = self._parse_time()
        return to_utc(local, bias)

    def __repr__(self):
        return (f"LogRecord(offset={self.offset}, fmt={self.fmt!r}, type={self.type}, "
                f"component={self.component!r}, message={self.message[:80]!r})")


_new_record = partial(tuple.__new__, LogRecord)


def _parse_timestamp(fmt: str, time_text: str, date_text: str) -> tuple[datetime | None, int | None]:
    """(local datetime, bias minutes); (None, None) parts when unparseable. Never raises."""
    try:
        if fmt == "legacy":
            m = _LEGACY_TS.search(time_text)
            if not m:
                return None, None
            mon, day, year, hh, mm, ss, frac, bias = m.groups()
            return datetime(int(year), int(mon), int(day), int(hh), int(mm), int(ss), _micro(frac)), _bias_number(bias)
        if not time_text:
            return None, None
        tm = _CCM_TIME.match(time_text.strip())
        dm = _CCM_DATE.match(date_text.strip())
        bias = _bias_number(tm.group(5)) if tm else None
        if not tm or not dm:
            return None, bias
        hh, mm, ss, frac, _ = tm.groups()
        mon, day, year = dm.groups()
        return datetime(int(year), int(mon), int(day), int(hh), int(mm), int(ss), _micro(frac)), bias
    except (ValueError, OverflowError):
        return None, None


def _plain_timestamp(line: str) -> tuple[datetime | None, int | None]:
    """(local datetime, Windows bias) from a date and time at the start of a plain line; (None, None) without."""
    m = _PLAIN_TIME.match(line)
    if not m:
        return None, None
    g = m.groupdict()
    if g["iy"]:
        year, month, day = g["iy"], g["im"], g["id"]
    elif g["uy"]:
        year, month, day = g["uy"], g["um"], g["ud"]
    else:
        year, month, day = g["ey"], g["em"], g["ed"]
    hour = int(g["H"])
    if g["ampm"]:
        if not 1 <= hour <= 12:
            return None, None
        hour = hour % 12 + (12 if g["ampm"] in "Pp" else 0)
    bias = None
    tz = g["tz"]
    if tz == "Z":
        bias = 0
    elif tz:
        offset = int(tz[1:3]) * 60 + (int(tz[-2:]) if len(tz) > 3 else 0)
        bias = offset if tz[0] == "-" else -offset  # minutes east of UTC -> Windows bias
    try:
        local = datetime(int(year), int(month), int(day), hour, int(g["M"]), int(g["S"] or 0), _micro(g["f"]))
    except (ValueError, OverflowError):
        return None, None
    return local, bias


def _micro(fraction: str | None) -> int:
    return int((fraction or "0").ljust(6, "0")[:6])


def _bias_number(text: str | None) -> int | None:
    """The signed number after the time: `+480`, `-120`, `+-480` (a script writer's '+' glued to a negative
    number) is -480."""
    if not text:
        return None
    digits = text.lstrip("+- \t")
    value = int(digits)
    return -value if "-" in text[:len(text) - len(digits)] else value


def _text_severity(text: str) -> int:
    """CMTrace's red/yellow rule for text without a type, on whole words: errors 3, warnings 2, else 1."""
    if text.isascii():
        # Every word the rule knows holds one of these (ASCII text: lower() folds as the patterns' IGNORECASE
        # does), so most lines are settled without a regex.
        low = text.lower()
        if "warn" not in low and not any(word in low for word in _ERROR_STEMS):
            return 1
    if _ERROR_WORD.search(text):
        return 3
    if _WARNING_WORD.search(text):
        return 2
    return 1


def _msi_severity(line: str) -> int:
    low = line.lower()
    if line.isascii() and "warn" not in low and "error" not in low and "return value 3" not in low:
        return 1  # no pattern below can match (see _text_severity)
    if _MSI_ERROR.search(line):
        return 3
    product = low.find("product: ")
    if product >= 0 and low.find(" -- error", product + 9) >= 0:  # "Product: <name> -- Error 1603. ..."
        return 3
    return 2 if _WARNING_WORD.search(line) else 1


# ---------------------------------------------------------------------------------------------------------------
# Encodings


_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def detect_encoding(head: bytes) -> tuple[str, int]:
    """(codec name, BOM length) from the first bytes of a file.

    BOM wins; UTF-16 without BOM is recognised by NUL bytes in ASCII positions; otherwise UTF-8 if the bytes are
    valid UTF-8 (a multi-byte sequence cut at the end is tolerated), else Windows-1252.
    """
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name, len(bom)
    if len(head) >= 4 and head[1] == 0 and head[3] == 0 and head[0] != 0:
        return "utf-16-le", 0
    if len(head) >= 4 and head[0] == 0 and head[2] == 0 and head[1] != 0:
        return "utf-16-be", 0
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8", 0
    except UnicodeDecodeError:
        return "cp1252", 0


def errors_for(encoding: str) -> str:
    """Decode error handler that keeps the byte length of the text recoverable (needed for byte offsets)."""
    return "surrogatepass" if encoding.startswith("utf-16") else "surrogateescape"


def _body_codec(encoding: str) -> str:
    # After the BOM has been skipped, utf-8-sig bodies are plain utf-8.
    return "utf-8" if encoding == "utf-8-sig" else encoding


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode a whole log file: (text without BOM, encoding name). Never raises."""
    encoding, bom = detect_encoding(data[:65536])
    codec = _body_codec(encoding)
    return _decode_lenient(data[bom:], codec), encoding


def _decode_lenient(body: bytes, codec: str) -> str:
    decoder = codecs.getincrementaldecoder(codec)(errors_for(codec))
    text = decoder.decode(body, final=False)
    rest, _ = decoder.getstate()
    if rest:
        # An odd trailing UTF-16 byte or a cut UTF-8 sequence: keep it visible rather than dropping it.
        text += rest.decode("latin-1")
    return text


# ---------------------------------------------------------------------------------------------------------------
# Incremental parser


class RecordParser:
    """Turns decoded text into records, holding back an incomplete last record or line between `feed` calls.

    `encoding` is the codec the text was decoded with (needed to turn character positions into byte offsets).
    `feed(text, start_offset)`: `start_offset` is the byte offset of `text[0]` in the file; only needed for the
    first call, later calls continue where the previous text ended when it is None. Feeding a text in pieces of any
    size gives the same records as feeding it whole; held-back text is re-read only when new text can complete it,
    so the total work stays linear however small the pieces.
    """

    # Class attributes so tests can lower them; see the module docstring. A buffer is parsed in windows of
    # `window_chars`: the bulk path's temporaries then stay in the CPU caches (about twice as fast as one split of
    # a 50 MB text) and are freed as it goes.
    max_record_chars = MAX_RECORD_CHARS
    window_chars = 1 << 18

    def __init__(self, encoding: str = "utf-8", *, lean: bool = False, share: bool = False):
        self.encoding = _body_codec(encoding)
        # Share: equal messages, components, contexts, dates, threads and files of canonical records are one
        # string (a log repeats most of them: about 250 bytes less per record, more for a repeated message), for
        # callers that keep every record (Diagnose).
        self._shared: dict[str, str] | None = {} if share else None
        # Lean: canonical records are built without context, file and offset (-1, "not kept"), about a third
        # fewer strings; for callers that only judge records (`log summary` without --since-offset).
        self._bulk = self._emit_lean if lean else self._emit_canonical
        self._ascii_compatible = not self.encoding.startswith("utf-16")
        self._errors = errors_for(self.encoding)
        self._held: list[str] = []  # text not emitted yet, in the pieces it came in
        self._offset = 0  # byte offset of the held text (of the next text when nothing is held)
        self._watch: logscan.HeldText | None = None
        self._msi = False
        self._newline_bytes = len("\n".encode(self.encoding))

    @property
    def pending_text(self) -> str:
        return "".join(self._held)

    @property
    def pending_offset(self) -> int:
        """Byte offset of the first byte not yet emitted as a record."""
        return self._offset

    def feed(self, text: str, start_offset: int | None = None) -> list:
        if not self._held and start_offset is not None:
            self._offset = start_offset
        if not text:
            return []
        self._held.append(text)
        if self._watch is not None and not self._watch.wake(text):
            return []
        return self._reparse(final=False)

    def flush(self) -> list:
        """Emit whatever is held back (end of file / file rotated away)."""
        if not self._held:
            return []
        return self._reparse(final=True)

    def _reparse(self, final: bool) -> list:
        text = self._held[0] if len(self._held) == 1 else "".join(self._held)
        records, chars, nbytes, state = self._parse(text, self._offset, final)
        self._offset += nbytes
        rest = text[chars:]
        self._held = [rest] if rest else []
        if not rest:
            self._watch = None
        elif state is None:
            self._watch = logscan.HeldText(rest, self.max_record_chars)
        else:
            open_at, waiting, search = state
            self._watch = logscan.HeldText(rest, self.max_record_chars, open_at - chars,
                                           None if waiting is None else waiting - chars, search - chars)
        return records

    def _byte_len(self, text: str) -> int:
        if not text:
            return 0
        if text.isascii():
            return len(text) * self._newline_bytes  # ASCII: one code unit a character (UTF-16's are 2 bytes)
        return len(text.encode(self.encoding, self._errors))

    def _parse(self, text: str, base: int, final: bool):
        """(records, characters consumed, bytes consumed, state of an open record held back or None). When not
        final, an incomplete trailing record or line is not consumed."""
        # Records and strings form no reference cycles, yet allocating ~100k of them triggers repeated cyclic-GC
        # passes that double the parse time on big files; pause the collector for the duration of one buffer.
        paused = gc.isenabled()
        if paused:
            gc.disable()
        try:
            return self._parse_buffer(text, base, final)
        finally:
            if paused:
                gc.enable()

    def _parse_buffer(self, text: str, base: int, final: bool):
        """Window by window: the canonical bulk path where it applies, else the record-by-record path."""
        out: list = []
        pos, bpos, n = 0, base, len(text)
        state = None
        while pos < n:
            state = None
            end = min(n, pos + self.window_chars)
            last = end == n
            window = text if pos == 0 and last else text[pos:end]
            chars, nbytes = self._bulk(window, bpos, out)
            if chars:
                pos, bpos = pos + chars, bpos + nbytes
                continue
            chars, nbytes, state = self._parse_general(window, bpos, final and last, out)
            if not chars and not last:
                # Nothing settles within the window (a record longer than it): read the rest in one go.
                window, last = text[pos:], True
                chars, nbytes, state = self._parse_general(window, bpos, final, out)
            if state is not None:
                state = tuple(None if at is None else at + pos for at in state)
            pos, bpos = pos + chars, bpos + nbytes
            if last:
                break
        return out, pos, bpos - base, state

    def _parse_general(self, text: str, base: int, final: bool, out: list):
        """The record-by-record path: (characters, bytes consumed, state of an open record held back or None)."""
        fast = self._ascii_compatible and text.isascii()
        pos, bpos = 0, base
        parts = logscan.split(text)
        if len(parts) > 1:
            pos, bpos = self._emit_records(parts, bpos, out, fast)
        end, bpos, state = self._scan(text, pos, bpos, final, out, fast)
        return end, bpos - base, state

    def _emit_canonical(self, text: str, base: int, out: list) -> tuple[int, int]:
        """The common case — canonical CCM records back to back, nothing but white space before the first — built
        column-wise with C-level map/zip from one `re.split` instead of a Python loop per record. Emits the records
        up to the first one it cannot settle (a message holding `]LOG]!>`, an over-long message, text between
        records, the last record of the text) and returns the (characters, bytes) consumed, (0, 0) for none."""
        parts = logscan.split_canonical(text)
        step = logscan.JOINT_GROUPS + 1
        records = (len(parts) - 1) // step
        if records <= 0:
            return 0, 0
        first = parts[0]
        lead = first.find(_START)
        if lead < 0 or (lead and not first[:lead].isspace()):
            return 0, 0
        bytewise = self._ascii_compatible and text.isascii()  # a character is a byte
        if not bytewise and _SURROGATE.search(text):
            return 0, 0  # undecodable bytes: the record-by-record path replaces them
        stop = records * step
        messages = parts[0:stop:step]
        messages[0] = first[lead + len(_START):]
        heads = parts[1:stop:step]
        chars = list(accumulate(map(add, map(add, map(len, messages), map(len, heads)), repeat(len(_START))),
                                initial=lead))
        # A message holding `]LOG]!>` may end earlier under the grammar (a non-canonical block after it), and one
        # longer than the limit is no record: settle the records before the first such message only.
        bad = None
        if text.count(_END, 0, chars[-1]) != records:
            bad = next(compress(count(), map(str.__contains__, messages, repeat(_END))))
        if chars[-1] > self.max_record_chars and max(map(len, messages)) > self.max_record_chars:
            long = next(compress(count(), map(int.__lt__, repeat(self.max_record_chars), map(len, messages))))
            bad = long if bad is None else min(bad, long)
        if bad is not None:
            if bad == 0:
                return 0, 0
            records, stop = bad, bad * step
            del messages[bad:], heads[bad:], chars[bad + 1:]
        if not bytewise:
            byte_len = self._byte_len
            sizes = map(add, map(add, map(byte_len, messages), map(byte_len, heads)), repeat(byte_len(_START)))
            offsets = list(accumulate(sizes, initial=base + byte_len(first[:lead])))
        else:
            offsets = list(map(base.__add__, chars))
        end = offsets.pop()
        types, threads = _columns(messages, parts[6:stop:step], parts[7:stop:step])
        components, contexts, files, dates = (parts[4:stop:step], parts[5:stop:step], parts[8:stop:step],
                                              parts[3:stop:step])
        if self._shared is not None:
            shared = self._shared
            if len(shared) > _MAX_SHARED:
                shared.clear()
            messages, components, contexts, files, dates, threads = (
                list(map(shared.setdefault, column, column))
                for column in (messages, components, contexts, files, dates, threads))
        out.extend(map(_new_record, zip(messages, components, contexts, types, threads, files, repeat("ccm"), offsets,
                                        parts[2:stop:step], dates)))
        return chars[-1], end - base

    def _emit_lean(self, text: str, base: int, out: list) -> tuple[int, int]:
        """`_emit_canonical` for a lean parser: records without context, file and offset (-1), all or none of
        the text's canonical prefix (anything odd in it goes record by record)."""
        parts = logscan.LEAN_JOINT.split(text)
        step = logscan.LEAN_JOINT_GROUPS + 1
        records = (len(parts) - 1) // step
        if records <= 0:
            return 0, 0
        first = parts[0]
        lead = first.find(_START)
        if lead < 0 or (lead and not first[:lead].isspace()):
            return 0, 0
        bytewise = self._ascii_compatible and text.isascii()
        if not bytewise and _SURROGATE.search(text):
            return 0, 0
        consumed = len(text) - len(parts[-1]) - len(_START)  # where the last record, not settled here, starts
        stop = records * step
        messages = parts[0:stop:step]
        messages[0] = first[lead + len(_START):]
        if text.count(_END, 0, consumed) != records or (
                consumed > self.max_record_chars and max(map(len, messages)) > self.max_record_chars):
            return 0, 0
        types, threads = _columns(messages, parts[4:stop:step], parts[5:stop:step])
        out.extend(map(_new_record, zip(messages, parts[3:stop:step], repeat(""), types, threads, repeat(""),
                                        repeat("ccm"), repeat(-1), parts[1:stop:step], parts[2:stop:step])))
        return consumed, consumed if bytewise else self._byte_len(text[:consumed])

    def _emit_records(self, parts: list, base: int, out: list, fast: bool) -> tuple[int, int]:
        """General case, record by record, up to the first record the split cannot settle — a `]LOG]!>` without a
        valid block (a message holding a stray marker, a cut record), an over-long message, or the split's last
        record: (character, byte) position where the scanner takes over."""
        pos, bpos = 0, base
        gap = parts[0]
        limit = self.max_record_chars
        for i in range(1, len(parts) - 1 - (_GROUPS + 1), _GROUPS + 1):
            msg, head, t, d, comp, ctx, typ, thr, fil, generic = parts[i:i + _GROUPS]
            if (t is None and generic is None) or len(msg) > limit:
                break
            if gap:
                bpos = self._emit_lines(gap, bpos, out, fast)
                pos += len(gap)
            size = len(_START) + len(msg) + len(head)
            out.append(self._ccm_record(msg, t, d, comp, ctx, typ, thr, fil, generic, bpos, fast))
            bpos += size if fast else self._byte_len(_START + msg + head)
            pos += size
            gap = parts[i + _GROUPS]
        return pos, bpos

    def _scan(self, text: str, pos: int, bpos: int, final: bool, out: list, fast: bool):
        """The hand-written scanner from `pos` (a place where plain text may be cut) to the end of `text`:
        (characters consumed, byte position reached, state of a held-back open record or None)."""
        n = len(text)
        limit = self.max_record_chars
        while pos < n:
            start = text.find(_START, pos)
            if start < 0:
                end = n if final else logscan.hold_point(text, pos, n, limit, growing=True)
                return end, self._emit_lines(text[pos:end], bpos, out, fast), None
            verdict, found = logscan.find_end(text, start, final, limit)
            if verdict == "record":
                bpos = self._emit_lines(text[pos:start], bpos, out, fast)
                msg = text[start + len(_START):found.start()]
                t, d, comp, ctx, typ, thr, fil, generic = found.groups()
                out.append(self._ccm_record(msg, t, d, comp, ctx, typ, thr, fil, generic, bpos, fast))
                pos = found.end()
                bpos += pos - start if fast else self._byte_len(text[start:pos])
            elif verdict == "none":
                # Not a record: the characters it would have covered are plain text.
                end = min(n, start + len(_START) + limit)
                bpos = self._emit_lines(text[pos:end], bpos, out, fast)
                pos = end
            else:
                hold = logscan.hold_point(text, pos, start, limit, growing=False)
                bpos = self._emit_lines(text[pos:hold], bpos, out, fast)
                search = found if found is not None else max(start + len(_START), n - (len(_END) - 1))
                return hold, bpos, (start, found, search)
        return pos, bpos, None

    def _ccm_record(self, msg, t, d, comp, ctx, typ, thr, fil, generic, offset: int, fast: bool) -> LogRecord:
        if t is None:
            t, d, comp, ctx, typ, thr, fil = _generic_attributes(generic)
        severity = _TYPES.get(typ)
        if severity is None:
            severity = _odd_type(typ, msg)
        if "\r" in msg:
            msg = msg.replace("\r\n", "\n")
        if not fast:
            msg, t, d, comp, ctx, thr, fil = map(_clean, (msg, t, d, comp, ctx, thr, fil))
        return LogRecord(msg, comp, ctx, severity, thr or None, fil, "ccm", offset, t, d)

    def _emit_lines(self, gap: str, pos: int, out: list, fast: bool) -> int:
        """Plain text: one record per non-blank physical line, a line longer than `max_record_chars` in pieces of
        that length. `gap` starts where plain text may be cut; returns the byte position after it."""
        if not gap:
            return pos
        if gap.isspace():
            return pos + (len(gap) if fast else self._byte_len(gap))
        limit = self.max_record_chars
        long = len(gap) > limit
        for line in gap.split("\n"):
            pieces = [line[i:i + limit] for i in range(0, len(line), limit)] if long and len(line) > limit \
                else (line,)
            for piece in pieces:
                text = piece.rstrip("\r")
                if text and not text.isspace():
                    out.append(self._plain_record(text if fast else _clean(text), pos))
                pos += len(piece) if fast else self._byte_len(piece)
            pos += self._newline_bytes
        return pos - self._newline_bytes  # no line break after the last line

    def _plain_record(self, line: str, offset: int) -> LogRecord:
        if "$$<" in line:
            dollar = line.rfind("$$<")
            m = _LEGACY_TAIL.match(line, dollar)
            if m:
                msg = line[:dollar].replace("~~", "\n").rstrip()
                return LogRecord(msg, m.group(1), "", _text_severity(msg), m.group(3), "", "legacy", offset,
                                 m.group(2), "")
        if self._msi or _MSI_HINT.match(line):
            self._msi = True
            return LogRecord(line, "msi", "", _msi_severity(line), None, "", "msi", offset)
        return LogRecord(line, "", "", _text_severity(line), None, "", "plain", offset)


def _columns(messages: list, types: list, threads: list) -> tuple[list, list]:
    """Severities and threads of canonical records column-wise; multi-line messages get LF line breaks (in place)."""
    severities = list(map(_TYPES.get, types))
    if None in severities:
        severities = [_odd_type(typ, msg) if sev is None else sev
                      for sev, typ, msg in zip(severities, types, messages, strict=True)]
    if "" in threads:
        threads = [thread or None for thread in threads]
    for i in compress(count(), map(str.__contains__, messages, repeat("\r"))):  # multi-line ones only
        messages[i] = messages[i].replace("\r\n", "\n")
    return severities, threads


def _clean(text: str | None) -> str:
    if not text:
        return text or ""
    return _SURROGATE.sub("\ufffd", text) if not text.isascii() else text


def _generic_attributes(block: str | None) -> tuple:
    """Attributes in any order, some possibly missing: (time, date, component, context, type, thread, file)."""
    attrs = {k.lower(): v for k, v in _ATTRIBUTE.findall(block or "")}
    return (attrs.get("time", ""), attrs.get("date", ""), attrs.get("component", ""), attrs.get("context", ""),
            attrs.get("type"), attrs.get("thread", ""), attrs.get("file", ""))


def _odd_type(typ: str | None, msg: str) -> int:
    """A type attribute that is missing or not 0-3: trust digits when in range, else judge by the text."""
    if typ and typ.strip().isdigit():
        value = int(typ.strip())
        if 0 <= value <= 3:
            return value
    return _text_severity(msg)


def parse_bytes(data: bytes) -> list:
    """Parse a complete file's bytes (offsets count from the first byte, BOM included). Never raises."""
    encoding, bom = detect_encoding(data[:65536])
    codec = _body_codec(encoding)
    text = _decode_lenient(data[bom:], codec)
    parser = RecordParser(codec)
    records = parser.feed(text, bom)
    records.extend(parser.flush())
    return records


def iter_file_records(path, *, since_offset: int = 0, chunk_size: int = 1 << 20) -> Iterator[LogRecord]:
    """Stream a file's records without building a list: the same records, in the same order and with the same
    byte offsets, as `parse_file(path, since_offset=...)`. Reads `chunk_size` bytes at a time, so memory stays
    bounded by the chunk size plus one held-back incomplete record (at most about 2 x MAX_RECORD_CHARS characters,
    only for a corrupt file), not by the file size. Raises OSError if the file cannot be opened or read."""
    for batch in iter_file_batches(path, since_offset=since_offset, chunk_size=chunk_size):
        yield from batch


def iter_file_batches(path, *, since_offset: int = 0, chunk_size: int = 1 << 20, lean: bool = False) -> Iterator[list]:
    """`iter_file_records` one non-empty list of records per chunk read: for callers that work on whole batches
    (counting levels with C-level list operations) rather than paying a generator step per record. `lean`: see
    RecordParser (canonical records without context, file and offset; not with `since_offset`)."""
    if lean and since_offset:
        raise ValueError("a lean parse keeps no offsets: since_offset needs lean=False")
    chunk_size = max(1, int(chunk_size))
    with open(path, "rb") as fh:
        head = fh.read(65536)  # what parse_bytes sniffs the encoding from
        encoding, bom = detect_encoding(head)
        codec = _body_codec(encoding)
        decoder = codecs.getincrementaldecoder(codec)(errors_for(codec))
        parser = RecordParser(codec, lean=lean)
        data, start = head[bom:], bom
        while True:
            text = decoder.decode(data, final=False)
            records = parser.feed(text, start) if start is not None else parser.feed(text)
            start = None
            records = _since(records, since_offset)
            if records:
                yield records
            data = fh.read(chunk_size)
            if not data:
                break
        rest, _ = decoder.getstate()
        records = parser.feed(rest.decode("latin-1")) if rest else []
        # Same as a whole-file decode: a cut sequence or odd UTF-16 byte at the end stays visible.
        records = _since(records + parser.flush(), since_offset)
        if records:
            yield records


def _since(records: list, since_offset: int) -> list:
    return [r for r in records if r.offset >= since_offset] if since_offset else records


def parse_file(path, *, since_offset: int = 0) -> list:
    """Parse a file from `since_offset` (records starting before it are skipped). Raises OSError if unreadable.
    The same records as `parse_bytes` of the file's bytes; read in chunks, which needs about half the memory."""
    return list(iter_file_records(path, since_offset=since_offset))
