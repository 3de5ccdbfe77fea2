"""The live part of the wizard: workers, Checks page, Install page and Finish page, driven in demo mode."""

from __future__ import annotations

import gc
import json
import os
import threading
from dataclasses import dataclass

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from wizard.ui import workers
from wizard.ui.workers import ChecksWorker, SessionWorker, install_main_thread_gc


@pytest.fixture(autouse=True, scope="module")
def _automatic_gc_back_after_module():
    """Workers switch Python's GC to UI-thread-only collection (see workers.install_main_thread_gc); give the
    rest of the test session its normal automatic GC back once this module is done."""
    yield
    if workers._collector is not None and workers.isValid(workers._collector):
        workers._collector.restore()
    gc.collect()


@dataclass(frozen=True)
class FakeResult:
    id: str
    title: str
    status: str
    detail: str = ""
    fix: str = ""
    seconds: float = 0.0


# ---- workers ----------------------------------------------------------------------------------------------


def test_checks_worker_reports_each_result_off_the_ui_thread(qtbot):
    ui_thread = threading.get_ident()
    seen_threads = []

    def run_checks(host, plan, *, on_result, cancel, only=None, exe=None):
        for name in ("a", "b", "c"):
            seen_threads.append(threading.get_ident())
            on_result(FakeResult(name, name.upper(), "pass"))

    worker = ChecksWorker(run_checks=run_checks)
    results = []
    worker.resultReady.connect(results.append)
    with qtbot.waitSignal(worker.finished, timeout=5000) as blocker:
        worker.start(object(), object())
    assert blocker.args == [False]
    assert [r.id for r in results] == ["a", "b", "c"]
    assert ui_thread not in seen_threads
    assert worker.wait()


def test_checks_worker_passes_subset_and_cancel(qtbot):
    calls = []
    release = threading.Event()

    def run_checks(host, plan, *, on_result, cancel, only=None, exe=None):
        calls.append(only)
        release.wait(5)
        if not cancel.is_set():
            on_result(FakeResult("late", "Late", "pass"))

    worker = ChecksWorker(run_checks=run_checks)
    results = []
    worker.resultReady.connect(results.append)
    worker.start(object(), object(), only=["dns"])
    assert worker.running
    with qtbot.waitSignal(worker.finished, timeout=5000) as blocker:
        worker.cancel()
        release.set()
    assert blocker.args == [True]
    assert calls == [("dns",)]
    assert results == []  # a cancelled pass shows nothing more


def test_checks_worker_reports_engine_crash(qtbot):
    def run_checks(host, plan, *, on_result, cancel):
        raise RuntimeError("probe table missing")

    worker = ChecksWorker(run_checks=run_checks)
    with qtbot.waitSignal(worker.failed, timeout=5000) as blocker:
        worker.start(object(), object())
    assert "probe table missing" in blocker.args[0]
    worker.shutdown()


def test_cyclic_garbage_is_collected_in_the_ui_thread(qtbot):
    install_main_thread_gc()
    assert not gc.isenabled()
    finalized_in = []

    class Node:
        def __del__(self):
            finalized_in.append(threading.get_ident())

    for _ in range(50):
        node = Node()
        node.me = node  # a cycle: only the cyclic collector frees it
    del node

    kept = []

    def churn():
        # Enough live container allocations to trigger an automatic collection in this thread, were it enabled.
        kept.append([[] for _ in range(100_000)])

    worker_thread = threading.Thread(target=churn)
    worker_thread.start()
    worker_thread.join()
    qtbot.waitUntil(lambda: len(finalized_in) == 50, timeout=5000)
    assert set(finalized_in) == {threading.get_ident()}


class _Tracker:
    def __init__(self):
        self.phase = "bootstrap"
        self.percent = None
        self.stalled = False


class FakeSession:
    """Starts, then finishes after three polls with one record each."""

    def __init__(self, started=True):
        self.tracker = _Tracker()
        self.finished = False
        self.outcome = None
        self._started = started
        self.polls = 0

    def start(self):
        from wizard.host.base import LaunchResult

        return LaunchResult("started" if self._started else "uac-cancelled", "")

    def poll(self):
        self.polls += 1
        self.tracker.phase = ("bootstrap", "download", "msi")[min(self.polls - 1, 2)]
        if self.polls >= 3:
            self.finished = True
            self.outcome = "done"
        return [f"record {self.polls}"]


