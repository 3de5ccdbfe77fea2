"""A finding: one thing the rules engine or the parser has to say about a plan or a pasted command."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str  # stable id, e.g. "site-code"; tooling depends on it
    severity: Severity
    message: str  # what is wrong, in plain words
    fix: str  # what to do about it
    field: str | None = None  # "SMSSITECODE", "/mp", "AADTENANTID", ... so a GUI can show it under the input
    doc: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Errors first, then warnings, then info; stable within a severity."""
    return sorted(findings, key=lambda f: SEVERITIES.index(f.severity))
