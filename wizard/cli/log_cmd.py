"""`ccmsetup-wizard log summary FILE` and `ccmsetup-wizard log follow FILE`: judge or follow a ccmsetup log."""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time

from wizard.core.logparse import LogRecord, parse_file
from wizard.core.redact import redact
from wizard.core.tail import DEFAULT_HINT_INTERVAL, DEFAULT_POLL_INTERVAL, LogTailer, file_size
from wizard.core.tracker import NOTHING_SEEN, InstallTracker, Outcome, track_last_run

# CMTrace colours: errors red with yellow text, warnings on yellow.
_COLOURS = {3: "\x1b[41;93m", 2: "\x1b[43;30m"}
_RESET = "\x1b[0m"
_PHASE_COLOUR = "\x1b[1;36m"
# Exit code when the log shows a result but no return code line (e.g. only "CcmSetup failed with error code").
_RETURN_CODE_FOR_STATE = {"succeeded": 0, "reboot-required": 7, "failed": 6, "unknown": 1}


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


def summary_dict(records: list[LogRecord], tracker: InstallTracker) -> dict:
    return {
        "records": len(records),
        "errors": sum(1 for r in records if r.type == 3),
        "warnings": sum(1 for r in records if r.type == 2),
        "phase": tracker.phase,
        "outcome": judged_outcome(tracker).as_dict(),
    }


def run_summary(args: argparse.Namespace) -> int:
    if args.since_offset < 0:
        print("log summary: --since-offset must be 0 or more (a byte offset into the file).", file=sys.stderr)
        return 2
    try:
        records = parse_file(args.file, since_offset=args.since_offset)
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
    tracker = track_last_run(records)
    data = summary_dict(records, tracker)
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
          + (f", return code {outcome.return_code}" if outcome.return_code is not None else "")
          + (f", error {outcome.error_code}" if outcome.error_code else ""))
    print(f"         {outcome.summary}")
    _print_explanation(outcome, sys.stdout)
    return 0


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
    out = sys.stdout
    colour = out.isatty() and os.environ.get("NO_COLOR") is None
    tailer = LogTailer(args.file, from_start=args.from_start, poll_interval=args.poll)
    tracker = InstallTracker(noservice=args.noservice)
    stop = threading.Event()
    last_phase = None
    final_ticks = 0
    if not os.path.exists(args.file):
        print(f"Waiting for {args.file} to appear...", file=sys.stderr)
    next_poll = 0.0
    try:
        while True:
            if time.monotonic() < next_poll and not tailer.has_changed():
                # Between full polls only a cheap stat runs (see LogTailer.hint_interval).
                if stop.wait(min(DEFAULT_HINT_INTERVAL, args.poll)):
                    break
                continue
            next_poll = time.monotonic() + args.poll
            records = tailer.poll()
            if records:
                for record in records:
                    print(format_record(record, colour), file=out)
                tracker = track_last_run(records, noservice=args.noservice, tracker=tracker)
                if tracker.phase != last_phase:
                    last_phase = tracker.phase
                    line = f"== Phase: {tracker.phase_title}"
                    print(f"{_PHASE_COLOUR}{line}{_RESET}" if colour else line, file=out)
                out.flush()
            caught_up = file_size(args.file) <= tailer.offset
            outcome = tracker.outcome
            if outcome.final and caught_up:
                # Give ccmsetup a tick to write the exit line that usually follows a failure line.
                final_ticks += 1
                if final_ticks > 2 or outcome.return_code is not None:
                    return _finish(outcome, out)
    except KeyboardInterrupt:
        print("\nStopped following (Ctrl-C); ccmsetup itself keeps running.", file=sys.stderr)
        return 130
    return 0


def _finish(outcome: Outcome, out) -> int:
    code = outcome.return_code
    if code is None:
        code = _RETURN_CODE_FOR_STATE.get(outcome.state, 1)
    print(f"== Result: {outcome.state}"
          + (f", return code {outcome.return_code}" if outcome.return_code is not None else "")
          + (f", error {outcome.error_code}" if outcome.error_code else "") + f" — {outcome.summary}", file=out)
    _print_explanation(outcome, out)
    out.flush()
    return code
