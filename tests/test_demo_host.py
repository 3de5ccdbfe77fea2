"""The demo host: every preset gives the expected check results; the simulated device behaves like one."""

from __future__ import annotations

import sys
from pathlib import Path

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
    "home-office": {},
    "uac-cancel": {},
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
    assert command[command.index("--world") + 1] == str(host.run_dir() / "world.json")
    assert command[-3:] == ["--", "/mp:x", "SMSSITECODE=P01"]
    assert "--outcome" not in make("entra-joined", tmp_path).simulator_command([])  # the world decides
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert host.simulator_command([])[:2] == [sys.executable, "simulate"]


def test_launch_runs_the_simulator_as_a_real_process(tmp_path):
    host = make("entra-joined", tmp_path, speed=100)
    result = host.launch(host.demo_exe, ["/noservice", "/mp:mp01.contoso.com", "SMSSITECODE=P01"], noservice=True)
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



# ---- the world decides the run (issue 12) ------------------------------------------------------------------

# What the sample command (the README's example: the site's CMG, P01, Contoso's tenant) ends with on each preset.
SAMPLE_RESULTS = {
    "entra-joined": ("succeeded", None),
    "hybrid-joined": ("succeeded", None),
    "home-office": ("succeeded", None),
    "no-prt": ("succeeded", None),  # the device token works; the PRT is only the fallback
    "client-installed": ("succeeded", None),
    "uac-cancel": ("succeeded", None),  # the cancel happens at launch, before any run
    "pki-cert": ("succeeded", None),
    "not-joined": ("failed", "not-entra-joined"),
    "tenant-mismatch": ("failed", "device-in-other-tenant"),
    "device-disabled": ("failed", "device-disabled"),
    "offline": ("failed", "offline"),
    "low-disk": ("failed", "low-disk"),
    "pending-reboot": ("reboot-required", "pending-restart"),
    "setup-running": ("already-running", "setup-running"),
}


def _argv(command: str) -> list[str]:
    from wizard.core.render import build_argv

    return build_argv(parse_command(command).plan, show_secrets=True)


def test_every_preset_is_listed():
    assert set(SAMPLE_RESULTS) == set(preset_names()) == set(EXPECTED)


@pytest.mark.parametrize("preset", sorted(SAMPLE_RESULTS))
def test_the_sample_command_ends_as_the_device_and_site_say(preset, tmp_path):
    host = make(preset, tmp_path)
    verdict = host.predict(_argv(host.sample_command()))
    assert (verdict.state, verdict.finding.id if verdict.finding else None) == SAMPLE_RESULTS[preset]


def test_the_readme_example_command_names_the_default_site(tmp_path):
    host = make("entra-joined", tmp_path)
    command = host.sample_command()
    assert "cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975" in command and "SMSSITECODE=P01" in command
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert "cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975" in readme


def test_pki_cert_installs_as_pki_without_entra(tmp_path):
    host = make("pki-cert", tmp_path)
    verdict = host.predict(_argv(host.sample_command()))
    assert verdict.auth == "pki" and [n.id for n in verdict.notes] == ["pki-cert-used"]
    from wizard.core.simulator import evaluate

    _, sink = evaluate(_argv(host.sample_command()), host.world)
    assert not any(m.startswith(("Getting AAD", "Getting CCM Token")) for m in sink.messages())
    cert = host.world.device.pki_client_cert
    assert cert.usable and cert.store == "LocalMachine\\My"


def test_device_disabled_dsregcmd_says_so(tmp_path):
    host = make("device-disabled", tmp_path)
    assert "DeviceAuthStatus : FAILED. Device is either disabled or deleted" in host.dsregcmd_output()
    assert host.dsregcmd().device_auth_status == "FAILED. Device is either disabled or deleted"
    assert make("entra-joined", tmp_path).dsregcmd().device_auth_status == "SUCCESS"


def test_crl_reachability_is_answered_by_the_demo_network(tmp_path):
    from wizard.core.world import load_world
    from wizard.core.world.files import deep_merge

    host = make("home-office", tmp_path)
    crl = host.world.site.cmg.crl_url
    assert host.network().http_get(crl).ok
    data = deep_merge(load_world("home-office").world.model_dump(), {"site": {"cmg": {"crl_reachable": False}}})
    from wizard.core.world import NamedWorld, World

    offline_crl = DemoHost(world=NamedWorld("x", World.model_validate(data)), base_dir=tmp_path, latency=0)
    result = offline_crl.network().http_get(crl)
    assert not result.ok and result.failure == DNS


