"""Tail latency: a writer thread appends CCM records at random intervals; measure write -> delivery. Prints JSON.

Run: python tests/benchmarks/bench_tail.py [--records 200] [--poll 0.25]
Two modes, both with the default 250 ms poll: `poll_only` (a full poll every 250 ms, what a plain QTimer does)
and `follow` (LogTailer.follow: a cheap os.stat hint every 50 ms, full poll at least every 250 ms).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import tempfile
import threading
import time

from wizard.core.tail import DEFAULT_HINT_INTERVAL, LogTailer


def record(i: int) -> bytes:
    return (f'<![LOG[bench {i} {time.perf_counter_ns()}]LOG]!><time="10:00:00.000+000" date="01-01-2026" '
            f'component="ccmsetup" context="" type="1" thread="1" file="bench.cpp:1">\r\n').encode()


def measure(n: int, poll: float, hint: float | None, seed: int) -> dict:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "ccmsetup.log")
        tailer = LogTailer(path, poll_interval=poll, hint_interval=hint)
        stop = threading.Event()
        latencies: list[float] = []

        def writer():
            for i in range(n):
                time.sleep(rng.uniform(0.01, 0.4))
                with open(path, "ab") as fh:  # open/append/close like ccmsetup
                    fh.write(record(i))
            time.sleep(poll * 2)
            stop.set()

        thread = threading.Thread(target=writer)
        thread.start()
        for batch in tailer.follow(stop):
            now = time.perf_counter_ns()
            for r in batch:
                written = int(r.message.split()[-1])
                latencies.append((now - written) / 1e6)
        thread.join()
    latencies.sort()
    return {
        "records": len(latencies),
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 1),
        "max_ms": round(latencies[-1], 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=200)
    ap.add_argument("--poll", type=float, default=0.25)
    args = ap.parse_args()
    print(json.dumps({
        "poll_interval_s": args.poll,
        "hint_interval_s": DEFAULT_HINT_INTERVAL,
        "poll_only": measure(args.records, args.poll, None, 1),
        "follow": measure(args.records, args.poll, DEFAULT_HINT_INTERVAL, 2),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }, indent=2))


if __name__ == "__main__":
    main()
