"""Findings: the root cause first (the earliest error that explains the final state), then the rest.

The final state is the latest ccmsetup run's outcome and, when it installed, whether the client registered.
A failed run is explained by the tracker; its evidence is the earliest line that carries the same explanation
(an AADSTS line before a generic 0x80004005, the download line before "CcmSetup failed with error code
0x80190194", the client.msi action that returned 3) and the result line. An installed client that did not
register is explained by the registration or Entra token failure that came first. Everything else the logs
say (earlier failed runs, known errors in the client's logs) follows, errors before warnings before notes.
`explain_message` is only asked about lines that can become findings, and each distinct text only once.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import partial
from operator import attrgetter, eq

from wizard.core.diagnose.runs import SETUP_KINDS, LineMatch, Run, evidence_of, pattern_explanation
from wizard.core.diagnose.timeline import TimelineEntry, column, select
from wizard.core.explain import Explanation, explain_message

__all__ = ["DiagnoseFinding", "find_findings"]

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
MAX_EVIDENCE = 5
MAX_EXPLAINED_LINES = 5000  # distinct error texts asked about per diagnosis
_MSI_RETURN_3 = re.compile(r"Action ended [\d:]+: (?P<action>[^.]+)\. Return value 3", re.IGNORECASE)
_MSI_DETAIL = re.compile(r"returned actual error code (\d+)|\bError (\d{4})\.", re.IGNORECASE)
_MSI_CODES = ("0x80070643", "1603")
_TYPE = attrgetter("record.type")
_KIND = attrgetter("source.kind")


@dataclass
class DiagnoseFinding:
    id: str
    severity: str  # error | warning | info
    title: str
    fix: str
    evidence: list[TimelineEntry] = field(default_factory=list)
    meaning: str = ""
    cause: str = ""
    doc: str | None = None
    code: str | None = None
    root_cause: bool = False

    def __post_init__(self) -> None:
        self.evidence = [e for e in self.evidence if e is not None]

    def as_dict(self) -> dict:
        return {"id": self.id, "severity": self.severity, "title": self.title, "fix": self.fix,
                "evidence": [evidence_of(e) for e in self.evidence]}


def _when(entry: TimelineEntry) -> str:
    iso = entry.utc_iso()
    if iso:
        return iso[:16].replace("T", " ") + "Z"
    local = entry.local_iso()
    return (local[:16].replace("T", " ") + " local") if local else "an unknown time"


class _Explainer:
    """explain_message with a memo per text and a cap on distinct texts."""

    def __init__(self) -> None:
        self._memo: dict[str, Explanation | None] = {}

    def __call__(self, message: str, scenario: str | None = None) -> Explanation | None:
        key = message if scenario is None else f"{scenario}\0{message}"
        try:
            return self._memo[key]
        except KeyError:
            pass
        if len(self._memo) >= MAX_EXPLAINED_LINES:
            return None
        try:
            value = explain_message(message, scenario)
        except ValueError:  # a damaged error table must not stop a diagnosis
            value = None
        self._memo[key] = value
        return value


def _dedupe(entries: list[TimelineEntry]) -> list[TimelineEntry]:
    seen: set[int] = set()
    out = []
    for entry in sorted((e for e in entries if e is not None), key=lambda e: e.key):
        if id(entry) not in seen:
            seen.add(id(entry))
            out.append(entry)
    return out


def find_findings(runs: list[Run], matches: list[LineMatch], timeline: list[TimelineEntry],
                  *, has_registration_log: bool) -> list[DiagnoseFinding]:
    explain = _Explainer()
    findings: list[DiagnoseFinding] = []
    final = _final_run(runs)
    root: DiagnoseFinding | None = None
    used: set[int] = set()  # ids of match entries already used as evidence of the root cause
    msi = _msi_failures(timeline)

    if final is not None:
        state = final.outcome.state
        if state == "failed":
            root = _setup_failed(final, explain, msi)
        elif state == "unknown":
            root = _setup_no_result(final)
        elif state == "running":
            root = _setup_unfinished(final)
        elif state == "reboot-required":
            # The install finishes after the restart; registration comes after that, so a missing one is no news.
            root = _restart_required(final)
            after = _after_install(final, has_registration_log)
            if after is not None and after.severity == "error":
                findings.append(after)
        else:
            root = _after_install(final, has_registration_log)
    else:
        root = _registration_only(matches, has_registration_log)
    if root is not None:
        root.root_cause = True
        findings.append(root)
        used.update(id(e) for e in root.evidence)

    findings += _earlier_runs(runs, final)
    # ccmsetup's own lines in a run that went on to install were a step it got past (e.g. the first of several
    # MPs did not answer): the run's result judges them, they are no finding of their own.
    went_on = {id(e) for r in runs if r.outcome.state in ("succeeded", "reboot-required") for e in r.entries} \
        if any(m.entry.source.kind in SETUP_KINDS for m in matches) else set()
    findings += _client_log_problems(matches, used, final, root, went_on)
    findings += _known_errors(timeline, explain, used, root)
    if msi and (root is None or not any(id(e) in used for e in msi)):
        findings.append(_msi_finding(msi, root, final))

    rest = [f for f in findings if not f.root_cause]
    rest.sort(key=lambda f: (SEVERITY_ORDER.get(f.severity, 3), f.evidence[0].key if f.evidence else 0))
    return ([root] if root is not None else []) + rest


def _final_run(runs: list[Run]) -> Run | None:
    main = [r for r in runs if r.start.source.kind == "ccmsetup"] or runs
    return max(main, key=lambda r: r.start.key) if main else None


# -- the final ccmsetup run ---------------------------------------------------------------------------------------


def _setup_failed(run: Run, explain: _Explainer, msi: list[TimelineEntry]) -> DiagnoseFinding:
    outcome = run.outcome
    exp = outcome.explanation
    code = outcome.error_code
    what = code or (f"return code {outcome.return_code}" if outcome.return_code is not None else "an error")
    terminal = _terminal_line(run)
    first = _first_explaining(run, exp, code, explain, terminal)
    evidence = [first, terminal]
    title = f"ccmsetup failed with {what}: {exp.title}" if exp else f"ccmsetup failed with {what}"
    msi_here = [e for e in msi if run.start.key - 60_000 <= e.key <= run.end.key + 60_000]
    if msi_here and (code in _MSI_CODES or (exp is not None and exp.code in _MSI_CODES)):
        evidence = msi_here[:2] + evidence
        action = next((m.group("action").strip() for e in msi_here if (m := _MSI_RETURN_3.search(e.message))),
                      None)
        if action:
            title += f" in {action}"
    fix = exp.action if exp else "Read the lines before the failure in ccmsetup.log."
    retry = getattr(outcome, "retry", None)
    if retry is not None:
        fix += (f" {retry.describe().rstrip('.')}: once the cause is fixed, a later attempt can succeed without "
                "a new install.")
    return DiagnoseFinding("setup-failed", "error", title, fix, _dedupe(evidence)[:MAX_EVIDENCE],
                           exp.meaning if exp else "", exp.cause if exp else "", exp.doc if exp else None,
                           exp.code if exp is not None and not exp.generic else
                           code or (str(outcome.return_code) if outcome.return_code is not None else None))


def _terminal_line(run: Run) -> TimelineEntry:
    for entry in reversed(run.entries):
        low = entry.message.lower()
        if "ccmsetup failed with error code" in low:
            return entry
    for entry in reversed(run.entries):
        if "ccmsetup is exiting with return code" in entry.message.lower():
            return entry
    return run.end


def _first_explaining(run: Run, exp: Explanation | None, code: str | None, explain: _Explainer,
                      terminal: TimelineEntry) -> TimelineEntry | None:
    """The earliest line of the run that carries the outcome's explanation (or its error code)."""
    digits = code[2:].lower().lstrip("0") if code else None
    for entry in run.entries:
        if entry is terminal:
            break
        low = entry.message.lower()
        if "ccmsetup failed with error code" in low or "exiting with return code" in low:
            continue
        if digits and digits in low:
            return entry
        if exp is not None and not exp.generic and (entry.type >= 2 or "fail" in low or "error" in low):
            found = explain(entry.message, run.scenario)
            if found is not None and found.code == exp.code:
                return entry
    return None


