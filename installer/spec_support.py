"""What build.spec needs besides PyInstaller itself: names, the version, and the Qt trimming rules.

Kept free of PyInstaller and Qt imports so tests/test_packaging.py can check it quickly.
"""

from __future__ import annotations

import ast
import platform
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path, PurePosixPath

REPO_ROOT = Path(__file__).resolve().parent.parent

BUNDLE_NAME = "ccmsetup-wizard"  # the onedir folder under dist/
GUI_EXE = "ccmsetup-wizard"  # windowed (console=False)
CLI_EXE = "ccmsetup-wizard-cli"  # console: subcommands, headless install, `simulate`

# The bare-QWizard baseline the bundle benchmark compares against, built by the same spec.
BARE_BUNDLE_NAME = "bare-qwizard"
BARE_GUI_EXE = "bare-qwizard"
BARE_CLI_EXE = "bare-qwizard-cli"

# Left out of every bundle on purpose (issue 14; the numbers are in the README's benchmark table):
# - `cryptography` (14.4 MB on Linux, a quarter of the bundle's size above a bare QWizard's) and SecretStorage and
#   jeepney, which only need it for keyring's Secret Service back end. The Windows build, the one that ships, asks
#   the OS chain engine about revocation and keeps secrets in Credential Manager, so it never uses them (pip does
#   not even install cryptography there; a build machine may have it from the test extras). The Linux bundle is
#   for rehearsal and always runs the simulated device, whose secrets stay in memory. Without them the revocation
#   probe reports "not checked: this build has no certificate parser" and a Linux keyring lookup says this build
#   has no Secret Service support (wizard/host/netprobe.py, wizard/host/credentials.py).
# - `multiprocessing`: nothing here starts Python processes, and PyInstaller's runtime hook for it imports it on
#   every start (concurrent.futures only names it for ProcessPoolExecutor).
BUNDLE_LEAVES_OUT = ("cryptography", "secretstorage", "jeepney", "multiprocessing")

# Never needed at run time. `keyrings` is the keyrings.alt namespace: its plaintext/encrypted-file
# back ends must never be picked over the platform's credential store.
EXCLUDED_MODULES = (
    "tkinter",
    "_tkinter",
    "unittest",
    "pydoc",
    "pydoc_data",
    "keyrings",
    # Test tools that optional plugins of bundled libraries mention (pydantic.v1's hypothesis plugin).
    "hypothesis",
    "pytest",
    "_pytest",
    *BUNDLE_LEAVES_OUT,
)

# Qt plugin folders kept, and which plugins in them (file-name substrings; empty = all).
_KEPT_PLUGINS: dict[str, tuple[str, ...]] = {
    # offscreen: CI and the self-test; xcb: a Linux desktop; windows: Windows; cocoa: macOS.
    "platforms": ("qoffscreen", "qxcb", "qwindows", "qcocoa"),
    "imageformats": ("qsvg", "qico"),
    "iconengines": ("qsvgicon",),
    # Windows 11 / Windows 10 native look (the app uses Fusion, but dialogs may follow the platform).
    "styles": ("qmodernwindowsstyle", "qwindowsvistastyle"),
    # The xcb platform plugin loads its GL integration from here on a real X display.
    "xcbglintegrations": (),
}


_TRANSLATION_KEPT = re.compile(r"^qtbase_[A-Za-z_]+\.qm$")

# Windows: PyInstaller's PySide6 hook adds the software OpenGL renderer (about 20 MB) and the Direct3D shader
# compiler. Qt Widgets paint with the raster engine; only OpenGL/Quick widgets, which the wizard has none
# of, would load them.
_UNUSED_QT_WINDOWS_DLLS = re.compile(r"^(opengl32sw|d3dcompiler_\d+)\.dll$", re.IGNORECASE)


def read_version(repo_root: Path = REPO_ROOT) -> str:
    """`wizard.__version__`, read from wizard/__init__.py without importing the package (the single
    source of truth for the bundle, the Windows version resource, the zip name and the installer)."""
    init = repo_root / "wizard" / "__init__.py"
    tree = ast.parse(init.read_text(encoding="utf-8"), filename=str(init))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__version__" for target in node.targets
        ):
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str) and value.value.strip():
                return value.value.strip()
    raise ValueError(f"{init}: no `__version__ = \"X.Y.Z\"` string found; add one (it names the build).")


def separate_cli_executable(system: str | None = None) -> bool:
    """Whether the CLI is an executable of its own. Only Windows tells a console program from a windowed one;
    elsewhere `ccmsetup-wizard-cli` is a link to `ccmsetup-wizard` (one ~3 MB archive instead of two)."""
    return (system or platform.system()).lower() == "windows"


def platform_tag(system: str | None = None, machine: str | None = None) -> str:
    """`linux-x86_64`, `windows-x86_64`, `windows-arm64`, `macos-arm64`: the zip name's platform part."""
    system = (system or platform.system()).lower()
    machine = (machine or platform.machine()).lower()
    system = {"windows": "windows", "linux": "linux", "darwin": "macos"}.get(system, system or "unknown")
    machine = {"amd64": "x86_64", "x64": "x86_64", "aarch64": "arm64"}.get(machine, machine or "unknown")
    return f"{system}-{machine}"


