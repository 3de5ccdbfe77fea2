"""Wizard pages. Each page reads the wizard's plan in `initializePage()` and writes it back in
`validatePage()` (Next) and `cleanupPage()` (Back), so nothing typed is lost when moving around."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWizardPage


class PlanPage(QWizardPage):
    """Base for pages that edit the plan: `store()` writes the widgets into the plan without judging them.

    A page with an errors box (`add_errors_box`) reports its rule errors through `show_errors(findings)`: they
    stop Next until fixed or until the expert ticks the box's override, which `validatePage` records on the
    wizard (`SetupWizard.record_errors_overridden`)."""

    errors_box: Any = None

    def wiz(self) -> Any:
        """The SetupWizard this page belongs to (typed loosely to avoid an import cycle)."""
        return self.wizard()

    @property
    def plan(self) -> Any:
        return self.wizard().plan

    def store(self) -> None:
        """Write this page's widgets into the wizard's plan (override)."""

    def validatePage(self) -> bool:  # noqa: N802 - Qt override
        self.store()
        self.record_error_override()
        return True

    # ---- errors that stop Next ---------------------------------------------------------------------

    def add_errors_box(self, layout) -> Any:
        """Put the errors box (hidden while there are none) into `layout`."""
        from wizard.ui.widgets import PageErrors

        box = PageErrors()
        box.overrideToggled.connect(lambda _checked: self.completeChanged.emit())
        box.fieldActivated.connect(self.focus_field)
        layout.addWidget(box)
        self.errors_box = box
        return box

    def show_errors(self, findings) -> None:
        """The errors among `findings` (about this page's fields) stop Next; warnings and suggestions do not."""
        if self.errors_box is None:
            return
        errors = [f for f in findings if f.severity == "error"]
        self.errors_box.set_errors(errors, self.field_labels())
        self.completeChanged.emit()

    def field_labels(self) -> dict[str, str]:
        """Shown name of each field (by ccmsetup name) in the errors box (override)."""
        return {}

    def focus_field(self, name: str) -> None:
        """Put the cursor in the field `name` (a link in the errors box; override)."""

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return super().isComplete() and (self.errors_box is None or not self.errors_box.blocking())

    def record_error_override(self) -> None:
        if self.errors_box is None:
            return
        wiz = self.wiz()
        record = getattr(wiz, "record_errors_overridden", None)
        if callable(record):
            record(wiz.currentId(), self.errors_box.overridden_errors())

    def cleanupPage(self) -> None:  # noqa: N802 - Qt override
        # Qt's default resets registered fields to their initial values; keep what was typed instead.
        self.store()
