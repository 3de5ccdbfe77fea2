"""Table model over parsed log records (CMTrace-like), built for live tails of 100k+ rows.

Why it looks the way it does (engineering-notes section 3, measured on this box):
- rows are the parser's LogRecord tuples in a plain Python list; ``data()`` only answers the roles we need;
- ``append()`` only queues; a ~150 ms timer inserts everything queued with one begin/endInsertRows pair;
- filtering runs over our own precomputed lowercase text in one list comprehension, never through a
  QSortFilterProxyModel (a Python ``data()`` call per row per operation: seconds at 300k rows);
- error rows are indexed as they arrive so "next error" is a bisect, not a scan;
- secrets are masked once per record as it enters the model (ccmsetup echoes its command line, token and
  all, into ccmsetup.log), so the table, the detail pane, copies and the filter only ever see masked text.
  A cheap substring test on the lowercase text picks the few records that could hold a secret.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QPalette

# CMTrace severities (LogRecord.type).
TYPE_VERBOSE = 0
TYPE_INFO = 1
TYPE_WARNING = 2
TYPE_ERROR = 3

FLUSH_INTERVAL_MS = 150

# Severity filter levels for set_filter(min_type=...).
SHOW_ALL = 0
SHOW_WARNINGS_AND_ERRORS = TYPE_WARNING
SHOW_ERRORS = TYPE_ERROR

# Computed once: enum arithmetic in a per-cell call shows up in profiles.
_ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

RecordRole = Qt.ItemDataRole.UserRole + 1  # the whole LogRecord of the row
SeverityRole = Qt.ItemDataRole.UserRole + 2  # LogRecord.type as an int


class Column(IntEnum):
    MESSAGE = 0
    COMPONENT = 1
    DATETIME = 2
    THREAD = 3
    SOURCE = 4  # only with show_source (Diagnose: the log file and line of each record)


# Date/Time column: the local wall time as written, or UTC for records that know it (Diagnose timeline).
TIME_LOCAL = "local"
TIME_UTC = "utc"


def _tr(text: str) -> str:
    return QCoreApplication.translate("LogTableModel", text)


def _header_titles() -> tuple[str, ...]:
    return (_tr("Log text"), _tr("Component"), _tr("Date/Time"), _tr("Thread"), _tr("Source"))


def format_time(value: datetime | None) -> str:
    """Local wall time as written in the log, to the millisecond."""
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"


def first_line(message: str) -> str:
    """The table shows one line per record; the detail pane shows the rest."""
    cut = message.find("\n")
    if cut < 0:
        return message.rstrip("\r")
    return message[:cut].rstrip("\r") + " \u2026"


def record_as_tsv(record: Any) -> str:
    """One record the way CMTrace copies a row: text, component, date/time, thread, tab-separated (plus the
    source file and line for records that carry one)."""
    thread = "" if record.thread is None else str(record.thread)
    fields = [record.message, record.component or "", format_time(record.time), thread]
    source = getattr(record, "source_full", None)
    if source:
        fields.append(source)
    return "\t".join(fields)


def format_utc(record: Any) -> str:
    """UTC time of a record that knows it; otherwise its local time marked as such."""
    utc = getattr(record, "utc_time", None)
    if utc is not None:
        return format_time(utc)
    local = format_time(record.time)
    return f"{local} {_tr('(local)')}" if local else ""


def palette_is_dark(palette: QPalette | None = None) -> bool:
    palette = palette or QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


class SeverityColors:
    """Foreground/background brushes per severity. Both are set explicitly for coloured rows so the
    text stays readable whatever the palette; the light set follows CMTrace (red and yellow rows)."""

    def __init__(self, dark: bool) -> None:
        if dark:
            error_bg, error_fg = QColor(0x6E, 0x1B, 0x1B), QColor(0xFF, 0xE0, 0xE0)
            warning_bg, warning_fg = QColor(0x5C, 0x4A, 0x00), QColor(0xFF, 0xF4, 0xC2)
        else:
            error_bg, error_fg = QColor(0xFF, 0x9E, 0x9E), QColor(0x00, 0x00, 0x00)
            warning_bg, warning_fg = QColor(0xFF, 0xF1, 0x76), QColor(0x00, 0x00, 0x00)
        self.dark = dark
        self.background = {TYPE_ERROR: QBrush(error_bg), TYPE_WARNING: QBrush(warning_bg)}
        self.foreground = {TYPE_ERROR: QBrush(error_fg), TYPE_WARNING: QBrush(warning_fg)}


class MessageRedactor:
    """Masks secrets (`wizard.core.redact.redact`) in record messages. `redact()` runs a handful of regular
    expressions, so it is only called for messages whose lowercase text contains a marker: a secret
    switch or property name, the start of any JWT, or one of the plan's secret values."""

    def __init__(self, plan: Any = None) -> None:
        from wizard.core.redact import secret_markers

        self.plan = plan
        self.markers = secret_markers(plan)

    def may_hold_secret(self, lowered: str) -> bool:
        return any(marker in lowered for marker in self.markers)

    def candidates(self, lowered: Sequence[str]) -> list[int]:
        """Positions of the texts that contain a marker (one comprehension per marker: about three times
        faster than a per-text `any()`, which matters at 200k rows)."""
        found: set[int] = set()
        for marker in self.markers:
            found.update([at for at, text in enumerate(lowered) if marker in text])
        return sorted(found)

    def mask(self, record: Any, lowered: str) -> tuple[Any, str]:
        """`(record, lowered search text)` with the secrets in the message masked."""
        if not self.may_hold_secret(lowered):
            return record, lowered
        from wizard.core.redact import redact

        masked = redact(record.message, self.plan)
        if masked == record.message:
            return record, lowered
        record = record._replace(message=masked)
        return record, _search_key(record)


