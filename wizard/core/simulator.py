"""A stand-in for ccmsetup.exe for demo mode, training and tests: writes a realistic ccmsetup.log over time.

    python -m wizard.core.simulator --log-dir DIR [--outcome NAME] [--speed X] -- <ccmsetup arguments>
    ccmsetup-wizard simulate --log-dir DIR [--outcome NAME] [--speed X] -- <ccmsetup arguments>

Like the real ccmsetup (ccmsetup-facts 4.1) it runs in two processes unless /noservice is given: the launched
(bootstrap) process "starts the ccmsetup service" — here a detached child process running this module with
`--service-part` — logs its own early "CcmSetup is exiting with return code 0" and exits at once; the service part
then does the work (about 60 s at speed 1) and writes the real result. With /noservice everything runs in the
launched process, whose exit code is the result.

Files written (appended; earlier runs stay):
- `<log-dir>/ccmsetup.log`: CCM/CMTrace format, UTF-8 with BOM, CRLF, multi-line records, type 0 MSI lines.
- `<log-dir>/client.msi.log`: Windows Installer verbose log, UTF-16LE with BOM (when client.msi runs).
- `<ccm-log-dir>/ClientIDManagerStartup.log` after a successful install (default `<log-dir>/../CCM/Logs`).
- `<log-dir>/.ccmsetup-service.pid`: the pid of the process still doing setup work; it exists from before the
  launched process exits until the result line is written, then it is removed. The demo host uses it as "the
  ccmsetup service/process is still running".

This module starts a child process, which the rest of wizard/core never does: the simulator *is* the external
program the core normally only reads logs from.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime

__all__ = ["OUTCOMES", "PID_FILE_NAME", "SimulatorError", "add_arguments", "ccm_line", "main", "run_from_args",
           "simulate", "default_ccm_log_dir"]

OUTCOMES: dict[str, str] = {
    "success": "Installs and exits with 0; ClientIDManagerStartup.log shows the registration.",
    "reboot": "client.msi asks for a restart: return code 7.",
    "aad-resource-mismatch": "Entra ID rejects the token request with AADSTS50001 (AADRESOURCEURI wrong).",
    "cmg-untrusted": "The CMG certificate chains to an untrusted root (WINHTTP ... INVALID_CA).",
    "regtoken-with-mp": "A bulk token used together with /mp: 0x87d0027e.",
    "msi-1603": "client.msi fails (Return value 3 in client.msi.log): 0x80070643.",
    "already-running": "Another ccmsetup is running: the launched process exits with 8.",
    "prereq-failed": "BITS is missing: prerequisite evaluation fails with return code 9.",
    "download-404": "Client download gets HTTP 404: 0x80190194 (failure line written with type=\"1\").",
}
PID_FILE_NAME = ".ccmsetup-service.pid"
SERVICE_EXE = r"C:\WINDOWS\ccmsetup\ccmsetup.exe"
LAUNCH_EXE = r"C:\Temp\ccmsetup\ccmsetup.exe"
CLIENT_VERSION = "5.00.10011.1000"
PRODUCT_CODE = "{6B4B3F8B-43F8-4D1B-8E5C-2A1D4F6A9E21}"
PACKAGE_GUID = "{E6F27809-FF66-4BAA-B0FB-E4A154A6A388}"
CLIENT_GUID = "GUID:C66EE0FD-08E7-4B38-B282-7E6954B71139"
# The script's pauses add up to ~50 s for a successful CMG install; this stretches them to about a minute at speed 1
# (failures end earlier, where real ccmsetup would stop).
_PACE = 1.2


class SimulatorError(ValueError):
    """Bad simulator input (unknown outcome, bad speed, unusable folder)."""


def default_ccm_log_dir(log_dir) -> str:
    """Where ClientIDManagerStartup.log goes: `<log-dir>/../CCM/Logs` (mirrors %WinDir%\\CCM\\Logs)."""
    return os.path.normpath(os.path.join(os.fspath(log_dir), os.pardir, "CCM", "Logs"))


def ccm_line(message: str, *, when: datetime | None = None, component: str = "ccmsetup", type_: int = 1,
             thread: int = 0, file: str = "ccmsetup.cpp:0", context: str = "") -> str:
    """One record in CMTrace format with a CRLF, time-zone bias in minutes where UTC = local + bias."""
    when = when or datetime.now()
    bias = -int(time.localtime(when.timestamp()).tm_gmtoff // 60)
    sign = "-" if bias < 0 else "+"
    message = message.replace("\r\n", "\n").replace("\n", "\r\n")
    return (f'<![LOG[{message}]LOG]!><time="{when:%H:%M:%S}.{when.microsecond // 1000:03d}{sign}{abs(bias):03d}" '
            f'date="{when:%m-%d-%Y}" component="{component}" context="{context}" type="{type_}" '
            f'thread="{thread}" file="{file}">\r\n')


# ---------------------------------------------------------------------------------------------------------------
# What the command line says


@dataclass
class _Args:
    tokens: list[str]
    mp: str | None
    ccmhostname: str | None
    sitecode: str | None
    regtoken: bool
    noservice: bool
    aad_tenant: str | None
    aad_resource: str | None
    aad_client: str | None

    @property
    def cmg(self) -> bool:
        host = (self.ccmhostname or self.mp or "").lower()
        return bool(self.ccmhostname) or "ccm_proxy" in host or "cloudapp" in host

    @property
    def entra(self) -> bool:
        return (self.cmg and not self.regtoken) or bool(self.aad_tenant)

    @property
    def cmg_host(self) -> str:
        if self.ccmhostname:
            return self.ccmhostname.split("/")[0]
        if self.mp and "://" in self.mp:
            return self.mp.split("://", 1)[1].split("/")[0]
        return "contoso-cmg.cloudapp.net"

    @property
    def cmg_path(self) -> str:
        if self.ccmhostname and "/" in self.ccmhostname:
            return self.ccmhostname
        return f"{self.cmg_host}/CCM_Proxy_MutualAuth/72186325152220500"


def _read_args(tokens: list[str]) -> _Args:
    values: dict[str, str] = {}
    switches: set[str] = set()
    for token in tokens:
        if token.startswith("/") or token.startswith("-"):
            name, _, value = token[1:].partition(":")
            switches.add(name.lower())
            if value:
                values["/" + name.lower()] = value
        elif "=" in token:
            name, _, value = token.partition("=")
            values[name.upper()] = value
    return _Args(tokens=list(tokens), mp=values.get("/mp", "").split(";")[0] or None,
                 ccmhostname=values.get("CCMHOSTNAME"), sitecode=values.get("SMSSITECODE"),
                 regtoken="regtoken" in switches, noservice="noservice" in switches,
                 aad_tenant=values.get("AADTENANTID"), aad_resource=values.get("AADRESOURCEURI"),
                 aad_client=values.get("AADCLIENTAPPID"))


# ---------------------------------------------------------------------------------------------------------------
# Writing


class _Writer:
    """Appends records to the logs, opening and closing the file every time (like ccmsetup, so a tailer can
    rotate or rename it meanwhile)."""

    def __init__(self, log_dir: str, ccm_log_dir: str, speed: float, thread: int, rng: random.Random):
        self.log_dir = log_dir
        self.ccm_log_dir = ccm_log_dir
        self.speed = speed
        self.thread = thread
        self.rng = rng
        self.path = os.path.join(log_dir, "ccmsetup.log")
        self.msi_path = os.path.join(log_dir, "client.msi.log")

    def wait(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds * _PACE / self.speed)

    def log(self, message: str, *, type_: int = 1, file: str | None = None, thread: int | None = None,
            pause: float = 0.0) -> None:
        text = ccm_line(message, type_=type_, thread=thread or self.thread,
                        file=file or f"ccmsetup.cpp:{self.rng.randrange(1000, 11000)}")
        _append(self.path, text.encode("utf-8"), codecs.BOM_UTF8)
        self.wait(pause)

    def msi(self, lines: list[str]) -> None:
        text = "".join(line + "\r\n" for line in lines)
        _append(self.msi_path, text.encode("utf-16-le"), codecs.BOM_UTF16_LE)

    def ccm_log(self, name: str, message: str, component: str, *, type_: int = 1) -> None:
        os.makedirs(self.ccm_log_dir, exist_ok=True)
        text = ccm_line(message, component=component, type_=type_, thread=self.thread + 11,
                        file="regtask.cpp:1024")
        _append(os.path.join(self.ccm_log_dir, name), text.encode("utf-8"), codecs.BOM_UTF8)


def _append(path: str, data: bytes, bom: bytes) -> None:
    with open(path, "ab") as fh:
        if fh.tell() == 0:
            fh.write(bom)
        fh.write(data)


def _write_pid_file(log_dir: str, pid: int) -> None:
    path = os.path.join(log_dir, PID_FILE_NAME)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="ascii") as fh:
        fh.write(f"{pid}\n")
    os.replace(tmp, path)


def _remove_pid_file(log_dir: str, pid: int, *, wait_for_owner: float = 0.0) -> None:
    """Remove the marker if it names `pid`. A detached service part that finishes very fast waits (up to
    `wait_for_owner` seconds) for the launcher to have written the child's pid, so no stale marker is left."""
    path = os.path.join(log_dir, PID_FILE_NAME)
    deadline = time.monotonic() + wait_for_owner
    while True:
        try:
            with open(path, encoding="ascii") as fh:
                owner = fh.read().strip()
        except OSError:
            owner = ""
        if owner == str(pid):
            with contextlib.suppress(OSError):
                os.remove(path)
            return
        if time.monotonic() >= deadline:
            return
        time.sleep(0.02)


