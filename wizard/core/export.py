"""Exports: the rendered command as text to print or as a file to save (.cmd, .ps1, .txt, .json), refused when
the output would not do what the plan says.

A `.cmd` with a value holding a line break runs a second command; a quote or a trailing backslash in a value is
read differently by ccmsetup and Windows Installer than it is written; a `;` in an /mp entry splits it in two;
a quote in the path of ccmsetup.exe ends the quoted path early. Those are the `value-quoting` errors, the one
place that names what makes output unsafe is UNSAFE_OUTPUT_RULES, and every export path (GUI Export, CLI
`command`, `command --output`) goes through `export_text` / `save_export` here.

Files are written atomically in the encoding `render.file_encoding(fmt)` gives (a .ps1 gets UTF-8 with a BOM,
which Windows PowerShell 5.1 needs to read non-ASCII text), with the line ends the renderer chose.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from wizard.core.findings import Finding, sort_findings
from wizard.core.plan import InstallPlan
from wizard.core.profiles import atomic_write_bytes
from wizard.core.render import FORMATS, file_encoding, render
from wizard.core.rules import lint, make_finding

# Rule ids whose errors make rendered output unsafe: it would run something else, or pass other values than
# the plan holds. Exports refuse a plan with any of them; other errors (a missing site code) are the
# technician's to fix before running it, and the GUI and CLI say so.
UNSAFE_OUTPUT_RULES = frozenset({"value-quoting"})

# A quote ends the quoted path in a .cmd and on a command line; line breaks and control characters can't be in
# a path at all (and would end the line in a script).
_BAD_EXE = re.compile("[\"\x00-\x1f\x7f\x85\u2028\u2029]")


class UnsafeOutputError(ValueError):
    """The plan (or the ccmsetup.exe path) can't be exported safely; `findings` says why, with rule ids."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        reasons = "; ".join(f"{f.rule}{f' [{f.field}]' if f.field else ''}: {f.message}" for f in findings)
        super().__init__(f"not exported, the output would not be safe to run: {reasons}")


def unsafe_findings(plan: InstallPlan, fmt: str | None = None, *, exe: str = "ccmsetup.exe") -> list[Finding]:
    """The errors that make `plan` (run as `exe`) unsafe to export; empty when it can be exported."""
    found = [f for f in lint(plan, fmt=fmt) if f.severity == "error" and f.rule in UNSAFE_OUTPUT_RULES]
    if not exe or _BAD_EXE.search(exe):
        found.append(make_finding("value-quoting", "executable", "exe"))
    return sort_findings(found)


def export_text(plan: InstallPlan, fmt: str, *, show_secrets: bool = False, exe: str = "ccmsetup.exe") -> str:
    """The plan rendered in `fmt`, or UnsafeOutputError. ValueError for an unknown format."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    problems = unsafe_findings(plan, fmt, exe=exe)
    if problems:
        raise UnsafeOutputError(problems)
    return render(plan, fmt, show_secrets=show_secrets, exe=exe)


def export_bytes(plan: InstallPlan, fmt: str, *, show_secrets: bool = False, exe: str = "ccmsetup.exe") -> bytes:
    """The file content for `fmt`: the rendered text as is (a one-line Intune command gets no line break that
    could be copied along) in `file_encoding(fmt)`."""
    return export_text(plan, fmt, show_secrets=show_secrets, exe=exe).encode(file_encoding(fmt))


def save_export(path: str | os.PathLike[str], plan: InstallPlan, fmt: str, *, show_secrets: bool = False,
                exe: str = "ccmsetup.exe") -> Path:
    """Write the export to `path` atomically (an existing file keeps its permissions). Raises UnsafeOutputError
    before anything is written, OSError when the file can't be written (the old one stays)."""
    data = export_bytes(plan, fmt, show_secrets=show_secrets, exe=exe)
    atomic_write_bytes(path, data)
    return Path(path)
