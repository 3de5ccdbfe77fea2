"""The machine seam: one interface for everything the wizard asks of the device.

Two implementations: `WindowsHost` (windows.py, the real device) and `DemoHost` (demo.py, a simulated device
for training and for Linux/macOS). Checks, the install session and the evidence bundle only talk to `Host`.
"""

from __future__ import annotations

import abc
import contextlib
import datetime
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from wizard.host.netprobe import Prober


@dataclass(frozen=True)
class JoinDiagnostics:
    """The pre-join "Diagnostic Data" block dsregcmd prints when a domain joined device failed to hybrid join
    (troubleshoot-device-dsregcmd, "Pre-join diagnostics"). Every field is None when dsregcmd did not print it."""

    error_phase: str | None = None  # pre-check, discover, auth, join
    client_error_code: str | None = None  # HRESULT, e.g. 0x801c0021
    server_error_code: str | None = None  # e.g. DirectoryError
    server_message: str | None = None
    http_status: str | None = None
    drs_discovery_test: str | None = None  # PASS, or FAIL [0x801c0021/0x801c000c]
    previous_registration: str | None = None
    user_context: str | None = None  # SYSTEM, UN-ELEVATED User, ELEVATED User

    @property
    def present(self) -> bool:
        return any(value is not None for value in self.__dict__.values())


@dataclass(frozen=True)
class PrtDiagnostics:
    """The "AcquirePrtDiagnostics"/"RefreshPrtDiagnostics" block of the SSO State section: the last failed PRT
    attempt after the last successful update (Windows 10 21H1 and later)."""

    kind: str = ""  # "acquire" or "refresh"
    attempt_time: str | None = None
    attempt_status: str | None = None  # client HRESULT, e.g. 0xc000006d
    http_status: str | None = None
    server_error_code: str | None = None  # e.g. invalid_grant
    server_error_description: str | None = None  # e.g. AADSTS50126: ...
    endpoint: str | None = None


@dataclass(frozen=True)
class DsregStatus:
    """`dsregcmd /status` read by key. Tri-state fields are True/False, or None when the key was absent (or
    showed only a placeholder such as `-`, `n/a` or nothing)."""

    azure_ad_joined: bool | None = None
    enterprise_joined: bool | None = None
    domain_joined: bool | None = None
    workplace_joined: bool | None = None
    azure_ad_prt: bool | None = None
    tenant_id: str | None = None
    tenant_name: str | None = None
    domain_name: str | None = None
    device_id: str | None = None
    device_name: str | None = None
    device_auth_status: str | None = None  # SUCCESS, "FAILED. Device is either disabled or deleted", "FAILED. ERROR"
    # Device Details / SSO State / diagnostics (issue 15): parsed so the Entra checks can explain what they find
    device_cert_valid_from: datetime.datetime | None = None  # DeviceCertificateValidity, UTC
    device_cert_valid_to: datetime.datetime | None = None
    tpm_protected: bool | None = None
    key_sign_test: str | None = None  # PASSED / FAILED (needs elevation; absent otherwise)
    aad_recovery_enabled: bool | None = None
    prt_update_time: datetime.datetime | None = None  # AzureAdPrtUpdateTime, UTC
    prt_expiry_time: datetime.datetime | None = None
    session_is_not_remote: bool | None = None
    mdm_url: str | None = None
    join_diagnostics: JoinDiagnostics = field(default_factory=JoinDiagnostics)
    prt_diagnostics: tuple[PrtDiagnostics, ...] = ()
    # section name -> {key: value}, in the order dsregcmd printed them (placeholders left out)
    sections: dict[str, dict[str, str]] = field(default_factory=dict)
    raw: str = ""
    error: str | None = None  # set when dsregcmd could not be run or printed nothing usable

    @property
    def join_state(self) -> str:
        """Human name of the join state (truth table from the dsregcmd troubleshooting doc). A key dsregcmd did
        not print is unknown, never read as NO."""
        aad, ent, dom = self.azure_ad_joined, self.enterprise_joined, self.domain_joined
        if aad and dom:
            return "Microsoft Entra hybrid joined"
        if aad and dom is None:
            return "Microsoft Entra joined (domain join state not shown)"
        if aad:
            return "Microsoft Entra joined"
        if ent and dom:
            return "On-premises DRS joined"
        if dom:
            return "Domain joined (not Entra joined)"
        if self.workplace_joined:
            return "Microsoft Entra registered only (not joined)"
        if aad is None:
            return "Join state unknown (dsregcmd did not show AzureAdJoined)"
        return "Not joined"

    @property
    def device_disabled(self) -> bool:
        """DeviceAuthStatus says the device object is disabled or deleted in Entra ID."""
        text = (self.device_auth_status or "").upper()
        return text.startswith("FAILED") and ("DISABLED" in text or "DELETED" in text)

    @property
    def has_user_state(self) -> bool:
        """User/SSO sections are per signed-in user; they are absent when run as SYSTEM."""
        return self.azure_ad_prt is not None


