"""Simulator: CMTrace format, two-process pattern with an early launcher exit, marker file, appending, the
other logs, input errors; real log shapes (parameter dump, manifest, BITS, failure wording, FSP state ids,
first-install noise, retry time, OS values); the token never in clear; --outcome as an expert override."""

from __future__ import annotations

import codecs
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wizard.core.logparse import parse_file
from wizard.core.simulator import (
    OUTCOMES,
    PID_FILE_NAME,
    SimulatorError,
    default_ccm_log_dir,
    evaluate,
    simulate,
)
from wizard.core.tail import wait_for
from wizard.core.tracker import track_last_run
from wizard.core.world import load_world

CMG = "cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975"
CMG_ARGS = [f"/mp:https://{CMG}", f"CCMHOSTNAME={CMG}", "SMSSITECODE=P01"]
ONPREM_ARGS = ["/mp:mp01.contoso.com", "SMSSITECODE=P01"]
TOKEN = ("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJUeXBlIjoiQnVsa1JlZ2lzdHJhdGlvbiIsImV4cCI6NDEwMjQ0NDgwMH0."
         "c2lnbmF0dXJlLWZvci10ZXN0cy1vbmx5")
CCM_LINE = re.compile(r'<!\[LOG\[.*?\]LOG\]!><time="\d\d:\d\d:\d\d\.\d{3}[+-]\d{3}" date="\d\d-\d\d-\d{4}" '
                      r'component="(ccmsetup|FSPStateMessage)" context="" type="[0-3]" thread="\d+" '
                      r'file="[a-z]+\.(cpp|h):\d+">\r\n', re.S)


def world(name="entra-joined"):
    return load_world(name).world


def messages(argv, name="entra-joined", **options):
    verdict, sink = evaluate(argv, world(name), **options)
    return verdict, sink.messages()


def test_outcome_names():
    assert set(OUTCOMES) == {"success", "reboot", "aad-resource-mismatch", "cmg-untrusted", "regtoken-with-mp",
                             "msi-1603", "already-running", "prereq-failed", "download-404"}


def test_log_is_exact_cmtrace_utf8_bom_crlf(tmp_path):
    code = simulate(tmp_path, CMG_ARGS, speed=1e6, detach=False)
    assert code == 0
    data = (tmp_path / "ccmsetup.log").read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    text = data[3:].decode("utf-8")
    assert CCM_LINE.sub("", text) == ""  # nothing but well-formed records
    assert "\n" not in text.replace("\r\n", "")
    records = parse_file(tmp_path / "ccmsetup.log")
    texts = [r.message for r in records]
    assert any("\n" in m for m in texts)  # multi-line records
    assert any(r.type == 0 and m.startswith("MSI: Action") for r, m in zip(records, texts, strict=True))
    # The command line appears as ccmsetup writes it, in the launcher's and the service's runs.
    assert sum(CMG_ARGS[1].split("=", 1)[1] in m and m.startswith("Ccmsetup command line:") for m in texts) == 2
    for shape in ("Getting AAD info from CMG", "Getting AAD (device) token", "Getting CCM Token from STS server",
                  "Appending CCM Token to the header."):
        assert any(shape in m for m in texts), shape
    msi = (tmp_path / "client.msi.log").read_bytes()
    assert msi.startswith(codecs.BOM_UTF16_LE) and "Verbose logging started" in msi.decode("utf-16")
    registration = Path(default_ccm_log_dir(tmp_path)) / "ClientIDManagerStartup.log"
    assert "Client is registered" in registration.read_text("utf-8-sig")
    assert not (tmp_path / PID_FILE_NAME).exists()


def test_two_process_pattern_in_the_log(tmp_path):
    simulate(tmp_path, CMG_ARGS, speed=1e6, detach=False)
    records = parse_file(tmp_path / "ccmsetup.log")
    texts = [r.message for r in records]
    started = texts.index("Successfully started the ccmsetup service")
    early_exit = texts.index("CcmSetup is exiting with return code 0")
    assert early_exit > started
    assert sum(1 for m in texts if "ccmsetup started in process" in m) == 2
    assert texts[-1] == "CcmSetup is exiting with return code 0" and len(records) - 1 > early_exit + 10
    assert records[early_exit].thread != records[-1].thread
    # The service's command line: /runservice, every parameter quoted whole, properties sorted (real log).
    service_line = next(m for m in texts if "/runservice" in m)
    assert f'/runservice  "/mp:https://{CMG}" CCMHOSTNAME="{CMG}" SMSSITECODE="P01"' in service_line


