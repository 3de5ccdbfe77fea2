"""What the subcommands share: the --demo / --lab / --profile / --from options, the host and plan they choose
(`make_host`, `load_plan`), the banner, and how findings and check results are printed (text and JSON)."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import TYPE_CHECKING

from wizard.core.findings import Finding, sort_findings
from wizard.core.parse import CommandParseError, parse_command
from wizard.core.plan import InstallPlan
from wizard.core.redact import redact
from wizard.core.rules import lint

if TYPE_CHECKING:
    from wizard.host.base import Host
    from wizard.host.checks import CheckResult

_SYMBOL = {"pass": "ok", "warn": "WARN", "fail": "FAIL", "skip": "skip", "error": "ERROR"}


class UsageError(Exception):
    """Bad command-line input; the message names the option and what to do (exit code 2)."""


def add_demo_option(parser: argparse.ArgumentParser) -> None:
    from wizard.core.world import DEFAULT_WORLD
    from wizard.host.demo import PresetError, preset_names

    try:
        presets = ", ".join(preset_names())
    except PresetError as exc:  # a broken preset file must not take down every subcommand; --demo reports it
        presets = f"(unavailable: {exc})"
    parser.add_argument("--demo", nargs="?", const=DEFAULT_WORLD, metavar="PRESET",
                        help="use a simulated device instead of this one; presets: " + presets
                        + f" (default: {DEFAULT_WORLD}), or a world .json file")


def add_lab_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lab", metavar="NAME|FILE",
                        help="run a lab exercise: its simulated device and site, its starting command (unless "
                             "--from/--profile), and a debrief at the end (see `ccmsetup-wizard lab list`)")
    parser.add_argument("--solution", action="store_true",
                        help="with --lab: apply the lab's documented fix (its fixed command and device/site), "
                             "so a trainer can see that the lab is solvable")


def add_plan_options(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--profile", metavar="FILE", help="the install profile (.json) to use")
    source.add_argument("--from", dest="from_command", metavar='"COMMAND"',
                        help="a ccmsetup command line to use (in quotes), e.g. copied from the console")


def make_host(args: argparse.Namespace, **demo_options) -> Host:
    """The host for --lab or --demo (or the default host); an unknown preset or a bad lab file is a
    UsageError naming the option, the file and the field."""
    from wizard.host import get_host
    from wizard.host.demo import PresetError

    lab_name = getattr(args, "lab", None)
    if getattr(args, "solution", False) and not lab_name:
        raise UsageError("--solution applies a lab's documented fix: give --lab NAME too")
    if lab_name:
        if getattr(args, "demo", None) is not None:
            raise UsageError("--lab and --demo both choose the simulated device: give one of them")
        return open_lab_host(lab_name, solution=bool(getattr(args, "solution", False)), **demo_options)
    try:
        return get_host(getattr(args, "demo", None), **demo_options)
    except PresetError as exc:
        raise UsageError(f"--demo: {exc}") from None


def load_plan(args: argparse.Namespace, host: Host) -> tuple[InstallPlan, str]:
    """(plan, where it came from). Demo hosts fall back to their sample command."""
    if getattr(args, "profile", None):
        from wizard.core.profiles import ProfileError, load_profile

        try:
            return load_profile(args.profile).plan, f"profile {args.profile}"
        except ProfileError as exc:
            raise UsageError(f"--profile: {exc}") from None
        except OSError as exc:
            raise UsageError(f"--profile: cannot read {args.profile}: {exc.strerror or exc}") from None
    if getattr(args, "from_command", None):
        try:
            return parse_command(args.from_command).plan, "--from"
        except CommandParseError as exc:
            raise UsageError(f"--from: {exc}") from None
    lab = getattr(host, "lab", None)
    if lab is not None and getattr(args, "solution", False) and lab.fixed_command:
        return parse_command(lab.fixed_command).plan, f"lab '{lab.name}' (its documented fix)"
    if lab is not None and lab.start_command:
        return parse_command(lab.start_command).plan, f"lab '{lab.name}' (its starting command)"
    if host.is_demo:
        return parse_command(host.sample_command()).plan, "the demo's sample command"  # type: ignore[attr-defined]
    raise UsageError("give the install to check: --profile FILE or --from \"<ccmsetup command line>\"")


def print_banner(host: Host, where: str, *, stream=None) -> None:
    stream = stream or sys.stderr
    prefix = "*** DEMO MODE *** " if host.is_demo else ""
    print(f"{prefix}{host.describe()}", file=stream)
    lab = getattr(host, "lab", None)
    if lab is not None:
        print(f"Lab: {lab.title}\n  {lab.briefing}", file=stream)
    print(f"Plan from {where}.", file=stream)


def rule_errors(plan: InstallPlan) -> list[Finding]:
    """The plan's rule errors (wizard.core.rules.lint), most important first."""
    return [f for f in sort_findings(lint(plan)) if f.severity == "error"]


def format_finding(finding: Finding) -> str:
    where = f" [{finding.field}]" if finding.field else ""
    return f"{finding.severity}: {finding.rule}{where}: {finding.message} Fix: {finding.fix}"


def findings_json(findings: list[Finding]) -> list[dict]:
    """Rule errors as entries of the check list: id "rules", status "fail", the rule id in "rule" and the title."""
    return [{"id": "rules", "status": "fail", "title": f"Command rule {f.rule}", "detail": f.message, "fix": f.fix,
             "seconds": 0.0, "rule": f.rule, "field": f.field} for f in findings]


def cli_wording(result: CheckResult) -> CheckResult:
    """A check result as the terminal shows it: any token a detail quotes (e.g. a retry task's old command line)
    masked, and the GUI's "choose the file" advice given as the --ccmsetup option."""
    detail = redact(result.detail)
    if detail != result.detail:
        result = dataclasses.replace(result, detail=detail)
    gui_start = "Choose the ccmsetup.exe to run"
    if result.id == "ccmsetup-exe" and result.fix and result.fix.startswith(gui_start):
        return dataclasses.replace(result, fix="Pass --ccmsetup PATH (the ccmsetup.exe to run)"
                                   + result.fix[len(gui_start):])
    return result


def format_result(result: CheckResult) -> str:
    result = cli_wording(result)
    line = f"[{_SYMBOL[result.status]:>5}] {result.title} ({result.seconds:.1f} s): {result.detail}"
    if result.fix and result.status in ("warn", "fail", "error"):
        line += f"\n         fix: {result.fix}"
    return line


def results_json(results: list[CheckResult]) -> list[dict]:
    return [{"id": r.id, "status": r.status, "title": r.title, "detail": r.detail, "fix": r.fix,
             "seconds": r.seconds} for r in map(cli_wording, results)]


def open_lab_host(name: str, *, solution: bool = False, **demo_options):
    """A DemoHost on the lab's planted world (with `solution`, the world with the documented fix applied;
    speed: the lab's unless given). Raises UsageError naming the file, the field and the reason
    for a lab that cannot be used."""
    from wizard.core.world import WorldFileError
    from wizard.core.world.labs import load_lab
    from wizard.host.demo import DemoHost

    try:
        lab = load_lab(name)
    except WorldFileError as exc:
        raise UsageError(f"--lab: {exc}") from None
    options = dict(demo_options)
    options.setdefault("speed", lab.speed)
    return DemoHost(world=lab.named_world(fixed=solution), lab=lab, **options)