# ---------------------------------------------------------------------------------------------------------------
# The script


def _bootstrap(w: _Writer, args: _Args, outcome: str, pid: int) -> int | None:
    """The launched process's part. Returns its exit code when it ends the run itself, None to continue."""
    w.log(f"==========[ ccmsetup started in process {pid} ]==========", file="ccmsetup.cpp:10632", pause=0.3)
    w.log("Running on 'Microsoft Windows 11 Enterprise' (10.0.22631). Service Pack (0.0). SuiteMask = 272. "
          "Product Type = 18", pause=0.1)
    w.log(f"Ccmsetup command line: {subprocess.list2cmdline([LAUNCH_EXE, *args.tokens])}", pause=0.1)
    w.log("Command line parameters for ccmsetup have been specified.  No registry lookup for command line "
          "parameters is required.", pause=0.1)
    w.log(f"Ccmsetup version: {CLIENT_VERSION}", pause=0.2)
    if outcome == "already-running":
        w.log("Another instance of ccmsetup is already running. Exiting.", type_=2, pause=0.2)
        w.log("CcmSetup is exiting with return code 8", file="ccmsetup.cpp:11051")
        return 8
    if args.noservice:
        w.log("Running in /noservice mode: setup runs in this process.", pause=0.2)
        return None
    w.log(f"Downloading {LAUNCH_EXE} to {SERVICE_EXE}", pause=0.4)
    w.log("Successfully created the ccmsetup service", pause=0.3)
    w.log("Successfully started the ccmsetup service", pause=0.4)
    return None


