"""Review (Ready to install): the command (secrets masked, Show toggles), every finding with its fix,
Copy, Export, Save profile. This is the commit page: its button is Install and there is no Back after it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWizard,
)

from wizard.ui import dialogs
from wizard.ui.pages import PlanPage
from wizard.ui.widgets import FindingsView, LengthGauge, monospace_font, wrapped_label

# Export format id (render FORMATS) -> (menu text, file filter, default file name).
# Menu texts are marked for translation here and translated where shown.
EXPORTS = (
    ("cmd", QT_TRANSLATE_NOOP("ReviewPage", "Batch file (.cmd)"), "Batch files (*.cmd)", "install-client.cmd"),
    ("powershell", QT_TRANSLATE_NOOP("ReviewPage", "PowerShell launcher (.ps1)"), "PowerShell scripts (*.ps1)",
     "install-client.ps1"),
    ("intune", QT_TRANSLATE_NOOP("ReviewPage", "Intune co-management command line (.txt)"), "Text files (*.txt)",
     "intune-command-line.txt"),
    ("intune-msi", QT_TRANSLATE_NOOP("ReviewPage", "Intune LOB ccmsetup.msi command (.txt)"), "Text files (*.txt)",
     "intune-msi-command.txt"),
    ("json", QT_TRANSLATE_NOOP("ReviewPage", "Command as JSON (.json)"), "JSON files (*.json)",
     "ccmsetup-command.json"),
)
PROFILE_FILTER = "Wizard profiles (*.json)"


COMMAND_MIN_LINES = 3
COMMAND_MAX_LINES = 12


class ReviewPage(PlanPage):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setTitle(self.tr("Ready to install"))
        self.setSubTitle(self.tr("Check the command and the findings. Install starts ccmsetup; there is no going "
                                 "back once it runs."))
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, self.tr("&Install"))

        command_label = QLabel(self.tr("C&ommand:"))
        self.command = QPlainTextEdit()
        self.command.setReadOnly(True)
        self.command.setFont(monospace_font())
        self.command.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.command.setAccessibleName(self.tr("ccmsetup command"))
        self.command.setTabChangesFocus(True)
        # Sized to its text (3 to COMMAND_MAX_LINES lines, then it scrolls): a long command is read whole,
        # a short one leaves the room to the findings.
        self._fit_command_height()
        command_label.setBuddy(self.command)
        self.show_secrets = QCheckBox(self.tr("Sho&w secrets"))
        self.show_secrets.setAccessibleName(self.tr("Show the token in the command"))
        self.show_secrets.toggled.connect(self.refresh_command)
        self.copy_button = QPushButton(self.tr("&Copy"))
        self.copy_button.setAccessibleName(self.tr("Copy the command to the clipboard"))
        self.copy_button.clicked.connect(self.copy_command)
        self.copy_status = QLabel()
        self.copy_status.setAccessibleName(self.tr("Copy status"))
        command_row = QHBoxLayout()
        command_row.addWidget(command_label)
        command_row.addStretch(1)
        command_row.addWidget(self.copy_status)
        command_row.addWidget(self.show_secrets)
        command_row.addWidget(self.copy_button)

        findings_label = QLabel(self.tr("Fin&dings:"))
        self.findings_label = findings_label
        self.findings_view = FindingsView()
        self.findings_view.setAccessibleName(self.tr("Findings and their fixes"))
        findings_label.setBuddy(self.findings_view)
        self.block_note = wrapped_label()
        self.block_note.setAccessibleName(self.tr("Why Install is not available"))
        self.checks_note = wrapped_label()
        self.checks_note.setVisible(False)

        export_box = QGroupBox(self.tr("Export and save"))
        self.gauge = LengthGauge(1024, self.tr("Intune length:"))
        self.export_format = QComboBox()
        for fmt, text, _filter, _name in EXPORTS:
            self.export_format.addItem(self.tr(text), fmt)
        self.export_format.setAccessibleName(self.tr("Export format"))
        export_label = QLabel(self.tr("E&xport as:"))
        export_label.setBuddy(self.export_format)
        self.export_button = QPushButton(self.tr("&Export…"))
        self.export_button.setAccessibleName(self.tr("Export the command to a file"))
        self.export_button.clicked.connect(self.export_current)
        self.save_profile_button = QPushButton(self.tr("Save &profile…"))
        self.save_profile_button.setAccessibleName(self.tr("Save these settings as a profile"))
        self.save_profile_button.clicked.connect(self.save_profile)
        self.export_status = wrapped_label(selectable=True)
        self.export_status.setAccessibleName(self.tr("Export status"))
        export_row = QHBoxLayout()
        export_row.addWidget(export_label)
        export_row.addWidget(self.export_format, 1)
        export_row.addWidget(self.export_button)
        export_row.addWidget(self.save_profile_button)
        export_layout = QVBoxLayout(export_box)
        export_layout.addLayout(export_row)
        export_layout.addWidget(self.gauge)
        export_layout.addWidget(self.export_status)

        layout = QVBoxLayout(self)
        layout.addLayout(command_row)
        layout.addWidget(self.command)
        layout.addWidget(findings_label)
        layout.addWidget(self.findings_view, 1)
        layout.addWidget(self.checks_note)
        layout.addWidget(self.block_note)
        layout.addWidget(export_box)
        self.findings: list = []

    # ---- page life cycle -------------------------------------------------------------------------

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        from wizard.core.findings import has_errors, sort_findings
        from wizard.core.render import intune_length
        from wizard.core.rules import lint

        plan = self.plan
        self.show_secrets.setChecked(False)
        self.show_secrets.setVisible(plan.regtoken is not None)
        self.copy_status.clear()
        self.export_status.clear()
        self.export_status.setVisible(False)
        self.refresh_command()
        self.findings = sort_findings(lint(plan))
        self.findings_view.set_findings(self.findings)
        counts = {severity: sum(1 for f in self.findings if f.severity == severity)
                  for severity in ("error", "warning", "info")}
        self.findings_label.setText(
            self.tr("Fin&dings: %1 error(s), %2 warning(s), %3 suggestion(s)")
            .replace("%1", str(counts["error"])).replace("%2", str(counts["warning"]))
            .replace("%3", str(counts["info"])))
        self.gauge.set_length(intune_length(plan))
        blocked = bool(self.unresolved_errors())
        overridden = has_errors(self.findings) and not blocked
        self.block_note.setVisible(blocked or overridden)
        if blocked:
            self.block_note.setText(self.tr("Install is not available until the errors above are fixed: use Back "
                                            "to change the values."))
        elif overridden:
            self.block_note.setText(self.tr("You chose to go on despite the errors above (recorded in the evidence "
                                            "summary). Install runs the command as shown; ccmsetup may fail "
                                            "because of them."))
        else:
            self.block_note.setText("")
        wiz = self.wiz()
        self.checks_note.setText(self._checks_summary(wiz))
        self.checks_note.setVisible(bool(self.checks_note.text()))
        self.completeChanged.emit()

    def _checks_summary(self, wiz) -> str:
        results = list(wiz.check_results or [])
        if not results:
            return ""
        failed = sum(1 for r in results if r.status in ("fail", "error"))
        warned = sum(1 for r in results if r.status == "warn")
        passed = sum(1 for r in results if r.status == "pass")
        text = (self.tr("Device checks: %1 passed, %2 warning(s), %3 failed.")
                .replace("%1", str(passed)).replace("%2", str(warned)).replace("%3", str(failed)))
        if wiz.checks_overridden:
            text += " " + self.tr("You chose to continue despite the failures; this is recorded in the evidence.")
        return text

    def unresolved_errors(self) -> list:
        """The errors in the findings nobody chose to go on with (on the page that has the field, or on
        Checks): they keep Install unavailable."""
        from wizard.core.export import UNSAFE_OUTPUT_RULES

        overridden = self.wiz().overridden_errors()
        return [f for f in self.findings if f.severity == "error"
                and (f not in overridden or f.rule in UNSAFE_OUTPUT_RULES)]

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return not self.unresolved_errors()

    def validatePage(self) -> bool:  # noqa: N802 - Qt override
        return self.isComplete()

    def cleanupPage(self) -> None:  # noqa: N802 - Qt override
        # The review edits nothing in the plan; leaving must not touch it.
        pass

    # ---- command ---------------------------------------------------------------------------------

    def command_text(self, *, show_secrets: bool | None = None) -> str:
        from wizard.core.render import render

        shown = self.show_secrets.isChecked() if show_secrets is None else show_secrets
        return render(self.plan, "windows", show_secrets=shown, exe=self._exe_name())

    def _exe_name(self) -> str:
        exe = self.wiz().exe_path
        return Path(exe).name if exe else "ccmsetup.exe"

    def refresh_command(self) -> None:
        self.command.setPlainText(self.command_text())
        self._fit_command_height()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit_command_height()

    def _fit_command_height(self) -> None:
        # The font is monospace, so lines = characters / characters per line (word wrapping may add one).
        metrics = self.command.fontMetrics()
        document_margin = 2 * self.command.document().documentMargin()
        usable = self.command.width() - 2 * self.command.frameWidth() - document_margin - 20  # scroll bar room
        per_line = max(20, int(usable // max(1, metrics.horizontalAdvance("x"))))
        text = self.command.toPlainText()
        wrapped = sum(max(1, -(-len(line) // per_line)) for line in text.splitlines() or [""])
        lines = max(COMMAND_MIN_LINES, min(COMMAND_MAX_LINES, wrapped + (1 if wrapped > 1 else 0)))
        height = lines * metrics.lineSpacing() + document_margin + 2 * self.command.frameWidth() + 4
        self.command.setFixedHeight(int(height))

    def copy_command(self) -> None:
        QGuiApplication.clipboard().setText(self.command_text())
        if self.plan.regtoken is not None and not self.show_secrets.isChecked():
            self.copy_status.setText(self.tr("Copied with the token masked (tick Show secrets to copy it)."))
        else:
            self.copy_status.setText(self.tr("Copied."))

    # ---- export and profile ----------------------------------------------------------------------

    def export_current(self) -> None:
        fmt = self.export_format.currentData()
        for export_fmt, text, file_filter, default_name in EXPORTS:
            if export_fmt == fmt:
                path = dialogs.choose_save_file(self, self.tr("Export: %s") % self.tr(text), file_filter,
                                                default_name)
                if path:
                    self.export_to(fmt, path)
                return

    def export_to(self, fmt: str, path: str) -> bool:
        """Write the plan in `fmt` to `path` atomically, in the encoding the format needs (wizard.core.export).
        A plan whose output would not be safe to run (a value with a line break, a quote...) is refused with the
        reason; a token is included only when the user says so."""
        from wizard.core.export import UnsafeOutputError, save_export, unsafe_findings

        problems = unsafe_findings(self.plan, fmt, exe=self._exe_name())
        if problems:
            self._refuse_export(problems)
            return False
        show = False
        if self.plan.regtoken is not None:
            show = dialogs.ask_yes_no(
                self, self.tr("Include the token?"),
                self.tr("The command contains the bulk registration token. Write it into the file in clear text? "
                        "Choose No to write a masked placeholder that you replace before running."))
        try:
            save_export(path, self.plan, fmt, show_secrets=show, exe=self._exe_name())
        except UnsafeOutputError as exc:
            self._refuse_export(exc.findings)
            return False
        except OSError as exc:
            self.export_status.setText(self.tr("Could not write %1: %2. Choose another folder.")
                                       .replace("%1", path).replace("%2", exc.strerror or str(exc)))
            self.export_status.setVisible(True)
            return False
        self.export_status.setText(self.tr("Written: %s") % path)
        self.export_status.setVisible(True)
        return True

    def _refuse_export(self, problems: list) -> None:
        from wizard.core.redact import Redactor

        redactor = Redactor(self.plan)
        reasons = " ".join(f"{redactor.text(f.message)} ({f.rule}{', ' + f.field if f.field else ''})"
                           for f in problems)
        self.export_status.setText(self.tr("Not exported: the file would not be safe to run. %1 Use Back to fix "
                                           "the value.").replace("%1", reasons))
        self.export_status.setVisible(True)

    def save_profile(self) -> None:
        from wizard.core.profiles import default_profile_dir

        wiz = self.wiz()
        suggested = str(wiz.profile_path) if wiz.profile_path else str(default_profile_dir() / "profile.json")
        path = dialogs.choose_save_file(self, self.tr("Save profile"), PROFILE_FILTER, suggested)
        if path:
            self.save_profile_to(path)

    def save_profile_to(self, path: str) -> bool:
        from wizard.core.profiles import Profile, ProfileError, save_profile
        from wizard.ui.wizard import remember_recent

        wiz = self.wiz()
        target = Path(path)
        if target.suffix.lower() != ".json":
            target = target.with_suffix(".json")
        profile = Profile(name=wiz.profile_name or target.stem, plan=self.plan, locked=tuple(sorted(wiz.locked)),
                          lock_reason=wiz.lock_reason)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            save_profile(target, profile)
        except OSError as exc:
            self.export_status.setText(self.tr("Could not save the profile to %1: %2. Choose another folder.")
                                       .replace("%1", str(target)).replace("%2", exc.strerror or str(exc)))
            self.export_status.setVisible(True)
            return False
        except ProfileError as exc:  # the file can't be written, or a value can't be stored: the message says which
            self.export_status.setText(str(exc))
            self.export_status.setVisible(True)
            return False
        remember_recent(target)
        wiz.remember_saved(self.plan)
        note = self.tr(" The token is not stored in profiles.") if self.plan.regtoken else ""
        self.export_status.setText(self.tr("Profile saved: %s") % str(target) + note)
        self.export_status.setVisible(True)
        return True

    def focus_first(self) -> None:
        self.command.setFocus(Qt.FocusReason.OtherFocusReason)
