"""Network probes that name the failure: DNS, TCP (refused / timeout), TLS (untrusted CA / name mismatch /
expired), HTTP status. Plain sockets + ssl + http.client with a timeout on every step.

TLS is verified with the device trust store: Python's default context loads the Windows ROOT and CA stores on
Windows and the system bundle elsewhere; `extra_ca_file` adds a CA (tests use it for their local servers).
Unlike WinHTTP, OpenSSL does not fetch missing intermediates (AIA), so a server that sends an incomplete chain
fails here as untrusted; the detail says so.

Revocation (ccmsetup logs "Enabled SSL revocation check." and fails with 0x80092013 when the CRL/OCSP of the
MP/CMG certificate cannot be reached): a probe that completed a TLS handshake carries the server certificate;
`Prober.revocation()` then fetches the CRL and OCSP addresses named in it. The Windows host overrides this
with the OS chain engine (CertGetCertificateChain with revocation), which is what ccmsetup itself uses.
"""

from __future__ import annotations

import abc
import contextlib
import datetime
import http.client
import os
import socket
import ssl
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal
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
HTTPS_REQUIRED = "https-required"  # an http:// MP answered 403 (IIS 403.4 "SSL required")
REVOCATION_OFFLINE = "revocation-offline"  # no CRL/OCSP of the server certificate reachable: 0x80092013
REVOKED = "revoked"  # the server certificate is on its CRL: 0x80092010
REVOCATION_UNKNOWN = "revocation-unknown"  # only CRL locations this probe cannot query (ldap://)

CRYPT_E_REVOCATION_OFFLINE = "0x80092013"
CRYPT_E_REVOKED = "0x80092010"
CRL_MAX_BYTES = 32 << 20  # large enterprise CRLs run to megabytes

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
class ServerCertificate:
    """The certificate a server presented in the TLS handshake, with the revocation addresses named in it.
    `parsed` is False when they could not be read (the `cryptography` package is missing): then only the OS
    chain engine (Windows) can check revocation."""

    der: bytes = b""
    subject: str = ""
    serial: int | None = None
    crl_urls: tuple[str, ...] = ()  # CRL Distribution Points (http://, ldap://, ...)
    ocsp_urls: tuple[str, ...] = ()  # Authority Information Access, OCSP
    parsed: bool = False


@dataclass(frozen=True)
class ProbeResult:
    target: str  # URL or host:port probed
    ok: bool
    failure: str | None = None  # one of the ids above when not ok
    detail: str = ""
    status: int | None = None  # HTTP status when an answer came back
    body: bytes = b""
    seconds: float = 0.0
    certificate: ServerCertificate | None = None  # set when a TLS handshake completed

    @property
    def winhttp_name(self) -> str | None:
        return WINHTTP_NAMES.get(self.failure or "")


RevocationStatus = Literal["good", "revoked", "offline", "unknown", "no-endpoints", "not-checked"]


@dataclass(frozen=True)
class EndpointCheck:
    url: str
    kind: Literal["crl", "ocsp"]
    reachable: bool
    detail: str


@dataclass(frozen=True)
class RevocationResult:
    """Whether the device can learn the revocation status of a server certificate, as ccmsetup must."""

    status: RevocationStatus
    detail: str
    endpoints: tuple[EndpointCheck, ...] = ()
    error_code: str | None = None  # what ccmsetup would log: 0x80092013 offline, 0x80092010 revoked

    @property
    def failure(self) -> str | None:
        return {"offline": REVOCATION_OFFLINE, "revoked": REVOKED, "unknown": REVOCATION_UNKNOWN}.get(self.status)


