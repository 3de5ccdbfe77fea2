"""`ccmsetup-wizard collect [--output FILE.zip] [--demo[=PRESET]]`: one evidence zip for a ticket (logs, dsregcmd,
check results, the redacted command line, summary.md). Secrets and the token are masked.

In demo mode the newest earlier demo run (from `install --demo`) is collected when there is one."""

from __future__ import annotations

import argparse
import sys

from wizard.cli.check_cmd import UsageError, add_demo_option, add_plan_options, load_plan, make_host
from wizard.host.collect import collect_evidence


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "collect",
        help="write an evidence zip (logs, dsregcmd, checks, redacted command, summary.md)",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    parser.add_argument("--output", metavar="FILE.zip",
                        help="where to write the zip (default: ccmsetup-evidence-<time>.zip here)")
    add_demo_option(parser)
    add_plan_options(parser)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    output = args.output
    if output and not output.lower().endswith(".zip"):
        print(f"ccmsetup-wizard collect: --output: {output!r} should end in .zip", file=sys.stderr)
        return 2
    try:
        demo_options = {}
        if args.demo is not None or sys.platform != "win32":
            from wizard.host.demo import latest_run_dir

            previous = latest_run_dir()
            if previous is not None:
                demo_options["run_dir"] = previous
        host = make_host(args, **demo_options)
        plan = None
        if args.profile or args.from_command:
            plan, _ = load_plan(args, host)
    except UsageError as exc:
        print(f"ccmsetup-wizard collect: {exc}", file=sys.stderr)
        return 2
    if host.is_demo:
        print(f"*** DEMO MODE *** {host.describe()}", file=sys.stderr)
    try:
        result = collect_evidence(host, output, plan=plan)
    except OSError as exc:
        print(f"ccmsetup-wizard collect: cannot write the zip: {exc}", file=sys.stderr)
        return 1
    for warning in result.warnings:
        print(f"note: {warning}", file=sys.stderr)
    print(f"Evidence written to {result.path} ({len(result.files)} files).")
    return 0
