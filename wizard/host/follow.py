"""Follow a ccmsetup run this tool did not start: the one already running when Install was pressed (a retry task,
another technician, an earlier attempt). Same polling interface as `InstallSession` (`poll()`, `snapshot()`,
`finished`, `outcome`, `wait_for_change()`), so the GUI's session worker can drive it.

It tails ccmsetup.log from the start of the current run: a log holds many runs, and a run that already ended
(its result line written) is history, not the setup that is running now. The follow ends when the host sees no
ccmsetup process or service left; a result the run logged before that is shown, but not as final (after a failed
download the service stays and retries; after a success it still has to remove itself).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from datetime import timedelta

from wizard.core.logparse import LogRecord
from wizard.core.tail import LogTailer
from wizard.core.tracker import InstallTracker, Outcome, RunSplitter, track_runs
from wizard.host.base import Host
from wizard.host.session import CCMSETUP_LOG, SessionSnapshot, wait_for_log_change

# Reading the backlog of a long log: at most this many polls (each up to the tailer's max_read) before following.
_BACKLOG_POLLS = 64
_EMPTY_TICKS_BEFORE_DONE = 2


class RunningSetupFollower:
    def __init__(self, host: Host, *, scenario: str | None = None, poll_interval: float = 0.5,
                 stall_after: timedelta = timedelta(minutes=10)) -> None:
        self.host = host
        self.scenario = scenario
        self.poll_interval = poll_interval
        self.stall_after = stall_after
        self.path = host.log_dir() / CCMSETUP_LOG
        # One splitter decides where runs begin and end, as everywhere else (a launcher and its service are one
        # run); only the newest runs are kept.
        self._runs = RunSplitter(scenario=scenario, stall_after=stall_after, keep_runs=False)
        self._tailer = LogTailer(self.path, from_start=True, poll_interval=poll_interval)
        self._lock = threading.RLock()
        self._attached = False
        self._started_at = time.monotonic()
        self._last_activity = self._started_at
        self._empty_ticks = 0
        self._setup_running = True
        self._finished = False

    @property
    def tracker(self) -> InstallTracker:
        """The tracker of the newest run followed."""
        return self._runs.current

    def poll(self) -> list[LogRecord]:
        """One tick: the new records of the running setup's ccmsetup.log (the current run's backlog first)."""
        with self._lock:
            if self._finished:
                return []
            records = self._read_backlog() if not self._attached else self._tailer.poll()
            records = self._feed(records)
            if records:
                self._last_activity = time.monotonic()
            try:
                self._setup_running = self.host.setup_running()
            except OSError:
                self._setup_running = True  # cannot tell: keep following rather than guess
            self._empty_ticks = 0 if self._setup_running else self._empty_ticks + 1
            if self._empty_ticks >= _EMPTY_TICKS_BEFORE_DONE:
                records += self._feed(self._tailer.poll() + self._tailer.flush())
                self.tracker.note_no_setup_left()
                self._finished = True
            return records

    def _read_backlog(self) -> list[LogRecord]:
        self._attached = True
        backlog: list[LogRecord] = []
        for _ in range(_BACKLOG_POLLS):
            batch = self._tailer.poll()
            if not batch:
                break
            backlog += batch
        runs = track_runs(backlog, scenario=self.scenario)
        if not runs or runs[-1].outcome.final:
            # The last run in the file has ended: the running setup has not written its own lines yet.
            return []
        return backlog[runs[-1].first_index:]

    def _feed(self, records: list[LogRecord]) -> list[LogRecord]:
        self._runs.feed(records)  # the next run of a retrying setup is judged afresh by the splitter
        return records

    def wait_for_change(self, timeout: float, stop: threading.Event | None = None) -> None:
        """Sleep up to `timeout`, waking early when the log changed (as InstallSession.wait_for_change)."""
        wait_for_log_change(timeout, stop, self._tailer.has_changed)

    @property
    def finished(self) -> bool:
        with self._lock:
            return self._finished

    @property
    def outcome(self) -> Outcome:
        with self._lock:
            outcome = self.tracker.outcome
            if outcome.final and not self._finished:
                # Logged, but ccmsetup is still there: nothing is final while it may still work (facts 4.2).
                return dataclasses.replace(outcome, final=False,
                                           summary=f"{outcome.summary} Waiting for ccmsetup to end.")
            return outcome

    def snapshot(self) -> SessionSnapshot:
        with self._lock:
            now = time.monotonic()
            return SessionSnapshot(
                started=True, finished=self._finished, phase=self.tracker.phase,
                phase_title=self.tracker.phase_title, percent=self.tracker.percent, outcome=self.outcome,
                launch=None, log_problem=None, elapsed=now - self._started_at,
                seconds_since_activity=now - self._last_activity, setup_running=self._setup_running,
                records_seen=self.tracker.records_seen)