def _service(w: _Writer, args: _Args, outcome: str, pid: int, *, own_process: bool) -> int:
    """The ccmsetup service's part (or the /noservice run). Returns the ccmsetup return code."""
    if own_process:
        w.log(f"==========[ ccmsetup started in process {pid} ]==========", file="ccmsetup.cpp:10632",
              pause=0.2)
        w.log('Running as user "SYSTEM"', pause=0.1)
        w.log(f"Ccmsetup command line: {subprocess.list2cmdline([SERVICE_EXE, '/runservice', *args.tokens])}",
              pause=0.1)
        w.log("In ServiceMain", pause=0.5)
    site = args.sitecode or "PS1"
    cmg = args.cmg_host
    cmg_path = args.cmg_path
    entra = args.entra or outcome == "aad-resource-mismatch"
    uses_cmg = args.cmg or outcome in ("cmg-untrusted", "aad-resource-mismatch")

    if outcome == "regtoken-with-mp":
        w.log("Client is using a bulk registration token.", pause=0.6)
        w.log(f"Both /mp:{args.mp or 'https://' + cmg_path} and a registration token were specified.", type_=3,
              pause=0.3)
        return _fail(w, "0x87d0027e", rc=6)

    if outcome == "prereq-failed":
        w.log("Checking prerequisites for the client installation.", pause=1.0)
        w.log("This operating system does not contain the correct version of BITS. BITS 2.5 or later is "
              "required.", type_=3, pause=0.5)
        w.log("CreateInstance of CLSID_BackgroundCopyManager failed with 8007042C. Unable to check BITS version",
              type_=3, pause=0.5)
        w.log("Sending Fallback Status Point message, STATEID='321'.", pause=0.3)
        w.log("CcmSetup is exiting with return code 9", file="ccmsetup.cpp:11051")
        return 9

    if uses_cmg:
        w.log(f"Getting AAD info from CMG '{cmg.upper()}'" if entra else f"Contacting CMG '{cmg}'", pause=0.4)
        if entra:
            tenant = args.aad_tenant or "9aaf466a-3f40-4468-b3cd-f0010f21f05a"
            w.log(f"SMS CCM 5.0: Host={cmg.upper()}, Path=/CCM_Proxy_ServerAuth/AADAuthInfo?TenantID={tenant}, "
                  "Port=443, Protocol=https, CcmTokenAuth=0, Flags=0x1304, Options=0xe0", pause=0.3)
        w.log("Created connection on port 443", pause=0.2)
        w.log("Enabled SSL revocation check.", pause=0.6)
        if outcome == "cmg-untrusted":
            w.log("[CCMHTTP] AsyncCallback(): WINHTTP_CALLBACK_STATUS_SECURE_FAILURE Encountered", type_=3,
                  pause=0.1)
            w.log("[CCMHTTP] AsyncCallback(): -----------------------------------------------------------------",
                  type_=3, pause=0.1)
            w.log("[CCMHTTP] AsyncCallback(): WINHTTP_CALLBACK_STATUS_FLAG_INVALID_CA is set", type_=3,
                  pause=0.1)
            w.log("[CCMHTTP] AsyncCallback(): -----------------------------------------------------------------",
                  type_=3, pause=0.3)
            w.log(f"Failed to get AAD info from CMG '{cmg.upper()}'. Error 0x80072f8f", type_=3, pause=0.3)
            w.log("Sending Fallback Status Point message, STATEID='321'.", pause=0.3)
            return _fail(w, "0x80072f8f", rc=6)
    if entra:
        resource = args.aad_resource or "https://ConfigMgrService"
        client_id = args.aad_client or "0b7c8ab3-9ea1-4ffa-b2b9-8ffdd944bd8b"
        w.log(f"Getting AAD (device) token with: ClientId = {client_id}, ResourceUrl = {resource}, "
              "AccountId = https://login.microsoftonline.com/common/oauth2/token", pause=0.8)
        if outcome == "aad-resource-mismatch":
            w.log("WAM token request failed. Status 5, Details 'AADSTS50001: The application named "
                  f"{resource} was not found in the tenant named {args.aad_tenant or 'contoso.onmicrosoft.com'}."
                  " This can happen if the application has not been installed by the administrator of the tenant "
                  "or consented to by any user in the tenant.'", type_=3, pause=0.2)
            w.log("Failed to get AAD token..", type_=3, pause=0.3)
            w.log("Sending Fallback Status Point message, STATEID='321'.", pause=0.3)
            return _fail(w, "0x80004005", rc=6)
        w.log("WAM token request failed. Status 5, Details 'AAD WAM extension error'", type_=2, pause=0.1)
        w.log("Failed to get AAD token..", type_=2, pause=0.1)
        w.log("Unknown error (Error: D0090016; Source: Unknown)", type_=2, pause=0.1)
        w.log("Failed to get AAD token for 'S-1-5-18' from WAM API. Error 0xd0090016", type_=2, pause=0.2)
        w.log("Falling back to get user 'S-1-5-21-1527250992-855612568-2252598708-1604' token for system...",
              pause=0.5)
        w.log(f"Getting AAD (user) token with: ClientId = {client_id}, ResourceUrl = {resource}, "
              "AccountId = 149FC29A-ECE3-4123-A3C1-1234563F035A", pause=0.8)
        w.log("Retrieved AAD token for AAD user 'e8838041-db7a-42d5-b9ae-78813910e4cc'", pause=0.3)
        w.log(f"Getting CCM Token from STS server '{cmg_path}'", pause=0.3)
        w.log(f"Getting CCM Token from https://{cmg_path}/CCM_STS", pause=0.6)
        expiry = datetime.now().replace(microsecond=0)
        w.log(f"Cached encrypted token for 'S-1-5-18'. Will expire at '{expiry:%m/%d/%Y} 23:59:59'", pause=0.4)
    elif args.regtoken:
        w.log("Client is using a bulk registration token.", pause=0.4)

    # Locate MP and content.
    if uses_cmg:
        mp_url = f"https://{cmg_path}"
        w.log(f"ccmsetup: Host={cmg}, Path=/CCM_Proxy_ServerAuth/72057594037937981/ccm_system_tokenauth/request, "
              f"Port=443, Protocol=https, CcmTokenAuth=1, Flags=0x4100, Options=0xe0", pause=0.3)
    else:
        mp_url = args.mp or "https://mp1.contoso.com"
    w.log(f"Sending location request to '{mp_url.split('://')[-1]}' with payload '<Request><Site>{site}</Site>"
          "</Request>'", pause=0.2)
    if uses_cmg:
        w.log("Appending CCM Token to the header.", pause=0.3)
    w.log(f"Received message '<SiteInfoReply SchemaVersion=\"1.00\">\n<SiteInfo SiteCode=\"{site}\" "
          f"ForestTrust=\"TRUE\" Version=\"{CLIENT_VERSION}\"/>\n<SecurityConfiguration><SecurityMode>"
          "EHTTP</SecurityMode></SecurityConfiguration>\n</SiteInfoReply>'", pause=0.4)
    w.log(f"Checking the URL '{mp_url}/CCM_Client/ccmsetup.cab'", pause=0.4)
    w.log(f"Found a valid online MP '{mp_url}'", pause=0.5)
    w.log("Searching for DP locations from MP(s)...", pause=0.2)
    w.log(f"CCMSETUP bootstrap from Internet: {1 if uses_cmg else 0}", pause=0.2)
    w.log("Sending message body '<ContentLocationRequest SchemaVersion=\"1.00\" BGRVersion=\"1\">\n"
          f"  <Package ID=\"{site}00002\" Version=\"1\"/>\n  <AssignedSite SiteCode=\"{site}\"/>\n"
          "</ContentLocationRequest>'", pause=0.6)
    location = (f"https://{cmg}/downloadrestservice.svc/getcontentxmlsecure?pid={site}00002&cid={site}00002"
                if uses_cmg else f"http://dp1.contoso.com/SMS_DP_SMSPKG$/{site}00002")
    w.log(f"Found remote location '{location}'", pause=0.2)
    if uses_cmg:
        w.log(f"The location '{location}' is on Azure", pause=0.2)
        w.log("No local DP locations found but is upgrading client on the co-lcated pull DP or Client is on "
              "Internet, continue with remote locations.", pause=0.4)

    # Download.
    files = ("ccmsetup.cab", "client.msi", "vcredist_x64.exe", "MicrosoftPolicyPlatformSetup.msi")
    for name in files:
        w.log(f"Downloading file {location.split('?')[0]}/{name}", pause=0.3)
        w.log("Starting BITS download for client deployment files.", pause=0.3)
        total = w.rng.randrange(2_000_000, 9_000_000)
        if outcome == "download-404" and name == "client.msi":
            w.log(f"Download Update: Connecting to the server. (url: {location.split('?')[0]}/{name})",
                  pause=0.8)
            w.log(f"Failed to download from '{location.split('?')[0]}/{name}' (HTTP status 404). "
                  "Error 0x80190194", type_=3, pause=0.3)
            w.log("Sending Fallback Status Point message, STATEID='321'.", pause=0.3)
            # The verified real log writes this failure with type="1" and no exit line after it.
            w.log("CcmSetup failed with error code 0x80190194", type_=1, file="ccmsetup.cpp:11055")
            return 6
        for percent in range(10, 101, 15 if name != "client.msi" else 6):
            percent = min(percent, 100)
            w.log(f"File download {percent}% complete ({total * percent // 100} of {total} bytes).", pause=0.35)
        w.log(f"Download complete. {name}", pause=0.3)

    # Prerequisites.
    w.log("Checking prerequisites for the client installation.", pause=0.4)
    for name in ("vcredist_x64.exe", "MicrosoftPolicyPlatformSetup.msi", "WindowsFirewallConfigurationProvider.msi"):
        w.log(f"Installing file 'C:\\WINDOWS\\ccmsetup\\{name}' with options '/Q'.", pause=1.2)
        w.log(f"'C:\\WINDOWS\\ccmsetup\\{name}' is installed successfully.", pause=0.3)

    # client.msi
    w.log(f"Installing version {CLIENT_VERSION} of the client with product code {PRODUCT_CODE}", pause=0.4)
    package = f"C:\\WINDOWS\\ccmsetup\\{PACKAGE_GUID}\\client.msi"
    props = " ".join(t for t in args.tokens if not t.startswith("/")) or f"SMSSITECODE={site}"
    w.log(f"Running installation package\n  Package:     {package}\n  Log:         "
          f"C:\\WINDOWS\\ccmsetup\\Logs\\client.msi.log\n  Properties:  {props}", pause=0.3)
    return _install_msi(w, outcome, package)


