"""Follow a growing log by polling: stat, open, read new bytes, close — every tick.

Never holding the file open lets ccmsetup rotate (`.log` -> `.lo_`) or rename its log while we watch it (on
Windows a held handle blocks that). Each *generation* of the file (a new inode/file index, or a shrink) gets its
own encoding detection, incremental decoder and record parser, so UTF-16 code units or UTF-8 sequences cut by a
read, and a CCM record only half written, are never emitted broken.
"""

from __future__ import annotations

import codecs
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from wizard.core.logparse import LogRecord, RecordParser, detect_encoding, errors_for

__all__ = ["DEFAULT_HINT_INTERVAL", "DEFAULT_POLL_INTERVAL", "FOLDER_LOG_NAMES", "FolderTailer", "LogPosition",
           "LogTailer", "file_size", "is_sharing_violation", "log_position", "rolled_copies", "wait_for"]

DEFAULT_POLL_INTERVAL = 0.25
DEFAULT_HINT_INTERVAL = 0.05
FOLDER_LOG_NAMES = ("ccmsetup.log", "client.msi.log")
# Bytes needed before the encoding is decided (a BOM, or enough text to tell UTF-16 from UTF-8).
_SNIFF_BYTES = 4
_HEAD_BYTES = 256


# Windows ERROR_SHARING_VIOLATION: another process holds the file open without read sharing (a moment, usually).
_SHARING_VIOLATION = 32


def file_size(path) -> int:
    """Current size of `path` in bytes, 0 when it does not exist (use it to record a launch offset)."""
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def is_sharing_violation(exc: BaseException) -> bool:
    """The OSError is Windows' sharing violation (error 32): the file is locked for a moment, not forbidden."""
    return getattr(exc, "winerror", None) == _SHARING_VIOLATION


@dataclass(frozen=True)
class LogPosition:
    """Where a log stood when a launch offset was recorded: its size, its identity (st_dev/st_ino; on Windows
    st_ino is the file index) and its first bytes. A file with another identity or other first bytes later is
    not the same log: it was rolled over or recreated in between."""

    size: int
    identity: tuple[int, int] | None = None
    head: bytes = b""


def log_position(path) -> LogPosition:
    """Record `path`'s position now (size 0 and no identity when it does not exist or cannot be read)."""
    try:
        st = os.stat(path)
        with open(path, "rb") as fh:
            head = fh.read(_HEAD_BYTES)
    except OSError:
        return LogPosition(file_size(path))
    identity = (st.st_dev, st.st_ino) if (st.st_dev or st.st_ino) else None
    return LogPosition(st.st_size, identity, head)


def rolled_copies(path) -> list[str]:
    """Copies a full log may have been rolled into, newest first: `<name>.lo_` (ccmsetup's rotation), then
    history copies `<name>-<date-time>.log` (e.g. ccmsetup-20261126-101500.log)."""
    path = os.fspath(path)
    folder, name = os.path.split(path)
    stem = os.path.splitext(name)[0]
    copies = [os.path.splitext(path)[0] + ".lo_"]
    history = re.compile(re.escape(stem) + r"-\d{8}[-_T]?\d{4,6}\.log", re.I)
    try:
        names = [n for n in os.listdir(folder or ".") if history.fullmatch(n)]
    except OSError:
        names = []
    # The stamp sorts in time order; the modification time breaks ties between stamp styles.
    found = []
    for n in names:
        full = os.path.join(folder, n)
        try:
            found.append((re.sub(r"\D", "", n), os.stat(full).st_mtime_ns, full))
        except OSError:
            continue
    copies.extend(full for _, _, full in sorted(found, reverse=True))
    return copies


