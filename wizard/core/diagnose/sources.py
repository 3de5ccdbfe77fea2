"""Find and read the logs of one input: a log file, a folder (recursively) or a zip read in place.

Reading streams each file in chunks through the incremental decoder and `RecordParser`, so a huge log is never
held as one string, and keeps each record's line number. Limits guard against zip bombs and runaway files: a
zip member is read only up to `MAX_SOURCE_BYTES` uncompressed and one whose compression ratio is absurd is not
read at all; a big plain file is read from its last `MAX_SOURCE_BYTES` (the end holds the latest runs). Anything
skipped or cut is said in the source's `problems`, never silently. Symbolic links that lead out of the folder
are not followed.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
import threading
import zipfile
from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import accumulate, repeat
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from wizard.core.logparse import RecordParser, detect_encoding, errors_for

__all__ = [
    "CHUNK_BYTES", "DiagnoseCancelled", "KNOWN_LOGS", "MAX_SOURCE_BYTES", "MAX_TOTAL_BYTES", "MAX_ZIP_RATIO",
    "Source", "discover", "kind_for_name", "read_sources",
]

CHUNK_BYTES = 256 << 10
MAX_SOURCE_BYTES = 256 << 20  # per file or zip member
MAX_TOTAL_BYTES = 2 << 30  # per input
MAX_ZIP_RATIO = 400  # real logs compress 5-30x; a far higher ratio is a zip bomb
MAX_ZIP_MEMBERS = 20_000
SNIFF_BYTES = 64 << 10

# Log base name (lower case) -> kind shown to the user. ccmsetup*.log and client.msi*.log match by prefix.
KNOWN_LOGS = {
    "clientidmanagerstartup": "ClientIDManagerStartup",
    "clientlocation": "ClientLocation",
    "locationservices": "LocationServices",
    "ccmmessaging": "CcmMessaging",
    "adaloperationprovider": "ADALOperationProvider",
    "ccmexec": "CcmExec",
    "clientauth": "ClientAuth",
}
# `<name>.log`, its rolled-over copy `<name>.lo_`, and the history copies `<name>-yyyymmdd-hhmmss.log`.
_LOG_NAME = re.compile(r"^(?P<base>.+?)(?:-\d{8}-\d{6})?\.(?:log|lo_)$", re.IGNORECASE)
_CCM_MARKERS = ("<![LOG[", "$$<")


class DiagnoseCancelled(Exception):
    """The caller's cancel event was set while reading."""


def kind_for_name(name: str) -> str | None:
    """The kind of a log from its file name, or None when the name is not one Diagnose knows."""
    m = _LOG_NAME.match(name.lower())
    if not m:
        return None
    base = m.group("base")
    if base.startswith("ccmsetup-ccmeval"):
        return "ccmsetup-ccmeval"
    if base.startswith("ccmsetup"):
        return "ccmsetup"
    if base.startswith("client.msi"):
        return "client.msi"
    return KNOWN_LOGS.get(base)


def _is_log_name(name: str) -> bool:
    return _LOG_NAME.match(name.lower()) is not None


@dataclass(eq=False)
class Source:
    """One log of the input. `path` is how it is shown (relative to the folder, the zip member name, or the file
    as given); `folder` groups logs of one device folder (for the runs of rotated copies)."""

    path: str
    kind: str
    size: int = 0  # bytes on disk (uncompressed size for a zip member)
    problems: list[str] = field(default_factory=list)
    records: list = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # 1-based line of each record
    encoding: str | None = None
    bytes_read: int = 0
    readable: bool = False  # read without an error (an empty file is readable)
    skipped: bool = False  # not read at all (limits, link out of the folder, encrypted member)
    opener: Callable[[], BinaryIO] | None = field(default=None, repr=False)
    skip_head: int = 0  # bytes at the start not read (only the tail of a huge file is read)

    def __post_init__(self) -> None:
        shown = PurePosixPath(self.path.replace("\\", "/"))
        self.folder = str(shown.parent)  # read for every record while merging: computed once
        self.name = shown.name


# ---------------------------------------------------------------------------------------------------------------
# Discovery


