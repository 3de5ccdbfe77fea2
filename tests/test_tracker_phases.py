"""The tracker reads phase, download percent and cause from real ccmsetup.log shapes (the simulator's allow-list of
real lines, wizard/core/simulator/shapes.py, whose order follows the real public log of facts §0/§5):

- the launcher copying itself ("File download N% complete" before any client download) is not the download phase;
- manifest lines naming prerequisites ("Item 'x64/vcredist_x64.exe' is applicable") are not the prerequisites phase;
- the percent is the current file's, reset between files, never 100 % at a failed download;
- the outcome's explanation gets the run's context (switches from the logged command line, the lines around the
  failure, the device's join state when a caller knows it).
"""

from __future__ import annotations

import pytest

from wizard.core.logparse import LogRecord
from wizard.core.simulator.shapes import shape
from wizard.core.tracker import PHASES, InstallTracker, RunSplitter

LAUNCHER, SERVICE_MAIN, WORKER = "3396", "3672", "3912"
CMG = "cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975"
TOKEN_COMMAND = f"ccmsetup.exe /mp:https://{CMG} CCMHOSTNAME={CMG} SMSSITECODE=P01 /regtoken:********"


def line(key: str, thread: str = WORKER, type_: int | None = None, **values) -> LogRecord:
    """A record written the way the real ccmsetup writes this line (text, component, file and CMTrace type)."""
    s = shape(key)
    return LogRecord(s.render(**values), s.component, "", s.type if type_ is None else type_, thread, s.file,
                     "ccm", 0)


def launcher(command: str = "ccmsetup.exe /mp:mp01.contoso.com SMSSITECODE=P01") -> list[LogRecord]:
    """The launched process up to handing over to the service, as in the real log: it copies itself to
    C:\\Windows\\ccmsetup with "File download N% complete" lines, then creates the service."""
    records = [line("started", LAUNCHER, pid=476), line("version", LAUNCHER, version="5.0.9135.1000"),
               line("ccmsetup-command-line", LAUNCHER, command=command),
               line("command-line", LAUNCHER, command=command),
               line("no-client", LAUNCHER),
               line("downloading-file", LAUNCHER, path="C:\\Install\\Client\\ccmsetup.exe"),
               line("downloading-to", LAUNCHER, source="C:\\Install\\Client\\ccmsetup.exe",
                    target="C:\\Windows\\ccmsetup\\ccmsetup.exe")]
    total = 1888440
    for percent in (13, 41, 83, 100):
        records.append(line("file-download-percent", LAUNCHER, percent=percent, done=total * percent // 100,
                            total=total))
    records += [line("download-complete", LAUNCHER), line("service-created", LAUNCHER)]
    return records


def service_start(command: str = '"C:\\Windows\\ccmsetup\\ccmsetup.exe" /runservice "/mp:mp01.contoso.com" '
                                 'SMSSITECODE="P01"') -> list[LogRecord]:
    return [line("started", SERVICE_MAIN, pid=3324), line("service-started", LAUNCHER),
            line("policy-namespace", LAUNCHER), line("service-main", WORKER),
            line("ccmsetup-command-line", WORKER, command=command), line("command-line", WORKER, command=command),
            line("retry-time", WORKER, minutes=10), line("exiting", LAUNCHER, code=0)]


def onprem_locate() -> list[LogRecord]:
    reply = '<SiteInfoReply SchemaVersion="1.00"><Sites><Site><SiteCode>P01</SiteCode></Site></Sites></SiteInfoReply>'
    return [line("ccm-post", url="HTTP://mp01.contoso.com/ccm_system/request"),
            line("site-info", xml=reply, mp="mp01.contoso.com"),
            line("only-one-mp", mp="mp01.contoso.com"), line("searching-dp"),
            line("get", url="HTTP://mp01.contoso.com/CCM_Client/ccmsetup.cab"),
            line("cab-trusted", path="C:\\Windows\\ccmsetup\\ccmsetup.cab")]


MANIFEST_ITEMS = ("i386/vcredist_x86.exe", "x64/vcredist_x64.exe", "x64/MicrosoftPolicyPlatformSetup.msi",
                  "x64/WindowsFirewallConfigurationProvider.msi", "x64/client.msi")