def _setup_no_result(run: Run) -> DiagnoseFinding:
    errors = [e for e in run.entries if e.type == 3]
    return DiagnoseFinding(
        "setup-no-result", "error",
        f"ccmsetup stopped without writing its result (run started {_when(run.start)})",
        "Read the last lines of this run in ccmsetup.log: the device may have restarted or the ccmsetup service "
        "stopped. Run ccmsetup again and follow it to the end (the wizard's Install page does).",
        _dedupe(errors[:1] + [run.end]), "The run has no 'CcmSetup is exiting with return code' or 'CcmSetup "
        "failed with error code' line before the next run or the end of the log.")


def _setup_unfinished(run: Run) -> DiagnoseFinding:
    return DiagnoseFinding(
        "setup-unfinished", "warning",
        f"The last ccmsetup run has no result yet ({run.tracker.phase_title.lower()})",
        "ccmsetup was still running when these logs were copied, or it stopped without a result. Wait until the "
        "'ccmsetup' service is gone and collect the logs again; if the log does not move for long, read its last "
        "lines.", [run.end], "The latest run wrote no result line.")


def _restart_required(run: Run) -> DiagnoseFinding:
    exp = run.outcome.explanation
    return DiagnoseFinding("setup-restart-required", "warning", "ccmsetup needs a restart to finish",
                           exp.action if exp else "Restart the device, then check ccmsetup.log again.",
                           [_terminal_line(run)], exp.meaning if exp else "", exp.cause if exp else "",
                           exp.doc if exp else None, "7")