TaskPresence = Literal["present", "absent", "unknown"]


@dataclass(frozen=True)
class TaskState:
    """Whether a scheduled task exists: "unknown" when no source could tell (a standard user may be denied the
    Task Scheduler's index, its task files and schtasks alike); `detail` says why."""

    state: TaskPresence
    detail: str = ""


CLIENT_AUTH_EKU = "1.3.6.1.5.5.7.3.2"  # id-kp-clientAuth


@dataclass(frozen=True)
class CertInfo:
    """A certificate with the client-authentication EKU in the computer's Personal store (LocalMachine\\My),
    the kind ccmsetup picks to install as a PKI client."""

    subject: str
    issuer: str
    thumbprint: str
    not_before: datetime.datetime | None  # UTC
    not_after: datetime.datetime | None  # UTC
    has_private_key: bool
    chain_trusted: bool | None  # None: the chain could not be built at all
    chain_detail: str = ""
    store: str = "LocalMachine\\My"

    def problems(self, now: datetime.datetime | None = None) -> list[str]:
        """Why the client would not use this certificate (empty: it is usable)."""
        now = now or datetime.datetime.now(datetime.UTC)
        found = []
        if self.not_after is not None and now > self.not_after:
            found.append(f"expired on {self.not_after:%Y-%m-%d}")
        if self.not_before is not None and now < self.not_before:
            found.append(f"not valid before {self.not_before:%Y-%m-%d}")
        if not self.has_private_key:
            found.append("no private key on this device")
        if self.chain_trusted is False:
            found.append("its chain does not end in a trusted root" + (f" ({self.chain_detail})"
                                                                       if self.chain_detail else ""))
        elif self.chain_trusted is None:
            found.append("its chain could not be built" + (f" ({self.chain_detail})" if self.chain_detail else ""))
        return found

    def usable(self, now: datetime.datetime | None = None) -> bool:
        return not self.problems(now)

    def describe(self) -> str:
        expires = f", expires {self.not_after:%Y-%m-%d}" if self.not_after else ""
        return f"'{self.subject}' issued by '{self.issuer}'{expires} (thumbprint {self.thumbprint})"


@dataclass(frozen=True)
class OsInfo:
    product: str  # e.g. "Windows 11 Enterprise", "Windows Server 2022 Standard"
    build: int  # 26100
    ubr: int = 0  # update build revision
    display_version: str = ""  # "24H2"
    is_server: bool = False
    architecture: str = ""  # "AMD64", "ARM64"

    @property
    def version_text(self) -> str:
        rev = f".{self.ubr}" if self.ubr else ""
        dv = f" {self.display_version}" if self.display_version else ""
        return f"{self.product}{dv} (10.0.{self.build}{rev})"


ServiceStatus = Literal["running", "stopped", "starting", "stopping", "paused", "not-installed", "unknown"]


@dataclass(frozen=True)
class ServiceState:
    name: str
    status: ServiceStatus
    detail: str = ""

    @property
    def exists(self) -> bool:
        return self.status != "not-installed"

    @property
    def active(self) -> bool:
        return self.status in ("running", "starting", "stopping", "paused")


