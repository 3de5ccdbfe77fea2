"""Command-line entry point: `ccmsetup-wizard [--demo[=PRESET]] [--profile FILE]` opens the wizard,
`ccmsetup-wizard <subcommand> ...` runs the same engine headless."""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING

from wizard import __version__

if TYPE_CHECKING:
    import argparse

# Each module exposes add_parser(subparsers) which sets `func(args) -> int` on its parser.
COMMANDS = ("lint", "command", "check", "install", "log", "collect", "simulate", "explain", "selftest",
            "diagnose", "lab")
DEFAULT_DEMO_ARG = "entra-joined"  # the preset `--demo` alone opens
# The subcommands that take their own --demo / --profile (see check_cmd.add_demo_option / add_plan_options).
_TAKES_OPTION = {"--demo": ("check", "install", "collect", "selftest"),
                 "--profile": ("check", "install", "collect", "command"), "--lab": ("check", "install")}


def build_parser(*, with_commands: bool = True, only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; `only` names the one subcommand to load (its module alone is imported)."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="ccmsetup-wizard",
        # Two forms: argparse alone would print one line ending in a required-looking "COMMAND ...".
        usage="%(prog)s [-h] [--version] [--demo [PRESET]] [--profile FILE] [--lab NAME|FILE] [--self-test]\n"
              "       %(prog)s COMMAND [ARGS ...]",
        description="Build, check, launch and follow a Configuration Manager client install (ccmsetup.exe). "
                    "Without a command the graphical wizard opens; a command runs the same engine headless.",
        epilog="Run 'ccmsetup-wizard COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"ccmsetup-wizard {__version__}")
    parser.add_argument(
        "--demo",
        nargs="?",
        const=DEFAULT_DEMO_ARG,
        metavar="PRESET",
        help="open the wizard on a simulated device (default preset: entra-joined)",
    )
    parser.add_argument("--profile", metavar="FILE", help="open the wizard with this profile loaded")
    parser.add_argument("--lab", metavar="NAME|FILE",
                        help="open the wizard on a lab exercise (a simulated device with planted faults, a "
                             "briefing and a debrief; see `ccmsetup-wizard lab list`)")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="open the wizard offscreen, paint the first page and exit 0 (bundle smoke test)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands (optional)",
                                       prog="ccmsetup-wizard")  # subcommand usage: "ccmsetup-wizard lint ..."
    if not with_commands:
        return parser
    for name in (only,) if only in COMMANDS else COMMANDS:
        try:
            module = importlib.import_module(f"wizard.cli.{name}_cmd")
        except ModuleNotFoundError as exc:  # during development a subcommand may not exist yet
            if exc.name != f"wizard.cli.{name}_cmd":
                raise
            continue
        module.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    problem = misplaced_gui_option(argv)
    if problem is not None:
        print(f"ccmsetup-wizard: {problem}", file=sys.stderr)
        return 2
    # Opening the GUI must not pay for importing every subcommand, nor, for the usual spellings, for
    # argparse itself (~10 ms; start-up budget: 1.3x a bare QWizard).
    gui_options = None if _names_a_command(argv) else plain_gui_options(argv)
    if gui_options is not None:
        return _run_gui(**gui_options)
    # A subcommand needs only its own module: `log summary` must not pay for importing the plan model, the
    # simulator and the checks (~0.3 s) before it reads a byte.
    parser = build_parser(with_commands=_names_a_command(argv), only=_command_named(argv))
    args = parser.parse_args(argv)
    if args.command is None:
        return _run_gui(demo=args.demo, profile=args.profile, self_test=args.self_test, lab=args.lab)
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows up here, inside the handler below, not at interpreter exit
        return code
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly; point stdout at devnull so the interpreter's
        # final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _names_a_command(argv: list[str]) -> bool:
    """True when argv may hold a subcommand or asks for help; a false positive only costs time."""
    expects_value = False
    for arg in argv:
        if arg in ("-h", "--help"):
            return True
        if expects_value and not arg.startswith("-"):
            expects_value = False
            continue
        expects_value = arg in ("--profile", "--demo", "--lab")
        if not arg.startswith("-"):
            return True
    return False


