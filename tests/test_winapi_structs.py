"""The ctypes layer of the Windows host, on Linux: structure layouts against the documented Win32 sizes, and the
real `Win32Api` methods driven through fake DLL objects (call order, flags, handles closed exactly once)."""

from __future__ import annotations

import contextlib
import ctypes
import sys
import uuid
from types import SimpleNamespace

import pytest

from wizard.host import winapi, wincrypt

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
    (winapi.SECURITY_ATTRIBUTES, 24, 12),
    (winapi.SID_AND_ATTRIBUTES, 16, 8),
    (wincrypt.CERT_CONTEXT, 40, 20),
    (wincrypt.CERT_CHAIN_PARA, 96, 52),
    (wincrypt.CERT_ENHKEY_USAGE, 16, 8),
    (wincrypt.CERT_USAGE_MATCH, 24, 12),
    (wincrypt.CERT_CHAIN_POLICY_PARA, 16, 12),
    (wincrypt.CERT_CHAIN_POLICY_STATUS, 24, 20),
    (wincrypt.CERT_TRUST_STATUS, 8, 8),
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
    for name in ("kernel32", "advapi32", "shell32", "user32", "ole32", "wintrust", "crypt32", "mpr"):
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
    (0x600, 999, 0x600, 0x600),  # the CLI's console window (owned by conhost)
    # Windows Terminal: GetConsoleWindow is a hidden pseudo-console window; the terminal window in front (another
    # process) hosts the CLI, and owning the prompt by it brings the prompt to the front (issue 10, defect 10)
    (0x700, 999, 0x600, 0x700),
    (0, 999, 0x600, 0x600),  # a console program with nothing in front: its console window
    (0x700, 999, None, None),  # the wizard while someone else's window is in front: no foreign owner
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


# -- issue 10: UNC names, the protected copy, certificates and the chain engine --------------------------------


def test_universal_name_grows_the_buffer_and_reads_the_pointer(last_error):
    calls = []

    def get_universal_name(path, level, buffer, size_ref):
        calls.append(size_ref._obj.value)
        assert (path, level) == (r"Z:\Client\ccmsetup.exe", winapi.UNIVERSAL_NAME_INFO_LEVEL)
        if size_ref._obj.value < 2048:
            size_ref._obj.value = 2048
            return winapi.ERROR_MORE_DATA
        text = ctypes.create_unicode_buffer(r"\\fs01\Deploy\Client\ccmsetup.exe")
        base = ctypes.addressof(buffer)
        ctypes.memmove(base + 16, text, ctypes.sizeof(text))
        ctypes.c_void_p.from_address(base).value = base + 16  # UNIVERSAL_NAME_INFOW.lpUniversalName
        return winapi.NO_ERROR

    api = _api(mpr={"WNetGetUniversalNameW": get_universal_name})
    assert api.universal_name(r"Z:\Client\ccmsetup.exe") == r"\\fs01\Deploy\Client\ccmsetup.exe"
    assert calls == [1024, 2048]


@pytest.mark.parametrize("code", [winapi.ERROR_NOT_CONNECTED, winapi.ERROR_NO_NET_OR_BAD_PATH])
def test_universal_name_of_a_local_drive_is_none(last_error, code):
    api = _api(mpr={"WNetGetUniversalNameW": lambda *args: code})
    assert api.universal_name(r"C:\Client") is None


def test_logical_drives_from_the_bitmask(last_error):
    api = _api(kernel32={"GetLogicalDrives": lambda: 0b100 | (1 << 25)})
    assert api.logical_drives() == ["C:", "Z:"]