def discover(path: str | os.PathLike) -> tuple[list[Source], str]:
    """The logs of a file, folder or zip: (sources in path order, what the input is: file|folder|zip).

    Raises FileNotFoundError when `path` does not exist and OSError when it cannot be opened at all."""
    target = Path(path)
    if target.is_dir():
        return _discover_folder(target), "folder"
    if not target.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if _looks_like_zip(target):
        return _discover_zip(target), "zip"
    size = target.stat().st_size
    kind = kind_for_name(target.name) or "log"
    return [Source(str(path), kind, size, opener=lambda: open(target, "rb"))], "file"


def _looks_like_zip(target: Path) -> bool:
    if target.suffix.lower() == ".zip":
        return True
    try:
        with open(target, "rb") as fh:
            return fh.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def _discover_folder(root: Path) -> list[Source]:
    sources: list[Source] = []
    real_root = os.path.realpath(root)
    for directory, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for filename in sorted(filenames):
            if not _is_log_name(filename):
                continue
            full = Path(directory) / filename
            shown = full.relative_to(root).as_posix()
            kind = kind_for_name(filename)
            try:
                info = full.lstat()
            except OSError as exc:
                sources.append(Source(shown, kind or "log", problems=[f"cannot read: {exc.strerror or exc}"]))
                continue
            if stat.S_ISLNK(info.st_mode):
                real = os.path.realpath(full)
                if os.path.commonpath([real_root, real]) != real_root:
                    sources.append(Source(shown, kind or "log", skipped=True, problems=[
                        "not read: a symbolic link to a file outside the folder"]))
                    continue
                try:
                    info = os.stat(real)
                except OSError as exc:
                    sources.append(Source(shown, kind or "log", problems=[f"cannot read: {exc.strerror or exc}"]))
                    continue
            if not stat.S_ISREG(info.st_mode):
                continue
            opener = _file_opener(full)
            if kind is None:
                if not _sniff_ccm(opener):
                    continue  # some other tool's text log: not ours to judge
                kind = "ccm"
            sources.append(Source(shown, kind, info.st_size, opener=opener))
    return sources


def _file_opener(path: Path) -> Callable[[], BinaryIO]:
    return lambda: open(path, "rb")


def _sniff_ccm(opener: Callable[[], BinaryIO]) -> bool:
    """True when the file starts like a CCM/CMTrace or legacy `$$<` log."""
    try:
        with opener() as fh:
            head = fh.read(SNIFF_BYTES)
    except (OSError, zipfile.BadZipFile, RuntimeError, NotImplementedError):
        return True  # let the reader report why it cannot be read
    encoding, bom = detect_encoding(head)
    text = head[bom:].decode(_codec(encoding), errors="replace")
    return any(marker in text for marker in _CCM_MARKERS)


def _discover_zip(target: Path) -> list[Source]:
    try:
        archive = zipfile.ZipFile(target)
    except zipfile.BadZipFile as exc:
        raise OSError(f"{target}: not a readable zip file ({exc})") from exc
    sources: list[Source] = []
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
    if len(infos) > MAX_ZIP_MEMBERS:
        sources.append(Source(f"{target.name} (members after the first {MAX_ZIP_MEMBERS:,})", "log",
                              skipped=True, problems=[f"not read: the zip holds {len(infos):,} files"]))
        infos = infos[:MAX_ZIP_MEMBERS]
    for info in sorted(infos, key=lambda i: i.filename.lower()):
        name = PurePosixPath(info.filename.replace("\\", "/")).name
        if not _is_log_name(name):
            continue
        kind = kind_for_name(name)
        source = Source(info.filename, kind or "log", info.file_size)
        if info.flag_bits & 0x1:
            source.skipped = True
            source.problems.append("not read: the zip member is password-protected")
        elif info.compress_size and info.file_size > (16 << 20) and \
                info.file_size / max(info.compress_size, 1) > MAX_ZIP_RATIO:
            source.skipped = True
            source.problems.append(f"not read: it would unpack from {info.compress_size:,} to {info.file_size:,} "
                                   "bytes, which is not a log (zip bomb?)")
        else:
            source.opener = _member_opener(target, info.filename)
            if kind is None:
                if not _sniff_ccm(source.opener):
                    continue
                source.kind = "ccm"
        sources.append(source)
    return sources


def _member_opener(target: Path, member: str) -> Callable[[], BinaryIO]:
    def opener() -> BinaryIO:
        archive = zipfile.ZipFile(target)
        try:
            handle = archive.open(member)
        except BaseException:
            archive.close()
            raise
        return _MemberHandle(archive, handle)

    return opener


