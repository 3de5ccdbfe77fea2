"""dsregcmd /status parsing from recorded outputs: keys are found whatever section or column they sit in."""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wizard.host.dsregcmd import decode_console_output, parse_dsregcmd

FIXTURES = Path(__file__).parent / "fixtures" / "dsregcmd"


def load(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def test_entra_joined_device():
    status = parse_dsregcmd(load("entra-joined.txt"))
    assert status.azure_ad_joined is True
    assert status.domain_joined is False
    assert status.tenant_id == "aaaabbbb-0000-cccc-1111-dddd2222eeee"
    assert status.tenant_name == "Contoso"
    assert status.azure_ad_prt is True
    assert status.device_name == "LAPTOP-7QK2M"
    assert status.join_state == "Microsoft Entra joined"
    assert status.error is None
    # a value containing " : " and a URL keeps everything after the first separator
    assert status.sections["Tenant Details"]["AuthCodeUrl"].startswith("https://login.microsoftonline.com/")
    assert status.sections["Diagnostic Data"]["Executing Account Name"] == "CONTOSO\\alex, alex@contoso.com"


def test_hybrid_joined_device():
    status = parse_dsregcmd(load("hybrid-joined.txt"))
    assert status.azure_ad_joined and status.domain_joined
    assert status.domain_name == "CONTOSO"
    assert status.join_state == "Microsoft Entra hybrid joined"


def test_not_joined_device_is_only_registered():
    status = parse_dsregcmd(load("not-joined.txt"))
    assert status.azure_ad_joined is False
    assert status.workplace_joined is True
    assert status.azure_ad_prt is False
    assert status.tenant_id is None
    assert status.join_state == "Microsoft Entra registered only (not joined)"


def test_old_build_has_tenant_under_device_state_and_prt_under_user_state():
    status = parse_dsregcmd(load("old-build.txt"))
    assert "Tenant Details" not in status.sections
    assert status.tenant_id == "6f9619ff-8b86-d011-b42d-00c04fc964ff"  # braces and case normalised
    assert status.tenant_name == "Fabrikam"
    assert status.domain_joined is True
    assert status.azure_ad_prt is True
    assert status.join_state == "Microsoft Entra hybrid joined"


def test_key_order_and_alignment_do_not_matter():
    text = "| SSO State |\nAzureAdPrt:NO\n| Device State |\n  TenantId   :   {ABC}  \nAzureAdJoined : yes\n"
    status = parse_dsregcmd(text)
    assert status.azure_ad_joined is True
    assert status.azure_ad_prt is False
    assert status.tenant_id == "abc"


def test_run_as_system_has_no_user_state():
    text = load("entra-joined.txt").split("| User State")[0]
    status = parse_dsregcmd(text)
    assert status.azure_ad_joined is True
    assert status.azure_ad_prt is None
    assert not status.has_user_state


@pytest.mark.parametrize("text", ["", "The system cannot find the file specified.\n", "+-----+\n"])
def test_garbage_gives_an_error_not_an_exception(text):
    status = parse_dsregcmd(text)
    assert status.error
    assert status.azure_ad_joined is None


def test_console_output_decoding():
    assert decode_console_output("Gerät : JA".encode("cp850"), 850) == "Gerät : JA"
    assert decode_console_output("\ufeffx : y".encode("utf-16-le"), 850) == "x : y"
    assert decode_console_output(b"\xef\xbb\xbfa : b") == "a : b"
    assert decode_console_output(b"a\xff : b") == "a\xff : b"  # latin-1 fallback, never raises


KEYS = ["AzureAdJoined", "DomainJoined", "EnterpriseJoined", "TenantId", "TenantName", "AzureAdPrt", "Other Key"]


@settings(max_examples=60, deadline=None)
@given(st.text())
def test_parser_never_raises(text):
    parse_dsregcmd(text)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.tuples(st.sampled_from(KEYS), st.sampled_from(["YES", "NO", "abc-123"])), min_size=1,
                  unique_by=lambda row: row[0]),
    indent=st.integers(0, 30),
    section=st.sampled_from(["Device State", "Tenant Details", "User State", "SSO State", "Future Section"]),
)
def test_values_are_found_in_any_section_with_any_alignment(rows, indent, section):
    text = f"+----+\n| {section} |\n+----+\n" + "".join(f"{' ' * indent}{k} : {v}\n" for k, v in rows)
    status = parse_dsregcmd(text)
    for key, value in rows:
        assert status.sections[section][key] == value
        if key == "AzureAdJoined":
            assert status.azure_ad_joined is {"YES": True, "NO": False}.get(value)
