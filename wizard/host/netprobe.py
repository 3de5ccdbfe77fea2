"""Network probes that name the failure: DNS, TCP (refused / timeout), TLS (untrusted CA / name mismatch /
expired), HTTP status. Plain sockets + ssl + http.client with a timeout on every step.

TLS is verified with the device trust store: Python's default context loads the Windows ROOT and CA stores on
Windows and the system bundle elsewhere; `extra_ca_file` adds a CA (tests use it for their local servers).
Unlike WinHTTP, OpenSSL does not fetch missing intermediates (AIA), so a server that sends an incomplete chain
fails here as untrusted; the detail says so.
"""

from __future__ import annotations

import abc
import contextlib
import http.client
import os
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

DEFAULT_TIMEOUT = 5.0

# failure ids (stable: checks and tests match on them)
DNS = "dns"
TCP_REFUSED = "tcp-refused"
TCP_TIMEOUT = "tcp-timeout"
TCP_ERROR = "tcp-error"
TLS_UNTRUSTED = "tls-untrusted"
TLS_NAME_MISMATCH = "tls-name-mismatch"
TLS_EXPIRED = "tls-expired"
TLS_ERROR = "tls-error"
TIMEOUT = "timeout"
HTTP_STATUS = "http-status"
BAD_RESPONSE = "bad-response"
NOT_ONBOARDED = "not-onboarded"
BAD_ADDRESS = "bad-address"

# The names WinHTTP uses in ccmsetup.log for the same TLS failures (WINHTTP_CALLBACK_STATUS_FLAG_*).
WINHTTP_NAMES = {
    TLS_UNTRUSTED: "INVALID_CA",
    TLS_NAME_MISMATCH: "CERT_CN_INVALID",
    TLS_EXPIRED: "CERT_DATE_INVALID",
}

# OpenSSL X509_V_ERR_* codes
_X509_HOSTNAME_MISMATCH = 62
_X509_IP_MISMATCH = 64
_X509_CERT_NOT_YET_VALID = 9
_X509_CERT_HAS_EXPIRED = 10


@dataclass(frozen=True)
class ProbeResult:
    target: str  # URL or host:port probed
    ok: bool
    failure: str | None = None  # one of the ids above when not ok
    detail: str = ""
    status: int | None = None  # HTTP status when an answer came back
    body: bytes = b""
    seconds: float = 0.0

    @property
    def winhttp_name(self) -> str | None:
        return WINHTTP_NAMES.get(self.failure or "")


class Prober(abc.ABC):
    """What checks need from the network. The real one uses sockets; the demo host simulates answers."""

    @abc.abstractmethod
    def https_reach(self, host: str, port: int = 443, *, timeout: float = DEFAULT_TIMEOUT) -> ProbeResult:
        """DNS + TCP + TLS handshake verified against the device trust store."""

    @abc.abstractmethod
    def http_get(self, url: str, *, timeout: float = DEFAULT_TIMEOUT, max_bytes: int = 1 << 20) -> ProbeResult:
        """GET `url`; `ok` means a 2xx answer. The first `max_bytes` of the body are kept."""

    @abc.abstractmethod
    def download(self, url: str, dest: Path, *, timeout: float = 30.0, max_bytes: int = 64 << 20) -> ProbeResult:
        """GET `url` into `dest` atomically (temp file in the same folder, then replace)."""


def split_host_port(hostport: str, default_port: int) -> tuple[str, int]:
    """'host', 'host:8443', '[::1]:443' -> (host, port). Raises ValueError naming the bad part."""
    text = hostport.strip()
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise ValueError(f"unbalanced '[' in address {hostport!r}")
        host, rest = text[1:end], text[end + 1 :]
        port = int(rest[1:]) if rest.startswith(":") else default_port
        return host, port
    if text.count(":") == 1:
        host, _, port_text = text.partition(":")
        if not port_text.isdigit():
            raise ValueError(f"port {port_text!r} in {hostport!r} is not a number")
        return host, int(port_text)
    return text, default_port