_MSI_ACTIONS = ("CostInitialize", "FileCost", "CcmSetObjectManagerParameters", "InstallValidate",
                "CcmStopService", "InstallFiles", "CcmRegisterComponents", "CcmCompileMofs", "CcmStartService",
                "CcmRestorePowerScheme", "InstallFinalize")


def _install_msi(w: _Writer, outcome: str, package: str) -> int:
    now = datetime.now()
    w.msi([f"=== Verbose logging started: {now:%m/%d/%Y  %H:%M:%S}  Build type: SHIP UNICODE 5.00.10011.00  "
           f"Calling process: {SERVICE_EXE} ===",
           f"MSI (c) (4C:58) [{now:%H:%M:%S}:{now.microsecond // 1000:03d}]: Resetting cached policy values",
           f"MSI (s) (7C:10) [{now:%H:%M:%S}:{now.microsecond // 1000:03d}]: Executing op: "
           f"ProductInfo(ProductKey={PRODUCT_CODE},ProductName=Configuration Manager Client)",
           f"MSI (s) (7C:10) [{now:%H:%M:%S}:{now.microsecond // 1000:03d}]: Original package ==> {package}"])
    failing = "CcmRegisterComponents" if outcome == "msi-1603" else None
    for action in _MSI_ACTIONS:
        t = datetime.now()
        stamp = f"{t:%H:%M:%S}"
        w.msi([f"Action start {stamp}: {action}."])
        w.log(f"MSI: Action {stamp}: {action}. ", type_=0, file="msiutil.cpp:316", pause=0.9)
        if action == failing:
            w.msi([f"MSI (s) (7C:10) [{stamp}:417]: Note: 1: 1722 2: {action} 3: C:\\WINDOWS\\ccmsetup\\ "
                   "4: ccmsetup.exe",
                   f"CustomAction {action} returned actual error code 1603 (note this may not be 100% accurate "
                   "if translation happened inside sandbox)",
                   f"Action ended {stamp}: {action}. Return value 3.",
                   f"Action ended {stamp}: INSTALL. Return value 3.",
                   f"MSI (s) (7C:10) [{stamp}:530]: Product: Configuration Manager Client -- Installation "
                   "operation failed.",
                   f"MSI (s) (7C:10) [{stamp}:531]: Windows Installer installed the product. Product Name: "
                   f"Configuration Manager Client. Product Version: {CLIENT_VERSION}. Product Language: 1033. "
                   "Manufacturer: Microsoft Corporation. Installation success or error status: 1603.",
                   f"=== Verbose logging stopped: {datetime.now():%m/%d/%Y  %H:%M:%S} ==="])
            w.log(f"MSI: Action {stamp}: Rollback. Rolling back action:", type_=0, file="msiutil.cpp:316",
                  pause=0.8)
            w.log("MSI: Setup failed due to unexpected circumstances\nThe error code is 80070643", type_=3,
                  file="msiutil.cpp:325", pause=0.3)
            w.log(f"File {package} installation failed. Error text: ExitCode: 1603\nAction: {action}\n"
                  "ErrorMessages:\nSetup failed due to unexpected circumstances\nThe error code is 80070643",
                  type_=3, pause=0.3)
            w.log("Sending Fallback Status Point message, STATEID='313'.", pause=0.3)
            return _fail(w, "0x80070643", rc=6)
        w.msi([f"Action ended {stamp}: {action}. Return value 1."])
    reboot = outcome == "reboot"
    stamp = f"{datetime.now():%H:%M:%S}"
    w.msi([f"MSI (s) (7C:10) [{stamp}:611]: Product: Configuration Manager Client -- Installation operation "
           "completed successfully.",
           f"MSI (s) (7C:10) [{stamp}:612]: Windows Installer installed the product. Product Name: Configuration "
           f"Manager Client. Product Version: {CLIENT_VERSION}. Product Language: 1033. Manufacturer: Microsoft "
           f"Corporation. Installation success or error status: {3010 if reboot else 0}.",
           f"=== Verbose logging stopped: {datetime.now():%m/%d/%Y  %H:%M:%S} ==="])
    if reboot:
        w.log("Installation succeeded. Windows Installer has requested a reboot.", pause=0.4)
        w.log("Sending Fallback Status Point message, STATEID='400'.", pause=0.3)
        w.log("CcmSetup is exiting with return code 7", file="ccmsetup.cpp:11051")
        return 7
    w.log("Installation succeeded.", pause=0.4)
    w.log("Sending Fallback Status Point message, STATEID='400'.", pause=0.3)
    w.log("Deleting the ccmsetup service.", pause=0.3)
    w.log("CcmSetup is exiting with return code 0", file="ccmsetup.cpp:11051")
    return 0


