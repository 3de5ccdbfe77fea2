"""The simulated world of demo mode: a device and the site it is meant to join (pydantic, frozen, validated).

A world file (`resources/worlds/<name>.json`) holds `{"schema_version": 1, "title", "description", "device",
"site"}`, or `"extends": "<world name>"` plus only the values that differ (merged key by key before
validation). Every field is documented in docs/architecture.md ("The simulated world"). Nothing here touches
the operating system: the demo host (wizard/host/demo.py) answers the device questions from `World.device`
and the simulator (wizard.core.simulator) derives the ccmsetup run from plan x device x site.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

__all__ = ["Cmg", "Device", "DistributionPoint", "ExistingClient", "FrozenModel", "Join", "ManagementPoint",
           "Network", "OsSpec", "PkiClientCert", "SchemaVersion", "Site", "World"]

DEVICE_AUTH_OK = "SUCCESS"
DEVICE_AUTH_DISABLED = "FAILED. Device is either disabled or deleted"  # dsregcmd's own words (facts §0)


class FrozenModel(BaseModel):
    """Every object of a world or lab file: frozen, and a field it doesn't know is an error (a typo in a
    trainer's file is reported, not ignored)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def _integer_version(value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("schema_version must be the integer 1")
    return value


SchemaVersion = Annotated[Literal[1], BeforeValidator(_integer_version)]  # 1, not true, 1.0 or "1"


class OsSpec(FrozenModel):
    product: str = "Windows 11 Enterprise"  # as Windows names the edition, without "Microsoft"
    build: int = Field(26100, ge=0)
    ubr: int = Field(0, ge=0)
    display_version: str = ""  # "24H2"
    architecture: Literal["AMD64", "ARM64", "x86"] = "AMD64"

    @property
    def is_server(self) -> bool:
        return "server" in self.product.lower()


class Join(FrozenModel):
    """What `dsregcmd /status` says (facts §6.2)."""

    azure_ad_joined: bool = False
    domain_joined: bool = False
    domain_name: str | None = None
    workplace_joined: bool = False  # Entra *registered* (User State section)
    tenant_id: str | None = None
    tenant_name: str | None = None
    device_id: str = "5c8e1f0a-7d2b-4c3e-9f10-2a3b4c5d6e7f"
    device_auth_status: str = DEVICE_AUTH_OK  # "SUCCESS" or "FAILED. Device is either disabled or deleted"
    prt: bool = False  # AzureAdPrt of the signed-in user (SSO State section)

    @model_validator(mode="after")
    def _tenant_needs_join(self) -> Join:
        if self.azure_ad_joined and not self.tenant_id:
            raise ValueError("tenant_id is required when azure_ad_joined is true (dsregcmd shows the TenantId)")
        return self

    @property
    def disabled(self) -> bool:
        return self.device_auth_status.strip().upper().startswith("FAILED")


class ExistingClient(FrozenModel):
    version: str = "5.00.9132.1011"
    site_code: str | None = None
    ccmexec: Literal["running", "stopped"] = "running"
    last_install_params: str | None = None
    last_valid_mp: str | None = None


class PkiClientCert(FrozenModel):
    """A client-authentication certificate in LocalMachine\\My: ccmsetup prefers it over Entra ID (facts §0)."""

    subject: str = "CN=DEVICE"
    issuer: str = "CN=Contoso Issuing CA"
    thumbprint: str = "3F2A9C41D0B7E6A5C4B3A2918F7E6D5C4B3A2910"
    not_after: str = "2027-06-30"  # ISO date
    expired: bool = False
    chain_trusted: bool = True
    store: str = "LocalMachine\\My"

    @property
    def usable(self) -> bool:
        return not self.expired and self.chain_trusted


class Network(FrozenModel):
    online: bool = True
    intranet: bool = True  # on the company network (or VPN): intranet MPs/DPs resolve and answer
    proxy: str | None = None  # the WinHTTP proxy, shown in explanations
    proxy_stalls_downloads: bool = False  # connections open but no bytes ever arrive (a stalled BITS job)
    unresolvable_hosts: tuple[str, ...] = ()  # extra names the device's DNS cannot resolve


