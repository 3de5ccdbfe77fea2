"""The thin Windows layer: every ctypes / winreg / subprocess call the Windows host makes, and nothing else.

`WindowsHost` takes any object with these methods, so its decisions are tested on Linux with a fake. This module
imports on every platform; the DLLs are loaded only when `Win32Api()` is constructed (on Windows).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Protocol

from wizard.host.wincrypt import FILETIME, CertStoreApi, StoreCertificate, declare_crypt32

# -- Win32 scalar types, fixed width ------------------------------------------------------------------------
# ctypes.wintypes maps DWORD/BOOL/ULONG to c_ulong/c_long: right on Windows (LLP64), 8 bytes on 64-bit Linux.
# Fixed-width types give the Windows layout on every platform, so the structure sizes are tested on Linux.
DWORD = ctypes.c_uint32
ULONG = ctypes.c_uint32
LONG = ctypes.c_int32
BOOL = ctypes.c_int32
UINT = ctypes.c_uint32
WORD = ctypes.c_uint16
ULONGLONG = ctypes.c_uint64
HANDLE = ctypes.c_void_p  # also HWND, HINSTANCE, HKEY, SC_HANDLE, LPVOID: pointer-sized
LPCWSTR = ctypes.c_wchar_p
# WCHAR is 16-bit on Windows; c_wchar is 32-bit on Linux, so arrays of it use c_uint16 there
WCHAR = ctypes.c_wchar if ctypes.sizeof(ctypes.c_wchar) == 2 else ctypes.c_uint16
MAX_PATH = 260

# -- constants ----------------------------------------------------------------------------------------------

SEE_MASK_NOCLOSEPROCESS = 0x00000040
SEE_MASK_NOASYNC = 0x00000100
SEE_MASK_FLAG_NO_UI = 0x00000400
SW_HIDE = 0
ERROR_CANCELLED = 1223
ERROR_SERVICE_DOES_NOT_EXIST = 1060
WAIT_OBJECT_0 = 0x0
WAIT_TIMEOUT = 0x102
WAIT_FAILED = 0xFFFFFFFF
INFINITE = 0xFFFFFFFF
STILL_ACTIVE = 259
TOKEN_QUERY = 0x0008
TOKEN_ELEVATION_CLASS = 20  # TOKEN_INFORMATION_CLASS.TokenElevation
SC_MANAGER_CONNECT = 0x0001
SERVICE_QUERY_STATUS = 0x0004
TH32CS_SNAPPROCESS = 0x00000002
CREATE_NO_WINDOW = 0x08000000
CERT_NAME_SIMPLE_DISPLAY_TYPE = 4
WTD_UI_NONE = 2
WTD_REVOKE_NONE = 0
WTD_CHOICE_FILE = 1
WTD_STATEACTION_VERIFY = 1
WTD_STATEACTION_CLOSE = 2
WTD_CACHE_ONLY_URL_RETRIEVAL = 0x00001000
KEY_WOW64_64KEY = 0x0100
DRIVE_NO_ROOT_DIR = 1
DRIVE_REMOTE = 4
DRIVE_FIXED = 3
UNIVERSAL_NAME_INFO_LEVEL = 1
NO_ERROR = 0
ERROR_MORE_DATA = 234
ERROR_NOT_CONNECTED = 2250
ERROR_NO_NET_OR_BAD_PATH = 1203
ERROR_NO_NETWORK = 1222
ERROR_BAD_DEVICE = 1200
ERROR_CONNECTION_UNAVAIL = 1201
ERROR_NOT_SUPPORTED = 50
GENERIC_READ = 0x80000000
FILE_SHARE_READ = 0x00000001
OPEN_EXISTING = 3
FILE_ATTRIBUTE_NORMAL = 0x80
TOKEN_USER_CLASS = 1  # TOKEN_INFORMATION_CLASS.TokenUser
SDDL_REVISION_1 = 1
COINIT_APARTMENTTHREADED = 0x2
COINIT_DISABLE_OLE1DDE = 0x4
S_OK = 0
S_FALSE = 1
INVALID_HANDLE_VALUE = ctypes.c_void_p(-1).value

# WinVerifyTrust results (HRESULTs as unsigned 32-bit)
TRUST_E_NOSIGNATURE = 0x800B0100
TRUST_E_SUBJECT_FORM_UNKNOWN = 0x800B0003
TRUST_E_PROVIDER_UNKNOWN = 0x800B0001
TRUST_E_ACTION_UNKNOWN = 0x800B0002
TRUST_E_BAD_DIGEST = 0x80096010
TRUST_E_CERT_SIGNATURE = 0x80096004
TRUST_E_NO_SIGNER_CERT = 0x80096002
TRUST_E_TIME_STAMP = 0x80096005
TRUST_E_FAIL = 0x800B010B
TRUST_E_EXPLICIT_DISTRUST = 0x800B0111
TRUST_E_SUBJECT_NOT_TRUSTED = 0x800B0004
CERT_E_UNTRUSTEDROOT = 0x800B0109
CERT_E_UNTRUSTEDTESTROOT = 0x800B010D
CERT_E_CHAINING = 0x800B010A
CERT_E_EXPIRED = 0x800B0101
CERT_E_REVOKED = 0x800B010C
CERT_E_REVOCATION_FAILURE = 0x800B010E
CERT_E_WRONG_USAGE = 0x800B0110
CRYPT_E_SECURITY_SETTINGS = 0x80092026
CRYPT_E_FILE_ERROR = 0x80092003
E_ACCESSDENIED = 0x80070005
HRESULT_SHARING_VIOLATION = 0x80070020


# -- structures ---------------------------------------------------------------------------------------------


class _IconOrMonitor(ctypes.Union):
    _fields_ = [("hIcon", HANDLE), ("hMonitor", HANDLE)]


class SHELLEXECUTEINFOW(ctypes.Structure):
    """shellapi.h; 112 bytes on 64-bit, 60 on 32-bit."""

    _anonymous_ = ("DUMMYUNIONNAME",)
    _fields_ = [
        ("cbSize", DWORD),
        ("fMask", ULONG),
        ("hwnd", HANDLE),
        ("lpVerb", LPCWSTR),
        ("lpFile", LPCWSTR),
        ("lpParameters", LPCWSTR),
        ("lpDirectory", LPCWSTR),
        ("nShow", ctypes.c_int),
        ("hInstApp", HANDLE),
        ("lpIDList", ctypes.c_void_p),
        ("lpClass", LPCWSTR),
        ("hkeyClass", HANDLE),
        ("dwHotKey", DWORD),
        ("DUMMYUNIONNAME", _IconOrMonitor),
        ("hProcess", HANDLE),
    ]


class GUID(ctypes.Structure):
    _fields_ = [("Data1", DWORD), ("Data2", WORD), ("Data3", WORD), ("Data4", ctypes.c_ubyte * 8)]


# {00AAC56B-CD44-11d0-8CC2-00C04FC295EE}
WINTRUST_ACTION_GENERIC_VERIFY_V2 = GUID(
    0x00AAC56B, 0xCD44, 0x11D0, (ctypes.c_ubyte * 8)(0x8C, 0xC2, 0x00, 0xC0, 0x4F, 0xC2, 0x95, 0xEE)
)


class WINTRUST_FILE_INFO(ctypes.Structure):  # noqa: N801 (Win32 name)
    """wintrust.h; 32 bytes on 64-bit, 16 on 32-bit."""

    _fields_ = [("cbStruct", DWORD), ("pcwszFilePath", LPCWSTR), ("hFile", HANDLE),
                ("pgKnownSubject", ctypes.POINTER(GUID))]


class WINTRUST_DATA(ctypes.Structure):  # noqa: N801 (Win32 name)
    """wintrust.h (Windows 8+ layout, with pSignatureSettings); 88 bytes on 64-bit, 52 on 32-bit."""

    _fields_ = [
        ("cbStruct", DWORD),
        ("pPolicyCallbackData", ctypes.c_void_p),
        ("pSIPClientData", ctypes.c_void_p),
        ("dwUIChoice", DWORD),
        ("fdwRevocationChecks", DWORD),
        ("dwUnionChoice", DWORD),
        ("pFile", ctypes.POINTER(WINTRUST_FILE_INFO)),  # union of pointers: one pointer wide
        ("dwStateAction", DWORD),
        ("hWVTStateData", HANDLE),
        ("pwszURLReference", ctypes.c_wchar_p),
        ("dwProvFlags", DWORD),
        ("dwUIContext", DWORD),
        ("pSignatureSettings", ctypes.c_void_p),
    ]


class CRYPT_PROVIDER_CERT(ctypes.Structure):  # noqa: N801 -- leading members only; read through a pointer
    _fields_ = [("cbStruct", DWORD), ("pCert", ctypes.c_void_p)]


class CRYPT_PROVIDER_SGNR(ctypes.Structure):  # noqa: N801 -- leading members only; read through a pointer
    _fields_ = [("cbStruct", DWORD), ("sftVerifyAsOf", FILETIME), ("csCertChain", DWORD),
                ("pasCertChain", ctypes.POINTER(CRYPT_PROVIDER_CERT))]


class TOKEN_ELEVATION(ctypes.Structure):  # noqa: N801 (Win32 name)
    _fields_ = [("TokenIsElevated", DWORD)]


class SID_AND_ATTRIBUTES(ctypes.Structure):  # noqa: N801 (Win32 name); TOKEN_USER is one of these
    _fields_ = [("Sid", ctypes.c_void_p), ("Attributes", DWORD)]


class SECURITY_ATTRIBUTES(ctypes.Structure):  # noqa: N801 (Win32 name)
    """minwinbase.h; 24 bytes on 64-bit, 12 on 32-bit."""

    _fields_ = [("nLength", DWORD), ("lpSecurityDescriptor", ctypes.c_void_p), ("bInheritHandle", BOOL)]


class SERVICE_STATUS(ctypes.Structure):  # noqa: N801 (Win32 name)
    _fields_ = [(name, DWORD) for name in (
        "dwServiceType", "dwCurrentState", "dwControlsAccepted", "dwWin32ExitCode",
        "dwServiceSpecificExitCode", "dwCheckPoint", "dwWaitHint")]


class PROCESSENTRY32W(ctypes.Structure):
    """tlhelp32.h; 568 bytes on 64-bit, 556 on 32-bit."""

    _fields_ = [
        ("dwSize", DWORD),
        ("cntUsage", DWORD),
        ("th32ProcessID", DWORD),
        ("th32DefaultHeapID", ctypes.c_size_t),  # ULONG_PTR
        ("th32ModuleID", DWORD),
        ("cntThreads", DWORD),
        ("th32ParentProcessID", DWORD),
        ("pcPriClassBase", LONG),
        ("dwFlags", DWORD),
        ("szExeFile", WCHAR * MAX_PATH),
    ]


def wchar_array_text(array: Any) -> str:
    """A NUL-terminated WCHAR[] field as str (c_wchar arrays read as str already; c_uint16 ones off Windows)."""
    if isinstance(array, str):
        return array
    units = bytes(array)
    end = next((i for i in range(0, len(units), 2) if units[i:i + 2] == b"\0\0"), len(units))
    return units[:end].decode("utf-16-le", errors="replace")


def hresult(code: int) -> int:
    """An HRESULT (a signed LONG from ctypes) as the unsigned 32-bit value the documentation prints."""
    return code & 0xFFFFFFFF


def choose_owner_window(foreground: int | None, foreground_is_ours: bool,
                        console: int | None) -> tuple[int | None, str]:
    """The window the UAC prompt is owned by, and why. Windows shows the prompt in front only when its owner is
    the foreground window; without one the prompt waits as a flashing taskbar button, and a technician may
    wait for nothing.

    - the wizard's own window in front: that one;
    - a console program (the CLI): the foreground window, which is the console the technician typed in, or,
      under Windows Terminal, the terminal window hosting our console (GetConsoleWindow then returns a hidden
      pseudo-console window that is never in front, so owning the prompt by it would leave it behind);
    - a console program with nothing in front: its console window;
    - the wizard while another program is in front: no owner (Windows flashes the prompt rather than the
      wizard stealing the front from someone else's window).
    """
    if foreground and foreground_is_ours:
        return foreground, "the wizard's window (in front)"
    if console:
        if foreground:
            how = "the console window (in front)" if foreground == console else \
                "the terminal window in front that hosts this console (e.g. Windows Terminal)"
            return foreground, how
        return console, "the console window (nothing else in front)"
    return None, "none: another program's window is in front, so Windows flashes the prompt in the taskbar"


class WinApi(Protocol):
    """What WindowsHost needs from Windows. Handles are opaque ints."""

    def is_elevated(self) -> bool: ...
    def shell_execute_runas(self, exe: str, parameters: str, directory: str | None) -> tuple[bool, int, int | None]:
        """(succeeded, last_error, hProcess or None)."""
    def create_process(self, command_line: str, directory: str | None) -> Any:
        """Start without elevation prompt (already elevated); returns a Popen-like object."""
    def wait_process(self, handle: int, timeout_ms: int) -> bool:
        """True once the process has ended; raises OSError when the wait itself fails."""
    def exit_code(self, handle: int) -> int | None:
        """Exit code of a process that has ended (None when Windows cannot tell)."""
    def close_handle(self, handle: int) -> None: ...
    def process_id(self, handle: int) -> int | None: ...
    def verify_trust(self, path: str, handle: int | None = None) -> tuple[int, str | None]:
        """(WinVerifyTrust HRESULT as unsigned, signer display name or None); with `handle`, the bytes of that open
        file are checked."""
    def reg_value(self, key: str, name: str) -> Any: ...
    def reg_key_exists(self, key: str) -> bool: ...
    def service_state(self, name: str) -> int | None:
        """SERVICE_STATUS.dwCurrentState, or None when the service does not exist."""
    def process_ids(self, image_name: str) -> list[int]: ...
    def run(self, args: list[str], timeout: float) -> tuple[int, bytes]: ...
    def oem_codepage(self) -> int: ...
    def drive_type(self, root: str) -> int: ...
    def logical_drives(self) -> list[str]: ...
    def universal_name(self, path: str) -> str | None:
        """WNetGetUniversalNameW: the UNC path of a path on a mapped drive, None when it is not mapped."""
    def reg_key_state(self, key: str) -> str:
        """"present", "absent" or "denied" (the key exists or not, but this account may not open it)."""
    def create_private_dir(self, path: str) -> None:
        """A new folder only this user, Administrators and SYSTEM may write (explicit, protected DACL)."""
    def lock_file(self, path: str) -> int:
        """Open `path` for reading, sharing read only: nobody can write, replace, rename or delete it meanwhile."""
    def unlock_file(self, handle: int) -> None: ...
    def owner_window(self) -> tuple[int | None, str]: ...
    def machine_certificates(self, store_name: str = "MY") -> list[StoreCertificate]: ...
    def chain_revocation(self, der: bytes, timeout_ms: int, *, cache_only: bool = False) -> tuple[int, int]: ...
    def disk_free(self, path: str) -> int: ...
    def windir(self) -> Path: ...
    def start_file(self, path: str) -> None: ...


class Win32Api(CertStoreApi):
    """The real layer. Construct only on Windows."""

    def __init__(self) -> None:
        if sys.platform != "win32":
            raise OSError("the Windows API layer only runs on Windows")
        self.kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        self.advapi32 = ctypes.WinDLL("advapi32", use_last_error=True)
        self.shell32 = ctypes.WinDLL("shell32", use_last_error=True)
        self.user32 = ctypes.WinDLL("user32", use_last_error=True)
        self.ole32 = ctypes.WinDLL("ole32", use_last_error=True)
        self.wintrust = ctypes.WinDLL("wintrust", use_last_error=True)
        self.crypt32 = ctypes.WinDLL("crypt32", use_last_error=True)
        self.mpr = ctypes.WinDLL("mpr", use_last_error=True)
        self._declare()

    def _declare(self) -> None:
        k, a, s, o, w, c = self.kernel32, self.advapi32, self.shell32, self.ole32, self.wintrust, self.crypt32
        u = self.user32
        H, D, B, P = HANDLE, DWORD, BOOL, ctypes.POINTER  # noqa: N806
        s.ShellExecuteExW.argtypes = [P(SHELLEXECUTEINFOW)]
        s.ShellExecuteExW.restype = B
        u.GetForegroundWindow.argtypes = []
        u.GetForegroundWindow.restype = H
        u.GetWindowThreadProcessId.argtypes = [H, P(D)]
        u.GetWindowThreadProcessId.restype = D
        k.GetConsoleWindow.argtypes = []
        k.GetConsoleWindow.restype = H
        k.GetCurrentProcessId.argtypes = []
        k.GetCurrentProcessId.restype = D
        o.CoInitializeEx.argtypes = [ctypes.c_void_p, D]
        o.CoInitializeEx.restype = LONG
        o.CoUninitialize.argtypes = []
        o.CoUninitialize.restype = None
        k.WaitForSingleObject.argtypes = [H, D]
        k.WaitForSingleObject.restype = D
        k.GetExitCodeProcess.argtypes = [H, P(D)]
        k.GetExitCodeProcess.restype = B
        k.GetProcessId.argtypes = [H]
        k.GetProcessId.restype = D
        k.CloseHandle.argtypes = [H]
        k.CloseHandle.restype = B
        k.GetCurrentProcess.argtypes = []
        k.GetCurrentProcess.restype = H
        k.CreateToolhelp32Snapshot.argtypes = [D, D]
        k.CreateToolhelp32Snapshot.restype = H
        k.Process32FirstW.argtypes = [H, P(PROCESSENTRY32W)]
        k.Process32FirstW.restype = B
        k.Process32NextW.argtypes = [H, P(PROCESSENTRY32W)]
        k.Process32NextW.restype = B
        k.GetOEMCP.argtypes = []
        k.GetOEMCP.restype = UINT
        k.GetDriveTypeW.argtypes = [LPCWSTR]
        k.GetDriveTypeW.restype = UINT
        k.GetDiskFreeSpaceExW.argtypes = [LPCWSTR, P(ULONGLONG), P(ULONGLONG), P(ULONGLONG)]
        k.GetDiskFreeSpaceExW.restype = B
        a.OpenProcessToken.argtypes = [H, D, P(H)]
        a.OpenProcessToken.restype = B
        a.GetTokenInformation.argtypes = [H, ctypes.c_int, ctypes.c_void_p, D, P(D)]
        a.GetTokenInformation.restype = B
        a.OpenSCManagerW.argtypes = [LPCWSTR, LPCWSTR, D]
        a.OpenSCManagerW.restype = H
        a.OpenServiceW.argtypes = [H, LPCWSTR, D]
        a.OpenServiceW.restype = H
        a.QueryServiceStatus.argtypes = [H, P(SERVICE_STATUS)]
        a.QueryServiceStatus.restype = B
        a.CloseServiceHandle.argtypes = [H]
        a.CloseServiceHandle.restype = B
        w.WinVerifyTrust.argtypes = [H, P(GUID), P(WINTRUST_DATA)]
        w.WinVerifyTrust.restype = LONG
        w.WTHelperProvDataFromStateData.argtypes = [H]
        w.WTHelperProvDataFromStateData.restype = ctypes.c_void_p
        w.WTHelperGetProvSignerFromChain.argtypes = [ctypes.c_void_p, D, B, D]
        w.WTHelperGetProvSignerFromChain.restype = P(CRYPT_PROVIDER_SGNR)
        w.WTHelperGetProvCertFromChain.argtypes = [P(CRYPT_PROVIDER_SGNR), D]
        w.WTHelperGetProvCertFromChain.restype = P(CRYPT_PROVIDER_CERT)
        c.CertGetNameStringW.argtypes = [ctypes.c_void_p, D, D, ctypes.c_void_p, ctypes.c_wchar_p, D]
        c.CertGetNameStringW.restype = D
        declare_crypt32(c)
        k.GetLogicalDrives.argtypes = []
        k.GetLogicalDrives.restype = D
        k.CreateDirectoryW.argtypes = [LPCWSTR, P(SECURITY_ATTRIBUTES)]
        k.CreateDirectoryW.restype = B
        k.CreateFileW.argtypes = [LPCWSTR, D, D, ctypes.c_void_p, D, D, H]
        k.CreateFileW.restype = H
        k.LocalFree.argtypes = [ctypes.c_void_p]
        k.LocalFree.restype = ctypes.c_void_p
        a.ConvertStringSecurityDescriptorToSecurityDescriptorW.argtypes = [LPCWSTR, D, P(ctypes.c_void_p),
                                                                           ctypes.c_void_p]
        a.ConvertStringSecurityDescriptorToSecurityDescriptorW.restype = B
        a.ConvertSidToStringSidW.argtypes = [ctypes.c_void_p, P(ctypes.c_wchar_p)]
        a.ConvertSidToStringSidW.restype = B
        self.mpr.WNetGetUniversalNameW.argtypes = [LPCWSTR, D, ctypes.c_void_p, P(D)]
        self.mpr.WNetGetUniversalNameW.restype = D

    # -- elevation and launch -------------------------------------------------------------------------------

    def is_elevated(self) -> bool:
        token = HANDLE()
        if not self.advapi32.OpenProcessToken(self.kernel32.GetCurrentProcess(), TOKEN_QUERY, ctypes.byref(token)):
            raise ctypes.WinError(ctypes.get_last_error())
        try:
            elevation = TOKEN_ELEVATION()
            size = DWORD()
            if not self.advapi32.GetTokenInformation(token, TOKEN_ELEVATION_CLASS, ctypes.byref(elevation),
                                                     ctypes.sizeof(elevation), ctypes.byref(size)):
                raise ctypes.WinError(ctypes.get_last_error())
            return bool(elevation.TokenIsElevated)
        finally:
            self.kernel32.CloseHandle(token)

    def shell_execute_runas(self, exe: str, parameters: str, directory: str | None) -> tuple[bool, int, int | None]:
        info = SHELLEXECUTEINFOW()
        info.cbSize = ctypes.sizeof(info)
        # NOASYNC: the calling (worker) thread may end right after; the shell must be done with the request first
        info.fMask = SEE_MASK_NOCLOSEPROCESS | SEE_MASK_NOASYNC | SEE_MASK_FLAG_NO_UI
        info.hwnd, _how = self.owner_window()
        info.lpVerb = "runas"
        info.lpFile = exe
        info.lpParameters = parameters
        info.lpDirectory = directory
        info.nShow = SW_HIDE
        # ShellExecuteEx may delegate to shell extensions, which need COM on the calling thread
        com = hresult(self.ole32.CoInitializeEx(None, COINIT_APARTMENTTHREADED | COINIT_DISABLE_OLE1DDE))
        try:
            if not self.shell32.ShellExecuteExW(ctypes.byref(info)):
                return False, ctypes.get_last_error(), None
        finally:
            if com in (S_OK, S_FALSE):  # both must be balanced; RPC_E_CHANGED_MODE: COM is already set up
                self.ole32.CoUninitialize()
        return True, 0, info.hProcess or None  # hProcess may be NULL even on success

    def owner_window(self) -> tuple[int | None, str]:
        """The owner window for the UAC prompt and why (see choose_owner_window); asks, never prompts."""
        window = self.user32.GetForegroundWindow() or None
        ours = False
        if window:
            owner = DWORD()
            self.user32.GetWindowThreadProcessId(window, ctypes.byref(owner))
            ours = owner.value == self.kernel32.GetCurrentProcessId()
        return choose_owner_window(window, ours, self.kernel32.GetConsoleWindow() or None)

    def create_process(self, command_line: str, directory: str | None) -> Any:
        # a string goes to CreateProcess verbatim: ccmsetup parses its own command line. The std handles are
        # not inherited: a windowed wizard has none, and ccmsetup writes to its log, not to stdout.
        return subprocess.Popen(command_line, cwd=directory, creationflags=CREATE_NO_WINDOW,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def wait_process(self, handle: int, timeout_ms: int) -> bool:
        result = self.kernel32.WaitForSingleObject(handle, timeout_ms)
        if result == WAIT_FAILED:
            raise ctypes.WinError(ctypes.get_last_error())
        return result == WAIT_OBJECT_0

    def exit_code(self, handle: int) -> int | None:
        # only asked once the wait succeeded, so STILL_ACTIVE (259) here is a real exit code
        code = DWORD()
        if not self.kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return None
        return int(code.value)

    def close_handle(self, handle: int) -> None:
        self.kernel32.CloseHandle(handle)

    def process_id(self, handle: int) -> int | None:
        return self.kernel32.GetProcessId(handle) or None

    # -- Authenticode ---------------------------------------------------------------------------------------

    def verify_trust(self, path: str, handle: int | None = None) -> tuple[int, str | None]:
        # with hFile, WinVerifyTrust reads the bytes of the handle the caller holds, not whatever the path names now
        file_info = WINTRUST_FILE_INFO(ctypes.sizeof(WINTRUST_FILE_INFO), path, handle, None)
        data = WINTRUST_DATA()
        data.cbStruct = ctypes.sizeof(WINTRUST_DATA)
        data.dwUIChoice = WTD_UI_NONE
        # No revocation check: technicians run this on devices that are not yet on the corporate network, and a
        # CRL fetch can block for many seconds per URL. Digest, chain to a trusted root and timestamp are still
        # checked; CACHE_ONLY keeps chain building (AIA) off the network too.
        data.fdwRevocationChecks = WTD_REVOKE_NONE
        data.dwUnionChoice = WTD_CHOICE_FILE
        data.pFile = ctypes.pointer(file_info)
        data.dwStateAction = WTD_STATEACTION_VERIFY
        data.dwProvFlags = WTD_CACHE_ONLY_URL_RETRIEVAL
        action = GUID.from_buffer_copy(WINTRUST_ACTION_GENERIC_VERIFY_V2)
        no_window = INVALID_HANDLE_VALUE  # hwnd INVALID_HANDLE_VALUE: no interactive user, never any UI
        result = hresult(self.wintrust.WinVerifyTrust(no_window, ctypes.byref(action), ctypes.byref(data)))
        signer = None
        try:
            if data.hWVTStateData:
                signer = self._signer_name(data.hWVTStateData)
        finally:
            # VERIFY allocates state even when it fails; CLOSE releases it (harmless when there is none)
            data.dwStateAction = WTD_STATEACTION_CLOSE
            self.wintrust.WinVerifyTrust(no_window, ctypes.byref(action), ctypes.byref(data))
        return result, signer

    def _signer_name(self, state: int) -> str | None:
        """Display name of the leaf certificate of the primary signer (e.g. "Microsoft Corporation")."""
        provider = self.wintrust.WTHelperProvDataFromStateData(state)
        if not provider:
            return None
        signer = self.wintrust.WTHelperGetProvSignerFromChain(provider, 0, False, 0)
        if not signer or not signer.contents.csCertChain:
            return None
        cert = self.wintrust.WTHelperGetProvCertFromChain(signer, 0)  # index 0: the signing certificate
        if not cert or not cert.contents.pCert:
            return None
        buffer = ctypes.create_unicode_buffer(512)
        length = self.crypt32.CertGetNameStringW(cert.contents.pCert, CERT_NAME_SIMPLE_DISPLAY_TYPE, 0, None,
                                                 buffer, len(buffer))
        return buffer.value if length > 1 else None  # length counts the NUL: 1 means an empty name

    # -- registry, services, processes ----------------------------------------------------------------------

    def _open_key(self, key: str):
        import winreg

        root_name, _, sub = key.partition("\\")
        roots = {"HKLM": winreg.HKEY_LOCAL_MACHINE, "HKEY_LOCAL_MACHINE": winreg.HKEY_LOCAL_MACHINE,
                 "HKCU": winreg.HKEY_CURRENT_USER, "HKEY_CURRENT_USER": winreg.HKEY_CURRENT_USER}
        # 64-bit view: the CCM keys live there even when this Python is 32-bit (ignored on 32-bit Windows)
        return winreg.OpenKey(roots[root_name.upper()], sub, 0, winreg.KEY_READ | KEY_WOW64_64KEY)

    def reg_value(self, key: str, name: str) -> Any:
        import winreg

        try:
            with self._open_key(key) as handle:
                value, kind = winreg.QueryValueEx(handle, name)
        except OSError:  # FileNotFoundError (no key/value) and PermissionError alike: nothing to read
            return None
        if kind == winreg.REG_EXPAND_SZ and isinstance(value, str):
            return winreg.ExpandEnvironmentStrings(value)  # e.g. a LogDirectory of %WinDir%\CCM\Logs
        return value

    def reg_key_exists(self, key: str) -> bool:
        try:
            with self._open_key(key):
                return True
        except OSError:
            return False

    def reg_key_state(self, key: str) -> str:
        try:
            with self._open_key(key):
                return "present"
        except FileNotFoundError:
            return "absent"
        except OSError:  # PermissionError and the like: the name is there or not, this account cannot tell
            return "denied"

    def service_state(self, name: str) -> int | None:
        manager = self.advapi32.OpenSCManagerW(None, None, SC_MANAGER_CONNECT)
        if not manager:
            raise ctypes.WinError(ctypes.get_last_error())
        try:
            service = self.advapi32.OpenServiceW(manager, name, SERVICE_QUERY_STATUS)
            if not service:
                error = ctypes.get_last_error()
                if error == ERROR_SERVICE_DOES_NOT_EXIST:
                    return None
                raise ctypes.WinError(error)
            try:
                status = SERVICE_STATUS()
                if not self.advapi32.QueryServiceStatus(service, ctypes.byref(status)):
                    raise ctypes.WinError(ctypes.get_last_error())
                return int(status.dwCurrentState)
            finally:
                self.advapi32.CloseServiceHandle(service)
        finally:
            self.advapi32.CloseServiceHandle(manager)

    def process_ids(self, image_name: str) -> list[int]:
        snapshot = self.kernel32.CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0)
        if not snapshot or snapshot == INVALID_HANDLE_VALUE:
            raise ctypes.WinError(ctypes.get_last_error())
        found = []
        try:
            entry = PROCESSENTRY32W()
            entry.dwSize = ctypes.sizeof(entry)
            ok = self.kernel32.Process32FirstW(snapshot, ctypes.byref(entry))
            while ok:
                if wchar_array_text(entry.szExeFile).lower() == image_name.lower():
                    found.append(int(entry.th32ProcessID))
                ok = self.kernel32.Process32NextW(snapshot, ctypes.byref(entry))
        finally:
            self.kernel32.CloseHandle(snapshot)
        return found

    # -- misc -----------------------------------------------------------------------------------------------

    def run(self, args: list[str], timeout: float) -> tuple[int, bytes]:
        # stdin from the null device: a windowed wizard has no console handle to pass on
        done = subprocess.run(args, capture_output=True, stdin=subprocess.DEVNULL, timeout=timeout,
                              creationflags=CREATE_NO_WINDOW, check=False)
        return done.returncode, done.stdout + done.stderr

    def oem_codepage(self) -> int:
        return int(self.kernel32.GetOEMCP())

    def drive_type(self, root: str) -> int:
        return int(self.kernel32.GetDriveTypeW(root))

    def logical_drives(self) -> list[str]:
        mask = int(self.kernel32.GetLogicalDrives())
        return [f"{chr(ord('A') + bit)}:" for bit in range(26) if mask & (1 << bit)]

    def universal_name(self, path: str) -> str | None:
        size = DWORD(1024)
        for _attempt in range(3):
            buffer = ctypes.create_string_buffer(size.value)
            code = self.mpr.WNetGetUniversalNameW(path, UNIVERSAL_NAME_INFO_LEVEL, buffer, ctypes.byref(size))
            if code == NO_ERROR:
                # UNIVERSAL_NAME_INFOW: one LPWSTR pointing into the same buffer
                return ctypes.cast(buffer, ctypes.POINTER(ctypes.c_wchar_p)).contents.value
            if code == ERROR_MORE_DATA:
                continue
            if code in (ERROR_NOT_CONNECTED, ERROR_NO_NET_OR_BAD_PATH, ERROR_NO_NETWORK, ERROR_BAD_DEVICE,
                        ERROR_NOT_SUPPORTED, ERROR_CONNECTION_UNAVAIL):
                return None  # not a mapped drive (or the share is gone): nothing to translate
            raise ctypes.WinError(code)
        raise ctypes.WinError(ERROR_MORE_DATA)

    # -- a protected copy of the file to launch -------------------------------------------------------------

    def _user_sid(self) -> str:
        token = HANDLE()
        if not self.advapi32.OpenProcessToken(self.kernel32.GetCurrentProcess(), TOKEN_QUERY, ctypes.byref(token)):
            raise ctypes.WinError(ctypes.get_last_error())
        try:
            size = DWORD()
            self.advapi32.GetTokenInformation(token, TOKEN_USER_CLASS, None, 0, ctypes.byref(size))
            buffer = (ctypes.c_ubyte * max(size.value, ctypes.sizeof(SID_AND_ATTRIBUTES)))()
            if not self.advapi32.GetTokenInformation(token, TOKEN_USER_CLASS, buffer, size, ctypes.byref(size)):
                raise ctypes.WinError(ctypes.get_last_error())
            user = ctypes.cast(buffer, ctypes.POINTER(SID_AND_ATTRIBUTES)).contents
            text = ctypes.c_wchar_p()
            if not self.advapi32.ConvertSidToStringSidW(user.Sid, ctypes.byref(text)):
                raise ctypes.WinError(ctypes.get_last_error())
            try:
                return str(text.value)
            finally:
                self.kernel32.LocalFree(text)
        finally:
            self.kernel32.CloseHandle(token)

    def create_private_dir(self, path: str) -> None:
        # D:P = a protected DACL (nothing inherited from the user-writable parent); full control for this user,
        # BUILTIN\Administrators and SYSTEM, for the folder and what is created in it (OICI). Nobody else may
        # write there, so the file verified in it is the file that runs.
        sddl = f"D:P(A;OICI;FA;;;{self._user_sid()})(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)"
        descriptor = ctypes.c_void_p()
        if not self.advapi32.ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1,
                                                                                  ctypes.byref(descriptor), None):
            raise ctypes.WinError(ctypes.get_last_error())
        try:
            attributes = SECURITY_ATTRIBUTES(ctypes.sizeof(SECURITY_ATTRIBUTES), descriptor, 0)
            if not self.kernel32.CreateDirectoryW(path, ctypes.byref(attributes)):
                raise ctypes.WinError(ctypes.get_last_error())
        finally:
            self.kernel32.LocalFree(descriptor)

    def lock_file(self, path: str) -> int:
        # share mode FILE_SHARE_READ only: while this handle is open nobody may open the file for writing or
        # delete access (which rename needs), yet WinVerifyTrust and CreateProcess may still read and map it
        handle = self.kernel32.CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, None, OPEN_EXISTING,
                                           FILE_ATTRIBUTE_NORMAL, None)
        if not handle or handle == INVALID_HANDLE_VALUE:
            raise ctypes.WinError(ctypes.get_last_error())
        return int(handle)

    def unlock_file(self, handle: int) -> None:
        self.kernel32.CloseHandle(handle)

    def disk_free(self, path: str) -> int:
        # bytes available to this user (quotas applied), not the volume total that shutil.disk_usage reports
        available, total, total_free = ULONGLONG(), ULONGLONG(), ULONGLONG()
        if not self.kernel32.GetDiskFreeSpaceExW(path, ctypes.byref(available), ctypes.byref(total),
                                                 ctypes.byref(total_free)):
            raise ctypes.WinError(ctypes.get_last_error())
        return int(available.value)

    def windir(self) -> Path:
        return Path(os.environ.get("SYSTEMROOT") or os.environ.get("WINDIR") or r"C:\Windows")

    def start_file(self, path: str) -> None:
        with contextlib.suppress(AttributeError):
            os.startfile(path)  # type: ignore[attr-defined]  # Windows only
