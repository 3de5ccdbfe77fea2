"""Render an InstallPlan as a command line, a .cmd file, a PowerShell script, Intune forms or JSON.

Quoting follows the CommandLineToArgvW / MSVCRT rules, applied to the value part only
(`/config:"my file.txt"`, `CCMINSTALLDIR="C:\\Program Files\\CCM"`), the form Microsoft documents.
ccmsetup and Windows Installer read the raw command line themselves, so some values have no form that
every reader agrees on; the renderer still writes them in CRT form (which our parser and CreateProcess
agree on) and the `value-quoting` rule reports them:
  * a value containing `"` is written with `\\"` (CRT escaping); ccmsetup/MSI may read it differently;
  * a quoted value ending in `\\` gets its trailing backslashes doubled (CRT rule);
  * a value containing a line break or NUL cannot be put on a command line at all;
  * an /mp entry containing `;` cannot be told apart from two entries.
"""

from __future__ import annotations

import json

from wizard import __version__
from wizard.core.catalog import load_catalog
from wizard.core.plan import DEDICATED_FIELDS, InstallPlan
from wizard.core.redact import MASK, mask_plan

FORMATS = ("windows", "cmd", "powershell", "intune", "intune-msi", "json")
INTUNE_MAX_LENGTH = 1024
_PROPERTY_FIELDS = ("ccmhostname", "sitecode", "smsmp", "aadtenantid", "aadclientappid", "aadresourceuri")
_PS_SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"  # PowerShell treats all of these as a single quote
_CMD_SPECIAL = "^&|<>()"


def build_argv(plan: InstallPlan, *, show_secrets: bool = False) -> list[str]:
    """Logical tokens in the order ccmsetup needs them: parameters (/mp first, /regtoken last), then
    properties (the dedicated ones first). Secret values become MASK unless show_secrets."""
    catalog = load_catalog()

    def shown(name: str, value: str) -> str:
        entry = catalog.get(name)
        return MASK if entry is not None and entry.secret and not show_secrets else value

    argv: list[str] = []
    if plan.mp:
        argv.append("/mp:" + ";".join(plan.mp))
    for name, value in plan.parameters:
        argv.append(name if value is None else f"{name}:{shown(name, value)}")
    if plan.regtoken is not None:
        argv.append("/regtoken:" + shown("/regtoken", plan.regtoken))
    for field in _PROPERTY_FIELDS:
        value = getattr(plan, field)
        if value is not None:
            argv.append(f"{DEDICATED_FIELDS[field]}={value}")
    for name, value in plan.properties:
        entry = catalog.property(name)
        if value == "" and entry is not None and entry.is_flag:
            argv.append(name)  # documented bare form, e.g. CCMALLOWSILENTREBOOT
        else:
            argv.append(f"{name}={shown(name, value)}")
    return argv


def quote_value(value: str) -> str:
    """Quote one value for CommandLineToArgvW when it needs it (empty, blank, tab or `"` inside)."""
    if value and not any(ch in value for ch in ' \t"'):
        return value
    out = ['"']
    backslashes = 0
    for ch in value:
        if ch == "\\":
            backslashes += 1
            continue
        if ch == '"':
            out.append("\\" * (2 * backslashes + 1) + '"')
        else:
            out.append("\\" * backslashes + ch)
        backslashes = 0
    out.append("\\" * (2 * backslashes) + '"')
    return "".join(out)


def quote_token(token: str) -> str:
    """Quote the value part of `/name:value` or `NAME=value`; a bare token is quoted whole if needed."""
    separator = ":" if token.startswith("/") else "="
    name, found, value = token.partition(separator)
    if not found:
        return quote_value(token)
    return name + separator + quote_value(value)


def command_line(argv: list[str]) -> str:
    """One CreateProcess/ShellExecute parameter string, values quoted only when needed."""
    return " ".join(quote_token(token) for token in argv)


def quote_executable(exe: str) -> str:
    # argv[0] is read without backslash escapes: quotes only delimit it.
    return f'"{exe}"' if not exe or any(ch in exe for ch in " \t") else exe


