"""Mask secrets in any text before it reaches a screen, a terminal, a file, a log copy or an evidence zip.

ccmsetup echoes its whole command line into ccmsetup.log ("Ccmsetup command line: ... /regtoken:<JWT>"), and
people type the token in many ways (`/regtoken:T`, `/regtoken=T`, `/regtoken T`, `-RegToken:"T"`, inside
`CCMSETUPCMD="..."`), so the bulk registration token turns up wherever command or log text is shown; every such
path runs the text through here:

* `redact(text, plan, secrets=...)`: free text (log lines, messages): secret switches in every spelling, any JWT,
  and the known secret values;
* `argv_secrets(tokens)`: the secret values in a split command line, including the arguments that follow a bare
  `/regtoken` (the parser reports those as unknown arguments; they are the token typed after a space);
* `command_secrets(text)`: the same for a whole pasted text (used when it can't be parsed);
* `Redactor`: one object holding the secrets of a command, applied to every message and finding printed;
* `mask_plan(plan)`: a plan whose secret values are MASK wherever they appear (what `render` shows).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from wizard.core.catalog import load_catalog
from wizard.core.findings import Finding
from wizard.core.plan import InstallPlan

__all__ = ["MASK", "redact", "plan_secrets", "argv_secrets", "command_secrets", "Redactor", "mask_plan",
           "secret_markers", "MIN_SECRET_LENGTH"]

MASK = "********"
MIN_SECRET_LENGTH = 4  # shorter "secrets" are not searched for in other text (they would mask random words)

# Three base64url parts, the first two starting with "eyJ" (`{"`): a JWT wherever it appears.
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_CCMSETUPCMD = re.compile(r'(?i)CCMSETUPCMD="((?:[^"]|"")*)"?')
_BLANK = " \t"
_LINE_END = "\r\n"


@functools.cache
def _secret_names() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(parameter names without the slash, property names), lowercase, of every catalog secret."""
    parameters, properties = [], []
    for entry in load_catalog():
        if entry.secret:
            if entry.kind == "parameter":
                parameters.append(entry.name.lstrip("/").lower())
            else:
                properties.append(entry.name.lower())
    return tuple(parameters), tuple(properties)


@functools.cache
def _switch_pattern() -> re.Pattern[str]:
    """A secret parameter's name with its `/` or `-` (`/regtoken`, `-RegToken`), not part of a longer name; or a
    secret property's `NAME=`."""
    parameters, properties = _secret_names()
    alternatives = []
    if parameters:
        names = "|".join(map(re.escape, parameters))
        alternatives.append(rf"(?P<switch>[/-](?:{names}))(?![A-Za-z0-9_])")
    if properties:
        names = "|".join(map(re.escape, properties))
        alternatives.append(rf"(?<![A-Za-z0-9_.])(?P<property>(?:{names})=)")
    return re.compile("|".join(alternatives) or r"(?!x)x", re.IGNORECASE)


@functools.cache
def _argument_start() -> re.Pattern[str]:
    """What the word after a bare `/regtoken` must look like to be another argument rather than the token: a
    /parameter, or a known property's `NAME=` (any other word is taken to be the token typed after a space)."""
    names = "|".join(map(re.escape, sorted({e.name for e in load_catalog() if e.kind == "property"},
                                          key=len, reverse=True)))
    return re.compile(rf'(?:"?/[A-Za-z]|"?(?:{names})=)', re.IGNORECASE)


def _value_end(text: str, start: int, *, quoted_argument: bool) -> int:
    """Where a value that starts at text[start] ends: at the closing quote of an argument that is quoted as a
    whole (`"/regtoken:a b"`), else at the first blank outside quotes (`/regtoken:"a b"c`); never past a line."""
    i, n = start, len(text)
    if quoted_argument:
        while i < n and text[i] != '"' and text[i] not in _LINE_END:
            i += 1
        return i
    inside = False
    while i < n and text[i] not in _LINE_END:
        ch = text[i]
        if ch == '"':
            inside = not inside
        elif ch in _BLANK and not inside:
            break
        i += 1
    return i


def _mask_switches(text: str) -> str:
    """Mask the value after every secret switch or property, in every spelling people use."""
    pattern = _switch_pattern()
    out: list[str] = []
    pos = 0
    for match in pattern.finditer(text):
        if match.start() < pos:
            continue
        quoted = match.start() > 0 and text[match.start() - 1] == '"'
        i = match.end()
        if match.groupdict().get("property") is None:
            if quoted and i < len(text) and text[i] == '"':  # `"/regtoken" "T"`: the switch is quoted alone
                i += 1
                quoted = False
            j = i
            while j < len(text) and text[j] in _BLANK:
                j += 1
            if j < len(text) and text[j] in ":=":
                j += 1
                while j < len(text) and text[j] in _BLANK:
                    j += 1
            elif j == i or j >= len(text) or _argument_start().match(text, j):
                continue  # no value here: `/regtoken` alone, or followed by the next argument
            i = j
        if text.startswith(MASK, i) and text[i + len(MASK): i + len(MASK) + 1] in ("", " ", "\t", "'", '"', "\r", "\n"):
            continue  # already masked (a message quoting '/regtoken ********'): keep its closing quote
        end = _value_end(text, i, quoted_argument=quoted)
        if end == i and quoted:  # `"/regtoken:""T"" ..."`: MSI's doubled quotes inside CCMSETUPCMD="..."
            end = _value_end(text, i, quoted_argument=False)
        if end > i:
            out.append(text[pos:i])
            out.append(MASK)
            pos = end
    out.append(text[pos:])
    return "".join(out)


