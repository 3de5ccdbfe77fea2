"""Checks: selection by scenario, the runner (concurrency, timeout, errors, cancel, only), and the network checks
against real local servers on 127.0.0.1."""

from __future__ import annotations

import threading
import time

import pytest
from netservers import ONBOARDED_TENANT, OTHER_TENANT, UNRESOLVABLE_HOST, local_servers

from wizard.core.parse import parse_command
from wizard.core.plan import InstallPlan
from wizard.host.base import OsInfo
from wizard.host.checks import Check, checks_for, get_check, run_checks
from wizard.host.demo import DemoHost
from wizard.host.netprobe import NetProbe

CMG = "cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975"


def plan_of(command: str) -> InstallPlan:
    return parse_command(command).plan


@pytest.fixture
def host(tmp_path):
    return DemoHost("entra-joined", base_dir=tmp_path, latency=0)


class LocalNetHost(DemoHost):
    """The demo device, but with the real prober trusting the local test CA."""

    def __init__(self, prober, **kwargs):
        super().__init__(**kwargs)
        self._prober = prober

    def network(self):
        return self._prober


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    with local_servers(tmp_path_factory.mktemp("ca")) as running:
        yield running


@pytest.fixture
def net_host(servers, tmp_path):
    return LocalNetHost(NetProbe(extra_ca_file=servers.trusted_ca_file), preset="entra-joined",
                        base_dir=tmp_path, latency=0)


# -- selection -------------------------------------------------------------------------------------------


def ids(plan):
    return [c.id for c in checks_for(plan)]


def test_onprem_without_entra():
    selected = ids(plan_of("ccmsetup.exe /mp:mp01.contoso.com SMSSITECODE=P01"))
    assert "mp-reachable" in selected
    assert not {"entra-join", "tenant-match", "entra-user", "entra-endpoints", "cmg-reachable"} & set(selected)
    assert "source-path" not in selected


def test_cmg_entra_and_source():
    selected = ids(plan_of(f'ccmsetup.exe /mp:https://{CMG} /source:"Z:\\x" CCMHOSTNAME={CMG} SMSSITECODE=P01'))
    assert {"entra-join", "tenant-match", "entra-user", "entra-endpoints", "cmg-reachable", "source-path"} <= \
        set(selected)
    assert "mp-reachable" not in selected


def test_token_scenario_has_no_entra_checks():
    selected = ids(plan_of(f"ccmsetup.exe CCMHOSTNAME={CMG} SMSSITECODE=P01 /regtoken:eyJa.eyJb.c"))
    assert "cmg-reachable" in selected and "entra-join" not in selected


def test_unknown_check_id_is_named():
    with pytest.raises(ValueError, match="nope"):
        get_check("nope")


# -- runner ----------------------------------------------------------------------------------------------


def sleeper(check_id, seconds, status="pass", kind="device"):
    def run(ctx):
        time.sleep(seconds)
        return status, f"slept {seconds}", ""
    return Check(check_id, check_id, kind, run)


def test_results_arrive_one_by_one_in_finish_order_and_return_in_display_order(host):
    seen = []
    checks = [sleeper("slow", 0.3), sleeper("fast", 0.0), sleeper("middle", 0.15)]
    results = run_checks(host, InstallPlan(), checks=checks, on_result=lambda r: seen.append(r.id))
    assert seen == ["fast", "middle", "slow"]
    assert [r.id for r in results] == ["slow", "fast", "middle"]
    assert all(r.status == "pass" for r in results)


def test_checks_run_concurrently(host):
    barrier = threading.Barrier(3, timeout=5)

    def together(ctx):
        barrier.wait()  # only returns when all three run at the same time
        return "pass", "", ""

    checks = [Check(f"c{i}", "c", "device", together) for i in range(3)]
    assert [r.status for r in run_checks(host, InstallPlan(), checks=checks)] == ["pass"] * 3


def test_a_check_that_raises_becomes_error(host):
    def broken(ctx):
        raise RuntimeError("registry exploded")

    results = run_checks(host, InstallPlan(), checks=[Check("broken", "Broken", "device", broken),
                                                      sleeper("fine", 0)])
    assert results[0].status == "error" and "registry exploded" in results[0].detail
    assert results[1].status == "pass"


