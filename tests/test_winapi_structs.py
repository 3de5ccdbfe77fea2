"""The ctypes layer of the Windows host, on Linux: structure layouts against the documented Win32 sizes, and the
real `Win32Api` methods driven through fake DLL objects (call order, flags, handles closed exactly once)."""

from __future__ import annotations

import contextlib
import ctypes
import sys
import uuid
from types import SimpleNamespace

import pytest

from wizard.host import winapi

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="fake DLLs stand in for the real ones off Windows")

POINTER_SIZE = ctypes.sizeof(ctypes.c_void_p)


def _as_32bit(struct: type) -> type:
    """The same field list with every pointer-sized member 4 bytes wide: the layout of a 32-bit build."""
    base = ctypes.Union if issubclass(struct, ctypes.Union) else ctypes.Structure
    fields = []
    for name, ctype in struct._fields_:
        if issubclass(ctype, (ctypes.Structure, ctypes.Union)):
            ctype = _as_32bit(ctype)
        elif ctype in (ctypes.c_void_p, ctypes.c_wchar_p, ctypes.c_size_t) or issubclass(ctype, ctypes._Pointer):
            ctype = ctypes.c_uint32
        fields.append((name, ctype))
    namespace = {"_fields_": fields}
    if hasattr(struct, "_anonymous_"):
        namespace["_anonymous_"] = struct._anonymous_
    return type(struct.__name__ + "32", (base,), namespace)


@pytest.mark.skipif(POINTER_SIZE != 8, reason="64-bit layout")
@pytest.mark.parametrize(("struct", "size64", "size32"), [
    (winapi.SHELLEXECUTEINFOW, 112, 60),
    (winapi.WINTRUST_DATA, 88, 52),
    (winapi.WINTRUST_FILE_INFO, 32, 16),
    (winapi.GUID, 16, 16),
    (winapi.PROCESSENTRY32W, 568, 556),
    (winapi.SERVICE_STATUS, 28, 28),
    (winapi.TOKEN_ELEVATION, 4, 4),
    (winapi.FILETIME, 8, 8),
])
def test_structure_sizes_match_the_windows_sdk(struct, size64, size32):
    assert ctypes.sizeof(struct) == size64
    assert ctypes.sizeof(_as_32bit(struct)) == size32


@pytest.mark.skipif(POINTER_SIZE != 8, reason="64-bit layout")
def test_member_offsets_that_windows_writes_back():
    assert winapi.SHELLEXECUTEINFOW.hIcon.offset == 96  # the hIcon/hMonitor union is one pointer
    assert winapi.SHELLEXECUTEINFOW.hProcess.offset == 104
    assert winapi.WINTRUST_DATA.pFile.offset == 40
    assert winapi.WINTRUST_DATA.hWVTStateData.offset == 56
    assert winapi.WINTRUST_DATA.pSignatureSettings.offset == 80
    assert winapi.CRYPT_PROVIDER_SGNR.pasCertChain.offset == 16
    assert winapi.PROCESSENTRY32W.szExeFile.offset == 44


def test_generic_verify_v2_guid():
    guid = bytes(winapi.WINTRUST_ACTION_GENERIC_VERIFY_V2)
    assert guid == uuid.UUID("{00AAC56B-CD44-11d0-8CC2-00C04FC295EE}").bytes_le


def test_hresult_is_unsigned():
    assert winapi.hresult(winapi.TRUST_E_NOSIGNATURE - (1 << 32)) == 0x800B0100
    assert winapi.hresult(0) == 0


def _set_exe_name(entry: winapi.PROCESSENTRY32W, name: str) -> None:
    if winapi.WCHAR is ctypes.c_wchar:
        entry.szExeFile = name
        return
    for index, char in enumerate(name + "\0"):
        entry.szExeFile[index] = ord(char)


def test_wchar_array_text_stops_at_nul():
    entry = winapi.PROCESSENTRY32W()
    _set_exe_name(entry, "ccmsetup.exe.bak")
    _set_exe_name(entry, "Straße.exe")
    assert winapi.wchar_array_text(entry.szExeFile) == "Straße.exe"


