"""`ccmsetup-wizard log summary FILE` and `ccmsetup-wizard log follow FILE`: judge or follow a ccmsetup log."""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from operator import attrgetter

from wizard.core import logparse
from wizard.core.logparse import LogRecord
from wizard.core.tail import DEFAULT_HINT_INTERVAL, DEFAULT_POLL_INTERVAL, LogTailer, file_size
from wizard.core.tracker import NOTHING_SEEN, InstallTracker, Outcome, RunSplitter

# CMTrace colours: errors red with yellow text, warnings on yellow.
_COLOURS = {3: "\x1b[41;93m", 2: "\x1b[43;30m"}
_RESET = "\x1b[0m"
_PHASE_COLOUR = "\x1b[1;36m"
# Exit code when the log shows a result but no return code line (e.g. only "CcmSetup failed with error code"):
# 6 is ccmsetup's documented return code for a failed run (facts §4.3).
_RETURN_CODE_FOR_STATE = {"succeeded": 0, "reboot-required": 7, "failed": 6, "unknown": 1}
_CHUNK = 1 << 20
_LEVEL = attrgetter("type")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("log", help="summarise or follow a ccmsetup log",
                                   description="Summarise or follow ccmsetup.log (CCM/CMTrace, legacy, MSI or "
                                               "plain text logs).")
    sub = parser.add_subparsers(dest="log_command", metavar="ACTION", required=True)

    summary = sub.add_parser("summary", help="count records and judge the install outcome of a log")
    summary.add_argument("file", metavar="FILE", help="the log file (e.g. C:\\Windows\\ccmsetup\\Logs\\ccmsetup.log)")
    summary.add_argument("--since-offset", type=int, default=0, metavar="N",
                         help="only records starting at or after byte N count (the launch offset)")
    summary.add_argument("--json", action="store_true", help="print JSON")
    summary.set_defaults(func=run_summary)

    follow = sub.add_parser("follow", help="print records as they arrive until ccmsetup's result is final")
    follow.add_argument("file", metavar="FILE", help="the log file to follow (it may not exist yet)")
    follow.add_argument("--from-start", action="store_true",
                        help="read the existing content first (default: only new records)")
    follow.add_argument("--poll", type=float, default=DEFAULT_POLL_INTERVAL, metavar="SECONDS",
                        help=f"poll interval (default {DEFAULT_POLL_INTERVAL})")
    follow.add_argument("--noservice", action="store_true",
                        help="the install runs with /noservice: its exit line is final")
    follow.set_defaults(func=run_follow)


def judged_outcome(tracker: InstallTracker) -> Outcome:
    """The tracker's outcome, or NOTHING_SEEN (state `unknown`) when the records hold no ccmsetup run: a
    summary of an empty file or of another log must not claim an install is running."""
    return tracker.outcome if tracker.run_seen else NOTHING_SEEN


def iter_log_records(path, since_offset: int = 0) -> Iterator[LogRecord]:
    """The records of a log file, streamed (no record list, about constant memory whatever the file size);
    records starting before `since_offset` are skipped. Raises OSError when the file cannot be read."""
    yield from logparse.iter_file_records(path, since_offset=since_offset, chunk_size=_CHUNK)


class LogSummary:
    """Counts and the last run of a stream of records, holding no record list."""

    def __init__(self, *, noservice: bool = False):
        self.records = self.errors = self.warnings = 0
        self.splitter = RunSplitter(noservice=noservice, keep_runs=False)

    def feed(self, records) -> None:
        """Any iterable of records (one list at a time is fastest: the levels are counted at C speed)."""
        batch = records if isinstance(records, list) else list(records)
        levels = list(map(_LEVEL, batch))
        self.records += len(levels)
        self.errors += levels.count(3)
        self.warnings += levels.count(2)
        self.splitter.feed(batch)

    def feed_file(self, path, since_offset: int = 0) -> None:
        """Stream a log file through (raises OSError when it cannot be read). Records are read lean (no offsets,
        files or contexts, which judging does not use) unless an offset is given."""
        for batch in logparse.iter_file_batches(path, since_offset=since_offset, chunk_size=_CHUNK,
                                                lean=not since_offset):
            self.feed(batch)

    def finish(self) -> InstallTracker:
        self.splitter.flush()
        return self.splitter.current

    def as_dict(self) -> dict:
        tracker = self.splitter.current
        return {"records": self.records, "errors": self.errors, "warnings": self.warnings, "phase": tracker.phase,
                "outcome": judged_outcome(tracker).as_dict()}


