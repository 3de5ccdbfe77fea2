"""The install tracker as it was before its fast path (wizard/core/tracker.py when tracker2 was merged into the
throughput branch), kept verbatim as the reference of the differential test (tests/test_tracker_fast.py): the
tracker must judge every log exactly as this one does. When the tracker's judgement changes on purpose, make the
same change here (or replace this file with the new tracker once the differential test passes on the change).
"""
# ruff: noqa


from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from wizard.core.explain import (
    ExplainContext,
    Explanation,
    explain_code,
    explain_message,
    explain_return_code,
)

__all__ = ["DEFAULT_DOWNLOAD_TIMEOUT_MINUTES", "DEFAULT_RETRY_MINUTES", "NOTHING_SEEN", "PHASES", "PHASE_TITLES",
           "InstallTracker", "Outcome", "Registration", "RetryInfo", "RunSplitter", "STATES", "TrackedRun",
           "command_line_switches", "track_last_run", "track_runs"]

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
# ccmsetup echoes its command line ("Ccmsetup command line: ...", in service logs also "Command line: ...").
_COMMAND_LINE = re.compile(r"\s*(?:ccmsetup\s+)?command\s+line:[ \t]*(.*)", re.I | re.S)
_COMMAND_LINE_HINT = "command line:"
_MAX_COMMAND_LINE = 1 << 16
# Parameter lines a real ccmsetup prints ("Retry time:       10 minute(s)"); the download timeout line is matched
# loosely (its exact wording is not confirmed by a public log).
_RETRY_TIME = re.compile(r"\s*retry\s+time\s*:\s*(\d{1,9})\s*minute", re.I)
_DOWNLOAD_TIMEOUT = re.compile(r"\s*download\s*time\s*-?\s*out\s*:\s*(\d{1,9})\s*minute", re.I)
# BITS (0x8019xxxx HTTP status, 0x8020xxxx) and WinINet (0x800cxxxx) errors are download failures.
_DOWNLOAD_CODE_PREFIXES = ("0x8019", "0x8020", "0x800c")
_MAX_REGISTRATION_MESSAGES = 200

# The log lines around a failure kept for its explanation (an HTTP status, the URL that got it).
_NEARBY_LINES = 32

# Ordered (phase, lower-case substrings). The phase only moves forward, so a marker must only match lines of its
# own phase: the manifest lists the prerequisites by name ("Item 'x64/vcredist_x64.exe' is applicable", "File
# '...\vcredist_x64.exe' doesn't exist.") and the BITS job adds them ("Adding file '.../vcredist_x64.exe' to BITS
# job") before anything installs, so only a prerequisite being installed is the prerequisites phase ("File '...'
# returned failure exit code 1603. Fail the installation.", "InstallFromManifest failed 0x8007064c" in Microsoft's
# release notes). The client download is the BITS job ("Adding file ... to BITS job", "Starting BITS download for
# client deployment files."); "Downloading ..."/"File download N% complete" lines are handled before these markers
# because the launcher writes the same lines when it copies itself (_download_line).
_PHASE_MARKERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("finishing", ("installation succeeded", "removing ccmsetup service", "deleting ccmsetup service",
                   "stateid='400'", "stateid='500'")),
    ("msi", ("installing version", "running installation package", "msi: action", "msi: ")),
    ("prereqs", ("returned failure exit code", "installfrommanifest", "installing file '")),
    ("download", ("to bits job", "bits download", "through bits", "by bits")),
    ("locate", ("location request", "found a valid online mp", "searching for dp locations", "checking the url",
                "found remote location", "siteinforeply", "contentlocationrequest", "is on azure",
                "local dp locations", "ccm_post '", "mp_locationmanager", "no valid source or mp locations")),
    ("entra", ("aad info", "aad (device) token", "aad (user) token", "aad token", "ccm token",
               "cached encrypted token", "wam token")),
    ("service", ("in servicemain", "started the ccmsetup service", "created the ccmsetup service")),
)


# ccmsetup's defaults when neither the log nor the plan says (facts §0: a real log prints "Retry time: 10 minute(s)";
# /downloadtimeout defaults to 1440 minutes).
DEFAULT_RETRY_MINUTES = 10
DEFAULT_DOWNLOAD_TIMEOUT_MINUTES = 1440