def test_appends_to_existing_log(tmp_path):
    simulate(tmp_path, ["/noservice", *ONPREM_ARGS], outcome="prereq-failed", speed=1e6)
    first = (tmp_path / "ccmsetup.log").read_bytes()
    simulate(tmp_path, ["/noservice", *ONPREM_ARGS], speed=1e6)
    both = (tmp_path / "ccmsetup.log").read_bytes()
    assert both.startswith(first) and both.count(codecs.BOM_UTF8) == 1
    last = track_last_run(parse_file(tmp_path / "ccmsetup.log"))
    assert last.outcome.state == "succeeded"
    only_second = track_last_run(parse_file(tmp_path / "ccmsetup.log", since_offset=len(first)))
    assert only_second.outcome.return_code == 0


def test_noservice_returns_the_result(tmp_path):
    assert simulate(tmp_path, ["/noservice", *ONPREM_ARGS], outcome="reboot", speed=1e6) == 7
    assert simulate(tmp_path, ["/noservice", *ONPREM_ARGS], outcome="msi-1603", speed=1e6) == 6
    assert simulate(tmp_path, ONPREM_ARGS, outcome="already-running", speed=1e6) == 8
    assert simulate(tmp_path, ["/noservice", *ONPREM_ARGS], world="pending-reboot", speed=1e6) == 7


def test_launcher_exits_early_and_marker_tracks_the_service(tmp_path):
    log_dir = tmp_path / "Logs"
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "wizard.core.simulator", "--log-dir", str(log_dir),
                           "--speed", "20", "--", *CMG_ARGS], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    marker = log_dir / PID_FILE_NAME
    assert marker.exists()  # the service part is still running after the launcher returned
    pid = int(marker.read_text())
    assert pid != proc.returncode and pid > 0
    launcher_seconds = time.monotonic() - started
    assert wait_for(lambda: not marker.exists(), timeout=90, interval=0.1)
    total_seconds = time.monotonic() - started
    assert launcher_seconds < total_seconds
    outcome = track_last_run(parse_file(log_dir / "ccmsetup.log")).outcome
    assert outcome.state == "succeeded" and outcome.final


def test_bad_input_messages(tmp_path):
    with pytest.raises(SimulatorError, match="--outcome"):
        simulate(tmp_path, [], outcome="nope")
    with pytest.raises(SimulatorError, match="--speed"):
        simulate(tmp_path, [], speed=0)
    with pytest.raises(SimulatorError, match="--world.*unknown world"):
        simulate(tmp_path, [], world="atlantis", speed=1e6)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(SimulatorError, match="--log-dir"):
        simulate(blocker / "sub", [], speed=1e6)


