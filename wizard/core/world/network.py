"""What the simulated network answers, decided once for the demo host's probes (the checks) and for the
simulated ccmsetup run, so a check that passed is never contradicted by the run.

Names resolve when the device is online and the name belongs to the world: the site's CMG, its MPs and DP
(intranet ones only on the company network), Microsoft's Entra endpoints, the CRL and OCSP hosts of the CMG's
chain (when `crl_reachable`). Names under `.invalid`, names listed in `device.network.unresolvable_hosts` and every
other name fail like an unknown host.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from wizard.core.world.model import World

__all__ = ["MICROSOFT_HOSTS", "Resolution", "auth_info", "crl_host", "endpoint_kind", "normal_guid", "resolve",
           "revocation_hosts", "tls_problem"]

MICROSOFT_HOSTS = ("login.microsoftonline.com", "enterpriseregistration.windows.net",
                   "device.login.microsoftonline.com", "login.microsoft.com", "aka.ms", "go.microsoft.com")
CLOCK_SKEW_BREAKS_TLS_MINUTES = 24 * 60  # a clock a day or more off makes certificates look (not yet) valid


@dataclass(frozen=True)
class Resolution:
    ok: bool
    reason: str = ""  # why not: "no network connection", "no such host", "intranet name, not on the company network"


def normal_guid(value: str | None) -> str:
    return (value or "").strip().strip("{}").lower()


def crl_host(world: World) -> str | None:
    cmg = world.site.cmg
    return (urlsplit(cmg.crl_url).hostname or None) if cmg else None


def revocation_hosts(world: World) -> tuple[str, ...]:
    """The CRL and OCSP hosts of the CMG's chain (they answer, or not, together: `crl_reachable`)."""
    cmg = world.site.cmg
    if cmg is None:
        return ()
    return tuple(h.lower() for h in (urlsplit(cmg.crl_url).hostname, urlsplit(cmg.ocsp_url).hostname) if h)


def endpoint_kind(world: World, host: str) -> str | None:
    """'cmg', 'mp', 'dp', 'microsoft', 'crl', or None for a name the world does not know."""
    name = host.lower().rstrip(".")
    site = world.site
    if site.cmg and name == site.cmg.host.lower():
        return "cmg"
    if site.management_point(name):
        return "mp"
    if name == site.distribution_point.host.lower():
        return "dp"
    if name in MICROSOFT_HOSTS:
        return "microsoft"
    if name in revocation_hosts(world):
        return "crl"
    return None


def resolve(world: World, host: str) -> Resolution:
    device = world.device
    name = (host or "").lower().rstrip(".")
    if not device.network.online:
        return Resolution(False, "no network connection")
    if not name or name.endswith(".invalid") or name in (h.lower() for h in device.network.unresolvable_hosts):
        return Resolution(False, "no such host")
    kind = endpoint_kind(world, name)
    if kind is None:
        return Resolution(False, "no such host")
    if kind == "crl" and world.site.cmg and not world.site.cmg.crl_reachable:
        return Resolution(False, "the CRL server does not answer from this network")
    intranet_only = (kind == "mp" and world.site.management_point(name).intranet) or \
        (kind == "dp" and world.site.distribution_point.intranet)
    if intranet_only and not device.network.intranet:
        return Resolution(False, "an intranet name, and the device is not on the company network")
    return Resolution(True)


def cert_root(world: World, host: str) -> str | None:
    kind = endpoint_kind(world, host)
    if kind == "cmg":
        return world.site.cmg.cert_root  # type: ignore[union-attr]
    if kind == "mp":
        return world.site.management_point(host).cert_root  # type: ignore[union-attr]
    if kind in ("microsoft", "dp", "crl"):
        return "DigiCert Global Root G2" if kind == "microsoft" else "Contoso Root CA"
    return None


def tls_problem(world: World, host: str) -> str | None:
    """None when a TLS handshake to `host` succeeds on this device, else 'untrusted' (root not trusted) or
    'date' (the device clock is far enough off that the certificate looks expired / not yet valid)."""
    if abs(world.device.clock_skew_minutes) >= CLOCK_SKEW_BREAKS_TLS_MINUTES:
        return "date"
    root = cert_root(world, host)
    if root is not None and root not in world.device.trusted_roots:
        return "untrusted"
    return None


def auth_info(world: World, tenant: str | None) -> dict | None:
    """The CMG's AADAuthInfo answer for `tenant`: the site's app details when the tenant is onboarded."""
    site = world.site
    if site.cmg is None or normal_guid(tenant) != normal_guid(site.tenant_id):
        return None
    return {"TenantId": normal_guid(site.tenant_id), "ClientAppId": site.client_app_id,
            "ResourceUri": site.server_app_id_uri}
