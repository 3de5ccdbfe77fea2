"""The real device: Windows. Every OS call goes through `self.api` (winapi.Win32Api by default) so the decision
code below runs on Linux in tests with a fake layer."""

from __future__ import annotations

import contextlib
import csv
import datetime
import itertools
import ntpath
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from wizard.host import winapi, wincrypt
from wizard.host.base import (
    CLIENT_AUTH_EKU,
    ERROR_CANCELLED,
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
    TaskState,
    new_run_dir,
)
from wizard.host.dsregcmd import decode_console_output, parse_dsregcmd
from wizard.host.netprobe import (
    CRYPT_E_REVOCATION_OFFLINE,
    CRYPT_E_REVOKED,
    DEFAULT_TIMEOUT,
    NetProbe,
    Prober,
    RevocationResult,
    ServerCertificate,
)

# KB 3123029: ccmsetup registers its retry task in the Task Scheduler folder \Microsoft\Microsoft\Configuration
# Manager (facts file section 0), not in the root folder.
RETRY_TASK_FOLDER = r"\Microsoft\Microsoft\Configuration Manager"
RETRY_TASK_NAME = RETRY_TASK_FOLDER + r"\Configuration Manager Client Retry Task"
RETRY_TASK_NAMES = (RETRY_TASK_NAME,)
# The Task Scheduler's own index: one key per task, named by its path (no localized text involved)
_TASK_CACHE_TREE = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Schedule\TaskCache\Tree"
CCMSETUP_SERVICE = "ccmsetup"
CCMEXEC_SERVICE = "CcmExec"

_SERVICE_STATES = {1: "stopped", 2: "starting", 3: "stopping", 4: "running", 5: "starting", 6: "stopping", 7: "paused"}

_REBOOT_KEYS = (
    (r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending",
     "Component Based Servicing: RebootPending"),
    (r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired",
     "Windows Update: RebootRequired"),
)
_SESSION_MANAGER = r"HKLM\SYSTEM\CurrentControlSet\Control\Session Manager"
_RENAME_VALUES = ("PendingFileRenameOperations", "PendingFileRenameOperations2")
_CURRENT_VERSION = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion"
_MOBILE_CLIENT = r"HKLM\SOFTWARE\Microsoft\SMS\Mobile Client"
_CCMSETUP_KEY = r"HKLM\SOFTWARE\Microsoft\CCMSetup"
_CCM_LOGGING = r"HKLM\SOFTWARE\Microsoft\CCM\Logging\@Global"

# Authenticode results named for a technician
_TRUST_TEXT = {
    winapi.TRUST_E_NOSIGNATURE: ("unsigned", "the file carries no Authenticode signature"),
    winapi.TRUST_E_SUBJECT_FORM_UNKNOWN: ("unsigned", "the file type cannot carry a signature"),
    winapi.TRUST_E_BAD_DIGEST: ("invalid", "the file was modified after it was signed (digest mismatch)"),
    winapi.TRUST_E_EXPLICIT_DISTRUST: ("untrusted", "the signing certificate is explicitly distrusted"),
    winapi.TRUST_E_SUBJECT_NOT_TRUSTED: ("untrusted", "the signature is not trusted on this device"),
    winapi.CERT_E_UNTRUSTEDROOT: ("untrusted", "the signature chains to a root this device does not trust"),
    winapi.CERT_E_CHAINING: ("untrusted", "the signing certificate chain cannot be built"),
    winapi.CERT_E_EXPIRED: ("invalid", "the signing certificate expired and the signature has no timestamp"),
    winapi.CERT_E_REVOKED: ("invalid", "the signing certificate was revoked"),
    winapi.CRYPT_E_SECURITY_SETTINGS: ("untrusted", "local security policy blocks this signature"),
    winapi.TRUST_E_PROVIDER_UNKNOWN: ("error", "Windows has no trust provider to check this file"),
    winapi.TRUST_E_ACTION_UNKNOWN: ("error", "Windows cannot run the Authenticode check on this file"),
    winapi.TRUST_E_CERT_SIGNATURE: ("invalid", "the signing certificate's own signature does not verify"),
    winapi.TRUST_E_NO_SIGNER_CERT: ("invalid", "the signature names no signing certificate"),
    winapi.TRUST_E_TIME_STAMP: ("invalid", "the signature's timestamp does not verify"),
    winapi.TRUST_E_FAIL: ("invalid", "the signature does not verify"),
    winapi.CERT_E_UNTRUSTEDTESTROOT: ("untrusted", "the signature chains to a test root"),
    winapi.CERT_E_WRONG_USAGE: ("untrusted", "the signing certificate is not valid for code signing"),
    winapi.CERT_E_REVOCATION_FAILURE: ("untrusted", "the revocation status of the signing certificate is unknown"),
    winapi.CRYPT_E_FILE_ERROR: ("error", "the file could not be read to check its signature"),
    winapi.E_ACCESSDENIED: ("error", "access to the file was denied while checking its signature"),
    winapi.HRESULT_SHARING_VIOLATION: ("error", "another program has the file open; try again"),
}

