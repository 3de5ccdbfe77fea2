"""The headless CLI: check, install (exit code = ccmsetup's for every simulator outcome), collect."""

from __future__ import annotations

import json
import zipfile

import pytest

from wizard.cli.main import main
from wizard.core.simulator import OUTCOMES

EXPECTED_EXIT = {
    "success": 0,
    "reboot": 7,
    "aad-resource-mismatch": 6,
    "cmg-untrusted": 6,
    "regtoken-with-mp": 6,
    "msi-1603": 6,
    "already-running": 8,
    "prereq-failed": 9,
    "download-404": 6,  # fails with an HRESULT and no exit line: a generic error
}


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)


def test_every_simulator_outcome_has_an_expected_exit_code():
    assert set(EXPECTED_EXIT) == set(OUTCOMES)


@pytest.mark.parametrize("outcome", sorted(EXPECTED_EXIT))
def test_install_demo_exits_with_ccmsetups_code(outcome, capsys):
    code = main(["install", "--demo", "--outcome", outcome, "--speed", "80", "--yes", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == EXPECTED_EXIT[outcome]
    assert out["exit_code"] == code
    assert out["demo"] is True
    assert out["launch"]["status"] == "started"
    assert out["outcome"]["final"] is True


def test_install_noservice_failure(capsys):
    code = main(["install", "--demo", "--from", "ccmsetup.exe /noservice /mp:mp01.contoso.com SMSSITECODE=P01",
                 "--outcome", "msi-1603", "--speed", "80", "--yes"])
    out = capsys.readouterr().out
    assert code == 6
    assert "0x80070643" in out and "Exit code 6." in out


def test_install_shows_masked_command_and_progress(capsys):
    token = "eyJhbGciOiJub25lIn0.eyJUeXBlIjoiQnVsa1JlZ2lzdHJhdGlvbiJ9.c2lnbmF0dXJl"
    code = main(["install", "--demo", "--from", "ccmsetup.exe CCMHOSTNAME=cmg.contoso.com/CCM_Proxy_MutualAuth/1 "
                 f"SMSSITECODE=P01 /regtoken:{token}", "--speed", "80", "--yes"])
    out = capsys.readouterr().out
    assert code == 0
    assert "*** DEMO MODE ***" in out
    assert "/regtoken:********" in out and token not in out
    assert "[Installing client.msi]" in out or "[Done]" in out


def test_install_without_yes_and_without_console_refuses(capsys):
    code = main(["install", "--demo", "--speed", "80"])
    err = capsys.readouterr().err
    assert code == 2
    assert "--yes" in err


def test_install_already_running_preset_exits_8(capsys):
    assert main(["install", "--demo=setup-running", "--speed", "80", "--yes"]) == 8
    assert "already running" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["install", "--demo=nope", "--yes"], "unknown demo preset"),
        (["install", "--demo", "--speed", "0", "--yes"], "--speed"),
        (["install", "--demo", "--from", "notepad.exe /x", "--yes"], "--from"),
        (["install", "--demo", "--profile", "missing.json", "--yes"], "--profile"),
    ],
)
def test_install_bad_input_is_named(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_check_json_and_exit_codes(capsys):
    assert main(["check", "--demo", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert all(set(row) == {"id", "status", "title", "detail", "fix", "seconds"} for row in rows)
    assert {row["id"] for row in rows} >= {"entra-join", "cmg-reachable", "disk-space"}
    assert main(["check", "--demo=low-disk", "--json"]) == 1
    rows = json.loads(capsys.readouterr().out)
    assert [row["status"] for row in rows if row["id"] == "disk-space"] == ["fail"]


def test_check_table(capsys):
    assert main(["check", "--demo=tenant-mismatch", "--from",
                 "ccmsetup.exe CCMHOSTNAME=cmg.contoso.com/CCM_Proxy_MutualAuth/1 SMSSITECODE=P01 "
                 "AADTENANTID=aaaabbbb-0000-cccc-1111-dddd2222eeee"]) == 1
    captured = capsys.readouterr()
    assert "[ FAIL] Device tenant matches AADTENANTID" in captured.out
    assert "fix:" in captured.out
    assert "*** DEMO MODE ***" in captured.out


def test_collect_demo_after_install(tmp_path, capsys):
    assert main(["install", "--demo", "--speed", "80", "--yes"]) == 0
    assert main(["collect", "--demo", "--output", str(tmp_path / "bundle.zip")]) == 0
    with zipfile.ZipFile(tmp_path / "bundle.zip") as archive:
        names = archive.namelist()
    assert "logs/ccmsetup/ccmsetup.log" in names and "summary.md" in names
    assert main(["collect", "--demo", "--output", str(tmp_path / "bundle.txt")]) == 2
