"""WindowsHost decision code on Linux: every Windows call goes to a fake of the winapi layer."""

from __future__ import annotations

import ntpath
import sys
from pathlib import Path

import pytest

from wizard.host import winapi
from wizard.host.windows import RETRY_TASK_NAMES, WindowsHost, WinProcess

FIXTURES = Path(__file__).parent / "fixtures" / "dsregcmd"

CURRENT_VERSION = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion"
MOBILE_CLIENT = r"HKLM\SOFTWARE\Microsoft\SMS\Mobile Client"
CCMSETUP_KEY = r"HKLM\SOFTWARE\Microsoft\CCMSetup"


class FakePopen:
    def __init__(self, command_line, cwd):
        self.command_line = command_line
        self.cwd = cwd
        self.pid = 4100
        self.stdin = self.stdout = self.stderr = None

    def poll(self):
        return None

    def wait(self, timeout=None):
        return None


class FakeApi:
    """Records calls; answers from dictionaries the tests fill in."""

    def __init__(self, tmp: Path):
        self.elevated = False
        self.runas = (True, 0, 0x1234)
        self.registry: dict[tuple[str, str], object] = {}
        self.keys: set[str] = set()
        self.services: dict[str, int] = {}
        self.processes: dict[str, list[int]] = {}
        self.trust: tuple[int, str | None] = (0, "Microsoft Corporation")
        self.commands: dict[str, tuple[int, bytes]] = {}
        self.closed: list[int] = []
        self.waits: dict[int, bool] = {}
        self.wait_timeouts: list[int] = []
        self.exit_codes: dict[int, int | None] = {}
        self.calls: list[tuple] = []
        self.drive_types: dict[str, int] = {}
        self.unc: dict[str, str] = {}  # drive letter "Z:" -> "\\\\server\\share"
        self.denied_keys: set[str] = set()
        self.private_dirs: list[str] = []
        self.locked: dict[int, str] = {}  # open lock handles -> path
        self.lock_log: list[tuple] = []
        self.certificates: list = []
        self.chain: tuple[int, int] | Exception = (0, 0)
        self.owner = (0x600, "the console window (in front)")
        self._next_lock = 0x9000
        self._windir = tmp / "Windows"

    def is_elevated(self):
        return self.elevated

    def shell_execute_runas(self, exe, parameters, directory):
        self.calls.append(("runas", exe, parameters, directory))
        self.lock_log.append(("launched while locked", exe in self.locked.values()))
        return self.runas

    def create_process(self, command_line, directory):
        self.calls.append(("create", command_line, directory))
        self.lock_log.append(("launched while locked", any(p in command_line for p in self.locked.values())))
        return FakePopen(command_line, directory)

    def create_private_dir(self, path):
        Path(path).mkdir(parents=False, exist_ok=False)  # a fresh folder: never reuse one
        self.private_dirs.append(path)

    def lock_file(self, path):
        self._next_lock += 1
        self.locked[self._next_lock] = path
        self.lock_log.append(("lock", path))
        return self._next_lock

    def unlock_file(self, handle):
        self.lock_log.append(("unlock", self.locked.pop(handle)))

    def reg_key_state(self, key):
        return "denied" if key in self.denied_keys else ("present" if key in self.keys else "absent")

    def logical_drives(self):
        return sorted({root[:2] for root in self.drive_types} | {"C:"})

    def universal_name(self, path):
        unc = self.unc.get(path[:2].upper())
        return unc + path[2:] if unc else None

    def owner_window(self):
        return self.owner

    def machine_certificates(self, store_name="MY"):
        return list(self.certificates)

    def chain_revocation(self, der, timeout_ms, *, cache_only=False):
        self.calls.append(("chain", der, timeout_ms))
        if isinstance(self.chain, Exception):
            raise self.chain
        return self.chain

    def wait_process(self, handle, timeout_ms):
        self.wait_timeouts.append(timeout_ms)
        outcome = self.waits.get(handle, False)
        if isinstance(outcome, Exception):
            raise outcome
        if isinstance(outcome, list):  # a scripted sequence of answers
            return outcome.pop(0)
        return outcome

    def exit_code(self, handle):
        return self.exit_codes.get(handle)

    def close_handle(self, handle):
        self.closed.append(handle)

    def process_id(self, handle):
        return 777

    def verify_trust(self, path, handle=None):
        self.calls.append(("trust", path, handle))
        if callable(self.trust):
            return self.trust(path)
        return self.trust

    def reg_value(self, key, name):
        return self.registry.get((key, name))

    def reg_key_exists(self, key):
        return key in self.keys

    def service_state(self, name):
        return self.services.get(name)

    def process_ids(self, image_name):
        return self.processes.get(image_name.lower(), [])

    def run(self, args, timeout):
        self.calls.append(("run", *args))
        key = " ".join([ntpath.basename(args[0]), *args[1:]])  # tests name the tool; the host passes a full path
        if key not in self.commands:
            raise FileNotFoundError(args[0])
        return self.commands[key]

    def oem_codepage(self):
        return 850

    def drive_type(self, root):
        return self.drive_types.get(root.upper(), 3)

    def disk_free(self, path):
        self.calls.append(("disk", path))
        return 42 * 1024**3

    def windir(self):
        return self._windir

    def start_file(self, path):
        self.calls.append(("start", path))