def _fail(w: _Writer, hresult: str, *, rc: int) -> int:
    w.log(f"CcmSetup failed with error code {hresult}", type_=3, file="ccmsetup.cpp:11055", pause=0.1)
    w.log(f"CcmSetup is exiting with return code {rc}", file="ccmsetup.cpp:11051")
    return rc


def _registration(w: _Writer, entra: bool) -> None:
    name, comp = "ClientIDManagerStartup.log", "ClientIDManagerStartup"
    w.wait(1.5)
    if entra:
        w.ccm_log(name, "AADJoinStatusTask: Client hasn't been registered yet.", comp)
        w.wait(0.8)
    w.ccm_log(name, "[RegTask] - Starting registration, attempt 1.", comp)
    w.ccm_log(name, f"[RegTask] - Client is not registered. Sending registration request for {CLIENT_GUID} ...",
              comp)
    if entra:
        w.ccm_log(name, "Registering client using AAD auth.", comp)
    w.wait(1.5)
    w.ccm_log(name, f"[RegTask] - Client is registered. Server assigned ClientID is {CLIENT_GUID}. Approval "
              f"status {3 if entra else 1}", comp)


# ---------------------------------------------------------------------------------------------------------------
# Entry points


def _check(log_dir, outcome: str, speed: float) -> str:
    if outcome not in OUTCOMES:
        raise SimulatorError(f"--outcome: unknown outcome {outcome!r}; choose one of: {', '.join(OUTCOMES)}")
    if not (speed > 0) or speed > 1e6:
        raise SimulatorError(f"--speed: {speed!r} must be a number above 0 (1 = real time, 10 = ten times faster)")
    log_dir = os.fspath(log_dir)
    try:
        os.makedirs(log_dir, exist_ok=True)
    except OSError as exc:
        raise SimulatorError(f"--log-dir: cannot create {log_dir!r} ({exc.strerror}); pick a writable folder") \
            from exc
    return log_dir


