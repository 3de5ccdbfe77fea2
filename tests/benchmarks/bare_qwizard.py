"""A bare QWizard "hello" with one page: the baseline for the start-up and bundle benchmarks.

It honours the same start-up contract as the real wizard so the two are timed the same way:

- ``--self-test``: show the wizard (offscreen under QT_QPA_PLATFORM=offscreen), paint the first page with
  ``grab()``, print the first-paint marker and exit 0;
- ``CCMSETUP_WIZARD_FIRST_PAINT=1``: show the wizard normally and, after its first paint event, print the
  marker and exit 0.

The marker line ends with ``cpu=<seconds>``, the CPU time the process has used so far, as the wizard's does.

build.spec bundles it with ``-- --bare-qwizard`` using exactly the trimming of the real bundle.
"""

from __future__ import annotations

import os
import sys
import time

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWizard, QWizardPage

FIRST_PAINT_ENV = "CCMSETUP_WIZARD_FIRST_PAINT"
FIRST_PAINT_MARKER = "ccmsetup-wizard: first-paint"


class _FirstPaintWatcher(QObject):
    """Prints the marker once the watched widget has handled its first paint, then quits."""

    def __init__(self, app: QApplication) -> None:
        super().__init__()
        self._app = app
        self._done = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.Paint and not self._done:
            self._done = True
            # Quit after the paint event has been fully handled, not inside it.
            QTimer.singleShot(0, self._finish)
        return False

    def _finish(self) -> None:
        report_first_paint()
        self._app.quit()


def report_first_paint() -> None:
    print(f"{FIRST_PAINT_MARKER} cpu={time.process_time():.4f}", flush=True)


def build_wizard() -> QWizard:
    wizard = QWizard()
    wizard.setWindowTitle("Hello")
    page = QWizardPage()
    page.setTitle("Hello")
    layout = QVBoxLayout(page)
    layout.addWidget(QLabel("Hello, wizard."))
    wizard.addPage(page)
    return wizard


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    app = QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    wizard = build_wizard()
    if "--self-test" in argv:
        wizard.show()
        painted = wizard.grab()
        if painted.isNull():
            print("bare-qwizard: the first page did not paint", file=sys.stderr)
            return 1
        report_first_paint()
        return 0
    if os.environ.get(FIRST_PAINT_ENV) == "1":
        watcher = _FirstPaintWatcher(app)
        wizard.installEventFilter(watcher)
        wizard.show()
        return app.exec()
    wizard.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
