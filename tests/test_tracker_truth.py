"""Truth review: log shapes real ccmsetup writes where the judgement must not point at the wrong cause."""

from __future__ import annotations

from wizard.core.logparse import LogRecord
from wizard.core.tracker import track_runs

CMG = "CMG.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500"


def rec(message, thread="200", type_=1):
    return LogRecord(message, "ccmsetup", "", type_, thread, "ccmsetup.cpp:1", "ccm", 0)


SERVICE = [rec("==========[ ccmsetup started in process 11 ]=========="),
           rec(f'Ccmsetup command line: "C:\\WINDOWS\\ccmsetup\\ccmsetup.exe" /runservice /mp:https://{CMG} '
               f"CCMHOSTNAME={CMG} SMSSITECODE=ABC"),
           rec("In ServiceMain"),
           rec("Getting AAD info from CMG 'CMG.CLOUDAPP.NET'")]

# The documented Entra workflow (azure-ccmsetup.md): the device token fails with 0xd0090016, ccmsetup falls back to
# the signed-in user's token and gets it. That failure was recovered from.
DEVICE_TOKEN_RECOVERED = [
    rec("Getting AAD (device) token with: ClientId = 0b7c8ab3-9ea1-4ffa-b2b9-8ffdd944bd8b, ResourceUrl = "
        "https://ConfigMgrService, AccountId = https://login.microsoftonline.com/common/oauth2/token"),
    rec("WAM token request failed. Status 5, Details 'AAD WAM extension error'", type_=3),
    rec("Failed to get AAD token..", type_=3),
    rec("Unknown error (Error: D0090016; Source: Unknown)", type_=3),
    rec("Failed to get AAD token for 'S-1-5-18' from WAM API. Error 0xd0090016", type_=3),
    rec("Falling back to get user 'S-1-5-21-1527250992-855612568-2252598708-1604' token for system..."),
    rec("Getting AAD (user) token with: ClientId = 0b7c8ab3-9ea1-4ffa-b2b9-8ffdd944bd8, ResourceUrl = "
        "https://ConfigMgrService, AccountId = 149FC29A-ECE3-123-A3C1-123456F035A6E"),
    rec("Retrieved AAD token for AAD user 'e8838041-db7a-42d5-b9ae-78813910e4cc'"),
]


def test_a_recovered_device_token_failure_is_not_the_cause_of_a_later_ccm_token_failure():
    records = SERVICE + DEVICE_TOKEN_RECOVERED + [
        rec(f"Getting CCM Token from STS server '{CMG}'"),
        rec(f"Getting CCM Token from https://{CMG}/CCM_STS"),
        rec("CcmSetup failed with error code 0x87d00231")]
    outcome = track_runs(records, scenario="cmg")[-1].outcome
    assert outcome.state == "failed" and outcome.error_code == "0x87d00231"
    assert outcome.explanation.code == "0x87d00231", outcome.summary
    assert "0xd0090016" not in outcome.summary and "Device token" not in outcome.summary


def test_an_unrecovered_device_token_failure_still_explains_the_failure():
    records = SERVICE + DEVICE_TOKEN_RECOVERED[:5] + [rec("CcmSetup failed with error code 0x87d00231")]
    outcome = track_runs(records, scenario="cmg")[-1].outcome
    assert outcome.explanation.code == "0xd0090016"


# 0x87d00215 is ConfigMgr's generic "item not found". A real ccmsetup.log (osdninja.com, Windows 7 imaging) ends
# with it after ccmsetup's own WMI query for the OS found nothing; it says nothing about the client package there.
WMI_OS_QUERY_FAILED = [
    rec("==========[ ccmsetup started in process 11 ]==========", thread="300"),
    rec('Ccmsetup command line: "C:\\WINDOWS\\ccmsetup\\ccmsetup.exe" /runservice /mp:mp1.contoso.com', thread="300"),
    rec("In ServiceMain", thread="300"),
    rec("CheckAndLogOSInformation 0x87d00215", thread="300", type_=3),
    rec("CheckAndLogOSInformation failed with 0x87d00215", thread="300", type_=3),
    rec("CcmSetup failed with error code 0x87d00215", thread="300", type_=3),
]


