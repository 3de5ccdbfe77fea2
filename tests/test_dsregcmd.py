"""dsregcmd /status parsing from recorded outputs: keys are found whatever section or column they sit in."""

import datetime
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
    # no known OEM code page: UTF-8 when it decodes, else the US OEM page 437 (never raises)
    assert decode_console_output(b"a\xff : b") == "a\u00a0 : b"
    assert decode_console_output("Zürich : JA".encode()) == "Zürich : JA"


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


# -- issue 15: separators, placeholders, unknown join state, diagnostics -----------------------------------


def test_equals_separator_and_placeholders():
    status = parse_dsregcmd(load("equals-separator.txt"))
    assert status.azure_ad_joined is True
    assert status.domain_joined is False  # "DomainJoined = NO" is read, not dropped
    assert status.join_state == "Microsoft Entra joined"
    assert status.tenant_name == "Contoso"
    assert status.device_name == "KIOSK-07"
    # values keep their own '=' and ':' (base64 padding, query strings)
    assert status.sections["Tenant Details"]["SettingsUrl"] == "eyJVeHJDb25maWciOnRydWV9=="
    assert status.sections["Tenant Details"]["MdmComplianceUrl"].endswith("?portalAction=Compliance")
    # "-" and "n/a" are placeholders: not present, not values
    assert status.mdm_url is None and "MdmUrl" not in status.sections["Tenant Details"]
    assert status.azure_ad_prt is None


@pytest.mark.parametrize("placeholder", ["", "-", "n/a", "N/A"])
def test_placeholder_is_not_a_value(placeholder):
    status = parse_dsregcmd(f"AzureAdJoined : YES\nTenantName : {placeholder}\nDeviceAuthStatus : {placeholder}\n")
    assert status.tenant_name is None
    assert status.device_auth_status is None


def test_domain_joined_absent_is_unknown_not_entra_joined():
    status = parse_dsregcmd("| Device State |\n AzureAdJoined : YES\n")
    assert status.domain_joined is None
    assert status.join_state != "Microsoft Entra joined"
    assert "not shown" in status.join_state
    nothing = parse_dsregcmd("| Device State |\n EnterpriseJoined : NO\n")
    assert "unknown" in nothing.join_state.lower()


def test_device_details_and_prt_times_are_parsed():
    status = parse_dsregcmd(load("entra-joined.txt"))
    assert status.device_cert_valid_from == datetime.datetime(2024, 1, 11, 21, 2, 50, tzinfo=datetime.UTC)
    assert status.device_cert_valid_to == datetime.datetime(2034, 1, 11, 21, 32, 50, tzinfo=datetime.UTC)
    assert status.tpm_protected is True
    assert status.key_sign_test == "PASSED"
    assert status.aad_recovery_enabled is False
    assert status.prt_update_time == datetime.datetime(2026, 11, 20, 8, 14, 10, tzinfo=datetime.UTC)
    assert status.prt_expiry_time == datetime.datetime(2026, 12, 4, 8, 14, 9, tzinfo=datetime.UTC)
    assert status.mdm_url == "https://enrollment.manage.microsoft.com/enrollmentserver/discovery.svc"
    assert not status.device_disabled


def test_ragged_community_capture():
    status = parse_dsregcmd(load("community-ragged-entra-joined.txt"))
    assert status.join_state == "Microsoft Entra joined"
    # a single '-' between the two dates, as some builds print it
    assert status.device_cert_valid_to == datetime.datetime(2035, 3, 10, 9, 5, 3, tzinfo=datetime.UTC)
    assert status.aad_recovery_enabled is False  # "AadRecoveryEnabled: NO" without a space
    assert status.key_sign_test == "PASSED"
    assert status.session_is_not_remote is False
    assert status.mdm_url is None  # "MdmUrl : " is empty
    assert status.prt_update_time == datetime.datetime(2025, 6, 2, 5, 57, 29, tzinfo=datetime.UTC)


def test_stray_colon_key_sign_test():
    assert parse_dsregcmd(load("old-build.txt")).key_sign_test == "PASSED"


def test_device_auth_status_failed_is_device_disabled():
    status = parse_dsregcmd(load("ms-doc-device-disabled.txt"))
    assert status.azure_ad_joined is True
    assert status.device_auth_status == "FAILED. Device is either disabled or deleted"
    assert status.device_disabled
    assert status.tpm_protected is False
    error = parse_dsregcmd("AzureAdJoined : YES\nDeviceAuthStatus : FAILED. ERROR\n")
    assert not error.device_disabled


def test_pre_join_diagnostics_discover_failure():
    status = parse_dsregcmd(load("ms-doc-prejoin-discover-failure.txt"))
    diag = status.join_diagnostics
    assert status.azure_ad_joined is False and status.domain_joined is True
    assert diag.present
    assert diag.error_phase == "discover"
    assert diag.client_error_code == "0x801c0021"
    assert diag.drs_discovery_test == "FAIL [0x801c0021/0x801c000c]"
    assert diag.user_context == "SYSTEM"
    assert diag.server_error_code is None


def test_pre_join_diagnostics_sync_join_server_answer():
    diag = parse_dsregcmd(load("ms-doc-prejoin-sync-join.txt")).join_diagnostics
    assert (diag.error_phase, diag.client_error_code, diag.server_error_code, diag.http_status) == \
        ("join", "0x801c03f2", "DirectoryError", "400")
    assert diag.server_message.startswith("The device object by the given id")
    assert diag.drs_discovery_test == "PASS"


def test_prt_diagnostics_block():
    status = parse_dsregcmd(load("ms-doc-sso-prt-failure.txt"))
    assert status.azure_ad_prt is False
    (block,) = status.prt_diagnostics
    assert block.kind == "acquire"
    assert block.attempt_status == "0xc000006d"
    assert block.http_status == "400"
    assert block.server_error_code == "invalid_grant"
    assert block.server_error_description.startswith("AADSTS50126")
    # the PRT block's HTTP status is not mistaken for a join diagnostic
    assert not status.join_diagnostics.present


def test_bom_less_utf16_output_is_decoded():
    text = load("hybrid-joined.txt")
    assert parse_dsregcmd(decode_console_output(text.encode("utf-16-le"), 850)).domain_name == "CONTOSO"


@pytest.mark.parametrize(("codepage", "tenant"), [(850, "Société Générale München"), (932, "株式会社コントソ"),
                                                    (437, "Ångström Café")])
def test_non_ascii_tenant_name_in_the_oem_code_page(codepage, tenant):
    text = load("entra-joined.txt").replace("TenantName : Contoso", f"TenantName : {tenant}")
    status = parse_dsregcmd(decode_console_output(text.encode(f"cp{codepage}"), codepage))
    assert status.tenant_name == tenant
