"""Evidence bundle: the right files, secrets masked everywhere (also inside copied logs), atomic write."""

from __future__ import annotations

import zipfile

import pytest

from wizard.core.parse import parse_command
from wizard.core.render import MASK
from wizard.host import collect as collect_module
from wizard.host.collect import collect_evidence, redact
from wizard.host.demo import DemoHost
from wizard.host.session import InstallSession

TOKEN = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJUeXBlIjoiQnVsa1JlZ2lzdHJhdGlvbiIsImF1ZCI6InVybjpzY2NtOnNlcnZpY2UifQ.c2lnbmF0dXJlLXBhcnQ"
COMMAND = (f"ccmsetup.exe /noservice /mp:https://cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975 "
           f"CCMHOSTNAME=cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975 SMSSITECODE=P01 /regtoken:{TOKEN}")


@pytest.fixture
def installed(tmp_path):
    """A finished demo install whose logs echo the token, and its session."""
    host = DemoHost("entra-joined", base_dir=tmp_path / "runs", latency=0, speed=80, outcome="regtoken-with-mp")
    plan = parse_command(COMMAND).plan
    session = InstallSession(host, plan, host.demo_exe, poll_interval=0.05, settle_seconds=0.2)
    assert session.start().started
    try:
        session.run()
    finally:
        host.stop_children()
    log_text = (host.log_dir() / "ccmsetup.log").read_text(encoding="utf-8-sig")
    assert TOKEN not in log_text  # the simulator writes the token masked (issue 9)...
    # ...but a real ccmsetup may echo its command line in clear: add such a line, the zip must mask it.
    with open(host.log_dir() / "ccmsetup.log", "a", encoding="utf-8", newline="") as log:
        log.write(f'<![LOG[Ccmsetup command line: ccmsetup.exe /regtoken:{TOKEN}]LOG]!><time="10:00:00.000+000" '
                  'date="01-01-2026" component="ccmsetup" context="" type="1" thread="1" file="ccmsetup.cpp:3813">\r\n')
    (host.log_dir() / "ccmsetup.lo_").write_text(f"old run /regtoken:{TOKEN}\r\n", encoding="utf-8")
    (host.log_dir() / "client.msi.log").write_bytes(f"\ufeffMSI (c) CCMSETUPCMD /regtoken:{TOKEN}\r\n"
                                                    .encode("utf-16-le"))
    for name in ("ClientLocation", "CcmMessaging", "ClientIDManagerStartup"):
        (host.ccm_log_dir() / f"{name}.log").write_text(f"{name} line\r\n", encoding="utf-8")
    (host.ccm_log_dir() / "PolicyAgent.log").write_text("not wanted", encoding="utf-8")
    return host, plan, session