@dataclass(frozen=True)
class ClientInfo:
    """An installed Configuration Manager client."""

    version: str | None
    site_code: str | None
    ccmexec: ServiceState
    last_install_params: str | None = None  # HKLM\SOFTWARE\Microsoft\CCMSetup LastSuccessfulInstallParams
    last_valid_mp: str | None = None


MICROSOFT_SIGNER = "Microsoft Corporation"

SignatureStatus = Literal["valid", "unsigned", "invalid", "untrusted", "missing", "error"]


@dataclass(frozen=True)
class SignatureInfo:
    status: SignatureStatus
    signer: str | None = None
    detail: str = ""

    @property
    def is_microsoft(self) -> bool:
        """Valid Authenticode signature by Microsoft Corporation, ccmsetup.exe's signer (what we require before
        elevating). The exact name: a certificate for "Microsoft Support Ltd" must not pass."""
        return self.status == "valid" and (self.signer or "").strip() == MICROSOFT_SIGNER


@dataclass(frozen=True)
class SetupActivity:
    """ccmsetup processes/service currently present on the device."""

    process_ids: tuple[int, ...] = ()
    service: ServiceState | None = None
    error: str = ""  # the process list could not be read (the ids above may then be incomplete)

    @property
    def running(self) -> bool:
        return bool(self.process_ids) or bool(self.service and self.service.active)

    def describe(self) -> str:
        parts = []
        if self.process_ids:
            parts.append("ccmsetup process " + ", ".join(str(p) for p in self.process_ids))
        if self.service and self.service.active:
            parts.append(f"ccmsetup service ({self.service.status})")
        return " and ".join(parts) if parts else "no ccmsetup process or service"


class ProcessHandle(Protocol):
    """A launched process we may wait on. `poll()` returns the exit code or None while it runs."""

    pid: int | None

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int | None: ...

    def close(self) -> None: ...


LaunchStatus = Literal["started", "uac-cancelled", "missing-exe", "unsigned-exe", "already-running", "failed-to-start"]

ERROR_CANCELLED = 1223  # ShellExecuteExW: the user answered No on the UAC prompt


@dataclass
class LaunchResult:
    status: LaunchStatus
    message: str
    process: ProcessHandle | None = None
    elevated_via_uac: bool = False
    error_code: int | None = None  # Win32 error for failed-to-start / 1223 for uac-cancelled

    @property
    def started(self) -> bool:
        return self.status == "started"

    @property
    def exit_code(self) -> int | None:
        """Process exit code to use when the launch itself did not start ccmsetup (CLI exit code)."""
        return {
            "uac-cancelled": ERROR_CANCELLED,
            "already-running": 8,  # ccmsetup's own "setup already running" code
            "missing-exe": 2,
            "unsigned-exe": 2,
            "failed-to-start": 1,
        }.get(self.status)


