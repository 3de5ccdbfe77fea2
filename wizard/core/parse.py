"""Parse any pasted ccmsetup command back into an InstallPlan.

Accepts: `ccmsetup.exe ...` with or without a (quoted) exe path; just the arguments; msiexec /
ccmsetup.msi lines with `CCMSETUPCMD="..."`; the form ccmsetup writes to its own log
(`"C:\\Windows\\ccmsetup\\ccmsetup.exe" /runservice "/mp:server.dmz" FSP="primary.lan"`), also as a whole log line
copied from the log or CMTrace (`Ccmsetup command line: ...`, a raw `<![LOG[...]LOG]!>` record, CMTrace's tab
columns); the PowerShell call form `& "C:\\Temp\\ccmsetup.exe" ...`; the .cmd and PowerShell scripts and the JSON
that render.py writes. Arguments are split with the CommandLineToArgvW
rules; names are case-insensitive; internal switches are reported as info and dropped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from pydantic import ValidationError

from wizard.core.catalog import load_catalog
from wizard.core.findings import Finding
from wizard.core.plan import InstallPlan, field_for_name, infer_scenario
from wizard.core.redact import MASK, argv_secrets, plan_secrets
from wizard.core.rules import make_finding
from wizard.core.winargs import _split_with_offsets, split_windows_args

_PROPERTY_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_PARAMETER_NAME = re.compile(r'^/[^\s:"/=][^\s:"=]*$')
_CCMSETUPCMD = re.compile(r"(?i)(?<![A-Za-z0-9_.])CCMSETUPCMD=")
_PS_ARGUMENTS = re.compile(r"^\s*\$Arguments\s*=\s*'((?:[^'\u2018\u2019\u201a\u201b]|''|\u2018\u2018|\u2019\u2019|\u201a\u201a|\u201b\u201b)*)'\s*$")
_PS_EXECUTABLE = re.compile(r"^\s*\$Executable\s*=.*'((?:[^']|'')*)'\s*$")
# CommandLineToArgvW only separates on space and tab; other Unicode blanks (e.g. U+00A0) are value text, and so
# are \f and \v (stripping them from the end of a paste would cut a value; the value-quoting rule reports them).
_BLANKS = " \t\r\n"
# A pasted text's lines end at CR and LF only: U+2028, U+0085, \v and the like are value text (which the
# value-quoting rule reports), never a place to cut a value (str.splitlines would).
_LINE_BREAK = re.compile(r"\r\n|[\r\n]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_PS_QUOTE_PAIR = re.compile("(['\u2018\u2019\u201a\u201b])\\1")
# ccmsetup logs its own command line as "Ccmsetup command line: <exe> <arguments>".
_LOG_COMMAND_LINE = re.compile(r"(?i)(?:\bccmsetup\s+)?\bcommand\s+line:[ \t]*")
_CCM_RECORD = re.compile(r"(?s)\s*<!\[LOG\[(.*?)\]LOG\]!>")
# What may come before "command line:" in a copied log row: a time, a date, CMTrace columns (tabs).
_LOG_PREFIX = re.compile(r"(?i)^[\d:./\-+ \tAPM]*$")
# PowerShell's call operator before the exe: `& "C:\Temp\ccmsetup.exe" ...` or `& 'C:\Temp\ccmsetup.exe' ...`.
_PS_CALL = re.compile(r"^&[ \t]+(?:'((?:[^']|'')*)'(?=[ \t]|$)|(?=\S))")


class CommandParseError(ValueError):
    """The text is not a ccmsetup command; the message says why and what to paste instead."""


@dataclass(frozen=True)
class ParsedCommand:
    plan: InstallPlan
    findings: list[Finding] = field(default_factory=list)
    executable: str | None = None
    source_format: str = "windows"  # windows | intune-msi | cmd | powershell | json
    # Secret values the text held, also those left out of the plan (`/regtoken=T`, `/regtoken T`, `-regtoken:T`):
    # whatever shows findings or messages about this command masks them (wizard.core.redact.Redactor).
    secrets: tuple[str, ...] = ()


def _msi_quoted_value(text: str, start: int) -> tuple[str, int]:
    """Read a Windows Installer property value at text[start:]: `"..."` with `""` for a literal quote,
    or up to the next blank. Returns (value, index after it)."""
    if start < len(text) and text[start] == '"':
        out = []
        i = start + 1
        while i < len(text):
            if text[i] == '"':
                if i + 1 < len(text) and text[i + 1] == '"':
                    out.append('"')
                    i += 2
                    continue
                return "".join(out), i + 1
            out.append(text[i])
            i += 1
        raise CommandParseError('CCMSETUPCMD="...": the closing quote is missing; the whole ccmsetup command '
                                "must be inside one pair of double quotes.")
    end = start
    while end < len(text) and text[end] not in " \t":
        end += 1
    return text[start:end], end


def _find_wrapper(line: str) -> re.Match[str] | None:
    """The CCMSETUPCMD= that starts an argument (not one quoted inside another property's value)."""
    matches = list(_CCMSETUPCMD.finditer(line))
    if not matches:
        return None
    starts = {offset for _, offset in _split_with_offsets(line)}
    for match in matches:
        if match.start() in starts:
            return match
    return None


def _cmd_unescape(line: str) -> str:
    """Undo what cmd does to a batch line: `%%` -> `%`, carets outside quotes."""
    line = line.replace("%%", "\0")
    out = []
    quoted = False
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == '"':
            quoted = not quoted
            out.append(ch)
        elif ch == "^" and not quoted and i + 1 < len(line):
            out.append(line[i + 1])
            i += 1
        else:
            out.append(ch)
        i += 1
    return "".join(out).replace("\0", "%")


def _split_executable(line: str) -> tuple[str | None, str]:
    """(exe, rest) when the line starts with an executable, else (None, line)."""
    stripped = line.lstrip(_BLANKS)
    if stripped.startswith('"'):
        end = stripped.find('"', 1)
        if end == -1:
            return None, line
        candidate, rest = stripped[1:end], stripped[end + 1:]
        if candidate.startswith("/") or "=" in candidate:
            return None, line
        return candidate, rest
    first, rest = re.match(r"([^ \t]*)(.*)$", stripped, re.DOTALL).groups()  # type: ignore[union-attr]
    lowered = first.lower()
    if not first.startswith("/") and "=" not in first and (
        lowered.endswith((".exe", ".msi")) or _basename(lowered) in ("ccmsetup", "msiexec")
    ):
        return first, rest
    return None, line


def _basename(path: str) -> str:
    return re.split(r"[\\/]", path)[-1]


def _is_ccmsetup(exe: str) -> bool:
    return _basename(exe).lower().startswith("ccmsetup")


def _script_line(lines: list[str]) -> tuple[str | None, str | None]:
    """From a multi-line text pick (format, line): a PowerShell script's $Arguments or a .cmd's command."""
    for line in lines:
        match = _PS_ARGUMENTS.match(line)
        if match:
            return "powershell", _PS_QUOTE_PAIR.sub(r"\1", match.group(1))
    first = lines[0].strip().lower() if lines else ""
    if first.startswith("@echo") or any(line.strip().lower().startswith("setlocal") for line in lines):
        for line in lines:
            low = line.strip().lower()
            if not low or low.startswith(("@", "rem ", "rem\t", "::", "echo", "setlocal", "endlocal", "exit", "cd ",
                                          "pushd", "popd", "set ", "if ", "goto", ":")) or low == "rem":
                continue
            if "ccmsetup" in low:
                return "cmd", _cmd_unescape(line.strip(_BLANKS))
    return None, None


def _unwrap_paste(line: str) -> str:
    """The command inside a pasted log line (a raw CCM record, CMTrace's tab columns, a leading timestamp,
    "Ccmsetup command line:", a legacy `$$<` suffix) or after PowerShell's `&` call operator; any other line is
    returned unchanged. Only the start of the line decides, so argument values are never cut."""
    record = _CCM_RECORD.match(line)
    if record:
        line = record.group(1)
    marker = _LOG_COMMAND_LINE.search(line)
    if marker and _LOG_PREFIX.match(line[: marker.start()]):
        line = line[marker.end():]
        if "\t" in line:  # CMTrace copies a row as tab-separated columns (message, component, time, thread)
            line = line.split("\t", 1)[0]
        if " $$<" in line:  # the legacy log format puts component, time and thread after "$$"
            line = line[: line.index(" $$<")]
    line = line.strip(_BLANKS)
    call = _PS_CALL.match(line)
    if call:
        if call.group(1) is not None:  # a single-quoted PowerShell path; '' is a literal quote
            return '"' + call.group(1).replace("''", "'") + '"' + line[call.end():]
        return line[call.end():]
    return line


def parse_command(text: str) -> ParsedCommand:
    """Parse a pasted command into a plan plus the parser's findings. Raises CommandParseError."""
    if text is None or not text.strip(_BLANKS + "\ufeff"):
        raise CommandParseError("The command is empty: paste a ccmsetup.exe command line.")
    _refuse_surrogates(text)
    text = text.lstrip("\ufeff").strip(_BLANKS)
    if text.startswith("{"):
        return _parse_json(text)

    source_format = "windows"
    executable: str | None = None
    lines = [line for line in _LINE_BREAK.split(text) if line.strip(_BLANKS)]
    line = lines[0] if len(lines) == 1 else None
    if line is None:
        script_format, script_line = _script_line(lines)
        if script_format == "powershell":
            source_format, line = "powershell", script_line
            for candidate in lines:
                match = _PS_EXECUTABLE.match(candidate)
                if match:
                    executable = match.group(1).replace("''", "'")
        elif script_format == "cmd":
            source_format, line = "cmd", script_line
        else:
            line = " ".join(part.strip(_BLANKS).rstrip("^").strip(_BLANKS) for part in lines)  # a wrapped paste
    unwrapped = _unwrap_paste(line)
    if line.strip(_BLANKS) and not unwrapped:
        raise CommandParseError("The pasted line holds no command after \"command line:\": paste the whole line.")
    line = unwrapped

    wrapper = _find_wrapper(line)
    head_exe = _split_executable(line[: wrapper.start()])[0] if wrapper else None
    if head_exe and _is_ccmsetup(head_exe) and not head_exe.lower().endswith(".msi"):
        wrapper = None  # CCMSETUPCMD given to ccmsetup.exe: parsed below and reported, not unwrapped
    if wrapper:
        inner, _ = _msi_quoted_value(line, wrapper.end())
        head = line[: wrapper.start()]
        msi = re.search(r'(?i)([^\s"]*\.msi)\b', head)
        parsed = _parse_arguments(inner, executable=msi.group(1) if msi else "ccmsetup.msi",
                                  source_format="intune-msi")
        return parsed

    exe, rest = _split_executable(line)
    if exe is not None:
        if source_format == "cmd" and exe.lower().startswith("%~dp0"):
            exe = exe[5:]
        if not _is_ccmsetup(exe):
            if _basename(exe).lower().startswith("msiexec"):
                raise CommandParseError("This msiexec command has no CCMSETUPCMD=\"...\" property, so it does not "
                                        "say how to run ccmsetup. Paste the ccmsetup command itself.")
            raise CommandParseError(f"This is a command for {_basename(exe)}, not ccmsetup.exe. Paste a "
                                    "ccmsetup.exe command line (or just its parameters and properties).")
        executable = executable or exe
    return _parse_arguments(rest, executable=executable, source_format=source_format,
                            require_recognised=executable is None)


def _refuse_surrogates(text: str) -> None:
    """A lone surrogate (from undecodable bytes in a POSIX argv, or a JSON `\\ud800` escape) is not text that
    can be put on a command line or printed; say where it is instead of failing later."""
    found = _SURROGATE.search(text)
    if found:
        raise CommandParseError(
            f"The command holds a character that is not valid text (U+{ord(found.group()):04X} at position "
            f"{found.start() + 1}), e.g. bytes in another encoding than the terminal's. Type or paste it again as text.")


def _parse_json(text: str) -> ParsedCommand:
    try:
        document = json.loads(text)
    except RecursionError as exc:
        raise CommandParseError("The text looks like JSON but is nested too deeply to be a ccmsetup command.") from exc
    except ValueError as exc:
        raise CommandParseError(f"The text looks like JSON but cannot be read: {exc}.") from exc
    _refuse_surrogates(json.dumps(document, ensure_ascii=False))
    if not isinstance(document, dict):
        raise CommandParseError("The JSON must be an object with \"plan\" or \"arguments\".")
    executable = document.get("executable")
    if "plan" in document:
        try:
            plan = InstallPlan.model_validate(document["plan"])
        except ValidationError as exc:
            raise CommandParseError(f"The JSON plan is not valid: {exc.errors()[0]['msg']}.") from exc
        return ParsedCommand(plan=plan, findings=[], executable=executable, source_format="json",
                             secrets=tuple(plan_secrets(plan)))
    arguments = document.get("arguments")
    if isinstance(arguments, list) and all(isinstance(a, str) for a in arguments):
        return _parse_tokens(arguments, executable=executable, source_format="json", require_recognised=False)
    raise CommandParseError("The JSON has neither a \"plan\" object nor an \"arguments\" list of strings.")


def _parse_arguments(text: str, *, executable: str | None, source_format: str,
                     require_recognised: bool = False) -> ParsedCommand:
    return _parse_tokens(split_windows_args(text), executable=executable, source_format=source_format,
                         require_recognised=require_recognised)


def _parse_tokens(tokens: list[str], *, executable: str | None, source_format: str,
                  require_recognised: bool) -> ParsedCommand:
    catalog = load_catalog()
    findings: list[Finding] = []
    fields: dict[str, object] = {}
    mp: list[str] = []
    parameters: list[tuple[str, str | None]] = []
    properties: list[tuple[str, str]] = []
    seen_property: str | None = None
    recognised = 0
    reported_order = False
    secrets = argv_secrets(tokens)
    after_token_switch: bool | str = False  # after a /regtoken without a value ("reported" once said)

    def shown(token: str) -> str:
        """An argument as a message may quote it: secret values masked."""
        for secret in sorted(secrets, key=len, reverse=True):
            token = token.replace(secret, MASK)
        return token

    for token in tokens:
        if after_token_switch and token in secrets:
            # `/regtoken <token>`: the token typed after a space is a separate argument ccmsetup does not read
            # (one finding, however many pieces the spaces made).
            if after_token_switch == "reported":
                continue
            findings.append(make_finding("unknown-argument", "parameter", "/regtoken", token=f"/regtoken {MASK}"))
            after_token_switch = "reported"
            continue
        after_token_switch = False
        if token.startswith("/"):
            name, sep, raw_value = token.partition(":")
            value: str | None = raw_value if sep else None
            if not _PARAMETER_NAME.match(name):
                findings.append(make_finding("unknown-argument", "parameter", None, token=shown(token)))
                continue
            recognised += 1
            entry = catalog.parameter(name)
            if entry is not None and entry.internal:
                findings.append(make_finding("internal-switch", "dropped", entry.name, name=entry.name))
                continue
            canonical = entry.name if entry else name
            if seen_property and not reported_order:
                reported_order = True
                findings.append(make_finding("params-before-properties", "order", canonical, name=canonical))
            field_name = field_for_name(canonical)
            if field_name == "mp":
                mp.extend((value or "").split(";"))
            elif field_name == "regtoken":
                fields["regtoken"] = value if value is not None else ""
                after_token_switch = not value
            else:
                if entry is None:
                    findings.append(make_finding("unknown-parameter", "unknown", canonical, name=canonical))
                parameters.append((canonical, value))
            continue

        name, sep, value_text = token.partition("=")
        if sep and _PROPERTY_NAME.match(name):
            recognised += 1
            seen_property = seen_property or name.upper()
            _add_property(name, value_text, fields, properties, findings)
            continue
        entry = catalog.property(token)
        if not sep and entry is not None and entry.is_flag:
            recognised += 1
            seen_property = seen_property or entry.name
            properties.append((entry.name, ""))
            continue
        findings.append(make_finding("unknown-argument", "token", None, token=shown(token)))

    if require_recognised and recognised == 0:
        raise CommandParseError("This does not look like a ccmsetup command: no /parameters or NAME=value "
                                "properties were found.")
    if mp:
        fields["mp"] = tuple(mp)
    fields["parameters"] = tuple(parameters)
    fields["properties"] = tuple(properties)
    try:
        plan = InstallPlan.model_validate(fields)
    except ValidationError as exc:  # names were checked above, so this is a programming error guard
        raise CommandParseError(f"The command cannot be held as a plan: {exc.errors()[0]['msg']}.") from exc
    plan = plan.update(scenario=infer_scenario(plan))
    return ParsedCommand(plan=plan, findings=findings, executable=executable, source_format=source_format,
                         secrets=tuple(dict.fromkeys([*secrets, *plan_secrets(plan)])))


def _add_property(name: str, value: str, fields: dict, properties: list, findings: list[Finding]) -> None:
    catalog = load_catalog()
    field_name = field_for_name(name)
    if field_name and field_name not in ("mp", "regtoken"):
        if field_name in fields:
            findings.append(make_finding("duplicate", "duplicate", name.upper(), name=name.upper()))
        fields[field_name] = value
        return
    entry = catalog.property(name)
    if entry is None:
        findings.append(make_finding("unknown-property", "unknown", name, name=name))
        properties.append((name, value))
        return
    if entry.name == "CCMSETUPCMD":
        findings.append(make_finding("unknown-argument", "ccmsetupcmd", "CCMSETUPCMD"))
        return
    properties.append((entry.name, value))