class _MemberHandle:
    """A zip member stream that closes its archive too."""

    def __init__(self, archive: zipfile.ZipFile, handle) -> None:
        self._archive = archive
        self._handle = handle

    def read(self, size: int = -1) -> bytes:
        return self._handle.read(size)

    def close(self) -> None:
        try:
            self._handle.close()
        finally:
            self._archive.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ---------------------------------------------------------------------------------------------------------------
# Reading


def _codec(encoding: str) -> str:
    return "utf-8" if encoding == "utf-8-sig" else encoding


def _newline(codec: str) -> bytes:
    if codec == "utf-16-le":
        return b"\n\x00"
    if codec == "utf-16-be":
        return b"\x00\n"
    return b"\n"


class _LineCounter:
    """Line numbers for increasing byte offsets, keeping only the chunks not yet passed. A chunk's line breaks are
    located once (C-level split), then each record's line is a binary search (C-level map), not a count per
    record."""

    def __init__(self, newline: bytes, start_line: int = 1, start_offset: int = 0) -> None:
        self.newline = newline
        self._next_line = start_line  # line number at the end of the chunks added so far
        self._skip = start_offset  # line breaks before this offset are already counted in start_line
        # [start, end, line number at start, positions of its line breaks (None until needed), data, skip]
        self._chunks: list[list] = []

    def add(self, start: int, data: bytes) -> None:
        skip = max(self._skip - start, 0)
        first = self._next_line
        self._next_line += data.count(self.newline, skip)
        self._chunks.append([start, start + len(data), first, None, data, skip])

    def lines_for(self, records: list, out: list[int]) -> None:
        offsets = list(map(_offset_of, records))
        chunks = self._chunks
        i, n = 0, len(offsets)
        while i < n:
            while len(chunks) > 1 and chunks[0][1] <= offsets[i]:
                del chunks[0]  # passed: no later record starts in it
            if not chunks or offsets[i] < chunks[0][0]:
                out.append(chunks[0][2] if chunks else self._next_line)
                i += 1
                continue
            chunk = chunks[0]
            start, end, first, positions, data, skip = chunk
            if positions is None:
                positions = chunk[3] = self._positions(start, data, skip)
            j = bisect_left(offsets, end, i) if len(chunks) > 1 else n
            ends = offsets[i:j]
            if len(self.newline) > 1:  # a line break counts when it ends at or before the record (as bytes.count)
                ends = map((1 - len(self.newline)).__add__, ends)
            out.extend(map(first.__add__, map(bisect_left, repeat(positions), ends)))
            i = j

    def _positions(self, start: int, data: bytes, skip: int) -> list[int]:
        """Byte offsets of the chunk's line breaks (from `skip` on), the ones `bytes.count` finds."""
        step = len(self.newline)
        pieces = data[skip:].split(self.newline)
        pieces.pop()
        return list(accumulate(map(step.__add__, map(len, pieces)), initial=start + skip - step))[1:]


def _offset_of(record) -> int:
    return record.offset


def read_sources(sources: list[Source], *, progress: Callable[[int, int, str], None] | None = None,
                 cancel: threading.Event | None = None) -> None:
    """Read every source that has an opener (in place). `progress(done_bytes, total_bytes, path)` is called
    between chunks; setting `cancel` raises DiagnoseCancelled."""
    total = sum(min(s.size, MAX_SOURCE_BYTES) for s in sources if s.opener is not None)
    done = 0
    budget = MAX_TOTAL_BYTES
    for source in sources:
        if source.opener is None:
            continue
        if budget <= 0:
            source.skipped = True
            source.problems.append(f"not read: the input holds more than {_size(MAX_TOTAL_BYTES)} of logs")
            continue
        base = done

        def step(count: int, source=source, base=base) -> None:
            if cancel is not None and cancel.is_set():
                raise DiagnoseCancelled()
            if progress is not None:
                progress(base + count, total, source.path)

        _read_source(source, step, min(MAX_SOURCE_BYTES, budget))
        done = base + min(source.size, MAX_SOURCE_BYTES) if source.size else base + source.bytes_read
        budget -= source.bytes_read
    if progress is not None:
        progress(total, total, "")


