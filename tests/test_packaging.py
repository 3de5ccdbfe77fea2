"""Fast packaging checks: the spec, its helpers, the Windows resources, the Inno script and build.py's
zip + checksum. No PyInstaller build runs here (installer/ci_smoke.sh does that)."""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import os
import re
import stat
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

import wizard

ROOT = Path(__file__).resolve().parent.parent
INSTALLER = ROOT / "installer"


def _load(name: str):
    """Import installer/<name>.py (installer/ is scripts, not an installed package)."""
    if str(INSTALLER) not in sys.path:
        sys.path.insert(0, str(INSTALLER))
    spec = importlib.util.spec_from_file_location(f"installer_{name}", INSTALLER / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


spec_support = _load("spec_support")
winres = _load("winres")
build = _load("build")
check_bundle = _load("check_bundle")


# -- build.spec -------------------------------------------------------------------------------------------


def test_spec_is_valid_python_using_the_shared_helpers():
    source = (ROOT / "build.spec").read_text(encoding="utf-8")
    tree = ast.parse(source, filename="build.spec")
    called = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert {"Analysis", "PYZ", "EXE", "COLLECT"} <= called
    assert "MERGE" not in called  # one COLLECT with two EXEs
    for helper in ("read_version", "split_toc", "prune_orphaned_libraries", "trim_toc", "drop_dangling_symlinks",
                   "version_file_text", "application_manifest"):
        assert helper in source
    assert "upx=True" not in source
    assert "uac_admin=False" in source


def test_spec_builds_a_windowed_and_a_console_executable():
    tree = ast.parse((ROOT / "build.spec").read_text(encoding="utf-8"))
    exes = [node for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "EXE"]
    consoles = sorted(
        keyword.value.value for exe in exes for keyword in exe.keywords if keyword.arg == "console"
    )
    assert consoles == [False, True]


def test_launchers_exist_and_call_the_cli_main():
    for name in ("entry_gui.py", "entry_cli.py"):
        text = (INSTALLER / name).read_text(encoding="utf-8")
        assert "from wizard.cli.main import main" in text
        assert "sys.exit(main())" in text


def test_gui_launcher_survives_missing_standard_streams():
    """A windowed Windows executable starts with sys.stdout/sys.stderr = None; --version must still exit 0."""
    code = (
        "import runpy, sys\n"
        "sys.stdout = None\n"
        "sys.stderr = None\n"
        "sys.argv = ['ccmsetup-wizard', '--version']\n"
        f"runpy.run_path({str(INSTALLER / 'entry_gui.py')!r}, run_name='__main__')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


# -- spec_support -----------------------------------------------------------------------------------------


def test_version_is_read_from_the_package_without_importing_it():
    assert spec_support.read_version() == wizard.__version__


def test_read_version_names_the_file_when_there_is_no_version(tmp_path):
    (tmp_path / "wizard").mkdir()
    (tmp_path / "wizard" / "__init__.py").write_text('"""no version here"""\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"__init__\.py.*__version__"):
        spec_support.read_version(tmp_path)


@pytest.mark.parametrize(
    ("system", "machine", "tag"),
    [("Windows", "AMD64", "windows-x86_64"), ("Linux", "x86_64", "linux-x86_64"),
     ("Darwin", "arm64", "macos-arm64"), ("Linux", "aarch64", "linux-arm64"), ("Windows", "ARM64", "windows-arm64")],
)
def test_platform_tag(system, machine, tag):
    assert spec_support.platform_tag(system, machine) == tag


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6\\plugins\\platforms\\qwindows.dll",
        "PySide6/Qt/plugins/imageformats/libqsvg.so",
        "PySide6\\plugins\\imageformats\\qico.dll",
        "PySide6/Qt/plugins/iconengines/libqsvgicon.so",
        "PySide6\\plugins\\styles\\qmodernwindowsstyle.dll",
        "PySide6/Qt/plugins/xcbglintegrations/libqxcb-glx-integration.so",
        "PySide6/Qt/translations/qtbase_de.qm",
        "PySide6\\translations\\qtbase_pt_BR.qm",
        "PySide6/Qt/lib/libQt6Widgets.so.6",
        "PySide6\\Qt6Core.dll",
        "wizard/core/data/catalog.json",
        "resources/icons/app.svg",
    ],
)
def test_kept_bundle_entries(dest):
    assert spec_support.keep_bundle_entry(dest)


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/plugins/platforms/libqwayland-egl.so",
        "PySide6/Qt/plugins/platforms/libqminimal.so",
        "PySide6/Qt/plugins/platforms/libqeglfs.so",
        "PySide6/Qt/plugins/wayland-shell-integration/libxdg-shell.so",
        "PySide6/Qt/plugins/egldeviceintegrations/libqeglfs-kms-integration.so",
        "PySide6/Qt/plugins/platforminputcontexts/libcomposeplatforminputcontextplugin.so",
        "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
        "PySide6\\plugins\\tls\\qschannelbackend.dll",
        "PySide6\\plugins\\networkinformation\\qnetworklistmanager.dll",
        "PySide6/Qt/plugins/imageformats/libqjpeg.so",
        "PySide6/Qt/plugins/generic/libqevdevtouchplugin.so",
        "PySide6/Qt/translations/qt_de.qm",
        "PySide6/Qt/translations/qtdeclarative_de.qm",
        "PySide6\\translations\\qt_help_fr.qm",
        "PySide6\\opengl32sw.dll",
        "d3dcompiler_47.dll",
    ],
)
def test_trimmed_bundle_entries(dest):
    assert not spec_support.keep_bundle_entry(dest)