class LogTailer:
    """Tails one file. `from_start=False` starts at the current end ("only new lines"); `start_offset` starts at
    that byte offset (e.g. the launch offset) and wins over `from_start`.

    Only the first generation honours the start position; after a rotation or re-creation the new file is read
    from its beginning.
    """

    def __init__(self, path, *, from_start: bool = True, start_offset: int | None = None,
                 poll_interval: float = DEFAULT_POLL_INTERVAL, max_read: int = 1 << 20,
                 hint_interval: float | None = DEFAULT_HINT_INTERVAL, start_position: LogPosition | None = None):
        self.path = os.fspath(path)
        self.poll_interval = poll_interval
        # follow() checks os.stat this often and reads at once when it changed; a full tick still runs every
        # poll_interval (a stat can lag behind a writer that keeps its handle open on Windows).
        self.hint_interval = hint_interval
        self._last_stat = None
        self.max_read = max(16, int(max_read))
        self.generation = 0
        self.encoding: str | None = None
        self.exists = False
        self._identity = None
        self._offset = 0  # next byte to read
        self._decoder = None
        self._parser: RecordParser | None = None
        self._raw = b""  # bytes read before the encoding could be decided
        self._head = b""  # first bytes of this generation: a copy-and-truncate rotation changes them
        self._mtime_ns: int | None = None
        # `start_position` (from log_position() at launch) is a start offset that also knows which file it was
        # measured on: if the log was rolled or recreated before the first poll, the rest of the old file is read
        # from its rolled copy and the new file from its beginning.
        self._start_position = start_position
        if start_position is not None:
            start_offset = start_position.size
        self._first_start = start_offset if start_offset is not None else (None if from_start else -1)
        self.read_error: OSError | None = None  # why the last tick could not stat or read the file

    @property
    def offset(self) -> int:
        """Byte offset up to which the current file has been read."""
        return self._offset

    @property
    def pending_offset(self) -> int:
        """Byte offset of the first byte not yet emitted as a complete record."""
        if self._parser is None:
            return self._offset - len(self._raw)
        return self._parser.pending_offset

    def poll(self) -> list[LogRecord]:
        """One tick. Returns the complete records that appeared since the last tick. Never raises on a missing,
        rotated, truncated or unreadable file."""
        records: list[LogRecord] = []
        try:
            st = os.stat(self.path)
        except (FileNotFoundError, NotADirectoryError):
            self.read_error = None
            self._last_stat = None
            if self.generation == 0 and self._first_start == -1:
                # "Only new lines", but the file is not there yet: everything it will hold is new.
                self._first_start = None
            if self.exists:
                records.extend(self._end_generation())
            self.exists = False
            return records
        except OSError as exc:
            # Access denied or a sharing violation: keep everything as it is and try again next tick (treating
            # it as a vanished file would read the whole log again when it comes back).
            self.read_error = exc
            return records
        self._last_stat = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        identity = (st.st_dev, st.st_ino)
        if self.generation == 0 and self._start_position is not None:
            position, self._start_position = self._start_position, None
            if self._rolled_since(position, st):
                records.extend(self._catch_up_from_position(position))
                self._first_start = None  # the new file is read from its beginning
        if not self.exists or identity != self._identity or st.st_size < self._offset:
            if self.exists:
                records.extend(self._end_generation())
            self._start_generation(identity, st.st_size)
        self.exists = True
        if st.st_size <= self._offset and st.st_mtime_ns == self._mtime_ns:
            return records
        # Growth, or a same-size rewrite (copy-and-restart rotation) that only the modification time reveals.
        self._mtime_ns = st.st_mtime_ns
        try:
            with open(self.path, "rb") as fh:
                # The file may have been replaced between stat and open: compare identities again.
                fst = os.fstat(fh.fileno())
                if (fst.st_dev, fst.st_ino) != self._identity:
                    return records
                head = fh.read(_HEAD_BYTES)
                common = min(len(head), len(self._head))
                if head[:common] != self._head[:common]:
                    # Truncated and rewritten past our offset between two ticks: a new generation.
                    records.extend(self._end_generation())
                    self._start_generation(identity, fst.st_size, restart=True)
                if len(head) > len(self._head):
                    self._head = head
                if fst.st_size <= self._offset:
                    return records
                fh.seek(self._offset)
                data = fh.read(self.max_read)
        except OSError as exc:
            self.read_error = exc
            return records
        self.read_error = None
        if data:
            records.extend(self._consume(data))
        return records

    def flush(self) -> list[LogRecord]:
        """Emit a record still held back as incomplete (e.g. when the writer is known to be gone)."""
        if self._parser is None and self._raw:
            raw, self._raw = self._raw, b""
            self._offset -= len(raw)
            records = self._consume(raw, force=True)
            return records + (self._parser.flush() if self._parser is not None else [])
        return self._parser.flush() if self._parser is not None else []

    def has_changed(self) -> bool:
        """Cheap check (one os.stat, no open): did the file appear, vanish, grow or change since the last
        poll? Use it as a hint between full polls."""
        try:
            st = os.stat(self.path)
        except OSError:
            return self._last_stat is not None
        return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns) != self._last_stat

    def follow(self, stop: threading.Event) -> Iterator[list[LogRecord]]:
        """Yield each non-empty batch of records until `stop` is set: a full poll every `poll_interval`, and
        sooner when a stat every `hint_interval` shows a change."""
        next_full = 0.0
        while not stop.is_set():
            now = time.monotonic()
            if now >= next_full or (self.hint_interval and self.has_changed()):
                batch = self.poll()
                next_full = time.monotonic() + self.poll_interval
                if batch:
                    yield batch
            step = self.hint_interval if self.hint_interval else self.poll_interval
            if stop.wait(max(0.0, min(step, next_full - time.monotonic()))):
                break

    # -- internals ---------------------------------------------------------------------------------------------

    def _rolled_since(self, position: LogPosition, st) -> bool:
        """Is the file now another one than the one `position` was recorded on?"""
        if position.size == 0 and not position.head:
            return False  # nothing was there to follow on from
        if position.identity is not None and (st.st_dev, st.st_ino) != position.identity:
            return True
        if st.st_size < position.size:
            return True
        try:
            with open(self.path, "rb") as fh:
                head = fh.read(len(position.head))
        except OSError:
            return False
        return head != position.head

    def _catch_up_from_position(self, position: LogPosition) -> list[LogRecord]:
        """The log was rolled over between the recorded position and the first poll: read what the old file
        got after that position from its rolled copy."""
        self._identity = position.identity
        self._offset = position.size
        self._head = position.head
        self._decoder = None
        self._parser = None
        self._raw = b""
        return self._end_generation()

    def _start_generation(self, identity, size: int, restart: bool = False) -> None:
        first = self.generation == 0 and not restart
        self.generation += 1
        self._identity = identity
        self._decoder = None
        self._parser = None
        self._raw = b""
        self.encoding = None
        start = self._first_start if first else None
        if start == -1:
            self._offset = size
        elif start is not None:
            self._offset = max(0, min(int(start), size))
        else:
            self._offset = 0
        self._head = b""
        self._first_start = None

    def _end_generation(self) -> list[LogRecord]:
        """Finish the old file: read what it still had from its rotated copy (`.lo_`), then flush."""
        records = self._catch_up_from_rotated()
        if self._decoder is None and self._raw:
            # Fewer bytes than needed to sniff the encoding ever arrived: decode what there is.
            encoding, bom = detect_encoding(self._raw)
            codec = "utf-8" if encoding == "utf-8-sig" else encoding
            self._decoder = codecs.getincrementaldecoder(codec)(errors_for(codec))
            self._parser = RecordParser(codec)
            records.extend(self._parser.feed(self._decoder.decode(self._raw[bom:], final=False),
                                             self._offset - len(self._raw) + bom))
            self._raw = b""
        if self._parser is not None and self._decoder is not None:
            rest, _ = self._decoder.getstate()
            # A cut multi-byte sequence or odd UTF-16 byte at the very end stays visible instead of raising.
            text = rest.decode("latin-1") if rest else ""
            if text:
                records.extend(self._parser.feed(text))
            records.extend(self._parser.flush())
        self._parser = None
        self._decoder = None
        self._identity = None
        return records

    def _catch_up_from_rotated(self) -> list[LogRecord]:
        """ccmsetup rotates by copying the log to `<name>.lo_` (some components keep `<name>-<date-time>.log`
        history copies) and starting the log again. Bytes written after our last read are in that copy; read them
        from the newest copy that starts with the same bytes as the file we followed."""
        if not self._head:
            return []
        records: list[LogRecord] = []
        for rotated in rolled_copies(self.path):
            try:
                fh = open(rotated, "rb")  # noqa: SIM115 - closed below; a missing copy moves on to the next
            except OSError:
                continue
            try:
                with fh:
                    if fh.read(len(self._head)) != self._head:
                        continue
                    fh.seek(self._offset)
                    while True:
                        data = fh.read(self.max_read)
                        if not data:
                            break
                        records.extend(self._consume(data))
            except OSError:
                pass
            return records
        return records

    def _consume(self, data: bytes, force: bool = False) -> list[LogRecord]:
        self._offset += len(data)
        if self._decoder is None:
            raw = self._raw + data
            start_of_raw = self._offset - len(raw)
            if start_of_raw == 0:
                if len(raw) < _SNIFF_BYTES and not force:
                    self._raw = raw
                    return []
                encoding, bom = detect_encoding(raw[:65536])
            else:
                encoding, bom = self._encoding_mid_file(start_of_raw), 0
            self._raw = b""
            self.encoding = encoding
            codec = "utf-8" if encoding == "utf-8-sig" else encoding
            if codec.startswith("utf-16") and (start_of_raw + bom) % 2:
                # Started on an odd byte of a UTF-16 file: realign to a code-unit boundary.
                bom += 1
            self._decoder = codecs.getincrementaldecoder(codec)(errors_for(codec))
            self._parser = RecordParser(codec)
            text = self._decoder.decode(raw[bom:], final=False)
            return self._parser.feed(text, start_of_raw + bom)
        text = self._decoder.decode(data, final=False)
        return self._parser.feed(text) if text else []

    def _encoding_mid_file(self, start: int) -> str:
        """Starting at an offset > 0: the encoding still comes from the file's first bytes."""
        if len(self._head) >= _SNIFF_BYTES:
            return detect_encoding(self._head)[0]
        try:
            with open(self.path, "rb") as fh:
                head = fh.read(65536)
        except OSError:
            head = b""
        name, _ = detect_encoding(head)
        return name


