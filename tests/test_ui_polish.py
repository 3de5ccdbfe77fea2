"""Usability details a field technician meets: failures first on Checks, unique mnemonics, the Intune gauge,
locked fields that look locked, and a command box that grows with the command."""

from __future__ import annotations

import base64
import json
import re
import time

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QAbstractButton, QGroupBox, QLabel, QWizard

from wizard.core.plan import InstallPlan
from wizard.ui.wizard import PageId, SetupWizard

CMG_HOST = "cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975"


pytestmark = pytest.mark.usefixtures("dialogs_answer_yes")


@pytest.fixture
def demo_wizard(qtbot, tmp_path):
    from wizard.host.credentials import MemoryStore
    from wizard.host.demo import DemoHost

    def build(preset: str, plan: InstallPlan, start: PageId = PageId.WELCOME) -> SetupWizard:
        host = DemoHost(preset, base_dir=tmp_path / "host", speed=200.0, latency=0.0)
        wizard = SetupWizard(host, credentials=MemoryStore(), plan=plan)
        qtbot.addWidget(wizard)
        wizard.resize(960, 680)
        if start != PageId.WELCOME:
            wizard.setStartId(int(start))
            wizard.restart()
        wizard.show()
        return wizard

    return build


def cmg_plan() -> InstallPlan:
    return InstallPlan(scenario="cmg", mp=("https://" + CMG_HOST,), ccmhostname=CMG_HOST, sitecode="P01")


def press_next(qtbot, wizard: SetupWizard) -> None:
    button = wizard.button(QWizard.WizardButton.NextButton)
    before = wizard.currentId()
    qtbot.waitUntil(lambda: button.isEnabled(), timeout=30_000)
    button.click()
    qtbot.waitUntil(lambda: wizard.currentId() != before, timeout=5000)


def duplicate_mnemonics(wizard: SetupWizard) -> dict[str, list[str]]:
    """Alt+letter shortcuts used by more than one visible control of the current page (wizard buttons count)."""
    letters: dict[str, list[str]] = {}
    widgets = wizard.findChildren(QAbstractButton) + wizard.findChildren(QLabel) + wizard.findChildren(QGroupBox)
    for widget in widgets:
        if not widget.isVisible():
            continue
        text = (widget.title() if isinstance(widget, QGroupBox) else widget.text()).replace("&&", "")
        found = re.search(r"&(\w)", text)
        if found:
            letters.setdefault(found.group(1).lower(), []).append(text)
    return {letter: texts for letter, texts in letters.items() if len(texts) > 1}


def make_token() -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256'})}.{part({'Type': 'BulkRegistration', 'exp': int(time.time()) + 86400})}.c2ln"


def test_failed_checks_are_listed_first_and_say_how_to_continue(demo_wizard, qtbot):
    wizard = demo_wizard("offline", cmg_plan(), PageId.CHECKS)
    page = wizard.page(PageId.CHECKS)
    qtbot.waitUntil(lambda: not page.running and bool(page.failed_ids()), timeout=30_000)
    failed = page.failed_ids()
    assert page.visible_order()[:len(failed)] == failed
    assert page.scroll.verticalScrollBar().value() == 0  # the first failure is in view, not scrolled past
    assert page.check_ids() != page.visible_order()  # the engine's order is kept for results and evidence
    assert "Continue anyway" in page.summary_label.text()
    assert page.override_box.isVisible() and "&C" in page.override_box.text()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    page.override_box.setChecked(True)
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()


def test_a_single_rerun_leaves_the_rows_in_place(demo_wizard, qtbot):
    wizard = demo_wizard("offline", cmg_plan(), PageId.CHECKS)
    page = wizard.page(PageId.CHECKS)
    qtbot.waitUntil(lambda: not page.running and bool(page.failed_ids()), timeout=30_000)
    shown = page.visible_order()
    with qtbot.waitSignal(page.checksFinished, timeout=30_000):
        page.rerun(shown[-1])
    assert page.visible_order() == shown


def test_token_flow_pages_have_unique_mnemonics(demo_wizard, qtbot):
    from PySide6.QtTest import QTest

    wizard = demo_wizard("not-joined", InstallPlan(scenario="cmg-token", ccmhostname=CMG_HOST, sitecode="P01"))
    seen = []
    while wizard.currentId() < int(PageId.CHECKS):
        assert duplicate_mnemonics(wizard) == {}, PageId(wizard.currentId()).name
        seen.append(wizard.currentId())
        if wizard.currentId() == int(PageId.ENTRA):
            QTest.keyClicks(wizard.currentPage().token.edit, make_token())
        press_next(qtbot, wizard)
    assert int(PageId.ENTRA) in seen


def test_intune_gauge_turns_red_over_the_limit(qtbot):
    from wizard.ui.widgets import LengthGauge

    gauge = LengthGauge(1024, "Intune length:")
    qtbot.addWidget(gauge)
    gauge.set_length(100)
    normal = gauge.bar.palette().color(QPalette.ColorRole.Highlight)
    gauge.set_length(1100)
    assert gauge.over_limit and "Too long" in gauge.status.text()
    red = gauge.bar.palette().color(QPalette.ColorRole.Highlight)
    assert red != normal and red.red() > red.blue()
    gauge.set_length(1000)
    assert gauge.bar.palette().color(QPalette.ColorRole.Highlight) == normal


def test_a_locked_field_looks_read_only_and_unlocks_back(qtbot):
    from wizard.ui.widgets import FieldWithMessage

    field = FieldWithMessage("&Site code (SMSSITECODE)")
    qtbot.addWidget(field)
    editable = field.edit.palette().color(QPalette.ColorRole.Base)
    field.set_locked(True, "Site standard")
    assert field.is_locked()
    assert field.edit.palette().color(QPalette.ColorRole.Base) != editable
    assert "Site standard" in field.edit.toolTip()
    field.set_locked(False)
    assert field.edit.palette().color(QPalette.ColorRole.Base) == editable


def test_review_command_box_grows_with_a_long_command_up_to_a_limit(demo_wizard, qtbot):
    short = demo_wizard("entra-joined", cmg_plan(), PageId.REVIEW)
    qtbot.waitUntil(lambda: short.currentPage().command.toPlainText() != "", timeout=5000)
    short_height = short.currentPage().command.height()

    long_host = "cmg-" + "x" * 300 + ".contoso.com/CCM_Proxy_MutualAuth/72057594037927975"
    plan = InstallPlan(scenario="cmg", mp=("https://" + long_host,), ccmhostname=long_host, sitecode="P01")
    long = demo_wizard("entra-joined", plan, PageId.REVIEW)
    page = long.currentPage()
    qtbot.waitUntil(lambda: page.command.height() > short_height, timeout=5000)
    line = page.command.fontMetrics().lineSpacing()
    from wizard.ui.pages.review import COMMAND_MAX_LINES

    assert page.command.height() <= (COMMAND_MAX_LINES + 1) * line + 2 * page.command.frameWidth() + 24
    assert page.gauge.over_limit or page.gauge.length > 600
