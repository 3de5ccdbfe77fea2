"""The JSON of bench_startup.py / bench_bundle.py as a Markdown table (the Windows workflow's job summary).

Run: python tests/benchmarks/bench_summary.py bench-startup.json bench-bundle.json >> "$GITHUB_STEP_SUMMARY"
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _verdict(meets: bool, goal: float) -> str:
    return f"<= {goal}: {'met' if meets else '**not met**'}"


def _startup_row(label: str, result: dict) -> str:
    ours, bare, ratio = result["ours"], result["bare_qwizard"], result["ratio"]
    cpu = f", CPU {ratio['best_cpu']} best" if "best_cpu" in ratio else ""
    paired = ratio.get("paired_wall")
    paired = f", paired runs {paired['median']} median ({paired['best']}-{paired['worst']})" if paired else ""
    return (f"| {label} | {ours['wall_s']['best']} s (median {ours['wall_s']['median']}) "
            f"| {bare['wall_s']['best']} s (median {bare['wall_s']['median']}) "
            f"| **{ratio['best_wall']}** best, {ratio['median_wall']} median{paired}{cpu} "
            f"| {_verdict(result['meets_goal'], result['goal_ratio'])} |")


def rows(result: dict) -> list[str]:
    kind = result.get("benchmark")
    if kind == "startup-from-source":
        return [_startup_row(f"start-up to first paint, from source ({result['repeat']} runs each)", result)]
    if kind == "bundle-size-and-startup":
        size = result["size"]
        extras = ", ".join(f"{item['path']} {item['extra_mb']} MB" for item in size["largest_extras"][:3])
        return [
            f"| bundle size | {size['ours_mb']} MB ({size['ours_files']} files) | {size['bare_qwizard_mb']} MB "
            f"({size['bare_qwizard_files']} files) | **{size['ratio']}** (largest extras: {extras}) "
            f"| {_verdict(size['meets_goal'], size['goal_ratio'])} |",
            _startup_row(f"start-up to first paint, bundle ({result['repeat']} runs each)", result["startup"]),
        ]
    raise ValueError(f"not a start-up or bundle benchmark result: {kind!r}")


def main(argv: list[str] | None = None) -> int:
    paths = [Path(arg) for arg in (sys.argv[1:] if argv is None else argv)]
    if not paths:
        print("usage: python tests/benchmarks/bench_summary.py RESULT.json ...", file=sys.stderr)
        return 2
    results = [json.loads(path.read_text(encoding="utf-8-sig")) for path in paths]
    machine = results[0]["machine"]
    print(f"### Start-up and bundle benchmarks ({machine.get('date', '')}, {machine['platform']}, "
          f"{machine['cpus']} CPUs, Python {machine['python']}, PySide6 {machine.get('pyside6', '?')})\n")
    print("| | ours | bare QWizard | ratio | goal |")
    print("|---|---|---|---|---|")
    for result in results:
        for row in rows(result):
            print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
