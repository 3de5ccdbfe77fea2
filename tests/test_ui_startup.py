"""Start-up: the first window is the Welcome page alone (stand-in host, Next disabled); the host, the other
pages and the profile load right after it, and the keyring opens on first use only."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from wizard.cli import main as cli_main
from wizard.ui import app as ui_app
from wizard.ui import dialogs
from wizard.ui.wizard import PAGE_CLASSES, PageId, SetupWizard

FAST = 200.0  # simulator speed-up, as in test_ui_flow
FLOW_TIMEOUT_MS = 60000


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch, dialogs_answer_yes):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture
def first_window(qtbot):
    """What `run()` shows before the first paint: a deferred SetupWizard with a stand-in host."""

    def build(demo: str | None = "entra-joined") -> SetupWizard:
        wizard = SetupWizard(ui_app.StartupHost(demo), defer_pages=True)
        qtbot.addWidget(wizard)
        wizard.show()
        return wizard

    return build


def demo_host(tmp_path, preset: str = "entra-joined"):
    from wizard.host.demo import DemoHost

    return DemoHost(preset, base_dir=tmp_path / "host", speed=FAST, latency=0.0)


def next_button(wizard: SetupWizard):
    return wizard.button(QWizard.WizardButton.CommitButton if wizard.currentPage().isCommitPage()
                         else QWizard.WizardButton.NextButton)


def press_next(qtbot, wizard: SetupWizard, expected: PageId) -> None:
    button = next_button(wizard)
    qtbot.waitUntil(lambda: button.isEnabled() and button.isVisible(), timeout=FLOW_TIMEOUT_MS)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.currentId() == int(expected), timeout=5000)


def test_first_window_is_the_welcome_page_with_next_shown_but_disabled(first_window, qtbot):
    wizard = first_window("no-prt")
    assert wizard.pageIds() == [int(PageId.WELCOME)]
    assert not wizard.is_ready
    assert "DEMO (no-prt)" in wizard.windowTitle()
    assert wizard.demo_banner is not None and "no-prt" in wizard.demo_banner.text()
    welcome = wizard.currentPage()
    assert "DEMO mode" in welcome.mode_label.text()
    next_ = wizard.button(QWizard.WizardButton.NextButton)
    # Next is on screen (not Close: the wizard does not look finished) and cannot be used yet.
    assert next_.isVisible() and not next_.isEnabled()
    assert not wizard.button(QWizard.WizardButton.FinishButton).isVisible()
    qtbot.mouseClick(next_, Qt.MouseButton.LeftButton)
    qtbot.keyClick(wizard, Qt.Key.Key_Return)
    assert wizard.currentId() == int(PageId.WELCOME)
    assert wizard.pageIds() == [int(PageId.WELCOME)]


def test_after_the_deferred_load_every_page_is_reached_to_a_finished_install(first_window, qtbot, tmp_path,
                                                                             monkeypatch):
    from wizard.core.parse import parse_command
    from wizard.host.credentials import MemoryStore

    wizard = first_window("entra-joined")
    ready = []
    wizard.ready.connect(lambda: ready.append(True))
    host = demo_host(tmp_path)
    wizard.finish_loading(host, MemoryStore())
    assert ready == [True] and wizard.is_ready
    assert wizard.host is host
    assert sorted(wizard.pageIds()) == sorted(int(page) for page in PAGE_CLASSES)
    welcome = wizard.currentPage()
    qtbot.waitUntil(lambda: welcome.client_info is not None or "No Configuration" in welcome.client_label.text(),
                    timeout=5000)

    monkeypatch.setattr(dialogs, "paste_command", lambda parent, initial_text="": parse_command(host.sample_command()))
    qtbot.mouseClick(welcome.paste_button, Qt.MouseButton.LeftButton)
    assert wizard.plan.scenario == "cmg"
    assert welcome.import_findings.isVisible()
    seen = [wizard.currentId()]
    for page in (PageId.SCENARIO, PageId.ADDRESSES, PageId.ENTRA, PageId.OPTIONS, PageId.CHECKS, PageId.REVIEW,
                 PageId.INSTALL, PageId.FINISH):
        press_next(qtbot, wizard, page)
        seen.append(wizard.currentId())
    assert seen == [int(page) for page in PageId]
    assert wizard.outcome is not None and wizard.outcome.state == "succeeded"


def test_deferred_load_brings_the_recent_list_and_a_profile(first_window, tmp_path):
    from wizard.core.plan import InstallPlan
    from wizard.core.profiles import Profile, RecentProfiles, save_profile
    from wizard.host.credentials import MemoryStore

    older = tmp_path / "older.json"
    save_profile(older, Profile(name="Older"))
    RecentProfiles().add(older)
    path = tmp_path / "site.json"
    save_profile(path, Profile(name="Contoso CMG", plan=InstallPlan(scenario="cmg", sitecode="P01"),
                               locked=("scenario",)))
    wizard = first_window("entra-joined")
    welcome = wizard.currentPage()
    assert welcome.recent_list.isHidden()
    wizard.finish_loading(demo_host(tmp_path), MemoryStore(), profile=path)
    assert wizard.plan.sitecode == "P01"
    assert "Contoso CMG" in welcome.source_label.text()
    assert welcome.recent_list.count() == 2 and not welcome.recent_list.isHidden()
    # The profile locks the scenario: Next goes straight to the addresses.
    assert wizard.nextId() == int(PageId.ADDRESSES)
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()


def test_finish_loading_runs_once(first_window, tmp_path):
    from wizard.host.credentials import MemoryStore

    wizard = first_window()
    host = demo_host(tmp_path)
    wizard.finish_loading(host, MemoryStore())
    pages = {page_id: wizard.page(page_id) for page_id in wizard.pageIds()}
    wizard.finish_loading(demo_host(tmp_path, "no-prt"), MemoryStore())
    assert wizard.host is host
    assert {page_id: wizard.page(page_id) for page_id in wizard.pageIds()} == pages


def test_a_wizard_built_directly_is_ready_at_once(qtbot, tmp_path):
    from wizard.host.credentials import MemoryStore

    wizard = SetupWizard(demo_host(tmp_path), credentials=MemoryStore())
    qtbot.addWidget(wizard)
    wizard.show()
    assert wizard.is_ready
    assert sorted(wizard.pageIds()) == sorted(int(page) for page in PAGE_CLASSES)
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()


def test_startup_host_decides_demo_like_get_host(monkeypatch):
    import wizard.host

    assert ui_app.DEFAULT_DEMO_PRESET == wizard.host.DEFAULT_DEMO_PRESET == cli_main.DEFAULT_DEMO_ARG
    stand_in = ui_app.StartupHost("low-disk")
    assert (stand_in.is_demo, stand_in.preset) == (True, "low-disk")
    monkeypatch.setattr(sys, "platform", "linux")
    assert (ui_app.StartupHost(None).is_demo, ui_app.StartupHost(None).preset) == (True, "entra-joined")
    monkeypatch.setattr(sys, "platform", "win32")
    assert (ui_app.StartupHost(None).is_demo, ui_app.StartupHost(None).preset) == (False, None)


def test_live_mode_opens_the_credential_store_on_first_use_only(monkeypatch):
    import wizard.host

    class LiveHost:
        is_demo = False
        preset = None

    monkeypatch.setattr(wizard.host, "get_host", lambda demo=None: LiveHost())
    host, credentials = ui_app.open_host(None)
    assert isinstance(host, LiveHost)
    assert isinstance(credentials, ui_app.LazyCredentialStore) and not credentials.opened


def test_lazy_credential_store_opens_once_and_delegates():
    from wizard.host.credentials import MemoryStore

    opened = []

    def opener():
        store = MemoryStore("in memory for the test")
        opened.append(store)
        return store

    lazy = ui_app.LazyCredentialStore(opener)
    assert opened == []
    lazy.set("regtoken:x", "secret")
    assert lazy.get("regtoken:x") == "secret"
    assert lazy.secure is False and lazy.description == "in memory for the test" and lazy.problem is None
    lazy.delete("regtoken:x")
    assert lazy.get("regtoken:x") is None
    assert len(opened) == 1


def test_self_test_loads_every_page_and_names_the_keyring_backend_class(qapp, capsys):
    assert ui_app.run(demo="no-prt", self_test=True) == 0
    out = capsys.readouterr().out
    assert f"{len(PAGE_CLASSES)} pages" in out
    backend = re.search(r"keyring backend (\S+)\)", out)
    assert backend and re.fullmatch(r"[A-Za-z_][\w.]*\.[A-Za-z_]\w*", backend.group(1)), out


def _child_env(tmp_path) -> dict:
    return dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CACHE_HOME=str(tmp_path / "cache"),
                XDG_CONFIG_HOME=str(tmp_path / "config"))


def test_first_window_imports_no_plan_models_host_or_keyring(tmp_path):
    # Its own process: this one has imported everything already.
    code = """if True:
        import sys
        from wizard.ui.app import StartupHost, application
        from wizard.ui.wizard import SetupWizard
        app = application()
        wizard = SetupWizard(StartupHost("entra-joined"), defer_pages=True)
        wizard.show()
        assert not wizard.grab().isNull()
        print(sorted(name for name in ("pydantic", "wizard.core.plan", "wizard.host", "keyring",
                                       "wizard.ui.pages.scenario") if name in sys.modules))
    """
    done = subprocess.run([sys.executable, "-c", code], env=_child_env(tmp_path), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_first_paint_of_a_real_start_loads_nothing_heavy(tmp_path):
    # The start a user makes (`run()` with its event loop), reported at the first-paint hook. Each name costs the
    # first window milliseconds (issue 14): PySide's `Qt` namespace alone ~35 ms of CPU (wizard/ui/lazy_qt.py).
    code = """if True:
        import os, sys
        import PySide6.QtCore as QtCore
        from wizard.ui import app
        heavy = ("pydantic", "wizard.core.plan", "wizard.core.explain", "wizard.core.catalog", "wizard.host",
                 "keyring", "cryptography", "yaml", "json", "html", "PySide6.QtSvg", "wizard.ui.pages.scenario",
                 "wizard.ui.dialogs")
        def report():
            loaded = [name for name in heavy if name in sys.modules]
            if "Qt" in vars(QtCore):
                loaded.append("PySide6.QtCore.Qt namespace")
            print("loaded at first paint:", sorted(loaded), flush=True)
        app._report_first_paint = report
        os.environ[app.FIRST_PAINT_ENV] = "1"
        sys.exit(app.run(demo="entra-joined"))
    """
    done = subprocess.run([sys.executable, "-c", code], env=_child_env(tmp_path), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "loaded at first paint: []" in done.stdout.splitlines(), done.stdout


def test_unknown_preset_found_after_the_first_paint_exits_2_with_the_choices(tmp_path):
    done = subprocess.run([sys.executable, "-m", "wizard.cli.main", "--demo=no-such-preset"],
                          env=_child_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "no-such-preset" in done.stderr and "entra-joined" in done.stderr


@pytest.mark.parametrize("argv", [
    [], ["--demo"], ["--demo", "offline"], ["--demo=offline"], ["--self-test"], ["--demo", "--self-test"],
    ["--profile", "site.json"], ["--profile=site.json", "--demo"], ["--profile", "a.json", "--profile", "b.json"],
    ["--self-test", "--demo", "no-prt", "--profile", "p.json"],
])
def test_plain_gui_options_match_argparse(argv):
    fast = cli_main.plain_gui_options(argv)
    assert fast is not None
    args = cli_main.build_parser(with_commands=False).parse_args(argv)
    assert fast == {"demo": args.demo, "profile": args.profile, "self_test": args.self_test}


@pytest.mark.parametrize("argv", [
    ["--dem"], ["--profile"], ["--profile", "--demo"], ["--demo="], ["--demo", ""], ["--version"], ["-h"],
    ["--demo", "--", "x"], ["--profile=-x"], ["--unknown"],
])
def test_anything_else_is_left_to_argparse(argv):
    assert cli_main.plain_gui_options(argv) is None


def test_the_rest_loads_even_when_the_window_is_never_painted(first_window, qtbot):
    wizard = first_window()
    wizard.hide()  # like a window started minimized: no paint event comes
    calls = []
    ui_app._after_first_paint(wizard, (lambda: calls.append("painted"), False), (lambda: calls.append("loaded"), True),
                              at_latest_ms=50)
    qtbot.waitUntil(lambda: calls == ["loaded"], timeout=5000)
    qtbot.wait(100)
    assert calls == ["loaded"]  # once only, and nothing that needs a paint
    wizard.show()
    qtbot.waitUntil(lambda: calls == ["loaded", "painted"], timeout=5000)


def test_after_the_first_paint_callbacks_run_once_in_order(first_window, qtbot):
    wizard = first_window()
    wizard.hide()
    calls = []
    ui_app._after_first_paint(wizard, (lambda: calls.append("report"), False), (lambda: calls.append("load"), True))
    wizard.show()
    qtbot.waitUntil(lambda: len(calls) == 2, timeout=5000)
    wizard.update()
    qtbot.wait(100)
    assert calls == ["report", "load"]


BAD_PROFILES = {
    "corrupt.json": ('{"schema_version": 1, "name": "Contoso', "is not valid JSON"),
    "future.json": ('{"schema_version": 99, "name": "From a newer wizard"}', "schema_version 99"),
}


@pytest.mark.parametrize("name", sorted(BAD_PROFILES))
def test_self_test_with_a_bad_profile_prints_the_problem_and_exits_1(tmp_path, name):
    # Its own process: before the fix this hung on a modal error dialog, which the timeout turns into a failure.
    content, problem = BAD_PROFILES[name]
    profile = tmp_path / name
    profile.write_text(content, encoding="utf-8")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_CACHE_HOME=str(tmp_path / "cache"))
    done = subprocess.run([sys.executable, "-c", "import sys; from wizard.cli.main import main; sys.exit(main())",
                           "--self-test", "--demo", "entra-joined", "--profile", str(profile)],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 1, done.stderr
    assert str(profile) in done.stderr and problem in done.stderr
    assert "self-test: ok" not in done.stdout
    assert profile.read_text(encoding="utf-8") == content  # the file is left as it was


@pytest.mark.parametrize("name", sorted(BAD_PROFILES))
def test_a_bad_profile_is_shown_and_the_wizard_opens_without_it(first_window, tmp_path, monkeypatch, name):
    from wizard.host.credentials import MemoryStore

    content, problem = BAD_PROFILES[name]
    profile = tmp_path / name
    profile.write_text(content, encoding="utf-8")
    shown = []
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, text: shown.append((title, text)))
    wizard = first_window()
    wizard.finish_loading(demo_host(tmp_path), MemoryStore(), profile=profile)
    assert len(shown) == 1
    title, text = shown[0]
    assert "profile" in title.lower() and str(profile) in text and problem in text
    assert wizard.is_ready and wizard.isVisible()
    assert wizard.profile_path is None and wizard.profile_name == ""
    assert profile.read_text(encoding="utf-8") == content


def test_headless_dialogs_report_instead_of_blocking(monkeypatch):
    # (ask_yes_no is replaced by this module's autouse fixture, so the two message boxes stand for it here)
    monkeypatch.setattr(dialogs, "QMessageBox", None)  # a real dialog would fail here instead of blocking
    said = []
    with dialogs.headless(said.append):
        dialogs.show_error(None, "Cannot load profile", "Profile x.json: is not valid JSON")
        dialogs.show_info(None, "Saved", "The evidence zip is in x.zip")
    assert said == ["Cannot load profile: Profile x.json: is not valid JSON", "Saved: The evidence zip is in x.zip"]
