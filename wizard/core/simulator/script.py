"""The simulated ccmsetup run: what ccmsetup would log for this command on this device and site.

`CcmsetupRun(argv, world, outcome=None)` walks the steps the real ccmsetup takes (facts §4, the real log in
shapes.REAL_LOG, Microsoft's documented Entra/CMG log) and stops at the first step that would really fail,
with the real code and log shape. The launched process runs `bootstrap()`; the ccmsetup service (or the
/noservice process) runs `service()`, which returns the `Verdict`: the result and, for a failure, the
`WorldFinding` that explains it (its id is shared with the check that predicts it).

Writing goes through a sink: `FileSink` (wizard.core.simulator.writer) writes the logs over time;
`RecordingSink` only records, which is how `evaluate()` tells the demo host and the tests what a run will do
without running it. Decisions depend only on the plan, the world and `outcome`, so both agree.
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from wizard.core.cmg import is_cmg_address, scheme_of, split_cmg_address
from wizard.core.parse import CommandParseError, parse_command
from wizard.core.plan import InstallPlan
from wizard.core.redact import redact
from wizard.core.render import command_line
from wizard.core.simulator.shapes import REGISTRATION_SHAPES, SHAPES
from wizard.core.token import decode_token_expiry
from wizard.core.world import network
from wizard.core.world.findings import WorldFinding, finding
from wizard.core.world.model import World

__all__ = ["OUTCOMES", "CcmsetupRun", "Emitted", "RecordingSink", "Sink", "Verdict", "evaluate"]

# --outcome: an expert override of what the world would decide (tests, screenshots, trainers' demos).
OUTCOMES: dict[str, str] = {
    "success": "Installs and exits with 0 whatever the simulated device and site say.",
    "reboot": "client.msi asks for a restart: return code 7.",
    "aad-resource-mismatch": "Entra ID rejects the token request with AADSTS50001 (the server app is not found).",
    "cmg-untrusted": "The CMG certificate chains to an untrusted root (WINHTTP ... INVALID_CA, 0x80072f8f).",
    "regtoken-with-mp": "The CMG refuses the /mp request of a workgroup device with a token (HTTP 403, 0x87d0027e).",
    "msi-1603": "client.msi fails (Return value 3 in client.msi.log): 0x80070643.",
    "already-running": "Another ccmsetup is running: the launched process exits with 8.",
    "prereq-failed": "A prerequisite (vcredist_x64.exe) fails to install with 1603: 0x80070643.",
    "download-404": "BITS gets HTTP 404 for the client files: 0x80190194 (failure line written with type=\"1\").",
}

WINDOWS_CCMSETUP = "C:\\Windows\\ccmsetup"
SERVICE_EXE = WINDOWS_CCMSETUP + "\\ccmsetup.exe"
LAUNCH_FOLDER = "C:\\Temp\\ccmsetup\\"
CLIENT_PRODUCT_CODE = "{6B4B3F8B-43F8-4D1B-8E5C-2A1D4F6A9E21}"
PACKAGE_GUID = "{E6F27809-FF66-4BAA-B0FB-E4A154A6A388}"
CLIENT_ID = "GUID:C66EE0FD-08E7-4B38-B282-7E6954B71139"
USER_SID = "S-1-5-21-1527250992-855612568-2252598708-1604"
MICROSOFT_ROOT_THUMBPRINT = "CDD4EEAE6000AC7F40C3802C171E30148030C072"  # as in the real log
DEFAULT_RETRY_MINUTES = 10  # what real logs print when /retry is not given
DEFAULT_DOWNLOAD_TIMEOUT = 1440
# The documented minimum free space for the client (facts §6.1; the disk-space check's minimum too): below it
# client.msi runs out of space, and its 1601 message names this as the space it needs.
MIN_FREE_DISK_MB = 500
# GetProductInfo values for the editions the worlds use; SuiteMask 256 = single-user terminal services
# (workstations), 272 adds VER_SUITE_TERMINAL as the real log of a server shows.
_PRODUCT_TYPES = {"enterprise": 4, "pro": 48, "education": 121, "datacenter": 8, "standard": 7}
# The manifest items of a current x64 client (manifest.xml of the client package) and how they are found.
_MANIFEST = (
    ("i386/vcredist_x86.exe", "msi", "{936E696B-0C8D-3A48-98DF-344FEA4E1139}"),
    ("x64/vcredist_x64.exe", "msi", "{3868550C-1532-316A-9EFF-8509A6E92F79}"),
    ("i386/NDP462-KB3151800-x86-x64-AllOS-ENU.exe", "detected", None),
    ("x64/MicrosoftPolicyPlatformSetup.msi", "msi", "{19B9818B-7432-49E9-BC02-B126025EE235}"),
    ("x64/WindowsFirewallConfigurationProvider.msi", "file", None),
    ("wimgapi.msi", "not-applicable", None),
    ("i386/client.msi", "not-applicable", None),
    ("x64/client.msi", "pending", None),
)
_MSI_ACTIONS = (
    ("CostInitialize", "Computing space requirements"), ("FileCost", "Computing space requirements"),
    ("CcmSetObjectManagerParameters", ""), ("InstallValidate", "Validating install"),
    ("CcmStopService", ""), ("InstallFiles", "Copying new files"), ("CcmRegisterComponents", ""),
    ("CcmCompileMofs", ""), ("CcmStartService", ""),
    ("CcmRestorePowerScheme", "Restore original power scheme"), ("InstallFinalize", ""),
)
NAME_NOT_RESOLVED = ("0x80072ee7", "12007", "ERROR_WINHTTP_NAME_NOT_RESOLVED")
BAD_HTTP_STATUS = ("0x87d0027e", "0", "CCM_E_BAD_HTTP_STATUS_CODE")
CANNOT_CONNECT = ("0x80072efd", "12029", "ERROR_WINHTTP_CANNOT_CONNECT")
HTTP_TEXT = {401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}


class RunEnded(Exception):  # noqa: N818 - control flow: the run stopped at a step that failed
    """The run stopped at a step that failed (raised inside the script, caught by `service()`)."""


@dataclass(frozen=True)
class Verdict:
    state: str  # succeeded | reboot-required | failed | already-running
    return_code: int | None = None
    error_code: str | None = None
    finding: WorldFinding | None = None  # why it failed (or why a restart is needed)
    notes: tuple[WorldFinding, ...] = ()  # things worth knowing about a run that went through (PKI used)
    auth: str = "none"  # entra | pki | token | none
    stalls: bool = False  # the log goes silent for the download timeout before the failure is logged

    def to_dict(self) -> dict:
        return {"state": self.state, "return_code": self.return_code, "error_code": self.error_code,
                "finding": self.finding.to_dict() if self.finding else None,
                "notes": [n.to_dict() for n in self.notes], "auth": self.auth, "stalls": self.stalls}


@dataclass(frozen=True)
class Emitted:
    key: str
    message: str
    log: str  # "ccmsetup", "client.msi", "registration"
    type: int
    thread: int


class Sink(Protocol):
    def log(self, key: str, message: str, *, type_: int, thread: int, file: str, component: str,
            pause: float) -> None: ...
    def msi(self, lines: list[str]) -> None: ...
    def registration(self, key: str, message: str, *, component: str, file: str) -> None: ...
    def wait(self, seconds: float) -> None: ...


@dataclass
class RecordingSink:
    """Records what a run writes, without files or waiting."""

    records: list[Emitted] = field(default_factory=list)

    def log(self, key, message, *, type_, thread, file, component, pause):
        self.records.append(Emitted(key, message, "ccmsetup", type_, thread))

    def msi(self, lines):
        self.records.extend(Emitted("msi", line, "client.msi", 1, 0) for line in lines)

    def registration(self, key, message, *, component, file):
        self.records.append(Emitted(key, message, "registration", 1, 0))

    def wait(self, seconds):
        pass

    def messages(self, log: str = "ccmsetup") -> list[str]:
        return [r.message for r in self.records if r.log == log]


def plan_from_argv(argv: list[str]) -> InstallPlan:
    """The plan the argv stands for (ccmsetup's own view of its command line); empty for no arguments."""
    if not argv:
        return InstallPlan()
    try:
        return parse_command(command_line(list(argv))).plan
    except (CommandParseError, ValueError):
        return InstallPlan()


def _threads(seed: str) -> tuple[int, int, int]:
    digest = hashlib.sha256(seed.encode("utf-8", "replace")).digest()
    base = int.from_bytes(digest[:4], "big")
    return 1000 + base % 4000, 5000 + (base >> 12) % 4000, 9000 + (base >> 20) % 900


class CcmsetupRun:
    """One simulated ccmsetup invocation. `bootstrap()` / `service()` write through a sink."""

    def __init__(self, argv: list[str], world: World, *, outcome: str | None = None,
                 now: datetime | None = None) -> None:
        if outcome is not None and outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}; choose one of: {', '.join(OUTCOMES)}")
        self.argv = list(argv)
        self.world = world
        self.device = world.device
        self.site = world.site
        self.forced = outcome
        self.plan = plan_from_argv(self.argv)
        self.now = now or datetime.now()
        self.bootstrap_thread, self.main_thread, self.worker_thread = _threads(" ".join(self.argv))
        self._sink: Sink | None = None
        self._notes: list[WorldFinding] = []
        self._verdict: Verdict | None = None
        self._mp_fallback = False  # the download comes from the MP's CCM_Client folder (no DP served it)
        self._read_plan()

    # -- what the command says -------------------------------------------------------------------------------

    def _read_plan(self) -> None:
        plan = self.plan
        self.noservice = plan.noservice
        self.sitecode = plan.sitecode
        self.fsp = plan.property("FSP")
        self.nocrlcheck = plan.has_switch("/NoCRLCheck")
        present, retry = plan.parameter("/retry")
        self.retry_minutes = _int(retry, DEFAULT_RETRY_MINUTES) if present else DEFAULT_RETRY_MINUTES
        present, timeout = plan.parameter("/downloadtimeout")
        self.download_timeout = _int(timeout, DEFAULT_DOWNLOAD_TIMEOUT) if present else DEFAULT_DOWNLOAD_TIMEOUT
        cmg_text = None
        self.cmg_from_mp = False
        # A CMG URL in /mp must start with https:// (facts §1.2 /mp): written without it, ccmsetup takes it for
        # an HTTP management point, which a CMG (HTTPS only) never answers.
        self.plain_cmg_mps: list[str] = []
        for mp in plan.mp:
            if is_cmg_address(mp):
                self.cmg_from_mp = True
                if scheme_of(mp) == "https":
                    cmg_text = cmg_text or mp
                else:
                    self.plain_cmg_mps.append(mp.strip())
        if plan.ccmhostname and is_cmg_address(plan.ccmhostname):
            cmg_text = plan.ccmhostname
        parts = split_cmg_address(cmg_text) if cmg_text else None
        self.cmg_host, self.cmg_id = (parts[0], parts[2]) if parts else (None, None)
        self.onprem_mps = [mp.strip() for mp in plan.mp if mp.strip() and not is_cmg_address(mp)]
        internet_mp = plan.ccmhostname if plan.ccmhostname and not is_cmg_address(plan.ccmhostname) else None
        self.internet_mp = internet_mp.strip() if internet_mp else None
        cert = self.device.pki_client_cert
        self.pki = bool(cert and cert.usable)
        if self.forced in ("aad-resource-mismatch", "regtoken-with-mp") and not self.cmg_host and self.site.cmg:
            self.cmg_host, self.cmg_id = self.site.cmg.host, self.site.cmg.id  # these endings need the CMG path
        if self.cmg_host:
            if self.forced == "aad-resource-mismatch":
                self.auth = "entra"
            elif self.pki:
                self.auth = "pki"
            elif plan.regtoken or self.forced == "regtoken-with-mp":
                self.auth = "token"
            else:
                self.auth = "entra"
        else:
            self.auth = "pki" if (self.internet_mp and self.pki) else "none"
        code = (plan.sitecode or "").strip().upper()
        if code and code != "AUTO" and code != self.site.code.upper():
            self._notes.append(finding("site-code-wrong", typed=plan.sitecode, site_code=self.site.code))
        if self.pki and self.cmg_host and (plan.is_entra or plan.aadtenantid):
            cert = self.device.pki_client_cert
            self._notes.append(finding("pki-cert-used", cert_subject=cert.subject, cert_issuer=cert.issuer))

    @property
    def cmg_address(self) -> str:
        return f"{self.cmg_host}/CCM_Proxy_MutualAuth/{self.cmg_id}"

    # -- writing helpers -------------------------------------------------------------------------------------

    def _emit(self, key: str, *, thread: int | None = None, pause: float = 0.15, type_: int | None = None,
              **values: object) -> None:
        spec = SHAPES[key]
        message = redact(spec.render(**values), self.plan)
        assert self._sink is not None
        self._sink.log(key, message, type_=spec.type if type_ is None else type_,
                       thread=thread or self.worker_thread, file=spec.file, component=spec.component, pause=pause)

    def _register(self, key: str, **values: object) -> None:
        spec = REGISTRATION_SHAPES[key]
        assert self._sink is not None
        self._sink.registration(key, spec.render(**values), component=spec.component, file=spec.file)

    def _fail(self, code: str, finding_id: str, **values: object) -> None:
        """Log the result line of a failed run (on the service's main thread, type 1 like the real log)."""
        if self.forced is not None and finding_id not in ("forced-outcome", "setup-running"):
            values = {"outcome": self.forced}
            finding_id = "forced-outcome"
        thread = self.bootstrap_thread if self.noservice else self.main_thread
        self._emit("failed", thread=thread, code=code, pause=0.1)
        self._verdict = Verdict("failed", 6 if self.noservice else None, code, finding(finding_id, **values),
                                tuple(self._notes), self.auth, stalls=bool(values.get("_stalls")))
        raise RunEnded

    def _fails(self, world_says: bool, outcome: str | None = None) -> bool:
        """A step fails when the world says so (unless --outcome forces another ending) or when --outcome
        names this failure."""
        if self.forced is not None:
            return self.forced == outcome
        return world_says

    # -- the launched process --------------------------------------------------------------------------------

    def bootstrap(self, sink: Sink, pid: int) -> int | None:
        """The launched ccmsetup.exe. Returns its exit code when the run ends here (8), None to go on (the
        caller then starts the service part, or runs `service()` in-process for /noservice)."""
        self._sink = sink
        t = self.bootstrap_thread
        self._emit("started", thread=t, pid=pid, pause=0.3)
        self._emit("security", thread=t, path=WINDOWS_CCMSETUP + "\\cache\\.")
        self._emit("launch-folder", thread=t, folder=LAUNCH_FOLDER)
        self._emit("version", thread=t, version=self._ccmsetup_version())
        self._task_folder_lines(t)
        self._header_lines(t, launched=True)
        if self._fails(self.device.setup_running, "already-running"):
            self._emit("already-running", thread=t, pause=0.2)
            self._emit("exiting", thread=t, code=8)
            self._verdict = Verdict("already-running", 8, None, finding("setup-running")
                                    if self.forced is None else finding("forced-outcome", outcome=self.forced),
                                    tuple(self._notes), self.auth)
            return 8
        if self.noservice:
            return None
        self._emit("downloading-file", thread=t, path=LAUNCH_FOLDER + "ccmsetup.exe", pause=0.2)
        self._emit("downloading-to", thread=t, source=LAUNCH_FOLDER + "ccmsetup.exe", target=SERVICE_EXE)
        total = 5_867_480
        for percent in (18, 36, 54, 71, 89, 100):
            self._emit("file-download-percent", thread=t, percent=percent, done=total * percent // 100,
                       total=total, pause=0.05)
        self._emit("download-complete", thread=t, pause=0.2)
        self._emit("service-created", thread=t, pause=0.3)
        return None

    def bootstrap_after_service_start(self, sink: Sink) -> None:
        """The launcher's last lines once the service runs; its own exit line (0) is never the result."""
        self._sink = sink
        t = self.bootstrap_thread
        self._emit("service-started", thread=t, pause=0.1)
        if self.device.existing_client is None:  # no root\ccm\policy namespace before the first install
            self._emit("policy-namespace", thread=t, pause=0.05)
            self._emit("revoke-upgrade-policy", thread=t, pause=0.05)
        self._emit("deleted-file", thread=t, path=SERVICE_EXE + ".download", pause=0.05)
        self._emit("exiting", thread=t, code=0, pause=0.0)

    def _ccmsetup_version(self) -> str:
        return self.site.version.replace("5.00.", "5.0.", 1)

    def _task_folder_lines(self, thread: int) -> None:
        if not self.device.retry_task:
            for _ in range(2):
                self._emit("task-folder", thread=thread, folder="Microsoft\\Microsoft\\Configuration Manager",
                           pause=0.02)

    def _header_lines(self, thread: int, *, launched: bool) -> None:
        os_spec = self.device.os
        edition = os_spec.product.lower()
        product_type = next((v for k, v in _PRODUCT_TYPES.items() if k in edition), 4)
        self._emit("running-on", thread=thread, computer=self.device.computer_name.upper(),
                   os=f"Microsoft {os_spec.product}", version=f"10.0.{os_spec.build}",
                   suite=272 if os_spec.is_server else 256, product_type=product_type)
        if launched:
            command = "ccmsetup.exe  " + command_line(self.argv)
        else:
            command = f'"{SERVICE_EXE}" /runservice  ' + self._service_arguments()
        self._emit("ccmsetup-command-line", thread=thread, command=command)
        self._emit("no-registry-lookup", thread=thread)
        self._emit("command-line", thread=thread, command=command)
        self._emit("ssl-state", thread=thread, value=224)
        if self.device.existing_client is None:
            self._emit("no-client", thread=thread)

    def _service_arguments(self) -> str:
        """How the service's command line shows the arguments: each parameter quoted whole, then the
        properties sorted, `NAME="value"` (the real log's form)."""
        parameters = [t for t in self.argv if t.startswith(("/", "-"))]
        properties = sorted((t for t in self.argv if not t.startswith(("/", "-")) and "=" in t),
                            key=lambda t: t.split("=", 1)[0].upper())
        shown = [f'"{p}"' for p in parameters]
        for prop in properties:
            name, _, value = prop.partition("=")
            shown.append(f'{name}="{value.strip(chr(34))}"')
        return " ".join(shown)

    # -- the service (or the /noservice process) -------------------------------------------------------------

    def service(self, sink: Sink, pid: int, *, own_process: bool) -> Verdict:
        self._sink = sink
        with contextlib.suppress(RunEnded):
            self._service_steps(pid, own_process=own_process)
        assert self._verdict is not None
        return self._verdict

    def _service_steps(self, pid: int, *, own_process: bool) -> None:
        main = self.main_thread
        if own_process:
            self._emit("started", thread=main, pid=pid, pause=0.2)
            self._emit("security", thread=main, path=WINDOWS_CCMSETUP + "\\cache\\.")
            self._emit("launch-folder", thread=main, folder=WINDOWS_CCMSETUP + "\\")
            self._emit("version", thread=main, version=self._ccmsetup_version())
            self._emit("service-main", pause=0.3)
            self._task_folder_lines(self.worker_thread)
            self._header_lines(self.worker_thread, launched=False)
        self._parameter_dump()
        self._state_message(100, "0")
        self._emit("bits-vista", type_=0)
        self._emit("free-disk", mb=self.device.free_disk_mb)
        self._emit("running-as")
        self._emit("write-filter")
        self._emit("no-write-filter", pause=0.3)
        if not self.device.join.domain_joined:
            self._emit("ad-row-count")
            self._emit("ad-site-version", pause=0.3)
        base = self._cmg_steps() if self.cmg_host else self._onprem_steps()
        self._manifest(base)
        self._download(base)
        self._prerequisites()
        self._client_msi()

    def _parameter_dump(self) -> None:
        self._emit("param-httpport", value=self.plan.property("CCMHTTPPORT") or "80")
        self._emit("param-httpsport", value=self.plan.property("CCMHTTPSPORT") or "443")
        self._emit("param-httpsstate", value=224)
        self._emit("param-httpscertname", value="")
        if self.fsp:
            self._emit("param-fsp", value=self.fsp)
        self._emit("param-firstcert", value=self.plan.property("CCMFIRSTCERT") or "1")
        _, config = self.plan.parameter("/config")
        self._emit("config-file", path=config or "")
        self._emit("retry-time", minutes=self.retry_minutes)
        self._emit("msi-log-file", path=WINDOWS_CCMSETUP + "\\Logs\\client.msi.log")
        self._emit("msi-properties", properties=self._msi_properties())
        self._emit("source-list")
        self._emit("mps")
        for mp in self.plan.mp:
            self._emit("mp-entry", mp=mp)

    def _msi_properties(self) -> str:
        values = {"CCMFIRSTCERT": "1", "CCMHTTPPORT": "80", "CCMHTTPSCERTNAME": "", "CCMHTTPSPORT": "443",
                  "CCMHTTPSSTATE": "224"}
        for name, field_name in (("CCMHOSTNAME", "ccmhostname"), ("SMSSITECODE", "sitecode"), ("SMSMP", "smsmp"),
                                 ("AADTENANTID", "aadtenantid"), ("AADCLIENTAPPID", "aadclientappid"),
                                 ("AADRESOURCEURI", "aadresourceuri")):
            value = getattr(self.plan, field_name)
            if value:
                values[name] = value
        for name, value in self.plan.properties:
            values[name.upper()] = value
        return " ".join(f'{name}="{values[name]}"' for name in sorted(values))

    def _state_message(self, state: int, code: str, *, error_path: str | None = None) -> None:
        """Fallback status point messages, only when FSP= is given (the real log sends them to that FSP).
        Only the state ids seen in real logs are sent: 100 (start), 309 (download failed), 400 (installed)."""
        if not self.fsp:
            return
        if self.device.existing_client is None:
            self._emit("no-client-version")
        version = self._ccmsetup_version()
        if error_path:
            self._emit("params-to-send-error", version=version, code=f"0x{int(code) & 0xFFFFFFFF:08x}",
                       path=error_path)
        else:
            self._emit("params-to-send", version=version)
        self._emit("fsp-send", fsp=self.fsp, state=state)
        self._emit("fsp-body", code=code)
        digest = hashlib.md5(f"{self.argv}{state}".encode(), usedforsecurity=False).digest()
        self._emit("fsp-sent", topic="{" + str(uuid.UUID(bytes=digest)).upper() + "}", pause=0.2)

    # -- network -----------------------------------------------------------------------------------------------

    def _unreachable(self, url: str, host: str, port: int) -> None:
        """The WinHTTP error for a name that does not resolve: the [CCMHTTP] ERROR pair of lines."""
        code, winhttp, text = NAME_NOT_RESOLVED
        self._emit("ccmhttp-error", url=url, port=port, code=winhttp, text=text, pause=0.05)
        self._emit("ccmhttp-error-info", status="<unknown>", text="", pause=0.3)

    def _http_error(self, url: str, status: int, port: int = 443) -> None:
        _, winhttp, text = BAD_HTTP_STATUS
        self._emit("ccmhttp-error", url=url, port=port, code=winhttp, text=text, pause=0.05)
        self._emit("ccmhttp-error-info", status=status, text=HTTP_TEXT.get(status, ""), pause=0.3)

    def _tls(self, host: str, *, revocation: bool) -> None:
        """The TLS handshake ccmsetup makes to an HTTPS endpoint: untrusted root, wrong clock, revocation."""
        problem = network.tls_problem(self.world, host)
        cmg = self.site.cmg
        crl_bad = (revocation and not self.nocrlcheck and cmg is not None and host.lower() == cmg.host.lower()
                   and not network.resolve(self.world, network.crl_host(self.world) or "").ok
                   and self.device.network.online)
        if self._fails(problem == "untrusted", "cmg-untrusted"):
            self._secure_failure("INVALID_CA")
            self._fail("0x80072f8f", "cmg-root-untrusted", cmg_root=cmg.cert_root if cmg else "(unknown)")
        if self._fails(problem == "date"):
            self._secure_failure("CERT_DATE_INVALID")
            skew = self.device.clock_skew_minutes
            self._fail("0x80072f8f", "clock-skew", skew_text=_skew_text(skew))
        if self._fails(crl_bad):
            self._secure_failure("CERT_REV_FAILED")
            self._fail("0x80092013", "crl-unreachable", crl_url=cmg.crl_url if cmg else "")

    def _secure_failure(self, flag: str) -> None:
        self._emit("secure-failure", pause=0.05)
        self._emit("secure-failure-flag", flag=flag, pause=0.3)

    def _name_fails(self, host: str, url: str, port: int = 443) -> str | None:
        resolution = network.resolve(self.world, host)
        if self._fails(not resolution.ok):
            self._unreachable(url, host, port)
            return resolution.reason or "no such host"
        return None

    def _cmg_steps(self) -> str:
        """Entra (or PKI / bulk token) authentication and content location through the CMG; returns the
        download base URL."""
        host, cmg_id = self.cmg_host or "", self.cmg_id or ""
        site_cmg = self.site.cmg
        address = self.cmg_address
        if self.auth == "entra":
            self._entra(host, address)
        # The management point behind the CMG: site information and content location.
        if self.auth == "pki":
            path, token_auth = f"/CCM_Proxy_MutualAuth/{cmg_id}/ccm_system/request", 0
        else:
            path, token_auth = f"/CCM_Proxy_ServerAuth/{cmg_id}/ccm_system_tokenauth/request", 1
        self._emit("ccmsetup-connection", host=host, path=path, token_auth=token_auth, pause=0.3)
        if self.auth != "entra":  # the Entra step already made the first connection
            reason = self._name_fails(host, f"https://{host}{path}")
            if reason:
                self._network_failure(host, reason)
            self._tls(host, revocation=True)
        self._emit("location-request", address=address, payload=self._site_info_request(), pause=0.2)
        if self._fails(site_cmg is not None and cmg_id != site_cmg.id):
            self._http_error(f"https://{host}{path}", 404)
            self._fail(BAD_HTTP_STATUS[0], "cmg-id-wrong", typed_cmg_id=cmg_id, site_cmg_id=site_cmg.id,
                       site_cmg_address=site_cmg.address)
        if self.auth == "token":
            self._token_accepted(host, path)
        if self.auth == "none":  # not joined, no certificate, no token: the CMG refuses
            self._http_error(f"https://{host}{path}", 403)
            self._fail(BAD_HTTP_STATUS[0], "not-entra-joined")
        if self.auth in ("entra", "token"):
            self._emit("append-token", pause=0.2)
        self._emit("received-message", xml=self._site_info_reply(), pause=0.4)
        mp_url = f"https://{address}"
        self._emit("checking-url", url=f"{mp_url}/CCM_Client/ccmsetup.cab", pause=0.3)
        workgroup = not self.device.join.azure_ad_joined and not self.pki
        if self._fails(self.cmg_from_mp and self.auth == "token" and workgroup, "regtoken-with-mp"):
            self._http_error(f"{mp_url}/CCM_Client/ccmsetup.cab", 403)
            self._fail(BAD_HTTP_STATUS[0], "regtoken-with-mp")
        self._emit("valid-mp", mp=mp_url, pause=0.3)
        self._emit("searching-dp")
        self._emit("bootstrap-internet", flag=1)
        self._emit("location-body", xml=self._content_request(internet=True), pause=0.4)
        has_content = site_cmg is not None and site_cmg.client_package and site_cmg.allow_cloud_dp
        self._emit("location-reply", xml=self._content_reply(has_content, internet=True), pause=0.3)
        if self._fails(not has_content):
            if site_cmg is not None and not site_cmg.client_package:
                reason = "The client package is not distributed to the content-enabled CMG."
            else:
                reason = "The client setting 'Allow access to cloud distribution point' is No for this device."
            self._emit("dp-locations-failed", mp=mp_url, pause=0.2)
            self._fail("0x87d00215", "cmg-no-client-content", content_reason=reason)
        package = f"{self.site.code}00002"
        location = f"https://{host}/downloadrestservice.svc/getcontentxmlsecure?pid={package}&cid={package}"
        self._emit("remote-location", url=location, pause=0.2)
        self._emit("on-azure", url=location)
        self._emit("no-local-dp", pause=0.3)
        return f"{mp_url}/CCM_Client"

    def _network_failure(self, host: str, reason: str) -> None:
        if not self.device.network.online:
            self._fail(NAME_NOT_RESOLVED[0], "offline")
        site_cmg = self.site.cmg
        self._fail(NAME_NOT_RESOLVED[0], "cmg-name-unknown", typed_cmg=host,
                   site_cmg=site_cmg.host if site_cmg else "(none)",
                   site_cmg_address=site_cmg.address if site_cmg else "(none)")

    def _token_accepted(self, host: str, path: str) -> None:
        token = self.plan.regtoken or ""
        reason = None
        expiry = decode_token_expiry(token) if token else None
        if self.forced is None:
            if not token:
                reason = "No bulk registration token was given."
            elif expiry is None:
                reason = "The /regtoken value is not a token (a JWT of three parts, eyJ...)."
            elif expiry <= datetime.now(UTC):
                reason = f"The token expired on {expiry:%Y-%m-%d %H:%M} UTC."
            elif not self.site.accepts_bulk_tokens:
                reason = "The token is blocked in the console (Administration > Security > Certificates)."
        if reason:
            self._http_error(f"https://{host}{path}", 401)
            self._fail(BAD_HTTP_STATUS[0], "token-rejected", token_reason=reason)

    def _entra(self, host: str, address: str) -> None:
        join = self.device.join
        plan = self.plan
        tenant = network.normal_guid(plan.aadtenantid) or network.normal_guid(join.tenant_id)
        self._emit("aad-info", cmg=host, pause=0.3)
        info_path = f"/CCM_Proxy_ServerAuth/AADAuthInfo?TenantID={tenant}"
        self._emit("sms-ccm-connection", host=host, path=info_path, token_auth=0, flags="0x1304", pause=0.2)
        reason = self._name_fails(host, f"https://{host}{info_path}")
        if reason:
            self._network_failure(host, reason)
        self._emit("connection-port", pause=0.1)
        if not self.nocrlcheck:
            self._emit("ssl-revocation", pause=0.4)
        self._tls(host, revocation=True)
        site = self.site
        typed_tenant = network.normal_guid(plan.aadtenantid)
        device_tenant = network.normal_guid(join.tenant_id)
        info = network.auth_info(self.world, tenant)
        if self._fails(info is None):
            self._http_error(f"https://{host}{info_path}", 404)
            values = dict(typed_tenant=typed_tenant or "(not given)", device_tenant=device_tenant or "(none)",
                          site_tenant=site.tenant_id, site_tenant_name=site.tenant_name, used_tenant=tenant)
            if not join.azure_ad_joined:
                self._fail(BAD_HTTP_STATUS[0], "not-entra-joined")
            if typed_tenant and typed_tenant != device_tenant:
                self._fail(BAD_HTTP_STATUS[0], "aadtenantid-wrong", **values)
            self._fail(BAD_HTTP_STATUS[0], "tenant-not-onboarded", **values)
        info = info or {"ClientAppId": site.client_app_id, "ResourceUri": site.server_app_id_uri}
        client_id = plan.aadclientappid or info["ClientAppId"]
        resource = plan.aadresourceuri or info["ResourceUri"]
        if not join.azure_ad_joined and self.forced is None:
            # No workplace-join certificate: ccmsetup does not ask Entra for a token at all (SCCMdocs #860).
            self.auth = "none"
            return
        self._emit("aad-device-token", client_id=client_id, resource=resource, pause=0.8)
        denial = self._token_denial(client_id, resource)
        if denial is None:
            self._emit("aad-device-token-ok", device_id=join.device_id, pause=0.3)
        else:
            finding_id, details, values = denial
            self._emit("wam-failed", details=details, pause=0.1)
            self._emit("aad-token-failed", pause=0.3)
            if join.prt and self.forced is None:
                self._emit("user-token-fallback", sid=USER_SID, pause=0.4)
                self._emit("aad-user-token", client_id=client_id, resource=resource,
                           account="149FC29A-ECE3-4123-A3C1-1234563F035A", pause=0.6)
                self._emit("wam-failed", details=details, pause=0.1)
                self._emit("aad-token-failed", pause=0.3)
            self._fail("0x87d00231", finding_id, **values)
        self._emit("ccm-token-sts", address=address, pause=0.3)
        self._emit("ccm-token-url", address=address, pause=0.6)
        expiry = self.now + timedelta(hours=8)
        self._emit("token-cached", expiry=f"{expiry:%m/%d/%Y %H:%M:%S}", pause=0.4)

    def _token_denial(self, client_id: str, resource: str):
        """(finding id, WAM details, values) when Entra ID refuses the device token, else None."""
        join, site = self.device.join, self.site
        consent = ("This can happen if the application has not been installed by the administrator of the tenant "
                   "or consented to by any user in the tenant. You might have sent your authentication request to "
                   "the wrong tenant.")
        # AADSTS700016 words the last sentence "You may have sent" (Entra error code reference).
        consent_700016 = consent.replace("You might have", "You may have")
        tenant_name = join.tenant_name or join.tenant_id
        if self.forced == "aad-resource-mismatch":
            details = f"AADSTS50001: The application named {resource} was not found in the tenant named " \
                      f"{tenant_name}.  {consent}"
            return "forced-outcome", details, {"outcome": self.forced}
        if self.forced is not None:
            return None
        if join.disabled:
            return ("device-disabled", "AADSTS135011: Device used during the authentication is disabled.",
                    {"device_auth_status": join.device_auth_status})
        if network.normal_guid(join.tenant_id) != network.normal_guid(site.tenant_id):
            details = (f"AADSTS700016: Application with identifier '{client_id}' was not found in the directory "
                       f"'{tenant_name}'. {consent_700016}")
            return ("device-in-other-tenant", details,
                    {"used_tenant": site.tenant_id, "device_tenant": join.tenant_id,
                     "device_tenant_name": tenant_name, "site_tenant_name": site.tenant_name})
        if network.normal_guid(client_id) != network.normal_guid(site.client_app_id):
            details = (f"AADSTS700016: Application with identifier '{client_id}' was not found in the directory "
                       f"'{tenant_name}'. {consent_700016}")
            return "aadclientappid-wrong", details, {"typed": client_id, "site_value": site.client_app_id}
        if resource.rstrip("/").lower() != site.server_app_id_uri.rstrip("/").lower():
            details = (f"AADSTS50001: The application named {resource} was not found in the tenant named "
                       f"{tenant_name}.  {consent}")
            return "aadresourceuri-wrong", details, {"typed": resource, "site_value": site.server_app_id_uri}
        return None

    def _site_info_request(self) -> str:
        code = self.sitecode or self.site.code
        return f'<SiteInfoRequest SchemaVersion="1.00"><SiteCode Name="{code}"/></SiteInfoRequest>'

    def _site_info_reply(self) -> str:
        site = self.site
        build = site.version.split(".")[2] if site.version.count(".") >= 2 else "0"
        tenants = (f'<Tenant TenantID="{site.tenant_id}"><ClientAppID>{site.client_app_id}</ClientAppID>'
                   f'<ServerAppID>{site.server_app_id_uri}</ServerAppID></Tenant>') if site.cmg else ""
        return (f'<SiteInfoReply SchemaVersion="1.00"><Sites><Site><SiteCode>{site.code}</SiteCode>'
                f'<Version>{site.version}</Version><BuildNumber>{build}</BuildNumber><ClientOperationalSettings>'
                f'<Version>{site.version}</Version><SecurityConfiguration><SecurityModeMask>0</SecurityModeMask>'
                '<SecurityModeMaskEx>224</SecurityModeMaskEx><HTTPPort>80</HTTPPort><HTTPSPort>443</HTTPSPort>'
                '</SecurityConfiguration><AADConfig Version="1.0"><Tenants>' + tenants + '</Tenants></AADConfig>'
                f'</ClientOperationalSettings><DefaultMP>{site.management_points[0].host}</DefaultMP></Site></Sites>'
                '</SiteInfoReply>')

    def _content_request(self, *, internet: bool) -> str:
        code = self.sitecode or self.site.code
        return (f'<ContentLocationRequest SchemaVersion="1.00">\n  <AssignedSite SiteCode="{code}"/>\n'
                '  <ClientPackage RequestForLatest="0"/>\n  <ClientLocationInfo LocationType="SMSPACKAGE" '
                'DistributeOnDemand="0" UseProtected="0" AllowCaching="0" BranchDPFlags="0" AllowHTTP="1" '
                f'AllowSMB="0" AllowMulticast="0" UseInternetDP="{1 if internet else 0}">\n'
                '    <ADSite Name=""/>\n    <Forest Name=""/>\n    <Domain Name=""/>\n  </ClientLocationInfo>\n'
                '</ContentLocationRequest>\n')

    def _content_reply(self, has_content: bool, *, internet: bool) -> str:
        site = self.site
        package = f"{site.code}00002"
        records = ""
        if has_content:
            url = (f"https://{self.cmg_host}/downloadrestservice.svc/getcontentxmlsecure?pid={package}&amp;"
                   f"cid={package}") if internet else f"http://{site.distribution_point.host}/SMS_DP_SMSPKG$/{package}"
            records = (f'<LocationRecord><URL Name="{url}" Capability="0"/><Version>'
                       f'{site.version.split(".")[2]}</Version><DPType>{"CLOUD" if internet else "SERVER"}</DPType>'
                       f'<Locality>{"REMOTE" if internet else "LOCAL"}</Locality></LocationRecord>')
        return (f'<ContentLocationReply SchemaVersion="1.00"><Sites><Site><MPSite SiteCode="{site.code}" '
                f'MasterSiteCode="{site.code}" SiteLocality="LOCAL"/><LocationRecords>{records}</LocationRecords>'
                f'</Site></Sites><ClientPackage FullPackageID="{package}" SiteVersion="{site.version}" '
                'AllowFallbackToUnprotectedDP="false"/></ContentLocationReply>')

    def _onprem_steps(self) -> str:
        """Site information and content location from an on-premises (or internet-based) MP; returns the
        download base URL."""
        sources = list(self.onprem_mps) + self.plain_cmg_mps
        if self.internet_mp:
            sources.append(self.internet_mp if "://" in self.internet_mp else f"https://{self.internet_mp}")
        if not sources:
            self._emit("no-valid-source", pause=0.2)
            join = self.device.join
            ad_reason = (f"the simulated site is not published in the Active Directory of {join.domain_name}"
                         if join.domain_joined and join.domain_name else
                         "the simulated site is not published in this device's Active Directory"
                         if join.domain_joined else
                         "this device is not in a domain whose Active Directory publishes the site")
            self._fail("0x80004005", "no-mp-source", ad_reason=ad_reason)
        last = None
        for source in sources:
            text = source if "://" in source else f"http://{source}"
            scheme, _, rest = text.partition("://")
            host = rest.split("/", 1)[0].split(":", 1)[0]
            url = f"{scheme.upper()}://{host}/ccm_system/request"
            port = 443 if scheme.lower() == "https" else 80
            self._emit("ccm-post", url=url, pause=0.3)
            reason = self._name_fails(host, url, port)
            if reason:
                last = ("dns", source, reason)
                continue
            if source in self.plain_cmg_mps and self._fails(True):  # a CMG does not listen on HTTP
                code, winhttp, text_ = CANNOT_CONNECT
                self._emit("ccmhttp-error", url=url, port=port, code=winhttp, text=text_, pause=0.05)
                self._emit("ccmhttp-error-info", status="<unknown>", text="", pause=0.3)
                last = ("cmg-not-https", source, "")
                continue
            mp = self.site.management_point(host)
            if scheme.lower() == "https":
                self._tls(host, revocation=False)
            if self._fails(bool(mp and mp.https_only and scheme.lower() == "http")):
                self._http_error(url, 403, port)
                last = ("https-only", source, "")
                continue
            return self._onprem_content(host, scheme.lower())
        kind, source, reason = last or ("dns", sources[0], "")
        self._emit("no-valid-source", pause=0.2)
        if not self.device.network.online:
            self._fail(NAME_NOT_RESOLVED[0], "offline")
        if kind == "https-only":
            self._fail(BAD_HTTP_STATUS[0], "mp-https-only", typed_mp=source)
        if kind == "cmg-not-https":
            self._fail(CANNOT_CONNECT[0], "cmg-mp-not-https", typed_mp=source,
                       address="https://" + source.split("://", 1)[-1])
        self._fail(NAME_NOT_RESOLVED[0], "mp-unreachable", typed_mp=source, mp_reason=reason)
        raise AssertionError("unreachable")  # pragma: no cover

    def _onprem_content(self, host: str, scheme: str) -> str:
        site = self.site
        self._emit("site-info", xml=self._site_info_reply(), mp=host, pause=0.2)
        self._emit("site-version", version=site.version, mp=host)
        self._emit("site-code", code=site.code)
        self._emit("site-version-short", version=site.version)
        if len(self.onprem_mps) == 1:
            self._emit("only-one-mp", mp=host)
        self._emit("searching-dp", pause=0.2)
        self._emit("location-body", xml=self._content_request(internet=False), pause=0.2)
        self._emit("ccm-post", url=f"{scheme.upper()}://{host}/ccm_system/request", pause=0.4)
        dp = site.distribution_point
        self._emit("location-reply", xml=self._content_reply(dp.client_package, internet=False), pause=0.2)
        self._emit("fallback-unprotected")
        package = f"{site.code}00002"
        dp_url = f"http://{dp.host}/SMS_DP_SMSPKG$/{package}"
        if dp.client_package:
            self._emit("local-location", url=dp_url)
            self._emit("propfind", url=dp_url, pause=0.3)
            if network.resolve(self.world, dp.host).ok or self.forced is not None:
                if self.forced != "download-404":
                    return f"http://{dp.host}:80/SMS_DP_SMSPKG$/{package}"
            else:
                self._emit("check-url-failed", url=dp_url, code=NAME_NOT_RESOLVED[0])
        self._emit("dp-none-good", count=1 if dp.client_package else 0, pause=0.2)
        self._mp_fallback = True
        return f"{scheme.upper()}://{host}:{443 if scheme == 'https' else 80}/CCM_Client"

    # -- manifest, download, install -------------------------------------------------------------------------

    def _manifest(self, base: str) -> None:
        cab = WINDOWS_CCMSETUP + "\\ccmsetup.cab"
        manifest = WINDOWS_CCMSETUP + "\\ccmsetup.xml"
        self._emit("get", url=f"{base}/ccmsetup.cab", pause=0.4)
        self._emit("root-thumbprint", thumbprint=MICROSOFT_ROOT_THUMBPRINT)
        self._emit("cab-trusted", path=cab)
        self._emit("manifest-extracted", manifest=manifest, cab=cab)
        self._emit("manifest-loading", manifest=manifest)
        self._emit("manifest-loaded")
        self._emit("manifest-newer", manifest=self.site.version, ccmsetup=self._ccmsetup_version())
        self._emit("manifest-not-newer", pause=0.3)
        for item, how, code in _MANIFEST:
            if how == "not-applicable":
                self._emit("item-not-applicable", item=item, pause=0.05)
                continue
            self._emit("item-applicable", item=item, pause=0.05)
            if how == "detected":
                self._emit("item-detected", item=item, pause=0.05)
                continue
            if how == "msi":
                self._emit("no-msi-product", code=code, pause=0.05)
            elif how == "file":
                self._emit("discovery-failed", path=WINDOWS_CCMSETUP + "\\" + item.split("/")[-1], pause=0.05)
            self._emit("item-pending", item=item, pause=0.05)
        for folder, key in (("ClientPatch", "no-patches"), ("LanguagePack", "no-language-packs"),
                            ("ClientUpdate", "no-client-update")):
            self._emit("propfind", url=f"{base}/x64/{folder}", pause=0.1)
            self._emit(key)
        self._emit("searching-transform")
        self._emit("propfind", url=f"{base}/x64/LanguagePack")
        self._emit("no-transform", pause=0.2)

    def _pending_files(self) -> list[str]:
        return [item for item, how, _ in _MANIFEST if how in ("msi", "file", "pending")]

    def _download(self, base: str) -> None:
        for item in self._pending_files():
            self._emit("file-missing", path=WINDOWS_CCMSETUP + "\\" + item.split("/")[-1], pause=0.02)
        self._emit("branch-cache")
        for item in self._pending_files():
            self._emit("bits-add", url=f"{base}/{item}", path=WINDOWS_CCMSETUP + "\\" + item.split("/")[-1],
                       pause=0.05)
        self._emit("bits-start", pause=0.5)
        mp_host = base.split("://", 1)[1].split("/", 1)[0].split(":", 1)[0]
        mp = self.site.management_point(mp_host) if self._mp_fallback else None
        if self._fails(self.device.network.proxy_stalls_downloads):
            assert self._sink is not None
            self._sink.wait(self.download_timeout * 60)
            self._emit("bits-failed", code="0x80072ee2", description="The operation timed out", pause=0.1)
            self._emit("bits-failed-client-files", code="0x80072ee2", pause=0.1)
            self._state_message(309, str(_signed(0x80072EE2)), error_path=base)
            self._fail("0x80072ee2", "download-stalled", proxy=self.device.network.proxy or "(the WinHTTP proxy)",
                       timeout=self.download_timeout, _stalls=True)
        if self._fails(bool(mp is not None and not mp.client_files), "download-404"):
            description = "HTTP status 404: The requested URL does not exist on the server."
            self._emit("bits-failed", code="0x80190194", description=description, pause=0.1)
            self._emit("bits-failed-client-files", code="0x80190194", pause=0.1)
            self._state_message(309, str(_signed(0x80190194)), error_path=base)
            self._fail("0x80190194", "mp-client-files-missing")
        assert self._sink is not None
        self._sink.wait(6.0)  # BITS transfers the files; ccmsetup.log stays quiet meanwhile

    def _prerequisites(self) -> None:
        broken = self.device.prerequisite_failure
        if self._fails(bool(broken), "prereq-failed"):
            name = broken or "vcredist_x64.exe"
            self._emit("prerequisite-failed", path=WINDOWS_CCMSETUP + "\\" + name, code=1603, pause=0.2)
            self._fail("0x80070643", "prerequisite-failed", prerequisite=name)

    def _client_msi(self) -> None:
        assert self._sink is not None
        package = f"{WINDOWS_CCMSETUP}\\{PACKAGE_GUID}\\client.msi"
        self._emit("installing-version", version=self.site.version, product_code=CLIENT_PRODUCT_CODE, pause=0.4)
        self._emit("running-package", package=package, log=WINDOWS_CCMSETUP + "\\Logs\\client.msi.log",
                   properties=self._msi_properties(), pause=0.3)
        start = self.now
        self._sink.msi([f"=== Verbose logging started: {_msi_clock(start)}  Build type: SHIP UNICODE "
                        f"5.00.9135.00  Calling process: {SERVICE_EXE} ===",
                        f"MSI (s) (7C:10) [{start:%H:%M:%S}:010]: Original package ==> {package}"])
        low_disk = self.device.free_disk_mb < MIN_FREE_DISK_MB
        for action, description in _MSI_ACTIONS:
            stamp = f"{datetime.now():%H:%M:%S}"  # MSI prints the wall clock of each action
            self._sink.msi([f"Action start {stamp}: {action}."])
            self._emit("msi-action", time=stamp, action=action, description=description, pause=0.9)
            disk_fails = action == "InstallFiles" and self._fails(low_disk)
            forced_fails = action == "CcmRegisterComponents" and self._fails(False, "msi-1603")
            if disk_fails or forced_fails:
                if disk_fails:
                    message = (f"Out of disk space -- Volume: 'C:'; required space: {MIN_FREE_DISK_MB * 1024} KB; "
                               f"available space: {self.device.free_disk_mb * 1024} KB. Free some disk space and retry.")
                else:
                    message = "Setup failed due to unexpected circumstances\nThe error code is 80070643"
                failure = (f"MSI (s) (7C:10) [{stamp}:417]: Product: Configuration Manager Client -- Error 1601. "
                           f"{message}" if disk_fails else
                           # A DLL custom action that fails is logged by Windows Installer in this shape; its own
                           # error text reaches ccmsetup.log (ErrorMessages), not this log.
                           f"CustomAction {action} returned actual error code 1603 (note this may not be 100% "
                           "accurate if translation happened inside sandbox)")
                self._sink.msi([failure,
                                f"Action ended {stamp}: {action}. Return value 3.",
                                f"Action ended {stamp}: INSTALL. Return value 3.",
                                f"MSI (s) (7C:10) [{stamp}:531]: Windows Installer installed the product. Product "
                                f"Name: Configuration Manager Client. Product Version: {self.site.version}. Product "
                                "Language: 1033. Manufacturer: Microsoft Corporation. Installation success or error "
                                "status: 1603.",
                                f"=== Verbose logging stopped: {_msi_clock(self.now)} ==="])
                self._emit("msi-rollback", time=stamp, pause=0.8)
                self._emit("msi-file-failed", package=package, code=1603, action=action, messages=message,
                           pause=0.3)
                self._fail("0x80070643", "low-disk", free_mb=self.device.free_disk_mb)
            self._sink.msi([f"Action ended {stamp}: {action}. Return value 1."])
        reboot = self._fails(bool(self.device.pending_restart), "reboot")
        self._sink.msi([f"MSI (s) (7C:10) [{start:%H:%M:%S}:612]: Windows Installer installed the product. Product "
                        f"Name: Configuration Manager Client. Product Version: {self.site.version}. Product Language: "
                        "1033. Manufacturer: Microsoft Corporation. Installation success or error status: "
                        f"{3010 if reboot else 0}.", f"=== Verbose logging stopped: {_msi_clock(self.now)} ==="])
        thread = self.bootstrap_thread if self.noservice else self.main_thread
        if reboot:
            self._emit("install-succeeded-reboot", pause=0.4)
            self._emit("exiting", thread=thread, code=7)
            reason = finding("pending-restart", markers=", ".join(self.device.pending_restart)) \
                if self.forced is None else finding("forced-outcome", outcome=self.forced)
            self._verdict = Verdict("reboot-required", 7, None, reason, tuple(self._notes), self.auth)
            return
        self._emit("install-succeeded", pause=0.4)
        self._state_message(400, "0")
        self._emit("exiting", thread=thread, code=0)
        self._verdict = Verdict("succeeded", 0, None, None, tuple(self._notes), self.auth)

    # -- after a successful install --------------------------------------------------------------------------

    def registers(self) -> bool:
        """Whether the installed client registers with the site (wrong SMSSITECODE: it never does)."""
        code = (self.sitecode or "").strip().upper()
        return self.forced is not None or not code or code == "AUTO" or code == self.site.code.upper()

    def registration(self, sink: Sink) -> None:
        self._sink = sink
        if not self.registers():
            return
        entra = self.auth == "entra"
        sink.wait(1.5)
        if entra:
            self._register("reg-aad-pending")
            sink.wait(0.8)
        self._register("reg-start", attempt=1)
        self._register("reg-sending", client_id=CLIENT_ID)
        if entra:
            self._register("reg-aad")
        sink.wait(1.5)
        self._register("reg-done", client_id=CLIENT_ID, approval=3 if entra else 1)