def test_cli_bad_outcome_is_argparse_error(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "wizard.core.simulator", "--log-dir", str(tmp_path),
                           "--outcome", "bogus"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "--outcome" in proc.stderr
    assert not os.listdir(tmp_path)


def test_cli_explain_prints_the_verdict(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "wizard.core.simulator", "--log-dir", str(tmp_path), "--explain",
                           "--world", "offline", "--", *CMG_ARGS], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert '"finding"' in proc.stdout and '"offline"' in proc.stdout and "0x80072ee7" in proc.stdout
    assert not (tmp_path / "ccmsetup.log").exists()


# ---- real shapes (issue 11, simulator realism) ----------------------------------------------------------------


def test_parameter_dump_and_first_install_noise():
    _, texts = messages([*CMG_ARGS, "/retry:20", "FSP=fsp01.contoso.com"])
    for line in ("CCMHTTPPORT:    80", "CCMHTTPSPORT:    443", "CCMHTTPSSTATE:    224", "FSP:    fsp01.contoso.com",
                 "Retry time:       20 minute(s)", "MSI log file:     C:\\Windows\\ccmsetup\\Logs\\client.msi.log",
                 "Source List:", "MPs:", f"                  https://{CMG}",
                 "Failed to connect to policy namespace. Error 0x8004100e",
                 "No version of the client is currently detected."):
        assert line in texts, line
    properties = next(m for m in texts if m.startswith("MSI properties:"))
    assert f'CCMHOSTNAME="{CMG}"' in properties and 'FSP="fsp01.contoso.com"' in properties
    _, default = messages(CMG_ARGS)
    assert "Retry time:       10 minute(s)" in default  # what real logs print without /retry
    assert not any(m.startswith("FSP:") or "Fallback Status Point" in m for m in default)  # no FSP= given


def test_manifest_mp_request_dp_reply_and_bits_shapes():
    _, texts = messages(ONPREM_ARGS)
    assert "CCM_POST 'HTTP://mp01.contoso.com/ccm_system/request'" in texts
    assert any(m.startswith("Retrived site info '<SiteInfoReply") and m.endswith("from MP 'mp01.contoso.com'")
               for m in texts)
    assert any(m.startswith("Received reply body '<ContentLocationReply") for m in texts)
    assert "C:\\Windows\\ccmsetup\\ccmsetup.cab is Microsoft trusted." in texts
    assert "Item 'x64/client.msi' is applicable. Detecting whether it exists." in texts
    adds = [i for i, m in enumerate(texts) if m.startswith("Adding file '") and "to BITS job, saving as" in m]
    start = texts.index("Starting BITS download for client deployment files.")
    assert len(adds) == 5 and adds == list(range(adds[0], adds[0] + 5)) and start == adds[-1] + 1
    assert sum(m == "Starting BITS download for client deployment files." for m in texts) == 1


def test_download_404_has_the_real_wording_and_state_309():
    verdict, texts = messages([*ONPREM_ARGS, "FSP=fsp01.contoso.com"], outcome="download-404")
    assert verdict.error_code == "0x80190194"
    failure = next(m for m in texts if m.startswith("Failed to download files through BITS."))
    assert failure.startswith("Failed to download files through BITS. Error: 0x80190194, Description HTTP status "
                              "404: The requested URL does not exist on the server.")
    assert "Failed to download client files by BITS. Error 0x80190194" in texts
    assert "Sending Fallback Status Point message to 'fsp01.contoso.com', STATEID='309'." in texts
    assert not any("STATEID='321'" in m for m in texts)
    assert texts[-1] == "CcmSetup failed with error code 0x80190194"
    assert '<ClientDeploymentMessage ErrorCode="-2145844844"><Client Baseline="1" BaselineCookie="" Platform="2" ' \
           'Langs=""/></ClientDeploymentMessage>' in texts


def test_state_ids_on_success_are_100_and_400():
    _, texts = messages([*CMG_ARGS, "FSP=fsp01.contoso.com"])
    states = re.findall(r"STATEID='(\d+)'", "\n".join(texts))
    assert states == ["100", "400"]


def test_lines_no_real_ccmsetup_writes_are_gone():
    everything = []
    for name in ("entra-joined", "not-joined", "offline", "low-disk"):
        for outcome in (None, *OUTCOMES):
            for argv in (CMG_ARGS, ONPREM_ARGS, [f"CCMHOSTNAME={CMG}", "SMSSITECODE=P01", f"/regtoken:{TOKEN}"],
                         [*CMG_ARGS, f"/regtoken:{TOKEN}"]):
                everything += messages(argv, name, outcome=outcome)[1]
    text = "\n".join(everything)
    for invented in ("Both /mp", "Client is using a bulk registration token", "BITS 2.5 or later is required",
                     "Checking prerequisites for the client installation", "Running in /noservice mode",
                     "Download Update:"):
        assert invented not in text, invented


def test_os_values_follow_the_simulated_device():
    _, texts = messages(CMG_ARGS, "hybrid-joined")
    assert "[PC01] Running on 'Microsoft Windows 10 Enterprise' (10.0.19045). Service Pack (0.0). SuiteMask = 256. " \
           "Product Type = 4" in texts
    _, texts = messages(CMG_ARGS, "low-disk")
    assert any("Running on 'Microsoft Windows 11 Pro' (10.0.26100)" in m for m in texts)
    assert "Detected 350 MB free disk space on system drive." in texts


def test_entra_lines_carry_the_ids_from_the_command():
    client = "11112222-3333-4444-5555-666677778888"
    verdict, texts = messages([*CMG_ARGS, "AADTENANTID=aaaabbbb-0000-cccc-1111-dddd2222eeee",
                               f"AADCLIENTAPPID={client}", "AADRESOURCEURI=https://ConfigMgrService"])
    assert any("AADAuthInfo?TenantID=aaaabbbb-0000-cccc-1111-dddd2222eeee" in m for m in texts)
    assert any(m.startswith(f"Getting AAD (device) token with: ClientId = {client}, ResourceUrl = "
                            "https://ConfigMgrService") for m in texts)
    # The site's client app is another one: Entra ID says so (AADSTS700016), and the run fails there.
    assert verdict.finding.id == "aadclientappid-wrong"
    assert any("AADSTS700016" in m and client in m for m in texts)


# ---- the token (issue 9) --------------------------------------------------------------------------------------


def test_the_token_is_never_written_in_clear(tmp_path):
    argv = [f"CCMHOSTNAME={CMG}", "SMSSITECODE=P01", f"/regtoken:{TOKEN}"]
    code = simulate(tmp_path, argv, speed=1e6, detach=False, world="not-joined")
    assert code == 0
    written = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    written += b"".join(p.read_bytes() for p in Path(default_ccm_log_dir(tmp_path)).rglob("*") if p.is_file())
    assert TOKEN.encode() not in written and TOKEN.encode("utf-16-le") not in written
    assert TOKEN.split(".")[1][:12].encode() not in written
    texts = [r.message for r in parse_file(tmp_path / "ccmsetup.log")]
    assert any("/regtoken:********" in m for m in texts if m.startswith("Ccmsetup command line:"))
    outcome = track_last_run(parse_file(tmp_path / "ccmsetup.log")).outcome
    assert outcome.state == "succeeded"


# ---- --outcome stays an expert override ------------------------------------------------------------------------


@pytest.mark.parametrize(("outcome", "state", "code"), [
    ("success", "succeeded", None), ("reboot", "reboot-required", None), ("aad-resource-mismatch", "failed", "0x87d00231"),
    ("cmg-untrusted", "failed", "0x80072f8f"), ("regtoken-with-mp", "failed", "0x87d0027e"),
    ("msi-1603", "failed", "0x80070643"), ("already-running", "already-running", None),
    ("prereq-failed", "failed", "0x80070643"), ("download-404", "failed", "0x80190194")])
def test_every_outcome_override_ends_that_way_even_where_the_world_disagrees(outcome, state, code):
    for name in ("entra-joined", "offline"):
        verdict, texts = messages(CMG_ARGS, name, outcome=outcome)
        assert verdict.state == state, (name, outcome)
        assert verdict.error_code == code
        if outcome != "success" and verdict.finding is not None and state == "failed":
            assert verdict.finding.id == "forced-outcome"
    if outcome == "aad-resource-mismatch":
        assert any("AADSTS50001" in m for m in texts)


@pytest.mark.parametrize("free_mb", [0, 350, 450, 499])
def test_out_of_disk_message_never_has_more_space_available_than_required(free_mb):
    """client.msi's 1601 line names the space it needs and the space there is: a device that fails for lack of
    space never shows more available than required (450 MB free used to read 'required 418304 KB; available
    460800 KB')."""
    low = load_world("low-disk").world
    device = low.device.model_copy(update={"free_disk_mb": free_mb})
    verdict, sink = evaluate(CMG_ARGS, low.model_copy(update={"device": device}))
    assert verdict.finding is not None and verdict.finding.id == "low-disk"
    line = next(m for m in sink.messages("client.msi") if "Out of disk space" in m)
    required, available = map(int, re.search(r"required space: (\d+) KB; available space: (\d+) KB", line).groups())
    assert available == free_mb * 1024
    assert available < required


def test_pki_note_gives_the_documented_advice_for_entra():
    """A device with a PKI client certificate installs as PKI; for Entra authentication the docs say to leave
    /UsePKICert out and give AADRESOURCEURI and AADCLIENTAPPID (ccmsetup-facts §1.2), as the pki-with-entra rule
    says, never to add them to /UsePKICert."""
    from wizard.core.rules import load_rule_texts

    verdict, _ = messages([*CMG_ARGS, "AADTENANTID=aaaabbbb-0000-cccc-1111-dddd2222eeee"], "pki-cert")
    note = next(n for n in verdict.notes if n.id == "pki-cert-used")
    rule_fix = load_rule_texts()["pki-with-entra"]["texts"]["conflict"]["fix"]
    for advice in (note.fix, rule_fix):
        assert "leave out /UsePKICert" in advice, advice
        assert "with /UsePKICert give" not in advice, advice


@pytest.mark.parametrize("typed", [f"http://{CMG}", CMG])
def test_a_cmg_in_mp_without_https_is_no_source_and_the_cause_says_so(typed):
    # A CMG URL in /mp must start with https:// (About client installation parameters, /mp); a CMG answers
    # HTTPS only, so with nothing else to try ccmsetup has no source. The cause must name the typed /mp, not
    # claim that no /mp was given.
    verdict, sink = evaluate([f"/mp:{typed}", "SMSSITECODE=P01"], world())
    assert verdict.state == "failed"
    assert verdict.finding.id == "cmg-mp-not-https"
    assert typed in verdict.finding.cause and "https://" in verdict.finding.fix
    messages = sink.messages()
    assert any(m.startswith("[CCMHTTP] ERROR: URL=HTTP://cmg.contoso.com/") for m in messages)
    assert messages[-1] == f"CcmSetup failed with error code {verdict.error_code}"


@pytest.mark.parametrize(("name", "says"), [("entra-joined", "not in a domain"), ("hybrid-joined", "CONTOSO")])
def test_no_source_cause_follows_the_device_domain(name, says):
    # Without /mp or a CMG, ccmsetup looks the site up in Active Directory: the cause must not tell the
    # technician of a domain-joined device that it is "not in a domain".
    verdict, _ = evaluate(["SMSSITECODE=P01"], world(name))
    assert verdict.finding.id == "no-mp-source"
    assert says in verdict.finding.cause
    if name == "hybrid-joined":
        assert "not in a domain" not in verdict.finding.cause


MSI_STARTED = re.compile(r"^=== Verbose logging started: [1-9]\d?/[1-9]\d?/\d{4}  [1-9]?\d:\d\d:\d\d  Build type: SHIP "
                         r"UNICODE \d\.\d\d\.\d{4}\.\d\d  Calling process: .+ ===$")
MSI_STOPPED = re.compile(r"^=== Verbose logging stopped: [1-9]\d?/[1-9]\d?/\d{4}  [1-9]?\d:\d\d:\d\d ===$")


@pytest.mark.parametrize("outcome", ["success", "msi-1603"])
def test_client_msi_log_has_windows_installers_own_shapes(tmp_path, outcome):
    # Windows Installer writes its header and footer with the short date and time unpadded (8/17/2017  13:09:36),
    # and a failing DLL custom action as "CustomAction X returned actual error code 1603 ..." (real MSI logs).
    simulate(tmp_path, CMG_ARGS, outcome=outcome, speed=1e6, detach=False)
    lines = (tmp_path / "client.msi.log").read_bytes().decode("utf-16").splitlines()
    assert MSI_STARTED.match(lines[0]), lines[0]
    assert MSI_STOPPED.match(lines[-1]), lines[-1]
    if outcome == "msi-1603":
        assert ("CustomAction CcmRegisterComponents returned actual error code 1603 (note this may not be 100% "
                "accurate if translation happened inside sandbox)") in lines
        assert not any(re.search(r"Error 17\d\d\.", line) for line in lines)
