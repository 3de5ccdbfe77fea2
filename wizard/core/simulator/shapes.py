"""Every message the simulated ccmsetup can write, as a template with its source.

The simulator writes log records only through these templates (`Shape.render`), so the whole vocabulary is
here and tests/test_simulator_shapes.py holds it against an allow-list of real shapes. A template keeps the
real wording (typos included: "Retrived", "co-lcated", "No client update are detected"); `{name}` marks
what varies. `verified=False` marks the few lines no public log or document shows; they are kept minimal
and listed in the README ("Demo mode: unverified lines").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["REGISTRATION_SHAPES", "SHAPES", "Shape", "shape"]

# Sources (see also ../shared/reference/ccmsetup-facts.md §5.3, where the [D]/[K]/[C] tags come from).
REAL_LOG = "real log: github.com/jimbocalvo/Reddit ccmsetup.log (ccmsetup 5.0.8458.1007, 2020)"
DOC_ENTRA = ("Microsoft Learn: 'Microsoft Entra authentication workflow' (memdocs azure-ccmsetup.md), "
             "ccmsetup.log excerpt (facts §5.3 [D])")
KB_CMG = "Microsoft support: CMG client install troubleshooting, ccmsetup.log excerpt (facts §5.3 #28-30 [K])"
KB_MSI = "Microsoft support: 'Client installation error 1603' (facts §5.3 #40-41 [K])"
KB_CERT = "Microsoft support: 'WINHTTP_CALLBACK_STATUS_FLAG_CERT_CN_INVALID' CMG article (facts §5.3 #49 [K])"
CCMHTTP_LOG = "real log: pastebin.com/weMDHkn9 ([CCMHTTP] ERROR / ERROR INFO lines, ConfigMgr 2019)"
WAM_LOG = "real log: MicrosoftDocs/SCCMdocs issue #1135 (WAM token request failed ... AADSTS50001)"
COMMUNITY = "community scripts and blogs quoting real ccmsetup.log (facts §5.3 [C])"
WINHTTP_DOC = ("Microsoft Learn: WINHTTP_STATUS_CALLBACK flags (WINHTTP_CALLBACK_STATUS_FLAG_CERT_REV_FAILED, "
               "..._CERT_DATE_INVALID) in the [CCMHTTP] AsyncCallback shape of facts §5.3 #49")
UNVERIFIED = "UNVERIFIED: no public log shows this line; kept minimal (README: Demo mode, unverified lines)"


@dataclass(frozen=True)
class Shape:
    key: str
    text: str  # the message, `{name}` for what varies
    source: str
    type: int = 1  # CMTrace severity the real line is written with
    file: str = "ccmsetup.cpp:0"  # source file:line as the real log shows it (0 where unknown)
    component: str = "ccmsetup"
    verified: bool = True

    def render(self, **values: object) -> str:
        return self.text.format(**values)

    def pattern(self) -> re.Pattern[str]:
        """A regex matching any message this template can produce."""
        parts = re.split(r"(\{[a-z_]+\})", self.text)
        regex = "".join("(?s:.*?)" if re.fullmatch(r"\{[a-z_]+\}", p) else re.escape(p) for p in parts)
        return re.compile(regex + r"\Z", re.S)


_ALL: list[Shape] = [
    # -- start of a process ------------------------------------------------------------------------------------
    Shape("started", "==========[ ccmsetup started in process {pid} ]==========", REAL_LOG, file="ccmsetup.cpp:9498"),
    Shape("security", "Updated security on object {path}", REAL_LOG, type=0, file="ccmsetup.cpp:9342"),
    Shape("launch-folder", "Launch from folder {folder}", REAL_LOG, file="ccmsetup.cpp:627"),
    Shape("version", "CcmSetup version: {version}", REAL_LOG, file="ccmsetup.cpp:633"),
    Shape("task-folder", "Folder '{folder}' not found. Task does not exist.", REAL_LOG, type=0,
          file="wintask.cpp:648"),
    Shape("running-on", "[{computer}] Running on '{os}' ({version}). Service Pack (0.0). SuiteMask = {suite}. "
          "Product Type = {product_type}", REAL_LOG, file="util.cpp:2075"),
    Shape("ccmsetup-command-line", "Ccmsetup command line: {command}", REAL_LOG, file="ccmsetup.cpp:3813"),
    Shape("no-registry-lookup", "Command line parameters for ccmsetup have been specified.  No registry lookup "
          "for command line parameters is required.", REAL_LOG, file="ccmsetup.cpp:3938"),
    Shape("command-line", "Command line: {command}", REAL_LOG, file="ccmsetup.cpp:3939"),
    Shape("ssl-state", "SslState value: {value}", REAL_LOG, type=0, file="ccmsetup.cpp:4587"),
    Shape("no-client", "No version of the client is currently detected.", REAL_LOG, file="ccmsetup.cpp:2962"),
    # -- the launcher copies itself and starts the service ------------------------------------------------------
    Shape("downloading-file", "Downloading file {path}", REAL_LOG, file="ccmsetup.cpp:5841"),
    Shape("downloading-to", "Downloading {source} to {target}", REAL_LOG, file="ccmsetup.cpp:5925"),
    Shape("file-download-percent", "File download {percent}% complete ({done} of {total} bytes).", REAL_LOG,
          type=0, file="ccmsetup.cpp:9246"),
    Shape("download-complete", "Download complete.", REAL_LOG, file="ccmsetup.cpp:6022"),
    Shape("service-created", "Successfully created the ccmsetup service", REAL_LOG, file="ccmsetup.cpp:3472"),
    Shape("service-started", "Successfully started the ccmsetup service", REAL_LOG, file="ccmsetup.cpp:3483"),
    Shape("policy-namespace", "Failed to connect to policy namespace. Error 0x8004100e", REAL_LOG, type=3,
          file="localpolicy.cpp:367"),
    Shape("revoke-upgrade-policy", "Failed to revoke client upgrade local policy. Error 0x8004100e", REAL_LOG,
          type=3, file="localpolicy.cpp:394"),
    Shape("deleted-file", "Deleted file {path}", REAL_LOG, file="ccmsetup.cpp:9554"),
    Shape("exiting", "CcmSetup is exiting with return code {code}", REAL_LOG, file="ccmsetup.cpp:10707"),
    Shape("already-running", "Another instance of ccmsetup is already running.", UNVERIFIED, type=2,
          verified=False),
    # -- the service: parameters -------------------------------------------------------------------------------
    Shape("service-main", "In ServiceMain", REAL_LOG, type=0, file="ccmsetup.cpp:3580"),
    Shape("param-httpport", "CCMHTTPPORT:    {value}", REAL_LOG, file="ccmsetup.cpp:8730"),
    Shape("param-httpsport", "CCMHTTPSPORT:    {value}", REAL_LOG, file="ccmsetup.cpp:8742"),
    Shape("param-httpsstate", "CCMHTTPSSTATE:    {value}", REAL_LOG, file="ccmsetup.cpp:8757"),
    Shape("param-httpscertname", "CCMHTTPSCERTNAME:    {value}", REAL_LOG, file="ccmsetup.cpp:8772"),
    Shape("param-fsp", "FSP:    {value}", REAL_LOG, file="ccmsetup.cpp:8813"),
    Shape("param-firstcert", "CCMFIRSTCERT:    {value}", REAL_LOG, file="ccmsetup.cpp:8859"),
    Shape("config-file", "Config file:      {path}", REAL_LOG, file="ccmsetup.cpp:4710"),
    Shape("retry-time", "Retry time:       {minutes} minute(s)", REAL_LOG, file="ccmsetup.cpp:4711"),
    Shape("msi-log-file", "MSI log file:     {path}", REAL_LOG, file="ccmsetup.cpp:4712"),
    Shape("msi-properties", "MSI properties:    {properties}", REAL_LOG, file="ccmsetup.cpp:4713"),
    Shape("source-list", "Source List:", REAL_LOG, file="ccmsetup.cpp:4721"),
    Shape("mps", "MPs:", REAL_LOG, file="ccmsetup.cpp:4740"),
    Shape("mp-entry", "                  {mp}", REAL_LOG, file="ccmsetup.cpp:4755"),
    # -- state messages (only with FSP=) -----------------------------------------------------------------------
    Shape("no-client-version", "Failed to get client version for sending state messages. Error 0x8004100e",
          REAL_LOG, type=2, file="state.cpp:164"),
    Shape("params-to-send", "[] Params to send '{version} Deployment Error: 0x0, '", REAL_LOG, type=0,
          file="state.cpp:209"),
    Shape("params-to-send-error", "[] Params to send '{version} Deployment Error {code}. Path {path}'", REAL_LOG,
          type=0, file="state.cpp:209"),
    Shape("fsp-send", "Sending Fallback Status Point message to '{fsp}', STATEID='{state}'.", REAL_LOG,
          file="state.cpp:295"),
    Shape("fsp-body", '<ClientDeploymentMessage ErrorCode="{code}"><Client Baseline="1" BaselineCookie="" '
          'Platform="2" Langs=""/></ClientDeploymentMessage>', REAL_LOG, file="statedetails.cpp:127"),
    Shape("fsp-sent", "State message with TopicType 800 and TopicId {topic} has been sent to the FSP", REAL_LOG,
          file="fsputillib.cpp:783", component="FSPStateMessage"),
    # -- the service: device -----------------------------------------------------------------------------------
    Shape("bits-vista", "Vista or above. No need to check BITS 2.5", REAL_LOG, type=0, file="util.cpp:1397"),
    Shape("free-disk", "Detected {mb} MB free disk space on system drive.", REAL_LOG, file="util.cpp:714"),
    Shape("running-as", 'Running as user "SYSTEM"', REAL_LOG, file="ccmsetup.cpp:2074"),
    Shape("write-filter", "Checking Write Filter Status.", REAL_LOG, file="ccmsetup.cpp:2083"),
    Shape("no-write-filter", "This is not a supported write filter device. We are not in a write filter "
          "maintenance mode.", REAL_LOG, file="ccmsetup.cpp:2110"),
    Shape("ad-row-count", "Unexpected row count (0) retrieved from AD.", REAL_LOG, type=3, file="lsad.cpp:690"),
    Shape("ad-site-version", "Failed to get site version from AD with error 0x80004005", REAL_LOG, type=2,
          file="siteinfo.cpp:642"),
    # -- Entra ID and the CMG (Microsoft's documented log) -------------------------------------------------------
    Shape("aad-info", "Getting AAD info from CMG '{cmg}'", DOC_ENTRA),
    Shape("sms-ccm-connection", "SMS CCM 5.0: Host={host}, Path={path}, Port=443, Protocol=https, "
          "CcmTokenAuth={token_auth}, Flags={flags}, Options=0xe0", DOC_ENTRA),
    Shape("connection-port", "Created connection on port 443", DOC_ENTRA),
    Shape("ssl-revocation", "Enabled SSL revocation check.", DOC_ENTRA),
    Shape("aad-device-token", "Getting AAD (device) token with: ClientId = {client_id}, ResourceUrl = {resource}, "
          "AccountId = https://login.microsoftonline.com/common/oauth2/token", DOC_ENTRA),
    Shape("aad-device-token-ok", "Retrieved AAD token for AAD device '{device_id}'", UNVERIFIED, verified=False),
    Shape("wam-failed", "WAM token request failed. Status 5, Details '{details}'", WAM_LOG, type=3),
    Shape("aad-token-failed", "Failed to get AAD token..", DOC_ENTRA, type=3),
    Shape("aad-token-sid-failed", "Failed to get AAD token for 'S-1-5-18' from WAM API. Error {code}", DOC_ENTRA,
          type=3),
    Shape("user-token-fallback", "Falling back to get user '{sid}' token for system...", DOC_ENTRA),
    Shape("aad-user-token", "Getting AAD (user) token with: ClientId = {client_id}, ResourceUrl = {resource}, "
          "AccountId = {account}", DOC_ENTRA),
    Shape("aad-user-token-ok", "Retrieved AAD token for AAD user '{user}'", DOC_ENTRA),
    Shape("ccm-token-sts", "Getting CCM Token from STS server '{address}'", DOC_ENTRA),
    Shape("ccm-token-url", "Getting CCM Token from https://{address}/CCM_STS", DOC_ENTRA),
    Shape("token-cached", "Cached encrypted token for 'S-1-5-18'. Will expire at '{expiry}'", DOC_ENTRA),
    Shape("ccmsetup-connection", "ccmsetup: Host={host}, Path={path}, Port=443, Protocol=https, "
          "CcmTokenAuth={token_auth}, Flags=0x4100, Options=0xe0", DOC_ENTRA),
    Shape("location-request", "Sending location request to '{address}' with payload '{payload}'", DOC_ENTRA),
    Shape("append-token", "Appending CCM Token to the header.", DOC_ENTRA),
    Shape("received-message", "Received message '{xml}'", DOC_ENTRA),
    Shape("checking-url", "Checking the URL '{url}'", DOC_ENTRA),
    Shape("valid-mp", "Found a valid online MP '{mp}'", DOC_ENTRA),
    Shape("bootstrap-internet", "CCMSETUP bootstrap from Internet: {flag}", DOC_ENTRA),
    Shape("remote-location", "Found remote location '{url}'", KB_CMG),
    Shape("on-azure", "The location '{url}' is on Azure", KB_CMG),
    Shape("no-local-dp", "No local DP locations found but is upgrading client on the co-lcated pull DP or Client "
          "is on Internet, continue with remote locations.", KB_CMG),
    Shape("dp-locations-failed", "Failed to get DP locations as the expected version from MP '{mp}'. Error "
          "0x87d00215", COMMUNITY, type=3),
    # -- errors on the wire ------------------------------------------------------------------------------------
    Shape("ccmhttp-error", "[CCMHTTP] ERROR: URL={url}, Port={port}, Options=224, Code={code}, Text={text}",
          CCMHTTP_LOG, type=3),
    Shape("ccmhttp-error-info", "[CCMHTTP] ERROR INFO: StatusCode={status} StatusText={text}", CCMHTTP_LOG,
          type=3),
    Shape("secure-failure", "[CCMHTTP] AsyncCallback(): WINHTTP_CALLBACK_STATUS_SECURE_FAILURE Encountered",
          KB_CERT, type=3),
    Shape("secure-failure-flag", "[CCMHTTP] AsyncCallback(): WINHTTP_CALLBACK_STATUS_FLAG_{flag} is set",
          f"{KB_CERT}; {WINHTTP_DOC}", type=3),
    Shape("check-url-failed", "Failed to check url {url}. Error {code}", REAL_LOG, type=3,
          file="httphelper.cpp:1641"),
    Shape("no-valid-source", "No valid source or MP locations", COMMUNITY, type=3),
    # -- on-premises MP and DP (the real log) ------------------------------------------------------------------
    Shape("ccm-post", "CCM_POST '{url}'", REAL_LOG, file="httphelper.cpp:807"),
    Shape("site-info", "Retrived site info '{xml}' from MP '{mp}'", REAL_LOG, type=0, file="siteinfo.cpp:664"),
    Shape("site-version", "Retrived site version '{version}' from MP '{mp}'.", REAL_LOG, file="siteinfo.cpp:673"),
    Shape("site-code", "SiteCode:         {code}", REAL_LOG, file="ccmsetup.cpp:2132"),
    Shape("site-version-short", "SiteVersion:      {version}", REAL_LOG, file="ccmsetup.cpp:2133"),
    Shape("only-one-mp", "Only one MP {mp} is specified. Use it.", REAL_LOG, file="ccmsetup.cpp:9942"),
    Shape("searching-dp", "Searching for DP locations from MP(s)...", REAL_LOG, file="ccmsetup.cpp:10872"),
    Shape("location-body", "Sending message body '{xml}'", REAL_LOG, type=0, file="siteinfo.cpp:104"),
    Shape("location-reply", "Received reply body '{xml}'", REAL_LOG, type=0, file="siteinfo.cpp:239"),
    Shape("fallback-unprotected", "AllowFallbackToUnprotectedDP = 0", REAL_LOG, file="siteinfo.cpp:348"),
    Shape("local-location", "Found local location '{url}'", REAL_LOG, type=0, file="siteinfo.cpp:421"),
    Shape("propfind", "PROPFIND '{url}'", REAL_LOG, file="httphelper.cpp:807"),
    Shape("dp-none-good", "Enumerated all {count} DP locations but none of them is good. Fallback to MP.",
          REAL_LOG, type=2, file="ccmsetup.cpp:11275"),
    Shape("get", "GET '{url}'", REAL_LOG, file="httphelper.cpp:807"),
    # -- the manifest ------------------------------------------------------------------------------------------
    Shape("root-thumbprint", "Signing root cert's thumbprint: {thumbprint}", REAL_LOG, type=0, file="util.cpp:1568"),
    Shape("cab-trusted", "{path} is Microsoft trusted.", REAL_LOG, file="util.cpp:1598"),
    Shape("manifest-extracted", "Successfully extracted manifest file {manifest} from file {cab}.", REAL_LOG,
          file="ccmsetup.cpp:6673"),
    Shape("manifest-loading", "Loading manifest file: {manifest}", REAL_LOG, file="manifest.cpp:119"),
    Shape("manifest-loaded", "Successfully loaded ccmsetup manifest file.", REAL_LOG, file="manifest.cpp:137"),
    Shape("manifest-newer", "Checking if manifest version '{manifest}' is newer than the ccmsetup version "
          "'{ccmsetup}'", REAL_LOG, file="ccmsetup.cpp:10344"),
    Shape("manifest-not-newer", "Running from temp downloaded folder or manifest is not newer than ccmsetup.",
          REAL_LOG, file="ccmsetup.cpp:2316"),
    Shape("item-applicable", "Item '{item}' is applicable. Detecting whether it exists.", REAL_LOG,
          file="manifest.cpp:305"),
    Shape("item-not-applicable", "Item '{item}' is not applicable.", REAL_LOG, file="manifest.cpp:337"),
    Shape("no-msi-product", "Couldn't find a product with MSI upgrade code '{code}' in the MSI database.",
          REAL_LOG, file="manifest.cpp:738"),
    Shape("item-pending", "Item {item} has not been installed yet. Put to pending install list.", REAL_LOG,
          file="manifest.cpp:324"),
    Shape("discovery-failed", "File '{path}' does not exist. Discovery failed.", REAL_LOG, file="manifest.cpp:1155"),
    Shape("item-detected", "Detected item '{item}'", REAL_LOG, file="manifest.cpp:332"),
    Shape("file-version", "Checking file '{path}' version '{version}' expecting >= '{minimum}'.", REAL_LOG,
          type=0, file="manifest.cpp:1179"),
    Shape("no-patches", "No client patches are detected.", REAL_LOG, type=0, file="ccmsetup.cpp:1697"),
    Shape("no-language-packs", "No client language packs are detected.", REAL_LOG, type=0, file="ccmsetup.cpp:1779"),
    Shape("no-client-update", "No client update are detected.", REAL_LOG, type=0, file="ccmsetup.cpp:1739"),
    Shape("searching-transform", "Searching for available transform", REAL_LOG, file="ccmsetup.cpp:1809"),
    Shape("no-transform", "No transform available for this locale. Installation will proceed with no "
          "transformation.", REAL_LOG, file="ccmsetup.cpp:1894"),
    Shape("file-missing", "File '{path}' doesn't exist.", REAL_LOG, type=2, file="util.cpp:2867"),
    # -- the download ------------------------------------------------------------------------------------------
    Shape("branch-cache", "Using branch cache option.", REAL_LOG, file="ccmsetup.cpp:6447"),
    Shape("bits-add", "Adding file '{url}' to BITS job, saving as '{path}'.", REAL_LOG, file="ccmsetup.cpp:6478"),
    Shape("bits-start", "Starting BITS download for client deployment files.", REAL_LOG, file="ccmsetup.cpp:6491"),
    Shape("bits-failed", "Failed to download files through BITS. Error: {code}, Description {description}\n, "
          "Context: The error occurred while the remote file was being processed.\n.", REAL_LOG, type=3,
          file="ccmsetup.cpp:6565"),
    Shape("bits-failed-client-files", "Failed to download client files by BITS. Error {code}", REAL_LOG, type=3,
          file="ccmsetup.cpp:6622"),
    # -- prerequisites and client.msi --------------------------------------------------------------------------
    Shape("prerequisite-failed", "File '{path}' returned failure exit code {code}. Fail the installation.",
          COMMUNITY, type=3),
    Shape("installing-version", "Installing version {version} of the client with product code {product_code}",
          DOC_ENTRA),
    Shape("running-package", "Running installation package\n  Package:     {package}\n  Log:         {log}\n"
          "  Properties:  {properties}", DOC_ENTRA),
    Shape("msi-action", "MSI: Action {time}: {action}. {description}", COMMUNITY, type=0, file="msiutil.cpp:316"),
    Shape("msi-rollback", "MSI: Action {time}: Rollback. Rolling back action:", KB_MSI, type=0,
          file="msiutil.cpp:316"),
    Shape("msi-file-failed", "File {package} installation failed. Error text: ExitCode: {code}\nAction: {action}\n"
          "ErrorMessages:\n{messages}", KB_MSI, type=3),
    Shape("install-succeeded", "Installation succeeded.", f"{COMMUNITY} (the first sentence of 'Installation "
          "succeeded. Windows Installer has requested a reboot.')"),
    Shape("install-succeeded-reboot", "Installation succeeded. Windows Installer has requested a reboot.",
          COMMUNITY),
    # -- the result --------------------------------------------------------------------------------------------
    Shape("failed", "CcmSetup failed with error code {code}", REAL_LOG, file="ccmsetup.cpp:10711"),
]

SHAPES: dict[str, Shape] = {s.key: s for s in _ALL}
if len(SHAPES) != len(_ALL):  # pragma: no cover - a duplicated key is a programming error
    raise RuntimeError("duplicate simulator shape key")

# ClientIDManagerStartup.log (after a successful install), from the same Microsoft document.
REGISTRATION_SHAPES: dict[str, Shape] = {s.key: s for s in [
    Shape("reg-aad-pending", "AADJoinStatusTask: Client hasn't been registered yet.", DOC_ENTRA,
          component="ClientIDManagerStartup", file="aadjoinstatustask.cpp:0"),
    Shape("reg-start", "[RegTask] - Starting registration, attempt {attempt}.", DOC_ENTRA,
          component="ClientIDManagerStartup", file="regtask.cpp:0"),
    Shape("reg-sending", "[RegTask] - Client is not registered. Sending registration request for {client_id} ...",
          DOC_ENTRA, component="ClientIDManagerStartup", file="regtask.cpp:0"),
    Shape("reg-aad", "Registering client using AAD auth.", DOC_ENTRA, component="ClientIDManagerStartup",
          file="regtask.cpp:0"),
    Shape("reg-done", "[RegTask] - Client is registered. Server assigned ClientID is {client_id}. Approval status "
          "{approval}", DOC_ENTRA, component="ClientIDManagerStartup", file="regtask.cpp:0"),
]}


def shape(key: str) -> Shape:
    return SHAPES.get(key) or REGISTRATION_SHAPES[key]
