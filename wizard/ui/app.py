"""Start the graphical wizard: `run(demo, profile, self_test) -> int`.

Start-up budget (issue 5): the first window within 1.3x a bare QWizard. Before the first paint only Qt, the
wizard shell and the Welcome page are built, with a stand-in host that knows demo/preset. Right after it the
real host, the other pages (and with them pydantic and the plan models) and the profile are loaded; the
keyring is opened on first use only. Checks, the install session and the simulator load when a page needs them.
"""

from __future__ import annotations

import os
import sys


def application():
    """The QApplication (created once: Fusion style, system palette)."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        from PySide6.QtCore import qInstallMessageHandler

        from wizard.ui.display import explain_platform_failure

        # A platform plugin that does not load is a qFatal (abort) inside the constructor: explain it instead.
        previous = qInstallMessageHandler(explain_platform_failure)
        try:
            app = QApplication(sys.argv[:1])
        finally:
            qInstallMessageHandler(previous)
        app.setApplicationName("ccmsetup-wizard")
        app.setOrganizationName("ccmsetup-wizard")
        # Fusion draws every control the same on Windows and Linux and takes the system palette
        # (light or dark) instead of the hard-coded colours of the Windows Aero wizard style.
        app.setStyle("Fusion")
    return app


# = wizard.host.DEFAULT_DEMO_PRESET (a test keeps the two equal). Importing wizard.host just for this name
# would add ~30 ms before the first paint.
DEFAULT_DEMO_PRESET = "entra-joined"


class StartupHost:
    """Stands in for the host until the real one is created right after the first paint. It knows only
    what the first page and the window title show, decided the way `get_host()` decides: a demo device
    when a preset is given or when not on Windows."""

    def __init__(self, demo: str | None, lab: str | None = None) -> None:
        self.is_demo = demo is not None or lab is not None or sys.platform != "win32"
        self.preset = (f"lab:{lab}" if lab is not None else (demo or DEFAULT_DEMO_PRESET)) if self.is_demo else None


class LazyCredentialStore:
    """The system credential store (`open_credential_store()`), opened on first use: keyring backend
    discovery takes 0.1-0.2 s, which start-up must not pay. Same interface as a `CredentialStore`."""

    def __init__(self, opener=None) -> None:
        import threading

        self._opener = opener
        self._store = None
        self._lock = threading.Lock()  # first use may come from a background read

    def _opened(self):
        with self._lock:
            if self._store is None:
                opener = self._opener
                if opener is None:
                    from wizard.host.credentials import open_credential_store as opener
                self._store = opener()
            return self._store

    @property
    def opened(self) -> bool:
        return self._store is not None

    @property
    def secure(self) -> bool:
        return bool(self._opened().secure)

    @property
    def description(self) -> str:
        return self._opened().description

    @property
    def problem(self) -> str | None:
        return getattr(self._opened(), "problem", None)

    def get(self, key: str) -> str | None:
        return self._opened().get(key)

    def set(self, key: str, value: str) -> None:
        self._opened().set(key, value)

    def delete(self, key: str) -> None:
        self._opened().delete(key)


def open_host(demo: str | None = None, lab: str | None = None):
    """The host and credential store for a run: `(host, credentials)`. Raises ValueError (PresetError,
    WorldFileError) for an unknown demo preset or a lab file that cannot be used. Demo mode never touches the
    real keyring: the simulated device keeps secrets in memory; live mode opens the keyring on first use."""
    from wizard.host.credentials import MemoryStore

    if lab is not None:
        from wizard.core.world import WorldFileError
        from wizard.core.world.labs import load_lab
        from wizard.host.demo import DemoHost

        try:
            loaded = load_lab(lab)
        except WorldFileError as exc:
            raise ValueError(f"--lab: {exc}") from None
        return DemoHost(world=loaded.named_world(), lab=loaded, speed=loaded.speed), MemoryStore()
    from wizard.host import get_host

    host = get_host(demo)
    return host, (MemoryStore() if host.is_demo else LazyCredentialStore())


def start_lab_plan(wizard) -> None:
    """A lab starts from its command (the trainee sees it on Welcome and can change it everywhere)."""
    lab = getattr(wizard.host, "lab", None)
    if lab is None or not lab.start_command:
        return
    from wizard.core.parse import parse_command

    wizard.apply_parsed_command(parse_command(lab.start_command))
    wizard.remember_saved(wizard.plan)  # the lab file keeps it: closing before any change loses nothing


def build_wizard(demo: str | None = None, profile: str | None = None, lab: str | None = None):
    """Create the host, credential store and a fully built SetupWizard (nothing deferred)."""
    from wizard.ui.wizard import SetupWizard

    host, credentials = open_host(demo, lab)
    wizard = SetupWizard(host, credentials=credentials, defer_pages=True)
    wizard.finish_loading(profile=profile)
    if profile is None:
        start_lab_plan(wizard)
    return wizard


def complete_wizard(wizard, demo: str | None = None, profile: str | None = None, lab: str | None = None) -> None:
    """The part of start-up that waits until the first page is on screen: the real host and credential
    store, the other pages, the profile. Raises ValueError for an unknown demo preset."""
    from wizard.ui.workers import install_main_thread_gc

    # Before any worker or background thread starts: a collection in such a thread that frees Qt widgets
    # crashes PySide, so cyclic garbage is collected in the UI thread only.
    install_main_thread_gc()
    host, credentials = open_host(demo, lab)
    wizard.finish_loading(host, credentials, profile=profile)
    if profile is None:
        start_lab_plan(wizard)


def run(demo: str | None = None, profile: str | None = None, self_test: bool = False, lab: str | None = None) -> int:
    """Open the wizard. Only the Welcome page is built before the window is shown; the host, the other
    pages and the profile follow right after the first paint (Next stays disabled until then)."""
    if self_test:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from wizard.ui.display import EXIT_NO_DISPLAY, display_problem

    problem = display_problem()
    if problem is not None:  # Qt would abort with a message about libxcb-cursor0
        sys.stderr.write(problem)
        return EXIT_NO_DISPLAY
    app = application()
    from wizard.ui.icons import icon
    from wizard.ui.wizard import SetupWizard

    app.setWindowIcon(icon("app"))
    wizard = SetupWizard(StartupHost(demo, lab), defer_pages=True)
    try:
        if self_test:
            return _self_test(wizard, demo, profile, lab)
        after_paint = []
        if os.environ.get(FIRST_PAINT_ENV) == "1":
            after_paint.append((lambda: (_report_first_paint(), app.quit()), False))
        after_paint.append((lambda: _complete_or_exit(app, wizard, demo, profile, lab), True))
        _after_first_paint(wizard, *after_paint, at_latest_ms=LOAD_AT_LATEST_MS)
        wizard.show()
        return int(app.exec())
    finally:
        _dispose(wizard)


def _complete_or_exit(app, wizard, demo, profile, lab=None) -> None:
    try:
        complete_wizard(wizard, demo, profile, lab)
    except ValueError as exc:  # e.g. an unknown demo preset: say which and what exists
        print(f"ccmsetup-wizard: {exc}", file=sys.stderr)
        wizard.hide()
        app.exit(2)
    except Exception:  # a window whose Next never enables would hide the failure: report it and stop
        import traceback

        traceback.print_exc()
        wizard.hide()
        app.exit(1)


# The rest of the wizard loads right after the first paint, or after this long if the window is not painted
# (started minimized): Next must not stay disabled.
LOAD_AT_LATEST_MS = 1000

# Start-up benchmark hook (docs/architecture.md, packaging): report the first painted page and quit. The line
# carries the CPU seconds the process has used so far, which a loaded machine disturbs less than wall time.
FIRST_PAINT_ENV = "CCMSETUP_WIZARD_FIRST_PAINT"
FIRST_PAINT_LINE = "ccmsetup-wizard: first-paint"


def _report_first_paint() -> None:
    import time

    print(f"{FIRST_PAINT_LINE} cpu={time.process_time():.4f}", flush=True)


def _after_first_paint(wizard, *callbacks, at_latest_ms: int | None = None) -> None:
    """Run each `(callback, also_unpainted)` once, in the order given, from the event loop right after the
    first page handled its first paint event (so it really is on screen). After `at_latest_ms` without a
    paint (a window started minimized is not painted) the ones marked `also_unpainted` run anyway."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    class FirstPaint(QObject):
        pending = list(callbacks)

        def release(self, painted: bool) -> None:
            due = [entry for entry in self.pending if painted or entry[1]]
            self.pending = [entry for entry in self.pending if entry not in due]
            if due:
                QTimer.singleShot(0, lambda: [callback() for callback, _ in due])

        def eventFilter(self, watched, event):  # noqa: N802 - Qt override
            if event.type() == QEvent.Type.Paint and self.pending:
                self.release(painted=True)
            return False

    watcher = FirstPaint(wizard)
    page = wizard.currentPage() or wizard
    page.installEventFilter(watcher)
    if at_latest_ms is not None:
        QTimer.singleShot(at_latest_ms, watcher, lambda: watcher.release(painted=False))