def test_item_not_found_from_the_os_query_is_not_blamed_on_client_content():
    outcome = track_runs(WMI_OS_QUERY_FAILED, scenario="onprem-mp")[-1].outcome
    assert outcome.state == "failed" and outcome.error_code == "0x87d00215"
    text = f"{outcome.explanation.meaning} {outcome.explanation.cause} {outcome.explanation.action}"
    assert "WMI" in text, text
    assert "distribut" not in text.lower() and "client package" not in text.lower(), text


def test_item_not_found_after_a_content_lookup_keeps_the_content_explanation():
    records = WMI_OS_QUERY_FAILED[:3] + [
        rec("Failed to get DP locations as the expected version from MP 'http://mp1.contoso.com'. Error 0x87d00215",
            thread="300", type_=3),
        rec("CcmSetup failed with error code 0x87d00215", thread="300", type_=3)]
    outcome = track_runs(records, scenario="onprem-mp")[-1].outcome
    assert "client package" in outcome.explanation.cause.lower() or "distribut" in outcome.explanation.action.lower()


def test_item_not_found_from_another_lookup_says_what_the_log_says_not_content():
    from wizard.core.explain import ExplainContext, explain_code

    context = ExplainContext("onprem-mp", nearby=("Failed to get certificate template info. Error 0x87d00215",))
    explanation = explain_code("0x87d00215", context=context)
    assert "client package" not in explanation.cause.lower()
    assert "Failed to get certificate template info" in explanation.cause


def test_the_same_code_seen_earlier_does_not_undo_its_explanation_in_context():
    records = WMI_OS_QUERY_FAILED[:3] + [
        rec("Failed to get certificate template info. Error 0x87d00215", thread="300", type_=3),
        rec("CcmSetup failed with error code 0x87d00215", thread="300", type_=3)]
    outcome = track_runs(records, scenario="onprem-mp")[-1].outcome
    assert "client package" not in outcome.explanation.cause.lower(), outcome.explanation.cause
    assert "certificate template" in outcome.explanation.cause


def test_87d0027e_with_token_and_mp_on_a_workgroup_device_still_follows_a_status_that_removing_mp_cannot_fix():
    # Facts 1.3: 0x87d0027e is the generic "bad HTTP status"; explain it by context, never only as "remove /mp".
    from wizard.core.explain import ExplainContext, explain_code

    switches = frozenset({"/mp", "/regtoken"})
    for line, words in (
            ("GetDirectoryList_HTTP Error sending DAV request. HTTP code 405, status 'Method Not Allowed'", "WebDAV"),
            ("[CCMHTTP] ERROR INFO: StatusCode=500 StatusText=Internal Server Error", "database"),
            ("[CCMHTTP] ERROR: URL=https://cmg.contoso.com/CCM_Proxy_MutualAuth/1/CCM_Client/x64/client.msi, "
             "Port=443, Options=224, Code=0, Text=CCM_E_BAD_HTTP_STATUS_CODE\n"
             "[CCMHTTP] ERROR INFO: StatusCode=404 StatusText=Not Found", "Distribute")):
        nearby = tuple(line.split("\n"))
        exp = explain_code("0x87d0027e", context=ExplainContext("cmg-token", switches, "workgroup", nearby))
        assert words in exp.cause + exp.action, (line, exp.action)
        assert "without /mp" not in exp.action, line
    forbidden = ExplainContext("cmg-token", switches, "workgroup", ("[CCMHTTP] ERROR INFO: StatusCode=403",))
    assert "without /mp" in explain_code("0x87d0027e", context=forbidden).action


# ccmsetup /uninstall does its work in the process that was launched: no ccmsetup service is created, and that
# process's exit line is the result (manage-clients.md: verify in CCMSetup.log, Wait-Process CCMSetup).
UNINSTALL = [rec("==========[ ccmsetup started in process 6740 ]=========="),
             rec('Ccmsetup command line: "C:\\WINDOWS\\ccmsetup\\ccmsetup.exe" /uninstall'),
             rec("SslState value: 224"),
             rec("Uninstalling client"),
             rec("Client uninstall succeeded.")]


def test_an_uninstall_run_ends_with_its_own_exit_line():
    [run] = track_runs([*UNINSTALL, rec("CcmSetup is exiting with return code 0")])
    assert (run.outcome.state, run.outcome.return_code, run.outcome.final) == ("succeeded", 0, True)