def manifest() -> list[LogRecord]:
    records = [line("manifest-loaded")]
    for item in MANIFEST_ITEMS:
        records += [line("item-applicable", item=item), line("item-pending", item=item)]
    records += [line("file-missing", type_=2, path="C:\\Windows\\ccmsetup\\" + item.split("/")[-1])
                for item in MANIFEST_ITEMS]
    return records


def bits_job() -> list[LogRecord]:
    records = [line("branch-cache")]
    records += [line("bits-add", url=f"HTTP://mp01.contoso.com:80/CCM_Client/{item}",
                     path="C:\\Windows\\ccmsetup\\" + item.split("/")[-1]) for item in MANIFEST_ITEMS]
    return records + [line("bits-start")]


def bits_404() -> list[LogRecord]:
    return [line("bits-failed", code="0x80190194",
                 description="HTTP status 404: The requested URL does not exist on the server."),
            line("bits-failed-client-files", code="0x80190194"),
            line("failed", SERVICE_MAIN, code="0x80190194")]


def walk(tracker: InstallTracker, records) -> list[tuple[str, int | None]]:
    """(phase, percent) after every record, as the install page sees them."""
    seen = []
    for record in records:
        tracker.feed([record])
        seen.append((tracker.phase, tracker.percent))
    return seen


def visited(seen) -> list[str]:
    phases: list[str] = []
    for phase, _ in seen:
        if not phases or phases[-1] != phase:
            phases.append(phase)
    return phases


ORDER = [pid for pid, _ in PHASES]


# ---- 1. the launcher copying itself is not the download ------------------------------------------------------


def test_launcher_copying_itself_is_not_the_download_phase():
    t = InstallTracker()
    seen = walk(t, launcher())
    assert t.phase == "service" and t.percent is None  # "Successfully created the ccmsetup service"
    assert all(phase in ("bootstrap", "service") and percent is None for phase, percent in seen)


def test_phases_of_a_service_run_follow_the_log_without_skipping():
    t = InstallTracker()
    seen = walk(t, launcher() + service_start() + onprem_locate() + manifest() + bits_job())
    assert visited(seen) == ["bootstrap", "service", "locate", "download"]
    assert t.percent is None  # BITS writes no progress lines: no percent is invented


def test_cmg_run_passes_through_entra_and_locate_before_the_download():
    command = f"ccmsetup.exe /mp:https://{CMG} CCMHOSTNAME={CMG} SMSSITECODE=P01"
    records = launcher(command) + service_start(command) + [
        line("aad-info", cmg="cmg.contoso.com"),
        line("aad-device-token", client_id="aa28e7f1-b88a-43cd-a2e3-f88b257c863b", resource="https://ConfigMgrService"),
        line("ccm-token-sts", address=CMG),
        line("location-request", address=CMG, payload="<SiteInfoRequest/>"),
        line("valid-mp", mp=f"https://{CMG}"), line("searching-dp"),
    ] + manifest() + bits_job()
    seen = walk(InstallTracker(), records)
    assert visited(seen) == ["bootstrap", "service", "entra", "locate", "download"]


def test_an_mp_that_does_not_answer_fails_in_the_locate_phase():
    url = "HTTP://mp01.contoso.com/ccm_system/request"
    seen = walk(InstallTracker(), launcher() + service_start() + [
        line("ccm-post", url=url),
        line("ccmhttp-error", url=url, port=80, code=12007, text="ERROR_WINHTTP_NAME_NOT_RESOLVED"),
        line("ccmhttp-error-info", status="<unknown>", text=""), line("no-valid-source"),
        line("failed", SERVICE_MAIN, code="0x80072ee7")])
    assert visited(seen) == ["bootstrap", "service", "locate", "done"]


# ---- 2. manifest lines are not the prerequisites ----------------------------------------------------------


def test_manifest_and_bits_job_lines_naming_prerequisites_are_not_the_prerequisites_phase():
    t = InstallTracker()
    walk(t, launcher() + service_start() + onprem_locate() + manifest())
    assert t.phase == "locate"  # "Item 'x64/vcredist_x64.exe' is applicable" only lists what is needed
    walk(t, bits_job())  # "Adding file '.../vcredist_x64.exe' to BITS job" is the download
    assert t.phase == "download"


