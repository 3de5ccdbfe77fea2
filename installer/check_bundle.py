"""Check a built bundle's contents without running it (installer/ci_smoke.sh runs this after the build).

    python installer/check_bundle.py dist/ccmsetup-wizard

Each executable runs only its own launcher (off Windows the CLI is a link to the one executable); every
subcommand module and the GUI are in the archive
(main.py imports subcommands with importlib, which PyInstaller cannot follow); keyring's platform back ends
and its entry-point metadata are there and keyrings.alt is not; the resources and JSON tables are there; the
Qt trimming held (kept plugin folders only, qtbase translations only, no dangling library links).
Exit 0 when all holds; otherwise one line per problem and exit 1. Needs PyInstaller (it reads the archives).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import spec_support  # noqa: E402

ROOT = spec_support.REPO_ROOT

# keyring back ends a Windows, Linux and macOS user relies on (chainer/fail are keyring's own fallbacks).
REQUIRED_KEYRING_BACKENDS = (
    "keyring.backends.Windows",
    "keyring.backends.SecretService",
    "keyring.backends.macOS",
    "keyring.backends.chainer",
    "keyring.backends.fail",
)
FORBIDDEN_MODULE_PREFIXES = ("keyrings", "tkinter", "unittest", "pydoc", "hypothesis", "pytest", "_pytest",
                             *spec_support.BUNDLE_LEAVES_OUT)


def archive_contents(exe: Path) -> tuple[set[str], set[str]]:
    """(entry script names, module names in the PYZ) of a PyInstaller executable."""
    from PyInstaller.archive.readers import CArchiveReader

    reader = CArchiveReader(str(exe))
    scripts = {name for name, entry in reader.toc.items() if entry[-1] == "s"}
    pyz_names = [name for name, entry in reader.toc.items() if entry[-1] == "z"]
    modules: set[str] = set()
    for name in pyz_names:
        modules.update(reader.open_embedded_archive(name).toc)
    return scripts, modules


def expected_wizard_modules(root: Path = ROOT) -> set[str]:
    """Every module of the source tree's `wizard` package (the bundle must carry them all)."""
    package = root / "wizard"
    modules = set()
    for path in package.rglob("*.py"):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules.add(".".join(parts))
    return modules


def check_bundle(bundle: Path, root: Path = ROOT) -> list[str]:
    problems: list[str] = []
    suffix = ".exe" if sys.platform == "win32" else ""
    internal = bundle / "_internal"
    launchers = {spec_support.GUI_EXE: "entry_gui", spec_support.CLI_EXE: "entry_cli"}
    if not spec_support.separate_cli_executable():
        del launchers[spec_support.CLI_EXE]
        link = bundle / spec_support.CLI_EXE
        if not link.is_symlink() or os.readlink(link) != spec_support.GUI_EXE:
            problems.append(f"{link} must be a relative link to {spec_support.GUI_EXE} (one executable off Windows)")
    modules: set[str] = set()
    for exe_name, launcher in launchers.items():
        exe = bundle / f"{exe_name}{suffix}"
        if not exe.is_file():
            problems.append(f"{exe} is missing")
            continue
        if not os.access(exe, os.X_OK):
            problems.append(f"{exe} is not executable")
        scripts, exe_modules = archive_contents(exe)
        other = {"entry_gui", "entry_cli"} - {launcher}
        if launcher not in scripts or scripts & other:
            problems.append(f"{exe.name} runs {sorted(scripts)}; it must run {launcher} and not {sorted(other)}")
        modules |= exe_modules

    missing_wizard = sorted(expected_wizard_modules(root) - modules)
    if missing_wizard:
        problems.append(f"wizard modules missing from the bundle: {', '.join(missing_wizard)}")
    missing_backends = [name for name in REQUIRED_KEYRING_BACKENDS if name not in modules]
    if missing_backends:
        problems.append(f"keyring back ends missing: {', '.join(missing_backends)}")
    if not any(internal.glob("keyring-*.dist-info/entry_points.txt")):
        problems.append("keyring's dist-info (entry points) is missing: keyring would find no back end")
    forbidden = sorted(
        name for name in modules if name.split(".")[0] in FORBIDDEN_MODULE_PREFIXES
    )
    if forbidden:
        problems.append(f"excluded modules got bundled: {', '.join(forbidden[:10])}")
    left_out = [name for name in spec_support.BUNDLE_LEAVES_OUT if (internal / name).exists()]
    if left_out:
        problems.append(f"packages the bundle leaves out got bundled anyway: {', '.join(left_out)}")

    for source in sorted((root / "resources").rglob("*")):
        if source.is_file() and not (internal / "resources" / source.relative_to(root / "resources")).is_file():
            problems.append(f"resource missing from the bundle: {source.relative_to(root)}")
    for source in sorted((root / "wizard").rglob("data/*.json")):
        if not (internal / source.relative_to(root)).is_file():
            problems.append(f"data table missing from the bundle: {source.relative_to(root)}")

    for path in internal.rglob("*"):
        relative = path.relative_to(internal).as_posix()
        if path.is_symlink() and not path.exists():
            problems.append(f"dangling link in the bundle: {relative}")
        elif path.is_file() and not spec_support.keep_bundle_entry(relative):
            problems.append(f"trimmed Qt file got bundled: {relative}")
    return problems


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) != 1:
        print("usage: python installer/check_bundle.py dist/ccmsetup-wizard", file=sys.stderr)
        return 2
    bundle = Path(argv[0])
    if not bundle.is_dir():
        print(f"check_bundle: {bundle} is not a folder; build it with python installer/build.py", file=sys.stderr)
        return 2
    problems = check_bundle(bundle)
    for problem in problems:
        print(f"check_bundle: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"check_bundle: {bundle} ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
