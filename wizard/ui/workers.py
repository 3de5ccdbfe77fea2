"""Bridges from blocking host code to Qt signals, so the UI thread never waits on the device.

Each worker is a QObject living in the UI thread that runs the host call in a plain Python thread and emits
signals from there; Qt queues them to the UI thread (only signals cross threads, never widgets). Threads are
daemon Python threads (no QThread, so never "QThread destroyed while running"): ``shutdown()`` joins them with a
timeout, ``retire()`` stops one without waiting and deletes its QObject once the thread has ended. Emits from a
thread whose QObject is already gone are dropped.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Collection
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer, Signal
from shiboken6 import isValid

POLL_INTERVAL_S = 0.25
JOIN_TIMEOUT_S = 5.0
GC_CHECK_INTERVAL_MS = 100


class _MainThreadGarbageCollector(QObject):
    """Runs Python's cyclic garbage collector in the UI thread only.

    Automatic collection runs in whichever thread happens to allocate; when a worker thread collects a cycle
    holding Qt widgets, their C++ objects are destroyed off the UI thread and the process crashes (seen in the
    test suite: "Segmentation fault ... Garbage-collecting" inside a worker). So automatic collection is turned
    off and this timer applies the same generation thresholds from the UI thread (the approach pyqtgraph's
    GarbageCollector takes).
    """

    def __init__(self, app: QCoreApplication) -> None:
        super().__init__(app)
        self.threshold = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(GC_CHECK_INTERVAL_MS)
        self._timer.timeout.connect(self.check)
        self._timer.start()
        app.aboutToQuit.connect(self.restore)

    def check(self) -> None:
        gen0, gen1, gen2 = gc.get_count()
        if gen0 > self.threshold[0]:
            gc.collect(0)
            if gen1 > self.threshold[1]:
                gc.collect(1)
                if gen2 > self.threshold[2]:
                    gc.collect(2)

    def restore(self) -> None:
        self._timer.stop()
        gc.enable()

    def resume(self) -> None:
        self._timer.start()


_collector: _MainThreadGarbageCollector | None = None


def install_main_thread_gc() -> None:
    """Make sure cyclic garbage is collected only in the UI thread (idempotent; call from the UI thread,
    before any worker thread starts). Every worker here calls it; app start-up may call it too."""
    global _collector
    app = QCoreApplication.instance()
    if app is None or QThread.currentThread() is not app.thread():
        return
    if _collector is None or not isValid(_collector):
        _collector = _MainThreadGarbageCollector(app)
    elif gc.isenabled():  # re-enabled since (e.g. by aboutToQuit): take over again
        gc.disable()
        _collector.resume()


def _emit(owner: QObject, signal_name: str, *args: Any) -> bool:
    """Emit from a worker thread unless the receiver side is gone: when the window closed while a thread
    still ran, its QObject may already be deleted, and there is nobody left to tell."""
    if not isValid(owner):
        return False
    try:
        getattr(owner, signal_name).emit(*args)
    except RuntimeError:  # deleted between the check and the emit
        return False
    return True


def _cancel_when_destroyed(owner: QObject, *events: threading.Event, current: dict | None = None) -> None:
    """Stop the owner's thread when Qt deletes the owner (e.g. its page went with the window): set ``events``
    and ``current["cancel"]`` (the event of the run in progress). The lambda must not hold ``owner``."""

    def stop(*_args: Any) -> None:
        for event in events:
            event.set()
        if current is not None:
            current["cancel"].set()

    owner.destroyed.connect(stop)


def _default_run_checks() -> Callable[..., Any]:
    from wizard.host.checks import run_checks  # heavy: imported when checks first run

    return run_checks


class _ThreadWorker(QObject):
    """A QObject that owns one Python thread at a time, ended by setting `_stop` (each run gets a fresh event):
    `running`, `stop()`, `wait()` and `shutdown()` for every worker here."""

    _thread: threading.Thread | None = None
    _stop: threading.Event

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        """Ask the running thread to end (the work it drives, e.g. setup itself, goes on)."""
        self._stop.set()

    def wait(self, timeout: float | None = JOIN_TIMEOUT_S) -> bool:
        """Join the thread; True when it ended."""
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def shutdown(self) -> None:
        self.stop()
        self.wait()


class ChecksWorker(_ThreadWorker):
    """Runs ``host.checks.run_checks`` off the UI thread; one ``resultReady`` per finished check.

    ``started``/``finished`` bracket a run; ``finished(cancelled)``. ``failed(message)`` reports a crash of the
    checks engine itself (individual check failures are results, not errors).
    """

    started = Signal()
    resultReady = Signal(object)  # CheckResult
    failed = Signal(str)
    finished = Signal(bool)  # cancelled

    def __init__(self, parent: QObject | None = None, *, run_checks: Callable[..., Any] | None = None) -> None:
        super().__init__(parent)
        self._run_checks = run_checks
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._generation = 0
        self._destroyed = threading.Event()
        self._current = {"cancel": self._stop}
        _cancel_when_destroyed(self, self._destroyed, current=self._current)

    def start(self, host: Any, plan: Any, *, only: Collection[str] | None = None, exe: Any = None) -> None:
        """Run the checks for ``plan`` (or only the check ids in ``only``; ``exe`` is the ccmsetup.exe chosen,
        None = let the host find it). A running pass is cancelled first."""
        self.cancel()
        install_main_thread_gc()
        run_checks = self._run_checks or _default_run_checks()
        self._stop = threading.Event()
        self._current["cancel"] = self._stop
        self._generation += 1
        generation, cancel = self._generation, self._stop

        def emit_result(result: Any) -> None:
            # A cancelled or superseded run may still finish a check; its result no longer belongs on screen.
            if not self._destroyed.is_set() and not cancel.is_set() and generation == self._generation:
                _emit(self, "resultReady", result)

        def body() -> None:
            try:
                kwargs: dict[str, Any] = {"on_result": emit_result, "cancel": cancel}
                if only is not None:
                    kwargs["only"] = tuple(only)
                if exe is not None:
                    kwargs["exe"] = exe
                run_checks(host, plan, **kwargs)
            except Exception as exc:  # the engine itself broke: say so instead of spinning forever
                if generation == self._generation:
                    _emit(self, "failed", f"{type(exc).__name__}: {exc}")
            finally:
                if generation == self._generation:
                    _emit(self, "finished", cancel.is_set())

        self.started.emit()
        self._thread = threading.Thread(target=body, name="ccmsetup-wizard-checks", daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        """Ask the running pass to stop; results still in flight are dropped."""
        self.stop()


def _stall_warning_after(session: Any) -> float:
    """Warn at half the session's give-up time: early enough to act, late enough not to cry wolf."""
    stall_after = getattr(session, "stall_after", None)
    seconds = stall_after.total_seconds() if hasattr(stall_after, "total_seconds") else 600.0
    return max(1.0, seconds / 2)