def test_a_prerequisite_installing_is_the_prerequisites_phase_and_phases_never_go_back():
    t = InstallTracker()
    walk(t, launcher() + service_start() + onprem_locate() + manifest() + bits_job())
    t.feed([line("prerequisite-failed", path="C:\\Windows\\ccmsetup\\vcredist_x64.exe", code=1603)])
    assert t.phase == "prereqs"
    t.feed([line("bits-add", url="HTTP://mp01.contoso.com:80/CCM_Client/x64/client.msi",
                 path="C:\\Windows\\ccmsetup\\client.msi"), line("searching-dp")])
    assert t.phase == "prereqs"
    t.feed([line("failed", SERVICE_MAIN, code="0x80070643")])
    assert t.outcome.state == "failed" and t.outcome.error_code == "0x80070643"


# ---- 3. percent: the current file's, honest at a failure ------------------------------------------------


def test_real_log_bits_404_after_the_launcher_copy_never_reads_100_percent():
    """The real public log's run: the launcher's copy reaches 100 %, then BITS fails with HTTP 404."""
    t = InstallTracker()
    seen = walk(t, launcher() + service_start() + onprem_locate() + manifest() + bits_job() + bits_404())
    assert t.outcome.state == "failed" and t.outcome.error_code == "0x80190194"
    assert t.percent != 100
    assert all(percent != 100 for _, percent in seen)
    assert "download" in visited(seen)


def copy(name: str, percents) -> list[LogRecord]:
    """A file copied from a /source folder: the same "Downloading ... / File download N% complete" lines."""
    source = f"\\\\fs01\\Client\\x64\\{name}"
    records = [line("downloading-file", path=source),
               line("downloading-to", source=source, target=f"C:\\Windows\\ccmsetup\\{name}")]
    return records + [line("file-download-percent", percent=p, done=p, total=100) for p in percents]


def test_percent_is_per_file_and_reset_between_files():
    t = InstallTracker()
    walk(t, launcher() + service_start())
    seen = walk(t, copy("vcredist_x64.exe", (50, 100)))
    assert [p for _, p in seen][-2:] == [50, 100] and t.phase == "download"
    t.feed([line("download-complete")])
    assert t.percent is None  # between files nothing is being downloaded
    t.feed(copy("client.msi", ())[:1])
    assert t.percent == 0  # the next file starts at 0, not at the last file's 100
    seen = walk(t, copy("client.msi", (20, 60))[2:])
    assert [p for _, p in seen] == [20, 60]


def test_a_failure_on_the_second_file_does_not_read_complete():
    t = InstallTracker()
    walk(t, launcher() + service_start() + copy("vcredist_x64.exe", (100,)) + [line("download-complete")]
         + copy("client.msi", (35,)))
    assert t.percent == 35
    t.feed([line("bits-failed-client-files", code="0x80190194")])
    assert t.percent is None  # the download failed: no percent claims progress
    t.feed([line("failed", SERVICE_MAIN, code="0x80190194")])
    assert t.outcome.state == "failed" and t.percent is None


def test_percent_never_goes_back_within_one_file():
    t = InstallTracker()
    walk(t, launcher() + service_start())
    seen = walk(t, copy("client.msi", (40, 30, 70)))
    assert [p for _, p in seen][2:] == [40, 40, 70]


# ---- 4. the outcome is explained in the run's context ----------------------------------------------------


def token_with_mp_run() -> list[LogRecord]:
    service = f'"C:\\Windows\\ccmsetup\\ccmsetup.exe" /runservice "/mp:https://{CMG}" "/regtoken:********" ' \
              f'CCMHOSTNAME="{CMG}" SMSSITECODE="P01"'
    url = f"https://{CMG}/CCM_Client/ccmsetup.cab"
    return launcher(TOKEN_COMMAND) + service_start(service) + [
        line("ccmsetup-connection", host="cmg.contoso.com", token_auth=1,
             path="/CCM_Proxy_ServerAuth/72057594037927975/ccm_system_tokenauth/request"),
        line("location-request", address=CMG, payload="<SiteInfoRequest/>"),
        line("checking-url", url=url),
        line("ccmhttp-error", url=url, port=443, code=0, text="CCM_E_BAD_HTTP_STATUS_CODE"),
        line("ccmhttp-error-info", status=403, text="Forbidden"),
        line("failed", SERVICE_MAIN, code="0x87d0027e")]


