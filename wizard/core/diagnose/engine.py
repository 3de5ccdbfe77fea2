"""`diagnose(path)`: read every log of a file, folder or zip, merge them in UTC, judge every ccmsetup run and
say what went wrong first. Pure Python: reads files and zips, nothing else."""

from __future__ import annotations

import fnmatch
import gc
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from operator import attrgetter, eq

from wizard.core.diagnose.clock import CONVENTIONS, datetime_key
from wizard.core.diagnose.findings import DiagnoseFinding, find_findings
from wizard.core.diagnose.patterns import find_matches, load_patterns
from wizard.core.diagnose.runs import SETUP_KINDS, LineMatch, Run, find_runs
from wizard.core.diagnose.sources import Source, discover, read_sources
from wizard.core.diagnose.timeline import (
    CONFIGMGR_KINDS,
    SourceTimes,
    TimelineEntry,
    build_timeline,
    column,
    merge_by_key,
    select,
)

__all__ = ["Diagnosis", "diagnose", "match_conventions", "parse_utc"]

_KIND = attrgetter("source.kind")
_MESSAGE = attrgetter("record.message")

ProgressCallback = Callable[[int, int, str], None]


def parse_utc(text: str) -> datetime:
    """An ISO 8601 time for --since/--until; without a zone it is taken as UTC. Raises ValueError."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def match_conventions(sources: Iterable[Source], offset_globs: Iterable[str]) -> dict[str, str]:
    """Source path -> "offset" for the sources a glob names (matched against the path and the file name,
    case-insensitive)."""
    globs = [g.lower() for g in offset_globs]
    result = {}
    for source in sources:
        path, name = source.path.lower().replace("\\", "/"), source.name.lower()
        if any(fnmatch.fnmatchcase(path, g) or fnmatch.fnmatchcase(name, g) for g in globs):
            result[source.path] = "offset"
    return result


@dataclass
class Diagnosis:
    input: str
    input_kind: str  # file | folder | zip
    sources: list[Source]
    times: list[SourceTimes] = field(repr=False, default_factory=list)
    conventions: dict[str, str] = field(default_factory=dict)  # path -> "offset" (default "windows")
    since: datetime | None = None
    until: datetime | None = None
    timeline: list[TimelineEntry] = field(default_factory=list, repr=False)
    runs: list[Run] = field(default_factory=list)
    findings: list[DiagnoseFinding] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=dict)  # path -> notes about times and biases

    @property
    def readable(self) -> bool:
        """Something could be read (exit code 0 of the CLI)."""
        return any(s.readable and s.records for s in self.sources)

    @property
    def root_cause(self) -> DiagnoseFinding | None:
        return next((f for f in self.findings if f.root_cause), None)

    def convention(self, source: Source) -> str:
        return self.conventions.get(source.path, "windows")

    def bias_minutes(self, source: Source) -> int | None:
        """Minutes to add to this source's local times for UTC, as assumed (None: no usable bias in it)."""
        times = next((t for t in self.times if t.source is source), None)
        return None if times is None else times.common_bias(self.convention(source))

    def problems(self, source: Source) -> list[str]:
        return list(source.problems) + self.notes.get(source.path, [])

    def source_dict(self, source: Source) -> dict:
        return {"path": source.path, "kind": source.kind, "records": len(source.records),
                "bias_minutes": self.bias_minutes(source), "problems": self.problems(source)}

    def to_dict(self, *, timeline: bool = True) -> dict:
        from wizard.core.diagnose.report import timeline_dict

        return {
            "sources": [self.source_dict(s) for s in self.sources],
            "runs": [r.as_dict() for r in self.runs],
            "findings": [f.as_dict() for f in self.findings],
            "timeline": [timeline_dict(e) for e in self.timeline] if timeline else [],
        }

    def position(self, entry: TimelineEntry) -> int:
        """Index of `entry` in `timeline` (-1 if not there). The index is built on first use."""
        index = self.__dict__.get("_positions")
        if index is None:
            index = self.__dict__["_positions"] = {id(e): i for i, e in enumerate(self.timeline)}
        return index.get(id(entry), -1)

    def entry_at(self, path: str, line: int) -> TimelineEntry | None:
        """The timeline entry of a source path and line (what evidence dicts name)."""
        index = self.__dict__.get("_by_line")
        if index is None:
            index = self.__dict__["_by_line"] = {(e.source.path, e.line): e for e in self.timeline}
        return index.get((path, line))

    def with_conventions(self, conventions: dict[str, str]) -> Diagnosis:
        """The same logs merged again with other bias conventions (no re-reading)."""
        return _assemble(self.input, self.input_kind, self.sources, self.times, conventions, self.since,
                         self.until)


