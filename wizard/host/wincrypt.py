"""crypt32 for the Windows host: the certificates in LocalMachine\\My and the OS chain engine with revocation.

A mixin of `winapi.Win32Api` (it uses the `crypt32` DLL object that class loads), kept apart because the
certificate structures are many. Like winapi, it imports on every platform and its structure sizes are tested
on Linux; `CertInfo` decisions are made by the Windows host from the plain records returned here.
"""

from __future__ import annotations

import ctypes
import datetime
from dataclasses import dataclass
from typing import Any

# fixed-width Win32 scalars (as in winapi, which imports this module)
DWORD = ctypes.c_uint32
BOOL = ctypes.c_int32
HANDLE = ctypes.c_void_p
LPCWSTR = ctypes.c_wchar_p

X509_ASN_ENCODING = 0x00000001
PKCS_7_ASN_ENCODING = 0x00010000
CERT_STORE_PROV_SYSTEM_W = 10
CERT_SYSTEM_STORE_LOCAL_MACHINE = 0x00020000
CERT_STORE_READONLY_FLAG = 0x00008000
CERT_STORE_OPEN_EXISTING_FLAG = 0x00004000
CERT_NAME_SIMPLE_DISPLAY_TYPE = 4
CERT_NAME_ISSUER_FLAG = 0x1
CERT_KEY_PROV_INFO_PROP_ID = 2
CERT_SHA1_HASH_PROP_ID = 3
CRYPT_E_NOT_FOUND = 0x80092004
HCCE_LOCAL_MACHINE = 0x1  # the machine chain engine: what ccmsetup, running as SYSTEM, uses

# CertGetCertificateChain dwFlags
CERT_CHAIN_CACHE_ONLY_URL_RETRIEVAL = 0x00000004
CERT_CHAIN_REVOCATION_ACCUMULATIVE_TIMEOUT = 0x08000000
CERT_CHAIN_REVOCATION_CHECK_CHAIN_EXCLUDE_ROOT = 0x40000000
CERT_CHAIN_REVOCATION_CHECK_CACHE_ONLY = 0x80000000
CERT_CHAIN_POLICY_BASE = 1

# CERT_TRUST_STATUS.dwErrorStatus
CERT_TRUST_IS_NOT_TIME_VALID = 0x00000001
CERT_TRUST_IS_REVOKED = 0x00000004
CERT_TRUST_IS_NOT_SIGNATURE_VALID = 0x00000008
CERT_TRUST_IS_NOT_VALID_FOR_USAGE = 0x00000010
CERT_TRUST_IS_UNTRUSTED_ROOT = 0x00000020
CERT_TRUST_REVOCATION_STATUS_UNKNOWN = 0x00000040
CERT_TRUST_IS_CYCLIC = 0x00000080
CERT_TRUST_IS_PARTIAL_CHAIN = 0x00010000
CERT_TRUST_IS_OFFLINE_REVOCATION = 0x01000000
CERT_TRUST_IS_EXPLICIT_DISTRUST = 0x04000000

TRUST_ERROR_NAMES = {
    CERT_TRUST_IS_NOT_TIME_VALID: "a certificate in the chain is outside its validity period",
    CERT_TRUST_IS_REVOKED: "a certificate in the chain is revoked",
    CERT_TRUST_IS_NOT_SIGNATURE_VALID: "a signature in the chain does not verify",
    CERT_TRUST_IS_NOT_VALID_FOR_USAGE: "not valid for this usage",
    CERT_TRUST_IS_UNTRUSTED_ROOT: "the root CA is not trusted on this device",
    CERT_TRUST_REVOCATION_STATUS_UNKNOWN: "revocation status unknown",
    CERT_TRUST_IS_CYCLIC: "the chain is cyclic",
    CERT_TRUST_IS_PARTIAL_CHAIN: "the issuing CA certificate is missing (partial chain)",
    CERT_TRUST_IS_OFFLINE_REVOCATION: "the revocation server is offline",
    CERT_TRUST_IS_EXPLICIT_DISTRUST: "a certificate in the chain is explicitly distrusted",
}
# Errors that make a chain untrusted (time validity and revocation are judged separately)
CHAIN_TRUST_ERRORS = (CERT_TRUST_IS_UNTRUSTED_ROOT | CERT_TRUST_IS_PARTIAL_CHAIN | CERT_TRUST_IS_NOT_SIGNATURE_VALID
                      | CERT_TRUST_IS_CYCLIC | CERT_TRUST_IS_EXPLICIT_DISTRUST | CERT_TRUST_IS_REVOKED)


class FILETIME(ctypes.Structure):
    _fields_ = [("dwLowDateTime", DWORD), ("dwHighDateTime", DWORD)]


