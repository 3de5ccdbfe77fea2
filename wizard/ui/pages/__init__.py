"""Wizard pages. Each page reads the wizard's plan in `initializePage()` and writes it back in
`validatePage()` (Next) and `cleanupPage()` (Back), so nothing typed is lost when moving around."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWizardPage


class PlanPage(QWizardPage):
    """Base for pages that edit the plan: `store()` writes the widgets into the plan without judging them."""

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
        return True

    def cleanupPage(self) -> None:  # noqa: N802 - Qt override
        # Qt's default resets registered fields to their initial values; keep what was typed instead.
        self.store()
