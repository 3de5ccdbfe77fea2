"""Help > Device self-test in the GUI: the menu entry, probes shown as they finish, the report copied and saved
as the JSON the CLI prints."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWizard

from wizard.host.credentials import MemoryStore
from wizard.host.demo import DemoHost
from wizard.host.selftest import PROBES
from wizard.ui.wizard import SetupWizard


@pytest.fixture
def wizard(qtbot, tmp_path):
    host = DemoHost("hybrid-joined", base_dir=tmp_path / "host", latency=0.0)
    store = MemoryStore()
    wizard = SetupWizard(host, credentials=store)
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def test_help_menu_offers_the_device_self_test(wizard):
    button = wizard.button(QWizard.WizardButton.HelpButton)
    assert button.isVisible() and button.menu() is not None
    assert [a.text() for a in button.menu().actions()] == ["Device &self-test…"]


def test_self_test_dialog_runs_every_probe_and_copies_the_json(wizard, qtbot):
    from wizard.ui.selftest_dialog import SelfTestDialog

    wizard.selftest_action.trigger()
    dialog = wizard.findChild(SelfTestDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=20000)
    assert dialog.table.rowCount() == len(PROBES)
    statuses = [dialog.table.item(row, 0).data(Qt.ItemDataRole.UserRole) for row in range(len(PROBES))]
    assert "fail" not in statuses and "running" not in statuses
    assert "No probe failed" in dialog.summary.text()
    dialog.copy_report()
    report = json.loads(QGuiApplication.clipboard().text())
    assert set(report) == {"platform", "version", "probes"} and len(report["probes"]) == len(PROBES)
    dialog.close()


def test_report_is_saved_atomically_where_chosen(wizard, qtbot, tmp_path, monkeypatch):
    from wizard.ui import dialogs

    target = tmp_path / "report.json"
    monkeypatch.setattr(dialogs, "choose_save_file", lambda *args, **kwargs: str(target))
    dialog = wizard.open_selftest()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=20000)
    dialog.save_report()
    assert json.loads(target.read_text(encoding="utf-8"))["probes"][0]["id"] == PROBES[0].id
    dialog.close()
