"""Prerequisite checks: which apply to a plan, and running them concurrently with a timeout each.

Each check reads the device through `Host` (and the network through `host.network()`), so the same checks run
on Windows and on the demo host. Titles and fix texts live in data/checks.json.
"""

from __future__ import annotations

import datetime
import functools
import json
import ntpath
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from wizard.core.cmg import is_cmg_address
from wizard.core.plan import InstallPlan
from wizard.host import entra_checks, netprobe
from wizard.host.base import DsregStatus, Host
from wizard.host.ccmsetup_exe import download_source

Status = Literal["pass", "warn", "fail", "skip", "error"]
STATUSES: tuple[Status, ...] = ("pass", "warn", "fail", "skip", "error")
Kind = Literal["device", "network", "file"]

NETWORK_TIMEOUT = 5.0  # default per network probe
DEVICE_TIMEOUT = 45.0  # dsregcmd / schtasks can be slow on a busy device
# A network check runs DNS, then TCP+TLS, then the HTTP answer, each bounded by the probe timeout, then fetches
# the revocation addresses of the certificate (DNS+TCP, HTTP); an http:// MP that answers 403 is asked again
# over https://. The hard deadline allows that plus a second.
_NETWORK_STEPS = 5

ALL_CHECK_IDS = (
    "os-supported", "admin", "disk-space", "pending-reboot", "existing-client", "setup-running", "retry-task",
    "ccmsetup-exe", "source-path", "entra-join", "tenant-match", "entra-user", "entra-endpoints",
    "mp-reachable", "cmg-reachable", "pki-client-cert",
)


@dataclass(frozen=True)
class CheckResult:
    id: str
    title: str
    status: Status
    detail: str
    fix: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def failed(self) -> bool:
        return self.status in ("fail", "error")


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    kind: Kind
    func: Callable[[CheckContext], tuple[Status, str, str]]

    def timeout(self, network_timeout: float) -> float:
        return network_timeout * _NETWORK_STEPS + 1.0 if self.kind == "network" else DEVICE_TIMEOUT


class CheckContext:
    """What a check may use: the host, the plan, the chosen exe, the network timeout; dsregcmd runs once."""

    def __init__(self, host: Host, plan: InstallPlan, exe: str | Path | None, network_timeout: float,
                 clock: Callable[[], datetime.datetime] | None = None) -> None:
        self.host = host
        self.plan = plan
        self.exe = Path(exe) if exe else None
        self.network_timeout = network_timeout
        self._clock = clock or (lambda: datetime.datetime.now(datetime.UTC))
        self._lock = threading.Lock()
        self._dsreg: DsregStatus | None = None

    def now(self) -> datetime.datetime:
        """The current UTC time (PRT age, certificate validity); injectable for tests."""
        return self._clock()

    def dsreg(self) -> DsregStatus:
        with self._lock:
            if self._dsreg is None:
                self._dsreg = self.host.dsregcmd()
            return self._dsreg