def test_regtoken_with_mp_on_a_workgroup_device_gets_the_remove_mp_tip():
    t = InstallTracker(scenario="cmg-token", join_state="workgroup")
    t.feed(token_with_mp_run())
    exp = t.outcome.explanation
    assert exp.code == "0x87d0027e" and "without /mp" in exp.action
    assert {"/mp", "/regtoken"} <= t.command_switches


def test_join_state_can_be_given_to_a_splitter_later():
    splitter = RunSplitter(scenario="cmg-token")
    splitter.feed(token_with_mp_run())
    splitter.join_state = "workgroup"
    assert "without /mp" in splitter.current.outcome.explanation.action
    assert "without /mp" in splitter.runs[-1].outcome.explanation.action


def test_without_a_join_state_the_http_status_around_the_code_explains_it():
    t = InstallTracker()
    t.feed(token_with_mp_run())
    exp = t.outcome.explanation
    assert exp.code == "0x87d0027e" and "403" in exp.cause
    assert "/mp" in exp.cause  # /regtoken with /mp in the logged command line: the tip, said as a condition


def wrong_tenant_run(tenant: str = "daf4a1c2-3a0c-401b-966f-0b855d3abd1a") -> list[LogRecord]:
    command = f"ccmsetup.exe /mp:https://{CMG} CCMHOSTNAME={CMG} SMSSITECODE=P01 AADTENANTID={tenant}"
    path = f"/CCM_Proxy_ServerAuth/AADAuthInfo?TenantID={tenant}"
    return launcher(command) + service_start(command.replace("ccmsetup.exe", "/runservice")) + [
        line("aad-info", cmg="cmg.contoso.com"),
        line("sms-ccm-connection", host="cmg.contoso.com", path=path, token_auth=0, flags="0x1304"),
        line("connection-port"), line("ssl-revocation"),
        line("ccmhttp-error", url=f"https://cmg.contoso.com{path}", port=443, code=0,
             text="CCM_E_BAD_HTTP_STATUS_CODE"),
        line("ccmhttp-error-info", status=404, text="Not Found"),
        line("failed", SERVICE_MAIN, code="0x87d0027e")]


def test_a_404_for_the_tenants_entra_details_blames_the_tenant_not_the_content():
    t = InstallTracker(scenario="cmg", join_state="entra-joined")
    t.feed(wrong_tenant_run())
    exp = t.outcome.explanation
    assert exp.code == "0x87d0027e"
    assert "tenant" in exp.cause.lower() and "AADTENANTID" in exp.action
    assert "distribut" not in (exp.cause + exp.action).lower()  # not "distribute the client package"


@pytest.mark.parametrize(("details", "code", "words"), [
    ("AADSTS135011: Device used during the authentication is disabled.", "AADSTS135011", "disabled"),
    ("AADSTS700016: Application with identifier 'aa28e7f1-b88a-43cd-a2e3-f88b257c863b' was not found in the "
     "directory 'Fabrikam'.", "AADSTS700016", "tenant"),
])
def test_entras_answer_explains_a_token_failure_not_the_transient_code(details, code, words):
    command = f"ccmsetup.exe /mp:https://{CMG} CCMHOSTNAME={CMG} SMSSITECODE=P01"
    client, resource = "aa28e7f1-b88a-43cd-a2e3-f88b257c863b", "https://ConfigMgrService"
    t = InstallTracker(scenario="cmg")
    t.feed(launcher(command) + service_start(command) + [
        line("aad-info", cmg="cmg.contoso.com"), line("connection-port"),
        line("aad-device-token", client_id=client, resource=resource),
        line("wam-failed", details=details), line("aad-token-failed"),
        line("failed", SERVICE_MAIN, code="0x87d00231")])
    o = t.outcome
    assert o.error_code == "0x87d00231" and o.explanation.code == code
    assert words in o.explanation.cause and "retries on its own" not in o.explanation.action


def test_nearby_lines_are_a_bounded_window():
    t = InstallTracker()
    t.feed(wrong_tenant_run()[:-1])
    t.feed([line("no-client")] * 500 + [line("failed", SERVICE_MAIN, code="0x87d0027e")])
    exp = t.outcome.explanation
    assert "tenant" not in exp.cause.lower()  # the 404 is 500 lines back: not "around" the code any more
