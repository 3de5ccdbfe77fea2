"""The lines Diagnose reads in the client's logs (table: wizard/core/data/diagnose_patterns.json).

One combined needle search per record decides whether any pattern can match at all, so the many ordinary lines
of a big log cost one regular-expression scan each.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

__all__ = ["LinePattern", "PatternTableError", "load_patterns", "match_line"]

TOPICS = ("registration", "entra_token", "ccm_token", "site", "management_point", "problem")


class PatternTableError(ValueError):
    """diagnose_patterns.json is missing or malformed (a packaging problem, not a user error)."""


@dataclass(frozen=True)
class LinePattern:
    id: str
    logs: tuple[str, ...]  # log kinds, or ("*",)
    needle: str
    regex: re.Pattern
    topic: str
    state: str
    severity: str
    source: str
    title: str = ""
    meaning: str = ""
    cause: str = ""
    action: str = ""
    doc: str | None = None
    method: str | None = None
    explain: bool = False

    def applies_to(self, kind: str) -> bool:
        return "*" in self.logs or kind in self.logs


@dataclass(frozen=True)
class PatternTable:
    patterns: tuple[LinePattern, ...]
    needles: re.Pattern  # any needle, case-insensitive
    by_needle: dict  # lower-case needle -> patterns


@lru_cache(maxsize=1)
def load_patterns() -> PatternTable:
    try:
        raw = json.loads(resources.files("wizard.core").joinpath("data/diagnose_patterns.json").read_text("utf-8"))
        patterns = []
        for i, item in enumerate(raw["patterns"]):
            if item["topic"] not in TOPICS:
                raise PatternTableError(f"diagnose_patterns.json: patterns[{i}].topic {item['topic']!r} is unknown")
            if not item.get("source"):
                raise PatternTableError(f"diagnose_patterns.json: patterns[{i}] names no source")
            patterns.append(LinePattern(
                id=item["id"], logs=tuple(item["logs"]), needle=item["needle"].lower(),
                regex=re.compile(item["regex"], re.IGNORECASE), topic=item["topic"], state=item["state"],
                severity=item["severity"], source=item["source"], title=item.get("title", ""),
                meaning=item.get("meaning", ""), cause=item.get("cause", ""), action=item.get("action", ""),
                doc=item.get("doc"), method=item.get("method"), explain=bool(item.get("explain", False))))
    except (OSError, ValueError, KeyError, TypeError, re.error) as exc:
        if isinstance(exc, PatternTableError):
            raise
        raise PatternTableError(f"wizard/core/data/diagnose_patterns.json is unreadable or malformed ({exc}); "
                                "reinstall ccmsetup-wizard") from exc
    by_needle: dict[str, list[LinePattern]] = {}
    for pattern in patterns:
        by_needle.setdefault(pattern.needle, []).append(pattern)
    needles = re.compile("|".join(re.escape(n) for n in sorted(by_needle, key=len, reverse=True)), re.IGNORECASE)
    return PatternTable(tuple(patterns), needles, {k: tuple(v) for k, v in by_needle.items()})


def match_line(message: str, kind: str, table: PatternTable | None = None):
    """(pattern, match) of the first pattern that matches a line of a log of `kind`, else None."""
    table = table or load_patterns()
    found = table.needles.search(message)
    if found is None:
        return None
    for needle in {m.group(0).lower() for m in table.needles.finditer(message)}:
        for pattern in table.by_needle.get(needle, ()):
            if pattern.applies_to(kind):
                m = pattern.regex.search(message)
                if m:
                    return pattern, m
    return None