class Prober(abc.ABC):
    """What checks need from the network. The real one uses sockets; the demo host simulates answers."""

    def revocation(self, certificate: ServerCertificate, *, timeout: float = DEFAULT_TIMEOUT,
                   now: datetime.datetime | None = None) -> RevocationResult:
        """Can this device reach the CRL/OCSP addresses of `certificate`? By default they are fetched with
        http_get (real sockets, or the demo's simulated network); the Windows host asks the OS chain engine."""
        return fetch_revocation(self, certificate, timeout=timeout, now=now)

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
            certificate = _peer_certificate(sock)
        detail = f"TLS handshake with {target} succeeded ({version}; certificate {subject or 'accepted'})"
        return ProbeResult(target, True, None, detail, seconds=time.monotonic() - started, certificate=certificate)

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
            status, reason, certificate = self._request(url, timeout, sink)
        except _ProbeFailure as failure:
            return failure.result(url, started)
        body = b"".join(chunks)
        ok = 200 <= status < 300
        detail = f"HTTP {status} {reason}".strip()
        return ProbeResult(url, ok, None if ok else HTTP_STATUS, detail, status, body, time.monotonic() - started,
                           certificate)

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

                status, reason, _certificate = self._request(url, timeout, sink, only_2xx_body=True)
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
                 only_2xx_body: bool = False) -> tuple[int, str, ServerCertificate | None]:
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
        certificate = _peer_certificate(sock)
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        conn.sock = sock  # already connected (and TLS-wrapped): http.client only writes and reads
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        try:
            conn.request("GET", path, headers={"User-Agent": "ccmsetup-wizard", "Accept": "*/*"})
            response = conn.getresponse()
            if only_2xx_body and not 200 <= response.status < 300:
                return response.status, response.reason, certificate
            while True:
                data = response.read(64 * 1024)
                if not data:
                    break
                sink(data)
            return response.status, response.reason, certificate
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


def _peer_certificate(sock: socket.socket) -> ServerCertificate | None:
    if not isinstance(sock, ssl.SSLSocket):
        return None
    try:
        der = sock.getpeercert(binary_form=True)
    except (ValueError, OSError):
        return None
    return server_certificate(der) if der else None


def server_certificate(der: bytes) -> ServerCertificate:
    """Read the subject, serial and revocation addresses of a DER certificate (needs `cryptography`; without it
    only the bytes are kept)."""
    try:
        from cryptography import x509
        from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID, NameOID
    except ImportError:
        return ServerCertificate(der=der)
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return ServerCertificate(der=der)
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    subject = f"CN={names[0].value}" if names else cert.subject.rfc4514_string()
    crl_urls: list[str] = []
    ocsp_urls: list[str] = []
    with contextlib.suppress(x509.ExtensionNotFound, ValueError):
        for point in cert.extensions.get_extension_for_oid(ExtensionOID.CRL_DISTRIBUTION_POINTS).value:
            crl_urls += [n.value for n in point.full_name or () if isinstance(n, x509.UniformResourceIdentifier)]
    with contextlib.suppress(x509.ExtensionNotFound, ValueError):
        for access in cert.extensions.get_extension_for_oid(ExtensionOID.AUTHORITY_INFORMATION_ACCESS).value:
            if access.access_method == AuthorityInformationAccessOID.OCSP and \
                    isinstance(access.access_location, x509.UniformResourceIdentifier):
                ocsp_urls.append(access.access_location.value)
    return ServerCertificate(der=der, subject=str(subject), serial=cert.serial_number,
                             crl_urls=tuple(dict.fromkeys(crl_urls)), ocsp_urls=tuple(dict.fromkeys(ocsp_urls)),
                             parsed=True)


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
        return replace(result, ok=False, failure=BAD_RESPONSE,
                       detail=f"{url} answered HTTP {result.status} but not with an MP list: this is not a "
                              "management point, or a proxy answered instead")
    if result.ok:
        return replace(result, detail=f"{url} answered with an MP list (HTTP {result.status})")
    if result.status == 403 and url.startswith("http://"):
        # IIS answers 403.4 "SSL required" when the MP site accepts HTTPS only; a remote client usually gets
        # only the generic 403 page, so the sub-status is named when the body shows it and inferred otherwise.
        sure = b"403.4" in result.body or b"ssl is required" in result.body.lower()
        return replace(result, failure=HTTPS_REQUIRED,
                       detail=f"{url} answered HTTP 403" + (" (403.4 SSL required)" if sure else "") +
                              ": this management point accepts HTTPS only, it is not down")
    return result


