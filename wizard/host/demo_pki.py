"""The demo device's public-key pieces: the certificate its simulated MP/CMG presents (with CRL and OCSP
addresses, so the revocation probe fetches them over the simulated network like on a real device), the CRL
those addresses serve, and the PKI client certificate a preset may put in LocalMachine\\My.

Kept apart from demo.py so the simulated network only needs to hand these out.
"""

from __future__ import annotations

import base64
import datetime
from typing import Any

from wizard.host.base import CertInfo
from wizard.host.netprobe import ServerCertificate

DEMO_CRL_URL = "http://crl.contoso.com/pki/Contoso-Issuing-CA-01.crl"
DEMO_OCSP_URL = "http://ocsp.contoso.com/ocsp"
DEMO_SERVER_CERTIFICATE = ServerCertificate(subject="CN=cmg.contoso.com", serial=0x1A2B3C4D5E6F,
                                            crl_urls=(DEMO_CRL_URL,), ocsp_urls=(DEMO_OCSP_URL,), parsed=True)
# An empty CRL of "Contoso Issuing CA 01 (demo)" (DER, ECDSA P-256, nextUpdate 2099-12-31), made once with the
# cryptography package; parsers read it like a real one (its signature is not checked by the probe).
DEMO_CRL = base64.b64decode(
    "MIGwMFgCAQEwCgYIKoZIzj0EAwIwJzElMCMGA1UEAwwcQ29udG9zbyBJc3N1aW5nIENBIDAxIChkZW1vKRcNMjYwMTAxMDAwMDAwWhgP"
    "MjA5OTEyMzEwMDAwMDBaMAoGCCqGSM49BAMCA0gAMEUCIDhAl5hhnhiD++0KMbWKLs10l32mBkzSMLHWuUgPHOXzAiEA1T4kBFQWUPNt"
    "p/46KWO+R4EYag/wb6aLhU3ZM86hBfQ=")


def demo_pki_answer(url: str) -> tuple[int, bytes] | None:
    """(HTTP status, body) for the demo CRL and OCSP addresses; None for any other URL."""
    lowered = url.lower()
    if lowered == DEMO_CRL_URL.lower():
        return 200, DEMO_CRL
    if lowered.rstrip("/") == DEMO_OCSP_URL.lower():
        return 200, b""  # an OCSP responder answering a bare GET
    return None


def _utc(text: Any) -> datetime.datetime | None:
    if not text:
        return None
    moment = datetime.datetime.fromisoformat(str(text))
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def client_cert_from_preset(entry: dict[str, Any] | None) -> list[CertInfo]:
    """The `pki_client_cert` of a preset ({"subject", "issuer", "thumbprint", "not_before", "not_after",
    "has_private_key", "chain_trusted"}) as the Host API returns it."""
    if not entry:
        return []
    return [CertInfo(subject=str(entry.get("subject", "")), issuer=str(entry.get("issuer", "")),
                     thumbprint=str(entry.get("thumbprint", "")), not_before=_utc(entry.get("not_before")),
                     not_after=_utc(entry.get("not_after")),
                     has_private_key=bool(entry.get("has_private_key", True)),
                     chain_trusted=entry.get("chain_trusted", True),
                     chain_detail=str(entry.get("chain_detail", "")))]