COMMANDS = (
    "ccmsetup.exe /mp:https://cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975 "
    "CCMHOSTNAME=cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975 SMSSITECODE=P01",
    "ccmsetup.exe CCMHOSTNAME=cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975 SMSSITECODE=P01 "
    "AADTENANTID=daf4a1c2-3a0c-401b-966f-0b855d3abd1a",
    "ccmsetup.exe /mp:mp01.contoso.com SMSSITECODE=P01",
    "ccmsetup.exe CCMHOSTNAME=cmg.contoso.co/CCM_Proxy_MutualAuth/72057594037927975 SMSSITECODE=P01",
)


@pytest.mark.parametrize("preset", sorted(SAMPLE_RESULTS))
def test_a_check_that_passed_is_never_contradicted_by_the_run(preset, tmp_path):
    host = make(preset, tmp_path)
    for command in (host.sample_command(), *COMMANDS):
        plan = parse_command(command).plan
        results = run_checks(host, plan)
        verdict = host.predict(_argv(command))
        found = verdict.finding
        if found is None:
            continue
        contradicted = found.contradicted_by(results)
        assert not contradicted, (preset, command, found.id, [(r.id, r.detail) for r in contradicted])
        ran = [r for r in results if r.id in found.checks]
        if ran:  # a failure some check tests for was predicted by at least one of them
            assert found.predicted_by(results), (preset, command, found.id)


def test_an_invalid_world_file_is_refused_naming_the_file_and_field(tmp_path):
    bad = tmp_path / "my-world.json"
    bad.write_text('{"extends": "entra-joined", "title": "t", "description": "d", '
                   '"device": {"free_disk_mb": -5}}', encoding="utf-8")
    with pytest.raises(PresetError) as raised:
        get_host(str(bad), base_dir=tmp_path)
    message = str(raised.value)
    assert "my-world.json" in message and "device.free_disk_mb" in message and "greater than or equal" in message
    bad.write_text('{"title": "t", "description": "d", "site": {"cmg": {"hostname": "x"}}}', encoding="utf-8")
    with pytest.raises(PresetError, match=r"site\.cmg\.hostname: is not a known field"):
        get_host(str(bad), base_dir=tmp_path)
    bad.write_text('{"title": "t"', encoding="utf-8")
    with pytest.raises(PresetError, match="not valid JSON"):
        get_host(str(bad), base_dir=tmp_path)
    good = tmp_path / "good.json"
    good.write_text('{"extends": "entra-joined", "title": "Mine", "description": "d", '
                    '"device": {"free_disk_mb": 400}}', encoding="utf-8")
    host = get_host(str(good), base_dir=tmp_path, latency=0)
    assert host.preset == "good" and host.free_disk_bytes() == 400 * 1024 * 1024


def test_a_failed_run_leaves_the_retry_task_and_rc7_a_pending_restart(tmp_path):
    host = make("offline", tmp_path, speed=1000)
    result = host.launch(host.demo_exe, _argv("ccmsetup.exe /noservice " + COMMANDS[0][13:]), noservice=True)
    try:
        assert result.process.wait(60) != 0
        assert host.retry_task_exists()
    finally:
        host.stop_children()
    host = make("pending-reboot", tmp_path, speed=1000)
    result = host.launch(host.demo_exe, _argv("ccmsetup.exe /noservice " + COMMANDS[0][13:]), noservice=True)
    try:
        assert result.process.wait(60) == 7
        assert any("return code 7" in marker for marker in host.pending_reboot())
        host.restart()
        assert host.pending_reboot() == []
    finally:
        host.stop_children()


def test_stop_children_leaves_a_process_named_by_another_sessions_marker_alone(tmp_path):
    """A service-part marker left over from an earlier session (its simulator was killed) names a pid that may
    belong to anything by now: only a marker written since this host's own launch is acted on."""
    import subprocess
    import sys

    from wizard.host.demo import SERVICE_PID_FILE, DemoHost

    first = DemoHost("entra-joined", base_dir=tmp_path, latency=0)
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "--service-part"])
    try:
        (first.log_dir() / SERVICE_PID_FILE).write_text(str(stranger.pid), encoding="ascii")
        again = DemoHost("entra-joined", run_dir=first.run_dir(), latency=0)  # e.g. `collect --demo` later
        again.stop_children()
        first.stop_children()
        with pytest.raises(subprocess.TimeoutExpired):  # still running a second later
            stranger.wait(1)
    finally:
        stranger.kill()
        stranger.wait(10)