@pytest.fixture
def api(tmp_path):
    return FakeApi(tmp_path)


@pytest.fixture
def host(api, tmp_path):
    return WindowsHost(api, base_dir=tmp_path / "runs")


@pytest.fixture
def exe(tmp_path):
    path = tmp_path / "Client Files" / "ccmsetup.exe"
    path.parent.mkdir()
    path.write_bytes(b"MZ")
    return path


ARGV = ["/mp:https://cmg.contoso.com/CCM_Proxy_MutualAuth/1", "SMSSITECODE=P01", "/source:C:\\My Files\\"]


def test_uac_cancel_is_its_own_result(host, api, exe):
    api.runas = (False, 1223, None)
    result = host.launch(exe, ARGV, noservice=False)
    assert result.status == "uac-cancelled"
    assert result.error_code == 1223
    assert result.exit_code == 1223
    assert "nothing on this device changed" in result.message
    assert result.process is None


def test_elevated_launch_via_runas_passes_one_parameter_string(host, api, exe):
    result = host.launch(exe, ARGV, noservice=False)
    assert result.started and result.elevated_via_uac
    (_, file, parameters, directory), = [c for c in api.calls if c[0] == "runas"]
    assert Path(file).name == "ccmsetup.exe" and Path(file).read_bytes() == exe.read_bytes()
    assert parameters == '/mp:https://cmg.contoso.com/CCM_Proxy_MutualAuth/1 SMSSITECODE=P01 /source:"C:\\My Files\\\\"'
    assert directory == str(Path(file).parent)
    assert result.process.pid == 777


def test_null_process_handle_is_started_without_exit_code(host, api, exe):
    api.runas = (True, 0, None)
    result = host.launch(exe, ARGV, noservice=True)
    assert result.status == "started"
    assert result.process is None
    assert "no process handle" in result.message
    assert api.closed == []


def test_process_handle_wait_and_close_once(host, api, exe):
    result = host.launch(exe, ARGV, noservice=True)
    process = result.process
    assert process.poll() is None
    api.waits[0x1234] = True
    api.exit_codes[0x1234] = 7
    assert process.poll() == 7
    process.close()
    process.close()
    assert api.closed == [0x1234]


def test_wait_without_timeout_polls_in_slices_never_infinite(host, api, exe):
    process = host.launch(exe, ARGV, noservice=True).process
    api.waits[0x1234] = [False, False, True]
    api.exit_codes[0x1234] = 0
    assert process.wait() == 0
    assert len(api.wait_timeouts) == 3
    # never INFINITE (0xFFFFFFFF): a slice at a time, so poll() and close() from other threads get the lock
    assert all(0 <= ms <= 1000 for ms in api.wait_timeouts)


