"""Device self-test: every Windows call the product makes, exercised read-only on the device it runs on, as a
standard user, so a new Windows build shows at once whether the ctypes layer and the tools still behave.

Each probe goes through the same Host methods the checks and the install use (WindowsHost on Windows, the demo
host with --demo). Nothing is installed, no prompt is shown; the only write is a throw-away credential in the
user's credential store, deleted again. Off Windows (without --demo) every probe is skipped with the reason.

Report: {"platform", "version", "probes": [{"id", "status": "pass|fail|skipped", "detail", "seconds"}]}.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from wizard import __version__
from wizard.host.base import Host

ProbeStatus = Literal["pass", "fail", "skipped"]


class ProbeSkipped(Exception):
    """The probe does not apply here (the message says why)."""


class ProbeFailed(Exception):
    """The call worked but gave an answer the product could not use (the message says what)."""


@dataclass(frozen=True)
class ProbeOutcome:
    id: str
    status: ProbeStatus
    detail: str
    seconds: float
    title: str = field(default="", compare=False)

    def to_dict(self) -> dict:
        return {"id": self.id, "status": self.status, "detail": self.detail, "seconds": self.seconds}


@dataclass
class SelfTestReport:
    platform: str
    version: str
    probes: list[ProbeOutcome]

    @property
    def failed(self) -> bool:
        return any(p.status == "fail" for p in self.probes)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def to_dict(self) -> dict:
        return {"platform": self.platform, "version": self.version, "probes": [p.to_dict() for p in self.probes]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


@dataclass(frozen=True)
class Probe:
    id: str
    title: str
    run: Callable[[Host, SelfTestOptions], str]


@dataclass
class SelfTestOptions:
    """What the probes may use besides the host: the credential store to round-trip (the app's own store:
    Windows Credential Manager live, memory in demo mode)."""

    credential_store: Callable[[], object] | None = None


# -- the probes ------------------------------------------------------------------------------------------------


def _os_version(host: Host, _options: SelfTestOptions) -> str:
    info = host.os_info()
    if not info.build:
        raise ProbeFailed(f"the build number could not be read from the registry ({info.version_text})")
    return info.version_text


def _elevation(host: Host, _options: SelfTestOptions) -> str:
    return ("elevated (administrator): ccmsetup would start without a prompt" if host.is_elevated()
            else "not elevated: ccmsetup would start through the administrator prompt (UAC)")


# Microsoft-signed executables with an embedded Authenticode signature, as ccmsetup.exe has one (most files in
# System32 are catalog-signed, which WinVerifyTrust on the file alone reports as unsigned).
_SIGNED_CANDIDATES = (
    r"%ProgramFiles(x86)%\Microsoft\Edge\Application\msedge.exe",
    r"%ProgramFiles%\Microsoft\Edge\Application\msedge.exe",
    r"%ProgramFiles%\Windows Defender\MpCmdRun.exe",
    r"%WINDIR%\System32\MRT.exe",
)


def _signed_files(host: Host) -> list[Path]:
    if host.is_demo:
        found = host.find_ccmsetup()
        return [found] if found else []
    return [Path(os.path.expandvars(c)) for c in _SIGNED_CANDIDATES if Path(os.path.expandvars(c)).is_file()]


def _authenticode(host: Host, _options: SelfTestOptions) -> str:
    files = _signed_files(host)
    if not files:
        raise ProbeSkipped("no Microsoft-signed executable with an embedded signature found to check")
    tried = []
    for path in files:
        signature = host.verify_signature(path)
        if signature.status == "valid" and signature.signer:
            verdict = "counts as ccmsetup's signer" if signature.is_microsoft else \
                "a valid signature, not the 'Microsoft Corporation' name ccmsetup carries"
            return f"{path}: valid, signed by '{signature.signer}' ({verdict})"
        tried.append(f"{path}: {signature.status} ({signature.detail})")
    raise ProbeFailed("WinVerifyTrust accepted none of: " + "; ".join(tried))


def _process_list(host: Host, _options: SelfTestOptions) -> str:
    activity = host.setup_activity()
    if activity.error:
        raise ProbeFailed(activity.error)
    own = ""
    api = getattr(host, "api", None)
    if api is not None and hasattr(api, "process_ids"):  # the Win32 layer: our own process must be listed
        image = Path(sys.executable).name
        if os.getpid() not in api.process_ids(image):
            raise ProbeFailed(f"the process snapshot did not list this process ({image}, {os.getpid()})")
        own = f"; this process ({image}, {os.getpid()}) found in the snapshot"
    return f"{activity.describe()}{own}"


def _services(host: Host, _options: SelfTestOptions) -> str:
    states = [host.service("ccmsetup"), host.service("CcmExec")]
    broken = [s for s in states if s.status == "unknown"]
    if broken:
        raise ProbeFailed("; ".join(f"{s.name}: {s.detail or 'state unknown'}" for s in broken))
    return ", ".join(f"{s.name}: {s.status}" for s in states) + " (absent is fine)"


def _registry(host: Host, _options: SelfTestOptions) -> str:
    client = host.client_info()
    where = "no Configuration Manager client" if client is None else \
        f"client {client.version or '(version unknown)'}, site {client.site_code or '(none)'}"
    return f"{where}; CCM log folder {host.ccm_log_dir()}"


def _dsregcmd(host: Host, _options: SelfTestOptions) -> str:
    status = host.dsregcmd()
    if status.error:
        raise ProbeFailed(status.error)
    extras = [name for name, value in (("DeviceAuthStatus", status.device_auth_status),
                                       ("device certificate", status.device_cert_valid_to),
                                       ("PRT update time", status.prt_update_time),
                                       ("join diagnostics", status.join_diagnostics.present or None)) if value]
    codepage = ""
    api = getattr(host, "api", None)
    if api is not None and hasattr(api, "oem_codepage"):
        page = api.oem_codepage()
        try:
            "".encode(f"cp{page}")
        except LookupError as exc:
            raise ProbeFailed(f"the OEM code page {page} has no Python codec: dsregcmd output cannot be read") \
                from exc
        codepage = f"; output read in the OEM code page cp{page}"
    tenant = f", tenant {status.tenant_name}" if status.tenant_name else ""
    also = f"; also read: {', '.join(extras)}" if extras else ""
    return f"{status.join_state}{tenant}{also}{codepage}"


def _retry_task(host: Host, _options: SelfTestOptions) -> str:
    task = host.retry_task_state()
    return task.state + (f" ({task.detail})" if task.detail else "")


def _pending_restart(host: Host, _options: SelfTestOptions) -> str:
    markers = host.pending_reboot()
    return "restart pending: " + ", ".join(markers) if markers else "no restart pending"


def _log_folders(host: Host, _options: SelfTestOptions) -> str:
    parts = []
    for folder in (host.log_dir(), host.ccm_log_dir()):
        try:
            count = len(os.listdir(folder))
        except FileNotFoundError:
            parts.append(f"{folder}: absent (no client or ccmsetup yet)")
        except PermissionError:
            parts.append(f"{folder}: not readable without elevation (the wizard says so when it follows a log)")
        else:
            parts.append(f"{folder}: readable, {count} entries")
    return "; ".join(parts)


def _keyring(host: Host, options: SelfTestOptions) -> str:
    if options.credential_store is None:
        raise ProbeSkipped("no credential store given")
    store = options.credential_store()
    key = f"selftest-{uuid.uuid4().hex[:12]}"
    # 1,280 characters: the most Windows Credential Manager takes (2,560 bytes as UTF-16), which the wizard allows
    value = ("ccmsetup-wizard self-test " + uuid.uuid4().hex) * 40
    value = value[:1280]
    try:
        store.set(key, value)
        read_back = store.get(key)
    finally:
        store.delete(key)
    left = store.get(key)
    where = getattr(store, "description", "")
    if read_back != value:
        raise ProbeFailed(f"the value read back differs from the one written ({where})")
    if left is not None:
        raise ProbeFailed(f"the throw-away credential {key} could not be deleted ({where})")
    if not getattr(store, "secure", False) and not host.is_demo:
        raise ProbeFailed(f"the credential store is not usable: {where}")
    return f"wrote, read back and deleted a 1,280-character throw-away credential; {where}"


def _mapped_drives(host: Host, _options: SelfTestOptions) -> str:
    drives = host.mapped_drives()
    if not drives:
        raise ProbeSkipped("no mapped network drive in this session")
    names = {drive: host.unc_path(drive + "\\") for drive in drives}
    missing = [d for d, unc in names.items() if not unc]
    if missing:
        raise ProbeFailed("WNetGetUniversalNameW named no share for " + ", ".join(missing))
    return "; ".join(f"{d} -> {unc}" for d, unc in names.items())


def _uac_owner(host: Host, _options: SelfTestOptions) -> str:
    return "the administrator prompt would be owned by " + host.uac_owner() + "; this test shows no prompt"


def _disk(host: Host, _options: SelfTestOptions) -> str:
    return f"{host.free_disk_bytes() / 2**30:.1f} GB free on the system drive for this user"


def _certificates(host: Host, _options: SelfTestOptions) -> str:
    certificates = host.client_auth_certificates()
    if not certificates:
        return "no client-authentication certificate in LocalMachine\\My"
    usable = [c for c in certificates if c.usable()]
    return (f"{len(certificates)} with the client-authentication EKU, {len(usable)} usable: "
            + "; ".join(f"{c.describe()}" + ("" if c.usable() else f" ({', '.join(c.problems())})")
                        for c in certificates))


def _revocation_engine(host: Host, _options: SelfTestOptions) -> str:
    from wizard.host.netprobe import ServerCertificate

    certificate = None
    if host.is_demo:
        from wizard.host.demo_pki import DEMO_SERVER_CERTIFICATE

        certificate = DEMO_SERVER_CERTIFICATE
    else:
        import ssl

        # a trusted root: its chain is itself, and revocation is not checked for roots, so nothing is fetched
        roots = [der for der, encoding, _trust in getattr(ssl, "enum_certificates", lambda name: [])("ROOT")
                 if encoding == "x509_asn"]
        if not roots:
            raise ProbeSkipped("no certificate in the ROOT store to build a chain for")
        certificate = ServerCertificate(der=roots[0], subject="a trusted root certificate")
    result = host.network().revocation(certificate, timeout=5)
    if result.status == "not-checked":
        raise ProbeFailed(result.detail)
    return f"{result.status}: {result.detail}"


PROBES: tuple[Probe, ...] = (
    Probe("os-version", "Windows version from the registry", _os_version),
    Probe("token-elevation", "Token elevation (GetTokenInformation)", _elevation),
    Probe("authenticode", "WinVerifyTrust and the signer name of a Microsoft-signed file", _authenticode),
    Probe("process-list", "Process list (CreateToolhelp32Snapshot) and the ccmsetup service", _process_list),
    Probe("services", "Service queries: ccmsetup, CcmExec", _services),
    Probe("registry", "Registry keys the wizard reads (client, CCMSetup, CCM logging)", _registry),
    Probe("dsregcmd", "dsregcmd /status, decoded and parsed", _dsregcmd),
    Probe("retry-task", "Retry task query (Task Scheduler index, task file, schtasks)", _retry_task),
    Probe("pending-restart", "Pending restart keys", _pending_restart),
    Probe("log-folders", "Log folders readable", _log_folders),
    Probe("keyring", "Credential store round trip (throw-away credential, deleted)", _keyring),
    Probe("mapped-drives", "UNC name of a mapped drive (WNetGetUniversalNameW)", _mapped_drives),
    Probe("uac-owner", "Owner window for the administrator prompt (not shown)", _uac_owner),
    Probe("disk-free", "Free disk space (GetDiskFreeSpaceExW)", _disk),
    Probe("client-certificates", "Client-authentication certificates in LocalMachine\\My (crypt32)", _certificates),
    Probe("revocation-engine", "Certificate chain with revocation (CertGetCertificateChain)", _revocation_engine),
)


def platform_text(host: Host | None) -> str:
    system = f"{platform.system()} {platform.release()} ({platform.version()}), {platform.machine()}, " \
             f"Python {platform.python_version()}"
    if host is not None and host.is_demo:
        return f"DEMO device (preset {host.preset}) on {system}"
    return system


def run_selftest(host: Host | None, *, options: SelfTestOptions | None = None,
                 on_probe: Callable[[Probe, ProbeOutcome], None] | None = None) -> SelfTestReport:
    """Run every probe against `host` (None: not on Windows and no demo, so every probe is skipped)."""
    options = options or SelfTestOptions()
    outcomes = []
    for probe in PROBES:
        started = time.monotonic()
        if host is None:
            status, detail = "skipped", (f"not Windows ({platform.system() or sys.platform}): this probe exercises a "
                                         "Windows call; run the self-test on the Windows device, or use --demo")
        else:
            try:
                status, detail = "pass", probe.run(host, options)
            except ProbeSkipped as exc:
                status, detail = "skipped", str(exc)
            except ProbeFailed as exc:
                status, detail = "fail", str(exc)
            except Exception as exc:  # a broken call is exactly what the self-test is for: report it
                status, detail = "fail", f"{type(exc).__name__}: {exc}"
        outcome = ProbeOutcome(probe.id, status, detail, round(time.monotonic() - started, 3), probe.title)
        outcomes.append(outcome)
        if on_probe is not None:
            on_probe(probe, outcome)
    return SelfTestReport(platform_text(host), __version__, outcomes)


def selftest_host(demo: str | None) -> Host | None:
    """The host the self-test runs against: the demo host for a preset, the Windows host on Windows, else None.
    Raises demo.PresetError for an unknown preset."""
    if demo is None and sys.platform != "win32":
        return None
    from wizard.host import get_host

    return get_host(demo)


def default_options(host: Host | None) -> SelfTestOptions:
    """The app's own credential store: memory in demo mode (the demo never touches the real keyring), the
    system keyring live."""
    if host is not None and host.is_demo:
        from wizard.host.credentials import MemoryStore

        return SelfTestOptions(credential_store=MemoryStore)
    from wizard.host.credentials import open_credential_store

    return SelfTestOptions(credential_store=open_credential_store)


def selftest_json_bytes(host: Host) -> bytes:
    """The self-test of `host` as JSON for the evidence zip; never raises (a failure is reported inside)."""
    try:
        report = run_selftest(host, options=default_options(host))
        return (report.to_json() + "\n").encode("utf-8")
    except Exception as exc:  # the evidence bundle must be written whatever happens here
        return (json.dumps({"platform": platform_text(None), "version": __version__, "probes": [],
                            "error": f"{type(exc).__name__}: {exc}"}, indent=2) + "\n").encode("utf-8")


__all__ = ["PROBES", "Probe", "ProbeOutcome", "SelfTestOptions", "SelfTestReport", "default_options",
           "run_selftest", "selftest_host", "selftest_json_bytes"]
