"""The Diagnose page (pytest-qt, demo host): the Welcome entry and drag-and-drop open it outside the install
flow; runs, findings, the merged timeline with its Source column and UTC/local switch, the bias switch, export,
cancel; and the log model/view additions leave the install page's use of them as it was."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QWizard

from wizard.core.simulator import simulate
from wizard.ui import dialogs
from wizard.ui.logmodel import TIME_LOCAL, TIME_UTC, Column, LogTableModel
from wizard.ui.logview import LogView
from wizard.ui.wizard import PageId, SetupWizard, SidePage

TWO_ZONES = Path(__file__).parent / "fixtures" / "diagnose" / "two_zones"
CMG_ARGS = ["/mp:https://cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975",
            "CCMHOSTNAME=cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975", "SMSSITECODE=P01"]


@pytest.fixture
def wizard(qtbot, tmp_path):
    from wizard.host.credentials import MemoryStore
    from wizard.host.demo import DemoHost

    host = DemoHost("entra-joined", base_dir=tmp_path / "host", latency=0.0)
    w = SetupWizard(host, credentials=MemoryStore())
    qtbot.addWidget(w)
    w.resize(1100, 760)
    w.show()
    yield w
    w.shutdown()


def diagnosed(qtbot, page, path) -> object:
    with qtbot.waitSignal(page.diagnosisReady, timeout=20000):
        page.open_path(str(path))
    qtbot.waitUntil(lambda: not page.feeding, timeout=10000)
    return page.diagnosis


def test_welcome_entry_opens_diagnose_and_back_returns(qtbot, wizard):
    welcome = wizard.page(int(PageId.WELCOME))
    qtbot.mouseClick(welcome.diagnose_button, Qt.MouseButton.LeftButton)
    assert wizard.currentId() == int(SidePage.DIAGNOSE)
    back = wizard.button(QWizard.WizardButton.BackButton)
    assert back.isVisible() and back.isEnabled()
    assert not wizard.button(QWizard.WizardButton.NextButton).isVisible()
    qtbot.mouseClick(back, Qt.MouseButton.LeftButton)
    assert wizard.currentId() == int(PageId.WELCOME)
    # The install flow is untouched: Next still leads to the Scenario page.
    wizard.next()
    assert wizard.currentId() == int(PageId.SCENARIO)


def test_two_zone_folder_shows_runs_findings_and_timeline(qtbot, wizard, tmp_path, monkeypatch):
    wizard.open_diagnose()
    page = wizard.page(int(SidePage.DIAGNOSE))
    d = diagnosed(qtbot, page, TWO_ZONES)
    assert "registered (approval 3)" in page.verdict_title.text()
    assert page.runs_table.rowCount() == 1 and page.runs_table.item(0, 2).text() == "succeeded"
    assert "What followed it" in page.run_details.toPlainText()
    assert "ClientIDManagerStartup.log:7" in page.run_details.toPlainText()
    assert "nothing to do" in page.findings_view.toPlainText()

    model = page.timeline.model
    assert model.total_count == len(d.timeline) == 55
    assert model.columnCount() == 5
    assert model.headerData(Column.DATETIME, Qt.Orientation.Horizontal) == "Date/Time (UTC)"
    registered = next(r for r in range(model.rowCount()) if "Client is registered" in model.record(r).message)
    assert model.data(model.index(registered, Column.SOURCE)) == "ClientIDManagerStartup.log:7"
    assert model.data(model.index(registered, Column.DATETIME)) == "2025-05-20 08:03:05.000"
    msi = next(r for r in range(model.rowCount()) if model.record(r).source.kind == "client.msi")
    assert model.data(model.index(msi, Column.DATETIME)).endswith("(local)")
    page.timeline.set_time_mode(TIME_LOCAL)
    assert model.data(model.index(registered, Column.DATETIME)) == "2025-05-20 01:03:05.000"
    assert model.headerData(Column.DATETIME, Qt.Orientation.Horizontal) == "Date/Time"

    target = tmp_path / "ticket.md"
    monkeypatch.setattr(dialogs, "choose_save_file", lambda *a, **k: str(target))
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# ccmsetup diagnosis") and "## ccmsetup runs" in text


def test_failed_install_root_cause_and_evidence_link(qtbot, wizard, tmp_path):
    simulate(tmp_path / "logs", CMG_ARGS, outcome="download-404", speed=1000, detach=False)
    wizard.open_diagnose()
    page = wizard.page(int(SidePage.DIAGNOSE))
    d = diagnosed(qtbot, page, tmp_path / "logs")
    assert "0x80190194" in page.verdict_title.text() and "Fix:" in page.verdict_fix.text()
    root = d.root_cause
    page.findings_view.anchorClicked.emit(f"entry:{d.timeline.index(root.evidence[0])}")
    assert page.tabs.currentWidget() is page.timeline
    shown = page.timeline.current_record()
    assert shown is root.evidence[0] or shown.message == root.evidence[0].message
    assert "404" in page.timeline.detail.toPlainText()


def test_drop_of_a_folder_opens_diagnose(qtbot, wizard):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(TWO_ZONES))])
    event = QDropEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    page = wizard.page(int(SidePage.DIAGNOSE))
    with qtbot.waitSignal(page.diagnosisReady, timeout=20000):
        wizard.dropEvent(event)
    assert wizard.currentId() == int(SidePage.DIAGNOSE)
    assert page.diagnosis.input == str(TWO_ZONES)


def test_drop_is_refused_where_it_could_disturb_an_install(qtbot, wizard, monkeypatch):
    from PySide6.QtGui import QDragEnterEvent

    from wizard.ui.wizard import dropped_path

    two = QMimeData()
    two.setUrls([QUrl.fromLocalFile(str(TWO_ZONES)), QUrl.fromLocalFile(str(TWO_ZONES))])
    assert dropped_path(two) is None  # one thing at a time
    one = QMimeData()
    one.setUrls([QUrl.fromLocalFile(str(TWO_ZONES))])
    for page_id in (PageId.REVIEW, PageId.INSTALL):
        monkeypatch.setattr(wizard, "currentId", lambda page_id=page_id: int(page_id))
        assert not wizard.can_open_diagnose()
        assert wizard.open_diagnose(TWO_ZONES) is False
        enter = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, one, Qt.MouseButton.LeftButton,
                                Qt.KeyboardModifier.NoModifier)
        wizard.dragEnterEvent(enter)
        assert not enter.isAccepted()


def test_bias_switch_remerges_a_script_log(qtbot, wizard, tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "ccmsetup.log").write_text(
        '<![LOG[==========[ ccmsetup started in process 5 ]==========]LOG]!><time="09:00:00.000+420" '
        'date="03-02-2026" component="ccmsetup" context="" type="1" thread="1" file="">\n', encoding="utf-8")
    (folder / "Deploy-Client.log").write_text(
        '<![LOG[Script step]LOG]!><time="09:01:00.000-420" date="03-02-2026" component="Deploy" context="" '
        'type="1" thread="1" file="">\n', encoding="utf-8")
    wizard.open_diagnose()
    page = wizard.page(int(SidePage.DIAGNOSE))
    d = diagnosed(qtbot, page, folder)
    step = next(e for e in d.timeline if e.message == "Script step")
    assert step.utc_iso() == "2026-03-02T02:01:00.000Z"
    box = page._offset_boxes["Deploy-Client.log"]
    assert "ccmsetup.log" not in page._offset_boxes  # ConfigMgr's own logs always write the Windows bias
    with qtbot.waitSignal(page.diagnosisReady, timeout=20000):
        box.setChecked(True)
    step = next(e for e in page.diagnosis.timeline if e.message == "Script step")
    assert step.utc_iso() == "2026-03-02T16:01:00.000Z"
    assert page._offset_boxes["Deploy-Client.log"].isChecked()


def test_cancel_stops_a_long_read(qtbot, wizard, monkeypatch):
    import wizard.core.diagnose as diagnose_package
    from wizard.core.diagnose import DiagnoseCancelled

    started = threading.Event()

    def slow(path, *, conventions=None, progress=None, cancel=None):
        started.set()
        while not cancel.wait(0.01):
            progress(1, 10, "ccmsetup.log")
        raise DiagnoseCancelled()

    monkeypatch.setattr(diagnose_package, "diagnose", slow)
    wizard.open_diagnose()
    page = wizard.page(int(SidePage.DIAGNOSE))
    page.open_path(str(TWO_ZONES))
    assert started.wait(5)
    qtbot.waitUntil(lambda: page.progress_box.isVisible() and page.progress_bar.value() == 100, timeout=5000)
    with qtbot.waitSignal(page._worker.cancelled, timeout=5000):
        qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
    assert not page.progress_box.isVisible()
    assert "cancelled" in page.input_label.text()


def test_unreadable_input_is_said(qtbot, wizard, tmp_path):
    wizard.open_diagnose()
    page = wizard.page(int(SidePage.DIAGNOSE))
    with qtbot.waitSignal(page.diagnosisFailed, timeout=10000):
        page.open_path(str(tmp_path / "nowhere"))
    assert "Cannot diagnose" in page.input_label.text()
    (tmp_path / "ccmsetup.log").write_bytes(b"\x00\x01" * 500)
    diagnosed(qtbot, page, tmp_path)
    assert "Nothing readable" in page.input_label.text()
    assert page.tabs.currentWidget() is page.sources_table


# -- the shared log model and view ---------------------------------------------------------------------------------


def test_install_page_log_view_keeps_its_columns(qtbot):
    view = LogView()
    qtbot.addWidget(view)
    assert view.model.columnCount() == 4 and view.model.time_mode == TIME_LOCAL
    assert not view.time_combo.isVisibleTo(view) and view.follow_button.isVisibleTo(view)
    assert view.following


def test_model_time_mode_validates():
    model = LogTableModel()
    with pytest.raises(ValueError):
        model.set_time_mode("cet")
    model.set_time_mode(TIME_UTC)
    assert model.time_mode == TIME_UTC