def test_failed_wait_reads_as_still_unknown(host, api, exe):
    process = host.launch(exe, ARGV, noservice=True).process
    api.waits[0x1234] = OSError("WAIT_FAILED")
    assert process.poll() is None
    api.waits[0x1234] = True
    api.exit_codes[0x1234] = 259  # STILL_ACTIVE as a real exit code once the handle is signalled
    assert process.poll() == 259


def test_exit_code_unavailable_is_asked_again(api):
    process = WinProcess(api, 0x99)
    api.waits[0x99] = True
    assert process.poll() is None
    api.exit_codes[0x99] = 6
    assert process.poll() == 6


def test_relative_exe_path_is_made_absolute(host, api, exe, monkeypatch):
    monkeypatch.chdir(exe.parent)
    result = host.launch("ccmsetup.exe", ARGV, noservice=False)
    assert result.started
    (_, file, _, directory), = [c for c in api.calls if c[0] == "runas"]
    assert Path(file).is_absolute() and Path(directory).is_absolute()


def test_other_shell_execute_error_is_failed_to_start(host, api, exe):
    api.runas = (False, 2, None)
    result = host.launch(exe, ARGV, noservice=False)
    assert result.status == "failed-to-start"
    assert result.error_code == 2


def test_already_elevated_uses_create_process_with_verbatim_command(host, api, exe):
    api.elevated = True
    result = host.launch(exe, ARGV, noservice=False)
    assert result.started and not result.elevated_via_uac
    (_, command, directory), = [c for c in api.calls if c[0] == "create"]
    assert command.startswith(f'"{Path(directory) / "ccmsetup.exe"}" /mp:')
    assert not [c for c in api.calls if c[0] == "runas"]


def test_missing_exe(host, tmp_path):
    result = host.launch(tmp_path / "nope.exe", ARGV, noservice=False)
    assert result.status == "missing-exe"


@pytest.mark.parametrize(
    ("code", "signer", "status", "microsoft"),
    [
        (0, "Microsoft Corporation", "valid", True),
        (0, "Contoso Ltd", "valid", False),
        (winapi.TRUST_E_NOSIGNATURE, None, "unsigned", False),
        (winapi.TRUST_E_BAD_DIGEST, "Microsoft Corporation", "invalid", False),
        (winapi.CERT_E_UNTRUSTEDROOT - (1 << 32), None, "untrusted", False),  # negative LONG from ctypes
        (0x80001234, None, "invalid", False),
        (winapi.TRUST_E_SUBJECT_NOT_TRUSTED, None, "untrusted", False),
        (winapi.TRUST_E_PROVIDER_UNKNOWN, None, "error", False),
        (winapi.CRYPT_E_FILE_ERROR, None, "error", False),
        (winapi.CERT_E_WRONG_USAGE, "Microsoft Corporation", "untrusted", False),
        (winapi.TRUST_E_CERT_SIGNATURE, None, "invalid", False),
    ],
)
def test_signature_results(host, api, exe, code, signer, status, microsoft):
    api.trust = (code, signer)
    info = host.verify_signature(exe)
    assert info.status == status
    assert info.is_microsoft is microsoft
    if code:
        assert "WinVerifyTrust 0x" in info.detail


def test_signature_of_missing_file_does_not_call_windows(host, api, tmp_path):
    assert host.verify_signature(tmp_path / "x.exe").status == "missing"
    assert not [c for c in api.calls if c[0] == "trust"]


def test_client_info_from_registry_and_service(host, api):
    assert host.client_info() is None
    api.services["CcmExec"] = 4
    api.registry[(MOBILE_CLIENT, "ProductVersion")] = "5.00.9132.1011"
    api.registry[(MOBILE_CLIENT, "AssignedSiteCode")] = "P01"
    api.registry[(CCMSETUP_KEY, "LastSuccessfulInstallParams")] = "/mp:mp01 SMSSITECODE=P01"
    info = host.client_info()
    assert info.version == "5.00.9132.1011"
    assert info.site_code == "P01"
    assert info.ccmexec.status == "running"
    assert info.last_install_params == "/mp:mp01 SMSSITECODE=P01"


