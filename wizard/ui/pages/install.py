"""Install page: launches ccmsetup through the install session and follows it live.

The Review page is the commit page, so this page starts the session as soon as it is shown. Launch and
polling run on a background thread (workers.SessionWorker); this page only paints what the signals say: a phase
stepper, the current phase, the download percent, the elapsed time, a stall warning and the live log.
A launch that did not start (UAC cancelled, missing or unsigned ccmsetup.exe, setup already running) is shown
plainly with a way back to Review; nothing typed is lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from wizard.ui import dialogs, icons
from wizard.ui.logview import LogView
from wizard.ui.workers import SessionWorker, retire, stop_with_window

STEP_ICON_SIZE = 18


def _short_titles() -> dict[str, str]:
    """Stepper captions: the tracker's phase titles are sentences, too long for nine columns."""

    def tr(text: str) -> str:
        return QCoreApplication.translate("InstallPage", text)

    return {
        "bootstrap": tr("Start"),
        "service": tr("Service"),
        "entra": tr("Entra ID"),
        "locate": tr("Locate"),
        "download": tr("Download"),
        "prereqs": tr("Prerequisites"),
        "msi": tr("client.msi"),
        "finishing": tr("Finishing"),
        "done": tr("Done"),
    }


def phase_steps(phases: Iterable[Any]) -> list[tuple[str, str]]:
    """(id, title) pairs from the tracker's PHASES, whatever their exact shape (pairs, objects, dicts)."""
    steps = []
    for phase in phases:
        if isinstance(phase, str):
            steps.append((phase, phase))
        elif isinstance(phase, dict):
            steps.append((str(phase["id"]), str(phase.get("title", phase["id"]))))
        elif hasattr(phase, "id"):
            steps.append((str(phase.id), str(getattr(phase, "title", phase.id))))
        else:
            phase_id, title = phase[0], phase[1]
            steps.append((str(phase_id), str(title)))
    return steps


