"""Start-up to first paint, from source: our wizard vs a bare QWizard "hello". Prints JSON.

Run: QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_startup.py [--repeat 7]

Both programs start in separate processes, alternately, in one run: `python -m wizard.cli.main --self-test`
(everything a real start does: CLI parsing with every subcommand registered, host, credential store, the wizard
and its first page) and `python tests/benchmarks/bare_qwizard.py --self-test`. Each run is timed from process
start to the first-paint marker line (`ccmsetup-wizard: first-paint`, printed when
CCMSETUP_WIZARD_FIRST_PAINT=1 is set and the first page has been painted). When our app does not print it,
its self-test's `self-test: ok` line (printed right after painting) stands in, and failing that both are
timed to exit (JSON `measured_to` says which). Exit times and non-zero exit codes are reported too. One
warm-up run each is discarded (it also writes our bytecode, as an installed copy has). Goal: median ratio <= 1.3.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIRST_PAINT_ENV = "CCMSETUP_WIZARD_FIRST_PAINT"
FIRST_PAINT_MARKER = "ccmsetup-wizard: first-paint"
SELF_TEST_OK = "self-test: ok"
GOAL_RATIO = 1.3


def machine_info() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    info = {"cpus": os.cpu_count(), "cpu_model": model or platform.processor(), "platform": platform.platform(),
            "python": platform.python_version()}
    try:
        import PySide6

        info["pyside6"] = PySide6.__version__
    except ImportError:
        pass
    return info


def time_once(command: list[str], *, timeout: float) -> dict:
    """One run: seconds from process start to the first-paint marker, to the self-test's "ok" line and to
    exit (None when a line never came), plus the exit code. Raises when the run neither reached a
    measurement point nor exited 0."""
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"), FIRST_PAINT_ENV: "1"}
    # An installed copy or the bundle starts from compiled bytecode; let the warm-up run write it (this machine
    # sets PYTHONDONTWRITEBYTECODE, which would otherwise recompile our modules on every start).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                               env=env, text=True)
    sample: dict = {"marker": None, "ok_line": None}
    try:
        assert process.stdout is not None
        for line in process.stdout:
            now = time.perf_counter() - started
            if sample["marker"] is None and FIRST_PAINT_MARKER in line:
                sample["marker"] = now
            if sample["ok_line"] is None and SELF_TEST_OK in line:
                sample["ok_line"] = now
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise RuntimeError(f"{command} did not finish within {timeout} s") from None
    sample["exit"] = time.perf_counter() - started
    sample["returncode"] = process.returncode
    stderr = process.stderr.read() if process.stderr else ""
    if process.stderr:
        process.stderr.close()
    if process.returncode != 0 and sample["marker"] is None and sample["ok_line"] is None:
        raise RuntimeError(f"{command} exited {process.returncode}: {stderr.strip()[-600:]}")
    return sample


def _measurement_point(runs: dict[str, list[dict]]) -> tuple[str, dict[str, str]]:
    """Which time to compare: the first-paint marker when both print it; else our self-test's "ok" line
    (printed right after it painted the first page and loaded icons and keyring) against the bare app's
    marker (printed at the same point of its self-test); else both exits."""
    def everywhere(name: str, key: str) -> bool:
        return all(sample[key] is not None for sample in runs[name])

    if everywhere("ours", "marker") and everywhere("bare", "marker"):
        return "first-paint marker", {"ours": "marker", "bare": "marker"}
    if everywhere("ours", "ok_line") and everywhere("bare", "marker"):
        return "first page painted (ours: self-test ok line, bare: marker)", {"ours": "ok_line", "bare": "marker"}
    return "process exit after --self-test", {"ours": "exit", "bare": "exit"}


def measure_pair(ours: list[str], bare: list[str], *, repeat: int, timeout: float = 120.0) -> dict:
    """Alternate the two commands `repeat` times (after one discarded warm-up each) and compare medians."""
    time_once(ours, timeout=timeout)
    time_once(bare, timeout=timeout)
    runs: dict[str, list[dict]] = {"ours": [], "bare": []}
    for index in range(repeat):
        order = [("ours", ours), ("bare", bare)] if index % 2 == 0 else [("bare", bare), ("ours", ours)]
        for name, command in order:
            runs[name].append(time_once(command, timeout=timeout))
    measured_to, keys = _measurement_point(runs)
    series = {name: [round(sample[keys[name]], 4) for sample in samples] for name, samples in runs.items()}
    medians = {name: statistics.median(values) for name, values in series.items()}
    ratio = medians["ours"] / medians["bare"]

    def summary(name: str, command: list[str]) -> dict:
        return {
            "command": command,
            "median_s": round(medians[name], 4),
            "runs_s": series[name],
            "median_exit_s": round(statistics.median(sample["exit"] for sample in runs[name]), 4),
            "nonzero_exit_codes": sorted({s["returncode"] for s in runs[name] if s["returncode"] != 0}),
        }

    return {
        "measured_to": measured_to,
        "ours": summary("ours", ours),
        "bare_qwizard": summary("bare", bare),
        "ratio": round(ratio, 3),
        "goal_ratio": GOAL_RATIO,
        "meets_goal": ratio <= GOAL_RATIO,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="start-up to first paint from source vs a bare QWizard")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs of each program (default 7)")
    args = parser.parse_args(argv)
    ours = [sys.executable, "-m", "wizard.cli.main", "--self-test"]
    bare = [sys.executable, str(HERE / "bare_qwizard.py"), "--self-test"]
    result = {"benchmark": "startup-from-source", "machine": machine_info(), "repeat": args.repeat,
              **measure_pair(ours, bare, repeat=args.repeat)}
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
