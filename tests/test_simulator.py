"""Simulator: CMTrace format, two-process pattern with an early launcher exit, marker file, appending, the
other logs, and input errors."""

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
from wizard.core.simulator import OUTCOMES, PID_FILE_NAME, SimulatorError, default_ccm_log_dir, simulate
from wizard.core.tail import wait_for
from wizard.core.tracker import track_last_run

CMG_ARGS = ["/mp:https://contoso-cmg.cloudapp.net/CCM_Proxy_MutualAuth/72186325152220500",
            "CCMHOSTNAME=contoso-cmg.cloudapp.net/CCM_Proxy_MutualAuth/72186325152220500", "SMSSITECODE=PS1"]
CCM_LINE = re.compile(r'<!\[LOG\[.*?\]LOG\]!><time="\d\d:\d\d:\d\d\.\d{3}[+-]\d{3}" date="\d\d-\d\d-\d{4}" '
                      r'component="ccmsetup" context="" type="[0-3]" thread="\d+" file="[a-z]+\.cpp:\d+">\r\n',
                      re.S)


def test_outcome_names():
    assert set(OUTCOMES) == {"success", "reboot", "aad-resource-mismatch", "cmg-untrusted", "regtoken-with-mp",
                             "msi-1603", "already-running", "prereq-failed", "download-404"}


def test_log_is_exact_cmtrace_utf8_bom_crlf(tmp_path):
    code = simulate(tmp_path, CMG_ARGS, speed=1000, detach=False)
    assert code == 0
    data = (tmp_path / "ccmsetup.log").read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    text = data[3:].decode("utf-8")
    assert CCM_LINE.sub("", text) == ""  # nothing but well-formed records
    assert "\n" not in text.replace("\r\n", "")
    records = parse_file(tmp_path / "ccmsetup.log")
    messages = [r.message for r in records]
    assert any("\n" in m for m in messages)  # multi-line XML records
    assert any(r.type == 0 and m.startswith("MSI: Action") for r, m in zip(records, messages, strict=True))
    assert any(m.startswith("File download") and "% complete" in m for m in messages)
    # The command line appears as ccmsetup writes it, in the launcher's and the service's runs.
    assert sum(CMG_ARGS[1] in m and "command line" in m.lower() for m in messages) == 2
    # Entra lines for a CMG scenario: device token, fallback to user token, CCM token from the STS.
    for text_ in ("Getting AAD (device) token", "0xd0090016", "Getting AAD (user) token",
                  "Getting CCM Token from STS server"):
        assert any(text_ in m for m in messages), text_
    msi = (tmp_path / "client.msi.log").read_bytes()
    assert msi.startswith(codecs.BOM_UTF16_LE) and "Verbose logging started" in msi.decode("utf-16")
    registration = Path(default_ccm_log_dir(tmp_path)) / "ClientIDManagerStartup.log"
    assert "Client is registered" in registration.read_text("utf-8-sig")
    assert not (tmp_path / PID_FILE_NAME).exists()


def test_two_process_pattern_in_the_log(tmp_path):
    simulate(tmp_path, CMG_ARGS, speed=1000, detach=False)
    records = parse_file(tmp_path / "ccmsetup.log")
    messages = [r.message for r in records]
    started = messages.index("Successfully started the ccmsetup service")
    early_exit = messages.index("CcmSetup is exiting with return code 0")
    assert early_exit > started
    assert sum(1 for m in messages if "ccmsetup started in process" in m) == 2
    assert messages[-1] == "CcmSetup is exiting with return code 0" and len(records) - 1 > early_exit + 10
    assert records[early_exit].thread != records[-1].thread


def test_appends_to_existing_log(tmp_path):
    simulate(tmp_path, ["/noservice", "/mp:mp1"], outcome="prereq-failed", speed=1000)
    first = (tmp_path / "ccmsetup.log").read_bytes()
    simulate(tmp_path, ["/noservice", "/mp:mp1"], outcome="success", speed=1000)
    both = (tmp_path / "ccmsetup.log").read_bytes()
    assert both.startswith(first) and both.count(codecs.BOM_UTF8) == 1
    last = track_last_run(parse_file(tmp_path / "ccmsetup.log"))
    assert last.outcome.state == "succeeded"
    only_second = track_last_run(parse_file(tmp_path / "ccmsetup.log", since_offset=len(first)))
    assert only_second.outcome.return_code == 0


def test_noservice_returns_the_result(tmp_path):
    assert simulate(tmp_path, ["/noservice"], outcome="reboot", speed=1000) == 7
    assert simulate(tmp_path, ["/noservice"], outcome="msi-1603", speed=1000) == 6
    assert simulate(tmp_path, [], outcome="already-running", speed=1000) == 8


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
    assert wait_for(lambda: not marker.exists(), timeout=60, interval=0.1)
    total_seconds = time.monotonic() - started
    assert launcher_seconds < total_seconds
    outcome = track_last_run(parse_file(log_dir / "ccmsetup.log")).outcome
    assert outcome.state == "succeeded" and outcome.final


def test_bad_input_messages(tmp_path):
    with pytest.raises(SimulatorError, match="--outcome"):
        simulate(tmp_path, [], outcome="nope")
    with pytest.raises(SimulatorError, match="--speed"):
        simulate(tmp_path, [], speed=0)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(SimulatorError, match="--log-dir"):
        simulate(blocker / "sub", [], speed=1000)


def test_cli_bad_outcome_is_argparse_error(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "wizard.core.simulator", "--log-dir", str(tmp_path),
                           "--outcome", "bogus"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "--outcome" in proc.stderr
    assert not os.listdir(tmp_path)