def _after_install(run: Run, has_registration_log: bool) -> DiagnoseFinding | None:
    """An installed client: the registration (or the token it needed) is the final state."""
    after = run.after
    reg = after.registration
    token = after.entra_token
    token_entry = _entry_at(run, "entra_token")
    if reg is not None and reg["state"] == "registered":
        return None
    if reg is not None and reg["state"] in ("rejected", "failed"):
        exp = reg.get("explanation") or {}
        return DiagnoseFinding(f"registration-{reg['state']}", "error", exp.get("title") or
                               "The client did not register", exp.get("action") or "", [_entry_at(run, "registration")],
                               exp.get("meaning") or "", exp.get("cause") or "", exp.get("doc"), exp.get("code"))
    if token is not None and token["state"] == "failed":
        exp = token.get("explanation") or {}
        evidence = [token_entry]
        if reg is not None:
            evidence.append(_entry_at(run, "registration"))
        return DiagnoseFinding("entra-token-failed", "error",
                               "The client installed but could not get an Entra ID token, so it cannot register"
                               + (f": {exp['title']}" if exp.get("title") else ""),
                               exp.get("action") or "Check 'dsregcmd /status' on the device.", _dedupe(evidence),
                               exp.get("meaning") or "", exp.get("cause") or "", exp.get("doc"), token.get("error"))
    if reg is not None:
        return DiagnoseFinding(
            "registration-unfinished", "warning", "The client installed but has not registered with the site (yet)",
            "Registration normally follows within minutes. If ClientIDManagerStartup.log stays at "
            f"'{reg['state']}', check the Entra token (ADALOperationProvider.log), the management point or CMG "
            "(ClientLocation.log, LocationServices.log) and the device's record in the console.",
            [_entry_at(run, "registration")], "ClientIDManagerStartup.log shows no 'Client is registered' line after "
            "this install.")
    if not has_registration_log:
        return DiagnoseFinding(
            "registration-unknown", "info", "Installed; registration cannot be confirmed from these logs",
            "Add C:\\Windows\\CCM\\Logs\\ClientIDManagerStartup.log (the wizard's evidence zip includes it) and "
            "look for '[RegTask] - Client is registered'.", [_terminal_line(run)],
            "ccmsetup's result says nothing about registration with the site.")
    return DiagnoseFinding(
        "registration-not-seen", "warning", "Installed, but ClientIDManagerStartup.log says nothing after it",
        "Registration starts when the SMS Agent Host (CcmExec) service runs: check that it is running and read "
        "ClientIDManagerStartup.log again in a few minutes.", [_terminal_line(run)],
        "No registration line was written after this install.")


def _entry_at(run: Run, topic: str) -> TimelineEntry | None:
    return run.after.entries.get(topic)


