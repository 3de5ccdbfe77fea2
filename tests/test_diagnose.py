"""Diagnose (core and CLI): sources from a file, folder or zip, the merged UTC timeline, runs with what followed
them, findings with the root cause first. Line shapes in code cite their public sources (see also
tests/fixtures/diagnose/SOURCES.md)."""

from __future__ import annotations

import codecs
import json
import os
import shutil
import threading
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wizard.cli.main import main
from wizard.core.diagnose import (
    DiagnoseCancelled,
    diagnose,
    kind_for_name,
    parse_utc,
    to_markdown,
    to_text,
)
from wizard.core.diagnose import sources as sources_module
from wizard.core.logparse import parse_bytes
from wizard.core.simulator import simulate

FIXTURES = Path(__file__).parent / "fixtures"
TWO_ZONES = FIXTURES / "diagnose" / "two_zones"
TOKEN = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJUeXBlIjoiQnVsa1JlZ2lzdHJhdGlvbiJ9.c2lnbmF0dXJlLXBhcnQ"


def ccm(message: str, local: datetime, bias: int | str, component: str = "ccmsetup", type_: int = 1,
        thread: int = 100) -> str:
    """One CCM record; `bias` as ConfigMgr writes it (UTC = local + bias)."""
    written = bias if isinstance(bias, str) else f"{'-' if bias < 0 else '+'}{abs(bias):03d}"
    return (f'<![LOG[{message}]LOG]!><time="{local:%H:%M:%S}.{local.microsecond // 1000:03d}{written}" '
            f'date="{local:%m-%d-%Y}" component="{component}" context="" type="{type_}" thread="{thread}" '
            f'file="x.cpp:1">\r\n')


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


T0 = datetime(2026, 3, 2, 9, 0, 0)


def setup_run(start: datetime, bias: int, *, result: str = "CcmSetup is exiting with return code 0",
              middle: tuple[tuple[str, int], ...] = (), pid: int = 500) -> str:
    """A /noservice run (one process): header, command line, the middle lines, the result."""
    lines = [ccm(f"==========[ ccmsetup started in process {pid} ]==========", start, bias),
             ccm("Ccmsetup command line: ccmsetup.exe /noservice /mp:mp1.contoso.com SMSSITECODE=PS1",
                 start + timedelta(seconds=1), bias)]
    for i, (message, type_) in enumerate(middle, 2):
        lines.append(ccm(message, start + timedelta(seconds=i), bias, type_=type_))
    lines.append(ccm(result, start + timedelta(seconds=len(middle) + 5), bias))
    return "".join(lines)


# -- names and sources ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kind"), [
    ("ccmsetup.log", "ccmsetup"), ("CCMSETUP.LOG", "ccmsetup"), ("ccmsetup.lo_", "ccmsetup"),
    ("ccmsetup-20240101-101010.log", "ccmsetup"), ("ccmsetup-ccmeval.log", "ccmsetup-ccmeval"),
    ("client.msi.log", "client.msi"), ("ClientIDManagerStartup.log", "ClientIDManagerStartup"),
    ("clientlocation.lo_", "ClientLocation"), ("LocationServices-20250101-000000.log", "LocationServices"),
    ("CcmMessaging.log", "CcmMessaging"), ("ADALOperationProvider.log", "ADALOperationProvider"),
    ("CcmExec.log", "CcmExec"), ("ClientAuth.log", "ClientAuth"), ("PolicyAgent.log", None),
    ("summary.md", None),
])
def test_kind_for_name(name, kind):
    assert kind_for_name(name) == kind


def test_folder_takes_known_logs_and_other_ccm_format_logs_only(tmp_path):
    write(tmp_path / "ccmsetup.log", setup_run(T0, 480))
    write(tmp_path / "sub" / "PolicyAgent.log", ccm("Policy line", T0, 480, "PolicyAgent"))
    write(tmp_path / "sub" / "notes.log", "just some text, not a CCM log\n")
    write(tmp_path / "summary.md", "# not a log\n")
    result = diagnose(tmp_path)
    assert [(s.path, s.kind) for s in result.sources] == [("ccmsetup.log", "ccmsetup"),
                                                         ("sub/PolicyAgent.log", "ccm")]


# -- the two-time-zone device folder ------------------------------------------------------------------------------


