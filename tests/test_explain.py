"""Explanation table: every code/text from the issues, scenario- and context-specific causes, whole-code matching,
honest generic decoding."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from wizard.core.explain import (
    ExplainContext,
    decode_hresult,
    explain_code,
    explain_message,
    explain_return_code,
    hresult_from_win32,
    load_error_table,
    normalise_code,
)

REQUIRED_CODES = ["0x87d0027e", "0x80004005", "0x80070643", "0x80070005", "0x80190194", "0x87d00454",
                  "0x80072f78", "0x800b0101", "0x80041013", "0xd0090016", "0x87d00215"]
REQUIRED_TEXTS = {
    "AADSTS50001": "WAM token request failed. Status 5, Details 'AADSTS50001: The application was not found'",
    "INVALID_CA": "[CCMHTTP] AsyncCallback(): WINHTTP_CALLBACK_STATUS_FLAG_INVALID_CA is set",
    "CERT_CN_INVALID": "WINHTTP_CALLBACK_STATUS_FLAG_CERT_CN_INVALID is set",
    "CCM_E_NO_CLIENT_PKI_CERT": "[CCMHTTP] ERROR: URL=https://x, Port=0, Options=224, Code=0, "
                                "Text=CCM_E_NO_CLIENT_PKI_CERT",
    "1603": "File C:\\Windows\\ccmsetup\\{CA43}\\client.msi installation failed. Error text: ExitCode: 1603",
    "25502": "Error 25502. Setup was unable to compile the file DiscoveryStatus.mof",
    "SMSMP_WITHOUT_SITECODE": "SMSMP cannot be specified without SMSSITECODE",
    "BITS_MISSING": "CreateInstance of CLSID_BackgroundCopyManager failed with 8007042C. Unable to check BITS version",
    "0x87d00269": "Required management point not found (Error: 87D00269)",
    "0x800703f0": "Failed to get AAD token for 'S-1-5-18' from WAM API. Error 0x800703f0",
}
# Issue 11 "Missing" and issue 15 "Add": each must be a table entry, not a generic decoding.
ISSUE_11_CODES = ["0x87d00231", "0x80092013", "0x800b0109", "0x80072efd", "0x80072ee2", "0x80072ee7", "0x87d00269",
                  "0x800705b4", "AADSTS700016", "AADSTS500011", "AADSTS65001", "AADSTS53003"]
ISSUE_15_CODES = ["0x801c0002", "0x801c0006", "0x801c001d", "0x801c001f", "0x801c0021", "0x801c003d", "0x801c03f2",
                  "AADSTS50034", "AADSTS50126", "AADSTS50155", "AADSTS90002", "0x80090016", "0xd0090016",
                  "0x80090031", "0x80290407", "0x80280036", "0x80072ee1", "0x80072ee4", "0x80072ee5", "0x80072f06",
                  "0x80072f0c", "0x80072f0d", "0x80072f76", "0x80072f89", "0x80072f8a",
                  *[f"0x800b01{n:02x}" for n in range(0x00, 0x15)]]
WAM_CODES = ["0xcaa90017", "0xcaa9002c", "0xcaa90023", "0xcaa82ee2", "0xcaa82efe", "0xcaa82f8f", "0xcaa82efd",
             "0xcaa20003", "0xcaa90014", "0xcaa90006", "0xcaa1002d"]


def complete(exp):
    return all([exp.title, exp.meaning, exp.cause, exp.action, exp.doc]) and exp.doc.startswith("https://")


@pytest.mark.parametrize("code", REQUIRED_CODES + ISSUE_11_CODES + ISSUE_15_CODES + WAM_CODES)
def test_every_listed_code_has_a_full_sourced_entry(code):
    exp = explain_code(code)
    assert exp.code.lower() == code.lower() and complete(exp) and exp.in_table and exp.source
    assert "not in the explanation table" not in exp.meaning and not exp.title.startswith("Unknown")


@pytest.mark.parametrize("code, text", REQUIRED_TEXTS.items())
def test_every_listed_text_is_recognised_in_a_log_line(code, text):
    exp = explain_message(text)
    assert exp is not None and exp.code == code and complete(exp)


@pytest.mark.parametrize("n", [0, 6, 7, 8, 9, 10])
def test_return_codes(n):
    exp = explain_return_code(n)
    assert exp.code == str(n) and complete(exp) and exp.source
    assert explain_return_code(7).title == "Reboot required"


def test_code_spellings_are_normalised():
    for spelling in ("0x87D0027E", "87d0027e", 0x87D0027E, -2016411010, "-2016411010", "2278556286", " '0x87d0027e' "):
        assert explain_code(spelling).code == "0x87d0027e", spelling
    assert normalise_code("AADSTS 50126") == "AADSTS50126"
    assert normalise_code("0x643") == "1603"  # a short hex number is a Win32/MSI number
    assert normalise_code("00000005") == "5"  # eight decimal digits that can't be an HRESULT
    assert normalise_code("hello world") is None and normalise_code("") is None
    assert normalise_code(2**40) is None and normalise_code(-(2**31) - 1) is None


def test_negative_and_unsigned_decimal_hresults():
    assert explain_code("-2145844844").code == "0x80190194"  # as in ErrorCode="-2145844844"
    assert explain_code("2147943860").code == "0x800705b4"  # Autopilot's "errorCode":2147943860
    assert explain_message('ErrorCode="-2145844844"').code == "0x80190194"
    assert explain_message('BootstrapStatus: Timed out ... "errorCode":2147943860}').code == "0x800705b4"


def test_a_decimal_win32_number_finds_its_hresult_entry():
    assert explain_code("1612").code == "0x8007064c"
    assert explain_code(12002).code == "0x80072ee2"
    assert explain_code("ERROR_TIMEOUT").code == "0x800705b4"


@pytest.mark.parametrize("n", [1901, 4005, 8007, 9001, 5, 2, 643, 1902, 27, 2000])
def test_decimals_are_whole_codes_not_fragments(n):
    exp = explain_code(str(n))
    assert exp.code in {str(n), f"0x{hresult_from_win32(n):08x}"}


def _decimal_is_whole(n: int) -> bool:
    exp = explain_code(str(n))
    allowed = {str(n), f"0x{n:08x}"} | ({f"0x{hresult_from_win32(n):08x}"} if n <= 0xFFFF else set())
    return exp.code in allowed


def test_every_decimal_up_to_99999_is_a_whole_code():
    assert [n for n in range(100000) if not _decimal_is_whole(n)] == []


@given(st.integers(min_value=0, max_value=99999))
@example(1901)  # used to be read as part of 0x80190194 ("HTTP 404")
@example(4005)  # ... of 0x80004005
@example(8007)  # ... of 0x80070643
@example(9001)  # ... of 0xd0090016
def test_decimal_codes_property(n):
    assert _decimal_is_whole(n)


@given(st.integers(min_value=-(2**31), max_value=2**32 - 1))
def test_any_32_bit_number_explains_without_error(n):
    exp = explain_code(n)
    assert exp.code and exp.meaning and exp.action


def test_scenario_specific_cause():
    assert explain_code("0x80190194", scenario="onprem-mp").cause == explain_code("0x80190194").cause
    cmg = explain_code("0x87d00215", scenario="cmg")
    assert "Allow access to cloud distribution point" in cmg.cause + cmg.action
    cmg_net = explain_code("0x80072efd", scenario="cmg").cause
    assert "CMG" in cmg_net and "internet" in cmg_net and cmg_net != explain_code("0x80072efd").cause


# ---- issue 11: corrected knowledge ----------------------------------------------------------------

def test_87d0027e_is_the_generic_bad_http_status_not_a_token_rule():
    exp = explain_code("0x87d0027e")
    assert exp.generic and "HTTP status" in exp.meaning
    assert "Remove /mp" not in exp.action and "without /mp" not in exp.action


def test_87d0027e_suggests_removing_mp_only_for_a_token_install_on_a_non_joined_device():
    switches = frozenset({"/mp", "/regtoken"})
    workgroup = explain_code("0x87d0027e", context=ExplainContext("cmg-token", switches, "workgroup"))
    assert "without /mp" in workgroup.action and not workgroup.generic
    joined = explain_code("0x87d0027e", context=ExplainContext("cmg-token", switches, "entra-joined"))
    assert "without /mp" not in joined.action
    no_token = explain_code("0x87d0027e", context=ExplainContext("cmg", frozenset({"/mp"}), "workgroup"))
    assert "without /mp" not in no_token.action
    unknown = explain_code("0x87d0027e", context=ExplainContext("cmg-token", switches, None))
    assert "without /mp" in unknown.cause and "without /mp" not in unknown.action  # a possibility, not the fix


@pytest.mark.parametrize("line, words", [
    ("GetDirectoryList_HTTP Error sending DAV request. HTTP code 405, status 'Method Not Allowed'", "WebDAV"),
    ("[CCMHTTP] ERROR INFO: StatusCode=500 StatusText=Internal Server Error", "database"),
    ("[CCMHTTP] ERROR INFO: StatusCode=403 StatusText=Forbidden", "refused"),
    ("Failed to download files through BITS. Error: 0x80190194, Description HTTP status 404: not found", "content"),
])
def test_87d0027e_points_at_the_http_status_around_it(line, words):
    context = ExplainContext(nearby=("Something else", line))
    exp = explain_message("GetDirectoryList_HTTP('https://dp/SMS_DP_SMSPKG$/x') failed with code 0x87d0027e.",
                          context=context)
    assert exp.code == "0x87d0027e" and words in exp.cause + exp.action and not exp.generic


CCMHTTP_ERROR = "[CCMHTTP] ERROR: URL={url}, Port=443, Options=224, Code=0, Text=CCM_E_BAD_HTTP_STATUS_CODE"


def test_87d0027e_for_the_tenants_entra_details_blames_the_tenant_not_the_content():
    tenant = "daf4a1c2-3a0c-401b-966f-0b855d3abd1a"
    url = f"https://cmg.contoso.com/CCM_Proxy_ServerAuth/AADAuthInfo?TenantID={tenant}"
    nearby = (CCMHTTP_ERROR.format(url=url), "[CCMHTTP] ERROR INFO: StatusCode=404 StatusText=Not Found")
    exp = explain_code("0x87d0027e", context=ExplainContext("cmg", frozenset({"/mp"}), "entra-joined", nearby))
    assert tenant in exp.cause and "onboarded" in exp.cause and "AADTENANTID" in exp.action
    assert "distribut" not in (exp.cause + exp.action).lower() and not exp.generic
    no_tenant = url.replace(tenant, "")
    exp = explain_code("0x87d0027e", context=ExplainContext(nearby=(CCMHTTP_ERROR.format(url=no_tenant),
                                                                     nearby[1])))
    assert "isn't Entra joined" in exp.cause and "token" in exp.action


def test_87d0027e_404_on_a_cmg_management_point_path_is_the_cmg_id_not_the_content():
    url = "https://cmg.contoso.com/CCM_Proxy_ServerAuth/72057594037927999/ccm_system_tokenauth/request"
    nearby = (CCMHTTP_ERROR.format(url=url), "[CCMHTTP] ERROR INFO: StatusCode=404 StatusText=Not Found")
    exp = explain_code("0x87d0027e", context=ExplainContext(nearby=nearby))
    assert "CMG's ID" in exp.cause and "distribut" not in (exp.cause + exp.action).lower()
    content = ("[CCMHTTP] ERROR: URL=https://cmg.contoso.com/CCM_Proxy_MutualAuth/1/CCM_Client/x64/client.msi, "
               "Port=443", nearby[1])
    assert "Distribute" in explain_code("0x87d0027e", context=ExplainContext(nearby=content)).action


def test_87d0027e_403_on_a_device_without_entra_join_says_so():
    nearby = ("[CCMHTTP] ERROR INFO: StatusCode=403 StatusText=Forbidden",)
    exp = explain_code("0x87d0027e", context=ExplainContext("cmg", frozenset({"/mp"}), "workgroup", nearby))
    assert "not Entra joined" in exp.cause
    joined = explain_code("0x87d0027e", context=ExplainContext("cmg", frozenset({"/mp"}), "entra-joined", nearby))
    assert "not Entra joined" not in joined.cause


def test_context_from_a_plan():
    from wizard.core.plan import InstallPlan

    plan = InstallPlan(scenario="cmg-token", mp=("https://x/CCM_Proxy_MutualAuth/1",), regtoken="a.b.c",
                       parameters=(("/NoCRLCheck", None),))
    context = ExplainContext.from_plan(plan, join_state="workgroup", nearby=["line"])
    assert context.has("/mp") and context.has("/REGTOKEN") and context.has("/nocrlcheck")
    assert context.scenario == "cmg-token" and context.nearby == ("line",)
    crl = explain_code("0x80092013", context=context)
    assert "already has /NoCRLCheck" in crl.action


def test_8007064c_is_1612_source_absent_not_1638():
    exp = explain_code("0x8007064c")
    assert "1612" in exp.title and "source" in exp.meaning.lower() and exp.symbol == "ERROR_INSTALL_SOURCE_ABSENT"
    assert "another version" not in exp.title.lower()
    assert "another version" in explain_code("1638").meaning.lower()


def test_facility_12_is_not_decoded_through_the_win32_table():
    exp = explain_code("0x800C0005")
    assert "Access is denied" not in exp.meaning and "INET_E_RESOURCE_NOT_FOUND" in exp.meaning
    assert "WinHTTP" not in exp.meaning


def test_80072f8f_names_tls_mismatch_and_clock():
    exp = explain_code("0x80072f8f")
    assert "TLS" in exp.cause and "clock" in exp.cause


def test_always_exclude_upgrade_points_to_ignoreskipupgrade():
    exp = explain_message("Client is stamped with /alwaysexcludeupgrade. Stop proceeding.")
    assert exp.code == "ALWAYS_EXCLUDE_UPGRADE" and "/IgnoreSkipUpgrade" in exp.action


def test_revocation_offline_explains_the_nocrlcheck_trade_off():
    exp = explain_code("0x80092013")
    assert "/NoCRLCheck" in exp.action and "revoked" in exp.action and exp.symbol == "CRYPT_E_REVOCATION_OFFLINE"


def test_autopilot_esp_timeout():
    exp = explain_code("0x800705b4")
    assert "Autopilot" in exp.title and "60 minutes" in exp.cause


def test_wam_codes_are_not_facility_674():
    for code in WAM_CODES:
        exp = explain_code(code)
        assert "facility" not in exp.title.lower() and exp.symbol and exp.symbol.startswith("ERROR_ADAL_")
    unknown = explain_code("0xcaa2ffff")
    assert not unknown.in_table and "token broker" in unknown.meaning and "facility 674" not in unknown.title
    wrapped = decode_hresult("0xcaa82ee7")
    assert "12007" in wrapped.meaning and "cannot be resolved" in wrapped.meaning


def test_first_install_noise_is_benign():
    exp = explain_message("Failed to connect to policy namespace. Error 0x8004100e")
    assert exp is not None and exp.benign and exp.generic


# ---- generic decoding ---------------------------------------------------------------------------------

def test_unknown_hresult_gets_honest_generic_decoding():
    exp = explain_code("0x80070002")
    assert exp.generic and not exp.in_table and "WIN32" in exp.meaning and "cannot find the file" in exp.meaning
    assert "ERROR_FILE_NOT_FOUND" in exp.meaning
    assert "HTTP status 401" in decode_hresult("0x80190191").meaning
    assert "HTTP status" not in decode_hresult("0x80200010").meaning  # BITS facility 32 is not an HTTP status
    assert "Configuration Manager" in decode_hresult("0x87d0ffff").meaning
    assert "NTSTATUS" in decode_hresult("0xc0000022").title


def test_unknown_aadsts_points_at_microsofts_lookup():
    exp = explain_code("AADSTS99999")
    assert not exp.in_table and "login.microsoftonline.com/error?code=99999" in exp.action


def test_unknown_text_is_not_a_code():
    exp = explain_code("not a code!")
    assert not exp.in_table and exp.title.startswith("Not a code")


def test_hex_inside_guid_is_not_a_code():
    assert explain_message("Sending registration request for GUID:80070005-08E7-4B38-B282-7E6954B71139") is None


def test_numbers_in_ordinary_lines_are_not_codes():
    assert explain_message("File download 35% complete (1024 of 29250000 bytes).") is None
    assert explain_message("Installation succeeded.") is None
    assert explain_message("") is None


def test_explanation_as_dict_keys():
    data = explain_code("0x80070643").as_dict()
    assert {"code", "title", "meaning", "cause", "action", "doc", "source", "symbol", "in_table"} == set(data)
    assert data["source"] and all("title" in s for s in data["source"])


def test_table_integrity():
    table = load_error_table()
    codes = [entry.code.lower() for entry in table.entries]
    assert len(codes) == len(set(codes))
    for entry in table.entries:
        assert all(p == p.lower() for p in entry.patterns)
        assert entry.doc and entry.doc.startswith("https://")
        assert entry.cause.get("default") and entry.action.get("default")
        assert set(entry.cause) <= {"default", "onprem-mp", "cmg", "internet-mp", "cmg-token"}
        assert set(entry.action) <= {"default", "onprem-mp", "cmg", "internet-mp", "cmg-token"}


def test_aadsts_and_numbered_texts_match_whole_codes():
    assert explain_message("AADSTS500011: The resource principal named https://x was not found").code == \
        "AADSTS500011"
    assert explain_message("Details 'AADSTS50001: The application was not found'").code == "AADSTS50001"
    other = explain_message("MSI (s) (A0:B4) Product: X -- Error 16030. Something")
    assert other is None or other.code != "1603"
    assert explain_message("Installation failed. Error 1603.").code == "1603"