def simulate(log_dir, argv, *, outcome: str = "success", speed: float = 1.0, ccm_log_dir=None,
             detach: bool = True, seed: int | None = None) -> int:
    """Behave like `ccmsetup.exe <argv>`: write the logs over time and return the launched process's exit code.

    In service mode (no /noservice) the returned code is the bootstrap's (0, or 8 for already-running) and the
    rest is written by a detached child process (`detach=True`) or in this thread before returning
    (`detach=False`, handy in tests). With /noservice the returned code is the ccmsetup result.
    Raises SimulatorError for bad input.
    """
    log_dir = _check(log_dir, outcome, speed)
    ccm_dir = os.fspath(ccm_log_dir) if ccm_log_dir else default_ccm_log_dir(log_dir)
    args = _read_args(list(argv))
    rng = random.Random(seed)
    pid = os.getpid()
    writer = _Writer(log_dir, ccm_dir, speed, rng.randrange(1000, 5000), rng)
    _write_pid_file(log_dir, pid)
    try:
        code = _bootstrap(writer, args, outcome, pid)
        if code is not None:
            return code
        if args.noservice:
            return _run_service_part(writer, args, outcome, pid, marker_pid=pid)
        if not detach:
            writer.log("CcmSetup is exiting with return code 0", file="ccmsetup.cpp:11051")
            service = _Writer(log_dir, ccm_dir, speed, rng.randrange(5000, 9999), rng)
            _run_service_part(service, args, outcome, pid + 4, marker_pid=pid, own_process=True)
            return 0
        try:
            child = _spawn_service(log_dir, ccm_dir, outcome, speed, args.tokens)
        except OSError as exc:
            raise SimulatorError(f"could not start the simulated ccmsetup service process ({exc}); "
                                 "run with /noservice to simulate in one process") from exc
        _write_pid_file(log_dir, child)
        writer.log("CcmSetup is exiting with return code 0", file="ccmsetup.cpp:11051")
        return 0
    finally:
        _remove_pid_file(log_dir, pid)


