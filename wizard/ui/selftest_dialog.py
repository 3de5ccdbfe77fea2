"""Help > Device self-test: runs wizard.host.selftest on a background thread and shows each probe as it
finishes; the report can be copied or saved as JSON for a bug report."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from wizard.ui.icons import icon
from wizard.ui.widgets import run_in_background, wrapped_label

_ICONS = {"pass": "pass", "fail": "fail", "skipped": "skip", "running": "running"}
_WORDS = {"pass": "Pass", "fail": "Fail", "skipped": "Skipped", "running": "Running"}


class SelfTestDialog(QDialog):
    """The self-test of `host`. `credentials` is the wizard's own credential store (round-tripped with a
    throw-away entry, deleted again)."""

    probeFinished = Signal(object, object)  # noqa: N815 - Qt signal naming; (Probe, ProbeOutcome), any thread
    finished_run = Signal(object)  # the SelfTestReport, once per run

    def __init__(self, host: Any, credentials: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from wizard.host.selftest import PROBES

        self._host = host
        self._credentials = credentials
        self._probes = PROBES
        self.report = None
        self.setWindowTitle(self.tr("Device self-test"))
        self.setMinimumSize(860, 560)
        intro = wrapped_label(self.tr(
            "Checks every Windows call this wizard makes, on this device and read-only: signatures, elevation, "
            "processes and services, the registry, dsregcmd, the retry task, restart markers, log folders, the "
            "credential store (a throw-away entry, deleted again), mapped drives, the administrator prompt's owner "
            "window (no prompt is shown) and certificates. Run it once on a new Windows build and attach the "
            "report to a bug report."))
        self.table = QTableWidget(len(PROBES), 3)
        self.table.setHorizontalHeaderLabels([self.tr("Result"), self.tr("Probe"), self.tr("What it found")])
        self.table.setAccessibleName(self.tr("Self-test results"))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(1, 260)
        for row, probe in enumerate(PROBES):
            self.table.setItem(row, 1, QTableWidgetItem(probe.title))
            self._set_status(row, "running", "")
        self.summary = wrapped_label()
        self.summary.setAccessibleName(self.tr("Self-test summary"))

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.run_button = QPushButton(self.tr("&Run again"))
        self.copy_button = QPushButton(self.tr("&Copy report (JSON)"))
        self.save_button = QPushButton(self.tr("&Save report…"))
        for button in (self.run_button, self.copy_button, self.save_button):
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.run_button.clicked.connect(self.start)
        self.copy_button.clicked.connect(self.copy_report)
        self.save_button.clicked.connect(self.save_report)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        layout.addWidget(buttons)
        self.probeFinished.connect(self._show_probe)

    # -- running --------------------------------------------------------------------------------------------

    def start(self) -> None:
        from wizard.host.selftest import SelfTestOptions, run_selftest

        self.report = None
        for button in (self.run_button, self.copy_button, self.save_button):
            button.setEnabled(False)
        for row in range(len(self._probes)):
            self._set_status(row, "running", "")
        self.summary.setText(self.tr("Running…"))
        store = self._credentials
        options = SelfTestOptions(credential_store=(lambda: store) if store is not None else None)
        run_in_background(
            lambda: run_selftest(self._host, options=options,
                                 on_probe=lambda probe, outcome: self.probeFinished.emit(probe, outcome)),
            self._done, self._failed, self)

    def _show_probe(self, probe: Any, outcome: Any) -> None:
        row = next(i for i, p in enumerate(self._probes) if p.id == probe.id)
        self._set_status(row, outcome.status, outcome.detail)

    def _set_status(self, row: int, status: str, detail: str) -> None:
        result = QTableWidgetItem(icon(_ICONS[status]), self.tr(_WORDS[status]))
        result.setData(Qt.ItemDataRole.UserRole, status)
        self.table.setItem(row, 0, result)
        found = QTableWidgetItem(detail)
        found.setToolTip(detail)
        self.table.setItem(row, 2, found)
        self.table.resizeRowToContents(row)

    def _done(self, report: Any) -> None:
        self.report = report
        for probe, outcome in zip(self._probes, report.probes, strict=True):
            self._show_probe(probe, outcome)
        counts = {s: sum(p.status == s for p in report.probes) for s in ("pass", "fail", "skipped")}
        verdict = self.tr("No probe failed.") if not report.failed else \
            self.tr("A probe failed: copy or save the report and attach it to a bug report.")
        self.summary.setText(self.tr("{passed} passed, {failed} failed, {skipped} skipped on {platform} "
                                     "(ccmsetup-wizard {version}). {verdict}").format(
            passed=counts["pass"], failed=counts["fail"], skipped=counts["skipped"], platform=report.platform,
            version=report.version, verdict=verdict))
        for button in (self.run_button, self.copy_button, self.save_button):
            button.setEnabled(True)
        self.finished_run.emit(report)

    def _failed(self, exc: BaseException) -> None:
        self.summary.setText(self.tr("The self-test itself stopped: %s") % exc)
        self.run_button.setEnabled(True)

    # -- the report -----------------------------------------------------------------------------------------

    def copy_report(self) -> None:
        if self.report is not None:
            QGuiApplication.clipboard().setText(self.report.to_json())
            self.summary.setText(self.summary.text().split(" Copied")[0] + self.tr(" Copied to the clipboard."))

    def save_report(self) -> None:
        from wizard.core.profiles import atomic_write_text
        from wizard.ui import dialogs

        if self.report is None:
            return
        path = dialogs.choose_save_file(self, self.tr("Save the self-test report"), self.tr("JSON (*.json)"),
                                        "ccmsetup-wizard-selftest.json")
        if not path:
            return
        try:
            atomic_write_text(path, self.report.to_json() + "\n")
        except OSError as exc:
            dialogs.show_error(self, self.tr("Cannot save the report"), f"{path}: {exc}")


def show_selftest(parent: QWidget, host: Any, credentials: Any = None) -> SelfTestDialog:
    """Open the self-test (non-modal) and start it."""
    dialog = SelfTestDialog(host, credentials, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    dialog.start()
    return dialog


__all__ = ["SelfTestDialog", "show_selftest"]
