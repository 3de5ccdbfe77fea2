"""The demo host: every preset gives the expected check results; the simulated device behaves like one."""

from __future__ import annotations

import sys

import pytest

from wizard.core.parse import parse_command
from wizard.host import get_host
from wizard.host.checks import run_checks
from wizard.host.demo import (
    DEMO_SIGNER,
    DemoHost,
    PresetError,
    demo_presets,
    latest_run_dir,
    preset_names,
)
from wizard.host.netprobe import DNS

# Non-pass results per preset with the demo's sample command (a CMG + Entra install); everything else passes.
EXPECTED = {
    "entra-joined": {},
    "hybrid-joined": {},
    "not-joined": {"entra-join": "fail", "tenant-match": "fail", "entra-user": "warn"},
    "tenant-mismatch": {"tenant-match": "fail"},
    "no-prt": {"entra-user": "warn"},
    "client-installed": {"existing-client": "warn"},
    "setup-running": {"setup-running": "fail", "retry-task": "warn"},
    "pending-reboot": {"pending-reboot": "warn"},
    "low-disk": {"disk-space": "fail"},
    "offline": {"entra-endpoints": "fail", "cmg-reachable": "fail"},
    "device-disabled": {"entra-join": "fail"},
    "pki-cert": {"pki-client-cert": "warn"},
}


def make(preset: str, tmp_path, **options) -> DemoHost:
    return DemoHost(preset, base_dir=tmp_path, latency=0, **options)


def test_every_required_preset_exists():
    assert set(EXPECTED) <= set(preset_names())
    assert all(title and description for _, title, description in demo_presets())


@pytest.mark.parametrize("preset", sorted(EXPECTED))
def test_preset_gives_expected_check_results(preset, tmp_path):
    host = make(preset, tmp_path)
    plan = parse_command(host.sample_command()).plan
    results = run_checks(host, plan)
    ids = [r.id for r in results]
    assert ids == ["os-supported", "admin", "disk-space", "pending-reboot", "existing-client", "setup-running",
                   "retry-task", "pki-client-cert", "ccmsetup-exe", "entra-join", "tenant-match", "entra-user", "entra-endpoints",
                   "cmg-reachable"]
    not_passing = {r.id: r.status for r in results if r.status != "pass"}
    assert not_passing == EXPECTED[preset]
    for result in results:
        if result.status in ("warn", "fail"):
            assert result.fix, f"{result.id} has no fix text"


def test_offline_fails_as_dns_without_network(tmp_path, monkeypatch):
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("the demo touched the real network")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    host = make("offline", tmp_path)
    result = host.network().https_reach("login.microsoftonline.com")
    assert result.failure == DNS
    assert "offline" in result.detail
    plan = parse_command(host.sample_command()).plan
    cmg = run_checks(host, plan, only=["cmg-reachable"])[0]
    assert cmg.status == "fail" and "DNS" in cmg.detail


def test_invalid_names_fail_dns_on_online_presets(tmp_path):
    host = make("entra-joined", tmp_path)
    plan = parse_command("ccmsetup.exe /mp:mp01.contoso.invalid SMSSITECODE=P01").plan
    result = run_checks(host, plan, only=["mp-reachable"])[0]
    assert result.status == "fail"
    assert "DNS" in result.detail and "Resolve-DnsName" in result.fix


def test_tenant_mismatch_cmg_asked_with_device_tenant_is_not_onboarded(tmp_path):
    host = make("tenant-mismatch", tmp_path)
    plan = parse_command("ccmsetup.exe CCMHOSTNAME=cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975 "
                         "SMSSITECODE=P01").plan
    result = run_checks(host, plan, only=["cmg-reachable"])[0]
    assert result.status == "fail"
    assert "not onboarded" in result.detail
    assert "Onboard" in result.fix


def test_describe_always_says_demo_and_preset(tmp_path):
    host = make("low-disk", tmp_path)
    assert host.is_demo and host.preset == "low-disk"
    assert "DEMO" in host.describe() and "low-disk" in host.describe()


