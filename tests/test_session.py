"""InstallSession: refusals before launch, following the simulator from the launch offset, completion from the
tracker plus "no ccmsetup left", stall -> unknown (never success), and an unreadable log."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from wizard.core.parse import parse_command
from wizard.host import session as session_module
from wizard.host.base import LaunchResult, SetupActivity
from wizard.host.demo import DemoHost
from wizard.host.session import InstallSession

SERVICE_COMMAND = "ccmsetup.exe /mp:mp01.contoso.com SMSSITECODE=P01"
NOSERVICE_COMMAND = "ccmsetup.exe /noservice /mp:mp01.contoso.com SMSSITECODE=P01"
OLD_RUN = ('<![LOG[==========[ ccmsetup started in process 1 ]==========]LOG]!><time="08:00:00.000+000" '
           'date="01-01-2026" component="ccmsetup" context="" type="1" thread="1" file="">\r\n'
           '<![LOG[CcmSetup is exiting with return code 6]LOG]!><time="08:00:01.000+000" date="01-01-2026" '
           'component="ccmsetup" context="" type="1" thread="1" file="">\r\n')


def plan_of(command):
    return parse_command(command).plan


def demo(tmp_path, preset="entra-joined", **options):
    options.setdefault("speed", 60)
    return DemoHost(preset, base_dir=tmp_path, latency=0, **options)


def follow(session: InstallSession, limit: float = 60.0) -> None:
    stop = threading.Timer(limit, lambda: None)
    stop.start()
    try:
        session.run()
    finally:
        stop.cancel()


@pytest.fixture(autouse=True)
def _stop_simulators():
    hosts: list[DemoHost] = []
    original = DemoHost.__init__

    def tracking_init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        hosts.append(self)

    DemoHost.__init__ = tracking_init
    yield
    DemoHost.__init__ = original
    for host in hosts:
        host.stop_children()


def test_service_mode_success_ignores_the_older_run_in_the_log(tmp_path):
    host = demo(tmp_path)
    (host.log_dir() / "ccmsetup.log").write_text(OLD_RUN, encoding="utf-8")
    session = InstallSession(host, plan_of(SERVICE_COMMAND), host.demo_exe, poll_interval=0.05, settle_seconds=0.2)
    result = session.start()
    assert result.started, result.message
    assert session.offsets["ccmsetup.log"] == len(OLD_RUN.encode())
    follow(session)
    assert session.finished
    assert session.outcome.state == "succeeded"
    assert session.exit_code() == 0
    assert not host.setup_running()


@pytest.mark.parametrize(("outcome", "state", "code"), [("msi-1603", "failed", 6), ("reboot", "reboot-required", 7),
                                                        ("prereq-failed", "failed", 6)])
def test_noservice_results(tmp_path, outcome, state, code):
    host = demo(tmp_path, outcome=outcome)
    session = InstallSession(host, plan_of(NOSERVICE_COMMAND), host.demo_exe, poll_interval=0.05,
                             settle_seconds=0.2)
    assert session.start().started
    follow(session)
    assert (session.outcome.state, session.exit_code()) == (state, code)
    assert session.exit_code_of_process == code


def test_missing_exe_is_refused(tmp_path):
    host = demo(tmp_path)
    session = InstallSession(host, plan_of(SERVICE_COMMAND), tmp_path / "nope.exe")
    result = session.start()
    assert result.status == "missing-exe" and session.finished
    assert session.exit_code() == 2


def test_unsigned_exe_is_refused_before_launch(tmp_path):
    host = demo(tmp_path)
    fake = tmp_path / "ccmsetup.exe"
    fake.write_bytes(b"MZ not microsoft")
    result = InstallSession(host, plan_of(SERVICE_COMMAND), fake).start()
    assert result.status == "unsigned-exe"
    assert not (host.log_dir() / "ccmsetup.log").exists()


def test_setup_already_running_is_refused_with_8(tmp_path):
    host = demo(tmp_path, "setup-running")
    session = InstallSession(host, plan_of(SERVICE_COMMAND), host.demo_exe)
    assert session.start().status == "already-running"
    assert session.exit_code() == 8


def test_uac_cancel_changes_nothing(tmp_path):
    host = demo(tmp_path, uac_cancel=True)
    session = InstallSession(host, plan_of(SERVICE_COMMAND), host.demo_exe)
    result = session.start()
    assert result.status == "uac-cancelled"
    assert session.exit_code() == 1223
    assert session.poll() == []
    assert not (host.log_dir() / "ccmsetup.log").exists()


class SilentHost(DemoHost):
    """Launch "succeeds" but nothing is ever logged; setup stays visible (or not) as the test says."""

    def __init__(self, *, still_running: bool, **kwargs):
        super().__init__(**kwargs)
        self.still_running = still_running
        self.launched = False

    def launch(self, exe, argv, *, noservice):
        self.launched = True
        return LaunchResult("started", "started (test)", None)

    def setup_activity(self):
        return SetupActivity((999,) if self.still_running and self.launched else ())


def test_stall_ends_unknown_never_success(tmp_path):
    host = SilentHost(still_running=True, preset="entra-joined", base_dir=tmp_path, latency=0)
    session = InstallSession(host, plan_of(SERVICE_COMMAND), host.demo_exe, stall_after=0.3, poll_interval=0.05)
    assert session.start().started
    follow(session, 10)
    outcome = session.outcome
    assert outcome.state == "unknown" and outcome.final
    assert "No new log lines" in outcome.summary and "still running" in outcome.summary
    assert session.exit_code() == 1
    session.keep_waiting()
    assert not session.finished


def test_setup_gone_without_result_is_unknown(tmp_path):
    host = SilentHost(still_running=False, preset="entra-joined", base_dir=tmp_path, latency=0)
    session = InstallSession(host, plan_of(SERVICE_COMMAND), host.demo_exe, poll_interval=0.05,
                             settle_seconds=0.1)
    session.start()
    follow(session, 10)
    assert session.outcome.state == "unknown"
    assert session.exit_code() == 1


def test_unreadable_log_says_so_with_the_fix(tmp_path, monkeypatch):
    host = SilentHost(still_running=True, preset="entra-joined", base_dir=tmp_path, latency=0)
    (host.log_dir() / "ccmsetup.log").write_text("", encoding="utf-8")

    def denied(path: Path):
        raise PermissionError(13, "Access is denied", str(path))

    monkeypatch.setattr(session_module, "probe_readable", denied)
    session = InstallSession(host, plan_of(SERVICE_COMMAND), host.demo_exe, poll_interval=0.05)
    session.start()
    session.poll()
    problem = session.snapshot().log_problem
    assert problem is not None
    assert "without elevation" in problem.message and "administrator" in problem.fix


def test_snapshot_while_a_worker_polls(tmp_path):
    host = demo(tmp_path)
    session = InstallSession(host, plan_of(SERVICE_COMMAND), host.demo_exe, poll_interval=0.02, settle_seconds=0.2)
    session.start()
    worker = threading.Thread(target=session.run, daemon=True)
    worker.start()
    phases = set()
    while worker.is_alive():
        snap = session.snapshot()
        phases.add(snap.phase)
        assert snap.started
    worker.join()
    assert session.snapshot().finished and session.outcome.state == "succeeded"
    assert "done" in {session.snapshot().phase}


def test_secrets_reach_the_launch_but_not_the_preview(tmp_path):
    host = demo(tmp_path)
    token = "eyJhbGciOiJub25lIn0.eyJUeXBlIjoiQnVsa1JlZ2lzdHJhdGlvbiJ9.c2ln"
    plan = plan_of(f"ccmsetup.exe CCMHOSTNAME=cmg.contoso.com/CCM_Proxy_MutualAuth/1 SMSSITECODE=P01 "
                   f"/regtoken:{token}")
    seen = {}

    def capture(exe, argv, *, noservice):
        seen["argv"] = argv
        return LaunchResult("failed-to-start", "test")

    host.launch = capture
    session = InstallSession(host, plan, host.demo_exe)
    session.start()
    assert f"/regtoken:{token}" in seen["argv"]
    assert token not in session.command_preview()


# -- the Windows host (fake OS layer) through a whole session ---------------------------------------------


def ccm(message: str) -> str:
    return (f'<![LOG[{message}]LOG]!><time="10:00:00.000+000" date="11-26-2026" component="ccmsetup" context="" '
            'type="1" thread="10" file="ccmsetup.cpp:1">\r\n')


@pytest.fixture
def windows(tmp_path):
    from test_windows_host import FakeApi

    from wizard.host.windows import WindowsHost

    api = FakeApi(tmp_path)
    host = WindowsHost(api, base_dir=tmp_path / "runs")
    host.log_dir().mkdir(parents=True)
    exe = tmp_path / "ccmsetup.exe"
    exe.write_bytes(b"MZ")
    return api, host, exe


def test_windows_noservice_run_followed_to_success(windows):
    api, host, exe = windows
    log = host.log_dir() / "ccmsetup.log"
    log.write_text(OLD_RUN, encoding="utf-8")
    session = InstallSession(host, plan_of(NOSERVICE_COMMAND), exe, poll_interval=0.01, settle_seconds=0)
    assert session.start().started
    api.processes["ccmsetup.exe"] = [777]
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(ccm("==========[ ccmsetup started in process 777 ]==========") + ccm("Running installation package"))
    session.poll()
    assert not session.finished and session.snapshot().phase == "msi"
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(ccm("CcmSetup is exiting with return code 0"))
    api.processes["ccmsetup.exe"] = []
    api.waits[0x1234] = True
    api.exit_codes[0x1234] = 0
    for _ in range(5):
        session.poll()
    assert session.finished
    assert session.outcome.state == "succeeded" and session.exit_code() == 0
    assert api.closed == [0x1234]  # the process handle is closed once the run is over


def test_windows_uac_cancel_through_the_session(windows):
    api, host, exe = windows
    api.runas = (False, 1223, None)
    session = InstallSession(host, plan_of(SERVICE_COMMAND), exe)
    assert session.start().status == "uac-cancelled"
    assert session.exit_code() == 1223
    assert session.finished and api.closed == []


def test_windows_unsigned_exe_is_never_launched(windows):
    from wizard.host import winapi

    api, host, exe = windows
    api.trust = (winapi.TRUST_E_NOSIGNATURE, None)
    assert InstallSession(host, plan_of(SERVICE_COMMAND), exe).start().status == "unsigned-exe"
    assert not [c for c in api.calls if c[0] in ("runas", "create")]


@pytest.mark.parametrize(("outcome", "ccmexec_after", "ccmexec_after_restart"),
                         [("success", "running", "running"), ("reboot", "stopped", "running"),
                          ("msi-1603", "not-installed", "not-installed")])
def test_demo_device_has_a_client_only_after_a_simulated_install(tmp_path, outcome, ccmexec_after,
                                                                ccmexec_after_restart):
    host = demo(tmp_path, preset="entra-joined", outcome=outcome)
    assert host.client_info() is None
    session = InstallSession(host, plan_of(SERVICE_COMMAND), host.demo_exe, poll_interval=0.05, settle_seconds=0.2)
    assert session.start().started
    follow(session)
    assert host.service("CcmExec").status == ccmexec_after
    client = host.client_info()
    if ccmexec_after == "not-installed":
        assert client is None
    else:
        assert client is not None and client.version and client.version.startswith("5.00.")
    host.restart()
    assert host.service("CcmExec").status == ccmexec_after_restart


def test_log_change_hint_between_polls(tmp_path, monkeypatch):
    host = demo(tmp_path)
    log = host.log_dir() / "ccmsetup.log"
    log.write_text(OLD_RUN, encoding="utf-8")
    monkeypatch.setattr(host, "launch", lambda *a, **k: LaunchResult("started", "started (test)", None))
    session = InstallSession(host, plan_of(SERVICE_COMMAND), host.demo_exe, poll_interval=0.05, settle_seconds=60)
    assert session.start().started
    assert session.poll() == []
    assert not session.log_changed()
    with log.open("a", encoding="utf-8") as handle:
        handle.write(OLD_RUN)
    assert session.log_changed()
    assert [r.message for r in session.poll()][-1] == "CcmSetup is exiting with return code 6"
    assert not session.log_changed()
    stop = threading.Event()
    stop.set()
    session.wait_for_change(30.0, stop)  # a set stop event ends the wait at once


def test_reused_demo_run_folder_remembers_the_installed_client(tmp_path):
    host = demo(tmp_path)
    session = InstallSession(host, plan_of(SERVICE_COMMAND), host.demo_exe, poll_interval=0.05, settle_seconds=0.2)
    assert session.start().started
    follow(session)
    later = DemoHost("entra-joined", run_dir=host.run_dir(), latency=0)  # e.g. `collect --demo` afterwards
    assert later.service("CcmExec").status == "running"
    assert later.client_info() is not None
    assert DemoHost("entra-joined", base_dir=tmp_path / "fresh", latency=0).client_info() is None


def test_missing_exe_message_uses_the_front_ends_wording(tmp_path):
    from wizard.host.session import CLI_MISSING_EXE_HINT

    host = demo(tmp_path)
    gui = InstallSession(host, plan_of(SERVICE_COMMAND), tmp_path / "nope.exe").start()
    assert "choose the file to run" in gui.message
    cli = InstallSession(host, plan_of(SERVICE_COMMAND), None, missing_exe_hint=CLI_MISSING_EXE_HINT).start()
    assert cli.status == "missing-exe" and "pass --ccmsetup PATH" in cli.message and "choose" not in cli.message


# -- issue 9: nothing final while ccmsetup lives, the handle survives a stall, rolled logs, locked logs ----------


class FakeProcess:
    """A launched process whose exit the test decides; after close() its exit code can no longer be read."""

    pid = 4242

    def __init__(self):
        self.code = None
        self.closed = False

    def poll(self):
        return None if self.closed else self.code

    def wait(self, timeout=None):
        return self.poll()

    def close(self):
        self.closed = True


class ScriptedHost(DemoHost):
    """The test writes the log and says whether a ccmsetup process/service is still there."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.alive = False
        self.process = FakeProcess()
        self.on_launch = None

    def launch(self, exe, argv, *, noservice):
        self.alive = True
        if self.on_launch:
            self.on_launch()
        return LaunchResult("started", "started (test)", self.process)

    def setup_activity(self):
        return SetupActivity((777,) if self.alive else ())


