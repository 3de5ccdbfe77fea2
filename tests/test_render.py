import json
import subprocess

import pytest
from argv_reference import command_line_to_argv, split_arguments
from hypothesis import given
from hypothesis import strategies as st

from wizard.core.parse import parse_command
from wizard.core.plan import InstallPlan
from wizard.core.render import (
    FILE_EXTENSIONS,
    FORMATS,
    MASK,
    build_argv,
    cmd_escape,
    command_line,
    file_encoding,
    quote_value,
    render,
)

CMG = "CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500"
SEED_ARGS = ("/mp:https://" + CMG + " CCMHOSTNAME=" + CMG + " SMSSITECODE=ABC SMSMP=https://mp1.contoso.com "
             "AADTENANTID=daf4a1c2-3a0c-401b-966f-0b855d3abd1a AADCLIENTAPPID=7506ee10-f7ec-415a-b415-cd3d58790d97 "
             "AADRESOURCEURI=https://contososerver")
TOKEN_PLAN = InstallPlan(scenario="cmg-token", ccmhostname=CMG, sitecode="ABC", regtoken="eyJ.secret.token")


def seed():
    return parse_command("ccmsetup.exe " + SEED_ARGS).plan


def test_windows_format_is_the_documented_seed_line():
    assert render(seed(), "windows") == "ccmsetup.exe " + SEED_ARGS
    assert render(seed(), "windows", exe=r"C:\Program Files\x\ccmsetup.exe").startswith(
        r'"C:\Program Files\x\ccmsetup.exe" /mp:')


def test_parameters_come_before_properties_and_regtoken_is_last_parameter():
    plan = TOKEN_PLAN.with_property("FSP", "fsp1").with_parameter("/NoCRLCheck").update(mp=("m",))
    argv = build_argv(plan, show_secrets=True)
    assert argv == ["/mp:m", "/NoCRLCheck", "/regtoken:eyJ.secret.token", "CCMHOSTNAME=" + CMG, "SMSSITECODE=ABC",
                    "FSP=fsp1"]


def test_secrets_are_masked_unless_asked_for():
    for fmt in FORMATS:
        masked = render(TOKEN_PLAN, fmt)
        assert "eyJ.secret.token" not in masked, fmt
        assert MASK in masked, fmt
        assert "eyJ.secret.token" in render(TOKEN_PLAN, fmt, show_secrets=True), fmt


def test_values_are_quoted_only_when_needed():
    plan = InstallPlan(mp=("mp1",), parameters=(("/source", r"\\server\share\client"), ("/config", "my file.txt")),
                       properties=(("CCMINSTALLDIR", r"C:\Program Files\CCM"), ("CCMADMINS", "dom\\a;dom\\b"),
                                   ("FSP", "")))
    assert command_line(build_argv(plan)) == (
        r'/mp:mp1 /source:\\server\share\client /config:"my file.txt" CCMINSTALLDIR="C:\Program Files\CCM" '
        r'CCMADMINS=dom\a;dom\b FSP=""')


@pytest.mark.parametrize(("value", "expected"), [
    ("plain", "plain"),
    ("a b", '"a b"'),
    ("", '""'),
    ('a"b', r'"a\"b"'),
    ("C:\\dir\\", "C:\\dir\\"),
    ("C:\\my dir\\", '"C:\\my dir\\\\"'),
    ('back\\"slash', '"back\\\\\\"slash"'),
    ("tab\there", '"tab\there"'),
])
def test_quote_value_follows_the_crt_rules(value, expected):
    assert quote_value(value) == expected
    assert split_arguments("X=" + quote_value(value)) == ["X=" + value]


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"),
                        max_size=12), max_size=5))
def test_quoting_agrees_with_commandlinetoargvw_and_list2cmdline_rules(values):
    line = " ".join("V=" + quote_value(v) for v in values)
    assert split_arguments(line) == ["V=" + v for v in values]
    # list2cmdline implements the same rules for whole arguments (pinned here, bpo-10838).
    assert command_line_to_argv("x.exe " + subprocess.list2cmdline(values)) == ["x.exe", *values]