def cmg_auth_info_url(cmg: str, tenant: str) -> str:
    return f"https://{cmg_host(cmg)}/CCM_Proxy_ServerAuth/AADAuthInfo?TenantID={quote(tenant, safe='')}"


def probe_cmg_auth_info(prober: Prober, cmg: str, tenant: str, *, timeout: float = DEFAULT_TIMEOUT) -> ProbeResult:
    """The unauthenticated first call ccmsetup makes to a CMG. ok = the tenant is onboarded (non-empty answer)."""
    url = cmg_auth_info_url(cmg, tenant)
    result = prober.http_get(url, timeout=timeout)
    if result.failure in (None, HTTP_STATUS) and (result.status == 404 or (result.ok and not result.body.strip())):
        return replace(result, ok=False, failure=NOT_ONBOARDED,
                       detail=f"the CMG answered HTTP {result.status} with no Entra information for tenant "
                              f"{tenant}: this tenant is not onboarded to the site's cloud management")
    if result.ok:
        return replace(result, detail=f"the CMG returned Entra information for tenant {tenant}")
    return result


# -- revocation by fetching the addresses in the certificate -------------------------------------------------


def fetch_revocation(prober: Prober, certificate: ServerCertificate, *, timeout: float = DEFAULT_TIMEOUT,
                     now: datetime.datetime | None = None) -> RevocationResult:
    """Fetch the CRL and OCSP addresses of `certificate` through `prober`.

    A CRL counts when it parses, is current (nextUpdate not passed) and does not list the certificate; an OCSP
    responder counts when it answers at all (asking it properly needs the issuer certificate, which the TLS
    handshake does not hand to Python). Windows treats the status as known when any source answers, so the
    verdict is good when one does, offline (0x80092013) when none does, revoked (0x80092010) when a CRL lists
    the certificate. Only the server certificate's own addresses are fetched, not its issuing CA's.
    """
    who = certificate.subject or "the server"
    if not certificate.parsed:
        return RevocationResult("not-checked", f"Not checked: the revocation addresses in the certificate of {who} "
                                               f"could not be read here ({no_certificate_parser()}).")
    fetchable = [u for u in certificate.crl_urls if u.lower().startswith(("http://", "https://"))]
    others = [u for u in certificate.crl_urls if u not in fetchable]
    if not fetchable and not certificate.ocsp_urls:
        if others:
            return RevocationResult("unknown", f"The certificate of {who} names only CRL locations this probe "
                                               f"cannot query ({', '.join(others)}); a device outside the domain "
                                               "cannot reach LDAP locations either.", error_code=None)
        return RevocationResult("no-endpoints", f"The certificate of {who} names no CRL or OCSP address: there is "
                                                "nothing to fetch.")
    now = now or datetime.datetime.now(datetime.UTC)
    jobs = [("crl", u) for u in fetchable] + [("ocsp", u) for u in certificate.ocsp_urls]
    results = run_parallel(jobs, lambda job: _check_endpoint(prober, job[0], job[1], certificate, timeout, now))
    endpoints = tuple(check for check, _revoked in results)
    listed = [check for check, revoked in results if revoked]
    if listed:
        return RevocationResult("revoked", f"The certificate of {who} (serial {certificate.serial:x}) is listed as "
                                           f"revoked on {listed[0].url}.", endpoints, CRYPT_E_REVOKED)
    reachable = [e for e in endpoints if e.reachable]
    if reachable:
        named = "; ".join(f"{e.url}: {e.detail}" for e in endpoints)
        return RevocationResult("good", f"Revocation status of {who} is reachable ({named}).", endpoints)
    named = "; ".join(f"{e.url}: {e.detail}" for e in endpoints)
    return RevocationResult("offline", f"None of the revocation addresses of {who} answered ({named}).",
                            endpoints, CRYPT_E_REVOCATION_OFFLINE)