@functools.cache
def _data() -> dict[str, Any]:
    source = resources.files("wizard.host") / "data" / "checks.json"
    try:
        return json.loads(source.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RuntimeError(f"wizard/host/data/checks.json cannot be read ({exc}); reinstall ccmsetup-wizard") from exc


def fix_text(key: str, **values: Any) -> str:
    """The fix text `key` from data/checks.json ("fixes"), with `values` filled in."""
    return _data()["fixes"][key].format(**values)


_fix = fix_text


def _failure_fix(result: netprobe.ProbeResult, host: str = "", port: int | str = "") -> str:
    template = _data()["failure_fixes"].get(result.failure or "", "")
    return template.format(host=host, port=port)


# -- the checks ------------------------------------------------------------------------------------------


def _os_supported(ctx: CheckContext) -> tuple[Status, str, str]:
    info = ctx.host.os_info()
    table = _data()["os_support"]
    build = str(info.build)
    if info.is_server:
        if build in table["server"]:
            return "pass", f"{info.version_text}: {table['server'][build]} is supported", ""
        if build in table["server_esu_only"]:
            return "warn", f"{info.version_text}: {table['server_esu_only'][build]}", _fix("os-esu")
        if info.build < 14393:
            return "fail", f"{info.version_text} is not supported by the current client", _fix("os-unsupported")
        return "warn", f"{info.version_text} is not in the current support list", _fix("os-old-release")
    if build in table["client"]:
        return "pass", f"{info.version_text}: {table['client'][build]} is supported", ""
    if info.build < 10240:
        return "fail", f"{info.version_text}: Windows 8.1 and older are not supported", _fix("os-unsupported")
    return "warn", f"{info.version_text} is not in the current support list", _fix("os-old-release")


def _admin(ctx: CheckContext) -> tuple[Status, str, str]:
    if ctx.host.is_elevated():
        return "pass", "The wizard runs elevated: ccmsetup starts without a prompt.", ""
    return ("pass", "Not elevated: Windows asks for administrator approval (UAC) when ccmsetup starts; a standard "
                    "user needs an administrator's credentials there.", "")


def _entra_join(ctx: CheckContext) -> tuple[Status, str, str]:
    return entra_checks.join_result(ctx.dsreg(), ctx.now(), _fix)  # type: ignore[return-value]


def _normal_guid(value: str | None) -> str:
    return (value or "").strip().strip("{}").lower()


def _tenant_match(ctx: CheckContext) -> tuple[Status, str, str]:
    status = ctx.dsreg()
    wanted = _normal_guid(ctx.plan.aadtenantid)
    device = _normal_guid(status.tenant_id)
    if not wanted:
        if device:
            return "skip", f"AADTENANTID is not given: ccmsetup uses the device's tenant {device}.", ""
        return "skip", "AADTENANTID is not given.", ""
    if status.error and status.azure_ad_joined is None:
        return "error", f"Cannot read the device tenant: {status.error}", _fix("dsregcmd-failed")
    if not device:
        return "fail", f"AADTENANTID is {wanted}, but the device shows no TenantId (not Entra joined).", \
            _fix("tenant-none")
    if device == wanted:
        return "pass", f"The device is joined to tenant {device}, the same as AADTENANTID.", ""
    name = f" ({status.tenant_name})" if status.tenant_name else ""
    return ("fail", f"AADTENANTID is {wanted}, but the device is joined to tenant {device}{name}.",
            _fix("tenant-mismatch"))


def _entra_user(ctx: CheckContext) -> tuple[Status, str, str]:
    return entra_checks.user_result(ctx.dsreg(), ctx.now(), _fix)  # type: ignore[return-value]


def _entra_endpoints(ctx: CheckContext) -> tuple[Status, str, str]:
    hosts = _data()["entra_endpoints"]
    prober = ctx.host.network()
    results = netprobe.run_parallel(hosts, lambda h: prober.https_reach(h, 443, timeout=ctx.network_timeout))
    failed = [r for r in results if not r.ok]
    if not failed:
        return "pass", "HTTPS with a trusted certificate to " + ", ".join(hosts) + ".", ""
    detail = "; ".join(r.detail for r in failed)
    fixes = [_fix("endpoints")]
    for kind in dict.fromkeys(r.failure for r in failed):  # one fix per kind of failure, not per host
        first = next(r for r in failed if r.failure == kind)
        fixes.append(_failure_fix(first, first.target.rsplit(":", 1)[0], 443))
    return "fail", detail, " ".join(f for f in fixes if f)


def _https_expected(plan: InstallPlan) -> bool:
    """The MP is used over HTTPS: /UsePKICert, or an SMSMP written with https:// (an HTTPS-only site)."""
    return plan.has_switch("/UsePKICert") or (plan.smsmp or "").strip().lower().startswith("https://")


def _mp_addresses(plan: InstallPlan) -> list[str]:
    https = _https_expected(plan)
    addresses = [mp if "://" in mp or not https else "https://" + mp.strip()
                 for mp in plan.mp if mp.strip() and not is_cmg_address(mp)]
    if plan.scenario == "internet-mp" and plan.ccmhostname and not is_cmg_address(plan.ccmhostname):
        host = plan.ccmhostname.strip()
        addresses.append(host if "://" in host else "https://" + host)
    return list(dict.fromkeys(addresses))


def _revocation(ctx: CheckContext, result: netprobe.ProbeResult, host: str) -> tuple[Status, str, str]:
    """Can the device learn the revocation status of the certificate `result` saw? ccmsetup checks it and fails
    with 0x80092013 when it cannot, unless /NoCRLCheck."""
    if result.certificate is None:
        return "pass", "", ""
    revocation = ctx.host.network().revocation(result.certificate, timeout=ctx.network_timeout, now=ctx.now())
    if revocation.status in ("good", "no-endpoints", "not-checked"):
        return "pass", revocation.detail, ""
    fix = _failure_fix(netprobe.ProbeResult(host, False, revocation.failure), host)
    if revocation.status == "revoked":
        return "fail", f"{revocation.detail} ccmsetup refuses it ({revocation.error_code}).", fix
    if ctx.plan.has_switch("/NoCRLCheck"):
        return ("pass", f"{revocation.detail} /NoCRLCheck is given, so ccmsetup does not check revocation (a revoked "
                        "certificate would not be noticed either).", "")
    if revocation.status == "offline":
        return ("fail", f"{revocation.detail} ccmsetup checks revocation and would fail with "
                        f"{revocation.error_code} (the revocation server is offline).", fix)
    return "warn", revocation.detail, fix


def _probe_mp(ctx: CheckContext, address: str) -> tuple[bool, str, str]:
    """(usable, detail, fix) for one MP address: MPLIST, an https:// retry after HTTP 403, revocation."""
    prober = ctx.host.network()
    result = netprobe.probe_mplist(prober, address, timeout=ctx.network_timeout)
    base = netprobe.mp_base_url(address)
    host, port = _host_port(base)
    if result.failure == netprobe.HTTPS_REQUIRED:
        secure = netprobe.probe_mplist(prober, _https_twin(base), timeout=ctx.network_timeout)
        required = _failure_fix(result, host, port)
        if secure.ok or secure.status == 403:
            status, note, fix = _revocation(ctx, secure, host)
            note = f" {note}" if note and status != "pass" else ""
            return False, (f"{result.detail}; over https:// it is reachable and its certificate is trusted.{note} "
                           "ccmsetup must be told to use HTTPS"), " ".join(f for f in (required, fix) if f)
        secure_host, secure_port = _host_port(secure.target)
        return False, f"{result.detail}; over https:// {secure.detail}", \
            " ".join(f for f in (required, _failure_fix(secure, secure_host, secure_port)) if f)
    https = base.startswith("https://")
    if result.ok:
        what = "MP list received"
    elif https and result.status == 403:
        # an HTTPS MP wants a client certificate for MPLIST: it is reachable and its certificate is trusted
        what = "reachable, certificate trusted (MPLIST needs a client certificate: HTTP 403)"
    else:
        return False, f"{address}: {result.detail}", _failure_fix(result, host, port)
    status, note, fix = _revocation(ctx, result, host)
    if status == "pass":
        return True, f"{address}: {what}" + (f". {note}" if note else ""), ""
    return False, f"{address}: {what}, but {note[0].lower() + note[1:]}", fix


def _https_twin(http_url: str) -> str:
    """The same MP over HTTPS: port 80 (or none) becomes the HTTPS default; another explicit port is kept."""
    parts = urlsplit(http_url)
    try:
        port = parts.port
    except ValueError:
        port = None
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return f"https://{host}" + (f":{port}" if port not in (None, 80) else "")


def _mp_reachable(ctx: CheckContext) -> tuple[Status, str, str]:
    addresses = _mp_addresses(ctx.plan)
    if not addresses:
        return "skip", "No management point address given: ccmsetup looks one up in Active Directory or DNS.", ""
    results = netprobe.run_parallel(addresses, lambda a: _probe_mp(ctx, a))
    good = [detail for usable, detail, _ in results if usable]
    bad = [detail for usable, detail, _ in results if not usable]
    fix = " ".join(dict.fromkeys(f for usable, _, f in results if not usable and f))
    detail = "; ".join(good + bad)
    if not bad:
        return "pass", detail, ""
    if good:
        return "warn", detail + ". ccmsetup tries the next /mp when one fails.", fix
    return "fail", detail, fix


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = 0
    return parts.hostname or url, port


def _cmg_address(plan: InstallPlan) -> str | None:
    if plan.ccmhostname and plan.ccmhostname.strip():
        return plan.ccmhostname.strip()
    for mp in plan.mp:
        if is_cmg_address(mp):
            return mp
    return None


def _cmg_reachable(ctx: CheckContext) -> tuple[Status, str, str]:
    address = _cmg_address(ctx.plan)
    if not address:
        return "skip", "No CMG address given yet.", _fix("no-cmg")
    hostport = netprobe.cmg_host(address)
    try:
        host, port = netprobe.split_host_port(hostport, 443)
    except ValueError as exc:
        return "fail", f"The CMG address {address!r} is malformed: {exc}", _failure_fix(
            netprobe.ProbeResult(address, False, netprobe.BAD_ADDRESS))
    prober = ctx.host.network()
    tenant = None
    if ctx.plan.is_entra and ctx.plan.regtoken is None:
        tenant = _normal_guid(ctx.plan.aadtenantid) or _normal_guid(ctx.dsreg().tenant_id) or None
    if tenant is None:
        result = prober.https_reach(host, port, timeout=ctx.network_timeout)
        if not result.ok:
            return "fail", f"{hostport}: {result.detail}", _failure_fix(result, host, port)
        extra = "" if not ctx.plan.is_entra else " (no tenant known, so onboarding was not asked)"
        return _with_revocation(ctx, result, host, f"{hostport}: DNS, TCP and a trusted TLS certificate{extra}.")
    result = netprobe.probe_cmg_auth_info(prober, address, tenant, timeout=ctx.network_timeout)
    if result.ok:
        return _with_revocation(ctx, result, host, f"{hostport}: certificate trusted, and tenant {tenant} is "
                                                   "onboarded (AADAuthInfo answered).")
    if result.failure == netprobe.NOT_ONBOARDED:
        return "fail", f"{hostport}: {result.detail}.", _fix("not-onboarded")
    return "fail", f"{hostport}: {result.detail}", _failure_fix(result, host, port)


def _with_revocation(ctx: CheckContext, result: netprobe.ProbeResult, host: str,
                     detail: str) -> tuple[Status, str, str]:
    status, note, fix = _revocation(ctx, result, host)
    if status == "pass":
        return "pass", detail + (f" {note}" if note else ""), ""
    return status, f"{detail} But {note[0].lower() + note[1:]}", fix


def _existing_client(ctx: CheckContext) -> tuple[Status, str, str]:
    client = ctx.host.client_info()
    if client is None:
        return "pass", "No Configuration Manager client (CcmExec) is installed.", ""
    site = f", site {client.site_code}" if client.site_code else ""
    detail = f"Client {client.version or '(version unknown)'}{site} is installed; CcmExec is {client.ccmexec.status}."
    if client.last_install_params:
        detail += f" Last successful install command: {client.last_install_params}"
    if ctx.plan.has_switch("/forceinstall"):
        return "pass", detail + " /forceinstall will remove it and install again.", ""
    if ctx.plan.has_switch("/logon"):
        return "warn", detail + " With /logon ccmsetup will stop without installing.", _fix("client-logon")
    return "warn", detail, _fix("client-installed")


def _setup_running(ctx: CheckContext) -> tuple[Status, str, str]:
    activity = ctx.host.setup_activity()
    if activity.running:
        return "fail", f"ccmsetup is already running ({activity.describe()}): installing now would return 8.", \
            _fix("setup-running")
    service = activity.service
    unread = [activity.error] if activity.error else []
    if service is not None and service.status == "unknown":
        unread.append(f"the ccmsetup service: {service.detail}" if service.detail else "the ccmsetup service")
    if unread:
        # "Cannot tell" is not "nothing runs": a launch would then return 8 with nothing said here.
        return ("warn", f"Whether ccmsetup is already running could not be read ({'; '.join(unread)}): if one is "
                        "installing, a new launch returns 8.", _fix("setup-running"))
    return "pass", "No ccmsetup process or service is running.", ""


def _retry_task(ctx: CheckContext) -> tuple[Status, str, str]:
    task = ctx.host.retry_task_state()
    if task.state == "present":
        return ("warn", "The scheduled task 'Configuration Manager Client Retry Task' exists: an earlier install "
                        "failed and Windows re-runs ccmsetup with the old command line.", _fix("retry-task"))
    if task.state == "unknown":
        why = f" ({task.detail})" if task.detail else ""
        return ("warn", f"Whether a 'Configuration Manager Client Retry Task' exists could not be read{why}: if an "
                        "earlier install failed, Windows may re-run ccmsetup with the old command line.",
                _fix("retry-task-unknown"))
    return "pass", "No 'Configuration Manager Client Retry Task' scheduled task.", ""


def _pki_client_cert(ctx: CheckContext) -> tuple[Status, str, str]:
    now = ctx.now()
    certificates = ctx.host.client_auth_certificates()
    usable = [c for c in certificates if c.usable(now)]
    unusable = "; ".join(f"{c.describe()}: {', '.join(c.problems(now))}" for c in certificates if not c.usable(now))
    ignored = f" ccmsetup will not use: {unusable}" if unusable else ""
    pki_asked = ctx.plan.has_switch("/UsePKICert")
    if not usable:
        if pki_asked:
            return ("warn", "/UsePKICert is given, but LocalMachine\\My holds no usable client-authentication "
                            "certificate, so the client cannot use HTTPS management points or the CMG with it."
                            + (f" Found, but{ignored}." if unusable else ""), _fix("pki-no-cert"))
        return "pass", ("No usable client-authentication certificate in LocalMachine\\My: ccmsetup will not install "
                        "as a PKI client." + (f" Found, but{ignored}." if unusable else "")), ""
    several = (f" {len(usable)} certificates qualify; without CCMCERTSEL or CCMFIRSTCERT=1 the client picks one "
               "itself." if len(usable) > 1 and not ctx.plan.property("CCMCERTSEL")
               and not ctx.plan.property("CCMFIRSTCERT") else "")
    found = f"LocalMachine\\My holds a valid client-authentication certificate {usable[0].describe()}."
    if pki_asked:
        return "pass", f"{found} /UsePKICert is given: ccmsetup uses it.{several}", ""
    if ctx.plan.is_entra or ctx.plan.regtoken is not None:
        instead = "the bulk registration token" if ctx.plan.regtoken is not None else "Microsoft Entra ID"
        return ("warn", f"{found} ccmsetup prefers a valid PKI certificate and installs as a PKI client, so "
                        f"{instead} is not used for client authentication.{several}", _fix("pki-cert-present"))
    return ("pass", f"{found} Without /UsePKICert the client talks HTTP to the management point; add /UsePKICert to "
                    f"use the certificate with HTTPS management points.{several}", "")


def _pending_reboot(ctx: CheckContext) -> tuple[Status, str, str]:
    markers = ctx.host.pending_reboot()
    if markers:
        return "warn", "A restart is pending: " + ", ".join(markers) + ".", _fix("pending-reboot")
    return "pass", "No restart is pending.", ""


def _disk_space(ctx: CheckContext) -> tuple[Status, str, str]:
    limits = _data()["disk"]
    free = ctx.host.free_disk_bytes()
    free_mb = free // (1024 * 1024)
    text = f"{free_mb / 1024:.1f} GB" if free_mb >= 1024 else f"{free_mb} MB"
    if free_mb < limits["minimum_mb"]:
        return "fail", f"Only {text} free on the system drive; at least {limits['minimum_mb']} MB is needed.", \
            _fix("disk-low")
    if free_mb < limits["recommended_mb"]:
        return "warn", f"{text} free on the system drive (5 GB recommended for the client cache).", _fix("disk-warn")
    return "pass", f"{text} free on the system drive.", ""


def _ccmsetup_exe(ctx: CheckContext) -> tuple[Status, str, str]:
    if ctx.exe is not None:
        exe = ctx.exe
        if not exe.is_file():
            return "fail", f"{exe} does not exist.", _fix("exe-missing")
    else:
        found = ctx.host.find_ccmsetup()
        if found is None:
            mp = download_source(ctx.plan)
            if mp:
                return ("warn", f"No ccmsetup.exe chosen; it will be downloaded from "
                                f"{netprobe.ccmsetup_url(mp)} and verified before it runs.", "")
            return "fail", "No ccmsetup.exe was chosen or found beside the wizard.", _fix("exe-missing")
        exe = found
    signature = ctx.host.verify_signature(exe)
    if signature.is_microsoft:
        return "pass", f"{exe}: signed by {signature.signer}.", ""
    who = f" (signer: {signature.signer})" if signature.signer and signature.status == "valid" else ""
    return "fail", f"{exe}: {signature.detail}{who}. It will not be started elevated.", _fix("exe-unsigned")


def _source_path(ctx: CheckContext) -> tuple[Status, str, str]:
    sources = [value for name, value in ctx.plan.parameters if name.lower() == "/source" and value]
    if not sources:
        return "skip", "No /source given.", ""
    problems, fixes = [], []
    for value in sources:
        path = value.strip().strip('"')
        if path.startswith("\\\\"):
            continue
        drive = ntpath.splitdrive(path)[0]
        if not drive:
            problems.append(f"{path} is a relative path")
            fixes.append(_fix("source-relative"))
        elif ctx.host.is_network_drive(path):
            problems.append(f"{path} is on mapped drive {drive.upper()}, which the elevated ccmsetup does not see")
            unc = ctx.host.unc_path(path)
            fixes.append(f"Use /source:\"{unc}\" instead (the same folder as a UNC path)." if unc
                         else _fix("source-mapped"))
    if problems:
        return "warn", "; ".join(problems) + ".", " ".join(dict.fromkeys(fixes))
    return "pass", "The /source path does not depend on a mapped drive: " + "; ".join(sources) + ".", ""


_CHECKS: dict[str, tuple[Kind, Callable[[CheckContext], tuple[Status, str, str]]]] = {
    "os-supported": ("device", _os_supported),
    "admin": ("device", _admin),
    "disk-space": ("device", _disk_space),
    "pending-reboot": ("device", _pending_reboot),
    "existing-client": ("device", _existing_client),
    "setup-running": ("device", _setup_running),
    "retry-task": ("device", _retry_task),
    "ccmsetup-exe": ("file", _ccmsetup_exe),
    "source-path": ("file", _source_path),
    "entra-join": ("device", _entra_join),
    "tenant-match": ("device", _tenant_match),
    "entra-user": ("device", _entra_user),
    "entra-endpoints": ("network", _entra_endpoints),
    "mp-reachable": ("network", _mp_reachable),
    "cmg-reachable": ("network", _cmg_reachable),
    "pki-client-cert": ("device", _pki_client_cert),
}


def get_check(check_id: str) -> Check:
    if check_id not in _CHECKS:
        raise ValueError(f"unknown check {check_id!r}; known checks: {', '.join(ALL_CHECK_IDS)}")
    kind, func = _CHECKS[check_id]
    return Check(check_id, _data()["titles"][check_id], kind, func)


def checks_for(plan: InstallPlan) -> list[Check]:
    """The checks that matter for this plan's scenario, in display order."""
    ids = ["os-supported", "admin", "disk-space", "pending-reboot", "existing-client", "setup-running", "retry-task",
           "pki-client-cert", "ccmsetup-exe"]
    if any(name.lower() == "/source" for name, _ in plan.parameters):
        ids.append("source-path")
    if plan.is_entra:
        ids += ["entra-join", "tenant-match", "entra-user", "entra-endpoints"]
    if plan.scenario in ("onprem-mp", "internet-mp"):
        ids.append("mp-reachable")
    if plan.scenario in ("cmg", "cmg-token"):
        ids.append("cmg-reachable")
    return [get_check(check_id) for check_id in ids]


def run_checks(
    host: Host,
    plan: InstallPlan,
    *,
    on_result: Callable[[CheckResult], None] | None = None,
    cancel: threading.Event | None = None,
    timeout: float | None = None,
    only: Iterable[str] | None = None,
    exe: str | Path | None = None,
    checks: Iterable[Check] | None = None,
) -> list[CheckResult]:
    """Run the plan's checks (or just the ids in `only`, or the given `checks`) concurrently; call `on_result`
    on this thread as each finishes.

    `timeout` is the per-probe network timeout (default 5 s); every check also has a hard deadline after which it
    is reported as `error`. A check that raises becomes `error` with the exception text. When `cancel` is set,
    checks still running are reported as `skip` ("cancelled") and the call returns at once. Results come back in
    display order.
    """
    network_timeout = NETWORK_TIMEOUT if timeout is None else float(timeout)
    if checks is not None:
        checks = list(checks)
    elif only is not None:
        checks = [get_check(c) for c in only]
    else:
        checks = checks_for(plan)
    ctx = CheckContext(host, plan, exe, network_timeout)
    done: queue.Queue[CheckResult] = queue.Queue()
    results: dict[str, CheckResult] = {}

    def run_one(check: Check) -> None:
        started = time.monotonic()
        try:
            status, detail, fix = check.func(ctx)
        except Exception as exc:  # a broken check must not take the others down
            status, detail, fix = "error", f"The check itself failed: {type(exc).__name__}: {exc}", ""
        done.put(CheckResult(check.id, check.title, status, detail, fix, round(time.monotonic() - started, 3)))

    started = time.monotonic()
    deadlines = {check.id: started + check.timeout(network_timeout) for check in checks}
    by_id = {check.id: check for check in checks}
    # Daemon threads, not a pool: a DNS lookup stuck in the OS must not keep the program from exiting.
    for check in checks:
        threading.Thread(target=run_one, args=(check,), name=f"check-{check.id}", daemon=True).start()

    def report(result: CheckResult) -> None:
        results[result.id] = result
        if on_result is not None:
            on_result(result)

    while len(results) < len(checks):
        if cancel is not None and cancel.is_set():
            for check in checks:
                if check.id not in results:
                    report(CheckResult(check.id, check.title, "skip", "Cancelled.", "",
                                       round(time.monotonic() - started, 3)))
            break
        try:
            result = done.get(timeout=0.05)
        except queue.Empty:
            now = time.monotonic()
            for check_id, deadline in deadlines.items():
                if check_id not in results and now > deadline:
                    check = by_id[check_id]
                    limit = check.timeout(network_timeout)
                    report(CheckResult(check_id, check.title, "error", f"Did not finish within {limit:g} s.",
                                       "Run the check again; if it keeps timing out, the device or network is "
                                       "very slow.", round(limit, 3)))
            continue
        if result.id not in results:  # a late answer after its deadline was already reported is dropped
            report(result)
    return [results[check.id] for check in checks]


def summarize(results: Iterable[CheckResult]) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for result in results:
        counts[result.status] += 1
    return counts


def any_failed(results: Iterable[CheckResult]) -> bool:
    return any(r.failed for r in results)