def test_two_zones_folder_is_merged_in_utc_with_runs_and_after():
    result = diagnose(TWO_ZONES)
    by_path = {s["path"]: s for s in result.to_dict(timeline=False)["sources"]}
    assert by_path["Windows/ccmsetup/Logs/ccmsetup.log"]["bias_minutes"] == -120
    assert by_path["Windows/CCM/Logs/ClientIDManagerStartup.log"]["bias_minutes"] == 420
    assert by_path["Windows/ccmsetup/Logs/client.msi.log"]["bias_minutes"] is None
    assert any("-120" in p for p in by_path["Windows/ccmsetup/Logs/client.msi.log"]["problems"])

    utcs = [e.utc_ms for e in result.timeline if e.utc_ms is not None]
    assert utcs == sorted(utcs)
    messages = [e.message for e in result.timeline]
    exit_at = max(i for i, m in enumerate(messages) if "exiting with return code 0" in m)
    registered_at = messages.index("[RegTask] - Client is registered. Server assigned ClientID is "
                                   "GUID:C66EE0FD-08E7-4B38-B282-7E6954B71139. Approval status 3")
    # By local time (01:03 Pacific vs 10:00 CEST) registration would come first; in UTC it follows the install.
    assert registered_at > exit_at
    registered = result.timeline[registered_at]
    assert registered.utc_iso() == "2025-05-20T08:03:05.000Z" and registered.local_iso() == "2025-05-20T01:03:05.000"
    # client.msi.log keeps its own (local) clock, unmarked as UTC, and sits inside the install.
    msi = [i for i, e in enumerate(result.timeline) if e.source.kind == "client.msi"]
    running = messages.index(next(m for m in messages if m.startswith("Running installation package")))
    succeeded = messages.index("Installation succeeded.")
    assert all(running < i < succeeded for i in msi)
    assert all(result.timeline[i].utc_ms is None and result.timeline[i].local_ms is not None for i in msi)

    assert len(result.runs) == 1
    run = result.runs[0].as_dict()
    assert run["started_utc"] == "2025-05-20T07:50:00.100Z" and run["ended_utc"] == "2025-05-20T08:00:00.000Z"
    assert run["outcome"]["state"] == "succeeded" and run["outcome"]["return_code"] == 0
    after = run["after"]
    assert after["registration"]["state"] == "registered"
    assert after["registration"]["approval_status"] == 3 and after["registration"]["method"] == "aad"
    assert after["registration"]["client_id"] == "GUID:C66EE0FD-08E7-4B38-B282-7E6954B71139"
    assert after["registration"]["evidence"]["path"] == "Windows/CCM/Logs/ClientIDManagerStartup.log"
    assert after["registration"]["evidence"]["line"] == 7
    assert after["entra_token"]["state"] == "acquired" and after["entra_token"]["kind"] == "user"
    assert after["site"]["site_code"] == "MEM"
    assert after["management_point"]["cmg"] is True
    assert "CCM_Proxy_MutualAuth/72186325152220500" in after["management_point"]["address"]
    # The device-token fallback during setup is only a note; nothing is wrong.
    assert result.root_cause is None
    assert all(f.severity == "info" for f in result.findings)


