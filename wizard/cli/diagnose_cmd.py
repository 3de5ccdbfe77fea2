"""`ccmsetup-wizard diagnose PATH [--json] [--since UTC] [--until UTC] [--bias-as-offset GLOB]`: read a device's
ccmsetup and client logs (a log file, a folder such as a copy of C:\\Windows\\ccmsetup\\Logs and C:\\Windows\\CCM\\Logs,
or an evidence zip, read in place), merge them in UTC, judge every ccmsetup run and print the root cause first.

Exit code: 0 when something could be read, 2 when nothing was readable (or the arguments are wrong)."""

from __future__ import annotations

import argparse
import sys

from wizard.core.diagnose import diagnose, parse_utc, to_markdown, to_text
from wizard.core.diagnose.report import write_json


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "diagnose",
        help="diagnose a device's logs (file, folder or evidence zip): runs, root cause, merged UTC timeline",
        description="Read a device's ccmsetup and client logs (a log file, a folder such as a copy of "
                    "C:\\Windows\\ccmsetup\\Logs and C:\\Windows\\CCM\\Logs, or an evidence zip, read in place), "
                    "merge them in UTC, judge every ccmsetup run and print the root cause first.",
        epilog="Times: ConfigMgr writes the Windows time-zone bias after each time (UTC = local + bias). Logs "
               "that scripts write in CMTrace format often hold the UTC offset instead; name them with "
               "--bias-as-offset to read them that way.",
    )
    parser.add_argument("path", metavar="PATH", help="a log file, a folder of logs, or a zip (e.g. the evidence zip "
                                                     "from 'collect')")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true",
                        help='print JSON: {"sources", "runs", "findings", "timeline"}')
    output.add_argument("--markdown", action="store_true", help="print the findings as Markdown for a ticket")
    output.add_argument("--timeline", action="store_true", help="also print the merged timeline as text")
    parser.add_argument("--since", metavar="UTC", help="only records at or after this time (ISO 8601, e.g. "
                                                       "2026-11-26T10:00:00Z; no zone means UTC); runs and "
                                                       "findings are judged on those records")
    parser.add_argument("--until", metavar="UTC", help="only records at or before this time (ISO 8601)")
    parser.add_argument("--bias-as-offset", action="append", default=[], metavar="GLOB",
                        help="read the time-zone bias of the logs matching GLOB (file name or path, e.g. "
                             "'Deploy-*.log') as a UTC offset, the convention of script-written CMTrace logs; "
                             "may be repeated")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    try:
        since = parse_utc(args.since) if args.since else None
        until = parse_utc(args.until) if args.until else None
    except ValueError as exc:
        print(f"ccmsetup-wizard diagnose: --since/--until: {exc}; use ISO 8601 such as 2026-11-26T10:00:00Z.",
              file=sys.stderr)
        return 2
    if since and until and since > until:
        print("ccmsetup-wizard diagnose: --since is after --until.", file=sys.stderr)
        return 2
    try:
        result = diagnose(args.path, since=since, until=until, offset_globs=args.bias_as_offset)
    except FileNotFoundError:
        print(f"ccmsetup-wizard diagnose: {args.path}: no such file or folder. Give a ccmsetup.log, a folder of "
              "logs or an evidence zip.", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"ccmsetup-wizard diagnose: cannot read {args.path}: {exc}", file=sys.stderr)
        return 2
    if args.json:
        write_json(result, sys.stdout)
        sys.stdout.write("\n")
    elif args.markdown:
        sys.stdout.write(to_markdown(result))
    else:
        sys.stdout.write(to_text(result, timeline=args.timeline))
    if not result.readable:
        if not args.json:
            print("ccmsetup-wizard diagnose: nothing readable: no log records found"
                  + (" (see the problems listed per file)." if result.sources else
                     "; expected ccmsetup*.log, client.msi.log, ClientIDManagerStartup.log or other CCM logs."),
                  file=sys.stderr)
        return 2
    return 0