def test_trim_and_split_toc_agree():
    toc = [
        ("PySide6/Qt/plugins/platforms/libqxcb.so", "/x/libqxcb.so", "BINARY"),
        ("PySide6/Qt/plugins/platforms/libqwayland-generic.so", "/x/libqwayland-generic.so", "BINARY"),
        ("PySide6/Qt/translations/qt_de.qm", "/x/qt_de.qm", "DATA"),
    ]
    kept, dropped = spec_support.split_toc(toc)
    assert kept == spec_support.trim_toc(toc) == [toc[0]]
    assert dropped == toc[1:]


def test_prune_removes_libraries_only_dropped_plugins_needed():
    imports = {
        "/src/QtWidgets.so": ["libQt6Widgets.so.6", "libQt6Gui.so.6"],
        "/src/libQt6Widgets.so.6": ["libQt6Gui.so.6"],
        "/src/libQt6Gui.so.6": ["libz.so.1"],
        "/src/libqxcb.so": ["libQt6XcbQpa.so.6"],
        "/src/libQt6XcbQpa.so.6": ["libxcb-cursor.so.0"],
        "/src/libqwayland.so": ["libQt6WaylandClient.so.6", "libQt6Gui.so.6"],
        "/src/libQt6WaylandClient.so.6": ["libwayland-client.so.0"],
        "/src/libqgtk3.so": ["libcairo.so.2", "libz.so.1"],
    }
    kept = [
        ("PySide6/QtWidgets.abi3.so", "/src/QtWidgets.so", "EXTENSION"),
        ("PySide6/Qt/lib/libQt6Widgets.so.6", "/src/libQt6Widgets.so.6", "BINARY"),
        ("PySide6/Qt/lib/libQt6Gui.so.6", "/src/libQt6Gui.so.6", "BINARY"),
        ("libz.so.1", "/src/libz.so.1", "BINARY"),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", "/src/libqxcb.so", "BINARY"),
        ("PySide6/Qt/lib/libQt6XcbQpa.so.6", "/src/libQt6XcbQpa.so.6", "BINARY"),
        ("libxcb-cursor.so.0", "/src/libxcb-cursor.so.0", "BINARY"),
        ("PySide6/Qt/lib/libQt6WaylandClient.so.6", "/src/libQt6WaylandClient.so.6", "BINARY"),
        ("libwayland-client.so.0", "/src/libwayland-client.so.0", "BINARY"),
        ("libcairo.so.2", "/src/libcairo.so.2", "BINARY"),
        ("libdlopened.so.1", "/src/libdlopened.so.1", "BINARY"),  # nothing links it: a hook added it
    ]
    dropped = [
        ("PySide6/Qt/plugins/platforms/libqwayland.so", "/src/libqwayland.so", "BINARY"),
        ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", "/src/libqgtk3.so", "BINARY"),
    ]
    result = spec_support.prune_orphaned_libraries(kept, dropped, lambda path: imports.get(path, []))
    names = [entry[0] for entry in result]
    assert "PySide6/Qt/lib/libQt6WaylandClient.so.6" not in names
    assert "libwayland-client.so.0" not in names
    assert "libcairo.so.2" not in names
    for still_needed in ("PySide6/Qt/lib/libQt6Gui.so.6", "libz.so.1", "PySide6/Qt/lib/libQt6XcbQpa.so.6",
                         "libxcb-cursor.so.0", "libdlopened.so.1", "PySide6/QtWidgets.abi3.so"):
        assert still_needed in names


