"""The evidence zip: no link or junction is followed out of the log folders, the token is masked however the log
spells it even without a plan, and summary.md shows the command and the result of the last run (issues 9, 12)."""

from __future__ import annotations

import os
import threading
import types
import zipfile

import pytest

from wizard.core.parse import parse_command
from wizard.core.render import MASK
from wizard.host import collect as collect_module
from wizard.host.collect import collect_evidence
from wizard.host.demo import DemoHost

OPAQUE = "Opaque-Bulk-Token-7Qx9"
CMG = "cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975"
posix_only = pytest.mark.skipif(os.name != "posix", reason="symbolic links and FIFOs without privileges")


def record(message: str, thread: int, second: int, type_: int = 1) -> str:
    return (f'<![LOG[{message}]LOG]!><time="10:00:{second:02d}.000+000" date="11-30-2026" component="ccmsetup" '
            f'context="" type="{type_}" thread="{thread}" file="ccmsetup.cpp:1">\r\n')


def failed_run_log(token_spelling: str) -> str:
    """A bootstrap that starts the service (its typed command line), then the service (its /runservice line) that
    fails in client.msi."""
    return "".join([
        record("==========[ ccmsetup started in process 1714 ]==========", 1714, 1),
        record(f"Ccmsetup command line: C:\\Temp\\ccmsetup.exe {token_spelling} CCMHOSTNAME={CMG} SMSSITECODE=P01",
               1714, 2),
        record("Successfully started the ccmsetup service", 1714, 3),
        record("CcmSetup is exiting with return code 0", 1714, 4),
        record("==========[ ccmsetup started in process 9266 ]==========", 9266, 5),
        record(f"Ccmsetup command line: C:\\WINDOWS\\ccmsetup\\ccmsetup.exe /runservice {token_spelling} "
               f"CCMHOSTNAME={CMG} SMSSITECODE=P01", 9266, 6),
        record("File C:\\WINDOWS\\ccmsetup\\client.msi installation failed. Error text: ExitCode: 1603", 9266, 7, 3),
        record("CcmSetup failed with error code 0x80070643", 9266, 8, 3),
        record("CcmSetup is exiting with return code 6", 9266, 9),
    ])


@pytest.fixture
def host(tmp_path):
    demo = DemoHost("entra-joined", base_dir=tmp_path / "runs", latency=0)
    demo.log_dir().mkdir(parents=True, exist_ok=True)
    demo.ccm_log_dir().mkdir(parents=True, exist_ok=True)
    return demo


