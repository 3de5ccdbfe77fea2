"""The three contradictions of issue 12, driven through the CLI and the GUI: the simulated run follows from
plan x device x site, the Finish page's cause agrees with the failed check that predicted it (one finding id),
and the demo site's values are one click away on the Addresses page."""

from __future__ import annotations

import json

import pytest
from PySide6.QtWidgets import QWizard

from wizard.cli.main import main
from wizard.core.parse import parse_command

CMG = "cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975"
MICROSOFT_EXAMPLE_TENANT = "daf4a1c2-3a0c-401b-966f-0b855d3abd1a"
EXAMPLE_TENANT_COMMAND = (f"ccmsetup.exe /mp:https://{CMG} CCMHOSTNAME={CMG} SMSSITECODE=P01 "
                          f"AADTENANTID={MICROSOFT_EXAMPLE_TENANT}")


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def install(capsys, *args: str) -> tuple[int, dict, str]:
    code = main(["install", *args, "--yes", "--ignore-failed-checks", "--json", "--speed", "200"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


# ---- CLI ---------------------------------------------------------------------------------------------------


def test_cli_microsoft_example_tenant_on_the_default_device_is_a_token_failure(capsys):
    code, document, err = install(capsys, "--demo", "--from", EXAMPLE_TENANT_COMMAND)
    assert code != 0 and document["outcome"]["state"] == "failed"  # not success, not registered
    assert document["checks_overridden"] is True
    world = document["world"]
    assert world["finding"]["id"] == "aadtenantid-wrong" and world["error_code"] == "0x87d0027e"
    assert "tenant-match" in world["predicted_by"]
    failed = {c["id"] for c in document["checks"] if c["status"] == "fail"}
    assert "tenant-match" in failed
    assert MICROSOFT_EXAMPLE_TENANT in world["finding"]["cause"]


def test_cli_tenant_mismatch_blames_the_tenant_not_the_resource_uri(capsys):
    code, document, err = install(capsys, "--demo=tenant-mismatch")
    assert "AADRESOURCEURI" not in document["command"]
    world = document["world"]
    assert document["outcome"]["state"] == "failed"
    assert world["finding"]["id"] == "device-in-other-tenant"
    assert "tenant-match" in world["predicted_by"]
    assert "Fabrikam" in world["finding"]["cause"]
    everything = json.dumps(world) + (document["outcome"]["explanation"] or {}).get("title", "")
    assert "AADRESOURCEURI" not in everything and "resource URI" not in everything.lower()


def test_cli_offline_fails_at_name_resolution_without_token_or_download_lines(capsys):
    from wizard.host.demo import latest_run_dir

    code, document, err = install(capsys, "--demo=offline")
    assert document["outcome"]["state"] == "failed" and document["outcome"]["error_code"] == "0x80072ee7"
    assert document["world"]["finding"]["id"] == "offline"
    assert {"entra-endpoints", "cmg-reachable"} <= set(document["world"]["predicted_by"])
    run = latest_run_dir()
    from wizard.core.logparse import parse_file

    log = "\n".join(r.message for r in parse_file(run / "Windows" / "ccmsetup" / "Logs" / "ccmsetup.log"))
    assert "ERROR_WINHTTP_NAME_NOT_RESOLVED" in log
    for absent in ("Getting AAD (device) token", "Getting CCM Token", "BITS job", "BITS download", "404", "Adding"):
        assert absent not in log, absent


def test_cli_human_output_names_the_cause_and_the_predicting_check(capsys):
    code = main(["install", "--demo=low-disk", "--yes", "--ignore-failed-checks", "--speed", "200"])
    out = capsys.readouterr().out
    assert code != 0
    assert "Cause in the simulated world [low-disk]" in out
    assert "Predicted by the check 'Free disk space' (fail)" in out


# ---- GUI ---------------------------------------------------------------------------------------------------


@pytest.fixture
def make_wizard(qtbot, tmp_path):
    from wizard.host.demo import DemoHost
    from wizard.ui.wizard import SetupWizard

    made = []

    def make(plan, start, *, preset="entra-joined", speed=150.0, lab=None):
        if lab is not None:
            host = DemoHost(world=lab.named_world(), lab=lab, base_dir=tmp_path, speed=speed, latency=0.01)
        else:
            host = DemoHost(preset, base_dir=tmp_path, speed=speed, latency=0.01)
        wizard = SetupWizard(host, plan=plan)
        made.append(wizard)
        qtbot.addWidget(wizard)
        wizard.resize(1000, 760)
        wizard.setStartId(int(start))
        wizard.show()
        return wizard

    yield make
    for wizard in made:
        wizard.shutdown()
        wizard.host.stop_children()


def run_to_finish(wizard, qtbot, *, override: bool):
    from wizard.ui.wizard import PageId

    checks = wizard.page(PageId.CHECKS)
    with qtbot.waitSignal(checks.checksFinished, timeout=30_000):
        pass
    if override:
        assert checks.failed_ids()
        checks.override_box.setChecked(True)
    wizard.next()
    assert wizard.currentId() == PageId.REVIEW
    wizard.next()
    install_page = wizard.page(PageId.INSTALL)
    with qtbot.waitSignal(install_page.outcomeReady, timeout=90_000):
        pass
    wizard.button(QWizard.WizardButton.NextButton).click()
    assert wizard.currentId() == PageId.FINISH
    return checks, wizard.page(PageId.FINISH)


def test_gui_continue_anyway_with_the_example_tenant_ends_in_a_token_failure(make_wizard, qtbot):
    from wizard.ui.wizard import PageId

    wizard = make_wizard(parse_command(EXAMPLE_TENANT_COMMAND).plan, PageId.CHECKS)
    checks, finish = run_to_finish(wizard, qtbot, override=True)
    assert "tenant-match" in checks.failed_ids()
    assert finish.headline.text() == "Setup failed"
    assert finish.world_box.isVisible()
    text = finish.world_label.text()
    assert "[aadtenantid-wrong]" in text and MICROSOFT_EXAMPLE_TENANT in text
    assert "Device tenant matches AADTENANTID" in text  # the check that predicted it, by its shared id
    assert "registered" not in finish.registration_label.text() or not finish.registration_label.isVisible()


def test_gui_tenant_mismatch_finish_names_the_tenant(make_wizard, qtbot):
    from wizard.ui.wizard import PageId

    # The demo's sample command: Contoso's tenant, no AADRESOURCEURI.
    plan = parse_command(f"ccmsetup.exe /mp:https://{CMG} CCMHOSTNAME={CMG} SMSSITECODE=P01 "
                         "AADTENANTID=aaaabbbb-0000-cccc-1111-dddd2222eeee").plan
    wizard = make_wizard(plan, PageId.CHECKS, preset="tenant-mismatch")
    checks, finish = run_to_finish(wizard, qtbot, override=True)
    assert checks.failed_ids() == ["tenant-match"]
    text = finish.world_label.text()
    assert "[device-in-other-tenant]" in text and "Fabrikam" in text
    shown = " ".join(w.text() for w in (finish.world_label, finish.explanation_title, finish.meaning_label,
                                        finish.cause_label, finish.action_label, finish.summary_label))
    assert "AADRESOURCEURI" not in shown


def test_gui_offline_shows_a_name_resolution_failure(make_wizard, qtbot):
    from wizard.ui.wizard import PageId

    wizard = make_wizard(parse_command(EXAMPLE_TENANT_COMMAND.replace(MICROSOFT_EXAMPLE_TENANT,
                                                                      "aaaabbbb-0000-cccc-1111-dddd2222eeee")).plan,
                         PageId.CHECKS, preset="offline")
    checks, finish = run_to_finish(wizard, qtbot, override=True)
    assert "0x80072ee7" in finish.summary_label.text()
    assert "[offline]" in finish.world_label.text()
    install_page = wizard.page(PageId.INSTALL)
    messages = [r.message for r in install_page.log_view.model.records()]
    assert any("ERROR_WINHTTP_NAME_NOT_RESOLVED" in m for m in messages)
    assert not any("token with:" in m or "BITS job" in m or "404" in m for m in messages)


def test_addresses_page_offers_the_demo_sites_values(make_wizard, qtbot):
    from wizard.core.plan import InstallPlan
    from wizard.ui.wizard import PageId

    wizard = make_wizard(InstallPlan(scenario="cmg"), PageId.ADDRESSES)
    page = wizard.page(PageId.ADDRESSES)
    assert page.demo_values_button.isVisible()
    page.demo_values_button.click()
    assert page.fields["ccmhostname"].text() == CMG
    assert page.fields["mp"].text() == f"https://{CMG}"
    assert page.fields["sitecode"].text() == "P01"
    wizard.next()
    assert wizard.plan.ccmhostname == CMG and wizard.plan.sitecode == "P01"
    token = make_wizard(InstallPlan(scenario="cmg-token"), PageId.ADDRESSES)
    token_page = token.page(PageId.ADDRESSES)
    token_page.demo_values_button.click()
    assert token_page.fields["ccmhostname"].text() == CMG and not token_page.fields["mp"].text()


def test_lab_briefing_hints_and_debrief(make_wizard, qtbot):
    from wizard.core.world.labs import load_lab
    from wizard.ui.wizard import PageId

    lab = load_lab("wrong-tenant")
    wizard = make_wizard(parse_command(lab.start_command).plan, PageId.WELCOME, lab=lab)
    welcome = wizard.page(PageId.WELCOME)
    assert welcome.lab_box.isVisible() and lab.briefing in welcome.lab_briefing.text()
    assert "LAB mode" in welcome.mode_label.text()
    assert not welcome.hints_label.isVisible()
    welcome.hint_button.click()
    assert welcome.hints_label.text().startswith("Hint 1: ") and wizard.host.lab_hints_used == 1
    welcome.hint_button.click()
    assert not welcome.hint_button.isEnabled()  # both hints shown
    wizard.setStartId(int(PageId.CHECKS))
    wizard.restart()
    checks, finish = run_to_finish(wizard, qtbot, override=True)
    assert finish.debrief_box.isVisible()
    text = finish.debrief_label.text()
    assert "not found" in text and "Hints used: 2 of 2" in text and "dsregcmd" in text
    assert ". (" not in text  # "Planted: <sentence> (not found)." reads as one sentence, not "tenant. (not found)"
    assert finish.debrief is not None and not finish.debrief.found_all


# ---- the wizard's --lab option -----------------------------------------------------------------------------


def test_gui_lab_option_opens_the_lab_and_a_bad_lab_exits_2(qapp, capsys, tmp_path):
    from wizard.cli.main import plain_gui_options
    from wizard.ui import app as ui_app

    assert plain_gui_options(["--lab", "wrong-tenant"]) == {"demo": None, "profile": None, "self_test": False,
                                                            "lab": "wrong-tenant"}
    assert ui_app.run(lab="wrong-tenant", self_test=True) == 0
    assert "self-test: ok" in capsys.readouterr().out
    bad = tmp_path / "bad-lab.json"
    bad.write_text('{"schema_version": 1, "title": "x"}', encoding="utf-8")
    assert ui_app.run(lab=str(bad), self_test=True) == 2
    err = capsys.readouterr().err
    assert "--lab:" in err and "bad-lab.json" in err and "briefing" in err
    assert main(["--lab", "wrong-tenant", "--demo", "--self-test"]) == 2
    assert "--lab and --demo" in capsys.readouterr().err


def test_build_wizard_with_a_lab_starts_from_its_command(qapp):
    from wizard.ui import app as ui_app

    wizard = ui_app.build_wizard(lab="token-with-mp")
    try:
        assert wizard.host.lab.name == "token-with-mp" and wizard.host.is_demo
        assert wizard.plan.regtoken and wizard.plan.mp  # the planted /mp is there for the trainee to find
        assert wizard.host.preset == "lab:token-with-mp"
    finally:
        wizard.shutdown()
        wizard.host.stop_children()
        wizard.deleteLater()


def test_closing_a_lab_before_changing_anything_does_not_ask_about_lost_input(qapp):
    """The lab's starting command comes from the lab file, not from the trainee: Escape on Welcome closes at once."""
    from wizard.ui import app as ui_app

    wizard = ui_app.build_wizard(lab="token-with-mp")
    try:
        assert not wizard.has_unsaved_input()
        wizard.set_plan(wizard.plan.update(sitecode="XYZ"))  # the trainee's own change does count
        assert wizard.has_unsaved_input()
    finally:
        wizard.shutdown()
        wizard.host.stop_children()
        wizard.deleteLater()


def test_the_demo_banner_names_a_lab_as_a_lab(qapp):
    from wizard.ui import app as ui_app

    wizard = ui_app.build_wizard(lab="low-disk")
    try:
        text = wizard.demo_banner.text_label.text()
        assert "lab “low-disk”" in text and "preset" not in text
    finally:
        wizard.shutdown()
        wizard.host.stop_children()
        wizard.deleteLater()


def test_the_lab_welcome_page_has_unique_mnemonics(make_wizard, qtbot):
    """The hint button is only there in a lab: its Alt+letter must not be the Help button's."""
    import re

    from PySide6.QtWidgets import QAbstractButton, QGroupBox, QLabel

    from wizard.core.world.labs import load_lab
    from wizard.ui.wizard import PageId

    lab = load_lab("low-disk")
    wizard = make_wizard(parse_command(lab.start_command).plan, PageId.WELCOME, lab=lab)
    assert wizard.page(PageId.WELCOME).hint_button.isVisible()
    keys: dict[str, list[str]] = {}
    for widget in wizard.findChildren(QAbstractButton) + wizard.findChildren(QLabel) + wizard.findChildren(QGroupBox):
        text = widget.title() if isinstance(widget, QGroupBox) else widget.text()
        match = re.search(r"&([^&\s])", text or "")
        if widget.isVisible() and match and not (isinstance(widget, QLabel) and "<" in text):
            keys.setdefault(match.group(1).lower(), []).append(text)
    assert {key: texts for key, texts in keys.items() if len(texts) > 1} == {}