def scripted(tmp_path):
    return ScriptedHost(preset="entra-joined", base_dir=tmp_path, latency=0)


def write(host, *messages, thread=10):
    with open(host.log_dir() / "ccmsetup.log", "a", encoding="utf-8") as fh:
        for message in messages:
            fh.write(ccm(message).replace('thread="10"', f'thread="{thread}"'))


SERVICE_FAILED = ["==========[ ccmsetup started in process 20 ]==========",
                  'Ccmsetup command line: "C:\\WINDOWS\\ccmsetup\\ccmsetup.exe" /runservice /mp:mp01',
                  "Starting BITS download for client deployment files.",
                  "Failed to download files through BITS. Error: 0x80190194, Description HTTP status 404",
                  "CcmSetup failed with error code 0x80190194"]


def test_a_logged_result_is_not_final_while_ccmsetup_still_runs(tmp_path):
    host = scripted(tmp_path)
    session = InstallSession(host, plan_of(SERVICE_COMMAND), host.demo_exe, poll_interval=0.01, settle_seconds=0,
                             result_grace=3600)
    assert session.start().started
    host.process.code = 0
    write(host, "==========[ ccmsetup started in process 10 ]==========",
          "Ccmsetup command line: ccmsetup.exe /mp:mp01", "Successfully started the ccmsetup service",
          "CcmSetup is exiting with return code 0")
    write(host, *SERVICE_FAILED, thread=20)
    for _ in range(3):
        session.poll()
    assert not session.finished
    outcome = session.outcome
    assert (outcome.state, outcome.error_code, outcome.final) == ("failed", "0x80190194", False)
    assert "Waiting for ccmsetup to end" in outcome.summary
    host.alive = False
    for _ in range(3):
        session.poll()
    assert session.finished and session.outcome.final and session.outcome.state == "failed"
    assert session.exit_code() == 6