@dataclass(frozen=True)
class RetryInfo:
    """After a failed download ccmsetup tries again every `every_minutes` until `timeout_minutes` after the run
    started (`until`: local time as the log writes it, None when the log has no timestamps). `source` says where
    the values came from: "log" (its parameter lines or logged command line), "plan", or "default"."""

    every_minutes: int
    timeout_minutes: int
    until: datetime | None
    source: str

    def describe(self) -> str:
        until = f" until about {self.until:%Y-%m-%d %H:%M} (log time)" if self.until else \
            f" for up to {self.timeout_minutes} minutes after it started"
        return (f"ccmsetup retries the download in {self.every_minutes} minutes (every {self.every_minutes} "
                f"minutes{until}).")

    def as_dict(self) -> dict:
        return {"every_minutes": self.every_minutes, "timeout_minutes": self.timeout_minutes,
                "until": self.until.isoformat(timespec="minutes") if self.until else None, "source": self.source}


DOCUMENTED_FAILURE_CODE = 6  # "Error" in ccmsetup's documented return codes (about-client-installation-properties)


@dataclass(frozen=True)
class Outcome:
    state: str  # running | succeeded | reboot-required | failed | unknown
    return_code: int | None = None
    error_code: str | None = None  # "0x87d0027e"
    final: bool = False
    explanation: Explanation | None = None
    summary: str = ""
    retry: RetryInfo | None = None  # a failed download that ccmsetup will try again
    when: datetime | None = None  # local time of the record that decided the result, when known

    def as_dict(self) -> dict:
        """The outcome for JSON. A failed run never shows return code 0 or nothing: with no exit line of its own
        (a failed service run logs only "CcmSetup failed with error code …") it gets 6, ccmsetup's documented code
        for a failed run, and `return_code_source` says which it is ("log", "documented-for-failure", or null)."""
        return_code, source = self.return_code, ("log" if self.return_code is not None else None)
        if self.state == "failed" and not return_code:
            return_code, source = DOCUMENTED_FAILURE_CODE, "documented-for-failure"
        return {"state": self.state, "return_code": return_code, "error_code": self.error_code,
                "final": self.final, "return_code_source": source,
                "explanation": self.explanation.as_dict() if self.explanation else None,
                "retry": self.retry.as_dict() if self.retry else None}


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


@dataclass
class _Process:
    """One ccmsetup process of a run, as its log lines show it."""

    pid: int | None
    thread: str  # the thread that wrote its "ccmsetup started" banner ("" without thread ids)
    order: int  # 0 for the run's first process
    kind: str = "unknown"  # bootstrap | service | noservice | unknown
    exited: bool = False
    exit_code: int | None = None
    error_code: str | None = None
    has_banner: bool = True


def command_line_switches(message: str) -> dict[str, str | None] | None:
    """The switches of a logged "Ccmsetup command line: ..." (or "Command line: ...") message, by lower-case name
    (`/runservice`, `/noservice`, `/retry` ...) with their values; None when the message is not such a line.

    The arguments are split the way Windows splits them, so `/noservice` inside another value
    (`/source:\\\\dp1\\share/noservice`, `PROP="a /noservice"`) is not a switch."""
    m = _COMMAND_LINE.match(message)
    if m is None:
        return None
    from wizard.core.parse import split_windows_args  # imported on first use: it loads the plan model

    text = m.group(1)
    if len(text) > _MAX_COMMAND_LINE:
        text = text[:_MAX_COMMAND_LINE]
    switches: dict[str, str | None] = {}
    for arg in split_windows_args(text):
        if arg.startswith("/"):
            name, sep, value = arg.partition(":")
            switches.setdefault(name.lower(), value if sep else None)
    return switches


def _minutes(value) -> int | None:
    try:
        minutes = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return minutes if 0 < minutes <= 10 ** 6 else None


