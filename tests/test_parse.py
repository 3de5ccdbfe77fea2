import pytest
from argv_reference import command_line_to_argv, split_arguments
from hypothesis import given
from hypothesis import strategies as st

from wizard.core.parse import CommandParseError, parse_command, split_windows_args

CMG = "CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500"


def rules(parsed):
    return [f.rule for f in parsed.findings]


def test_log_form_with_quoted_exe_and_internal_switch():
    parsed = parse_command(r'"C:\Windows\ccmsetup\ccmsetup.exe" /runservice "/mp:server.dmz" FSP="primary.lan" '
                           'SMSSITECODE="abc"')
    assert parsed.executable == r"C:\Windows\ccmsetup\ccmsetup.exe"
    assert parsed.plan.mp == ("server.dmz",)
    assert parsed.plan.sitecode == "abc"
    assert parsed.plan.properties == (("FSP", "primary.lan"),)
    assert parsed.plan.parameters == ()
    info = [f for f in parsed.findings if f.rule == "internal-switch"]
    assert info and info[0].severity == "info" and info[0].field == "/runservice"
    assert parsed.plan.scenario == "onprem-mp"


@pytest.mark.parametrize("text", [
    f"ccmsetup.exe /mp:https://{CMG} CCMHOSTNAME={CMG} SMSSITECODE=ABC",
    f"CCMSetup.exe /MP:https://{CMG} ccmhostname={CMG} SMSSiteCode=ABC",
    f"/mp:https://{CMG} CCMHOSTNAME={CMG} SMSSITECODE=ABC",
    rf'"C:\Program Files\src\ccmsetup.exe" /mp:https://{CMG} CCMHOSTNAME="{CMG}" SMSSITECODE="ABC"',
    rf'C:\src\ccmsetup.exe /mp:https://{CMG} CCMHOSTNAME={CMG} SMSSITECODE=ABC',
    f'msiexec /i ccmsetup.msi /qn CCMSETUPCMD="/mp:https://{CMG} CCMHOSTNAME={CMG} SMSSITECODE=ABC"',
    f'ccmsetup.msi CCMSETUPCMD="/mp:https://{CMG} CCMHOSTNAME={CMG} SMSSITECODE=ABC"',
    f'CCMSETUPCMD="/mp:https://{CMG} CCMHOSTNAME={CMG} SMSSITECODE=ABC"',
    f"ccmsetup.exe\t/mp:https://{CMG}\n  CCMHOSTNAME={CMG} SMSSITECODE=ABC",
])
def test_accepted_forms_give_the_same_plan(text):
    plan = parse_command(text).plan
    assert plan.mp == ("https://" + CMG,)
    assert plan.ccmhostname == CMG and plan.sitecode == "ABC"
    assert plan.scenario == "cmg"


def test_msiexec_form_reports_the_msi():
    parsed = parse_command(f'msiexec /i "C:\\src\\ccmsetup.msi" CCMSETUPCMD="CCMHOSTNAME={CMG} SMSSITECODE=ABC"')
    assert parsed.executable == "C:\\src\\ccmsetup.msi"
    assert parsed.source_format == "intune-msi"


def test_msi_doubled_quotes_inside_ccmsetupcmd():
    parsed = parse_command('CCMSETUPCMD="SMSSITECODE=ABC CCMINSTALLDIR=""C:\\my dir"""')
    assert parsed.plan.properties == (("CCMINSTALLDIR", "C:\\my dir"),)


def test_scenario_inference():
    assert parse_command(f"ccmsetup /mp:https://{CMG} CCMHOSTNAME={CMG} SMSSiteCode=ABC /regtoken:x").plan.scenario \
        == "cmg-token"
    assert parse_command("ccmsetup CCMHOSTNAME=ibcm.contoso.com SMSSITECODE=ABC").plan.scenario == "internet-mp"
    assert parse_command("ccmsetup /mp:mp1 SMSSITECODE=ABC").plan.scenario == "onprem-mp"
    assert parse_command(f"ccmsetup CCMHOSTNAME={CMG.lower()} SMSSITECODE=ABC").plan.scenario == "cmg"


def test_parameters_after_properties_are_reported_and_kept():
    parsed = parse_command(f"ccmsetup.exe CCMHOSTNAME={CMG} SMSSiteCode=ABC /regtoken:tok")
    assert parsed.plan.regtoken == "tok"
    finding = next(f for f in parsed.findings if f.rule == "params-before-properties")
    assert finding.field == "/regtoken" and finding.severity == "warning"


def test_unknown_properties_are_kept_verbatim_with_a_warning():
    parsed = parse_command("ccmsetup /mp:mp1 SMSSITECODE=ABC MyCustom=Value1 fsp=f1")
    assert parsed.plan.properties == (("MyCustom", "Value1"), ("FSP", "f1"))
    finding = next(f for f in parsed.findings if f.rule == "unknown-property")
    assert finding.field == "MyCustom"


def test_names_are_case_insensitive_and_canonicalised():
    parsed = parse_command("ccmsetup /NOCRLCHECK /bitspriority:HIGH ccmloglevel=0")
    assert parsed.plan.parameters == (("/NoCRLCheck", None), ("/BITSPriority", "HIGH"))
    assert parsed.plan.properties == (("CCMLOGLEVEL", "0"),)


def test_multiple_mp_and_flag_property():
    parsed = parse_command("ccmsetup /mp:mp1;mp2 /mp:mp3 CCMALLOWSILENTREBOOT SMSSITECODE=ABC")
    assert parsed.plan.mp == ("mp1", "mp2", "mp3")
    assert parsed.plan.properties == (("CCMALLOWSILENTREBOOT", ""),)


