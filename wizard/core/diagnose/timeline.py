"""The merged timeline: every record of every source, ordered by UTC, each keeping its file and line.

A record's UTC is its local time plus the bias (Windows convention) or minus the offset (script convention),
as chosen for its source. Records without a usable bias keep their local time and are marked (`utc_ms` is
None); to place them among the others they are shifted by the bias the device's ConfigMgr logs in the same
folder use (said in the source's problems). Records without any time sit right after the record before them.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from datetime import datetime
from itertools import compress, repeat
from operator import add, attrgetter, le, mul

from wizard.core.diagnose.clock import (
    effective_bias,
    key_to_datetime,
    key_to_iso,
    msi_local_keys,
    record_keys,
)
from wizard.core.diagnose.sources import Source

__all__ = ["BLOCK", "CONFIGMGR_KINDS", "SourceTimes", "TimelineEntry", "build_timeline", "column", "merge_by_key",
           "select"]

# Logs ConfigMgr itself writes: their bias is the Windows bias, and they tell the device's time zone.
CONFIGMGR_KINDS = frozenset({"ccmsetup", "ccmsetup-ccmeval", "ClientIDManagerStartup", "ClientLocation",
                             "LocationServices", "CcmMessaging", "ADALOperationProvider", "CcmExec", "ClientAuth"})


class TimelineEntry:
    """One record in the merged timeline. Reads like a LogRecord (message, component, type, thread, file,
    time) so the log table can show it, plus `path`/`line` of its source, `utc_time` and the bias used."""

    __slots__ = ("record", "source", "line", "local_ms", "bias", "key")

    def __init__(self, record, source: Source, line: int, local_ms: int | None, bias: int | None, key: int):
        self.record = record
        self.source = source
        self.line = line
        self.local_ms = local_ms  # local wall time as written (None: no time in the record)
        self.bias = bias  # minutes to add to local for UTC, as assumed for the source; None: no usable bias
        self.key = key  # placement in the merged order (UTC ms, or the estimate for local-only records)

    # LogRecord look-alike ------------------------------------------------------------------------------------
    @property
    def message(self) -> str:
        return self.record.message

    @property
    def component(self) -> str:
        return self.record.component

    @property
    def type(self) -> int:
        return self.record.type

    @property
    def thread(self):
        return self.record.thread

    @property
    def file(self) -> str:
        return self.record.file

    @property
    def fmt(self) -> str:
        return self.record.fmt

    @property
    def offset(self) -> int:
        return self.record.offset

    @property
    def time(self) -> datetime | None:
        """Local wall time as written."""
        return None if self.local_ms is None else key_to_datetime(self.local_ms)

    @property
    def utc_ms(self) -> int | None:
        if self.local_ms is None or self.bias is None:
            return None
        return self.local_ms + self.bias * 60_000

    @property
    def utc_time(self) -> datetime | None:
        utc = self.utc_ms
        return None if utc is None else key_to_datetime(utc, utc=True)

    @property
    def path(self) -> str:
        return self.source.path

    @property
    def source_label(self) -> str:
        """`name:line` (the log table's Source column)."""
        return f"{self.source.name}:{self.line}"

    @property
    def source_full(self) -> str:
        """`path:line` with the path inside the input (tooltips, copies, the detail pane)."""
        return f"{self.source.path}:{self.line}"

    def _replace(self, **changes) -> TimelineEntry:
        """A copy with record fields changed (the log table masks secrets in `message` this way)."""
        return TimelineEntry(self.record._replace(**changes), self.source, self.line, self.local_ms, self.bias,
                             self.key)

    def utc_iso(self) -> str | None:
        return key_to_iso(self.utc_ms, utc=True)

    def local_iso(self) -> str | None:
        return key_to_iso(self.local_ms, utc=False)

    def __repr__(self) -> str:
        return f"TimelineEntry({self.source.path}:{self.line}, {self.utc_iso() or self.local_iso()}, " \
               f"{self.message[:60]!r})"


def _raw_times(source: Source) -> tuple[list, list, list | None]:
    """Per record: local key and bias as written; and the local keys to order by when they differ."""
    records = source.records
    if source.kind == "client.msi" or (records and all(r.fmt == "msi" for r in records[:50])):
        keys, order = msi_local_keys(records)
        return keys, [None] * len(keys), order
    locals_, biases = record_keys(records)
    return locals_, biases, None


class SourceTimes:
    """The raw times of one source (parsed once; the convention can change without re-reading)."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.local, self.bias, self.order = _raw_times(source)
        self.counts = Counter(b for b in self.bias if b is not None)

    def common_bias(self, convention: str = "windows") -> int | None:
        """The effective bias most of this source's records carry (None: none usable)."""
        for written, _count in self.counts.most_common():
            effective = effective_bias(written, convention)
            if effective is not None:
                return effective
        return None

    @property
    def written_bias(self) -> int | None:
        """The bias most records carry, as written (a real Windows bias)."""
        return self.common_bias("windows")

    def invalid_count(self, convention: str) -> int:
        return sum(n for b, n in self.counts.items() if effective_bias(b, convention) is None)


def build_timeline(times: list[SourceTimes], conventions: dict[str, str]) -> tuple[list[TimelineEntry], dict]:
    """(entries in UTC order, per-source notes {path: [text]}). `conventions`: source path -> "offset" for the
    sources whose bias is a UTC offset (default: Windows bias)."""
    device_bias = _device_biases(times, conventions)
    per_source: list[list[TimelineEntry]] = []
    notes: dict[str, list[str]] = {}
    for st in times:
        source = st.source
        convention = conventions.get(source.path, "windows")
        usable = {b: effective_bias(b, convention) for b in st.counts}
        if None in st.local:
            entries, placed, placed_bias, basis = _entries_one_by_one(st, usable, device_bias)
        else:
            entries, placed, placed_bias, basis = _timed_entries(st, usable, device_bias)
        per_source.append(entries)
        texts = []
        invalid = st.invalid_count(convention)
        if invalid:
            texts.append(f"{invalid:,} records carry a time-zone bias outside the real range "
                         "(-840 to +720 minutes): their local time is kept, without UTC")
        if placed and placed_bias is not None:
            where = (f"the bias {placed_bias:+d} of the ConfigMgr logs {basis}" if basis
                     else "no bias (as if local time were UTC): no ConfigMgr log with a bias was found")
            texts.append(f"{placed:,} records have no time-zone bias: they keep their local time and are placed "
                         f"in the merged timeline with {where}")
        if texts:
            notes[source.path] = texts
    return merge_by_key(per_source), notes


# Items per C-level pass over a column: the GIL is released between passes (a window reading in the background
# stays responsive), and the temporaries stay in the CPU caches.
BLOCK = 16_384


def column(items: list, getter) -> list:
    """`list(map(getter, items))`, BLOCK items per C-level pass (see BLOCK)."""
    out: list = []
    for at in range(0, len(items), BLOCK):
        out += map(getter, items[at:at + BLOCK])
    return out


def select(items: list, flags: list) -> list:
    """`list(compress(items, flags))`, BLOCK items per C-level pass."""
    out: list = []
    for at in range(0, len(items), BLOCK):
        out += compress(items[at:at + BLOCK], flags[at:at + BLOCK])
    return out


def _timed_entries(st: SourceTimes, usable: dict, device_bias: dict[str, int]):
    """The entries of a source whose records all carry a time, column-wise: (entries, placed, bias, basis)."""
    source = st.source
    effective = []
    for at in range(0, len(st.bias), BLOCK):
        effective += map(usable.get, st.bias[at:at + BLOCK])  # a missing bias (None) is not in `usable`
    placed = effective.count(None)
    placed_bias, basis = _placement_bias(device_bias, source.folder) if placed else (None, "")
    shifts = effective if not placed else [placed_bias if e is None else e for e in effective]
    order = st.order or st.local
    entries: list[TimelineEntry] = []
    for at in range(0, len(order), BLOCK):
        part = slice(at, at + BLOCK)
        keys = map(add, order[part], map(mul, shifts[part], repeat(60_000)))
        entries += map(TimelineEntry, source.records[part], repeat(source), source.lines[part], st.local[part],
                       effective[part], keys)
    return entries, placed, placed_bias, basis


def _entries_one_by_one(st: SourceTimes, usable: dict, device_bias: dict[str, int]):
    """The general case (records without a time sit right after the record before them)."""
    source = st.source
    placed_bias = None
    basis = ""
    previous_key = None
    untimed_lead: list[TimelineEntry] = []
    placed = 0
    entries: list[TimelineEntry] = []
    append = entries.append
    order = st.order or st.local
    for record, line, local, bias, at in zip(source.records, source.lines, st.local, st.bias, order, strict=True):
        if local is None:
            entry = TimelineEntry(record, source, line, None, None, previous_key or 0)
            if previous_key is None:
                untimed_lead.append(entry)
            append(entry)
            continue
        effective = usable.get(bias) if bias is not None else None
        if effective is not None:
            key = at + effective * 60_000
            entry = TimelineEntry(record, source, line, local, effective, key)
        else:
            if placed_bias is None:
                placed_bias, basis = _placement_bias(device_bias, source.folder)
            key = at + placed_bias * 60_000
            entry = TimelineEntry(record, source, line, local, None, key)
            placed += 1
        if previous_key is None:
            for lead in untimed_lead:
                lead.key = key
            untimed_lead = []
        previous_key = key
        append(entry)
    return entries, placed, placed_bias, basis


def merge_by_key(per_source: list[list]) -> list:
    """All entries (anything with a `key`) by key; equal keys keep the input's order (the sources' order, then each source's own), as a
    stable sort of everything would. Each log is nearly in time order already: a log found in order is not
    sorted again, and the merge takes key windows of about BLOCK entries, each a small C-level stable sort of
    the sources' slices in source order, so the GIL is never held for long."""
    key = attrgetter("key")
    columns = []
    for entries in per_source:
        keys: list[int] = []
        for at in range(0, len(entries), BLOCK):
            keys += map(key, entries[at:at + BLOCK])
        if not all(all(map(le, keys[at:at + BLOCK], keys[at + 1:at + BLOCK + 1])) for at in range(0, len(keys), BLOCK)):
            entries.sort(key=key)
            keys = list(map(key, entries))
        if entries:
            columns.append((entries, keys))
    if len(columns) <= 1:
        return columns[0][0] if columns else []
    merged: list[TimelineEntry] = []
    starts = [0] * len(columns)
    while True:
        live = [(keys, at) for (_, keys), at in zip(columns, starts, strict=True) if at < len(keys)]
        if not live:
            return merged
        # Below the key BLOCK entries ahead in every log that long: no log gives more than BLOCK to the window.
        boundary = min((keys[at + BLOCK] for keys, at in live if len(keys) - at > BLOCK), default=None)
        if boundary is None or boundary == min(keys[at] for keys, at in live):
            boundary = max(keys[-1] for keys, _ in live) + 1 if boundary is None else boundary + 1
        ends = [bisect_left(keys, boundary, at) for (_, keys), at in zip(columns, starts, strict=True)]
        window: list[TimelineEntry] = []
        for (entries, _), at, end in zip(columns, starts, ends, strict=True):
            window += entries[at:end]
        window.sort(key=key)
        merged += window
        starts = ends


def _placement_bias(device_bias: dict[str, int], folder: str) -> tuple[int, str]:
    """(bias, where it comes from) for placing local-only records of a log in `folder`."""
    if folder in device_bias:
        return device_bias[folder], "beside it"
    if "" in device_bias:
        return device_bias[""], "of this input"
    return 0, ""


def _device_biases(times: list[SourceTimes], conventions: dict[str, str]) -> dict[str, int]:
    """Folder -> the Windows bias of the ConfigMgr logs in it ("" -> the most common one of the input)."""
    per_folder: dict[str, Counter] = {}
    overall: Counter = Counter()
    for st in times:
        bias = st.common_bias(conventions.get(st.source.path, "windows"))
        if st.source.kind not in CONFIGMGR_KINDS or bias is None:
            continue
        weight = len(st.source.records)
        per_folder.setdefault(st.source.folder, Counter())[bias] += weight
        overall[bias] += weight
    result = {folder: counts.most_common(1)[0][0] for folder, counts in per_folder.items()}
    if overall:
        result[""] = overall.most_common(1)[0][0]
    return result
