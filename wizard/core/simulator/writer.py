"""Writing the simulated logs: CMTrace records into ccmsetup.log (UTF-8 with BOM, CRLF, multi-line records),
the Windows Installer log (UTF-16LE with BOM), ClientIDManagerStartup.log, and the marker file that says
"the ccmsetup service is still running"."""

from __future__ import annotations

import codecs
import contextlib
import os
import time
from datetime import datetime

__all__ = ["PID_FILE_NAME", "FileSink", "ccm_line", "default_ccm_log_dir", "remove_pid_file", "write_pid_file"]

PID_FILE_NAME = ".ccmsetup-service.pid"
# Stretches the script's pauses so a successful CMG install takes about a minute at speed 1.
PACE = 1.4


def default_ccm_log_dir(log_dir) -> str:
    """Where ClientIDManagerStartup.log goes: `<log-dir>/../CCM/Logs` (mirrors %WinDir%\\CCM\\Logs)."""
    return os.path.normpath(os.path.join(os.fspath(log_dir), os.pardir, "CCM", "Logs"))


def ccm_line(message: str, *, when: datetime | None = None, component: str = "ccmsetup", type_: int = 1,
             thread: int = 0, file: str = "ccmsetup.cpp:0", context: str = "") -> str:
    """One record in CMTrace format with a CRLF, time-zone bias in minutes where UTC = local + bias."""
    when = when or datetime.now()
    bias = -int(time.localtime(when.timestamp()).tm_gmtoff // 60)
    sign = "-" if bias < 0 else "+"
    message = message.replace("\r\n", "\n").replace("\n", "\r\n")
    return (f'<![LOG[{message}]LOG]!><time="{when:%H:%M:%S}.{when.microsecond // 1000:03d}{sign}{abs(bias):03d}" '
            f'date="{when:%m-%d-%Y}" component="{component}" context="{context}" type="{type_}" '
            f'thread="{thread}" file="{file}">\r\n')


def _append(path: str, data: bytes, bom: bytes) -> None:
    # Open, append, close every time, like ccmsetup: a tailer may rotate or rename the file meanwhile.
    with open(path, "ab") as fh:
        if fh.tell() == 0:
            fh.write(bom)
        fh.write(data)


class FileSink:
    """Writes a run's records over time (`speed` 10 = ten times faster than real time)."""

    def __init__(self, log_dir: str, ccm_log_dir: str, speed: float) -> None:
        self.log_dir = log_dir
        self.ccm_log_dir = ccm_log_dir
        self.speed = speed
        self.path = os.path.join(log_dir, "ccmsetup.log")
        self.msi_path = os.path.join(log_dir, "client.msi.log")

    def wait(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds * PACE / self.speed)

    def log(self, key: str, message: str, *, type_: int, thread: int, file: str, component: str,
            pause: float) -> None:
        text = ccm_line(message, type_=type_, thread=thread, file=file, component=component)
        _append(self.path, text.encode("utf-8"), codecs.BOM_UTF8)
        self.wait(pause)

    def msi(self, lines: list[str]) -> None:
        text = "".join(line + "\r\n" for line in lines)
        _append(self.msi_path, text.encode("utf-16-le"), codecs.BOM_UTF16_LE)

    def registration(self, key: str, message: str, *, component: str, file: str) -> None:
        os.makedirs(self.ccm_log_dir, exist_ok=True)
        text = ccm_line(message, component=component, thread=4312, file=file)
        _append(os.path.join(self.ccm_log_dir, "ClientIDManagerStartup.log"), text.encode("utf-8"),
                codecs.BOM_UTF8)


def write_pid_file(log_dir: str, pid: int) -> None:
    path = os.path.join(log_dir, PID_FILE_NAME)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="ascii") as fh:
        fh.write(f"{pid}\n")
    os.replace(tmp, path)


def remove_pid_file(log_dir: str, pid: int, *, wait_for_owner: float = 0.0) -> None:
    """Remove the marker if it names `pid`. A detached service part that finishes very fast waits (up to
    `wait_for_owner` seconds) for the launcher to have written the child's pid, so no stale marker is left."""
    path = os.path.join(log_dir, PID_FILE_NAME)
    deadline = time.monotonic() + wait_for_owner
    while True:
        try:
            with open(path, encoding="ascii") as fh:
                owner = fh.read().strip()
        except OSError:
            owner = ""
        if owner == str(pid):
            with contextlib.suppress(OSError):
                os.remove(path)
            return
        if time.monotonic() >= deadline:
            return
        time.sleep(0.02)