def test_network_check_past_its_deadline_is_error(host):
    release = threading.Event()

    def hang(ctx):
        release.wait(10)
        return "pass", "", ""

    try:
        results = run_checks(host, InstallPlan(), timeout=0.1,
                             checks=[Check("hang", "Hang", "network", hang), sleeper("quick", 0)])
    finally:
        release.set()
    assert results[0].status == "error" and "Did not finish" in results[0].detail
    assert results[1].status == "pass"


def test_cancel_reports_unfinished_as_skip(host):
    cancel = threading.Event()
    release = threading.Event()

    def wait(ctx):
        release.wait(10)
        return "pass", "", ""

    def quick_then_cancel(ctx):
        cancel.set()
        return "pass", "", ""

    try:
        results = run_checks(host, InstallPlan(), cancel=cancel,
                             checks=[Check("slow", "Slow", "device", wait),
                                     Check("quick", "Quick", "device", quick_then_cancel)])
    finally:
        release.set()
    assert results[0].status == "skip" and results[0].detail == "Cancelled."


def test_only_runs_one_check(host):
    seen = []
    results = run_checks(host, plan_of("ccmsetup.exe SMSSITECODE=P01"), only=["disk-space"],
                         on_result=seen.append)
    assert [r.id for r in results] == ["disk-space"] == [r.id for r in seen]


def test_result_json_fields(host):
    result = run_checks(host, InstallPlan(), only=["disk-space"])[0]
    assert set(result.to_dict()) == {"id", "title", "status", "detail", "fix", "seconds"}


# -- device checks ---------------------------------------------------------------------------------------


class OsHost(DemoHost):
    def __init__(self, info, **kwargs):
        super().__init__(**kwargs)
        self._info = info

    def os_info(self):
        return self._info


@pytest.mark.parametrize(
    ("info", "status"),
    [
        (OsInfo("Windows 11 Enterprise", 26200), "pass"),
        (OsInfo("Windows 10 Enterprise", 19045), "pass"),
        (OsInfo("Windows 11 Pro", 22621), "warn"),  # 22H2: out of the current matrix
        (OsInfo("Windows Server 2022 Standard", 20348, is_server=True), "pass"),
        (OsInfo("Windows Server 2012 R2 Standard", 9600, is_server=True), "warn"),
        (OsInfo("Windows 8.1 Pro", 9600), "fail"),
    ],
)
def test_os_supported(info, status, tmp_path):
    host = OsHost(info, preset="entra-joined", base_dir=tmp_path, latency=0)
    assert run_checks(host, InstallPlan(), only=["os-supported"])[0].status == status


def test_disk_thresholds(tmp_path):
    low = DemoHost("low-disk", base_dir=tmp_path, latency=0)
    result = run_checks(low, InstallPlan(), only=["disk-space"])[0]
    assert result.status == "fail" and "350 MB" in result.detail


def test_existing_client_with_forceinstall_and_logon(tmp_path):
    host = DemoHost("client-installed", base_dir=tmp_path, latency=0)
    base = "ccmsetup.exe /mp:mp01 SMSSITECODE=P01"
    assert run_checks(host, plan_of(base), only=["existing-client"])[0].status == "warn"
    forced = run_checks(host, plan_of(base.replace("/mp", "/forceinstall /mp")), only=["existing-client"])[0]
    assert forced.status == "pass" and "/forceinstall" in forced.detail
    logon = run_checks(host, plan_of(base.replace("/mp", "/logon /mp")), only=["existing-client"])[0]
    assert logon.status == "warn" and "/logon" in logon.fix


