"""The wizard pages driven with pytest-qt on a demo host: what the technician types, sees and exports."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QTableWidget,
    QTextBrowser,
    QWizard,
)

from wizard.core.plan import InstallPlan
from wizard.core.render import MASK
from wizard.ui import dialogs
from wizard.ui.wizard import PageId, SetupWizard

CMG_HOST = "cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975"
CMG_MP = "https://" + CMG_HOST
PASTED = (f"ccmsetup.exe /mp:{CMG_MP} CCMHOSTNAME={CMG_HOST} SMSSITECODE=P0 /NoCRLCheck "
          "AADTENANTID=aaaabbbb-0000-cccc-1111-dddd2222eeee FOOBAR=1")


def make_token(expires_in: float = 3 * 86400) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    payload = {"Type": "BulkRegistration", "aud": "urn:sccm:service", "exp": int(time.time() + expires_in)}
    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(payload)}.c2lnbmF0dXJlLWJ5dGVz"


@pytest.fixture
def make_wizard(qtbot, tmp_path):
    from wizard.host.credentials import MemoryStore
    from wizard.host.demo import DemoHost

    def build(preset: str = "entra-joined", plan: InstallPlan | None = None, credentials=None) -> SetupWizard:
        host = DemoHost(preset, base_dir=tmp_path / "host", latency=0.0)
        wizard = SetupWizard(host, credentials=credentials or MemoryStore(), plan=plan)
        qtbot.addWidget(wizard)
        wizard.show()
        return wizard

    return build


def go_to(wizard: SetupWizard, page: PageId) -> None:
    while wizard.currentId() < int(page):
        before = wizard.currentId()
        wizard.next()
        assert wizard.currentId() != before, f"stuck on page {PageId(before).name}"
    assert wizard.currentId() == int(page)


# ---- window and welcome ----------------------------------------------------------------------------


def test_demo_window_title_and_banner_name_the_preset(make_wizard):
    wizard = make_wizard("no-prt")
    assert wizard.windowTitle() == "ccmsetup-wizard — DEMO (no-prt)"
    assert wizard.demo_banner is not None and "no-prt" in wizard.demo_banner.text()
    assert wizard.sideWidget() is wizard.demo_banner
    assert wizard.minimumWidth() >= 960 and wizard.minimumHeight() >= 680


def test_welcome_shows_existing_client(make_wizard, qtbot):
    wizard = make_wizard("client-installed")
    page = wizard.currentPage()
    qtbot.waitUntil(lambda: page.client_info is not None, timeout=5000)
    assert "5.00.9132.1011" in page.client_label.text()
    assert "P01" in page.client_label.text()


def test_paste_dialog_parses_as_you_type_and_lists_findings(qtbot):
    dialog = dialogs.PasteCommandDialog()
    qtbot.addWidget(dialog)
    assert not dialog.ok_button().isEnabled()
    dialog.set_text(PASTED)
    assert dialog.ok_button().isEnabled()
    assert dialog.parsed.plan.sitecode == "P0"
    shown = dialog.findings_view.toPlainText()
    assert "P0" in shown  # the bad site code is explained
    assert "FOOBAR" in shown  # unknown property reported by the parser
    assert any(f.severity == "error" for f in dialog.findings)


def test_paste_dialog_refuses_other_programs(qtbot):
    dialog = dialogs.PasteCommandDialog()
    qtbot.addWidget(dialog)
    dialog.set_text("notepad.exe C:\\file.txt")
    assert dialog.parsed is None
    assert not dialog.ok_button().isEnabled()
    assert "notepad" in dialog.status.text().lower()


def test_welcome_paste_import_fills_the_plan_and_shows_findings(make_wizard, monkeypatch, qtbot):
    from wizard.core.parse import parse_command

    wizard = make_wizard()
    monkeypatch.setattr(dialogs, "paste_command", lambda parent, initial_text="": parse_command(PASTED))
    page = wizard.currentPage()
    qtbot.mouseClick(page.paste_button, Qt.MouseButton.LeftButton)
    plan = wizard.plan
    assert plan.scenario == "cmg"
    assert plan.mp == (CMG_MP,)
    assert plan.ccmhostname == CMG_HOST
    assert plan.has_switch("/NoCRLCheck")
    assert plan.property("FOOBAR") == "1"
    assert page.import_findings.isVisible()
    assert "P0" in page.import_findings.toPlainText()
    # The next pages show the imported values.
    go_to(wizard, PageId.ADDRESSES)
    addresses = wizard.currentPage()
    assert addresses.fields["sitecode"].text() == "P0"
    assert addresses.fields["sitecode"].severity() == "error"


def test_welcome_loads_a_profile_and_remembers_it(make_wizard, monkeypatch, tmp_path):
    from wizard.core.profiles import Profile, RecentProfiles, save_profile

    path = tmp_path / "site.json"
    save_profile(path, Profile(name="Contoso CMG", plan=InstallPlan(scenario="cmg", sitecode="P01")))
    wizard = make_wizard()
    monkeypatch.setattr(dialogs, "choose_open_file", lambda *a, **k: str(path))
    page = wizard.currentPage()
    page.load_button.click()
    assert wizard.plan.sitecode == "P01"
    assert wizard.profile_path == path
    assert path.resolve() in RecentProfiles().items()
    assert page.recent_list.count() == 1
    assert "Contoso CMG" in page.source_label.text()


def test_welcome_reports_a_broken_profile_and_leaves_it_alone(make_wizard, monkeypatch, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{ not json", encoding="utf-8")
    errors = []
    monkeypatch.setattr(dialogs, "choose_open_file", lambda *a, **k: str(path))
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, text: errors.append(text))
    wizard = make_wizard()
    before = wizard.plan
    wizard.currentPage().load_button.click()
    assert errors and "broken.json" in errors[0]
    assert wizard.plan == before
    assert path.read_text(encoding="utf-8") == "{ not json"


def test_a_recent_profile_that_moved_is_dropped_from_the_list(make_wizard, monkeypatch, tmp_path):
    from wizard.core.profiles import Profile, RecentProfiles, save_profile

    path = tmp_path / "gone.json"
    save_profile(path, Profile(name="Gone"))
    RecentProfiles().add(path)
    wizard = make_wizard()
    page = wizard.currentPage()
    assert page.recent_list.count() == 1
    path.unlink()
    errors = []
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, text: errors.append(text))
    page.recent_list.itemActivated.emit(page.recent_list.item(0))
    assert errors and "gone.json" in errors[0]
    assert RecentProfiles().items() == []
    assert page.recent_list.isHidden()


class LiveHost:
    """Just enough of a Windows host for the pages that read the device."""

    is_demo = False
    preset = None

    def describe(self) -> str:
        return "PC-042, Windows 11 Enterprise"

    def client_info(self):
        return None

    def dsregcmd(self):
        from wizard.host.base import DsregStatus

        return DsregStatus(azure_ad_joined=True, tenant_id="aaaabbbb-0000-cccc-1111-dddd2222eeee")


def test_live_mode_is_named_plainly_without_a_demo_banner(qtbot):
    from wizard.host.credentials import MemoryStore

    wizard = SetupWizard(LiveHost(), credentials=MemoryStore())
    qtbot.addWidget(wizard)
    wizard.show()
    assert wizard.windowTitle() == "ccmsetup-wizard"
    assert wizard.demo_banner is None and wizard.sideWidget() is None
    page = wizard.currentPage()
    qtbot.waitUntil(lambda: "PC-042" in page.mode_label.text(), timeout=5000)
    assert "Live mode" in page.mode_label.text()


# ---- scenario and addresses ------------------------------------------------------------------------


def test_scenario_cards_are_keyboard_selectable(make_wizard, qtbot):
    wizard = make_wizard()
    go_to(wizard, PageId.SCENARIO)
    page = wizard.currentPage()
    assert set(page.cards) == {"onprem-mp", "cmg", "internet-mp", "cmg-token"}
    wizard.activateWindow()
    page.cards["onprem-mp"].radio.setFocus()
    qtbot.waitUntil(lambda: page.cards["onprem-mp"].radio.hasFocus())
    qtbot.keyClick(page.cards["onprem-mp"].radio, Qt.Key.Key_Down)
    assert page.selected() == "cmg"
    wizard.next()
    assert wizard.plan.scenario == "cmg"


def test_addresses_show_only_the_fields_the_scenario_needs(make_wizard):
    wizard = make_wizard(plan=InstallPlan(scenario="onprem-mp"))
    go_to(wizard, PageId.ADDRESSES)
    page = wizard.currentPage()
    assert not page.fields["ccmhostname"].isVisible()
    assert page.fields["mp"].isVisible() and page.fields["sitecode"].isVisible()
    wizard.back()
    wizard.currentPage().select("cmg")
    wizard.next()
    assert page.fields["ccmhostname"].isVisible()


def test_inline_validation_message_appears_under_the_field(make_wizard, qtbot):
    wizard = make_wizard(plan=InstallPlan(scenario="onprem-mp"))
    go_to(wizard, PageId.ADDRESSES)
    site = wizard.currentPage().fields["sitecode"]
    qtbot.keyClicks(site.edit, "P0")
    assert site.severity() == "error"
    assert "P0" in site.message_text()
    qtbot.keyClicks(site.edit, "1")
    assert site.severity() != "error"


@pytest.mark.parametrize(("source", "target", "typed", "derived"), [
    ("mp", "ccmhostname", CMG_MP, CMG_HOST),
    ("ccmhostname", "mp", CMG_HOST, CMG_MP),
    ("ccmhostname", "mp", CMG_MP, CMG_MP),  # pasted with https:// into CCMHOSTNAME: /mp still right
])
def test_cmg_address_pasted_into_either_field_fills_the_other(make_wizard, qtbot, source, target, typed, derived):
    wizard = make_wizard(plan=InstallPlan(scenario="cmg"))
    go_to(wizard, PageId.ADDRESSES)
    page = wizard.currentPage()
    qtbot.keyClicks(page.fields[source].edit, typed)
    assert page.fields[target].text() == derived


def test_cmg_derivation_never_overwrites_what_the_user_typed(make_wizard, qtbot):
    wizard = make_wizard(plan=InstallPlan(scenario="cmg"))
    go_to(wizard, PageId.ADDRESSES)
    page = wizard.currentPage()
    qtbot.keyClicks(page.fields["ccmhostname"].edit, "mine.contoso.com/CCM_Proxy_MutualAuth/1")
    page.fields["mp"].edit.clear()
    qtbot.keyClicks(page.fields["mp"].edit, CMG_MP)
    assert page.fields["ccmhostname"].text() == "mine.contoso.com/CCM_Proxy_MutualAuth/1"


def test_back_keeps_what_was_typed(make_wizard, qtbot):
    wizard = make_wizard(plan=InstallPlan(scenario="cmg"))
    go_to(wizard, PageId.ADDRESSES)
    page = wizard.currentPage()
    qtbot.keyClicks(page.fields["mp"].edit, CMG_MP)
    qtbot.keyClicks(page.fields["sitecode"].edit, "P01")
    wizard.back()  # Back without Next: nothing validated, nothing lost
    wizard.next()
    assert page.fields["mp"].text() == CMG_MP
    assert page.fields["sitecode"].text() == "P01"
    # Switching to on-premises hides CCMHOSTNAME (and drops it from the command) ...
    wizard.back()
    wizard.currentPage().select("onprem-mp")
    wizard.next()
    assert wizard.currentPage().fields["ccmhostname"].isHidden()
    wizard.next()
    assert wizard.plan.ccmhostname is None
    # ... and switching back restores what was typed.
    wizard.back()
    wizard.back()
    wizard.currentPage().select("cmg")
    wizard.next()
    assert page.fields["ccmhostname"].text() == CMG_HOST
    wizard.next()
    assert wizard.plan.ccmhostname == CMG_HOST


@pytest.mark.parametrize(("field", "typed", "check_id", "status"), [
    ("mp", CMG_MP, "cmg-reachable", "pass"),
    ("ccmhostname", "nowhere.invalid/CCM_Proxy_MutualAuth/1", "cmg-reachable", "fail"),
])
def test_test_button_runs_just_that_addresss_check(make_wizard, qtbot, field, typed, check_id, status):
    wizard = make_wizard(plan=InstallPlan(scenario="cmg"))
    go_to(wizard, PageId.ADDRESSES)
    page = wizard.currentPage()
    page.fields[field].edit.setText(typed)
    qtbot.mouseClick(page.test_buttons[field], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(page.last_test_results), timeout=20000)
    assert [r.id for r in page.last_test_results] == [check_id]
    assert page.last_test_results[0].status == status
    assert page.test_results[field].isVisible()
    assert page.test_buttons[field].isEnabled()


def test_address_probe_picks_the_check_for_the_address():
    from wizard.ui.pages.addresses import address_probe

    plan = InstallPlan(scenario="cmg", mp=(CMG_MP,), ccmhostname=CMG_HOST, smsmp="https://mp01.contoso.com")
    probe_plan, check = address_probe(plan, "smsmp")
    assert check == "mp-reachable" and probe_plan.mp == ("https://mp01.contoso.com",)
    assert probe_plan.ccmhostname is None
    probe_plan, check = address_probe(plan, "mp")
    assert check == "cmg-reachable" and probe_plan.ccmhostname is None and probe_plan.mp == (CMG_MP,)
    probe_plan, check = address_probe(InstallPlan(scenario="internet-mp", ccmhostname="ibcm.contoso.com"),
                                      "ccmhostname")
    assert check == "mp-reachable" and probe_plan.scenario == "internet-mp"
    assert address_probe(InstallPlan(), "mp") is None


def test_back_keeps_entra_and_option_edits(make_wizard, qtbot):
    wizard = make_wizard(plan=InstallPlan(scenario="cmg"))
    go_to(wizard, PageId.ENTRA)
    qtbot.keyClicks(wizard.currentPage().entra_fields["aadresourceuri"].edit, "https://contososerver")
    wizard.next()
    options = wizard.currentPage()
    options.switches["/forceinstall"].setChecked(True)
    options.table.item(options.row_of("SMSCACHESIZE"), 1).setText("10240")
    wizard.back()
    assert wizard.currentPage().entra_fields["aadresourceuri"].text() == "https://contososerver"
    wizard.back()
    go_to(wizard, PageId.OPTIONS)
    assert options.switches["/forceinstall"].isChecked()
    assert options.table.item(options.row_of("SMSCACHESIZE"), 1).text() == "10240"
    assert wizard.plan.aadresourceuri == "https://contososerver"


# ---- Entra and token -------------------------------------------------------------------------------


def test_use_this_devices_tenant_fills_the_tenant(make_wizard, qtbot):
    wizard = make_wizard("entra-joined", plan=InstallPlan(scenario="cmg"))
    go_to(wizard, PageId.ENTRA)
    page = wizard.currentPage()
    qtbot.waitUntil(lambda: page.use_device_tenant.isEnabled(), timeout=5000)
    qtbot.mouseClick(page.use_device_tenant, Qt.MouseButton.LeftButton)
    tenant = page.device_status.tenant_id
    assert tenant and page.entra_fields["aadtenantid"].text() == tenant
    assert page.mismatch.isHidden()
    assert "Optional with a CMG" in page.optional_note.text()


def test_tenant_mismatch_with_the_device_is_shown(make_wizard, qtbot):
    wizard = make_wizard("tenant-mismatch", plan=InstallPlan(scenario="cmg"))
    go_to(wizard, PageId.ENTRA)
    page = wizard.currentPage()
    qtbot.waitUntil(lambda: page.device_status is not None, timeout=5000)
    qtbot.keyClicks(page.entra_fields["aadtenantid"].edit, "aaaabbbb-0000-cccc-1111-dddd2222eeee")
    assert page.mismatch.isVisible()
    assert page.device_status.tenant_id in page.mismatch.text()


def test_token_is_masked_and_its_expiry_shown(make_wizard, qtbot):
    wizard = make_wizard("not-joined", plan=InstallPlan(scenario="cmg-token", sitecode="P01"))
    go_to(wizard, PageId.ENTRA)
    page = wizard.currentPage()
    assert page.stack.currentIndex() == 1
    token = make_token()
    qtbot.keyClicks(page.token.edit, token)
    assert page.token.edit.echoMode() == QLineEdit.EchoMode.Password
    assert page.token.edit.displayText() != token
    assert "Expires on" in page.expiry.text()
    page.token.show_box.setChecked(True)
    assert page.token.edit.displayText() == token
    wizard.next()
    assert wizard.plan.regtoken == token


def test_expired_token_says_so(make_wizard, qtbot):
    wizard = make_wizard("not-joined", plan=InstallPlan(scenario="cmg-token"))
    go_to(wizard, PageId.ENTRA)
    page = wizard.currentPage()
    qtbot.keyClicks(page.token.edit, make_token(expires_in=-3600))
    assert "Expired" in page.expiry.text()


def test_without_a_keyring_the_token_stays_in_memory(make_wizard):
    wizard = make_wizard("not-joined", plan=InstallPlan(scenario="cmg-token"))
    go_to(wizard, PageId.ENTRA)
    page = wizard.currentPage()
    assert not page.store_token.isEnabled()
    assert "memory" in page.store_note.text()


@pytest.mark.parametrize("tick", [True, False])
def test_token_is_stored_only_when_asked(make_wizard, qtbot, memory_keyring, tick):
    from wizard.host.credentials import KeyringStore

    store = KeyringStore()
    assert store.secure
    wizard = make_wizard("not-joined", plan=InstallPlan(scenario="cmg-token"), credentials=store)
    go_to(wizard, PageId.ENTRA)
    page = wizard.currentPage()
    token = make_token()
    qtbot.keyClicks(page.token.edit, token)
    page.store_token.setChecked(tick)
    wizard.next()
    if tick:
        qtbot.waitUntil(lambda: bool(memory_keyring.passwords), timeout=5000)
    else:
        qtbot.wait(200)  # give a wrongly started background write the chance to show up
    stored = list(memory_keyring.passwords.values())
    assert stored == ([token] if tick else [])


def test_a_stored_token_can_be_used_again(make_wizard, qtbot, memory_keyring):
    from wizard.host.credentials import KeyringStore, credential_key_for_profile

    token = make_token()
    store = KeyringStore()
    store.set(credential_key_for_profile(None), token)
    wizard = make_wizard("not-joined", plan=InstallPlan(scenario="cmg-token"), credentials=store)
    go_to(wizard, PageId.ENTRA)
    page = wizard.currentPage()
    qtbot.waitUntil(lambda: page.use_stored.isVisible(), timeout=5000)
    qtbot.mouseClick(page.use_stored, Qt.MouseButton.LeftButton)
    assert page.token.edit.text() == token and page.token.is_masked()


# ---- locked profile fields -------------------------------------------------------------------------


def test_locked_profile_fields_are_read_only_with_a_lock(make_wizard, monkeypatch, tmp_path):
    from wizard.core.profiles import Profile, save_profile

    plan = InstallPlan(scenario="cmg", sitecode="P01", mp=(CMG_MP,), ccmhostname=CMG_HOST)
    plan = plan.with_parameter("/NoCRLCheck").with_property("CCMLOGLEVEL", "0")
    path = tmp_path / "locked.json"
    save_profile(path, Profile(name="Locked", plan=plan, locked=("sitecode", "/NoCRLCheck", "CCMLOGLEVEL"),
                               lock_reason="Set by the site admin"))
    wizard = make_wizard()
    assert wizard.load_profile_file(path)
    go_to(wizard, PageId.ADDRESSES)
    site = wizard.currentPage().fields["sitecode"]
    assert site.edit.isReadOnly() and site.lock_icon.isVisible()
    assert "Set by the site admin" in site.lock_icon.toolTip()
    assert not wizard.currentPage().fields["mp"].edit.isReadOnly()
    go_to(wizard, PageId.OPTIONS)
    options = wizard.currentPage()
    assert not options.switches["/NoCRLCheck"].isEnabled()
    assert options.switches["/NoCRLCheck"].isChecked()
    assert not options.switches["/NoCRLCheck"].icon().isNull()
    assert "Set by the site admin" in options.switches["/NoCRLCheck"].toolTip()
    assert options.switches["/forceinstall"].isEnabled() and options.switches["/forceinstall"].icon().isNull()
    row = options.row_of("CCMLOGLEVEL")
    value_item = options.table.item(row, 1)
    assert not (value_item.flags() & Qt.ItemFlag.ItemIsEditable)
    assert not options.table.item(row, 0).icon().isNull()
    assert "Set by the site admin" in options.lock_note.text()
    # A pasted command cannot change a locked value.
    from wizard.core.parse import parse_command

    wizard.apply_parsed_command(parse_command(f"ccmsetup.exe /mp:{CMG_MP} SMSSITECODE=XYZ"))
    assert wizard.plan.sitecode == "P01"
    assert wizard.plan.has_switch("/NoCRLCheck")


# ---- options ---------------------------------------------------------------------------------------


def test_options_write_switches_download_settings_and_table_values(make_wizard):
    wizard = make_wizard(plan=InstallPlan(scenario="cmg").with_property("FOOBAR", "1"))
    go_to(wizard, PageId.OPTIONS)
    page = wizard.currentPage()
    assert page.row_of("FOOBAR") >= 0  # unknown properties are listed, with their value
    assert page.table.item(page.row_of("FOOBAR"), 1).text() == "1"
    assert "/uninstall" not in [page.table.item(r, 0).text() for r in range(page.table.rowCount())]
    page.switches["/NoCRLCheck"].setChecked(True)
    page.bits.setCurrentIndex(page.bits.findData("LOW"))
    page.source.setText(r"\\server\share\Client")
    page.table.item(page.row_of("CCMLOGLEVEL"), 1).setText("0")
    page.table.item(page.row_of("/IgnoreSkipUpgrade"), 1).setCheckState(Qt.CheckState.Checked)
    page.switches["/AllowMetered"].setChecked(True)
    page.switches["/logon"].setChecked(True)
    wizard.next()
    plan = wizard.plan
    assert plan.has_switch("/NoCRLCheck")
    assert plan.parameter("/BITSPriority") == (True, "LOW")
    assert plan.parameter("/source") == (True, r"\\server\share\Client")
    assert plan.property("CCMLOGLEVEL") == "0"
    assert plan.has_switch("/IgnoreSkipUpgrade")
    assert plan.has_switch("/AllowMetered") and plan.has_switch("/logon")
    assert plan.property("FOOBAR") == "1"


def test_logon_and_allow_metered_are_common_checkboxes_not_table_rows(make_wizard):
    wizard = make_wizard(plan=InstallPlan(scenario="cmg").with_parameter("/AllowMetered"))
    go_to(wizard, PageId.OPTIONS)
    page = wizard.currentPage()
    for name in ("/logon", "/AllowMetered"):
        assert page.switches[name].isVisible() and page.switches[name].accessibleName() == name
        assert page.row_of(name) == -1
    assert page.switches["/AllowMetered"].isChecked() and not page.switches["/logon"].isChecked()


def test_logon_with_forceinstall_shows_the_conflict_on_the_options_page(make_wizard):
    wizard = make_wizard(plan=InstallPlan(scenario="cmg"))
    go_to(wizard, PageId.OPTIONS)
    page = wizard.currentPage()
    assert not page.findings_message.isVisible()
    page.switches["/forceinstall"].setChecked(True)
    assert not page.findings_message.isVisible()
    page.switches["/logon"].setChecked(True)
    assert page.findings_message.isVisible()
    assert [f.rule for f in page.findings_message.findings()] == ["conflicting-switches"]
    assert "/logon" in page.findings_message.text() and "/forceinstall" in page.findings_message.text()
    page.switches["/forceinstall"].setChecked(False)
    assert not page.findings_message.isVisible()
    # A table switch conflicting with a common one shows too, and so does a plan that arrives with both.
    page.switches["/noservice"].setChecked(True)
    page.table.item(page.row_of("/service"), 1).setCheckState(Qt.CheckState.Checked)
    assert "/noservice" in page.findings_message.text()
    wizard.back()
    wizard.set_plan(wizard.plan.with_parameter("/forceinstall").with_parameter("/logon"))
    wizard.next()
    assert "/forceinstall" in page.findings_message.text()


def test_unknown_entries_pass_through_options_unchanged_until_unticked(make_wizard):
    plan = InstallPlan(scenario="cmg").with_property("FOOBAR", "").with_parameter("/custom")
    plan = plan.with_property("OTHER", "x y")
    wizard = make_wizard(plan=plan)
    go_to(wizard, PageId.OPTIONS)
    page = wizard.currentPage()
    wizard.next()
    assert wizard.plan.properties == plan.properties
    assert wizard.plan.parameters == plan.parameters
    wizard.back()
    page.table.item(page.row_of("/custom"), 1).setCheckState(Qt.CheckState.Unchecked)
    wizard.next()
    assert not wizard.plan.has_switch("/custom")
    assert wizard.plan.property("FOOBAR") == ""


def test_options_choose_the_ccmsetup_exe(make_wizard, qtbot, monkeypatch, tmp_path):
    wizard = make_wizard(plan=InstallPlan(scenario="cmg"))
    go_to(wizard, PageId.OPTIONS)
    page = wizard.currentPage()
    qtbot.waitUntil(lambda: page.exe.placeholderText().startswith("Found:"), timeout=5000)
    exe = tmp_path / "Client" / "ccmsetup.exe"
    monkeypatch.setattr(dialogs, "choose_open_file", lambda *a, **k: str(exe))
    qtbot.mouseClick(page.exe_browse, Qt.MouseButton.LeftButton)
    wizard.next()
    assert wizard.exe_path == str(exe)


def test_options_table_rows_explain_themselves(make_wizard):
    wizard = make_wizard()
    go_to(wizard, PageId.OPTIONS)
    page = wizard.currentPage()
    for row in range(page.table.rowCount()):
        assert page.table.item(row, 2).text(), page.table.item(row, 0).text()
        assert page.table.item(row, 0).toolTip()
    page.filter.setText("cache")
    visible = [page.table.item(r, 0).text() for r in range(page.table.rowCount()) if not page.table.isRowHidden(r)]
    assert "SMSCACHESIZE" in visible and "/forceinstall" not in visible


# ---- review ----------------------------------------------------------------------------------------


def _review_wizard(make_wizard, plan: InstallPlan) -> SetupWizard:
    wizard = make_wizard("not-joined", plan=plan)
    page = wizard.page(int(PageId.REVIEW))
    # Straight to Review: the checks are the other engineer's page and have their own tests.
    wizard.setStartId(int(PageId.REVIEW))
    wizard.restart()
    assert wizard.currentPage() is page
    return wizard


def test_review_masks_the_token_until_show_and_lists_findings(make_wizard):
    token = make_token()
    plan = InstallPlan(scenario="cmg-token", mp=(CMG_MP,), ccmhostname=CMG_HOST, sitecode="P01", regtoken=token)
    wizard = _review_wizard(make_wizard, plan)
    page = wizard.currentPage()
    assert token not in page.command.toPlainText()
    assert MASK in page.command.toPlainText()
    page.show_secrets.setChecked(True)
    assert token in page.command.toPlainText()
    page.show_secrets.setChecked(False)
    text = page.findings_view.toPlainText()
    assert "Fix:" in text  # every finding comes with its fix
    assert any(f.field == "/mp" for f in page.findings)  # token + /mp is flagged (0x87d0027e)
    assert page.command.isReadOnly()


def test_review_blocks_install_on_errors_and_names_the_commit_button(make_wizard):
    wizard = _review_wizard(make_wizard, InstallPlan(scenario="cmg", mp=(CMG_MP,), sitecode="P0"))
    page = wizard.currentPage()
    assert page.isCommitPage()
    assert page.buttonText(QWizard.WizardButton.CommitButton).replace("&", "") == "Install"
    assert not wizard.button(QWizard.WizardButton.CommitButton).isEnabled()
    assert page.block_note.isVisible()
    good = _review_wizard(make_wizard, InstallPlan(scenario="cmg", mp=(CMG_MP,), ccmhostname=CMG_HOST,
                                                   sitecode="P01"))
    assert good.button(QWizard.WizardButton.CommitButton).isEnabled()


def test_copy_puts_the_masked_command_on_the_clipboard(make_wizard):
    token = make_token()
    plan = InstallPlan(scenario="cmg-token", ccmhostname=CMG_HOST, sitecode="P01", regtoken=token)
    wizard = _review_wizard(make_wizard, plan)
    page = wizard.currentPage()
    page.copy_button.click()
    assert MASK in QApplication.clipboard().text()
    assert "masked" in page.copy_status.text()


@pytest.mark.parametrize(("fmt", "expected"), [
    ("cmd", "ccmsetup.exe"), ("powershell", "ccmsetup"), ("intune", "CCMHOSTNAME="),
    ("intune-msi", "CCMSETUPCMD="), ("json", '"arguments"'),
])
def test_export_writes_each_format(make_wizard, tmp_path, monkeypatch, fmt, expected):
    plan = InstallPlan(scenario="cmg", mp=(CMG_MP,), ccmhostname=CMG_HOST, sitecode="P01")
    wizard = _review_wizard(make_wizard, plan)
    page = wizard.currentPage()
    target = tmp_path / f"out.{fmt}"
    monkeypatch.setattr(dialogs, "choose_save_file", lambda *a, **k: str(target))
    page.export_format.setCurrentIndex(page.export_format.findData(fmt))
    page.export_button.click()
    assert expected in target.read_text(encoding="utf-8")
    assert str(target) in page.export_status.text()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("out.")] == [target.name]  # no temp left


def test_export_keeps_the_token_out_unless_the_user_agrees(make_wizard, tmp_path, monkeypatch):
    token = make_token()
    plan = InstallPlan(scenario="cmg-token", ccmhostname=CMG_HOST, sitecode="P01", regtoken=token)
    wizard = _review_wizard(make_wizard, plan)
    page = wizard.currentPage()
    monkeypatch.setattr(dialogs, "ask_yes_no", lambda *a, **k: False)
    page.export_to("cmd", str(tmp_path / "masked.cmd"))
    assert token not in (tmp_path / "masked.cmd").read_text(encoding="utf-8")
    monkeypatch.setattr(dialogs, "ask_yes_no", lambda *a, **k: True)
    page.export_to("cmd", str(tmp_path / "clear.cmd"))
    assert token in (tmp_path / "clear.cmd").read_text(encoding="utf-8")


def test_export_to_an_unwritable_place_says_so(make_wizard, tmp_path):
    plan = InstallPlan(scenario="cmg", mp=(CMG_MP,), ccmhostname=CMG_HOST, sitecode="P01")
    wizard = _review_wizard(make_wizard, plan)
    page = wizard.currentPage()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    assert not page.export_to("cmd", str(blocker / "x.cmd"))
    assert "Could not write" in page.export_status.text()


def test_intune_gauge_counts_the_real_length(make_wizard):
    from wizard.core.render import intune_length

    plan = InstallPlan(scenario="cmg", mp=(CMG_MP,), ccmhostname=CMG_HOST, sitecode="P01")
    long_plan = plan.with_property("CCMADMINS", "x" * 1100)
    wizard = _review_wizard(make_wizard, long_plan)
    page = wizard.currentPage()
    assert page.gauge.length == intune_length(long_plan)
    assert page.gauge.over_limit
    assert "1024" in page.gauge.status.text()


def test_save_profile_writes_a_profile_without_the_token(make_wizard, tmp_path, monkeypatch):
    from wizard.core.profiles import load_profile

    token = make_token()
    plan = InstallPlan(scenario="cmg-token", ccmhostname=CMG_HOST, sitecode="P01", regtoken=token)
    wizard = _review_wizard(make_wizard, plan)
    page = wizard.currentPage()
    target = tmp_path / "saved"
    monkeypatch.setattr(dialogs, "choose_save_file", lambda *a, **k: str(target))
    page.save_profile_button.click()
    saved = tmp_path / "saved.json"
    assert load_profile(saved).plan.sitecode == "P01"
    assert token not in saved.read_text(encoding="utf-8")
    assert "not stored" in page.export_status.text()


# ---- keyboard and accessibility --------------------------------------------------------------------


def _press(qtbot, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    target = QApplication.focusWidget()
    assert target is not None, "nothing has keyboard focus"
    qtbot.keyClick(target, key, modifier)


def test_keyboard_only_path_from_welcome_to_review(make_wizard, qtbot):
    wizard = make_wizard()
    wizard.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
    _press(qtbot, Qt.Key.Key_Return)  # Welcome: Enter = Next
    assert wizard.currentId() == PageId.SCENARIO
    _press(qtbot, Qt.Key.Key_Down)  # on-premises -> CMG
    _press(qtbot, Qt.Key.Key_Return)
    assert wizard.currentId() == PageId.ADDRESSES and wizard.plan.scenario == "cmg"
    qtbot.keyClicks(QApplication.focusWidget(), CMG_MP)  # focus starts in /mp
    _press(qtbot, Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)  # Alt+S: site code
    qtbot.keyClicks(QApplication.focusWidget(), "P01")
    _press(qtbot, Qt.Key.Key_Return)
    assert wizard.currentId() == PageId.ENTRA
    _press(qtbot, Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)  # Alt+N = Next (an animated click)
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.OPTIONS, timeout=2000)
    _press(qtbot, Qt.Key.Key_Return)
    assert wizard.currentId() == PageId.CHECKS
    checks = wizard.currentPage()
    qtbot.waitUntil(lambda: wizard.button(QWizard.WizardButton.NextButton).isEnabled() or checks.isComplete(),
                    timeout=20000)
    _press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.REVIEW, timeout=5000)
    assert wizard.plan.ccmhostname == CMG_HOST and wizard.plan.sitecode == "P01"
    assert wizard.button(QWizard.WizardButton.CommitButton).isEnabled()


CONTROL_TYPES = (QAbstractButton, QLineEdit, QComboBox, QTableWidget, QListWidget, QPlainTextEdit, QTextBrowser)


@pytest.mark.parametrize("page_id", [PageId.WELCOME, PageId.SCENARIO, PageId.ADDRESSES, PageId.ENTRA,
                                     PageId.OPTIONS, PageId.REVIEW])
@pytest.mark.parametrize("scenario", ["cmg", "cmg-token"])
def test_every_control_has_an_accessible_name(make_wizard, page_id, scenario):
    wizard = make_wizard(plan=InstallPlan(scenario=scenario))
    page = wizard.page(int(page_id))
    wizard.setStartId(int(page_id))
    wizard.restart()
    controls = [w for kind in CONTROL_TYPES for w in page.findChildren(kind)]
    unnamed = [f"{type(w).__name__} {getattr(w, 'text', lambda: '')()!r}"
               for w in controls if w.isVisibleTo(page) and not w.accessibleName()]
    assert unnamed == []
    for which in (QWizard.WizardButton.NextButton, QWizard.WizardButton.BackButton,
                  QWizard.WizardButton.CancelButton, QWizard.WizardButton.CommitButton):
        assert wizard.button(which).accessibleName()


@pytest.mark.parametrize("page_id", [PageId.WELCOME, PageId.SCENARIO, PageId.ADDRESSES, PageId.ENTRA,
                                     PageId.OPTIONS, PageId.REVIEW])
@pytest.mark.parametrize("scenario", ["cmg", "cmg-token"])
def test_mnemonics_are_unique_on_each_page(make_wizard, page_id, scenario):
    import re

    from PySide6.QtWidgets import QGroupBox, QLabel

    wizard = make_wizard(plan=InstallPlan(scenario=scenario))
    wizard.setStartId(int(page_id))
    wizard.restart()
    keys: dict[str, list[str]] = {}
    for widget in wizard.findChildren(QAbstractButton) + wizard.findChildren(QLabel) + wizard.findChildren(QGroupBox):
        if not widget.isVisible():
            continue
        if isinstance(widget, QLabel) and widget.textFormat() == Qt.TextFormat.RichText:
            continue  # rich text: '&' is an HTML entity, not a mnemonic
        text = widget.title() if isinstance(widget, QGroupBox) else widget.text()
        match = re.search(r"&([^&\s])", text or "")
        if match:
            keys.setdefault(match.group(1).lower(), []).append(text)
    assert {key: texts for key, texts in keys.items() if len(texts) > 1} == {}


def test_icons_resolve_from_the_resources_folder():
    from wizard.ui import icons

    assert icons.missing_icons() == []
    for status in ("pass", "warn", "fail", "skip", "error", "running", "lock", "warning", "cmg-token"):
        assert not icons.icon(status).isNull()
    with pytest.raises(KeyError, match="unknown icon"):
        icons.icon_path("no-such-icon")


def test_resources_dir_prefers_a_pyinstaller_bundle(monkeypatch, tmp_path):
    import sys

    from wizard.ui import icons

    monkeypatch.delenv(icons.RESOURCES_ENV, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert icons.resources_dir() == Path(tmp_path) / "resources"