def test_a_failed_uninstall_is_failed_with_its_own_code():
    [run] = track_runs([*UNINSTALL[:4], rec("Client uninstall failed with error 1603", type_=3),
                        rec("CcmSetup is exiting with return code 6")])
    assert (run.outcome.state, run.outcome.return_code, run.outcome.final) == ("failed", 6, True)


def test_an_install_launcher_exiting_0_still_waits_for_its_service():
    [run] = track_runs([rec("==========[ ccmsetup started in process 1 ]=========="),
                        rec('Ccmsetup command line: "C:\\Temp\\ccmsetup.exe" /mp:mp01 SMSSITECODE=ABC'),
                        rec("CcmSetup is exiting with return code 0")])
    assert run.outcome.state == "running" and not run.outcome.final


def test_an_uninstall_launcher_that_hands_over_to_the_service_is_not_the_result():
    # Should an /uninstall ever start the ccmsetup service, its launcher's early "return code 0" is not the result.
    [run] = track_runs([*UNINSTALL[:2], rec("Successfully created the ccmsetup service"),
                        rec("Successfully started the ccmsetup service"), rec("CcmSetup is exiting with return code 0")])
    assert run.outcome.state == "running" and not run.outcome.final


def test_an_uninstall_that_hands_over_is_one_run_judged_by_its_service():
    service = [rec("==========[ ccmsetup started in process 7000 ]==========", thread="300"),
               rec('Ccmsetup command line: "C:\\WINDOWS\\ccmsetup\\ccmsetup.exe" /runservice /uninstall', thread="300"),
               rec("In ServiceMain", thread="300"),
               rec("Client uninstall failed with error 1603", thread="300", type_=3),
               rec("CcmSetup failed with error code 0x80070643", thread="300", type_=3)]
    runs = track_runs([*UNINSTALL[:2], rec("Successfully created the ccmsetup service"),
                       rec("Successfully started the ccmsetup service"), rec("CcmSetup is exiting with return code 0"),
                       *service])
    assert [r.outcome.state for r in runs] == ["failed"], [r.outcome for r in runs]
    assert runs[-1].outcome.error_code == "0x80070643"


# After a download failure the ccmsetup service tries again every /retry minutes (facts section 0), in its own
# process: when that process then goes on past the download, the failure was not the end of the run.
DOWNLOAD_FAILED = [rec("==========[ ccmsetup started in process 11 ]=========="),
                   rec('Ccmsetup command line: "C:\\WINDOWS\\ccmsetup\\ccmsetup.exe" /runservice /mp:mp01 '
                       "SMSSITECODE=ABC"),
                   rec("In ServiceMain"), rec("Retry time:       10 minute(s)"),
                   rec("Failed to download files through BITS. Error: 0x80190194, Description HTTP status 404: The "
                       "requested URL does not exist on the server.", type_=3),
                   rec("CcmSetup failed with error code 0x80190194", type_=3)]
RETRY_INSTALLS = [rec("Starting BITS download for client deployment files."),
                  rec("Running installation package"),
                  rec("Installing version 5.00.9135.1000 of the client with product code {X}")]


def test_a_download_retry_that_goes_on_to_install_is_judged_by_how_it_ends():
    [run] = track_runs([*DOWNLOAD_FAILED, *RETRY_INSTALLS, rec("CcmSetup is exiting with return code 0")])
    assert (run.outcome.state, run.outcome.return_code, run.outcome.error_code) == ("succeeded", 0, None)
    [run] = track_runs([*DOWNLOAD_FAILED, *RETRY_INSTALLS])
    assert run.outcome.state == "running" and not run.outcome.final
    [run] = track_runs([*DOWNLOAD_FAILED, *RETRY_INSTALLS, rec("CcmSetup failed with error code 0x80070643", type_=3)])
    assert (run.outcome.state, run.outcome.error_code) == ("failed", "0x80070643")


def test_a_download_failure_stays_the_result_without_work_past_the_download():
    [run] = track_runs([*DOWNLOAD_FAILED, rec("Sending state message"), rec("CcmSetup is exiting with return code 0")])
    assert (run.outcome.state, run.outcome.error_code) == ("failed", "0x80190194")
    assert run.outcome.return_code != 0
