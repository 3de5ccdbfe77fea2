"""`ccmsetup-wizard lab list|show|check`: the lab exercises for trainers (resources/labs/*.json).

A lab is run with `ccmsetup-wizard --lab NAME|FILE` (the wizard) or `check/install --lab NAME|FILE`."""

from __future__ import annotations

import argparse
import json
import sys

from wizard.core.world import WorldFileError


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "lab", help="list, show and check lab exercises for trainers",
        description="Lab exercises: a simulated device and site with planted faults, a briefing, a starting "
                    "command and a debrief. Run one with `ccmsetup-wizard --lab NAME` (the wizard) or "
                    "`ccmsetup-wizard install --lab NAME` / `check --lab NAME`. Trainers write their own lab "
                    "files (see the README, 'Lab exercises'); `lab check FILE` validates one.")
    commands = parser.add_subparsers(dest="lab_command", metavar="ACTION", required=True)
    listing = commands.add_parser("list", help="the shipped labs")
    listing.add_argument("--json", action="store_true", help="a JSON list of {name, title, briefing, planted, "
                                                             "expected, hints, path}")
    listing.set_defaults(func=run_list)
    show = commands.add_parser("show", help="a lab's briefing (and, for the trainer, its solution)")
    show.add_argument("lab", metavar="NAME|FILE")
    show.add_argument("--hints", type=int, default=0, metavar="N", help="also show the first N hints")
    show.add_argument("--solution", action="store_true", help="show what is planted and the documented fix")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=run_show)
    check = commands.add_parser("check", help="validate a lab file: fields, and that it fails as planted and "
                                              "succeeds with its fix")
    check.add_argument("lab", metavar="NAME|FILE")
    check.set_defaults(func=run_check)
    return parser


def _load(name: str):
    from wizard.core.world.labs import load_lab

    return load_lab(name)


def run_list(args: argparse.Namespace) -> int:
    from wizard.core.world.labs import lab_names

    labs, problems = [], []
    for name in lab_names():
        try:
            labs.append(_load(name))
        except WorldFileError as exc:
            problems.append(str(exc))
    if args.json:
        print(json.dumps([lab.summary() for lab in labs], indent=2, ensure_ascii=False))
    else:
        width = max((len(lab.name) for lab in labs), default=0)
        for lab in labs:
            print(f"{lab.name:<{width}}  {lab.title}")
        print(f"\n{len(labs)} labs. Run one: ccmsetup-wizard --lab NAME (the wizard) or "
              "ccmsetup-wizard install --lab NAME --yes --ignore-failed-checks")
    for problem in problems:
        print(f"ccmsetup-wizard lab: {problem}", file=sys.stderr)
    return 1 if problems else 0


def run_show(args: argparse.Namespace) -> int:
    try:
        lab = _load(args.lab)
    except WorldFileError as exc:
        print(f"ccmsetup-wizard lab show: {exc}", file=sys.stderr)
        return 2
    hints = list(lab.hints[: max(0, args.hints)])
    if args.json:
        document = lab.summary() | {"hints_shown": hints, "start_command": lab.start_command}
        if not args.solution:
            document.pop("planted", None)
        else:
            document["solution"] = {"planted": [p.model_dump() for p in lab.lab.planted],
                                    "fix": lab.lab.fix.model_dump(exclude_none=True)}
        print(json.dumps(document, indent=2, ensure_ascii=False))
        return 0
    print(f"{lab.title}\n\n{lab.briefing}\n")
    if lab.start_command:
        print(f"Starting command: {lab.start_command}")
    print(f"Hints: {len(lab.hints)} (show them with --hints N)")
    for index, hint in enumerate(hints, 1):
        print(f"  Hint {index}: {hint}")
    if args.solution:
        for fault in lab.lab.planted:
            print(f"Planted [{fault.finding}]: {fault.description} (fixed in the {fault.fixed_in})")
        print(f"Fix: {lab.lab.fix.description}")
    return 0


def run_check(args: argparse.Namespace) -> int:
    try:
        lab = _load(args.lab)
    except WorldFileError as exc:
        print(f"ccmsetup-wizard lab check: {exc}", file=sys.stderr)
        return 2
    print(f"{lab.path}: ok — fails as planted ({lab.lab.expected.state}"
          f"{', ' + lab.lab.expected.finding if lab.lab.expected.finding else ''}) and "
          f"{lab.lab.expected_after_fix.state} with its fix.")
    return 0