def test_a_failure_while_ccmsetup_keeps_retrying_ends_not_final_with_the_retry(tmp_path):
    host = scripted(tmp_path)
    plan = plan_of(SERVICE_COMMAND + " /retry:15")
    session = InstallSession(host, plan, host.demo_exe, poll_interval=0.01, settle_seconds=0, result_grace=0)
    assert session.start().started
    host.process.code = 0
    write(host, *SERVICE_FAILED, thread=20)
    session.poll()
    assert session.finished
    outcome = session.outcome
    assert outcome.state == "failed" and not outcome.final
    assert outcome.retry.every_minutes == 15 and outcome.retry.source == "plan"
    assert "still running and will try again" in outcome.summary and "in 15 minutes" in outcome.summary
    assert session.exit_code() == 6


def test_keep_waiting_after_a_stall_keeps_the_noservice_exit_code(tmp_path):
    host = scripted(tmp_path)
    session = InstallSession(host, plan_of(NOSERVICE_COMMAND), host.demo_exe, stall_after=0.2, poll_interval=0.01,
                             settle_seconds=0)
    assert session.start().started
    follow(session, 10)
    assert session.finished and session.outcome.state == "unknown"
    session.keep_waiting()
    host.process.code = 7
    host.alive = False
    follow(session, 10)
    assert (session.outcome.state, session.outcome.return_code, session.exit_code()) == ("reboot-required", 7, 7)
    assert host.process.closed


