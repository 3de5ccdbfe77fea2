"""`ccmsetup-wizard command`: build a ccmsetup command from a profile, a pasted command and --set
values, check it, and print it in the chosen format (rule errors go to stderr, exit 2)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pydantic import ValidationError

from wizard.core.catalog import load_catalog
from wizard.core.findings import sort_findings
from wizard.core.parse import CommandParseError, parse_command
from wizard.core.plan import SCENARIOS, InstallPlan, field_for_name, infer_scenario
from wizard.core.profiles import Profile, ProfileError, load_profile, save_profile
from wizard.core.render import FORMATS, render
from wizard.core.rules import lint
from wizard.core.token import describe_token

_PLAN_FIELDS = ("scenario", "mp", "ccmhostname", "sitecode", "smsmp", "aadtenantid", "aadclientappid",
                "aadresourceuri", "regtoken")
_SCENARIO_IDS = tuple(s.id for s in SCENARIOS)


class UsageError(ValueError):
    pass


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "command",
        help="build, check and print a ccmsetup command",
        description="Build a ccmsetup command from a profile and/or a pasted command plus --set values, check "
                    "it, and print it. Rule errors go to standard error with their ids (exit 2).",
    )
    parser.add_argument("--profile", metavar="FILE", help="start from this profile")
    parser.add_argument("--from", dest="from_command", metavar="COMMAND",
                        help="start from (or, with --profile, overlay) this pasted command line")
    parser.add_argument("--set", dest="assignments", action="append", default=[], metavar="NAME=VALUE",
                        help="set a property (SMSSITECODE=ABC), a parameter (/mp=host, mp=host, /NoCRLCheck for "
                             "a switch) or a plan field (scenario=cmg, sitecode=ABC); NAME= removes it; repeatable")
    parser.add_argument("--format", choices=FORMATS, default="windows", help="output format (default: windows)")
    parser.add_argument("--exe", default="ccmsetup.exe", help="path of ccmsetup.exe to put in the command")
    parser.add_argument("--save-profile", metavar="FILE",
                        help="also save the result as a profile (the registration token is never written to it)")
    parser.add_argument("--show-secrets", action="store_true",
                        help="print the registration token instead of ********")
    parser.set_defaults(func=run)
    return parser


def apply_assignment(plan: InstallPlan, assignment: str) -> tuple[InstallPlan, bool]:
    """Apply one --set. Returns (plan, whether it set the scenario). Raises UsageError; the message
    names the setting but never repeats a secret value."""
    text = assignment.strip()
    if text.startswith("/") and ":" in text and ("=" not in text or text.index(":") < text.index("=")):
        name, _, value = text.partition(":")
        has_value = True
    else:
        name, has_value, value = text.partition("=")
        has_value = bool(has_value)
    name = name.strip()
    if not name:
        raise UsageError(f"--set needs NAME=VALUE, got {assignment.split('=')[0]!r}")
    lowered = name.lower()
    try:
        if lowered == "scenario":
            if value not in _SCENARIO_IDS:
                raise UsageError(f"--set scenario: choose one of {', '.join(_SCENARIO_IDS)}")
            return plan.update(scenario=value), True
        field = lowered if lowered in _PLAN_FIELDS else field_for_name(name) or (
            field_for_name("/" + name) if not name.startswith("/") else None)
        if field is not None and not has_value:
            raise UsageError(f"--set {name} needs a value ({name}=VALUE; {name}= removes it)")
        if field == "mp":
            return plan.with_parameter("/mp", value), False
        if field is not None:
            return plan.update(**{field: value or None}), False
        catalog = load_catalog()
        entry = catalog.get(name)
        is_parameter = name.startswith("/") or (entry is not None and entry.kind == "parameter")
        if is_parameter:
            if not has_value:
                return plan.with_parameter(name, None), False
            if value == "":
                return plan.without_parameter(name), False
            if entry is not None and entry.is_flag and value.lower() in ("true", "yes", "on"):
                return plan.with_parameter(name, None), False
            return plan.with_parameter(name, value), False
        if not has_value:
            if entry is not None and entry.is_flag:
                return plan.with_property(name, ""), False
            raise UsageError(f"--set {name} needs a value ({name}=VALUE)")
        if value == "":
            return plan.without_property(name), False
        return plan.with_property(name, value), False
    except ValidationError as exc:
        raise UsageError(f"--set {name}: {exc.errors()[0]['msg']}") from exc


def overlay(base: InstallPlan, pasted: InstallPlan) -> InstallPlan:
    """Everything the pasted command says, on top of the profile's plan."""
    plan = base
    updates = {f: getattr(pasted, f) for f in _PLAN_FIELDS[1:] if getattr(pasted, f) not in (None, ())}
    if updates:
        plan = plan.update(**updates)
    for name, value in pasted.parameters:
        plan = plan.with_parameter(name, value)
    for name, value in pasted.properties:
        plan = plan.with_property(name, value)
    return plan


