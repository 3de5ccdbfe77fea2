"""Benchmark: a dozen checks with injected delays run concurrently finish in about the slowest one.

Run: /work/venv/bin/python tests/benchmarks/bench_checks.py   (prints JSON; exit 1 when over 1.2x)
"""

from __future__ import annotations

import json
import sys
import tempfile
import time

from wizard.core.parse import parse_command
from wizard.core.plan import InstallPlan
from wizard.host.checks import Check, run_checks
from wizard.host.demo import DemoHost

DELAYS = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6]
LIMIT = 1.2


def delayed(index: int, seconds: float) -> Check:
    def run(ctx):
        time.sleep(seconds)
        return "pass", f"waited {seconds} s", ""
    return Check(f"delay-{index}", f"Delay {seconds}", "network" if index % 2 else "device", run)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        host = DemoHost("entra-joined", base_dir=tmp, latency=0.3)
        runs = []
        for _ in range(3):
            started = time.monotonic()
            results = run_checks(host, InstallPlan(), checks=[delayed(i, d) for i, d in enumerate(DELAYS)])
            runs.append(time.monotonic() - started)
            assert all(r.status == "pass" for r in results)
        slowest = max(DELAYS)
        worst = max(runs)
        # the real demo checks with a simulated 0.3 s network latency per probe
        plan = parse_command(host.sample_command()).plan
        started = time.monotonic()
        demo_results = run_checks(host, plan)
        demo_total = time.monotonic() - started
        demo_slowest = max(r.seconds for r in demo_results)
    report = {
        "benchmark": "run_checks concurrency",
        "checks": len(DELAYS),
        "slowest_check_s": slowest,
        "total_s_runs": [round(r, 3) for r in runs],
        "ratio_worst": round(worst / slowest, 3),
        "limit": LIMIT,
        "ok": worst <= LIMIT * slowest,
        "demo_checks": len(demo_results),
        "demo_total_s": round(demo_total, 3),
        "demo_slowest_check_s": round(demo_slowest, 3),
        "demo_ratio": round(demo_total / demo_slowest, 3) if demo_slowest else None,
    }
    print(json.dumps(report, indent=2))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