def test_prune_matches_windows_library_names_case_insensitively():
    kept = [("PySide6\\QtGui.pyd", "C:\\src\\QtGui.pyd", "EXTENSION"),
            ("PySide6\\Qt6Gui.dll", "C:\\src\\Qt6Gui.dll", "BINARY")]
    dropped = [("PySide6\\plugins\\tls\\qopensslbackend.dll", "C:\\src\\qopenssl.dll", "BINARY")]
    imports = {"C:\\src\\QtGui.pyd": ["QT6GUI.DLL"], "C:\\src\\qopenssl.dll": ["Qt6Gui.dll"]}
    result = spec_support.prune_orphaned_libraries(kept, dropped, lambda path: imports.get(path, []))
    assert result == kept


def test_dangling_symlinks_are_dropped():
    binaries = [("PySide6/Qt/lib/libQt6Core.so.6", "/src/libQt6Core.so.6", "BINARY")]
    datas = [
        ("libQt6Core.so.6", "PySide6/Qt/lib/libQt6Core.so.6", "SYMLINK"),
        ("libQt6WaylandClient.so.6", "PySide6/Qt/lib/libQt6WaylandClient.so.6", "SYMLINK"),
        ("resources/icons/app.svg", "/src/app.svg", "DATA"),
    ]
    assert spec_support.drop_dangling_symlinks(datas, binaries) == [datas[0], datas[2]]


def test_excluded_modules_cover_the_required_ones():
    assert {"tkinter", "unittest", "pydoc", "keyrings"} <= set(spec_support.EXCLUDED_MODULES)


def test_bundles_leave_out_cryptography_and_what_only_needs_it():
    # issue 14: the Windows build uses the OS chain engine and Credential Manager; a build machine may still have
    # cryptography from the test extras (trustme), so the spec must leave it out explicitly.
    assert {"cryptography", "secretstorage", "jeepney", "multiprocessing"} <= set(spec_support.BUNDLE_LEAVES_OUT)
    assert set(spec_support.BUNDLE_LEAVES_OUT) <= set(spec_support.EXCLUDED_MODULES)
    assert set(spec_support.BUNDLE_LEAVES_OUT) <= set(check_bundle.FORBIDDEN_MODULE_PREFIXES)
    assert "keyring" not in spec_support.EXCLUDED_MODULES  # Credential Manager on Windows


@pytest.mark.parametrize(("system", "separate"), [("Windows", True), ("Linux", False), ("Darwin", False)])
def test_only_windows_gets_a_console_executable_of_its_own(system, separate):
    assert spec_support.separate_cli_executable(system) is separate


