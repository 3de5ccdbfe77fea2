"""Explanation table: every code/text from the issue, scenario-specific causes, generic HRESULT decoding."""

from __future__ import annotations

import pytest

from wizard.core.explain import decode_hresult, explain_code, explain_message, explain_return_code

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
    "BITS_MISSING": "This operating system does not contain the correct version of BITS. BITS 2.5 or later is "
                    "required.",
}


def complete(exp):
    return all([exp.title, exp.meaning, exp.cause, exp.action, exp.doc]) and exp.doc.startswith("https://")


@pytest.mark.parametrize("code", REQUIRED_CODES)
def test_every_listed_hresult_has_a_full_entry(code):
    exp = explain_code(code)
    assert exp.code == code and complete(exp) and not exp.title.startswith("Unknown")


@pytest.mark.parametrize("code, text", REQUIRED_TEXTS.items())
def test_every_listed_text_is_recognised_in_a_log_line(code, text):
    exp = explain_message(text)
    assert exp is not None and exp.code == code and complete(exp)


@pytest.mark.parametrize("n", [0, 6, 7, 8, 9, 10])
def test_return_codes(n):
    exp = explain_return_code(n)
    assert exp.code == str(n) and complete(exp)
    assert explain_return_code(7).title == "Reboot required"


def test_code_spellings_are_normalised():
    assert explain_code("0x87D0027E").code == "0x87d0027e"
    assert explain_code("87d0027e").code == "0x87d0027e"
    assert explain_code(0x87D0027E).code == "0x87d0027e"
    assert explain_code(-2016411010).code == "0x87d0027e"


def test_scenario_specific_cause():
    default = explain_code("0x87d0027e")
    token = explain_code("0x87d0027e", scenario="cmg-token")
    assert default.cause != token.cause and "/mp" in token.cause
    assert explain_code("0x80190194", scenario="onprem-mp").cause == explain_code("0x80190194").cause


def test_unknown_hresult_gets_generic_decoding():
    exp = explain_code("0x80070002")
    assert exp.generic and "WIN32" in exp.meaning and "cannot find the file" in exp.meaning
    http = decode_hresult("0x80190191")
    assert "HTTP status 401" in http.meaning
    ccm = decode_hresult("0x87d0ffff")
    assert "Configuration Manager" in ccm.meaning


def test_hex_inside_guid_is_not_a_code():
    assert explain_message("Sending registration request for GUID:80070005-08E7-4B38-B282-7E6954B71139") is None


def test_plain_message_without_codes():
    assert explain_message("Installation succeeded.") is None
    assert explain_message("") is None


def test_explanation_as_dict_keys():
    assert set(explain_code("0x80070643").as_dict()) == {"code", "title", "meaning", "cause", "action", "doc"}


def test_table_integrity():
    from wizard.core.explain import load_error_table

    table = load_error_table()
    codes = [entry.code.lower() for entry in table.entries]
    assert len(codes) == len(set(codes))
    for entry in table.entries:
        assert entry.patterns and all(p == p.lower() for p in entry.patterns)
        assert entry.doc and entry.doc.startswith("https://learn.microsoft.com/")
        assert entry.cause.get("default") and entry.action.get("default")
        assert set(entry.cause) <= {"default", "onprem-mp", "cmg", "internet-mp", "cmg-token"}