# WaitForSingleObject is called in slices so that poll() and close() from other threads never wait on a
# thread blocked in an INFINITE wait
_WAIT_SLICE_MS = 250


class WinProcess:
    """A process started through ShellExecuteExW: its handle, waited on with WaitForSingleObject."""

    def __init__(self, api: Any, handle: int) -> None:
        self._api = api
        self._handle: int | None = handle
        self._lock = threading.Lock()
        self._exit: int | None = None
        self.pid = api.process_id(handle)

    def poll(self) -> int | None:
        return self.wait(0)

    def wait(self, timeout: float | None = None) -> int | None:
        deadline = None if timeout is None else time.monotonic() + max(0.0, timeout)
        while True:
            with self._lock:
                if self._exit is not None or self._handle is None:
                    return self._exit
                left_ms = _WAIT_SLICE_MS if deadline is None else \
                    min(_WAIT_SLICE_MS, max(0, int((deadline - time.monotonic()) * 1000)))
                try:
                    ended = self._api.wait_process(self._handle, left_ms)
                except OSError:
                    return None  # the wait itself failed: still unknown, the log decides
                if ended:
                    # None when Windows cannot report the code: the next poll asks again
                    self._exit = self._api.exit_code(self._handle)
                    return self._exit
            if deadline is not None and time.monotonic() >= deadline:
                return None

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                try:
                    self._api.close_handle(self._handle)
                finally:
                    self._handle = None

    def __del__(self) -> None:  # a forgotten handle is still closed
        with contextlib.suppress(Exception):
            self.close()