class NetProbe(Prober):
    """Real probes with sockets. `resolver(host, port)` may be injected (tests); it returns getaddrinfo rows."""

    def __init__(
        self,
        *,
        extra_ca_file: str | Path | None = None,
        resolver: Callable[[str, int], list] | None = None,
    ) -> None:
        self._extra_ca_file = str(extra_ca_file) if extra_ca_file else None
        self._resolver = resolver or _getaddrinfo
        self._context: ssl.SSLContext | None = None
        self._context_lock = threading.Lock()

    def ssl_context(self) -> ssl.SSLContext:
        """The verifying context, built once (loading the Windows certificate stores is not free)."""
        with self._context_lock:
            if self._context is None:
                context = ssl.create_default_context()
                if self._extra_ca_file:
                    context.load_verify_locations(cafile=self._extra_ca_file)
                self._context = context
            return self._context

    # -- probes ---------------------------------------------------------------------------------------------

    def https_reach(self, host: str, port: int = 443, *, timeout: float = DEFAULT_TIMEOUT) -> ProbeResult:
        target = f"{host}:{port}"
        started = time.monotonic()
        try:
            sock = self._connect(host, port, timeout, tls=True)
        except _ProbeFailure as failure:
            return failure.result(target, started)
        with contextlib.closing(sock):
            version = sock.version() if isinstance(sock, ssl.SSLSocket) else ""
            subject = _peer_common_name(sock)
        detail = f"TLS handshake with {target} succeeded ({version}; certificate {subject or 'accepted'})"
        return ProbeResult(target, True, None, detail, seconds=time.monotonic() - started)

    def http_get(self, url: str, *, timeout: float = DEFAULT_TIMEOUT, max_bytes: int = 1 << 20) -> ProbeResult:
        started = time.monotonic()
        chunks: list[bytes] = []
        kept = 0

        def sink(data: bytes) -> None:
            nonlocal kept
            if kept < max_bytes:
                chunks.append(data[: max_bytes - kept])
                kept += len(chunks[-1])

        try:
            status, reason = self._request(url, timeout, sink)
        except _ProbeFailure as failure:
            return failure.result(url, started)
        body = b"".join(chunks)
        ok = 200 <= status < 300
        detail = f"HTTP {status} {reason}".strip()
        return ProbeResult(url, ok, None if ok else HTTP_STATUS, detail, status, body, time.monotonic() - started)

    def download(self, url: str, dest: Path, *, timeout: float = 30.0, max_bytes: int = 64 << 20) -> ProbeResult:
        started = time.monotonic()
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=dest.name + ".", suffix=".part", dir=dest.parent)
        written = 0
        try:
            with os.fdopen(fd, "wb") as out:

                def sink(data: bytes) -> None:
                    nonlocal written
                    written += len(data)
                    if written > max_bytes:
                        raise _ProbeFailure(BAD_RESPONSE, f"{url} is larger than {max_bytes} bytes; refusing it")
                    out.write(data)

                status, reason = self._request(url, timeout, sink, only_2xx_body=True)
                out.flush()
                os.fsync(out.fileno())
            if not 200 <= status < 300:
                return ProbeResult(url, False, HTTP_STATUS, f"HTTP {status} {reason}".strip(), status,
                                   seconds=time.monotonic() - started)
            os.replace(tmp_name, dest)
            tmp_name = ""
            return ProbeResult(url, True, None, f"downloaded {written} bytes to {dest}", status,
                               seconds=time.monotonic() - started)
        except _ProbeFailure as failure:
            return failure.result(url, started)
        finally:
            if tmp_name:
                with contextlib.suppress(OSError):
                    os.unlink(tmp_name)

    # -- steps ----------------------------------------------------------------------------------------------

    def _request(self, url: str, timeout: float, sink: Callable[[bytes], None], *,
                 only_2xx_body: bool = False) -> tuple[int, str]:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _ProbeFailure(BAD_ADDRESS, f"{url!r} is not an http:// or https:// address")
        tls = parts.scheme == "https"
        try:
            port = parts.port or (443 if tls else 80)
        except ValueError as exc:
            raise _ProbeFailure(BAD_ADDRESS, f"bad port in {url!r}: {exc}") from None
        host = parts.hostname
        sock = self._connect(host, port, timeout, tls=tls)
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        conn.sock = sock  # already connected (and TLS-wrapped): http.client only writes and reads
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        try:
            conn.request("GET", path, headers={"User-Agent": "ccmsetup-wizard", "Accept": "*/*"})
            response = conn.getresponse()
            if only_2xx_body and not 200 <= response.status < 300:
                return response.status, response.reason
            while True:
                data = response.read(64 * 1024)
                if not data:
                    break
                sink(data)
            return response.status, response.reason
        except TimeoutError:
            raise _ProbeFailure(TIMEOUT, f"{host}:{port} accepted the connection but did not answer within "
                                         f"{timeout:g} s") from None
        except (http.client.HTTPException, OSError) as exc:
            raise _ProbeFailure(BAD_RESPONSE, f"{host}:{port} broke off the HTTP exchange: {exc}") from None
        finally:
            conn.close()

    def _connect(self, host: str, port: int, timeout: float, *, tls: bool) -> socket.socket:
        deadline = time.monotonic() + timeout
        addresses = self._resolve(host, port, timeout)
        last: _ProbeFailure | None = None
        for family, socktype, proto, _canon, address in addresses:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            sock = socket.socket(family, socktype, proto)
            sock.settimeout(remaining)
            try:
                sock.connect(address)
            except ConnectionRefusedError:
                sock.close()
                last = _ProbeFailure(TCP_REFUSED, f"{host} ({address[0]}) refused the connection on port {port}: "
                                                  "nothing listens there or a firewall rejects it")
                continue
            except TimeoutError:
                sock.close()
                last = _ProbeFailure(TCP_TIMEOUT, f"no answer from {host} ({address[0]}) on port {port} within "
                                                  f"{timeout:g} s: a firewall or proxy may drop the traffic")
                continue
            except OSError as exc:
                sock.close()
                last = _ProbeFailure(TCP_ERROR, f"cannot connect to {host} ({address[0]}) port {port}: "
                                                f"{exc.strerror or exc}")
                continue
            if not tls:
                return sock
            sock.settimeout(max(deadline - time.monotonic(), 0.1))
            return self._handshake(sock, host, port, timeout)
        raise last or _ProbeFailure(TCP_TIMEOUT, f"no time left to connect to {host}:{port}")

    def _handshake(self, sock: socket.socket, host: str, port: int, timeout: float) -> ssl.SSLSocket:
        try:
            return self.ssl_context().wrap_socket(sock, server_hostname=host)
        except ssl.SSLCertVerificationError as exc:
            sock.close()
            raise _tls_failure(exc, host, port) from None
        except TimeoutError:
            sock.close()
            raise _ProbeFailure(TIMEOUT, f"TLS handshake with {host}:{port} did not finish within {timeout:g} s") \
                from None
        except (ssl.SSLError, OSError) as exc:
            sock.close()
            raise _ProbeFailure(TLS_ERROR, f"TLS handshake with {host}:{port} failed: {exc}") from None

    def _resolve(self, host: str, port: int, timeout: float) -> list:
        box: dict[str, object] = {}

        def work() -> None:
            try:
                box["rows"] = self._resolver(host, port)
            except OSError as exc:
                box["error"] = exc

        worker = threading.Thread(target=work, name=f"dns-{host}", daemon=True)
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            raise _ProbeFailure(DNS, f"DNS lookup of {host} did not answer within {timeout:g} s")
        if "error" in box:
            exc = box["error"]
            text = getattr(exc, "strerror", None) or str(exc)
            raise _ProbeFailure(DNS, f"DNS cannot resolve {host}: {text}")
        rows = box.get("rows") or []
        if not rows:
            raise _ProbeFailure(DNS, f"DNS returned no address for {host}")
        return list(rows)  # type: ignore[arg-type]


