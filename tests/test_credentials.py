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