def test_stray_words_are_errors_not_silently_dropped():
    parsed = parse_command("ccmsetup.exe /mp:mp1 hello SMSSITECODE=ABC")
    finding = next(f for f in parsed.findings if f.rule == "unknown-argument")
    assert finding.severity == "error" and "hello" in finding.message


@pytest.mark.parametrize(("text", "words"), [
    ("", "empty"),
    ("   \n ", "empty"),
    ("notepad.exe /mp:x", "notepad.exe"),
    ("msiexec /i ccmsetup.msi /qn", "CCMSETUPCMD"),
    ('CCMSETUPCMD="/mp:x SMSSITECODE=ABC', "closing quote"),
    ("hello world", "does not look like"),
    ("{not json", "JSON"),
    ('{"plan": {"sitecode": "ABC", "colour": 1}}', "plan"),
])
def test_unparseable_text_raises_a_clear_error(text, words):
    with pytest.raises(CommandParseError, match=words):
        parse_command(text)


def test_json_with_arguments_only():
    parsed = parse_command('{"executable": "ccmsetup.exe", "arguments": ["/mp:a b", "SMSSITECODE=ABC"]}')
    assert parsed.plan.mp == ("a b",) and parsed.plan.sitecode == "ABC"


@pytest.mark.parametrize(("text", "expected"), [
    ('a b', ["a", "b"]),
    ('"a b" c', ["a b", "c"]),
    ('a\\\\"b c"', ['a\\b c']),
    ('a\\"b', ['a"b']),
    ('a\\\\\\"b', ['a\\"b']),
    ('"a""b"', ['a"b']),
    ('""""', ['"']),
    ('"" x', ["", "x"]),
    ('  lead  trail  ', ["lead", "trail"]),
    ('X="C:\\dir\\\\"', ["X=C:\\dir\\"]),
])
def test_split_windows_args_pinned_cases(text, expected):
    assert split_windows_args(text) == expected
    assert split_arguments(text) == expected


@given(st.text(alphabet=st.sampled_from(list(' \t"\\ab=:é')), max_size=30))
def test_split_windows_args_matches_the_reference(text):
    assert split_windows_args(text) == split_arguments(text)


def test_reference_reads_argv0_without_escapes():
    assert command_line_to_argv('"C:\\a b\\ccmsetup.exe" /x "y z"') == ["C:\\a b\\ccmsetup.exe", "/x", "y z"]
    assert command_line_to_argv("ccmsetup.exe") == ["ccmsetup.exe"]


def test_a_property_given_twice_uses_the_last_value_and_says_so():
    parsed = parse_command("ccmsetup /mp:mp1 SMSSITECODE=ABC smssitecode=XYZ")
    assert parsed.plan.sitecode == "XYZ"
    finding = next(f for f in parsed.findings if f.rule == "duplicate")
    assert finding.field == "SMSSITECODE" and finding.severity == "warning"


LOGGED = r'"C:\WINDOWS\ccmsetup\ccmsetup.exe" /runservice "/mp:server.dmz" FSP="primary.lan" SMSSITECODE="abc"'


@pytest.mark.parametrize(
    ("text", "executable"),
    [
        (r'& "C:\Temp\ccmsetup.exe" /mp:server.dmz FSP=primary.lan SMSSITECODE=abc', r"C:\Temp\ccmsetup.exe"),
        (r"& 'C:\My Files\ccmsetup.exe' /mp:server.dmz FSP=primary.lan SMSSITECODE=abc",
         r"C:\My Files\ccmsetup.exe"),
        (r"& .\ccmsetup.exe /mp:server.dmz FSP=primary.lan SMSSITECODE=abc", r".\ccmsetup.exe"),
        (f"Ccmsetup command line: {LOGGED}", r"C:\WINDOWS\ccmsetup\ccmsetup.exe"),
        (f"15:31:46.376\tCcmsetup command line: {LOGGED}\tccmsetup\t11/26/2026 3:31:46 PM\t4992 (0x1380)",
         r"C:\WINDOWS\ccmsetup\ccmsetup.exe"),
        (f"Ccmsetup command line: {LOGGED}\tccmsetup\t11/26/2026 3:31:46 PM\t4992 (0x1380)\n",
         r"C:\WINDOWS\ccmsetup\ccmsetup.exe"),
        (f'<![LOG[Ccmsetup command line: {LOGGED}]LOG]!><time="15:31:46.376+00" date="11-26-2026" '
         'component="ccmsetup" context="" type="1" thread="4992" file="ccmsetup.cpp:9">',
         r"C:\WINDOWS\ccmsetup\ccmsetup.exe"),
        (f"Ccmsetup command line: {LOGGED} $$<ccmsetup><11-26-2026 15:31:46.376+00><thread=4992 (0x1380)>",
         r"C:\WINDOWS\ccmsetup\ccmsetup.exe"),
    ],
)
def test_powershell_call_and_log_line_pastes_are_accepted(text, executable):
    parsed = parse_command(text)
    assert parsed.executable == executable
    assert parsed.plan.mp == ("server.dmz",) and parsed.plan.sitecode == "abc"
    assert parsed.plan.properties == (("FSP", "primary.lan"),)
    assert all(f.rule != "unknown-argument" for f in parsed.findings)


def test_command_line_text_inside_a_value_is_not_a_log_line():
    parsed = parse_command('ccmsetup.exe /mp:x FSP="see command line: here" SMSSITECODE=ABC')
    assert parsed.plan.property("FSP") == "see command line: here"


def test_log_line_without_a_command_says_what_to_paste():
    with pytest.raises(CommandParseError, match="command line:"):
        parse_command("Ccmsetup command line:")