def _command_named(argv: list[str]) -> str | None:
    """The subcommand argv runs when its first positional argument names one and no help is asked before it;
    None otherwise (then every subcommand is loaded, so help and argparse's errors list them all)."""
    for arg in argv:
        if arg in ("-h", "--help", "--"):
            return None
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def misplaced_gui_option(argv: list[str]) -> str | None:
    """The error for a GUI option (--demo / --profile) written before a subcommand, where it would be silently
    ignored (`--demo=offline check ...`) or eat the subcommand's name (`--demo lint ...`); None when argv is fine."""
    given: list[tuple[str, str]] = []  # (option, how it was written)
    index = 0
    while index < len(argv):
        arg = argv[index]
        index += 1
        if arg == "--":
            return None
        name, equals, value = arg.partition("=")
        if name in ("--demo", "--profile", "--lab"):
            if not equals and index < len(argv) and not argv[index].startswith("-"):
                value = argv[index]
                index += 1
                if value in COMMANDS:
                    return _misplaced_message(name, f"{name}", value, preset_was_command=True)
            given.append((name, f"{name}={value}" if value else name))
            continue
        if arg.startswith("-"):
            continue
        if arg in COMMANDS and given:
            name, written = given[0]
            return _misplaced_message(name, written, arg, preset_was_command=False)
        return None
    return None


def _misplaced_message(option: str, written: str, command: str, *, preset_was_command: bool) -> str:
    what = {"--demo": "a demo preset", "--lab": "a lab"}.get(option, "a profile file")
    lead = (f"{option} {command}: '{command}' is a subcommand, not {what}; " if preset_was_command
            else f"{written} before the subcommand '{command}' is ignored by it; ")
    if command not in _TAKES_OPTION[option]:
        return lead + f"'{command}' has no {option} option, leave it out: ccmsetup-wizard {command} ..."
    example = written if not preset_was_command else {"--demo": "--demo=entra-joined",
                                                      "--lab": "--lab NAME"}.get(option, "--profile FILE")
    if example == "--profile":
        example = "--profile FILE"
    return lead + f"put {option} after the subcommand: ccmsetup-wizard {command} {example} ..."


def plain_gui_options(argv: list[str]) -> dict | None:
    """`{"demo", "profile", "self_test"}` (plus "lab" when given) as argparse would give them, when argv holds
    only the GUI options spelled out in full (`--demo`, `--demo=PRESET`, `--demo PRESET`, `--profile FILE`,
    `--profile=FILE`, `--lab NAME`, `--self-test`); None for anything else (abbreviations, help, `--`, errors),
    which argparse handles."""
    options: dict = {"demo": None, "profile": None, "self_test": False}
    index = 0
    while index < len(argv):
        arg = argv[index]
        index += 1
        if arg == "--self-test":
            options["self_test"] = True
            continue
        name, equals, value = arg.partition("=")
        if name not in ("--demo", "--profile", "--lab"):
            return None
        if not equals:
            following = argv[index] if index < len(argv) else None
            if following is not None and following and not following.startswith("-"):
                value = following
                index += 1
            elif name == "--demo":
                value = DEFAULT_DEMO_ARG
            else:
                return None  # --profile/--lab without its value: argparse explains
        if not value or value.startswith("-"):
            return None
        options[name[2:]] = value
    return options


def _run_gui(*, demo: str | None, profile: str | None, self_test: bool, lab: str | None = None) -> int:
    try:
        from wizard.ui.app import run
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("wizard.ui"):
            print("ccmsetup-wizard: the graphical wizard is not available in this build; "
                  "use a subcommand (see --help).", file=sys.stderr)
            return 2
        raise
    if lab is not None and demo is not None:
        print("ccmsetup-wizard: --lab and --demo both choose the simulated device: give one of them.",
              file=sys.stderr)
        return 2
    if lab is not None:
        return run(demo=demo, profile=profile, self_test=self_test, lab=lab)
    return run(demo=demo, profile=profile, self_test=self_test)


if __name__ == "__main__":
    sys.exit(main())
