"""`ccmsetup-wizard selftest`: the report shape, skipped off Windows, all passing in demo, exit 1 on a failed
probe, and the Windows probes driven through the fake Win32 layer."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from wizard.cli.main import main
from wizard.host import selftest
from wizard.host.base import DsregStatus
from wizard.host.demo import DemoHost
from wizard.host.selftest import PROBES, SelfTestOptions, run_selftest

PROBE_IDS = {"os-version", "token-elevation", "authenticode", "process-list", "services", "registry", "dsregcmd",
             "retry-task", "pending-restart", "log-folders", "keyring", "mapped-drives", "uac-owner", "disk-free",
             "client-certificates", "revocation-engine"}


def test_every_windows_call_area_has_a_probe():
    assert {p.id for p in PROBES} == PROBE_IDS


@pytest.mark.skipif(sys.platform == "win32", reason="off Windows only")
def test_off_windows_every_probe_is_skipped_with_the_reason_and_exit_0(capsys):
    assert main(["selftest", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"platform", "version", "probes"}
    assert {p["id"] for p in report["probes"]} == PROBE_IDS
    for probe in report["probes"]:
        assert set(probe) == {"id", "status", "detail", "seconds"}
        assert probe["status"] == "skipped" and "not Windows" in probe["detail"]
    assert main(["selftest"]) == 0
    assert "Every probe skipped" in capsys.readouterr().out


@pytest.mark.parametrize("preset", ["entra-joined", "hybrid-joined", "pki-cert"])
def test_demo_probes_all_pass(preset, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert main(["selftest", "--json", f"--demo={preset}"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["platform"].startswith(f"DEMO device (preset {preset})")
    statuses = {p["id"]: p["status"] for p in report["probes"]}
    assert "fail" not in statuses.values()
    assert statuses["keyring"] == statuses["dsregcmd"] == statuses["authenticode"] == "pass"
    # only a preset without a mapped drive skips the UNC probe
    assert (statuses["mapped-drives"] == "pass") == (preset == "hybrid-joined")


class BrokenDsreg(DemoHost):
    def dsregcmd(self):
        return DsregStatus(error="dsregcmd.exe could not run: [WinError 5] Access is denied")


def test_a_failed_probe_makes_exit_1(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(selftest, "selftest_host", lambda demo: BrokenDsreg("entra-joined", base_dir=tmp_path,
                                                                           latency=0))
    assert main(["selftest", "--demo"]) == 1
    out = capsys.readouterr().out
    assert "[FAIL] dsregcmd" in out and "Access is denied" in out


def test_unknown_preset_is_a_usage_error(capsys):
    assert main(["selftest", "--demo=nope"]) == 2
    assert "choose one of" in capsys.readouterr().err


def test_demo_option_before_the_subcommand_is_explained(capsys):
    assert main(["--demo", "selftest"]) == 2
    assert "ccmsetup-wizard selftest --demo" in capsys.readouterr().err


def test_a_probe_that_raises_is_a_failure_not_a_crash(tmp_path):
    class Exploding(DemoHost):
        def free_disk_bytes(self):
            raise OSError("GetDiskFreeSpaceExW failed")

    report = run_selftest(Exploding("entra-joined", base_dir=tmp_path, latency=0))
    disk = next(p for p in report.probes if p.id == "disk-free")
    assert disk.status == "fail" and "GetDiskFreeSpaceExW" in disk.detail
    assert report.exit_code == 1


# -- the Windows probes through the fake Win32 layer -----------------------------------------------------------


@pytest.fixture
def windows(tmp_path):
    from test_windows_host import FakeApi

    from wizard.host.windows import WindowsHost

    api = FakeApi(tmp_path)
    api.registry[(r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion", "CurrentBuildNumber")] = "26100"
    api.registry[(r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion", "ProductName")] = "Windows 10 Enterprise"
    api.processes[Path(sys.executable).name.lower()] = [os.getpid()]
    fixture = Path(__file__).parent / "fixtures" / "dsregcmd" / "entra-joined.txt"
    api.commands["dsregcmd.exe /status"] = (0, fixture.read_bytes())
    return api, WindowsHost(api, base_dir=tmp_path / "runs")


def test_windows_probes_through_fakes(windows, memory_keyring):
    from wizard.host.credentials import KeyringStore

    api, host = windows
    api.drive_types["Z:\\"] = 4  # DRIVE_REMOTE
    api.unc["Z:"] = r"\\fs01\Deploy"
    report = run_selftest(host, options=SelfTestOptions(credential_store=KeyringStore))
    statuses = {p.id: (p.status, p.detail) for p in report.probes}
    assert statuses["os-version"][0] == "pass" and "Windows 11" in statuses["os-version"][1]
    assert statuses["process-list"][0] == "pass" and str(os.getpid()) in statuses["process-list"][1]
    assert statuses["dsregcmd"][0] == "pass" and "cp850" in statuses["dsregcmd"][1]
    assert statuses["mapped-drives"] == ("pass", "Z: -> \\\\fs01\\Deploy\\")
    assert statuses["keyring"][0] == "pass" and memory_keyring.passwords == {}  # the throw-away is deleted
    assert statuses["uac-owner"][0] == "pass"


def test_windows_process_snapshot_missing_our_process_fails(windows, memory_keyring):
    api, host = windows
    api.processes.clear()
    report = run_selftest(host, options=SelfTestOptions())
    process = next(p for p in report.probes if p.id == "process-list")
    assert process.status == "fail" and "did not list this process" in process.detail


def test_windows_keyring_that_falls_back_fails_the_probe(windows):
    import keyring
    from test_credentials import PyWinTypesError, WinVaultLookalike

    from wizard.host.credentials import KeyringStore

    api, host = windows
    previous = keyring.get_keyring()
    keyring.set_keyring(WinVaultLookalike(fail_with=PyWinTypesError(1312, "CredWrite", "No logon session.")))
    try:
        report = run_selftest(host, options=SelfTestOptions(credential_store=KeyringStore))
    finally:
        keyring.set_keyring(previous)
    probe = next(p for p in report.probes if p.id == "keyring")
    assert probe.status == "fail" and "1312" in probe.detail
