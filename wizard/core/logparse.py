"""Parse Configuration Manager logs: CCM/CMTrace records, the legacy `$$<` format, MSI verbose logs and plain text.

One compiled pattern walks the decoded buffer; each match is either a complete CCM record or one physical line.
Records are light slotted objects whose timestamp is parsed only when asked for. Nothing raises on bad input:
anything that is not a CCM record becomes a plain record, so no text is silently dropped.

`LogRecord.offset` is the byte offset of the record's first byte in the file, so callers can apply a launch
offset ("only records written after the launch count").
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

__all__ = [
    "BIAS_CONVENTIONS",
    "MAX_BIAS",
    "MIN_BIAS",
    "LogRecord",
    "RecordParser",
    "decode_bytes",
    "detect_encoding",
    "errors_for",
    "iter_file_records",
    "parse_bytes",
    "parse_file",
    "to_utc",
]

# A CCM record: `<![LOG[message]LOG]!><attributes>` plus the line break after it. The message may span lines. The
# canonical attribute order is matched with groups (fast path); anything else falls back to a generic attribute
# block kept on one line. `re.split` with these groups yields [gap, record groups..., gap, ...] without building
# match objects, which is what makes the parser fast; gaps hold plain/legacy/MSI lines and truncated records.
_MSG = r"([^\]]*(?:\](?!LOG\]!>)[^\]]*)*)"
_CANONICAL = (
    r'time="([^"\r\n]*)" date="([^"\r\n]*)" component="([^"\r\n]*)" context="([^"\r\n]*)" '
    r'type="([^"\r\n]*)" thread="([^"\r\n]*)" file="([^"\r\n]*)"'
)
_GENERIC = r'((?:[^>"\r\n]|"[^"\r\n]*")*)'
_PATTERN = re.compile(
    r"<!\[LOG\[" + _MSG + r"(\]LOG\]!><(?:" + _CANONICAL + r"|" + _GENERIC + r")>[ \t]*(?:\r?\n)?)"
)
# groups: message, the rest of the record ("head": `]LOG]!><attributes>` and its line break), 7 canonical
# attributes, generic attribute block. Not capturing the whole record saves copying every record twice; its
# length is 7 + len(message) + len(head).
_GROUPS = 10
_START = "<![LOG["
_END = "]LOG]!>"

_ATTR = re.compile(r'([A-Za-z_]+)\s*=\s*"([^"]*)"')
_LEGACY = re.compile(
    r"^(?P<msg>.*?)\s*\$\$<(?P<comp>[^>]*)><(?P<ts>[^>]*)><thread=(?P<thread>\d+)[^>]*>\s*$", re.S
)
_LEGACY_TS = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4}) (\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?([+-]{1,2}\s*\d{1,9})?")
_CCM_TIME = re.compile(r"(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?\s*([+-]{1,2}\s*\d{1,9})?")
_CCM_DATE = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})")
_SURROGATE = re.compile("[\ud800-\udfff]")
_MSI_HINT = re.compile(r"^(?:=== (?:Verbose )?logging started|MSI \([csa]\) \()", re.I)
_MSI_ERROR = re.compile(r"Return value 3\b|\bError \d{4}\.|returned actual error code|Product: .* -- Error", re.I)
_TYPES = {"0": 0, "1": 1, "2": 2, "3": 3}

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

# Incomplete CCM records longer than this are given up on and emitted as plain text, so a corrupt file cannot
# make an incremental parser hold its buffer forever.
MAX_PENDING_CHARS = 4 << 20


_LogRecordFields = namedtuple(
    "_LogRecordFields", "message component context type thread file fmt offset time_text date_text",
    defaults=("", "", 1, None, "", "plain", 0, "", ""))


class LogRecord(_LogRecordFields):
    """One log entry (a named tuple). `type`: 0 verbose, 1 info, 2 warning, 3 error (CMTrace severities).

    `time` is the local wall time as written; `bias` is minutes with UTC = local + bias (Windows convention);
    both are parsed from `time_text`/`date_text` on first access. `thread` is the text as written.
    """

    # No __slots__ on purpose: the instance dict is only created when a parsed timestamp gets cached, and a
    # tuple subclass can be built in C (tuple.__new__) by the bulk path of the parser.

    def _parse_time(self):
        try:
            return self.__dict__["_parsed"]
        except KeyError:
            parsed = self.__dict__["_parsed"] = _parse_timestamp(self.fmt, self.time_text, self.date_text)
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
            micro = int((frac or "0").ljust(6, "0")[:6])
            local = datetime(int(year), int(mon), int(day), int(hh), int(mm), int(ss), micro)
            return local, _bias_number(bias)
        if not time_text:
            return None, None
        tm = _CCM_TIME.match(time_text.strip())
        dm = _CCM_DATE.match(date_text.strip())
        bias = _bias_number(tm.group(5)) if tm else None
        if not tm or not dm:
            return None, bias
        hh, mm, ss, frac, _ = tm.groups()
        mon, day, year = dm.groups()
        micro = int((frac or "0").ljust(6, "0")[:6])
        return datetime(int(year), int(mon), int(day), int(hh), int(mm), int(ss), micro), bias
    except (ValueError, OverflowError):
        return None, None


def _bias_number(text: str | None) -> int | None:
    """The signed number after the time: `+480`, `-120`, `+-480` (a script writer's '+' glued to a negative
    number) is -480."""
    if not text:
        return None
    digits = text.lstrip("+- \t")
    value = int(digits)
    return -value if "-" in text[:len(text) - len(digits)] else value


def _text_severity(text: str) -> int:
    """CMTrace's rule for non-CCM text: 'error' -> 3, 'warn' -> 2, else 1."""
    low = text.lower()
    if "error" in low or "fail" in low:
        return 3
    if "warn" in low:
        return 2
    return 1


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
    """Turns decoded text into records, holding back an incomplete last record between `feed` calls.

    `encoding` is the codec the text was decoded with (needed to turn character positions into byte offsets).
    `feed(text, start_offset)`: `start_offset` is the byte offset of `text[0]` in the file; only needed for the
    first call, later calls continue where the previous text ended when it is None.
    """

    def __init__(self, encoding: str = "utf-8"):
        self.encoding = _body_codec(encoding)
        self._ascii_compatible = not self.encoding.startswith("utf-16")
        self._pending = ""
        self._pending_offset = 0
        self._next_offset = 0
        self._msi = False
        self._newline_bytes = len("\n".encode(self.encoding))

    @property
    def pending_text(self) -> str:
        return self._pending

    @property
    def pending_offset(self) -> int:
        """Byte offset of the first byte not yet emitted as a record."""
        return self._pending_offset if self._pending else self._next_offset

    def feed(self, text: str, start_offset: int | None = None) -> list:
        if self._pending:
            base = self._pending_offset
            text = self._pending + text
        else:
            base = self._next_offset if start_offset is None else start_offset
        self._pending = ""
        records, consumed_chars, consumed_bytes = self._parse(text, base, final=False)
        if consumed_chars < len(text):
            self._pending = text[consumed_chars:]
            self._pending_offset = base + consumed_bytes
        self._next_offset = base + consumed_bytes + self._byte_len(self._pending)
        return records

    def flush(self) -> list:
        """Emit whatever is held back (end of file / file rotated away)."""
        if not self._pending:
            return []
        text, base = self._pending, self._pending_offset
        self._pending = ""
        records, _, consumed = self._parse(text, base, final=True)
        self._next_offset = base + consumed
        return records

    def _byte_len(self, text: str) -> int:
        if not text:
            return 0
        if self._ascii_compatible and text.isascii():
            return len(text)
        return len(text.encode(self.encoding, errors_for(self.encoding)))

    def _parse(self, text: str, base: int, final: bool):
        """(records, characters consumed, bytes consumed). When not final, an incomplete trailing record or
        line is not consumed (a CCM record is complete only at its closing `">`, a line only at its newline)."""
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
        out: list = []
        fast = self._ascii_compatible and text.isascii()
        parts = _PATTERN.split(text) if _END in text else [text]
        tail = parts[-1]
        hold = 0  # characters at the end that are not complete yet
        if not final and tail:
            hold = len(tail) - self._incomplete_start(tail)
            if hold > MAX_PENDING_CHARS:
                hold = 0
        body = tail[:len(tail) - hold]
        consumed = len(text) - hold
        if fast:
            self._emit_fast(parts, base, out)
            self._emit_gap(body, base + consumed - len(body), out, True)
            return out, consumed, consumed
        pos = self._emit_slow(parts, base, out)
        self._emit_gap(body, pos, out, False)
        return out, consumed, pos + self._byte_len(body) - base

    @staticmethod
    def _incomplete_start(tail: str) -> int:
        """Index in the trailing gap where incomplete text begins (len(tail) when all of it is complete)."""
        start = tail.rfind(_START)
        if start >= 0:
            # An unterminated CCM record: its line waits for the closing `">` (from the line start, so text
            # before it on the same line is split exactly as a whole-file parse would split it).
            return tail.rfind("\n", 0, start) + 1
        if tail.endswith("\n"):
            return len(tail)
        return tail.rfind("\n") + 1  # a partial last line

    def _emit_fast(self, parts: list, base: int, out: list) -> None:
        """ASCII text in a single-byte-compatible encoding: byte offsets equal character offsets."""
        if not self._emit_uniform(parts, base, out):
            self._emit_records(parts, base, out, True)

    @staticmethod
    def _emit_uniform(parts: list, base: int, out: list) -> bool:
        """The common case — only canonical CCM records back to back, nothing between them — built column-wise
        with C-level map/zip instead of a Python loop per record. Returns False (nothing emitted) otherwise."""
        step = _GROUPS + 1
        records = (len(parts) - 1) // step
        if records == 0 or parts[0]:
            return False
        gaps = parts[step::step]
        del gaps[-1]  # the trailing text is handled by the caller
        if any(gaps):
            return False
        times = parts[3::step]
        if None in times:
            return False  # a record with reordered/missing attributes
        messages = parts[1::step]
        if sum(map(str.count, messages, repeat(_START))):
            return False  # a truncated record swallowed by the next one
        types = list(map(_TYPES.get, parts[7::step]))
        if None in types:
            types = [_odd_type(typ, msg) if sev is None else sev
                     for sev, typ, msg in zip(types, parts[7::step], messages, strict=True)]
        lengths = map(add, map(add, map(len, messages), map(len, parts[2::step])), repeat(len(_START)))
        offsets = list(accumulate(lengths, initial=base))  # before messages are rewritten below
        for i in compress(count(), map(str.__contains__, messages, repeat("\r"))):  # multi-line ones only
            messages[i] = messages[i].replace("\r\n", "\n")
        out.extend(map(_new_record, zip(messages, parts[5::step], parts[6::step], types, parts[8::step],
                                        parts[9::step], repeat("ccm"), offsets, times, parts[4::step])))
        return True

    def _emit_slow(self, parts: list, base: int, out: list) -> int:
        """Non-ASCII text: byte offsets come from re-encoding each piece; lone surrogates (undecodable bytes)
        are shown as U+FFFD. Returns the byte offset where the trailing gap starts."""
        return self._emit_records(parts, base, out, False)

    def _emit_records(self, parts: list, base: int, out: list, fast: bool) -> int:
        """General case, record by record. Text between records (and the part of a truncated record that a
        later record's match swallowed) is emitted as plain lines. Returns the offset where the tail starts."""
        encoding = self.encoding
        errors = errors_for(encoding)
        blen = len if fast else (lambda piece: len(piece.encode(encoding, errors)))
        clean = (lambda x: x) if fast else _clean
        last = len(parts) - 1
        gap, gap_pos = (parts[0] if last else ""), base
        for i in range(1, last, _GROUPS + 1):
            msg, head, t, d, comp, ctx, typ, thr, fil, generic = parts[i:i + _GROUPS]
            if _START in msg:
                # The match began at a record that never closed: that part belongs to the text before.
                cut = msg.rfind(_START)
                gap += _START + msg[:cut]
                msg = msg[cut + len(_START):]
            if gap:
                self._emit_gap(gap, gap_pos, out, fast)
            pos = gap_pos + (blen(gap) if gap else 0)
            if t is None:
                t, d, comp, ctx, typ, thr, fil = _generic_attributes(generic)
            record_len = blen(_START + msg + head)
            severity = _TYPES.get(typ)
            if severity is None:
                severity = _odd_type(typ, msg)
            if "\r" in msg:
                msg = msg.replace("\r\n", "\n")
            out.append(LogRecord(clean(msg), clean(comp), clean(ctx), severity, clean(thr), clean(fil), "ccm", pos,
                                 clean(t), clean(d)))
            gap_pos = pos + record_len
            gap = parts[i + _GROUPS] if i + _GROUPS < last else ""
        return gap_pos

    def _emit_gap(self, gap: str, pos: int, out: list, fast: bool) -> None:
        """Text between CCM records: one record per non-blank physical line."""
        if not gap or gap.isspace():
            return
        encoding = self.encoding
        errors = errors_for(encoding)
        for line in gap.split("\n"):
            size = len(line) + 1 if fast else len(line.encode(encoding, errors)) + self._newline_bytes
            text = line.rstrip("\r")
            if text.strip():
                out.append(self._plain_record(text if fast else _clean(text), pos))
            pos += size

    def _plain_record(self, line: str, offset: int) -> LogRecord:
        if "$$<" in line:
            m = _LEGACY.match(line)
            if m:
                msg = m.group("msg").replace("~~", "\n").rstrip()
                return LogRecord(msg, m.group("comp"), "", _text_severity(msg), m.group("thread"), "",
                                 "legacy", offset, m.group("ts"), "")
        if self._msi or _MSI_HINT.match(line):
            self._msi = True
            severity = 3 if _MSI_ERROR.search(line) else (2 if "warn" in line.lower() else 1)
            return LogRecord(line, "msi", "", severity, None, "", "msi", offset)
        return LogRecord(line, "", "", _text_severity(line), None, "", "plain", offset)


