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
from ctypes import wintypes
from pathlib import Path
from typing import Any, Protocol

# -- constants ----------------------------------------------------------------------------------------------

SEE_MASK_NOCLOSEPROCESS = 0x00000040
SEE_MASK_NOASYNC = 0x00000100
SEE_MASK_FLAG_NO_UI = 0x00000400
SW_HIDE = 0
ERROR_CANCELLED = 1223
ERROR_SERVICE_DOES_NOT_EXIST = 1060
WAIT_OBJECT_0 = 0x0
WAIT_TIMEOUT = 0x102
STILL_ACTIVE = 259
TOKEN_QUERY = 0x0008
TOKEN_ELEVATION_CLASS = 20
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

# WinVerifyTrust results (HRESULTs as unsigned 32-bit)
TRUST_E_NOSIGNATURE = 0x800B0100
TRUST_E_SUBJECT_FORM_UNKNOWN = 0x800B0003
TRUST_E_PROVIDER_UNKNOWN = 0x800B0001
TRUST_E_BAD_DIGEST = 0x80096010
TRUST_E_EXPLICIT_DISTRUST = 0x800B0111
TRUST_E_SUBJECT_NOT_TRUSTED = 0x800B0004
CERT_E_UNTRUSTEDROOT = 0x800B0109
CERT_E_CHAINING = 0x800B010A
CERT_E_EXPIRED = 0x800B0101
CERT_E_REVOKED = 0x800B010C
CRYPT_E_SECURITY_SETTINGS = 0x80092026


# -- structures (wintypes imports on every platform) --------------------------------------------------------


class SHELLEXECUTEINFOW(ctypes.Structure):
    _fields_ = [
        ("cbSize", wintypes.DWORD),
        ("fMask", wintypes.ULONG),
        ("hwnd", wintypes.HWND),
        ("lpVerb", wintypes.LPCWSTR),
        ("lpFile", wintypes.LPCWSTR),
        ("lpParameters", wintypes.LPCWSTR),
        ("lpDirectory", wintypes.LPCWSTR),
        ("nShow", ctypes.c_int),
        ("hInstApp", wintypes.HINSTANCE),
        ("lpIDList", ctypes.c_void_p),
        ("lpClass", wintypes.LPCWSTR),
        ("hkeyClass", wintypes.HKEY),
        ("dwHotKey", wintypes.DWORD),
        ("hIconOrMonitor", wintypes.HANDLE),
        ("hProcess", wintypes.HANDLE),
    ]


class GUID(ctypes.Structure):
    _fields_ = [("Data1", wintypes.DWORD), ("Data2", wintypes.WORD), ("Data3", wintypes.WORD),
                ("Data4", ctypes.c_ubyte * 8)]


# {00AAC56B-CD44-11d0-8CC2-00C04FC295EE}
WINTRUST_ACTION_GENERIC_VERIFY_V2 = GUID(
    0x00AAC56B, 0xCD44, 0x11D0, (ctypes.c_ubyte * 8)(0x8C, 0xC2, 0x00, 0xC0, 0x4F, 0xC2, 0x95, 0xEE)
)


class WINTRUST_FILE_INFO(ctypes.Structure):  # noqa: N801 (Win32 name)
    _fields_ = [("cbStruct", wintypes.DWORD), ("pcwszFilePath", wintypes.LPCWSTR), ("hFile", wintypes.HANDLE),
                ("pgKnownSubject", ctypes.POINTER(GUID))]


class WINTRUST_DATA(ctypes.Structure):  # noqa: N801 (Win32 name)
    _fields_ = [
        ("cbStruct", wintypes.DWORD),
        ("pPolicyCallbackData", ctypes.c_void_p),
        ("pSIPClientData", ctypes.c_void_p),
        ("dwUIChoice", wintypes.DWORD),
        ("fdwRevocationChecks", wintypes.DWORD),
        ("dwUnionChoice", wintypes.DWORD),
        ("pFile", ctypes.POINTER(WINTRUST_FILE_INFO)),  # first member of the union
        ("dwStateAction", wintypes.DWORD),
        ("hWVTStateData", wintypes.HANDLE),
        ("pwszURLReference", wintypes.LPWSTR),
        ("dwProvFlags", wintypes.DWORD),
        ("dwUIContext", wintypes.DWORD),
        ("pSignatureSettings", ctypes.c_void_p),
    ]


class CRYPT_PROVIDER_CERT(ctypes.Structure):  # noqa: N801 -- leading members only; read through a pointer
    _fields_ = [("cbStruct", wintypes.DWORD), ("pCert", ctypes.c_void_p)]