class WindowsHost(Host):
    is_demo = False
    preset = None

    def __init__(self, api: Any | None = None, *, base_dir: str | Path | None = None,
                 prober: Prober | None = None) -> None:
        self.api = api if api is not None else winapi.Win32Api()
        self._base_dir = Path(base_dir) if base_dir else None
        self._run_dir: Path | None = None
        self._prober = prober or WindowsNetProbe(self.api)
        self._staged = itertools.count(1)

    def _system_tool(self, name: str) -> str:
        """Full path of a Windows tool. By bare name CreateProcess would first look beside python.exe and in the
        current folder (a USB stick, a download folder), so a planted dsregcmd.exe or shutdown.exe would run."""
        windir = self.api.windir()
        # a 32-bit Python on 64-bit Windows is redirected from System32 to SysWOW64; Sysnative is the way back
        native = windir / "Sysnative" / name
        return str(native if native.is_file() else windir / "System32" / name)

    def _system32(self) -> Path:
        """The native System32 folder, also for a 32-bit Python on 64-bit Windows (whose System32 is SysWOW64,
        which has a Tasks folder of its own that never holds ccmsetup's task)."""
        windir = self.api.windir()
        native = windir / "Sysnative"
        return native if native.is_dir() else windir / "System32"

    # -- identity -------------------------------------------------------------------------------------------

    def describe(self) -> str:
        info = self.os_info()
        name = os.environ.get("COMPUTERNAME", "this device")
        elevated = "elevated" if self._safe_elevated() else "not elevated"
        return f"{name}: {info.version_text}, {elevated}"

    def _safe_elevated(self) -> bool:
        try:
            return self.is_elevated()
        except OSError:
            return False

    def os_info(self) -> OsInfo:
        value = self.api.reg_value
        build = _int(value(_CURRENT_VERSION, "CurrentBuildNumber") or value(_CURRENT_VERSION, "CurrentBuild"))
        ubr = _int(value(_CURRENT_VERSION, "UBR"))
        product = str(value(_CURRENT_VERSION, "ProductName") or "Windows")
        install_type = str(value(_CURRENT_VERSION, "InstallationType") or "")
        is_server = "server" in install_type.lower() or "server" in product.lower()
        if not is_server and build >= 22000 and product.startswith("Windows 10"):
            product = "Windows 11" + product[len("Windows 10"):]  # Windows 11 still writes "Windows 10" here
        arch = os.environ.get("PROCESSOR_ARCHITEW6432") or os.environ.get("PROCESSOR_ARCHITECTURE", "")
        return OsInfo(product=product, build=build, ubr=ubr,
                      display_version=str(value(_CURRENT_VERSION, "DisplayVersion") or
                                          value(_CURRENT_VERSION, "ReleaseId") or ""),
                      is_server=is_server, architecture=arch)

    def is_elevated(self) -> bool:
        return bool(self.api.is_elevated())

    # -- Entra ----------------------------------------------------------------------------------------------

    def dsregcmd(self) -> DsregStatus:
        try:
            code, output = self.api.run([self._system_tool("dsregcmd.exe"), "/status"], 30)
        except FileNotFoundError:
            return DsregStatus(error="dsregcmd.exe was not found (it ships with Windows 10 and later)")
        except OSError as exc:
            return DsregStatus(error=f"dsregcmd.exe could not run: {exc}")
        except Exception as exc:  # subprocess.TimeoutExpired and friends
            return DsregStatus(error=f"dsregcmd.exe did not finish: {exc}")
        text = decode_console_output(output, self._oem_codepage())
        status = parse_dsregcmd(text)
        if code != 0 and status.error:
            return DsregStatus(raw=text, error=f"dsregcmd.exe exited with {code}: {text.strip()[:300]}")
        return status

    def _oem_codepage(self) -> int | None:
        try:
            return self.api.oem_codepage()
        except OSError:
            return None

    # -- services, processes, tasks -------------------------------------------------------------------------

    def service(self, name: str) -> ServiceState:
        try:
            code = self.api.service_state(name)
        except OSError as exc:
            return ServiceState(name, "unknown", f"cannot query the {name} service: {exc}")
        if code is None:
            return ServiceState(name, "not-installed")
        return ServiceState(name, _SERVICE_STATES.get(int(code), "unknown"))  # type: ignore[arg-type]

    def setup_activity(self) -> SetupActivity:
        error = ""
        try:
            pids = tuple(self.api.process_ids("ccmsetup.exe"))
        except OSError as exc:
            pids, error = (), f"the process list could not be read: {exc}"
        service = self.service(CCMSETUP_SERVICE)
        return SetupActivity(process_ids=pids, service=service if service.exists else None, error=error)

    def retry_task_exists(self) -> bool:
        return self.retry_task_state().state == "present"

    def retry_task_state(self) -> TaskState:
        r"""Present/absent from the first source that can tell, else unknown (never "absent" by default).

        1. the Task Scheduler's registry index (TaskCache\Tree): not-found there is authoritative;
        2. the task file under %WinDir%\System32\Tasks (a standard user may look a name up without listing);
        3. schtasks: exit 0 is "found"; a failure may be "not found" or "access denied", told apart only by its
           (localized) message, so only the English "cannot find" counts as absent.
        """
        reasons = []
        state = self.api.reg_key_state(_TASK_CACHE_TREE + RETRY_TASK_NAME)
        if state in ("present", "absent"):
            return TaskState(state)
        reasons.append("the Task Scheduler index in the registry is not readable for this account")
        task_file = self._system32().joinpath("Tasks", *RETRY_TASK_NAME.strip("\\").split("\\"))
        try:
            task_file.stat()
            return TaskState("present")
        except FileNotFoundError:
            return TaskState("absent")
        except OSError:
            reasons.append(r"%WinDir%\System32\Tasks is not readable for this account")
        schtasks = self._system_tool("schtasks.exe")
        try:
            code, output = self.api.run([schtasks, "/Query", "/TN", RETRY_TASK_NAME, "/FO", "CSV", "/NH"], 15)
        except (OSError, subprocess.TimeoutExpired) as exc:
            reasons.append(f"schtasks could not run ({exc})")
            return TaskState("unknown", "; ".join(reasons))
        text = decode_console_output(output, self._oem_codepage()).strip()
        if code == 0:
            # exit code 0 is schtasks saying "found"; a row, when printed, names the task (paths are not localized)
            paths = _csv_task_paths(text)
            return TaskState("present" if not paths or RETRY_TASK_NAME.lower() in paths else "absent")
        if "cannot find" in text.lower():
            return TaskState("absent")
        reasons.append(f"schtasks answered: {text[:200] or f'exit code {code}'}")
        return TaskState("unknown", "; ".join(reasons))

    def pending_reboot(self) -> list[str]:
        markers = [label for key, label in _REBOOT_KEYS if self.api.reg_key_exists(key)]
        for value_name in _RENAME_VALUES:
            renames = self.api.reg_value(_SESSION_MANAGER, value_name)
            if renames and any(str(item).strip() for item in (renames if isinstance(renames, list) else [renames])):
                markers.append(f"Session Manager: {value_name}")
        volatile = self.api.reg_value(r"HKLM\SOFTWARE\Microsoft\Updates", "UpdateExeVolatile")
        if volatile not in (None, 0, "0"):
            markers.append("Updates: UpdateExeVolatile")
        return markers

    def free_disk_bytes(self) -> int:
        drive = ntpath.splitdrive(str(self.api.windir()))[0] or "C:"
        return int(self.api.disk_free(drive + "\\"))

    def client_info(self) -> ClientInfo | None:
        ccmexec = self.service(CCMEXEC_SERVICE)
        version = self.api.reg_value(_MOBILE_CLIENT, "ProductVersion")
        if not ccmexec.exists and not version:
            return None
        return ClientInfo(
            version=str(version) if version else None,
            site_code=_text(self.api.reg_value(_MOBILE_CLIENT, "AssignedSiteCode")),
            ccmexec=ccmexec,
            last_install_params=_text(self.api.reg_value(_CCMSETUP_KEY, "LastSuccessfulInstallParams")),
            last_valid_mp=_text(self.api.reg_value(_CCMSETUP_KEY, "LastValidMP")),
        )

    # -- files ----------------------------------------------------------------------------------------------

    def verify_signature(self, path: str | Path) -> SignatureInfo:
        target = Path(path)
        if not target.is_file():
            return SignatureInfo("missing", None, f"{target} does not exist")
        try:
            code, signer = self.api.verify_trust(str(target))
        except OSError as exc:
            return SignatureInfo("error", None, f"WinVerifyTrust could not check {target}: {exc}")
        return _signature(code, signer)

    def log_dir(self) -> Path:
        return self.api.windir() / "ccmsetup" / "Logs"

    def ccm_log_dir(self) -> Path:
        configured = _text(self.api.reg_value(_CCM_LOGGING, "LogDirectory"))
        return Path(configured) if configured else self.api.windir() / "CCM" / "Logs"

    def is_network_drive(self, path: str) -> bool:
        drive = ntpath.splitdrive(path)[0]
        if len(drive) != 2 or drive[1] != ":":
            return False  # UNC or relative: nothing to vanish
        kind = self.api.drive_type(drive + "\\")
        # an elevated wizard does not see the user's mapped letters at all (DRIVE_NO_ROOT_DIR)
        return kind == winapi.DRIVE_REMOTE or (kind == winapi.DRIVE_NO_ROOT_DIR and self._safe_elevated())

    def mapped_drives(self) -> list[str]:
        return [d for d in self.api.logical_drives() if self.api.drive_type(d + "\\") == winapi.DRIVE_REMOTE]

    def unc_path(self, path: str) -> str | None:
        drive = ntpath.splitdrive(path)[0]
        if len(drive) != 2 or drive[1] != ":":
            return None
        try:
            return self.api.universal_name(path)
        except OSError:
            return None

    def client_auth_certificates(self) -> list[CertInfo]:
        found = []
        for cert in self.api.machine_certificates("MY"):
            if CLIENT_AUTH_EKU not in (cert.ekus or ()):
                continue  # ConfigMgr needs the Client Authentication EKU listed (no EKU is not enough)
            status = cert.chain_error_status
            trusted = None if status is None else not status & wincrypt.CHAIN_TRUST_ERRORS
            detail = "" if status is None or trusted else wincrypt.trust_error_text(status & wincrypt.CHAIN_TRUST_ERRORS)
            found.append(CertInfo(subject=cert.subject, issuer=cert.issuer, thumbprint=cert.thumbprint,
                                  not_before=cert.not_before, not_after=cert.not_after,
                                  has_private_key=cert.has_private_key, chain_trusted=trusted, chain_detail=detail))
        return found

    def uac_owner(self) -> str:
        if self._safe_elevated():
            return "none needed: the wizard runs elevated, so ccmsetup starts without a prompt"
        _window, how = self.api.owner_window()
        return how

    def network(self) -> Prober:
        return self._prober

    def find_ccmsetup(self, hint: str | Path | None = None) -> Path | None:
        candidates: list[Path] = []
        if hint:
            hint_path = Path(hint)
            candidates.append(hint_path / "ccmsetup.exe" if hint_path.is_dir() else hint_path)
        app_dir = Path(sys.executable).parent if getattr(sys, "frozen", False) else Path.cwd()
        candidates.append(app_dir / "ccmsetup.exe")
        for candidate in candidates:
            if candidate.is_file():
                return candidate.resolve()
        return None

    def run_dir(self) -> Path:
        if self._run_dir is None:
            self._run_dir = new_run_dir(self._base_dir, "runs")
        return self._run_dir

    # -- launch ---------------------------------------------------------------------------------------------

    def _stage(self, exe_path: Path, companion: str | None = None) -> tuple[Path, int]:
        """Copy `exe_path` into a fresh folder only this user, Administrators and SYSTEM may write, and open the
        copy so that nobody can change, replace or rename it: (copy, lock handle). The caller verifies the copy
        through that handle and launches it before letting go. Why: the signature used to be checked by path
        and the file launched by path from a folder the user (or anyone, on a share) can write, so the bytes
        that ran elevated need not be the bytes that were checked. The copy also sits on a local disk, so an exe
        on a mapped drive (which the elevated process cannot see, KB 937624) starts too. `companion`: a file ccmsetup
        reads from its own folder (see _config_beside), copied along."""
        folder = self.run_dir() / f"verified-{next(self._staged)}"
        self.api.create_private_dir(str(folder))
        copy = folder / exe_path.name
        shutil.copyfile(exe_path, copy)
        if companion is not None:
            shutil.copyfile(exe_path.parent / companion, folder / companion)
        return copy, self.api.lock_file(str(copy))

    def launch(self, exe: str | Path, argv: list[str], *, noservice: bool) -> LaunchResult:
        exe_path = Path(os.path.abspath(exe))  # the elevated process starts elsewhere: no relative paths
        if not exe_path.is_file():
            return LaunchResult("missing-exe", f"{exe_path} does not exist; choose the ccmsetup.exe to run")
        try:
            staged, lock = self._stage(exe_path, _config_beside(exe_path, argv, noservice))
        except OSError as exc:
            return LaunchResult("failed-to-start", f"{exe_path} could not be copied to a protected folder before "
                                                   f"starting it: {exc}", error_code=getattr(exc, "winerror", None))
        try:
            signature = self._verify_locked(staged, lock)
            if not signature.is_microsoft:
                return LaunchResult("unsigned-exe", f"{exe_path} is not signed by Microsoft ({signature.detail}); it "
                                                    "will not be started elevated.")
            return self._launch_verified(staged, exe_path, argv)
        finally:
            # held until ShellExecuteExW / CreateProcess has returned: the process image is mapped by then
            self.api.unlock_file(lock)

    def _verify_locked(self, path: Path, lock: int) -> SignatureInfo:
        try:
            code, signer = self.api.verify_trust(str(path), lock)
        except OSError as exc:
            return SignatureInfo("error", None, f"WinVerifyTrust could not check {path}: {exc}")
        return _signature(code, signer)

    def _launch_verified(self, exe_path: Path, original: Path, argv: list[str]) -> LaunchResult:
        from wizard.core.render import command_line

        parameters = command_line(argv)
        directory = str(exe_path.parent)  # local and visible to the elevated process (not a mapped drive)
        if self._safe_elevated():
            try:
                popen = self.api.create_process(f'"{exe_path}" {parameters}'.rstrip(), directory)
            except OSError as exc:
                return LaunchResult("failed-to-start", f"Windows could not start {exe_path}: {exc}",
                                    error_code=getattr(exc, "winerror", None))
            return LaunchResult("started", f"started {exe_path.name} (process {popen.pid}) from its verified copy "
                                           f"{exe_path}", PopenProcess(popen))
        ok, error, handle = self.api.shell_execute_runas(str(exe_path), parameters, directory)
        if not ok:
            if error == ERROR_CANCELLED:
                return LaunchResult("uac-cancelled",
                                    "The administrator prompt (UAC) was cancelled: ccmsetup did not start and "
                                    "nothing on this device changed. Start again and choose Yes, or have an "
                                    "administrator enter their credentials.", error_code=ERROR_CANCELLED)
            return LaunchResult("failed-to-start", f"Windows could not start {exe_path} elevated "
                                                   f"(error {error}: {_win_error_text(error)})", error_code=error)
        if not handle:
            return LaunchResult("started", f"started {exe_path.name} elevated; Windows returned no process handle, "
                                           "so completion is followed from the log and the ccmsetup service only",
                                elevated_via_uac=True)
        try:
            process = WinProcess(self.api, handle)
        except Exception:
            self.api.close_handle(handle)
            raise
        return LaunchResult("started", f"started {exe_path.name} elevated (process {process.pid}) from its verified "
                                       f"copy {exe_path}", process, elevated_via_uac=True)

    def restart(self) -> None:
        """Restart in 30 s; raises OSError (the UI shows it) when Windows refuses."""
        try:
            code, output = self.api.run([self._system_tool("shutdown.exe"), "/r", "/t", "30", "/c",
                                         "Restart requested by ccmsetup-wizard to finish the Configuration "
                                         "Manager client installation."], 30)
        except subprocess.TimeoutExpired as exc:
            raise OSError(f"shutdown.exe did not answer: {exc}") from exc
        if code != 0:  # e.g. 1190: a shutdown is already scheduled; 5 or 1314: not allowed for this user
            text = decode_console_output(output, self._oem_codepage()).strip()
            raise OSError(f"shutdown.exe exited with {code}: {text or _win_error_text(code)}")

    def open_folder(self, path: str | Path) -> None:
        self.api.start_file(str(path))


