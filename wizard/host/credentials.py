"""Where secrets (the bulk registration token) are kept: the system keyring (Windows Credential
Manager, macOS Keychain, Secret Service) when there is one, otherwise only in memory for this session.

keyrings.alt is never used: its file backends store secrets as plain text.
"""

from __future__ import annotations

import hashlib
import os
import sys
from abc import ABC, abstractmethod

SERVICE = "ccmsetup-wizard"
# Windows Credential Manager (keyring's WinVaultKeyring) keeps the secret as a UTF-16 blob of at most
# CRED_MAX_CREDENTIAL_BLOB_SIZE = 5 * 512 bytes; a larger one fails with CredWrite error 1783 ("The stub
# received bad data"). Measured by others: 1,280 characters fit, 1,290 do not (engineering notes section 5).
CREDENTIAL_BLOB_LIMIT = 2560
# Win32 errors keyring's Windows back end raises (pywin32-ctypes' pywintypes.error: a plain Exception, not a
# KeyringError), named for a technician
_WIN32_HINTS = {
    1312: "no logon session with credentials: the wizard runs as a service, as SYSTEM or in a remote shell",
    1783: "the secret is larger than Windows Credential Manager accepts",
    5: "access denied",
}


def credential_key_for_profile(profile_path: str | os.PathLike[str] | None) -> str:
    """The key a profile's token is stored under (stable per profile file; "regtoken" without one)."""
    if profile_path is None:
        return "regtoken"
    digest = hashlib.sha256(os.path.abspath(os.fspath(profile_path)).lower().encode("utf-8")).hexdigest()[:16]
    return f"regtoken:{digest}"


class CredentialStore(ABC):
    """get/set/delete of named secrets. `secure` says whether they survive in a protected store;
    `description` says in plain words where they are kept (for the GUI and CLI to show)."""

    secure: bool = False
    description: str = ""

    @abstractmethod
    def get(self, key: str) -> str | None: ...

    @abstractmethod
    def set(self, key: str, value: str) -> None: ...

    @abstractmethod
    def delete(self, key: str) -> None: ...


class MemoryStore(CredentialStore):
    """Secrets in this process only; gone when it exits (tests, demo mode, no keyring)."""

    def __init__(self, description: str = "kept in memory only; forgotten when ccmsetup-wizard closes"):
        self._values: dict[str, str] = {}
        self.secure = False
        self.description = description

    def get(self, key: str) -> str | None:
        return self._values.get(key)

    def set(self, key: str, value: str) -> None:
        self._values[key] = value

    def delete(self, key: str) -> None:
        self._values.pop(key, None)


class KeyringStore(CredentialStore):
    """The system keyring under service "ccmsetup-wizard". When no usable backend exists (headless
    Linux raises NoKeyringError) or the backend fails, `problem` says why and the secret is kept in
    memory only for this session."""

    def __init__(self, service: str = SERVICE):
        import keyring  # imported here so the rest of the app starts without it

        self._keyring = keyring
        self.service = service
        self._memory = MemoryStore()
        self.problem: str | None = None
        backend = keyring.get_keyring()
        module = type(backend).__module__
        name = type(backend).__name__
        # the blob limit is Credential Manager's: only where it is the store
        self.blob_limit = CREDENTIAL_BLOB_LIMIT if (module == "keyring.backends.Windows" or
                                                    (sys.platform == "win32" and "Windows" in module)) else None
        if module.startswith("keyrings.alt"):
            self._fall_back(f"the only keyring available ({name}) stores secrets as plain text, so it is not used")
        elif module.startswith(("keyring.backends.fail", "keyring.backends.null")) or _priority(backend) <= 0:
            self._fall_back(_no_keyring_reason())
        else:
            self.secure = True
            self.description = f"stored in the system keyring ({name}, service '{service}')"

    def _fall_back(self, reason: str) -> None:
        self.problem = reason
        self.secure = False
        self.description = f"{reason}; the token is kept in memory only and forgotten when ccmsetup-wizard closes"

    # Every back-end call catches Exception, not only KeyringError: the Windows back end raises
    # pywintypes.error (CredWrite 1783, 1312, ...), which is neither, and a secret must never cost a traceback.

    def get(self, key: str) -> str | None:
        if self.secure:
            try:
                value = self._keyring.get_password(self.service, key)
            except Exception as exc:
                self._fall_back(f"the system keyring failed ({describe_backend_error(exc)})")
            else:
                if value is not None:
                    return value
        return self._memory.get(key)

    def set(self, key: str, value: str) -> None:
        if self.secure:
            size = len(value.encode("utf-16-le"))
            if self.blob_limit is not None and size > self.blob_limit:
                self._fall_back(f"the token is {size:,} bytes as Windows Credential Manager stores it (UTF-16, "
                                f"{len(value):,} characters), more than its limit of {self.blob_limit:,} bytes")
            else:
                try:
                    self._keyring.set_password(self.service, key, value)
                    return
                except Exception as exc:
                    self._fall_back(f"the system keyring refused the token ({describe_backend_error(exc)})")
        self._memory.set(key, value)

    def delete(self, key: str) -> None:
        self._memory.delete(key)
        if self.secure:
            try:
                self._keyring.delete_password(self.service, key)
            except self._keyring.errors.PasswordDeleteError:
                pass  # nothing stored under that key
            except Exception as exc:
                self._fall_back(f"the system keyring failed ({describe_backend_error(exc)})")


def describe_backend_error(exc: BaseException) -> str:
    """A keyring back-end error in words: pywintypes.error carries (winerror, funcname, strerror)."""
    code = getattr(exc, "winerror", None)
    args = getattr(exc, "args", ())
    if code is None and len(args) == 3 and isinstance(args[0], int):
        code = args[0]
    if isinstance(code, int):
        function = getattr(exc, "funcname", None) or (args[1] if len(args) == 3 else "")
        text = (getattr(exc, "strerror", None) or (args[2] if len(args) == 3 else "") or "").strip().rstrip(".")
        hint = _WIN32_HINTS.get(code)
        words = f"{function} error {code}".strip() + (f": {text}" if text else "") + (f"; {hint}" if hint else "")
        return words
    return str(exc).strip() or type(exc).__name__


def _no_keyring_reason() -> str:
    """Why no keyring back end is usable. On Linux that is normally the Secret Service, which the bundles leave out
    on purpose (installer/spec_support.py): "none on this machine" would send a technician after a keyring daemon
    that runs fine."""
    if sys.platform.startswith("linux"):
        try:
            import secretstorage  # noqa: F401 (what keyring's Secret Service back end needs)
        except ImportError:
            if getattr(sys, "frozen", False):
                return ("this build has no Secret Service support (the bundle leaves out SecretStorage and "
                        "cryptography), so the system keyring is not used (NoKeyringError)")
            return ("keyring's Secret Service back end cannot load (the SecretStorage package is missing), so the "
                    "system keyring is not used (NoKeyringError)")
    return "no system keyring is available on this machine (NoKeyringError)"


def _priority(backend: object) -> float:
    try:
        return float(getattr(backend, "priority", 1))
    except Exception:  # some backends compute priority and raise when unusable
        return 0.0


def open_credential_store() -> CredentialStore:
    """The store the app should use: the keyring, falling back to memory (check `.secure`)."""
    try:
        return KeyringStore()
    except ImportError:
        return MemoryStore("keyring is not installed; the token is kept in memory only")