class CRYPT_PROVIDER_SGNR(ctypes.Structure):  # noqa: N801 -- leading members only; read through a pointer
    _fields_ = [("cbStruct", wintypes.DWORD), ("sftVerifyAsOf", wintypes.FILETIME), ("csCertChain", wintypes.DWORD),
                ("pasCertChain", ctypes.POINTER(CRYPT_PROVIDER_CERT))]


class SERVICE_STATUS(ctypes.Structure):  # noqa: N801 (Win32 name)
    _fields_ = [(name, wintypes.DWORD) for name in (
        "dwServiceType", "dwCurrentState", "dwControlsAccepted", "dwWin32ExitCode",
        "dwServiceSpecificExitCode", "dwCheckPoint", "dwWaitHint")]


class PROCESSENTRY32W(ctypes.Structure):
    _fields_ = [
        ("dwSize", wintypes.DWORD),
        ("cntUsage", wintypes.DWORD),
        ("th32ProcessID", wintypes.DWORD),
        ("th32DefaultHeapID", ctypes.c_size_t),
        ("th32ModuleID", wintypes.DWORD),
        ("cntThreads", wintypes.DWORD),
        ("th32ParentProcessID", wintypes.DWORD),
        ("pcPriClassBase", wintypes.LONG),
        ("dwFlags", wintypes.DWORD),
        ("szExeFile", wintypes.WCHAR * 260),
    ]


class WinApi(Protocol):
    """What WindowsHost needs from Windows. Handles are opaque ints."""

    def is_elevated(self) -> bool: ...
    def shell_execute_runas(self, exe: str, parameters: str, directory: str | None) -> tuple[bool, int, int | None]:
        """(succeeded, last_error, hProcess or None)."""
    def create_process(self, command_line: str, directory: str | None) -> Any:
        """Start without elevation prompt (already elevated); returns a Popen-like object."""
    def wait_process(self, handle: int, timeout_ms: int) -> bool: ...
    def exit_code(self, handle: int) -> int | None: ...
    def close_handle(self, handle: int) -> None: ...
    def process_id(self, handle: int) -> int | None: ...
    def verify_trust(self, path: str) -> tuple[int, str | None]:
        """(WinVerifyTrust HRESULT as unsigned, signer display name or None)."""
    def reg_value(self, key: str, name: str) -> Any: ...
    def reg_key_exists(self, key: str) -> bool: ...
    def service_state(self, name: str) -> int | None:
        """SERVICE_STATUS.dwCurrentState, or None when the service does not exist."""
    def process_ids(self, image_name: str) -> list[int]: ...
    def run(self, args: list[str], timeout: float) -> tuple[int, bytes]: ...
    def oem_codepage(self) -> int: ...
    def drive_type(self, root: str) -> int: ...
    def disk_free(self, path: str) -> int: ...
    def windir(self) -> Path: ...
    def start_file(self, path: str) -> None: ...