def test_session_worker_streams_records_progress_and_outcome(qtbot):
    worker = SessionWorker(FakeSession(), interval=0.01)
    records, phases = [], []
    worker.recordsReady.connect(records.extend)
    worker.progress.connect(lambda phase, percent, stalled, elapsed: phases.append(phase))
    with qtbot.waitSignal(worker.finished, timeout=5000) as blocker:
        worker.start()
    assert blocker.args == ["done"]
    qtbot.waitUntil(lambda: len(records) == 3)
    assert records == ["record 1", "record 2", "record 3"]
    assert phases[-1] == "msi"
    assert worker.wait()
    assert not worker.running


def test_session_worker_stops_after_a_launch_that_did_not_start(qtbot):
    session = FakeSession(started=False)
    worker = SessionWorker(session, interval=0.01)
    with qtbot.waitSignal(worker.launched, timeout=5000) as blocker:
        worker.start()
    assert blocker.args[0].status == "uac-cancelled"
    assert worker.wait()
    assert session.polls == 0


def test_session_worker_shutdown_joins_thread(qtbot):
    class Endless(FakeSession):
        def poll(self):
            self.polls += 1
            return []

    worker = SessionWorker(Endless(), interval=0.01)
    with qtbot.waitSignal(worker.launched, timeout=5000):
        worker.start()
    worker.shutdown()
    assert not worker.running


# ---- pages in the real wizard, demo host ------------------------------------------------------------------


@pytest.fixture
def make_wizard(qtbot, tmp_path, asked):
    """Build a SetupWizard on a fresh demo host, open at `start` with `plan` (teardown stops everything)."""
    from wizard.host.demo import DemoHost
    from wizard.ui.wizard import SetupWizard

    made = []

    def make(plan, start, *, preset="entra-joined", outcome="success", speed=150.0, uac_cancel=False,
             latency=0.01):
        host = DemoHost(preset, base_dir=tmp_path, outcome=outcome, speed=speed, latency=latency,
                        uac_cancel=uac_cancel)
        wizard = SetupWizard(host, plan=plan)
        made.append(wizard)
        qtbot.addWidget(wizard)
        wizard.resize(1000, 720)
        wizard.setStartId(int(start))
        wizard.show()
        return wizard

    yield make
    for wizard in made:
        wizard.shutdown()
        wizard.host.stop_children()


def cmg_plan():
    from wizard.core.parse import parse_command
    from wizard.host.demo import DEFAULT_PRESET, get_preset

    return parse_command(get_preset(DEFAULT_PRESET).world.site.sample_command()).plan


def onprem_plan():
    from wizard.core.plan import InstallPlan

    return InstallPlan(scenario="onprem-mp", mp=("https://mp01.contoso.com",), sitecode="P01")


def next_button(wizard):
    return wizard.button(QWizard.WizardButton.NextButton)


def test_checks_fill_in_live_and_pass(make_wizard, qtbot):
    from wizard.ui.wizard import PageId

    wizard = make_wizard(cmg_plan(), PageId.CHECKS)
    page = wizard.page(PageId.CHECKS)
    results = []
    page.resultsChanged.connect(lambda: results.append(len(page.results())))
    with qtbot.waitSignal(page.checksFinished, timeout=20_000):
        pass
    assert len(results) >= len(page.check_ids())  # one repaint per check, not one at the end
    assert results[0] < len(page.check_ids())
    assert all(page.row(i).kind == "pass" for i in page.check_ids())
    assert "passed" in page.summary_label.text()
    assert next_button(wizard).isEnabled()
    assert not page.override_box.isVisible()
    wizard.next()
    assert wizard.currentId() == PageId.REVIEW
    assert [r.id for r in wizard.check_results] == page.check_ids()
    assert wizard.checks_overridden is False