# -- the real Win32Api over fake DLLs -------------------------------------------------------------------------


@pytest.fixture
def last_error(monkeypatch):
    """ctypes.get_last_error / WinError exist only on Windows: stand-ins that tests can steer."""
    state = SimpleNamespace(code=0)
    monkeypatch.setattr(ctypes, "get_last_error", lambda: state.code, raising=False)
    monkeypatch.setattr(ctypes, "WinError", lambda code=None: OSError(f"Windows error {code}"), raising=False)
    return state


def _api(**dlls) -> winapi.Win32Api:
    api = winapi.Win32Api.__new__(winapi.Win32Api)
    for name in ("kernel32", "advapi32", "shell32", "user32", "ole32", "wintrust", "crypt32"):
        setattr(api, name, SimpleNamespace(**dlls.get(name, {})))
    return api


class Kernel32:
    def __init__(self):
        self.closed: list[int] = []

    def CloseHandle(self, handle):  # noqa: N802 (Win32 name)
        self.closed.append(getattr(handle, "value", handle))
        return 1

    def as_dict(self, **more):
        return {"CloseHandle": self.CloseHandle, **more}


def test_winverifytrust_verify_then_close_and_signer_name(last_error):
    calls = []
    signer = winapi.CRYPT_PROVIDER_SGNR(csCertChain=2)
    cert = winapi.CRYPT_PROVIDER_CERT(pCert=0x77)

    def verify(hwnd, action, data_ref):
        data = data_ref._obj
        calls.append((data.dwStateAction, hwnd, bytes(action._obj)))
        if data.dwStateAction == winapi.WTD_STATEACTION_VERIFY:
            assert data.cbStruct == ctypes.sizeof(winapi.WINTRUST_DATA)
            assert data.dwUIChoice == winapi.WTD_UI_NONE
            assert data.fdwRevocationChecks == winapi.WTD_REVOKE_NONE
            assert data.dwUnionChoice == winapi.WTD_CHOICE_FILE
            assert data.pFile.contents.cbStruct == ctypes.sizeof(winapi.WINTRUST_FILE_INFO)
            assert data.pFile.contents.pcwszFilePath == r"C:\Client\ccmsetup.exe"
            data.hWVTStateData = 0x55
            return winapi.TRUST_E_SUBJECT_NOT_TRUSTED - (1 << 32)  # a LONG comes back signed
        assert data.hWVTStateData == 0x55
        return 0

    def name_string(cert_context, kind, flags, para, buffer, size):
        assert (cert_context, kind) == (0x77, winapi.CERT_NAME_SIMPLE_DISPLAY_TYPE)
        assert size == len(buffer)
        buffer.value = "Microsoft Corporation"
        return len("Microsoft Corporation") + 1

    api = _api(
        wintrust={"WinVerifyTrust": verify,
                  "WTHelperProvDataFromStateData": lambda state: 0x99 if state == 0x55 else 0,
                  "WTHelperGetProvSignerFromChain": lambda prov, index, counter, cindex: ctypes.pointer(signer),
                  "WTHelperGetProvCertFromChain": lambda sgnr, index: ctypes.pointer(cert) if index == 0 else None},
        crypt32={"CertGetNameStringW": name_string},
    )
    code, name = api.verify_trust(r"C:\Client\ccmsetup.exe")
    assert code == winapi.TRUST_E_SUBJECT_NOT_TRUSTED
    assert name == "Microsoft Corporation"
    guid = bytes(winapi.WINTRUST_ACTION_GENERIC_VERIFY_V2)
    assert calls == [(winapi.WTD_STATEACTION_VERIFY, winapi.INVALID_HANDLE_VALUE, guid),
                     (winapi.WTD_STATEACTION_CLOSE, winapi.INVALID_HANDLE_VALUE, guid)]