def test_private_folder_gets_a_protected_dacl_for_user_admins_and_system(last_error):
    kernel = Kernel32()
    seen = {}
    sid = ctypes.create_unicode_buffer("S-1-5-21-1-2-3-1001")

    def open_token(process, access, token_ref):
        token_ref._obj.value = 0x40
        return 1

    def token_info(token, info_class, buffer, size, returned_ref):
        assert info_class == winapi.TOKEN_USER_CLASS
        returned_ref._obj.value = 64
        return 0 if buffer is None else 1

    def sid_to_text(psid, text_ref):
        text_ref._obj.value = sid.value
        return 1

    def to_descriptor(sddl, revision, descriptor_ref, size):
        seen["sddl"] = sddl
        descriptor_ref._obj.value = 0x77
        return 1

    def create_directory(path, attributes_ref):
        attributes = attributes_ref._obj
        seen["dir"] = (path, attributes.nLength, attributes.lpSecurityDescriptor)
        return 1

    freed = []
    api = _api(kernel32=kernel.as_dict(GetCurrentProcess=lambda: -1, CreateDirectoryW=create_directory,
                                       LocalFree=lambda pointer: freed.append(getattr(pointer, "value", pointer))),
               advapi32={"OpenProcessToken": open_token, "GetTokenInformation": token_info,
                         "ConvertSidToStringSidW": sid_to_text,
                         "ConvertStringSecurityDescriptorToSecurityDescriptorW": to_descriptor})
    api.create_private_dir(r"C:\Users\alex\AppData\Local\ccmsetup-wizard\verified-1")
    assert seen["sddl"] == "D:P(A;OICI;FA;;;S-1-5-21-1-2-3-1001)(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)"
    assert seen["dir"] == (r"C:\Users\alex\AppData\Local\ccmsetup-wizard\verified-1",
                           ctypes.sizeof(winapi.SECURITY_ATTRIBUTES), 0x77)
    assert 0x77 in freed and kernel.closed == [0x40]


def test_lock_file_shares_read_only(last_error):
    opened = []

    def create_file(path, access, share, security, disposition, flags, template):
        opened.append((path, access, share, disposition))
        return 0x88

    api = _api(kernel32={"CreateFileW": create_file})
    assert api.lock_file(r"C:\x\ccmsetup.exe") == 0x88
    assert opened == [(r"C:\x\ccmsetup.exe", winapi.GENERIC_READ, winapi.FILE_SHARE_READ, winapi.OPEN_EXISTING)]
    api = _api(kernel32={"CreateFileW": lambda *args: winapi.INVALID_HANDLE_VALUE})
    with pytest.raises(OSError):
        api.lock_file("x")


def test_verify_trust_passes_the_locked_handle(last_error):
    seen = []

    def verify(hwnd, action, data_ref):
        data = data_ref._obj
        if data.dwStateAction == winapi.WTD_STATEACTION_VERIFY:
            seen.append(data.pFile.contents.hFile)
        return 0

    api = _api(wintrust={"WinVerifyTrust": verify})
    api.verify_trust(r"C:\x\ccmsetup.exe", 0x88)
    assert seen == [0x88]


def _filetime(moment) -> winapi.FILETIME:
    import datetime

    ticks = int((moment - datetime.datetime(1601, 1, 1, tzinfo=datetime.UTC)).total_seconds() * 10_000_000)
    return winapi.FILETIME(ticks & 0xFFFFFFFF, ticks >> 32)