def read_all(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.mark.parametrize("spelling", [f"/regtoken {OPAQUE}", f"/regtoken={OPAQUE}", f"/regtoken:{OPAQUE}",
                                      f"/RegToken:{OPAQUE}", f'"/regtoken:{OPAQUE}"', f"-regtoken:{OPAQUE}"])
def test_without_a_plan_every_spelling_of_the_token_is_masked(host, tmp_path, spelling):
    (host.log_dir() / "ccmsetup.log").write_text(failed_run_log(spelling), encoding="utf-8")
    (host.log_dir() / "ccmsetup.lo_").write_text(f"old run {spelling}\r\n", encoding="utf-8")
    entries = read_all(collect_evidence(host, tmp_path / "e.zip", check_results=[]).path)
    for name, data in entries.items():
        assert OPAQUE.encode() not in data, f"token leaked into {name}"
    assert MASK.encode() in entries["logs/ccmsetup/ccmsetup.log"]


def test_summary_shows_the_typed_command_and_the_last_runs_result(host, tmp_path):
    (host.log_dir() / "ccmsetup.log").write_text(failed_run_log(f"/regtoken:{OPAQUE}"), encoding="utf-8")
    entries = read_all(collect_evidence(host, tmp_path / "e.zip", check_results=[]).path)
    summary = entries["summary.md"].decode()
    command = summary.split("## Command (secrets masked)")[1].split("##")[0]
    assert "C:\\Temp\\ccmsetup.exe" in command and "/runservice" not in command
    assert "/runservice" not in entries["command.txt"].decode()
    result = summary.split("## Result")[1].split("\n## ")[0]
    assert "**failed**" in result and "6" in result and "0x80070643" in result


def test_with_a_plan_the_summary_shows_the_plans_command_and_the_logs_result(host, tmp_path):
    (host.log_dir() / "ccmsetup.log").write_text(failed_run_log(""), encoding="utf-8")
    plan = parse_command(f"ccmsetup.exe CCMHOSTNAME={CMG} SMSSITECODE=P02 /regtoken:{OPAQUE}").plan
    summary = read_all(collect_evidence(host, tmp_path / "e.zip", plan=plan, check_results=[]).path)["summary.md"]
    text = summary.decode()
    assert "SMSSITECODE=P02" in text and f"/regtoken:{MASK}" in text and OPAQUE not in text
    assert "**failed**" in text.split("## Result")[1]


@posix_only
def test_links_out_of_the_log_folders_are_not_followed_and_are_listed(host, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("PRIVATE-DATA-OUTSIDE", encoding="utf-8")
    (outside / "folder").mkdir()
    (host.log_dir() / "ccmsetup.log").write_text(failed_run_log(""), encoding="utf-8")
    (host.log_dir() / "ccmsetup-20261130-100000.log").symlink_to(outside / "secret.txt")
    (host.log_dir() / "client.msi.log").symlink_to(outside / "secret.txt")
    (host.log_dir() / "ccmsetup-dir.log").symlink_to(outside / "folder")  # a directory link (a junction's twin)
    (host.ccm_log_dir() / "ClientLocation.log").symlink_to(outside / "secret.txt")
    result = collect_evidence(host, tmp_path / "e.zip", check_results=[])
    entries = read_all(result.path)
    assert all(b"PRIVATE-DATA-OUTSIDE" not in data for data in entries.values())
    assert "logs/ccmsetup/ccmsetup.log" in entries and "logs/ccmsetup/client.msi.log" not in entries
    assert "logs/ccm/ClientLocation.log" not in entries
    summary = entries["summary.md"].decode()
    for name in ("ccmsetup-20261130-100000.log", "client.msi.log", "ccmsetup-dir.log", "ClientLocation.log"):
        assert any(name in w and "not followed" in w for w in result.warnings), name
        assert name in summary.split("## Not included")[1]


@posix_only
def test_ccmsetup_log_itself_as_a_link_is_not_read_for_the_command_or_result(host, tmp_path):
    outside = tmp_path / "other.log"
    outside.write_text(failed_run_log(f"/regtoken:{OPAQUE} SMSSITECODE=ZZZ"), encoding="utf-8")
    (host.log_dir() / "ccmsetup.log").symlink_to(outside)
    result = collect_evidence(host, tmp_path / "e.zip", check_results=[])
    summary = read_all(result.path)["summary.md"].decode()
    assert "ZZZ" not in summary and "## Result" not in summary
    assert any("ccmsetup.log" in w and "not followed" in w for w in result.warnings)


@posix_only
@pytest.mark.parametrize("name", ["ccmsetup-pipe.log", "ccmsetup.log"])
def test_a_fifo_in_the_log_folder_does_not_block(host, tmp_path, name):
    if name != "ccmsetup.log":
        (host.log_dir() / "ccmsetup.log").write_text(failed_run_log(""), encoding="utf-8")
    fifo = host.log_dir() / name
    os.mkfifo(fifo)
    outcome = []
    worker = threading.Thread(target=lambda: outcome.append(
        collect_evidence(host, tmp_path / "e.zip", check_results=[])), daemon=True)
    worker.start()
    worker.join(60)
    if worker.is_alive():
        with open(fifo, "wb"):  # let the blocked reader go, then fail
            pass
        worker.join(10)
        pytest.fail("collect blocked on a FIFO")
    assert any(name in w and "not a regular file" in w for w in outcome[0].warnings)


def test_a_junction_is_recognised_from_its_reparse_point_attribute():
    junction = types.SimpleNamespace(st_mode=0o040755, st_file_attributes=0x410)  # directory + reparse point
    plain_dir = types.SimpleNamespace(st_mode=0o040755, st_file_attributes=0x10)
    plain_file = types.SimpleNamespace(st_mode=0o100644)
    assert collect_module.is_link(junction)
    assert not collect_module.is_link(plain_dir) and not collect_module.is_link(plain_file)


def test_a_file_swapped_for_a_link_after_listing_is_not_read(host, tmp_path, monkeypatch):
    log = host.log_dir() / "ccmsetup.log"
    log.write_text(failed_run_log(""), encoding="utf-8")
    real_lstat = os.lstat
    calls = []

    def lstat_then_swap(path, *args, **kwargs):
        result = real_lstat(path, *args, **kwargs)
        if str(path) == str(log) and not calls:
            calls.append(path)
            other = tmp_path / "other.log"
            other.write_text("SWAPPED-IN", encoding="utf-8")
            os.replace(other, log)  # another file under the same name between lstat and open
        return result

    monkeypatch.setattr(collect_module.os, "lstat", lstat_then_swap)
    with pytest.raises(collect_module.SkippedFile):
        collect_module.read_log_tail(log)


def test_device_facts_say_when_the_retry_task_could_not_be_read(host, tmp_path, monkeypatch):
    """An unreadable Task Scheduler is "unknown" in device.json too, never a plain "no retry task" (issue 10)."""
    import json

    from wizard.host.base import TaskState

    monkeypatch.setattr(host, "retry_task_state", lambda: TaskState("unknown", "schtasks answered: Access is denied."))
    device = json.loads(read_all(collect_evidence(host, tmp_path / "e.zip", check_results=[]).path)["device.json"])
    assert device["retry_task"] == {"state": "unknown", "detail": "schtasks answered: Access is denied."}


def test_summary_says_when_the_sessions_result_is_not_final(host, tmp_path):
    """A session that stopped following while ccmsetup retries: summary.md must not read as the final word."""
    from wizard.core.tracker import Outcome
    from wizard.host.base import LaunchResult

    outcome = Outcome("failed", None, "0x80190194", final=False, summary="Downloading failed; ccmsetup retries.")
    session = types.SimpleNamespace(plan=parse_command(f"ccmsetup.exe CCMHOSTNAME={CMG} SMSSITECODE=P01").plan,
                                    launch_result=LaunchResult("started", "started ccmsetup.exe"), outcome=outcome,
                                    exit_code=lambda: 1, offsets={})
    summary = read_all(collect_evidence(host, tmp_path / "e.zip", session=session, check_results=[]).path)
    result = summary["summary.md"].decode().split("## Result")[1].split("\n## ")[0]
    assert "**failed** (not final yet)" in result and "Return code: none; error code: 0x80190194" in result


def _last_run_result(host, tmp_path, log_text, running, monkeypatch):
    from wizard.host.base import SetupActivity

    (host.log_dir() / "ccmsetup.log").write_text(log_text, encoding="utf-8")
    monkeypatch.setattr(host, "setup_activity", lambda: SetupActivity((4242,) if running else ()))
    summary = read_all(collect_evidence(host, tmp_path / "e.zip", check_results=[]).path)["summary.md"].decode()
    return summary.split("## Result (last run in ccmsetup.log)")[1].split("\n## ")[0]


def test_last_run_without_a_result_and_no_ccmsetup_left_is_not_called_running(host, tmp_path, monkeypatch):
    """Evidence collected after ccmsetup died or was killed mid-run: the log's last run has no result line, and
    nothing is running any more. 'running' would send the technician to wait for a setup that is gone."""
    log = "".join(failed_run_log("").splitlines(keepends=True)[:6])  # the service started, then nothing
    result = _last_run_result(host, tmp_path, log, running=False, monkeypatch=monkeypatch)
    assert "**running**" not in result
    assert "**unknown**" in result and "no longer running" in result


def test_last_runs_logged_failure_is_not_final_while_ccmsetup_is_still_there(host, tmp_path, monkeypatch):
    log = "".join(failed_run_log("").splitlines(keepends=True)[:8])  # "failed with error code", no exit line
    result = _last_run_result(host, tmp_path, log, running=True, monkeypatch=monkeypatch)
    assert "**failed** (not final yet)" in result and "still running" in result