def test_ccmsetup_exe_states(host, tmp_path):
    plan = plan_of("ccmsetup.exe /mp:mp01.contoso.com SMSSITECODE=P01")
    assert run_checks(host, plan, only=["ccmsetup-exe"], exe=host.demo_exe)[0].status == "pass"
    unsigned = tmp_path / "ccmsetup.exe"
    unsigned.write_bytes(b"MZ")
    result = run_checks(host, plan, only=["ccmsetup-exe"], exe=unsigned)[0]
    assert result.status == "fail" and "will not be started" in result.detail
    assert run_checks(host, plan, only=["ccmsetup-exe"], exe=tmp_path / "no.exe")[0].status == "fail"
    host.demo_exe.unlink()
    download = run_checks(host, plan, only=["ccmsetup-exe"])[0]
    assert download.status == "warn" and "CCM_Client/ccmsetup.exe" in download.detail
    cmg_plan = plan_of(f"ccmsetup.exe CCMHOSTNAME={CMG} SMSSITECODE=P01")
    assert run_checks(host, cmg_plan, only=["ccmsetup-exe"])[0].status == "fail"


def test_tenant_match_without_aadtenantid_is_skip(host):
    result = run_checks(host, plan_of(f"ccmsetup.exe CCMHOSTNAME={CMG} SMSSITECODE=P01"), only=["tenant-match"])[0]
    assert result.status == "skip" and ONBOARDED_TENANT in result.detail


def test_tenant_match_ignores_case_and_braces(host):
    plan = plan_of(f"ccmsetup.exe CCMHOSTNAME={CMG} SMSSITECODE=P01 AADTENANTID={{{ONBOARDED_TENANT.upper()}}}")
    assert run_checks(host, plan, only=["tenant-match"])[0].status == "pass"


# -- network checks against local servers ----------------------------------------------------------------


def test_mp_reachable_over_https_with_trusted_ca(net_host, servers):
    result = run_checks(net_host, plan_of(f"ccmsetup.exe /mp:{servers.https_mp} SMSSITECODE=P01"),
                        only=["mp-reachable"])[0]
    assert result.status == "pass", result.detail
    assert "MP list received" in result.detail


def test_mp_reachable_names_invalid_ca(net_host, servers):
    plan = plan_of(f"ccmsetup.exe /mp:https://127.0.0.1:{servers.untrusted_port} SMSSITECODE=P01")
    result = run_checks(net_host, plan, only=["mp-reachable"])[0]
    assert result.status == "fail"
    assert "INVALID_CA" in result.detail and "Trusted Root" in result.fix


def test_mp_reachable_one_of_two_is_warn(net_host, servers):
    plan = plan_of(f"ccmsetup.exe /mp:{servers.http_mp};127.0.0.1:{servers.refused_port} SMSSITECODE=P01")
    result = run_checks(net_host, plan, only=["mp-reachable"])[0]
    assert result.status == "warn"
    assert "refused" in result.detail and "port" in result.fix


def test_mp_reachable_dns_failure(net_host):
    result = run_checks(net_host, plan_of(f"ccmsetup.exe /mp:{UNRESOLVABLE_HOST} SMSSITECODE=P01"),
                        only=["mp-reachable"], timeout=2)[0]
    assert result.status == "fail" and "DNS" in result.detail


def test_cmg_reachable_onboarded_tenant(net_host, servers):
    plan = plan_of(f"ccmsetup.exe CCMHOSTNAME={servers.cmg} SMSSITECODE=P01 AADTENANTID={ONBOARDED_TENANT}")
    result = run_checks(net_host, plan, only=["cmg-reachable"])[0]
    assert result.status == "pass", result.detail
    assert "onboarded" in result.detail


def test_cmg_reachable_other_tenant_not_onboarded(net_host, servers):
    plan = plan_of(f"ccmsetup.exe CCMHOSTNAME={servers.cmg} SMSSITECODE=P01 AADTENANTID={OTHER_TENANT}")
    result = run_checks(net_host, plan, only=["cmg-reachable"])[0]
    assert result.status == "fail" and "not onboarded" in result.detail


def test_cmg_reachable_untrusted_certificate(net_host, servers):
    cmg = f"127.0.0.1:{servers.untrusted_port}/CCM_Proxy_MutualAuth/72057594037927975"
    plan = plan_of(f"ccmsetup.exe CCMHOSTNAME={cmg} SMSSITECODE=P01")
    result = run_checks(net_host, plan, only=["cmg-reachable"])[0]
    assert result.status == "fail"
    assert "INVALID_CA" in result.detail and "WINHTTP_CALLBACK_STATUS_FLAG_INVALID_CA" in result.fix