def test_spec_links_the_cli_name_to_the_executable_off_windows():
    source = (ROOT / "build.spec").read_text(encoding="utf-8")
    assert "spec_support.separate_cli_executable()" in source
    assert "symlink_to(gui_name)" in source


def _bare_folder(tmp_path) -> Path:
    bundle = tmp_path / spec_support.BUNDLE_NAME
    (bundle / "_internal").mkdir(parents=True)
    return bundle


@pytest.mark.skipif(sys.platform == "win32", reason="on Windows the CLI is an executable of its own")
def test_check_bundle_wants_the_cli_as_a_link_to_the_one_executable(tmp_path):
    bundle = _bare_folder(tmp_path)
    cli = bundle / spec_support.CLI_EXE
    cli.write_bytes(b"")  # a copy, not a link
    assert any("must be a relative link" in problem for problem in check_bundle.check_bundle(bundle))
    cli.unlink()
    cli.symlink_to(spec_support.GUI_EXE)
    assert not any("must be a relative link" in problem for problem in check_bundle.check_bundle(bundle))


def test_check_bundle_finds_a_package_the_bundle_leaves_out(tmp_path):
    bundle = _bare_folder(tmp_path)
    assert not any("leaves out" in problem for problem in check_bundle.check_bundle(bundle))
    (bundle / "_internal" / "cryptography").mkdir()
    assert any("leaves out got bundled anyway: cryptography" in problem
               for problem in check_bundle.check_bundle(bundle))


# -- Windows resources ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "expected"),
    [("0.1.0", (0, 1, 0, 0)), ("1.2.3.4", (1, 2, 3, 4)), ("2.0rc1", (2, 0, 0, 0)), ("1.4.2.dev3", (1, 4, 2, 0)),
     ("3", (3, 0, 0, 0))],
)
def test_windows_version_tuple(version, expected):
    assert winres.windows_version_tuple(version) == expected


@pytest.mark.parametrize("version", ["", "dev", "70000.1"])
def test_windows_version_tuple_rejects_unusable_versions(version):
    with pytest.raises(ValueError, match="version"):
        winres.windows_version_tuple(version)


class _Recorded:
    """Stands in for PyInstaller's versioninfo classes (they only import on Windows)."""

    def __init__(self, kind, *args, **kwargs):
        self.kind, self.args, self.kwargs = kind, args, kwargs


def _evaluate_version_text(text):
    names = ("VSVersionInfo", "FixedFileInfo", "StringFileInfo", "StringTable", "StringStruct", "VarFileInfo",
             "VarStruct")
    namespace = {name: (lambda *a, _kind=name, **k: _Recorded(_kind, *a, **k)) for name in names}
    return eval(text, {"__builtins__": {}}, namespace)  # noqa: S307 (this is how PyInstaller reads the file)


def test_version_file_text_is_generated_from_the_package_version():
    text = winres.version_file_text(wizard.__version__, exe_name="ccmsetup-wizard")
    info = _evaluate_version_text(text)
    assert info.kind == "VSVersionInfo"
    fixed = info.kwargs["ffi"]
    numbers = winres.windows_version_tuple(wizard.__version__)
    assert fixed.kwargs["filevers"] == numbers and fixed.kwargs["prodvers"] == numbers
    string_table = info.kwargs["kids"][0].args[0][0]
    strings = {struct_.args[0]: struct_.args[1] for struct_ in string_table.args[1]}
    assert strings["FileVersion"] == strings["ProductVersion"] == wizard.__version__
    assert strings["OriginalFilename"] == "ccmsetup-wizard.exe"
    assert strings["ProductName"] == "ccmsetup-wizard"


def test_version_file_text_quotes_odd_characters_safely():
    text = winres.version_file_text("1.0.0", exe_name="it's \"odd\"", description="a\\b 'c'")
    strings = {s.args[0]: s.args[1] for s in _evaluate_version_text(text).kwargs["kids"][0].args[0][0].args[1]}
    assert strings["InternalName"] == "it's \"odd\""
    assert strings["FileDescription"] == "a\\b 'c'"


