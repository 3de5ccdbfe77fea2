"""`ccmsetup-wizard log summary FILE --json` end to end, as a user runs it, against reading the same file. Prints JSON.

Run: python tests/benchmarks/bench_log_summary.py [--mb 50] [--repeat 7] [--log parse|runs]

The file is the generated ~50 MB ccmsetup-style log of bench_logparse.py (`--log parse`, the default: seven
message texts in random order, so a "ccmsetup started in process" banner every seventh line: ~15k runs of ~14
lines), or (`--log runs`) the log of bench_log_summary_memory.py: whole two-process runs as a retried device
writes them (~11k runs). Measured alternately in one run, best of
`--repeat` (one warm-up run first, which also writes our bytecode as an installed copy has it):
- the installed console script (`ccmsetup-wizard`, else `python -m wizard.cli.main`) as a whole process: wall
  seconds from start to exit and its CPU seconds (os.wait4); its peak RSS in one more run, from the kernel's
  high-water mark (/proc/PID/status VmHWM, read until it exits: the wait4 figure of a child forked from this
  process starts at this process's own peak);
- the baseline, in this process: read the file, `bytes.decode` and `str.splitlines` (wall and CPU);
- the same baseline as a whole process (`python -c ...`, interpreter start-up included), for scale.
Goals (issue 14): the process <= 4x the in-process baseline and >= 80 MB/s; peak RSS <= 3x the file size.
Where the time goes (CPU seconds, best of `--repeat`, in this process): the start-up (the console script on an
empty file), the lean parse alone (`iter_file_batches(lean=True)`), the run splitter and trackers alone (fed the
parsed batches), and a floor: one `re.split` of the records' joints plus a Python loop that looks at every record
once (the least a pure-Python reader that judges each record pays).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_startup import installed_console_script, load_average, machine_info  # noqa: E402

GOAL_RATIO = 4
GOAL_MB_PER_S = 80
GOAL_RSS_RATIO = 3


def child_usage(command: list[str], *, keep_output: bool = True) -> dict:
    """One run with wait4: wall, cpu (user+sys), stdout (b"" unless kept; else it goes to /dev/null)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed copy starts from compiled bytecode
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out if keep_output else subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        stdout = out.read()
    if proc.returncode != 0:
        raise RuntimeError(f"{command} exited {proc.returncode}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "stdout": stdout}


def peak_rss(command: list[str]) -> int | None:
    """Peak resident set size of one run (bytes), None where /proc is missing."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    status = Path(f"/proc/{proc.pid}/status")
    peak = None
    while proc.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak or 0, int(line.split()[1]) * 1024)
        except (OSError, ValueError, IndexError):
            pass
        time.sleep(0.005)
    return peak


def where_the_time_goes(path: str, repeat: int) -> dict:
    """CPU seconds (best of `repeat`) of the parts of a summary, and of the floor described in the docstring."""
    from wizard.core.logparse import iter_file_batches
    from wizard.core.logscan import LEAN_JOINT
    from wizard.core.tracker import RunSplitter

    def parse() -> None:
        for _ in iter_file_batches(path, lean=True):
            pass

    def split() -> None:
        splitter = RunSplitter(keep_runs=False)
        for batch in batches:
            splitter.feed(batch)
        splitter.flush()

    def floor() -> None:
        with open(path, "rb") as fh:
            while data := fh.read(1 << 20):
                text = data.decode("utf-8", "surrogateescape")
                for start in range(0, len(text), 1 << 18):
                    for message in LEAN_JOINT.split(text[start:start + (1 << 18)])[::6]:
                        if message is None:
                            break

    best: dict[str, float] = {}

    def measure(name: str, fn) -> None:
        for _ in range(repeat):
            started = time.process_time()
            fn()
            best[name] = min(best.get(name, float("inf")), time.process_time() - started)

    measure("lean_parse", parse)  # before the batches below exist: the collector would walk them
    measure("floor_split_and_loop", floor)
    batches = list(iter_file_batches(path, lean=True))
    gc.freeze()  # what a summary holds is one batch at a time, not all of them
    measure("run_splitter_and_trackers", split)
    gc.unfreeze()
    return {name: round(value, 3) for name, value in best.items()} | {"records": sum(map(len, batches))}


def baseline(path: str) -> dict:
    started, cpu = time.perf_counter(), time.process_time()
    with open(path, "rb") as fh:
        fh.read().decode("utf-8-sig").splitlines()
    return {"wall": time.perf_counter() - started, "cpu": time.process_time() - cpu}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=50)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--log", choices=("parse", "runs"), default="parse")
    args = parser.parse_args()
    load_before = load_average()
    command = installed_console_script()
    with tempfile.TemporaryDirectory(prefix="bench-summary-") as folder:
        path = os.path.join(folder, "ccmsetup.log")
        writer = ("from bench_logparse import generate; open(sys.argv[2], 'wb').write(generate(int(sys.argv[3])))"
                  if args.log == "parse" else
                  "from bench_log_summary_memory import generate; generate(sys.argv[2], int(sys.argv[3]))")
        subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); " + writer,
                        str(Path(__file__).resolve().parent), path, str(int(args.mb * 1_000_000))], check=True)
        size = os.path.getsize(path)
        summary_cmd = command + ["log", "summary", path, "--json"]
        baseline_cmd = [sys.executable, "-c", "import sys; open(sys.argv[1], 'rb').read().decode('utf-8-sig')"
                        ".splitlines()", path]
        child_usage(summary_cmd)  # warm-up (bytecode, page cache)
        ours, base, base_process = [], [], []
        for _ in range(args.repeat):
            base.append(baseline(path))
            ours.append(child_usage(summary_cmd))
            base_process.append(child_usage(baseline_cmd))
        peak = peak_rss(summary_cmd)
        empty = os.path.join(folder, "empty.log")
        Path(empty).write_bytes(b"")
        startup = min(child_usage(command + ["log", "summary", empty, "--json"])["cpu"] for _ in range(args.repeat))
        parts = where_the_time_goes(path, args.repeat)
        summary = json.loads(ours[-1]["stdout"])
    best_wall = min(r["wall"] for r in ours)
    best_cpu = min(r["cpu"] for r in ours)
    base_wall = min(r["wall"] for r in base)
    base_cpu = min(r["cpu"] for r in base)
    paired = [o["wall"] / b["wall"] for o, b in zip(ours, base, strict=True)]
    ratio = best_wall / base_wall
    mb_per_s = size / 1e6 / best_wall
    print(json.dumps({
        "benchmark": "log summary end to end (console script, whole process)",
        "log": args.log,
        "command": " ".join(Path(c).name if i == 0 else c for i, c in enumerate(command + ["log", "summary", "FILE",
                                                                                         "--json"])),
        "file_bytes": size,
        "records": summary["records"],
        "outcome": summary["outcome"]["state"],
        "repeat": args.repeat,
        "process_wall_s": {"best": round(best_wall, 3), "median": round(statistics.median(r["wall"] for r in ours), 3)},
        "process_cpu_s_best": round(best_cpu, 3),
        "baseline_decode_splitlines_s": {"wall_best": round(base_wall, 3), "cpu_best": round(base_cpu, 3)},
        "baseline_as_a_process_wall_s_best": round(min(r["wall"] for r in base_process), 3),
        "ratio": {"best_wall": round(ratio, 2), "best_cpu": round(best_cpu / base_cpu, 2),
                  "paired_wall_median": round(statistics.median(paired), 2),
                  "to_baseline_process": round(best_wall / min(r["wall"] for r in base_process), 2)},
        "mb_per_s": round(mb_per_s, 1),
        "cpu_s_parts": {"startup_empty_file": round(startup, 3), **parts},
        "peak_rss_bytes": peak,
        "peak_rss_to_file_size": round(peak / size, 3) if peak else None,
        "goals": {"ratio": f"<= {GOAL_RATIO}", "mb_per_s": f">= {GOAL_MB_PER_S}", "rss": f"<= {GOAL_RSS_RATIO}x file"},
        "meets_goals": {"ratio": ratio <= GOAL_RATIO, "mb_per_s": mb_per_s >= GOAL_MB_PER_S,
                        "rss": peak is not None and peak / size <= GOAL_RSS_RATIO},
        "machine": machine_info(),
        "load_average": {"before": load_before, "after": load_average()},
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