def _locked_changes(profile: Profile, plan: InstallPlan) -> list[str]:
    changed = []
    for name in profile.locked:
        field = name if name in _PLAN_FIELDS else field_for_name(name)
        if field is not None:
            if field != "regtoken" and getattr(profile.plan, field) != getattr(plan, field):
                changed.append(name)
            continue
        entry = load_catalog().get(name)
        if entry is not None and entry.kind == "parameter":
            if profile.plan.parameter(entry.name) != plan.parameter(entry.name):
                changed.append(name)
        elif profile.plan.property(name) != plan.property(name):
            changed.append(name)
    return changed


def run(args: argparse.Namespace) -> int:
    err = sys.stderr
    profile: Profile | None = None
    plan = InstallPlan()
    scenario_set = False
    try:
        if args.profile:
            profile = load_profile(args.profile)
            plan = profile.plan
        if args.from_command is not None:
            parsed = parse_command(args.from_command)
            for finding in parsed.findings:
                if finding.severity != "info" or finding.rule == "internal-switch":
                    print(f"{finding.severity}: {finding.rule}: {finding.message}", file=err)
            plan = overlay(plan, parsed.plan) if profile else parsed.plan
        for assignment in args.assignments:
            plan, set_scenario = apply_assignment(plan, assignment)
            scenario_set = scenario_set or set_scenario
    except ProfileError as exc:
        print(f"ccmsetup-wizard command: {exc}", file=err)
        return 2
    except CommandParseError as exc:
        print(f"ccmsetup-wizard command: --from: {exc}", file=err)
        return 2
    except UsageError as exc:
        print(f"ccmsetup-wizard command: {exc}", file=err)
        return 2
    # Without --set scenario=..., a profile keeps its scenario unless the pasted command clearly names
    # another one; otherwise the command's contents decide.
    follow_command = profile is None or (args.from_command is not None and infer_scenario(plan) != "onprem-mp")
    if not scenario_set and follow_command:
        plan = plan.update(scenario=infer_scenario(plan))

    if profile is not None:
        changed = _locked_changes(profile, plan)
        if changed:
            reason = f" ({profile.lock_reason})" if profile.lock_reason else ""
            print(f"ccmsetup-wizard command: the profile locks {', '.join(changed)}{reason}; "
                  "it can't be changed with --from or --set.", file=err)
            return 2
        if plan.regtoken is None and plan.scenario == "cmg-token":
            plan = _token_from_store(plan, args.profile)

    if args.save_profile:
        status = _save(args.save_profile, profile, plan)
        if status:
            return status

    findings = sort_findings(lint(plan, fmt=args.format))
    errors = [f for f in findings if f.severity == "error"]
    for finding in findings:
        if finding.severity != "info":
            print(f"{finding.severity}: {finding.rule}"
                  f"{f' [{finding.field}]' if finding.field else ''}: {finding.message} Fix: {finding.fix}", file=err)
    if errors:
        print(f"ccmsetup-wizard command: {len(errors)} error(s); no command printed.", file=err)
        return 2
    output = render(plan, args.format, show_secrets=args.show_secrets, exe=args.exe)
    sys.stdout.write(output if output.endswith("\n") else output + "\n")
    if plan.regtoken and not args.show_secrets:
        # A script or Intune command with ******** in it would fail on the device: say so, but keep exit 0.
        print("note: the registration token is masked (/regtoken:********); add --show-secrets to write it.",
              file=err)
    return 0


def _token_from_store(plan: InstallPlan, profile_path: str) -> InstallPlan:
    from wizard.host.credentials import credential_key_for_profile, open_credential_store

    token = open_credential_store().get(credential_key_for_profile(profile_path))
    return plan.update(regtoken=token) if token else plan


def _save(path: str, loaded: Profile | None, plan: InstallPlan) -> int:
    err = sys.stderr
    if loaded is not None:
        profile = Profile(name=loaded.name, description=loaded.description, plan=plan,
                          locked=loaded.locked, lock_reason=loaded.lock_reason)
    else:
        profile = Profile(name=Path(path).stem, plan=plan)
    try:
        save_profile(path, profile)
    except ProfileError as exc:
        print(f"ccmsetup-wizard command: {exc}", file=err)
        return 2
    print(f"Profile saved to {path}.", file=err)
    if plan.regtoken:
        from wizard.host.credentials import credential_key_for_profile, open_credential_store

        store = open_credential_store()
        store.set(credential_key_for_profile(path), plan.regtoken)
        where = store.description if store.secure else (
            f"{store.description}; pass it again with --set /regtoken=... next time")
        print(f"The registration token ({describe_token(plan.regtoken)}) was not written to the profile: {where}.",
              file=err)
    return 0
