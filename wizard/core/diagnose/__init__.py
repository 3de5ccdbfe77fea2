"""Diagnose: read a device's ccmsetup and client logs (a file, a folder or an evidence zip), merge them into one
timeline in UTC, judge every ccmsetup run and say what went wrong first, with the fix.

    from wizard.core.diagnose import diagnose
    result = diagnose("ccmsetup-evidence.zip")
    result.root_cause, result.runs, result.findings, result.timeline, result.to_dict(), to_markdown(result)

Pure Python (no Qt, no OS calls beyond reading files and zips); see docs/architecture.md.
"""

from wizard.core.diagnose.clock import CONVENTIONS
from wizard.core.diagnose.engine import Diagnosis, diagnose, match_conventions, parse_utc
from wizard.core.diagnose.findings import DiagnoseFinding
from wizard.core.diagnose.report import mask, to_markdown, to_text
from wizard.core.diagnose.runs import After, Run
from wizard.core.diagnose.sources import DiagnoseCancelled, Source, kind_for_name
from wizard.core.diagnose.timeline import TimelineEntry

__all__ = [
    "CONVENTIONS", "After", "DiagnoseCancelled", "DiagnoseFinding", "Diagnosis", "Run", "Source", "TimelineEntry",
    "diagnose", "kind_for_name", "mask", "match_conventions", "parse_utc", "to_markdown", "to_text",
]