def diagnose(path: str | os.PathLike, *, since: datetime | None = None, until: datetime | None = None,
             offset_globs: Iterable[str] = (), conventions: dict[str, str] | None = None,
             progress: ProgressCallback | None = None, cancel: threading.Event | None = None) -> Diagnosis:
    """Diagnose a log file, a folder of logs or a zip. `since`/`until` (aware datetimes) keep only records in
    that UTC window; `offset_globs` names sources whose bias is a UTC offset (or pass `conventions` by path).

    Raises FileNotFoundError/OSError when the input itself cannot be opened, DiagnoseCancelled on `cancel`.
    Unreadable or partial files are reported in their source's problems; the rest is still diagnosed."""
    # A diagnosis allocates several objects per record and no reference cycles; the cyclic collector would walk
    # them all again and again as they pile up. Paused while it works (the GUI collects on its own timer).
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        return _diagnose(path, since, until, offset_globs, conventions, progress, cancel)
    finally:
        if paused:
            gc.enable()


def _diagnose(path, since, until, offset_globs, conventions, progress, cancel) -> Diagnosis:
    sources, kind = discover(path)
    read_sources(sources, progress=progress, cancel=cancel)
    times = [SourceTimes(s) for s in sources if s.records]
    chosen = dict(conventions or {})
    chosen.update(match_conventions(sources, offset_globs))
    for value in chosen.values():
        if value not in CONVENTIONS:
            raise ValueError(f"unknown bias convention {value!r}; use one of {', '.join(CONVENTIONS)}")
    if cancel is not None and cancel.is_set():
        from wizard.core.diagnose.sources import DiagnoseCancelled

        raise DiagnoseCancelled()
    return _assemble(str(path), kind, sources, times, chosen, since, until)


def _assemble(input_path: str, kind: str, sources: list[Source], times: list[SourceTimes],
              conventions: dict[str, str], since: datetime | None, until: datetime | None) -> Diagnosis:
    timeline, notes = build_timeline(times, conventions)
    if since is not None or until is not None:
        low = datetime_key(since.astimezone(UTC)) if since is not None else None
        high = datetime_key(until.astimezone(UTC)) if until is not None else None
        timeline = [e for e in timeline if (low is None or e.key >= low) and (high is None or e.key <= high)]
    _bias_hints(times, conventions, notes)
    matches = _match_lines(timeline)
    has_registration_log = any(s.kind == "ClientIDManagerStartup" and s.records for s in sources)
    runs = find_runs(timeline, matches, has_registration_log)
    findings = find_findings(runs, matches, timeline, has_registration_log=has_registration_log)
    return Diagnosis(input_path, kind, sources, times, dict(conventions), since, until, timeline, runs, findings,
                     notes)


def _match_lines(timeline: list[TimelineEntry]) -> list[LineMatch]:
    """The lines the pattern table recognises, in timeline order (one substring scan per needle and log kind)."""
    table = load_patterns()
    kinds = column(timeline, _KIND)
    per_kind: list[list[LineMatch]] = []
    for kind in dict.fromkeys(kinds):  # in the order of first appearance, as the matches of equal times are
        if not table.for_kind(kind):
            continue
        entries = select(timeline, column(kinds, partial(eq, kind)))
        messages = column(entries, _MESSAGE)
        per_kind.append([LineMatch(entries[at], pattern, m) for at, pattern, m in find_matches(messages, kind, table)])
    return merge_by_key(per_kind)  # stable: lines of one log keep their order


def _bias_hints(times: list[SourceTimes], conventions: dict[str, str], notes: dict[str, list[str]]) -> None:
    """A log that is not ConfigMgr's own whose bias is exactly the opposite of the device's: likely a script
    writing the UTC offset. Say so (never guess: the user flips it)."""
    device = {t.written_bias for t in times if t.source.kind in CONFIGMGR_KINDS and t.written_bias}
    if len(device) != 1:
        return
    bias = device.pop()
    for t in times:
        if t.source.kind in CONFIGMGR_KINDS or t.source.kind in SETUP_KINDS or t.written_bias != -bias:
            continue
        if conventions.get(t.source.path) == "offset":
            continue
        notes.setdefault(t.source.path, []).append(
            f"its bias ({t.written_bias:+d}) is the opposite of the ConfigMgr logs' ({bias:+d}): if a script wrote "
            "this log, it holds the UTC offset; read it that way with --bias-as-offset (GUI: 'UTC offset')")
