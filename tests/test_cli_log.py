"""`log summary` and `log follow` judge the simulator's log correctly for every outcome (real processes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from wizard.cli.main import main

FIXTURES = Path(__file__).parent / "fixtures" / "logs"
CLI = [sys.executable, "-m", "wizard.cli.main"]
CMG = ["/mp:https://contoso-cmg.cloudapp.net/CCM_Proxy_MutualAuth/72186325152220500",
       "CCMHOSTNAME=contoso-cmg.cloudapp.net/CCM_Proxy_MutualAuth/72186325152220500", "SMSSITECODE=PS1"]
TOKEN = ["/regtoken:eyJ0eXAi", "/mp:https://contoso-cmg.cloudapp.net/CCM_Proxy_MutualAuth/72186325152220500",
         "CCMHOSTNAME=contoso-cmg.cloudapp.net/CCM_Proxy_MutualAuth/72186325152220500", "SMSSITECODE=PS1"]
ONPREM = ["/mp:https://mp1.contoso.com", "SMSSITECODE=PS1"]

# outcome -> (argv, launcher exit code, state, return_code, error_code, explanation code, follow exit code).
# Like the real log, a failed service run ends with "CcmSetup failed with error code 0x..." and no exit line of
# its own: the summary gives ccmsetup's documented code for a failed run (6, "documented-for-failure") and
# `follow` exits with it.
EXPECTED = {
    "success": (CMG, 0, "succeeded", 0, None, "0", 0),
    "reboot": (ONPREM, 0, "reboot-required", 7, None, "7", 7),
    "aad-resource-mismatch": (CMG, 0, "failed", 6, "0x87d00231", "AADSTS50001", 6),
    "cmg-untrusted": (CMG, 0, "failed", 6, "0x80072f8f", "INVALID_CA", 6),
    "regtoken-with-mp": (TOKEN, 0, "failed", 6, "0x87d0027e", "0x87d0027e", 6),
    "msi-1603": (ONPREM, 0, "failed", 6, "0x80070643", "0x80070643", 6),
    "already-running": (ONPREM, 8, "failed", 8, None, "8", 8),
    "prereq-failed": (ONPREM, 0, "failed", 6, "0x80070643", "0x80070643", 6),
    "download-404": (CMG, 0, "failed", 6, "0x80190194", "0x80190194", 6),
}


def run(args, **kw):
    return subprocess.run(CLI + args, capture_output=True, text=True, timeout=120, **kw)


def run_inprocess(args, capsys):
    """The CLI in this process (faster than a subprocess for commands that need no process of their own)."""
    capsys.readouterr()
    code = main(args)
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, captured.out, captured.err)


@pytest.mark.parametrize("outcome", list(EXPECTED))
def test_every_outcome_is_judged_by_follow_and_summary(tmp_path, outcome, capsys):
    argv, launcher_rc, state, rc, err, explanation, follow_rc = EXPECTED[outcome]
    log = tmp_path / "Logs" / "ccmsetup.log"
    follow = subprocess.Popen(CLI + ["log", "follow", str(log), "--from-start", "--poll", "0.05"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        sim = run(["simulate", "--log-dir", str(log.parent), "--outcome", outcome, "--speed", "300", "--", *argv])
        assert sim.returncode == launcher_rc, sim.stderr
        out, errtext = follow.communicate(timeout=120)
    finally:
        if follow.poll() is None:
            follow.kill()
            follow.communicate()
    assert follow.returncode == follow_rc, out + errtext
    assert "== Phase: Done" in out and f"== Result: {state}" in out

    summary = run_inprocess(["log", "summary", str(log), "--json"], capsys)
    assert summary.returncode == 0, summary.stderr
    data = json.loads(summary.stdout)
    assert set(data) == {"records", "errors", "warnings", "phase", "outcome"}
    assert set(data["outcome"]) == {"state", "return_code", "return_code_source", "error_code", "final",
                                    "explanation", "retry"}
    o = data["outcome"]
    assert (o["state"], o["return_code"], o["error_code"], o["final"]) == (state, rc, err, True)
    logged = outcome in ("success", "reboot", "already-running")  # the run wrote an exit line of its own
    assert o["return_code_source"] == ("log" if logged else "documented-for-failure")
    assert o["explanation"]["code"] == explanation
    assert data["phase"] == "done" and data["records"] > 5
    if state == "failed" and outcome != "already-running":
        assert data["errors"] >= 1


def test_follow_waits_while_only_the_launcher_has_exited(tmp_path):
    log = tmp_path / "ccmsetup.log"
    lines = [
        "==========[ ccmsetup started in process 1 ]==========",
        "Successfully started the ccmsetup service",
        "CcmSetup is exiting with return code 0",
    ]
    log.write_text("".join(f'<![LOG[{m}]LOG]!><time="10:00:00.000+000" date="01-01-2026" component="ccmsetup" '
                           f'context="" type="1" thread="5" file="x.cpp:1">\r\n' for m in lines), "utf-8-sig")
    follow = subprocess.Popen(CLI + ["log", "follow", str(log), "--from-start", "--poll", "0.05"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            follow.communicate(timeout=2)  # must not take the launcher's exit line as the result
        with open(log, "ab") as fh:
            fh.write(b'<![LOG[CcmSetup is exiting with return code 7]LOG]!><time="10:01:00.000+000" '
                     b'date="01-01-2026" component="ccmsetup" context="" type="1" thread="9" file="x.cpp:1">\r\n')
        out, _ = follow.communicate(timeout=60)
    finally:
        if follow.poll() is None:
            follow.kill()
            follow.communicate()
    assert follow.returncode == 7 and "reboot-required" in out


def test_summary_of_fixture_with_since_offset_text_and_json(capsys):
    path = FIXTURES / "ccmsetup_two_process_404.log"
    data = json.loads(run_inprocess(["log", "summary", str(path), "--since-offset", "760", "--json"],
                                    capsys).stdout)
    assert data["records"] == 16 and data["errors"] == 1 and data["warnings"] == 0
    assert data["outcome"]["error_code"] == "0x80190194" and data["outcome"]["final"] is True
    text = run_inprocess(["log", "summary", str(path)], capsys)
    assert text.returncode == 0 and "0x80190194" in text.stdout and "Do:" in text.stdout


def test_summary_of_utf16_msi_log(capsys):
    data = json.loads(run_inprocess(["log", "summary", str(FIXTURES / "client.msi.log"), "--json"], capsys).stdout)
    assert data["records"] == 10 and data["errors"] >= 2


def test_summary_missing_file_names_it(tmp_path, capsys):
    proc = run_inprocess(["log", "summary", str(tmp_path / "nope.log")], capsys)
    assert proc.returncode == 2 and "nope.log" in proc.stderr and "Check the path" in proc.stderr


def test_summary_negative_offset(capsys):
    proc = run_inprocess(["log", "summary", str(FIXTURES / "legacy_cmg.log"), "--since-offset", "-1"], capsys)
    assert proc.returncode == 2 and "--since-offset" in proc.stderr


def test_follow_prints_colours_only_on_a_terminal():
    from wizard.cli.log_cmd import format_record
    from wizard.core.logparse import LogRecord

    error = LogRecord("boom", type=3)
    assert format_record(error, colour=True).startswith("\x1b[41;93m")
    assert "\x1b" not in format_record(error, colour=False)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery to a child differs on Windows")
def test_follow_ctrl_c_is_clean(tmp_path):
    import signal

    log = tmp_path / "ccmsetup.log"
    follow = subprocess.Popen(CLI + ["log", "follow", str(log), "--poll", "0.05"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        first = follow.stderr.readline()  # "Waiting for ... to appear": the follow loop is running
        assert "Waiting for" in first
        follow.send_signal(signal.SIGINT)
        out, err = follow.communicate(timeout=30)
    finally:
        if follow.poll() is None:
            follow.kill()
            follow.communicate()
    assert follow.returncode == 130 and "Traceback" not in err and "Ctrl-C" in err


def test_noservice_run_launcher_code_is_the_result(tmp_path, capsys):
    log = tmp_path / "Logs" / "ccmsetup.log"
    follow = subprocess.Popen(CLI + ["log", "follow", str(log), "--poll", "0.05"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "Waiting for" in follow.stderr.readline()
        sim = run(["simulate", "--log-dir", str(log.parent), "--outcome", "reboot", "--speed", "300", "--",
                   "/noservice", *ONPREM])
        assert sim.returncode == 7, sim.stderr
        out, _ = follow.communicate(timeout=120)
    finally:
        if follow.poll() is None:
            follow.kill()
            follow.communicate()
    assert follow.returncode == 7 and "reboot-required" in out
    data = json.loads(run_inprocess(["log", "summary", str(log), "--json"], capsys).stdout)
    assert data["outcome"]["state"] == "reboot-required" and data["outcome"]["return_code"] == 7


JWT = "eyJhbGciOiJSUzI1NiJ9.eyJUeXBlIjoiQnVsa1JlZ2lzdHJhdGlvbiJ9.c2lnbmF0dXJlLXNlY3JldA"


def test_follow_from_start_never_prints_the_registration_token(tmp_path, capsys):
    from wizard.core.simulator import ccm_line

    log = tmp_path / "ccmsetup.log"
    log.write_text("".join(ccm_line(message) for message in (
        "==========[ ccmsetup started in process 10 ]==========",
        f'Ccmsetup command line: "C:\\WINDOWS\\ccmsetup\\ccmsetup.exe" /noservice /regtoken:{JWT} SMSSITECODE=P01',
        f"Token {JWT} cached",
        "CcmSetup is exiting with return code 0",
    )), encoding="utf-8")
    proc = run_inprocess(["log", "follow", str(log), "--from-start", "--poll", "0.05"], capsys)
    assert proc.returncode == 0, proc.stderr
    assert "Ccmsetup command line" in proc.stdout and "/regtoken:********" in proc.stdout
    assert JWT not in proc.stdout and JWT.split(".")[1] not in proc.stdout + proc.stderr


@pytest.mark.parametrize("content", [b"", bytes(range(256)) * 4, None, "legacy_cmg.log", "plain_cp1252.log"])
def test_summary_without_a_ccmsetup_run_is_unknown(tmp_path, capsys, content):
    if isinstance(content, str):
        path = FIXTURES / content
    elif content is None:
        path = FIXTURES / "client.msi.log"
    else:
        path = tmp_path / "some.log"
        path.write_bytes(content)
    data = json.loads(run_inprocess(["log", "summary", str(path), "--json"], capsys).stdout)
    assert set(data) == {"records", "errors", "warnings", "phase", "outcome"}
    assert data["outcome"]["state"] == "unknown" and data["outcome"]["final"] is False
    text = run_inprocess(["log", "summary", str(path)], capsys)
    assert text.returncode == 0
    assert "no ccmsetup run found in this file" in text.stdout and "running" not in text.stdout


def test_summary_offset_past_the_end_warns_about_rotation(capsys):
    path = FIXTURES / "ccmsetup_two_process_404.log"
    size = path.stat().st_size
    proc = run_inprocess(["log", "summary", str(path), "--since-offset", str(size + 10), "--json"], capsys)
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["outcome"]["state"] == "unknown"
    assert f"is {size} bytes; was the log rotated?" in proc.stderr
    quiet = run_inprocess(["log", "summary", str(path), "--since-offset", str(size)], capsys)
    assert "rotated" not in quiet.stderr


def ccm_line(message: str, thread: int, when: str = "10:00:00.000") -> str:
    return (f'<![LOG[{message}]LOG]!><time="{when}+000" date="11-26-2026" component="ccmsetup" context="" '
            f'type="1" thread="{thread}" file="ccmsetup.cpp:1">\r\n')


# A service run that fails before the launcher writes its own (late) exit line.
FAST_FAILURE = "".join([
    ccm_line("==========[ ccmsetup started in process 10 ]==========", 100),
    ccm_line('Ccmsetup command line: "C:\\Temp\\ccmsetup.exe" /mp:mp1.contoso.com SMSSITECODE=PS1', 100),
    ccm_line("==========[ ccmsetup started in process 11 ]==========", 200),
    ccm_line('Ccmsetup command line: "C:\\WINDOWS\\ccmsetup\\ccmsetup.exe" /runservice /mp:mp1.contoso.com', 200),
    ccm_line("CcmSetup failed with error code 0x80070005", 200, "10:00:01.000"),
    ccm_line("CcmSetup is exiting with return code 0", 100, "10:00:02.000"),
])


def test_follow_exits_with_the_failure_code_when_the_launcher_exits_0_later(tmp_path):
    log = tmp_path / "ccmsetup.log"
    log.write_text(FAST_FAILURE, encoding="utf-8")
    proc = run(["log", "follow", str(log), "--from-start", "--poll", "0.05"])
    assert proc.returncode == 6, proc.stdout + proc.stderr
    result = next(line for line in proc.stdout.splitlines() if line.startswith("== Result:"))
    assert result.startswith("== Result: failed, return code 6") and "0x80070005" in result


def test_summary_never_reports_return_code_0_for_a_failed_run(tmp_path, capsys):
    log = tmp_path / "ccmsetup.log"
    log.write_text(FAST_FAILURE, encoding="utf-8")
    data = json.loads(run_inprocess(["log", "summary", str(log), "--json"], capsys).stdout)
    o = data["outcome"]
    assert (o["state"], o["error_code"], o["return_code"], o["return_code_source"]) == (
        "failed", "0x80070005", 6, "documented-for-failure")
    text = run_inprocess(["log", "summary", str(log)], capsys).stdout
    assert "return code 6 (ccmsetup's documented code for a failed run" in text and "return code 0" not in text


def follow_then_append(log, said_marker: str, append: str) -> tuple[int, str, str]:
    """Run `log follow LOG`; once its stderr says `said_marker`, append `append` to the log; return (exit code,
    stdout, stderr). Appending only then matters: on a loaded machine the start-up alone can take seconds, and text
    appended earlier would be part of what it read first."""
    follow = subprocess.Popen(CLI + ["log", "follow", str(log), "--poll", "0.05"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        said = []
        while not any(said_marker in line for line in said):
            line = follow.stderr.readline()
            assert line, f"log follow ended early: {''.join(said)}"
            said.append(line)
        assert follow.poll() is None
        with open(log, "a", encoding="utf-8", newline="") as fh:
            fh.write(append)
        out, rest = follow.communicate(timeout=60)
    finally:
        if follow.poll() is None:
            follow.kill()
            follow.communicate()
    return follow.returncode, out, "".join(said) + rest


def test_follow_on_a_finished_log_says_what_the_last_run_ended_with(tmp_path):
    log = tmp_path / "ccmsetup.log"
    log.write_text(FAST_FAILURE, encoding="utf-8")
    # A finished run is not what it waits for: it keeps following until a new run ends.
    returncode, out, err = follow_then_append(log, "Waiting for a new ccmsetup run", "".join([
        ccm_line("==========[ ccmsetup started in process 30 ]==========", 300, "11:00:00.000"),
        ccm_line("Ccmsetup command line: ccmsetup.exe /noservice /mp:mp1", 300, "11:00:00.000"),
        ccm_line("CcmSetup is exiting with return code 7", 300, "11:00:05.000")]))
    assert "the last ccmsetup run in the file ended at 2026-11-26 10:00:01 (log time): failed" in err
    assert "error 0x80070005" in err and "Waiting for a new ccmsetup run" in err and "--from-start" in err
    assert returncode == 7 and "== Result: reboot-required" in out
    assert "0x80070005" not in out  # the old run's lines are not replayed


def test_follow_started_while_a_record_is_half_written_reads_that_record_whole(tmp_path):
    # ccmsetup is writing its exit line at the moment follow starts: the first half is in the file, the rest comes
    # a moment later. Following from the file's size would see only the tail of that record and never the result.
    log = tmp_path / "ccmsetup.log"
    exit_line = ccm_line("CcmSetup is exiting with return code 0", 30, "11:00:05.000")
    cut = len("<![LOG[CcmSetup is exiting with")
    log.write_text(ccm_line("==========[ ccmsetup started in process 30 ]==========", 30, "11:00:00.000")
                   + ccm_line("Ccmsetup command line: ccmsetup.exe /noservice /mp:mp1", 30, "11:00:00.000")
                   + exit_line[:cut], encoding="utf-8", newline="")
    returncode, out, _ = follow_then_append(log, "in progress", exit_line[cut:])
    assert returncode == 0 and "== Result: succeeded" in out, out
