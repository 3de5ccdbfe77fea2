"""Diagnosis as JSON rows, as terminal text and as Markdown for a ticket. Every log text that leaves here is
masked (ccmsetup echoes its command line, bulk token included, into its log)."""

from __future__ import annotations

import functools
import json
from typing import TextIO

from wizard.core.diagnose.clock import key_to_iso
from wizard.core.diagnose.findings import DiagnoseFinding
from wizard.core.diagnose.runs import Run
from wizard.core.diagnose.timeline import TimelineEntry
from wizard.core.redact import redact, secret_markers

__all__ = ["mask", "run_line", "timeline_dict", "to_markdown", "to_text", "write_json"]

_SEVERITY_WORD = {"error": "ERROR", "warning": "WARNING", "info": "NOTE"}


@functools.cache
def _markers() -> tuple[str, ...]:
    return secret_markers()


def mask(text: str) -> str:
    """`redact(text)`, run only on texts that could hold a secret: a JWT (always starting `eyJ`) or a secret
    switch or property name (plain substring tests first; a case-insensitive regex per line costs 10x more)."""
    return _masked(text) if len(text) < 4096 else _mask(text)


@functools.lru_cache(maxsize=16384)
def _masked(text: str) -> str:
    """`_mask` once per text: a log repeats most of its lines (the JSON timeline masks every one)."""
    return _mask(text)


def _mask(text: str) -> str:
    low = text.lower()
    if not any(marker in low for marker in _markers()):
        return text
    return redact(text)


def timeline_dict(entry: TimelineEntry) -> dict:
    local, bias, record = entry.local_ms, entry.bias, entry.record
    return {"utc": None if local is None or bias is None else key_to_iso(local + bias * 60_000, utc=True),
            "local": None if local is None else key_to_iso(local, utc=False), "bias_minutes": bias,
            "path": entry.source.path, "line": entry.line, "component": record.component, "type": record.type,
            "message": mask(record.message)}


def write_json(diagnosis, out: TextIO) -> None:
    """`json.dump(diagnosis.to_dict(), out)` written row by row: a 100 MB folder's timeline never exists as one
    list of dicts or one string."""
    head = diagnosis.to_dict(timeline=False)
    out.write("{")
    for key in ("sources", "runs", "findings"):
        out.write(f"{json.dumps(key)}: {json.dumps(head[key], ensure_ascii=False)}, ")
    out.write('"timeline": [')
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    timeline = diagnosis.timeline
    for at in range(0, len(timeline), 2048):  # one C-level encode per block of rows: the same text as row by row
        if at:
            out.write(", ")
        out.write(dumps(list(map(timeline_dict, timeline[at:at + 2048])))[1:-1])
    out.write("]}")


def _when(entry: TimelineEntry | None) -> str:
    if entry is None:
        return "?"
    utc = entry.utc_iso()
    if utc:
        return utc[:19].replace("T", " ") + "Z"
    local = entry.local_iso()
    return f"{local[:19].replace('T', ' ')} (local)" if local else "no time"


def run_line(run: Run) -> str:
    """One line about a run: when, outcome, code and its title."""
    outcome = run.outcome
    parts = [f"{_when(run.start)} → {_when(run.end)}", outcome.state]
    if outcome.error_code:
        parts.append(outcome.error_code)
    elif outcome.return_code is not None:
        parts.append(f"return code {outcome.return_code}")
    if outcome.explanation is not None and outcome.state not in ("succeeded",):
        parts.append(outcome.explanation.title)
    return "  ".join(parts)


def after_line(run: Run) -> str:
    after = run.after.as_dict()
    reg = after["registration"]
    bits = [f"registration: {reg['state']}" + (f" (approval {reg['approval_status']})"
                                               if reg.get("approval_status") is not None else "")]
    token = after["entra_token"]
    if token:
        detail = token["kind"] or token["error"] or ""
        bits.append(f"Entra token: {token['state']}" + (f" ({detail})" if detail else ""))
    if after["site"]:
        bits.append(f"site: {after['site']['site_code']}")
    mp = after["management_point"]
    if mp:
        bits.append(f"{'CMG' if mp['cmg'] else 'MP'}: {mp['address']}")
    return "; ".join(bits)


def evidence_line(entry: TimelineEntry) -> str:
    return f"{entry.source.path}:{entry.line} ({_when(entry)}): {mask(entry.message.splitlines()[0] if entry.message else '')[:200]}"


def _finding_lines(finding: DiagnoseFinding, bullet: str = "  ") -> list[str]:
    label = "ROOT CAUSE " if finding.root_cause else ""
    lines = [f"{label}[{_SEVERITY_WORD.get(finding.severity, finding.severity)}] {finding.title}"]
    if finding.meaning:
        lines.append(f"{bullet}what it means: {finding.meaning}")
    if finding.fix:
        lines.append(f"{bullet}fix: {finding.fix}")
    for entry in finding.evidence:
        lines.append(f"{bullet}evidence: {evidence_line(entry)}")
    return lines


