"""Bundle size and start-up to first paint: our onedir bundle vs a bare-QWizard bundle. Prints JSON.

Run: QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_bundle.py [--repeat 15] [--work build/bench-bundle]

Both bundles are built in this run by build.spec, the same way and with the same trimming (the bare one with
the spec option `--bare-qwizard`), into the work folder (never dist/); `--no-build` measures the bundles a
previous run left there. Sizes are the bytes of every file (links counted once, as the link). Start-up is timed
like bench_startup.py: `ccmsetup-wizard-cli --demo` against `bare-qwizard-cli`, alternately, after one discarded
warm-up each, to the first-paint line each prints from its event loop (the console executables: a windowed
Windows executable has no stdout to print it on; off Windows they are links to the one executable). Goals: size
ratio <= 1.1, start-up ratio <= 1.3 (best of the runs; medians, paired runs and CPU beside it). The largest things our bundle
has and the bare one lacks are listed, and what the spec leaves out on purpose.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench_startup import machine_info, measure_pair

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "installer"))

import spec_support  # noqa: E402

SIZE_GOAL = 1.1
STARTUP_GOAL = 1.3


def build_bundle(work: Path, *, bare: bool) -> tuple[Path, float]:
    name = "bare" if bare else "ours"
    command = [sys.executable, "-m", "PyInstaller", str(ROOT / "build.spec"), "--noconfirm", "--log-level", "WARN",
               "--distpath", str(work / "dist"), "--workpath", str(work / f"build-{name}")]
    if bare:
        command += ["--", "--bare-qwizard"]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"building the {name} bundle failed:\n{result.stderr[-3000:]}")
    folder = work / "dist" / (spec_support.BARE_BUNDLE_NAME if bare else spec_support.BUNDLE_NAME)
    return folder, time.perf_counter() - started


def entry_sizes(folder: Path) -> dict[str, int]:
    """Bytes per path relative to the bundle (a link counts as the link, not its target)."""
    sizes = {}
    for path in folder.rglob("*"):
        if path.is_symlink() or path.is_file():
            sizes[path.relative_to(folder).as_posix()] = path.lstat().st_size
    return sizes


def _group(relative: str) -> str:
    """A readable owner for a file: the top-level package or library under _internal/."""
    parts = relative.split("/")
    if parts[0] == "_internal" and len(parts) > 1:
        return "_internal/" + parts[1]
    return parts[0]


def largest_extras(ours: dict[str, int], bare: dict[str, int], *, exe_names: dict[str, str], limit: int = 8) -> list:
    """What our bundle carries beyond the bare one, grouped, largest first (executables compared by role)."""
    renamed_bare = {exe_names.get(path, path): size for path, size in bare.items()}
    groups: dict[str, int] = {}
    for path, size in ours.items():
        extra = size - renamed_bare.get(path, 0)
        if extra > 0:
            groups[_group(path)] = groups.get(_group(path), 0) + extra
    top = sorted(groups.items(), key=lambda item: item[1], reverse=True)[:limit]
    return [{"path": path, "extra_mb": round(size / 1e6, 2)} for path, size in top]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="our bundle vs a bare-QWizard bundle: size and start-up")
    parser.add_argument("--repeat", type=int, default=15, help="timed start-ups of each bundle (default 15)")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "bench-bundle",
                        help="where both bundles are built (default build/bench-bundle; emptied first)")
    parser.add_argument("--no-build", action="store_true",
                        help="measure the bundles a previous run built in the work folder")
    args = parser.parse_args(argv)
    work = args.work.resolve()
    if args.no_build:
        ours_dir = work / "dist" / spec_support.BUNDLE_NAME
        bare_dir = work / "dist" / spec_support.BARE_BUNDLE_NAME
        if not (ours_dir.is_dir() and bare_dir.is_dir()):
            parser.error(f"--no-build: {ours_dir} and {bare_dir} must exist; run once without --no-build")
        ours_build_s = bare_build_s = None
    else:
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        ours_dir, ours_build_s = build_bundle(work, bare=False)
        bare_dir, bare_build_s = build_bundle(work, bare=True)
    ours_sizes, bare_sizes = entry_sizes(ours_dir), entry_sizes(bare_dir)
    ours_bytes, bare_bytes = sum(ours_sizes.values()), sum(bare_sizes.values())
    suffix = ".exe" if sys.platform == "win32" else ""
    exe_names = {f"{spec_support.BARE_GUI_EXE}{suffix}": f"{spec_support.GUI_EXE}{suffix}",
                 f"{spec_support.BARE_CLI_EXE}{suffix}": f"{spec_support.CLI_EXE}{suffix}"}

    startup = measure_pair([str(ours_dir / f"{spec_support.CLI_EXE}{suffix}"), "--demo"],
                           [str(bare_dir / f"{spec_support.BARE_CLI_EXE}{suffix}")],
                           repeat=args.repeat)
    size_ratio = ours_bytes / bare_bytes
    result = {
        "benchmark": "bundle-size-and-startup",
        "machine": machine_info(),
        "pyinstaller": _pyinstaller_version(),
        "repeat": args.repeat,
        "size": {
            "ours_mb": round(ours_bytes / 1e6, 1),
            "ours_files": len(ours_sizes),
            "bare_qwizard_mb": round(bare_bytes / 1e6, 1),
            "bare_qwizard_files": len(bare_sizes),
            "ratio": round(size_ratio, 3),
            "goal_ratio": SIZE_GOAL,
            "meets_goal": size_ratio <= SIZE_GOAL,
            "largest_extras": largest_extras(ours_sizes, bare_sizes, exe_names=exe_names),
            "left_out_on_purpose": list(spec_support.BUNDLE_LEAVES_OUT),
            "separate_cli_executable": spec_support.separate_cli_executable(),
        },
        "build_s": {"ours": _rounded(ours_build_s), "bare_qwizard": _rounded(bare_build_s)},
        "startup": {"measured_to": "first paint from the event loop (CCMSETUP_WIZARD_FIRST_PAINT=1)", **startup,
                    "goal_ratio": STARTUP_GOAL, "meets_goal": startup["ratio"]["best_wall"] <= STARTUP_GOAL},
    }
    print(json.dumps(result, indent=2))
    return 0


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 1)


def _pyinstaller_version() -> str:
    try:
        import PyInstaller

        return PyInstaller.__version__
    except ImportError:
        return "not installed"


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.exit(main())
