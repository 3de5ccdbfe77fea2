"""Build what desktop support deploys, on the platform this runs on.

    python installer/build.py            # PyInstaller bundle + portable zip (+ Inno Setup installer on Windows)

1. PyInstaller with build.spec -> dist/ccmsetup-wizard/ (onedir: ccmsetup-wizard + ccmsetup-wizard-cli);
2. a portable zip dist/ccmsetup-wizard-<version>-<platform>.zip and its .sha256 (sha256sum -c format);
3. on Windows, the installer dist/ccmsetup-wizard-<version>-setup.exe (+ .sha256; per user or all users) compiled
   from installer/ccmsetup-wizard.iss when Inno Setup's ISCC.exe is found (ISCC env var, PATH, or the
   default Inno Setup 6 folders; 6.3 or newer); when it is not, the build says so and still succeeds.

The version comes from wizard.__version__ only.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import spec_support  # noqa: E402
import winres  # noqa: E402

ROOT = spec_support.REPO_ROOT
ISS_SCRIPT = ROOT / "installer" / "ccmsetup-wizard.iss"


def log(message: str) -> None:
    print(f"build: {message}", flush=True)


def _zip_time(mtime: float) -> tuple[int, int, int, int, int, int]:
    # Zip timestamps start in 1980; files restored with older dates (some CI caches) are clamped.
    return time.localtime(max(mtime, 315532800.0))[:6]


def make_zip(folder: Path, zip_path: Path, *, root_name: str | None = None) -> Path:
    """Zip `folder` (its files sorted, under `root_name`/ or the folder's own name) into `zip_path`.

    Unix permission bits are kept (the executables stay executable after `unzip`) and symbolic links
    are stored as links, as PyInstaller lays out Linux bundles with them. Written to a temporary file
    and renamed, so an interrupted build never leaves a truncated zip under the final name.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder; build the bundle first")
    root_name = root_name or folder.name
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    temporary = zip_path.with_name(zip_path.name + ".partial")
    paths = sorted(folder.rglob("*"), key=lambda path: path.relative_to(folder).as_posix())
    try:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            for path in paths:
                arcname = f"{root_name}/{path.relative_to(folder).as_posix()}"
                info_stat = path.lstat()
                if stat.S_ISLNK(info_stat.st_mode):
                    info = zipfile.ZipInfo(arcname, _zip_time(info_stat.st_mtime))
                    info.create_system = 3  # Unix, so the mode below (a symlink) is honoured
                    info.external_attr = (stat.S_IFLNK | 0o777) << 16
                    archive.writestr(info, os.readlink(path), compress_type=zipfile.ZIP_STORED)
                elif path.is_dir():
                    info = zipfile.ZipInfo(arcname + "/", _zip_time(info_stat.st_mtime))
                    info.create_system = 3
                    info.external_attr = ((stat.S_IFDIR | 0o755) << 16) | 0x10  # 0x10: MS-DOS directory
                    archive.writestr(info, b"")
                else:
                    info = zipfile.ZipInfo(arcname, _zip_time(info_stat.st_mtime))
                    info.create_system = 3
                    mode = 0o755 if info_stat.st_mode & stat.S_IXUSR else 0o644
                    info.external_attr = (stat.S_IFREG | mode) << 16
                    info.compress_type = zipfile.ZIP_DEFLATED
                    with open(path, "rb") as source, archive.open(info, "w") as target:
                        shutil.copyfileobj(source, target, 1 << 20)
        os.replace(temporary, zip_path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return zip_path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_sha256(path: Path) -> Path:
    """Write `<path>.sha256` holding `<hex>  <file name>` (checks with `sha256sum -c` or
    `Get-FileHash`), atomically."""
    checksum_path = path.with_name(path.name + ".sha256")
    temporary = checksum_path.with_name(checksum_path.name + ".partial")
    temporary.write_text(f"{sha256_of(path)}  {path.name}\n", encoding="ascii", newline="\n")
    os.replace(temporary, checksum_path)
    return checksum_path


def zip_name(version: str, tag: str | None = None) -> str:
    return f"{spec_support.BUNDLE_NAME}-{version}-{tag or spec_support.platform_tag()}.zip"


def find_iscc() -> Path | None:
    """Inno Setup's command-line compiler: $ISCC, then PATH, then the default install folders."""
    candidates = []
    if os.environ.get("ISCC"):
        candidates.append(Path(os.environ["ISCC"]))
    on_path = shutil.which("ISCC") or shutil.which("iscc")
    if on_path:
        candidates.append(Path(on_path))
    for variable in ("ProgramFiles(x86)", "ProgramFiles", "LOCALAPPDATA"):
        base = os.environ.get(variable)
        if base:
            candidates.append(Path(base) / "Inno Setup 6" / "ISCC.exe")
            candidates.append(Path(base) / "Programs" / "Inno Setup 6" / "ISCC.exe")
    return next((candidate for candidate in candidates if candidate.is_file()), None)


def run_pyinstaller(dist: Path, work: Path, *, clean: bool) -> Path:
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        raise SystemExit("build: PyInstaller is not installed; run: pip install -e '.[build]'") from None
    command = [sys.executable, "-m", "PyInstaller", str(ROOT / "build.spec"), "--noconfirm",
               "--distpath", str(dist), "--workpath", str(work)]
    if clean:
        command.append("--clean")
    log("running " + " ".join(command))
    started = time.monotonic()
    subprocess.run(command, cwd=ROOT, check=True)
    bundle = dist / spec_support.BUNDLE_NAME
    suffix = ".exe" if sys.platform == "win32" else ""
    for exe in (spec_support.GUI_EXE, spec_support.CLI_EXE):
        if not (bundle / f"{exe}{suffix}").is_file():
            raise SystemExit(f"build: PyInstaller finished but {bundle / (exe + suffix)} is missing")
    log(f"bundle {bundle} built in {time.monotonic() - started:.1f} s")
    return bundle


def build_installer(bundle: Path, dist: Path, version: str, work: Path) -> Path | None:
    if sys.platform != "win32":
        log("Inno Setup installer: Windows only, skipped on this platform")
        return None
    iscc = find_iscc()
    if iscc is None:
        log("Inno Setup installer SKIPPED: ISCC.exe not found (install Inno Setup 6.3 or newer from jrsoftware.org, "
            "or set ISCC=C:\\path\\to\\ISCC.exe); the portable zip was still built")
        return None
    numeric_version = ".".join(str(number) for number in winres.windows_version_tuple(version))
    defines = [f"/DAppVersion={version}", f"/DAppNumericVersion={numeric_version}",
               f"/DSourceDir={bundle}", f"/DOutputDir={dist}"]
    # PyInstaller's work folder for a spec is <--workpath>/<spec name>; build.spec renders the icon there.
    icon = work / "build" / "windows-resources" / "ccmsetup-wizard.ico"
    if icon.is_file():
        defines.append(f"/DAppIcon={icon}")
    command = [str(iscc), "/Q", *defines, str(ISS_SCRIPT)]
    log("running " + " ".join(command))
    subprocess.run(command, cwd=ROOT, check=True)
    setup = dist / f"{spec_support.BUNDLE_NAME}-{version}-setup.exe"
    if not setup.is_file():
        raise SystemExit(f"build: ISCC finished but {setup} is missing")
    write_sha256(setup)
    log(f"installer {setup} (+ .sha256)")
    return setup


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder (default: dist/)")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller",
                        help="PyInstaller work folder (default: build/pyinstaller/)")
    parser.add_argument("--clean", action="store_true", help="clear PyInstaller's cache first")
    parser.add_argument("--skip-pyinstaller", action="store_true",
                        help="package an existing dist/ccmsetup-wizard/ without rebuilding it")
    args = parser.parse_args(argv)

    version = spec_support.read_version(ROOT)
    dist, work = args.dist.resolve(), args.work.resolve()
    log(f"ccmsetup-wizard {version} for {spec_support.platform_tag()}")
    if args.skip_pyinstaller:
        bundle = dist / spec_support.BUNDLE_NAME
        if not bundle.is_dir():
            raise SystemExit(f"build: --skip-pyinstaller given but {bundle} does not exist; build it first")
    else:
        bundle = run_pyinstaller(dist, work, clean=args.clean)

    started = time.monotonic()
    archive = make_zip(bundle, dist / zip_name(version), root_name=f"{spec_support.BUNDLE_NAME}-{version}")
    write_sha256(archive)
    log(f"portable zip {archive} ({archive.stat().st_size / 1e6:.1f} MB, + .sha256) "
        f"in {time.monotonic() - started:.1f} s")
    build_installer(bundle, dist, version, work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
