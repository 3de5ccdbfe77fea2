"""`ccmsetup-wizard install [--profile FILE | --from "<command>"] [--ccmsetup PATH] [--demo[=PRESET]]
[--outcome NAME] [--speed X] [--yes [--ignore-failed-checks]] [--json]`: the unattended install for scripts and
RMM tools.

Lints the command (rule errors: printed with their ids, nothing is started, exit 2), runs the checks, shows the
command (secrets masked), asks unless --yes (with --yes a failed check refuses the start unless
--ignore-failed-checks is given), launches ccmsetup (elevated when needed), follows the log with a phase/progress
line, and exits with ccmsetup's return code: 0 success, 7 restart required, 6/9/10 failures, 8 already running,
1223 when the UAC prompt was cancelled, 1 when the result is unknown (stalled or no result logged), 2 for bad
input, rule errors or a refused start."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta

from wizard.cli.shared import (
    UsageError,
    add_demo_option,
    add_lab_option,
    add_plan_options,
    format_finding,
    format_result,
    load_plan,
    make_host,
    print_banner,
    results_json,
    rule_errors,
)
from wizard.cli.world_report import cause_lines, lab_debrief, simulated_cause
from wizard.core.redact import redact
from wizard.core.render import build_argv
from wizard.host.ccmsetup_exe import CLI_MISSING_HINT, choose_ccmsetup
from wizard.host.checks import run_checks
from wizard.host.session import CLI_MISSING_EXE_HINT, InstallSession

_REFUSED = 2


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    from wizard.core.simulator import OUTCOMES

    parser = subparsers.add_parser(
        "install",
        help="check, launch and follow a ccmsetup install (unattended with --yes)",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    add_plan_options(parser)
    parser.add_argument("--ccmsetup", metavar="PATH", help="the ccmsetup.exe to run (default: beside the profile "
                                                            "or the wizard, else downloaded from the on-prem MP)")
    add_demo_option(parser)
    add_lab_option(parser)
    parser.add_argument("--outcome", choices=tuple(OUTCOMES), metavar="NAME",
                        help="demo only, expert override: end the simulated install this way whatever the "
                             "simulated device and site say: " + ", ".join(OUTCOMES))
    parser.add_argument("--speed", type=float, metavar="X",
                        help="demo only: time factor of the simulated install (1 = about a minute, 20 = 3 s; "
                             "the 10-minute stall warning scales with it)")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation (unattended); a failed "
                                                           "check then refuses the start (exit 2)")
    parser.add_argument("--ignore-failed-checks", action="store_true",
                        help="with --yes: install even when checks failed (recorded as checks_overridden in --json)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout (progress goes to "
                                                            "stderr)")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    try:
        host, plan, where = _prepare(args)
    except UsageError as exc:
        print(f"ccmsetup-wizard install: {exc}", file=sys.stderr)
        return _REFUSED
    out = sys.stderr if args.json else sys.stdout
    print_banner(host, where, stream=out)
    errors = rule_errors(plan)
    if errors:
        # ccmsetup would fail (or register wrongly) with this command: never launch it, even unattended.
        for finding in errors:
            print(format_finding(finding), file=sys.stderr)
        print(f"ccmsetup-wizard install: not started: the command has {len(errors)} rule error(s) "
              f"({', '.join(dict.fromkeys(f.rule for f in errors))}); fix them and run again.", file=sys.stderr)
        return _REFUSED

    choice = choose_ccmsetup(host, plan, user_path=args.ccmsetup, profile_path=getattr(args, "profile", None),
                             missing_hint=CLI_MISSING_HINT)
    print(f"ccmsetup.exe: {choice.detail}", file=out)
    results = run_checks(host, plan, exe=choice.path, on_result=lambda r: print(format_result(r), file=out,
                                                                                  flush=True))
    failed = [r for r in results if r.status in ("fail", "error")]

    session = InstallSession(host, plan, choice.path, poll_interval=_poll_interval(args, host),
                             stall_after=timedelta(minutes=10), missing_exe_hint=CLI_MISSING_EXE_HINT)
    print(f"Command: {session.command_preview()}", file=out)
    overridden = False
    if args.yes:
        if failed and not args.ignore_failed_checks:
            names = ", ".join(r.title for r in failed)
            print(f"ccmsetup-wizard install: not started: {len(failed)} check(s) failed: {names}. Fix them, or add "
                  "--ignore-failed-checks to install anyway.", file=sys.stderr)
            if args.json:
                _print_json(code=_REFUSED, session=session, results=results, overridden=False,
                            refused="failed-checks")
            return _REFUSED
        if failed:
            overridden = True
            print(f"Installing despite {len(failed)} failed check(s) (--ignore-failed-checks).", file=out)
    else:
        question = (f"{len(failed)} check(s) failed. Install anyway? [y/N] " if failed
                    else "Start the installation? [y/N] ")
        answer = _ask(question, out)
        if answer is None:
            print("ccmsetup-wizard install: not started: confirmation needed and there is no console to ask; "
                  "add --yes for unattended use.", file=sys.stderr)
            return _REFUSED
        if answer.strip().lower() not in ("y", "yes"):
            print("Not started.", file=out)
            return _REFUSED
        overridden = bool(failed)

    launch = session.start()
    print(redact(launch.message, plan), file=out)
    if not launch.started:
        return _finish(args, session, results, out, overridden)

    progress = _Progress(out)
    try:
        session.run(on_tick=lambda s, _records: progress.update(s))
    except KeyboardInterrupt:
        progress.end()
        print(f"Stopped following. ccmsetup may still be running; its log: {host.log_dir() / 'ccmsetup.log'}",
              file=sys.stderr)
        return 130
    progress.end()
    if host.is_demo and session.outcome.state == "unknown":
        # We stop following (a stall): the simulated ccmsetup would wait for its download timeout; end it.
        host.stop_children()  # type: ignore[attr-defined]
    return _finish(args, session, results, out, overridden)


def _prepare(args: argparse.Namespace):
    demo_options = {}
    if args.outcome is not None or args.speed is not None:
        host_is_demo = args.demo is not None or getattr(args, "lab", None) or sys.platform != "win32"
        if not host_is_demo:
            raise UsageError("--outcome and --speed only apply to a simulated device: add --demo")
        if args.speed is not None and not 0 < args.speed <= 1000:
            raise UsageError(f"--speed: {args.speed:g} is out of range; use a factor above 0 and up to 1000")
        if args.outcome is not None:
            demo_options["outcome"] = args.outcome
        if args.speed is not None:
            demo_options["speed"] = args.speed
    host = make_host(args, **demo_options)
    plan, where = load_plan(args, host)
    return host, plan, where


def _poll_interval(args: argparse.Namespace, host) -> float:
    speed = args.speed or getattr(host, "time_scale", 1.0) or 1.0
    return 0.5 if speed <= 2 else 0.1


def _ask(question: str, out) -> str | None:
    stdin = sys.stdin
    if stdin is None or not stdin.isatty():
        return None
    print(question, end="", file=out, flush=True)
    try:
        return stdin.readline()
    except (OSError, EOFError):
        return None


class _Progress:
    """One updating line on a console; one line per phase change otherwise (RMM logs)."""

    def __init__(self, out) -> None:
        self.out = out
        self.tty = bool(getattr(out, "isatty", lambda: False)())
        self.last = ""

    def update(self, session: InstallSession) -> None:
        snap = session.snapshot()
        percent = f" {snap.percent}%" if snap.percent is not None and snap.phase == "download" else ""
        text = f"[{snap.phase_title}{percent}] {snap.elapsed:.0f} s"
        if snap.log_problem:
            text += f" - {redact(snap.log_problem.message, session.plan)}"
        if self.tty:
            print("\r" + text.ljust(len(self.last)), end="", file=self.out, flush=True)
            self.last = text
        elif snap.phase_title + percent != self.last:
            print(text, file=self.out, flush=True)
            self.last = snap.phase_title + percent

    def end(self) -> None:
        if self.tty and self.last:
            print(file=self.out)


def _finish(args: argparse.Namespace, session: InstallSession, results, out, overridden: bool) -> int:
    code = session.exit_code()
    outcome = session.outcome
    launch = session.launch_result
    if launch is not None and launch.started:
        print(f"Result: {redact(outcome.summary, session.plan)}", file=out)
        if outcome.explanation is not None and outcome.state != "succeeded":
            print(f"  {outcome.explanation.title}: {outcome.explanation.meaning}", file=out)
            if outcome.explanation.action:
                print(f"  What to do: {outcome.explanation.action}", file=out)
        if session.log_problem:
            print(f"  {redact(session.log_problem.message, session.plan)}\n  fix: {session.log_problem.fix}",
                  file=out)
        print(f"Log: {session.host.log_dir() / 'ccmsetup.log'}", file=out)
        if session.host.is_demo and outcome.final:
            for line in cause_lines(session.host, results):
                print(redact(line, session.plan), file=out)
    debrief = _debrief(session, results)
    if debrief is not None:
        print(debrief.text(), file=out)
    print(f"Exit code {code}.", file=out)
    if args.json:
        _print_json(code=code, session=session, results=results, overridden=overridden, debrief=debrief)
    return code


def _debrief(session: InstallSession, results):
    launch = session.launch_result
    return lab_debrief(session.host, plan_argv=build_argv(session.plan, show_secrets=True), check_results=results,
                       launch_status=launch.status if launch else None)


def _print_json(*, code: int, session: InstallSession, results, overridden: bool, refused: str | None = None,
                debrief=None) -> None:
    launch = session.launch_result
    outcome = session.outcome if launch is not None else None
    document = {
        "exit_code": code,
        "launch": {"status": launch.status, "message": redact(launch.message, session.plan)} if launch else None,
        "outcome": outcome.as_dict() | {"summary": outcome.summary} if outcome is not None else None,
        "command": session.command_preview(),
        "demo": session.host.is_demo,
        "checks": results_json(results),
        "checks_overridden": overridden,
    }
    if session.host.is_demo:
        document["world"] = simulated_cause(session.host, results)
        if debrief is None:  # not computed by the caller (computing it simulates the command once more)
            debrief = _debrief(session, results)
        if debrief is not None:
            document["lab"] = debrief.to_dict()
    if refused:
        document["refused"] = refused
    print(json.dumps(document, indent=2, ensure_ascii=False))
