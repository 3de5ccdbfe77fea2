"""Where secrets (the bulk registration token) are kept: the system keyring (Windows Credential
Manager, macOS Keychain, Secret Service) when there is one, otherwise only in memory for this session.

keyrings.alt is never used: its file backends store secrets as plain text.
"""

from __future__ import annotations

import hashlib
import os
from abc import ABC, abstractmethod

SERVICE = "ccmsetup-wizard"


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
        if module.startswith("keyrings.alt"):
            self._fall_back(f"the only keyring available ({name}) stores secrets as plain text, so it is not used")
        elif module.startswith(("keyring.backends.fail", "keyring.backends.null")) or _priority(backend) <= 0:
            self._fall_back("no system keyring is available on this machine (NoKeyringError)")
        else:
            self.secure = True
            self.description = f"stored in the system keyring ({name}, service '{service}')"

    def _fall_back(self, reason: str) -> None:
        self.problem = reason
        self.secure = False
        self.description = f"{reason}; the token is kept in memory only and forgotten when ccmsetup-wizard closes"

    def get(self, key: str) -> str | None:
        if self.secure:
            try:
                value = self._keyring.get_password(self.service, key)
            except self._keyring.errors.KeyringError as exc:
                self._fall_back(f"the system keyring failed ({exc})")
            else:
                if value is not None:
                    return value
        return self._memory.get(key)

    def set(self, key: str, value: str) -> None:
        if self.secure:
            try:
                self._keyring.set_password(self.service, key, value)
                return
            except self._keyring.errors.KeyringError as exc:
                self._fall_back(f"the system keyring refused the token ({exc})")
        self._memory.set(key, value)

    def delete(self, key: str) -> None:
        self._memory.delete(key)
        if self.secure:
            try:
                self._keyring.delete_password(self.service, key)
            except self._keyring.errors.PasswordDeleteError:
                pass  # nothing stored under that key
            except self._keyring.errors.KeyringError as exc:
                self._fall_back(f"the system keyring failed ({exc})")


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