def test_two_zones_cli_json_shape(capsys):
    assert main(["diagnose", str(TWO_ZONES), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"sources", "runs", "findings", "timeline"}
    assert all(set(s) == {"path", "kind", "records", "bias_minutes", "problems"} for s in data["sources"])
    assert all(set(r) == {"started_utc", "ended_utc", "outcome", "after"} for r in data["runs"])
    assert set(data["runs"][0]["outcome"]) == {"state", "return_code", "return_code_source", "error_code", "final",
                                                "explanation"}
    assert all(set(f) == {"id", "severity", "title", "fix", "evidence"} for f in data["findings"])
    assert all(set(e) == {"path", "line", "utc"} for f in data["findings"] for e in f["evidence"])
    timeline = data["timeline"]
    assert len(timeline) == 55
    assert all(set(t) == {"utc", "local", "bias_minutes", "path", "line", "component", "type", "message"}
               for t in timeline)
    assert all(t["utc"].endswith("Z") for t in timeline if t["utc"])
    assert all(t["utc"] is None and t["bias_minutes"] is None for t in timeline if t["path"].endswith("msi.log"))
    first = timeline[0]
    assert first == {"utc": "2025-05-20T07:50:00.100Z", "local": "2025-05-20T09:50:00.100", "bias_minutes": -120,
                     "path": "Windows/ccmsetup/Logs/ccmsetup.log", "line": 1, "component": "ccmsetup", "type": 1,
                     "message": "==========[ ccmsetup started in process 6480 ]=========="}


# -- the project's synthetic logs ---------------------------------------------------------------------------------


def test_project_fixture_folder_runs_and_root_cause():
    result = diagnose(FIXTURES / "logs")
    states = [(r.outcome.state, r.outcome.error_code, r.outcome.return_code) for r in result.runs]
    assert states == [("failed", "0x87d00454", 6), ("succeeded", None, 0), ("failed", "0x80190194", None)]
    # ccmsetup.lo_ (the older rotated copy) and the .log are one stream; the runs are in UTC order.
    starts = [r.start.utc_ms for r in result.runs]
    assert starts == sorted(starts)
    root = result.findings[0]
    assert root.root_cause and root.id == "setup-failed" and "0x80190194" in root.title
    evidence = [(e.source.path, e.line) for e in root.evidence]
    assert evidence == [("ccmsetup_two_process_404.log", 22), ("ccmsetup_two_process_404.log", 24)]
    assert root.evidence[-1].utc_iso() == "2018-02-21T21:34:23.493Z"
    assert any(f.id == "earlier-run-failed" and "0x87d00454" in f.title for f in result.findings)


CMG_ARGS = ["/mp:https://cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975",
            "CCMHOSTNAME=cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975", "SMSSITECODE=P01"]
TOKEN_ARGS = CMG_ARGS + [f"/regtoken:{TOKEN}"]
# outcome -> (state, error code, return code, root finding id, a text the root cause's title or evidence holds)
SIMULATED = {
    "success": ("succeeded", None, 0, None, None),
    "reboot": ("reboot-required", None, 7, "setup-restart-required", "restart"),
    "aad-resource-mismatch": ("failed", "0x87d00231", 6, "setup-failed", "AADSTS50001"),
    "cmg-untrusted": ("failed", "0x80072f8f", 6, "setup-failed", "INVALID_CA"),
    "regtoken-with-mp": ("failed", "0x87d0027e", 6, "setup-failed", "0x87d0027e"),
    "msi-1603": ("failed", "0x80070643", 6, "setup-failed", "CcmRegisterComponents"),
    "already-running": ("failed", None, 8, "setup-failed", "already running"),
    "prereq-failed": ("failed", "0x80070643", 6, "setup-failed", "1603"),
    "download-404": ("failed", "0x80190194", 6, "setup-failed", "HTTP status 404"),
}


@pytest.mark.parametrize("outcome", sorted(SIMULATED))
def test_simulated_runs_are_judged(outcome, tmp_path):
    logs = tmp_path / "Windows" / "ccmsetup" / "Logs"
    ccm_dir = tmp_path / "Windows" / "CCM" / "Logs"
    args = TOKEN_ARGS if outcome == "regtoken-with-mp" else CMG_ARGS
    simulate(logs, args, outcome=outcome, speed=1000, detach=False, ccm_log_dir=ccm_dir)
    state, error_code, return_code, root_id, text = SIMULATED[outcome]
    result = diagnose(tmp_path)
    assert len(result.runs) == 1
    o = result.runs[0].outcome
    shown = result.runs[0].as_dict()["outcome"]  # a failed run without an exit line shows 6, and says so
    assert (shown["state"], shown["error_code"], shown["return_code"], o.final) == (state, error_code, return_code,
                                                                                    True)
    root = result.root_cause
    if root_id is None:
        assert root is None
        assert result.runs[0].after.as_dict()["registration"]["state"] == "registered"
        return
    assert root.id == root_id and result.findings[0] is root
    evidence_text = root.title + " ".join(e.message for e in root.evidence)
    assert text.lower() in evidence_text.lower()
    assert root.fix
    assert TOKEN not in json.dumps(result.to_dict()) + to_markdown(result) + to_text(result, timeline=True)


def test_root_cause_evidence_is_the_earliest_explaining_line(tmp_path):
    # AADSTS50001 explains the generic 0x80004005 that ends the run (Microsoft's Entra workflow article shows
    # the WAM line shape; SCCMdocs#1135 the AADSTS50001 case).
    text = setup_run(T0, -60, result="CcmSetup failed with error code 0x80004005", middle=(
        ("Getting AAD (device) token with: ClientId = 1, ResourceUrl = https://wrong, AccountId = x", 1),
        ("WAM token request failed. Status 5, Details 'AADSTS50001: The application named https://wrong was "
         "not found in the tenant.'", 3),
        ("Failed to get AAD token..", 3)))
    write(tmp_path / "ccmsetup.log", text)
    root = diagnose(tmp_path).root_cause
    assert root.id == "setup-failed" and "AADRESOURCEURI" in root.title
    assert [e.line for e in root.evidence] == [4, 6]
    assert root.evidence[0].utc_iso() == "2026-03-02T08:00:03.000Z"


# -- after the install: registration and tokens --------------------------------------------------------------------


def _installed_device(tmp_path: Path, client_lines: str, name: str = "ClientIDManagerStartup.log") -> Path:
    write(tmp_path / "ccmsetup" / "Logs" / "ccmsetup.log", setup_run(T0, 480))
    write(tmp_path / "CCM" / "Logs" / name, client_lines)
    return tmp_path


def test_rejected_registration_is_the_root_cause(tmp_path):
    # ConfigMgr Client Health (AndersRodland/ConfigMgrClientHealth, Test-CCMCertificateError) matches this line.
    later = T0 + timedelta(minutes=3)
    lines = (ccm("[RegTask] - Starting registration, attempt 1.", later, 480, "ClientIDManagerStartup")
             + ccm("[RegTask] - Client is not registered. Sending registration request for "
                   "GUID:C66EE0FD-08E7-4B38-B282-7E6954B71139 ...", later, 480, "ClientIDManagerStartup")
             + ccm("[RegTask] - Server rejected registration 3", later + timedelta(seconds=20), 480,
                   "ClientIDManagerStartup", type_=3))
    result = diagnose(_installed_device(tmp_path, lines))
    after = result.runs[0].as_dict()["after"]["registration"]
    assert after["state"] == "rejected" and after["evidence"]["line"] == 3
    assert after["explanation"]["title"] == "The site rejected the client's registration"
    root = result.root_cause
    assert root.id == "registration-rejected" and root.severity == "error"
    assert [(e.source.name, e.line) for e in root.evidence] == [("ClientIDManagerStartup.log", 3)]


def test_token_failure_after_install_explains_missing_registration(tmp_path):
    later = T0 + timedelta(minutes=2)
    write(tmp_path / "CCM" / "Logs" / "ClientIDManagerStartup.log",
          ccm("[RegTask] - Starting registration, attempt 1.", later, 480, "ClientIDManagerStartup")
          + ccm("Registering client using AAD auth.", later, 480, "ClientIDManagerStartup"))
    write(tmp_path / "CCM" / "Logs" / "ADALOperationProvider.log",
          ccm("WAM token request failed. Status 5, Details 'AADSTS50001: The application named https://x was not "
              "found in the tenant.'", later + timedelta(seconds=5), 480, "ADALOperationProvider", type_=3))
    write(tmp_path / "ccmsetup" / "Logs" / "ccmsetup.log", setup_run(T0, 480))
    result = diagnose(tmp_path)
    root = result.root_cause
    assert root.id == "entra-token-failed"
    assert "AADRESOURCEURI" in root.title
    token = result.runs[0].as_dict()["after"]["entra_token"]
    assert token["state"] == "failed" and token["error"] == "AADSTS50001"


def test_installed_without_registration_log_says_it_cannot_confirm(tmp_path):
    write(tmp_path / "ccmsetup.log", setup_run(T0, 0))
    result = diagnose(tmp_path)
    assert result.runs[0].as_dict()["after"]["registration"]["state"] == "no-log"
    assert result.root_cause.id == "registration-unknown" and result.root_cause.severity == "info"


def test_earlier_failed_run_then_success(tmp_path):
    text = (setup_run(T0, 300, result="CcmSetup failed with error code 0x80190194", pid=1)
            + setup_run(T0 + timedelta(hours=1), 300, pid=2))
    _installed_device(tmp_path, ccm("[RegTask] - Client is registered. Server assigned ClientID is "
                                    "GUID:C66EE0FD-08E7-4B38-B282-7E6954B71139. Approval status 1",
                                    T0 + timedelta(hours=1, minutes=5), 300, "ClientIDManagerStartup"))
    write(tmp_path / "ccmsetup" / "Logs" / "ccmsetup.log", text)
    result = diagnose(tmp_path)
    assert [r.outcome.state for r in result.runs] == ["failed", "succeeded"]
    assert [r.as_dict()["after"]["registration"]["state"] for r in result.runs] == ["not-seen", "registered"]
    assert result.root_cause is None
    earlier = next(f for f in result.findings if f.id == "earlier-run-failed")
    assert earlier.severity == "info" and "a later run succeeded" in earlier.title


# -- zips ------------------------------------------------------------------------------------------------------------


def test_zip_is_read_in_place(tmp_path):
    archive = tmp_path / "logs.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for path in TWO_ZONES.rglob("*.log"):
            z.write(path, path.relative_to(TWO_ZONES).as_posix())
        z.writestr("summary.md", "# not a log")
    before = sorted(p.name for p in tmp_path.iterdir())
    from_zip = diagnose(archive)
    from_folder = diagnose(TWO_ZONES)
    assert from_zip.input_kind == "zip"
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing extracted
    assert [(e.source.path, e.line, e.key) for e in from_zip.timeline] == \
           [(e.source.path, e.line, e.key) for e in from_folder.timeline]


def test_zip_bomb_and_huge_members_are_skipped_or_cut(tmp_path, monkeypatch):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("ccmsetup.log", setup_run(T0, 0))
        z.writestr("CCM/CcmExec.log", b"\x00" * (40 << 20))  # compresses >1000x: not a log
        z.writestr("CCM/ClientLocation.log", ccm("x" * 200, T0, 0, "ClientLocation") * 2000)
    monkeypatch.setattr(sources_module, "MAX_SOURCE_BYTES", 64 << 10)
    result = diagnose(archive)
    problems = {s.path: s.problems for s in result.sources}
    assert any("zip bomb" in p for p in problems["CCM/CcmExec.log"])
    assert any("only the first" in p for p in problems["CCM/ClientLocation.log"])
    assert result.readable and result.runs[0].outcome.state == "succeeded"


def test_encrypted_member_is_reported(tmp_path):
    archive = tmp_path / "locked.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("ccmsetup.log", setup_run(T0, 0))
        z.writestr("ClientIDManagerStartup.log", "garbage")
    data = bytearray(archive.read_bytes())
    # Mark the second member encrypted (general purpose flag bit 0) in its local and central headers.
    local = data.index(b"PK\x03\x04", 1)
    central = data.index(b"PK\x01\x02", data.index(b"PK\x01\x02") + 1)
    data[local + 6] |= 1
    data[central + 8] |= 1
    archive.write_bytes(bytes(data))
    result = diagnose(archive)
    locked = next(s for s in result.sources if s.path == "ClientIDManagerStartup.log")
    assert locked.skipped and "password-protected" in locked.problems[0]


def test_collect_demo_zip(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    command = ("ccmsetup.exe /mp:https://cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975 "
               "CCMHOSTNAME=cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975 SMSSITECODE=P01 "
               f"/regtoken:{TOKEN}")
    assert main(["install", "--demo", "--outcome", "regtoken-with-mp", "--from", command, "--speed", "80",
                 "--yes"]) == 6
    assert main(["collect", "--demo", "--output", str(tmp_path / "evidence.zip")]) == 0
    capsys.readouterr()
    assert main(["diagnose", str(tmp_path / "evidence.zip"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    kinds = {s["kind"] for s in data["sources"]}
    assert "ccmsetup" in kinds
    assert [r["outcome"]["error_code"] for r in data["runs"]] == ["0x87d0027e"]
    assert data["findings"][0]["id"] == "setup-failed" and "0x87d0027e" in data["findings"][0]["title"]
    assert data["findings"][0]["evidence"][-1]["path"] == "logs/ccmsetup/ccmsetup.log"
    utcs = [t["utc"] for t in data["timeline"] if t["utc"]]
    assert utcs == sorted(utcs)
    assert TOKEN.split(".")[1] not in json.dumps(data)


# -- bad input -------------------------------------------------------------------------------------------------------


def test_bad_and_partial_files_are_reported_and_the_rest_diagnosed(tmp_path):
    write(tmp_path / "ccmsetup.log", setup_run(T0, 0, result="CcmSetup failed with error code 0x80190194"))
    (tmp_path / "CcmExec.log").write_bytes(b"MZ\x90\x00" + bytes(range(256)) * 40)
    write(tmp_path / "ClientLocation.log", ccm("complete line", T0, 0, "ClientLocation")
          + '<![LOG[cut off while being writ')
    write(tmp_path / "ClientAuth.log", "")
    result = diagnose(tmp_path)
    problems = {s.path: s.problems for s in result.sources}
    assert problems["CcmExec.log"] == ["not a text log (binary content)", "no log records in it"]
    assert any("incomplete" in p for p in problems["ClientLocation.log"])
    assert problems["ClientAuth.log"] == ["the file is empty"]
    assert result.root_cause.id == "setup-failed"


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_symlinks_out_of_the_folder_are_not_followed(tmp_path):
    outside = write(tmp_path / "outside" / "ccmsetup.log", setup_run(T0, 0))
    folder = tmp_path / "logs"
    write(folder / "inside" / "ClientLocation.log", ccm("inside", T0, 0, "ClientLocation"))
    os.symlink(outside, folder / "ccmsetup.log")
    os.symlink(folder / "inside" / "ClientLocation.log", folder / "ClientLocation.log")
    os.symlink(tmp_path / "outside", folder / "linked-dir")
    result = diagnose(folder)
    by_path = {s.path: s for s in result.sources}
    assert by_path["ccmsetup.log"].skipped and not by_path["ccmsetup.log"].records
    assert "outside the folder" in by_path["ccmsetup.log"].problems[0]
    assert by_path["ClientLocation.log"].records  # a link inside the folder is fine
    assert not any(p.startswith("linked-dir") for p in by_path)


def test_nothing_readable_exits_2(tmp_path, capsys):
    (tmp_path / "ccmsetup.log").write_bytes(b"\x00\x01\x02\x03" * 1000)
    assert main(["diagnose", str(tmp_path)]) == 2
    assert "nothing readable" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["diagnose", str(empty), "--json"]) == 2
    assert main(["diagnose", str(tmp_path / "missing")]) == 2
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 not really")
    assert main(["diagnose", str(tmp_path / "broken.zip")]) == 2
    assert "not a readable zip" in capsys.readouterr().err


def test_since_and_until_bad_values(tmp_path, capsys):
    write(tmp_path / "ccmsetup.log", setup_run(T0, 0))
    assert main(["diagnose", str(tmp_path), "--since", "yesterday"]) == 2
    assert "ISO 8601" in capsys.readouterr().err
    assert main(["diagnose", str(tmp_path), "--since", "2026-03-03", "--until", "2026-03-02"]) == 2


# -- times -----------------------------------------------------------------------------------------------------------


def test_since_until_select_a_utc_window(tmp_path):
    text = setup_run(T0, 480, pid=1) + setup_run(T0 + timedelta(days=1), 480, pid=2)
    write(tmp_path / "ccmsetup.log", text)
    result = diagnose(tmp_path, since=parse_utc("2026-03-03T16:00:00Z"), until=parse_utc("2026-03-03T18:00"))
    assert {e.utc_iso()[:10] for e in result.timeline} == {"2026-03-03"}
    assert len(result.runs) == 1 and result.runs[0].started_utc == "2026-03-03T17:00:00.000Z"


def test_invalid_bias_keeps_local_time(tmp_path):
    write(tmp_path / "ccmsetup.log", ccm("odd", T0, "+99999") + ccm("fine", T0 + timedelta(seconds=1), 60))
    result = diagnose(tmp_path)
    odd, fine = result.timeline
    assert odd.message == "odd" and odd.utc_ms is None and odd.local_iso() == "2026-03-02T09:00:00.000"
    assert fine.utc_iso() == "2026-03-02T10:00:01.000Z"
    assert any("outside the real range" in p for p in result.problems(result.sources[0]))


def test_script_log_bias_convention_can_be_flipped(tmp_path, capsys):
    # A PSADT-style Write-Log log carries the UTC offset (-420 in US Pacific daylight time), the opposite sign.
    write(tmp_path / "ccmsetup.log", setup_run(T0, 420))
    write(tmp_path / "Deploy-Client.log", ccm("Script step", T0 + timedelta(minutes=1), -420, "Deploy"))
    plain = diagnose(tmp_path)
    script = next(s for s in plain.sources if s.name == "Deploy-Client.log")
    assert plain.bias_minutes(script) == -420
    assert any("UTC offset" in p for p in plain.problems(script))
    step = next(e for e in plain.timeline if e.message == "Script step")
    assert step.utc_iso() == "2026-03-02T02:01:00.000Z"

    flipped = diagnose(tmp_path, offset_globs=["deploy-*.log"])
    step = next(e for e in flipped.timeline if e.message == "Script step")
    assert step.utc_iso() == "2026-03-02T16:01:00.000Z" and step.bias == 420
    assert flipped.bias_minutes(next(s for s in flipped.sources if s.name == "Deploy-Client.log")) == 420
    again = plain.with_conventions({script.path: "offset"})
    assert [(e.line, e.key) for e in again.timeline] == [(e.line, e.key) for e in flipped.timeline]

    assert main(["diagnose", str(tmp_path), "--json", "--bias-as-offset", "Deploy-*.log"]) == 0
    data = json.loads(capsys.readouterr().out)
    row = next(t for t in data["timeline"] if t["message"] == "Script step")
    assert row["utc"] == "2026-03-02T16:01:00.000Z" and row["bias_minutes"] == 420


# -- streaming reads -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_small_chunks_give_the_same_records_and_lines(tmp_path, monkeypatch, encoding):
    records = [ccm("first\r\nsecond line of the first", T0, 0), "a plain line between\r\n"]
    records += [ccm(f"record {i} é", T0 + timedelta(seconds=i), 0) for i in range(60)]
    records += [ccm("multi\r\nline\r\nrecord", T0 + timedelta(minutes=5), 0)]
    expected_lines = []
    line = 1
    for text in records:
        expected_lines.append(line)
        line += text.count("\r\n")
    path = tmp_path / "ccmsetup.log"
    path.write_bytes("".join(records).encode(encoding))
    whole = parse_bytes(path.read_bytes())
    monkeypatch.setattr(sources_module, "CHUNK_BYTES", 64)
    source = diagnose(path).sources[0]
    assert [(r.message, r.offset) for r in source.records] == [(r.message, r.offset) for r in whole]
    assert source.lines == expected_lines


_LINE_PIECES = [ccm("one", T0, 0), ccm("two\r\nlines", T0, 0), ccm("three\nlf", T0, 0), "plain line\r\n", "\r\n",
                "\n", "  \r\n", ccm("no break", T0, 0).rstrip("\r\n"), ccm("caf\u00e9", T0, 0)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(_LINE_PIECES), max_size=40), st.sampled_from(["utf-8-sig", "utf-16"]),
       st.sampled_from([2, 64, 100, 1 << 20]))
def test_line_numbers_are_the_line_breaks_before_each_record(tmp_path, monkeypatch, pieces, encoding, chunk):
    path = tmp_path / "ccmsetup.log"
    data = "".join(pieces).encode(encoding)
    path.write_bytes(data)
    monkeypatch.setattr(sources_module, "CHUNK_BYTES", chunk)
    source = diagnose(path).sources[0]
    newline = "\n".encode(encoding)[-len("\n".encode("utf-16-le")):] if encoding == "utf-16" else b"\n"
    assert source.lines == [data.count(newline, 0, r.offset) + 1 for r in source.records]


def test_cancel_stops_reading(tmp_path):
    write(tmp_path / "ccmsetup.log", setup_run(T0, 0) * 50)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(DiagnoseCancelled):
        diagnose(tmp_path, cancel=cancel)


def test_progress_reports_bytes(tmp_path):
    write(tmp_path / "ccmsetup.log", setup_run(T0, 0))
    write(tmp_path / "ClientLocation.log", ccm("x", T0, 0, "ClientLocation"))
    seen = []
    diagnose(tmp_path, progress=lambda done, total, path: seen.append((done, total)))
    total = (tmp_path / "ccmsetup.log").stat().st_size + (tmp_path / "ClientLocation.log").stat().st_size
    assert seen[-1] == (total, total)
    assert all(done <= total for done, _ in seen)


# -- outputs ---------------------------------------------------------------------------------------------------------


def test_markdown_for_a_ticket_masks_secrets(tmp_path):
    text = setup_run(T0, 0, result="CcmSetup failed with error code 0x87d0027e", middle=(
        (f"Ccmsetup command line: ccmsetup.exe /regtoken:{TOKEN} /mp:https://cmg.contoso.com", 1),))
    write(tmp_path / "ccmsetup.log", text)
    result = diagnose(tmp_path)
    markdown = to_markdown(result)
    assert markdown.startswith("# ccmsetup diagnosis")
    assert "## Root cause" in markdown and "**Fix:**" in markdown and "ccmsetup.log:" in markdown
    assert "| 1 |" in markdown  # the runs table
    for output in (markdown, to_text(result, timeline=True), json.dumps(result.to_dict())):
        assert TOKEN not in output and TOKEN.split(".")[1] not in output


def test_text_output_lists_sources_runs_and_findings(tmp_path, capsys):
    shutil.copytree(TWO_ZONES, tmp_path / "device")
    assert main(["diagnose", str(tmp_path / "device")]) == 0
    out = capsys.readouterr().out
    assert "ccmsetup runs:" in out and "registration: registered (approval 3)" in out
    assert "bias -120 (Windows)" in out and "bias +420 (Windows)" in out


def test_parse_utc_accepts_z_and_offsets():
    assert parse_utc("2026-03-02T10:00:00Z") == datetime(2026, 3, 2, 10, tzinfo=UTC)
    assert parse_utc("2026-03-02T12:00:00+02:00") == datetime(2026, 3, 2, 10, tzinfo=UTC)
    assert parse_utc("2026-03-02 10:00") == datetime(2026, 3, 2, 10, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_utc("soon")


def test_utf16_msi_log_bom(tmp_path):
    path = tmp_path / "client.msi.log"
    path.write_bytes(codecs.BOM_UTF16_LE + "=== Verbose logging started: 3/2/2026  9:00:00  Build type: SHIP ===\r\n"
                     "MSI (s) (7C:10) [09:00:01:250]: Doing something\r\n".encode("utf-16-le"))
    result = diagnose(path)
    assert [e.local_iso() for e in result.timeline] == ["2026-03-02T09:00:00.000", "2026-03-02T09:00:01.250"]
    assert [e.line for e in result.timeline] == [1, 2]


def test_client_msi_log_alone_names_the_failing_action():
    result = diagnose(FIXTURES / "logs" / "client.msi.log")
    assert result.runs == [] and result.readable
    msi = next(f for f in result.findings if f.id == "msi-failed")
    assert "CcmRegisterComponents" in msi.title and msi.severity == "error"
    assert [e.line for e in msi.evidence] == [5, 6]
    assert all(e["utc"] is None for e in msi.as_dict()["evidence"])  # MSI's own clock: local only


def test_streamed_json_equals_to_dict():
    import io

    from wizard.core.diagnose.report import write_json

    result = diagnose(TWO_ZONES)
    out = io.StringIO()
    write_json(result, out)
    assert json.loads(out.getvalue()) == json.loads(json.dumps(result.to_dict()))


@pytest.mark.parametrize("chunk", [64, 1 << 20])
def test_a_huge_file_is_read_from_its_end_with_true_line_numbers(tmp_path, monkeypatch, chunk):
    lines = [ccm(f"record {i}\r\nsecond line" if i % 7 == 0 else f"record {i}", T0 + timedelta(seconds=i), 0)
             for i in range(400)]
    path = write(tmp_path / "ccmsetup.log", "".join(lines))
    monkeypatch.setattr(sources_module, "MAX_SOURCE_BYTES", 8 << 10)
    monkeypatch.setattr(sources_module, "CHUNK_BYTES", chunk)
    source = diagnose(path).sources[0]
    assert any("only the last 8 KB" in p for p in source.problems)
    expected = {}
    line = 1
    for text in lines:
        expected[text.split("]LOG]")[0].removeprefix("<![LOG[").replace("\r\n", "\n")] = line
        line += text.count("\r\n")
    whole = [r for r in source.records if r.fmt == "ccm"]
    assert len(whole) > 20 and whole[-1].message.startswith("record 399")
    for record, number in zip(source.records, source.lines, strict=True):
        if record.fmt == "ccm":
            assert expected[record.message] == number


_TIME_TEXTS = st.sampled_from(["10:00:00.000+480", "23:59:59.999-120", "10:00:00.000", "10:00:00.000+-480",
                               "10:00:00.0+480", "1:00:00.000+480", "24:00:00.000+480", "10:00:00.12x+0",
                               "10:00:00.000 +480", "10:00:00,000+480", "", "10:00", "10:00:00.0000000+060",
                               "10:00:00.000+99999", "\u0661\u0660:00:00.000+0", "10:00:00.\u00b2\u00b2\u00b2+0"])
_DATE_TEXTS = st.sampled_from(["01-13-2023", "1-13-2023", "13-01-2023", "02-29-2023", "02-29-2024", "", "2023-01-13"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_TIME_TEXTS, _DATE_TEXTS, st.sampled_from(["ccm", "ccm", "legacy", "plain"])),
                max_size=30))
def test_column_wise_record_keys_equal_record_key(rows):
    from wizard.core.diagnose.clock import record_key, record_keys
    from wizard.core.logparse import LogRecord

    records = [LogRecord("2023-01-13 10:00:00 plain" if fmt == "plain" else "m", "c", "", 1, None, "", fmt, 0, t, d)
               for t, d, fmt in rows]
    expected = [record_key(r) for r in records]  # never raises, not even on Unicode digits
    columns = ([key for key, _ in expected], [bias for _, bias in expected])
    assert record_keys(records) == columns
    assert record_keys(records, block=3) == columns


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.integers(0, 12), max_size=25), max_size=5), st.sampled_from([1, 2, 3, 7, 16384]))
def test_merge_equals_a_stable_sort_of_all_logs(logs, block):
    """The windowed merge gives exactly a stable sort of the logs' entries in input order (equal times keep
    the logs' order, then each log's own), for logs in order or not, with many equal times."""
    from types import SimpleNamespace

    from wizard.core.diagnose import timeline as timeline_module

    per_source = [[SimpleNamespace(key=k, at=(i, j)) for j, k in enumerate(keys)] for i, keys in enumerate(logs)]
    expected = [e.at for e in sorted((e for entries in per_source for e in entries), key=lambda e: e.key)]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(timeline_module, "BLOCK", block)
        merged = timeline_module.merge_by_key(per_source)
    assert [e.at for e in merged] == expected


