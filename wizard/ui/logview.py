"""LogView: a CMTrace-like live log table with filter, error navigation, copy and a detail pane.

The view follows the tail only while the user is at the bottom: scrolling up to read something stops the
following, scrolling back to the end (or pressing End / "Follow new lines") resumes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from wizard.ui.logmodel import (
    SHOW_ALL,
    SHOW_ERRORS,
    SHOW_WARNINGS_AND_ERRORS,
    TIME_LOCAL,
    TIME_UTC,
    TYPE_ERROR,
    TYPE_WARNING,
    Column,
    LogTableModel,
    format_time,
    format_utc,
    palette_is_dark,
    record_as_tsv,
)

FILTER_DEBOUNCE_MS = 300

def _explain(message: str, scenario: str | None) -> Any:
    from wizard.core.explain import explain_message

    try:
        return explain_message(message, scenario)
    except ValueError:  # a damaged error table must not break the log view
        return None




class _LogTable(QTableView):
    """QTableView whose Ctrl+C copies the selected rows as CMTrace does."""

    copyRequested = Signal()
    nextErrorRequested = Signal()
    previousErrorRequested = Signal()

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        # F8 also works through the window shortcut; handling it here keeps it working when the window is
        # not the active one (shortcuts need an active window).
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copyRequested.emit()
        elif event.key() == Qt.Key.Key_F8 and event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.previousErrorRequested.emit()
        elif event.key() == Qt.Key.Key_F8:
            self.nextErrorRequested.emit()
        else:
            super().keyPressEvent(event)
            return
        event.accept()


class _FilterEdit(QLineEdit):
    """The filter box. Alt+letter is a mnemonic (Alt+N = Next, Alt+B = Back), never text: when the button it
    names is disabled, Qt hands the key press to the focused widget, and a QLineEdit would type the letter and
    hide rows. AltGr (Ctrl+Alt on Windows) still types."""

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        modifiers = event.modifiers()
        if modifiers & Qt.KeyboardModifier.AltModifier and not modifiers & Qt.KeyboardModifier.ControlModifier:
            event.ignore()
            return
        super().keyPressEvent(event)


class LogView(QWidget):
    """Live log table + filter + Next/Previous error + detail pane, over a LogTableModel.

    For a merged, finished timeline (Diagnose): `source_column=True` adds the file:line column, `time_toggle=True`
    a UTC / local time switch (`time_combo`, UTC first), `follow=False` drops "Follow new lines"."""

    #: the "follow the tail" state changed (True = the view scrolls to new lines)
    followingChanged = Signal(bool)

    def __init__(self, parent: QWidget | None = None, *, model: LogTableModel | None = None,
                 source_column: bool = False, time_toggle: bool = False, follow: bool = True) -> None:
        super().__init__(parent)
        self._model = model or LogTableModel(self)
        self._following = follow
        self._time_toggle = time_toggle
        if source_column:
            self._model.set_show_source(True)
        #: scenario id used to pick scenario-specific advice for known errors in the detail pane
        self.scenario: str | None = None

        self.filter_edit = _FilterEdit(self)
        self.filter_edit.setPlaceholderText(self.tr("Filter: text in the message or component"))
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName(self.tr("Log filter"))
        self.filter_edit.setToolTip(self.tr("Show only lines containing this text (Ctrl+F)"))

        self.severity_combo = QComboBox(self)
        self.severity_combo.addItem(self.tr("All lines"), SHOW_ALL)
        self.severity_combo.addItem(self.tr("Warnings and errors"), SHOW_WARNINGS_AND_ERRORS)
        self.severity_combo.addItem(self.tr("Errors only"), SHOW_ERRORS)
        self.severity_combo.setAccessibleName(self.tr("Severity filter"))

        self.previous_error_button = QPushButton(self.tr("Previous error"), self)
        self.previous_error_button.setAccessibleName(self.tr("Previous error"))
        self.previous_error_button.setToolTip(self.tr("Select the previous error line (Shift+F8)"))
        self.next_error_button = QPushButton(self.tr("Next error"), self)
        self.next_error_button.setAccessibleName(self.tr("Next error"))
        self.next_error_button.setToolTip(self.tr("Select the next error line (F8)"))
        self.time_combo = QComboBox(self)
        self.time_combo.addItem(self.tr("UTC"), TIME_UTC)
        self.time_combo.addItem(self.tr("Local time"), TIME_LOCAL)
        self.time_combo.setAccessibleName(self.tr("Time shown"))
        self.time_combo.setToolTip(self.tr("UTC merges logs written in different time zones; local time is what "
                                           "each log says. Lines without a time-zone bias show local time."))
        self.time_combo.setVisible(time_toggle)
        if time_toggle:
            self._model.set_time_mode(TIME_UTC)
        self.follow_button = QPushButton(self.tr("Follow new lines"), self)
        self.follow_button.setCheckable(True)
        self.follow_button.setChecked(follow)
        self.follow_button.setVisible(follow)
        self.follow_button.setAccessibleName(self.tr("Follow new lines"))
        self.follow_button.setToolTip(
            self.tr("Keep the newest line in view. Scrolling up pauses this; scrolling to the end resumes it.")
        )

        self.table = _LogTable(self)
        self.table.setModel(self._model)
        self.table.setAccessibleName(self.tr("Log lines"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setSortingEnabled(False)
        self.table.setShowGrid(False)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        vertical = self.table.verticalHeader()
        vertical.setVisible(False)
        # Fixed row heights: never measure 200k rows.
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setHighlightSections(False)
        header.setSectionResizeMode(Column.MESSAGE, QHeaderView.ResizeMode.Stretch)
        metrics = self.fontMetrics()
        for column, sample in (
            (Column.COMPONENT, "ccmsetup__component"),
            (Column.DATETIME, "2026-12-31 23:59:59.999 (local)_" if time_toggle else "2026-12-31 23:59:59.999__"),
            (Column.THREAD, "Thread__"),
            (Column.SOURCE, "ClientLocation.log:1234_"),
        ):
            if column >= self._model.columnCount():
                continue
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, metrics.horizontalAdvance(sample))

        copy_action = QAction(self.tr("Copy selected lines"), self.table)
        copy_action.triggered.connect(self.copy_selection)
        self.table.addAction(copy_action)
        self.table.copyRequested.connect(self.copy_selection)
        self.table.nextErrorRequested.connect(self.select_next_error)
        self.table.previousErrorRequested.connect(self.select_previous_error)

        self.detail = QPlainTextEdit(self)
        self.detail.setReadOnly(True)
        self.detail.setAccessibleName(self.tr("Selected line details"))
        self.detail.setPlaceholderText(self.tr("Select a line to see its full text."))
        self.detail.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)

        self.status_label = QLabel(self)
        self.status_label.setAccessibleName(self.tr("Log line counts"))

        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 4)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.detail.setMinimumHeight(metrics.height() * 3)

        tools = QHBoxLayout()
        tools.addWidget(self.filter_edit, 1)
        tools.addWidget(self.severity_combo)
        tools.addWidget(self.previous_error_button)
        tools.addWidget(self.next_error_button)
        tools.addWidget(self.time_combo)
        tools.addWidget(self.follow_button)
        footer = QHBoxLayout()
        footer.addWidget(self.status_label, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(tools)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(footer)

        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DEBOUNCE_MS)
        self._filter_timer.timeout.connect(self.apply_filter)
        self.filter_edit.textChanged.connect(self._filter_timer.start)
        self.severity_combo.currentIndexChanged.connect(self.apply_filter)
        self.time_combo.currentIndexChanged.connect(self._time_mode_changed)
        self.next_error_button.clicked.connect(self.select_next_error)
        self.previous_error_button.clicked.connect(self.select_previous_error)
        self.follow_button.clicked.connect(self._follow_clicked)
        self.table.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.table.verticalScrollBar().rangeChanged.connect(self._range_changed)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self._model.rowsInserted.connect(self._rows_inserted)
        self._model.modelReset.connect(self._model_reset)
        self._model.countsChanged.connect(self._update_status)

        for keys, slot in (
            (QKeySequence(Qt.Key.Key_F8), self.select_next_error),
            (QKeySequence(Qt.Modifier.SHIFT | Qt.Key.Key_F8), self.select_previous_error),
            (QKeySequence(QKeySequence.StandardKey.Find), self._focus_filter),
        ):
            shortcut = QShortcut(keys, self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(slot)

        self.setTabOrder(self.filter_edit, self.severity_combo)
        self.setTabOrder(self.severity_combo, self.previous_error_button)
        self.setTabOrder(self.previous_error_button, self.next_error_button)
        self.setTabOrder(self.next_error_button, self.time_combo)
        self.setTabOrder(self.time_combo, self.follow_button)
        self.setTabOrder(self.follow_button, self.table)
        self.setTabOrder(self.table, self.detail)
        self._update_status()

    # ---- public API ----------------------------------------------------------------------------------
    @property
    def model(self) -> LogTableModel:
        return self._model

    @property
    def following(self) -> bool:
        """True while new lines scroll into view."""
        return self._following

    def append(self, records: Iterable[Any]) -> None:
        """Queue records for the next batched insert."""
        self._model.append(records)

    def flush(self) -> None:
        """Insert queued records now (tests and screenshots; the model's timer does it otherwise)."""
        self._model.flush()

    def clear(self) -> None:
        self._model.clear()
        self.detail.clear()

    def set_filter_text(self, text: str) -> None:
        """Set the filter box and apply it at once (no debounce)."""
        self.filter_edit.setText(text)
        self.apply_filter()

    def apply_filter(self) -> None:
        self._filter_timer.stop()
        row = self.current_row()
        source = self._model.source_index(row) if 0 <= row < self._model.rowCount() else -1
        self._model.set_filter(self.filter_edit.text(), int(self.severity_combo.currentData()))
        # Keep the same record selected when it is still shown; otherwise stay with the tail.
        new_row = self._model.row_for_source(source) if source >= 0 else -1
        if new_row >= 0:
            self.select_row(new_row)
        elif self._following:
            self.table.scrollToBottom()

    def current_row(self) -> int:
        index = self.table.currentIndex()
        return index.row() if index.isValid() else -1

    def current_record(self) -> Any | None:
        row = self.current_row()
        if 0 <= row < self._model.rowCount():
            return self._model.record(row)
        return None

    def select_row(self, row: int) -> None:
        """Make ``row`` current and selected and scroll it to the middle; stops following the tail."""
        if not 0 <= row < self._model.rowCount():
            return
        index = self._model.index(row, Column.MESSAGE)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        self._set_following(self._at_bottom())

    def select_next_error(self) -> int:
        """Select the next error line (wrapping); returns its row or -1 when there is no error."""
        row = self._model.next_error_row(self.current_row())
        if row >= 0:
            self.select_row(row)
        return row

    def select_previous_error(self) -> int:
        current = self.current_row()
        row = self._model.previous_error_row(current if current >= 0 else self._model.rowCount())
        if row >= 0:
            self.select_row(row)
        return row

    def selected_rows(self) -> list[int]:
        return sorted({index.row() for index in self.table.selectionModel().selectedIndexes()})

    def selection_text(self) -> str:
        """Selected rows as CMTrace copies them: one line per record, fields tab-separated."""
        return "\n".join(record_as_tsv(self._model.record(row)) for row in self.selected_rows())

    def copy_selection(self) -> str:
        text = self.selection_text()
        if text:
            QGuiApplication.clipboard().setText(text)
        return text

    def set_time_mode(self, mode: str) -> None:
        """Show UTC (TIME_UTC) or local times (TIME_LOCAL) in the Date/Time column."""
        index = self.time_combo.findData(mode)
        if index >= 0:
            self.time_combo.setCurrentIndex(index)
        self._model.set_time_mode(mode)

    def _time_mode_changed(self, _index: int) -> None:
        self._model.set_time_mode(str(self.time_combo.currentData()))
        self._refresh_detail()

    def set_following(self, follow: bool) -> None:
        """Turn following on (scrolls to the newest line) or off."""
        self._set_following(follow)
        if follow:
            self.table.scrollToBottom()

    # ---- internals -----------------------------------------------------------------------------------
    def _at_bottom(self) -> bool:
        bar = self.table.verticalScrollBar()
        return bar.value() >= bar.maximum()

    def _set_following(self, follow: bool) -> None:
        if follow == self._following:
            return
        self._following = follow
        self.follow_button.setChecked(follow)
        self.followingChanged.emit(follow)

    def _follow_clicked(self, checked: bool) -> None:
        self.set_following(checked)

    def _scrolled(self, _value: int) -> None:
        # The user scrolled: follow only if they are (back) at the end.
        self._set_following(self._at_bottom())

    def _range_changed(self, _minimum: int, _maximum: int) -> None:
        # New rows grew the range; keep the newest line in view when following.
        if self._following:
            self.table.scrollToBottom()

    def _rows_inserted(self, _parent: QModelIndex, _first: int, _last: int) -> None:
        if self._following:
            self.table.scrollToBottom()

    def _model_reset(self) -> None:
        self.detail.clear()
        self._update_status()

    def _focus_filter(self) -> None:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            self.detail.clear()
            return
        record = self._model.record(current.row())
        self.detail.setPlainText(self._describe(record))

    def _refresh_detail(self) -> None:
        record = self.current_record()
        if record is not None:
            self.detail.setPlainText(self._describe(record))

    def _describe(self, record: Any) -> str:
        severity = {
            0: self.tr("Verbose"),
            TYPE_WARNING: self.tr("Warning"),
            TYPE_ERROR: self.tr("Error"),
        }.get(record.type, self.tr("Information"))
        parts = [record.message, ""]
        facts = [
            (self.tr("Severity"), severity),
            (self.tr("Component"), record.component or ""),
            (self.tr("Date/Time"), format_time(record.time)),
            (self.tr("UTC"), format_utc(record) if self._time_toggle and getattr(record, "utc_time", None)
             is not None else ""),
            (self.tr("Thread"), "" if record.thread is None else str(record.thread)),
            (self.tr("Source"), getattr(record, "file", "") or ""),
            (self.tr("Log"), getattr(record, "source_full", "") or ""),
        ]
        parts.append("   ".join(f"{name}: {value}" for name, value in facts if value))
        if record.type >= TYPE_WARNING:
            explanation = _explain(record.message, self.scenario)
            if explanation is not None:
                parts += ["", self.tr("Known error %1: %2").replace("%1", explanation.code).replace(
                    "%2", explanation.title)]
                if explanation.action:
                    parts.append(self.tr("What to do: %1").replace("%1", explanation.action))
        return "\n".join(parts)

    def _update_status(self) -> None:
        model = self._model
        text = self.tr("%1 lines, %2 errors, %3 warnings")
        text = text.replace("%1", f"{model.total_count:,}").replace("%2", f"{model.error_count:,}")
        text = text.replace("%3", f"{model.warning_count:,}")
        if model.is_filtered:
            shown = self.tr("%1 shown").replace("%1", f"{model.rowCount():,}")
            text = f"{text} \u2014 {shown}"
        self.status_label.setText(text)
        has_errors = bool(model.visible_error_rows)
        self.next_error_button.setEnabled(has_errors)
        self.previous_error_button.setEnabled(has_errors)

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.PaletteChange:
            self._model.set_dark_palette(palette_is_dark(self.palette()))
        super().changeEvent(event)