class CRYPT_INTEGER_BLOB(ctypes.Structure):  # noqa: N801 (Win32 name; also CERT_NAME_BLOB, CRYPT_OBJID_BLOB)
    _fields_ = [("cbData", DWORD), ("pbData", ctypes.POINTER(ctypes.c_ubyte))]


class CRYPT_ALGORITHM_IDENTIFIER(ctypes.Structure):  # noqa: N801
    _fields_ = [("pszObjId", ctypes.c_char_p), ("Parameters", CRYPT_INTEGER_BLOB)]


class CERT_INFO(ctypes.Structure):  # noqa: N801 -- leading members only; read through a pointer
    _fields_ = [("dwVersion", DWORD), ("SerialNumber", CRYPT_INTEGER_BLOB),
                ("SignatureAlgorithm", CRYPT_ALGORITHM_IDENTIFIER), ("Issuer", CRYPT_INTEGER_BLOB),
                ("NotBefore", FILETIME), ("NotAfter", FILETIME)]


class CERT_CONTEXT(ctypes.Structure):  # noqa: N801
    """wincrypt.h; 40 bytes on 64-bit, 20 on 32-bit."""

    _fields_ = [("dwCertEncodingType", DWORD), ("pbCertEncoded", ctypes.POINTER(ctypes.c_ubyte)),
                ("cbCertEncoded", DWORD), ("pCertInfo", ctypes.POINTER(CERT_INFO)), ("hCertStore", HANDLE)]


class CERT_ENHKEY_USAGE(ctypes.Structure):  # noqa: N801
    _fields_ = [("cUsageIdentifier", DWORD), ("rgpszUsageIdentifier", ctypes.POINTER(ctypes.c_char_p))]


class CERT_USAGE_MATCH(ctypes.Structure):  # noqa: N801
    _fields_ = [("dwType", DWORD), ("Usage", CERT_ENHKEY_USAGE)]


class CERT_CHAIN_PARA(ctypes.Structure):  # noqa: N801
    """wincrypt.h with the optional members up to dwStrongSignFlags; 96 bytes on 64-bit, 52 on 32-bit."""

    _fields_ = [("cbSize", DWORD), ("RequestedUsage", CERT_USAGE_MATCH),
                ("RequestedIssuancePolicy", CERT_USAGE_MATCH), ("dwUrlRetrievalTimeout", DWORD),
                ("fCheckRevocationFreshnessTime", BOOL), ("dwRevocationFreshnessTime", DWORD),
                ("pftCacheResync", ctypes.POINTER(FILETIME)), ("pStrongSignPara", ctypes.c_void_p),
                ("dwStrongSignFlags", DWORD)]


class CERT_TRUST_STATUS(ctypes.Structure):  # noqa: N801
    _fields_ = [("dwErrorStatus", DWORD), ("dwInfoStatus", DWORD)]


class CERT_CHAIN_CONTEXT(ctypes.Structure):  # noqa: N801 -- leading members only; read through a pointer
    _fields_ = [("cbSize", DWORD), ("TrustStatus", CERT_TRUST_STATUS)]


class CERT_CHAIN_POLICY_PARA(ctypes.Structure):  # noqa: N801
    _fields_ = [("cbSize", DWORD), ("dwFlags", DWORD), ("pvExtraPolicyPara", ctypes.c_void_p)]


class CERT_CHAIN_POLICY_STATUS(ctypes.Structure):  # noqa: N801
    _fields_ = [("cbSize", DWORD), ("dwError", DWORD), ("lChainIndex", ctypes.c_int32),
                ("lElementIndex", ctypes.c_int32), ("pvExtraPolicyStatus", ctypes.c_void_p)]


@dataclass(frozen=True)
class StoreCertificate:
    """One certificate of a system store as Windows describes it (no decisions made here)."""

    subject: str
    issuer: str
    thumbprint: str
    not_before: datetime.datetime | None
    not_after: datetime.datetime | None
    ekus: tuple[str, ...] | None  # None: no EKU extension (valid for every purpose)
    has_private_key: bool
    chain_error_status: int | None  # CERT_TRUST_STATUS.dwErrorStatus; None when no chain could be built