def test_os_info_names_windows_11_by_build(host, api):
    api.registry.update({(CURRENT_VERSION, "CurrentBuildNumber"): "26100", (CURRENT_VERSION, "UBR"): 4349,
                         (CURRENT_VERSION, "ProductName"): "Windows 10 Enterprise",
                         (CURRENT_VERSION, "InstallationType"): "Client",
                         (CURRENT_VERSION, "DisplayVersion"): "24H2"})
    info = host.os_info()
    assert info.product == "Windows 11 Enterprise"
    assert (info.build, info.ubr, info.is_server) == (26100, 4349, False)
    api.registry[(CURRENT_VERSION, "ProductName")] = "Windows Server 2022 Standard"
    api.registry[(CURRENT_VERSION, "InstallationType")] = "Server"
    api.registry[(CURRENT_VERSION, "CurrentBuildNumber")] = "20348"
    assert host.os_info().is_server


def test_pending_reboot_markers(host, api):
    assert host.pending_reboot() == []
    api.keys.add(r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending")
    api.registry[(r"HKLM\SYSTEM\CurrentControlSet\Control\Session Manager", "PendingFileRenameOperations")] = \
        ["\\??\\C:\\x.tmp", ""]
    assert host.pending_reboot() == ["Component Based Servicing: RebootPending",
                                     "Session Manager: PendingFileRenameOperations"]


def test_pending_reboot_windows_update_and_second_rename_list(host, api):
    api.keys.add(r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired")
    session_manager = r"HKLM\SYSTEM\CurrentControlSet\Control\Session Manager"
    api.registry[(session_manager, "PendingFileRenameOperations")] = ["", ""]  # empty pairs: nothing pending
    api.registry[(session_manager, "PendingFileRenameOperations2")] = ["\\??\\C:\\y.tmp", ""]
    assert host.pending_reboot() == ["Windows Update: RebootRequired",
                                     "Session Manager: PendingFileRenameOperations2"]


def test_setup_activity_from_processes_and_service(host, api):
    assert not host.setup_running()
    api.services["ccmsetup"] = 1  # installed but stopped
    assert not host.setup_running()
    api.services["ccmsetup"] = 4
    assert host.setup_activity().service.status == "running"
    del api.services["ccmsetup"]
    api.processes["ccmsetup.exe"] = [312, 4100]
    activity = host.setup_activity()
    assert activity.running and activity.process_ids == (312, 4100)
    assert "312" in activity.describe()


RESTART_COMMENT = "Restart requested by ccmsetup-wizard to finish the Configuration Manager client installation."
TASK_CACHE_TREE = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Schedule\TaskCache\Tree"


def _schtasks(name):
    return f"schtasks.exe /Query /TN {name} /FO CSV /NH"


def test_retry_task_path_is_the_documented_folder():
    # KB 3123029: \Microsoft\Microsoft\Configuration Manager, not the root folder
    assert RETRY_TASK_NAMES == (r"\Microsoft\Microsoft\Configuration Manager\Configuration Manager Client Retry Task",)


def test_retry_task_absent_in_a_readable_index_is_absent(host, api):
    assert host.retry_task_state().state == "absent"
    assert not [c for c in api.calls if c[0] == "run"]


def test_retry_task_unreadable_index_then_schtasks_found(host, api):
    api.denied_keys.add(TASK_CACHE_TREE + RETRY_TASK_NAMES[0])
    _deny_task_files(api)
    api.commands[_schtasks(RETRY_TASK_NAMES[0])] = (0, b"")
    assert host.retry_task_exists()


def test_retry_task_from_the_task_scheduler_registry_index_without_schtasks(host, api):
    api.keys.add(TASK_CACHE_TREE + RETRY_TASK_NAMES[0])
    assert host.retry_task_exists()
    assert not [c for c in api.calls if c[0] == "run"]


def test_retry_task_csv_row_in_a_german_ui(host, api):
    # /FO CSV /NH: no localized header; the first field is the task path whatever the UI language
    api.denied_keys.add(TASK_CACHE_TREE + RETRY_TASK_NAMES[0])
    _deny_task_files(api)
    row = f'"{RETRY_TASK_NAMES[0]}","27.11.2026 03:00:00","Bereit"\r\n'.encode("cp850")
    api.commands[_schtasks(RETRY_TASK_NAMES[0])] = (0, row)
    assert host.retry_task_exists()
    api.commands[_schtasks(RETRY_TASK_NAMES[0])] = (0, b'"\\Other\\Task","N/A","Bereit"\r\n')
    assert not host.retry_task_exists()


def _deny_task_files(api):
    """%WinDir%\\System32\\Tasks unreadable for this account (a file where the folder should be: stat fails)."""
    tasks = api.windir() / "System32" / "Tasks"
    tasks.mkdir(parents=True, exist_ok=True)
    (tasks / "Microsoft").write_text("not a folder")


def test_retry_task_unreadable_everywhere_is_unknown_not_absent(host, api):
    # issue 10, defect 4: TaskCache denied, the task files unreadable, schtasks "access denied"
    api.denied_keys.add(TASK_CACHE_TREE + RETRY_TASK_NAMES[0])
    _deny_task_files(api)
    api.commands[_schtasks(RETRY_TASK_NAMES[0])] = (1, b"ERROR: Access is denied.\r\n")
    state = host.retry_task_state()
    assert state.state == "unknown"
    assert "Access is denied" in state.detail and "registry" in state.detail
    assert not host.retry_task_exists()
    # a localized "not found" cannot be told from "access denied": unknown too, never a silent pass
    api.commands[_schtasks(RETRY_TASK_NAMES[0])] = \
        (1, "FEHLER: Das System kann die angegebene Datei nicht finden.".encode("cp850"))
    assert host.retry_task_state().state == "unknown"
    api.commands[_schtasks(RETRY_TASK_NAMES[0])] = (1, b"ERROR: The system cannot find the file specified.\r\n")
    assert host.retry_task_state().state == "absent"


def test_retry_task_file_answers_when_the_index_is_denied(host, api):
    api.denied_keys.add(TASK_CACHE_TREE + RETRY_TASK_NAMES[0])
    task_file = api.windir().joinpath("System32", "Tasks", *RETRY_TASK_NAMES[0].strip("\\").split("\\"))
    assert host.retry_task_state().state == "absent"  # no such file
    task_file.parent.mkdir(parents=True)
    task_file.write_text("<Task/>")
    assert host.retry_task_state().state == "present"
    assert not [c for c in api.calls if c[0] == "run"]


def test_unknown_retry_task_is_a_warning_in_the_check(host, api):
    from wizard.core.plan import InstallPlan
    from wizard.host.checks import run_checks

    api.denied_keys.add(TASK_CACHE_TREE + RETRY_TASK_NAMES[0])
    _deny_task_files(api)
    api.commands[_schtasks(RETRY_TASK_NAMES[0])] = (1, b"ERROR: Access is denied.\r\n")
    result = run_checks(host, InstallPlan(), only=["retry-task"])[0]
    assert result.status == "warn" and "could not be read" in result.detail
    assert "administrator" in result.fix


def test_restart_refused_is_an_error_the_ui_can_show(host, api):
    api.commands["shutdown.exe /r /t 30 /c " + RESTART_COMMENT] = (1190, b"A system shutdown has already been scheduled.")
    with pytest.raises(OSError, match="1190.*already been scheduled"):
        host.restart()
    api.commands["shutdown.exe /r /t 30 /c " + RESTART_COMMENT] = (0, b"")
    host.restart()


def test_windows_tools_run_by_full_path_from_system32(host, api):
    api.commands["shutdown.exe /r /t 30 /c " + RESTART_COMMENT] = (0, b"")
    api.denied_keys.add(TASK_CACHE_TREE + RETRY_TASK_NAMES[0])
    _deny_task_files(api)
    host.dsregcmd()
    host.retry_task_exists()
    host.restart()
    tools = [c[1] for c in api.calls if c[0] == "run"]
    system32 = api.windir() / "System32"
    assert tools[0] == str(system32 / "dsregcmd.exe")
    assert str(system32 / "schtasks.exe") in tools
    assert tools[-1] == str(system32 / "shutdown.exe")


def test_32_bit_python_on_64_bit_windows_uses_sysnative(host, api):
    sysnative = api.windir() / "Sysnative"
    sysnative.mkdir(parents=True)
    (sysnative / "dsregcmd.exe").write_bytes(b"MZ")
    host.dsregcmd()
    assert [c[1] for c in api.calls if c[0] == "run"] == [str(sysnative / "dsregcmd.exe")]


def test_dsregcmd_uses_oem_code_page_and_parser(host, api):
    text = (FIXTURES / "hybrid-joined.txt").read_text(encoding="utf-8").replace("CONTOSO", "MÜNCHEN")
    api.commands["dsregcmd.exe /status"] = (0, text.encode("cp850"))
    status = host.dsregcmd()
    assert status.domain_name == "MÜNCHEN"
    assert status.join_state == "Microsoft Entra hybrid joined"


def test_os_info_survives_an_unreadable_build_number(host, api):
    api.registry[(CURRENT_VERSION, "CurrentBuildNumber")] = "n/a"
    assert host.os_info().build == 0


def test_dsregcmd_missing_is_an_error_not_an_exception(host):
    status = host.dsregcmd()
    assert status.error and "not found" in status.error


def test_log_dirs_and_disk(host, api):
    assert host.log_dir() == api.windir() / "ccmsetup" / "Logs"
    assert host.ccm_log_dir() == api.windir() / "CCM" / "Logs"
    assert host.free_disk_bytes() == 42 * 1024**3


def test_mapped_drive_detection(host, api):
    api.drive_types["Z:\\"] = winapi.DRIVE_REMOTE
    assert host.is_network_drive("Z:\\Client")
    assert not host.is_network_drive("C:\\Client")
    assert not host.is_network_drive("\\\\server\\share")


def test_describe_is_not_demo(host, api):
    assert host.is_demo is False
    assert "not elevated" in host.describe()


@pytest.mark.skipif(sys.platform == "win32", reason="the real layer loads on Windows")
def test_winapi_module_imports_and_refuses_off_windows():
    with pytest.raises(OSError):
        winapi.Win32Api()


@pytest.mark.parametrize(("signer", "accepted"), [("Microsoft Corporation", True), ("Microsoft Support Ltd", False),
                                                  ("Not Microsoft Corporation", False), (None, False)])
def test_only_microsoft_corporation_counts_as_the_ccmsetup_signer(signer, accepted):
    from wizard.host.base import SignatureInfo

    assert SignatureInfo("valid", signer, "").is_microsoft is accepted
    assert SignatureInfo("untrusted", "Microsoft Corporation", "").is_microsoft is False


# -- issue 10, defect 3: the bytes that run elevated are the bytes that were verified --------------------------


def test_launch_runs_a_verified_copy_locked_until_shell_execute_returns(host, api, exe):
    result = host.launch(exe, ARGV, noservice=False)
    assert result.started and "verified copy" in result.message
    (_, file, _, directory), = [c for c in api.calls if c[0] == "runas"]
    copy = Path(file)
    assert copy != exe and copy.read_bytes() == exe.read_bytes()
    assert str(copy.parent) in api.private_dirs  # a fresh folder with the protected DACL
    assert directory == str(copy.parent)
    # verified through the lock handle, launched while locked, released after ShellExecuteExW returned
    (_, trusted_path, handle), = [c for c in api.calls if c[0] == "trust"]
    assert trusted_path == str(copy) and handle is not None
    assert api.lock_log == [("lock", str(copy)), ("launched while locked", True), ("unlock", str(copy))]
    assert api.locked == {}


def test_each_launch_gets_a_fresh_protected_folder(host, api, exe):
    host.launch(exe, ARGV, noservice=False)
    host.launch(exe, ARGV, noservice=False)
    assert len(set(api.private_dirs)) == 2


def test_a_file_swapped_after_the_checks_is_not_launched(host, api, exe):
    api.trust = lambda path: (0, "Microsoft Corporation") if Path(path).read_bytes() == b"MZ" \
        else (winapi.TRUST_E_BAD_DIGEST, "Microsoft Corporation")
    assert host.verify_signature(exe).is_microsoft  # what the checks (and the session) saw, by path
    exe.write_bytes(b"MZ evil")  # replaced in the user-writable folder between check and launch
    result = host.launch(exe, ARGV, noservice=False)
    assert result.status == "unsigned-exe"
    assert not [c for c in api.calls if c[0] in ("runas", "create")]
    assert api.locked == {}


def test_a_copy_that_cannot_be_made_does_not_launch(host, api, exe):
    def refuse(path):
        raise PermissionError(5, "Access is denied")

    api.create_private_dir = refuse
    result = host.launch(exe, ARGV, noservice=False)
    assert result.status == "failed-to-start" and "protected folder" in result.message
    assert not [c for c in api.calls if c[0] == "runas"]


def test_elevated_create_process_also_runs_the_locked_copy(host, api, exe):
    api.elevated = True
    host.launch(exe, ARGV, noservice=False)
    assert ("launched while locked", True) in api.lock_log


# -- issue 10, defect 2: mapped drives -------------------------------------------------------------------------


def test_working_directory_is_local_not_the_exe_folder_on_a_share(host, api, exe):
    api.drive_types[str(exe)[:2].upper() + "\\"] = winapi.DRIVE_REMOTE
    host.launch(exe, ARGV, noservice=False)
    (_, file, _, directory), = [c for c in api.calls if c[0] == "runas"]
    assert directory != str(exe.parent)
    assert Path(directory).is_relative_to(host.run_dir())


def test_mapped_drive_to_unc(host, api):
    api.drive_types["Z:\\"] = winapi.DRIVE_REMOTE
    api.unc["Z:"] = r"\\fs01.contoso.com\Deploy"
    assert host.mapped_drives() == ["Z:"]
    assert host.unc_path(r"Z:\Client\ccmsetup.exe") == r"\\fs01.contoso.com\Deploy\Client\ccmsetup.exe"
    assert host.unc_path(r"C:\Client") is None
    assert host.unc_path(r"\\server\share") is None


def test_source_on_a_mapped_drive_suggests_its_unc_path(host, api):
    from wizard.core.parse import parse_command
    from wizard.host.checks import run_checks

    api.drive_types["Z:\\"] = winapi.DRIVE_REMOTE
    api.unc["Z:"] = r"\\fs01.contoso.com\Deploy"
    plan = parse_command(r'ccmsetup.exe /mp:mp01 /source:"Z:\Client" SMSSITECODE=P01').plan
    result = run_checks(host, plan, only=["source-path"])[0]
    assert result.status == "warn"
    assert r'/source:"\\fs01.contoso.com\Deploy\Client"' in result.fix


# -- issue 10, defects 6 and 7: certificates and revocation through crypt32 ------------------------------------


def _store_cert(subject="PC01.contoso.com", ekus=("1.3.6.1.5.5.7.3.2",), chain=0, key=True, days=100):
    import datetime

    from wizard.host.wincrypt import StoreCertificate

    now = datetime.datetime.now(datetime.UTC)
    return StoreCertificate(subject, "Contoso Issuing CA 01", "AB" * 20, now - datetime.timedelta(days=1),
                            now + datetime.timedelta(days=days), ekus, key, chain)


def test_client_auth_certificates_from_the_machine_store(host, api):
    from wizard.host import wincrypt

    api.certificates = [
        _store_cert("good"),
        _store_cert("server-only", ekus=("1.3.6.1.5.5.7.3.1",)),
        _store_cert("any-purpose", ekus=None),  # no EKU extension: ConfigMgr needs the EKU listed
        _store_cert("untrusted", chain=wincrypt.CERT_TRUST_IS_UNTRUSTED_ROOT | wincrypt.CERT_TRUST_IS_NOT_TIME_VALID),
        _store_cert("offline-only", chain=wincrypt.CERT_TRUST_REVOCATION_STATUS_UNKNOWN),
        _store_cert("no-chain", chain=None),
    ]
    certs = {c.subject: c for c in host.client_auth_certificates()}
    assert set(certs) == {"good", "untrusted", "offline-only", "no-chain"}
    assert certs["good"].usable()
    assert certs["untrusted"].chain_trusted is False and "root CA is not trusted" in certs["untrusted"].chain_detail
    assert certs["offline-only"].chain_trusted is True  # revocation is judged elsewhere, not as trust
    assert certs["no-chain"].chain_trusted is None and not certs["no-chain"].usable()


def test_windows_prober_asks_the_chain_engine_for_revocation(host, api):
    from wizard.host import wincrypt
    from wizard.host.netprobe import ServerCertificate

    cert = ServerCertificate(der=b"0\x82", subject="CN=mp01.contoso.com",
                             crl_urls=("http://pki.contoso.com/ca.crl",), parsed=True)
    api.chain = (wincrypt.CERT_TRUST_IS_OFFLINE_REVOCATION | wincrypt.CERT_TRUST_REVOCATION_STATUS_UNKNOWN,
                 0x80092013)
    result = host.network().revocation(cert, timeout=2.5)
    assert (result.status, result.error_code) == ("offline", "0x80092013")
    assert "http://pki.contoso.com/ca.crl" in result.detail
    assert ("chain", b"0\x82", 2500) in api.calls
    api.chain = (wincrypt.CERT_TRUST_IS_REVOKED, 0x80092010)
    assert host.network().revocation(cert).status == "revoked"
    api.chain = (0, 0)
    assert host.network().revocation(cert).status == "good"
    api.chain = (wincrypt.CERT_TRUST_REVOCATION_STATUS_UNKNOWN, 0x80092012)
    assert host.network().revocation(cert).status == "unknown"
    api.chain = OSError("CertGetCertificateChain failed")
    assert host.network().revocation(cert).status == "not-checked"


# -- issue 10, defect 10 and the self-test helpers -------------------------------------------------------------


def test_uac_owner_is_described(host, api):
    api.owner = (0x700, "the terminal window in front that hosts this console (e.g. Windows Terminal)")
    assert "Windows Terminal" in host.uac_owner()
    api.elevated = True
    assert "without a prompt" in host.uac_owner()


def test_unreadable_process_list_is_reported_not_hidden(host, api):
    def broken(name):
        raise OSError("CreateToolhelp32Snapshot failed")

    api.process_ids = broken
    activity = host.setup_activity()
    assert not activity.running and "could not be read" in activity.error


def test_a_noservice_config_file_beside_the_exe_goes_along_into_the_verified_folder(host, api, exe):
    """With /noservice ccmsetup reads /config from the folder it runs from: the verified copy runs from its own
    folder, so a plain file name would point at nothing there."""
    (exe.parent / "settings.txt").write_text("[Client Install]\nInstall=INSTALL=ALL SMSSITECODE=P01\n")
    host.launch(exe, ["/noservice", "/config:settings.txt"], noservice=True)
    (_, file, _, directory), = [c for c in api.calls if c[0] == "runas"]
    assert (Path(directory) / "settings.txt").read_text() == (exe.parent / "settings.txt").read_text()


def test_a_service_mode_config_file_is_not_copied(host, api, exe):
    (exe.parent / "settings.txt").write_text("[Client Install]\n")  # the service reads %WinDir%\ccmsetup instead
    host.launch(exe, ["/config:settings.txt"], noservice=False)
    (_, file, _, directory), = [c for c in api.calls if c[0] == "runas"]
    assert sorted(p.name for p in Path(directory).iterdir()) == ["ccmsetup.exe"]


def test_retry_task_file_of_a_32_bit_python_is_looked_up_through_sysnative(host, api):
    """A 32-bit Python on 64-bit Windows sees SysWOW64 as System32, whose Tasks folder never holds the task: the
    native folder (Sysnative) decides, or an existing task reads as absent."""
    api.denied_keys.add(TASK_CACHE_TREE + RETRY_TASK_NAMES[0])
    parts = RETRY_TASK_NAMES[0].strip("\\").split("\\")
    api.windir().joinpath("System32", "Tasks").mkdir(parents=True)  # the redirected (SysWOW64) view: no task
    task_file = api.windir().joinpath("Sysnative", "Tasks", *parts)
    task_file.parent.mkdir(parents=True)
    task_file.write_text("<Task/>")
    assert host.retry_task_state().state == "present"