def test_log_rolled_between_the_recorded_offset_and_the_first_poll(tmp_path):
    host = scripted(tmp_path)
    log = host.log_dir() / "ccmsetup.log"
    log.write_text(OLD_RUN, encoding="utf-8")

    def roll_over_at_launch():
        write(host, "==========[ ccmsetup started in process 10 ]==========",
              "Ccmsetup command line: ccmsetup.exe /noservice /mp:mp01")
        os.replace(log, host.log_dir() / "ccmsetup.lo_")
        write(host, "Running installation package", "CcmSetup is exiting with return code 0")

    host.on_launch = roll_over_at_launch
    session = InstallSession(host, plan_of(NOSERVICE_COMMAND), host.demo_exe, poll_interval=0.01, settle_seconds=0)
    assert session.start().started
    records = session.poll()
    assert [r.message for r in records][:2] == ["==========[ ccmsetup started in process 10 ]==========",
                                                 "Ccmsetup command line: ccmsetup.exe /noservice /mp:mp01"]
    host.process.code = 0
    host.alive = False
    follow(session, 10)
    assert session.outcome.state == "succeeded" and session.tracker.records_seen == 4


def test_locked_log_is_retried_and_a_denied_stat_never_escapes_poll(tmp_path, monkeypatch):
    host = scripted(tmp_path)
    log = host.log_dir() / "ccmsetup.log"
    log.write_text(OLD_RUN, encoding="utf-8")
    session = InstallSession(host, plan_of(SERVICE_COMMAND), host.demo_exe, poll_interval=0.01, settle_seconds=60)
    assert session.start().started
    real_stat = os.stat

    def locked(path, *a, **k):
        if os.fspath(path) == os.fspath(log):
            exc = PermissionError(13, "The process cannot access the file because it is being used", str(path))
            exc.winerror = 32
            raise exc
        return real_stat(path, *a, **k)

    monkeypatch.setattr(os, "stat", locked)
    assert session.poll() == []
    problem = session.snapshot().log_problem
    assert "locked by another program" in problem.message and "retrying" in problem.message
    assert "administrator" not in problem.fix

    def denied(path, *a, **k):
        if os.fspath(path) == os.fspath(log):
            raise PermissionError(13, "Access is denied", str(path))
        return real_stat(path, *a, **k)

    monkeypatch.setattr(os, "stat", denied)
    for _ in range(4):
        assert session.poll() == []
    assert "without elevation" in session.snapshot().log_problem.message
    monkeypatch.setattr(os, "stat", real_stat)
    write(host, "==========[ ccmsetup started in process 10 ]==========")
    assert [r.message for r in session.poll()] == ["==========[ ccmsetup started in process 10 ]=========="]


