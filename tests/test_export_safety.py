"""Exports refuse output that would not be safe to run, write each format in its encoding, and values with any
line-break character are flagged, never cut (issue 9, "Files")."""

from __future__ import annotations

import argparse
import contextlib
import io
import stat

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wizard.cli import command_cmd
from wizard.core.parse import parse_command
from wizard.core.plan import InstallPlan, infer_scenario
from wizard.core.render import render
from wizard.core.rules import lint
from wizard.ui import dialogs
from wizard.ui.wizard import PageId

CMG_HOST = "cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975"
SAFE = InstallPlan(scenario="cmg", mp=("https://" + CMG_HOST,), ccmhostname=CMG_HOST, sitecode="P01")
INJECTED = SAFE.with_property("CCMINSTALLDIR", "C:\\CCM\r\ncalc.exe")
# Every character str.splitlines() ends a line at.
LINE_BREAKS = ["\n", "\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


def run_command(*argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="ccmsetup-wizard")
    command_cmd.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["command", *argv])
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = args.func(args)
    return code, out.getvalue(), err.getvalue()


# ---- the GUI's Export ------------------------------------------------------------------------------------------

@pytest.fixture
def review_page(qtbot, tmp_path):
    from wizard.host.credentials import MemoryStore
    from wizard.host.demo import DemoHost
    from wizard.ui.wizard import SetupWizard

    def build(plan: InstallPlan):
        host = DemoHost("not-joined", base_dir=tmp_path / "host", latency=0.0)
        wizard = SetupWizard(host, credentials=MemoryStore(), plan=plan)
        qtbot.addWidget(wizard)
        wizard.show()
        wizard.setStartId(int(PageId.REVIEW))
        wizard.restart()
        return wizard.currentPage()

    return build


@pytest.mark.parametrize("fmt", ["cmd", "powershell", "intune", "intune-msi", "json"])
def test_gui_export_refuses_a_value_with_a_line_break(review_page, tmp_path, fmt):
    page = review_page(INJECTED)
    target = tmp_path / f"install.{fmt}"
    assert not page.export_to(fmt, str(target))
    assert not target.exists()
    assert "value-quoting" in page.export_status.text() and "CCMINSTALLDIR" in page.export_status.text()
    assert list(tmp_path.glob(".install*")) == []


def test_gui_export_button_reports_the_refusal(review_page, tmp_path, monkeypatch):
    page = review_page(SAFE.with_property("CCMINSTALLDIR", "C:\\CCM\u2028x"))
    target = tmp_path / "install.cmd"
    monkeypatch.setattr(dialogs, "choose_save_file", lambda *a, **k: str(target))
    page.export_format.setCurrentIndex(page.export_format.findData("cmd"))
    page.export_button.click()
    assert not target.exists() and "not be safe" in page.export_status.text()


def test_gui_powershell_export_has_a_bom_and_cmd_has_none(review_page, tmp_path):
    page = review_page(SAFE.with_property("CCMINSTALLDIR", "C:\\Programme\\Müller Client"))
    assert page.export_to("powershell", str(tmp_path / "a.ps1"))
    assert page.export_to("cmd", str(tmp_path / "a.cmd"))
    ps1 = (tmp_path / "a.ps1").read_bytes()
    assert ps1.startswith(b"\xef\xbb\xbf") and "Müller".encode() in ps1
    cmd = (tmp_path / "a.cmd").read_bytes()
    assert not cmd.startswith(b"\xef\xbb\xbf") and b"\r\n" in cmd and "Müller".encode() in cmd


def test_gui_profile_save_that_fails_is_reported_not_raised(review_page, tmp_path):
    page = review_page(SAFE.with_property("CCMINSTALLDIR", "C:\\CCM\udcff"))
    folder = tmp_path / "profiles"
    assert not page.save_profile_to(str(folder / "p.json"))
    assert "p.json" in page.export_status.text()
    assert list(folder.iterdir()) == []  # no temp file left


# ---- the CLI's command ------------------------------------------------------------------------------------------

def test_cli_refuses_unsafe_output_naming_the_rule(tmp_path):
    command = "ccmsetup.exe /mp:https://mp1.contoso.com SMSSITECODE=P01 CCMINSTALLDIR=C:\\CCM\u2028calc"
    code, out, err = run_command("--from", command, "--format", "cmd")
    assert code == 2 and out == "" and "value-quoting [CCMINSTALLDIR]" in err
    code, out, err = run_command("--from", command, "--format", "cmd", "--output", str(tmp_path / "x.cmd"))
    assert code == 2 and not (tmp_path / "x.cmd").exists() and "no command written" in err