def test_machine_store_enumeration_reads_names_dates_eku_key_and_chain(last_error):
    import datetime

    not_after = datetime.datetime(2031, 3, 1, 8, 0, tzinfo=datetime.UTC)
    info = wincrypt.CERT_INFO(NotBefore=_filetime(not_after - datetime.timedelta(days=365)),
                              NotAfter=_filetime(not_after))
    context = wincrypt.CERT_CONTEXT(pCertInfo=ctypes.pointer(info))
    chain = wincrypt.CERT_CHAIN_CONTEXT(TrustStatus=wincrypt.CERT_TRUST_STATUS(wincrypt.CERT_TRUST_IS_UNTRUSTED_ROOT, 0))
    oids = (ctypes.c_char_p * 2)(b"1.3.6.1.5.5.7.3.1", b"1.3.6.1.5.5.7.3.2")
    log = []

    def open_store(provider, encoding, prov, flags, name):
        log.append(("open", provider.value, flags, name))
        return 0x50

    def enum(store, previous):
        if previous:
            return None
        return ctypes.pointer(context)

    def names(ctx, kind, flags, para, buffer, size):
        buffer.value = "Contoso Issuing CA 01" if flags & wincrypt.CERT_NAME_ISSUER_FLAG else "PC01.contoso.com"
        return len(buffer.value) + 1

    def prop(ctx, prop_id, buffer, size_ref):
        if prop_id == wincrypt.CERT_SHA1_HASH_PROP_ID:
            if buffer is not None:
                ctypes.memmove(buffer, bytes(range(20)), 20)
            size_ref._obj.value = 20
            return 1
        return 1 if prop_id == wincrypt.CERT_KEY_PROV_INFO_PROP_ID else 0

    def eku(ctx, flags, buffer, size_ref):
        size_ref._obj.value = ctypes.sizeof(wincrypt.CERT_ENHKEY_USAGE)
        if buffer is not None:
            usage = wincrypt.CERT_ENHKEY_USAGE.from_buffer(buffer)
            usage.cUsageIdentifier = 2
            usage.rgpszUsageIdentifier = ctypes.cast(oids, ctypes.POINTER(ctypes.c_char_p))
        return 1

    def get_chain(engine, ctx, time, store, para_ref, flags, reserved, chain_ref):
        assert engine == wincrypt.HCCE_LOCAL_MACHINE and store == 0x50
        assert flags == wincrypt.CERT_CHAIN_CACHE_ONLY_URL_RETRIEVAL  # no network while listing
        assert para_ref._obj.cbSize == ctypes.sizeof(wincrypt.CERT_CHAIN_PARA)
        chain_ref._obj.contents = chain
        return 1

    api = _api(crypt32={"CertOpenStore": open_store, "CertEnumCertificatesInStore": enum,
                        "CertGetNameStringW": names, "CertGetCertificateContextProperty": prop,
                        "CertGetEnhancedKeyUsage": eku, "CertGetCertificateChain": get_chain,
                        "CertFreeCertificateChain": lambda c: log.append("free chain"),
                        "CertCloseStore": lambda store, flags: log.append(("close", store)) or 1})
    (cert,) = api.machine_certificates("MY")
    assert (cert.subject, cert.issuer) == ("PC01.contoso.com", "Contoso Issuing CA 01")
    assert cert.thumbprint == bytes(range(20)).hex().upper()
    assert cert.not_after == not_after
    assert cert.ekus == ("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2")
    assert cert.has_private_key and cert.chain_error_status == wincrypt.CERT_TRUST_IS_UNTRUSTED_ROOT
    assert log[0] == ("open", wincrypt.CERT_STORE_PROV_SYSTEM_W, wincrypt.CERT_SYSTEM_STORE_LOCAL_MACHINE
                      | wincrypt.CERT_STORE_READONLY_FLAG | wincrypt.CERT_STORE_OPEN_EXISTING_FLAG, "MY")
    assert log[1:] == ["free chain", ("close", 0x50)]


def test_certificate_without_eku_extension_is_valid_for_all_not_listed(last_error):
    last_error.code = wincrypt.CRYPT_E_NOT_FOUND - (1 << 32)  # as a signed DWORD from GetLastError
    api = _api(crypt32={"CertGetEnhancedKeyUsage": lambda ctx, flags, buffer, size_ref: 0})
    assert api._enhanced_key_usage(None) is None


def test_chain_revocation_flags_timeout_policy_and_frees(last_error):
    chain = wincrypt.CERT_CHAIN_CONTEXT(TrustStatus=wincrypt.CERT_TRUST_STATUS(
        wincrypt.CERT_TRUST_IS_OFFLINE_REVOCATION | wincrypt.CERT_TRUST_REVOCATION_STATUS_UNKNOWN, 0))
    context = wincrypt.CERT_CONTEXT()
    log = []

    def create(encoding, data, size):
        assert encoding == wincrypt.X509_ASN_ENCODING | wincrypt.PKCS_7_ASN_ENCODING
        assert bytes(data) == b"DER!" and size == 4
        return ctypes.pointer(context)

    def get_chain(engine, ctx, time, store, para_ref, flags, reserved, chain_ref):
        log.append(("chain", engine, flags, para_ref._obj.dwUrlRetrievalTimeout))
        chain_ref._obj.contents = chain
        return 1

    def policy(kind, chain_ptr, para_ref, status_ref):
        assert kind.value == wincrypt.CERT_CHAIN_POLICY_BASE
        status_ref._obj.dwError = 0x80092013
        return 1

    api = _api(crypt32={"CertCreateCertificateContext": create, "CertGetCertificateChain": get_chain,
                        "CertVerifyCertificateChainPolicy": policy,
                        "CertFreeCertificateChain": lambda c: log.append("free chain"),
                        "CertFreeCertificateContext": lambda c: log.append("free context") or 1})
    status, error = api.chain_revocation(b"DER!", 5000)
    assert status & wincrypt.CERT_TRUST_IS_OFFLINE_REVOCATION and error == 0x80092013
    assert log == [("chain", wincrypt.HCCE_LOCAL_MACHINE, wincrypt.CERT_CHAIN_REVOCATION_CHECK_CHAIN_EXCLUDE_ROOT
                    | wincrypt.CERT_CHAIN_REVOCATION_ACCUMULATIVE_TIMEOUT, 5000), "free chain", "free context"]