def test_get_host_off_windows_is_demo(tmp_path):
    if sys.platform == "win32":
        pytest.skip("the default host on Windows is the real one")
    host = get_host(base_dir=tmp_path, latency=0)
    assert host.is_demo and host.preset == "entra-joined"


def test_unknown_preset_lists_the_valid_ones(tmp_path):
    with pytest.raises(PresetError, match="entra-joined"):
        get_host("nope", base_dir=tmp_path)


def test_per_run_folder_layout(tmp_path):
    first = make("entra-joined", tmp_path)
    second = make("entra-joined", tmp_path)
    assert first.run_dir() != second.run_dir()
    assert first.run_dir().parent == tmp_path
    assert first.log_dir().is_dir() and first.ccm_log_dir().is_dir()
    assert first.find_ccmsetup() == first.demo_exe


def test_signature_only_for_the_demo_exe(tmp_path):
    host = make("entra-joined", tmp_path)
    assert host.verify_signature(host.demo_exe).signer == DEMO_SIGNER
    assert host.verify_signature(host.demo_exe).is_microsoft
    other = tmp_path / "ccmsetup.exe"
    other.write_bytes(b"MZ something else")
    assert host.verify_signature(other).status == "unsigned"
    host.demo_exe.write_bytes(b"tampered")
    assert host.verify_signature(host.demo_exe).status == "invalid"
    assert host.verify_signature(tmp_path / "missing.exe").status == "missing"


def test_simulator_command_plain_and_frozen(tmp_path, monkeypatch):
    host = make("entra-joined", tmp_path, outcome="reboot", speed=20)
    command = host.simulator_command(["/mp:x", "SMSSITECODE=P01"])
    assert command[:3] == [sys.executable, "-m", "wizard.core.simulator"]
    assert command[command.index("--outcome") + 1] == "reboot"
    assert command[command.index("--log-dir") + 1] == str(host.log_dir())
    assert command[-3:] == ["--", "/mp:x", "SMSSITECODE=P01"]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert host.simulator_command([])[:2] == [sys.executable, "simulate"]


def test_launch_runs_the_simulator_as_a_real_process(tmp_path):
    host = make("entra-joined", tmp_path, speed=100)
    result = host.launch(host.demo_exe, ["/noservice", "SMSSITECODE=P01"], noservice=True)
    assert result.started
    try:
        assert result.process.wait(60) == 0
        log = (host.log_dir() / "ccmsetup.log").read_text(encoding="utf-8-sig")
        assert "CcmSetup is exiting with return code 0" in log
    finally:
        host.stop_children()


def test_uac_cancel_training_option(tmp_path):
    host = make("entra-joined", tmp_path, uac_cancel=True)
    result = host.launch(host.demo_exe, [], noservice=False)
    assert result.status == "uac-cancelled" and result.exit_code == 1223
    assert not (host.log_dir() / "ccmsetup.log").exists()


def test_restart_clears_pending_reboot(tmp_path):
    host = make("pending-reboot", tmp_path)
    assert host.pending_reboot()
    host.restart()
    assert host.pending_reboot() == []


def test_latest_run_dir_finds_the_run_with_a_log(tmp_path):
    assert latest_run_dir(tmp_path) is None
    host = make("entra-joined", tmp_path)
    (host.log_dir() / "ccmsetup.log").write_text("x", encoding="utf-8")
    make("entra-joined", tmp_path)  # a newer run without a log
    assert latest_run_dir(tmp_path) == host.run_dir()
    reused = DemoHost("entra-joined", run_dir=host.run_dir(), latency=0)
    assert reused.log_dir() == host.log_dir()


