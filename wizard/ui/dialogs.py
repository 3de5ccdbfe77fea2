"""Every modal dialog the wizard opens goes through these small functions so tests can replace them
(a real `exec()` would block a test run)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from wizard.ui.widgets import FindingsView, monospace_font


def _tr(text: str) -> str:
    return QCoreApplication.translate("dialogs", text)


# While set (`headless()`), no modal dialog opens: a run without a user (--self-test) would hang on one.
_headless_report: Callable[[str], None] | None = None


@contextmanager
def headless(report: Callable[[str], None]) -> Iterator[None]:
    """No modal dialogs inside this block: errors and notes go to `report(text)`, questions are answered No."""
    global _headless_report
    previous, _headless_report = _headless_report, report
    try:
        yield
    finally:
        _headless_report = previous


def ask_yes_no(parent: QWidget | None, title: str, text: str, *, default_yes: bool = False) -> bool:
    if _headless_report is not None:
        _headless_report(f"{title}: {text} (answered No: no one to ask)")
        return False
    default = QMessageBox.StandardButton.Yes if default_yes else QMessageBox.StandardButton.No
    answer = QMessageBox.question(
        parent, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, default
    )
    return answer == QMessageBox.StandardButton.Yes


def show_error(parent: QWidget | None, title: str, text: str) -> None:
    if _headless_report is not None:
        _headless_report(f"{title}: {text}")
        return
    QMessageBox.critical(parent, title, text)


def show_info(parent: QWidget | None, title: str, text: str) -> None:
    if _headless_report is not None:
        _headless_report(f"{title}: {text}")
        return
    QMessageBox.information(parent, title, text)


def choose_open_file(parent: QWidget | None, title: str, file_filter: str, directory: str = "") -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, title, directory, file_filter)
    return path or None


def choose_save_file(parent: QWidget | None, title: str, file_filter: str, suggested: str = "") -> str | None:
    path, _ = QFileDialog.getSaveFileName(parent, title, suggested, file_filter)
    return path or None


class PasteCommandDialog(QDialog):
    """Paste a ccmsetup command (console Enablement tab, Intune CCMSETUPCMD, a log line): it is parsed as
    you type and every parser and rule finding is shown before you accept it into the plan."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Paste a ccmsetup command"))
        self.resize(760, 520)
        self.parsed: Any = None
        self.findings: list[Any] = []
        intro = QLabel(self.tr(
            "Paste a ccmsetup.exe command line, an Intune CCMSETUPCMD=\"…\" value or the line from a log. "
            "It is checked as you paste; OK loads it into the wizard."))
        intro.setWordWrap(True)
        self.editor = QPlainTextEdit()
        self.editor.setFont(monospace_font())
        self.editor.setAccessibleName(self.tr("Command to import"))
        self.editor.setTabChangesFocus(True)
        self.editor.setPlaceholderText("ccmsetup.exe /mp:https://… CCMHOSTNAME=… SMSSITECODE=…")
        command_label = QLabel(self.tr("&Command:"))
        command_label.setBuddy(self.editor)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName(self.tr("Import status"))
        self.findings_view = FindingsView()
        self.findings_view.setAccessibleName(self.tr("Findings in the pasted command"))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("&Use this command"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(command_label)
        layout.addWidget(self.editor, 2)
        layout.addWidget(self.status)
        layout.addWidget(self.findings_view, 3)
        layout.addWidget(self.buttons)
        # Parse after a short pause so a long paste is parsed once, not per keystroke.
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(120)
        self._timer.timeout.connect(self.reparse)
        self.editor.textChanged.connect(self._timer.start)
        self.reparse()
        self.editor.setFocus(Qt.FocusReason.OtherFocusReason)

    def set_text(self, text: str) -> None:
        self.editor.setPlainText(text)
        self.reparse()

    def ok_button(self):
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def reparse(self) -> None:
        from wizard.core.findings import sort_findings
        from wizard.core.parse import CommandParseError, parse_command
        from wizard.core.rules import lint

        self._timer.stop()
        text = self.editor.toPlainText().strip()
        self.parsed = None
        self.findings = []
        if not text:
            # Nothing was checked yet: "No problems found" here would be a claim about nothing.
            self.status.setText(self.tr("Paste a command above."))
            self.findings_view.clear()
            self.ok_button().setEnabled(False)
            return
        try:
            parsed = parse_command(text)
        except CommandParseError as exc:
            self.status.setText(self.tr("Not a ccmsetup command: %s") % exc)
            self.findings_view.clear()
            self.ok_button().setEnabled(False)
            return
        self.parsed = parsed
        seen = set()
        findings = []
        for finding in list(parsed.findings) + list(lint(parsed.plan)):
            key = (finding.rule, finding.field, finding.message)
            if key not in seen:
                seen.add(key)
                findings.append(finding)
        self.findings = sort_findings(findings)
        self.findings_view.set_findings(self.findings)
        errors = sum(1 for f in self.findings if f.severity == "error")
        warnings = sum(1 for f in self.findings if f.severity == "warning")
        self.status.setText(
            self.tr("Read as scenario “%1”: %2 error(s), %3 warning(s). You can fix them in the next pages.")
            .replace("%1", parsed.plan.scenario).replace("%2", str(errors)).replace("%3", str(warnings))
        )
        self.ok_button().setEnabled(True)


def paste_command(parent: QWidget | None, initial_text: str = "") -> Any | None:
    """Run the paste dialog; returns the `ParsedCommand` the user accepted, or None."""
    dialog = PasteCommandDialog(parent)
    if initial_text:
        dialog.set_text(initial_text)
    if dialog.exec() == QDialog.DialogCode.Accepted and dialog.parsed is not None:
        return dialog.parsed
    return None


def choose_directory(parent: QWidget | None, title: str, directory: str = "") -> str | None:
    path = QFileDialog.getExistingDirectory(parent, title, directory)
    return path or None
