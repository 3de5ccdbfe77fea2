"""Follow one ccmsetup install from its log records: phase, download percent, stall, and the truthful outcome.

The outcome has to survive the two-process pattern (ccmsetup-facts 4.1/4.2): in service mode the launched
(bootstrap) process starts the `ccmsetup` service and logs its own "CcmSetup is exiting with return code 0" within
seconds; that line is never the result. The service run goes on and ends with "CcmSetup failed with error code
0x..." and/or its own exit line. Failure lines may be written with type="1", so the text decides, not the type.
With /noservice the single process's exit line is the result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from wizard.core.explain import Explanation, explain_code, explain_message, explain_return_code

__all__ = ["NOTHING_SEEN", "PHASES", "PHASE_TITLES", "InstallTracker", "Outcome", "Registration", "STATES",
           "TrackedRun", "track_last_run", "track_runs"]

PHASES: tuple[tuple[str, str], ...] = (
    ("bootstrap", "Starting ccmsetup"),
    ("service", "ccmsetup service running"),
    ("entra", "Getting Entra ID information and tokens"),
    ("locate", "Locating the management point and content"),
    ("download", "Downloading client files"),
    ("prereqs", "Installing prerequisites"),
    ("msi", "Installing client.msi"),
    ("finishing", "Finishing"),
    ("done", "Done"),
)
PHASE_TITLES = dict(PHASES)
_PHASE_INDEX = {pid: i for i, (pid, _) in enumerate(PHASES)}
STATES = ("running", "succeeded", "reboot-required", "failed", "unknown")

_EXIT = re.compile(r"CcmSetup is exiting with return code (-?\d+)", re.I)
_FAILED = re.compile(r"CcmSetup failed with error code (0x[0-9A-Fa-f]{1,8})", re.I)
_PROCESS_START = re.compile(r"ccmsetup started in process (\d+)", re.I)
_PERCENT = re.compile(r"File download (\d{1,3})% complete", re.I)
_REGISTERED = re.compile(r"Client is registered\. Server assigned ClientID is (GUID:[0-9A-Fa-f-]+)"
                         r"(?:\.\s*Approval status (\d+))?", re.I)
# Lines only a ccmsetup run writes: without any of them (and without a record from the ccmsetup component) the
# records are some other log (client.msi.log, a site server log) or no log at all.
_RUN_MARKER = re.compile(r"ccmsetup started in process|ccmsetup is exiting with return code|ccmsetup failed with "
                         r"error code|ccmsetup command line:|started the ccmsetup service|in servicemain", re.I)
_REG_GUID = re.compile(r"GUID:[0-9A-Fa-f-]{36}")

# Ordered (phase, lower-case substrings). The phase only moves forward.
_PHASE_MARKERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("finishing", ("installation succeeded", "removing ccmsetup service", "deleting ccmsetup service",
                   "stateid='400'", "stateid='500'")),
    ("msi", ("installing version", "running installation package", "msi: action", "msi: ")),
    ("prereqs", ("prerequisite", "vcredist", "microsoftpolicyplatformsetup", "windowsfirewallconfigurationprovider",
                 "installing file ")),
    ("download", ("% complete", "starting bits download", "downloading file", "download started",
                  "bits job")),
    ("locate", ("location request", "found a valid online mp", "searching for dp locations", "checking the url",
                "found remote location", "siteinforeply", "contentlocationrequest", "is on azure",
                "local dp locations")),
    ("entra", ("aad info", "aad (device) token", "aad (user) token", "aad token", "ccm token",
               "cached encrypted token", "wam token")),
    ("service", ("in servicemain", "started the ccmsetup service", "created the ccmsetup service")),
)


@dataclass(frozen=True)
class Outcome:
    state: str  # running | succeeded | reboot-required | failed | unknown
    return_code: int | None = None
    error_code: str | None = None  # "0x87d0027e"
    final: bool = False
    explanation: Explanation | None = None
    summary: str = ""

    def as_dict(self) -> dict:
        return {"state": self.state, "return_code": self.return_code, "error_code": self.error_code,
                "final": self.final,
                "explanation": self.explanation.as_dict() if self.explanation else None}


# The outcome of records that hold no ccmsetup run at all (empty file, another log, an offset past the end).
NOTHING_SEEN = Outcome("unknown", None, None, False, None, "no ccmsetup run found in this file.")


@dataclass
class Registration:
    """What ClientIDManagerStartup.log said about site registration."""

    state: str = "unknown"  # pending | registering | registered
    client_id: str | None = None
    approval_status: int | None = None
    method: str | None = None  # "aad" when "Registering client using AAD auth." was seen
    messages: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"state": self.state, "client_id": self.client_id, "approval_status": self.approval_status,
                "method": self.method}


def _utcnow() -> datetime:
    return datetime.now(UTC)


class InstallTracker:
    """Feed it records from the launch offset on (ccmsetup.log, and ClientIDManagerStartup.log if wanted).

    `scenario` (onprem-mp / cmg / internet-mp / cmg-token) picks the scenario-specific cause in explanations.
    """

    def __init__(self, *, noservice: bool = False, stall_after: timedelta = timedelta(minutes=10),
                 scenario: str | None = None):
        self.noservice = noservice
        self.stall_after = stall_after
        self.scenario = scenario
        self._phase = "bootstrap"
        self.percent: int | None = None
        self.created_at = _utcnow()
        self.last_activity: datetime | None = None
        self.last_record_time: datetime | None = None
        self.stalled = False
        self.records_seen = 0
        self.run_seen = False  # a record only a ccmsetup run writes was seen (see _RUN_MARKER)
        self.errors = 0
        self.warnings = 0
        self.registration: Registration | None = None
        self.last_error_message: str | None = None
        self.reboot_requested = False
        self.processes: list[int] = []
        self._service_started = False
        self._bootstrap_thread: str | None = None
        self._bootstrap_return_code: int | None = None
        self._return_code: int | None = None
        self._error_code: str | None = None
        self._error_message: str | None = None
        self._terminal_seen = False  # a terminal line of the real (service / noservice) run
        self._final = False
        self._forced_unknown = False
        # The last specific error text seen (AADSTS50001, INVALID_CA) and the phase it was seen in: it explains a
        # generic final code only if setup failed in that same phase (a warning that setup got past does not).
        self._specific: Explanation | None = None
        self._specific_phase: str | None = None
        self._work_phase = "bootstrap"  # the last phase before "done"

    # -- public API ----------------------------------------------------------------------------------------------

    @property
    def phase(self) -> str:
        return self._phase

    @property
    def phase_title(self) -> str:
        return PHASE_TITLES[self._phase]

    @property
    def service_mode(self) -> bool:
        """True once the bootstrap process reported that it started the ccmsetup service."""
        return self._service_started

    def feed(self, records, now: datetime | None = None) -> None:
        """Consume records in file order. `now` (aware UTC) defaults to the current time."""
        got_any = False
        for record in records:
            got_any = True
            self._feed_one(record)
        if got_any:
            self.last_activity = now or _utcnow()
            self.stalled = False

    def note_no_setup_left(self) -> None:
        """The host saw no ccmsetup process or service left: whatever result is pending becomes final; with no
        terminal line of the install run, the outcome is `unknown`."""
        if self._final:
            return
        self._final = True
        if not self._terminal_seen:
            self._forced_unknown = True
        self._set_phase("done")

    def check_stall(self, now: datetime | None = None) -> bool:
        """Set and return the stall flag: no record for `stall_after` while the install is not final."""
        now = now or _utcnow()
        since = self.last_activity or self.created_at  # nothing written since the launch counts too
        self.stalled = not self._final and now - since >= self.stall_after
        return self.stalled

    @property
    def outcome(self) -> Outcome:
        if self._forced_unknown:
            detail = ""
            if self._service_started and self._bootstrap_return_code is not None:
                detail = (" The launcher exited with code "
                          f"{self._bootstrap_return_code} after starting the ccmsetup service, but the service "
                          "stopped without writing its own result.")
            return Outcome("unknown", None, self._error_code, True,
                           explain_code(self._error_code, self.scenario) if self._error_code else None,
                           "ccmsetup is no longer running and did not log a result." + detail
                           + " Read the end of ccmsetup.log.")
        if not self._terminal_seen:
            waiting = ""
            if self._service_started and self._bootstrap_return_code is not None:
                waiting = " (the launcher has exited; the ccmsetup service is still working)"
            return Outcome("running", None, None, False, None, f"{self.phase_title}{waiting}.")
        rc, err = self._return_code, self._error_code
        if err is not None or (rc is not None and rc not in (0, 7)):
            explanation = (explain_code(err, self.scenario) if err else explain_return_code(rc, self.scenario))
            specific = self._specific if self._specific_phase == self._work_phase else None
            if specific is not None and (explanation.generic or (err is None and rc in (6, 9))):
                # "0x80004005" or a bare "return code 6" says little; the error text that caused it says more.
                explanation = specific
            what = f"error {err}" if err else f"return code {rc}"
            title = explanation.title if explanation else ""
            return Outcome("failed", rc, err, self._final, explanation,
                           f"ccmsetup failed with {what}: {title}.")
        if rc == 7 or (rc is None and self.reboot_requested):
            return Outcome("reboot-required", rc, None, self._final, explain_return_code(7, self.scenario),
                           "ccmsetup needs a restart to finish the installation.")
        reboot = " Windows Installer asked for a restart to complete it." if self.reboot_requested else ""
        return Outcome("succeeded", rc, None, self._final, explain_return_code(0, self.scenario),
                       "ccmsetup reported success." + reboot)

    # -- internals -----------------------------------------------------------------------------------------------

    def _set_phase(self, phase: str) -> None:
        if _PHASE_INDEX[phase] > _PHASE_INDEX[self._phase]:
            self._phase = phase
            if phase != "done":
                self._work_phase = phase

    def _feed_one(self, record) -> None:
        self.records_seen += 1
        message = record.message
        if record.type == 3:
            self.errors += 1
        elif record.type == 2:
            self.warnings += 1
        component = getattr(record, "component", None) or ""
        if not self.run_seen and (component.lower().startswith("ccmsetup") or _RUN_MARKER.search(message)):
            self.run_seen = True
        when = record.time
        if when is not None:
            self.last_record_time = when
        low = message.lower()

        if "regtask" in low or "aadjoinstatustask" in low or "registering client" in low:
            self._registration_line(message, low)
            return
        if self._final and self._terminal_seen:
            # After the result: only a trailing exit line of the same run may still add its return code.
            m = _EXIT.search(message)
            if m and self._return_code is None:
                self._return_code = int(m.group(1))
            return

        if not self._service_started and "command line:" in low and "/noservice" in low:
            # The run's own echo of its command line tells whether the exit line of this process is final.
            self.noservice = True
        m = _PROCESS_START.search(message)
        if m:
            self.processes.append(int(m.group(1)))
            if len(self.processes) > 1:
                self._set_phase("service")
            return
        if "started the ccmsetup service" in low:
            self._service_started = True
            self._bootstrap_thread = record.thread or None
            self._set_phase("service")
            return
        m = _FAILED.search(message)
        if m:
            code = "0x" + m.group(1)[2:].lower().rjust(8, "0")
            if self._is_bootstrap_line(record):
                # The launcher failed after starting the service: keep it as detail, the service decides.
                self._error_message = message
                return
            self._error_code = code
            self._error_message = message
            self._terminal_seen = True
            self._final = True
            self._set_phase("done")
            return
        m = _EXIT.search(message)
        if m:
            code = int(m.group(1))
            if self._is_bootstrap_line(record):
                self._bootstrap_return_code = code
                return
            self._return_code = code
            self._terminal_seen = True
            self._final = True
            self._set_phase("done")
            return
        if "windows installer has requested a reboot" in low:
            self.reboot_requested = True
        m = _PERCENT.search(message)
        if m:
            self.percent = min(100, int(m.group(1)))
            self._set_phase("download")
            return
        for phase, markers in _PHASE_MARKERS:
            if _PHASE_INDEX[phase] <= _PHASE_INDEX[self._phase]:
                continue
            if any(marker in low for marker in markers):
                self._set_phase(phase)
                break
        if record.type >= 2 or "error" in low or "fail" in low or "aadsts" in low or "invalid_ca" in low:
            explanation = explain_message(message, self.scenario)
            if record.type == 3 or explanation is not None:
                self.last_error_message = message
            if explanation is not None and not explanation.generic:
                self._specific = explanation
                self._specific_phase = self._phase

    def starts_new_run(self, record) -> bool:
        """True when `record` begins another ccmsetup run after this tracker's result is final (a log holds
        many runs; a caller reading a whole file starts a fresh tracker there)."""
        return self._final and _PROCESS_START.search(record.message) is not None

    def _is_bootstrap_line(self, record) -> bool:
        """In service mode, the launcher's own lines after it started the service are not the result."""
        if self.noservice or not self._service_started or self._bootstrap_return_code is not None:
            return False
        if self._bootstrap_thread and record.thread:
            return record.thread == self._bootstrap_thread
        # Without thread ids the first exit line after the service start is the launcher's (it exits within
        # seconds, long before the service finishes).
        return True

    def _registration_line(self, message: str, low: str) -> None:
        reg = self.registration or Registration()
        self.registration = reg
        reg.messages.append(message)
        m = _REGISTERED.search(message)
        if m:
            reg.state = "registered"
            reg.client_id = m.group(1)
            reg.approval_status = int(m.group(2)) if m.group(2) else None
            return
        if "registering client using aad" in low:
            reg.method = "aad"
        if reg.state != "registered":
            if "not registered" in low or "starting registration" in low or "registering client" in low:
                reg.state = "registering"
                g = _REG_GUID.search(message)
                if g:
                    reg.client_id = g.group(0)
            elif "hasn't been registered" in low:
                reg.state = "pending"