def redact(text: str, plan: InstallPlan | None = None, *, secrets: Iterable[str] = ()) -> str:
    """Mask secrets in free text: the plan's secret values and `secrets` wherever they appear (when at least
    MIN_SECRET_LENGTH long), the value after a secret switch in any spelling, and any JWT."""
    for value in sorted({*plan_secrets(plan), *secrets}, key=len, reverse=True):
        if len(value) >= MIN_SECRET_LENGTH:
            text = text.replace(value, MASK)
    return _JWT.sub(MASK, _mask_switches(text))


def plan_secrets(plan: InstallPlan | None) -> list[str]:
    """The secret values a plan carries (token and catalog secrets), at least MIN_SECRET_LENGTH long."""
    if plan is None:
        return []
    values = [plan.regtoken] if plan.regtoken else []
    catalog = load_catalog()
    for name, value in (*plan.parameters, *plan.properties):
        entry = catalog.get(name)
        if value and entry is not None and entry.secret:
            values.append(value)
    values = [v for v in values if v != MASK]
    values += [v.strip() for v in values if v.strip() != v]
    return [v for v in values if len(v) >= MIN_SECRET_LENGTH]  # never mask tiny strings everywhere


@functools.cache
def _argv_switch() -> re.Pattern[str]:
    parameters, properties = _secret_names()
    names = "|".join(map(re.escape, parameters)) or r"(?!x)x"
    props = "|".join(map(re.escape, properties)) or r"(?!x)x"
    return re.compile(rf"(?is)^(?:[/-](?:{names})(?:[ \t]*[:=](?P<value>.*))?|(?:{props})=(?P<pvalue>.*))$")


def argv_secrets(tokens: Sequence[str]) -> list[str]:
    """The secret values in split arguments: `/regtoken:T`, `/regtoken=T`, `-regtoken:T` (any case), and every
    argument after a bare `/regtoken` up to the next /parameter or known property (the token typed after a
    space, perhaps broken into pieces)."""
    found: list[str] = []
    after_switch = False
    for token in tokens:
        match = _argv_switch().match(token)
        if match:
            value = match.group("value") if match.group("value") is not None else match.group("pvalue")
            after_switch = value is None or not value.strip()
            if value and value.strip():
                found.append(value)
            continue
        if after_switch and not _argument_start().match(token):
            found.append(token)
            continue
        after_switch = False
    return found


def command_secrets(text: str) -> list[str]:
    """The secret values in any pasted text, line by line, also inside CCMSETUPCMD="..." (best effort; used
    when the text can't be parsed and its error message must still not show the token)."""
    from wizard.core.parse import split_windows_args

    found: list[str] = []
    for line in re.split(r"\r\n|[\r\n]", text):
        found += argv_secrets(split_windows_args(line))
        wrapped = _CCMSETUPCMD.search(line)  # CCMSETUPCMD="/mp:x /regtoken:T": the value is a command itself
        if wrapped:
            found += argv_secrets(split_windows_args(wrapped.group(1).replace('""', '"')))
    return found


def mask_plan(plan: InstallPlan) -> InstallPlan:
    """The plan with its secret values replaced by MASK, also where they turn up inside other values (a token
    pasted into the wrong field as well) and with any JWT in any value masked."""
    secrets = sorted(plan_secrets(plan), key=len, reverse=True)
    catalog = load_catalog()

    def clean(value: str | None) -> str | None:
        if value is None:
            return None
        for secret in secrets:
            value = value.replace(secret, MASK)
        return _JWT.sub(MASK, value)

    def is_secret(name: str) -> bool:
        entry = catalog.get(name)
        return entry is not None and entry.secret

    fields = {name: clean(getattr(plan, name)) for name in
              ("ccmhostname", "sitecode", "smsmp", "aadtenantid", "aadclientappid", "aadresourceuri")}
    fields["regtoken"] = MASK if plan.regtoken is not None else None
    fields["mp"] = tuple(clean(entry) for entry in plan.mp)
    fields["parameters"] = tuple((name, MASK if value is not None and is_secret(name) else clean(value))
                                 for name, value in plan.parameters)
    fields["properties"] = tuple((name, MASK if is_secret(name) else clean(value)) for name, value in plan.properties)
    masked = plan.update(**fields)
    return plan if masked == plan else masked


def secret_markers(plan: InstallPlan | None = None) -> tuple[str, ...]:
    """Lowercase texts one of which every text holding a secret contains (a cheap pre-filter before redact):
    secret switch/property names, the start of a JWT, the plan's own secret values."""
    parameters, properties = _secret_names()
    markers = {"eyj", *parameters, *properties, *(value.lower() for value in plan_secrets(plan))}
    # A marker that contains another one adds nothing (a token value contains "eyj").
    return tuple(sorted(m for m in markers if not any(o != m and o in m for o in markers)))


class Redactor:
    """The secrets of one command (its plan's, the parser's, any given), applied to everything printed about it.
    `text()` for messages, `finding()` for findings (message, fix and field), so no output path can skip it."""

    def __init__(self, plan: InstallPlan | None = None, secrets: Iterable[str] = ()):
        self.plan = plan
        self.secrets: set[str] = {s for s in secrets if s}

    def add(self, *secrets: str) -> None:
        self.secrets.update(s for s in secrets if s)

    def text(self, text: str) -> str:
        return redact(text, self.plan, secrets=self.secrets)

    def finding(self, finding: Finding) -> Finding:
        return replace(finding, message=self.text(finding.message), fix=self.text(finding.fix),
                       field=self.text(finding.field) if finding.field else finding.field)

    def findings(self, findings: Iterable[Finding]) -> list[Finding]:
        return [self.finding(f) for f in findings]
