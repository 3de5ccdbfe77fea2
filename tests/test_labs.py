"""Lab exercises: every shipped lab runs headless twice through the CLI — as given it fails the planted way,
with its documented fix it succeeds; `lab list/show/check`; trainers' files are validated with the field and
the reason; the debrief says what was planted, whether it was found, and the hints used."""

from __future__ import annotations

import json

import pytest

from wizard.cli.main import main
from wizard.core.world import WorldFileError
from wizard.core.world.labs import lab_names, load_lab

SPEED = "400"


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)


def run_lab(name: str, capsys, *extra: str) -> tuple[int, dict]:
    code = main(["install", "--lab", name, "--yes", "--ignore-failed-checks", "--json", "--speed", SPEED, *extra])
    return code, json.loads(capsys.readouterr().out)


def test_at_least_ten_labs_ship():
    assert len(lab_names()) >= 10
    assert {"uac-cancel", "stalled-download"} <= set(lab_names())  # issue 12 item 9


def run_headless(lab, tmp_path, *, fixed: bool):
    """One headless attempt at a lab: checks, then install through the session, like `install --lab --yes
    --ignore-failed-checks` (quicker settling than the CLI's, so fourteen labs run twice in reasonable time)."""
    from wizard.core.parse import parse_command
    from wizard.host.checks import run_checks
    from wizard.host.demo import DemoHost
    from wizard.host.session import InstallSession

    host = DemoHost(world=lab.named_world(fixed=fixed), lab=lab, base_dir=tmp_path, latency=0, speed=float(SPEED))
    plan = parse_command(lab.fixed_command if fixed else lab.start_command).plan
    results = run_checks(host, plan)
    session = InstallSession(host, plan, host.demo_exe, poll_interval=0.05, settle_seconds=0.3)
    try:
        launch = session.start()
        if launch.started:
            session.run()
        return host, results, session
    finally:
        host.stop_children()


@pytest.mark.parametrize("name", lab_names())
def test_every_lab_fails_as_planted_and_succeeds_with_its_fix(name, tmp_path):
    lab = load_lab(name)
    expected = lab.lab.expected
    host, results, session = run_headless(lab, tmp_path, fixed=False)
    verdict = host.simulated_run()
    if expected.state == "uac-cancelled":
        assert session.launch_result.status == "uac-cancelled" and session.exit_code() == 1223
    else:
        outcome = session.outcome
        state = "stalled" if outcome.state == "unknown" and verdict.stalls else outcome.state
        assert state == expected.state, (name, outcome.state, outcome.summary)
        if state == "stalled":  # reached in training time, reported in the simulated device's minutes
            assert "No new log lines for" in outcome.summary
            assert int(outcome.summary.split("No new log lines for ")[1].split(" min")[0]) >= 10
        if expected.finding:
            assert verdict.finding.id == expected.finding
            assert not verdict.finding.contradicted_by(results)
        if expected.error_code:
            assert outcome.error_code == expected.error_code
        if expected.return_code is not None:
            assert outcome.return_code == expected.return_code
    # The documented fix: its command and its device/site changes.
    host, results, session = run_headless(lab, tmp_path, fixed=True)
    assert session.outcome.state == "succeeded", (name, session.outcome.summary)


def test_install_lab_through_the_cli_as_given_and_with_the_solution(capsys):
    code, document = run_lab("wrong-tenant", capsys)
    assert code != 0 and document["outcome"]["state"] == "failed"
    assert document["world"]["finding"]["id"] == "aadtenantid-wrong"
    assert document["lab"]["found_all"] is False
    assert document["lab"]["planted"][0]["finding"] == "aadtenantid-wrong"
    code, document = run_lab("wrong-tenant", capsys, "--solution")
    assert code == 0 and document["outcome"]["state"] == "succeeded"
    assert document["lab"]["found_all"] is True


def test_uac_cancel_lab_through_the_cli(capsys):
    code, document = run_lab("uac-cancel", capsys)
    assert code == 1223 and document["launch"]["status"] == "uac-cancelled"
    assert document["lab"]["planted"][0]["found"] is True