def test_a_failed_run_is_explained_with_the_devices_join_state(tmp_path):
    """The session asks dsregcmd once a failure is logged: /regtoken with /mp on a workgroup device gets
    Microsoft's tip (remove /mp) as the action, not only as a possibility."""
    from wizard.core.world.labs import load_lab

    lab = load_lab("token-with-mp")
    host = DemoHost(world=lab.named_world(), lab=lab, base_dir=tmp_path, latency=0, speed=400.0)
    asked = []
    original = host.dsregcmd
    host.dsregcmd = lambda: asked.append(1) or original()
    session = InstallSession(host, plan_of(lab.start_command), host.demo_exe, poll_interval=0.05,
                             settle_seconds=0.2)
    assert session.start().started
    follow(session)
    outcome = session.outcome
    assert outcome.state == "failed" and outcome.error_code == "0x87d0027e"
    assert "without /mp" in outcome.explanation.action
    assert asked == [1]  # once, not per poll


def test_join_state_of_a_dsregcmd_status():
    from wizard.host.base import DsregStatus
    from wizard.host.session import join_state_of

    assert join_state_of(DsregStatus(azure_ad_joined=True, domain_joined=True)) == "hybrid-joined"
    assert join_state_of(DsregStatus(azure_ad_joined=True, domain_joined=False)) == "entra-joined"
    assert join_state_of(DsregStatus(azure_ad_joined=False, domain_joined=True)) == "domain-joined"
    assert join_state_of(DsregStatus(azure_ad_joined=False, domain_joined=False)) == "workgroup"
    assert join_state_of(DsregStatus()) is None
    assert join_state_of(DsregStatus(azure_ad_joined=True, error="dsregcmd.exe was not found")) is None