def track_last_run(records, *, noservice: bool = False, scenario: str | None = None,
                   tracker: InstallTracker | None = None) -> InstallTracker:
    """Feed records in order, starting a fresh tracker whenever a new run begins after a final result; returns
    the tracker of the last run (pass `tracker` to continue one)."""
    current = tracker or InstallTracker(noservice=noservice, scenario=scenario)
    now = _utcnow()
    for record in records:
        if current.starts_new_run(record):
            current = InstallTracker(noservice=noservice, stall_after=current.stall_after, scenario=scenario)
        current.feed((record,), now)
    return current


@dataclass(frozen=True)
class TrackedRun:
    """One ccmsetup run of a log (a bootstrap and its service are one run; a retry or a later upgrade/repair is
    another). Indexes point into the record sequence given to `track_runs`; `started`/`ended` are the local
    naive times of the first/last record (None when not parseable); use `start_record.utc_time` for UTC."""

    first_index: int
    last_index: int
    started: datetime | None
    ended: datetime | None
    start_record: object
    end_record: object
    outcome: Outcome
    tracker: InstallTracker


def track_runs(records, *, noservice: bool = False, scenario: str | None = None) -> list[TrackedRun]:
    """Every ccmsetup run in `records` (any iterable, read once), in order."""
    runs: list[TrackedRun] = []
    current: InstallTracker | None = None
    first = last = None
    first_index = last_index = 0
    now = _utcnow()

    def close() -> None:
        if current is not None and current.run_seen:
            runs.append(TrackedRun(first_index, last_index, first.time, last.time, first, last, current.outcome,
                                   current))

    for index, record in enumerate(records):
        if current is None or current.starts_new_run(record):
            close()
            current = InstallTracker(noservice=noservice, scenario=scenario)
            first, first_index = record, index
        current.feed((record,), now)
        last, last_index = record, index
    close()
    return runs