def test_cmg_token_scenario_only_checks_tls(net_host, servers):
    plan = plan_of(f"ccmsetup.exe CCMHOSTNAME={servers.cmg} SMSSITECODE=P01 /regtoken:eyJa.eyJb.c")
    result = run_checks(net_host, plan, only=["cmg-reachable"])[0]
    assert result.status == "pass" and "trusted TLS certificate" in result.detail


# -- getting ccmsetup.exe --------------------------------------------------------------------------------


def test_choose_ccmsetup_order(host, tmp_path):
    from wizard.host.ccmsetup_exe import choose_ccmsetup

    plan = plan_of(f"ccmsetup.exe CCMHOSTNAME={CMG} SMSSITECODE=P01")
    chosen = tmp_path / "mine" / "ccmsetup.exe"
    chosen.parent.mkdir()
    chosen.write_bytes(b"MZ")
    assert choose_ccmsetup(host, plan, user_path=chosen).source == "user"
    missing = choose_ccmsetup(host, plan, user_path=tmp_path / "nope.exe")
    assert missing.source == "user" and not missing.found and "does not exist" in missing.detail
    profile = tmp_path / "mine" / "site.json"
    profile.write_text("{}", encoding="utf-8")
    beside = choose_ccmsetup(host, plan, profile_path=profile)
    assert beside.source == "profile" and beside.path == chosen.resolve()
    assert choose_ccmsetup(host, plan).source == "wizard"  # the demo's own exe


def test_fetch_from_onprem_mp_then_verified(net_host, servers):
    from wizard.host.ccmsetup_exe import choose_ccmsetup

    net_host.demo_exe.unlink()
    plan = plan_of(f"ccmsetup.exe /mp:{servers.https_mp} SMSSITECODE=P01")
    choice = choose_ccmsetup(net_host, plan)
    assert choice.source == "download" and choice.found, choice.detail
    assert choice.path.parent.parent == net_host.run_dir()
    # a file fetched over the network is verified like any other: this one is not signed
    result = run_checks(net_host, plan, only=["ccmsetup-exe"], exe=choice.path)[0]
    assert result.status == "fail"


def test_fetch_failure_is_named(net_host, servers):
    from wizard.host.ccmsetup_exe import fetch_ccmsetup

    plan = plan_of(f"ccmsetup.exe /mp:https://127.0.0.1:{servers.untrusted_port} SMSSITECODE=P01")
    choice = fetch_ccmsetup(net_host, plan)
    assert not choice.found and "INVALID_CA" in choice.detail


def test_a_probe_that_raises_in_a_parallel_probe_names_its_own_error(tmp_path):
    """Several MPs are probed at once: an exception in one probe is the check's error, not a follow-on TypeError
    about a missing result."""

    class Broken(NetProbe):
        def http_get(self, url, **kwargs):
            raise RuntimeError("resolver crashed")

    broken = LocalNetHost(Broken(), preset="entra-joined", base_dir=tmp_path, latency=0)
    plan = plan_of("ccmsetup.exe /mp:mp01.contoso.com;mp02.contoso.com SMSSITECODE=P01")
    result = run_checks(broken, plan, only=["mp-reachable"])[0]
    assert result.status == "error" and "RuntimeError: resolver crashed" in result.detail


def test_setup_running_that_cannot_be_read_is_not_a_pass(host, monkeypatch):
    from wizard.host.base import ServiceState, SetupActivity

    unreadable = SetupActivity((), ServiceState("ccmsetup", "unknown", "OpenService failed: access denied"),
                               error="the process list could not be read: access denied")
    monkeypatch.setattr(host, "setup_activity", lambda: unreadable)
    [result] = run_checks(host, InstallPlan(), checks=[get_check("setup-running")])
    assert result.status == "warn"
    assert "could not be read" in result.detail and "access denied" in result.detail
    monkeypatch.setattr(host, "setup_activity", lambda: SetupActivity())
    [result] = run_checks(host, InstallPlan(), checks=[get_check("setup-running")])
    assert result.status == "pass"