class SessionWorker(_ThreadWorker):
    """Starts an ``InstallSession`` and drives ``poll()`` every ~250 ms on a background thread.

    Signals: ``prepared(value)`` after the optional ``prepare(session)`` ran on the worker thread (e.g. choosing or
    downloading ccmsetup.exe), ``launched(LaunchResult)`` once ``start()`` returned (check ``.started``), ``recordsReady(list)``
    with new log records, ``progress(phase, percent, stalled, elapsed_seconds)`` and ``snapshotReady(snapshot)``
    each tick (``stalled``: no new log line for ``stall_warning_after`` seconds),
    ``finished(outcome)`` when the session is final, ``failed(message)`` when the session code raised.
    """

    prepared = Signal(object)  # whatever ``prepare(session)`` returned (e.g. which ccmsetup.exe was chosen)
    launched = Signal(object)
    recordsReady = Signal(object)
    progress = Signal(str, object, bool, float)
    snapshotReady = Signal(object)  # the session's SessionSnapshot, each tick
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, session: Any, parent: QObject | None = None, *, interval: float = POLL_INTERVAL_S,
                 launch: bool = True, prepare: Callable[[Any], Any] | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._prepare = prepare  # runs on the worker thread before start(): may touch disk or network
        self._interval = interval
        self._launch = launch  # False: the session was started before; only follow it (e.g. "keep waiting")
        #: seconds without a new log line before ``progress`` reports ``stalled`` (a warning; the session
        #: itself gives up at its own ``stall_after``)
        self.stall_warning_after = _stall_warning_after(session)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started_at: float | None = None
        _cancel_when_destroyed(self, self._stop)

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("SessionWorker.start() called twice; create a new worker per session")
        install_main_thread_gc()
        self._thread = threading.Thread(target=self._body, name="ccmsetup-wizard-session", daemon=True)
        self._thread.start()


    def _body(self) -> None:
        session = self.session
        if self._launch:
            try:
                if self._prepare is not None:
                    _emit(self, "prepared", self._prepare(session))
                result = session.start()
            except Exception as exc:
                _emit(self, "failed", f"{type(exc).__name__}: {exc}")
                return
            _emit(self, "launched", result)
            if not getattr(result, "started", False):
                return
        self._started_at = time.monotonic()
        while not self._stop.is_set():
            try:
                records = session.poll()
                snapshot = session.snapshot() if hasattr(session, "snapshot") else None
            except Exception as exc:
                _emit(self, "failed", f"{type(exc).__name__}: {exc}")
                return
            if records:
                _emit(self, "recordsReady", list(records))
            self._report_progress(session, snapshot)
            if session.finished:
                _emit(self, "finished", session.outcome)
                return
            if hasattr(session, "wait_for_change"):
                session.wait_for_change(self._interval, self._stop)
            else:
                self._stop.wait(self._interval)

    def _report_progress(self, session: Any, snapshot: Any) -> None:
        if snapshot is not None:
            quiet = snapshot.seconds_since_activity or 0.0
            stalled = quiet >= self.stall_warning_after
            _emit(self, "snapshotReady", snapshot)
            _emit(self, "progress", snapshot.phase, snapshot.percent, stalled, float(snapshot.elapsed))
            return
        tracker = session.tracker
        elapsed = time.monotonic() - (self._started_at or time.monotonic())
        _emit(self, "progress", str(tracker.phase), tracker.percent, bool(tracker.stalled), elapsed)


