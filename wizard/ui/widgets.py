"""Small reusable widgets for the wizard pages: a field with its validation message underneath, the
scenario card, the demo banner, a findings view, a masked secret box, the 1024-character gauge, and a
background-call helper that keeps slow host calls off the UI thread."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from wizard.ui import icons
from wizard.ui.lazy_qt import Qt, set_enum_property

# QUrl, QLineEdit, QProgressBar and the QtGui classes are imported where they are used: PySide builds a class's
# enums when it is first named, ~5 ms the first window (Welcome page) does not need (issue 14).

# Severity order used wherever findings are summarised.
_SEVERITY_ICON = {"error": "fail", "warning": "warn", "info": "info"}


def monospace_font():
    from PySide6.QtGui import QFontDatabase

    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    return font


# ---- background calls ----------------------------------------------------------------------------


class _Dispatcher(QObject):
    """One long-lived object in the UI thread that background calls report through. Worker threads hold
    no per-call QObject, so no Qt object is ever released (and destroyed) on a worker thread."""

    delivered = Signal(int, bool, object)


_dispatcher: _Dispatcher | None = None
_pending: dict[int, tuple[QObject | None, Callable[[Any], None], Callable[[BaseException], None] | None]] = {}
_call_ids = itertools.count(1)


def _get_dispatcher() -> _Dispatcher:
    global _dispatcher
    if _dispatcher is None:
        _dispatcher = _Dispatcher()
        _dispatcher.delivered.connect(_deliver, Qt.ConnectionType.QueuedConnection)
    return _dispatcher


def _deliver(call_id: int, ok: bool, payload: Any) -> None:
    owner, on_result, on_error = _pending.pop(call_id, (None, None, None))
    if on_result is None:
        return
    if owner is not None and not shiboken6.isValid(owner):
        return  # the page that asked is gone; nobody to tell
    if ok:
        on_result(payload)
    elif on_error is not None:
        on_error(payload)


def run_in_background(
    func: Callable[[], Any],
    on_result: Callable[[Any], None],
    on_error: Callable[[BaseException], None] | None = None,
    owner: QObject | None = None,
) -> int:
    """Run `func()` on a daemon thread; `on_result(value)` or `on_error(exception)` then runs in the UI
    thread (skipped if `owner` was deleted meanwhile). Must be called from the UI thread."""
    dispatcher = _get_dispatcher()
    call_id = next(_call_ids)
    _pending[call_id] = (owner, on_result, on_error)

    def body() -> None:
        try:
            result = func()
        except Exception as exc:  # reported to the UI thread, shown next to the control that asked
            dispatcher.delivered.emit(call_id, False, exc)
        else:
            dispatcher.delivered.emit(call_id, True, result)

    thread = threading.Thread(target=body, name=f"ccmsetup-wizard-call-{call_id}", daemon=True)
    _threads.add(thread)
    thread.start()
    return call_id


_threads: set[threading.Thread] = set()


def pending_background_calls() -> int:
    return len(_pending)


def wait_for_background_calls(timeout: float = 2.0) -> bool:
    """At exit: give running calls up to `timeout` seconds in total to end (they report into Qt, which must
    still exist when they do). True when none is left running."""
    deadline = time.monotonic() + timeout
    for thread in list(_threads):
        thread.join(max(0.0, deadline - time.monotonic()))
        if not thread.is_alive():
            _threads.discard(thread)
    return not _threads


class BackgroundCall:
    """`run_in_background` as an object: `BackgroundCall(func, on_result, on_error, parent)` starts at once;
    `finished` tells whether it has reported yet. `parent` is the owner whose deletion cancels delivery."""

    def __init__(
        self,
        func: Callable[[], Any],
        on_result: Callable[[Any], None],
        on_error: Callable[[BaseException], None] | None = None,
        parent: QObject | None = None,
    ):
        self.finished = False

        def result(value: Any) -> None:
            self.finished = True
            on_result(value)

        def error(exc: BaseException) -> None:
            self.finished = True
            if on_error is not None:
                on_error(exc)

        self.call_id = run_in_background(func, result, error, parent)


# ---- labels and banners --------------------------------------------------------------------------


class WrappingLabel(QLabel):
    """A word-wrapped label whose size hint is the height its text needs at its *current* width, so
    layouts neither clip it nor pad it with the blank lines QLabel's width guess leaves."""

    def __init__(self, text: str = "", parent: QWidget | None = None):
        super().__init__(text, parent)
        self.setWordWrap(True)
        self._laid_out_width = -1

    def sizeHint(self):  # noqa: N802 - Qt override
        hint = super().sizeHint()
        if self.width() > 0 and self.wordWrap():
            hint.setHeight(self.heightForWidth(self.width()))
        return hint

    def minimumSizeHint(self):  # noqa: N802 - Qt override
        hint = super().minimumSizeHint()
        if self.width() > 0 and self.wordWrap():
            hint.setHeight(self.heightForWidth(self.width()))
        return hint

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if event.size().width() != self._laid_out_width:
            self._laid_out_width = event.size().width()
            self.updateGeometry()


