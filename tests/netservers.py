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
