"""Checks page: the pre-install checklist, bound to the values typed, filling in live as each check ends.

Next is allowed with warnings, blocked by failures; an expert may tick "Continue anyway", which is recorded in
``wizard.checks_overridden`` (and from there in the evidence summary). Checks run whenever the page is shown
and are cancelled on Back; every run (all or one check) clears "Continue anyway", which was a decision about
the failures shown before.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from wizard.ui import icons
from wizard.ui.workers import ChecksWorker, stop_with_window

# CheckResult.status -> how the page treats it. "fail", "error" (the check itself broke) and anything unknown
# count as a failure: a check never passes silently.
_PASS = {"pass", "passed", "ok", "success"}
_WARN = {"warn", "warning"}
_SKIP = {"skip", "skipped", "not-applicable", "n/a", "info"}

ICON_SIZE = 20


def status_kind(status: str) -> str:
    """Normalise a CheckResult status to ``pass``, ``warn``, ``skip`` or ``fail``."""
    key = (status or "").strip().lower()
    if key in _PASS:
        return "pass"
    if key in _WARN:
        return "warn"
    if key in _SKIP:
        return "skip"
    return "fail"


def _status_icon_name(kind: str) -> str:
    return {"pass": "pass", "warn": "warn", "skip": "skip", "fail": "fail", "running": "running"}.get(kind, "skip")


class CheckRow(QFrame):
    """One check: status icon, title, detail, fix and a Re-run button."""

    rerunRequested = Signal(str)

    def __init__(self, check_id: str, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.check_id = check_id
        self.kind = "pending"
        self.result: Any = None
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("checkRow")
        self.icon_label = QLabel(self)
        self.icon_label.setFixedSize(QSize(ICON_SIZE, ICON_SIZE))
        self.icon_label.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.title_label = QLabel(title, self)
        font = self.title_label.font()
        font.setBold(True)
        self.title_label.setFont(font)
        self.title_label.setWordWrap(True)
        self.status_label = QLabel(self)
        self.detail_label = QLabel(self)
        self.detail_label.setWordWrap(True)
        self.detail_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fix_label = QLabel(self)
        self.fix_label.setWordWrap(True)
        self.fix_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for label in (self.detail_label, self.fix_label, self.title_label):
            label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        self.rerun_button = QPushButton(self.tr("Re-run"), self)
        self.rerun_button.setAccessibleName(self.tr("Re-run check: %1").replace("%1", title))
        self.rerun_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.rerun_button.clicked.connect(lambda: self.rerunRequested.emit(self.check_id))

        for label in (self.title_label, self.detail_label, self.fix_label):
            label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        title_line = QHBoxLayout()
        title_line.setSpacing(8)
        title_line.addWidget(self.title_label, 1)
        title_line.addWidget(self.status_label, 0, Qt.AlignmentFlag.AlignTop)
        text_column = QVBoxLayout()
        text_column.setSpacing(2)
        text_column.addLayout(title_line)
        text_column.addWidget(self.detail_label)
        text_column.addWidget(self.fix_label)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 6, 8, 6)
        row.setSpacing(10)
        row.addWidget(self.icon_label, 0, Qt.AlignmentFlag.AlignTop)
        row.addLayout(text_column, 1)
        row.addWidget(self.rerun_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.set_pending()

    @property
    def title(self) -> str:
        return self.title_label.text()

    def _set_icon(self, name: str) -> None:
        self.icon_label.setPixmap(icons.pixmap(name, ICON_SIZE, self.devicePixelRatioF()))

    def set_pending(self) -> None:
        self.kind = "pending"
        self.result = None
        self._set_icon("skip")
        self.status_label.setText(self.tr("Waiting"))
        self.detail_label.clear()
        self.detail_label.hide()
        self.fix_label.clear()
        self.fix_label.hide()
        self.rerun_button.setEnabled(False)
        self._update_accessible()

    def set_running(self) -> None:
        self.kind = "running"
        self.result = None
        self._set_icon("running")
        self.status_label.setText(self.tr("Checking…"))
        self.rerun_button.setEnabled(False)
        self._update_accessible()

    def set_result(self, result: Any) -> None:
        self.result = result
        self.kind = status_kind(getattr(result, "status", ""))
        self._set_icon(_status_icon_name(self.kind))
        words = {
            "pass": self.tr("Passed"),
            "warn": self.tr("Warning"),
            "skip": self.tr("Not needed"),
            "fail": self.tr("Failed"),
        }
        seconds = getattr(result, "seconds", None)
        status = words[self.kind]
        if seconds is not None and seconds >= 0.05:
            status = self.tr("%1 (%2 s)").replace("%1", status).replace("%2", f"{seconds:.1f}")
        self.status_label.setText(status)
        title = getattr(result, "title", "") or self.title
        self.title_label.setText(title)
        detail = (getattr(result, "detail", "") or "").strip()
        self.detail_label.setText(detail)
        self.detail_label.setVisible(bool(detail))
        fix = (getattr(result, "fix", "") or "").strip()
        if fix and self.kind in ("warn", "fail"):
            self.fix_label.setText(self.tr("Fix: %1").replace("%1", fix))
            self.fix_label.show()
        else:
            self.fix_label.clear()
            self.fix_label.hide()
        self.rerun_button.setEnabled(True)
        self._update_accessible()

    def _update_accessible(self) -> None:
        parts = [self.title_label.text(), self.status_label.text()]
        if self.detail_label.text():
            parts.append(self.detail_label.text())
        if self.fix_label.text():
            parts.append(self.fix_label.text())
        self.setAccessibleName(". ".join(parts))


class _RowsContainer(QWidget):
    """The scrolled list of rows. Its minimum height is left to heightForWidth: the default minimum is
    measured with every label wrapped at its narrowest, which makes a scroll bar appear for no reason."""

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        hint = super().minimumSizeHint()
        return QSize(hint.width(), 0)


class ChecksPage(QWizardPage):
    """Pre-install checks for the current plan, run off the UI thread, one row per check."""

    #: emitted after every result and when a pass ends (tests and screenshots wait on it)
    resultsChanged = Signal()
    #: emitted when a full or partial pass has finished
    checksFinished = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Check the device and the addresses"))
        self.setSubTitle(
            self.tr(
                "These checks use the values you entered. Failures must be fixed before installing; "
                "warnings are worth reading but do not stop you."
            )
        )
        self._rows: dict[str, CheckRow] = {}
        self._order: list[str] = []
        self._running = False
        self._full_run = False
        self._engine_error = ""
        self._rule_errors: list[Any] = []  # errors the rules find in the values (Review blocks on them too)
        self.worker = ChecksWorker(self)
        self.worker.resultReady.connect(self._on_result)
        self.worker.finished.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)

        self.summary_label = QLabel(self)
        self.summary_label.setWordWrap(True)
        self.summary_label.setAccessibleName(self.tr("Checks summary"))
        font = self.summary_label.font()
        font.setBold(True)
        self.summary_label.setFont(font)
        self.rerun_all_button = QPushButton(self.tr("Re-run &all"), self)
        self.rerun_all_button.setAccessibleName(self.tr("Re-run all checks"))
        self.rerun_all_button.clicked.connect(self.run_all)

        self.rows_widget = _RowsContainer()
        self.rows_layout = QVBoxLayout(self.rows_widget)
        self.rows_layout.setContentsMargins(0, 0, 0, 0)
        self.rows_layout.setSpacing(4)
        self.rows_layout.addStretch(1)
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.rows_widget)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setAccessibleName(self.tr("Check results"))

        self.override_box = QCheckBox(
            self.tr("&Continue anyway (expert): install despite the failed checks. The choice is recorded in "
                    "the evidence summary."), self
        )
        self.override_box.setToolTip(self.tr("Only when you know why the check fails and that ccmsetup will "
                                             "still succeed (for example a check that cannot see through a proxy)."))
        self.override_box.setAccessibleName(self.tr("Continue anyway despite failed checks"))
        self.override_box.setVisible(False)
        self.override_box.toggled.connect(self._override_toggled)

        header = QHBoxLayout()
        header.addWidget(self.summary_label, 1)
        header.addWidget(self.rerun_all_button)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self.override_box)

    # ---- QWizardPage ---------------------------------------------------------------------------------
    def initializePage(self) -> None:  # noqa: N802 - Qt override
        stop_with_window(self)
        self.run_all()

    def cleanupPage(self) -> None:  # noqa: N802 - Qt override
        # Back: stop checking; results of the old values would be misleading anyway.
        self.cancel()

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        if self._running:
            return False
        return not self.blocked() or self.override_box.isChecked()

    def validatePage(self) -> bool:  # noqa: N802 - Qt override
        wizard = self.wizard()
        wizard.check_results = self.results()
        overriding = self.blocked() and self.override_box.isChecked()
        wizard.checks_overridden = overriding and (bool(self.failed_ids()) or bool(self._engine_error))
        record = getattr(wizard, "record_errors_overridden", None)
        if callable(record):
            record(self._own_id(), self.unresolved_rule_errors() if overriding else ())
        return True

    # ---- public API ----------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._running

    def check_ids(self) -> list[str]:
        return list(self._order)

    def row(self, check_id: str) -> CheckRow:
        return self._rows[check_id]

    def results(self) -> list[Any]:
        """The latest result of every check that finished, in checklist order."""
        return [self._rows[i].result for i in self._order if self._rows[i].result is not None]

    def failed_ids(self) -> list[str]:
        return [i for i in self._order if self._rows[i].kind == "fail"]

    def blocked(self) -> bool:
        """Failed checks, a checks engine that could not run at all, or errors in the values that nobody chose
        to go on with (on their own page) stand in the way of Next."""
        return bool(self.failed_ids()) or bool(self._engine_error) or bool(self.unresolved_rule_errors())

    def rule_errors(self) -> list[Any]:
        """The rule errors in the values these checks ran for."""
        return list(self._rule_errors)

    def unresolved_rule_errors(self) -> list[Any]:
        """Rule errors not already overridden on the page that holds their field."""
        wizard = self.wizard()
        if wizard is None:
            return list(self._rule_errors)
        own = self._own_id()
        pages = getattr(wizard, "errors_overridden", {})
        accepted = [f for page_id, errors in pages.items() if page_id != own for f in errors]
        return [f for f in self._rule_errors if f not in accepted]

    def _own_id(self) -> int:
        wizard = self.wizard()
        return next((page_id for page_id in wizard.pageIds() if wizard.page(page_id) is self), -1)

    def warning_ids(self) -> list[str]:
        return [i for i in self._order if self._rows[i].kind == "warn"]

    def run_all(self) -> None:
        """(Re)build the checklist from the plan and run every check."""
        wizard = self.wizard()
        from wizard.core.rules import lint
        from wizard.host.checks import checks_for

        self._reset_override()
        self._rule_errors = [f for f in lint(wizard.plan) if f.severity == "error"]
        self._engine_error = ""
        try:
            checks = list(checks_for(wizard.plan))
        except Exception as exc:  # a broken check table must not leave the page half-built
            checks = []
            self._engine_error = f"{type(exc).__name__}: {exc}"
        self._rebuild_rows(checks)
        if self._engine_error:
            self._update_summary()
            self.completeChanged.emit()
            return
        for row in self._rows.values():
            row.set_running()
        self._start(None)

    def rerun(self, check_id: str) -> None:
        """Run one check again (its row goes back to "Checking…")."""
        if check_id not in self._rows or self._running:
            return
        self._reset_override()
        self._rows[check_id].set_running()
        self._start((check_id,))

    def cancel(self) -> None:
        self.worker.cancel()
        if self._running:
            self._running = False
            for row in self._rows.values():
                if row.kind == "running":
                    row.set_pending()
            self._set_busy(False)
            self._update_summary()
            self.completeChanged.emit()

    def shutdown(self) -> None:
        self.worker.shutdown()

    # ---- internals -----------------------------------------------------------------------------------
    def _start(self, only: tuple[str, ...] | None) -> None:
        wizard = self.wizard()
        self._running = True
        self._full_run = only is None
        self._set_busy(True)
        self._update_summary()
        self.completeChanged.emit()
        self.worker.start(wizard.host, wizard.plan, only=only, exe=getattr(wizard, "exe_path", None))

    def _set_busy(self, busy: bool) -> None:
        self.rerun_all_button.setEnabled(not busy)
        for row in self._rows.values():
            row.rerun_button.setEnabled(not busy and row.result is not None)

    def _rebuild_rows(self, checks: list[Any]) -> None:
        for row in self._rows.values():
            self.rows_layout.removeWidget(row)
            row.deleteLater()
        self._rows.clear()
        self._order.clear()
        previous: QWidget = self.rerun_all_button
        for check in checks:
            check_id = str(check.id)
            row = CheckRow(check_id, str(getattr(check, "title", check_id)), self.rows_widget)
            row.rerunRequested.connect(self.rerun)
            self.rows_layout.insertWidget(self.rows_layout.count() - 1, row)
            self._rows[check_id] = row
            self._order.append(check_id)
            QWidget.setTabOrder(previous, row.rerun_button)
            previous = row.rerun_button
        QWidget.setTabOrder(previous, self.override_box)

    def _on_result(self, result: Any) -> None:
        check_id = str(result.id)
        row = self._rows.get(check_id)
        if row is None:  # a check the list did not announce (e.g. added by a dependency): show it too
            row = CheckRow(check_id, str(getattr(result, "title", check_id)), self.rows_widget)
            row.rerunRequested.connect(self.rerun)
            self.rows_layout.insertWidget(self.rows_layout.count() - 1, row)
            self._rows[check_id] = row
            self._order.append(check_id)
        row.set_result(result)
        if self._running:
            row.rerun_button.setEnabled(False)
        self._update_summary()
        self.resultsChanged.emit()

    def _on_failed(self, message: str) -> None:
        self._engine_error = message

    def _on_finished(self, _cancelled: bool) -> None:
        self._running = False
        for row in self._rows.values():
            if row.kind == "running":  # the engine ended without a result for it
                row.set_pending()
                row.status_label.setText(self.tr("Not run"))
                row.rerun_button.setEnabled(True)
        self._set_busy(False)
        self._update_summary()
        attention = self.failed_ids() or self.warning_ids()
        if self._full_run:
            self._put_attention_first()
            # The rows needing attention are now at the top (row geometry is only updated later, so
            # ensureWidgetVisible would aim at the old positions).
            self.scroll.verticalScrollBar().setValue(0)
        elif attention:  # after a single Re-run: bring the first remaining failure into view
            self.scroll.ensureWidgetVisible(self._rows[attention[0]])
        self.completeChanged.emit()
        self.resultsChanged.emit()
        self.checksFinished.emit()

    def visible_order(self) -> list[str]:
        """Check ids top to bottom as shown (check_ids() keeps the engine's order)."""
        rows = {row: check_id for check_id, row in self._rows.items()}
        items = (self.rows_layout.itemAt(i).widget() for i in range(self.rows_layout.count()))
        return [rows[widget] for widget in items if widget in rows]

    def _put_attention_first(self) -> None:
        """After a full pass, failures then warnings move to the top, so the technician sees what to fix
        without scrolling past a dozen passes. Only full passes reorder: a single Re-run leaves rows in place
        so the row being worked on does not jump away."""
        rank = {"fail": 0, "warn": 1}
        ordered = sorted(self._order, key=lambda i: rank.get(self._rows[i].kind, 2))  # stable within a rank
        if ordered == self.visible_order():
            return
        for check_id in ordered:
            self.rows_layout.removeWidget(self._rows[check_id])
        for check_id in ordered:
            self.rows_layout.insertWidget(self.rows_layout.count() - 1, self._rows[check_id])
        previous: QWidget = self.rerun_all_button
        for check_id in ordered:  # Tab follows the rows as shown
            QWidget.setTabOrder(previous, self._rows[check_id].rerun_button)
            previous = self._rows[check_id].rerun_button
        QWidget.setTabOrder(previous, self.override_box)

    def _reset_override(self) -> None:
        """"Continue anyway" was a decision about the failures shown then; a new run must be decided again."""
        self.override_box.blockSignals(True)
        self.override_box.setChecked(False)
        self.override_box.blockSignals(False)
        wizard = self.wizard()
        if wizard is not None:
            wizard.checks_overridden = False
            record = getattr(wizard, "record_errors_overridden", None)
            if callable(record):
                record(self._own_id(), ())

    def _override_toggled(self, _checked: bool) -> None:
        self._update_summary()
        self.completeChanged.emit()

    def _update_summary(self) -> None:
        done = sum(1 for row in self._rows.values() if row.result is not None and row.kind != "running")
        total = len(self._rows)
        failed = len(self.failed_ids())
        warnings = len(self.warning_ids())
        blocked = self.blocked()
        unresolved = len(self.unresolved_rule_errors())
        self.override_box.setVisible(blocked and not self._running)
        if unresolved and not (failed or self._engine_error):
            self.override_box.setText(self.tr("&Continue anyway (expert): go on despite the errors in the values. "
                                              "The choice is recorded in the evidence summary."))
        elif unresolved:
            self.override_box.setText(self.tr("&Continue anyway (expert): install despite the failed checks and the "
                                              "errors in the values. The choice is recorded in the evidence summary."))
        else:
            self.override_box.setText(self.tr("&Continue anyway (expert): install despite the failed checks. The "
                                              "choice is recorded in the evidence summary."))
        if self._engine_error:
            text = self.tr("The checks could not run: %1. Re-run all to try again.").replace(
                "%1", self._engine_error
            )
        elif self._running:
            text = self.tr("Checking… %1 of %2 done.").replace("%1", str(done)).replace("%2", str(total))
        elif not total:
            text = self.tr("No checks apply to this plan.")
        elif failed and self.override_box.isChecked():
            text = self.tr("%1 check(s) failed. You chose to continue anyway; this is recorded.").replace(
                "%1", str(failed)
            )
        elif failed:
            text = self.tr("%1 check(s) failed (listed first). Fix the cause and press Re-run, go Back to change "
                           "the values, or tick Continue anyway below.")
            text = text.replace("%1", str(failed))
        elif warnings:
            text = self.tr("No failures, %1 warning(s).").replace("%1", str(warnings))
            if not blocked:
                text += " " + self.tr("You can continue.")
        elif done < total:
            text = self.tr("Checks were interrupted. Press Re-run all.")
        else:
            text = self.tr("All %1 checks passed.").replace("%1", str(total))
        if self._rule_errors and not (self._engine_error or self._running):
            # The device checks are half the story: errors in the values stop the install as surely.
            if unresolved and self.override_box.isChecked():
                text += " " + self.tr("The values have %1 error(s); you chose to continue anyway (recorded).")
            elif unresolved and failed:
                text += " " + self.tr("The values have %1 error(s) too (Review lists each with its fix).")
            elif unresolved:
                text += " " + self.tr("But the values have %1 error(s) (Review lists each with its fix): go Back "
                                      "to fix them, or tick Continue anyway below.")
            else:
                text += " " + self.tr("The values have %1 error(s) you chose to go on with (Review lists them).")
            text = text.replace("%1", str(unresolved or len(self._rule_errors)))
        self.summary_label.setText(text)