def intune_command(plan: InstallPlan, *, show_secrets: bool = False) -> str:
    """The co-management "agent command line": parameters and properties without the exe."""
    return command_line(build_argv(plan, show_secrets=show_secrets))


def intune_length(plan: InstallPlan) -> int:
    """Real length (secrets unmasked) of the CCMSETUPCMD value Intune passes on; limit 1024."""
    return len(intune_command(plan, show_secrets=True))


def cmd_escape(line: str) -> str:
    """Escape a command line for a line of a batch file: `%` doubled everywhere, `^ & | < > ( )` caret-
    escaped outside cmd's quotes. cmd toggles its quote state on every `"` (it knows nothing of `\\"`),
    so the state is tracked exactly as cmd tracks it and the line cmd hands to CreateProcess is `line`."""
    out = []
    quoted = False
    for ch in line:
        if ch == "%":
            out.append("%%")
        elif ch == '"':
            quoted = not quoted
            out.append(ch)
        elif not quoted and ch in _CMD_SPECIAL:
            out.append("^" + ch)
        else:
            out.append(ch)
    return "".join(out)


def ps_single_quote(text: str) -> str:
    out = []
    for ch in text:
        out.append(ch * 2 if ch in _PS_SINGLE_QUOTES else ch)
    return "'" + "".join(out) + "'"


def _has_directory(exe: str) -> bool:
    return "\\" in exe or "/" in exe


def render_cmd(plan: InstallPlan, *, show_secrets: bool = False, exe: str = "ccmsetup.exe") -> str:
    args = cmd_escape(command_line(build_argv(plan, show_secrets=show_secrets)))
    exe_ref = exe.replace("%", "%%") if _has_directory(exe) else "%~dp0" + exe.replace("%", "%%")
    command = f'"{exe_ref}"' + (" " + args if args else "")
    lines = [
        "@echo off",
        f"rem Generated by ccmsetup-wizard {__version__}: installs the Configuration Manager client.",
        "rem Run it elevated (right-click, Run as administrator).",
        "rem In service mode ccmsetup exits once its service has started; the install result is the last",
        "rem return code line in ccmsetup.log under the Windows ccmsetup Logs folder.",
        "setlocal DisableDelayedExpansion",
    ]
    if not command.isascii():
        # cmd reads a batch file in the console code page; switch to UTF-8 before the line that needs it.
        lines.append("chcp 65001 >nul")
    lines += [command, "exit /b %ERRORLEVEL%"]
    return "\r\n".join(lines) + "\r\n"