def test_winverifytrust_state_is_closed_even_when_reading_the_signer_fails(last_error):
    actions = []

    def verify(hwnd, action, data_ref):
        actions.append(data_ref._obj.dwStateAction)
        data_ref._obj.hWVTStateData = 0x55
        return 0

    def broken(state):
        raise OSError("provider data unavailable")

    api = _api(wintrust={"WinVerifyTrust": verify, "WTHelperProvDataFromStateData": broken})
    with pytest.raises(OSError):
        api.verify_trust("x.exe")
    assert actions == [winapi.WTD_STATEACTION_VERIFY, winapi.WTD_STATEACTION_CLOSE]


def _windows(foreground=0x500, owner_pid=4242, console=None):
    """user32/kernel32 fakes for the owner window: our process is 4242."""
    def thread_process_id(window, pid_ref):
        pid_ref._obj.value = owner_pid
        return 1

    user32 = {"GetForegroundWindow": lambda: foreground, "GetWindowThreadProcessId": thread_process_id}
    kernel32 = {"GetCurrentProcessId": lambda: 4242, "GetConsoleWindow": lambda: console}
    return user32, kernel32


@pytest.mark.parametrize(("foreground", "owner_pid", "console", "expected"), [
    (0x500, 4242, None, 0x500),  # the wizard's own window: the UAC prompt comes to the front
    (0x600, 999, 0x600, 0x600),  # the CLI's console window (owned by conhost / the terminal)
    (0x700, 999, 0x600, None),  # someone else's window: no owner rather than a foreign one
    (0, 4242, None, None),
])
def test_runas_owner_window(last_error, foreground, owner_pid, console, expected):
    seen = []
    user32, kernel32 = _windows(foreground, owner_pid, console)
    api = _api(shell32={"ShellExecuteExW": lambda info_ref: seen.append(info_ref._obj.hwnd) or 1},
               user32=user32, kernel32=kernel32,
               ole32={"CoInitializeEx": lambda reserved, flags: 0, "CoUninitialize": lambda: None})
    api.shell_execute_runas("ccmsetup.exe", "", None)
    assert seen == [expected]


def test_runas_structure_flags_and_process_handle(last_error):
    com = []
    user32, kernel32 = _windows()

    def execute(info_ref):
        info = info_ref._obj
        assert info.cbSize == ctypes.sizeof(winapi.SHELLEXECUTEINFOW)
        assert info.fMask & winapi.SEE_MASK_NOCLOSEPROCESS
        assert (info.lpVerb, info.lpFile, info.lpParameters, info.lpDirectory) == \
            ("runas", r"C:\Client Files\ccmsetup.exe", "/mp:mp01 SMSSITECODE=P01", r"C:\Client Files")
        info.hProcess = 0x1234
        return 1

    api = _api(shell32={"ShellExecuteExW": execute}, user32=user32, kernel32=kernel32,
               ole32={"CoInitializeEx": lambda reserved, flags: com.append(("init", flags)) or 1,  # S_FALSE
                      "CoUninitialize": lambda: com.append(("uninit",))})
    assert api.shell_execute_runas(r"C:\Client Files\ccmsetup.exe", "/mp:mp01 SMSSITECODE=P01",
                                   r"C:\Client Files") == (True, 0, 0x1234)
    assert com == [("init", winapi.COINIT_APARTMENTTHREADED | winapi.COINIT_DISABLE_OLE1DDE), ("uninit",)]


def test_runas_cancel_reports_last_error_and_leaves_foreign_com_alone(last_error):
    uninit = []
    last_error.code = winapi.ERROR_CANCELLED
    user32, kernel32 = _windows()
    api = _api(shell32={"ShellExecuteExW": lambda info_ref: 0}, user32=user32, kernel32=kernel32,
               ole32={"CoInitializeEx": lambda reserved, flags: 0x80010106 - (1 << 32),  # RPC_E_CHANGED_MODE
                      "CoUninitialize": lambda: uninit.append(1)})
    assert api.shell_execute_runas("ccmsetup.exe", "", None) == (False, winapi.ERROR_CANCELLED, None)
    assert uninit == []


