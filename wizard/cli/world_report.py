"""What the CLI says about a simulated run: the cause the simulated world planted (with the check that
predicted it, one shared finding id), and a lab's debrief, for `install` (text and --json)."""

from __future__ import annotations

from typing import Any

from wizard.host.base import Host


def _last_verdict(host: Host):
    """The demo host's verdict for its last launched run; None on a real device or before a launch."""
    run = getattr(host, "simulated_run", None)
    return run() if callable(run) else None


def simulated_cause(host: Host, check_results) -> dict[str, Any] | None:
    """The demo's verdict for the last launched run, with the checks that predicted its finding; None
    outside demo mode or before a launch."""
    verdict = _last_verdict(host)
    if verdict is None:
        return None
    document = verdict.to_dict()
    if verdict.finding is not None:
        predicted = verdict.finding.predicted_by(list(check_results or ()))
        document["predicted_by"] = [r.id for r in predicted]
    return document


def cause_lines(host: Host, check_results) -> list[str]:
    verdict = _last_verdict(host)
    if verdict is None:
        return []
    lines = []
    for note in verdict.notes:
        lines.append(f"  Simulated device: {note.title}. {note.cause}")
    found = verdict.finding
    if found is None or verdict.state == "succeeded":
        return lines
    predicted = found.predicted_by(list(check_results or ()))
    lines.append(f"Cause in the simulated world [{found.id}]: {found.title}. {found.cause}")
    lines.append(f"  Fix: {found.fix}")
    if predicted:
        names = ", ".join(f"'{r.title}' ({r.status})" for r in predicted)
        lines.append(f"  Predicted by the check{'s' if len(predicted) > 1 else ''} {names}.")
    elif found.checks:
        lines.append("  No check flagged it before the install.")
    return lines


def lab_debrief(host: Host, *, plan_argv: list[str] | None, check_results, launch_status: str | None,
                hints_used: int = 0):
    """The lab's debrief for this attempt (None outside a lab)."""
    lab = getattr(host, "lab", None)
    if lab is None:
        return None
    return lab.debrief(plan_argv=plan_argv, check_results=list(check_results or ()), verdict=_last_verdict(host),
                       launch_status=launch_status, hints_used=hints_used)
