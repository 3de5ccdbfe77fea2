"""Everything `lint` and `command` print goes through one `SafeOutput`: each message and finding is redacted
with the command's secrets (wizard.core.redact.Redactor) before it reaches stdout or stderr, in text and JSON
alike, so a new message can't forget to. Only the rendered command itself, when --show-secrets asks for the
token, is written unmasked (`command(..., exact=True)`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import TextIO

from wizard.core.findings import Finding
from wizard.core.parse import ParsedCommand
from wizard.core.plan import InstallPlan
from wizard.core.redact import Redactor, command_secrets, plan_secrets


class OutputEncodingError(ValueError):
    """The exact text (a command) can't be written in the stream's encoding without changing it."""


class SafeOutput:
    def __init__(self, *, stdout: TextIO | None = None, stderr: TextIO | None = None):
        self.redactor = Redactor()
        self._stdout = stdout
        self._stderr = stderr

    # The streams are looked up when used, so a test's (or a caller's) replacement of sys.stdout is honoured.
    @property
    def stdout(self) -> TextIO:
        return self._stdout or sys.stdout

    @property
    def stderr(self) -> TextIO:
        return self._stderr or sys.stderr

    def know_text(self, text: str) -> None:
        """Secrets found by scanning a raw pasted text (before it is parsed, so a parse error can't show them)."""
        self.redactor.add(*command_secrets(text))

    def know(self, *, parsed: ParsedCommand | None = None, plan: InstallPlan | None = None,
             secrets: Iterable[str] = ()) -> None:
        """Add the secrets of a parsed command, of a plan, or given values."""
        if parsed is not None:
            self.redactor.add(*parsed.secrets, *plan_secrets(parsed.plan))
        if plan is not None:
            self.redactor.add(*plan_secrets(plan))
        self.redactor.add(*secrets)

    def findings(self, findings: Iterable[Finding]) -> list[Finding]:
        return self.redactor.findings(findings)

    def out(self, text: str = "") -> None:
        _write(self.stdout, self.redactor.text(text) + "\n")

    def err(self, text: str) -> None:
        _write(self.stderr, self.redactor.text(text) + "\n")

    def json(self, data: object) -> None:
        """JSON on stdout; strings are redacted before they are escaped (a redaction of the escaped text could
        miss a secret holding a quote or a backslash)."""
        _write(self.stdout, json.dumps(_redact_strings(data, self.redactor), indent=2, ensure_ascii=False) + "\n")

    def command(self, text: str, *, exact: bool) -> None:
        """The rendered command on stdout. `exact` (the token was asked for): written as is, or
        OutputEncodingError when the stream's encoding can't carry it unchanged."""
        text = text if text.endswith("\n") else text + "\n"
        if not exact:
            text = self.redactor.text(text)
        try:
            self.stdout.write(text)
        except UnicodeEncodeError as exc:
            raise OutputEncodingError(
                f"the command holds characters ({exc.object[exc.start:exc.end]!r}) that standard output's encoding "
                f"({getattr(self.stdout, 'encoding', '?')}) can't carry; write it to a file with --output FILE "
                "instead") from None


def _redact_strings(data: object, redactor: Redactor) -> object:
    if isinstance(data, str):
        return redactor.text(data)
    if isinstance(data, dict):
        return {key: _redact_strings(value, redactor) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [_redact_strings(value, redactor) for value in data]
    return data


def _write(stream: TextIO, text: str) -> None:
    """Messages may quote user text the console can't show (another code page, undecodable bytes kept as
    surrogates): those characters are written as escapes rather than ending the command with a traceback."""
    try:
        stream.write(text)
    except UnicodeEncodeError:
        encoding = getattr(stream, "encoding", None) or "utf-8"
        stream.write(text.encode(encoding, "backslashreplace").decode(encoding, "replace"))