def wrapped_label(text: str = "", *, rich: bool = False, selectable: bool = False) -> QLabel:
    label = WrappingLabel(text)
    label.setWordWrap(True)
    # Enums by name: the first window is built without the Python `Qt` namespace (see wizard/ui/lazy_qt.py).
    set_enum_property(label, "textFormat", "RichText" if rich else "PlainText")
    if rich:
        label.setOpenExternalLinks(True)
        set_enum_property(label, "textInteractionFlags", "TextBrowserInteraction")
    elif selectable:
        set_enum_property(label, "textInteractionFlags", "TextSelectableByMouse")
    policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
    policy.setHeightForWidth(True)  # what word wrap sets; replacing the policy must not lose it
    label.setSizePolicy(policy)
    return label


def link_html(url: str, text: str) -> str:
    import html  # here, not at the top: html.entities costs the first window ~3 ms

    return f'<a href="{html.escape(url, quote=True)}">{html.escape(text)}</a>'


class DemoBanner(QFrame):
    """The strip shown beside every page in demo mode: says plainly that nothing real happens."""

    WIDTH = 170

    def __init__(self, title: str, text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("demoBanner")
        # Amber with black text reads the same on light and dark palettes (the CMTrace warning colour).
        self.setStyleSheet("QFrame#demoBanner { background-color: #e8b200; border: 1px solid #8a6a00; }"
                           "QFrame#demoBanner QLabel { color: #000000; background: transparent; }")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 14, 12, 14)
        self.title_label = QLabel(title)
        font = self.title_label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.6)
        self.title_label.setFont(font)
        self.text_label = QLabel(text)
        self.text_label.setWordWrap(True)
        inner = self.WIDTH - 26
        self.text_label.setFixedWidth(inner)
        self.text_label.setMinimumHeight(self.text_label.heightForWidth(inner))
        layout.addWidget(self.title_label)
        layout.addWidget(self.text_label)
        layout.addStretch(1)
        self.setFixedWidth(self.WIDTH)
        self.setAccessibleName(title)
        self.setAccessibleDescription(text)

    def text(self) -> str:
        return f"{self.title_label.text()} {self.text_label.text()}"


# ---- findings ------------------------------------------------------------------------------------


def findings_html(findings: Iterable[Any], *, empty_text: str, fix_label: str, doc_label: str) -> str:
    """HTML list of findings: severity icon, message, the fix, and the doc link when there is one."""
    import html

    rows = []
    for finding in findings:
        icon_file = icons.icon_path(_SEVERITY_ICON.get(finding.severity, "info")).as_uri()
        doc = ""
        if getattr(finding, "doc", None):
            doc = " " + link_html(finding.doc, doc_label)
        where = f" <i>({html.escape(finding.field)})</i>" if getattr(finding, "field", None) else ""
        rows.append(
            f'<tr><td valign="top" width="22"><img src="{icon_file}" width="16" height="16"></td>'
            f"<td><b>{html.escape(finding.message)}</b>{where}<br>"
            f"{html.escape(fix_label)} {html.escape(finding.fix)}{doc}</td></tr>"
        )
    if not rows:
        icon_file = icons.icon_path("pass").as_uri()
        return (f'<table><tr><td width="22"><img src="{icon_file}" width="16" height="16"></td>'
                f"<td>{html.escape(empty_text)}</td></tr></table>")
    return '<table cellspacing="4">' + "".join(rows) + "</table>"


