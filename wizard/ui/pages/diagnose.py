"""Diagnose: open a device's logs (a file, a folder or an evidence zip) outside the install flow and see every
ccmsetup run with its outcome, the findings with their fixes (root cause first), and the merged timeline.

The reading runs in a `DiagnoseWorker` thread (progress bar, Cancel); the timeline reaches the log view in
batches so the window stays responsive on a 100 MB folder. Nothing on the device is changed.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWizardPage,
)

from wizard.ui import icons
from wizard.ui.logview import LogView
from wizard.ui.widgets import wrapped_label
from wizard.ui.workers import stop_with_window

FEED_BATCH = 2000  # timeline entries handed to the log view per event-loop turn
MARKDOWN_FILTER = "Markdown (*.md);;Text (*.txt);;All files (*)"
_SEVERITY_ICON = {"error": "fail", "warning": "warn", "info": "info"}
_STATE_ICON = {"succeeded": "pass", "reboot-required": "warn", "failed": "fail", "unknown": "warn",
               "running": "running"}


class DiagnosePage(QWizardPage):
    """Public API: `open_path(path)`, `cancel()`, `export_markdown(path=None)`, `set_offset_convention(path, on)`,
    `diagnosis` (the last result), `busy`; signals `diagnosisReady(Diagnosis)`, `diagnosisFailed(str)`."""

    diagnosisReady = Signal(object)  # noqa: N815 - Qt signal naming
    diagnosisFailed = Signal(str)  # noqa: N815

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Diagnose logs"))
        self.setSubTitle(self.tr("Open a device's ccmsetup and client logs, a folder of them or an evidence zip: "
                                 "every run, the root cause and the fix. Nothing on this device is changed."))
        self.diagnosis: Any = None
        self.path: str | None = None
        self._worker: Any = None
        self._pending: list = []
        self._steps: list = []  # parts of a result still to show, one per event-loop turn
        self._conventions: dict[str, str] = {}
        self._feed_timer = QTimer(self)
        self._feed_timer.setInterval(0)
        self._feed_timer.timeout.connect(self._feed_timeline)

        self.open_file_button = QPushButton(self.tr("Open &file or zip…"))
        self.open_file_button.setAccessibleName(self.tr("Open a log file or a zip of logs"))
        self.open_folder_button = QPushButton(self.tr("Open f&older…"))
        self.open_folder_button.setAccessibleName(self.tr("Open a folder of logs"))
        self.export_button = QPushButton(self.tr("&Export findings…"))
        self.export_button.setAccessibleName(self.tr("Save the findings as Markdown for a ticket"))
        self.export_button.setEnabled(False)
        for button in (self.open_file_button, self.open_folder_button, self.export_button):
            button.setAutoDefault(False)
        self.open_file_button.clicked.connect(self.choose_file)
        self.open_folder_button.clicked.connect(self.choose_folder)
        self.export_button.clicked.connect(lambda: self.export_markdown())
        self.input_label = wrapped_label(self.tr("Drop a log file, a folder or a zip on this window, or open one."),
                                         selectable=True)
        self.input_label.setAccessibleName(self.tr("What is diagnosed"))

        self.progress_bar = QProgressBar()
        self.progress_bar.setAccessibleName(self.tr("Reading the logs"))
        self.progress_bar.setRange(0, 1000)
        self.cancel_button = QPushButton(self.tr("&Cancel reading"))
        self.cancel_button.setAccessibleName(self.tr("Stop reading the logs"))
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress_label = QLabel()
        self.progress_label.setAccessibleName(self.tr("Log being read"))
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress_bar, 1)
        progress_row.addWidget(self.cancel_button)
        self.progress_box = QFrame()
        progress_layout = QVBoxLayout(self.progress_box)
        progress_layout.setContentsMargins(0, 0, 0, 0)
        progress_layout.addLayout(progress_row)
        progress_layout.addWidget(self.progress_label)
        self.progress_box.setVisible(False)

        self.verdict_icon = QLabel()
        self.verdict_title = wrapped_label(selectable=True)
        self.verdict_title.setAccessibleName(self.tr("Verdict"))
        font = self.verdict_title.font()
        font.setBold(True)
        self.verdict_title.setFont(font)
        self.verdict_fix = wrapped_label(selectable=True)
        self.verdict_fix.setAccessibleName(self.tr("What to do"))
        verdict_text = QVBoxLayout()
        verdict_text.addWidget(self.verdict_title)
        verdict_text.addWidget(self.verdict_fix)
        self.verdict = QFrame()
        self.verdict.setFrameShape(QFrame.Shape.StyledPanel)
        verdict_layout = QHBoxLayout(self.verdict)
        verdict_layout.addWidget(self.verdict_icon, 0, Qt.AlignmentFlag.AlignTop)
        verdict_layout.addLayout(verdict_text, 1)
        self.verdict.setVisible(False)

        self.findings_view = QTextBrowser()
        self.findings_view.setAccessibleName(self.tr("Findings, root cause first"))
        self.findings_view.setOpenLinks(False)
        self.findings_view.anchorClicked.connect(self._anchor_clicked)

        self.runs_table = QTableWidget(0, 6)
        self.runs_table.setAccessibleName(self.tr("ccmsetup runs"))
        self.runs_table.setHorizontalHeaderLabels([self.tr("Started (UTC)"), self.tr("Ended (UTC)"),
                                                   self.tr("Outcome"), self.tr("Code"), self.tr("Meaning"),
                                                   self.tr("After it")])
        self._plain_table(self.runs_table)
        self.runs_table.horizontalHeader().setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.runs_table.cellDoubleClicked.connect(self._run_activated)
        self.runs_table.currentCellChanged.connect(lambda row, *_: self._show_run_details(row))
        self.run_details = QTextBrowser()
        self.run_details.setAccessibleName(self.tr("The selected run: outcome, fix and what followed it"))
        self.run_details.setOpenLinks(False)
        self.run_details.anchorClicked.connect(self._anchor_clicked)
        self.runs_panel = QSplitter(Qt.Orientation.Vertical)
        self.runs_panel.addWidget(self.runs_table)
        self.runs_panel.addWidget(self.run_details)
        self.runs_panel.setStretchFactor(0, 1)
        self.runs_panel.setStretchFactor(1, 2)

        self.timeline = LogView(self, source_column=True, time_toggle=True, follow=False)
        self.timeline.setAccessibleName(self.tr("Merged timeline"))

        self.sources_table = QTableWidget(0, 5)
        self.sources_table.setAccessibleName(self.tr("Logs read"))
        self.sources_table.setHorizontalHeaderLabels([self.tr("Log"), self.tr("Kind"), self.tr("Records"),
                                                      self.tr("Bias (UTC = local + bias)"), self.tr("Notes")])
        self._plain_table(self.sources_table)
        self.sources_table.setWordWrap(True)
        self.sources_table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self._offset_boxes: dict[str, QCheckBox] = {}

        self.tabs = QTabWidget()
        self.tabs.addTab(self.findings_view, self.tr("Findings"))
        self.tabs.addTab(self.runs_panel, self.tr("Runs"))
        self.tabs.addTab(self.timeline, self.tr("Timeline"))
        self.tabs.addTab(self.sources_table, self.tr("Logs"))
        self.tabs.setEnabled(False)

        buttons = QHBoxLayout()
        buttons.addWidget(self.open_file_button)
        buttons.addWidget(self.open_folder_button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.input_label)
        layout.addWidget(self.progress_box)
        layout.addWidget(self.verdict)
        layout.addWidget(self.tabs, 1)

    @staticmethod
    def _plain_table(table: QTableWidget) -> None:
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.verticalHeader().setVisible(False)
        table.setWordWrap(False)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)

    # ---- QWizardPage -------------------------------------------------------------------------------------
    def initializePage(self) -> None:  # noqa: N802 - Qt override
        stop_with_window(self)

    def first_focus(self):
        return self.open_file_button

    def confirm_close(self) -> bool:
        return True  # nothing here can be lost: the logs are only read

    def shutdown(self) -> None:
        self._feed_timer.stop()
        if self._worker is not None:
            self._worker.shutdown()

    # ---- public API ----------------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._worker is not None and self._worker.running

    def choose_file(self) -> None:
        from wizard.ui import dialogs

        path = dialogs.choose_open_file(self, self.tr("Open a log or a zip"),
                                        self.tr("Logs and zips (*.log *.lo_ *.zip);;All files (*)"))
        if path:
            self.open_path(path)

    def choose_folder(self) -> None:
        from wizard.ui import dialogs

        path = dialogs.choose_directory(self, self.tr("Open a folder of logs"))
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path, *, conventions: dict[str, str] | None = None) -> None:
        """Diagnose a file, folder or zip (a running diagnosis is cancelled first)."""
        self.path = str(path)
        self._conventions = dict(conventions or {})
        self.input_label.setText(self.tr("Reading %1 …").replace("%1", self.path))
        self._start(lambda worker: worker.start(self.path, conventions=self._conventions))

    def set_offset_convention(self, source_path: str, offset: bool) -> None:
        """Read this source's bias as a UTC offset (script-written CMTrace logs) or as ConfigMgr's Windows bias,
        then merge again (no re-reading)."""
        if offset:
            self._conventions[source_path] = "offset"
        else:
            self._conventions.pop(source_path, None)
        if self.diagnosis is not None:
            previous = self.diagnosis
            self._start(lambda worker: worker.remerge(previous, dict(self._conventions)))

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()

    def export_markdown(self, path: str | None = None) -> str | None:
        """Write the findings as Markdown (asks where when `path` is None). Returns the path written."""
        from wizard.core.diagnose import to_markdown
        from wizard.core.profiles import atomic_write_text
        from wizard.ui import dialogs

        if self.diagnosis is None:
            return None
        if path is None:
            suggested = str(Path.home() / "ccmsetup-diagnosis.md")
            path = dialogs.choose_save_file(self, self.tr("Export findings"), MARKDOWN_FILTER, suggested)
            if not path:
                return None
        try:
            atomic_write_text(path, to_markdown(self.diagnosis))
        except OSError as exc:
            dialogs.show_error(self, self.tr("Cannot save"), self.tr("%1 could not be written: %2. Choose another "
                                                                    "folder.").replace("%1", str(path))
                               .replace("%2", exc.strerror or str(exc)))
            return None
        return str(path)

    # ---- running ---------------------------------------------------------------------------------------------
    def _start(self, launch) -> None:
        from wizard.ui.diagnose_worker import DiagnoseWorker

        if self._worker is None:
            self._worker = DiagnoseWorker(self)
            self._worker.progress.connect(self._progress)
            self._worker.finished.connect(self._finished)
            self._worker.failed.connect(self._failed)
            self._worker.cancelled.connect(self._cancelled)
        self._feed_timer.stop()
        self._pending = []
        self._steps = []
        self.progress_bar.setValue(0)
        self.progress_label.setText("")
        self.progress_box.setVisible(True)
        self.cancel_button.setEnabled(True)
        self.export_button.setEnabled(False)
        launch(self._worker)

    def _progress(self, done: int, total: int, path: str) -> None:
        self.progress_bar.setValue(int(1000 * done / total) if total else 0)
        if path:
            self.progress_label.setText(self.tr("Reading %1 (%2 of %3 MB)").replace("%1", path)
                                        .replace("%2", f"{done / 1e6:,.1f}").replace("%3", f"{total / 1e6:,.1f}"))

    def _failed(self, message: str) -> None:
        self.progress_box.setVisible(False)
        self.input_label.setText(self.tr("Cannot diagnose %1: %2").replace("%1", self.path or "")
                                 .replace("%2", message))
        self.diagnosisFailed.emit(message)

    def _cancelled(self) -> None:
        self.progress_box.setVisible(False)
        self.input_label.setText(self.tr("Reading %1 was cancelled.").replace("%1", self.path or ""))
        self.export_button.setEnabled(self.diagnosis is not None)

    def _finished(self, diagnosis: Any) -> None:
        self.diagnosis = diagnosis
        self._conventions = dict(diagnosis.conventions)
        self.progress_box.setVisible(False)
        records = sum(len(s.records) for s in diagnosis.sources)
        text = (self.tr("%1 — %2 log(s), %3 records, one ccmsetup run.") if len(diagnosis.runs) == 1 else
                self.tr("%1 — %2 log(s), %3 records, %4 ccmsetup runs."))
        self.input_label.setText(text.replace("%1", diagnosis.input).replace("%2", str(len(diagnosis.sources)))
                                 .replace("%3", f"{records:,}").replace("%4", str(len(diagnosis.runs))))
        self.tabs.setEnabled(True)
        self.export_button.setEnabled(True)
        # One part per event-loop turn, then the timeline in batches: the window stays responsive throughout.
        self._steps = [lambda: self._show_verdict(diagnosis), lambda: self._show_findings(diagnosis),
                       lambda: self._show_runs(diagnosis), lambda: self._show_sources(diagnosis)]
        self.timeline.clear()
        self._pending = list(diagnosis.timeline)
        self._pending.reverse()  # popped from the end in batches
        self._steps.pop(0)()  # the verdict at once
        self._feed_timer.start()
        if not diagnosis.readable:
            self.input_label.setText(self.tr("Nothing readable in %1: no log records were found (see Logs).")
                                     .replace("%1", diagnosis.input))
            self.tabs.setCurrentWidget(self.sources_table)
        self.diagnosisReady.emit(diagnosis)

    def _feed_timeline(self) -> None:
        if self._steps:
            self._steps.pop(0)()
            return
        if not self._pending:
            self._feed_timer.stop()
            return
        batch = self._pending[-FEED_BATCH:]
        del self._pending[-FEED_BATCH:]
        batch.reverse()
        self.timeline.append(batch)
        self.timeline.flush()
        if not self._pending:
            self._feed_timer.stop()

    @property
    def feeding(self) -> bool:
        """True while the result is still being shown (tables, then the timeline in batches)."""
        return bool(self._steps or self._pending)

    # ---- showing -----------------------------------------------------------------------------------------------
    def _show_verdict(self, d: Any) -> None:
        root = d.root_cause
        if root is not None:
            icon_name = _SEVERITY_ICON.get(root.severity, "info")
            title = root.title
            fix = self.tr("Fix: %1").replace("%1", root.fix) if root.fix else ""
        elif d.runs:
            last = d.runs[-1]
            icon_name = _STATE_ICON.get(last.outcome.state, "info")
            title = self.tr("No problem found: the last ccmsetup run %1.").replace("%1", last.outcome.state)
            registration = last.after.as_dict()["registration"]
            if registration["state"] == "registered":
                title = self.tr("No problem found: the last ccmsetup run %1 and the client registered%2.") \
                    .replace("%1", last.outcome.state).replace(
                        "%2", self.tr(" (approval %1)").replace("%1", str(registration["approval_status"]))
                        if registration["approval_status"] is not None else "")
            fix = ""
        else:
            icon_name = "info"
            title = self.tr("No ccmsetup run and no known problem in these logs.")
            fix = ""
        self.verdict_icon.setPixmap(icons.pixmap(icon_name, 24, self.devicePixelRatioF()))
        self.verdict_title.setText(title)
        self.verdict_fix.setText(fix)
        self.verdict_fix.setVisible(bool(fix))
        self.verdict.setVisible(True)

    def _show_findings(self, d: Any) -> None:
        from wizard.core.diagnose import mask

        rows = []
        for finding in d.findings:
            icon_file = icons.icon_path(_SEVERITY_ICON.get(finding.severity, "info")).as_uri()
            label = self.tr("Root cause: ") if finding.root_cause else ""
            parts = [f"<b>{html.escape(label + finding.title)}</b>"]
            if finding.meaning:
                parts.append(html.escape(finding.meaning))
            if finding.fix:
                parts.append(f"<i>{html.escape(self.tr('Fix:'))}</i> {html.escape(finding.fix)}")
            for entry in finding.evidence:
                where = f"{entry.source.path}:{entry.line}"
                when = self._when(entry)
                text = mask(entry.message.splitlines()[0] if entry.message else "")[:160]
                target = d.position(entry)
                link = (f'<a href="entry:{target}">{html.escape(where)}</a>' if target >= 0
                        else html.escape(where))
                parts.append(f"<small>{link} {html.escape(when)} — <tt>{html.escape(text)}</tt></small>")
            if finding.doc:
                parts.append(f'<small><a href="{html.escape(finding.doc)}">{html.escape(self.tr("Documentation"))}'
                             "</a></small>")
            rows.append(f'<tr><td valign="top" width="22"><img src="{icon_file}" width="16" height="16"></td>'
                        f"<td>{'<br>'.join(parts)}</td></tr>")
        if not rows:
            icon_file = icons.icon_path("pass").as_uri()
            rows.append(f'<tr><td width="22"><img src="{icon_file}" width="16" height="16"></td><td>'
                        f"{html.escape(self.tr('Nothing wrong found in these logs.'))}</td></tr>")
        self.findings_view.setHtml('<table cellspacing="6">' + "".join(rows) + "</table>")

    def _show_runs(self, d: Any) -> None:
        from wizard.core.diagnose.report import after_line

        self.runs_table.setRowCount(len(d.runs))
        for row, run in enumerate(d.runs):
            o = run.outcome
            code = o.error_code or ("" if o.return_code is None else str(o.return_code))
            meaning = o.explanation.title if o.explanation is not None else ""
            values = [(run.started_utc or "")[:19].replace("T", " "), (run.ended_utc or "")[:19].replace("T", " "),
                      o.state, code, meaning, after_line(run)]
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                if column == 2:
                    item.setIcon(icons.icon(_STATE_ICON.get(o.state, "info")))
                if column == 4 and o.explanation is not None:
                    item.setToolTip(f"{o.explanation.meaning}\n{self.tr('Fix:')} {o.explanation.action}")
                if column == 5:
                    item.setToolTip(value)
                self.runs_table.setItem(row, column, item)
        if d.runs:
            self.runs_table.setCurrentCell(len(d.runs) - 1, 0)
        self._show_run_details(len(d.runs) - 1)

    def _when(self, entry: Any) -> str:
        utc = entry.utc_iso()
        if utc:
            return utc
        local = entry.local_iso()
        return f"{local} {self.tr('(local)')}" if local else self.tr("(no time)")

    def _entry_link(self, entry: Any) -> str:
        """`path:line` as a link to the entry in the Timeline tab, with its time."""
        if entry is None:
            return ""
        target = self.diagnosis.position(entry) if self.diagnosis is not None else -1
        where = html.escape(f"{entry.source.path}:{entry.line}")
        when = self._when(entry)
        link = f'<a href="entry:{target}">{where}</a>' if target >= 0 else where
        return f"<small>{link} {html.escape(when)}</small>"

    def _show_run_details(self, row: int) -> None:
        d = self.diagnosis
        if d is None or not 0 <= row < len(d.runs):
            self.run_details.clear()
            return
        run = d.runs[row]
        o = run.outcome
        parts = [f"<b>{html.escape(self.tr('Run %1: %2').replace('%1', str(row + 1)).replace('%2', o.state))}</b>"
                 f" — {html.escape(o.summary)}", self._entry_link(run.start) + " … " + self._entry_link(run.end)]
        if run.command:
            parts.append(f"<small>{html.escape(self.tr('Command:'))} <tt>{html.escape(run.command)}</tt></small>")
        if o.explanation is not None and o.state != "succeeded":
            e = o.explanation
            parts.append(f"<b>{html.escape(e.title)}</b>: {html.escape(e.meaning)}")
            if e.cause:
                parts.append(f"<i>{html.escape(self.tr('Likely cause:'))}</i> {html.escape(e.cause)}")
            if e.action:
                parts.append(f"<i>{html.escape(self.tr('Fix:'))}</i> {html.escape(e.action)}")
        parts.append(f"<b>{html.escape(self.tr('What followed it'))}</b>")
        after = run.after.as_dict()
        for label, value in self._after_rows(after):
            parts.append(f"&nbsp;&nbsp;{html.escape(label)}: {value}")
        self.run_details.setHtml("<br>".join(parts))

    def _after_rows(self, after: dict) -> list[tuple[str, str]]:
        def ev(item: dict | None) -> str:
            if not item or not item.get("evidence"):
                return ""
            entry = self._evidence_entry(item["evidence"])
            return " " + self._entry_link(entry) if entry is not None else ""

        reg = after["registration"]
        state = {"no-log": self.tr("unknown (ClientIDManagerStartup.log is not among these logs)"),
                 "not-seen": self.tr("nothing logged after this run")}.get(reg["state"], reg["state"])
        if reg.get("approval_status") is not None:
            state += self.tr(", approval status %1").replace("%1", str(reg["approval_status"]))
        if reg.get("method"):
            state += self.tr(", %1 auth").replace("%1", reg["method"].upper())
        if reg.get("explanation"):
            state += f" — {reg['explanation']['title']}. {self.tr('Fix:')} {reg['explanation']['action']}"
        rows = [(self.tr("Registration"), html.escape(state) + ev(reg))]
        token = after["entra_token"]
        if token:
            text = token["state"] + (f" ({token['kind']})" if token.get("kind") else "")
            if token.get("error"):
                text += self.tr(", error %1").replace("%1", token["error"])
            if token.get("fell_back"):
                text += self.tr(", after a failed request")
            rows.append((self.tr("Entra token"), html.escape(text) + ev(token)))
        else:
            rows.append((self.tr("Entra token"), html.escape(self.tr("not seen"))))
        site = after["site"]
        rows.append((self.tr("Site"), html.escape(site["site_code"]) + ev(site) if site else
                     html.escape(self.tr("not seen"))))
        mp = after["management_point"]
        if mp:
            label = self.tr("CMG") if mp["cmg"] else self.tr("Management point")
            how = self.tr(" (used by ccmsetup)") if mp["source"] == "setup" else ""
            rows.append((label, html.escape(mp["address"] + how) + ev(mp)))
        else:
            rows.append((self.tr("Management point"), html.escape(self.tr("not seen"))))
        return rows

    def _evidence_entry(self, evidence: dict) -> Any:
        return self.diagnosis.entry_at(evidence["path"], evidence["line"])

    def _show_sources(self, d: Any) -> None:
        from wizard.core.diagnose.timeline import CONFIGMGR_KINDS

        self.sources_table.setRowCount(len(d.sources))
        self._offset_boxes = {}
        for row, source in enumerate(d.sources):
            bias = d.bias_minutes(source)
            values = [source.path, source.kind, f"{len(source.records):,}",
                      "" if bias is None else f"{bias:+d}", "; ".join(d.problems(source))]
            flippable = bias is not None and source.kind not in CONFIGMGR_KINDS
            for column, value in enumerate(values):
                item = QTableWidgetItem("" if column == 3 and flippable else value)
                item.setData(Qt.ItemDataRole.UserRole, value)
                if column == 3 and bias is not None and not flippable:
                    item.setToolTip(self.tr("ConfigMgr writes the Windows bias: UTC = local + bias."))
                if column == 4 and value:
                    item.setToolTip(value)
                    item.setIcon(icons.icon("warn"))
                self.sources_table.setItem(row, column, item)
            if flippable:
                box = QCheckBox(self.tr("UTC offset"))
                box.setToolTip(self.tr("Read this log's bias as a UTC offset (minutes east of UTC), as scripts "
                                       "writing CMTrace-format logs do. ConfigMgr's own logs write the Windows "
                                       "bias (UTC = local + bias)."))
                box.setAccessibleName(self.tr("Read the bias of %1 as a UTC offset").replace("%1", source.path))
                box.setChecked(d.convention(source) == "offset")
                box.toggled.connect(lambda on, p=source.path: self.set_offset_convention(p, on))
                self.sources_table.setCellWidget(row, 3, self._bias_cell(values[3], box))
                self._offset_boxes[source.path] = box
        self.sources_table.resizeRowsToContents()

    @staticmethod
    def _bias_cell(text: str, box: QCheckBox) -> QFrame:
        cell = QFrame()
        row = QHBoxLayout(cell)
        row.setContentsMargins(4, 0, 4, 0)
        row.addWidget(QLabel(text))
        row.addStretch(1)
        row.addWidget(box)
        return cell

    # ---- navigation ---------------------------------------------------------------------------------------------
    def _anchor_clicked(self, url: QUrl) -> None:
        text = url.toString()
        if text.startswith("entry:"):
            self.show_entry(int(text.split(":", 1)[1]))
        else:
            from PySide6.QtGui import QDesktopServices

            QDesktopServices.openUrl(url)

    def show_entry(self, index: int) -> None:
        """Show timeline entry `index` (its position in `diagnosis.timeline`) in the Timeline tab."""
        if self.diagnosis is None:
            return
        while self._steps or self._pending:
            self._feed_timeline()
        self.timeline.set_filter_text("")
        self.tabs.setCurrentWidget(self.timeline)
        row = self.timeline.model.row_for_source(index)
        if row >= 0:
            self.timeline.select_row(row)

    def _run_activated(self, row: int, _column: int) -> None:
        if self.diagnosis is None or row >= len(self.diagnosis.runs):
            return
        index = self.diagnosis.position(self.diagnosis.runs[row].start)
        if index >= 0:
            self.show_entry(index)
