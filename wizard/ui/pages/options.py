"""Options: the catalog's common switches as checkboxes, download settings, and every other parameter and
property in one table with its help text. Values a profile locks are read-only with a lock icon."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from wizard.core.catalog import CatalogEntry, load_catalog
from wizard.ui import dialogs
from wizard.ui.icons import icon
from wizard.ui.pages import PlanPage
from wizard.ui.widgets import InlineFindings, run_in_background, wrapped_label

# Download settings get their own controls; every other non-common entry is a table row.
DOWNLOAD_PARAMETERS = ("/BITSPriority", "/source", "/skipprereq")
# /? and /uninstall do not install anything, so they have no place in an install wizard.
NOT_FOR_INSTALL = ("/?", "/uninstall")
NAME_COLUMN, VALUE_COLUMN, HELP_COLUMN = 0, 1, 2
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1


def table_entries() -> list[CatalogEntry]:
    """Catalog entries shown in the "all parameters and properties" table."""
    entries = []
    for entry in load_catalog():
        if entry.internal or entry.field or entry.common or entry.name in DOWNLOAD_PARAMETERS:
            continue
        if entry.name in NOT_FOR_INSTALL:
            continue
        entries.append(entry)
    return entries


# Display order of the common switches (two columns, read left to right): switches that belong together sit
# side by side (/logon contradicts /forceinstall; CCMALLOWSILENTREBOOT goes with /forcereboot). Common switches
# not listed here follow in catalog order.
COMMON_ORDER = ("/forceinstall", "/logon", "/forcereboot", "CCMALLOWSILENTREBOOT", "/NoCRLCheck", "/AllowMetered",
                "/noservice")


def common_entries() -> list[CatalogEntry]:
    entries = [e for e in load_catalog() if e.common and not e.internal and e.is_flag]
    rank = {name.upper(): at for at, name in enumerate(COMMON_ORDER)}
    return sorted(entries, key=lambda e: rank.get(e.name.upper(), len(rank)))  # stable: catalog order after


def entry_value(plan, entry: CatalogEntry) -> tuple[bool, str]:
    """(present, value text) of a catalog entry in the plan."""
    if entry.kind == "parameter":
        present, value = plan.parameter(entry.name)
        return present, value or ""
    value = plan.property(entry.name)
    return value is not None, value or ""


def set_entry(plan, entry_name: str, kind: str, present: bool, value: str | None):
    """The plan with one parameter/property set or removed (flags carry no value)."""
    if kind == "parameter":
        return plan.with_parameter(entry_name, value) if present else plan.without_parameter(entry_name)
    return plan.with_property(entry_name, value or "") if present else plan.without_property(entry_name)


class _ValueDelegate(QStyledItemDelegate):
    """Edits enum values with a combo box of the catalog's choices, everything else as text."""

    def createEditor(self, parent, option, index):  # noqa: N802 - Qt override
        entry = index.siblingAtColumn(NAME_COLUMN).data(ENTRY_ROLE)
        if entry is not None and entry.choices and entry.value_type == "enum":
            combo = QComboBox(parent)
            combo.addItem("")
            combo.addItems(list(entry.choices))
            combo.setAccessibleName(entry.name)
            return combo
        editor = super().createEditor(parent, option, index)
        if entry is not None:
            editor.setAccessibleName(entry.name)
        return editor

    def setEditorData(self, editor, index):  # noqa: N802 - Qt override
        if isinstance(editor, QComboBox):
            editor.setCurrentText(index.data(Qt.ItemDataRole.EditRole) or "")
        else:
            super().setEditorData(editor, index)

    def setModelData(self, editor, model, index):  # noqa: N802 - Qt override
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentText(), Qt.ItemDataRole.EditRole)
        else:
            super().setModelData(editor, model, index)


