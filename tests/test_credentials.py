import keyring
import keyring.backends.fail
import pytest
from keyring.backend import KeyringBackend

from wizard.host.credentials import (
    SERVICE,
    KeyringStore,
    MemoryStore,
    credential_key_for_profile,
    open_credential_store,
)


def test_memory_store():
    store = MemoryStore()
    assert not store.secure and "memory" in store.description
    assert store.get("k") is None
    store.set("k", "v")
    assert store.get("k") == "v"
    store.delete("k")
    store.delete("k")  # deleting twice is fine
    assert store.get("k") is None


def test_keyring_store_uses_the_keyring_under_the_service_name(memory_keyring):
    store = KeyringStore()
    assert store.secure and store.problem is None
    assert "system keyring" in store.description
    store.set("regtoken", "tok")
    assert memory_keyring.passwords == {(SERVICE, "regtoken"): "tok"}
    assert store.get("regtoken") == "tok"
    store.delete("regtoken")
    store.delete("regtoken")
    assert memory_keyring.passwords == {}
    assert open_credential_store().secure


@pytest.fixture
def no_keyring():
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


def test_without_a_backend_it_says_so_and_keeps_the_secret_in_memory(no_keyring):
    store = KeyringStore()
    assert not store.secure
    assert "NoKeyringError" in store.problem
    assert "memory only" in store.description
    store.set("regtoken", "tok")
    assert store.get("regtoken") == "tok"
    store.delete("regtoken")
    assert store.get("regtoken") is None


def test_a_linux_bundle_says_it_has_no_secret_service_support(no_keyring, monkeypatch):
    import sys

    # build.spec leaves SecretStorage (and the cryptography it needs) out of every bundle: a Secret Service may
    # well be running, this build just cannot talk to it.
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setitem(sys.modules, "secretstorage", None)
    store = KeyringStore()
    assert not store.secure
    assert "this build has no Secret Service support" in store.problem
    assert "no system keyring is available on this machine" not in store.problem
    assert "memory only" in store.description


class PlaintextLookalike(KeyringBackend):
    priority = 1

    def get_password(self, service, username):
        raise AssertionError("must not be read")

    def set_password(self, service, username, password):
        raise AssertionError("must not be written")

    def delete_password(self, service, username):
        raise AssertionError("must not be used")


def test_keyrings_alt_backends_are_never_used():
    PlaintextLookalike.__module__ = "keyrings.alt.file"
    previous = keyring.get_keyring()
    keyring.set_keyring(PlaintextLookalike())
    try:
        store = KeyringStore()
        assert not store.secure and "plain text" in store.description
        store.set("k", "v")
        assert store.get("k") == "v"
    finally:
        keyring.set_keyring(previous)


class BrokenKeyring(KeyringBackend):
    priority = 1

    def get_password(self, service, username):
        raise keyring.errors.KeyringLocked("locked")

    def set_password(self, service, username, password):
        raise keyring.errors.PasswordSetError("refused")

    def delete_password(self, service, username):
        raise keyring.errors.KeyringLocked("locked")


def test_a_failing_keyring_falls_back_to_memory_and_says_why():
    previous = keyring.get_keyring()
    keyring.set_keyring(BrokenKeyring())
    try:
        store = KeyringStore()
        assert store.secure
        store.set("k", "v")
        assert not store.secure and "refused" in store.description
        assert store.get("k") == "v"
    finally:
        keyring.set_keyring(previous)


def test_credential_key_is_stable_per_profile(tmp_path):
    a = credential_key_for_profile(tmp_path / "a.json")
    assert a == credential_key_for_profile(str(tmp_path / "a.json"))
    assert a != credential_key_for_profile(tmp_path / "b.json")
    assert credential_key_for_profile(None) == "regtoken"
    assert str(tmp_path) not in a


# -- issue 10, defect 1: Windows back-end errors and the Credential Manager blob limit ------------------------


class PyWinTypesError(Exception):
    """What pywin32-ctypes raises (pywintypes.error): a plain Exception with (winerror, funcname, strerror)."""

    def __init__(self, winerror, funcname, strerror):
        super().__init__(winerror, funcname, strerror)
        self.winerror, self.funcname, self.strerror = winerror, funcname, strerror


class WinVaultLookalike(KeyringBackend):
    """Stands in for keyring.backends.Windows.WinVaultKeyring (module name set below)."""

    priority = 5

    def __init__(self, fail_with=None):
        super().__init__()
        self.fail_with = fail_with
        self.written: dict[str, str] = {}

    def get_password(self, service, username):
        if self.fail_with:
            raise self.fail_with
        return self.written.get(username)

    def set_password(self, service, username, password):
        if self.fail_with:
            raise self.fail_with
        if len(password.encode("utf-16-le")) > 2560:
            raise PyWinTypesError(1783, "CredWrite", "The stub received bad data.")
        self.written[username] = password

    def delete_password(self, service, username):
        self.written.pop(username, None)


WinVaultLookalike.__module__ = "keyring.backends.Windows"


@pytest.fixture
def winvault():
    previous = keyring.get_keyring()
    backends = []

    def install(**kwargs):
        backend = WinVaultLookalike(**kwargs)
        keyring.set_keyring(backend)
        backends.append(backend)
        return backend

    try:
        yield install
    finally:
        keyring.set_keyring(previous)


def test_no_logon_session_falls_back_to_memory_without_a_traceback(winvault):
    winvault(fail_with=PyWinTypesError(1312, "CredWrite", "A specified logon session does not exist."))
    store = KeyringStore()
    assert store.secure
    store.set("regtoken", "tok")  # must not raise
    assert not store.secure
    assert "1312" in store.problem and "logon session" in store.problem
    assert "memory only" in store.description
    assert store.get("regtoken") == "tok"


def test_a_failing_read_falls_back_too(winvault):
    winvault(fail_with=PyWinTypesError(5, "CredRead", "Access is denied."))
    store = KeyringStore()
    assert store.get("regtoken") is None
    assert not store.secure and "CredRead error 5" in store.problem


def test_token_over_the_credential_manager_blob_limit_is_not_written(winvault):
    backend = winvault()
    store = KeyringStore()
    store.set("regtoken", "x" * 1290)  # 2,580 bytes in UTF-16
    assert backend.written == {}
    assert not store.secure
    assert "2,580 bytes" in store.problem and "2,560" in store.problem
    assert store.get("regtoken") == "x" * 1290


def test_token_at_the_limit_is_stored(winvault):
    backend = winvault()
    store = KeyringStore()
    store.set("regtoken", "x" * 1280)  # exactly 2,560 bytes
    assert store.secure and backend.written == {"regtoken": "x" * 1280}


def test_the_limit_is_only_applied_to_credential_manager(memory_keyring):
    store = KeyringStore()
    store.set("regtoken", "x" * 5000)
    assert store.secure and memory_keyring.passwords[(SERVICE, "regtoken")] == "x" * 5000


def test_cli_profile_save_with_a_broken_keyring_ends_with_a_message(winvault, tmp_path, capsys):
    from wizard.cli.main import main

    winvault(fail_with=PyWinTypesError(1312, "CredWrite", "A specified logon session does not exist."))
    profile = tmp_path / "p.json"
    code = main(["command", "--from", "ccmsetup.exe /regtoken:eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.c "
                 "CCMHOSTNAME=cmg.contoso.com/CCM_Proxy_MutualAuth/1 SMSSITECODE=P01",
                 "--save-profile", str(profile)])
    err = capsys.readouterr().err
    assert code == 0 and "Traceback" not in err
    assert profile.exists()
    assert "memory only" in err and "1312" in err