@pytest.mark.parametrize("exe", ['C:\\a" & calc & "b\\ccmsetup.exe', "C:\\a\nb\\ccmsetup.exe", ""])
def test_cli_refuses_an_exe_path_that_breaks_out_of_its_quotes(exe):
    code, out, err = run_command("--from", "ccmsetup.exe /mp:mp1.contoso.com SMSSITECODE=P01", "--format", "cmd",
                                 "--exe", exe)
    assert code == 2 and out == "" and "value-quoting [exe]" in err


def test_cli_output_writes_the_format_encoding_and_keeps_permissions(tmp_path):
    target = tmp_path / "install.ps1"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    command = "ccmsetup.exe /mp:mp1.contoso.com SMSSITECODE=P01 CCMINSTALLDIR=\"C:\\Prö gramme\\CCM\""
    code, out, err = run_command("--from", command, "--format", "powershell", "--output", str(target))
    assert code == 0 and out == "" and str(target) in err
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and "Prö".encode() in data
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert parse_command(data.decode("utf-8-sig")).plan.property("CCMINSTALLDIR") == "C:\\Prö gramme\\CCM"


def test_export_module_names_the_unsafe_rules_in_one_place():
    from wizard.core.export import UNSAFE_OUTPUT_RULES, UnsafeOutputError, export_text, unsafe_findings

    assert "value-quoting" in UNSAFE_OUTPUT_RULES
    assert unsafe_findings(SAFE, "cmd") == []
    with pytest.raises(UnsafeOutputError) as caught:
        export_text(INJECTED, "cmd")
    assert {f.rule for f in caught.value.findings} <= UNSAFE_OUTPUT_RULES


# ---- line breaks of every kind are flagged, never cut ---------------------------------------------------------------

FIELDS = ("ccmhostname", "sitecode", "smsmp", "aadtenantid", "aadclientappid", "aadresourceuri", "regtoken")
text_around = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)


@st.composite
def plans_with_a_line_break(draw):
    value = draw(text_around) + draw(st.sampled_from(LINE_BREAKS)) + draw(text_around)
    where = draw(st.sampled_from(["field", "mp", "parameter", "property"]))
    if where == "field":
        field = draw(st.sampled_from(FIELDS))
        plan, name = InstallPlan(**{field: value}), field
    elif where == "mp":
        plan, name = InstallPlan(mp=(value,)), "/mp"
    elif where == "parameter":
        plan, name = InstallPlan(parameters=(("/source", value),)), "/source"
    else:
        plan, name = InstallPlan(properties=(("CCMINSTALLDIR", value),)), "CCMINSTALLDIR"
    return plan, name


@settings(max_examples=300, deadline=None)
@given(plans_with_a_line_break())
def test_every_value_with_any_line_break_is_flagged(case):
    from wizard.core.plan import name_for_field

    plan, name = case
    name = name_for_field(name) if name in FIELDS else name
    assert any(f.rule == "value-quoting" and f.severity == "error" and f.field == name for f in lint(plan)), name


@pytest.mark.parametrize("char", [c for c in LINE_BREAKS if c not in "\r\n"])
def test_a_pasted_value_with_a_line_separator_is_kept_whole_and_flagged(char):
    parsed = parse_command(f"ccmsetup.exe /mp:mp1.contoso.com SMSSITECODE=P01 CCMINSTALLDIR=C:\\A{char}B")
    assert parsed.plan.property("CCMINSTALLDIR") == f"C:\\A{char}B"
    assert any(f.rule == "value-quoting" and f.field == "CCMINSTALLDIR" for f in lint(parsed.plan))
    # ... also at the very end of the text, where stripping blanks would cut it
    parsed = parse_command(f"ccmsetup.exe /mp:mp1.contoso.com SMSSITECODE=P01 CCMINSTALLDIR=C:\\A{char}")
    assert parsed.plan.property("CCMINSTALLDIR") == f"C:\\A{char}"


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([c for c in LINE_BREAKS if c not in "\r\n"]), text_around, text_around)
def test_render_then_parse_never_drops_text_around_a_separator(char, before, after):
    value = (before + char + after).replace('"', "").replace("\r", "").replace("\n", "")
    plan = InstallPlan(mp=("mp1.contoso.com",), sitecode="P01", properties=(("CCMINSTALLDIR", "x" + value),))
    plan = plan.update(scenario=infer_scenario(plan))
    parsed = parse_command(render(plan, "windows")).plan
    assert parsed.property("CCMINSTALLDIR") == "x" + value
