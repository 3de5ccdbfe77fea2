"""Start-up to first paint: the installed `ccmsetup-wizard --demo` vs a bare one-page QWizard. Prints JSON.

Run: QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_startup.py [--repeat 15]

What a user runs: the console script pip installed next to this interpreter (`ccmsetup-wizard --demo`; without
one, `python -m wizard.cli.main --demo`), against `python tests/benchmarks/bare_qwizard.py` (a QWizard with one
page and a label). Both start as separate processes, alternately, in one run, with CCMSETUP_WIZARD_FIRST_PAINT=1:
each prints `ccmsetup-wizard: first-paint cpu=<s>` from its event loop once its first page has been painted.
Measured per run: wall seconds from process start to that line, and the CPU seconds the process had used by then
(the number on the line; a loaded machine disturbs it far less than wall time). One warm-up run each is
discarded (it also writes our bytecode, as an installed copy has). The goal (<= 1.3) is judged on the best of
the runs (fastest ours / fastest bare); medians, spreads, the CPU ratio and the paired ratios (each run of ours
over the bare run next to it, which saw the same load: the steadiest figure on a shared machine) are reported
beside it, with the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIRST_PAINT_ENV = "CCMSETUP_WIZARD_FIRST_PAINT"
FIRST_PAINT_MARKER = "ccmsetup-wizard: first-paint"
_CPU = re.compile(r"cpu=([0-9.]+)")
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
            "python": platform.python_version(), "date": time.strftime("%Y-%m-%d")}
    try:
        import PySide6

        info["pyside6"] = PySide6.__version__
    except ImportError:
        pass
    return info


def load_average() -> list[float] | None:
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except (AttributeError, OSError):  # Windows has none
        return None


def installed_console_script() -> list[str]:
    """`ccmsetup-wizard` as pip installed it beside this interpreter, else `python -m wizard.cli.main`."""
    scripts = Path(sysconfig.get_path("scripts"))
    for name in ("ccmsetup-wizard.exe", "ccmsetup-wizard"):
        if (scripts / name).is_file():
            return [str(scripts / name)]
    return [sys.executable, "-m", "wizard.cli.main"]


def time_once(command: list[str], *, timeout: float) -> dict:
    """One run: `{"wall": s, "cpu": s or None, "exit": s, "returncode": n}`, wall from process start to the
    first-paint line. Raises when the line never came."""
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"), FIRST_PAINT_ENV: "1"}
    # An installed copy or the bundle starts from compiled bytecode; let the warm-up run write it (this machine
    # sets PYTHONDONTWRITEBYTECODE, which would otherwise recompile our modules on every start).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                               env=env, text=True)
    sample: dict = {"wall": None, "cpu": None}
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if sample["wall"] is None and FIRST_PAINT_MARKER in line:
                sample["wall"] = time.perf_counter() - started
                cpu = _CPU.search(line)
                sample["cpu"] = float(cpu.group(1)) if cpu else None
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
    if sample["wall"] is None:
        raise RuntimeError(f"{command} exited {process.returncode} without the line {FIRST_PAINT_MARKER!r}: "
                           f"{stderr.strip()[-600:]}")
    return sample


def _spread(values: list[float]) -> dict:
    return {"best": round(min(values), 4), "median": round(statistics.median(values), 4),
            "worst": round(max(values), 4), "runs": [round(value, 4) for value in values]}


def measure_pair(ours: list[str], bare: list[str], *, repeat: int, timeout: float = 120.0) -> dict:
    """Alternate the two commands `repeat` times (after one discarded warm-up each); compare best and median
    wall time and best CPU time to the first paint."""
    load_before = load_average()
    time_once(ours, timeout=timeout)
    time_once(bare, timeout=timeout)
    runs: dict[str, list[dict]] = {"ours": [], "bare": []}
    for index in range(repeat):
        order = [("ours", ours), ("bare", bare)] if index % 2 == 0 else [("bare", bare), ("ours", ours)]
        for name, command in order:
            runs[name].append(time_once(command, timeout=timeout))

    def summary(name: str, command: list[str]) -> dict:
        samples = runs[name]
        cpu = [s["cpu"] for s in samples if s["cpu"] is not None]
        return {
            "command": command,
            "wall_s": _spread([s["wall"] for s in samples]),
            "cpu_s": _spread(cpu) if len(cpu) == len(samples) else None,
            "median_exit_s": round(statistics.median(s["exit"] for s in samples), 4),
            "nonzero_exit_codes": sorted({s["returncode"] for s in samples if s["returncode"] != 0}),
        }

    result = {"ours": summary("ours", ours), "bare_qwizard": summary("bare", bare)}
    walls = {name: [s["wall"] for s in samples] for name, samples in runs.items()}
    best = min(walls["ours"]) / min(walls["bare"])
    result["ratio"] = {
        "best_wall": round(best, 3),
        "median_wall": round(statistics.median(walls["ours"]) / statistics.median(walls["bare"]), 3),
        # Each run of ours against the bare run right before or after it: the two saw the same load.
        "paired_wall": _spread([o["wall"] / b["wall"] for o, b in zip(runs["ours"], runs["bare"], strict=True)]),
    }
    if result["ours"]["cpu_s"] and result["bare_qwizard"]["cpu_s"]:
        result["ratio"]["best_cpu"] = round(result["ours"]["cpu_s"]["best"] / result["bare_qwizard"]["cpu_s"]["best"], 3)
        result["ratio"]["paired_cpu"] = _spread([o["cpu"] / b["cpu"]
                                                 for o, b in zip(runs["ours"], runs["bare"], strict=True)])
    result.update({"goal_ratio": GOAL_RATIO, "judged_on": "best_wall", "meets_goal": best <= GOAL_RATIO,
                   "load_average": {"before": load_before, "after": load_average()}})
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="start-up to first paint: ccmsetup-wizard --demo vs a bare QWizard")
    parser.add_argument("--repeat", type=int, default=15, help="timed runs of each program (default 15)")
    args = parser.parse_args(argv)
    ours = [*installed_console_script(), "--demo"]
    bare = [sys.executable, str(HERE / "bare_qwizard.py")]
    result = {"benchmark": "startup-from-source", "machine": machine_info(), "repeat": args.repeat,
              "measured_to": "first paint from the event loop (CCMSETUP_WIZARD_FIRST_PAINT=1)",
              **measure_pair(ours, bare, repeat=args.repeat)}
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
