"""Diagnose on a generated device folder (~100 MB by default): its cost against reading the same bytes, memory,
and the UI event-loop gap while the Diagnose page reads the folder and streams the timeline into its view.

Run: QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_diagnose.py [--mb 100] [--repeat 3] [--no-ui]
Prints one JSON object. End to end is the installed console script as a whole process, best of `--repeat`,
alternating with the baseline (read every file, decode it, `splitlines`, in this process): `ccmsetup-wizard
diagnose FOLDER` (the default text: sources, runs, findings) and `--json` (which also writes every record of the
timeline: about twice the input in JSON, output-bound). Its peak RSS comes from the kernel's high-water mark. The folder mixes what a copy of C:\\Windows\\ccmsetup\\Logs and C:\\Windows\\CCM\\Logs
holds: a big ccmsetup.log with many runs, its rolled-over ccmsetup.lo_, a UTF-16 client.msi.log and the client
logs Diagnose reads (registration, location, messaging, tokens), in CCM format with a +480 bias.
"""

from __future__ import annotations

import argparse
import codecs
import gc
import json
import os
import platform
import random
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

_SETUP = (
    "Downloading file https://cmg.cloudapp.net/CCM_PROXY_MutualAuth/72186325152220500/CCM_Client/client.msi",
    "File download 42% complete (1234567 of 2939445 bytes).",
    "MSI: Action 15:32:38: CcmRestorePowerScheme. Restore original power scheme.",
    "Getting AAD (device) token with: ClientId = 0b7c8ab3-9ea1-4ffa-b2b9-8ffdd944bd8b, ResourceUrl = "
    "https://ConfigMgrService, AccountId = https://login.microsoftonline.com/common/oauth2/token",
    "Received message '<SiteInfoReply SchemaVersion=\"1.00\">\r\n  <SiteInfo SiteCode=\"PS1\"/>\r\n</SiteInfoReply>'",
    "Found a valid online MP 'https://CMG.cloudapp.net/CCM_PROXY_MutualAuth/72186325152220500'",
    "Failed to download from 'http://dp1.contoso.com/SMS_DP_SMSPKG$/PS100002/client.msi'. Error 0x80190194",
)
_CLIENT = {
    "ClientIDManagerStartup": ("[RegTask] - Starting registration, attempt 1.",
                               "[RegTask] - Client is not registered. Sending registration request for "
                               "GUID:C66EE0FD-08E7-4B38-B282-7E6954B71139 ...",
                               "Registering client using AAD auth."),
    "ClientLocation": ("Rotating internet management point, new management point [1] is: "
                       "https://CMG.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500 (0) with capabilities: "
                       "<Capabilities SchemaVersion =\"1.0\"><Property Name=\"SSL\" Version=\"1\" /></Capabilities>",),
    "LocationServices": ("Current AD site of machine is Default-First-Site-Name",
                         "Refreshing the Management Point List"),
    "CcmMessaging": ("Sending remote sync message '{BD03DEED-D09A-4E63-ADAD-596376FFB0DA}' to host "
                     "'CMG.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500' endpoint 'MP_PolicyManager'. "
                     "Flags 0x280, sender account S-1-5-18",),
    "ADALOperationProvider": ("Retrieved AAD token for AAD user 'e8838041-db7a-42d5-b9ae-78813910e4cc'",),
    "CcmExec": ("Invoking system task 'ClientRegistrationStartup' via ICcmSystemTask2 interface.",),
}


def _line(message: str, when: datetime, component: str, type_: int, thread: int) -> str:
    return (f'<![LOG[{message}]LOG]!><time="{when:%H:%M:%S}.{when.microsecond // 1000:03d}+480" '
            f'date="{when:%m-%d-%Y}" component="{component}" context="" type="{type_}" thread="{thread}" '
            f'file="x.cpp:{thread % 900}">\r\n')


def _setup_log(size: int, start: datetime, rng: random.Random) -> str:
    parts, total, when, run = [], 0, start, 0
    while total < size:
        run += 1
        block = [_line(f"==========[ ccmsetup started in process {1000 + run} ]==========", when, "ccmsetup", 1, 10),
                 _line("Ccmsetup command line: ccmsetup.exe /noservice /mp:mp1.contoso.com SMSSITECODE=PS1", when,
                       "ccmsetup", 1, 10)]
        for _ in range(rng.randrange(2000, 6000)):
            when += timedelta(milliseconds=rng.randrange(5, 400))
            block.append(_line(rng.choice(_SETUP), when, "ccmsetup", rng.choice((0, 1, 1, 1, 1, 2)), 10))
        when += timedelta(seconds=1)
        block.append(_line("CcmSetup failed with error code 0x80190194" if run % 3 else
                           "CcmSetup is exiting with return code 0", when, "ccmsetup", 1, 10))
        when += timedelta(minutes=10)
        text = "".join(block)
        parts.append(text)
        total += len(text)
    return "".join(parts)


