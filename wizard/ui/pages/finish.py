"""Finish page: the outcome in one sentence, what to do about a failure, the state after the install, and the
ways on (log folder, evidence zip, start over with the same plan, restart when setup needs one)."""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from wizard.ui import dialogs, icons
from wizard.ui.widgets import BackgroundCall
from wizard.ui.workers import PostInstallWatcher, stop_with_window

HEADLINE_ICON_SIZE = 40


def _label(text: str = "", *, bold: bool = False, rich: bool = False, parent: QWidget | None = None) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
    if rich:
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setOpenExternalLinks(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
    else:
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if bold:
        font = label.font()
        font.setBold(True)
        label.setFont(font)
    return label


class FinishPage(QWizardPage):
    """Shows ``wizard.outcome`` (the tracker's final Outcome)."""

    #: emitted when the post-install state (service, registration) has been read
    stateRefreshed = Signal()
    #: emitted with the path of a saved evidence zip
    evidenceSaved = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Finished"))
        self.setSubTitle(self.tr("What happened, and what to do next."))
        self.setFinalPage(True)
        self.outcome: Any = None
        self.last_evidence: Any = None  # CollectResult of the last saved zip
        self._evidence_call: BackgroundCall | None = None
        self._evidence_target = ""
        self.watcher = PostInstallWatcher(self)
        self.watcher.stateChanged.connect(self._show_state)

        self.headline_icon = QLabel(self)
        self.headline_icon.setFixedSize(HEADLINE_ICON_SIZE, HEADLINE_ICON_SIZE)
        self.headline = _label(parent=self)
        font = self.headline.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.headline.setFont(font)
        self.headline.setAccessibleName(self.tr("Outcome"))
        self.summary_label = _label(parent=self)
        self.summary_label.setAccessibleName(self.tr("Outcome in one sentence"))
        self.next_steps_label = _label(parent=self)
        self.next_steps_label.setAccessibleName(self.tr("What happens next"))

        # Failure explanation.
        self.explanation_box = QGroupBox(self.tr("Why it failed and how to fix it"), self)
        self.explanation_title = _label(bold=True, parent=self.explanation_box)
        self.meaning_label = _label(parent=self.explanation_box)
        self.cause_label = _label(parent=self.explanation_box)
        self.action_label = _label(parent=self.explanation_box)
        self.doc_label = _label(rich=True, parent=self.explanation_box)
        self.action_label.setAccessibleName(self.tr("How to fix it"))
        self.explanation_title.setAccessibleName(self.tr("Error explanation"))
        explanation_layout = QVBoxLayout(self.explanation_box)
        for widget in (self.explanation_title, self.meaning_label, self.cause_label, self.action_label,
                       self.doc_label):
            explanation_layout.addWidget(widget)

        # Demo mode: the cause the simulated world planted (its finding id is the one the predicting check
        # shares), and for a lab the debrief.
        self.world_box = QGroupBox(self.tr("Cause in this simulated world"), self)
        self.world_label = _label(parent=self.world_box)
        self.world_label.setAccessibleName(self.tr("Cause in the simulated world"))
        world_layout = QVBoxLayout(self.world_box)
        world_layout.addWidget(self.world_label)
        self.world_box.setVisible(False)
        self.debrief_box = QGroupBox(self.tr("Lab debrief"), self)
        self.debrief_label = _label(parent=self.debrief_box)
        self.debrief_label.setAccessibleName(self.tr("Lab debrief"))
        debrief_layout = QVBoxLayout(self.debrief_box)
        debrief_layout.addWidget(self.debrief_label)
        self.debrief_box.setVisible(False)
        self.debrief: Any = None

        # State after the install.
        self.state_box = QGroupBox(self.tr("This device now"), self)
        self.service_label = _label(parent=self.state_box)
        self.service_label.setAccessibleName(self.tr("Client service state"))
        self.registration_label = _label(parent=self.state_box)
        self.registration_label.setAccessibleName(self.tr("Client registration"))
        self.exit_code_label = _label(parent=self.state_box)
        self.exit_code_label.setAccessibleName(self.tr("Setup return code"))
        self.override_label = _label(parent=self.state_box)
        self.override_label.setAccessibleName(self.tr("Checks override note"))
        state_layout = QGridLayout(self.state_box)
        state_layout.addWidget(self.service_label, 0, 0)
        state_layout.addWidget(self.registration_label, 1, 0)
        state_layout.addWidget(self.exit_code_label, 2, 0)
        state_layout.addWidget(self.override_label, 3, 0)

        # Restart needed.
        self.reboot_panel = QFrame(self)
        self.reboot_panel.setFrameShape(QFrame.Shape.StyledPanel)
        self.reboot_text = _label(parent=self.reboot_panel)
        self.restart_button = QPushButton(self.tr("&Restart now…"), self.reboot_panel)
        self.restart_button.setAccessibleName(self.tr("Restart the device now"))
        self.restart_button.clicked.connect(self.restart_now)
        self.later_button = QPushButton(self.tr("&Later"), self.reboot_panel)
        self.later_button.setAccessibleName(self.tr("Restart later"))
        self.later_button.clicked.connect(self.restart_later)
        reboot_layout = QHBoxLayout(self.reboot_panel)
        reboot_layout.addWidget(self.reboot_text, 1)
        reboot_layout.addWidget(self.restart_button)
        reboot_layout.addWidget(self.later_button)

        self.open_logs_button = QPushButton(self.tr("&Open log folder"), self)
        self.open_logs_button.setAccessibleName(self.tr("Open the ccmsetup log folder"))
        self.open_logs_button.clicked.connect(self.open_log_folder)
        self.evidence_button = QPushButton(self.tr("&Save evidence zip…"), self)
        self.evidence_button.setAccessibleName(self.tr("Save an evidence zip with the logs and the results"))
        self.evidence_button.clicked.connect(self.save_evidence)
        self.start_over_button = QPushButton(self.tr("S&tart over with the same plan"), self)
        self.start_over_button.setAccessibleName(self.tr("Start over with the same plan"))
        self.start_over_button.clicked.connect(self.start_over)
        self.action_status = _label(parent=self)
        self.action_status.setAccessibleName(self.tr("Last action result"))

        headline_row = QHBoxLayout()
        headline_row.addWidget(self.headline_icon, 0, Qt.AlignmentFlag.AlignTop)
        headline_text = QVBoxLayout()
        headline_text.addWidget(self.headline)
        headline_text.addWidget(self.summary_label)
        headline_text.addWidget(self.next_steps_label)
        headline_row.addLayout(headline_text, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_logs_button)
        buttons.addWidget(self.evidence_button)
        buttons.addStretch(1)
        buttons.addWidget(self.start_over_button)
        layout = QVBoxLayout(self)
        layout.addLayout(headline_row)
        layout.addWidget(self.reboot_panel)
        layout.addWidget(self.world_box)
        layout.addWidget(self.explanation_box)
        layout.addWidget(self.state_box)
        layout.addWidget(self.debrief_box)
        layout.addStretch(1)
        layout.addWidget(self.action_status)
        layout.addLayout(buttons)

    # ---- QWizardPage ---------------------------------------------------------------------------------
    def initializePage(self) -> None:  # noqa: N802 - Qt override
        stop_with_window(self)
        self.show_outcome(self.wizard().outcome)

    # ---- public API ----------------------------------------------------------------------------------
    def show_outcome(self, outcome: Any) -> None:
        self.outcome = outcome
        wizard = self.wizard()
        state = getattr(outcome, "state", "unknown") if outcome is not None else "unknown"
        headlines = {
            "succeeded": (self.tr("The client is installed"), "pass"),
            "reboot-required": (self.tr("A restart is needed to finish"), "warn"),
            "failed": (self.tr("Setup failed"), "fail"),
            "running": (self.tr("Setup is still running"), "running"),
            "unknown": (self.tr("The result is not known"), "warn"),
        }
        headline, icon_name = headlines.get(state, headlines["unknown"])
        self.headline.setText(headline)
        self.headline_icon.setPixmap(icons.pixmap(icon_name, HEADLINE_ICON_SIZE, self.devicePixelRatioF()))
        summary = getattr(outcome, "summary", "") if outcome is not None else ""
        self.summary_label.setText(summary or self.tr("No outcome was recorded for this run."))

        explanation = getattr(outcome, "explanation", None) if outcome is not None else None
        self._show_explanation(explanation, outcome, state)
        self._show_world(wizard, state)

        code = getattr(outcome, "return_code", None) if outcome is not None else None
        self.exit_code_label.setText(
            self.tr("ccmsetup return code: %1").replace("%1", str(code)) if code is not None else ""
        )
        self.exit_code_label.setVisible(code is not None)
        overridden = bool(getattr(wizard, "checks_overridden", False))
        errors = len(wizard.overridden_errors()) if hasattr(wizard, "overridden_errors") else 0
        notes = []
        if overridden:
            notes.append(self.tr("You continued although some checks failed; the evidence zip records this."))
        if errors:
            notes.append(self.tr("You went on despite %1 error(s) in the values; the evidence zip records this.")
                         .replace("%1", str(errors)))
        self.override_label.setText(" ".join(notes))
        self.override_label.setVisible(bool(notes))
        installed = state in ("succeeded", "reboot-required")
        self.registration_label.setText(self._registration_text(None))
        self.registration_label.setVisible(installed)
        self.service_label.setText(self.tr("Client service (CcmExec): checking…"))
        next_steps = {
            "succeeded": self.tr(
                "Next, the client registers with the site (shown below when it happens) and downloads its policy "
                "over the next minutes. Control Panel > Configuration Manager shows the site code and actions."
            ),
            "reboot-required": self.tr(
                "The client finishes installing after the restart, then registers with the site."
            ),
            "failed": self.tr("Fix the cause below, then use Start over: the plan you entered is kept."),
            "unknown": self.tr(
                "Look at the end of ccmsetup.log (Open log folder). Save the evidence zip if you escalate."
            ),
        }.get(state, "")
        retry = getattr(outcome, "retry", None) if state == "failed" else None
        if retry is not None:
            # ccmsetup keeps the service and tries the download again on its own (facts §0).
            next_steps = self.tr(
                "ccmsetup tries again by itself: %1 Fix the cause below in the meantime; Start over keeps the plan."
            ).replace("%1", retry.describe())
        self.next_steps_label.setText(next_steps)
        self.next_steps_label.setVisible(bool(next_steps))

        reboot = state == "reboot-required"
        self.reboot_panel.setVisible(reboot)
        self.reboot_text.setText(
            self.tr("Setup needs a restart to finish. Save your work first; restart now or later.")
        )
        self.restart_button.setEnabled(reboot)
        self.later_button.setEnabled(reboot)
        self.action_status.clear()
        self.refresh_state(watch_registration=installed)

    def cleanupPage(self) -> None:  # noqa: N802 - Qt override
        self.watcher.stop()

    def refresh_state(self, *, watch_registration: bool = True) -> None:
        """Read the client service state off the UI thread and, after an install, keep watching for the site
        registration (logged minutes after ccmsetup exits); ``stateRefreshed`` after each change shown."""
        wizard = self.wizard()
        session = getattr(wizard, "session", None) if watch_registration else None
        self.watcher.start(wizard.host, session)

    def shutdown(self) -> None:
        self.watcher.shutdown()

    def open_log_folder(self) -> None:
        host = self.wizard().host
        folder = host.log_dir()
        try:
            host.open_folder(folder)
        except OSError as exc:
            dialogs.show_error(
                self,
                self.tr("Cannot open the log folder"),
                self.tr("%1 could not be opened: %2").replace("%1", str(folder)).replace("%2", str(exc)),
            )
            return
        self.action_status.setText(self.tr("Opened %1").replace("%1", str(folder)))

    def save_evidence(self) -> bool:
        """Ask where to save, then write the evidence zip off the UI thread (logs, check results, masked
        command, the outcome). ``evidenceSaved(path)`` when written; returns False when the user cancelled."""
        wizard = self.wizard()
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        suggested = str(Path.home() / f"ccmsetup-evidence-{stamp}.zip")
        path = dialogs.choose_save_file(self, self.tr("Save evidence zip"), self.tr("Zip files (*.zip)"), suggested)
        if not path:
            return False
        if not path.lower().endswith(".zip"):
            path += ".zip"
        host, plan, session = wizard.host, wizard.plan, getattr(wizard, "session", None)
        results = list(getattr(wizard, "check_results", []) or [])
        overridden = bool(getattr(wizard, "checks_overridden", False))
        errors = list(wizard.overridden_errors()) if hasattr(wizard, "overridden_errors") else []

        def write() -> Any:
            from wizard.host.collect import collect_evidence

            return collect_evidence(host, Path(path), plan=plan, check_results=results or None, session=session,
                                    checks_overridden=overridden, errors_overridden=errors)

        self.evidence_button.setEnabled(False)
        self.action_status.setText(self.tr("Saving the evidence zip…"))
        self._evidence_call = BackgroundCall(write, self._evidence_written, self._evidence_failed, self)
        self._evidence_target = path
        return True

    def _evidence_written(self, result: Any) -> None:
        self.evidence_button.setEnabled(True)
        self.last_evidence = result
        saved_path = str(getattr(result, "path", self._evidence_target))
        text = self.tr("Evidence saved to %1").replace("%1", saved_path)
        warnings = list(getattr(result, "warnings", []) or [])
        if warnings:
            text += "\n" + self.tr("Not included: %1").replace("%1", "; ".join(warnings))
        self.action_status.setText(text)
        self.evidenceSaved.emit(saved_path)

    def _evidence_failed(self, exc: BaseException) -> None:
        self.evidence_button.setEnabled(True)
        self.action_status.setText(self.tr("The evidence zip was not saved."))
        dialogs.show_error(
            self,
            self.tr("Cannot save the evidence zip"),
            self.tr("%1 could not be written: %2. Choose another folder.")
            .replace("%1", self._evidence_target)
            .replace("%2", str(exc)),
        )

    def start_over(self) -> None:
        self.wizard().restart_with_same_plan()

    def restart_now(self) -> bool:
        """Restart the device after confirmation; returns True when the restart was requested."""
        wizard = self.wizard()
        if not dialogs.ask_yes_no(
            self,
            self.tr("Restart now?"),
            self.tr("The device restarts now. Unsaved work in other programs is lost. Restart?"),
        ):
            return False
        try:
            wizard.host.restart()
        except OSError as exc:
            dialogs.show_error(
                self, self.tr("Cannot restart"), self.tr("The restart was refused: %1").replace("%1", str(exc))
            )
            return False
        self.action_status.setText(self.tr("Restart requested."))
        return True

    def restart_later(self) -> None:
        self.reboot_panel.setVisible(False)
        self.action_status.setText(
            self.tr("Restart the device when convenient; the client finishes installing after the restart.")
        )

    # ---- internals -----------------------------------------------------------------------------------
    def _show_explanation(self, explanation: Any, outcome: Any, state: str) -> None:
        show = state in ("failed", "unknown") or (state == "reboot-required" and explanation is not None)
        self.explanation_box.setVisible(show)
        if not show:
            return
        self.explanation_box.setTitle(
            self.tr("About this result") if state == "reboot-required" else self.tr("Why it failed and how to fix it")
        )
        if explanation is None:
            code = getattr(outcome, "error_code", None) or getattr(outcome, "return_code", None)
            self.explanation_title.setText(
                self.tr("No explanation is known for this result (code %1).").replace("%1", str(code))
                if code is not None
                else self.tr("No explanation is known for this result.")
            )
            self.meaning_label.clear()
            self.meaning_label.hide()
            self.cause_label.clear()
            self.cause_label.hide()
            self.action_label.setText(
                self.tr("Open the log folder and look for the first red line in ccmsetup.log (F8 on the Install "
                        "page), then save the evidence zip for your escalation.")
            )
            self.doc_label.clear()
            self.doc_label.hide()
            return
        code = str(getattr(explanation, "code", "") or "")
        title = getattr(explanation, "title", "") or ""
        if code.lstrip("-").isdigit():
            code = self.tr("Return code %1").replace("%1", code)
        self.explanation_title.setText(f"{code}: {title}" if code and code not in title else title)
        for label, prefix, value in (
            (self.meaning_label, self.tr("What it means: "), getattr(explanation, "meaning", "")),
            (self.cause_label, self.tr("Likely cause: "), getattr(explanation, "cause", "")),
            (self.action_label, self.tr("What to do: "), getattr(explanation, "action", "")),
        ):
            label.setText(prefix + value if value else "")
            label.setVisible(bool(value))
        doc = getattr(explanation, "doc", None)
        if doc:
            self.doc_label.setText(
                f'<a href="{html.escape(doc, quote=True)}">{html.escape(self.tr("Read the documentation"))}</a>'
            )
        else:
            self.doc_label.clear()
        self.doc_label.setVisible(bool(doc))

    def _show_world(self, wizard: Any, state: str) -> None:
        """Demo: what the simulated world planted, with the checks that predicted it; a lab's debrief."""
        host = wizard.host
        simulated_run = getattr(host, "simulated_run", None)
        verdict = simulated_run() if callable(simulated_run) else None
        results = list(getattr(wizard, "check_results", []) or [])
        lines: list[str] = []
        found = getattr(verdict, "finding", None)
        if found is not None and state in ("failed", "reboot-required", "unknown"):
            lines.append(self.tr("%1 [%2]. %3").replace("%1", found.title).replace("%2", found.id)
                         .replace("%3", found.cause))
            lines.append(self.tr("Fix: %1").replace("%1", found.fix))
            predicted = found.predicted_by(results)
            if predicted:
                names = ", ".join(f"“{r.title}” ({r.status})" for r in predicted)
                lines.append(self.tr("The Checks page predicted this: %1.").replace("%1", names))
            elif found.checks and results:
                lines.append(self.tr("No check flagged it before the install."))
        for note in getattr(verdict, "notes", ()) or ():
            lines.append(self.tr("%1. %2").replace("%1", note.title).replace("%2", note.cause))
        self.world_box.setVisible(bool(lines))
        self.world_label.setText("\n".join(lines))
        lab = getattr(host, "lab", None)
        self.debrief = None
        if lab is None:
            self.debrief_box.setVisible(False)
            return
        from wizard.core.render import build_argv

        session = getattr(wizard, "session", None)
        launch = getattr(session, "launch_result", None)
        status = "uac-cancelled" if getattr(host, "uac_was_cancelled", False) else getattr(launch, "status", None)
        self.debrief = lab.debrief(plan_argv=build_argv(wizard.plan, show_secrets=True), check_results=results,
                                   verdict=verdict, launch_status=status,
                                   hints_used=int(getattr(host, "lab_hints_used", 0)))
        self.debrief_box.setTitle(self.tr("Lab debrief: %1").replace("%1", lab.title))
        rows = []
        for item in self.debrief.items:
            mark = self.tr("found") if item.found else self.tr("not found")
            how = f" — {item.how}" if item.how else ""
            # The descriptions are sentences: their full stop goes after the bracket ("… on C: (found — …).")
            rows.append(self.tr("Planted: %1 (%2%3).").replace("%1", item.description.rstrip(". "))
                        .replace("%2", mark).replace("%3", how))
        rows.append(self.tr("The documented fix: %1").replace("%1", self.debrief.fix))
        rows.append(self.tr("Hints used: %1 of %2").replace("%1", str(self.debrief.hints_used))
                    .replace("%2", str(self.debrief.hints_total)))
        self.debrief_label.setText("\n".join(rows))
        self.debrief_box.setVisible(True)

    def _registration_text(self, registration: Any) -> str:
        state = getattr(registration, "state", "unknown") if registration is not None else "unknown"
        if state == "registered":
            text = self.tr("Registration with the site: registered")
            client_id = getattr(registration, "client_id", None)
            if client_id:
                text += " (" + client_id + ")"
            approval = getattr(registration, "approval_status", None)
            if approval is not None:
                text += self.tr(", approval status %1").replace("%1", str(approval))
                if approval == 3:  # ClientIDManagerStartup.log's value for a device registered through Entra ID
                    text += self.tr(" (Entra ID registration)")
            return text
        if state in ("pending", "registering"):
            return self.tr("Registration with the site: in progress (ClientIDManagerStartup.log).")
        return self.tr("Registration with the site: not seen yet (it can take a few minutes after install).")

    def _show_state(self, service: Any, registration: Any) -> None:
        self.registration_label.setText(self._registration_text(registration))
        status = getattr(service, "status", "unknown")
        words = {
            "running": self.tr("running"),
            "stopped": self.tr("stopped"),
            "starting": self.tr("starting"),
            "stopping": self.tr("stopping"),
            "paused": self.tr("paused"),
            "not-installed": self.tr("not installed"),
        }
        self.service_label.setText(
            self.tr("Client service (CcmExec): %1").replace("%1", words.get(status, self.tr("could not be read")))
        )
        self.stateRefreshed.emit()