def test_onprem_check_failure_blocks_next_until_override(make_wizard, qtbot):
    from wizard.ui.wizard import PageId

    wizard = make_wizard(onprem_plan(), PageId.CHECKS, preset="offline")
    page = wizard.page(PageId.CHECKS)
    with qtbot.waitSignal(page.checksFinished, timeout=20_000):
        pass
    assert page.failed_ids() == ["mp-reachable"]
    row = page.row("mp-reachable")
    assert row.fix_label.isVisible() and row.fix_label.text()
    assert not next_button(wizard).isEnabled()
    assert page.override_box.isVisible() and not page.override_box.isChecked()

    # Re-run one check: still failing, still blocked.
    with qtbot.waitSignal(page.checksFinished, timeout=20_000):
        qtbot.mouseClick(row.rerun_button, Qt.MouseButton.LeftButton)
    assert page.failed_ids() == ["mp-reachable"]
    assert not next_button(wizard).isEnabled()

    page.override_box.setChecked(True)
    assert next_button(wizard).isEnabled()
    wizard.next()
    assert wizard.currentId() == PageId.REVIEW
    assert wizard.checks_overridden is True
    assert any(r.id == "mp-reachable" and r.status == "fail" for r in wizard.check_results)


def test_warnings_do_not_block(make_wizard, qtbot):
    from wizard.ui.wizard import PageId

    wizard = make_wizard(cmg_plan(), PageId.CHECKS, preset="pending-reboot")
    page = wizard.page(PageId.CHECKS)
    with qtbot.waitSignal(page.checksFinished, timeout=20_000):
        pass
    assert page.warning_ids() == ["pending-reboot"]
    assert page.failed_ids() == []
    assert "1 warning" in page.summary_label.text()
    assert not page.override_box.isVisible()
    assert next_button(wizard).isEnabled()


def go_to_install(wizard, qtbot):
    """From the Review page press Install (the commit button) like a user."""
    from wizard.ui.wizard import PageId

    assert wizard.currentId() == PageId.REVIEW
    wizard.next()
    assert wizard.currentId() == PageId.INSTALL
    return wizard.page(PageId.INSTALL)


def test_cmg_install_reaches_finish_success(make_wizard, qtbot):
    from wizard.ui.wizard import PageId

    plan = cmg_plan()
    wizard = make_wizard(plan, PageId.REVIEW, outcome="success")
    page = go_to_install(wizard, qtbot)
    phases = []
    page.worker.progress.connect(lambda phase, *_: phases.append(phase))
    assert not page.isComplete()
    assert not next_button(wizard).isEnabled()
    with qtbot.waitSignal(page.outcomeReady, timeout=60_000) as blocker:
        pass
    assert blocker.args[0].state == "succeeded"
    assert page.isComplete() and next_button(wizard).isEnabled()
    assert page.log_view.model.total_count > 10  # the simulated ccmsetup.log streamed in
    assert len(set(phases)) >= 3  # the stepper moved through phases
    assert page.stepper.state_of("done") == "done"
    wizard.next()
    assert wizard.currentId() == PageId.FINISH
    finish = wizard.page(PageId.FINISH)
    assert finish.headline.text() == "The client is installed"
    assert "success" in finish.summary_label.text()
    assert not finish.explanation_box.isVisible()
    assert not finish.reboot_panel.isVisible()
    qtbot.waitUntil(lambda: "checking" not in finish.service_label.text(), timeout=5000)
    assert "CcmExec" in finish.service_label.text()
    # Registration is logged after ccmsetup exits; the Finish page keeps watching for it.
    qtbot.waitUntil(lambda: "registered" in finish.registration_label.text(), timeout=15_000)
    assert "approval status 3" in finish.registration_label.text()
    assert wizard.plan == plan


@pytest.mark.parametrize(
    ("outcome", "code_text"),
    [("aad-resource-mismatch", "AADSTS50001"), ("msi-1603", "0x80070643")],
)
def test_failure_outcome_ends_on_finish_with_explanation(make_wizard, qtbot, outcome, code_text):
    from wizard.ui.wizard import PageId

    wizard = make_wizard(cmg_plan(), PageId.REVIEW, outcome=outcome)
    page = go_to_install(wizard, qtbot)
    with qtbot.waitSignal(page.outcomeReady, timeout=60_000) as blocker:
        pass
    assert blocker.args[0].state == "failed"
    assert page.log_view.model.error_count >= 1
    # the last error line is selected, so its text and explanation are in front of the technician
    assert page.log_view.current_record() is not None and page.log_view.current_record().type == 3
    wizard.next()
    finish = wizard.page(PageId.FINISH)
    assert wizard.currentId() == PageId.FINISH
    assert finish.headline.text() == "Setup failed"
    assert finish.explanation_box.isVisible()
    assert code_text in finish.summary_label.text() + finish.explanation_title.text()
    assert finish.action_label.isVisible() and finish.action_label.text().startswith("What to do: ")


