"""LogTableModel / LogView: model contract, batching at 200k rows, filter, error navigation, copy, follow-tail."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from wizard.core.logparse import LogRecord, parse_bytes
from wizard.ui.logmodel import (
    SHOW_ERRORS,
    SHOW_WARNINGS_AND_ERRORS,
    Column,
    LogTableModel,
    RecordRole,
)
from wizard.ui.logview import LogView


def make_record(i: int, *, type: int = 1, message: str | None = None, component: str = "ccmsetup") -> LogRecord:
    return LogRecord(
        message if message is not None else f"line {i}",
        component=component,
        type=type,
        thread=str(1000 + i % 7),
        fmt="ccm",
        offset=i * 100,
        time_text="14:18:37.123+000",
        date_text="11-26-2026",
    )


def mixed_records(count: int) -> list[LogRecord]:
    """Every 100th record an error, every 50th (not error) a warning."""
    records = []
    for i in range(count):
        kind = 3 if i % 100 == 99 else 2 if i % 50 == 49 else 1
        records.append(make_record(i, type=kind, message=f"line {i} {'failed' if kind == 3 else 'ok'}"))
    return records


@pytest.mark.parametrize("force_py", [False, True], ids=["qt-tester", "python-tester"])
def test_model_passes_qtmodeltester(qtmodeltester, force_py):
    model = LogTableModel()
    model.append(mixed_records(300))
    model.flush()
    qtmodeltester.check(model, force_py=force_py)
    model.set_filter("failed", SHOW_ERRORS)
    model.append(mixed_records(400)[300:])
    model.flush()
    model.set_filter("")


def test_model_passes_qtmodeltester_while_filtered_and_growing(qtmodeltester):
    model = LogTableModel()
    qtmodeltester.check(model, force_py=True)
    model.append(mixed_records(200))
    model.flush()
    model.set_filter("failed")
    model.append(mixed_records(400)[200:])
    model.flush()
    model.set_filter("", SHOW_WARNINGS_AND_ERRORS)
    model.clear()
    assert model.rowCount() == 0


def test_append_only_queues_until_flush(qtbot):
    model = LogTableModel()
    model.append(mixed_records(10))
    assert model.rowCount() == 0
    assert model.pending_count == 10
    with qtbot.waitSignal(model.batchInserted, timeout=2000):
        pass  # the flush timer fires on its own
    assert model.rowCount() == 10


def test_200k_rows_arrive_in_few_batches(qtbot):
    model = LogTableModel()
    view = LogView(model=model)
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    inserts = []
    model.rowsInserted.connect(lambda _parent, first, last: inserts.append(last - first + 1))
    records = mixed_records(200_000)
    for start in range(0, len(records), 5_000):
        model.append(records[start : start + 5_000])
    qtbot.waitUntil(lambda: model.rowCount() == 200_000, timeout=20_000)
    # One insert per timer tick, not one per append() call and never one per row.
    assert len(inserts) < 40
    assert model.error_count == 2_000
    assert model.warning_count == 2_000
    assert view.following
    last_visible = view.table.rowAt(view.table.viewport().height() - 2)
    assert last_visible == 199_999


def test_display_colours_and_roles():
    model = LogTableModel()
    model.append([make_record(0), make_record(1, type=2), make_record(2, type=3, message="a\nsecond line")])
    model.flush()
    info, warning, error = (model.index(r, Column.MESSAGE) for r in range(3))
    assert model.data(info, Qt.ItemDataRole.BackgroundRole) is None
    warn_bg = model.data(warning, Qt.ItemDataRole.BackgroundRole).color()
    err_bg = model.data(error, Qt.ItemDataRole.BackgroundRole).color()
    assert warn_bg.red() > warn_bg.blue() and warn_bg.green() > warn_bg.blue()  # yellow-ish
    assert err_bg.red() > err_bg.green() and err_bg.red() > err_bg.blue()  # red-ish
    assert model.data(error) == "a \u2026"  # one line per row; the detail pane has the rest
    assert model.data(model.index(0, Column.DATETIME)) == "2026-11-26 14:18:37.123"
    assert model.data(model.index(0, Column.THREAD)) == "1000"
    assert model.data(error, RecordRole).message == "a\nsecond line"


@pytest.mark.parametrize("dark", [False, True])
def test_severity_colours_are_readable(dark):
    model = LogTableModel()
    model.set_dark_palette(dark)
    model.append([make_record(0, type=2), make_record(1, type=3)])
    model.flush()
    for row in range(2):
        fg = model.data(model.index(row, 0), Qt.ItemDataRole.ForegroundRole).color()
        bg = model.data(model.index(row, 0), Qt.ItemDataRole.BackgroundRole).color()
        assert abs(fg.lightness() - bg.lightness()) > 100


def test_filter_matches_message_and_component_and_severity():
    model = LogTableModel()
    model.append(mixed_records(1000))
    model.append([make_record(1000, component="ClientIDManagerStartup", message="Registered")])
    model.flush()
    model.set_filter("FAILED")
    assert model.rowCount() == 10
    assert all("failed" in model.record(r).message for r in range(model.rowCount()))
    model.set_filter("clientidmanager")
    assert [model.record(r).message for r in range(model.rowCount())] == ["Registered"]
    model.set_filter("", SHOW_WARNINGS_AND_ERRORS)
    assert model.rowCount() == 20
    model.set_filter("line 19", SHOW_ERRORS)
    assert [model.record(r).message for r in range(model.rowCount())] == ["line 199 failed"]
    model.set_filter("")
    assert model.rowCount() == 1001 and not model.is_filtered


def test_filter_applies_to_rows_arriving_later():
    model = LogTableModel()
    model.set_filter("failed")
    model.append(mixed_records(500))
    model.flush()
    assert model.rowCount() == 5
    assert model.visible_error_rows == (0, 1, 2, 3, 4)
    assert model.total_count == 500


def test_error_navigation_with_wrap_and_filter():
    model = LogTableModel()
    model.append(mixed_records(400))
    model.flush()
    assert model.next_error_row(-1) == 99
    assert model.next_error_row(99) == 199
    assert model.next_error_row(399) == 99  # wraps to the first
    assert model.next_error_row(399, wrap=False) == -1
    assert model.previous_error_row(model.rowCount()) == 399
    assert model.previous_error_row(199) == 99
    assert model.previous_error_row(99) == 399  # wraps to the last
    model.set_filter("", SHOW_WARNINGS_AND_ERRORS)
    # visible rows: warnings at 49,149,... and errors at 99,199,...: 8 rows, errors at odd positions
    assert model.visible_error_rows == (1, 3, 5, 7)
    assert model.record(model.next_error_row(1)).message == "line 199 failed"


def test_no_errors_means_no_navigation(qtbot):
    view = LogView()
    qtbot.addWidget(view)
    view.append([make_record(i) for i in range(20)])
    view.flush()
    assert view.select_next_error() == -1
    assert not view.next_error_button.isEnabled()


def test_view_keyboard_error_navigation_and_detail_pane(qtbot):
    view = LogView()
    qtbot.addWidget(view)
    view.resize(800, 400)
    view.show()
    qtbot.waitExposed(view)
    records = mixed_records(300)
    records[199] = make_record(199, type=3, message="Failed to get token\nAADSTS50001: resource not found")
    view.append(records)
    view.flush()
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_F8)
    assert view.current_row() == 99
    qtbot.keyClick(view.table, Qt.Key.Key_F8)
    assert view.current_row() == 199
    assert "AADSTS50001: resource not found" in view.detail.toPlainText()
    qtbot.keyClick(view.table, Qt.Key.Key_F8, Qt.KeyboardModifier.ShiftModifier)
    assert view.current_row() == 99
    assert not view.following  # jumping to an error in the middle stops following the tail


def test_copy_selected_rows_tab_separated(qtbot):
    view = LogView()
    qtbot.addWidget(view)
    view.show()
    view.append([make_record(0, message="first"), make_record(1, message="second\nmore", type=3)])
    view.flush()
    view.table.selectAll()
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    text = QGuiApplication.clipboard().text()
    assert text.split("\n")[0] == "first\tccmsetup\t2026-11-26 14:18:37.123\t1000"
    assert "second\nmore\tccmsetup" in text


def test_debounced_filter_box(qtbot):
    view = LogView()
    qtbot.addWidget(view)
    view.append(mixed_records(300))
    view.flush()
    qtbot.keyClicks(view.filter_edit, "failed")
    assert view.model.rowCount() == 300  # not yet: typing is debounced
    with qtbot.waitSignal(view.model.filterApplied, timeout=2000):
        pass
    assert view.model.rowCount() == 3
    assert "3 shown" in view.status_label.text()


def test_follows_tail_only_when_at_bottom(qtbot):
    view = LogView()
    qtbot.addWidget(view)
    view.resize(800, 300)
    view.show()
    qtbot.waitExposed(view)
    view.append(mixed_records(500))
    view.flush()
    bar = view.table.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0 and bar.value() == bar.maximum())
    assert view.following

    bar.setValue(bar.maximum() // 2)  # the user scrolls up to read
    assert not view.following
    parked = bar.value()
    view.append(mixed_records(600)[500:])
    view.flush()
    qtbot.wait(50)
    assert bar.value() == parked  # new lines did not yank the view away

    bar.setValue(bar.maximum())  # back at the end: following resumes
    assert view.following
    view.append(mixed_records(700)[600:])
    view.flush()
    qtbot.waitUntil(lambda: bar.value() == bar.maximum() and bar.maximum() > 0)
    assert view.table.rowAt(view.table.viewport().height() - 2) == 699


def test_follow_button_resumes_following(qtbot):
    view = LogView()
    qtbot.addWidget(view)
    view.resize(800, 300)
    view.show()
    view.append(mixed_records(500))
    view.flush()
    bar = view.table.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    bar.setValue(0)
    assert not view.follow_button.isChecked()
    qtbot.mouseClick(view.follow_button, Qt.MouseButton.LeftButton)
    assert view.following
    qtbot.waitUntil(lambda: bar.value() == bar.maximum())


def test_parsed_log_rows_show_in_view(qtbot):
    data = (
        b'<![LOG[==========[ ccmsetup started in process 4242 ]==========]LOG]!><time="10:00:00.000+000" '
        b'date="11-26-2026" component="ccmsetup" context="" type="1" thread="4242" file="ccmsetup.cpp:9">\n'
        b'<![LOG[Failed to get AAD token. error 0x87d0027e]LOG]!><time="10:00:01.000+000" '
        b'date="11-26-2026" component="ccmsetup" context="" type="3" thread="4242" file="ccmsetup.cpp:10">\n'
    )
    view = LogView()
    qtbot.addWidget(view)
    view.append(parse_bytes(data))
    view.flush()
    assert view.model.rowCount() == 2
    assert view.model.error_count == 1
    assert view.select_next_error() == 1
