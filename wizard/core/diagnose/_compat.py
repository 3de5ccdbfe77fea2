"""TEMPORARY STAND-IN — the one place Diagnose bridges APIs that other branches are adding.

`wizard.core.logparse` gains `to_utc`, `MIN_BIAS`/`MAX_BIAS` and `LogRecord.bias_valid` (branch `parse`);
`wizard.core.tracker` gains `track_runs` (branch `truth`). Until both are merged, the names below fall back to
minimal equivalents built on today's public API. Remove this module (import the names directly) once merged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from wizard.core import logparse, tracker

MIN_BIAS: int = getattr(logparse, "MIN_BIAS", -840)
MAX_BIAS: int = getattr(logparse, "MAX_BIAS", 720)


def bias_of(record) -> tuple[int | None, bool]:
    """(bias as written, valid) of a record: valid means inside the real Windows range."""
    bias = record.bias
    if bias is None:
        return None, False
    valid = getattr(record, "bias_valid", None)
    if valid is None:
        valid = MIN_BIAS <= bias <= MAX_BIAS
    return bias, bool(valid)


if hasattr(logparse, "to_utc"):
    to_utc = logparse.to_utc
else:
    def to_utc(local: datetime, bias: int, convention: str = "windows") -> datetime:
        """UTC wall time: Windows bias (UTC = local + bias) or a UTC offset (UTC = local - offset)."""
        return local + timedelta(minutes=bias if convention == "windows" else -bias)


if hasattr(tracker, "track_runs"):
    track_runs = tracker.track_runs
else:
    @dataclass
    class _TrackedRun:
        first_index: int
        last_index: int
        start_record: object
        end_record: object
        outcome: tracker.Outcome
        tracker: tracker.InstallTracker

        @property
        def started(self):
            return self.start_record.time

        @property
        def ended(self):
            return self.end_record.time

    def track_runs(records, *, noservice: bool = False, scenario: str | None = None) -> list:
        """One entry per ccmsetup run (a new run starts at a process header after a final result)."""
        runs: list = []
        current = None
        first = 0
        for index, record in enumerate(records):
            if current is None or current.starts_new_run(record):
                if current is not None and current.run_seen:
                    runs.append(_close(records, first, index - 1, current))
                current = tracker.InstallTracker(noservice=noservice, scenario=scenario)
                first = index
            current.feed((record,))
        if current is not None and current.run_seen:
            runs.append(_close(records, first, len(records) - 1, current))
        return runs

    def _close(records, first: int, last: int, run_tracker) -> _TrackedRun:
        return _TrackedRun(first, last, records[first], records[last], run_tracker.outcome, run_tracker)
