"""Start the graphical wizard: `run(demo, profile, self_test) -> int`.

Only Qt widgets, the plan and the wizard shell are imported at start-up; checks, the install session and
the simulator are imported when a page first needs them, so the first window appears quickly.
"""

from __future__ import annotations

import os
import sys


def application():
    """The QApplication (created once: Fusion style, system palette)."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("ccmsetup-wizard")
        app.setOrganizationName("ccmsetup-wizard")
        # Fusion draws every control the same on Windows and Linux and takes the system palette
        # (light or dark) instead of the hard-coded colours of the Windows Aero wizard style.
        app.setStyle("Fusion")
    return app


def build_wizard(demo: str | None = None, profile: str | None = None):
    """Create the host, credential store and SetupWizard (used by `run` and by the screenshot script)."""
    from wizard.host import get_host
    from wizard.host.credentials import MemoryStore, open_credential_store
    from wizard.ui.wizard import SetupWizard

    host = get_host(demo)
    # Demo mode never touches the real keyring: the simulated device keeps secrets in memory.
    credentials = MemoryStore() if host.is_demo else open_credential_store()
    wizard = SetupWizard(host, credentials=credentials)
    if profile:
        wizard.load_profile_file(profile)
    return wizard


def run(demo: str | None = None, profile: str | None = None, self_test: bool = False) -> int:
    if self_test:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = application()
    from wizard.ui.icons import icon

    app.setWindowIcon(icon("app"))
    try:
        wizard = build_wizard(demo, profile)
    except ValueError as exc:  # e.g. an unknown demo preset: say which and what exists
        print(f"ccmsetup-wizard: {exc}", file=sys.stderr)
        return 2
    try:
        if self_test:
            return _self_test(wizard)
        if os.environ.get(FIRST_PAINT_ENV) == "1":
            _quit_after_first_paint(app, wizard)
        wizard.show()
        return int(app.exec())
    finally:
        _dispose(wizard)


# Start-up benchmark hook (docs/architecture.md, packaging): report the first painted page and quit.
FIRST_PAINT_ENV = "CCMSETUP_WIZARD_FIRST_PAINT"
FIRST_PAINT_LINE = "ccmsetup-wizard: first-paint"


def _report_first_paint() -> None:
    print(FIRST_PAINT_LINE, flush=True)


def _quit_after_first_paint(app, wizard) -> None:
    from PySide6.QtCore import QEvent, QObject, QTimer

    class FirstPaint(QObject):
        def eventFilter(self, watched, event):  # noqa: N802 - Qt override
            if event.type() == QEvent.Type.Paint and not getattr(self, "seen", False):
                self.seen = True
                # After this paint event has been handled: the page really is on screen.
                QTimer.singleShot(0, lambda: (_report_first_paint(), app.quit()))
            return False

    watcher = FirstPaint(wizard)
    page = wizard.currentPage() or wizard
    page.installEventFilter(watcher)


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


def _self_test(wizard) -> int:
    """Bundle smoke test: paint the first page, check icons and that keyring loads."""
    from wizard.ui.icons import missing_icons, resources_dir

    problems = []
    wizard.resize(wizard.minimumSize())
    wizard.show()
    image = wizard.grab()
    if image.isNull() or image.width() < 100:
        problems.append("the first page did not paint")
    elif os.environ.get(FIRST_PAINT_ENV) == "1":
        _report_first_paint()
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
          f"{len(wizard.pageIds())} pages, keyring backend {type(backend).__name__})")
    return 0