class Win32Api:
    """The real layer. Construct only on Windows."""

    def __init__(self) -> None:
        if sys.platform != "win32":
            raise OSError("the Windows API layer only runs on Windows")
        self.kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        self.advapi32 = ctypes.WinDLL("advapi32", use_last_error=True)
        self.shell32 = ctypes.WinDLL("shell32", use_last_error=True)
        self.wintrust = ctypes.WinDLL("wintrust", use_last_error=True)
        self.crypt32 = ctypes.WinDLL("crypt32", use_last_error=True)
        self._declare()

    def _declare(self) -> None:
        k, a, s, w, c = self.kernel32, self.advapi32, self.shell32, self.wintrust, self.crypt32
        H, D, B = wintypes.HANDLE, wintypes.DWORD, wintypes.BOOL  # noqa: N806
        s.ShellExecuteExW.argtypes = [ctypes.POINTER(SHELLEXECUTEINFOW)]
        s.ShellExecuteExW.restype = B
        k.WaitForSingleObject.argtypes = [H, D]
        k.WaitForSingleObject.restype = D
        k.GetExitCodeProcess.argtypes = [H, ctypes.POINTER(D)]
        k.GetExitCodeProcess.restype = B
        k.GetProcessId.argtypes = [H]
        k.GetProcessId.restype = D
        k.CloseHandle.argtypes = [H]
        k.CloseHandle.restype = B
        k.GetCurrentProcess.argtypes = []
        k.GetCurrentProcess.restype = H
        k.CreateToolhelp32Snapshot.argtypes = [D, D]
        k.CreateToolhelp32Snapshot.restype = H
        k.Process32FirstW.argtypes = [H, ctypes.POINTER(PROCESSENTRY32W)]
        k.Process32FirstW.restype = B
        k.Process32NextW.argtypes = [H, ctypes.POINTER(PROCESSENTRY32W)]
        k.Process32NextW.restype = B
        k.GetOEMCP.argtypes = []
        k.GetOEMCP.restype = wintypes.UINT
        k.GetDriveTypeW.argtypes = [wintypes.LPCWSTR]
        k.GetDriveTypeW.restype = wintypes.UINT
        a.OpenProcessToken.argtypes = [H, D, ctypes.POINTER(H)]
        a.OpenProcessToken.restype = B
        a.GetTokenInformation.argtypes = [H, ctypes.c_int, ctypes.c_void_p, D, ctypes.POINTER(D)]
        a.GetTokenInformation.restype = B
        a.OpenSCManagerW.argtypes = [wintypes.LPCWSTR, wintypes.LPCWSTR, D]
        a.OpenSCManagerW.restype = wintypes.SC_HANDLE
        a.OpenServiceW.argtypes = [wintypes.SC_HANDLE, wintypes.LPCWSTR, D]
        a.OpenServiceW.restype = wintypes.SC_HANDLE
        a.QueryServiceStatus.argtypes = [wintypes.SC_HANDLE, ctypes.POINTER(SERVICE_STATUS)]
        a.QueryServiceStatus.restype = B
        a.CloseServiceHandle.argtypes = [wintypes.SC_HANDLE]
        a.CloseServiceHandle.restype = B
        w.WinVerifyTrust.argtypes = [wintypes.HWND, ctypes.POINTER(GUID), ctypes.POINTER(WINTRUST_DATA)]
        w.WinVerifyTrust.restype = wintypes.LONG
        w.WTHelperProvDataFromStateData.argtypes = [H]
        w.WTHelperProvDataFromStateData.restype = ctypes.c_void_p
        w.WTHelperGetProvSignerFromChain.argtypes = [ctypes.c_void_p, D, B, D]
        w.WTHelperGetProvSignerFromChain.restype = ctypes.POINTER(CRYPT_PROVIDER_SGNR)
        c.CertGetNameStringW.argtypes = [ctypes.c_void_p, D, D, ctypes.c_void_p, wintypes.LPWSTR, D]
        c.CertGetNameStringW.restype = D

    # -- elevation and launch -------------------------------------------------------------------------------

    def is_elevated(self) -> bool:
        token = wintypes.HANDLE()
        if not self.advapi32.OpenProcessToken(self.kernel32.GetCurrentProcess(), TOKEN_QUERY, ctypes.byref(token)):
            raise ctypes.WinError(ctypes.get_last_error())
        try:
            elevation = wintypes.DWORD()
            size = wintypes.DWORD()
            if not self.advapi32.GetTokenInformation(token, TOKEN_ELEVATION_CLASS, ctypes.byref(elevation),
                                                     ctypes.sizeof(elevation), ctypes.byref(size)):
                raise ctypes.WinError(ctypes.get_last_error())
            return bool(elevation.value)
        finally:
            self.kernel32.CloseHandle(token)

    def shell_execute_runas(self, exe: str, parameters: str, directory: str | None) -> tuple[bool, int, int | None]:
        info = SHELLEXECUTEINFOW()
        info.cbSize = ctypes.sizeof(info)
        info.fMask = SEE_MASK_NOCLOSEPROCESS | SEE_MASK_NOASYNC | SEE_MASK_FLAG_NO_UI
        info.lpVerb = "runas"
        info.lpFile = exe
        info.lpParameters = parameters
        info.lpDirectory = directory
        info.nShow = SW_HIDE
        if not self.shell32.ShellExecuteExW(ctypes.byref(info)):
            return False, ctypes.get_last_error(), None
        return True, 0, info.hProcess or None  # hProcess may be NULL even on success

    def create_process(self, command_line: str, directory: str | None) -> Any:
        # a string goes to CreateProcess verbatim: ccmsetup parses its own command line
        return subprocess.Popen(command_line, cwd=directory, creationflags=CREATE_NO_WINDOW)

    def wait_process(self, handle: int, timeout_ms: int) -> bool:
        return self.kernel32.WaitForSingleObject(handle, timeout_ms) == WAIT_OBJECT_0

    def exit_code(self, handle: int) -> int | None:
        code = wintypes.DWORD()
        if not self.kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return None
        return None if code.value == STILL_ACTIVE else code.value

    def close_handle(self, handle: int) -> None:
        self.kernel32.CloseHandle(handle)

    def process_id(self, handle: int) -> int | None:
        return self.kernel32.GetProcessId(handle) or None

    # -- Authenticode ---------------------------------------------------------------------------------------

    def verify_trust(self, path: str) -> tuple[int, str | None]:
        file_info = WINTRUST_FILE_INFO(ctypes.sizeof(WINTRUST_FILE_INFO), path, None, None)
        data = WINTRUST_DATA()
        data.cbStruct = ctypes.sizeof(WINTRUST_DATA)
        data.dwUIChoice = WTD_UI_NONE
        data.fdwRevocationChecks = WTD_REVOKE_NONE
        data.dwUnionChoice = WTD_CHOICE_FILE
        data.pFile = ctypes.pointer(file_info)
        data.dwStateAction = WTD_STATEACTION_VERIFY
        data.dwProvFlags = WTD_CACHE_ONLY_URL_RETRIEVAL  # never wait on the network for a CRL here
        action = GUID.from_buffer_copy(WINTRUST_ACTION_GENERIC_VERIFY_V2)
        no_window = wintypes.HWND(ctypes.c_void_p(-1).value)  # INVALID_HANDLE_VALUE: no UI at all
        result = self.wintrust.WinVerifyTrust(no_window, ctypes.byref(action), ctypes.byref(data)) & 0xFFFFFFFF
        signer = None
        try:
            if data.hWVTStateData:
                signer = self._signer_name(data.hWVTStateData)
        finally:
            data.dwStateAction = WTD_STATEACTION_CLOSE
            self.wintrust.WinVerifyTrust(no_window, ctypes.byref(action), ctypes.byref(data))
        return result, signer

    def _signer_name(self, state: int) -> str | None:
        provider = self.wintrust.WTHelperProvDataFromStateData(state)
        if not provider:
            return None
        signer = self.wintrust.WTHelperGetProvSignerFromChain(provider, 0, False, 0)
        if not signer or not signer.contents.csCertChain:
            return None
        cert = signer.contents.pasCertChain[0].pCert
        if not cert:
            return None
        buffer = ctypes.create_unicode_buffer(512)
        length = self.crypt32.CertGetNameStringW(cert, CERT_NAME_SIMPLE_DISPLAY_TYPE, 0, None, buffer, 512)
        return buffer.value if length > 1 else None

    # -- registry, services, processes ----------------------------------------------------------------------

    def _open_key(self, key: str):
        import winreg

        root_name, _, sub = key.partition("\\")
        roots = {"HKLM": winreg.HKEY_LOCAL_MACHINE, "HKEY_LOCAL_MACHINE": winreg.HKEY_LOCAL_MACHINE,
                 "HKCU": winreg.HKEY_CURRENT_USER, "HKEY_CURRENT_USER": winreg.HKEY_CURRENT_USER}
        # 64-bit view: the CCM keys live there even when this Python is 32-bit
        return winreg.OpenKey(roots[root_name.upper()], sub, 0, winreg.KEY_READ | KEY_WOW64_64KEY)

    def reg_value(self, key: str, name: str) -> Any:
        import winreg

        try:
            with self._open_key(key) as handle:
                return winreg.QueryValueEx(handle, name)[0]
        except (FileNotFoundError, OSError):
            return None

    def reg_key_exists(self, key: str) -> bool:
        try:
            with self._open_key(key):
                return True
        except OSError:
            return False

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
                return status.dwCurrentState
            finally:
                self.advapi32.CloseServiceHandle(service)
        finally:
            self.advapi32.CloseServiceHandle(manager)

    def process_ids(self, image_name: str) -> list[int]:
        snapshot = self.kernel32.CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0)
        if not snapshot or snapshot == ctypes.c_void_p(-1).value:
            raise ctypes.WinError(ctypes.get_last_error())
        found = []
        try:
            entry = PROCESSENTRY32W()
            entry.dwSize = ctypes.sizeof(entry)
            ok = self.kernel32.Process32FirstW(snapshot, ctypes.byref(entry))
            while ok:
                if entry.szExeFile.lower() == image_name.lower():
                    found.append(int(entry.th32ProcessID))
                ok = self.kernel32.Process32NextW(snapshot, ctypes.byref(entry))
        finally:
            self.kernel32.CloseHandle(snapshot)
        return found

    # -- misc -----------------------------------------------------------------------------------------------

    def run(self, args: list[str], timeout: float) -> tuple[int, bytes]:
        done = subprocess.run(args, capture_output=True, timeout=timeout, creationflags=CREATE_NO_WINDOW,
                              check=False)
        return done.returncode, done.stdout + done.stderr

    def oem_codepage(self) -> int:
        return int(self.kernel32.GetOEMCP())

    def drive_type(self, root: str) -> int:
        return int(self.kernel32.GetDriveTypeW(root))

    def disk_free(self, path: str) -> int:
        import shutil

        return shutil.disk_usage(path).free

    def windir(self) -> Path:
        return Path(os.environ.get("SYSTEMROOT") or os.environ.get("WINDIR") or r"C:\Windows")

    def start_file(self, path: str) -> None:
        with contextlib.suppress(AttributeError):
            os.startfile(path)  # type: ignore[attr-defined]  # Windows only
