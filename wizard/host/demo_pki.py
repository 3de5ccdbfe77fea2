"""The demo device's public-key pieces: the certificate its simulated MP/CMG presents (with the world's CRL
address, so the revocation probe fetches it over the simulated network like on a real device), the CRL that
address serves, and the PKI client certificate a world's device may hold in LocalMachine\\My.

Kept apart from demo.py so the simulated network only needs to hand these out.
"""

from __future__ import annotations

import base64
import datetime

from wizard.core.world.model import PkiClientCert
from wizard.host.base import CertInfo
from wizard.host.netprobe import ServerCertificate

DEMO_CRL_URL = "http://crl3.digicert.com/DigiCertGlobalG2TLSRSASHA2562020CA1-1.crl"  # the default world's CMG CRL
DEMO_OCSP_URL = "http://ocsp.digicert.com"
# An empty CRL of "Contoso Issuing CA 01 (demo)" (DER, ECDSA P-256, nextUpdate 2099-12-31), made once with the
# cryptography package; parsers read it like a real one (its signature is not checked by the probe).
DEMO_CRL = base64.b64decode(
    "MIGwMFgCAQEwCgYIKoZIzj0EAwIwJzElMCMGA1UEAwwcQ29udG9zbyBJc3N1aW5nIENBIDAxIChkZW1vKRcNMjYwMTAxMDAwMDAwWhgP"
    "MjA5OTEyMzEwMDAwMDBaMAoGCCqGSM49BAMCA0gAMEUCIDhAl5hhnhiD++0KMbWKLs10l32mBkzSMLHWuUgPHOXzAiEA1T4kBFQWUPNt"
    "p/46KWO+R4EYag/wb6aLhU3ZM86hBfQ=")


def server_certificate(host: str, crl_url: str | None, ocsp_url: str | None = None) -> ServerCertificate:
    """The certificate a simulated MP/CMG presents: its subject is the host, its CRL and OCSP addresses the
    world's (so the revocation probe fetches them over the simulated network, which answers or not as the world
    says)."""
    return ServerCertificate(subject=f"CN={host}", serial=0x1A2B3C4D5E6F, crl_urls=(crl_url,) if crl_url else (),
                             ocsp_urls=(ocsp_url,) if ocsp_url else (), parsed=True)


DEMO_SERVER_CERTIFICATE = server_certificate("cmg.contoso.com", DEMO_CRL_URL, DEMO_OCSP_URL)  # the default world's


def client_certificates(cert: PkiClientCert | None) -> list[CertInfo]:
    """The world device's client-authentication certificate (LocalMachine\\My) as the Host API returns it."""
    if cert is None:
        return []
    # Dates relative to today, so a world file keeps meaning the same thing as time passes: `expired` decides.
    now = datetime.datetime.now(datetime.UTC)
    not_after = datetime.datetime.fromisoformat(cert.not_after)
    if not_after.tzinfo is None:
        not_after = not_after.replace(tzinfo=datetime.UTC)
    if cert.expired:
        not_after = min(not_after, now - datetime.timedelta(days=30))
    elif not_after <= now:
        not_after = now + datetime.timedelta(days=365)
    not_before = not_after - datetime.timedelta(days=365)
    return [CertInfo(subject=cert.subject, issuer=cert.issuer, thumbprint=cert.thumbprint, not_before=not_before,
                     not_after=not_after, has_private_key=True, chain_trusted=cert.chain_trusted,
                     chain_detail="" if cert.chain_trusted else "the chain ends in a root this device does not trust")]