def _dispose(wizard) -> None:
    """Delete the window while Qt is fully alive, after the background calls that report into it ended;
    leaving it to the exit-time garbage collector can crash PySide."""
    from PySide6.QtCore import QCoreApplication, QEvent

    from wizard.ui.widgets import wait_for_background_calls

    wizard.shutdown()
    wait_for_background_calls()
    QCoreApplication.processEvents()
    wizard.deleteLater()
    QCoreApplication.sendPostedEvents(None, int(QEvent.Type.DeferredDelete))


def _self_test(wizard, demo: str | None = None, profile: str | None = None, lab: str | None = None) -> int:
    """Bundle smoke test: paint the first page, load the rest, check icons and that keyring loads. Never
    shows a modal dialog: what it would say is printed on stderr and the test fails (exit 1)."""
    from wizard.ui import dialogs
    from wizard.ui.icons import missing_icons, resources_dir

    problems = []
    wizard.resize(wizard.minimumSize())
    wizard.show()
    image = wizard.grab()
    if image.isNull() or image.width() < 100:
        problems.append("the first page did not paint")
    elif os.environ.get(FIRST_PAINT_ENV) == "1":
        _report_first_paint()
    try:
        # Nobody is there to close a modal dialog: a problem it would show (a bad --profile) fails the test.
        with dialogs.headless(problems.append):
            complete_wizard(wizard, demo, profile, lab)
    except ValueError as exc:  # e.g. an unknown demo preset: say which and what exists
        print(f"ccmsetup-wizard: {exc}", file=sys.stderr)
        return 2
    missing = missing_icons()
    if missing:
        problems.append(f"icons missing or unreadable in {resources_dir() / 'icons'}: {', '.join(missing)}")
    try:
        import keyring

        backend = keyring.get_keyring()
    except Exception as exc:  # report any import or backend discovery failure as a test failure
        problems.append(f"keyring did not load: {exc}")
        backend = None
    wizard.close()
    if problems:
        for problem in problems:
            print(f"self-test: {problem}", file=sys.stderr)
        return 1
    print(f"self-test: ok (first page painted {image.width()}x{image.height()}, "
          f"{len(wizard.pageIds())} pages, keyring backend {_class_path(backend)})")
    return 0


def _class_path(obj) -> str:
    """`module.ClassName` of an object, e.g. keyring.backends.SecretService.Keyring."""
    return f"{type(obj).__module__}.{type(obj).__qualname__}"