class InstallTracker:
    """Feed it records from the launch offset on (ccmsetup.log, and ClientIDManagerStartup.log if wanted).

    It follows the processes of one run: the launched bootstrap (its exit line is never the result in service
    mode), the ccmsetup service (`/runservice` in its logged command line, or "In ServiceMain"), or a `/noservice`
    process. Lines are given to the process whose banner thread wrote them; lines of other threads belong to the
    newest process still running. `scenario` (onprem-mp / cmg / internet-mp / cmg-token) picks the
    scenario-specific cause in explanations; `join_state` (one of explain.JOIN_STATES, None when unknown) is the
    device's, for callers that know it (the install session asks dsregcmd); `retry_minutes`/
    `download_timeout_minutes` are the plan's values, used for the retry note when the log does not print them.

    `percent` is the progress of the file being downloaded now, as its "File download N% complete" lines say: 0
    when a file starts, None between files, during a BITS transfer (ccmsetup logs no progress for it), after a
    failed download and while the launcher copies itself (that copy is not the client download).
    """

    def __init__(self, *, noservice: bool = False, stall_after: timedelta = timedelta(minutes=10),
                 scenario: str | None = None, retry_minutes: int | None = None,
                 download_timeout_minutes: int | None = None, join_state: str | None = None):
        self.noservice = noservice
        self._in_process_by_log = False
        self.stall_after = stall_after
        self.scenario = scenario
        self.join_state = join_state
        self._phase = "bootstrap"
        self.percent: int | None = None
        self._copying_self = False  # the launcher's copy of ccmsetup.exe is in progress
        self.created_at = _utcnow()
        self.last_activity: datetime | None = None
        self._first_record = None  # timestamps are parsed only when asked for (they cost more than the rest)
        self._last_record = None
        self.stalled = False
        self.records_seen = 0
        self.run_seen = False  # a record only a ccmsetup run writes was seen (see _RUN_MARKER)
        self.errors = 0
        self.warnings = 0
        self.registration: Registration | None = None
        self.last_error_message: str | None = None
        self.reboot_requested = False
        self.processes: list[int] = []
        self._procs: list[_Process] = []
        self._by_thread: dict[str, _Process] = {}
        self._service_started = False
        self._launcher_exit: int | None = None
        self._decider: _Process | None = None
        self._return_code: int | None = None
        self._error_code: str | None = None
        self._error_message: str | None = None
        self._result_time: datetime | None = None
        self._terminal_seen = False  # a terminal line of the real (service / noservice) run
        self._final = False
        self._forced_unknown = False
        # The last specific error text seen (AADSTS50001, INVALID_CA) and the phase it was seen in: it explains a
        # generic final code only if setup failed in that same phase (a warning that setup got past does not).
        self._specific: Explanation | None = None
        self._specific_phase: str | None = None
        self._work_phase = "bootstrap"  # the last phase before "done"
        self._download_trouble = False  # an error line about the download was seen
        self._failed_phase: str | None = None
        self._plan_retry = _minutes(retry_minutes)
        self._plan_timeout = _minutes(download_timeout_minutes)
        self._log_retry: int | None = None
        self._log_timeout: int | None = None
        self._switches: set[str] = set()  # of every logged command line of the run
        self._recent: deque[str] = deque(maxlen=_NEARBY_LINES)
        self._nearby: tuple[str, ...] = ()  # the lines before the failure line that decided the run

    # -- public API ----------------------------------------------------------------------------------------------

    @property
    def phase(self) -> str:
        return self._phase

    @property
    def phase_title(self) -> str:
        return PHASE_TITLES[self._phase]

    @property
    def service_mode(self) -> bool:
        """True once the log shows the run handing over to the ccmsetup service."""
        return self._service_started or any(p.kind == "service" for p in self._procs)

    @property
    def command_switches(self) -> frozenset[str]:
        """The switches (`/mp`, `/regtoken`, ... lower case) of the command lines the run logged."""
        return frozenset(self._switches)

    def explain_context(self) -> ExplainContext:
        """What the run's log says around its failure, for explaining its code in context."""
        return ExplainContext(self.scenario, frozenset(self._switches), self.join_state, self._nearby)

    @property
    def launcher_exit_code(self) -> int | None:
        """The exit code the launched (bootstrap) process logged, when it handed over to the service."""
        return self._launcher_exit

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
    def first_record_time(self) -> datetime | None:
        """Local time of the first record fed (None when it has none)."""
        return self._first_record.time if self._first_record is not None else None

    @property
    def last_record_time(self) -> datetime | None:
        """Local time of the last record fed (None when it has none)."""
        return self._last_record.time if self._last_record is not None else None

    @property
    def result_logged(self) -> bool:
        """The process that decides the run (service or /noservice) logged its result line."""
        return self._terminal_seen

    @property
    def outcome(self) -> Outcome:
        if self._forced_unknown:
            detail = ""
            if self._launcher_exit is not None:
                detail = (f" The launcher exited with code {self._launcher_exit}"
                          + (" after starting the ccmsetup service" if self.service_mode else "")
                          + ", but no ccmsetup service wrote a result.")
            return Outcome("unknown", None, self._error_code, True,
                           explain_code(self._error_code, self.scenario, context=self.explain_context())
                           if self._error_code else None,
                           "ccmsetup is no longer running and did not log a result." + detail
                           + " Read the end of ccmsetup.log.")
        if not self._terminal_seen:
            waiting = ""
            if self._launcher_exit is not None:
                waiting = (" (the launcher has exited; the ccmsetup service is still working)" if self.service_mode
                           else f" (the launcher exited with {self._launcher_exit}; waiting for the ccmsetup "
                                "service to log the result)")
            return Outcome("running", None, None, False, None, f"{self.phase_title}{waiting}.")
        rc, err = self._return_code, self._error_code
        if err is not None or (rc is not None and rc not in (0, 7)):
            explanation = (explain_code(err, self.scenario, context=self.explain_context()) if err
                           else explain_return_code(rc, self.scenario))
            specific = self._specific if self._specific_phase == self._failed_phase else None
            if specific is not None and specific.code != explanation.code and (
                    explanation.generic or (err is None and rc in (6, 9))
                    or (self._failed_phase == "entra" and specific.code.startswith("AADSTS"))):
                # "0x80004005" or a bare "return code 6" says little; the error text that caused it says more. In
                # the Entra step ccmsetup's own code ("0x87d00231", transient error) only says no token came;
                # Entra ID's AADSTS answer says why.
                explanation = specific
            what = f"error {err}" if err else f"return code {rc}"
            title = explanation.title if explanation else ""
            retry = self._retry_info()
            summary = f"ccmsetup failed with {what}: {title}."
            if retry is not None:
                summary += " " + retry.describe()
            return Outcome("failed", rc, err, self._final, explanation, summary, retry, self._result_time)
        if rc == 7 or (rc is None and self.reboot_requested):
            return Outcome("reboot-required", rc, None, self._final, explain_return_code(7, self.scenario),
                           "ccmsetup needs a restart to finish the installation.", None, self._result_time)
        reboot = " Windows Installer asked for a restart to complete it." if self.reboot_requested else ""
        return Outcome("succeeded", rc, None, self._final, explain_return_code(0, self.scenario),
                       "ccmsetup reported success." + reboot, None, self._result_time)

    def starts_new_run(self, record) -> bool:
        """True when `record` begins another ccmsetup run after this tracker's result is final (a log holds
        many runs; a caller reading a whole file starts a fresh tracker there)."""
        return self._final and _PROCESS_START.search(record.message) is not None

    def accepts_process(self) -> bool:
        """A new "ccmsetup started" banner may still belong to this run: its result is not logged, it runs in
        service mode and has no ccmsetup service process yet (the banner may be that service's)."""
        if self._final or self.noservice or not self._procs:
            return False
        if any(p.kind in ("service", "noservice") and p.has_banner for p in self._procs):
            return False
        first = self._procs[0]
        return first.kind in ("bootstrap", "unknown") and not any(
            p.kind == "unknown" and p.order > 0 and p.has_banner for p in self._procs)

    # -- internals -----------------------------------------------------------------------------------------------

    def _set_phase(self, phase: str) -> None:
        if _PHASE_INDEX[phase] > _PHASE_INDEX[self._phase]:
            self._phase = phase
            if phase != "done":
                self._work_phase = phase

    def _retry_went_on(self, phase: str) -> bool:
        return (self._error_code is not None and _PHASE_INDEX["download"] < _PHASE_INDEX[phase] < _PHASE_INDEX["done"]
                and (self._failed_phase == "download" or self._error_code.startswith(_DOWNLOAD_CODE_PREFIXES)))

    def _reopen_after_retry(self) -> None:
        self._final = self._terminal_seen = False
        self._decider = self._return_code = self._result_time = self._failed_phase = None
        self._error_code = self._error_message = None
        self._specific = self._specific_phase = None
        self._download_trouble = False
        self._phase = self._work_phase

    def _retry_info(self) -> RetryInfo | None:
        download = (self._download_trouble or self._failed_phase == "download"
                    or (self._error_code or "").startswith(_DOWNLOAD_CODE_PREFIXES))
        if not download:
            return None
        if self._log_retry is not None or self._log_timeout is not None:
            source = "log"
        elif self._plan_retry is not None or self._plan_timeout is not None:
            source = "plan"
        else:
            source = "default"
        every = self._log_retry or self._plan_retry or DEFAULT_RETRY_MINUTES
        timeout = self._log_timeout or self._plan_timeout or DEFAULT_DOWNLOAD_TIMEOUT_MINUTES
        until = None
        if self.first_record_time is not None:
            try:
                until = self.first_record_time + timedelta(minutes=timeout)
            except OverflowError:
                until = None
        return RetryInfo(every, timeout, until, source)

    def _new_process(self, pid: int | None, thread: str, *, banner: bool, kind: str = "unknown") -> _Process:
        proc = _Process(pid, thread, len(self._procs), kind, has_banner=banner)
        self._procs.append(proc)
        self._by_thread[thread] = proc
        if pid is not None:
            self.processes.append(pid)
        return proc

    def _awaits_service(self) -> bool:
        """Service mode and no service process seen yet: the launcher started (or may have started) it."""
        if self.noservice or any(p.kind in ("service", "noservice") for p in self._procs):
            return False
        boot = self._procs[0] if self._procs else None
        if boot is None or boot.kind not in ("bootstrap", "unknown"):
            return False
        return self._service_started or (boot.exited and boot.exit_code == 0)

    def _owner(self, record, thread: str, terminal: bool) -> _Process:
        """The process that wrote `record`."""
        if thread:
            proc = self._by_thread.get(thread)
            if proc is not None:
                return proc
        live = [p for p in self._procs if not p.exited]
        if terminal and self._awaits_service() and (not live or (thread and live[-1].kind != "service")):
            # A result line from a thread no banner named, while the launcher handed over to the service whose
            # banner is not (yet) in the log: the service wrote it.
            return self._new_process(None, thread, banner=False, kind="service")
        if live:
            return live[0] if (terminal and not thread) else live[-1]
        if self._procs:
            return self._procs[-1]
        return self._new_process(None, thread, banner=False)

    def _decides(self, proc: _Process) -> bool:
        """Whether this process's result line is the run's result."""
        if proc.kind in ("service", "noservice"):
            return True
        if proc.kind == "unknown" and proc.order > 0:
            return True  # a later process of a run is its service
        return self.noservice and proc.order == 0  # the plan says /noservice: the launched process decides

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
        if self._first_record is None:
            self._first_record = record
        self._last_record = record
        low = message.lower()

        if "regtask" in low or "aadjoinstatustask" in low or "registering client" in low:
            self._registration_line(message, low)
            return
        self._recent.append(message)
        if (self._final and self._terminal_seen and not _PROCESS_START.search(message)
                and "failed with error code" not in low and "exiting with return code" not in low):
            named = next((phase for phase, markers in _PHASE_MARKERS if any(marker in low for marker in markers)),
                         None)
            if named is not None and self._retry_went_on(named):
                self._reopen_after_retry()
        thread = record.thread or ""
        m = _PROCESS_START.search(message)
        if m:
            pid = int(m.group(1)) if len(m.group(1)) < 12 else None
            implicit = next((p for p in self._procs if not p.has_banner and not p.exited), None)
            if implicit is not None and implicit.kind == "service":
                # The service's banner after a line we already gave to the service.
                implicit.pid, implicit.has_banner = pid, True
                self._by_thread[thread] = implicit
                if pid is not None:
                    self.processes.append(pid)
            else:
                self._new_process(pid, thread, banner=True)
            if len(self._procs) > 1:
                self._set_phase("service")
            return
        failed = _FAILED.search(message) if "failed with error code" in low else None
        exited = _EXIT.search(message) if "exiting with return code" in low else None
        proc = self._owner(record, thread, terminal=bool(failed or exited))

        if self._final and self._terminal_seen:
            # After the result: only a later exit line of the deciding process may still add its return code;
            # a failed run never takes "return code 0" (e.g. the launcher's own exit line, written late).
            if exited and proc is self._decider and self._return_code is None:
                code = int(exited.group(1))
                if not (self._error_code and code == 0):
                    self._return_code = code
            elif exited and proc is not self._decider:
                proc.exited, proc.exit_code = True, int(exited.group(1))
                if proc.order == 0 and self._launcher_exit is None:
                    self._launcher_exit = proc.exit_code
            return

        switches = command_line_switches(message) if _COMMAND_LINE_HINT in low else None
        if switches is not None:
            self._command_line(proc, switches)
            return
        if "in servicemain" in low:
            if proc.kind == "bootstrap" and thread and thread == proc.thread:
                pass  # never: a launcher does not run ServiceMain
            else:
                proc.kind = "service"
            self._set_phase("service")
            return
        if "started the ccmsetup service" in low or "created the ccmsetup service" in low:
            if proc.kind == "unknown" or (proc.kind == "noservice" and self._in_process_by_log):
                proc.kind = "bootstrap"  # it hands over to the service: its own exit is not the result
                self.noservice = self.noservice and not self._in_process_by_log
            if "started" in low:
                self._service_started = True
            self._set_phase("service")
            return
        if failed:
            self._failure_line(proc, failed, message, record.time)
            return
        if exited:
            self._exit_line(proc, int(exited.group(1)), record.time)
            return
        if "windows installer has requested a reboot" in low:
            self.reboot_requested = True
        rm = _RETRY_TIME.match(message)
        if rm:
            self._log_retry = _minutes(rm.group(1)) or self._log_retry
            return
        tm = _DOWNLOAD_TIMEOUT.match(message)
        if tm:
            self._log_timeout = _minutes(tm.group(1)) or self._log_timeout
            return
        if "download" in low and self._download_line(proc, message, low):
            return
        if "bits" in low and ("to bits job" in low or "bits download" in low):
            self.percent = None  # BITS transfers the client files without progress lines
        if ("retrieved aad token" in low or "cached encrypted token" in low) and self._specific_phase == "entra":
            self._specific = None  # the token failure before it was recovered from
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
            if ("download" in low or "bits" in low) and ("fail" in low or "error" in low or record.type == 3):
                self._download_trouble = True

    def _download_line(self, proc: _Process, message: str, low: str) -> bool:
        """A line about copying one file; True when it needs no more handling.

        ccmsetup copies a file with "Downloading file <source>", "Downloading <source> to <target>", "File download
        N% complete (x of y bytes).", "Download complete." (real log). The launcher writes the same lines when it
        copies itself to %WinDir%\\ccmsetup before creating the service: that copy is not the client download."""
        m = _PERCENT.search(message) if "% complete" in low else None
        if m is not None:
            if not (self._copying_self or self._is_launcher(proc)):
                value = min(100, int(m.group(1)))
                if self.percent is None or value >= self.percent or self.percent == 100:
                    self.percent = value  # never backwards within a file; after 100 % a new file began
                self._set_phase("download")
            return True
        if low.startswith("downloading "):
            self._copying_self = low.rstrip(" .'").endswith("ccmsetup.exe") or self._is_launcher(proc)
            if not self._copying_self:
                self.percent = 0
                self._set_phase("download")
            return True
        if low.startswith("download complete"):
            if self._copying_self:
                self._copying_self = False
            else:
                self.percent = None  # nothing is being downloaded until the next file starts
            return True
        if "failed to download" in low:
            self.percent = None  # a failed download never reads as progress (the line goes on as an error)
        return False

    def _is_launcher(self, proc: _Process) -> bool:
        """The launched process in service mode: it copies itself and hands over, it never downloads the client."""
        return proc.kind == "bootstrap" and not self.noservice

    def _command_line(self, proc: _Process, switches: dict[str, str | None]) -> None:
        self._switches.update(switches)
        if proc.kind == "unknown":
            if "/runservice" in switches:
                proc.kind = "service"
            elif "/noservice" in switches or "/uninstall" in switches:
                proc.kind = "noservice"  # works in the launched process: its exit line is the result
            else:
                proc.kind = "bootstrap"
            if proc.kind == "noservice" and proc.order == 0:
                # The run's own echo of its command line tells whether the exit line of this process is final.
                self._in_process_by_log = not self.noservice
                self.noservice = True
        retry = _minutes(switches.get("/retry"))
        timeout = _minutes(switches.get("/downloadtimeout"))
        if retry is not None:
            self._log_retry = self._log_retry or retry
        if timeout is not None:
            self._log_timeout = self._log_timeout or timeout

    def _failure_line(self, proc: _Process, m, message: str, when) -> None:
        code = "0x" + m.group(1)[2:].lower().rjust(8, "0")
        proc.error_code = code
        if not self._decides(proc) and (self._service_started or any(p.kind == "service" for p in self._procs)):
            # The launcher failed after starting the service: keep it as detail, the service decides.
            self._error_message = message
            return
        self._error_code = code
        self._error_message = message
        self._nearby = tuple(self._recent)
        self._result(proc, when)

    def _exit_line(self, proc: _Process, code: int, when) -> None:
        proc.exited, proc.exit_code = True, code
        if not self._decides(proc):
            if proc.order == 0:
                self._launcher_exit = code
            if code == 0 or self._service_started or any(p.kind == "service" for p in self._procs):
                # Service mode: the launcher's exit is never the result; the service (maybe not in the log yet)
                # decides. A non-zero exit before any hand-over is the launcher failing on its own (e.g. 8).
                return
        if self._error_code is not None and code == 0:
            code = None  # a failed run never takes "return code 0"
        self._return_code = code
        self._result(proc, when)

    def _result(self, proc: _Process, when) -> None:
        self._decider = proc
        self._terminal_seen = True
        self._final = True
        self._result_time = when
        self._failed_phase = self._work_phase
        self._set_phase("done")

    def _registration_line(self, message: str, low: str) -> None:
        reg = self.registration or Registration()
        self.registration = reg
        reg.messages.append(message)
        if len(reg.messages) > _MAX_REGISTRATION_MESSAGES:
            del reg.messages[: len(reg.messages) - _MAX_REGISTRATION_MESSAGES]
        m = _REGISTERED.search(message)
        if m:
            reg.state = "registered"
            reg.client_id = m.group(1)
            reg.approval_status = int(m.group(2)) if m.group(2) and len(m.group(2)) < 10 else None
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