def _qt_relative_parts(dest: str) -> tuple[str, ...] | None:
    """The path parts after `PySide6/` (Windows wheels: `PySide6/plugins/...`; Linux/macOS wheels:
    `PySide6/Qt/plugins/...`), or None when the entry is not inside PySide6."""
    parts = PurePosixPath(dest.replace("\\", "/")).parts
    if "PySide6" not in parts:
        return None
    rest = parts[parts.index("PySide6") + 1 :]
    if rest[:1] == ("Qt",):
        rest = rest[1:]
    return rest


def keep_bundle_entry(dest: str) -> bool:
    """Whether a collected file (its destination path inside the bundle) is kept.

    Drops Qt plugin folders the wizard never uses (Wayland, EGLFS, input contexts, platform themes, TLS,
    network information, SQL drivers, generic input...), the unneeded plugins of kept folders, every Qt
    translation except `qtbase_*.qm`, and Windows' software OpenGL and Direct3D compiler DLLs. The
    libraries only dropped plugins needed go in a second step (prune_orphaned_libraries), because that
    needs the dependency graph.
    """
    if _UNUSED_QT_WINDOWS_DLLS.match(PurePosixPath(dest.replace("\\", "/")).name):
        return False
    rest = _qt_relative_parts(dest)
    if rest is None:
        return True
    if len(rest) >= 3 and rest[0] == "plugins":
        folder, filename = rest[1], rest[-1]
        if folder not in _KEPT_PLUGINS:
            return False
        wanted = _KEPT_PLUGINS[folder]
        return not wanted or any(name in filename for name in wanted)
    if len(rest) >= 2 and rest[0] == "translations":
        return bool(_TRANSLATION_KEPT.match(rest[-1]))
    return True


def trim_toc(entries: Iterable[tuple]) -> list[tuple]:
    """Filter a PyInstaller TOC (`(dest_name, src_name, typecode)` tuples) with keep_bundle_entry."""
    return [entry for entry in entries if keep_bundle_entry(entry[0])]


def split_toc(entries: Iterable[tuple]) -> tuple[list[tuple], list[tuple]]:
    """(kept, dropped) by keep_bundle_entry."""
    kept, dropped = [], []
    for entry in entries:
        (kept if keep_bundle_entry(entry[0]) else dropped).append(entry)
    return kept, dropped


def _library_key(name: str) -> str:
    return PurePosixPath(name.replace("\\", "/")).name.lower()


def _is_prunable_library(entry: tuple) -> bool:
    dest, _src, typecode = entry
    parts = PurePosixPath(dest.replace("\\", "/")).parts
    return typecode in ("BINARY", "SYMLINK") and "plugins" not in parts


def prune_orphaned_libraries(
    kept: Sequence[tuple], dropped: Sequence[tuple], imports_of: Callable[[str], Iterable[str]]
) -> list[tuple]:
    """`kept` without the shared libraries that only `dropped` entries needed.

    `imports_of(source_path)` lists the library names a binary links against. A library stays when any
    kept binary needs it (directly or through other libraries), and also when nothing visible needs it
    at all (a library a hook added on purpose because something loads it with dlopen).
    """
    everything = [*kept, *dropped]
    by_key: dict[str, list[tuple]] = {}
    for entry in everything:
        by_key.setdefault(_library_key(entry[0]), []).append(entry)
    imports_cache: dict[str, tuple[str, ...]] = {}

    def imports(entry: tuple) -> tuple[str, ...]:
        dest, src, typecode = entry
        if typecode == "SYMLINK":  # src is the link target inside the bundle: follow that entry instead
            return (_library_key(src),)
        if src not in imports_cache:
            imports_cache[src] = tuple(_library_key(name) for name in imports_of(src))
        return imports_cache[src]

    def needed_by(roots: Iterable[tuple]) -> set[str]:
        needed: set[str] = set()
        stack = list(roots)
        while stack:
            for key in imports(stack.pop()):
                if key not in needed:
                    needed.add(key)
                    stack.extend(by_key.get(key, ()))
        return needed

    needed_by_kept = needed_by(entry for entry in kept if not _is_prunable_library(entry))
    needed_by_dropped = needed_by(dropped)
    return [
        entry
        for entry in kept
        if not (
            _is_prunable_library(entry)
            and _library_key(entry[0]) in needed_by_dropped
            and _library_key(entry[0]) not in needed_by_kept
        )
    ]


def drop_dangling_symlinks(datas: Sequence[tuple], binaries: Sequence[tuple]) -> list[tuple]:
    """`datas` without the SYMLINK entries whose target (a destination inside the bundle) is no longer
    collected. PyInstaller puts its top-level library symlinks among the datas."""
    present = {entry[0] for entry in [*datas, *binaries] if entry[2] != "SYMLINK"}
    return [entry for entry in datas if entry[2] != "SYMLINK" or entry[1] in present]
