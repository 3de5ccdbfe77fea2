"""Runs `wizard.core.diagnose` off the UI thread: progress while the logs are read, cancel, the result.

Same pattern as the workers in workers.py: a QObject in the UI thread owning one daemon Python thread at a time;
only signals cross threads; emits from a run that was cancelled or replaced are dropped.

Garbage collection: the app collects cycles in the UI thread only (`install_main_thread_gc`), on a timer that
counts every object any thread allocated. A diagnosis allocates several objects per log record and none of them
form cycles, but each collection still walks them all: at 20 MB of logs that meant 50-330 ms pauses of the UI
thread. So while it works, a companion thread moves what has been allocated into the permanent generation
every few milliseconds (`gc.freeze()`, O(1)); those objects are still freed by reference counting when the
diagnosis is dropped.
"""

from __future__ import annotations

import gc
import threading
import time
from typing import Any

from PySide6.QtCore import QObject, Signal

from wizard.ui.workers import _cancel_when_destroyed, _emit, _ThreadWorker, install_main_thread_gc

PROGRESS_INTERVAL_S = 0.05  # at most ~20 progress signals a second, whatever the chunk size
FREEZE_INTERVAL_S = 0.02


class DiagnoseWorker(_ThreadWorker):
    """`start(path)` diagnoses a file, folder or zip; `remerge(diagnosis, conventions)` merges the same logs
    again with other bias conventions (no re-reading). Signals: `progress(done_bytes, total_bytes, path)`,
    `finished(Diagnosis)`, `failed(message)`, `cancelled()`."""

    progress = Signal(object, object, str)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._generation = 0
        self._destroyed = threading.Event()
        self._current = {"cancel": self._stop}
        _cancel_when_destroyed(self, self._destroyed, current=self._current)

    def start(self, path: str, *, conventions: dict[str, str] | None = None) -> None:
        from wizard.core.diagnose import diagnose

        def work(cancel: threading.Event, report) -> Any:
            return diagnose(path, conventions=conventions, progress=report, cancel=cancel)

        self._run(work)

    def remerge(self, diagnosis: Any, conventions: dict[str, str]) -> None:
        self._run(lambda cancel, report: diagnosis.with_conventions(conventions))

    def cancel(self) -> None:
        self.stop()

    def _run(self, work) -> None:
        self.cancel()
        install_main_thread_gc()
        self._stop = threading.Event()
        self._current["cancel"] = self._stop
        self._generation += 1
        generation, cancel = self._generation, self._stop
        last = [0.0]

        def current() -> bool:
            return generation == self._generation and not self._destroyed.is_set()

        def report(done: int, total: int, path: str) -> None:
            now = time.monotonic()
            if (now - last[0] >= PROGRESS_INTERVAL_S or done >= total) and current():
                last[0] = now
                _emit(self, "progress", done, total, path)

        def body() -> None:
            from wizard.core.diagnose import DiagnoseCancelled

            try:
                result = work(cancel, report)
                if result is not None and result.timeline:
                    result.position(result.timeline[0])  # build the look-up indexes here, not in the UI thread
                    result.entry_at("", 0)
                gc.freeze()
            except DiagnoseCancelled:
                if current():
                    _emit(self, "cancelled")
                return
            except FileNotFoundError as exc:
                if current():
                    _emit(self, "failed", str(exc).strip("'\"") or "no such file or folder")
                return
            except Exception as exc:  # the input itself could not be opened, or the engine broke: say so
                if current():
                    _emit(self, "failed", f"{exc}" if isinstance(exc, OSError) else f"{type(exc).__name__}: {exc}")
                return
            if cancel.is_set():
                if current():
                    _emit(self, "cancelled")
                return
            if current():
                _emit(self, "finished", result)

        working = threading.Event()

        def freezer() -> None:  # see the module docstring
            while not working.wait(FREEZE_INTERVAL_S):
                gc.freeze()

        def run() -> None:
            threading.Thread(target=freezer, name="ccmsetup-wizard-diagnose-gc", daemon=True).start()
            try:
                body()
            finally:
                working.set()

        self._thread = threading.Thread(target=run, name="ccmsetup-wizard-diagnose", daemon=True)
        self._thread.start()