def read_all(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_bundle_contents_and_no_token_anywhere(installed, tmp_path):
    host, plan, session = installed
    result = collect_evidence(host, tmp_path / "out" / "evidence.zip", plan=plan, session=session)
    entries = read_all(result.path)
    assert set(entries) == {
        "summary.md", "checks.json", "command.txt", "dsregcmd.txt", "device.json", "session.json", "selftest.json",
        "logs/ccmsetup/ccmsetup.log", "logs/ccmsetup/ccmsetup.lo_", "logs/ccmsetup/client.msi.log",
        "logs/ccm/ClientLocation.log", "logs/ccm/CcmMessaging.log", "logs/ccm/ClientIDManagerStartup.log",
    }
    token_part = TOKEN.split(".")[1]
    for name, data in entries.items():
        for encoding in ("utf-8", "utf-16-le"):
            assert token_part.encode(encoding) not in data, f"token leaked into {name}"
    assert f"/regtoken:{MASK}".encode() in entries["logs/ccmsetup/ccmsetup.log"]
    assert f"/regtoken:{MASK}" in entries["command.txt"].decode()


def test_logs_keep_their_encoding(installed, tmp_path):
    host, plan, session = installed
    entries = read_all(collect_evidence(host, tmp_path / "e.zip", plan=plan, session=session).path)
    msi = entries["logs/ccmsetup/client.msi.log"]
    assert msi.startswith(b"\xff\xfe")
    assert MASK in msi[2:].decode("utf-16-le")
    assert entries["logs/ccmsetup/ccmsetup.log"].startswith(b"\xef\xbb\xbf")


def test_summary_is_ticket_ready(installed, tmp_path):
    host, plan, session = installed
    summary = read_all(collect_evidence(host, tmp_path / "e.zip", plan=plan, session=session).path)["summary.md"]
    text = summary.decode()
    assert "**DEMO**" in text
    assert "0x87d0027e" in text
    assert "## Checks" in text and "## Command (secrets masked)" in text
    assert "CcmSetup failed with error code 0x87d0027e" in text
    assert TOKEN not in text


def test_without_a_plan_the_logged_command_is_used(installed, tmp_path):
    host, _plan, _session = installed
    entries = read_all(collect_evidence(host, tmp_path / "e.zip").path)
    command = entries["command.txt"].decode()
    assert "/regtoken:" + MASK in command and TOKEN not in command


def test_unreadable_log_is_reported_not_fatal(installed, tmp_path, monkeypatch):
    host, plan, session = installed
    real = collect_module._read_redacted

    def deny_msi(path, plan):
        if path.name == "client.msi.log":
            raise PermissionError(13, "Access is denied")
        return real(path, plan)

    monkeypatch.setattr(collect_module, "_read_redacted", deny_msi)
    result = collect_evidence(host, tmp_path / "e.zip", plan=plan, check_results=[])
    assert "logs/ccmsetup/client.msi.log" not in result.files
    assert any("without elevation" in w for w in result.warnings)
    assert "without elevation" in read_all(result.path)["summary.md"].decode()


def test_failed_write_leaves_the_old_zip_and_no_temp_file(installed, tmp_path, monkeypatch):
    host, plan, _session = installed
    target = tmp_path / "out" / "evidence.zip"
    target.parent.mkdir()
    target.write_bytes(b"previous bundle")

    def broken(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", broken)
    with pytest.raises(OSError):
        collect_evidence(host, target, plan=plan, check_results=[])
    assert target.read_bytes() == b"previous bundle"
    assert sorted(p.name for p in target.parent.iterdir()) == ["evidence.zip"]


@pytest.mark.parametrize(
    "text",
    [
        f"/regtoken:{TOKEN}",
        f'/RegToken:"{TOKEN}"',
        f"Bearer {TOKEN} seen",
    ],
)
def test_redact_masks_tokens(text):
    masked = redact(text)
    assert TOKEN not in masked and MASK in masked


def test_redact_masks_a_plan_secret_that_is_not_a_jwt():
    plan = parse_command("ccmsetup.exe CCMHOSTNAME=cmg.contoso.com/CCM_Proxy_MutualAuth/1 SMSSITECODE=P01 "
                         "/regtoken:opaque-secret-value").plan
    assert "opaque-secret-value" not in redact("line echoing opaque-secret-value here", plan)


def test_summary_records_a_failed_checks_override(installed, tmp_path):
    from wizard.host.checks import CheckResult

    host, plan, session = installed
    failed = [CheckResult("disk-space", "Free disk space", "fail", "1.0 GB free.")]
    overridden = read_all(collect_evidence(host, tmp_path / "o.zip", plan=plan, session=session,
                                           check_results=failed, checks_overridden=True).path)
    text = overridden["summary.md"].decode()
    assert "**Checks overridden**" in text and "Free disk space" in text.split("## Checks")[0]
    plain = read_all(collect_evidence(host, tmp_path / "p.zip", plan=plan, session=session,
                                      check_results=failed).path)
    assert "overridden" not in plain["summary.md"].decode()


def test_bundle_holds_the_device_self_test(installed, tmp_path):
    import json

    host, plan, session = installed
    entries = read_all(collect_evidence(host, tmp_path / "s.zip", plan=plan, session=session).path)
    report = json.loads(entries["selftest.json"])
    assert set(report) == {"platform", "version", "probes"}
    assert report["probes"] and all(p["status"] in ("pass", "skipped") for p in report["probes"])