def test_cmd_file_escapes_what_cmd_would_eat():
    plan = InstallPlan(mp=("mp1",), properties=(("FSP", "a&b"), ("CCMADMINS", "x%PATH%y^z!w<>|()"),
                                                ("CCMCERTSEL", 'SubjectStr:a b&c'), ("X", 'q"r&s')))
    text = render(plan, "cmd")
    lines = text.split("\r\n")
    assert lines[0] == "@echo off"
    assert "setlocal DisableDelayedExpansion" in lines
    assert lines[-2] == "exit /b %ERRORLEVEL%"
    command = next(line for line in lines if line.startswith('"%~dp0ccmsetup.exe"'))
    assert "FSP=a^&b" in command
    assert "CCMADMINS=x%%PATH%%y^^z!w^<^>^|^(^)" in command
    assert 'CCMCERTSEL="SubjectStr:a b&c"' in command  # inside cmd's quotes nothing is escaped
    assert r'X="q\"r^&s"' in command  # cmd's quote state flips at \" so the & is outside its quotes
    assert render(plan, "cmd", exe=r"D:\src\ccmsetup.exe").count('"D:\\src\\ccmsetup.exe"') == 1


def test_cmd_escape_tracks_cmds_quote_state():
    assert cmd_escape('a&b "c&d" e|f %x%') == 'a^&b "c&d" e^|f %%x%%'


def test_powershell_script_starts_elevated_waits_and_reads_the_log_after_the_offset():
    text = render(seed().with_property("FSP", "it's"), "powershell")
    assert "-ArgumentList $Arguments -Verb RunAs -Wait -PassThru" in text
    assert "$Arguments = '/mp:https://" in text and "FSP=it''s" in text
    assert "Get-Process -Name ccmsetup" in text and "Get-Service -Name ccmsetup" in text
    assert "ccmsetup\\Logs\\ccmsetup.log" in text
    assert "$Offset = (Get-Item -LiteralPath $LogPath).Length" in text and "Seek($Offset" in text
    assert "CcmSetup is exiting with return code (\\d+)" in text
    assert "CcmSetup failed with error code" in text
    assert "exit $Code" in text
    assert "Join-Path -Path $PSScriptRoot -ChildPath 'ccmsetup.exe'" in text


def test_intune_formats():
    assert render(seed(), "intune") == SEED_ARGS
    assert render(seed(), "intune-msi") == f'CCMSETUPCMD="{SEED_ARGS}"'
    spaced = InstallPlan(ccmhostname=CMG, sitecode="ABC", properties=(("CCMINSTALLDIR", "C:\\a b"),))
    assert render(spaced, "intune-msi").endswith('CCMINSTALLDIR=""C:\\a b"""')


def test_json_format():
    document = json.loads(render(TOKEN_PLAN, "json"))
    assert set(document) == {"executable", "arguments", "plan"}
    assert document["executable"] == "ccmsetup.exe"
    assert document["arguments"] == build_argv(TOKEN_PLAN)
    assert document["plan"]["regtoken"] == MASK
    assert InstallPlan.model_validate(json.loads(render(TOKEN_PLAN, "json", show_secrets=True))["plan"]) == TOKEN_PLAN


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="windows"):
        render(seed(), "bash")


def test_bare_flag_property_renders_bare():
    plan = InstallPlan(sitecode="ABC", properties=(("CCMALLOWSILENTREBOOT", ""),))
    assert render(plan, "intune") == "SMSSITECODE=ABC CCMALLOWSILENTREBOOT"


def test_cmd_file_switches_to_utf8_only_for_non_ascii():
    assert "chcp" not in render(InstallPlan(mp=("mp1",)), "cmd")
    text = render(InstallPlan(mp=("mp1",), properties=(("CCMINSTALLDIR", "C:\\Müller"),)), "cmd")
    lines = text.split("\r\n")
    assert lines.index("chcp 65001 >nul") == lines.index(next(x for x in lines if x.startswith('"%~dp0'))) - 1
    assert parse_command(text).plan.properties == (("CCMINSTALLDIR", "C:\\Müller"),)


def test_file_encodings_and_extensions():
    assert file_encoding("powershell") == "utf-8-sig"
    assert file_encoding("cmd") == "utf-8"
    assert set(FILE_EXTENSIONS) == set(FORMATS)