def _registration_only(matches: list[LineMatch], has_registration_log: bool) -> DiagnoseFinding | None:
    """No ccmsetup log: judge what the client logs say about registration."""
    failures = [m for m in matches if m.pattern.topic == "registration" and m.pattern.severity == "error"]
    registered = [m for m in matches if m.pattern.id == "registered"]
    if failures and (not registered or registered[-1].key < failures[-1].key):
        first = failures[0]
        exp = pattern_explanation(first)
        return DiagnoseFinding(f"registration-{first.pattern.state}", "error", exp.title if exp else "",
                               exp.action if exp else "", [first.entry], exp.meaning if exp else "",
                               exp.cause if exp else "", exp.doc if exp else None, exp.code if exp else None)
    return None


# -- everything else ----------------------------------------------------------------------------------------------


def _earlier_runs(runs: list[Run], final: Run | None) -> list[DiagnoseFinding]:
    groups: OrderedDict[str, list[Run]] = OrderedDict()
    for run in runs:
        if run is final or run.outcome.state not in ("failed", "unknown"):
            continue
        key = run.outcome.error_code or (f"return code {run.outcome.return_code}"
                                         if run.outcome.return_code is not None else run.outcome.state)
        groups.setdefault(key, []).append(run)
    out = []
    ok_now = final is not None and final.outcome.state in ("succeeded", "reboot-required")
    for key, group in groups.items():
        first = group[0]
        exp = first.outcome.explanation
        times = "once" if len(group) == 1 else f"{len(group)} times"
        what = "stopped without a result" if first.outcome.state == "unknown" else f"failed with {key}"
        title = f"An earlier ccmsetup run {what} ({times}, first {_when(first.start)})"
        if exp is not None and first.outcome.state == "failed":
            title += f": {exp.title}"
        if ok_now:
            title += "; a later run succeeded"
        evidence = [_terminal_line(r) for r in group][:MAX_EVIDENCE]
        out.append(DiagnoseFinding(f"earlier-run-{first.outcome.state}", "info" if ok_now else "warning", title,
                                   exp.action if exp is not None else "Read that run's last lines in ccmsetup.log.",
                                   evidence, exp.meaning if exp else "", exp.cause if exp else "",
                                   exp.doc if exp else None, first.outcome.error_code))
    return out


def _client_log_problems(matches: list[LineMatch], used: set[int], final: Run | None,
                         root: DiagnoseFinding | None, went_on: set[int]) -> list[DiagnoseFinding]:
    recovered = _token_recoveries(matches)
    groups: OrderedDict[tuple[str, str], list[LineMatch]] = OrderedDict()
    fallbacks: list[LineMatch] = []
    for match in matches:
        if match.pattern.severity not in ("error", "warning") or id(match.entry) in used:
            continue
        if id(match) in recovered:
            fallbacks.append(match)
            continue
        if id(match.entry) in went_on:
            continue
        code = match.groups.get("code") or ""
        groups.setdefault((match.pattern.id, code), []).append(match)
    out = []
    for (pattern_id, _code), group in groups.items():
        first = group[0]
        exp = pattern_explanation(first)
        if exp is None:
            continue
        severity = first.pattern.severity
        title = exp.title + (f" ({len(group)} times)" if len(group) > 1 else "")
        if root is not None and root.code and exp.code == root.code and severity != "info":
            severity = "info"  # the same cause as the root, seen again in another log
        out.append(DiagnoseFinding(pattern_id, severity, title, exp.action, [m.entry for m in group][:3],
                                   exp.meaning, exp.cause, exp.doc, exp.code))
    if fallbacks:
        out.append(_token_fallback(fallbacks, recovered))
    return out


def _token_fallback(failed: list[LineMatch], recovered: dict[int, LineMatch]) -> DiagnoseFinding:
    """Token requests that failed before another one succeeded (typically the device token, then the user's)."""
    explanations = [pattern_explanation(m) for m in failed]
    specific = next((e for e in explanations if e is not None and e.code.lower().startswith(("0x", "aadsts"))),
                    None) or next((e for e in explanations if e is not None), None)
    success = recovered[id(failed[-1])]
    kind = success.groups.get("kind") or "other"
    code = f" ({specific.code})" if specific is not None and specific.code.lower().startswith(("0x", "aadsts")) \
        else ""
    return DiagnoseFinding(
        "entra-token-fallback", "info",
        f"An Entra ID token request failed{code}, then a {kind.lower()} token was retrieved: nothing to do",
        specific.action if specific is not None else "Nothing to do while a token follows.",
        [m.entry for m in failed][:2] + [success.entry], specific.meaning if specific else "",
        specific.cause if specific else "", specific.doc if specific else None,
        specific.code if specific else None)