def _getaddrinfo(host: str, port: int) -> list:
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


def _tls_failure(exc: ssl.SSLCertVerificationError, host: str, port: int) -> _ProbeFailure:
    code = getattr(exc, "verify_code", None)
    message = getattr(exc, "verify_message", None) or str(exc)
    if code in (_X509_HOSTNAME_MISMATCH, _X509_IP_MISMATCH):
        return _ProbeFailure(TLS_NAME_MISMATCH, f"the certificate of {host}:{port} is not issued to '{host}' "
                                                f"(CERT_CN_INVALID: {message})")
    if code in (_X509_CERT_HAS_EXPIRED, _X509_CERT_NOT_YET_VALID):
        return _ProbeFailure(TLS_EXPIRED, f"the certificate of {host}:{port} is outside its validity period "
                                          f"(CERT_DATE_INVALID: {message})")
    return _ProbeFailure(TLS_UNTRUSTED, f"this device does not trust the certificate chain of {host}:{port} "
                                        f"(INVALID_CA: {message}); its root CA is missing from the trusted root "
                                        "store, or the server does not send its intermediate certificate")


def _peer_common_name(sock: socket.socket) -> str:
    if not isinstance(sock, ssl.SSLSocket):
        return ""
    with contextlib.suppress(ValueError, AttributeError):
        cert = sock.getpeercert() or {}
        for rdn in cert.get("subject", ()):
            for key, value in rdn:
                if key == "commonName":
                    return f"CN={value}"
    return ""