class PopenProcess:
    """subprocess.Popen as a ProcessHandle."""

    def __init__(self, popen: Any) -> None:
        self._popen = popen
        self.pid = popen.pid

    def poll(self) -> int | None:
        return self._popen.poll()

    def wait(self, timeout: float | None = None) -> int | None:
        try:
            return self._popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def close(self) -> None:
        for stream in (self._popen.stdin, self._popen.stdout, self._popen.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def new_run_dir(base_dir: Path | None, kind: str) -> Path:
    """A fresh timestamped folder under `base_dir` (default: the user cache dir / kind)."""
    if base_dir is None:
        import platformdirs

        base_dir = Path(platformdirs.user_cache_dir("ccmsetup-wizard", appauthor=False)) / kind
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    for suffix in range(1000):
        candidate = base_dir / (stamp if suffix == 0 else f"{stamp}-{suffix}")
        try:
            candidate.mkdir(parents=True, exist_ok=False)
            return candidate
        except FileExistsError:
            continue
    raise OSError(f"cannot create a run folder under {base_dir}")


class Host(abc.ABC):
    """Everything the wizard reads from or does to the device."""

    is_demo: bool = False
    preset: str | None = None

    @abc.abstractmethod
    def describe(self) -> str:
        """One line naming the device (and, for the demo host, DEMO and the preset)."""

    @abc.abstractmethod
    def dsregcmd(self) -> DsregStatus: ...

    @abc.abstractmethod
    def os_info(self) -> OsInfo: ...

    @abc.abstractmethod
    def is_elevated(self) -> bool: ...

    @abc.abstractmethod
    def service(self, name: str) -> ServiceState: ...

    @abc.abstractmethod
    def setup_activity(self) -> SetupActivity:
        """ccmsetup processes and the ccmsetup service present now."""

    def setup_running(self) -> bool:
        """A ccmsetup process or the ccmsetup service is there. Raises OSError when that cannot be told (neither
        the process list nor the service could be read): the followers then keep following instead of taking
        "cannot tell" for "gone"."""
        activity = self.setup_activity()
        service = activity.service
        if not activity.running and activity.error and service is not None and service.status == "unknown":
            raise OSError(f"whether ccmsetup still runs cannot be told: {activity.error}; {service.detail}")
        return activity.running

    @abc.abstractmethod
    def retry_task_exists(self) -> bool:
        """The scheduled task "Configuration Manager Client Retry Task" exists (False also when unknown: use
        retry_task_state() to tell absent from unreadable)."""

    def retry_task_state(self) -> TaskState:
        """Present, absent, or unknown (could not be read) with the reason."""
        return TaskState("present" if self.retry_task_exists() else "absent")

    def client_auth_certificates(self) -> list[CertInfo]:
        """Certificates with the client-authentication EKU in LocalMachine\\My, valid or not (see
        CertInfo.problems). A device with a usable one installs as a PKI client (facts section 0)."""
        return []

    def mapped_drives(self) -> list[str]:
        """Drive letters ("Z:") mapped to network shares in this session."""
        return []

    def unc_path(self, path: str) -> str | None:
        """`path` on a mapped drive as a UNC path (\\\\server\\share\\...), or None when it is not on a mapped
        drive or the share cannot be named."""
        return None

    def uac_owner(self) -> str:
        """Which window the administrator prompt (UAC) would be owned by, in words (self-test; never prompts)."""
        return "not applicable on this device"

    @abc.abstractmethod
    def pending_reboot(self) -> list[str]:
        """Names of the pending-reboot markers found (empty: no restart pending)."""

    @abc.abstractmethod
    def free_disk_bytes(self) -> int:
        """Free bytes on the system drive."""

    @abc.abstractmethod
    def client_info(self) -> ClientInfo | None: ...

    @abc.abstractmethod
    def verify_signature(self, path: str | Path) -> SignatureInfo: ...

    @abc.abstractmethod
    def log_dir(self) -> Path:
        """%WinDir%\\ccmsetup\\Logs"""

    @abc.abstractmethod
    def ccm_log_dir(self) -> Path:
        """%WinDir%\\CCM\\Logs"""

    @abc.abstractmethod
    def is_network_drive(self, path: str) -> bool:
        """The drive letter of `path` is a mapped network drive (invisible to an elevated process)."""

    @abc.abstractmethod
    def network(self) -> Prober:
        """The network prober checks use (real sockets, or the demo's simulated network)."""

    @abc.abstractmethod
    def find_ccmsetup(self, hint: str | Path | None = None) -> Path | None:
        """The ccmsetup.exe to use: `hint` if it exists, else one beside the wizard or the profile."""

    @abc.abstractmethod
    def run_dir(self) -> Path:
        """A per-run working folder (downloads, demo device files)."""

    @abc.abstractmethod
    def launch(self, exe: str | Path, argv: list[str], *, noservice: bool) -> LaunchResult:
        """Start ccmsetup (elevated when the wizard is not). UAC cancel is its own result."""

    @abc.abstractmethod
    def restart(self) -> None:
        """Restart the device (asks nothing: the caller confirmed)."""

    @abc.abstractmethod
    def open_folder(self, path: str | Path) -> None: ...

    def dsregcmd_output(self) -> str:
        """Raw `dsregcmd /status` text for the evidence bundle."""
        status = self.dsregcmd()
        return status.raw or (status.error or "")