class Device(FrozenModel):
    computer_name: str = "DEMO-PC"
    os: OsSpec = OsSpec()
    join: Join = Join()
    elevated: bool = False  # the wizard already runs as administrator (no UAC prompt)
    uac_cancel: bool = False  # training: the first administrator prompt is answered No
    existing_client: ExistingClient | None = None
    pki_client_cert: PkiClientCert | None = None
    pending_restart: tuple[str, ...] = ()  # the markers Windows shows, e.g. "Component Based Servicing: RebootPending"
    setup_running: bool = False
    retry_task: bool = False
    free_disk_mb: int = Field(120_000, ge=0)
    clock_skew_minutes: int = 0  # device clock minus real time
    network: Network = Network()
    trusted_roots: tuple[str, ...] = ("DigiCert Global Root G2", "Microsoft RSA Root Certificate Authority 2017",
                                      "Contoso Root CA")
    mapped_drives: tuple[str, ...] = ()
    prerequisite_failure: str | None = None  # a prerequisite whose installer fails with 1603, e.g. "vcredist_x64.exe"

    @field_validator("mapped_drives")
    @classmethod
    def _drive_letters(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for drive in value:
            if len(drive) != 2 or not drive[0].isalpha() or drive[1] != ":":
                raise ValueError(f"{drive!r} is not a drive letter like 'Z:'")
        return tuple(d.upper() for d in value)


class ManagementPoint(FrozenModel):
    host: str
    https_only: bool = False  # answers HTTPS only: plain http gets 403.4 (SSL required)
    intranet: bool = True  # reachable only from the company network (or VPN)
    client_files: bool = True  # CCM_Client holds the client files (a broken virtual directory answers 404)
    cert_root: str = "Contoso Root CA"


class DistributionPoint(FrozenModel):
    host: str = "dp01.contoso.com"
    client_package: bool = True  # the client package is distributed to it
    intranet: bool = True


class Cmg(FrozenModel):
    host: str = "cmg.contoso.com"  # the CMG service name (CN of its server certificate)
    id: str = Field("72057594037927975", pattern=r"^\d+$")
    client_package: bool = True  # content-enabled CMG holds the client package
    allow_cloud_dp: bool = True  # client setting "Allow access to cloud distribution point"
    cert_root: str = "DigiCert Global Root G2"  # the root CA its server certificate chains to
    crl_reachable: bool = True  # the CRL/OCSP of that chain answers from the internet
    crl_url: str = "http://crl3.digicert.com/DigiCertGlobalG2TLSRSASHA2562020CA1-1.crl"
    ocsp_url: str = "http://ocsp.digicert.com"  # the chain's OCSP responder (AIA), reachable like the CRL

    @property
    def address(self) -> str:
        """`HOST/CCM_Proxy_MutualAuth/ID`, as CCMHOSTNAME takes it."""
        return f"{self.host}/CCM_Proxy_MutualAuth/{self.id}"


class Site(FrozenModel):
    code: str = Field("P01", pattern=r"^[A-Za-z0-9]{3}$")
    version: str = Field("5.00.9135.1000", pattern=r"^\d+\.\d+\.\d+\.\d+$")  # site (and client package) version
    management_points: tuple[ManagementPoint, ...] = Field((ManagementPoint(host="mp01.contoso.com"),), min_length=1)
    distribution_point: DistributionPoint = DistributionPoint()
    cmg: Cmg | None = Cmg()
    tenant_id: str = "aaaabbbb-0000-cccc-1111-dddd2222eeee"  # the Entra tenant onboarded to the site
    tenant_name: str = "Contoso"
    client_app_id: str = "aa28e7f1-b88a-43cd-a2e3-f88b257c863b"
    server_app_id_uri: str = "https://ConfigMgrService"
    accepts_bulk_tokens: bool = True  # the token was not blocked in the console

    def sample_command(self) -> str:
        """The command that fits this site (the README's example for the default world)."""
        if self.cmg is not None:
            address = self.cmg.address
            return (f"ccmsetup.exe /mp:https://{address} CCMHOSTNAME={address} SMSSITECODE={self.code} "
                    f"AADTENANTID={self.tenant_id}")
        return f"ccmsetup.exe /mp:{self.management_points[0].host} SMSSITECODE={self.code}"

    def address_values(self, scenario: str) -> dict[str, object]:
        """The plan's address fields (mp, ccmhostname, sitecode) that fit this site in a scenario: what the
        demo's "Use the demo site's values" fills in. The token scenario gets no /mp (workgroup devices fail
        with a token and /mp)."""
        values: dict[str, object] = {"sitecode": self.code}
        if scenario in ("cmg", "cmg-token") and self.cmg is not None:
            values["ccmhostname"] = self.cmg.address
            values["mp"] = (f"https://{self.cmg.address}",) if scenario == "cmg" else ()
        elif scenario == "internet-mp":
            internet = [mp for mp in self.management_points if not mp.intranet]
            if internet:
                values["ccmhostname"] = internet[0].host
        else:
            values["mp"] = (self.management_points[0].host,)
        return values

    def management_point(self, host: str) -> ManagementPoint | None:
        wanted = host.lower().rstrip(".")
        return next((mp for mp in self.management_points if mp.host.lower() == wanted), None)


class World(FrozenModel):
    schema_version: SchemaVersion = 1
    title: str
    description: str
    device: Device = Device()
    site: Site = Site()