def _int(value: str | None, default: int) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default


def _signed(value: int) -> int:
    """An HRESULT as the signed number the FSP message carries (ErrorCode="-2145844844")."""
    return value - (1 << 32) if value & 0x80000000 else value


def _skew_text(minutes: int) -> str:
    days, rest = divmod(abs(minutes), 24 * 60)
    direction = "behind" if minutes < 0 else "ahead"
    if days:
        return f"{days} day{'s' if days != 1 else ''} {direction}"
    return f"{rest} minutes {direction}"


def evaluate(argv: list[str], world: World, *, outcome: str | None = None,
             now: datetime | None = None) -> tuple[Verdict, RecordingSink]:
    """What running `ccmsetup.exe <argv>` on this world ends with, and every record it would write
    (bootstrap, service, registration), without files or waiting."""
    run = CcmsetupRun(argv, world, outcome=outcome, now=now)
    sink = RecordingSink()
    code = run.bootstrap(sink, 4312)
    if code is not None:
        assert run._verdict is not None
        return run._verdict, sink
    if not run.noservice:
        run.bootstrap_after_service_start(sink)
    verdict = run.service(sink, 7812, own_process=not run.noservice)
    if verdict.state == "succeeded":
        run.registration(sink)
    return verdict, sink


def _msi_clock(when: datetime) -> str:
    """Date and time as Windows Installer writes them in its log header and footer (en-US short date and time,
    unpadded: `8/17/2017  9:05:36`)."""
    return f"{when.month}/{when.day}/{when.year}  {when.hour}:{when.minute:02d}:{when.second:02d}"