def _config_beside(exe_path: Path, argv: list[str], noservice: bool) -> str | None:
    r"""The `/config` file a /noservice ccmsetup reads from the folder ccmsetup.exe runs from (the parameter
    reference; facts file section 1.2), when it is given by a plain name and sits beside `exe_path`: the verified
    copy runs from another folder, so the file goes along. Without /noservice ccmsetup reads it from
    %WinDir%\ccmsetup, where the technician put it."""
    if not noservice:
        return None
    for arg in argv:
        if arg.lower().startswith("/config:"):
            name = arg.split(":", 1)[1].strip().strip('"')
            if name and ntpath.basename(name) == name and name not in (".", "..") and (exe_path.parent / name).is_file():
                return name
    return None


def _signature(code: int, signer: str | None) -> SignatureInfo:
    code &= 0xFFFFFFFF
    if code == 0:
        return SignatureInfo("valid", signer, f"valid Authenticode signature by {signer or 'an unknown signer'}")
    status, text = _TRUST_TEXT.get(code, ("invalid", "the signature does not verify"))
    return SignatureInfo(status, signer, f"{text} (WinVerifyTrust 0x{code:08X})")  # type: ignore[arg-type]


class WindowsNetProbe(NetProbe):
    """The socket probes, with revocation judged by the OS chain engine (CertGetCertificateChain with revocation
    for the whole chain but the root, as WinHTTP does for ccmsetup): it fetches intermediates (AIA), uses the
    Windows CRL/OCSP caches and the machine proxy settings, which a Python fetch would not."""

    def __init__(self, api: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._api = api

    def revocation(self, certificate: ServerCertificate, *, timeout: float = DEFAULT_TIMEOUT,
                   now: datetime.datetime | None = None) -> RevocationResult:
        if not certificate.der:
            return super().revocation(certificate, timeout=timeout, now=now)
        try:
            status, policy = self._api.chain_revocation(certificate.der, int(timeout * 1000))
        except OSError as exc:
            return RevocationResult("not-checked", f"Windows could not build the certificate chain of "
                                                   f"{certificate.subject or 'the server'} to check revocation: {exc}")
        return revocation_from_chain(certificate, status, policy)


def revocation_from_chain(certificate: ServerCertificate, status: int, policy_error: int) -> RevocationResult:
    """The chain engine's verdict (CERT_TRUST_STATUS.dwErrorStatus and the base policy's error) in words."""
    who = certificate.subject or "the server"
    places = [f"CRL {u}" for u in certificate.crl_urls] + [f"OCSP {u}" for u in certificate.ocsp_urls]
    named = f" ({'; '.join(places)})" if places else ""
    policy = f"0x{policy_error & 0xFFFFFFFF:08x}"
    if status & wincrypt.CERT_TRUST_IS_REVOKED or policy == CRYPT_E_REVOKED:
        return RevocationResult("revoked", f"Windows reports a certificate in the chain of {who} as revoked.",
                                error_code=CRYPT_E_REVOKED)
    if status & wincrypt.CERT_TRUST_IS_OFFLINE_REVOCATION or policy == CRYPT_E_REVOCATION_OFFLINE:
        return RevocationResult("offline", f"Windows could not reach the revocation servers of {who}'s chain"
                                           f"{named}.", error_code=CRYPT_E_REVOCATION_OFFLINE)
    if status & wincrypt.CERT_TRUST_REVOCATION_STATUS_UNKNOWN:
        return RevocationResult("unknown", f"Windows could not determine the revocation status of {who}'s chain"
                                           f"{named} (chain status: {wincrypt.trust_error_text(status)}; policy "
                                           f"{policy}).", error_code=policy if policy_error else None)
    return RevocationResult("good", f"Windows checked the revocation of {who}'s chain{named}: not revoked.")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _int(value: Any) -> int:
    try:
        return int(str(value).strip()) if value is not None else 0
    except ValueError:
        return 0


def _csv_task_paths(text: str) -> set[str]:
    """Task paths (lower case) from `schtasks /Query /FO CSV /NH` output: the first field of each row."""
    rows = csv.reader(line for line in text.splitlines() if line.strip())
    return {row[0].strip().lower() for row in rows if row and row[0].strip().startswith("\\")}


def _win_error_text(code: int) -> str:
    try:
        import ctypes

        return ctypes.FormatError(code).strip()  # type: ignore[attr-defined]  # Windows only
    except (AttributeError, OSError):
        return "see the Windows error code"