def test_mapped_drive_preset(tmp_path):
    host = make("hybrid-joined", tmp_path)
    plan = parse_command('ccmsetup.exe /source:"Z:\\Client" /mp:mp01.contoso.com SMSSITECODE=P01').plan
    result = run_checks(host, plan, only=["source-path"])[0]
    assert result.status == "warn" and "UNC" in result.fix
    plan = parse_command('ccmsetup.exe /source:\\\\srv\\Client /mp:mp01.contoso.com SMSSITECODE=P01').plan
    assert run_checks(host, plan, only=["source-path"])[0].status == "pass"


def test_old_demo_runs_are_pruned(tmp_path):
    from wizard.host.demo import KEEP_DEMO_RUNS

    for index in range(KEEP_DEMO_RUNS + 3):
        (tmp_path / f"20200101-0000{index:02d}").mkdir()
    (tmp_path / "not-a-run").mkdir()
    host = make("entra-joined", tmp_path)
    remaining = sorted(p.name for p in tmp_path.iterdir())
    assert host.run_dir().name in remaining and "not-a-run" in remaining
    assert len(remaining) == KEEP_DEMO_RUNS + 1
    assert "20200101-000000" not in remaining


# The simulated run each preset ends with when no outcome was asked for: the failure its failed check predicts.
DEFAULT_OUTCOMES = {
    "entra-joined": "success",
    "hybrid-joined": "success",
    "not-joined": "aad-resource-mismatch",
    "tenant-mismatch": "aad-resource-mismatch",
    "no-prt": "aad-resource-mismatch",
    "client-installed": "success",
    "setup-running": "already-running",
    "pending-reboot": "reboot",
    "low-disk": "msi-1603",
    "offline": "download-404",
}


def _simulated_outcome(host: DemoHost, command: str) -> str:
    from wizard.core.render import build_argv

    argv = build_argv(parse_command(command).plan, show_secrets=True)
    simulator = host.simulator_command(argv)
    return simulator[simulator.index("--outcome") + 1]


@pytest.mark.parametrize("preset", sorted(DEFAULT_OUTCOMES))
def test_each_preset_defaults_to_the_outcome_its_device_predicts(preset, tmp_path):
    host = make(preset, tmp_path)
    assert host.outcome == DEFAULT_OUTCOMES[preset]
    assert _simulated_outcome(host, host.sample_command()) == DEFAULT_OUTCOMES[preset]
    assert host.preset_data.default_outcome_reason  # the presets file says why, for the trainer


@pytest.mark.parametrize("preset", sorted(DEFAULT_OUTCOMES))
def test_an_outcome_asked_for_wins_over_the_preset_default(preset, tmp_path):
    host = make(preset, tmp_path, outcome="prereq-failed")
    assert _simulated_outcome(host, host.sample_command()) == "prereq-failed"
    assert get_host(preset, base_dir=tmp_path, outcome="success").outcome == "success"


@pytest.mark.parametrize("preset", ["not-joined", "tenant-mismatch", "no-prt"])
def test_entra_failures_follow_only_commands_that_use_entra(preset, tmp_path):
    host = make(preset, tmp_path)
    token = ("ccmsetup.exe /mp:https://cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975 "
             "CCMHOSTNAME=cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975 SMSSITECODE=P01 "
             "/regtoken:eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln")
    assert _simulated_outcome(host, token) == "success"
    assert _simulated_outcome(host, "ccmsetup.exe /mp:https://mp01.contoso.com SMSSITECODE=P01") == "success"


def test_an_unknown_outcome_is_refused_with_the_choices(tmp_path):
    with pytest.raises(ValueError, match="download-404"):
        make("entra-joined", tmp_path, outcome="explode")


def test_low_disk_run_without_an_outcome_fails_like_the_device_predicts(tmp_path):
    host = make("low-disk", tmp_path, speed=200)
    result = host.launch(host.demo_exe, ["/noservice", "SMSSITECODE=P01"], noservice=True)
    assert result.started
    try:
        assert result.process.wait(60) != 0
        log = (host.log_dir() / "ccmsetup.log").read_text(encoding="utf-8-sig")
        assert "CcmSetup is exiting with return code 0" not in log
    finally:
        host.stop_children()
