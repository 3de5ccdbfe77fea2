"""The evidence bundle: one zip a technician attaches to a ticket.

Contents: ccmsetup logs (ccmsetup*.log, *.lo_, client.msi.log), the CCM logs that matter for registration and
location, `dsregcmd /status`, the check results (JSON), the command line with secrets masked, device facts, and a
summary.md to paste into the ticket. Secrets (the /regtoken JWT and every catalog "secret" value) are masked
everywhere, including inside the copied logs, since ccmsetup echoes its command line there (also without a plan:
`/regtoken:T`, `/regtoken=T`, `/regtoken T` in any case). Only regular files inside the log folders are read:
symbolic links and junctions (reparse points) are never followed out of them, and are listed as skipped. The
zip is written to a temp file beside the target and moved into place, so a half-written bundle never exists.
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import datetime as _dt
import fnmatch
import json
import os
import re
import stat
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard.core.findings import Finding
from wizard.core.logparse import decode_bytes, parse_bytes
from wizard.core.parse import split_windows_args
from wizard.core.plan import InstallPlan
from wizard.core.redact import redact
from wizard.core.render import build_argv, command_line
from wizard.core.tracker import track_last_run
from wizard.host.base import Host
from wizard.host.checks import CheckResult
from wizard.host.selftest import selftest_json_bytes

CCM_LOG_NAMES = ("ClientIDManagerStartup", "ClientLocation", "LocationServices", "ADALOperationProvider",
                 "CcmMessaging")
MAX_LOG_BYTES = 32 << 20  # keep the last 32 MB of a huge log
SETUP_LOG_PATTERNS = ("ccmsetup*.log", "*.lo_", "client.msi.log")  # matched without regard to case
FILE_ATTRIBUTE_REPARSE_POINT = 0x400  # junctions, symbolic links and other reparse points on Windows
_COMMAND_LINE = re.compile(r"Ccmsetup command line:\s*(.+)", re.IGNORECASE)


class SkippedFile(OSError):
    """A log candidate that is not read: a link or junction, or not a regular file. The message says which."""


def is_link(st: os.stat_result) -> bool:
    """A symbolic link, or (Windows) any reparse point such as a junction, from an lstat result."""
    return stat.S_ISLNK(st.st_mode) or bool(getattr(st, "st_file_attributes", 0) & FILE_ATTRIBUTE_REPARSE_POINT)


def read_log_tail(path: Path, limit: int = MAX_LOG_BYTES) -> bytes:
    """The last `limit` bytes of a regular file, never through a link or junction and never blocking on a FIFO or
    device. Raises SkippedFile for those, OSError when the file can't be read."""
    before = os.lstat(path)
    if is_link(before):
        raise SkippedFile(f"{path} is a link or junction to somewhere else; it was not followed")
    if not stat.S_ISREG(before.st_mode):
        raise SkippedFile(f"{path} is not a regular file; it was skipped")
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as handle:
        opened = os.fstat(handle.fileno())
        # Replaced by a link or another file between the lstat and the open (Windows has no O_NOFOLLOW).
        if not stat.S_ISREG(opened.st_mode) or (opened.st_ino, opened.st_dev) != (before.st_ino, before.st_dev):
            raise SkippedFile(f"{path} changed into a link or another file while it was read; it was skipped")
        if opened.st_size > limit:
            handle.seek(opened.st_size - limit)
        return handle.read(limit)


@dataclass
class CollectResult:
    path: Path
    files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def redacted_command(plan: InstallPlan, exe: str = "ccmsetup.exe") -> str:
    return redact(f"{exe} " + command_line(build_argv(plan, show_secrets=False)), plan)


def _setup_log_records(log_dir: Path) -> list:
    try:
        return parse_bytes(read_log_tail(log_dir / "ccmsetup.log"))
    except OSError:
        return []


def _is_service_command(command: str) -> bool:
    """The command line the ccmsetup service logs for itself (`... /runservice ...`), judged from its arguments."""
    return any(arg.lower() == "/runservice" for arg in split_windows_args(command))


def last_logged_command(log_dir: Path, records: list | None = None) -> str | None:
    """The command line of the latest run as the technician typed it, from ccmsetup.log ("Ccmsetup command line:
    ..."), redacted. The ccmsetup service logs its own `/runservice` line after it; that one is used only when
    the log has no other."""
    if records is None:
        records = _setup_log_records(log_dir)
    typed = service = None
    for record in records:
        match = _COMMAND_LINE.search(record.message)
        if match:
            command = match.group(1).strip()
            if _is_service_command(command):
                service = command
            else:
                typed, service = command, None
    found = typed or service
    return redact(found) if found else None