def run_summary(args: argparse.Namespace) -> int:
    if args.since_offset < 0:
        print("log summary: --since-offset must be 0 or more (a byte offset into the file).", file=sys.stderr)
        return 2
    summary = LogSummary()
    try:
        summary.feed_file(args.file, since_offset=args.since_offset)
    except OSError as exc:
        print(f"log summary: cannot read {args.file!r}: {exc.strerror or exc}. Check the path (ccmsetup writes "
              "%WinDir%\\ccmsetup\\Logs\\ccmsetup.log).", file=sys.stderr)
        return 2
    if args.since_offset:
        size = file_size(args.file)
        if args.since_offset > size:
            print(f"log summary: warning: --since-offset {args.since_offset} is past the end: {args.file} is "
                  f"{size} bytes; was the log rotated? (ccmsetup renames a full log to ccmsetup.lo_ and starts a "
                  "new one; summarise that file, or use a smaller offset.)", file=sys.stderr)
    tracker = summary.finish()
    data = summary.as_dict()
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    outcome = judged_outcome(tracker)
    print(f"{args.file}: {data['records']} records, {data['errors']} errors, {data['warnings']} warnings")
    if not tracker.run_seen:
        print(f"Outcome: unknown: {outcome.summary}")
        return 0
    print(f"Phase:   {tracker.phase_title}")
    print(f"Outcome: {outcome.state}{' (final)' if outcome.final else ' (not final yet)'}"
          + _code_text(outcome) + (f", error {outcome.error_code}" if outcome.error_code else ""))
    print(f"         {outcome.summary}")
    _print_explanation(outcome, sys.stdout)
    return 0


def _code_text(outcome: Outcome) -> str:
    data = outcome.as_dict()
    if data["return_code"] is None:
        return ""
    if data["return_code_source"] == "documented-for-failure":
        return f", return code {data['return_code']} (ccmsetup's documented code for a failed run; the log has none)"
    return f", return code {data['return_code']}"


def _print_explanation(outcome: Outcome, out) -> None:
    exp = outcome.explanation
    if exp is None or outcome.state == "succeeded":
        return
    print(f"Meaning: {exp.meaning}", file=out)
    print(f"Cause:   {exp.cause}", file=out)
    print(f"Do:      {exp.action}", file=out)
    if exp.doc:
        print(f"Docs:    {exp.doc}", file=out)


def format_record(record: LogRecord, colour: bool) -> str:
    from wizard.core.redact import redact  # loads the plan model: only `log follow` prints records

    when = record.time_text.split("+")[0].split("-")[0] if record.fmt == "ccm" else ""
    prefix = f"{when:<12} " if when else ""
    # ccmsetup echoes its command line, /regtoken included, into the log: mask it before it reaches a terminal.
    text = prefix + redact(record.message).replace("\n", "\n" + " " * len(prefix))
    if colour and record.type in _COLOURS:
        return f"{_COLOURS[record.type]}{text}{_RESET}"
    return text


def run_follow(args: argparse.Namespace) -> int:
    if not args.poll > 0:
        print("log follow: --poll must be a number of seconds above 0.", file=sys.stderr)
        return 2
    try:
        return _follow(args)
    except KeyboardInterrupt:
        print("\nStopped following (Ctrl-C); ccmsetup itself keeps running.", file=sys.stderr)
        return 130