def test_a_failed_mp_request_in_a_run_that_went_on_to_install_is_no_finding(tmp_path):
    # ccmsetup tries the management points in turn: an unreachable first one logs a [CCMHTTP] ERROR pair (real
    # line shape) and the next one serves the install. The run succeeded and the client registered: nothing for
    # the technician to chase.
    text = setup_run(T0, 480, middle=(
        ("[CCMHTTP] ERROR: URL=HTTP://mp0.contoso.com/ccm_system/request, Port=80, Options=224, Code=12007, "
         "Text=ERROR_WINHTTP_NAME_NOT_RESOLVED", 3),
        ("[CCMHTTP] ERROR INFO: StatusCode=<unknown> StatusText=", 3),
        ("Found a valid online MP 'HTTP://mp1.contoso.com'.", 1)))
    write(tmp_path / "ccmsetup" / "Logs" / "ccmsetup.log", text)
    write(tmp_path / "CCM" / "Logs" / "ClientIDManagerStartup.log",
          ccm("[RegTask] - Client is registered. Server assigned ClientID is "
              "GUID:C66EE0FD-08E7-4B38-B282-7E6954B71139. Approval status 1", T0 + timedelta(minutes=5), 480,
              "ClientIDManagerStartup"))
    result = diagnose(tmp_path)
    assert result.runs[0].outcome.state == "succeeded"
    assert result.root_cause is None
    assert [f.id for f in result.findings if f.severity in ("error", "warning")] == []


def test_a_failed_mp_request_in_a_failed_run_is_still_reported(tmp_path):
    text = setup_run(T0, 480, result="CcmSetup failed with error code 0x87d00215", middle=(
        ("[CCMHTTP] ERROR: URL=HTTP://mp0.contoso.com/ccm_system/request, Port=80, Options=224, Code=12007, "
         "Text=ERROR_WINHTTP_NAME_NOT_RESOLVED", 3),))
    write(tmp_path / "ccmsetup.log", text)
    result = diagnose(tmp_path)
    assert result.root_cause.id == "setup-failed"
    assert any(f.id == "ccmhttp-error" for f in result.findings)