def _plan_from_command(command: str | None) -> InstallPlan | None:
    """The plan of a logged command line (secrets already masked), for running the matching checks."""
    if not command:
        return None
    from wizard.core.parse import CommandParseError, parse_command

    try:
        return parse_command(command).plan
    except CommandParseError:
        return None


def _folder_entries(folder: Path) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as entries:
            return sorted(entries, key=lambda e: e.name)
    except OSError:
        return []


def _log_files(host: Host, skipped: list[str] | None = None) -> list[tuple[Path, str]]:
    """(file, name inside the zip) for every log that belongs in the bundle. Links, junctions and anything but
    regular files among them are not taken (and are added to `skipped` with the reason)."""
    picked: list[tuple[Path, str]] = []
    skipped = skipped if skipped is not None else []

    def take(entry: os.DirEntry, zip_folder: str) -> None:
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError as exc:
            skipped.append(f"{entry.path} could not be examined: {exc.strerror or exc}")
            return
        if is_link(st):
            skipped.append(f"{entry.path} is a link or junction to somewhere else; it was not followed")
        elif not stat.S_ISREG(st.st_mode):
            if not stat.S_ISDIR(st.st_mode):
                skipped.append(f"{entry.path} is not a regular file; it was skipped")
        else:
            picked.append((Path(entry.path), f"{zip_folder}/{entry.name}"))

    for entry in _folder_entries(host.log_dir()):
        if any(fnmatch.fnmatchcase(entry.name.lower(), pattern) for pattern in SETUP_LOG_PATTERNS):
            take(entry, "logs/ccmsetup")
    wanted = {f"{base}{suffix}".lower() for base in CCM_LOG_NAMES for suffix in (".log", ".lo_")}
    for entry in _folder_entries(host.ccm_log_dir()):
        if entry.name.lower() in wanted:
            take(entry, "logs/ccm")
    return picked


def _read_redacted(path: Path, plan: InstallPlan | None) -> bytes:
    data = read_log_tail(path)
    text, encoding = decode_bytes(data)
    clean = redact(text, plan)
    bom = next((mark for mark in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
                if data.startswith(mark)), b"")
    try:
        body = clean.encode("utf-8" if encoding == "utf-8-sig" else encoding)
    except (UnicodeEncodeError, LookupError):
        bom, body = codecs.BOM_UTF8, clean.encode("utf-8")
    return bom + body


def _last_errors(records: list, plan: InstallPlan | None, limit: int = 15) -> list[str]:
    # the bootstrap and the service each start a block: look at the last two
    starts = [i for i, r in enumerate(records) if "ccmsetup started in process" in r.message.lower()]
    start = starts[-2] if len(starts) >= 2 else (starts[0] if starts else 0)
    picked = []
    for record in records[start:]:
        low = record.message.lower()
        if record.type == 3 or "failed with error code" in low or "exiting with return code" in low:
            when = record.time.strftime("%Y-%m-%d %H:%M:%S") if record.time else "?"
            picked.append(f"{when} {redact(record.message.strip(), plan)}")
    return picked[-limit:]


def _device_facts(host: Host) -> dict[str, Any]:
    facts: dict[str, Any] = {"description": host.describe(), "demo": host.is_demo, "preset": host.preset}
    for key, call in (("os", host.os_info), ("client", host.client_info), ("setup", host.setup_activity),
                      ("pending_reboot", host.pending_reboot), ("free_disk_bytes", host.free_disk_bytes),
                      ("elevated", host.is_elevated), ("retry_task", host.retry_task_state)):
        try:
            value = call()
            facts[key] = _jsonable(value)
        except Exception as exc:  # evidence collection must go on whatever one probe does
            facts[key] = f"error: {exc}"
    return facts


