"""`ccmsetup-wizard command`: build a ccmsetup command from a profile, a pasted command and --set
values, check it, and print it in the chosen format or write it to a file (rule errors go to stderr, exit 2).
Everything printed goes through one SafeOutput, so no message shows the token; the command itself shows it
only with --show-secrets."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from pydantic import ValidationError

from wizard.cli.safe_output import OutputEncodingError, SafeOutput
from wizard.cli.shared import UsageError, format_finding
from wizard.core.catalog import load_catalog
from wizard.core.export import UNSAFE_OUTPUT_RULES, UnsafeOutputError, export_text, save_export
from wizard.core.findings import sort_findings
from wizard.core.parse import CommandParseError, parse_command
from wizard.core.plan import SCENARIOS, InstallPlan, field_for_name, infer_scenario
from wizard.core.profiles import Profile, ProfileError, load_profile, save_profile
from wizard.core.render import FILE_EXTENSIONS, FORMATS
from wizard.core.rules import lint
from wizard.core.token import describe_token

_PLAN_FIELDS = ("scenario", "mp", "ccmhostname", "sitecode", "smsmp", "aadtenantid", "aadclientappid",
                "aadresourceuri", "regtoken")
_SCENARIO_IDS = tuple(s.id for s in SCENARIOS)


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
    parser.add_argument("--output", metavar="FILE",
                        help="write the command to FILE (atomically, in the encoding the format needs: a .ps1 "
                             "gets UTF-8 with a BOM for Windows PowerShell 5.1) instead of printing it")
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
    output = SafeOutput()
    profile: Profile | None = None
    plan = InstallPlan()
    scenario_set = False
    try:
        if args.profile:
            profile = load_profile(args.profile)
            plan = profile.plan
        if args.from_command is not None:
            output.know_text(args.from_command)
            parsed = parse_command(args.from_command)
            output.know(parsed=parsed)
            for finding in output.findings(parsed.findings):
                if finding.severity != "info" or finding.rule == "internal-switch":
                    output.err(f"{finding.severity}: {finding.rule}: {finding.message}")
            plan = overlay(plan, parsed.plan) if profile else parsed.plan
        output.know(secrets=_assigned_secrets(args.assignments))
        for assignment in args.assignments:
            plan, set_scenario = apply_assignment(plan, assignment)
            output.know(plan=plan)
            scenario_set = scenario_set or set_scenario
        _refuse_invalid_text(plan)
    except ProfileError as exc:
        output.err(f"ccmsetup-wizard command: {exc}")
        return 2
    except CommandParseError as exc:
        output.err(f"ccmsetup-wizard command: --from: {exc}")
        return 2
    except UsageError as exc:
        output.err(f"ccmsetup-wizard command: {exc}")
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
            output.err(f"ccmsetup-wizard command: the profile locks {', '.join(changed)}{reason}; "
                       "it can't be changed with --from or --set.")
            return 2
        if plan.regtoken is None and plan.scenario == "cmg-token":
            plan = _token_from_store(plan, args.profile)
    output.know(plan=plan)

    if args.save_profile:
        status = _save(args.save_profile, profile, plan, output)
        if status:
            return status

    findings = output.findings(sort_findings(lint(plan, fmt=args.format)))
    errors = [f for f in findings if f.severity == "error"]
    for finding in findings:
        if finding.severity != "info":
            output.err(format_finding(finding))
    try:
        if errors:
            raise UnsafeOutputError(errors)
        if args.output:
            save_export(args.output, plan, args.format, show_secrets=args.show_secrets, exe=args.exe)
            output.err(f"Written to {args.output} ({args.format}).")
        else:
            output.command(export_text(plan, args.format, show_secrets=args.show_secrets, exe=args.exe),
                           exact=args.show_secrets)
    except UnsafeOutputError as exc:
        if not errors:  # the ccmsetup.exe path: the only unsafe finding that is not a rule error printed above
            for finding in output.findings(exc.findings):
                output.err(format_finding(finding))
        unsafe = sorted({f.rule for f in exc.findings if f.rule in UNSAFE_OUTPUT_RULES})
        why = f" ({', '.join(unsafe)}: the output would not be safe to run)" if unsafe else ""
        output.err(f"ccmsetup-wizard command: {len(exc.findings)} error(s){why}; no command "
                   f"{'written' if args.output else 'printed'}.")
        return 2
    except OutputEncodingError as exc:
        output.err(f"ccmsetup-wizard command: {exc}.")
        return 2
    except OSError as exc:
        output.err(f"ccmsetup-wizard command: --output: cannot write {args.output} ({exc.strerror or exc}); "
                   "choose a folder you can write to.")
        return 2
    if args.output and not args.output.lower().endswith(FILE_EXTENSIONS[args.format]):
        output.err(f"note: a {args.format} export is usually named *{FILE_EXTENSIONS[args.format]}.")
    if plan.regtoken and not args.show_secrets:
        # A script or Intune command with ******** in it would fail on the device: say so, but keep exit 0.
        output.err("note: the registration token is masked (/regtoken:********); add --show-secrets to write it.")
    return 0


def _assigned_secrets(assignments: list[str]) -> list[str]:
    """The values of `--set /regtoken=T`, `--set regtoken=T`, `--set /RegToken:T` (known before any is applied,
    so no error message about them can show the token)."""
    values = [re.match(r"(?is)\s*[/-]?regtoken\s*[=:](.*)$", assignment) for assignment in assignments]
    return [match.group(1) for match in values if match and match.group(1)]


def _refuse_invalid_text(plan: InstallPlan) -> None:
    """Undecodable bytes in argv arrive as lone surrogates (surrogateescape); no command or file can hold them."""
    for name, value in _plan_texts(plan):
        for ch in value:
            if "\ud800" <= ch <= "\udfff":
                raise UsageError(f"{name} holds a character that is not valid text (U+{ord(ch):04X}), e.g. bytes "
                                 "in another encoding than the terminal's; type that value again")


def _plan_texts(plan: InstallPlan):
    for field in _PLAN_FIELDS[1:]:
        value = getattr(plan, field)
        if isinstance(value, str):
            yield field, value
    for entry in plan.mp:
        yield "/mp", entry
    for name, value in (*plan.parameters, *plan.properties):
        yield name, name + (value or "")


def _token_from_store(plan: InstallPlan, profile_path: str) -> InstallPlan:
    from wizard.host.credentials import credential_key_for_profile, open_credential_store

    token = open_credential_store().get(credential_key_for_profile(profile_path))
    return plan.update(regtoken=token) if token else plan


def _save(path: str, loaded: Profile | None, plan: InstallPlan, output: SafeOutput) -> int:
    if loaded is not None:
        profile = Profile(name=loaded.name, description=loaded.description, plan=plan,
                          locked=loaded.locked, lock_reason=loaded.lock_reason)
    else:
        profile = Profile(name=Path(path).stem, plan=plan)
    try:
        save_profile(path, profile)
    except ProfileError as exc:
        output.err(f"ccmsetup-wizard command: {exc}")
        return 2
    output.err(f"Profile saved to {path}.")
    if plan.regtoken:
        from wizard.host.credentials import credential_key_for_profile, open_credential_store

        store = open_credential_store()
        store.set(credential_key_for_profile(path), plan.regtoken)
        where = store.description if store.secure else (
            f"{store.description}; pass it again with --set /regtoken=... next time")
        output.err(f"The registration token ({describe_token(plan.regtoken)}) was not written to the profile: {where}.")
    return 0
