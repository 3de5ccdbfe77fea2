"""Every ccmsetup run in the input, judged by the install tracker, and what followed each one.

ccmsetup.log, its rolled-over copy ccmsetup.lo_ and dated history copies are one stream per folder; a stream
holds many runs (retries, upgrades, repairs). Each run is judged by `track_runs` (bootstrap + service = one run),
with the scenario its own logged command line implies. "After" reads the client's logs between this run's start
and the next one's: registration (ClientIDManagerStartup), Entra and CCM tokens, the assigned site and MP/CMG.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field, replace
from functools import lru_cache, partial
from operator import attrgetter, eq
from typing import Any

from wizard.core.diagnose.patterns import LinePattern
from wizard.core.diagnose.timeline import TimelineEntry, column, select
from wizard.core.explain import Explanation, explain_code, explain_message
from wizard.core.redact import redact
from wizard.core.tracker import Outcome, track_runs

__all__ = ["After", "LineMatch", "Run", "find_runs", "evidence_of"]

SETUP_KINDS = ("ccmsetup", "ccmsetup-ccmeval")
_SETUP = frozenset(SETUP_KINDS)
_KIND = attrgetter("source.kind")
_FOLDER = attrgetter("source.folder")
OUTCOME_KEYS = ("state", "return_code", "return_code_source", "error_code", "final", "explanation")  # as log summary
_COMMAND_LINE = re.compile(r"ccmsetup command line:\s*(.+)", re.IGNORECASE | re.DOTALL)
_AADSTS = re.compile(r"AADSTS\d+", re.IGNORECASE)


def evidence_of(entry: TimelineEntry | None) -> dict | None:
    if entry is None:
        return None
    return {"path": entry.source.path, "line": entry.line, "utc": entry.utc_iso()}


@dataclass(frozen=True, slots=True)
class LineMatch:
    """A client-log line that a pattern recognised (slots and the match object rather than a dict of its groups:
    a big folder has 100k+ of them)."""

    entry: TimelineEntry
    pattern: LinePattern
    found: re.Match

    @property
    def groups(self) -> dict:
        return self.found.groupdict()

    @property
    def key(self) -> int:
        return self.entry.key


@dataclass
class After:
    """What the client's logs say after a run (each part None when nothing about it was seen)."""

    registration: dict | None = None
    entra_token: dict | None = None
    site: dict | None = None
    management_point: dict | None = None
    registration_log: bool = True  # ClientIDManagerStartup.log is among the input
    entries: dict = field(default_factory=dict, repr=False)  # topic -> the timeline entry that decided it

    def as_dict(self) -> dict:
        registration = self.registration
        if registration is None:
            registration = {"state": "not-seen" if self.registration_log else "no-log", "client_id": None,
                            "approval_status": None, "method": None, "explanation": None, "evidence": None}
        return {"registration": registration, "entra_token": self.entra_token, "site": self.site,
                "management_point": self.management_point}


@dataclass
class Run:
    family: str  # the stream it came from, e.g. "logs/ccmsetup/ccmsetup.log"
    entries: list[TimelineEntry]  # the run's own ccmsetup records, in order
    outcome: Outcome
    tracker: Any
    scenario: str | None = None
    command: str | None = None  # as logged, secrets masked
    after: After = field(default_factory=After)
    last_of_family: bool = False

    @property
    def start(self) -> TimelineEntry:
        return self.entries[0]

    @property
    def end(self) -> TimelineEntry:
        return self.entries[-1]

    @property
    def started_utc(self) -> str | None:
        return self.start.utc_iso()

    @property
    def ended_utc(self) -> str | None:
        return self.end.utc_iso()

    def as_dict(self) -> dict:
        outcome = self.outcome.as_dict()
        return {"started_utc": self.started_utc, "ended_utc": self.ended_utc,
                "outcome": {key: outcome.get(key) for key in OUTCOME_KEYS}, "after": self.after.as_dict()}


