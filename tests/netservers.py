"""Real local servers on 127.0.0.1 for the network probe tests: an HTTPS management point whose CA the test
trusts, one whose CA is not trusted, one with a certificate for another name, a plain HTTP MP, a CMG stand-in
that answers AADAuthInfo for one tenant only, and a port nobody listens on."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import trustme

ONBOARDED_TENANT = "aaaabbbb-0000-cccc-1111-dddd2222eeee"
OTHER_TENANT = "bbbbcccc-1111-dddd-2222-eeee3333ffff"
UNRESOLVABLE_HOST = "mp01.no-such-site.invalid"  # RFC 2606: .invalid never resolves
MPLIST_XML = (b'<MPList><MP Name="MP01" FQDN="mp01.contoso.test"><Version>9132</Version>'
              b'<Capabilities SchemaVersion="1.0"><Property Name="SSLState" Value="0"/></Capabilities></MP></MPList>')
AAD_AUTH_INFO = (b'{"TenantId":"' + ONBOARDED_TENANT.encode() +
                 b'","ClientAppId":"aa28e7f1-b88a-43cd-a2e3-f88b257c863b","ResourceUri":"https://ConfigMgrService"}')
CCMSETUP_BYTES = b"MZ" + b"\0" * 200 + b"ccmsetup test payload"


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format, *args):  # keep test output clean
        pass

    def do_GET(self):  # noqa: N802 (http.server naming)
        parts = urlsplit(self.path)
        if parts.path == "/SMS_MP/.sms_aut" and parts.query == "MPLIST":
            self._send(200, MPLIST_XML, "text/xml")
        elif parts.path == "/CCM_Client/ccmsetup.exe":
            self._send(200, CCMSETUP_BYTES, "application/octet-stream")
        elif parts.path == "/CCM_Proxy_ServerAuth/AADAuthInfo":
            tenant = parse_qs(parts.query).get("TenantID", [""])[0]
            if tenant.lower() == ONBOARDED_TENANT:
                self._send(200, AAD_AUTH_INFO, "application/json")
            else:
                self._send(404, b"", "text/plain")
        elif parts.path == "/not-an-mp/SMS_MP/.sms_aut":
            self._send(200, b"<html>Welcome to IIS</html>", "text/html")
        else:
            self._send(404, b"not found", "text/plain")

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@dataclass
class LocalServers:
    trusted_ca_file: Path  # give this to NetProbe(extra_ca_file=...)
    https_port: int  # trusted CA, certificate for 127.0.0.1 and mp01.contoso.test
    untrusted_port: int  # CA the probe does not know (INVALID_CA)
    wrong_name_port: int  # trusted CA, certificate for other.contoso.test only (CERT_CN_INVALID)
    http_port: int  # plain HTTP MP
    refused_port: int  # nothing listens

    @property
    def https_mp(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def http_mp(self) -> str:
        return f"127.0.0.1:{self.http_port}"

    @property
    def cmg(self) -> str:
        return f"127.0.0.1:{self.https_port}/CCM_Proxy_MutualAuth/72057594037927975"


def _serve(context: ssl.SSLContext | None) -> tuple[ThreadingHTTPServer, threading.Thread]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return server, thread


def free_port() -> int:
    """A 127.0.0.1 port that was just free and is now closed: connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def local_servers(tmp_dir: Path) -> Iterator[LocalServers]:
    trusted_ca = trustme.CA()
    untrusted_ca = trustme.CA()
    ca_file = tmp_dir / "trusted-ca.pem"
    trusted_ca.cert_pem.write_to_path(str(ca_file))

    def context_for(ca: trustme.CA, *names: str) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(*names).configure_cert(context)
        return context

    servers = [
        _serve(context_for(trusted_ca, "127.0.0.1", "mp01.contoso.test")),
        _serve(context_for(untrusted_ca, "127.0.0.1")),
        _serve(context_for(trusted_ca, "other.contoso.test")),
        _serve(None),
    ]
    try:
        yield LocalServers(ca_file, *(s.server_address[1] for s, _ in servers), free_port())
    finally:
        for server, thread in servers:
            server.shutdown()
            server.server_close()
            thread.join(5)


# -- servers whose certificates name CRL/OCSP addresses (trustme cannot add those extensions) -----------------


