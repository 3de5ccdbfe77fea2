"""`ccmsetup-wizard check [--profile FILE | --from "<command>"] [--demo[=PRESET]] [--json]`: lint the command
(rule errors are reported first) and run the prerequisite checks for it on this device (or a simulated one).
Exit 0 when nothing failed and the command has no rule errors, 1 otherwise, 2 on bad input."""

from __future__ import annotations

import argparse
import json
import sys

from wizard.cli.shared import (
    UsageError,
    add_demo_option,
    add_lab_option,
    add_plan_options,
    findings_json,
    format_finding,
    format_result,
    load_plan,
    make_host,
    print_banner,
    results_json,
    rule_errors,
)
from wizard.host.checks import any_failed, run_checks, summarize


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "check",
        help="run the prerequisite checks for an install on this device",
        description="Check a ccmsetup command against the rules (the same as `lint`), then run the prerequisite "
                    "checks (device, Entra join, network, ccmsetup.exe) for it. Exit 0: nothing failed; 1: a rule "
                    "error or a failed check; 2: bad input.",
    )
    add_plan_options(parser)
    add_demo_option(parser)
    add_lab_option(parser)
    parser.add_argument("--ccmsetup", metavar="PATH", help="the ccmsetup.exe to verify (default: found beside "
                                                            "the wizard)")
    parser.add_argument("--json", action="store_true",
                        help='print a JSON list of {"id","status","title","detail","fix","seconds"}; each rule '
                             'error of the command comes first as {"id":"rules","status":"fail","rule":RULE,'
                             '"field":NAME,...}')
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    try:
        host = make_host(args)
        plan, where = load_plan(args, host)
    except UsageError as exc:
        print(f"ccmsetup-wizard check: {exc}", file=sys.stderr)
        return 2
    print_banner(host, where, stream=sys.stderr if args.json else sys.stdout)
    errors = rule_errors(plan)
    if not args.json:
        for finding in errors:
            print(format_finding(finding), flush=True)
        if errors:
            print(f"{len(errors)} rule error(s) in the command; ccmsetup would fail or misbehave with it.", flush=True)
    on_result = None if args.json else (lambda r: print(format_result(r), flush=True))
    results = run_checks(host, plan, on_result=on_result, exe=args.ccmsetup)
    if args.json:
        print(json.dumps(findings_json(errors) + results_json(results), indent=2, ensure_ascii=False))
    else:
        counts = summarize(results)
        print(", ".join(f"{n} {s}" for s, n in counts.items() if n)
              + (f"; {len(errors)} rule error(s)" if errors else ""))
    return 1 if errors or any_failed(results) else 0