def _families(timeline: list[TimelineEntry]) -> dict[tuple[str, str], list[TimelineEntry]]:
    """(folder, kind) -> its ccmsetup entries in timeline order, picked with C-level filters."""
    setup = select(timeline, column(column(timeline, _KIND), _SETUP.__contains__))
    names = list(zip(column(setup, _FOLDER), column(setup, _KIND), strict=True))
    return {name: select(setup, column(names, partial(eq, name))) for name in dict.fromkeys(names)}


def _scenario_of(entries: list[TimelineEntry]) -> tuple[str | None, str | None]:
    """(scenario, masked command) from the run's 'Ccmsetup command line:' echo."""
    from wizard.core.parse import CommandParseError, parse_command
    from wizard.core.plan import infer_scenario

    for entry in entries[:200]:
        message = entry.message
        if "ommand line:" not in message:
            continue
        m = _COMMAND_LINE.search(message)
        if not m:
            continue
        command = m.group(1).strip()
        try:
            plan = parse_command(command).plan
        except (CommandParseError, ValueError):
            return None, redact(command)
        return infer_scenario(plan), redact(command)
    return None, None


def find_runs(timeline: list[TimelineEntry], matches: list[LineMatch], has_registration_log: bool) -> list[Run]:
    """Runs of every ccmsetup stream in start order, each with its `after`."""
    runs: list[Run] = []
    for (folder, kind), entries in _families(timeline).items():
        family = _family_name(entries, folder, kind)
        records = [e.record for e in entries]
        tracked = track_runs(records)
        for position, item in enumerate(tracked):
            run_entries = entries[item.first_index:item.last_index + 1]
            scenario, command = _scenario_of(run_entries)
            outcome, tracker = item.outcome, item.tracker
            if scenario is not None:
                # Explanations depend on the scenario (e.g. 0x87d0027e with a bulk token): the tracker explains
                # its outcome with its own scenario when asked, and an error text it kept is explained again.
                tracker.scenario = scenario
                outcome = _with_scenario(tracker.outcome, scenario)
            last = position == len(tracked) - 1
            if not last and not outcome.final:
                # Another run started after it: whatever this one was doing, it ended without a result.
                tracker.note_no_setup_left()
                outcome = tracker.outcome
            runs.append(Run(family, run_entries, outcome, tracker, scenario, command, last_of_family=last))
    runs.sort(key=lambda r: r.start.key)
    keys = [m.key for m in matches]
    for run in runs:
        following = [r.start.key for r in runs if r.family == run.family and r.start.key > run.start.key]
        run.after = _after(matches, run.start.key, min(following) if following else None, has_registration_log,
                           keys)
    return runs


def _with_scenario(outcome: Outcome, scenario: str) -> Outcome:
    exp = outcome.explanation
    if exp is None or exp.generic or exp.code in (outcome.error_code, str(outcome.return_code)):
        return outcome
    again = explain_code(exp.code, scenario)
    return replace(outcome, explanation=again) if again.code == exp.code else outcome


def _family_name(entries: list[TimelineEntry], folder: str, kind: str) -> str:
    names = sorted({e.source.path for e in entries}, key=lambda p: (not p.lower().endswith(".log"), p))
    return names[0] if names else f"{folder}/{kind}.log"


