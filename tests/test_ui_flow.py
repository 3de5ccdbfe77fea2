"""End-to-end demo flows through the whole wizard: Welcome to Finish on a simulated device."""

from __future__ import annotations

import base64
import json
import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from wizard.core.plan import InstallPlan
from wizard.core.render import MASK
from wizard.ui import dialogs
from wizard.ui.wizard import PageId, SetupWizard

FAST = 200.0  # simulator speed-up: a full simulated install takes well under a second of log time
FLOW_TIMEOUT_MS = 60000


def make_token() -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    payload = {"Type": "BulkRegistration", "exp": int(time.time() + 86400)}
    return f"{part({'alg': 'RS256'})}.{part(payload)}.c2lnbmF0dXJl"


# Closing the window while something runs would ask; answer Yes so teardown never blocks on a dialog.
pytestmark = pytest.mark.usefixtures("dialogs_answer_yes")


@pytest.fixture
def demo_wizard(qtbot, tmp_path):
    from wizard.host.credentials import MemoryStore
    from wizard.host.demo import DemoHost

    def build(preset: str = "entra-joined", *, outcome: str = "success", uac_cancel: bool = False,
              plan: InstallPlan | None = None) -> SetupWizard:
        host = DemoHost(preset, base_dir=tmp_path / "host", outcome=outcome, speed=FAST, latency=0.0,
                        uac_cancel=uac_cancel)
        wizard = SetupWizard(host, credentials=MemoryStore(), plan=plan)
        qtbot.addWidget(wizard)
        wizard.show()
        return wizard

    return build


def next_page(qtbot, wizard: SetupWizard, expected: PageId) -> None:
    """Press Next once the current page allows it and land on `expected`."""
    button = wizard.button(QWizard.WizardButton.CommitButton if wizard.currentPage().isCommitPage()
                           else QWizard.WizardButton.NextButton)
    qtbot.waitUntil(lambda: button.isEnabled() and button.isVisible(), timeout=FLOW_TIMEOUT_MS)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.currentId() == int(expected), timeout=5000)


def walk_to_review(qtbot, wizard: SetupWizard) -> None:
    for page in (PageId.SCENARIO, PageId.ADDRESSES, PageId.ENTRA, PageId.OPTIONS, PageId.CHECKS, PageId.REVIEW):
        if wizard.currentId() < int(page):
            next_page(qtbot, wizard, page)


def install_to_finish(qtbot, wizard: SetupWizard) -> None:
    next_page(qtbot, wizard, PageId.INSTALL)
    next_page(qtbot, wizard, PageId.FINISH)


def test_cmg_happy_path_from_a_pasted_command_to_success(demo_wizard, qtbot, monkeypatch):
    from wizard.core.parse import parse_command

    wizard = demo_wizard("entra-joined")
    command = wizard.host.sample_command()
    monkeypatch.setattr(dialogs, "paste_command", lambda parent, initial_text="": parse_command(command))
    qtbot.mouseClick(wizard.currentPage().paste_button, Qt.MouseButton.LeftButton)
    assert wizard.plan.scenario == "cmg"
    walk_to_review(qtbot, wizard)
    review = wizard.currentPage()
    assert "CCMHOSTNAME=" in review.command.toPlainText()
    assert not wizard.button(QWizard.WizardButton.BackButton).isHidden()
    install_to_finish(qtbot, wizard)
    assert wizard.outcome is not None and wizard.outcome.state == "succeeded"
    assert wizard.session is not None
    # Committed: no way back into the finished install.
    back = wizard.button(QWizard.WizardButton.BackButton)
    assert not (back.isVisible() and back.isEnabled())
    # Start over keeps the plan and forgets the run.
    plan = wizard.plan
    qtbot.mouseClick(wizard.currentPage().start_over_button, Qt.MouseButton.LeftButton)
    assert wizard.currentId() == int(PageId.WELCOME)
    assert wizard.plan == plan and wizard.session is None and wizard.outcome is None


