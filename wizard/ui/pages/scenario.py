"""Scenario: four cards (on-prem MP, CMG, internet MP, CMG with token); arrow keys move between them."""

from __future__ import annotations

from PySide6.QtWidgets import QButtonGroup, QVBoxLayout

from wizard.core.plan import SCENARIOS
from wizard.ui.pages import PlanPage
from wizard.ui.widgets import ScenarioCard, wrapped_label


class ScenarioPage(PlanPage):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setTitle(self.tr("How will this device reach the site?"))
        self.setSubTitle(self.tr("Pick the scenario; the next pages ask only for what it needs."))
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.cards: dict[str, ScenarioCard] = {}
        cards = QVBoxLayout()
        cards.setSpacing(10)
        for info in SCENARIOS:
            card = ScenarioCard(info.id, self.tr(info.title), self.tr(info.when), info.doc,
                                self.tr("Microsoft documentation"), self.group)
            self.cards[info.id] = card
            cards.addWidget(card)
        self.lock_note = wrapped_label()
        self.lock_note.setVisible(False)
        self.hint = wrapped_label(self.tr(
            "On-premises covers both an HTTPS management point and a site in Enhanced HTTP mode. "
            "Use the arrow keys to move between scenarios."))
        layout = QVBoxLayout(self)
        layout.addLayout(cards)
        layout.addSpacing(6)
        layout.addWidget(self.hint)
        layout.addWidget(self.lock_note)
        layout.addStretch(1)
        self.group.buttonToggled.connect(lambda *_: self.completeChanged.emit())

    def selected(self) -> str | None:
        for scenario_id, card in self.cards.items():
            if card.radio.isChecked():
                return scenario_id
        return None

    def select(self, scenario_id: str) -> None:
        self.cards[scenario_id].radio.setChecked(True)

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        wiz = self.wiz()
        self.select(self.plan.scenario)
        locked = wiz.is_locked("scenario")
        for card in self.cards.values():
            card.setEnabled(not locked or card.scenario_id == self.plan.scenario)
        self.lock_note.setVisible(locked)
        if locked:
            self.lock_note.setText(self.tr("The profile fixes the scenario. %s") % wiz.lock_reason)
        self.cards[self.plan.scenario].radio.setFocus()

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return self.selected() is not None

    def store(self) -> None:
        scenario = self.selected()
        if scenario and scenario != self.plan.scenario and not self.wiz().is_locked("scenario"):
            self.wiz().set_plan(self.plan.update(scenario=scenario))