def _run_service_part(writer: _Writer, args: _Args, outcome: str, pid: int, *, marker_pid: int,
                      own_process: bool = False, wait_for_owner: float = 0.0) -> int:
    try:
        code = _service(writer, args, outcome, pid, own_process=own_process)
    finally:
        _remove_pid_file(writer.log_dir, marker_pid, wait_for_owner=wait_for_owner)
    if code == 0:
        _registration(writer, args.entra)
    return code


def _spawn_service(log_dir: str, ccm_dir: str, outcome: str, speed: float, tokens: list[str]) -> int:
    if getattr(sys, "frozen", False):  # a PyInstaller bundle: its executable is the wizard's CLI
        command = [sys.executable, "simulate"]
    else:
        command = [sys.executable, "-m", "wizard.core.simulator"]
    command += ["--service-part", "--log-dir", log_dir, "--ccm-log-dir", ccm_dir, "--outcome", outcome,
                "--speed", repr(speed), "--", *tokens]
    kwargs: dict = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL,
                    "close_fds": True}
    if os.name == "nt":
        kwargs["creationflags"] = (getattr(subprocess, "DETACHED_PROCESS", 0x8)
                                   | getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0x200))
    else:
        kwargs["start_new_session"] = True
    env = dict(os.environ)
    # The child must import this package even when the caller runs from a source tree.
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return subprocess.Popen(command, env=env, **kwargs).pid