def test_version_file_text_loads_in_pyinstaller_on_windows(tmp_path):
    versioninfo = pytest.importorskip("PyInstaller.utils.win32.versioninfo", exc_type=ImportError)
    path = tmp_path / "version.txt"
    path.write_text(winres.version_file_text("1.2.3", exe_name="ccmsetup-wizard"), encoding="utf-8")
    info = versioninfo.load_version_info_from_text_file(str(path))
    assert info.ffi.fileVersionMS == (1 << 16) | 2


_ASM = "{urn:schemas-microsoft-com:asm.v3}"


def test_manifest_is_as_invoker_dpi_aware_and_windows_10_11():
    root = ET.fromstring(winres.application_manifest().encode("utf-8"))
    levels = [element.get("level") for element in root.iter(f"{_ASM}requestedExecutionLevel")]
    assert levels == ["asInvoker"]
    supported = [element.get("Id") for element in root.iter("{urn:schemas-microsoft-com:compatibility.v1}supportedOS")]
    assert supported == ["{8e0f7a12-bfb3-4fe8-b9a5-48fd50a15a9a}"]
    awareness = next(root.iter("{http://schemas.microsoft.com/SMI/2016/WindowsSettings}dpiAwareness")).text
    assert awareness.split(",")[0].strip() == "PerMonitorV2"
    assert next(root.iter("{http://schemas.microsoft.com/SMI/2005/WindowsSettings}dpiAware")).text == "true/pm"


def test_manifest_stays_as_invoker_through_pyinstaller():
    winmanifest = pytest.importorskip("PyInstaller.utils.win32.winmanifest", exc_type=ImportError)
    final = winmanifest.create_application_manifest(winres.application_manifest(), uac_admin=False)
    root = ET.fromstring(final)
    assert [e.get("level") for e in root.iter(f"{_ASM}requestedExecutionLevel")] == ["asInvoker"]
    assert b"PerMonitorV2" in final