def test_null_process_handle_on_success_is_none(last_error):
    user32, kernel32 = _windows()
    api = _api(shell32={"ShellExecuteExW": lambda info_ref: 1}, user32=user32, kernel32=kernel32,
               ole32={"CoInitializeEx": lambda reserved, flags: 0, "CoUninitialize": lambda: None})
    assert api.shell_execute_runas("ccmsetup.exe", "", None) == (True, 0, None)


def test_wait_failure_raises_and_exit_code_259_is_kept(last_error):
    def exit_code(handle, code_ref):
        code_ref._obj.value = winapi.STILL_ACTIVE  # a process that really exited with 259
        return 1

    api = _api(kernel32={"WaitForSingleObject": lambda handle, ms: winapi.WAIT_FAILED,
                         "GetExitCodeProcess": exit_code})
    with pytest.raises(OSError):
        api.wait_process(0x1234, 100)
    assert api.exit_code(0x1234) == 259


def test_elevation_token_is_read_and_closed_once(last_error):
    kernel = Kernel32()

    def open_token(process, access, token_ref):
        assert access == winapi.TOKEN_QUERY
        token_ref._obj.value = 0x30
        return 1

    def token_info(token, info_class, buffer_ref, size, returned_ref):
        assert (token.value, info_class, size) == (0x30, winapi.TOKEN_ELEVATION_CLASS, 4)
        buffer_ref._obj.TokenIsElevated = 1
        return 1

    api = _api(kernel32=kernel.as_dict(GetCurrentProcess=lambda: winapi.INVALID_HANDLE_VALUE),
               advapi32={"OpenProcessToken": open_token, "GetTokenInformation": token_info})
    assert api.is_elevated() is True
    assert kernel.closed == [0x30]


def test_elevation_query_failure_still_closes_the_token(last_error):
    kernel = Kernel32()

    def open_token(process, access, token_ref):
        token_ref._obj.value = 0x31
        return 1

    api = _api(kernel32=kernel.as_dict(GetCurrentProcess=lambda: winapi.INVALID_HANDLE_VALUE),
               advapi32={"OpenProcessToken": open_token, "GetTokenInformation": lambda *args: 0})
    with pytest.raises(OSError):
        api.is_elevated()
    assert kernel.closed == [0x31]


def test_process_snapshot_matches_image_name_and_closes_once(last_error):
    kernel = Kernel32()
    table = [(4, "System"), (312, "CCMSETUP.EXE"), (500, "ccmsetup.exe.bak"), (4100, "ccmsetup.exe")]
    position = {"next": 0}

    def fill(snapshot, entry_ref):
        assert snapshot == 0x10
        entry = entry_ref._obj
        assert entry.dwSize == ctypes.sizeof(winapi.PROCESSENTRY32W)
        if position["next"] >= len(table):
            return 0
        entry.th32ProcessID, name = table[position["next"]]
        _set_exe_name(entry, name)
        position["next"] += 1
        return 1

    api = _api(kernel32=kernel.as_dict(CreateToolhelp32Snapshot=lambda flags, pid: 0x10,
                                       Process32FirstW=fill, Process32NextW=fill))
    assert api.process_ids("ccmsetup.exe") == [312, 4100]
    assert kernel.closed == [0x10]


def test_invalid_snapshot_raises_without_closing(last_error):
    kernel = Kernel32()
    api = _api(kernel32=kernel.as_dict(CreateToolhelp32Snapshot=lambda flags, pid: winapi.INVALID_HANDLE_VALUE))
    with pytest.raises(OSError):
        api.process_ids("ccmsetup.exe")
    assert kernel.closed == []


def _service_api(closed: list, states: dict):
    def open_service(manager, name, access):
        assert (manager, access) == (0x20, winapi.SERVICE_QUERY_STATUS)
        return 0x21 if name in states else 0

    def query(service, status_ref):
        status_ref._obj.dwCurrentState = states["CcmExec"]
        return 1

    return _api(advapi32={"OpenSCManagerW": lambda machine, database, access: 0x20,
                          "OpenServiceW": open_service, "QueryServiceStatus": query,
                          "CloseServiceHandle": lambda handle: closed.append(handle) or 1})


