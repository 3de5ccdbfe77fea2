"""One install, start to finish, shared by the CLI and the GUI.

`start()` refuses a missing or unsigned exe and a setup that is already running, records the log offsets, then
launches. `poll()` is one tick: tail the logs from those offsets, feed the tracker, ask the host whether any
ccmsetup process or service is left, and decide. A run that stalls ends as `unknown` with diagnostics, never as
success. A GUI worker thread may call poll() while the UI thread reads `snapshot()`.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from wizard.core.explain import explain_return_code
from wizard.core.logparse import LogRecord
from wizard.core.plan import InstallPlan
from wizard.core.render import build_argv, command_line
from wizard.core.tail import LogTailer, is_sharing_violation, log_position
from wizard.core.tracker import InstallTracker, Outcome, RunSplitter
from wizard.host.base import Host, LaunchResult, ProcessHandle

CCMSETUP_LOG = "ccmsetup.log"
MSI_LOG = "client.msi.log"
REGISTRATION_LOG = "ClientIDManagerStartup.log"
# ccmsetup may take a moment to appear as a process/service after the launch returns
_SETTLE_SECONDS = 3.0
_EMPTY_TICKS_BEFORE_DONE = 2
# After the service logged a failure it may stay alive to retry (a failed download is tried again every /retry
# minutes): stop following after this long, saying ccmsetup is still running; the result is then not final.
RESULT_GRACE_SECONDS = 60.0


@dataclass(frozen=True)
class LogProblem:
    message: str
    fix: str


@dataclass(frozen=True)
class SessionSnapshot:
    started: bool
    finished: bool
    phase: str
    phase_title: str
    percent: int | None
    outcome: Outcome
    launch: LaunchResult | None
    log_problem: LogProblem | None
    elapsed: float
    seconds_since_activity: float | None
    setup_running: bool
    records_seen: int


HINT_INTERVAL_S = 0.05
# What to do when no ccmsetup.exe is there, in the words of the front end showing it (the CLI passes its own).
GUI_MISSING_EXE_HINT = "choose the file to run"
CLI_MISSING_EXE_HINT = "pass --ccmsetup PATH"


class InstallSession:
    def __init__(self, host: Host, plan: InstallPlan, exe: str | Path | None, *,
                 stall_after: timedelta | float = timedelta(minutes=10), poll_interval: float = 0.5,
                 settle_seconds: float = _SETTLE_SECONDS, missing_exe_hint: str = GUI_MISSING_EXE_HINT,
                 result_grace: float = RESULT_GRACE_SECONDS) -> None:
        self.host = host
        self.missing_exe_hint = missing_exe_hint
        self.plan = plan
        self.exe = Path(exe) if exe else None
        self.stall_after = stall_after if isinstance(stall_after, timedelta) else timedelta(seconds=stall_after)
        # A demo device may run faster than real time (--speed): its 10-minute stall comes sooner too, but
        # never sooner than 15 s (starting the simulator's processes on a busy machine takes a few seconds).
        self.time_scale = max(float(getattr(host, "time_scale", 1.0) or 1.0), 1.0)  # a slowed demo keeps real time
        if self.time_scale != 1.0:
            floor = min(self.stall_after, timedelta(seconds=15))
            self.stall_after = max(self.stall_after / self.time_scale, floor)
        self.poll_interval = poll_interval
        self.settle_seconds = settle_seconds
        self.result_grace = result_grace
        # One tracker per ccmsetup run from the launch offset on: the launched run, and a retry run ccmsetup may
        # start later (the newest run is the one judged).
        self._runs = RunSplitter(noservice=plan.noservice, stall_after=self.stall_after, scenario=plan.scenario,
                                 retry_minutes=_plan_minutes(plan, "/retry"),
                                 download_timeout_minutes=_plan_minutes(plan, "/downloadtimeout"))
        self.launch_result: LaunchResult | None = None
        self.log_problem: LogProblem | None = None
        self.offsets: dict[str, int] = {}
        self.last_poll: dict[str, list[LogRecord]] = {}
        self._lock = threading.RLock()
        self._tailers: dict[str, LogTailer] = {}
        self._paths: dict[str, Path] = {}
        self._process: ProcessHandle | None = None
        self._exit_code: int | None = None
        self._launched_at: float | None = None
        self._last_activity: float | None = None
        self._empty_ticks = 0
        self._setup_running = False
        self._finished = False
        self._final_override: Outcome | None = None
        self._result_alive_since: float | None = None  # a result is logged but ccmsetup is still running
        self._ticks = 0
        self._join_state_asked = False
        self._waiting_past_result = False  # "Keep waiting" after a logged failure: only a stall or the end stops

    @property
    def tracker(self) -> InstallTracker:
        """The tracker of the newest ccmsetup run since the launch (phase, percent, registration...)."""
        return self._runs.current

    # -- launch ---------------------------------------------------------------------------------------------

    def command_preview(self) -> str:
        """The command line with secrets masked (for display and logs)."""
        return f'"{self.exe or "ccmsetup.exe"}" ' + command_line(build_argv(self.plan, show_secrets=False))

    def start(self) -> LaunchResult:
        with self._lock:
            if self.launch_result is not None and self.launch_result.started:
                raise RuntimeError("this install session was already started")
            result = self._refuse_reason()
            if result is None:
                self._record_offsets()
                result = self.host.launch(self.exe, build_argv(self.plan, show_secrets=True),  # type: ignore[arg-type]
                                          noservice=self.plan.noservice)
            self.launch_result = result
            if result.started:
                self._process = result.process
                self._launched_at = time.monotonic()
                self._last_activity = self._launched_at
                self._setup_running = True
            else:
                self._finished = True
            return result

    def _refuse_reason(self) -> LaunchResult | None:
        if self.exe is None or not self.exe.is_file():
            where = str(self.exe) if self.exe else "no ccmsetup.exe was chosen"
            return LaunchResult("missing-exe", f"ccmsetup.exe not found ({where}); {self.missing_exe_hint}.")
        signature = self.host.verify_signature(self.exe)
        if not signature.is_microsoft:
            return LaunchResult("unsigned-exe", f"{self.exe} is not signed by Microsoft ({signature.detail}); it will "
                                                "not be started elevated. Get ccmsetup.exe again from the site "
                                                "server or the MP.")
        activity = self.host.setup_activity()
        # A ccmsetup that has just logged its result takes a moment to end (the service stops and removes
        # itself): look again for the settle time before calling it running, e.g. "Try again" right after
        # following another setup to its result.
        deadline = time.monotonic() + self.settle_seconds
        while activity.running and time.monotonic() < deadline:
            time.sleep(min(0.25, max(deadline - time.monotonic(), 0.0)))
            activity = self.host.setup_activity()
        if activity.running:
            return LaunchResult("already-running", f"ccmsetup is already running ({activity.describe()}); starting "
                                                   "another would return 8. Wait for it, or follow its log.")
        return None

    def _record_offsets(self) -> None:
        self._paths = {
            CCMSETUP_LOG: self.host.log_dir() / CCMSETUP_LOG,
            MSI_LOG: self.host.log_dir() / MSI_LOG,
            REGISTRATION_LOG: self.host.ccm_log_dir() / REGISTRATION_LOG,
        }
        for name, path in self._paths.items():
            # The size with the file's identity and first bytes: a log rolled over before the first poll is
            # caught up from its rolled copy instead of being skipped.
            position = log_position(path)
            self.offsets[name] = position.size
            self._tailers[name] = LogTailer(path, start_position=position, poll_interval=self.poll_interval)

    # -- following ------------------------------------------------------------------------------------------

    def poll(self) -> list[LogRecord]:
        """One tick. Returns the new records of ccmsetup.log, client.msi.log and ClientIDManagerStartup.log."""
        with self._lock:
            if self._launched_at is None or self._finished:
                return []
            self._ticks += 1
            batches = {name: tailer.poll() for name, tailer in self._tailers.items()}
            self.last_poll = batches
            tracked = batches[CCMSETUP_LOG] + batches[REGISTRATION_LOG]
            if tracked:
                self._runs.feed(tracked)
            if any(batches.values()):
                self._last_activity = time.monotonic()
            elif self._ticks % 4 == 1:
                self._check_log_readable()
            if self._process is not None and self._exit_code is None:
                self._exit_code = self._process.poll()
            self._learn_join_state()
            self._decide()
            new = [record for batch in batches.values() for record in batch]
            if self._finished:
                new += self._drain()
                self._learn_join_state()
            return new

    def _learn_join_state(self) -> None:
        """Once a failure is logged, ask the device's join state (dsregcmd, once): it decides how some codes are
        explained (0x87d0027e with /regtoken and /mp on a device that is not Entra joined)."""
        if self._join_state_asked or not self.tracker.result_logged or self.tracker.outcome.state != "failed":
            return
        self._join_state_asked = True
        try:
            status = self.host.dsregcmd()
        except (OSError, ValueError, NotImplementedError):
            return  # explained without it
        self._runs.join_state = join_state_of(status)

    def _decide(self) -> None:
        process_done = self._process is None or self._exit_code is not None
        try:
            self._setup_running = self.host.setup_running()
        except OSError:
            self._setup_running = True  # cannot tell: keep following rather than guess
        settled = time.monotonic() - (self._launched_at or 0) >= self.settle_seconds
        if process_done and not self._setup_running:
            self._empty_ticks += 1
        else:
            self._empty_ticks = 0
        gone = settled and self._empty_ticks >= _EMPTY_TICKS_BEFORE_DONE
        if gone:
            self._runs.flush()
            self.tracker.note_no_setup_left()
        if self.tracker.outcome.final:
            if gone or self.plan.noservice:
                self._result_alive_since = None
                self._finish()
                return
            # Logged, but a ccmsetup process or the service is still there: not final yet (the service removes
            # itself after a success; after a failure it may retry).
            now = time.monotonic()
            if self._result_alive_since is None:
                self._result_alive_since = now
            if (self.tracker.outcome.state == "failed" and not self._waiting_past_result
                    and now - self._result_alive_since >= self.result_grace):
                self._final_override = self._still_running(self.tracker.outcome)
                self._finish(final=False)
                return
        idle = time.monotonic() - (self._last_activity or time.monotonic())
        if idle >= self.stall_after.total_seconds():
            self._final_override = self._stall_outcome(idle)
            self._finish(final=False)

    def _still_running(self, outcome: Outcome) -> Outcome:
        # The retry note (when and how often) is already part of the summary.
        note = ("ccmsetup is still running and will try again." if outcome.retry is not None
                else "ccmsetup is still running; it may try again.")
        return dataclasses.replace(outcome, final=False, summary=f"{outcome.summary} {note}")

    def _stall_outcome(self, idle: float) -> Outcome:
        minutes = idle * self.time_scale / 60  # in the simulated device's time
        running = "still running" if self._setup_running else "no longer running"
        if self.tracker.result_logged:
            # A logged result stays the answer; only its finality is in doubt while ccmsetup lingers.
            outcome = self.tracker.outcome
            return dataclasses.replace(outcome, final=False, summary=(
                f"{outcome.summary} No new log lines for {minutes:.0f} min since; ccmsetup is {running}."))
        seen = self.tracker.records_seen
        parts = [f"No new log lines for {minutes:.0f} min during '{self.tracker.phase_title}'; ccmsetup is {running}."]
        if seen == 0:
            parts.append(f"Nothing was written to {self._paths.get(CCMSETUP_LOG)} since the launch.")
        if self.tracker.last_error_message:
            parts.append(f"Last error line: {self.tracker.last_error_message}")
        if self.log_problem:
            parts.append(self.log_problem.message)
        parts.append("The result is unknown: check ccmsetup.log, or collect the evidence bundle.")
        return Outcome("unknown", None, None, True, None, " ".join(parts))

    def _check_log_readable(self) -> None:
        path = self._paths.get(CCMSETUP_LOG)
        if path is None:
            return
        try:
            os.stat(path)
            probe_readable(path)
        except (FileNotFoundError, NotADirectoryError):
            self.log_problem = None
        except OSError as exc:
            self.log_problem = _log_problem(path, exc)
        else:
            self.log_problem = None

    def _drain(self) -> list[LogRecord]:
        """At the end: read what was written since the tick (an exit line right after a failure line) and
        emit a last record still held back as incomplete."""
        drained = {name: tailer.poll() + tailer.flush() for name, tailer in self._tailers.items()}
        tracked = drained[CCMSETUP_LOG] + drained[REGISTRATION_LOG]
        if tracked:
            self._runs.feed(tracked)
        self._runs.flush()
        for name, records in drained.items():
            self.last_poll[name] = self.last_poll.get(name, []) + records
        return [record for batch in drained.values() for record in batch]

    def _finish(self, final: bool = True) -> None:
        self._finished = True
        if self._process is not None:
            if self._exit_code is None:
                # the result line is written just before the process exits: collect its code too
                self._exit_code = self._process.wait(1.0)
            if final or self._exit_code is not None:
                self._process.close()
                if self._exit_code is None:
                    self._process = None
            # else: keep the handle, "Keep waiting" may follow on and the exit code (/noservice) still counts

    def keep_waiting(self) -> None:
        """After a stall (or a result while ccmsetup still runs): follow on (the technician knows the download
        is slow, or waits for ccmsetup's own retry). The launched process's handle was kept, so its exit code still
        counts. After a logged failure the session then follows until ccmsetup ends or the log stalls (a retry
        comes every /retry minutes, far beyond the grace period)."""
        with self._lock:
            if self._final_override is not None:
                if self.tracker.result_logged:
                    self._waiting_past_result = True
                self._final_override = None
                self._finished = False
                self._result_alive_since = None
                self._last_activity = time.monotonic()

    def run(self, *, on_tick=None, stop: threading.Event | None = None) -> Outcome:
        """Poll until finished (CLI). `on_tick(session, records)` is called after every tick."""
        while not self.finished:
            if stop is not None and stop.is_set():
                break
            records = self.poll()
            if on_tick is not None:
                on_tick(self, records)
            if not self.finished:
                self.wait_for_change(self.poll_interval, stop)
        return self.outcome

    def log_changed(self) -> bool:
        """Cheap hint between polls (one stat per followed log, no read)."""
        with self._lock:
            tailers = list(self._tailers.values())
        return any(tailer.has_changed() for tailer in tailers)

    def wait_for_change(self, timeout: float, stop: threading.Event | None = None) -> None:
        """Sleep up to `timeout`, waking early when a followed log changed: new lines then arrive within about
        HINT_INTERVAL_S instead of a whole poll interval (tail latency goal: p95 <= 150 ms)."""
        wait_for_log_change(timeout, stop, self.log_changed)

    # -- results --------------------------------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        with self._lock:
            return self._finished

    @property
    def exit_code_of_process(self) -> int | None:
        return self._exit_code

    @property
    def outcome(self) -> Outcome:
        with self._lock:
            if self._final_override is not None:
                return self._final_override
            outcome = self.tracker.outcome
            if (self.plan.noservice and self._exit_code is not None
                    and outcome.state in ("running", "unknown") and self._finished):
                return _outcome_from_exit_code(self._exit_code, self.plan.scenario)
            if (self.plan.noservice and self._exit_code and outcome.state == "failed"
                    and outcome.return_code is None):
                # The log has only "CcmSetup failed with error code": the /noservice process is ccmsetup itself,
                # its exit code is the run's return code (not the 6 guessed for a failed run without one).
                outcome = dataclasses.replace(outcome, return_code=self._exit_code, return_code_source="process")
            if outcome.final and not self._finished and not self.plan.noservice:
                # Logged, but ccmsetup is still there: nothing is final while it may still work.
                return dataclasses.replace(outcome, final=False,
                                           summary=f"{outcome.summary} Waiting for ccmsetup to end.")
            return outcome

    def exit_code(self) -> int:
        """The process exit code the CLI returns: ccmsetup's return code (1223 for UAC cancel, 8 when setup was
        already running). An unknown result exits 1: never 0."""
        with self._lock:
            launch = self.launch_result
            if launch is not None and not launch.started:
                return launch.exit_code or 1
            outcome = self.outcome
            if outcome.return_code is not None and not (outcome.state == "failed" and outcome.return_code == 0):
                return outcome.return_code
            return {"succeeded": 0, "reboot-required": 7, "failed": 6}.get(outcome.state, 1)

    def snapshot(self) -> SessionSnapshot:
        with self._lock:
            now = time.monotonic()
            return SessionSnapshot(
                started=self._launched_at is not None,
                finished=self._finished,
                phase=self.tracker.phase,
                phase_title=self.tracker.phase_title,
                percent=self.tracker.percent,
                outcome=self.outcome,
                launch=self.launch_result,
                log_problem=self.log_problem,
                elapsed=now - self._launched_at if self._launched_at else 0.0,
                seconds_since_activity=now - self._last_activity if self._last_activity else None,
                setup_running=self._setup_running,
                records_seen=self.tracker.records_seen,
            )

    def log_paths(self) -> dict[str, Path]:
        return dict(self._paths)


def wait_for_log_change(timeout: float, stop: threading.Event | None, changed: Callable[[], bool]) -> None:
    """Sleep up to `timeout` in steps of HINT_INTERVAL_S, returning early when `stop` is set or `changed()` (a
    stat-only hint) says a followed log changed."""
    deadline = time.monotonic() + timeout
    while (remaining := deadline - time.monotonic()) > 0:
        step = min(HINT_INTERVAL_S, remaining)
        if stop is not None:
            if stop.wait(step):
                return
        else:
            time.sleep(step)
        if changed():
            return


def _log_problem(path: Path, exc: OSError) -> LogProblem:
    if is_sharing_violation(exc):
        # Windows error 32: another program (ccmsetup, an antivirus scan, a backup) holds the log for a moment.
        return LogProblem(f"{path} is locked by another program for the moment (sharing violation); retrying.",
                          "Nothing to do: the wizard keeps retrying and catches up when the file is free.")
    if isinstance(exc, PermissionError):
        return LogProblem(
            f"{path} exists but this account may not read it without elevation, so progress cannot be followed.",
            "Run the wizard as administrator (right-click > Run as administrator) to follow the log; the "
            "install itself goes on either way.")
    return LogProblem(f"{path} cannot be read: {exc}", "Check the file and folder permissions.")


def _plan_minutes(plan: InstallPlan, name: str) -> int | None:
    """The plan's `/retry:N` or `/downloadtimeout:N` in minutes, None when not given or not a number."""
    present, value = plan.parameter(name)
    if not present or value is None:
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def join_state_of(status) -> str | None:
    """A dsregcmd status as one of explain.JOIN_STATES, None when dsregcmd could not tell."""
    if status is None or getattr(status, "error", None):
        return None
    entra, domain = getattr(status, "azure_ad_joined", None), getattr(status, "domain_joined", None)
    if entra is None:
        return None
    if entra:
        return "hybrid-joined" if domain else "entra-joined"
    return "domain-joined" if domain else "workgroup"


def probe_readable(path: Path) -> None:
    """Open and close `path` for reading; raises PermissionError when this account may not read it."""
    with open(path, "rb"):
        pass


def _outcome_from_exit_code(code: int, scenario: str | None) -> Outcome:
    explanation = explain_return_code(code, scenario)
    if code == 0:
        return Outcome("succeeded", 0, None, True, explanation, "ccmsetup exited with 0 (success).",
                       return_code_source="process")
    if code == 7:
        return Outcome("reboot-required", 7, None, True, explanation, "ccmsetup needs a restart to finish.",
                       return_code_source="process")
    title = explanation.title if explanation else "error"
    return Outcome("failed", code, None, True, explanation, f"ccmsetup exited with {code}: {title}.",
                   return_code_source="process")

