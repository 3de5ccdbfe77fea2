"""`ccmsetup-wizard selftest [--json] [--demo[=PRESET]]`: exercise every Windows call the wizard makes, read-only,
on this device (WinVerifyTrust, token, processes, services, registry, dsregcmd, retry task, pending restart, log
folders, a throw-away credential, UNC names, the UAC owner window, certificates, the chain engine). Run it once on
a new Windows build and attach the JSON to a bug report. Exit 0 when no probe failed, 1 otherwise.

Off Windows every probe is skipped with the reason (exit 0); --demo runs the probes against the demo device."""

from __future__ import annotations

import argparse
import sys

from wizard.cli.shared import add_demo_option

_SYMBOL = {"pass": "ok", "fail": "FAIL", "skipped": "skip"}


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "selftest",
        help="check every Windows call the wizard makes on this device (read-only); attach --json to bug reports",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    add_demo_option(parser)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from wizard.host.demo import PresetError
    from wizard.host.selftest import default_options, run_selftest, selftest_host

    try:
        host = selftest_host(args.demo)
    except PresetError as exc:
        print(f"ccmsetup-wizard selftest: --demo: {exc}", file=sys.stderr)
        return 2
    if host is not None and host.is_demo:
        print(f"*** DEMO MODE *** {host.describe()}", file=sys.stderr)

    def show(probe, outcome) -> None:
        if not args.json and host is not None:
            print(f"[{_SYMBOL[outcome.status]:>4}] {probe.title} ({outcome.seconds:.1f} s): {outcome.detail}",
                  flush=True)

    report = run_selftest(host, options=default_options(host), on_probe=show)
    if args.json:
        print(report.to_json())
    else:
        if host is None:  # one reason for all: say it once
            print(f"Every probe skipped: {report.probes[0].detail}.\nProbes: "
                  + ", ".join(p.id for p in report.probes))
        counts = {status: sum(p.status == status for p in report.probes) for status in ("pass", "fail", "skipped")}
        print(f"{report.platform}; ccmsetup-wizard {report.version}: "
              + ", ".join(f"{n} {status}" for status, n in counts.items() if n))
    return report.exit_code