def format_elapsed(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class PhaseStepper(QWidget):
    """The install phases in a row: done (tick), current (highlighted), pending (dimmed)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._steps: list[tuple[str, str]] = []
        self._icons: list[QLabel] = []
        self._labels: list[QLabel] = []
        self._current = -1
        self._final_kind = ""
        self._layout = QGridLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setHorizontalSpacing(6)
        self._layout.setVerticalSpacing(2)
        self.setAccessibleName(self.tr("Install phases"))

    def set_steps(self, steps: list[tuple[str, str]]) -> None:
        for widget in self._icons + self._labels:
            self._layout.removeWidget(widget)
            widget.deleteLater()
        self._steps = list(steps)
        self._icons, self._labels = [], []
        short = _short_titles()
        for column, (phase_id, title) in enumerate(self._steps):
            icon_label = QLabel(self)
            icon_label.setToolTip(title)
            icon_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label = QLabel(short.get(phase_id, title), self)
            label.setToolTip(title)
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            label.setWordWrap(True)
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            # Wide enough for its longest word in bold (the current step is bold): a word cannot wrap, and
            # "Prerequisites" was cut off in a narrow window.
            bold = QFont(label.font())
            bold.setBold(True)
            metrics = QFontMetrics(bold)
            words = label.text().split()
            label.setMinimumWidth(max((metrics.horizontalAdvance(word) for word in words), default=0) + 2)
            self._layout.addWidget(icon_label, 0, column)
            self._layout.addWidget(label, 1, column)
            self._layout.setColumnStretch(column, 1)
            self._icons.append(icon_label)
            self._labels.append(label)
        self._current = -1
        self._final_kind = ""
        self._paint()

    def steps(self) -> list[tuple[str, str]]:
        return list(self._steps)

    def set_current(self, phase_id: str) -> None:
        index = next((i for i, (pid, _t) in enumerate(self._steps) if pid == phase_id), -1)
        if index != self._current:
            self._current = index
            self._paint()

    def set_final(self, kind: str) -> None:
        """``"pass"`` marks every step done; ``"fail"`` marks the current step failed; ``"unknown"`` marks it
        undecided; ``""`` goes back to live."""
        self._final_kind = kind
        self._paint()

    def state_of(self, phase_id: str) -> str:
        """``done``, ``current``, ``failed``, ``undecided`` or ``pending`` (tests, accessible name)."""
        index = next((i for i, (pid, _t) in enumerate(self._steps) if pid == phase_id), -1)
        return self._state(index)

    def _state(self, index: int) -> str:
        if self._final_kind == "pass":
            return "done"
        if index < self._current:
            return "done"
        if index == self._current:
            return {"fail": "failed", "unknown": "undecided"}.get(self._final_kind, "current")
        return "pending"

    def _paint(self) -> None:
        names = []
        ratio = self.devicePixelRatioF()
        for index, (icon_label, label) in enumerate(zip(self._icons, self._labels, strict=True)):
            state = self._state(index)
            icon_name = {"done": "pass", "current": "running", "failed": "fail", "undecided": "warn",
                         "pending": "skip"}[state]
            icon_label.setPixmap(icons.pixmap(icon_name, STEP_ICON_SIZE, ratio))
            font = label.font()
            font.setBold(state in ("current", "failed", "undecided"))
            label.setFont(font)
            label.setEnabled(state != "pending")
            state_text = {
                "done": self.tr("done"),
                "current": self.tr("in progress"),
                "failed": self.tr("failed"),
                "undecided": self.tr("result unknown"),
                "pending": self.tr("not yet"),
            }[state]
            label.setAccessibleName(f"{label.text()}: {state_text}")
            names.append(f"{label.text()} {state_text}")
        self.setAccessibleDescription(", ".join(names))


class InstallPage(QWizardPage):
    """Starts the install session when shown and follows it until the outcome is final."""

    #: emitted when the launch did not start setup (LaunchResult)
    launchFailed = Signal(object)
    #: emitted once the outcome is final (Outcome)
    outcomeReady = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Installing the client"))
        self.setSubTitle(
            self.tr("ccmsetup runs as a Windows service. This page follows its log and tells you what it is doing.")
        )
        self.worker: SessionWorker | None = None
        self.session: Any = None
        self.launch_result: Any = None
        self.exe_choice: Any = None  # ccmsetup_exe.ExeChoice of the last launch
        self.outcome: Any = None
        self._phase_titles: dict[str, str] = {}
        self._phase = ""
        self._last_work_phase = ""  # the phase setup was in before "done": where a failure happened
        self._download_percent: Any = None  # the last percent of the download phase (None: not known)
        self._stalled = False
        self._quiet_seconds = 0.0
        self._log_problem = ""
        self._setup_still_running = False
        self.following_other = False  # following a setup this wizard did not start (see follow_running_setup)
        self._worker_signals: list[Any] = []  # the worker signals this page connected (see _start_worker)

        self.stepper = PhaseStepper(self)

        self.phase_label = QLabel(self)
        self.phase_label.setWordWrap(True)
        self.phase_label.setAccessibleName(self.tr("Current phase"))
        font = self.phase_label.font()
        font.setBold(True)
        self.phase_label.setFont(font)
        self.elapsed_label = QLabel(self)
        self.elapsed_label.setAccessibleName(self.tr("Elapsed time"))
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setAccessibleName(self.tr("Download progress"))
        self.progress_bar.setFormat(self.tr("Download %p%"))
        self.progress_bar.setVisible(False)

        self.stall_label = QLabel(self)
        self.stall_label.setWordWrap(True)
        self.stall_label.setAccessibleName(self.tr("Stall warning"))
        self.stall_label.setFrameShape(QFrame.Shape.StyledPanel)
        self.stall_label.setStyleSheet(
            "QLabel { background: #FFF1A8; color: #3A3000; padding: 6px; border: 1px solid #C9A800; }"
        )
        self.stall_label.setVisible(False)

        # Launch failure: a plain sentence and the ways on.
        self.failure_panel = QFrame(self)
        self.failure_panel.setFrameShape(QFrame.Shape.StyledPanel)
        self.failure_icon = QLabel(self.failure_panel)
        self.failure_icon.setPixmap(icons.pixmap("fail", 32, self.devicePixelRatioF()))
        self.failure_icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.failure_title = QLabel(self.failure_panel)
        title_font = self.failure_title.font()
        title_font.setBold(True)
        title_font.setPointSizeF(title_font.pointSizeF() * 1.15)
        self.failure_title.setFont(title_font)
        self.failure_title.setWordWrap(True)
        self.failure_text = QLabel(self.failure_panel)
        self.failure_text.setWordWrap(True)
        self.failure_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.failure_text.setAccessibleName(self.tr("Why setup did not start"))
        self.back_to_review_button = QPushButton(self.tr("&Back to Review"), self.failure_panel)
        self.back_to_review_button.setAccessibleName(self.tr("Back to the Review page; nothing you typed is lost"))
        self.back_to_review_button.clicked.connect(self.back_to_review)
        self.try_again_button = QPushButton(self.tr("&Try again"), self.failure_panel)
        self.try_again_button.setAccessibleName(self.tr("Launch setup again"))
        self.try_again_button.clicked.connect(self.start)
        self.follow_button = QPushButton(self.tr("&Follow its log"), self.failure_panel)
        self.follow_button.setAccessibleName(self.tr("Follow the log of the setup that is already running"))
        self.follow_button.setToolTip(self.tr("Show the running setup's ccmsetup.log here, live, until it ends"))
        self.follow_button.clicked.connect(self.follow_running_setup)
        self.follow_button.setVisible(False)
        failure_layout = QGridLayout(self.failure_panel)
        failure_layout.addWidget(self.failure_icon, 0, 0, 2, 1, Qt.AlignmentFlag.AlignTop)
        failure_layout.addWidget(self.failure_title, 0, 1, Qt.AlignmentFlag.AlignVCenter)
        failure_layout.addWidget(self.failure_text, 1, 1)
        failure_buttons = QHBoxLayout()
        failure_buttons.addStretch(1)
        failure_buttons.addWidget(self.follow_button)
        failure_buttons.addWidget(self.try_again_button)
        failure_buttons.addWidget(self.back_to_review_button)
        failure_layout.addLayout(failure_buttons, 2, 1)
        failure_layout.setColumnStretch(1, 1)
        self.failure_panel.setVisible(False)

        self.keep_waiting_button = QPushButton(self.tr("&Keep waiting"), self)
        self.keep_waiting_button.setAccessibleName(self.tr("Keep following setup; the log was silent too long"))
        self.keep_waiting_button.setToolTip(
            self.tr("The log was silent so long that the result was reported as unknown. Follow on anyway.")
        )
        self.keep_waiting_button.clicked.connect(self.keep_waiting)
        self.keep_waiting_button.setVisible(False)

        self.log_view = LogView(self)
        self.log_view.setAccessibleName(self.tr("Live setup log"))

        status_line = QHBoxLayout()
        status_line.addWidget(self.phase_label, 1)
        status_line.addWidget(self.keep_waiting_button)
        status_line.addWidget(self.elapsed_label)
        layout = QVBoxLayout(self)
        layout.addWidget(self.stepper)
        layout.addLayout(status_line)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.stall_label)
        layout.addWidget(self.failure_panel)
        layout.addWidget(self.log_view, 1)
        layout.addStretch(0)  # takes the space of the hidden log view when the launch failed
        self._layout = layout

    # ---- QWizardPage ---------------------------------------------------------------------------------
    def initializePage(self) -> None:  # noqa: N802 - Qt override
        stop_with_window(self)
        self.start()

    def cleanupPage(self) -> None:  # noqa: N802 - Qt override
        # Only reachable before setup started (launch failed) or through restart(): stop following.
        self._stop_worker()

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        # Following ended with an outcome: a final one, or one that is not (a failure ccmsetup still retries, a
        # logged result while ccmsetup lingers), which the Finish page states as such. A launch that did not
        # start has none.
        return self.outcome is not None

    def first_focus(self) -> QWidget:
        # The log lines, not the filter box above them (the first control in Tab order): a stray key typed
        # there would hide rows of the live log.
        return self.log_view.table

    # ---- public API ----------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """True while setup was launched and its outcome is not final yet."""
        return (self.worker is not None and self.worker.running and not self.isComplete()
                and not self.following_other)

    def start(self) -> None:
        """Create the install session for the wizard's plan and launch it (off the UI thread)."""
        from wizard.core.tracker import PHASES
        from wizard.host.session import InstallSession

        self._stop_worker()
        wizard = self.wizard()
        plan = wizard.plan
        self.launch_result = None
        self.outcome = None
        wizard.outcome = None
        self.following_other = False
        steps = phase_steps(PHASES)
        if plan.noservice:
            steps = [s for s in steps if s[0] != "service"]
        self._reset_live_view(steps, plan)
        self._set_failure_layout(False)
        self.phase_label.setText(
            self.tr("Starting setup… Windows may ask for administrator permission.")
            if not getattr(wizard.host, "is_demo", False)
            else self.tr("Starting the simulated setup…")
        )
        self.elapsed_label.setText("")
        self.keep_waiting_button.setVisible(False)
        self.exe_choice = None
        self.session = InstallSession(wizard.host, plan, None)
        wizard.session = self.session
        self._follow(launch=True)

    def follow_running_setup(self) -> None:
        """After "setup is already running": follow that setup's ccmsetup.log in this view until it ends. It is
        not this wizard's install, so its result is shown here and Next stays off; Try again then starts ours."""
        from wizard.core.tracker import PHASES
        from wizard.host.follow import RunningSetupFollower

        self._stop_worker()
        wizard = self.wizard()
        plan = wizard.plan
        # The live view as start() sets it up, for a run whose options are not known (all phases shown).
        self._reset_live_view(phase_steps(PHASES), plan)
        self.following_other = True
        follower = RunningSetupFollower(wizard.host, scenario=plan.scenario)
        self.failure_title.setText(self.tr("Following the setup that was already running"))
        self.failure_text.setText(self.tr(
            "The log below is that setup's (%1), not started by this wizard. When it ends, press Try again to "
            "start yours, or go back to Review; what you entered is kept.").replace("%1", str(follower.path)))
        self.failure_icon.setPixmap(icons.pixmap("running", 32, self.devicePixelRatioF()))
        self.follow_button.setVisible(False)
        self._set_following_layout()
        self.phase_label.setText(self.tr("Waiting for the running setup to write to its log…"))
        self.elapsed_label.setText("")
        self._start_worker(SessionWorker(follower, self, launch=False), recordsReady=self.log_view.append,
                           progress=self._on_progress, snapshotReady=self._on_snapshot,
                           finished=self._on_followed_finished, failed=self._on_follow_failed)
        self.log_view.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def _reset_live_view(self, steps: list[tuple[str, str]], plan: Any) -> None:
        """An empty live view for a new run: `steps` in the stepper, no phase, no download yet, no log lines."""
        self._phase_titles = dict(steps)
        self.stepper.set_steps(steps)
        self._phase = self._last_work_phase = self._log_problem = ""
        self._download_percent = None
        self._stalled = False
        self.stall_label.setVisible(False)
        self.progress_bar.setVisible(False)
        self.progress_bar.setValue(0)
        self._set_download_state("running")
        self.log_view.clear()
        self.log_view.scenario = plan.scenario
        # ccmsetup writes its command line, token included, into the log we show.
        self.log_view.model.set_redaction_plan(plan)

    def _show_final_step(self, state: str) -> None:
        """The stepper and the download bar at the end of a run: passed, failed in the step it was in, or
        unknown."""
        if state in ("succeeded", "reboot-required"):
            self.stepper.set_final("pass")
        elif state == "unknown":
            self.stepper.set_final("unknown")
        elif state == "failed":
            if self._last_work_phase:
                self.stepper.set_current(self._last_work_phase)
            self.stepper.set_final("fail")
        if self._last_work_phase == "download" and state in ("failed", "unknown"):
            self._set_download_state("failed" if state == "failed" else "stalled")

    def _set_following_layout(self) -> None:
        """The note about whose setup this is (with Try again / Back to Review) above the live view."""
        self.failure_panel.setVisible(True)
        for widget in (self.stepper, self.phase_label, self.elapsed_label, self.log_view):
            widget.setVisible(True)
        self._layout.setStretch(self._layout.count() - 1, 0)

    def _on_followed_finished(self, outcome: Any) -> None:
        self.log_view.flush()
        state = getattr(outcome, "state", "unknown")
        self._show_final_step(state if state in ("succeeded", "reboot-required", "failed") else "unknown")
        self._stalled = False
        self._update_warning()
        summary = getattr(outcome, "summary", "") or state
        self.failure_title.setText(self.tr("The setup that was running has ended"))
        self.failure_text.setText(self.tr(
            "The log below is that setup's, not started by this wizard. Press Try again to start yours, or go "
            "back to Review; what you entered is kept."))
        self.failure_icon.setPixmap(icons.pixmap("pass" if state in ("succeeded", "reboot-required") else "warn",
                                                 32, self.devicePixelRatioF()))
        self.phase_label.setText(self.tr("That setup ended: %1 Press Try again to start yours.").replace(
            "%1", summary))
        self.try_again_button.setDefault(True)
        self.try_again_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_follow_failed(self, message: str) -> None:
        self.phase_label.setText(self.tr("Following that setup's log stopped: %1. Its log is in %2.")
                                 .replace("%1", message).replace("%2", str(self.wizard().host.log_dir())))

    def keep_waiting(self) -> None:
        """After the session gave up on a silent log: follow on (a slow download over a CMG is normal)."""
        if self.session is None or not self.isComplete():
            return
        self.session.keep_waiting()
        self.outcome = None
        self.wizard().outcome = None
        self.keep_waiting_button.setVisible(False)
        self.stepper.set_final("")
        if self._last_work_phase == "download":
            self._set_download_state("running")
        self._follow(launch=False)

    def _follow(self, *, launch: bool) -> None:
        self._stop_worker()
        self._start_worker(SessionWorker(self.session, self, launch=launch, prepare=self._exe_chooser()),
                           prepared=self._on_prepared, launched=self._on_launched, recordsReady=self.log_view.append,
                           progress=self._on_progress, snapshotReady=self._on_snapshot, finished=self._on_finished,
                           failed=self._on_failed)
        self.completeChanged.emit()

    def back_to_review(self) -> None:
        """Return to the Review page with the plan as it was (after a launch that did not start)."""
        self._stop_worker()
        wizard = self.wizard()
        wizard.session = None
        wizard.return_to_review()

    def confirm_close(self) -> bool:
        """Asked by the wizard before closing. While setup runs, explain that it goes on and ask."""
        if not self.running:
            return True
        wizard = self.wizard()
        if getattr(wizard.host, "is_demo", False):
            text = self.tr(
                "The simulated setup is still running. If you close the wizard it finishes on its own in the "
                "background, like the real ccmsetup service; nothing on this device changes.\n\nClose the wizard?"
            )
        else:
            text = self.tr(
                "Setup is still running. It goes on as a Windows service (ccmsetup) when you close this window, "
                "and finishes or fails on its own; its log stays in %1.\n\nClose the wizard anyway?"
            ).replace("%1", str(wizard.host.log_dir()))
        if not dialogs.ask_yes_no(self, self.tr("Setup is still running"), text):
            return False
        self._stop_worker()
        return True

    def shutdown(self) -> None:
        self._stop_worker()

    # ---- signal handlers -----------------------------------------------------------------------------
    def _start_worker(self, worker: SessionWorker, **slots: Any) -> None:
        """Connect `slots` (signal name -> slot) and start `worker`; _stop_worker disconnects exactly those."""
        for name, slot in slots.items():
            getattr(worker, name).connect(slot)
        self.worker, self._worker_signals = worker, [getattr(worker, name) for name in slots]
        worker.start()

    def _stop_worker(self) -> None:
        worker, self.worker = self.worker, None
        if worker is None:
            return
        for signal in self._worker_signals:
            signal.disconnect()
        retire(worker)

    def _exe_chooser(self):
        """Pick ccmsetup.exe on the worker thread: the one chosen in the wizard, else beside the profile or the
        wizard, else (on-prem MP) downloaded from the MP. The session verifies its signature before launch."""
        wizard = self.wizard()
        host, plan = wizard.host, wizard.plan
        user_path = getattr(wizard, "exe_path", None)
        profile_path = getattr(wizard, "profile_path", None)

        def choose(session: Any) -> Any:
            from wizard.host.ccmsetup_exe import choose_ccmsetup

            choice = choose_ccmsetup(host, plan, user_path=user_path, profile_path=profile_path)
            if choice.path is not None:
                session.exe = Path(choice.path)
            return choice

        return choose

    def _on_prepared(self, choice: Any) -> None:
        self.exe_choice = choice

    def _on_launched(self, result: Any) -> None:
        self.launch_result = result
        if getattr(result, "started", False):
            self.phase_label.setText(self.tr("Setup started. Waiting for its log…"))
            return
        self._show_launch_failure(result)
        self.launchFailed.emit(result)

    def _show_launch_failure(self, result: Any) -> None:
        status = getattr(result, "status", "failed-to-start")
        titles = {
            "uac-cancelled": self.tr("The administrator prompt was cancelled"),
            "missing-exe": self.tr("ccmsetup.exe was not found"),
            "unsigned-exe": self.tr("ccmsetup.exe is not signed by Microsoft"),
            "already-running": self.tr("Setup is already running on this device"),
            "failed-to-start": self.tr("Setup could not be started"),
        }
        advice = {
            "uac-cancelled": self.tr(
                "Press Try again and answer Yes on the Windows prompt, or go back to Review; what you entered is kept."
            ),
            "missing-exe": self.tr(
                "Put ccmsetup.exe (from the site server's Client folder) next to this wizard or the profile, "
                "then press Try again."
            ),
            "unsigned-exe": self.tr(
                "The file may be damaged or not the real ccmsetup.exe. Copy it again from the site server's "
                "Client folder, then press Try again."
            ),
            "already-running": self.tr(
                "Another ccmsetup is installing. Press Follow its log to watch it here until it ends, then press "
                "Try again."
            ),
            "failed-to-start": self.tr("Read the message above, fix the cause, then press Try again."),
        }
        self.failure_title.setText(titles.get(status, titles["failed-to-start"]))
        self.failure_icon.setPixmap(icons.pixmap("fail", 32, self.devicePixelRatioF()))
        self.follow_button.setVisible(status == "already-running")
        message = (getattr(result, "message", "") or "").strip()
        detail = getattr(self.exe_choice, "detail", "") if status == "missing-exe" else ""
        if detail and detail not in message:
            message = f"{message} ({detail})" if message else detail
        code = getattr(result, "error_code", None)
        if code is not None and str(code) not in message:
            message = (message + " " + self.tr("(error %1)").replace("%1", str(code))).strip()
        parts = [message] if message else []
        parts.append(advice.get(status, advice["failed-to-start"]))
        self.failure_text.setText("\n\n".join(parts))
        self._set_failure_layout(True)
        self.back_to_review_button.setDefault(True)
        self.back_to_review_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _set_failure_layout(self, failed: bool) -> None:
        """A launch that did not start shows only the failure panel (top-aligned); otherwise the live view."""
        self.failure_panel.setVisible(failed)
        for widget in (self.stepper, self.phase_label, self.elapsed_label, self.log_view):
            widget.setVisible(not failed)
        self._layout.setStretch(self._layout.count() - 1, 1 if failed else 0)

    def _on_progress(self, phase: str, percent: Any, stalled: bool, elapsed: float) -> None:
        self._phase = phase
        if phase != "done":
            self._last_work_phase = phase
        self.stepper.set_current(phase)
        title = self._phase_titles.get(phase, phase)
        if percent is not None and phase == "download":
            self.phase_label.setText(
                self.tr("%1: %2% downloaded").replace("%1", title).replace("%2", f"{float(percent):.0f}")
            )
        else:
            self.phase_label.setText(title)
        elapsed_text = (self.tr("Following for %1") if self.following_other  # it started before we looked
                        else self.tr("Elapsed %1"))
        self.elapsed_label.setText(elapsed_text.replace("%1", format_elapsed(elapsed)))
        if phase == "download":
            self._download_percent = percent
            self.progress_bar.setVisible(True)
            if percent is not None:
                self.progress_bar.setRange(0, 100)
                self.progress_bar.setValue(int(max(0.0, min(100.0, float(percent)))))
            else:
                # A BITS transfer logs no progress, and between two files nothing is known: a busy bar, never
                # the last file's 100 %.
                self.progress_bar.setRange(0, 0)
        if self._past_download(phase):
            # Setup went on past the download: it is complete, whatever the last percent line said (and also when
            # the page never saw the download phase between two polls).
            self._set_download_state("complete")
            self.progress_bar.setValue(100)
            self.progress_bar.setVisible(True)
        self._stalled = stalled
        self._update_warning()

    def _past_download(self, phase: str) -> bool:
        ids = [phase_id for phase_id, _title in self.stepper.steps()]
        return "download" in ids and phase in ids and phase != "done" and ids.index(phase) > ids.index("download")

    def _set_download_state(self, state: str) -> None:
        """The download bar says what happened, not only a percent: ``running`` (Download N%), ``complete``,
        ``failed`` (red, no percent: the tracker's percent is of the last file that reported one, not of the
        file that failed) or ``stalled``."""
        from wizard.ui.widgets import OVER_LIMIT_COLOUR

        formats = {
            "running": self.tr("Download %p%"),
            "complete": self.tr("Download complete"),
            "failed": self.tr("Download failed"),
            "stalled": (self.tr("Download stopped at %p% (no new log lines)") if self._download_percent is not None
                        else self.tr("Download stopped (no new log lines)")),
        }
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setFormat(formats[state])
        palette = QPalette()  # the system palette; only a failure overrides the bar colour
        if state == "failed":
            palette.setColor(QPalette.ColorRole.Highlight, QColor(OVER_LIMIT_COLOUR))
        self.progress_bar.setPalette(palette)
        self.progress_bar.setAccessibleDescription("" if state == "running" else self.progress_bar.text())

    def _on_snapshot(self, snapshot: Any) -> None:
        self._quiet_seconds = snapshot.seconds_since_activity or 0.0
        self._setup_still_running = bool(getattr(snapshot, "setup_running", False))
        problem = getattr(snapshot, "log_problem", None)
        self._log_problem = f"{problem.message} {problem.fix}" if problem is not None else ""
        self._update_warning()

    def _update_warning(self) -> None:
        parts = []
        if self._stalled:
            title = self._phase_titles.get(self._phase, self._phase)
            quiet = int(self._quiet_seconds)
            duration = (
                self.tr("%1 s").replace("%1", str(quiet))
                if quiet < 90
                else self.tr("%1 min").replace("%1", str(quiet // 60))
            )
            parts.append(
                self.tr(
                    "No new log lines for %1 during “%2”. Setup may be stuck: check the network path to the "
                    "management point or CMG, and look for errors in the log below (F8)."
                ).replace("%1", duration).replace("%2", title)
            )
        if self._log_problem:
            parts.append(self._log_problem)
        self.stall_label.setText("\n".join(parts))
        self.stall_label.setVisible(bool(parts))

    def _on_finished(self, outcome: Any) -> None:
        self.log_view.flush()
        self.outcome = outcome
        self.wizard().outcome = outcome
        state = getattr(outcome, "state", "unknown")
        self._show_final_step(state)
        if state == "failed":
            self._select_cause_line(outcome)
        self._stalled = False
        self._update_warning()
        # A silent log ends the session as "unknown", a failed download that ccmsetup retries by itself as a failure
        # that is not final: the technician may know better, or wait for the retry, and follow on.
        retry = getattr(outcome, "retry", None)
        retrying = state == "failed" and retry is not None and not getattr(outcome, "final", True)
        can_wait = (state == "unknown" or retrying) and self._setup_still_running
        self.keep_waiting_button.setVisible(can_wait and hasattr(self.session, "keep_waiting"))
        if retrying:
            self.keep_waiting_button.setAccessibleName(self.tr("Keep following setup while ccmsetup retries"))
            self.keep_waiting_button.setToolTip(self.tr(
                "ccmsetup is still running and tries the download again by itself every %1 minutes. Follow on "
                "until it ends.").replace("%1", str(getattr(retry, "every_minutes", "?"))))
        else:
            self.keep_waiting_button.setAccessibleName(self.tr("Keep following setup; the log was silent too long"))
            self.keep_waiting_button.setToolTip(self.tr(
                "The log was silent so long that the result was reported as unknown. Follow on anyway."))
        summary = getattr(outcome, "summary", "") or state
        self.phase_label.setText(self.tr("%1 Press Next for the details.").replace("%1", summary))
        self.completeChanged.emit()
        self.outcomeReady.emit(outcome)
        next_button = self.wizard().button(self.wizard().WizardButton.NextButton)
        next_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _select_cause_line(self, outcome: Any) -> None:
        """Put the error line behind the outcome in front of the technician (its explanation shows in the
        detail pane): the last error naming the explained code, else the last error."""
        model = self.log_view.model
        explanation = getattr(outcome, "explanation", None)
        codes = [c.lower() for c in (getattr(explanation, "code", None), getattr(outcome, "error_code", None)) if c]
        for code in codes:  # the explained code first: it names the cause, the error code only the symptom
            for row in reversed(model.visible_error_rows):
                if code in model.record(row).message.lower():
                    self.log_view.select_row(row)
                    return
        self.log_view.select_previous_error()

    def _on_failed(self, message: str) -> None:
        if self.launch_result is not None and getattr(self.launch_result, "started", False):
            # Setup was launched and keeps going on its own; only following it broke.
            self.phase_label.setText(
                self.tr(
                    "Following the log stopped unexpectedly (%1). Setup itself goes on: open the log folder "
                    "from the next page or read %2."
                )
                .replace("%1", message)
                .replace("%2", str(self.wizard().host.log_dir()))
            )
            return
        from wizard.host.base import LaunchResult

        failure = LaunchResult(
            "failed-to-start", self.tr("The install session stopped unexpectedly: %1").replace("%1", message)
        )
        self._show_launch_failure(failure)
        self.launchFailed.emit(failure)