def test_keep_waiting_after_a_retrying_failure_follows_until_ccmsetup_ends(tmp_path):
    host = scripted(tmp_path)
    session = InstallSession(host, plan_of(SERVICE_COMMAND), host.demo_exe, poll_interval=0.01, settle_seconds=0,
                             result_grace=0)
    assert session.start().started
    host.process.code = 0
    write(host, *SERVICE_FAILED, thread=20)
    session.poll()
    assert session.finished and session.outcome.retry is not None and not session.outcome.final
    session.keep_waiting()
    for _ in range(5):
        session.poll()
    assert not session.finished  # not cut off again by the grace period: ccmsetup may still retry
    host.alive = False
    for _ in range(3):
        session.poll()
    assert session.finished and session.outcome.final and session.outcome.state == "failed"


def test_a_setup_that_is_just_ending_is_waited_for_not_refused(tmp_path):
    """Launching right after another ccmsetup logged its result (Try again after following it): its service needs a
    moment to go, which is not "already running"."""
    from wizard.host.base import ServiceState

    host = demo(tmp_path)
    answers = [SetupActivity((4242,), ServiceState("ccmsetup", "running"))] * 2
    real = host.setup_activity
    host.setup_activity = lambda: answers.pop(0) if answers else real()
    session = InstallSession(host, plan_of(NOSERVICE_COMMAND), host.demo_exe, settle_seconds=2.0)
    try:
        assert session.start().started
    finally:
        host.stop_children()


def test_windows_a_setup_whose_presence_cannot_be_read_is_not_called_gone(windows):
    """The process list and the ccmsetup service both unreadable: "cannot tell" is not "no ccmsetup left" (which
    would end the follow with "ccmsetup is no longer running and did not log a result" while the service works)."""
    api, host, exe = windows
    session = InstallSession(host, plan_of(SERVICE_COMMAND), exe, poll_interval=0.01, settle_seconds=0)
    assert session.start().started
    api.waits[0x1234] = True
    api.exit_codes[0x1234] = 0  # the launcher handed over to the service and exited

    def unreadable(*_args):
        raise PermissionError(5, "Access is denied")

    api.process_ids = unreadable
    api.service_state = unreadable
    with open(host.log_dir() / "ccmsetup.log", "a", encoding="utf-8") as fh:
        fh.write(ccm("==========[ ccmsetup started in process 777 ]==========")
                 + ccm("Ccmsetup command line: ccmsetup.exe /mp:mp01")
                 + ccm("Successfully started the ccmsetup service") + ccm("CcmSetup is exiting with return code 0"))
    for _ in range(5):
        session.poll()
    assert not session.finished
    assert session.outcome.state == "running" and session.snapshot().setup_running


def test_noservice_failure_without_an_exit_line_takes_the_processs_own_exit_code(tmp_path):
    """With /noservice the launched process is ccmsetup itself and its exit code is the return code (facts 4.1):
    when the log has only "CcmSetup failed with error code", that code (9 here) is the run's, not the 6 guessed
    for a failed run without one."""
    host = scripted(tmp_path)
    session = InstallSession(host, plan_of(NOSERVICE_COMMAND), host.demo_exe, poll_interval=0.01, settle_seconds=0)
    assert session.start().started
    write(host, "==========[ ccmsetup started in process 10 ]==========",
          "Ccmsetup command line: ccmsetup.exe /noservice /mp:mp01", "CcmSetup failed with error code 0x87d00227")
    host.process.code = 9
    host.alive = False
    follow(session, 10)
    outcome = session.outcome
    assert (outcome.state, outcome.error_code, outcome.return_code) == ("failed", "0x87d00227", 9)
    assert session.exit_code() == 9 and outcome.as_dict()["return_code"] == 9
    assert outcome.as_dict()["return_code_source"] == "process"