class LogTableModel(QAbstractTableModel):
    """Rows of LogRecord tuples; ``append()`` queues, the flush timer inserts in batches.

    Row numbers are *visible* rows (after the filter). ``record(row)`` returns the LogRecord of a visible row.
    """

    #: emitted after a batch was added: (records added to the model, rows that became visible)
    batchInserted = Signal(int, int)
    #: emitted when the filter changed the visible rows
    filterApplied = Signal()
    #: emitted when the counts (total, errors, warnings) changed
    countsChanged = Signal()

    def __init__(self, parent: QObject | None = None, *, flush_interval_ms: int = FLUSH_INTERVAL_MS,
                 show_source: bool = False) -> None:
        super().__init__(parent)
        self._show_source = show_source
        self._time_mode = TIME_LOCAL
        self._records: list[Any] = []
        self._search_text: list[str] = []  # lowercase "message\ncomponent", parallel to _records
        self._pending: list[Any] = []
        # None = no filter (visible row == record index); else the sorted record indexes shown.
        self._shown: list[int] | None = None
        self._filter_text = ""
        self._filter_min_type = SHOW_ALL
        self._error_records: list[int] = []  # record indexes with type 3, ascending
        self._warning_count = 0
        self._visible_errors: list[int] = []  # visible row numbers of errors, ascending
        self._colors = SeverityColors(palette_is_dark())
        self._headers = _header_titles()
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(flush_interval_ms)
        self._flush_timer.timeout.connect(self.flush)
        self._redactor = MessageRedactor()

    # ---- columns -------------------------------------------------------------------------------------
    @property
    def show_source(self) -> bool:
        return self._show_source

    def set_show_source(self, show: bool) -> None:
        """Add (or remove) the Source column: `record.source_label` (e.g. `ClientIDManagerStartup.log:7`), with
        `record.source_full` (the path inside the input) as its tooltip."""
        if show == self._show_source:
            return
        self.beginResetModel()
        self._show_source = show
        self.endResetModel()

    @property
    def time_mode(self) -> str:
        return self._time_mode

    def set_time_mode(self, mode: str) -> None:
        """TIME_LOCAL: the time as written; TIME_UTC: `record.utc_time` where known, else local marked so."""
        if mode not in (TIME_LOCAL, TIME_UTC):
            raise ValueError(f"time mode must be {TIME_LOCAL!r} or {TIME_UTC!r}, not {mode!r}")
        if mode == self._time_mode:
            return
        self._time_mode = mode
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, Column.DATETIME, Column.DATETIME)
        if self.rowCount():
            self.dataChanged.emit(self.index(0, Column.DATETIME), self.index(self.rowCount() - 1, Column.DATETIME),
                                  [Qt.ItemDataRole.DisplayRole])

    def set_redaction_plan(self, plan: Any) -> None:
        """Also mask this plan's own secret values (the token it launches with) in records added from now on."""
        self._redactor = MessageRedactor(plan)

    # ---- feeding -------------------------------------------------------------------------------------
    def append(self, records: Iterable[Any]) -> None:
        """Queue records; they appear at the next flush (timer), never row by row."""
        self._pending.extend(records)
        if self._pending and not self._flush_timer.isActive():
            self._flush_timer.start()

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    def flush(self) -> int:
        """Insert everything queued now (also called by the timer). Returns the number of visible rows added."""
        self._flush_timer.stop()
        if not self._pending:
            return 0
        batch, self._pending = self._pending, []
        first_record = len(self._records)
        lowered = [_search_key(r) for r in batch]
        for at in self._redactor.candidates(lowered):
            batch[at], lowered[at] = self._redactor.mask(batch[at], lowered[at])
        new_indexes = range(first_record, first_record + len(batch))
        errors = [i for i, r in zip(new_indexes, batch, strict=True) if r.type == TYPE_ERROR]
        self._warning_count += sum(1 for r in batch if r.type == TYPE_WARNING)
        if self._shown is None:
            visible_new = list(new_indexes)
        else:
            visible_new = self._matching(new_indexes, batch, lowered)
        first_row = self.rowCount()
        if visible_new:
            self.beginInsertRows(QModelIndex(), first_row, first_row + len(visible_new) - 1)
        self._records.extend(batch)
        self._search_text.extend(lowered)
        self._error_records.extend(errors)
        if self._shown is None:
            self._visible_errors.extend(errors)
        else:
            error_set = set(errors)
            self._visible_errors.extend(
                first_row + offset for offset, i in enumerate(visible_new) if i in error_set
            )
            self._shown.extend(visible_new)
        if visible_new:
            self.endInsertRows()
        self.batchInserted.emit(len(batch), len(visible_new))
        self.countsChanged.emit()
        return len(visible_new)

    def clear(self) -> None:
        self._flush_timer.stop()
        self.beginResetModel()
        self._records.clear()
        self._search_text.clear()
        self._pending.clear()
        self._error_records.clear()
        self._visible_errors.clear()
        self._warning_count = 0
        if self._shown is not None:
            self._shown = []
        self.endResetModel()
        self.countsChanged.emit()

    # ---- filtering -----------------------------------------------------------------------------------
    @property
    def filter_text(self) -> str:
        return self._filter_text

    @property
    def filter_min_type(self) -> int:
        return self._filter_min_type

    @property
    def is_filtered(self) -> bool:
        return self._shown is not None

    def set_filter(self, text: str = "", min_type: int = SHOW_ALL) -> None:
        """Show only records whose message or component contains ``text`` (case-insensitive) and whose
        severity is at least ``min_type`` (SHOW_ALL, SHOW_WARNINGS_AND_ERRORS, SHOW_ERRORS)."""
        text = text.strip()
        if text == self._filter_text and min_type == self._filter_min_type:
            return
        self._filter_text = text
        self._filter_min_type = min_type
        self.beginResetModel()
        if not text and min_type <= SHOW_ALL:
            self._shown = None
            self._visible_errors = list(self._error_records)
        else:
            self._shown = self._matching(range(len(self._records)), self._records, self._search_text)
            errors = set(self._error_records)
            self._visible_errors = [row for row, i in enumerate(self._shown) if i in errors]
        self.endResetModel()
        self.filterApplied.emit()

    def _matching(self, indexes: Sequence[int], records: Sequence[Any], lowered: Sequence[str]) -> list[int]:
        needle = self._filter_text.lower()
        min_type = self._filter_min_type
        if min_type > SHOW_ALL and needle:
            return [
                i
                for i, r, s in zip(indexes, records, lowered, strict=True)
                if r.type >= min_type and needle in s
            ]
        if min_type > SHOW_ALL:
            return [i for i, r in zip(indexes, records, strict=True) if r.type >= min_type]
        return [i for i, s in zip(indexes, lowered, strict=True) if needle in s]

    # ---- lookups -------------------------------------------------------------------------------------
    @property
    def total_count(self) -> int:
        """Records in the model (flushed), filtered or not."""
        return len(self._records)

    @property
    def error_count(self) -> int:
        return len(self._error_records)

    @property
    def warning_count(self) -> int:
        return self._warning_count

    @property
    def visible_error_rows(self) -> tuple[int, ...]:
        return tuple(self._visible_errors)

    def records(self) -> list[Any]:
        """All flushed records (unfiltered), in arrival order. A copy."""
        return list(self._records)

    def record(self, row: int) -> Any:
        """The LogRecord shown at visible ``row``."""
        if self._shown is None:
            return self._records[row]
        return self._records[self._shown[row]]

    def source_index(self, row: int) -> int:
        """The index (in arrival order) of the record shown at visible ``row``."""
        return row if self._shown is None else self._shown[row]

    def row_for_source(self, source: int) -> int:
        """The visible row of the record with arrival index ``source``; -1 when it is filtered out."""
        if self._shown is None:
            return source if 0 <= source < len(self._records) else -1
        at = bisect_left(self._shown, source)
        return at if at < len(self._shown) and self._shown[at] == source else -1

    def next_error_row(self, row: int, *, wrap: bool = True) -> int:
        """The first visible error row after ``row`` (-1 = from the top); -1 when there is none."""
        errors = self._visible_errors
        if not errors:
            return -1
        at = bisect_right(errors, row)
        if at < len(errors):
            return errors[at]
        return errors[0] if wrap else -1

    def previous_error_row(self, row: int, *, wrap: bool = True) -> int:
        """The last visible error row before ``row`` (pass rowCount() to start from the end); -1 if none."""
        errors = self._visible_errors
        if not errors:
            return -1
        at = bisect_left(errors, row)
        if at > 0:
            return errors[at - 1]
        return errors[-1] if wrap else -1

    def set_dark_palette(self, dark: bool) -> None:
        """Switch the severity colours (the view calls this when the palette changes)."""
        if dark == self._colors.dark:
            return
        self._colors = SeverityColors(dark)
        if self.rowCount():
            self.dataChanged.emit(
                self.index(0, 0),
                self.index(self.rowCount() - 1, self.columnCount() - 1),
                [Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.BackgroundRole],
            )

    # ---- QAbstractItemModel --------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid():
            return 0
        return len(self._records) if self._shown is None else len(self._shown)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid():
            return 0
        return len(Column) if self._show_source else int(Column.SOURCE)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return _ROW_FLAGS

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            if section == Column.DATETIME and self._time_mode == TIME_UTC:
                return _tr("Date/Time (UTC)")
            if 0 <= section < self.columnCount():
                return self._headers[section]
            return None
        return str(section + 1)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = index.row()
        if self._shown is None:
            if row >= len(self._records):
                return None
            record = self._records[row]
        else:
            if row >= len(self._shown):
                return None
            record = self._records[self._shown[row]]
        if role == Qt.ItemDataRole.DisplayRole:
            column = index.column()
            if column == Column.MESSAGE:
                return first_line(record.message)
            if column == Column.COMPONENT:
                return record.component or ""
            if column == Column.DATETIME:
                return format_utc(record) if self._time_mode == TIME_UTC else format_time(record.time)
            if column == Column.THREAD:
                return "" if record.thread is None else str(record.thread)
            if column == Column.SOURCE:
                return getattr(record, "source_label", "")
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            return self._colors.background.get(record.type)
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._colors.foreground.get(record.type)
        if role == Qt.ItemDataRole.ToolTipRole:
            if index.column() == Column.SOURCE:
                return getattr(record, "source_full", None)
            if index.column() == Column.MESSAGE and ("\n" in record.message or len(record.message) > 120):
                return record.message[:2000]
            return None
        if role == RecordRole:
            return record
        if role == SeverityRole:
            return record.type
        return None


def _search_key(record: Any) -> str:
    return f"{record.message}\n{record.component or ''}".lower()