class FolderTailer:
    """Follows several logs in one folder (ccmsetup.log, client.msi.log, ...), each with its own LogTailer.

    `start_offsets` maps a name to its launch offset; names not listed start at the beginning (`from_start`)
    or at their current end.
    """

    def __init__(self, folder, names=FOLDER_LOG_NAMES, *, from_start: bool = True,
                 start_offsets: dict[str, int] | None = None, poll_interval: float = DEFAULT_POLL_INTERVAL,
                 max_read: int = 1 << 20):
        self.folder = os.fspath(folder)
        self.poll_interval = poll_interval
        offsets = {k.lower(): v for k, v in (start_offsets or {}).items()}
        self.tailers: dict[str, LogTailer] = {}
        for name in names:
            self.add(name, from_start=from_start, start_offset=offsets.get(name.lower()), max_read=max_read)

    def add(self, name: str, *, path=None, from_start: bool = True, start_offset: int | None = None,
            max_read: int = 1 << 20) -> LogTailer:
        """Follow one more log; `path` defaults to `folder/name` (use it for a log in another folder, e.g.
        ClientIDManagerStartup.log under CCM/Logs)."""
        tailer = LogTailer(path if path is not None else os.path.join(self.folder, name), from_start=from_start,
                           start_offset=start_offset, poll_interval=self.poll_interval, max_read=max_read)
        self.tailers[name] = tailer
        return tailer

    def poll(self) -> list[tuple[str, list[LogRecord]]]:
        """One tick over every file: [(name, records)] for the files that produced records."""
        out = []
        for name, tailer in list(self.tailers.items()):
            records = tailer.poll()
            if records:
                out.append((name, records))
        return out

    def follow(self, stop: threading.Event) -> Iterator[tuple[str, list[LogRecord]]]:
        while not stop.is_set():
            yield from self.poll()
            if stop.wait(self.poll_interval):
                break


def wait_for(predicate, timeout: float, interval: float = 0.05) -> bool:
    """Poll `predicate()` until true or `timeout` seconds pass (small helper for callers and tests)."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
