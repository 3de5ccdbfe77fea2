"""The demo host: a simulated Windows device for training and for Linux/macOS.

Each preset (wizard/host/data/demo_presets.json) describes the device: OS, join state, installed client,
running setup, pending restart, free disk, network. A per-run folder holds the simulated `C:\\Windows` log
folders and a simulated ccmsetup.exe; `launch()` starts the log simulator (wizard.core.simulator) as a real
process writing a real ccmsetup.log there. Nothing on the real computer is changed, and `describe()` always
says DEMO.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from wizard.core.logparse import parse_file
from wizard.core.simulator import OUTCOMES
from wizard.core.tail import file_size
from wizard.core.tracker import track_last_run
from wizard.host.base import (
    CertInfo,
    ClientInfo,
    DsregStatus,
    Host,
    LaunchResult,
    OsInfo,
    PopenProcess,
    ServiceState,
    SetupActivity,
    SignatureInfo,
    new_run_dir,
)
from wizard.host.demo_pki import DEMO_SERVER_CERTIFICATE, client_cert_from_preset, demo_pki_answer
from wizard.host.dsregcmd import parse_dsregcmd
from wizard.host.netprobe import DNS, HTTP_STATUS, Prober, ProbeResult

DEFAULT_PRESET = "entra-joined"
SERVICE_PID_FILE = ".ccmsetup-service.pid"  # written by the simulator while its "service" part runs
DEMO_EXE_MARKER = b"MZ ccmsetup-wizard DEMO: simulated ccmsetup.exe, not a program\r\n"
DEMO_SIGNER = "Microsoft Corporation"
_PRESETS_FILE = "demo_presets.json"
KEEP_DEMO_RUNS = 20  # older demo run folders are removed when a new one starts
DEMO_SHARE = r"\\fs01.contoso.com\Deploy"  # what a demo preset's mapped drive letters point to


class PresetError(ValueError):
    """The presets file is malformed or a preset name is unknown; the message says which and what to do."""


@dataclass(frozen=True)
class DemoPreset:
    name: str
    title: str
    description: str
    computer_name: str
    os: OsInfo
    dsregcmd: dict[str, str]
    client: dict[str, str] | None
    setup_running: bool
    retry_task: bool
    pending_reboot: tuple[str, ...]
    free_disk_mb: int
    online: bool
    elevated: bool
    mapped_drives: tuple[str, ...]
    # What a simulated ccmsetup run ends with when no outcome was asked for (training: the failure the
    # device's failed check predicts); see "default_outcome_note" in the presets file.
    default_outcome: str = "success"
    default_outcome_reason: str = ""
    default_outcome_needs_entra: bool = False
    pki_client_cert: dict[str, Any] | None = None  # a client-auth certificate in LocalMachine\My (demo_pki)


@dataclass(frozen=True)
class DemoCatalog:
    sample_command: str
    onboarded_tenants: tuple[str, ...]
    presets: dict[str, DemoPreset]


_PRESET_KEYS = {"title", "description", "computer_name", "os", "dsregcmd", "client", "setup_running", "retry_task",
                "pending_reboot", "free_disk_mb", "online", "elevated", "mapped_drives", "default_outcome",
                "default_outcome_reason", "default_outcome_needs_entra", "pki_client_cert"}


@functools.cache
def load_demo_catalog() -> DemoCatalog:
    """Read and check the presets file once."""
    source = resources.files("wizard.host") / "data" / _PRESETS_FILE
    where = f"wizard/host/data/{_PRESETS_FILE}"
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise PresetError(f"{where} cannot be read ({exc}); reinstall ccmsetup-wizard") from exc
    try:
        presets = {}
        for name, entry in data["presets"].items():
            unknown = set(entry) - _PRESET_KEYS
            if unknown:
                raise PresetError(f"{where}: preset {name!r} has unknown keys {sorted(unknown)}")
            default_outcome = entry.get("default_outcome", "success")
            if default_outcome not in OUTCOMES:
                raise PresetError(f"{where}: preset {name!r} has default_outcome {default_outcome!r}; use one of: "
                                  f"{', '.join(OUTCOMES)}")
            presets[name] = DemoPreset(
                name=name,
                title=entry["title"],
                description=entry["description"],
                computer_name=entry.get("computer_name", "DEMO-PC"),
                os=OsInfo(product=entry["os"]["product"], build=int(entry["os"]["build"]),
                          ubr=int(entry["os"].get("ubr", 0)), display_version=entry["os"].get("display_version", ""),
                          is_server="server" in entry["os"]["product"].lower(), architecture="AMD64"),
                dsregcmd=dict(entry["dsregcmd"]),
                client=entry.get("client"),
                setup_running=bool(entry.get("setup_running", False)),
                retry_task=bool(entry.get("retry_task", False)),
                pending_reboot=tuple(entry.get("pending_reboot", ())),
                free_disk_mb=int(entry.get("free_disk_mb", 120_000)),
                online=bool(entry.get("online", True)),
                elevated=bool(entry.get("elevated", False)),
                mapped_drives=tuple(d.upper() for d in entry.get("mapped_drives", ())),
                default_outcome=default_outcome,
                default_outcome_reason=entry.get("default_outcome_reason", ""),
                default_outcome_needs_entra=bool(entry.get("default_outcome_needs_entra", False)),
                pki_client_cert=entry.get("pki_client_cert"),
            )
        return DemoCatalog(data["sample_command"], tuple(t.lower() for t in data["onboarded_tenants"]), presets)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, PresetError):
            raise
        raise PresetError(f"{where} is malformed ({exc!r}); reinstall ccmsetup-wizard") from exc


def demo_presets() -> list[tuple[str, str, str]]:
    """(name, title, description) of every preset, in file order (for menus and --help)."""
    return [(p.name, p.title, p.description) for p in load_demo_catalog().presets.values()]


def preset_names() -> list[str]:
    return list(load_demo_catalog().presets)


def get_preset(name: str) -> DemoPreset:
    presets = load_demo_catalog().presets
    if name not in presets:
        raise PresetError(f"unknown demo preset {name!r}; choose one of: {', '.join(presets)}")
    return presets[name]


# -- dsregcmd text ----------------------------------------------------------------------------------------

_BANNER = "+" + "-" * 70 + "+"


def render_dsregcmd(fields: dict[str, str], device_name: str) -> str:
    """dsregcmd /status text with the modern section layout, so the demo goes through the real parser."""
    def section(title: str, rows: list[tuple[str, str]]) -> list[str]:
        lines = [_BANNER, f"| {title:<69}|", _BANNER, ""]
        lines += [f"{key:>26} : {value}" for key, value in rows]
        return lines + [""]

    tenant = fields.get("TenantId")
    device = [("AzureAdJoined", fields.get("AzureAdJoined", "NO")), ("EnterpriseJoined", "NO"),
              ("DomainJoined", fields.get("DomainJoined", "NO"))]
    if fields.get("DomainName"):
        device.append(("DomainName", fields["DomainName"]))
    device += [("Virtual Desktop", "NOT SET"), ("Device Name", device_name)]
    out = section("Device State", device)
    if fields.get("AzureAdJoined") == "YES":
        out += section("Device Details", [("DeviceId", "5c8e1f0a-7d2b-4c3e-9f10-2a3b4c5d6e7f"),
                                          ("KeyProvider", "Microsoft Platform Crypto Provider"),
                                          ("TpmProtected", "YES"),
                                          ("DeviceAuthStatus", fields.get("DeviceAuthStatus", "SUCCESS"))])
    if tenant:
        out += section("Tenant Details", [
            ("TenantName", fields.get("TenantName", "")), ("TenantId", tenant), ("Idp", "login.windows.net"),
            ("AuthCodeUrl", f"https://login.microsoftonline.com/{tenant}/oauth2/authorize"),
            ("JoinSrvUrl", "https://enterpriseregistration.windows.net/EnrollmentServer/device/")])
    out += section("User State", [("NgcSet", "NO"), ("WorkplaceJoined", fields.get("WorkplaceJoined", "NO")),
                                  ("WamDefaultSet", "YES" if fields.get("AzureAdPrt") == "YES" else "NO")])
    sso = [("AzureAdPrt", fields.get("AzureAdPrt", "NO"))]
    if fields.get("AzureAdPrt") == "YES" and tenant:
        sso.append(("AzureAdPrtAuthority", f"https://login.microsoftonline.com/{tenant}"))
    sso.append(("EnterprisePrt", "NO"))
    out += section("SSO State", sso)
    out.append(_BANNER)
    return "\n".join(out) + "\n"


# -- simulated network ------------------------------------------------------------------------------------

_MPLIST = (b'<MPList><MP Name="MP01.CONTOSO.COM" FQDN="mp01.contoso.com"><Version>9132</Version>'
           b'<Capabilities SchemaVersion="1.0"><Property Name="SSLState" Value="63"/></Capabilities></MP></MPList>')


class SimulatedNetwork(Prober):
    """Answers like a healthy network (or none at all when offline) without touching the real one.
    Names under .invalid never resolve, so a trainer can show a DNS failure on an online preset."""

    def __init__(self, host: DemoHost, *, latency: float) -> None:
        self._host = host
        self._latency = latency

    def _unreachable(self, name: str, target: str, started: float) -> ProbeResult | None:
        if not self._host.preset_data.online:
            return ProbeResult(target, False, DNS, f"DNS cannot resolve {name}: no network connection "
                                                   f"(demo preset '{self._host.preset}')", seconds=self._spent(started))
        if name.lower().rstrip(".").endswith(".invalid") or not name:
            return ProbeResult(target, False, DNS, f"DNS cannot resolve {name}: no such host (demo)",
                               seconds=self._spent(started))
        return None

    def _spent(self, started: float) -> float:
        return time.monotonic() - started

    def _wait(self) -> None:
        if self._latency:
            time.sleep(self._latency)

    def https_reach(self, host: str, port: int = 443, *, timeout: float = 5.0) -> ProbeResult:
        started = time.monotonic()
        self._wait()
        target = f"{host}:{port}"
        failed = self._unreachable(host, target, started)
        if failed:
            return failed
        return ProbeResult(target, True, None, f"TLS handshake with {target} succeeded (TLSv1.3; demo network)",
                           seconds=self._spent(started), certificate=DEMO_SERVER_CERTIFICATE)

    def http_get(self, url: str, *, timeout: float = 5.0, max_bytes: int = 1 << 20) -> ProbeResult:
        started = time.monotonic()
        self._wait()
        parts = urlsplit(url)
        failed = self._unreachable(parts.hostname or "", url, started)
        if failed:
            return failed
        status, body = 404, b""
        if (pki := demo_pki_answer(url)) is not None:  # the CRL/OCSP addresses of the demo certificate
            status, body = pki
        elif parts.path.endswith("/SMS_MP/.sms_aut") and parts.query.upper() == "MPLIST":
            status, body = 200, _MPLIST
        elif parts.path.endswith("/CCM_Proxy_ServerAuth/AADAuthInfo"):
            tenant = (parse_qs(parts.query).get("TenantID") or [""])[0].strip("{}").lower()
            if tenant in load_demo_catalog().onboarded_tenants:
                status, body = 200, json.dumps({"TenantId": tenant, "ClientAppId": "aa28e7f1-b88a-43cd-a2e3-f88b257c863b",
                                                "ResourceUri": "https://ConfigMgrService"}).encode()
        elif parts.path.endswith("/CCM_Client/ccmsetup.exe"):
            status, body = 200, DEMO_EXE_MARKER
        ok = 200 <= status < 300
        return ProbeResult(url, ok, None if ok else HTTP_STATUS, f"HTTP {status} (demo network)", status,
                           body[:max_bytes], self._spent(started),
                           DEMO_SERVER_CERTIFICATE if parts.scheme == "https" else None)

    def download(self, url: str, dest: Path, *, timeout: float = 30.0, max_bytes: int = 64 << 20) -> ProbeResult:
        result = self.http_get(url, timeout=timeout)
        if not result.ok:
            return result
        self._host.create_demo_exe(Path(dest))
        return ProbeResult(url, True, None, f"downloaded the simulated ccmsetup.exe to {dest} (demo)", 200,
                           seconds=result.seconds)


# -- the host ---------------------------------------------------------------------------------------------


_INSTALLED_STATES = ("succeeded", "reboot-required")
_INSTALLING_VERSION = re.compile(r"Installing version (\S+) of the client")


class DemoHost(Host):
    is_demo = True

    def __init__(self, preset: str = DEFAULT_PRESET, *, base_dir: str | Path | None = None,
                 outcome: str | None = None, speed: float = 1.0, latency: float = 0.15,
                 uac_cancel: bool = False, run_dir: str | Path | None = None) -> None:
        self.preset_data = get_preset(preset)
        self.preset = preset
        if outcome is not None and outcome not in OUTCOMES:
            raise ValueError(f"outcome: unknown simulator outcome {outcome!r}; use one of: {', '.join(OUTCOMES)}")
        # What the simulated ccmsetup run ends with (wizard.core.simulator.OUTCOMES): the one asked for, else
        # the preset's default, so a trainee who overrides a failed check sees the failure it predicted.
        self.outcome_requested = outcome
        self.outcome = outcome if outcome is not None else self.preset_data.default_outcome
        self.speed = speed
        self.uac_cancel = uac_cancel  # training: the next launch behaves as if UAC was answered No
        self._restarted = False
        self._launch_offset: int | None = None  # ccmsetup.log size when the simulator was last launched
        self._simulated_client: tuple[str, str | None] | None = None  # (outcome state, version) once final
        self._lock = threading.Lock()
        self._children: list[subprocess.Popen] = []
        self._signed: set[Path] = set()
        self._network = SimulatedNetwork(self, latency=latency)
        # run_dir: reuse an earlier demo run's folder (e.g. `collect --demo` after `install --demo`)
        self._reused_run_dir = bool(run_dir)
        if run_dir:
            self._root = Path(run_dir)
        else:
            self._root = new_run_dir(Path(base_dir) if base_dir else None, "demo-runs")
            prune_demo_runs(self._root.parent, keep=KEEP_DEMO_RUNS, current=self._root)
        self.windows_dir.joinpath("ccmsetup", "Logs").mkdir(parents=True, exist_ok=True)
        self.windows_dir.joinpath("CCM", "Logs").mkdir(parents=True, exist_ok=True)
        self.demo_exe = self.create_demo_exe(self._root / "ccmsetup.exe")
        if self.preset_data.client:
            self._seed_client_logs()

    @property
    def windows_dir(self) -> Path:
        return self._root / "Windows"

    def sample_command(self) -> str:
        """A command that fits the demo tenant, used when the user gives none."""
        return load_demo_catalog().sample_command

    def create_demo_exe(self, dest: Path) -> Path:
        """Write the simulated ccmsetup.exe; only files made here verify as Microsoft-signed."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(DEMO_EXE_MARKER)
        with self._lock:
            self._signed.add(dest.resolve())
        return dest

    def _seed_client_logs(self) -> None:
        lines = [
            "[RegTask] - Client is registered. Server assigned ClientID is GUID:C66EE0FD-08E7-4B38-B282-7E6954B71139. "
            "Approval status 3",
        ]
        stamp = datetime.now()
        text = "".join(
            f'<![LOG[{line}]LOG]!><time="{stamp:%H:%M:%S}.000+000" date="{stamp:%m-%d-%Y}" '
            f'component="ClientIDManagerStartup" context="" type="1" thread="4312" file="regtask.cpp:1012">\r\n'
            for line in lines)
        (self.ccm_log_dir() / "ClientIDManagerStartup.log").write_text(text, encoding="utf-8")

    # -- Host -----------------------------------------------------------------------------------------------

    def describe(self) -> str:
        p = self.preset_data
        return (f"DEMO device, preset '{self.preset}' ({p.title}): simulated {p.computer_name}, "
                f"{p.os.version_text}. Nothing on this computer is changed.")

    def dsregcmd(self) -> DsregStatus:
        return parse_dsregcmd(render_dsregcmd(self.preset_data.dsregcmd, self.preset_data.computer_name))

    def os_info(self) -> OsInfo:
        return self.preset_data.os

    def is_elevated(self) -> bool:
        return self.preset_data.elevated

    def service(self, name: str) -> ServiceState:
        lowered = name.lower()
        if lowered == "ccmexec":
            client = self.preset_data.client
            if client:
                return ServiceState(name, client.get("ccmexec", "running"))  # type: ignore[arg-type]
            installed = self._installed_by_simulation()
            if installed is None:
                return ServiceState(name, "not-installed")
            # After return code 7 the client finishes installing at the next restart.
            restart_pending = installed[0] == "reboot-required" and not self._restarted
            return ServiceState(name, "stopped" if restart_pending else "running")
        if lowered == "ccmsetup":
            return ServiceState(name, "running" if self._service_running() else "not-installed")
        return ServiceState(name, "not-installed")

    def _installed_by_simulation(self) -> tuple[str, str | None] | None:
        """(outcome state, client version) when a simulated ccmsetup run on this demo device installed the
        client, judged from its log like a real run; None before that or when it failed."""
        with self._lock:
            if self._simulated_client is not None:
                return self._simulated_client if self._simulated_client[0] in _INSTALLED_STATES else None
            offset = self._launch_offset
        if offset is None and self._reused_run_dir:
            offset = 0  # an earlier demo run's folder (`collect --demo`): judge the last run in its log
        if offset is None or self._service_running():
            return None
        try:
            records = parse_file(self.log_dir() / "ccmsetup.log", since_offset=offset)
        except OSError:
            return None
        outcome = track_last_run(records).outcome
        version = next((m.group(1) for r in records
                        if (m := _INSTALLING_VERSION.search(r.message))), None)
        if outcome.final:  # the Finish page asks every second: read the log once per finished run
            with self._lock:
                self._simulated_client = (outcome.state, version)
        return (outcome.state, version) if outcome.state in _INSTALLED_STATES else None

    def _service_running(self) -> bool:
        if self.preset_data.setup_running:
            return True
        with self._lock:
            for child in self._children:
                child.poll()  # reap: a finished child must not look alive to the pid check
        marker = self.log_dir() / SERVICE_PID_FILE
        try:
            pid = int(marker.read_text(encoding="ascii").strip() or 0)
        except (OSError, ValueError):
            return False
        return pid > 0 and _pid_alive(pid)

    def setup_activity(self) -> SetupActivity:
        pids: list[int] = [4242] if self.preset_data.setup_running else []
        with self._lock:
            pids += [child.pid for child in self._children if child.poll() is None]
        running = self._service_running()
        return SetupActivity(tuple(pids), ServiceState("ccmsetup", "running") if running else None)

    def retry_task_exists(self) -> bool:
        return self.preset_data.retry_task

    def pending_reboot(self) -> list[str]:
        return [] if self._restarted else list(self.preset_data.pending_reboot)

    def free_disk_bytes(self) -> int:
        return self.preset_data.free_disk_mb * 1024 * 1024

    def client_info(self) -> ClientInfo | None:
        client = self.preset_data.client
        if not client:
            installed = self._installed_by_simulation()
            if installed is None:
                return None
            return ClientInfo(version=installed[1], site_code=None, ccmexec=self.service("CcmExec"))
        return ClientInfo(version=client.get("version"), site_code=client.get("site_code"),
                          ccmexec=self.service("CcmExec"), last_install_params=client.get("last_install_params"),
                          last_valid_mp=client.get("last_valid_mp"))

    def verify_signature(self, path: str | Path) -> SignatureInfo:
        target = Path(path)
        if not target.is_file():
            return SignatureInfo("missing", None, f"{target} does not exist")
        with self._lock:
            known = target.resolve() in self._signed
        try:
            intact = target.read_bytes()[: len(DEMO_EXE_MARKER)] == DEMO_EXE_MARKER
        except OSError as exc:
            return SignatureInfo("error", None, f"cannot read {target}: {exc}")
        if known and intact:
            return SignatureInfo("valid", DEMO_SIGNER, f"valid Authenticode signature by {DEMO_SIGNER} (demo)")
        if known:
            return SignatureInfo("invalid", DEMO_SIGNER, "the file was modified after it was signed (demo)")
        return SignatureInfo("unsigned", None, "the file carries no Authenticode signature (the demo device trusts "
                                               "only the simulated ccmsetup.exe it created)")

    def log_dir(self) -> Path:
        return self.windows_dir / "ccmsetup" / "Logs"

    def ccm_log_dir(self) -> Path:
        return self.windows_dir / "CCM" / "Logs"

    def is_network_drive(self, path: str) -> bool:
        drive = path[:2].upper()
        return len(drive) == 2 and drive[1] == ":" and drive in self.preset_data.mapped_drives

    def network(self) -> Prober:
        return self._network

    # -- issue 10 device-side API (minimal; reads the preset) ----------------------------------------------

    def client_auth_certificates(self) -> list[CertInfo]:
        return client_cert_from_preset(self.preset_data.pki_client_cert)

    def mapped_drives(self) -> list[str]:
        return list(self.preset_data.mapped_drives)

    def unc_path(self, path: str) -> str | None:
        drive = path[:2].upper()
        if drive not in self.preset_data.mapped_drives:
            return None
        rest = path[2:].lstrip("\\/")
        return DEMO_SHARE + ("\\" + rest if rest else "")

    def uac_owner(self) -> str:
        return "the wizard's own window (simulated prompt)"

    def find_ccmsetup(self, hint: str | Path | None = None) -> Path | None:
        if hint:
            hint_path = Path(hint)
            candidate = hint_path / "ccmsetup.exe" if hint_path.is_dir() else hint_path
            if candidate.is_file():
                return candidate.resolve()
        return self.demo_exe if self.demo_exe.is_file() else None

    def run_dir(self) -> Path:
        return self._root

    def outcome_for(self, argv: list[str]) -> str:
        """The simulator outcome for a run of `argv`: the one asked for, else the preset's default. An Entra
        failure (not joined, other tenant, no PRT) only follows when the command uses Entra authentication;
        a bulk token or an on-prem MP install does not need the join, so it succeeds."""
        if self.outcome_requested is not None or not self.preset_data.default_outcome_needs_entra:
            return self.outcome
        return self.outcome if uses_entra_auth(argv) else "success"

    def simulator_command(self, argv: list[str]) -> list[str]:
        """How to start the simulator: `python -m wizard.core.simulator` or, frozen, `<app> simulate`."""
        options = ["--log-dir", str(self.log_dir()), "--ccm-log-dir", str(self.ccm_log_dir()),
                   "--outcome", self.outcome_for(argv), "--speed", f"{self.speed:g}", "--", *argv]
        if getattr(sys, "frozen", False):
            return [sys.executable, "simulate", *options]
        return [sys.executable, "-m", "wizard.core.simulator", *options]

    def launch(self, exe: str | Path, argv: list[str], *, noservice: bool) -> LaunchResult:
        exe_path = Path(exe)
        if not exe_path.is_file():
            return LaunchResult("missing-exe", f"{exe_path} does not exist; choose the ccmsetup.exe to run")
        if self.uac_cancel and not self.preset_data.elevated:
            self.uac_cancel = False
            return LaunchResult("uac-cancelled", "The administrator prompt (UAC) was cancelled: ccmsetup did not start "
                                                 "and nothing on this device changed (demo).", error_code=1223)
        with self._lock:
            self._launch_offset = file_size(self.log_dir() / "ccmsetup.log")
            self._simulated_client = None
        env = dict(os.environ)
        env["PYTHONIOENCODING"] = "utf-8"
        try:
            # stderr to a file in the run folder: a pipe nobody reads could fill up and block the simulator
            with open(self._root / "simulator-stderr.txt", "ab") as errors:
                child = subprocess.Popen(self.simulator_command(argv), cwd=str(self._root), env=env,
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors)
        except OSError as exc:
            return LaunchResult("failed-to-start", f"the demo could not start the simulator: {exc}")
        with self._lock:
            self._children.append(child)
        how = "" if self.preset_data.elevated else " after a simulated administrator prompt"
        return LaunchResult("started", f"started the simulated {exe_path.name}{how} (demo process {child.pid})",
                            PopenProcess(child), elevated_via_uac=not self.preset_data.elevated)

    def restart(self) -> None:
        self._restarted = True  # a simulated restart clears the pending-restart markers

    def open_folder(self, path: str | Path) -> None:
        opener = {"win32": None, "darwin": "open"}.get(sys.platform, "xdg-open")
        try:
            if opener is None:
                os.startfile(str(path))  # type: ignore[attr-defined]  # Windows only
            else:
                subprocess.Popen([opener, str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError:
            pass  # no file manager (headless): the path is shown to the user anyway

    def stop_children(self) -> None:
        """Stop simulator processes still running (GUI exit, tests)."""
        with self._lock:
            children = list(self._children)
        for child in children:
            if child.poll() is None:
                child.terminate()
                try:
                    child.wait(5)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait(5)


def uses_entra_auth(argv: list[str]) -> bool:
    """True when a ccmsetup command authenticates with Entra ID: an AAD* property, or a CMG
    (CCMHOSTNAME) without a bulk registration token."""
    upper = [arg.upper() for arg in argv]
    if any(arg.startswith("/REGTOKEN:") for arg in upper):
        return False
    return any(arg.startswith(("AADTENANTID=", "AADCLIENTAPPID=", "AADRESOURCEURI=", "CCMHOSTNAME="))
               for arg in upper)


def prune_demo_runs(root: Path, *, keep: int, current: Path | None = None) -> None:
    """Remove the oldest demo run folders beyond `keep` (only timestamp-named folders; never `current`)."""
    import re
    import shutil

    runs = sorted((p for p in root.iterdir() if p.is_dir() and re.fullmatch(r"\d{8}-\d{6}(-\d+)?", p.name)),
                  key=lambda p: p.name)
    for old in runs[:-keep] if len(runs) > keep else []:
        if current is None or old.resolve() != current.resolve():
            shutil.rmtree(old, ignore_errors=True)


def demo_runs_dir(base_dir: str | Path | None = None) -> Path:
    if base_dir:
        return Path(base_dir)
    import platformdirs

    return Path(platformdirs.user_cache_dir("ccmsetup-wizard", appauthor=False)) / "demo-runs"


def latest_run_dir(base_dir: str | Path | None = None) -> Path | None:
    """The newest demo run folder that has a ccmsetup.log, or None."""
    root = demo_runs_dir(base_dir)
    try:
        runs = [p for p in root.iterdir() if (p / "Windows" / "ccmsetup" / "Logs" / "ccmsetup.log").is_file()]
    except OSError:
        return None
    return max(runs, key=lambda p: (p / "Windows" / "ccmsetup" / "Logs" / "ccmsetup.log").stat().st_mtime,
               default=None)


def _pid_alive(pid: int) -> bool:
    if sys.platform == "win32":
        import ctypes
        from ctypes import wintypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        kernel32.OpenProcess.argtypes = [wintypes.DWORD, wintypes.BOOL, wintypes.DWORD]
        kernel32.OpenProcess.restype = wintypes.HANDLE
        kernel32.GetExitCodeProcess.argtypes = [wintypes.HANDLE, ctypes.POINTER(wintypes.DWORD)]
        kernel32.CloseHandle.argtypes = [wintypes.HANDLE]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        try:
            code = wintypes.DWORD()
            return bool(kernel32.GetExitCodeProcess(handle, ctypes.byref(code))) and code.value == 259
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)  # signal 0: existence check only (POSIX)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def parse_demo_option(value: Any) -> str:
    """Validate a --demo value: a preset name (listing them when wrong)."""
    name = str(value)
    get_preset(name)
    return name


__all__ = ["DemoHost", "DemoPreset", "PresetError", "SimulatedNetwork", "demo_presets", "get_preset",
           "load_demo_catalog", "preset_names", "render_dsregcmd"]
