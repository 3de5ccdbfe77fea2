"""How long the per-keystroke work takes: lint, lint_field, render (every format) and parse of the seed
CMG command. The GUI re-lints on every edit, so this should stay far below a frame (16 ms). Prints JSON.

Run: python tests/benchmarks/bench_plan_pipeline.py [--repeat 2000]
"""

from __future__ import annotations

import argparse
import json
import time

from wizard.core.parse import parse_command
from wizard.core.render import FORMATS, render
from wizard.core.rules import lint, lint_field

SEED = ("ccmsetup.exe /mp:https://CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500 "
        "CCMHOSTNAME=CONTOSO.CLOUDAPP.NET/CCM_Proxy_MutualAuth/72186325152220500 SMSSITECODE=ABC "
        "SMSMP=https://mp1.contoso.com AADTENANTID=daf4a1c2-3a0c-401b-966f-0b855d3abd1a "
        "AADCLIENTAPPID=7506ee10-f7ec-415a-b415-cd3d58790d97 AADRESOURCEURI=https://contososerver")


def per_call_us(func, repeat: int) -> float:
    func()  # warm caches (catalog, rule texts)
    start = time.perf_counter()
    for _ in range(repeat):
        func()
    return round((time.perf_counter() - start) / repeat * 1e6, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=2000)
    repeat = parser.parse_args().repeat
    plan = parse_command(SEED).plan
    results = {
        "parse_us": per_call_us(lambda: parse_command(SEED), repeat),
        "lint_us": per_call_us(lambda: lint(plan), repeat),
        "lint_field_us": per_call_us(lambda: lint_field(plan, "SMSSITECODE"), repeat),
    }
    for fmt in FORMATS:
        results[f"render_{fmt}_us"] = per_call_us(lambda fmt=fmt: render(plan, fmt), repeat)
    print(json.dumps({"benchmark": "plan_pipeline", "repeat": repeat, "results": results}, indent=2))


if __name__ == "__main__":
    main()
