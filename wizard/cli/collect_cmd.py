"""`ccmsetup-wizard collect [--output FILE.zip] [--demo[=PRESET]]`: one evidence zip for a ticket (logs, dsregcmd,
check results, the redacted command line, summary.md). Secrets and the token are masked.

In demo mode the newest earlier demo run (from `install --demo`) is collected when there is one, described
with the simulated device that run used."""

from __future__ import annotations

import argparse
import sys

from wizard.cli.shared import UsageError, add_demo_option, add_plan_options, load_plan, make_host
from wizard.core.world import DEFAULT_WORLD
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
                if args.demo in (None, DEFAULT_WORLD):  # no other device named: describe the one that ran
                    world = _world_of_run(previous)
                    if world is not None:
                        demo_options["world"] = world
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


def _world_of_run(run_dir):
    """The simulated world an earlier demo run used (its run folder keeps a copy, with the preset's name), or None
    when it has none or the copy cannot be read (then the named preset describes the device)."""
    from wizard.core.world import NamedWorld, WorldFileError, load_world
    from wizard.host.demo import WORLD_FILE, WORLD_NAME_FILE

    path = run_dir / WORLD_FILE
    if not path.is_file():
        return None
    try:
        name = (run_dir / WORLD_NAME_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        name = ""
    try:
        return NamedWorld(name or "last demo run", load_world(path).world, path)
    except (WorldFileError, OSError):
        return None
