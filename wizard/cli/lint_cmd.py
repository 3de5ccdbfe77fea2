"""`ccmsetup-wizard lint "<command line>" [--json]`: check a ccmsetup command.

Exit 0 when there are no errors, 1 when there are errors, 2 when the text can't be parsed."""

from __future__ import annotations

import argparse
import codecs
import sys

from wizard.cli.safe_output import SafeOutput
from wizard.core.findings import Finding, has_errors, sort_findings
from wizard.core.parse import CommandParseError, ParsedCommand, parse_command
from wizard.core.render import quote_executable, quote_token
from wizard.core.rules import lint


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "lint",
        help="check a ccmsetup command line and explain what is wrong",
        description="Check a ccmsetup command line (or an Intune CCMSETUPCMD=\"...\" line, or '-' to read it "
                    "from standard input). Exit 0: no errors; 1: errors found; 2: not a ccmsetup command.",
    )
    parser.add_argument("command_line", nargs="+", metavar="COMMAND",
                        help="the command line, in quotes (unquoted words are joined back together)")
    parser.add_argument("--json", action="store_true", help="print the findings as a JSON list")
    parser.set_defaults(func=run)
    return parser


def joined_command(words: list[str]) -> str:
    """One word is used as typed; several (an unquoted paste the shell split) are joined back with
    quotes where a value needs them."""
    if len(words) == 1:
        return read_stdin() if words[0] == "-" else words[0]
    first, rest = words[0], words[1:]
    head = quote_executable(first) if not first.startswith("/") and "=" not in first else quote_token(first)
    return " ".join([head, *(quote_token(word) for word in rest)])


def read_stdin() -> str:
    """Standard input as text: UTF-16 with a BOM (Windows PowerShell pipes), else UTF-8; undecodable bytes are
    kept as surrogates, which the parser refuses with a message (exit 2) instead of a traceback."""
    data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode("utf-8", "surrogateescape")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "surrogatepass")
    return data.decode("utf-8-sig", "surrogateescape")


def collect_findings(text: str) -> list[Finding]:
    """Parser findings plus rule findings, without repeats. Raises CommandParseError. The findings may quote
    what was typed: print them through a SafeOutput that knows the command's secrets."""
    return _merged_findings(parse_command(text))


def _merged_findings(parsed: ParsedCommand) -> list[Finding]:
    seen: set[tuple[str, str | None]] = set()
    merged = []
    # What the pasted line runs decides msi-only rules (PROVISIONTS) and the Intune length limit.
    if parsed.source_format == "intune-msi":
        fmt = "intune-msi"
    elif parsed.executable and parsed.source_format in ("windows", "cmd", "powershell"):
        fmt = parsed.source_format
    else:
        fmt = None
    for finding in [*parsed.findings, *lint(parsed.plan, fmt=fmt)]:
        key = (finding.rule, finding.field)
        if key in seen and finding.rule in ("unknown-property", "unknown-parameter"):
            continue
        seen.add(key)
        merged.append(finding)
    return sort_findings(merged)


def format_finding(finding: Finding) -> str:
    where = f" [{finding.field}]" if finding.field else ""
    return f"{finding.severity}: {finding.rule}{where}: {finding.message}\n    fix: {finding.fix}"


def run(args: argparse.Namespace) -> int:
    output = SafeOutput()
    text = joined_command(args.command_line)
    output.know_text(text)
    try:
        parsed = parse_command(text)
    except CommandParseError as exc:
        output.err(f"ccmsetup-wizard lint: {exc}")
        return 2
    output.know(parsed=parsed)
    findings = output.findings(_merged_findings(parsed))
    if args.json:
        output.json([{"rule": f.rule, "severity": f.severity, "message": f.message, "fix": f.fix}
                     for f in findings])
    else:
        for finding in findings:
            output.out(format_finding(finding))
        errors = sum(f.severity == "error" for f in findings)
        warnings = sum(f.severity == "warning" for f in findings)
        output.out(f"{errors} error(s), {warnings} warning(s)." if findings else "No problems found.")
    return 1 if has_errors(findings) else 0