def render_powershell(plan: InstallPlan, *, show_secrets: bool = False, exe: str = "ccmsetup.exe") -> str:
    arguments = command_line(build_argv(plan, show_secrets=show_secrets))
    if _has_directory(exe):
        exe_line = f"$Executable = {ps_single_quote(exe)}"
    else:
        exe_line = f"$Executable = Join-Path -Path $PSScriptRoot -ChildPath {ps_single_quote(exe)}"
    start = "Start-Process -FilePath $Executable -Verb RunAs -Wait -PassThru"
    if arguments:
        start = "Start-Process -FilePath $Executable -ArgumentList $Arguments -Verb RunAs -Wait -PassThru"
    return f"""\
# Generated by ccmsetup-wizard {__version__}: installs the Configuration Manager client elevated and waits
# for the result. The exit code is ccmsetup's own return code from ccmsetup.log
# (0 success, 6 error, 7 reboot required, 8 setup already running, 9 prerequisite failure).
$ErrorActionPreference = 'Stop'
{exe_line}
$Arguments = {ps_single_quote(arguments)}
$LogPath = Join-Path -Path $env:WinDir -ChildPath 'ccmsetup\\Logs\\ccmsetup.log'

# Remember where the log ends now, so only this run's lines are read afterwards.
$Offset = 0
if (Test-Path -LiteralPath $LogPath) {{ $Offset = (Get-Item -LiteralPath $LogPath).Length }}

try {{
    $Process = {start}
}} catch {{
    Write-Warning "ccmsetup was not started: $($_.Exception.Message)"
    exit 1
}}

# In service mode the launched process exits as soon as the ccmsetup service starts: wait until no
# ccmsetup process is left and the ccmsetup service is stopped or removed.
while ((Get-Process -Name ccmsetup -ErrorAction SilentlyContinue) -or
       (Get-Service -Name ccmsetup -ErrorAction SilentlyContinue | Where-Object {{ $_.Status -ne 'Stopped' }})) {{
    Start-Sleep -Seconds 5
}}

$Text = ''
if (Test-Path -LiteralPath $LogPath) {{
    $Stream = [System.IO.File]::Open($LogPath, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read,
                                     [System.IO.FileShare]::ReadWrite)
    try {{
        if ($Stream.Length -lt $Offset) {{ $Offset = 0 }}  # the log rolled over during the install
        [void]$Stream.Seek($Offset, [System.IO.SeekOrigin]::Begin)
        $Reader = New-Object System.IO.StreamReader($Stream, [System.Text.Encoding]::UTF8)
        $Text = $Reader.ReadToEnd()
    }} finally {{
        $Stream.Dispose()
    }}
}}

$Failures = [regex]::Matches($Text, 'CcmSetup failed with error code (0x[0-9A-Fa-f]{{8}})')
if ($Failures.Count -gt 0) {{
    Write-Output "ccmsetup failed with error code $($Failures[$Failures.Count - 1].Groups[1].Value); see $LogPath"
}}
$Exits = [regex]::Matches($Text, 'CcmSetup is exiting with return code (\\d+)')
if ($Exits.Count -gt 0) {{
    $Code = [int]$Exits[$Exits.Count - 1].Groups[1].Value
    Write-Output "ccmsetup finished with return code $Code."
    exit $Code
}}
if ($Failures.Count -gt 0) {{ exit 6 }}
if ($Process.ExitCode) {{ exit $Process.ExitCode }}
Write-Warning "ccmsetup wrote no result line to $LogPath; open the log to see what happened."
exit 1
"""


def render_json(plan: InstallPlan, *, show_secrets: bool = False, exe: str = "ccmsetup.exe") -> str:
    data = plan.model_dump(mode="json")
    if plan.regtoken is not None and not show_secrets:
        data["regtoken"] = MASK
    document = {"executable": exe, "arguments": build_argv(plan, show_secrets=show_secrets), "plan": data}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


FILE_EXTENSIONS = {"windows": ".txt", "cmd": ".cmd", "powershell": ".ps1", "intune": ".txt", "intune-msi": ".txt",
                   "json": ".json"}


def file_encoding(fmt: str) -> str:
    """The encoding to save a rendered format with. Windows PowerShell 5.1 reads a .ps1 without a BOM
    in the ANSI code page, so scripts get UTF-8 with BOM; a .cmd must not have a BOM (it would be read
    as part of `@echo off`) and switches to UTF-8 itself when needed."""
    return "utf-8-sig" if fmt == "powershell" else "utf-8"


def render(plan: InstallPlan, fmt: str, *, show_secrets: bool = False, exe: str = "ccmsetup.exe") -> str:
    """Render in one of FORMATS. Without show_secrets no secret value appears anywhere in the text (also where
    it was typed into another field, and no JWT in any value). Raises ValueError for an unknown format.
    Rendering never refuses a plan; files and printed exports go through `wizard.core.export`, which does."""
    if not show_secrets:
        plan = mask_plan(plan)
    if fmt == "windows":
        args = command_line(build_argv(plan, show_secrets=show_secrets))
        return quote_executable(exe) + (" " + args if args else "")
    if fmt == "cmd":
        return render_cmd(plan, show_secrets=show_secrets, exe=exe)
    if fmt == "powershell":
        return render_powershell(plan, show_secrets=show_secrets, exe=exe)
    if fmt == "intune":
        return intune_command(plan, show_secrets=show_secrets)
    if fmt == "intune-msi":
        # Windows Installer property syntax: a literal `"` inside a quoted value is written `""`.
        return 'CCMSETUPCMD="' + intune_command(plan, show_secrets=show_secrets).replace('"', '""') + '"'
    if fmt == "json":
        return render_json(plan, show_secrets=show_secrets, exe=exe)
    raise ValueError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
