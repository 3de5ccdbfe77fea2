"""Parser throughput on a generated ~50 MB ccmsetup-style log. Prints JSON.

Run: python tests/benchmarks/bench_logparse.py [--mb 50] [--repeat 3]
Compares `parse_bytes` with `bytes.decode + str.splitlines` and a bare regex pass over the same buffer.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import time

from wizard.core.logparse import parse_bytes

_MESSAGES = (
    "==========[ ccmsetup started in process 10168 ]==========",
    "Downloading file https://cmg.cloudapp.net/CCM_PROXY_MutualAuth/72186325152220500/CCM_Client/client.msi",
    "File download 42% complete (1234567 of 2939445 bytes).",
    "MSI: Action 15:32:38: CcmRestorePowerScheme. Restore original power scheme.",
    "Getting AAD (device) token with: ClientId = 0b7c8ab3-9ea1-4ffa-b2b9-8ffdd944bd8b, "
    "ResourceUrl = https://ConfigMgrService, AccountId = https://login.microsoftonline.com/common/oauth2/token",
    "Received message '<SiteInfoReply SchemaVersion=\"1.00\">\r\n  <SiteInfo SiteCode=\"PS1\"/>\r\n"
    "  <Options>\r\n    <Option Name=\"x\" Value=\"1\"/>\r\n  </Options>\r\n</SiteInfoReply>'",
    "Found a valid online MP 'https://CMG.cloudapp.net/CCM_PROXY_MutualAuth/72186325152220500'",
)


def generate(size: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    parts = ["\ufeff"]
    total = 0
    while total < size:
        msg = rng.choice(_MESSAGES)
        line = (f'<![LOG[{msg}]LOG]!><time="{rng.randrange(24):02d}:{rng.randrange(60):02d}:'
                f'{rng.randrange(60):02d}.{rng.randrange(1000):03d}+480" date="01-13-2023" component="ccmsetup" '
                f'context="" type="{rng.choice("0111112")}" thread="{rng.randrange(100, 9000)}" '
                f'file="ccmsetup.cpp:{rng.randrange(1000, 12000)}">\r\n')
        parts.append(line)
        total += len(line)
    return "".join(parts).encode("utf-8")


def best_of(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    data = generate(int(args.mb * 1_000_000))
    bare = re.compile(r"<!\[LOG\[(.*?)\]LOG\]!><([^>]*)>", re.S)
    records = parse_bytes(data)
    t_parse = best_of(lambda: parse_bytes(data), args.repeat)
    t_lines = best_of(lambda: data.decode("utf-8-sig").splitlines(), args.repeat)
    t_regex = best_of(lambda: [m.groups() for m in bare.finditer(data.decode("utf-8-sig"))], args.repeat)
    mb = len(data) / 1e6
    print(json.dumps({
        "bytes": len(data),
        "records": len(records),
        "parse_seconds": round(t_parse, 3),
        "parse_mb_per_s": round(mb / t_parse, 1),
        "splitlines_seconds": round(t_lines, 3),
        "ratio_to_splitlines": round(t_parse / t_lines, 2),
        "bare_regex_seconds": round(t_regex, 3),
        "bare_regex_ratio_to_splitlines": round(t_regex / t_lines, 2),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "machine": platform.processor() or platform.machine(),
    }, indent=2))


if __name__ == "__main__":
    main()
