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
    "prereq-failed": 6,  # a prerequisite's installer failed (0x80070643): a generic error, not 9 (evaluation)
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
    # A bulk token that expires in 2100, for the demo site's CMG (the simulated site checks both).
    token = "eyJhbGciOiJub25lIn0.eyJUeXBlIjoiQnVsa1JlZ2lzdHJhdGlvbiIsImV4cCI6NDEwMjQ0NDgwMH0.c2lnbmF0dXJl"
    code = main(["install", "--demo", "--from", "ccmsetup.exe CCMHOSTNAME=cmg.contoso.com/CCM_Proxy_MutualAuth/"
                 f"72057594037927975 SMSSITECODE=P01 /regtoken:{token}", "--speed", "80", "--yes"])
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


def test_install_already_running_preset_exits_8_when_the_failed_check_is_overridden(capsys):
    assert main(["install", "--demo=setup-running", "--speed", "80", "--yes", "--ignore-failed-checks"]) == 8
    assert "already running" in capsys.readouterr().out


def test_install_yes_refuses_past_failed_checks_and_names_them(capsys):
    assert main(["install", "--demo=setup-running", "--speed", "80", "--yes"]) == 2
    captured = capsys.readouterr()
    assert "No ccmsetup already running" in captured.err and "--ignore-failed-checks" in captured.err
    assert "Exit code" not in captured.out  # nothing was launched


def test_install_json_records_the_failed_checks_override(capsys):
    assert main(["install", "--demo=setup-running", "--speed", "80", "--yes", "--json"]) == 2
    refused = json.loads(capsys.readouterr().out)
    assert refused["checks_overridden"] is False and refused["launch"] is None
    assert refused["refused"] == "failed-checks"
    assert main(["install", "--demo=setup-running", "--speed", "80", "--yes", "--ignore-failed-checks",
                 "--json"]) == 8
    assert json.loads(capsys.readouterr().out)["checks_overridden"] is True
    assert main(["install", "--demo", "--speed", "80", "--yes", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["checks_overridden"] is False


RULE_BREAKERS = [
    ("ccmsetup.exe /mp:cmg.contoso.com/CCM_Proxy_MutualAuth/1 CCMHOSTNAME=cmg.contoso.com/CCM_Proxy_MutualAuth/1 "
     "SMSSITECODE=P01 AADTENANTID=aaaabbbb-0000-cccc-1111-dddd2222eeee", "cmg-mp-scheme"),
    ("ccmsetup.exe CCMHOSTNAME=https://cmg.contoso.com/CCM_Proxy_MutualAuth/1 SMSSITECODE=P01 "
     "AADTENANTID=aaaabbbb-0000-cccc-1111-dddd2222eeee", "cmg-hostname-scheme"),
    ("ccmsetup.exe /mp:mp01.contoso.com SMSSITECODE=P0", "site-code"),
]


@pytest.mark.parametrize(("command", "rule"), RULE_BREAKERS)
def test_install_with_rule_errors_is_not_launched(command, rule, capsys):
    assert main(["install", "--demo", "--from", command, "--speed", "80", "--yes"]) == 2
    captured = capsys.readouterr()
    assert rule in captured.err and "not started" in captured.err
    assert "Exit code" not in captured.out and "Command:" not in captured.out


@pytest.mark.parametrize(("command", "rule"), RULE_BREAKERS)
def test_check_reports_rule_errors_first_and_fails(command, rule, capsys):
    assert main(["check", "--demo", "--from", command]) == 1
    out = capsys.readouterr().out
    assert f"error: {rule}" in out
    assert out.index(f"error: {rule}") < out.index("[")  # before the first check row
    assert main(["check", "--demo", "--from", command, "--json"]) == 1
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["id"] == "rules" and rows[0]["status"] == "fail"
    assert rule in [row.get("rule") for row in rows if row["id"] == "rules"]
    assert all({"id", "status", "title", "detail", "fix", "seconds"} <= set(row) for row in rows)
    assert any(row["id"] == "disk-space" for row in rows)


def test_missing_exe_messages_use_cli_wording(tmp_path, capsys):
    missing = str(tmp_path / "nowhere" / "ccmsetup.exe")
    assert main(["check", "--demo", "--ccmsetup", missing]) == 1
    out = capsys.readouterr().out
    assert "--ccmsetup PATH" in out and "Choose the ccmsetup.exe" not in out
    main(["install", "--demo", "--ccmsetup", missing, "--speed", "80", "--yes", "--ignore-failed-checks"])
    out = capsys.readouterr().out
    assert "pass --ccmsetup PATH" in out and "choose the" not in out.lower()


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


def test_collect_demo_describes_the_device_the_last_run_used(tmp_path, capsys):
    assert main(["install", "--demo=client-installed", "--speed", "80", "--yes", "--json"]) in (0, 7)
    capsys.readouterr()
    assert main(["collect", "--demo", "--output", str(tmp_path / "bundle.zip")]) == 0
    assert "preset 'client-installed'" in capsys.readouterr().err  # the banner names the device that ran
    from wizard.core.world import load_world

    ran = load_world("client-installed").world.device.computer_name
    default = load_world("entra-joined").world.device.computer_name
    assert ran != default
    with zipfile.ZipFile(tmp_path / "bundle.zip") as archive:
        device = archive.read("device.json").decode()
    assert ran in device and default not in device


def test_a_broken_demo_preset_file_does_not_break_other_subcommands(monkeypatch, capsys):
    from wizard.host import demo

    def broken():
        raise demo.PresetError("demo_presets.json: preset 'x' has unknown keys")

    monkeypatch.setattr(demo, "preset_names", broken)
    assert main(["lint", "ccmsetup.exe /mp:mp01.contoso.com SMSSITECODE=P01"]) == 0
    assert "No problems found" in capsys.readouterr().out


def test_install_after_a_failed_download_says_ccmsetup_retries(capsys):
    code = main(["install", "--demo", "--outcome", "download-404", "--speed", "80", "--yes", "--json"])
    captured = capsys.readouterr()
    assert code == 6
    result = next(line for line in (captured.err + captured.out).splitlines() if line.startswith("Result:"))
    assert "ccmsetup retries the download in" in result and "minutes" in result
    document = json.loads(captured.out[captured.out.index("{"):])
    assert document["outcome"]["retry"]["every_minutes"] >= 1