def _client_log(name: str, size: int, start: datetime, rng: random.Random) -> str:
    parts, total, when = [], 0, start
    while total < size:
        when += timedelta(milliseconds=rng.randrange(50, 2000))
        line = _line(rng.choice(_CLIENT[name]), when, name, rng.choice((1, 1, 1, 2, 3)), 20)
        parts.append(line)
        total += len(line)
    return "".join(parts)


def generate_folder(root: Path, size: int, seed: int = 11) -> int:
    """Write the device folder; returns its size in bytes."""
    rng = random.Random(seed)
    setup = root / "Windows" / "ccmsetup" / "Logs"
    ccm = root / "Windows" / "CCM" / "Logs"
    setup.mkdir(parents=True)
    ccm.mkdir(parents=True)
    start = datetime(2026, 3, 2, 8, 0)
    (setup / "ccmsetup.log").write_bytes(codecs.BOM_UTF8 + _setup_log(int(size * 0.55), start, rng).encode())
    (setup / "ccmsetup.lo_").write_bytes(_setup_log(int(size * 0.05), start - timedelta(days=3), rng).encode())
    msi = ["=== Verbose logging started: 3/2/2026  8:00:00  Build type: SHIP UNICODE 5.00.9106.00 ==="]
    total = 0
    when = start
    while total < size * 0.1 / 2:
        when += timedelta(milliseconds=rng.randrange(1, 300))
        line = f"MSI (s) (7C:10) [{when:%H:%M:%S}:{when.microsecond // 1000:03d}]: Doing action step {total}"
        msi.append(line)
        total += len(line) + 2
    (setup / "client.msi.log").write_bytes(codecs.BOM_UTF16_LE + "\r\n".join(msi).encode("utf-16-le"))
    share = int(size * 0.30 / len(_CLIENT))
    for name in _CLIENT:
        (ccm / f"{name}.log").write_text(_client_log(name, share, start, rng), encoding="utf-8", newline="")
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def read_baseline(root: Path) -> float:
    """Read every file, decode it (by its BOM) and split it into lines: the floor any log tool pays."""
    started = time.perf_counter()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        encoding = "utf-16" if data[:2] == codecs.BOM_UTF16_LE else "utf-8-sig"
        data.decode(encoding, errors="replace").splitlines()
    return time.perf_counter() - started