def test_uac_cancel_returns_to_review_with_nothing_lost(make_wizard, qtbot):
    from wizard.ui.wizard import PageId

    plan = cmg_plan()
    wizard = make_wizard(plan, PageId.REVIEW, preset="no-prt", uac_cancel=True)
    assert not wizard.host.device.elevated  # the demo only shows a UAC prompt when not elevated
    page = go_to_install(wizard, qtbot)
    with qtbot.waitSignal(page.launchFailed, timeout=20_000) as blocker:
        pass
    assert blocker.args[0].status == "uac-cancelled"
    assert page.failure_panel.isVisible()
    assert "cancelled" in page.failure_title.text()
    assert not page.isComplete()
    qtbot.mouseClick(page.back_to_review_button, Qt.MouseButton.LeftButton)
    assert wizard.currentId() == PageId.REVIEW
    assert wizard.plan == plan
    assert wizard.session is None
    # Pressing Install again launches for real this time (the demo cancels only once).
    page = go_to_install(wizard, qtbot)
    with qtbot.waitSignal(page.outcomeReady, timeout=60_000) as blocker:
        pass
    assert blocker.args[0].state == "succeeded"


def test_closing_while_setup_runs_asks_and_can_refuse(make_wizard, qtbot, asked):
    from wizard.ui.wizard import PageId

    wizard = make_wizard(cmg_plan(), PageId.REVIEW, speed=2.0)
    page = go_to_install(wizard, qtbot)
    qtbot.waitUntil(lambda: page.launch_result is not None, timeout=20_000)
    asked.answer = False
    wizard.close()
    assert wizard.isVisible()  # the user said no: the window stays
    assert asked and "still running" in asked[-1][0]
    assert page.running
    asked.answer = True
    wizard.close()
    assert not wizard.isVisible()
    assert not page.running


def test_reboot_outcome_offers_confirmed_restart(make_wizard, qtbot, asked, monkeypatch):
    from wizard.ui.wizard import PageId

    wizard = make_wizard(cmg_plan(), PageId.REVIEW, outcome="reboot")
    page = go_to_install(wizard, qtbot)
    with qtbot.waitSignal(page.outcomeReady, timeout=60_000) as blocker:
        pass
    assert blocker.args[0].state == "reboot-required"
    wizard.next()
    finish = wizard.page(PageId.FINISH)
    assert finish.reboot_panel.isVisible()
    restarts = []
    monkeypatch.setattr(wizard.host, "restart", lambda: restarts.append(True))
    asked.answer = False
    qtbot.mouseClick(finish.restart_button, Qt.MouseButton.LeftButton)
    assert restarts == []  # not confirmed: nothing happens
    asked.answer = True
    qtbot.mouseClick(finish.restart_button, Qt.MouseButton.LeftButton)
    assert restarts == [True]
    assert asked[-1][0] == "Restart now?"


def test_start_over_keeps_the_plan(make_wizard, qtbot):
    from wizard.ui.wizard import PageId

    plan = cmg_plan()
    wizard = make_wizard(plan, PageId.REVIEW, outcome="success")
    page = go_to_install(wizard, qtbot)
    with qtbot.waitSignal(page.outcomeReady, timeout=60_000):
        pass
    wizard.next()
    finish = wizard.page(PageId.FINISH)
    qtbot.mouseClick(finish.start_over_button, Qt.MouseButton.LeftButton)
    assert wizard.currentId() == wizard.startId()
    assert wizard.plan == plan
    assert wizard.outcome is None and wizard.session is None