def _png(size: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + bytes([size % 256]) * 10


def test_ico_from_pngs_layout():
    ico = winres.ico_from_pngs([(256, _png(256)), (16, _png(16))])
    reserved, kind, count = struct.unpack_from("<HHH", ico, 0)
    assert (reserved, kind, count) == (0, 1, 2)
    first = struct.unpack_from("<BBBBHHII", ico, 6)
    second = struct.unpack_from("<BBBBHHII", ico, 22)
    assert first[:2] == (16, 16) and second[:2] == (0, 0)  # 0 = 256 px
    assert ico[first[7]:first[7] + first[6]] == _png(16)
    assert ico[second[7]:second[7] + second[6]] == _png(256)


@pytest.mark.parametrize(
    ("images", "message"),
    [([], "at least one"), ([(512, _png(1))], "outside"), ([(32, b"GIF89a")], "not PNG")],
)
def test_ico_from_pngs_rejects_bad_input(images, message):
    with pytest.raises(ValueError, match=message):
        winres.ico_from_pngs(images)


def test_icon_is_rendered_from_the_app_svg(tmp_path):
    svg = ROOT / "resources" / "icons" / "app.svg"
    if not svg.is_file():
        pytest.skip("resources/icons/app.svg is not in this checkout")
    ico = tmp_path / "app.ico"
    result = subprocess.run([sys.executable, str(INSTALLER / "winres.py"), "icon", str(svg), str(ico)],
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    data = ico.read_bytes()
    count = struct.unpack_from("<H", data, 4)[0]
    assert count == len(winres.ICON_SIZES)
    sizes = sorted(struct.unpack_from("<B", data, 6 + 16 * index)[0] or 256 for index in range(count))
    assert sizes == sorted(winres.ICON_SIZES)


def test_icon_command_reports_a_missing_svg(tmp_path):
    result = subprocess.run([sys.executable, str(INSTALLER / "winres.py"), "icon", str(tmp_path / "no.svg"),
                             str(tmp_path / "x.ico")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "no.svg does not exist" in result.stderr
    assert not (tmp_path / "x.ico").exists()


# -- Inno Setup script ------------------------------------------------------------------------------------


def _iss() -> str:
    return (INSTALLER / "ccmsetup-wizard.iss").read_text(encoding="utf-8")


def _iss_setting(name: str) -> str:
    match = re.search(rf"^{name}=(.*)$", _iss(), re.MULTILINE)
    assert match, f"{name}= missing from the [Setup] section"
    return match.group(1).strip()


def test_inno_script_installs_per_user_without_admin_and_per_machine_for_admins():
    # issue 10, defect 9: desktop support installs without administrator rights; an administrator can still
    # choose "all users" in the dialog or pass /ALLUSERS
    assert _iss_setting("PrivilegesRequired") == "lowest"
    assert set(_iss_setting("PrivilegesRequiredOverridesAllowed").split()) == {"dialog", "commandline"}
    assert _iss_setting("DefaultDirName").startswith("{autopf}")  # Program Files or %LOCALAPPDATA%\\Programs
    assert "{pf}" not in _iss() and "{commonpf}" not in _iss()  # nothing per-machine outside the chosen mode
    assert re.search(r"#if VER < EncodeVer\(6, 3, 0\)\s+#error", _iss())  # x64compatible needs 6.3
    assert _iss_setting("AppVersion") == "{#AppVersion}"
    assert _iss_setting("OutputBaseFilename") == "{#AppName}-{#AppVersion}-setup"
    assert re.match(r"^\{\{[0-9A-F-]{36}\}$", _iss_setting("AppId"))


def test_inno_script_requires_the_version_from_the_build():
    text = _iss()
    assert re.search(r"#ifndef AppVersion\s+#error", text)
    assert not re.search(r'#define AppVersion\s+"', text)  # never a hard-coded second version


def test_inno_script_has_start_menu_shortcut_uninstall_and_unelevated_launch():
    text = _iss()
    assert re.search(r'^Name: "\{autoprograms\}\\[^"]+"; Filename: "\{app\}\\\{#AppExe\}"', text, re.MULTILINE)
    assert "[UninstallDelete]" in text
    assert _iss_setting("UninstallDisplayIcon") == "{app}\\{#AppExe}"
    assert re.search(r"^Source: \"\{#SourceDir\}\\\*\".*recursesubdirs", text, re.MULTILINE)
    run_line = next(line for line in text.splitlines() if line.startswith('Filename: "{app}\\{#AppExe}"'))
    assert "runasoriginaluser" in run_line


def test_build_passes_every_define_the_inno_script_reads():
    defines_used = set(re.findall(r"#ifn?def (\w+)", _iss()))
    defines_passed = set(re.findall(r'/D(\w+)=', (INSTALLER / "build.py").read_text(encoding="utf-8")))
    assert defines_used == defines_passed


# -- build.py ---------------------------------------------------------------------------------------------


def _sample_bundle(tmp_path: Path) -> Path:
    bundle = tmp_path / "ccmsetup-wizard"
    (bundle / "_internal" / "resources").mkdir(parents=True)
    exe = bundle / "ccmsetup-wizard-cli"
    exe.write_bytes(b"\x7fELF fake executable")
    exe.chmod(0o755)
    (bundle / "_internal" / "resources" / "data.json").write_text('{"a": 1}', encoding="utf-8")
    (bundle / "_internal" / "libreal.so.1").write_bytes(b"library")
    if hasattr(os, "symlink") and sys.platform != "win32":
        os.symlink("libreal.so.1", bundle / "_internal" / "liblink.so")
    return bundle


def test_zip_keeps_layout_modes_and_links(tmp_path):
    bundle = _sample_bundle(tmp_path)
    archive = build.make_zip(bundle, tmp_path / "out" / "x.zip", root_name="ccmsetup-wizard-9.9")
    with zipfile.ZipFile(archive) as zipped:
        names = zipped.namelist()
        assert names == sorted(names)
        assert "ccmsetup-wizard-9.9/_internal/resources/data.json" in names
        assert zipped.read("ccmsetup-wizard-9.9/_internal/resources/data.json") == b'{"a": 1}'
        exe_mode = zipped.getinfo("ccmsetup-wizard-9.9/ccmsetup-wizard-cli").external_attr >> 16
        assert exe_mode & stat.S_IXUSR
        data_mode = zipped.getinfo("ccmsetup-wizard-9.9/_internal/resources/data.json").external_attr >> 16
        assert not data_mode & stat.S_IXUSR
        if sys.platform != "win32":
            link = zipped.getinfo("ccmsetup-wizard-9.9/_internal/liblink.so")
            assert stat.S_ISLNK(link.external_attr >> 16)
            assert zipped.read(link) == b"libreal.so.1"
    assert [path.name for path in archive.parent.iterdir()] == ["x.zip"]  # no .partial left


def test_zip_refuses_a_missing_bundle_and_leaves_nothing(tmp_path):
    with pytest.raises(FileNotFoundError, match="build the bundle first"):
        build.make_zip(tmp_path / "missing", tmp_path / "x.zip")
    assert not list(tmp_path.iterdir())


def test_sha256_file_matches_the_zip_and_sha256sum_format(tmp_path):
    archive = build.make_zip(_sample_bundle(tmp_path), tmp_path / "bundle.zip")
    checksum_file = build.write_sha256(archive)
    assert checksum_file.name == "bundle.zip.sha256"
    expected = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert checksum_file.read_bytes() == f"{expected}  bundle.zip\n".encode("ascii")


def test_rebuilding_replaces_the_zip(tmp_path):
    bundle = _sample_bundle(tmp_path)
    target = tmp_path / "bundle.zip"
    build.make_zip(bundle, target)
    (bundle / "_internal" / "resources" / "data.json").write_text('{"a": 2}', encoding="utf-8")
    build.make_zip(bundle, target)
    with zipfile.ZipFile(target) as zipped:
        assert zipped.read("ccmsetup-wizard/_internal/resources/data.json") == b'{"a": 2}'


def test_zip_name_has_version_and_platform():
    assert build.zip_name("1.2.3", "linux-x86_64") == "ccmsetup-wizard-1.2.3-linux-x86_64.zip"


def test_find_iscc_uses_the_environment_variable(tmp_path, monkeypatch):
    iscc = tmp_path / "ISCC.exe"
    iscc.write_bytes(b"")
    monkeypatch.setenv("ISCC", str(iscc))
    assert build.find_iscc() == iscc


def test_find_iscc_returns_none_when_inno_setup_is_absent(tmp_path, monkeypatch):
    monkeypatch.delenv("ISCC", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    for variable in ("ProgramFiles(x86)", "ProgramFiles", "LOCALAPPDATA"):
        monkeypatch.setenv(variable, str(tmp_path))
    assert build.find_iscc() is None


def test_installer_step_says_why_it_is_skipped(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(build, "find_iscc", lambda: None)
    monkeypatch.setattr(build.sys, "platform", "win32")
    assert build.build_installer(tmp_path, tmp_path, "1.0.0", tmp_path) is None
    assert "ISCC.exe not found" in capsys.readouterr().out


def test_skip_pyinstaller_without_a_bundle_says_what_to_do(tmp_path):
    with pytest.raises(SystemExit, match="does not exist; build it first"):
        build.main(["--skip-pyinstaller", "--dist", str(tmp_path)])


def test_check_bundle_knows_every_wizard_module():
    modules = check_bundle.expected_wizard_modules()
    assert {"wizard", "wizard.cli.main", "wizard.ui.app"} <= modules