class FindingsView(QTextBrowser):
    """Read-only, keyboard-scrollable list of findings with their fixes; links open in the browser."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setOpenExternalLinks(True)
        self.setReadOnly(True)
        self._findings: list[Any] = []
        self.setMinimumHeight(80)

    def set_findings(self, findings: Iterable[Any]) -> None:
        self._findings = list(findings)
        self.setHtml(
            findings_html(
                self._findings,
                empty_text=self.tr("No problems found."),
                fix_label=self.tr("Fix:"),
                doc_label=self.tr("Documentation"),
            )
        )

    def findings(self) -> list[Any]:
        return list(self._findings)

    def clear(self) -> None:
        """Show nothing (nothing was checked), unlike `set_findings([])`, which says no problems were found."""
        self._findings = []
        super().clear()


class InlineFindings(QWidget):
    """Rule findings shown in place (icon of the most severe, then each message and fix), hidden when there
    are none: the page-level counterpart of the message under a field, never a dialog."""

    def __init__(self, accessible_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.icon = QLabel()
        self.icon.setFixedWidth(18)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setAccessibleName(accessible_name)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.message, 1)
        self._findings: list[Any] = []
        self.setVisible(False)

    def set_findings(self, findings: Iterable[Any]) -> None:
        self._findings = sorted(findings, key=lambda f: ("error", "warning", "info").index(f.severity))
        if not self._findings:
            self.message.clear()
            self.setVisible(False)
            return
        icon_name = _SEVERITY_ICON.get(self._findings[0].severity, "info")
        self.icon.setPixmap(icons.pixmap(icon_name, 14, self.devicePixelRatioF()))
        self.message.setText("\n".join(f"{f.message} {f.fix}".strip() for f in self._findings))
        self.setVisible(True)

    def findings(self) -> list[Any]:
        return list(self._findings)

    def text(self) -> str:
        return self.message.text() if self._findings else ""


class PageErrors(QFrame):
    """Errors in a page's values stop Next: this says which fields have them (each a link that puts the cursor
    in that field) and offers the expert a recorded way on. The choice is cleared whenever the errors change:
    it was made about the errors shown then."""

    overrideToggled = Signal(bool)  # noqa: N815 - Qt signal naming
    fieldActivated = Signal(str)  # noqa: N815 - Qt signal naming (the ccmsetup name of the field)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("pageErrors")
        self.icon = QLabel()
        self.icon.setFixedWidth(18)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.RichText)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse
                                             | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
        self.message.setAccessibleName(self.tr("Errors that stop Next"))
        self.message.linkActivated.connect(self.fieldActivated.emit)
        self.override = QCheckBox(self.tr("&Go on with these errors (expert): Review lists them, and the choice is "
                                          "recorded in the evidence summary"))
        self.override.setAccessibleName(self.tr("Go on despite the errors on this page"))
        self.override.setToolTip(self.tr("Only when you know the rule does not apply to your site: ccmsetup may "
                                         "fail because of these values."))
        self.override.toggled.connect(self.overrideToggled.emit)
        text_row = QHBoxLayout()
        text_row.setContentsMargins(0, 0, 0, 0)
        text_row.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        text_row.addWidget(self.message, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(text_row)
        layout.addWidget(self.override)
        self._errors: tuple[Any, ...] = ()
        self.setVisible(False)

    def set_errors(self, errors: Iterable[Any], labels: dict[str, str] | None = None) -> None:
        """Show `errors` (findings of severity error); `labels` gives the shown name of each field."""
        errors = tuple(errors)
        if errors != self._errors:
            self._errors = errors
            self.override.setChecked(False)
        # A value that would break the command itself (a line break, a stray quote) is never gone on with.
        self.override.setEnabled(not self._unsafe())
        if not errors:
            self.message.clear()
            self.setVisible(False)
            return
        import html

        labels = labels or {}
        fields: list[str] = []
        for finding in errors:
            if finding.field and finding.field not in fields:
                fields.append(finding.field)
        links = ", ".join(link_html(field, labels.get(field, field)) for field in fields)
        count = self.tr("%1 error on this page stops Next") if len(errors) == 1 else \
            self.tr("%1 errors on this page stop Next")
        text = html.escape(count.replace("%1", str(len(errors)))) + (": " + links if links else "") + ". "
        if self._unsafe():
            text += html.escape(self.tr("A value would break the command line (a line break or a quote in it): "
                                        "fix it, there is no going on with it."))
        else:
            text += html.escape(self.tr("Fix it, or go on anyway:") if len(errors) == 1
                                else self.tr("Fix them, or go on anyway:"))
        self.icon.setPixmap(icons.pixmap("fail", 14, self.devicePixelRatioF()))
        self.message.setText(text)
        self.setVisible(True)

    def errors(self) -> list[Any]:
        return list(self._errors)

    def blocking(self) -> bool:
        """True while errors are shown and the expert has not chosen to go on (or may not: unsafe values)."""
        return bool(self._errors) and (not self.override.isChecked() or bool(self._unsafe()))

    def overridden_errors(self) -> tuple[Any, ...]:
        """The errors the expert chose to go on with (empty when none, or not chosen)."""
        return self._errors if self.override.isChecked() and not self._unsafe() else ()

    def _unsafe(self) -> list[Any]:
        from wizard.core.export import UNSAFE_OUTPUT_RULES

        return [f for f in self._errors if f.rule in UNSAFE_OUTPUT_RULES]


# ---- fields --------------------------------------------------------------------------------------


class FieldWithMessage(QWidget):
    """Label, line edit (optionally with buttons), and the rule message shown right under it.

    Messages appear inline as the user types; this widget never opens a dialog."""

    def __init__(self, label: str, *, placeholder: str = "", accessible_name: str = "",
                 parent: QWidget | None = None):
        from PySide6.QtWidgets import QLineEdit

        super().__init__(parent)
        self.label = QLabel(label)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        self.label.setBuddy(self.edit)
        self.edit.setAccessibleName(accessible_name or label.replace("&", ""))
        self.lock_icon = QLabel()
        self.lock_icon.setVisible(False)
        self.lock_icon.setAccessibleName(self.tr("Locked by the profile"))
        self.message_icon = QLabel()
        self.message_icon.setFixedWidth(18)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setAccessibleName(self.tr("Message for %s") % label.replace("&", ""))
        self._severity: str | None = None

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.lock_icon)
        self._row = row
        message_row = QHBoxLayout()
        message_row.setContentsMargins(0, 0, 0, 0)
        message_row.addWidget(self.message_icon, 0, Qt.AlignmentFlag.AlignTop)
        message_row.addWidget(self.message, 1)
        self._message_host = QWidget()
        self._message_host.setLayout(message_row)
        self._message_host.setVisible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(self.label)
        layout.addLayout(row)
        layout.addWidget(self._message_host)

    def add_button(self, text: str, accessible_name: str = "") -> QPushButton:
        button = QPushButton(text)
        button.setAccessibleName(accessible_name or text.replace("&", ""))
        self._row.insertWidget(self._row.count() - 1, button)
        return button

    def text(self) -> str:
        return self.edit.text()

    def setText(self, text: str | None) -> None:  # noqa: N802 - Qt naming, mirrors QLineEdit
        if self.edit.text() != (text or ""):
            self.edit.setText(text or "")

    def message_text(self) -> str:
        return self.message.text() if self._message_host.isVisibleTo(self) else ""

    def severity(self) -> str | None:
        return self._severity

    def set_findings(self, findings: Iterable[Any]) -> None:
        """Show the most severe finding (its message and fix) under the field, or clear the message."""
        ordered = sorted(findings, key=lambda f: ("error", "warning", "info").index(f.severity))
        if not ordered:
            self.set_message(None, "")
            return
        first = ordered[0]
        text = first.message if not first.fix else f"{first.message} {first.fix}"
        self.set_message(first.severity, text)

    def set_message(self, severity: str | None, text: str) -> None:
        self._severity = severity if text else None
        if not text:
            self._message_host.setVisible(False)
            self.message.clear()
            self.edit.setAccessibleDescription("")
            return
        icon_name = _SEVERITY_ICON.get(severity or "info", "info")
        self.message_icon.setPixmap(icons.pixmap(icon_name, 14, self.devicePixelRatioF()))
        self.message.setText(text)
        self.edit.setAccessibleDescription(text)
        self._message_host.setVisible(True)

    def set_locked(self, locked: bool, reason: str = "") -> None:
        from PySide6.QtGui import QPalette

        self.edit.setReadOnly(locked)
        self.lock_icon.setVisible(locked)
        # A read-only QLineEdit looks editable: give it the window background so the lock is seen at a glance.
        # Only Base is overridden (and dropped again on unlock), so the rest still follows the system palette.
        shaded = QPalette()
        if locked:
            shaded.setColor(QPalette.ColorRole.Base, self.palette().color(QPalette.ColorRole.Window))
        self.edit.setPalette(shaded)
        if locked:
            self.lock_icon.setPixmap(icons.pixmap("lock", 16, self.devicePixelRatioF()))
            tip = self.tr("Locked by the profile: %s") % reason if reason else self.tr("Locked by the profile")
            self.lock_icon.setToolTip(tip)
            self.edit.setToolTip(tip)
            self.edit.setAccessibleDescription(tip)
        else:
            self.lock_icon.setToolTip("")
            self.edit.setToolTip("")

    def is_locked(self) -> bool:
        return self.edit.isReadOnly()


class SecretEdit(QWidget):
    """A masked line edit with a Show toggle (for the bulk registration token)."""

    def __init__(self, accessible_name: str, parent: QWidget | None = None):
        from PySide6.QtWidgets import QLineEdit

        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setAccessibleName(accessible_name)
        self.show_box = QCheckBox(self.tr("Sho&w"))
        self.show_box.setAccessibleName(self.tr("Show %s") % accessible_name)
        self.show_box.toggled.connect(self._toggle)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.show_box)

    def _toggle(self, shown: bool) -> None:
        from PySide6.QtWidgets import QLineEdit

        self.edit.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)

    def is_masked(self) -> bool:
        from PySide6.QtWidgets import QLineEdit

        return self.edit.echoMode() != QLineEdit.EchoMode.Normal


class ScenarioCard(QFrame):
    """One selectable scenario: radio button (keyboard + accessibility), icon, title, when to pick it and
    the doc link. The title is a wrapping label so long titles are never cut; clicking anywhere on the card
    selects it."""

    def __init__(self, scenario_id: str, title: str, when: str, doc_url: str, doc_text: str,
                 group: QButtonGroup, parent: QWidget | None = None):
        from PySide6.QtCore import QUrl

        super().__init__(parent)
        self.scenario_id = scenario_id
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.radio = QRadioButton()
        self.radio.setAccessibleName(title)
        self.radio.setAccessibleDescription(when)
        group.addButton(self.radio)
        self.title_label = wrapped_label(title)
        font = self.title_label.font()
        font.setBold(True)
        self.title_label.setFont(font)
        self.title_label.setBuddy(self.radio)
        self.icon_label = QLabel()
        self.icon_label.setPixmap(icons.pixmap(scenario_id, 40, self.devicePixelRatioF()))
        self.icon_label.setFixedSize(44, 44)
        self.when_label = wrapped_label(when)
        self.link_label = wrapped_label(link_html(doc_url, doc_text), rich=True)
        self.link_label.setAccessibleName(self.tr("Documentation for %s") % title)
        self.doc_url = QUrl(doc_url)

        title_row = QHBoxLayout()
        title_row.addWidget(self.radio, 0, Qt.AlignmentFlag.AlignTop)
        title_row.addWidget(self.title_label, 1)
        text_box = QVBoxLayout()
        text_box.setSpacing(4)
        text_box.addLayout(title_row)
        text_box.addWidget(self.when_label)
        text_box.addWidget(self.link_label)
        layout = QGridLayout(self)
        layout.addWidget(self.icon_label, 0, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(text_box, 0, 1)
        layout.setColumnStretch(1, 1)
        self.radio.toggled.connect(self.update)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        if self.radio.isChecked():
            from PySide6.QtGui import QPainter, QPalette, QPen

            # The chosen card gets a border in the palette's highlight colour (light and dark alike).
            painter = QPainter(self)
            pen = QPen(self.palette().color(QPalette.ColorRole.Highlight))
            pen.setWidth(2)
            painter.setPen(pen)
            painter.drawRect(self.rect().adjusted(1, 1, -1, -1))
            painter.end()

    def title(self) -> str:
        return self.title_label.text()

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.radio.setChecked(True)
        self.radio.setFocus(Qt.FocusReason.MouseFocusReason)
        super().mousePressEvent(event)


OVER_LIMIT_COLOUR = "#c42b1c"  # a strong red: white bar text stays readable on it in light and dark palettes


class LengthGauge(QWidget):
    """Shows how long a command is against a hard limit (Intune's 1024 characters)."""

    def __init__(self, limit: int, caption: str, parent: QWidget | None = None):
        from PySide6.QtWidgets import QProgressBar

        super().__init__(parent)
        self.limit = limit
        self.caption = QLabel(caption)
        self.bar = QProgressBar()
        self.bar.setRange(0, limit)
        self.bar.setAccessibleName(caption)
        self.bar.setTextVisible(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.status, 1)
        self._length = 0

    @property
    def length(self) -> int:
        return self._length

    @property
    def over_limit(self) -> bool:
        return self._length > self.limit

    def set_length(self, length: int) -> None:
        from PySide6.QtGui import QColor, QPalette

        self._length = length
        self.bar.setValue(min(length, self.limit))
        self.bar.setFormat(self.tr("%1 / %2 characters").replace("%1", str(length)).replace("%2", str(self.limit)))
        # Over the limit the bar turns red (only Highlight is overridden, so it still follows the palette).
        bar_palette = QPalette()
        if self.over_limit:
            bar_palette.setColor(QPalette.ColorRole.Highlight, QColor(OVER_LIMIT_COLOUR))
            self.status.setText(self.tr("Too long: Intune fails commands over %d characters.") % self.limit)
        else:
            self.status.setText(self.tr("%d characters to spare.") % (self.limit - length))
        self.bar.setPalette(bar_palette)
        self.bar.setAccessibleDescription(self.bar.format() + " " + self.status.text())