def core_numbers(root: Path, repeat: int) -> dict:
    from wizard.core.diagnose import diagnose
    from wizard.core.diagnose.engine import _assemble
    from wizard.core.diagnose.sources import discover, read_sources
    from wizard.core.diagnose.timeline import SourceTimes

    baseline = min(read_baseline(root) for _ in range(repeat))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    best = float("inf")
    result = None
    for _ in range(repeat):
        result = None
        gc.collect()
        started = time.perf_counter()
        result = diagnose(root)
        best = min(best, time.perf_counter() - started)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Where the time goes: reading+parsing, then times/merge/runs/findings (with the collector paused, as
    # diagnose() pauses it).
    gc.collect()
    gc.disable()
    sources, kind = discover(root)
    started = time.perf_counter()
    read_sources(sources)
    t_read = time.perf_counter() - started
    started = time.perf_counter()
    times = [SourceTimes(s) for s in sources if s.records]
    t_times = time.perf_counter() - started
    started = time.perf_counter()
    _assemble(str(root), kind, sources, times, {}, None, None)
    t_assemble = time.perf_counter() - started
    from wizard.core.diagnose.report import write_json

    class _Discard:
        def write(self, text: str) -> int:
            return len(text)

    started = time.perf_counter()
    write_json(result, _Discard())  # what `diagnose --json` writes
    t_json = time.perf_counter() - started
    gc.enable()
    return {
        "records": len(result.timeline),
        "runs": len(result.runs),
        "findings": len(result.findings),
        "read_decode_splitlines_seconds": round(baseline, 3),
        "diagnose_seconds": round(best, 3),
        "ratio_to_read_decode_splitlines": round(best / baseline, 2),
        "diagnose_mb_per_s": None,  # filled by the caller
        "breakdown_seconds": {"read_and_parse": round(t_read, 3), "record_times": round(t_times, 3),
                              "merge_runs_findings": round(t_assemble, 3), "json_output": round(t_json, 3)},
        "peak_rss_growth_mb": round((rss_after - rss_before) / 1024, 1),  # ru_maxrss is KiB on Linux
    }


def cli_numbers(root: Path, size: int, repeat: int) -> dict:
    """The console script end to end (text and --json), against the baseline measured alternately."""
    from bench_log_summary import child_usage, peak_rss
    from bench_startup import installed_console_script

    command = installed_console_script() + ["diagnose", str(root)]
    child_usage(command, keep_output=False)  # warm-up: bytecode, page cache
    runs: dict[str, list] = {"baseline": [], "text": [], "json": []}
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        read_baseline(root)
        runs["baseline"].append((time.perf_counter() - started, time.process_time() - cpu))
        for name, extra in (("text", []), ("json", ["--json"])):
            usage = child_usage(command + extra, keep_output=False)
            runs[name].append((usage["wall"], usage["cpu"]))
    base_wall = min(w for w, _ in runs["baseline"])
    base_cpu = min(c for _, c in runs["baseline"])
    out = {"baseline_read_decode_splitlines_s": {"wall_best": round(base_wall, 3), "cpu_best": round(base_cpu, 3)}}
    for name, extra in (("text", []), ("json", ["--json"])):
        wall = min(w for w, _ in runs[name])
        cpu = min(c for _, c in runs[name])
        peak = peak_rss(command + extra)
        out[f"cli_{name}"] = {"wall_best_s": round(wall, 3), "cpu_best_s": round(cpu, 3),
                              "ratio_wall": round(wall / base_wall, 2), "ratio_cpu": round(cpu / base_cpu, 2),
                              "mb_per_s": round(size / 1e6 / wall, 1), "peak_rss_bytes": peak,
                              "peak_rss_to_input": round(peak / size, 2) if peak else None}
    return out


def ui_numbers(root: Path) -> dict:
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    from wizard.ui.pages.diagnose import DiagnosePage

    app = QApplication.instance() or QApplication([])
    page = DiagnosePage()
    page.resize(1000, 700)
    page.show()
    clock = QElapsedTimer()
    idle, busy = [], []
    current = [idle]
    last = [0.0]
    marks = {}

    def tick() -> None:
        now = clock.nsecsElapsed() / 1e6
        current[0].append(now - last[0])
        last[0] = now

    def start() -> None:
        current[0] = busy
        marks["start"] = clock.nsecsElapsed() / 1e6
        page.open_path(str(root))

    def check_done() -> None:
        if page.diagnosis is not None and not page.feeding and "ready" not in marks:
            marks["ready"] = clock.nsecsElapsed() / 1e6
            QTimer.singleShot(200, app.quit)

    def ready(_d) -> None:
        marks["result"] = clock.nsecsElapsed() / 1e6

    page.diagnosisReady.connect(ready)
    ticker = QTimer()
    ticker.setInterval(5)
    ticker.timeout.connect(tick)
    ticker.timeout.connect(check_done)
    clock.start()
    ticker.start()
    QTimer.singleShot(2000, start)
    QTimer.singleShot(600_000, app.quit)
    app.exec()
    ticker.stop()
    page.shutdown()
    gaps = sorted(busy[1:])
    idle_gaps = sorted(idle[1:])
    return {
        "ui_seconds_to_result": round((marks.get("result", 0) - marks.get("start", 0)) / 1000, 2),
        "ui_seconds_to_timeline_shown": round((marks.get("ready", 0) - marks.get("start", 0)) / 1000, 2),
        "ui_rows_in_view": page.timeline.model.total_count,
        "ui_max_gap_ms": round(gaps[-1], 1) if gaps else None,
        "ui_p99_gap_ms": round(gaps[int(len(gaps) * 0.99)], 1) if gaps else None,
        "ui_median_gap_ms": round(gaps[len(gaps) // 2], 1) if gaps else None,
        "ui_goal_max_gap_ms": 50,
        "ui_idle_baseline_max_gap_ms": round(idle_gaps[-1], 1) if idle_gaps else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-ui", action="store_true", help="skip the event-loop measurement")
    parser.add_argument("--no-cli", action="store_true", help="skip the console-script runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-diagnose-") as folder:
        root = Path(folder)
        size = generate_folder(root, int(args.mb * 1_000_000))
        load_before = [round(x, 2) for x in os.getloadavg()]
        cli = {} if args.no_cli else cli_numbers(root, size, args.repeat)
        core = core_numbers(root, args.repeat)
        core["diagnose_mb_per_s"] = round(size / 1e6 / core["diagnose_seconds"], 1)
        ui = {} if args.no_ui else ui_numbers(root)
    print(json.dumps({
        "benchmark": "diagnose_folder",
        "bytes": size,
        **cli,
        "in_process": core,
        **ui,
        "goal_ratio": 4,
        "goal_mb_per_s": 80,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "machine": platform.processor() or platform.machine(),
        "load_average": {"before": load_before, "after": [round(x, 2) for x in os.getloadavg()]},
        "date": datetime.now().strftime("%Y-%m-%d"),
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