def to_text(diagnosis, *, timeline: bool = False) -> str:
    """What `ccmsetup-wizard diagnose PATH` prints."""
    d = diagnosis
    records = sum(len(s.records) for s in d.sources)
    lines = [f"Diagnosed {d.input} ({d.input_kind}): {len(d.sources)} logs, {records:,} records."]
    lines += ["", "Sources:"]
    width = max((len(s.path) for s in d.sources), default=10)
    for source in d.sources:
        bias = d.bias_minutes(source)
        convention = d.convention(source)
        clock = "no bias" if bias is None else f"bias {bias:+d} ({'UTC offset, flipped' if convention == 'offset' else 'Windows'})"
        lines.append(f"  {source.path:<{width}}  {source.kind:<22} {len(source.records):>9,} records  {clock}")
        for problem in d.problems(source):
            lines.append(f"  {'':<{width}}  ! {problem}")
    lines += ["", "ccmsetup runs:" if d.runs else "ccmsetup runs: none found."]
    for number, run in enumerate(d.runs, 1):
        lines.append(f"  {number}. {run_line(run)}   [{run.family}]")
        lines.append(f"     after: {after_line(run)}")
    lines += ["", "Findings:" if d.findings else "Findings: nothing wrong found."]
    for finding in d.findings:
        lines += ["  " + text if i else "  " + text for i, text in enumerate(_finding_lines(finding, "    "))]
    if timeline:
        lines += ["", "Timeline (UTC):"]
        for entry in d.timeline:
            lines.append(f"  {_when(entry):<24} {entry.source.path}:{entry.line}  {entry.record.component}  "
                         f"{mask(entry.message.splitlines()[0] if entry.message else '')}")
    else:
        lines += ["", f"Merged timeline: {len(d.timeline):,} records (--timeline prints it, --json has it all)."]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(diagnosis) -> str:
    """The findings for a ticket: verdict, root cause and fix, runs, other findings with evidence, sources."""
    d = diagnosis
    lines = ["# ccmsetup diagnosis", "", f"Input: `{d.input}` ({d.input_kind}, {len(d.sources)} logs)", ""]
    root = d.root_cause
    if root is not None:
        lines += ["## Root cause", "", f"**{root.title}**", ""]
        if root.meaning:
            lines += [root.meaning, ""]
        if root.cause:
            lines += [f"Likely cause: {root.cause}", ""]
        lines += [f"**Fix:** {root.fix}", ""]
        if root.doc:
            lines += [f"Documentation: {root.doc}", ""]
        lines += ["Evidence:", ""] + [f"- `{_md(evidence_line(e))}`" for e in root.evidence] + [""]
    else:
        lines += ["## Verdict", "", "No problem found: the last ccmsetup run succeeded and nothing in the client's "
                  "logs points to a failure." if d.runs else "No ccmsetup run and no known problem in these logs.",
                  ""]
    if d.runs:
        lines += ["## ccmsetup runs", "", "| # | Started (UTC) | Ended (UTC) | Outcome | Code | After |",
                  "|---|---|---|---|---|---|"]
        for number, run in enumerate(d.runs, 1):
            o = run.outcome
            code = o.error_code or ("" if o.return_code is None else str(o.return_code))
            lines.append(f"| {number} | {_when(run.start)} | {_when(run.end)} | {o.state} | {code} | "
                         f"{_md(after_line(run))} |")
        lines.append("")
    others = [f for f in d.findings if not f.root_cause]
    if others:
        lines += ["## Other findings", ""]
        for finding in others:
            lines.append(f"- **{_SEVERITY_WORD.get(finding.severity, finding.severity)}: {_md(finding.title)}**  ")
            if finding.fix:
                lines.append(f"  Fix: {_md(finding.fix)}  ")
            for entry in finding.evidence:
                lines.append(f"  Evidence: `{_md(evidence_line(entry))}`  ")
        lines.append("")
    lines += ["## Logs read", "", "| Log | Kind | Records | Bias (UTC = local + bias) | Problems |",
              "|---|---|---|---|---|"]
    for source in d.sources:
        bias = d.bias_minutes(source)
        flipped = " (UTC offset, flipped)" if d.convention(source) == "offset" else ""
        lines.append(f"| `{_md(source.path)}` | {source.kind} | {len(source.records):,} | "
                     f"{'—' if bias is None else f'{bias:+d}{flipped}'} | {_md('; '.join(d.problems(source)))} |")
    lines.append("")
    return "\n".join(lines)