def _after(matches: list[LineMatch], start: int, end: int | None, has_registration_log: bool,
           keys: list[int]) -> After:
    """What the client's logs say between `start` and `end`; `keys` are the matches' keys (sorted)."""
    lo = bisect_left(keys, start)
    hi = bisect_left(keys, end) if end is not None else len(matches)
    after = After(registration_log=has_registration_log)
    decided: dict[str, TimelineEntry] = {}  # topic -> the line that set it (evidence built once at the end)
    for match in matches[lo:hi]:
        topic = match.pattern.topic
        if topic == "registration":
            after.registration, changed = _registration(after.registration, match)
            if changed:
                decided["registration"] = match.entry
        elif topic == "entra_token":
            after.entra_token = _token(after.entra_token, match)
            decided["entra_token"] = match.entry
        elif topic == "ccm_token" and after.entra_token is not None:
            after.entra_token["ccm_token_cached"] = True
        elif topic == "site" and match.groups.get("site"):
            after.site = {"site_code": match.groups["site"].upper(), "evidence": None}
            decided["site"] = match.entry
        elif topic == "management_point" and match.groups.get("mp"):
            if match.pattern.state == "setup" and after.management_point and \
                    after.management_point["source"] == "client":
                continue  # the client's own choice outranks the MP ccmsetup downloaded from
            address = match.groups["mp"].rstrip("'\".,")
            after.management_point = {"address": address, "cmg": "ccm_proxy" in address.lower(),
                                      "source": "setup" if match.pattern.state == "setup" else "client",
                                      "evidence": None}
            decided["management_point"] = match.entry
    for topic, entry in decided.items():
        getattr(after, topic)["evidence"] = evidence_of(entry)
    after.entries = {t: e for t, e in decided.items() if t in ("registration", "entra_token")}
    return after


def pattern_explanation(match: LineMatch) -> Explanation | None:
    """The error table's specific explanation of the line when the pattern asks for it, else the pattern's."""
    pattern = match.pattern
    if pattern.explain:
        specific = _explain_text(match.entry.message)
        if specific is not None and not specific.generic:
            return specific
    if not pattern.title:
        return None
    code = match.groups.get("code") or _first(_AADSTS.findall(match.entry.message)) or pattern.id
    return Explanation(code, pattern.title, pattern.meaning, pattern.cause, pattern.action, pattern.doc)


@lru_cache(maxsize=4096)
def _explain_text(message: str) -> Explanation | None:
    """explain_message, once per distinct text (a failing token renewal repeats the same line for days)."""
    try:
        return explain_message(message)
    except ValueError:  # a damaged error table must not stop a diagnosis
        return None


def _first(values: list[str]) -> str | None:
    return values[0] if values else None


def _registration(current: dict | None, match: LineMatch) -> tuple[dict, bool]:
    """(registration, whether this line decided it)."""
    pattern, groups = match.pattern, match.groups
    reg = current or {"state": "pending", "client_id": None, "approval_status": None, "method": None,
                      "explanation": None, "evidence": None}
    if reg["state"] == "registered" and pattern.state in ("pending", "registering"):
        return reg, False  # chatter after a successful registration does not undo it
    reg["state"] = pattern.state
    if groups.get("client_id"):
        reg["client_id"] = groups["client_id"].upper()
    if groups.get("approval"):
        reg["approval_status"] = int(groups["approval"])
    if pattern.method:
        reg["method"] = pattern.method
    explanation = pattern_explanation(match) if pattern.severity in ("error", "warning") else None
    reg["explanation"] = explanation.as_dict() if explanation else None
    return reg, True


def _token(current: dict | None, match: LineMatch) -> dict:
    pattern, groups = match.pattern, match.groups
    token = current or {"state": "failed", "kind": None, "error": None, "fell_back": False,
                        "ccm_token_cached": False, "explanation": None, "evidence": None}
    if pattern.state == "acquired":
        token["fell_back"] = token["state"] == "failed" and current is not None
        token["state"] = "acquired"
        token["kind"] = (groups.get("kind") or "").lower() or None
        token["error"] = None  # a later success replaces the failure (fell_back says there was one)
        token["explanation"] = None
    else:
        token["state"] = "failed"
        code = groups.get("code") or _first(_AADSTS.findall(groups.get("details") or ""))
        if code and (token["error"] is None or code.upper().startswith("AADSTS")):
            token["error"] = code.lower() if code.lower().startswith("0x") else code.upper()
        explanation = pattern_explanation(match)
        if explanation is not None and (token["explanation"] is None or not explanation.generic):
            token["explanation"] = explanation.as_dict()
    return token