class _ProbeFailure(Exception):
    def __init__(self, failure: str, detail: str) -> None:
        super().__init__(detail)
        self.failure = failure
        self.detail = detail

    def result(self, target: str, started: float) -> ProbeResult:
        return ProbeResult(target, False, self.failure, self.detail, seconds=time.monotonic() - started)


# -- ConfigMgr probes built on any Prober -------------------------------------------------------------------


def mp_base_url(mp: str) -> str:
    """'mp01.contoso.com' -> 'http://mp01.contoso.com'; keeps an explicit http(s):// scheme; no trailing '/'."""
    text = mp.strip().rstrip("/")
    if "://" not in text:
        text = "http://" + text
    return text


def cmg_host(address: str) -> str:
    """The host[:port] part of a CMG address: 'HOST/CCM_Proxy_MutualAuth/123' or 'https://HOST/...'."""
    text = address.strip()
    if "://" in text:
        text = text.split("://", 1)[1]
    return text.split("/", 1)[0]


def mplist_url(mp: str) -> str:
    return mp_base_url(mp) + "/SMS_MP/.sms_aut?MPLIST"


def ccmsetup_url(mp: str) -> str:
    return mp_base_url(mp) + "/CCM_Client/ccmsetup.exe"


def probe_mplist(prober: Prober, mp: str, *, timeout: float = DEFAULT_TIMEOUT) -> ProbeResult:
    """GET /SMS_MP/.sms_aut?MPLIST. ok = HTTP 200 carrying an <MPList>; other answers keep their status."""
    url = mplist_url(mp)
    result = prober.http_get(url, timeout=timeout)
    if result.ok and b"<mplist" not in result.body.lower():
        return ProbeResult(url, False, BAD_RESPONSE,
                           f"{url} answered HTTP {result.status} but not with an MP list: this is not a "
                           "management point, or a proxy answered instead", result.status, result.body,
                           result.seconds)
    if result.ok:
        return ProbeResult(url, True, None, f"{url} answered with an MP list (HTTP {result.status})",
                           result.status, result.body, result.seconds)
    return result


def cmg_auth_info_url(cmg: str, tenant: str) -> str:
    return f"https://{cmg_host(cmg)}/CCM_Proxy_ServerAuth/AADAuthInfo?TenantID={quote(tenant, safe='')}"


def probe_cmg_auth_info(prober: Prober, cmg: str, tenant: str, *, timeout: float = DEFAULT_TIMEOUT) -> ProbeResult:
    """The unauthenticated first call ccmsetup makes to a CMG. ok = the tenant is onboarded (non-empty answer)."""
    url = cmg_auth_info_url(cmg, tenant)
    result = prober.http_get(url, timeout=timeout)
    if result.failure in (None, HTTP_STATUS) and (result.status == 404 or (result.ok and not result.body.strip())):
        return ProbeResult(url, False, NOT_ONBOARDED,
                           f"the CMG answered HTTP {result.status} with no Entra information for tenant {tenant}: "
                           "this tenant is not onboarded to the site's cloud management",
                           result.status, result.body, result.seconds)
    if result.ok:
        return ProbeResult(url, True, None, f"the CMG returned Entra information for tenant {tenant}",
                           result.status, result.body, result.seconds)
    return result