@dataclass
class PkiServers:
    """HTTPS MPs whose certificates point their CRL/OCSP addresses at a local HTTP server that is up, serves a
    CRL listing the certificate, serves a stale CRL or a captive-portal page, or is down."""

    ca_file: Path
    crl_port: int  # the HTTP server serving the CRLs and answering OCSP
    ports: dict[str, int]  # kind -> HTTPS port: good, revoked, down, stale, portal, ocsp-only, ldap-only, none

    def mp(self, kind: str) -> str:
        return f"https://127.0.0.1:{self.ports[kind]}"


class _CrlHandler(BaseHTTPRequestHandler):
    crls: dict[str, bytes] = {}

    def log_message(self, format, *args):
        pass

    def do_GET(self):  # noqa: N802
        if self.path in self.crls:
            body, ctype, status = self.crls[self.path], "application/pkix-crl", 200
        elif self.path == "/portal.crl":
            body, ctype, status = b"<html>Sign in to the guest Wi-Fi</html>", "text/html", 200
        elif self.path == "/ocsp":
            body, ctype, status = b"", "text/plain", 405  # a responder answering a bare GET
        else:
            body, ctype, status = b"not found", "text/plain", 404
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextlib.contextmanager
def pki_servers(tmp_dir: Path) -> Iterator[PkiServers]:
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Contoso Test Issuing CA")])
    ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
               .not_valid_after(now + datetime.timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
               .sign(ca_key, hashes.SHA256()))
    ca_file = tmp_dir / "pki-ca.pem"
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))

    crl_server = ThreadingHTTPServer(("127.0.0.1", 0), _CrlHandler)
    crl_port = crl_server.server_address[1]
    down = free_port()
    base = f"http://127.0.0.1:{crl_port}"
    layouts = {  # kind -> (CRL addresses, OCSP addresses)
        "good": ([f"{base}/ca.crl"], []),
        "revoked": ([f"{base}/revoked.crl"], []),
        "down": ([f"http://127.0.0.1:{down}/ca.crl"], [f"http://127.0.0.1:{down}/ocsp"]),
        "stale": ([f"{base}/stale.crl"], []),
        "portal": ([f"{base}/portal.crl"], []),
        "ocsp-only": ([], [f"{base}/ocsp"]),
        "ldap-only": (["ldap:///CN=Contoso%20Test%20Issuing%20CA,CN=CDP,DC=contoso,DC=test"], []),
        "none": ([], []),
    }
    serials = {kind: x509.random_serial_number() for kind in layouts}

    def leaf(kind: str) -> tuple[bytes, bytes]:
        key = ec.generate_private_key(ec.SECP256R1())
        crl_urls, ocsp_urls = layouts[kind]
        builder = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"mp-{kind}.contoso.test")]))
                   .issuer_name(ca_name).public_key(key.public_key()).serial_number(serials[kind])
                   .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=7))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))
        if crl_urls:
            builder = builder.add_extension(x509.CRLDistributionPoints([
                x509.DistributionPoint([x509.UniformResourceIdentifier(u)], None, None, None) for u in crl_urls]),
                critical=False)
        if ocsp_urls:
            builder = builder.add_extension(x509.AuthorityInformationAccess([
                x509.AccessDescription(AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(u))
                for u in ocsp_urls]), critical=False)
        cert = builder.sign(ca_key, hashes.SHA256())
        return (cert.public_bytes(serialization.Encoding.PEM),
                key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))

    def crl(next_update: datetime.datetime, revoked: list[int]) -> bytes:
        builder = (x509.CertificateRevocationListBuilder().issuer_name(ca_name)
                   .last_update(next_update - datetime.timedelta(days=7)).next_update(next_update))
        for serial in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now).build())
        return builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    _CrlHandler.crls = {
        "/ca.crl": crl(now + datetime.timedelta(days=7), []),
        "/revoked.crl": crl(now + datetime.timedelta(days=7), [serials["revoked"]]),
        "/stale.crl": crl(now - datetime.timedelta(days=1), []),
    }
    crl_thread = threading.Thread(target=crl_server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    crl_thread.start()
    servers = []
    for kind in layouts:
        cert_pem, key_pem = leaf(kind)
        (tmp_dir / f"{kind}.pem").write_bytes(cert_pem + key_pem)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(tmp_dir / f"{kind}.pem"))
        servers.append((kind, *_serve(context)))
    try:
        yield PkiServers(ca_file, crl_port, {kind: server.server_address[1] for kind, server, _ in servers})
    finally:
        for _kind, server, thread in servers:
            server.shutdown()
            server.server_close()
            thread.join(5)
        crl_server.shutdown()
        crl_server.server_close()
        crl_thread.join(5)
