"""A stand-in for ccmsetup.exe for demo mode, training and tests: writes a real-shaped ccmsetup.log over time.

    python -m wizard.core.simulator --log-dir DIR [--world NAME|FILE] [--outcome NAME] [--speed X] -- <args>
    ccmsetup-wizard simulate --log-dir DIR [--world NAME|FILE] [--outcome NAME] [--speed X] -- <args>

What happens follows from the command, the simulated device and its site (the world: wizard.core.world):
the run stops at the first step that would really fail, with the real code and log shape
(wizard.core.simulator.script). `--outcome` is an expert override of that decision.

Like the real ccmsetup (ccmsetup-facts 4.1) it runs in two processes unless /noservice is given: the launched
(bootstrap) process "starts the ccmsetup service" — here a detached child process running this module with
`--service-part` — logs its own early "CcmSetup is exiting with return code 0" and exits at once; the service
part then does the work (about a minute at speed 1) and writes the real result. With /noservice everything
runs in the launched process, whose exit code is the result.

Files written (appended; earlier runs stay):
- `<log-dir>/ccmsetup.log`: CCM/CMTrace format, UTF-8 with BOM, CRLF, multi-line records, type 0 MSI lines.
- `<log-dir>/client.msi.log`: Windows Installer verbose log, UTF-16LE with BOM (when client.msi runs).
- `<ccm-log-dir>/ClientIDManagerStartup.log` after a successful install (default `<log-dir>/../CCM/Logs`).
- `<log-dir>/.ccmsetup-service.pid`: the pid of the process still doing setup work; it exists from before the
  launched process exits until the result line is written, then it is removed. The demo host uses it as "the
  ccmsetup service/process is still running".

This package starts a child process, which the rest of wizard/core never does: the simulator *is* the external
program the core normally only reads logs from.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from wizard.core.simulator.script import OUTCOMES, CcmsetupRun, Verdict, evaluate
from wizard.core.simulator.writer import (
    PID_FILE_NAME,
    FileSink,
    ccm_line,
    default_ccm_log_dir,
    remove_pid_file,
    write_pid_file,
)
from wizard.core.world import DEFAULT_WORLD, World, WorldFileError, load_world

__all__ = ["OUTCOMES", "PID_FILE_NAME", "SimulatorError", "Verdict", "add_arguments", "ccm_line",
           "default_ccm_log_dir", "evaluate", "main", "run_from_args", "service_part", "simulate"]

WORLD_FILE_NAME = ".ccmsetup-world.json"  # a World object handed to simulate() is written here for the service


class SimulatorError(ValueError):
    """Bad simulator input (unknown outcome or world, bad speed, unusable folder)."""


def _check(log_dir, outcome: str | None, speed: float) -> str:
    if outcome is not None and outcome not in OUTCOMES:
        raise SimulatorError(f"--outcome: unknown outcome {outcome!r}; choose one of: {', '.join(OUTCOMES)}")
    if not (speed > 0) or speed > 1e6:
        raise SimulatorError(f"--speed: {speed!r} must be a number above 0 (1 = real time, 10 = ten times faster)")
    log_dir = os.fspath(log_dir)
    try:
        os.makedirs(log_dir, exist_ok=True)
    except OSError as exc:
        raise SimulatorError(f"--log-dir: cannot create {log_dir!r} ({exc.strerror}); pick a writable folder") \
            from exc
    return log_dir


def _world(world: World | str | Path | None) -> World:
    if isinstance(world, World):
        return world
    try:
        return load_world(world or DEFAULT_WORLD).world
    except WorldFileError as exc:
        raise SimulatorError(f"--world: {exc}") from None


def simulate(log_dir, argv, *, outcome: str | None = None, speed: float = 1.0, ccm_log_dir=None,
             detach: bool = True, world: World | str | Path | None = None) -> int:
    """Behave like `ccmsetup.exe <argv>` on `world` (a World, a shipped world's name or a world file; default
    entra-joined): write the logs over time and return the launched process's exit code.

    In service mode (no /noservice) the returned code is the bootstrap's (0, or 8 when setup already runs)
    and the rest is written by a detached child process (`detach=True`) or in this thread before returning
    (`detach=False`, handy in tests). With /noservice the returned code is the ccmsetup result.
    Runs are deterministic. Raises SimulatorError for bad input.
    """
    log_dir = _check(log_dir, outcome, speed)
    the_world = _world(world)
    ccm_dir = os.fspath(ccm_log_dir) if ccm_log_dir else default_ccm_log_dir(log_dir)
    run = CcmsetupRun(list(argv), the_world, outcome=outcome)
    pid = os.getpid()
    sink = FileSink(log_dir, ccm_dir, speed)
    write_pid_file(log_dir, pid)
    try:
        code = run.bootstrap(sink, pid)
        if code is not None:
            return code
        if run.noservice:
            return _run_service_part(run, sink, pid, marker_pid=pid)
        if not detach:
            run.bootstrap_after_service_start(sink)
            _run_service_part(run, sink, pid + 4, marker_pid=pid, own_process=True)
            return 0
        world_arg = world if isinstance(world, str | Path) else _world_file(log_dir, the_world)
        try:
            child = _spawn_service(log_dir, ccm_dir, outcome, speed, run.argv, world_arg)
        except OSError as exc:
            raise SimulatorError(f"could not start the simulated ccmsetup service process ({exc}); "
                                 "run with /noservice to simulate in one process") from exc
        write_pid_file(log_dir, child)
        run.bootstrap_after_service_start(sink)
        return 0
    finally:
        remove_pid_file(log_dir, pid)


def _world_file(log_dir: str, world: World) -> str:
    path = os.path.join(log_dir, WORLD_FILE_NAME)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(world.model_dump_json(indent=1))
    os.replace(tmp, path)
    return path


def _run_service_part(run: CcmsetupRun, sink: FileSink, pid: int, *, marker_pid: int, own_process: bool = False,
                      wait_for_owner: float = 0.0) -> int:
    try:
        verdict = run.service(sink, pid, own_process=own_process)
    finally:
        remove_pid_file(sink.log_dir, marker_pid, wait_for_owner=wait_for_owner)
    if verdict.state == "succeeded":
        run.registration(sink)
    if verdict.return_code is not None:
        return verdict.return_code
    return 0 if verdict.state == "succeeded" else 6


def _spawn_service(log_dir: str, ccm_dir: str, outcome: str | None, speed: float, tokens: list[str],
                   world: str | Path) -> int:
    if getattr(sys, "frozen", False):  # a PyInstaller bundle: its executable is the wizard's CLI
        command = [sys.executable, "simulate"]
    else:
        command = [sys.executable, "-m", "wizard.core.simulator"]
    command += ["--service-part", "--log-dir", log_dir, "--ccm-log-dir", ccm_dir, "--world", os.fspath(world),
                "--speed", repr(speed)]
    if outcome is not None:
        command += ["--outcome", outcome]
    command += ["--", *tokens]
    kwargs: dict = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL,
                    "close_fds": True}
    if os.name == "nt":
        kwargs["creationflags"] = (getattr(subprocess, "DETACHED_PROCESS", 0x8)
                                   | getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0x200))
    else:
        kwargs["start_new_session"] = True
    env = dict(os.environ)
    # The child must import this package even when the caller runs from a source tree.
    package_root = str(Path(__file__).resolve().parents[3])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return subprocess.Popen(command, env=env, **kwargs).pid


def service_part(log_dir, argv, *, outcome: str | None = None, speed: float = 1.0, ccm_log_dir=None,
                 world: World | str | Path | None = None) -> int:
    """The detached service process's body (run by `--service-part`)."""
    log_dir = _check(log_dir, outcome, speed)
    ccm_dir = os.fspath(ccm_log_dir) if ccm_log_dir else default_ccm_log_dir(log_dir)
    run = CcmsetupRun(list(argv), _world(world), outcome=outcome)
    pid = os.getpid()
    # The launcher writes the marker with this pid right after starting us; we only remove it at the end.
    sink = FileSink(log_dir, ccm_dir, speed)
    sink.wait(0.3)  # the launcher writes its last lines first
    return _run_service_part(run, sink, pid, marker_pid=pid, own_process=True, wait_for_owner=10.0)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--log-dir", required=True, metavar="DIR",
                        help="folder for ccmsetup.log and client.msi.log (created if missing)")
    parser.add_argument("--world", metavar="NAME|FILE", default=None,
                        help=f"the simulated device and site: a shipped world (the --demo presets) or a world "
                             f".json file (default: {DEFAULT_WORLD})")
    parser.add_argument("--outcome", default=None, choices=tuple(OUTCOMES),
                        help="expert override: end this way whatever the world says")
    parser.add_argument("--speed", type=float, default=1.0,
                        help="time factor: 1 = about 60 s like a quick real install, 10 = ten times faster")
    parser.add_argument("--ccm-log-dir", metavar="DIR",
                        help="folder for ClientIDManagerStartup.log (default: <log-dir>/../CCM/Logs)")
    parser.add_argument("--explain", action="store_true",
                        help="print what the run would end with (JSON) instead of running it")
    parser.add_argument("--service-part", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("ccmsetup_args", nargs=argparse.REMAINDER,
                        help="ccmsetup arguments after `--`, echoed in the log like ccmsetup does")


def run_from_args(args: argparse.Namespace) -> int:
    tokens = list(args.ccmsetup_args or [])
    if tokens and tokens[0] == "--":
        tokens = tokens[1:]
    try:
        if getattr(args, "explain", False):
            verdict, _ = evaluate(tokens, _world(args.world), outcome=args.outcome)
            print(json.dumps(verdict.to_dict(), indent=2, ensure_ascii=False))
            return 0
        if args.service_part:
            return service_part(args.log_dir, tokens, outcome=args.outcome, speed=args.speed,
                                ccm_log_dir=args.ccm_log_dir, world=args.world)
        return simulate(args.log_dir, tokens, outcome=args.outcome, speed=args.speed,
                        ccm_log_dir=args.ccm_log_dir, world=args.world)
    except SimulatorError as exc:
        print(f"simulate: {exc}", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wizard.core.simulator",
                                     description="Simulate ccmsetup.exe writing its logs (demo mode and tests).")
    add_arguments(parser)
    return run_from_args(parser.parse_args(argv))
