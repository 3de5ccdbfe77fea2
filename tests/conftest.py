"""Shared test set-up: Qt offscreen, a private config folder per test, dialogs that answer Yes (or record the
questions: `asked`), and an in-memory keyring backend fixture."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring  # noqa: E402
import keyring.errors  # noqa: E402
import pytest  # noqa: E402
from keyring.backend import KeyringBackend  # noqa: E402


class MemoryKeyring(KeyringBackend):
    """A dict-backed keyring backend (the pattern from the keyring README)."""

    priority = 10

    def __init__(self):
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.passwords.get((service, username))

    def set_password(self, service, username, password):
        self.passwords[(service, username)] = password

    def delete_password(self, service, username):
        try:
            del self.passwords[(service, username)]
        except KeyError:
            raise keyring.errors.PasswordDeleteError(username) from None


@pytest.fixture
def memory_keyring():
    """Install an in-memory keyring for the test; restores the previous backend afterwards."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def isolated_user_config(tmp_path, monkeypatch):
    """Profiles, recent-profile lists and default folders live under the test's own config folder."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


@pytest.fixture
def dialogs_answer_yes(monkeypatch):
    """Questions (e.g. closing the window while setup runs) answer Yes, so no test blocks on a modal dialog."""
    from wizard.ui import dialogs

    monkeypatch.setattr(dialogs, "ask_yes_no", lambda *a, **k: True)


@pytest.fixture
def asked(monkeypatch):
    """Replace the yes/no dialog: records the questions, answers from `asked.answer` (default yes)."""
    from wizard.ui import dialogs

    class Recorder(list):
        answer = True

    recorder = Recorder()

    def ask_yes_no(parent, title, text, **kwargs):
        recorder.append((title, text))
        return recorder.answer

    monkeypatch.setattr(dialogs, "ask_yes_no", ask_yes_no)
    return recorder
