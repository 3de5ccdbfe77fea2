"""Peak memory of `ccmsetup-wizard log summary FILE --json` on a generated log of many ccmsetup runs. Prints JSON.

Run: python tests/benchmarks/bench_log_summary_memory.py [--mb 100]
The summary streams the file (no record list), so the peak resident set size should stay far below the file size;
the goal is at most 3x the file size. Peak RSS is the child process's ru_maxrss (Linux: KiB).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time


def run_lines(rng: random.Random, run: int) -> list[tuple[str, int, int]]:
    """(message, thread, type) of one two-process run: a launcher, its service, a result."""
    boot, service = 1000 + run % 5000, 6000 + run % 3000
    lines = [(f"==========[ ccmsetup started in process {run + 10} ]==========", boot, 1),
             ('Ccmsetup command line: "C:\\Temp\\ccmsetup.exe" /mp:mp1.contoso.com SMSSITECODE=PS1', boot, 1),
             ("Successfully started the ccmsetup service", boot, 1),
             ("CcmSetup is exiting with return code 0", boot, 1),
             (f"==========[ ccmsetup started in process {run + 11} ]==========", service, 1),
             ('Ccmsetup command line: "C:\\WINDOWS\\ccmsetup\\ccmsetup.exe" /runservice /mp:mp1.contoso.com',
              service, 1),
             ("Retry time:       10 minute(s)", service, 1)]
    for percent in range(0, 101, rng.choice((5, 10, 20))):
        lines.append((f"File download {percent}% complete ({percent * 1000} of 100000 bytes).", service, 1))
    lines += [("Received message '<SiteInfoReply SchemaVersion=\"1.00\">\r\n  <SiteInfo SiteCode=\"PS1\"/>\r\n"
               "</SiteInfoReply>'", service, 1)] * rng.randrange(1, 4)
    if rng.random() < 0.3:
        lines += [("Failed to download files through BITS. Error: 0x80190194", service, 3),
                  ("CcmSetup failed with error code 0x80190194", service, 1)]
    else:
        lines += [("MSI: Action 15:32:38: CcmRestorePowerScheme. Restore original power scheme.", service + 1, 0),
                  ("CcmSetup is exiting with return code 0", service, 1)]
    return lines


def generate(path: str, size: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    written, run = 0, 0
    with open(path, "wb") as fh:
        fh.write(b"\xef\xbb\xbf")
        while written < size:
            chunk = []
            for message, thread, typ in run_lines(rng, run):
                chunk.append(f'<![LOG[{message}]LOG]!><time="10:{run % 60:02d}:00.000+480" date="01-13-2023" '
                             f'component="ccmsetup" context="" type="{typ}" thread="{thread}" '
                             f'file="ccmsetup.cpp:1">\r\n')
            data = "".join(chunk).encode()
            fh.write(data)
            written += len(data)
            run += 1
    return os.path.getsize(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=float, default=100.0, help="log size in MB (default 100)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "ccmsetup.log")
        size = generate(path, int(args.mb * 1_000_000))
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "wizard.cli.main", "log", "summary", path, "--json"],
                              capture_output=True, text=True)
        seconds = time.perf_counter() - started
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        summary = json.loads(proc.stdout) if proc.returncode == 0 else None
    peak = peak_kib * 1024 if peak_kib > before else None
    print(json.dumps({
        "benchmark": "log summary peak memory",
        "file_bytes": size,
        "peak_rss_bytes": peak,
        "peak_rss_to_file_size": round(peak / size, 3) if peak else None,
        "goal": "peak RSS <= 3x the file size",
        "seconds": round(seconds, 2),
        "exit_code": proc.returncode,
        "records": summary["records"] if summary else None,
        "outcome": summary["outcome"]["state"] if summary else None,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }, indent=2))
    return 0 if proc.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