def test_lab_list_and_show(capsys):
    assert main(["lab", "list", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert [entry["name"] for entry in listing] == lab_names()
    assert all(entry["briefing"] and entry["hints"] >= 1 for entry in listing)
    assert main(["lab", "list"]) == 0
    assert "wrong-tenant" in capsys.readouterr().out
    assert main(["lab", "show", "wrong-tenant", "--hints", "1"]) == 0
    out = capsys.readouterr().out
    assert "Hint 1:" in out and "Hint 2:" not in out and "aadtenantid-wrong" not in out  # no spoiler
    assert main(["lab", "show", "wrong-tenant", "--solution"]) == 0
    assert "aadtenantid-wrong" in capsys.readouterr().out


def _write(tmp_path, document) -> str:
    path = tmp_path / "my-lab.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


GOOD = {
    "schema_version": 1, "title": "Mine", "briefing": "A trainer's own lab.", "world": "entra-joined",
    "plant": {"device": {"free_disk_mb": 300}},
    "planted": [{"finding": "low-disk", "description": "300 MB free.", "fixed_in": "world"}],
    "start": {"command": "ccmsetup.exe /mp:mp01.contoso.com SMSSITECODE=P01"},
    "expected": {"state": "failed", "finding": "low-disk", "error_code": "0x80070643"},
    "fix": {"description": "Free some space.", "world": {"device": {"free_disk_mb": 9000}}},
    "hints": ["Look at the checks."],
}


def test_a_trainers_own_lab_file_runs(tmp_path, capsys):
    path = _write(tmp_path, GOOD)
    assert main(["lab", "check", path]) == 0
    assert "ok" in capsys.readouterr().out
    code, document = run_lab(path, capsys)
    assert document["world"]["finding"]["id"] == "low-disk"
    assert document["lab"]["planted"][0]["found"] is True  # the disk check showed it
    assert document["lab"]["hints_total"] == 1 and document["lab"]["hints_used"] == 0


@pytest.mark.parametrize(("change", "field", "reason"), [
    ({"briefing": ""}, "briefing", "at least 1 character"),
    ({"planted": [{"finding": "gremlins", "description": "x"}]}, "planted.0.finding", "unknown finding 'gremlins'"),
    ({"plant": {"device": {"free_disk": 3}}}, "plant.device.free_disk", "not a known field"),
    ({"expected": {"state": "failed", "finding": "offline"}}, "expected", "its cause is 'low-disk', not 'offline'"),
    ({"fix": {"description": "nothing"}}, "fix", "with the documented fix, the run ends as 'failed'"),
    ({"schema_version": True}, "schema_version", "integer 1"),
    ({"world": "atlantis"}, "world", "unknown world"),
    ({"start": {"command": "msiexec /i client.msi"}}, "start.command", "msiexec"),
    ({"speed": 0}, "speed", "greater than 0"),
])
def test_invalid_lab_files_are_refused_with_the_field_and_the_reason(tmp_path, capsys, change, field, reason):
    path = _write(tmp_path, GOOD | change)
    with pytest.raises(WorldFileError) as raised:
        load_lab(path)
    assert raised.value.field == field and reason in str(raised.value), str(raised.value)
    assert "my-lab.json" in str(raised.value)
    assert main(["lab", "check", path]) == 2
    assert field in capsys.readouterr().err
    assert main(["install", "--lab", path, "--yes"]) == 2
    err = capsys.readouterr().err
    assert "--lab:" in err and field in err


def test_lab_and_demo_together_are_refused(capsys):
    assert main(["check", "--lab", "wrong-tenant", "--demo=offline"]) == 2
    assert "--lab and --demo" in capsys.readouterr().err
    assert main(["check", "--solution"]) == 2
    assert "--lab" in capsys.readouterr().err


def test_check_with_a_lab_shows_the_briefing_and_uses_its_command(capsys):
    code = main(["check", "--lab", "wrong-tenant"])
    out = capsys.readouterr().out
    assert code == 1
    assert "Lab: The command from the documentation" in out and "lab 'wrong-tenant'" in out
    assert "[ FAIL] Device tenant matches AADTENANTID" in out


def test_debrief_counts_a_command_fix_as_found():
    lab = load_lab("wrong-tenant")
    from wizard.core.parse import split_windows_args

    given = lab.debrief(plan_argv=split_windows_args(lab.start_command)[1:], hints_used=1)
    fixed = lab.debrief(plan_argv=split_windows_args(lab.fixed_command)[1:])
    assert not given.found_all and fixed.found_all
    assert "Hints used: 1 of 2" in given.text() and "not found" in given.text()