def _jsonable(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        from dataclasses import asdict

        return asdict(value)
    return value


def collect_evidence(
    host: Host,
    output: str | Path | None = None,
    *,
    plan: InstallPlan | None = None,
    check_results: Iterable[CheckResult] | None = None,
    session: Any = None,
    run_checks_if_missing: bool = True,
    timeout: float | None = None,
    checks_overridden: bool = False,
    errors_overridden: Iterable[Finding] = (),
) -> CollectResult:
    """Write the evidence zip and return where it went, what it holds and what could not be included.

    `output` defaults to `ccmsetup-evidence-<timestamp>.zip` in the current folder. Without `check_results` the
    checks are run now (for `plan`, or device-only checks when there is no plan). `session` (an InstallSession)
    adds the launch and outcome. `checks_overridden` says the install was started although checks failed (the
    technician chose to go on); summary.md states it next to the checks, as it does `errors_overridden` (rule
    errors in the command the technician chose to go on with). Raises OSError only when the zip itself cannot be
    written.
    """
    stamp = _dt.datetime.now(_dt.UTC)
    target = Path(output) if output else Path.cwd() / f"ccmsetup-evidence-{stamp:%Y%m%d-%H%M%S}.zip"
    result = CollectResult(target)
    if plan is None and session is not None:
        plan = session.plan
    records = _setup_log_records(host.log_dir())
    logged = last_logged_command(host.log_dir(), records) if plan is None else None
    check_plan = plan if plan is not None else _plan_from_command(logged)
    last_run = _last_run(host, records, check_plan) if session is None or session.launch_result is None else None
    if check_results is None and run_checks_if_missing:
        from wizard.host.checks import run_checks

        check_results = run_checks(host, check_plan or InstallPlan(), timeout=timeout)
    results = list(check_results or [])

    entries: dict[str, bytes] = {}
    command = redacted_command(plan) if plan is not None else logged
    entries["command.txt"] = ((command or "(no command known)") + "\n").encode("utf-8")
    try:
        entries["dsregcmd.txt"] = redact(host.dsregcmd_output()).encode("utf-8")
    except Exception as exc:
        result.warnings.append(f"dsregcmd output not included: {exc}")
    entries["checks.json"] = _redacted_json([r.to_dict() for r in results], plan)
    facts = _device_facts(host)
    entries["device.json"] = _redacted_json(facts, plan)
    entries["selftest.json"] = selftest_json_bytes(host)  # the device self-test (issue 10); never raises
    if session is not None:
        entries["session.json"] = _redacted_json(_session_facts(session), plan)

    skipped: list[str] = []
    for path, name in _log_files(host, skipped):
        try:
            entries[name] = _read_redacted(path, plan)
        except SkippedFile as exc:
            skipped.append(str(exc))
        except PermissionError:
            result.warnings.append(f"{path} could not be read without elevation: run the wizard as administrator "
                                   "to include it")
        except OSError as exc:
            result.warnings.append(f"{path} could not be read: {exc}")
    result.warnings += skipped
    if not any(name.startswith("logs/ccmsetup/") for name in entries):
        result.warnings.append(f"no ccmsetup logs found in {host.log_dir()}")

    entries["summary.md"] = _summary(host, stamp, facts, results, command, session, plan,
                                     sorted(entries), result.warnings, checks_overridden,
                                     tuple(errors_overridden), records=records, last_run=last_run).encode("utf-8")
    _write_zip_atomic(target, entries, stamp)
    result.files = sorted(entries)
    return result


def _redacted_json(data: Any, plan: InstallPlan | None) -> bytes:
    """JSON whose strings are redacted before they are escaped (so a secret holding `"` or `\\` is found too)."""
    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return redact(value, plan)
        if isinstance(value, dict):
            return {key: clean(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [clean(item) for item in value]
        return value

    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    return json.dumps(clean(json.loads(text)), indent=2, ensure_ascii=False).encode("utf-8")


def _last_run(host: Host, records: list, plan: InstallPlan | None) -> Any:
    """The outcome of the last run in ccmsetup.log (wizard.core.tracker), or None when the log holds none. Judged
    with what the device shows now (facts 4.2): with no ccmsetup left, a run without a result line is unknown,
    not running; while ccmsetup is still there, a logged result is not final (the service may retry)."""
    if not records:
        return None
    tracker = track_last_run(records, noservice=plan.noservice if plan is not None else False,
                             scenario=plan.scenario if plan is not None else None)
    try:
        running = host.setup_running()
    except Exception:  # cannot tell: the log's word alone
        return tracker.outcome
    if not running:
        tracker.note_no_setup_left()
        return tracker.outcome
    outcome = tracker.outcome
    if outcome.final:
        return dataclasses.replace(outcome, final=False, summary=f"{outcome.summary} ccmsetup is still running.")
    return outcome


def _session_facts(session: Any) -> dict[str, Any]:
    launch = session.launch_result
    outcome = session.outcome
    return {
        "launch": {"status": launch.status, "message": launch.message} if launch else None,
        "outcome": outcome.as_dict() | {"summary": outcome.summary},
        "exit_code": session.exit_code() if launch else None,
        "log_offsets": getattr(session, "offsets", {}),
    }


def _summary(host: Host, stamp: _dt.datetime, facts: dict[str, Any], results: list[CheckResult],
             command: str | None, session: Any, plan: InstallPlan | None, files: list[str],
             warnings: list[str], checks_overridden: bool = False, errors_overridden: tuple = (), *,
             records: list | None = None, last_run: Any = None) -> str:
    lines = [f"# ccmsetup evidence: {stamp:%Y-%m-%d %H:%M} UTC", ""]
    if host.is_demo:
        lines += [f"> **DEMO**: simulated device (preset `{host.preset}`); nothing here comes from a real device.", ""]
    lines += ["## Device", "", f"- {facts['description']}"]
    try:
        status = host.dsregcmd()
        tenant = f", tenant {status.tenant_name or ''} {status.tenant_id}".rstrip() if status.tenant_id else ""
        lines.append(f"- Join state: {status.join_state}{tenant}; user PRT: "
                     f"{'YES' if status.azure_ad_prt else 'NO' if status.azure_ad_prt is False else 'unknown'}")
    except Exception as exc:
        lines.append(f"- Join state: unknown ({exc})")
    client = facts.get("client")
    if isinstance(client, dict):
        lines.append(f"- Client installed: {client.get('version')} (site {client.get('site_code')})")
    else:
        lines.append("- Client installed: no")
    lines += ["", "## Command (secrets masked)", "", "```", command or "(no command known)", "```", ""]
    if session is not None and session.launch_result is not None:
        launch = session.launch_result
        lines += ["## Result", "", f"- Launch: {launch.status}: {redact(launch.message, plan)}",
                  *_outcome_lines(session.outcome, plan), ""]
    elif last_run is not None:
        lines += ["## Result (last run in ccmsetup.log)", "", *_outcome_lines(last_run, plan), ""]
    if checks_overridden:
        failed = [r.title for r in results if r.status in ("fail", "error")]
        which = f" ({', '.join(failed)})" if failed else ""
        lines += ["> **Checks overridden**: the install was started although checks failed" + which
                  + "; the technician chose to go on.", ""]
    if errors_overridden:
        listed = "; ".join(redact(f"{f.field or 'command'}: {f.message}", plan) for f in errors_overridden)
        lines += [f"> **Errors overridden**: the command has errors the technician chose to go on with ({listed}).",
                  ""]
    if results:
        lines += ["## Checks", "", "| Status | Check | Detail |", "|---|---|---|"]
        for r in results:
            detail = redact(r.detail, plan).replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {r.status.upper()} | {r.title} | {detail} |")
        lines.append("")
    errors = _last_errors(records or [], plan)
    if errors:
        lines += ["## Last errors and exit lines in ccmsetup.log", "", "```", *errors, "```", ""]
    if warnings:
        lines += ["## Not included", "", *[f"- {w}" for w in warnings], ""]
    lines += ["## Files", "", *[f"- `{name}`" for name in [*files, "summary.md"]], ""]
    return "\n".join(lines)


def _outcome_lines(outcome: Any, plan: InstallPlan | None) -> list[str]:
    """An outcome (wizard.core.tracker.Outcome) as summary.md bullets: state, codes, explanation."""
    lines = [f"- Outcome: **{outcome.state}**{'' if outcome.final else ' (not final yet)'}: "
             f"{redact(outcome.summary, plan)}"]
    if outcome.error_code or outcome.return_code is not None:
        lines.append(f"- Return code: {_or_none(outcome.return_code)}; error code: {_or_none(outcome.error_code)}")
    if outcome.explanation is not None:
        lines.append(f"- {outcome.explanation.title}: {outcome.explanation.meaning} "
                     f"What to do: {outcome.explanation.action}")
    return lines


def _or_none(value: Any) -> str:
    return "none" if value is None else str(value)


def _write_zip_atomic(target: Path, entries: dict[str, bytes], stamp: _dt.datetime) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as raw:
            with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                when = stamp.astimezone().timetuple()[:6]
                for name in sorted(entries):
                    info = zipfile.ZipInfo(name, date_time=when)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    archive.writestr(info, entries[name])
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp_name, target)
        tmp_name = ""
    finally:
        if tmp_name:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