def _read_source(source: Source, step: Callable[[int], None], limit: int) -> None:
    try:
        with source.opener() as fh:  # type: ignore[misc]
            _stream(source, fh, step, limit)
        source.readable = True
    except DiagnoseCancelled:
        raise
    except PermissionError:
        source.problems.append("cannot read: permission denied (copy the logs as an administrator)")
    except (OSError, EOFError) as exc:
        source.problems.append(f"cannot read: {getattr(exc, 'strerror', None) or exc}")
    except zipfile.BadZipFile as exc:
        source.problems.append(f"damaged in the zip: {exc}; the records before the damage are kept")
        source.readable = bool(source.records)
    except (RuntimeError, NotImplementedError) as exc:  # encrypted or unsupported compression
        source.problems.append(f"cannot unpack: {exc}")
    if source.readable and source.bytes_read == 0:
        source.problems.append("the file is empty")
    elif source.readable and not source.records:
        source.problems.append("no log records in it")


def _iter_chunks(fh: BinaryIO, first: bytes) -> Iterator[bytes]:
    if first:
        yield first
    while True:
        data = fh.read(CHUNK_BYTES)
        if not data:
            return
        yield data


def _stream(source: Source, fh: BinaryIO, step: Callable[[int], None], limit: int) -> None:
    head = fh.read(CHUNK_BYTES)
    encoding, bom = detect_encoding(head[:SNIFF_BYTES])
    codec = _codec(encoding)
    source.encoding = encoding
    if _is_binary(head, codec):
        source.problems.append("not a text log (binary content)")
        source.bytes_read = len(head)
        return
    newline = _newline(codec)
    start = 0
    start_line = 1
    skip = _tail_start(source, fh, limit, codec) if source.size > limit else 0
    if skip:
        # Only the last `limit` bytes are read; count the lines before them so line numbers stay true.
        if skip <= len(head):
            start_line += head.count(newline, 0, skip)
            head = head[skip:]
        else:
            start_line += head.count(newline)
            position = len(head)
            head = b""
            for data in _iter_chunks(fh, b""):
                if position + len(data) >= skip:
                    start_line += data.count(newline, 0, skip - position)
                    head = data[skip - position:]
                    break
                start_line += data.count(newline)
                position += len(data)
        start, bom = skip, 0
        source.skip_head = skip
        source.problems.append(f"only the last {_size(limit)} of {_size(source.size)} were read (the end holds "
                               "the latest runs)")
    decoder = codecs.getincrementaldecoder(codec)(errors_for(codec))
    parser = RecordParser(codec, share=True)  # every record is kept: equal attribute texts are one string
    counter = _LineCounter(newline, start_line, start)
    records = source.records
    lines = source.lines
    first = True
    read = 0
    for data in _iter_chunks(fh, head):
        if read + len(data) > limit:
            data = data[:limit - read]
            source.problems.append(f"only the first {_size(limit)} were read (it is larger when unpacked)")
        counter.add(start + read, data)
        body = data[bom:] if first else data
        text = decoder.decode(body, final=False)
        new = parser.feed(text, start + bom if first else None)
        first = False
        read += len(data)
        if new:
            counter.lines_for(new, lines)
            records.extend(new)
        step(read)
        if read >= limit:
            break
    source.bytes_read = read
    text = decoder.decode(b"", final=True)
    new = parser.feed(text) if text else []
    if "<![LOG[" in parser.pending_text:
        source.problems.append("the last record is incomplete (the file was cut off while being written)")
    new += parser.flush()
    if new:
        counter.lines_for(new, lines)
        records.extend(new)


def _size(count: int) -> str:
    return f"{count / (1 << 20):,.1f} MB" if count >= 1 << 20 else f"{count / 1024:,.0f} KB"


def _tail_start(source: Source, fh: BinaryIO, limit: int, codec: str) -> int:
    """Byte offset to start reading a file larger than `limit` (files only: a zip member is read from its start
    and cut, since skipping would still mean unpacking everything)."""
    if not hasattr(fh, "seek"):
        return 0
    skip = source.size - limit
    return skip - (skip % 2) if codec.startswith("utf-16") else skip


# Characters no text log holds (NUL and C0 controls other than tab, line breaks, form feed and escape).
_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10, 12, 13, 27))


def _is_binary(head: bytes, codec: str) -> bool:
    """Many control characters once decoded: an executable, an archive, an image, not a log."""
    if not head:
        return False
    text = head[:SNIFF_BYTES].decode(codec, errors="replace")
    return len(text) - len(text.translate(_CONTROL)) > len(text) // 20