def service_part(log_dir, argv, *, outcome: str = "success", speed: float = 1.0, ccm_log_dir=None) -> int:
    """The detached service process's body (run by `--service-part`)."""
    log_dir = _check(log_dir, outcome, speed)
    ccm_dir = os.fspath(ccm_log_dir) if ccm_log_dir else default_ccm_log_dir(log_dir)
    rng = random.Random()
    pid = os.getpid()
    # The launcher writes the marker with this pid right after starting us; we only remove it at the end.
    writer = _Writer(log_dir, ccm_dir, speed, rng.randrange(5000, 9999), rng)
    writer.wait(0.3)  # the launcher writes its exit line first
    return _run_service_part(writer, _read_args(list(argv)), outcome, pid, marker_pid=pid, own_process=True,
                             wait_for_owner=10.0)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--log-dir", required=True, metavar="DIR",
                        help="folder for ccmsetup.log and client.msi.log (created if missing)")
    parser.add_argument("--outcome", default="success", choices=tuple(OUTCOMES),
                        help="how the simulated install ends (default: success)")
    parser.add_argument("--speed", type=float, default=1.0,
                        help="time factor: 1 = about 60 s like a quick real install, 10 = ten times faster")
    parser.add_argument("--ccm-log-dir", metavar="DIR",
                        help="folder for ClientIDManagerStartup.log (default: <log-dir>/../CCM/Logs)")
    parser.add_argument("--service-part", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("ccmsetup_args", nargs=argparse.REMAINDER,
                        help="ccmsetup arguments after `--`, echoed in the log like ccmsetup does")


def run_from_args(args: argparse.Namespace) -> int:
    tokens = list(args.ccmsetup_args or [])
    if tokens and tokens[0] == "--":
        tokens = tokens[1:]
    try:
        if args.service_part:
            return service_part(args.log_dir, tokens, outcome=args.outcome, speed=args.speed,
                                ccm_log_dir=args.ccm_log_dir)
        return simulate(args.log_dir, tokens, outcome=args.outcome, speed=args.speed,
                        ccm_log_dir=args.ccm_log_dir)
    except SimulatorError as exc:
        print(f"simulate: {exc}", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wizard.core.simulator",
                                     description="Simulate ccmsetup.exe writing its logs (demo mode and tests).")
    add_arguments(parser)
    return run_from_args(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
