"""InstallTracker: phases, percent, stall, and a truthful outcome across the two-process pattern."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from wizard.core.logparse import LogRecord, parse_file
from wizard.core.tracker import PHASES, InstallTracker, track_last_run

FIXTURES = Path(__file__).parent / "fixtures" / "logs"
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def rec(message, thread="100", type_=1):
    return LogRecord(message, "ccmsetup", "", type_, thread, "ccmsetup.cpp:1", "ccm", 0)


BOOTSTRAP = [rec("==========[ ccmsetup started in process 10 ]=========="),
             rec("Successfully created the ccmsetup service"),
             rec("Successfully started the ccmsetup service")]


def test_phases_are_ordered_ids_with_titles():
    ids = [pid for pid, _ in PHASES]
    assert ids == ["bootstrap", "service", "entra", "locate", "download", "prereqs", "msi", "finishing", "done"]
    assert all(title for _, title in PHASES)


def test_bootstrap_exit_after_service_start_is_never_final():
    t = InstallTracker()
    t.feed(BOOTSTRAP + [rec("CcmSetup is exiting with return code 0")])
    assert t.outcome.state == "running" and not t.outcome.final
    assert t.phase == "service"
    assert "still working" in t.outcome.summary


def test_service_run_failure_line_type_1_is_final_and_explained():
    t = InstallTracker(scenario="cmg")
    t.feed(BOOTSTRAP + [rec("CcmSetup is exiting with return code 0"),
                        rec("==========[ ccmsetup started in process 11 ]==========", thread="200"),
                        rec("In ServiceMain", thread="200"),
                        rec("CcmSetup failed with error code 0x80190194", thread="200", type_=1)])
    o = t.outcome
    assert (o.state, o.error_code, o.final, o.return_code) == ("failed", "0x80190194", True, None)
    assert "404" in o.explanation.title and "CMG" in o.explanation.cause
    t.feed([rec("CcmSetup is exiting with return code 6", thread="200")])
    assert t.outcome.return_code == 6 and t.outcome.error_code == "0x80190194"


def test_service_exit_line_interleaved_before_bootstrap_exit_uses_threads():
    t = InstallTracker()
    t.feed(BOOTSTRAP + [rec("==========[ ccmsetup started in process 11 ]==========", thread="200"),
                        rec("CcmSetup is exiting with return code 0", thread="100")])
    assert not t.outcome.final
    t.feed([rec("CcmSetup is exiting with return code 0", thread="200")])
    assert t.outcome.state == "succeeded" and t.outcome.final and t.outcome.return_code == 0
    assert t.phase == "done"


def test_without_threads_first_exit_after_service_start_is_the_launchers():
    t = InstallTracker()
    t.feed([rec(r.message, thread="") for r in BOOTSTRAP] + [rec("CcmSetup is exiting with return code 0", "")])
    assert not t.outcome.final
    t.feed([rec("CcmSetup is exiting with return code 7", "")])
    assert t.outcome.state == "reboot-required" and t.outcome.return_code == 7 and t.outcome.final


def test_noservice_exit_line_is_final():
    t = InstallTracker(noservice=True)
    t.feed([rec("==========[ ccmsetup started in process 10 ]=========="),
            rec("CcmSetup is exiting with return code 0")])
    assert t.outcome.state == "succeeded" and t.outcome.final


def test_noservice_detected_from_command_line_echo():
    t = InstallTracker()
    t.feed([rec("Ccmsetup command line: ccmsetup.exe /noservice /mp:mp1 SMSSITECODE=PS1"),
            rec("CcmSetup is exiting with return code 9")])
    assert t.noservice and t.outcome.state == "failed" and t.outcome.return_code == 9 and t.outcome.final
    assert "Prerequisite" in t.outcome.explanation.title


def test_return_code_8_without_service_start_is_final():
    t = InstallTracker()
    t.feed([rec("==========[ ccmsetup started in process 10 ]=========="),
            rec("CcmSetup is exiting with return code 8")])
    assert t.outcome.final and t.outcome.state == "failed" and t.outcome.return_code == 8
    assert "already running" in t.outcome.explanation.title.lower()


def test_generic_code_gives_way_to_specific_text():
    t = InstallTracker()
    t.feed([rec("WAM token request failed. Status 5, Details 'AADSTS50001: The application named "
                "https://x was not found'", type_=3),
            rec("CcmSetup failed with error code 0x80004005")])
    o = t.outcome
    assert o.error_code == "0x80004005" and o.explanation.code == "AADSTS50001"


def test_note_no_setup_left_without_result_is_unknown():
    t = InstallTracker()
    t.feed(BOOTSTRAP + [rec("CcmSetup is exiting with return code 0")])
    t.note_no_setup_left()
    o = t.outcome
    assert o.state == "unknown" and o.final and "did not log a result" in o.summary


def test_note_no_setup_left_keeps_a_result():
    t = InstallTracker(noservice=True)
    t.feed([rec("CcmSetup is exiting with return code 7")])
    t.note_no_setup_left()
    assert t.outcome.state == "reboot-required" and t.outcome.final


def test_percent_and_phases_move_forward_only():
    t = InstallTracker()
    t.feed(BOOTSTRAP + [rec("==========[ ccmsetup started in process 11 ]==========", thread="200"),
                        rec("Getting AAD info from CMG 'X'", thread="200")])
    assert t.phase == "entra"
    t.feed([rec("Found a valid online MP 'https://x'", thread="200")])
    assert t.phase == "locate"
    t.feed([rec("File download 42% complete (1 of 2 bytes).", thread="200")])  # the service's, not the launcher's
    assert (t.phase, t.percent) == ("download", 42)
    t.feed([rec("Installing version 5.00.1 of the client with product code {X}"),
            rec("Getting CCM Token from STS server 'x'")])  # an Entra line later does not move back
    assert t.phase == "msi"


def test_stall_flag():
    t = InstallTracker(stall_after=timedelta(minutes=10))
    assert not t.check_stall(t.created_at + timedelta(minutes=9))
    assert t.check_stall(t.created_at + timedelta(minutes=10))  # nothing at all since the launch
    t.feed([rec("In ServiceMain")], now=T0)
    assert not t.check_stall(T0 + timedelta(minutes=9))
    assert t.check_stall(T0 + timedelta(minutes=10)) and t.stalled
    t.feed([rec("File download 5% complete")], now=T0 + timedelta(minutes=11))
    assert not t.stalled


def test_registration_lines():
    t = InstallTracker()
    t.feed([LogRecord("AADJoinStatusTask: Client hasn't been registered yet.", "ClientIDManagerStartup")])
    assert t.registration.state == "pending"
    t.feed([LogRecord("Registering client using AAD auth.", "ClientIDManagerStartup")])
    assert t.registration.method == "aad"
    t.feed([LogRecord("[RegTask] - Client is registered. Server assigned ClientID is "
                      "GUID:C66EE0FD-08E7-4B38-B282-7E6954B71139. Approval status 3", "ClientIDManagerStartup")])
    reg = t.registration
    assert (reg.state, reg.client_id, reg.approval_status) == (
        "registered", "GUID:C66EE0FD-08E7-4B38-B282-7E6954B71139", 3)


def test_fixture_from_launch_offset_and_last_run():
    records = parse_file(FIXTURES / "ccmsetup_two_process_404.log", since_offset=760)
    t = track_last_run(records)
    assert (t.outcome.state, t.outcome.error_code, t.outcome.final) == ("failed", "0x80190194", True)
    whole = track_last_run(parse_file(FIXTURES / "ccmsetup_two_process_404.log"))
    assert whole.outcome.error_code == "0x80190194"  # the earlier successful /noservice run is not the answer
    first_run_only = InstallTracker()
    first_run_only.feed(parse_file(FIXTURES / "ccmsetup_two_process_404.log")[:4])
    assert first_run_only.outcome.state == "succeeded"


def test_rotated_copy_fixture():
    t = track_last_run(parse_file(FIXTURES / "ccmsetup.lo_"))
    assert (t.outcome.state, t.outcome.error_code, t.outcome.return_code) == ("failed", "0x87d00454", 6)


def test_no_stall_once_final():
    t = InstallTracker(noservice=True, stall_after=timedelta(minutes=1))
    t.feed([rec("CcmSetup is exiting with return code 0")], now=T0)
    assert not t.check_stall(T0 + timedelta(hours=1))


def test_warning_that_setup_got_past_does_not_explain_a_later_failure():
    t = InstallTracker()
    service = [rec("CcmSetup is exiting with return code 0"),
               rec("Getting AAD (device) token with: ClientId = x", "200"),
               rec("Failed to get AAD token for 'S-1-5-18' from WAM API. Error 0xd0090016", "200", type_=2),
               rec("Retrieved AAD token for AAD user 'e8838041'", "200"),
               rec("Found a valid online MP 'https://x'", "200"),
               rec("Installing version 5.00.1 of the client with product code {X}", "200"),
               rec("CcmSetup failed with error code 0x80004005", "200")]
    t.feed(BOOTSTRAP + service)
    assert t.outcome.explanation.code == "0x80004005"


def test_run_seen_only_for_ccmsetup_records():
    from wizard.core.tracker import NOTHING_SEEN

    other = [LogRecord("MSI (s) (A0:B4) Return value 3.", "", "", 3, "", "", "msi", 0),
             LogRecord("ERROR: Failed to connect", "SMS_CLOUD_PROXYCONNECTOR", "", 3, "1", "", "legacy", 0)]
    assert track_last_run(other).run_seen is False
    assert track_last_run([]).run_seen is False
    plain_echo = LogRecord('Ccmsetup command line: ccmsetup.exe /mp:x', "", "", 1, "", "", "plain", 0)
    assert track_last_run([plain_echo]).run_seen is True
    assert track_last_run(BOOTSTRAP).run_seen is True
    assert NOTHING_SEEN.state == "unknown" and "no ccmsetup run found" in NOTHING_SEEN.summary
    assert NOTHING_SEEN.as_dict() == {"state": "unknown", "return_code": None, "error_code": None, "final": False,
                                      "return_code_source": None, "explanation": None, "retry": None}


def test_track_runs_lists_every_run_in_order():
    from wizard.core.tracker import track_runs

    records = parse_file(FIXTURES / "ccmsetup_two_process_404.log")
    runs = track_runs(records)
    assert [r.outcome.state for r in runs] == ["succeeded", "failed"]
    assert runs[0].first_index == 0 and runs[0].last_index == 3
    assert runs[1].first_index == 4 and runs[1].last_index == len(records) - 1
    assert runs[1].start_record is records[4] and runs[1].end_record is records[-1]
    assert runs[1].started == records[4].time and runs[1].ended == records[-1].time
    assert runs[1].outcome.error_code == "0x80190194" and runs[1].tracker.phase == "done"


# -- issue 9: the true result of a two-process run --------------------------------------------------------------

LAUNCH = 'Ccmsetup command line: "C:\\Temp\\ccmsetup.exe" /mp:mp1.contoso.com SMSSITECODE=PS1'
SERVICE_LINE = 'Ccmsetup command line: "C:\\WINDOWS\\ccmsetup\\ccmsetup.exe" /runservice /mp:mp1.contoso.com'


def test_service_banner_before_launcher_exit_without_started_line_ends_failed():
    records = [rec("==========[ ccmsetup started in process 10 ]==========", "100"),
               rec(LAUNCH, "100"),
               rec("Successfully created the ccmsetup service", "100"),
               rec("==========[ ccmsetup started in process 11 ]==========", "200"),
               rec(SERVICE_LINE, "200"),
               rec("CcmSetup is exiting with return code 0", "100"),
               rec("In ServiceMain", "200"),
               rec("Failed to download files through BITS. Error: 0x80190194", "200", type_=3),
               rec("CcmSetup failed with error code 0x80190194", "200")]
    t = InstallTracker()
    for i, record in enumerate(records[:-1]):
        t.feed([record])
        assert t.outcome.state == "running" and not t.outcome.final, (i, t.outcome)
    t.feed(records[-1:])
    assert (t.outcome.state, t.outcome.error_code, t.outcome.final) == ("failed", "0x80190194", True)
    whole = track_last_run(records)
    assert (whole.outcome.state, whole.outcome.return_code) == ("failed", None)


def test_launcher_exit_zero_alone_is_not_a_result():
    t = track_last_run([rec("==========[ ccmsetup started in process 10 ]==========", "100"),
                        rec(LAUNCH, "100"), rec("CcmSetup is exiting with return code 0", "100")])
    o = t.outcome
    assert o.state == "running" and not o.final and "waiting for the ccmsetup service" in o.summary
    t.note_no_setup_left()
    assert t.outcome.state == "unknown" and t.outcome.final and "launcher exited with code 0" in t.outcome.summary


def test_noservice_inside_another_value_is_not_a_switch():
    for line in ('Ccmsetup command line: ccmsetup.exe /source:\\\\dp1\\share/noservice /mp:mp1 SMSSITECODE=PS1',
                 'Ccmsetup command line: ccmsetup.exe /mp:mp1 SMSSITECODE=PS1 CCMADMINS="x /noservice"',
                 'Ccmsetup command line: ccmsetup.exe /mp:mp1 FSP=/noservice'):
        t = InstallTracker()
        t.feed([rec("==========[ ccmsetup started in process 10 ]==========", "100"), rec(line, "100"),
                rec("CcmSetup is exiting with return code 0", "100")])
        assert not t.noservice and t.outcome.state == "running" and not t.outcome.final, line
    t = InstallTracker()
    t.feed([rec('Ccmsetup command line: "ccmsetup.exe" "/NoService" /mp:mp1'),
            rec("CcmSetup is exiting with return code 0")])
    assert t.noservice and t.outcome.state == "succeeded" and t.outcome.final


def test_command_line_switches_come_from_the_parsed_argv():
    from wizard.core.tracker import command_line_switches

    assert command_line_switches("Installing version 5.00") is None
    assert command_line_switches("Command line parameters for ccmsetup have been specified.") is None
    switches = command_line_switches('Ccmsetup command line: "C:\\x y\\ccmsetup.exe" /runservice "/retry:20" '
                                     '/source:\\\\dp\\s/noservice /DownloadTimeout:60 P=/forceinstall')
    assert switches == {"/runservice": None, "/retry": "20", "/source": "\\\\dp\\s/noservice",
                        "/downloadtimeout": "60"}


def test_failure_then_late_launcher_exit_zero_never_reports_code_zero():
    t = InstallTracker()
    t.feed([rec("==========[ ccmsetup started in process 10 ]==========", "100"), rec(LAUNCH, "100"),
            rec("Successfully started the ccmsetup service", "100"),
            rec("==========[ ccmsetup started in process 11 ]==========", "200"), rec(SERVICE_LINE, "200"),
            rec("CcmSetup failed with error code 0x80070005", "200"),
            rec("CcmSetup is exiting with return code 0", "100")])
    o = t.outcome
    assert (o.state, o.error_code, o.return_code, o.final) == ("failed", "0x80070005", None, True)
    t.feed([rec("CcmSetup is exiting with return code 6", "200")])
    assert t.outcome.return_code == 6
    # Without thread ids a 0 after a failure is still never the failed run's code.
    u = InstallTracker(noservice=True)
    u.feed([rec("CcmSetup failed with error code 0x80070005", ""), rec("CcmSetup is exiting with return code 0", "")])
    assert (u.outcome.state, u.outcome.return_code) == ("failed", None)


def test_download_failure_carries_the_retry_from_the_log():
    t = InstallTracker(scenario="cmg")
    t.feed([rec("==========[ ccmsetup started in process 10 ]==========", "100"), rec(LAUNCH, "100"),
            rec("Successfully started the ccmsetup service", "100"),
            rec("CcmSetup is exiting with return code 0", "100"),
            rec("==========[ ccmsetup started in process 11 ]==========", "200"),
            rec(SERVICE_LINE + " /downloadtimeout:120", "200"),
            rec("Retry time:       20 minute(s)", "200"),
            rec("Starting BITS download for client deployment files.", "200"),
            rec("Failed to download files through BITS. Error: 0x80190194, Description HTTP status 404", "200",
                type_=3),
            rec("CcmSetup failed with error code 0x80190194", "200")])
    o = t.outcome
    assert o.state == "failed" and o.retry is not None
    assert (o.retry.every_minutes, o.retry.timeout_minutes, o.retry.source) == (20, 120, "log")
    assert "retries the download in 20 minutes" in o.summary
    assert o.as_dict()["retry"]["every_minutes"] == 20


def test_retry_values_from_the_plan_else_the_defaults():
    lines = [rec("==========[ ccmsetup started in process 10 ]==========", "100"),
             rec("Ccmsetup command line: ccmsetup.exe /noservice /mp:x", "100"),
             rec("File download 10% complete (1 of 10 bytes).", "100"),
             rec("CcmSetup failed with error code 0x80200010", "100")]
    planned = InstallTracker(retry_minutes=5, download_timeout_minutes=60)
    planned.feed(lines)
    assert (planned.outcome.retry.every_minutes, planned.outcome.retry.timeout_minutes,
            planned.outcome.retry.source) == (5, 60, "plan")
    default = track_last_run(lines).outcome.retry
    assert (default.every_minutes, default.timeout_minutes, default.source) == (10, 1440, "default")
    msi = InstallTracker(noservice=True)
    msi.feed([rec("Running installation package"), rec("CcmSetup failed with error code 0x80070643")])
    assert msi.outcome.retry is None


def test_splitter_keeps_a_second_launcher_that_exits_with_8_apart():
    from wizard.core.tracker import track_runs

    records = [rec("==========[ ccmsetup started in process 10 ]==========", "100"), rec(LAUNCH, "100"),
               rec("Successfully started the ccmsetup service", "100"),
               rec("==========[ ccmsetup started in process 11 ]==========", "200"), rec(SERVICE_LINE, "200"),
               rec("CcmSetup is exiting with return code 0", "100"),
               rec("==========[ ccmsetup started in process 12 ]==========", "300"), rec(LAUNCH, "300"),
               rec("File download 40% complete (4 of 10 bytes).", "200"),
               rec("CcmSetup is exiting with return code 8", "300"),
               rec("CcmSetup is exiting with return code 0", "200")]
    runs = track_runs(records)
    assert [(r.outcome.state, r.outcome.return_code) for r in runs] == [("succeeded", 0), ("failed", 8)]
    assert runs[0].first_index == 0 and runs[0].last_index == 10 and runs[1].first_index == 6


def test_a_retry_run_after_a_failure_is_a_new_run():
    from wizard.core.tracker import track_runs

    run = [rec("==========[ ccmsetup started in process 10 ]==========", "100"), rec(LAUNCH, "100"),
           rec("Successfully started the ccmsetup service", "100"), rec("CcmSetup is exiting with return code 0", "100"),
           rec("==========[ ccmsetup started in process 11 ]==========", "200"), rec(SERVICE_LINE, "200"),
           rec("CcmSetup failed with error code 0x80190194", "200")]
    retry = [rec("==========[ ccmsetup started in process 20 ]==========", "400"),
             rec('Ccmsetup command line: "C:\\WINDOWS\\ccmsetup\\ccmsetup.exe" /runservice /RetryWinTask:1', "400"),
             rec("CcmSetup is exiting with return code 0", "400")]
    runs = track_runs(run + retry)
    assert [r.outcome.state for r in runs] == ["failed", "succeeded"]
    assert track_last_run(run + retry).outcome.state == "succeeded"