def test_service_state_closes_both_handles(last_error):
    closed: list[int] = []
    assert _service_api(closed, {"CcmExec": 4}).service_state("CcmExec") == 4
    assert closed == [0x21, 0x20]


def test_missing_service_is_none_and_the_manager_is_closed(last_error):
    closed: list[int] = []
    last_error.code = winapi.ERROR_SERVICE_DOES_NOT_EXIST
    assert _service_api(closed, {}).service_state("ccmsetup") is None
    assert closed == [0x20]


def test_service_access_denied_raises(last_error):
    closed: list[int] = []
    last_error.code = 5
    with pytest.raises(OSError):
        _service_api(closed, {}).service_state("ccmsetup")
    assert closed == [0x20]


def test_disk_free_is_the_space_available_to_the_caller(last_error):
    def free_space(path, available_ref, total_ref, free_ref):
        assert path == "C:\\"
        available_ref._obj.value, total_ref._obj.value, free_ref._obj.value = 10 * 2**30, 100 * 2**30, 12 * 2**30
        return 1

    api = _api(kernel32={"GetDiskFreeSpaceExW": free_space})
    assert api.disk_free("C:\\") == 10 * 2**30


def test_module_imports_off_windows_and_refuses_to_load_dlls():
    assert not hasattr(ctypes, "windll")
    with pytest.raises(OSError, match="only runs on Windows"):
        winapi.Win32Api()


class FakeWinreg:
    """The winreg calls Win32Api makes, over a dict of (root, subkey) -> {name: (value, type)}."""

    HKEY_LOCAL_MACHINE, HKEY_CURRENT_USER = 0x80000002, 0x80000001
    KEY_READ, REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ = 0x20019, 1, 2, 7

    def __init__(self, keys):
        self.keys = keys
        self.opened: list[tuple] = []

    def OpenKey(self, root, sub, reserved, access):  # noqa: N802 (winreg name)
        self.opened.append((root, sub, access))
        if (root, sub) not in self.keys:
            raise FileNotFoundError(sub)
        return contextlib.nullcontext((root, sub))

    def QueryValueEx(self, handle, name):  # noqa: N802
        try:
            return self.keys[handle][name]
        except KeyError:
            raise FileNotFoundError(name) from None

    def ExpandEnvironmentStrings(self, text):  # noqa: N802
        return text.replace("%WinDir%", r"C:\Windows")


def test_registry_reads_the_64_bit_view_and_expands_expand_sz(monkeypatch):
    fake = FakeWinreg({
        (FakeWinreg.HKEY_LOCAL_MACHINE, r"SOFTWARE\Microsoft\SMS\Mobile Client"):
            {"ProductVersion": ("5.00.9132.1011", FakeWinreg.REG_SZ)},
        (FakeWinreg.HKEY_LOCAL_MACHINE, r"SOFTWARE\Microsoft\CCM\Logging\@Global"):
            {"LogDirectory": (r"%WinDir%\CCM\Logs", FakeWinreg.REG_EXPAND_SZ)},
    })
    monkeypatch.setitem(sys.modules, "winreg", fake)
    api = _api()
    assert api.reg_value(r"HKLM\SOFTWARE\Microsoft\SMS\Mobile Client", "ProductVersion") == "5.00.9132.1011"
    assert api.reg_value(r"HKLM\SOFTWARE\Microsoft\CCM\Logging\@Global", "LogDirectory") == r"C:\Windows\CCM\Logs"
    assert api.reg_value(r"HKLM\SOFTWARE\Microsoft\CCMSetup", "LastValidMP") is None
    assert api.reg_key_exists(r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\SMS\Mobile Client")
    assert not api.reg_key_exists(r"HKLM\SOFTWARE\Microsoft\CCM")
    # a 32-bit Python would otherwise be redirected to SOFTWARE\WOW6432Node
    assert all(access == FakeWinreg.KEY_READ | winapi.KEY_WOW64_64KEY for _, _, access in fake.opened)
