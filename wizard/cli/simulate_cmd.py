"""`ccmsetup-wizard simulate --log-dir DIR [--outcome NAME] [--speed X] -- <ccmsetup arguments>`."""

from __future__ import annotations

import argparse

from wizard.core import simulator


def add_parser(subparsers) -> None:
    outcomes = "; ".join(f"{name}: {text}" for name, text in simulator.OUTCOMES.items())
    parser = subparsers.add_parser(
        "simulate", help="act like ccmsetup.exe and write a realistic ccmsetup.log (demo mode, training, tests)",
        description="Act like ccmsetup.exe: write ccmsetup.log (and client.msi.log, ClientIDManagerStartup.log) "
                    "over about 60 s. Without /noservice the command returns at once with the launcher's code "
                    "while a background 'service' process finishes the log, like the real ccmsetup.",
        epilog=f"Outcomes: {outcomes}")
    simulator.add_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return simulator.run_from_args(args)