class OptionsPage(PlanPage):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setTitle(self.tr("Options"))
        self.setSubTitle(self.tr("Common switches first; every other parameter and property is in the table, "
                                 "with what it does."))
        common_box = QGroupBox(self.tr("Common switches"))
        common_grid = QGridLayout(common_box)
        common_grid.setVerticalSpacing(4)
        common_grid.setHorizontalSpacing(18)
        common_grid.setContentsMargins(9, 6, 9, 6)
        self.switches: dict[str, QCheckBox] = {}
        # The help sits under its checkbox, aligned with the checkbox text, in the full column width:
        # beside it, the longer texts wrapped to four lines in a narrow column.
        style = self.style()
        indent = (style.pixelMetric(QStyle.PixelMetric.PM_IndicatorWidth)
                  + style.pixelMetric(QStyle.PixelMetric.PM_CheckBoxLabelSpacing))
        entries = common_entries()
        for index, entry in enumerate(entries):
            box = QCheckBox(entry.name)
            box.setToolTip(entry.help)
            box.setAccessibleName(entry.name)
            box.setAccessibleDescription(entry.help)
            box.toggled.connect(self.relint)
            self.switches[entry.name] = box
            help_label = wrapped_label(entry.help)
            help_label.setBuddy(box)
            help_label.setContentsMargins(indent, 0, 0, 0)
            small = help_label.font()
            small.setPointSizeF(small.pointSizeF() * 0.9)
            help_label.setFont(small)
            cell = QVBoxLayout()
            cell.setSpacing(0)
            cell.addWidget(box)
            cell.addWidget(help_label)
            row, column = divmod(index, 2)
            common_grid.addLayout(cell, row, column, Qt.AlignmentFlag.AlignTop)
        common_grid.setColumnStretch(0, 1)
        common_grid.setColumnStretch(1, 1)
        # Rule findings about the switches on this page (e.g. /logon with /forceinstall), shown as they are ticked.
        self.findings_message = InlineFindings(self.tr("Findings about these options"))
        common_grid.addWidget(self.findings_message, (len(entries) + 1) // 2, 0, 1, 2)
        self._relint_paused = False

        download_box = QGroupBox(self.tr("Download"))
        grid = QGridLayout(download_box)
        catalog = load_catalog()
        self.bits = QComboBox()
        self.bits.addItem(self.tr("(default: NORMAL)"), "")
        for choice in catalog.get("/BITSPriority").choices:
            self.bits.addItem(choice, choice)
        self.bits.setAccessibleName("/BITSPriority")
        self.bits.setToolTip(catalog.get("/BITSPriority").help)
        bits_label = QLabel(self.tr("BITS &priority (/BITSPriority):"))
        bits_label.setBuddy(self.bits)
        self.source = QLineEdit()
        self.source.setPlaceholderText(r"\\server\share\Client")
        self.source.setAccessibleName("/source")
        self.source.setToolTip(catalog.get("/source").help)
        self.browse = QPushButton(self.tr("Bro&wse…"))
        self.browse.setAccessibleName(self.tr("Browse for the /source folder"))
        self.browse.clicked.connect(self._browse_source)
        source_label = QLabel(self.tr("&Local or UNC source (/source):"))
        source_label.setBuddy(self.source)
        self.skipprereq = QLineEdit()
        self.skipprereq.setPlaceholderText("silverlight.exe;windowsupdateagent30-x64.exe")
        self.skipprereq.setAccessibleName("/skipprereq")
        self.skipprereq.setToolTip(catalog.get("/skipprereq").help)
        skip_label = QLabel(self.tr("S&kip prerequisites (/skipprereq):"))
        skip_label.setBuddy(self.skipprereq)
        self.exe = QLineEdit()
        self.exe.setAccessibleName(self.tr("ccmsetup.exe to run"))
        self.exe.setToolTip(self.tr("The ccmsetup.exe from the site server's Client folder. Empty: the one found "
                                    "beside the wizard or the profile."))
        self.exe_browse = QPushButton(self.tr("Br&owse…"))
        self.exe_browse.setAccessibleName(self.tr("Browse for ccmsetup.exe"))
        self.exe_browse.clicked.connect(self._browse_exe)
        exe_label = QLabel(self.tr("&ccmsetup.exe to run:"))
        exe_label.setBuddy(self.exe)
        grid.addWidget(exe_label, 2, 0)
        grid.addWidget(self.exe, 2, 1, 1, 3)
        grid.addWidget(self.exe_browse, 2, 4)
        grid.addWidget(bits_label, 0, 0)
        grid.addWidget(self.bits, 0, 1)
        grid.addWidget(skip_label, 0, 2)
        grid.addWidget(self.skipprereq, 0, 3, 1, 2)
        grid.addWidget(source_label, 1, 0)
        grid.addWidget(self.source, 1, 1, 1, 3)
        grid.addWidget(self.browse, 1, 4)
        grid.setColumnStretch(3, 1)
        self.bits.currentIndexChanged.connect(self.relint)
        self.source.textChanged.connect(self.relint)
        self.skipprereq.textChanged.connect(self.relint)

        self.filter = QLineEdit()
        self.filter.setPlaceholderText(self.tr("Type to filter by name or description"))
        self.filter.setAccessibleName(self.tr("Filter the table"))
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.apply_filter)
        filter_label = QLabel(self.tr("All parameters and properties — &filter:"))
        filter_label.setBuddy(self.filter)
        filter_row = QHBoxLayout()
        filter_row.addWidget(filter_label)
        filter_row.addWidget(self.filter, 1)

        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels([self.tr("Name"), self.tr("Value"), self.tr("What it does")])
        self.table.setAccessibleName(self.tr("All parameters and properties"))
        self.table.setItemDelegateForColumn(VALUE_COLUMN, _ValueDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move inside it
        self.table.setWordWrap(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(NAME_COLUMN, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(VALUE_COLUMN, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(HELP_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(VALUE_COLUMN, 190)
        self.table.itemChanged.connect(self._table_item_changed)
        self.lock_note = wrapped_label()
        self.lock_note.setVisible(False)
        self._lock_actions: dict[QLineEdit, object] = {}
        self._help: dict[QWidget, str] = {}  # each control's own tooltip, restored when it is not locked

        layout = QVBoxLayout(self)
        layout.addWidget(common_box)
        layout.addWidget(download_box)
        layout.addLayout(filter_row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.lock_note)
        self.add_errors_box(layout)
        self._build_rows()

    # ---- table -----------------------------------------------------------------------------------

    def _build_rows(self, extra: list[tuple[str, str, str | None]] = ()) -> None:
        """One row per catalog entry, then one per parameter/property in the plan the catalog lacks."""
        self.table.setRowCount(0)
        for entry in table_entries():
            self._add_row(entry.name, entry.kind, entry, entry.help + ("" if not entry.legacy else
                                                                        self.tr(" (legacy)")))
        for name, kind, value in extra:
            self._add_row(name, kind, None, self.tr("Not in the catalog: passed to ccmsetup exactly as typed. "
                                                    "Untick to leave it out."), bare_flag=value is None)

    def _add_row(self, name: str, kind: str, entry: CatalogEntry | None, help_text: str, *,
                 bare_flag: bool = False) -> None:
        """Catalog flags are a checkbox, other catalog entries a value. Entries the catalog lacks keep their
        presence in a checkbox (so an empty value or a bare switch survives) plus an editable value."""
        row = self.table.rowCount()
        self.table.insertRow(row)
        name_item = QTableWidgetItem(name)
        name_item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        name_item.setData(ENTRY_ROLE, entry)
        name_item.setData(Qt.ItemDataRole.UserRole, kind)
        tooltip = help_text + (f"\n{entry.doc}" if entry and entry.doc else "")
        name_item.setToolTip(tooltip)
        value_item = QTableWidgetItem()
        value_item.setToolTip(tooltip)
        if (entry is not None and entry.is_flag) or bare_flag:
            value_item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                                | Qt.ItemFlag.ItemIsUserCheckable)
            value_item.setCheckState(Qt.CheckState.Unchecked)
            value_item.setText(self.tr("on"))
        elif entry is None:
            value_item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                                | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEditable)
            value_item.setCheckState(Qt.CheckState.Checked)
        else:
            value_item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable)
        help_item = QTableWidgetItem(help_text)
        help_item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        help_item.setToolTip(tooltip)
        self.table.setItem(row, NAME_COLUMN, name_item)
        self.table.setItem(row, VALUE_COLUMN, value_item)
        self.table.setItem(row, HELP_COLUMN, help_item)

    def row_of(self, name: str) -> int:
        for row in range(self.table.rowCount()):
            if self.table.item(row, NAME_COLUMN).text().upper() == name.upper():
                return row
        return -1

    def apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for row in range(self.table.rowCount()):
            haystack = (self.table.item(row, NAME_COLUMN).text() + " " + self.table.item(row, HELP_COLUMN).text())
            self.table.setRowHidden(row, bool(needle) and needle not in haystack.lower())

    # ---- page life cycle -------------------------------------------------------------------------

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        self._relint_paused = True
        try:
            self._load()
        finally:
            self._relint_paused = False
        self.relint()

    def _load(self) -> None:
        wiz = self.wiz()
        plan = self.plan
        catalog = load_catalog()
        extra = [(name, "parameter", value) for name, value in plan.parameters if catalog.get(name) is None]
        extra += [(name, "property", value) for name, value in plan.properties if catalog.property(name) is None]
        self._build_rows(extra)
        for name, box in self.switches.items():
            present, _ = entry_value(plan, catalog.get(name))
            box.setChecked(present)
            self._lock(box, wiz.is_locked(name))
        present, value = plan.parameter("/BITSPriority")
        index = self.bits.findData(value.upper() if present and value else "")
        if index < 0:  # a value outside the catalog's choices is kept so the rules can explain it
            self.bits.addItem(value, value)
            index = self.bits.count() - 1
        self.bits.setCurrentIndex(index)
        self._lock(self.bits, wiz.is_locked("/BITSPriority"))
        for edit, name in ((self.source, "/source"), (self.skipprereq, "/skipprereq")):
            present, value = plan.parameter(name)
            edit.setText(value or "")
            self._lock(edit, wiz.is_locked(name))
        self.browse.setEnabled(not wiz.is_locked("/source"))
        self.exe.setText(wiz.exe_path or "")
        self.exe.setPlaceholderText(self.tr("Looking for ccmsetup.exe…"))
        host = wiz.host
        run_in_background(lambda: host.find_ccmsetup(None), self._show_found_exe, None, self)
        any_locked = False
        for row in range(self.table.rowCount()):
            name_item = self.table.item(row, NAME_COLUMN)
            value_item = self.table.item(row, VALUE_COLUMN)
            name = name_item.text()
            entry = name_item.data(ENTRY_ROLE)
            kind = name_item.data(Qt.ItemDataRole.UserRole)
            if entry is not None:
                present, value = entry_value(plan, entry)
            else:
                present, value = (plan.parameter(name) if kind == "parameter" else
                                  (plan.property(name) is not None, plan.property(name)))
                value = value or ""
            if entry is not None and entry.is_flag:
                value_item.setCheckState(Qt.CheckState.Checked if present else Qt.CheckState.Unchecked)
            elif entry is None:
                value_item.setCheckState(Qt.CheckState.Checked if present else Qt.CheckState.Unchecked)
                if value_item.flags() & Qt.ItemFlag.ItemIsEditable:
                    value_item.setText(value)
            else:
                value_item.setText(value if present else "")
            if wiz.is_locked(name):
                any_locked = True
                name_item.setIcon(icon("lock"))
                reason = self.tr("Locked by the profile: %s") % (wiz.lock_reason or self.tr("no reason given"))
                for item in (name_item, value_item):
                    item.setToolTip(reason)
                value_item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        self.lock_note.setVisible(any_locked or any(wiz.is_locked(n) for n in self.switches))
        if self.lock_note.isVisibleTo(self):
            self.lock_note.setText(self.tr("Values with a lock are set by the profile and cannot be changed here. %s")
                                   % wiz.lock_reason)
        self.apply_filter(self.filter.text())

    def _lock(self, widget: QWidget, locked: bool) -> None:
        """Read-only (or disabled) with the lock icon and the profile's reason as its tooltip."""
        lock = icon("lock")
        if isinstance(widget, QLineEdit):
            widget.setReadOnly(locked)
            action = self._lock_actions.pop(widget, None)
            if action is not None:
                widget.removeAction(action)
            if locked:
                self._lock_actions[widget] = widget.addAction(lock, QLineEdit.ActionPosition.TrailingPosition)
        else:
            widget.setEnabled(not locked)
            if isinstance(widget, QCheckBox):
                widget.setIcon(lock if locked else QIcon())
            elif isinstance(widget, QComboBox):
                widget.setItemIcon(widget.currentIndex(), lock if locked else QIcon())
        help_text = self._help.setdefault(widget, widget.toolTip())
        reason = self.tr("Locked by the profile: %s") % (self.wiz().lock_reason or self.tr("no reason given"))
        widget.setToolTip(f"{reason}\n{help_text}" if locked else help_text)
        widget.setAccessibleDescription(f"{reason} {help_text}" if locked else help_text)

    def names_on_page(self) -> set[str]:
        """Upper-case names of every switch, parameter and property this page edits."""
        names = {name.upper() for name in (*self.switches, *DOWNLOAD_PARAMETERS)}
        names.update(self.table.item(row, NAME_COLUMN).text().upper() for row in range(self.table.rowCount()))
        return names

    def relint(self) -> None:
        """Show the rule findings about this page's options for what is ticked and typed now."""
        if self._relint_paused or self.wizard() is None:
            return
        from wizard.core.findings import sort_findings
        from wizard.core.rules import lint

        names = self.names_on_page()
        findings = [f for f in lint(self.edited_plan()) if f.field and f.field.upper() in names]
        self.findings_message.set_findings(sort_findings(findings))
        self.show_errors(findings)

    def focus_field(self, name: str) -> None:
        widgets = {key.upper(): box for key, box in self.switches.items()}
        widgets.update({"/BITSPRIORITY": self.bits, "/SOURCE": self.source, "/SKIPPREREQ": self.skipprereq})
        widget = widgets.get(name.upper())
        if widget is not None:
            widget.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        row = self.row_of(name)
        if row >= 0:
            self.filter.clear()  # the row may be filtered out
            self.table.setCurrentCell(row, VALUE_COLUMN)
            self.table.scrollToItem(self.table.item(row, VALUE_COLUMN))
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def _table_item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() == VALUE_COLUMN:
            self.relint()

    def edited_plan(self):
        """The wizard's plan with this page's widgets written in (nothing is stored)."""
        wiz = self.wiz()
        plan = self.plan
        for name, box in self.switches.items():
            if not wiz.is_locked(name):
                kind = load_catalog().get(name).kind
                plan = set_entry(plan, name, kind, box.isChecked(), None)
        if not wiz.is_locked("/BITSPriority"):
            value = self.bits.currentData() or ""
            plan = set_entry(plan, "/BITSPriority", "parameter", bool(value), value or None)
        for edit, name in ((self.source, "/source"), (self.skipprereq, "/skipprereq")):
            if not wiz.is_locked(name):
                plan = set_entry(plan, name, "parameter", bool(edit.text()), edit.text() or None)
        for row in range(self.table.rowCount()):
            name_item = self.table.item(row, NAME_COLUMN)
            value_item = self.table.item(row, VALUE_COLUMN)
            if name_item is None or value_item is None:  # a row being built
                continue
            name = name_item.text()
            if wiz.is_locked(name):
                continue
            entry = name_item.data(ENTRY_ROLE)
            kind = name_item.data(Qt.ItemDataRole.UserRole)
            checked = value_item.checkState() == Qt.CheckState.Checked
            if entry is not None and entry.is_flag:
                plan = set_entry(plan, name, kind, checked, None)
            elif entry is None:
                editable = bool(value_item.flags() & Qt.ItemFlag.ItemIsEditable)
                plan = set_entry(plan, name, kind, checked, value_item.text() if editable else None)
            else:
                text = value_item.text()
                plan = set_entry(plan, name, kind, text != "", text or None)
        return plan

    def store(self) -> None:
        wiz = self.wiz()
        plan = self.edited_plan()
        wiz.exe_path = self.exe.text().strip() or None
        if plan != self.plan:
            wiz.set_plan(plan)

    def _show_found_exe(self, found) -> None:
        if found:
            self.exe.setPlaceholderText(self.tr("Found: %s") % found)
            self.exe.setToolTip(self.tr("Empty: runs %s (found beside the wizard or the profile).") % found)
        else:
            self.exe.setPlaceholderText(self.tr("Not found beside the wizard: browse to the site server's "
                                                "Client folder"))

    def _browse_exe(self) -> None:
        path = dialogs.choose_open_file(self, self.tr("ccmsetup.exe to run"), self.tr("ccmsetup.exe (ccmsetup.exe);;"
                                                                                     "Programs (*.exe)"),
                                        self.exe.text())
        if path:
            self.exe.setText(path)

    def _browse_source(self) -> None:
        path = dialogs.choose_directory(self, self.tr("Folder with the client files"), self.source.text())
        if path:
            self.source.setText(path)