def test_evidence_zip_records_the_override(make_wizard, qtbot, monkeypatch, tmp_path):
    import zipfile

    from wizard.ui import dialogs
    from wizard.ui.wizard import PageId

    wizard = make_wizard(cmg_plan(), PageId.CHECKS, preset="low-disk", outcome="msi-1603")
    checks = wizard.page(PageId.CHECKS)
    with qtbot.waitSignal(checks.checksFinished, timeout=20_000):
        pass
    assert checks.failed_ids() == ["disk-space"]
    checks.override_box.setChecked(True)
    wizard.next()
    page = go_to_install(wizard, qtbot)
    with qtbot.waitSignal(page.outcomeReady, timeout=60_000):
        pass
    wizard.next()
    finish = wizard.page(PageId.FINISH)
    assert finish.override_label.isVisible()
    target = tmp_path / "evidence"
    monkeypatch.setattr(dialogs, "choose_save_file", lambda *a, **k: str(target))
    with qtbot.waitSignal(finish.evidenceSaved, timeout=30_000) as blocker:
        qtbot.mouseClick(finish.evidence_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0] == str(target) + ".zip"
    with zipfile.ZipFile(blocker.args[0]) as archive:
        summary = archive.read("summary.md").decode()
        checks_json = json.loads(archive.read("checks.json"))
    # The override is stated as such (collect_evidence(checks_overridden=True)), naming the failed check...
    override_line = next(line for line in summary.splitlines() if "Checks overridden" in line)
    assert "disk" in override_line.lower()
    # ...and the check results are the real ones: no made-up row among them.
    assert sorted(r["id"] for r in checks_json) == sorted(r.id for r in wizard.check_results)
    assert "checks-overridden" not in summary


def test_evidence_save_cancelled_does_nothing(make_wizard, qtbot, monkeypatch):
    from wizard.ui import dialogs
    from wizard.ui.wizard import PageId

    wizard = make_wizard(cmg_plan(), PageId.REVIEW)
    page = go_to_install(wizard, qtbot)
    with qtbot.waitSignal(page.outcomeReady, timeout=60_000):
        pass
    wizard.next()
    finish = wizard.page(PageId.FINISH)
    monkeypatch.setattr(dialogs, "choose_save_file", lambda *a, **k: None)
    assert finish.save_evidence() is False
    assert finish.last_evidence is None


def test_back_cancels_running_checks(make_wizard, qtbot):
    from wizard.ui.wizard import PageId

    wizard = make_wizard(cmg_plan(), PageId.OPTIONS, latency=1.5)
    wizard.next()
    page = wizard.page(PageId.CHECKS)
    assert wizard.currentId() == PageId.CHECKS
    qtbot.waitUntil(lambda: page.running and any(page.row(i).kind == "pass" for i in page.check_ids()),
                    timeout=10_000)
    assert page.row("cmg-reachable").kind == "running"  # the slow network check is still going
    assert not next_button(wizard).isEnabled()
    wizard.back()
    assert wizard.currentId() == PageId.OPTIONS
    assert not page.running
    assert page.worker.wait(10)
    assert page.row("cmg-reachable").kind == "pending"  # its late result was dropped, not shown


def test_rerun_buttons_work_from_the_keyboard(make_wizard, qtbot):
    from wizard.ui.wizard import PageId

    wizard = make_wizard(onprem_plan(), PageId.CHECKS, preset="offline")
    page = wizard.page(PageId.CHECKS)
    with qtbot.waitSignal(page.checksFinished, timeout=20_000):
        pass
    button = page.row("mp-reachable").rerun_button
    assert button.focusPolicy() & Qt.FocusPolicy.TabFocus
    assert button.accessibleName() == "Re-run check: " + page.row("mp-reachable").title
    button.setFocus()
    with qtbot.waitSignal(page.checksFinished, timeout=20_000):
        qtbot.keyClick(button, Qt.Key.Key_Space)
    assert page.failed_ids() == ["mp-reachable"]