def test_failure_ends_on_finish_with_its_explanation(demo_wizard, qtbot):
    plan = InstallPlan(scenario="cmg", mp=("https://cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975",),
                       ccmhostname="cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975", sitecode="P01")
    wizard = demo_wizard("entra-joined", outcome="cmg-untrusted", plan=plan)
    walk_to_review(qtbot, wizard)
    install_to_finish(qtbot, wizard)
    assert wizard.outcome.state == "failed"
    assert wizard.outcome.explanation is not None


def test_token_scenario_keeps_the_token_masked_to_the_end(demo_wizard, qtbot):
    token = make_token()
    wizard = demo_wizard("not-joined", plan=InstallPlan(scenario="cmg-token"))
    next_page(qtbot, wizard, PageId.SCENARIO)
    next_page(qtbot, wizard, PageId.ADDRESSES)
    addresses = wizard.currentPage()
    qtbot.keyClicks(addresses.fields["ccmhostname"].edit, "cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975")
    # The derived /mp is removed again: with a token it causes 0x87d0027e.
    addresses.fields["mp"].edit.clear()
    qtbot.keyClicks(addresses.fields["sitecode"].edit, "P01")
    next_page(qtbot, wizard, PageId.ENTRA)
    entra = wizard.currentPage()
    qtbot.keyClicks(entra.token.edit, token)
    assert entra.token.is_masked()
    walk_to_review(qtbot, wizard)
    review = wizard.currentPage()
    assert token not in review.command.toPlainText() and MASK in review.command.toPlainText()
    install_to_finish(qtbot, wizard)
    assert wizard.outcome.state == "succeeded"
    assert wizard.plan.regtoken == token


def test_uac_cancel_returns_to_review_with_nothing_lost(demo_wizard, qtbot):
    plan = InstallPlan(scenario="cmg", mp=("https://cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975",),
                       ccmhostname="cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975",
                       sitecode="P01").with_parameter("/NoCRLCheck")
    wizard = demo_wizard("entra-joined", uac_cancel=True, plan=plan)
    walk_to_review(qtbot, wizard)
    before = wizard.plan
    next_page(qtbot, wizard, PageId.INSTALL)
    install = wizard.currentPage()
    qtbot.waitUntil(lambda: install.back_to_review_button.isVisible(), timeout=FLOW_TIMEOUT_MS)
    assert "cancelled" in install.failure_title.text()
    qtbot.mouseClick(install.back_to_review_button, Qt.MouseButton.LeftButton)
    assert wizard.currentId() == int(PageId.REVIEW)
    assert wizard.plan == before
    assert wizard.session is None
    assert "/NoCRLCheck" in wizard.currentPage().command.toPlainText()


def test_self_test_paints_the_first_page_and_exits_zero(qapp, tmp_path, monkeypatch, capsys):
    from wizard.ui.app import run

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # the demo device's run folder
    assert run(demo="no-prt", self_test=True) == 0
    assert "self-test: ok" in capsys.readouterr().out


def test_unknown_demo_preset_is_named_with_the_choices(qapp, tmp_path, monkeypatch, capsys):
    from wizard.ui.app import run

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert run(demo="no-such-preset", self_test=True) == 2
    err = capsys.readouterr().err
    assert "no-such-preset" in err and "entra-joined" in err


def test_first_paint_hook_reports_and_quits(tmp_path):
    # Its own process: it runs and quits the real application event loop, which a test process must keep.
    import os
    import subprocess
    import sys

    from wizard.ui.app import FIRST_PAINT_ENV, FIRST_PAINT_LINE

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CACHE_HOME=str(tmp_path / "cache"),
               XDG_CONFIG_HOME=str(tmp_path / "config"), **{FIRST_PAINT_ENV: "1"})
    done = subprocess.run([sys.executable, "-m", "wizard.cli.main", "--demo"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert FIRST_PAINT_LINE in done.stdout