def filetime_to_utc(value: FILETIME) -> datetime.datetime | None:
    ticks = (int(value.dwHighDateTime) << 32) | int(value.dwLowDateTime)  # 100 ns since 1601-01-01 UTC
    if not ticks:
        return None
    try:
        return datetime.datetime(1601, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(microseconds=ticks // 10)
    except OverflowError:
        return None


def trust_error_text(status: int) -> str:
    return ", ".join(text for bit, text in TRUST_ERROR_NAMES.items() if status & bit)


def declare_crypt32(crypt32: Any) -> None:
    c, P, D, H, B = crypt32, ctypes.POINTER, DWORD, HANDLE, BOOL  # noqa: N806
    c.CertOpenStore.argtypes = [ctypes.c_void_p, D, H, D, LPCWSTR]  # pvPara: the store name
    c.CertOpenStore.restype = H
    c.CertCloseStore.argtypes = [H, D]
    c.CertCloseStore.restype = B
    c.CertEnumCertificatesInStore.argtypes = [H, P(CERT_CONTEXT)]
    c.CertEnumCertificatesInStore.restype = P(CERT_CONTEXT)
    c.CertGetEnhancedKeyUsage.argtypes = [P(CERT_CONTEXT), D, ctypes.c_void_p, P(D)]
    c.CertGetEnhancedKeyUsage.restype = B
    c.CertGetCertificateContextProperty.argtypes = [P(CERT_CONTEXT), D, ctypes.c_void_p, P(D)]
    c.CertGetCertificateContextProperty.restype = B
    c.CertCreateCertificateContext.argtypes = [D, ctypes.c_void_p, D]
    c.CertCreateCertificateContext.restype = P(CERT_CONTEXT)
    c.CertFreeCertificateContext.argtypes = [P(CERT_CONTEXT)]
    c.CertFreeCertificateContext.restype = B
    c.CertGetCertificateChain.argtypes = [H, P(CERT_CONTEXT), ctypes.c_void_p, H, P(CERT_CHAIN_PARA), D,
                                          ctypes.c_void_p, P(P(CERT_CHAIN_CONTEXT))]
    c.CertGetCertificateChain.restype = B
    c.CertFreeCertificateChain.argtypes = [P(CERT_CHAIN_CONTEXT)]
    c.CertFreeCertificateChain.restype = None
    c.CertVerifyCertificateChainPolicy.argtypes = [ctypes.c_void_p, P(CERT_CHAIN_CONTEXT),
                                                   P(CERT_CHAIN_POLICY_PARA), P(CERT_CHAIN_POLICY_STATUS)]
    c.CertVerifyCertificateChainPolicy.restype = B


class CertStoreApi:
    """Win32Api's certificate methods (mixed in; `self.crypt32` is the loaded DLL)."""

    crypt32: Any

    def machine_certificates(self, store_name: str = "MY") -> list[StoreCertificate]:
        """Every certificate in LocalMachine\\<store_name>, opened read-only (a standard user may read it)."""
        store = self.crypt32.CertOpenStore(
            ctypes.c_void_p(CERT_STORE_PROV_SYSTEM_W), 0, None,
            CERT_SYSTEM_STORE_LOCAL_MACHINE | CERT_STORE_READONLY_FLAG | CERT_STORE_OPEN_EXISTING_FLAG, store_name)
        if not store:
            raise ctypes.WinError(ctypes.get_last_error())
        found: list[StoreCertificate] = []
        try:
            context = None
            while True:
                # the previous context is freed by the next call
                context = self.crypt32.CertEnumCertificatesInStore(store, context)
                if not context:
                    break
                try:
                    found.append(self._describe_certificate(context, store))
                except Exception:
                    self.crypt32.CertFreeCertificateContext(context)  # the enumeration will not free it now
                    raise
        finally:
            self.crypt32.CertCloseStore(store, 0)
        return found

    def _describe_certificate(self, context: Any, store: Any) -> StoreCertificate:
        info = context.contents.pCertInfo.contents
        return StoreCertificate(
            subject=self._cert_name(context, 0),
            issuer=self._cert_name(context, CERT_NAME_ISSUER_FLAG),
            thumbprint=self._cert_property(context, CERT_SHA1_HASH_PROP_ID).hex().upper(),
            not_before=filetime_to_utc(info.NotBefore),
            not_after=filetime_to_utc(info.NotAfter),
            ekus=self._enhanced_key_usage(context),
            has_private_key=self._has_property(context, CERT_KEY_PROV_INFO_PROP_ID),
            chain_error_status=self._chain_status(context, store),
        )

    def _cert_name(self, context: Any, flags: int) -> str:
        buffer = ctypes.create_unicode_buffer(512)
        length = self.crypt32.CertGetNameStringW(context, CERT_NAME_SIMPLE_DISPLAY_TYPE, flags, None, buffer,
                                                 len(buffer))
        return buffer.value if length > 1 else ""

    def _cert_property(self, context: Any, prop_id: int) -> bytes:
        size = DWORD(0)
        if not self.crypt32.CertGetCertificateContextProperty(context, prop_id, None, ctypes.byref(size)):
            return b""
        buffer = (ctypes.c_ubyte * size.value)()
        if not self.crypt32.CertGetCertificateContextProperty(context, prop_id, buffer, ctypes.byref(size)):
            return b""
        return bytes(buffer[: size.value])

    def _has_property(self, context: Any, prop_id: int) -> bool:
        # asks only for the size: a private key is never opened (that could prompt, or need rights)
        size = DWORD(0)
        return bool(self.crypt32.CertGetCertificateContextProperty(context, prop_id, None, ctypes.byref(size)))

    def _enhanced_key_usage(self, context: Any) -> tuple[str, ...] | None:
        size = DWORD(0)
        if not self.crypt32.CertGetEnhancedKeyUsage(context, 0, None, ctypes.byref(size)):
            if ctypes.get_last_error() & 0xFFFFFFFF == CRYPT_E_NOT_FOUND:
                return None
            return ()
        buffer = (ctypes.c_ubyte * max(size.value, ctypes.sizeof(CERT_ENHKEY_USAGE)))()
        if not self.crypt32.CertGetEnhancedKeyUsage(context, 0, buffer, ctypes.byref(size)):
            return ()
        usage = ctypes.cast(buffer, ctypes.POINTER(CERT_ENHKEY_USAGE)).contents
        if usage.cUsageIdentifier == 0:
            # no usage listed: CRYPT_E_NOT_FOUND means "valid for all", anything else "valid for none"
            return None if ctypes.get_last_error() & 0xFFFFFFFF == CRYPT_E_NOT_FOUND else ()
        return tuple(usage.rgpszUsageIdentifier[i].decode("ascii", "replace")
                     for i in range(usage.cUsageIdentifier))

    def _chain_status(self, context: Any, store: Any) -> int | None:
        """The chain's error status, built from the local caches only (no network while listing)."""
        para = CERT_CHAIN_PARA()
        para.cbSize = ctypes.sizeof(CERT_CHAIN_PARA)
        chain = ctypes.POINTER(CERT_CHAIN_CONTEXT)()
        if not self.crypt32.CertGetCertificateChain(HCCE_LOCAL_MACHINE, context, None, store, ctypes.byref(para),
                                                    CERT_CHAIN_CACHE_ONLY_URL_RETRIEVAL, None, ctypes.byref(chain)):
            return None
        try:
            return int(chain.contents.TrustStatus.dwErrorStatus)
        finally:
            self.crypt32.CertFreeCertificateChain(chain)

    def chain_revocation(self, der: bytes, timeout_ms: int, *, cache_only: bool = False) -> tuple[int, int]:
        """(CERT_TRUST_STATUS.dwErrorStatus, base-policy error as an unsigned HRESULT) of `der`'s chain, with
        revocation checked for every certificate but the root, as WinHTTP does for ccmsetup. The URL
        retrieval timeout bounds the whole check (accumulative)."""
        data = (ctypes.c_ubyte * len(der)).from_buffer_copy(der)
        context = self.crypt32.CertCreateCertificateContext(X509_ASN_ENCODING | PKCS_7_ASN_ENCODING, data,
                                                            len(der))
        if not context:
            raise ctypes.WinError(ctypes.get_last_error())
        try:
            para = CERT_CHAIN_PARA()
            para.cbSize = ctypes.sizeof(CERT_CHAIN_PARA)
            para.dwUrlRetrievalTimeout = max(1, int(timeout_ms))
            flags = CERT_CHAIN_REVOCATION_CHECK_CHAIN_EXCLUDE_ROOT | CERT_CHAIN_REVOCATION_ACCUMULATIVE_TIMEOUT
            if cache_only:
                flags |= CERT_CHAIN_REVOCATION_CHECK_CACHE_ONLY | CERT_CHAIN_CACHE_ONLY_URL_RETRIEVAL
            chain = ctypes.POINTER(CERT_CHAIN_CONTEXT)()
            if not self.crypt32.CertGetCertificateChain(HCCE_LOCAL_MACHINE, context, None, None, ctypes.byref(para),
                                                        flags, None, ctypes.byref(chain)):
                raise ctypes.WinError(ctypes.get_last_error())
            try:
                status = int(chain.contents.TrustStatus.dwErrorStatus)
                policy = CERT_CHAIN_POLICY_PARA(ctypes.sizeof(CERT_CHAIN_POLICY_PARA), 0, None)
                result = CERT_CHAIN_POLICY_STATUS()
                result.cbSize = ctypes.sizeof(CERT_CHAIN_POLICY_STATUS)
                if not self.crypt32.CertVerifyCertificateChainPolicy(ctypes.c_void_p(CERT_CHAIN_POLICY_BASE), chain,
                                                                     ctypes.byref(policy), ctypes.byref(result)):
                    raise ctypes.WinError(ctypes.get_last_error())
                return status, int(result.dwError) & 0xFFFFFFFF
            finally:
                self.crypt32.CertFreeCertificateChain(chain)
        finally:
            self.crypt32.CertFreeCertificateContext(context)