@pytest.mark.parametrize("problem", ["missing-exe", "unsigned-exe", "already-running"])
def test_launch_refusals_are_shown_plainly(make_wizard, qtbot, tmp_path, problem):
    from wizard.ui.wizard import PageId

    plan = cmg_plan()
    wizard = make_wizard(plan, PageId.REVIEW, preset="setup-running" if problem == "already-running" else
                         "entra-joined")
    if problem == "missing-exe":
        wizard.exe_path = str(tmp_path / "nowhere" / "ccmsetup.exe")
    elif problem == "unsigned-exe":
        impostor = tmp_path / "ccmsetup.exe"
        impostor.write_bytes(b"MZ not the real thing")
        wizard.exe_path = str(impostor)
    page = go_to_install(wizard, qtbot)
    with qtbot.waitSignal(page.launchFailed, timeout=20_000) as blocker:
        pass
    assert blocker.args[0].status == problem
    expected_title = {
        "missing-exe": "ccmsetup.exe was not found",
        "unsigned-exe": "ccmsetup.exe is not signed by Microsoft",
        "already-running": "Setup is already running on this device",
    }[problem]
    assert page.failure_title.text() == expected_title
    assert page.failure_text.text()
    assert not page.log_view.isVisible()
    assert not page.isComplete() and not next_button(wizard).isEnabled()
    assert page.confirm_close()  # nothing runs: closing needs no question
    page.back_to_review()
    assert wizard.currentId() == PageId.REVIEW and wizard.plan == plan


def test_worker_deleted_with_its_window_stops_quietly(qtbot):
    """A page (and its worker) deleted while a check still runs: no exception in the thread, the run is
    cancelled."""
    from PySide6.QtCore import QObject

    release = threading.Event()
    seen_cancel = []
    errors = []

    def run_checks(host, plan, *, on_result, cancel, only=None, exe=None):
        release.wait(5)
        on_result(FakeResult("late", "Late", "pass"))
        seen_cancel.append(cancel.is_set())

    owner = QObject()
    worker = ChecksWorker(owner, run_checks=run_checks)
    previous_hook = threading.excepthook
    threading.excepthook = lambda args: errors.append(args.exc_value)
    try:
        worker.start(object(), object())
        owner.deleteLater()
        qtbot.waitUntil(lambda: not workers.isValid(worker), timeout=5000)
        release.set()
        assert worker.wait(5)  # Python-side join: works after the C++ object is gone
    finally:
        threading.excepthook = previous_hook
    assert errors == []
    assert seen_cancel == [True]


def test_checks_engine_crash_blocks_until_override(make_wizard, qtbot, monkeypatch):
    import wizard.host.checks as host_checks
    from wizard.ui.wizard import PageId

    def broken(*args, **kwargs):
        raise OSError("probe table unreadable")

    monkeypatch.setattr(host_checks, "run_checks", broken)
    wizard = make_wizard(cmg_plan(), PageId.CHECKS)
    page = wizard.page(PageId.CHECKS)
    qtbot.waitUntil(lambda: not page.running, timeout=10_000)
    assert "could not run" in page.summary_label.text()
    assert "probe table unreadable" in page.summary_label.text()
    assert not next_button(wizard).isEnabled()
    page.override_box.setChecked(True)
    assert next_button(wizard).isEnabled()
    wizard.next()
    assert wizard.checks_overridden is True


def test_silent_log_warns_then_offers_keep_waiting(make_wizard, qtbot, monkeypatch):
    from datetime import timedelta

    import wizard.host.session as host_session
    from wizard.ui.wizard import PageId

    class QuickToGiveUp(host_session.InstallSession):
        def __init__(self, host, plan, exe, **kwargs):
            super().__init__(host, plan, exe, stall_after=timedelta(seconds=2))

    monkeypatch.setattr(host_session, "InstallSession", QuickToGiveUp)
    wizard = make_wizard(cmg_plan(), PageId.REVIEW, speed=0.02)  # long pauses between log lines
    page = go_to_install(wizard, qtbot)
    qtbot.waitUntil(lambda: page.stall_label.isVisible(), timeout=20_000)
    assert "No new log lines" in page.stall_label.text()
    with qtbot.waitSignal(page.outcomeReady, timeout=20_000) as blocker:
        pass
    assert blocker.args[0].state == "unknown"
    assert page.keep_waiting_button.isVisible()
    qtbot.mouseClick(page.keep_waiting_button, Qt.MouseButton.LeftButton)
    assert not page.isComplete()
    assert page.running
    assert not page.keep_waiting_button.isVisible()


