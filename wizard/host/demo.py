"""The demo host: a simulated Windows device for training and for Linux/macOS.

The device and the site it should join come from a world (wizard.core.world; the shipped ones in
`resources/worlds/*.json` are the `--demo` presets, a lab brings its own). Every device question (dsregcmd,
OS, disk, client, restart markers, the network) is answered from `World.device`, and `launch()` starts the
simulator (wizard.core.simulator) as a real process writing a real ccmsetup.log in a per-run folder; the run
follows from plan x device x site, so it fails exactly where the checks said it would. Nothing on the real
computer is changed, and `describe()` always says DEMO.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from wizard.core.logparse import parse_file
from wizard.core.simulator import OUTCOMES, Verdict, evaluate
from wizard.core.tail import file_size
from wizard.core.tracker import track_last_run
from wizard.core.world import DEFAULT_WORLD, NamedWorld, World, WorldFileError, load_world, world_names
from wizard.core.world import network as world_network
from wizard.core.world.model import Device
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
from wizard.host.demo_pki import DEMO_CRL, client_certificates, server_certificate
from wizard.host.dsregcmd import parse_dsregcmd
from wizard.host.netprobe import DNS, HTTP_STATUS, TLS_EXPIRED, TLS_UNTRUSTED, Prober, ProbeResult

DEFAULT_PRESET = DEFAULT_WORLD
SERVICE_PID_FILE = ".ccmsetup-service.pid"  # written by the simulator while its "service" part runs
WORLD_FILE = "world.json"  # the run folder's copy of the world, read by the simulator process
WORLD_NAME_FILE = "world.name"  # beside it: the preset (or lab) name that world had, for `collect --demo`
DEMO_EXE_MARKER = b"MZ ccmsetup-wizard DEMO: simulated ccmsetup.exe, not a program\r\n"
DEMO_SIGNER = "Microsoft Corporation"
KEEP_DEMO_RUNS = 20  # older demo run folders are removed when a new one starts
DEMO_SHARE = r"\\fs01.contoso.com\Deploy"  # what a demo preset's mapped drive letters point to


class PresetError(ValueError):
    """An unknown preset (world) name or a world file that cannot be used; the message says which and what
    to do (the valid names, or the file, field and reason)."""


def preset_names() -> list[str]:
    """The shipped worlds, which are the `--demo` presets."""
    return world_names()


def demo_presets() -> list[tuple[str, str, str]]:
    """(name, title, description) of every preset, default first (for menus and --help)."""
    result = []
    for name in world_names():
        named = get_preset(name)
        result.append((name, named.title, named.description))
    return result


def get_preset(name_or_path: str | Path) -> NamedWorld:
    """A shipped world by name, or a world file by path. Raises PresetError."""
    try:
        return load_world(name_or_path)
    except WorldFileError as exc:
        if str(name_or_path) and "/" not in str(name_or_path) and not str(name_or_path).endswith(".json") \
                and exc.path == str(name_or_path):
            raise PresetError(f"unknown demo preset {str(name_or_path)!r}; choose one of: "
                              f"{', '.join(world_names())}, or give a world .json file") from None
        raise PresetError(str(exc)) from None


# -- dsregcmd text ----------------------------------------------------------------------------------------

_BANNER = "+" + "-" * 70 + "+"


def render_dsregcmd(device: Device) -> str:
    """dsregcmd /status text with the modern section layout, so the demo goes through the real parser."""
    def section(title: str, rows: list[tuple[str, str]]) -> list[str]:
        lines = [_BANNER, f"| {title:<69}|", _BANNER, ""]
        lines += [f"{key:>26} : {value}" for key, value in rows]
        return lines + [""]

    join = device.join
    yes = {True: "YES", False: "NO"}
    tenant = join.tenant_id if join.azure_ad_joined else None
    rows = [("AzureAdJoined", yes[join.azure_ad_joined]), ("EnterpriseJoined", "NO"),
            ("DomainJoined", yes[join.domain_joined])]
    if join.domain_name:
        rows.append(("DomainName", join.domain_name))
    rows += [("Virtual Desktop", "NOT SET"), ("Device Name", device.computer_name)]
    out = section("Device State", rows)
    if join.azure_ad_joined:
        out += section("Device Details", [("DeviceId", join.device_id),
                                          ("KeyProvider", "Microsoft Platform Crypto Provider"),
                                          ("TpmProtected", "YES"), ("DeviceAuthStatus", join.device_auth_status)])
    if tenant:
        out += section("Tenant Details", [
            ("TenantName", join.tenant_name or ""), ("TenantId", tenant), ("Idp", "login.windows.net"),
            ("AuthCodeUrl", f"https://login.microsoftonline.com/{tenant}/oauth2/authorize"),
            ("JoinSrvUrl", "https://enterpriseregistration.windows.net/EnrollmentServer/device/")])
    out += section("User State", [("NgcSet", "NO"), ("WorkplaceJoined", yes[join.workplace_joined]),
                                  ("WamDefaultSet", yes[join.prt])])
    sso = [("AzureAdPrt", yes[join.prt and join.azure_ad_joined])]
    if join.prt and tenant:
        sso.append(("AzureAdPrtAuthority", f"https://login.microsoftonline.com/{tenant}"))
    sso.append(("EnterprisePrt", "NO"))
    out += section("SSO State", sso)
    out.append(_BANNER)
    return "\n".join(out) + "\n"


def os_info(device: Device) -> OsInfo:
    spec = device.os
    return OsInfo(product=spec.product, build=spec.build, ubr=spec.ubr, display_version=spec.display_version,
                  is_server=spec.is_server, architecture=spec.architecture)


# -- simulated network ------------------------------------------------------------------------------------


class SimulatedNetwork(Prober):
    """Answers from the world (wizard.core.world.network) without touching the real network: the same
    rules decide the simulated ccmsetup run, so a probe and the run never disagree."""

    def __init__(self, host: DemoHost, *, latency: float) -> None:
        self._host = host
        self._latency = latency

    @property
    def world(self) -> World:
        return self._host.world

    def _spent(self, started: float) -> float:
        return time.monotonic() - started

    def _wait(self) -> None:
        if self._latency:
            time.sleep(self._latency)

    def _connect(self, name: str, target: str, started: float, *, tls: bool) -> ProbeResult | None:
        resolution = world_network.resolve(self.world, name)
        if not resolution.ok:
            return ProbeResult(target, False, DNS, f"DNS cannot resolve {name}: {resolution.reason} (demo world "
                                                   f"'{self._host.preset}')", seconds=self._spent(started))
        problem = world_network.tls_problem(self.world, name) if tls else None
        if problem == "untrusted":
            root = world_network.cert_root(self.world, name)
            return ProbeResult(target, False, TLS_UNTRUSTED, f"the certificate of {name} chains to '{root}', which "
                               "this device does not trust (INVALID_CA; demo)", seconds=self._spent(started))
        if problem == "date":
            return ProbeResult(target, False, TLS_EXPIRED, f"the certificate of {name} is not valid at the "
                               "device's clock time (CERT_DATE_INVALID; demo)", seconds=self._spent(started))
        return None

    def https_reach(self, host: str, port: int = 443, *, timeout: float = 5.0) -> ProbeResult:
        started = time.monotonic()
        self._wait()
        target = f"{host}:{port}"
        failed = self._connect(host, target, started, tls=True)
        if failed:
            return failed
        return ProbeResult(target, True, None, f"TLS handshake with {target} succeeded (TLSv1.3; demo network)",
                           seconds=self._spent(started), certificate=self._certificate(host))

    def http_get(self, url: str, *, timeout: float = 5.0, max_bytes: int = 1 << 20) -> ProbeResult:
        started = time.monotonic()
        self._wait()
        parts = urlsplit(url)
        name = parts.hostname or ""
        https = parts.scheme.lower() == "https"
        failed = self._connect(name, url, started, tls=https)
        if failed:
            return failed
        status, body = self._answer(name, parts.path, parts.query, https)
        ok = 200 <= status < 300
        return ProbeResult(url, ok, None if ok else HTTP_STATUS, f"HTTP {status} (demo network)", status,
                           body[:max_bytes], self._spent(started), self._certificate(name) if https else None)

    def _certificate(self, host: str):
        """The server certificate `host` presents: its CRL address is the world's CMG chain's."""
        cmg = self.world.site.cmg
        return server_certificate(host, cmg.crl_url, cmg.ocsp_url) if cmg else server_certificate(host, None)

    def _answer(self, name: str, path: str, query: str, https: bool) -> tuple[int, bytes]:
        world = self.world
        kind = world_network.endpoint_kind(world, name)
        lowered = path.lower()
        if kind == "crl":  # the CRL; the OCSP responder answers a bare GET with an empty 200
            return (200, DEMO_CRL) if lowered.endswith(".crl") else (200, b"")
        if kind == "mp":
            mp = world.site.management_point(name)
            if mp is not None and mp.https_only and not https:
                return 403, b"403.4 SSL required"
            if lowered.endswith("/sms_mp/.sms_aut") and query.upper() == "MPLIST":
                return 200, _mplist(world)
            if lowered.endswith("/ccm_client/ccmsetup.exe"):
                return (200, DEMO_EXE_MARKER) if mp is None or mp.client_files else (404, b"")
        if kind == "cmg":
            if lowered.endswith("/ccm_proxy_serverauth/aadauthinfo"):
                tenant = (parse_qs(query).get("TenantID") or [""])[0]
                info = world_network.auth_info(world, tenant)
                return (200, json.dumps(info).encode()) if info else (404, b"")
            if lowered.endswith("/ccm_client/ccmsetup.exe"):
                cmg_id = world.site.cmg.id if world.site.cmg else ""
                return (200, DEMO_EXE_MARKER) if f"/{cmg_id}/" in path else (404, b"")
        return 404, b""

    def download(self, url: str, dest: Path, *, timeout: float = 30.0, max_bytes: int = 64 << 20) -> ProbeResult:
        result = self.http_get(url, timeout=timeout)
        if not result.ok:
            return result
        self._host.create_demo_exe(Path(dest))
        return ProbeResult(url, True, None, f"downloaded the simulated ccmsetup.exe to {dest} (demo)", 200,
                           seconds=result.seconds)


def _mplist(world: World) -> bytes:
    entries = "".join(f'<MP Name="{mp.host.upper()}" FQDN="{mp.host}"><Version>{world.site.version.split(".")[2]}'
                      '</Version><Capabilities SchemaVersion="1.0"><Property Name="SSLState" Value="63"/>'
                      '</Capabilities></MP>' for mp in world.site.management_points)
    return f"<MPList>{entries}</MPList>".encode()


# -- the host ---------------------------------------------------------------------------------------------


_INSTALLED_STATES = ("succeeded", "reboot-required")
_INSTALLING_VERSION = re.compile(r"Installing version (\S+) of the client")


class DemoHost(Host):
    is_demo = True

    def __init__(self, preset: str | Path = DEFAULT_PRESET, *, base_dir: str | Path | None = None,
                 outcome: str | None = None, speed: float = 1.0, latency: float = 0.15,
                 uac_cancel: bool | None = None, run_dir: str | Path | None = None,
                 world: NamedWorld | None = None, lab: Any = None) -> None:
        """`preset`: a shipped world's name (= the --demo presets) or a world file; `world` (a NamedWorld,
        e.g. a lab's) replaces it. `outcome` (wizard.core.simulator.OUTCOMES) overrides what the world
        decides; `uac_cancel` overrides the world's `device.uac_cancel`; `lab` is the Lab being trained."""
        self.named_world = world if world is not None else get_preset(preset)
        self.world: World = self.named_world.world
        self.preset = self.named_world.name
        self.lab = lab
        self.lab_hints_used = 0  # hints the trainee revealed (the debrief reports them)
        self.uac_was_cancelled = False  # a launch of this session was refused at the administrator prompt
        if outcome is not None and outcome not in OUTCOMES:
            raise ValueError(f"outcome: unknown simulator outcome {outcome!r}; use one of: {', '.join(OUTCOMES)}")
        self.outcome = outcome  # None: the world decides
        self.speed = speed
        self.uac_cancel = self.world.device.uac_cancel if uac_cancel is None else uac_cancel
        self._restarted = False
        self._launch_offset: int | None = None  # ccmsetup.log size when the simulator was last launched
        self._launched_at: float | None = None  # time.time() of the first launch (see stop_children)
        self._simulated_client: tuple[str, str | None] | None = None  # (outcome state, version) once final
        self._last_verdict: Verdict | None = None
        self._last_argv: list[str] | None = None
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
        if self.world.device.existing_client:
            self._seed_client_logs()

    # -- the world ---------------------------------------------------------------------------------------------

    @property
    def device(self) -> Device:
        return self.world.device

    @property
    def time_scale(self) -> float:
        """How much faster than real time the simulated device runs (the session scales its stall timer)."""
        return self.speed

    @property
    def windows_dir(self) -> Path:
        return self._root / "Windows"

    def sample_command(self) -> str:
        """A command that fits the simulated site (the README's example for the default world)."""
        return self.world.site.sample_command()

    def predict(self, argv: list[str]) -> Verdict:
        """What running ccmsetup with `argv` on this device would end with (no files, no waiting)."""
        return evaluate(list(argv), self.world, outcome=self.outcome)[0]

    def simulated_run(self) -> Verdict | None:
        """The verdict of the last launched run (its finding says why it failed), or None before a launch."""
        with self._lock:
            return self._last_verdict

    def create_demo_exe(self, dest: Path) -> Path:
        """Write the simulated ccmsetup.exe; only files made here verify as Microsoft-signed."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(DEMO_EXE_MARKER)
        with self._lock:
            self._signed.add(dest.resolve())
        return dest

    def _seed_client_logs(self) -> None:
        stamp = datetime.now()
        line = ("[RegTask] - Client is registered. Server assigned ClientID is "
                "GUID:C66EE0FD-08E7-4B38-B282-7E6954B71139. Approval status 3")
        text = (f'<![LOG[{line}]LOG]!><time="{stamp:%H:%M:%S}.000+000" date="{stamp:%m-%d-%Y}" '
                'component="ClientIDManagerStartup" context="" type="1" thread="4312" file="regtask.cpp:1012">\r\n')
        (self.ccm_log_dir() / "ClientIDManagerStartup.log").write_text(text, encoding="utf-8")

    # -- Host -----------------------------------------------------------------------------------------------

    def describe(self) -> str:
        device = self.device
        what = f"lab '{self.lab.name}'" if self.lab is not None else f"preset '{self.preset}'"
        return (f"DEMO device, {what} ({self.named_world.title}): simulated {device.computer_name}, "
                f"{os_info(device).version_text}. Nothing on this computer is changed.")

    def dsregcmd_output(self) -> str:
        return render_dsregcmd(self.device)

    def dsregcmd(self) -> DsregStatus:
        return parse_dsregcmd(self.dsregcmd_output())

    def os_info(self) -> OsInfo:
        return os_info(self.device)

    def is_elevated(self) -> bool:
        return self.device.elevated

    def service(self, name: str) -> ServiceState:
        lowered = name.lower()
        if lowered == "ccmexec":
            client = self.device.existing_client
            if client:
                return ServiceState(name, client.ccmexec)
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
        state = self._simulated_state()
        return state if state is not None and state[0] in _INSTALLED_STATES else None

    def _simulated_state(self) -> tuple[str, str | None] | None:
        """(outcome state, client version) of the last finished simulated run, judged from its log."""
        with self._lock:
            if self._simulated_client is not None:
                return self._simulated_client
            offset = self._launch_offset
        if offset is None and self._reused_run_dir:
            offset = 0  # an earlier demo run's folder (`collect --demo`): judge the last run in its log
        if offset is None:
            return None
        # The log decides (its result line is written just before the service part removes its marker); the
        # marker file is not consulted, so a result is seen as soon as it is written.
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
        return (outcome.state, version) if outcome.final else None

    def _service_running(self) -> bool:
        if self.device.setup_running:
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
        pids: list[int] = [4242] if self.device.setup_running else []
        with self._lock:
            pids += [child.pid for child in self._children if child.poll() is None]
        running = self._service_running()
        return SetupActivity(tuple(pids), ServiceState("ccmsetup", "running") if running else None)

    def retry_task_exists(self) -> bool:
        if self.device.retry_task:
            return True
        state = self._simulated_state()  # a failed install leaves the retry task behind (KB 3123029)
        return state is not None and state[0] == "failed" and self.device.existing_client is None

    def pending_reboot(self) -> list[str]:
        if self._restarted:
            return []
        markers = list(self.device.pending_restart)
        state = self._simulated_state()
        if state is not None and state[0] == "reboot-required":
            markers.append("Configuration Manager client setup: restart requested (return code 7)")
        return list(dict.fromkeys(markers))

    def free_disk_bytes(self) -> int:
        return self.device.free_disk_mb * 1024 * 1024

    def client_info(self) -> ClientInfo | None:
        client = self.device.existing_client
        if not client:
            installed = self._installed_by_simulation()
            if installed is None:
                return None
            return ClientInfo(version=installed[1], site_code=None, ccmexec=self.service("CcmExec"))
        return ClientInfo(version=client.version, site_code=client.site_code, ccmexec=self.service("CcmExec"),
                          last_install_params=client.last_install_params, last_valid_mp=client.last_valid_mp)

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
        return len(drive) == 2 and drive[1] == ":" and drive in self.device.mapped_drives

    def network(self) -> Prober:
        return self._network

    # -- certificates, mapped drives, UAC owner (from the world's device) -----------------------------------

    def client_auth_certificates(self) -> list[CertInfo]:
        return client_certificates(self.device.pki_client_cert)

    def mapped_drives(self) -> list[str]:
        return list(self.device.mapped_drives)

    def unc_path(self, path: str) -> str | None:
        drive = path[:2].upper()
        if drive not in self.device.mapped_drives:
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

    def world_file(self) -> Path:
        """The run folder's copy of the world, which the simulator process reads (written atomically)."""
        path = self._root / WORLD_FILE
        tmp = path.with_name(f"{WORLD_FILE}.{os.getpid()}.tmp")
        tmp.write_text(self.world.model_dump_json(indent=1), encoding="utf-8")
        os.replace(tmp, path)
        (self._root / WORLD_NAME_FILE).write_text(self.preset, encoding="utf-8")
        return path

    def simulator_command(self, argv: list[str]) -> list[str]:
        """How to start the simulator: `python -m wizard.core.simulator` or, frozen, `<app> simulate`."""
        options = ["--log-dir", str(self.log_dir()), "--ccm-log-dir", str(self.ccm_log_dir()),
                   "--world", str(self.world_file()), "--speed", f"{self.speed:g}"]
        if self.outcome is not None:
            options += ["--outcome", self.outcome]
        options += ["--", *argv]
        if getattr(sys, "frozen", False):
            return [sys.executable, "simulate", *options]
        return [sys.executable, "-m", "wizard.core.simulator", *options]

    def launch(self, exe: str | Path, argv: list[str], *, noservice: bool) -> LaunchResult:
        exe_path = Path(exe)
        if not exe_path.is_file():
            return LaunchResult("missing-exe", f"{exe_path} does not exist; choose the ccmsetup.exe to run")
        if self.uac_cancel and not self.device.elevated:
            self.uac_cancel = False  # the next attempt is approved
            self.uac_was_cancelled = True
            return LaunchResult("uac-cancelled", "The administrator prompt (UAC) was cancelled: ccmsetup did not start "
                                                 "and nothing on this device changed (demo).", error_code=1223)
        verdict = self.predict(argv)
        with self._lock:
            self._launch_offset = file_size(self.log_dir() / "ccmsetup.log")
            if self._launched_at is None:
                self._launched_at = time.time()
            self._simulated_client = None
            self._last_verdict = verdict
            self._last_argv = list(argv)
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
        how = "" if self.device.elevated else " after a simulated administrator prompt"
        return LaunchResult("started", f"started the simulated {exe_path.name}{how} (demo process {child.pid})",
                            PopenProcess(child), elevated_via_uac=not self.device.elevated)

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
        """Stop simulator processes still running (GUI exit, tests), and the detached service part."""
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
        if self._launched_at is None:
            return  # nothing was started here: a marker in the folder is another session's
        marker = self.log_dir() / SERVICE_PID_FILE
        try:
            # A marker older than our first launch is left over from an earlier session (its service part was
            # killed): its pid may belong to anything by now.
            if marker.stat().st_mtime < self._launched_at - 1:
                return
            pid = int(marker.read_text(encoding="ascii").strip() or 0)
        except (OSError, ValueError):
            return
        if pid > 0 and pid != os.getpid() and _pid_alive(pid) and _is_simulator(pid):
            _terminate(pid)


def _is_simulator(pid: int) -> bool:
    """Only a simulator process started for this demo is ever stopped (never some other pid reused)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        # no /proc (Windows): the pid came from a marker the simulator wrote during this session (stop_children)
        return sys.platform == "win32"
    return b"--service-part" in cmdline


def _terminate(pid: int) -> None:
    import signal

    with contextlib.suppress(OSError, ValueError):
        os.kill(pid, signal.SIGTERM)


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
    """Validate a --demo value: a preset name or a world file (listing the presets when wrong)."""
    name = str(value)
    get_preset(name)
    return name


__all__ = ["DEFAULT_PRESET", "DemoHost", "PresetError", "SimulatedNetwork", "demo_presets", "get_preset", "os_info",
           "preset_names", "render_dsregcmd"]