def _token_recoveries(matches: list[LineMatch]) -> dict[int, LineMatch]:
    """Token failures followed by a retrieved token (in the same log): id(match) -> the success."""
    result: dict[int, LineMatch] = {}
    pending: dict[str, list[LineMatch]] = {}
    for match in matches:
        if match.pattern.topic != "entra_token":
            continue
        path = match.entry.source.path
        if match.pattern.state == "failed":
            pending.setdefault(path, []).append(match)
        else:
            for failed in pending.pop(path, []):
                result[id(failed)] = match
    return result


def _known_errors(timeline: list[TimelineEntry], explain: _Explainer, used: set[int],
                  root: DiagnoseFinding | None) -> list[DiagnoseFinding]:
    """Error lines of the client's logs (not ccmsetup's own: its runs are judged above) that the error table
    explains specifically."""
    groups: OrderedDict[str, tuple[Explanation, list[TimelineEntry]]] = OrderedDict()
    for entry in select(timeline, column(column(timeline, _TYPE), partial(eq, 3))):  # error lines, at C speed
        if entry.source.kind in SETUP_KINDS or entry.source.kind == "client.msi":
            continue
        if id(entry) in used:
            continue
        exp = explain(entry.message)
        if exp is None or exp.generic:
            continue
        groups.setdefault(exp.code, (exp, []))[1].append(entry)
    out = []
    for code, (exp, entries) in groups.items():
        if root is not None and root.code == code:
            continue
        times = f" ({len(entries)} times)" if len(entries) > 1 else ""
        paths = sorted({e.source.name for e in entries})
        out.append(DiagnoseFinding(f"log-error:{code}", "warning", f"{exp.title} in {', '.join(paths)}{times}",
                                   exp.action, entries[:3], exp.meaning, exp.cause, exp.doc, code))
    return out


def _msi_failures(timeline: list[TimelineEntry]) -> list[TimelineEntry]:
    """client.msi.log lines that show the failing action: its 'returned actual error code' / 'Error NNNN.' line
    and its 'Action ended ...: X. Return value 3.' line (INSTALL itself is only the consequence)."""
    out: list[TimelineEntry] = []
    for entry in select(timeline, column(column(timeline, _KIND), partial(eq, "client.msi"))):
        message = entry.message
        # An ASCII line without "return value 3" cannot match (lower() folds ASCII as IGNORECASE does).
        m = None if message.isascii() and "return value 3" not in message.lower() else _MSI_RETURN_3.search(message)
        failed_action = m is not None and m.group("action").strip().upper() != "INSTALL"
        detail = not out and "1603" in message and _MSI_DETAIL.search(message) is not None
        if failed_action or detail:
            out.append(entry)
    return out


def _msi_finding(msi: list[TimelineEntry], root: DiagnoseFinding | None, final: Run | None) -> DiagnoseFinding:
    action = next((m.group("action").strip() for e in msi if (m := _MSI_RETURN_3.search(e.message))), None)
    exp = explain_message("error 1603")
    timed = next((e for e in msi if e.local_ms is not None), msi[0])
    title = f"client.msi failed{f' in {action}' if action else ''} ({_when(timed)})"
    if final is not None and final.outcome.state in ("succeeded", "reboot-required") and timed.key < final.start.key:
        severity, title = "info", title + "; a later ccmsetup run succeeded"
    else:
        severity = "warning" if root is not None or final is not None else "error"
    return DiagnoseFinding("msi-failed", severity, title,
                           exp.action if exp else "Open client.msi.log and read the lines above 'Return value 3'.",
                           msi[:2], exp.meaning if exp else "", exp.cause if exp else "", exp.doc if exp else None,
                           "1603")