def _follow(args: argparse.Namespace) -> int:
    out = sys.stdout
    colour = out.isatty() and os.environ.get("NO_COLOR") is None
    splitter = RunSplitter(noservice=args.noservice, keep_runs=False)
    settled: InstallTracker | None = None  # a run that had already ended when following began
    start: int | None = None
    if not os.path.exists(args.file):
        print(f"Waiting for {args.file} to appear...", file=sys.stderr)
    elif not args.from_start:
        start = file_size(args.file)
        start, settled = _judge_existing(args.file, start, splitter)
    tailer = LogTailer(args.file, from_start=args.from_start, start_offset=start, poll_interval=args.poll)
    stop = threading.Event()
    last_phase = None
    final_ticks = 0
    next_poll = 0.0
    while True:
        if time.monotonic() < next_poll and not tailer.has_changed():
            # Between full polls only a cheap stat runs (see LogTailer.hint_interval).
            if stop.wait(min(DEFAULT_HINT_INTERVAL, args.poll)):
                break
            continue
        next_poll = time.monotonic() + args.poll
        records = tailer.poll()
        tracker = splitter.current
        if records:
            for record in records:
                print(format_record(record, colour), file=out)
            splitter.feed(records)
            tracker = splitter.current
            if tracker is not settled and tracker.run_seen and tracker.phase != last_phase:
                last_phase = tracker.phase
                line = f"== Phase: {tracker.phase_title}"
                print(f"{_PHASE_COLOUR}{line}{_RESET}" if colour else line, file=out)
            out.flush()
        if tracker is settled or not tracker.run_seen:
            continue
        caught_up = file_size(args.file) <= tailer.offset
        outcome = tracker.outcome
        if outcome.final and caught_up:
            # Give ccmsetup a tick to write the exit line that usually follows a failure line.
            final_ticks += 1
            if final_ticks > 2 or outcome.return_code is not None:
                return _finish(outcome, out)
    return 0


def _judge_existing(path, end: int, splitter: RunSplitter) -> tuple[int, InstallTracker | None]:
    """Read what the log already holds (not printed) so the run in progress is judged from its start, and say
    on stderr what the last run ended with. Returns where to follow from — `end`, or the start of a last record
    still being written (the file does not end with a line break), which is then read whole as it completes —
    and that run's tracker when it had already ended: following then waits for a new run instead of waiting
    silently."""
    try:
        records = (record for record in iter_log_records(path) if record.offset < end)
        if _ends_mid_line(path, end):
            held: list[LogRecord] = []
            splitter.feed(_all_but_last(records, held))
            end = held[0].offset if held else end
        else:
            splitter.feed(records)
    except OSError as exc:
        print(f"log follow: cannot read {path!r} yet ({exc.strerror or exc}); retrying.", file=sys.stderr)
        return end, None
    tracker = splitter.current
    hint = "use --from-start to show the file from its beginning"
    if not tracker.run_seen:
        print(f"{path}: no ccmsetup run in the file yet; waiting for one ({hint}).", file=sys.stderr)
        return end, None
    outcome = tracker.outcome
    if not outcome.final:
        since = _log_time(tracker.first_record_time)
        print(f"{path}: a ccmsetup run is in progress ({tracker.phase_title}{', started ' + since if since else ''});"
              f" following it ({hint}).", file=sys.stderr)
        return end, None
    when = _log_time(outcome.when or tracker.last_record_time)
    print(f"{path}: the last ccmsetup run in the file ended{' at ' + when if when else ''}: {outcome.state}"
          + _code_text(outcome) + (f", error {outcome.error_code}" if outcome.error_code else "")
          + f". Waiting for a new ccmsetup run ({hint}).", file=sys.stderr)
    return end, tracker


def _all_but_last(records: Iterator[LogRecord], held: list[LogRecord]) -> Iterator[LogRecord]:
    """`records` streamed without the last one, which is put in `held`."""
    previous = None
    for record in records:
        if previous is not None:
            yield previous
        previous = record
    if previous is not None:
        held.append(previous)


def _ends_mid_line(path, end: int) -> bool:
    """The first `end` bytes of the file do not end with a line break (UTF-8/ANSI or UTF-16LE): ccmsetup is
    writing a record at this moment (every record it writes ends with CRLF)."""
    if end <= 0:
        return False
    with open(path, "rb") as fh:
        fh.seek(max(0, end - 2))
        tail = fh.read(min(2, end))
    return not (tail.endswith(b"\n") or tail == b"\n\x00")


def _log_time(when) -> str:
    return f"{when:%Y-%m-%d %H:%M:%S} (log time)" if when is not None else ""


def _finish(outcome: Outcome, out) -> int:
    data = outcome.as_dict()
    code = data["return_code"]
    if code is None:
        code = _RETURN_CODE_FOR_STATE.get(outcome.state, 1)
    print(f"== Result: {outcome.state}" + _code_text(outcome)
          + (f", error {outcome.error_code}" if outcome.error_code else "") + f" — {outcome.summary}", file=out)
    _print_explanation(outcome, out)
    out.flush()
    return code