def test_a_failed_download_that_ccmsetup_retries_offers_keep_waiting(make_wizard, qtbot, monkeypatch):
    """After a failed download the ccmsetup service stays to retry it (Outcome.retry, not final): the technician
    can keep following, as after a silent log."""
    import wizard.host.session as host_session
    from wizard.host.demo import DemoHost
    from wizard.ui.wizard import PageId

    class NoGrace(host_session.InstallSession):
        def __init__(self, host, plan, exe, **kwargs):
            super().__init__(host, plan, exe, **{**kwargs, "result_grace": 0})

    monkeypatch.setattr(host_session, "InstallSession", NoGrace)
    monkeypatch.setattr(DemoHost, "setup_running", lambda self: True)  # the service stays, to retry
    wizard = make_wizard(cmg_plan(), PageId.REVIEW, outcome="download-404")
    page = go_to_install(wizard, qtbot)
    with qtbot.waitSignal(page.outcomeReady, timeout=60_000) as blocker:
        pass
    outcome = blocker.args[0]
    assert (outcome.state, outcome.error_code, outcome.final) == ("failed", "0x80190194", False)
    assert outcome.retry is not None
    assert page.keep_waiting_button.isVisible()
    assert "every 10 minutes" in page.keep_waiting_button.toolTip()
    qtbot.mouseClick(page.keep_waiting_button, Qt.MouseButton.LeftButton)
    assert page.running and not page.isComplete()
    assert not page.keep_waiting_button.isVisible()


def test_retired_worker_is_deleted_only_after_its_thread_ends(qtbot):
    """A launch stuck in a prompt: retiring its worker must not wait for it nor delete it under the thread."""
    release = threading.Event()

    class StuckInPrompt(FakeSession):
        def start(self):
            release.wait(10)
            return super().start()

    worker = SessionWorker(StuckInPrompt(), interval=0.01)
    worker.start()
    workers.retire(worker)
    qtbot.wait(300)
    assert workers.isValid(worker)  # still alive: its thread is inside start()
    release.set()
    qtbot.waitUntil(lambda: not workers.isValid(worker), timeout=5000)


# The device fails where its failed check said (tenant-mismatch: the device's tenant, not AADRESOURCEURI).
@pytest.mark.parametrize(("preset", "code_text"), [("low-disk", "0x80070643"), ("tenant-mismatch", "0x87d00231")])
def test_overriding_a_failed_check_in_demo_ends_in_the_failure_it_predicted(make_wizard, qtbot, preset, code_text):
    """Training realism: with no outcome asked for, the simulated device fails the way its failed check said."""
    from wizard.ui.wizard import PageId

    wizard = make_wizard(cmg_plan(), PageId.CHECKS, preset=preset, outcome=None)
    checks = wizard.page(PageId.CHECKS)
    with qtbot.waitSignal(checks.checksFinished, timeout=20_000):
        pass
    assert checks.failed_ids()
    checks.override_box.setChecked(True)
    wizard.next()
    page = go_to_install(wizard, qtbot)
    with qtbot.waitSignal(page.outcomeReady, timeout=60_000) as blocker:
        pass
    assert blocker.args[0].state == "failed"
    wizard.next()
    finish = wizard.page(PageId.FINISH)
    assert finish.headline.text() == "Setup failed"
    assert code_text in finish.summary_label.text() + finish.explanation_title.text()


def test_finish_page_says_ccmsetup_retries_a_failed_download(make_wizard, qtbot):
    from datetime import datetime

    from wizard.core.explain import explain_code
    from wizard.core.tracker import Outcome, RetryInfo
    from wizard.ui.wizard import PageId

    wizard = make_wizard(cmg_plan(), PageId.REVIEW)
    finish = wizard.page(PageId.FINISH)
    retry = RetryInfo(20, 120, datetime(2026, 11, 26, 12, 0), "log")
    outcome = Outcome("failed", None, "0x80190194", True, explain_code("0x80190194"),
                      "ccmsetup failed with error 0x80190194: HTTP 404. " + retry.describe(), retry)
    finish.show_outcome(outcome)
    assert "retries the download in 20 minutes" in finish.summary_label.text()
    assert finish.next_steps_label.text().startswith("ccmsetup tries again by itself")
    assert "until about 2026-11-26 12:00" in finish.next_steps_label.text()
    finish.shutdown()