def _clean(text: str | None) -> str:
    if not text:
        return text or ""
    return _SURROGATE.sub("\ufffd", text) if not text.isascii() else text


def _generic_attributes(block: str | None) -> tuple:
    """Attributes in any order, some possibly missing: (time, date, component, context, type, thread, file)."""
    attrs = {k.lower(): v for k, v in _ATTR.findall(block or "")}
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
    bounded by the chunk size (plus one held-back incomplete record), not the file size. Raises OSError if the
    file cannot be opened or read."""
    chunk_size = max(1, int(chunk_size))
    with open(path, "rb") as fh:
        head = fh.read(65536)  # what parse_bytes sniffs the encoding from
        encoding, bom = detect_encoding(head)
        codec = _body_codec(encoding)
        decoder = codecs.getincrementaldecoder(codec)(errors_for(codec))
        parser = RecordParser(codec)
        data, start = head[bom:], bom
        while True:
            text = decoder.decode(data, final=False)
            records = parser.feed(text, start) if start is not None else parser.feed(text)
            start = None
            yield from _since(records, since_offset)
            data = fh.read(chunk_size)
            if not data:
                break
        rest, _ = decoder.getstate()
        if rest:
            # Same as a whole-file decode: a cut sequence or odd UTF-16 byte at the end stays visible.
            yield from _since(parser.feed(rest.decode("latin-1")), since_offset)
        yield from _since(parser.flush(), since_offset)


def _since(records: list, since_offset: int) -> list:
    return [r for r in records if r.offset >= since_offset] if since_offset else records


def parse_file(path, *, since_offset: int = 0) -> list:
    """Parse a file from `since_offset` (records starting before it are skipped). Raises OSError if unreadable."""
    with open(path, "rb") as fh:
        data = fh.read()
    records = parse_bytes(data)
    if since_offset:
        records = [r for r in records if r.offset >= since_offset]
    return records