def _check_endpoint(prober: Prober, kind: str, url: str, certificate: ServerCertificate, timeout: float,
                    now: datetime.datetime) -> tuple[EndpointCheck, bool]:
    if kind == "ocsp":
        result = prober.http_get(url, timeout=timeout, max_bytes=4096)
        if result.status is not None:  # any HTTP answer: the responder is there
            return EndpointCheck(url, "ocsp", True, f"OCSP responder answered (HTTP {result.status})"), False
        return EndpointCheck(url, "ocsp", False, result.detail), False
    result = prober.http_get(url, timeout=timeout, max_bytes=CRL_MAX_BYTES)
    if not result.ok:
        return EndpointCheck(url, "crl", False, result.detail), False
    try:
        crl = _load_crl(result.body)
    except ImportError:
        return EndpointCheck(url, "crl", True, f"answered HTTP {result.status} ({len(result.body)} bytes; content "
                                               f"not checked: {no_certificate_parser()})"), False
    if crl is None:
        return EndpointCheck(url, "crl", False, f"answered HTTP {result.status}, but not with a CRL (a proxy or "
                                                "captive portal answered?)"), False
    next_update = _next_update(crl)
    if next_update is not None and now > next_update:
        return EndpointCheck(url, "crl", False, f"the CRL expired on {next_update:%Y-%m-%d %H:%M} UTC "
                                                "(nextUpdate): Windows treats it as unavailable"), False
    if certificate.serial is not None and crl.get_revoked_certificate_by_serial_number(certificate.serial):
        return EndpointCheck(url, "crl", True, "the CRL lists this certificate as revoked"), True
    until = f", valid until {next_update:%Y-%m-%d %H:%M} UTC" if next_update else ""
    return EndpointCheck(url, "crl", True, f"CRL received{until}"), False


def no_certificate_parser() -> str:
    """Why certificates and CRLs cannot be read here. The bundles leave the `cryptography` package out on purpose
    (installer/spec_support.py: Windows asks the OS chain engine instead); a pip install off Windows has it."""
    if getattr(sys, "frozen", False):
        return "this build has no certificate parser; the bundle leaves out the cryptography package"
    return "the cryptography package is not installed"


def _next_update(crl) -> datetime.datetime | None:
    value = getattr(crl, "next_update_utc", None)  # cryptography >= 42
    if value is None and getattr(crl, "next_update", None) is not None:
        value = crl.next_update.replace(tzinfo=datetime.UTC)
    return value


def _load_crl(body: bytes):
    """A cryptography CRL object, None when the body is not a CRL; ImportError without cryptography."""
    from cryptography import x509

    for loader in (x509.load_der_x509_crl, x509.load_pem_x509_crl):
        try:
            return loader(body)
        except ValueError:
            continue
    return None


def run_parallel(items: Iterable[Any], work: Callable[[Any], Any]) -> list[Any]:
    """Run `work` for each item at the same time (probes to several addresses) and keep the order. An exception
    in one of them is raised here once all have ended, as if the work had run in this thread."""
    items = list(items)
    results: list[Any] = [None] * len(items)
    errors: list[BaseException | None] = [None] * len(items)

    def run(index: int, item: Any) -> None:
        try:
            results[index] = work(item)
        except BaseException as exc:  # handed to the caller below
            errors[index] = exc

    threads = [threading.Thread(target=run, args=(i, item), daemon=True) for i, item in enumerate(items)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for error in errors:
        if error is not None:
            raise error
    return results