class PostInstallWatcher(_ThreadWorker):
    """After setup ended: keeps reading the client service state and ClientIDManagerStartup.log (registration
    comes minutes after ccmsetup exits) off the UI thread, for the Finish page.

    ``stateChanged(service_state, registration)`` is emitted on the first read and whenever either changes;
    the watch ends when the client is registered, after ``duration`` seconds, or on ``stop()``.
    """

    stateChanged = Signal(object, object)  # ServiceState | None, tracker Registration | None
    finished = Signal()

    REGISTRATION_LOG = "ClientIDManagerStartup.log"

    def __init__(self, parent: QObject | None = None, *, interval: float = 1.0, duration: float = 900.0) -> None:
        super().__init__(parent)
        self._interval = interval
        self._duration = duration
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._destroyed = threading.Event()
        _cancel_when_destroyed(self, self._destroyed)

    def start(self, host: Any, session: Any = None) -> None:
        self.shutdown()
        install_main_thread_gc()
        self._stop = threading.Event()
        stop = self._stop
        self._thread = threading.Thread(
            target=self._body, args=(host, session, stop), name="ccmsetup-wizard-postinstall", daemon=True
        )
        self._thread.start()


    def _body(self, host: Any, session: Any, stop: threading.Event) -> None:
        from wizard.core.tail import LogTailer
        from wizard.core.tracker import InstallTracker

        tailer = None
        tracker = None
        if session is not None and getattr(session, "launch_result", None) is not None:
            # Only registration lines written since this launch count; a fresh tracker reads just those.
            path = host.ccm_log_dir() / self.REGISTRATION_LOG
            offset = getattr(session, "offsets", {}).get(self.REGISTRATION_LOG, 0)
            tailer = LogTailer(path, start_offset=offset)
            tracker = InstallTracker(scenario=getattr(getattr(session, "plan", None), "scenario", None))
        deadline = time.monotonic() + self._duration
        last: tuple[Any, Any] | None = None
        try:
            while True:
                try:
                    service = host.service("CcmExec")
                except OSError:
                    service = None
                registration = None
                if tailer is not None and tracker is not None:
                    records = tailer.poll()
                    if records:
                        tracker.feed(records)
                    registration = tracker.registration
                key = (getattr(service, "status", None), getattr(registration, "state", None),
                       getattr(registration, "approval_status", None))
                if key != last:
                    last = key
                    _emit(self, "stateChanged", service, registration)
                registered = getattr(registration, "state", None) == "registered"
                if registered or tailer is None or stop.wait(self._interval) or self._destroyed.is_set():
                    return
                if time.monotonic() > deadline:
                    return
        finally:
            _emit(self, "finished")


_retired: set[QObject] = set()
_retire_timer: QTimer | None = None


def retire(worker: Any) -> None:
    """Stop a worker without waiting on the UI thread; it is deleted once its thread has ended (a thread
    stuck in a UAC prompt or a download must not freeze the window, and must not emit from a deleted
    object)."""
    global _retire_timer
    if hasattr(worker, "stop"):
        worker.stop()
    else:
        worker.cancel()
    if not worker.running:
        worker.deleteLater()
        return
    _retired.add(worker)
    if _retire_timer is None or not isValid(_retire_timer):
        _retire_timer = QTimer(QCoreApplication.instance())
        _retire_timer.setInterval(200)
        _retire_timer.timeout.connect(_reap_retired)
    _retire_timer.start()


def _reap_retired() -> None:
    for worker in list(_retired):
        if not isValid(worker):
            _retired.discard(worker)
        elif not worker.running:
            _retired.discard(worker)
            worker.deleteLater()
    if not _retired and _retire_timer is not None:
        _retire_timer.stop()


def stop_with_window(page: Any) -> None:
    """Call ``page.shutdown()`` when its wizard finishes or the application quits (once per page), so no
    worker thread outlives the window it reports to."""
    if getattr(page, "_shutdown_hooked", False):
        return
    page._shutdown_hooked = True
    wizard = page.wizard()
    if wizard is not None:
        wizard.finished.connect(lambda _result: page.shutdown())
    app = QCoreApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(page.shutdown)