@dataclass
class _Run:
    tracker: InstallTracker
    first_index: int
    first_record: object
    last_index: int = -1
    last_record: object = None
    threads: set = field(default_factory=set)

    def take(self, index: int, record) -> None:
        self.tracker.feed((record,), _FEED_TIME)
        if index > self.last_index:
            self.last_index, self.last_record = index, record

    def tracked(self) -> TrackedRun:
        return TrackedRun(self.first_index, self.last_index, self.first_record.time, self.last_record.time,
                          self.first_record, self.last_record, self.tracker.outcome, self.tracker)


@dataclass
class _Pending:
    """A "ccmsetup started" banner while the newest run may still take a process: its lines wait until they
    show what the process is (its logged command line, "In ServiceMain", ...)."""

    thread: str
    records: list = field(default_factory=list)


# Lines that tell what a new process is; any of them (or a result line) ends the wait for its banner.
_CLASSIFYING = ("command line:", "in servicemain", "the ccmsetup service", "exiting with return code",
                "failed with error code")
_MAX_PENDING_RECORDS = 200
_FEED_TIME = datetime(2000, 1, 1, tzinfo=UTC)  # `now` for trackers fed from a file (no live stall clock)


class RunSplitter:
    """Splits records into ccmsetup runs as they arrive (whole files or a growing log), with one InstallTracker
    per run and bounded memory (`keep_runs=False` keeps only the newest runs).

    A banner starts a new run unless the newest run may still take a process (service mode, no service seen);
    then the banner's lines wait until they show what the process is: a `/runservice` (or unknown) process joins
    that run as its service, a bootstrap or `/noservice` process starts a new run. Lines of threads named by a
    run's banners go to that run, so interleaved runs stay apart.
    """

    def __init__(self, *, noservice: bool = False, scenario: str | None = None, keep_runs: bool = True,
                 stall_after: timedelta = timedelta(minutes=10), retry_minutes: int | None = None,
                 download_timeout_minutes: int | None = None, join_state: str | None = None):
        self._options = {"noservice": noservice, "scenario": scenario, "stall_after": stall_after,
                         "retry_minutes": retry_minutes, "download_timeout_minutes": download_timeout_minutes,
                         "join_state": join_state}
        self.keep_runs = keep_runs
        self._runs: list[_Run] = []
        self._thread_run: dict[str, _Run] = {}
        self._pending: _Pending | None = None
        self._pending_first = 0
        self._index = 0
        self._spare: InstallTracker | None = None

    @property
    def runs(self) -> list[TrackedRun]:
        """The runs seen so far that hold a ccmsetup run (`run_seen`), in order of their first record."""
        return [run.tracked() for run in self._runs if run.tracker.run_seen]

    @property
    def join_state(self) -> str | None:
        return self._options["join_state"]

    @join_state.setter
    def join_state(self, value: str | None) -> None:
        """The device's join state, learnt after the runs began (explanations of every run use it)."""
        self._options["join_state"] = value
        for tracker in [run.tracker for run in self._runs] + ([self._spare] if self._spare else []):
            tracker.join_state = value

    @property
    def current(self) -> InstallTracker:
        """The newest run's tracker (an empty tracker before any record)."""
        if self._runs:
            return self._runs[-1].tracker
        if self._spare is None:
            self._spare = self._tracker()
        return self._spare

    def feed(self, records) -> None:
        for record in records:
            self._feed_one(self._index, record)
            self._index += 1

    def flush(self) -> None:
        """End of input: a banner still waiting is decided with what is known."""
        if self._pending is not None:
            self._resolve(None)

    # -- internals -----------------------------------------------------------------------------------------------

    def _tracker(self) -> InstallTracker:
        return InstallTracker(**self._options)

    def _new_run(self, index: int, record) -> _Run:
        tracker = self._spare if (self._spare is not None and not self._runs) else self._tracker()
        self._spare = None
        run = _Run(tracker, index, record)
        self._runs.append(run)
        if not self.keep_runs and len(self._runs) > 2:
            for old in self._runs[:-2]:
                for thread in old.threads:
                    if self._thread_run.get(thread) is old:
                        del self._thread_run[thread]
            del self._runs[:-2]
        return run

    def _feed_one(self, index: int, record) -> None:
        message = record.message
        thread = record.thread or ""
        banner = "started in process" in message and _PROCESS_START.search(message) is not None
        if banner:
            if self._pending is not None:
                self._resolve(None)
            newest = self._runs[-1] if self._runs else None
            if newest is not None and newest.tracker.accepts_process():
                self._pending = _Pending(thread, [(index, record)])
                self._pending_first = index
                return
            run = self._new_run(index, record)
            self._claim(run, thread)
            run.take(index, record)
            return
        pending = self._pending
        if pending is not None and (record.component or "").lower().startswith("clientidmanager"):
            pending = None  # ClientIDManagerStartup.log lines tell nothing about ccmsetup's processes
        if pending is not None and (thread == pending.thread or thread not in self._thread_run):
            pending.records.append((index, record))
            low = message.lower()
            if any(marker in low for marker in _CLASSIFYING):
                switches = command_line_switches(message) if _COMMAND_LINE_HINT in low else None
                if switches is not None:
                    kind = ("service" if "/runservice" in switches else
                            "noservice" if "/noservice" in switches or "/uninstall" in switches else "bootstrap")
                elif "in servicemain" in low:
                    kind = "service"
                elif "the ccmsetup service" in low:
                    kind = "bootstrap"
                else:
                    kind = None
                self._resolve(kind)
            elif len(pending.records) >= _MAX_PENDING_RECORDS:
                self._resolve(None)
            return
        run = self._thread_run.get(thread) if thread else None
        if run is None:
            run = self._runs[-1] if self._runs else self._new_run(index, record)
        run.take(index, record)

    def _claim(self, run: _Run, thread: str) -> None:
        if thread:
            self._thread_run[thread] = run
            run.threads.add(thread)

    def _resolve(self, kind: str | None) -> None:
        pending, self._pending = self._pending, None
        newest = self._runs[-1]
        if kind in ("bootstrap", "noservice") or not newest.tracker.accepts_process():
            first_index, first_record = pending.records[0]
            run = self._new_run(first_index, first_record)
        else:
            run = newest
        self._claim(run, pending.thread)
        for index, record in pending.records:
            run.take(index, record)


def track_runs(records, *, noservice: bool = False, scenario: str | None = None) -> list[TrackedRun]:
    """Every ccmsetup run in `records` (any iterable, read once), in order. Records before the first run's
    banner belong to it; records of something that is no ccmsetup run (another log) give no run."""
    splitter = RunSplitter(noservice=noservice, scenario=scenario)
    splitter.feed(records)
    splitter.flush()
    return splitter.runs


def track_last_run(records, *, noservice: bool = False, scenario: str | None = None,
                   tracker: InstallTracker | None = None) -> InstallTracker:
    """The tracker of the last run in `records` (any iterable, read once; only the newest runs are kept, so a
    whole file needs no record list). `tracker` continues an earlier tracker without splitting (kept for
    callers that follow one run); prefer a RunSplitter for a growing log."""
    if tracker is not None:
        tracker.feed(records)
        return tracker
    splitter = RunSplitter(noservice=noservice, scenario=scenario, keep_runs=False)
    splitter.feed(records)
    splitter.flush()
    return splitter.current
