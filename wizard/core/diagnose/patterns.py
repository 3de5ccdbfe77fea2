"""The lines Diagnose reads in the client's logs (table: wizard/core/data/diagnose_patterns.json).

Each pattern has a needle, an exact text its line holds: a plain substring test over all messages of a log picks
the few candidate lines (C speed), and only those meet the regular expression. (One case-insensitive alternation
of all needles cost ~60 µs a line here: 100x more.)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import compress, count, repeat

__all__ = ["LinePattern", "PatternTableError", "find_matches", "load_patterns"]

_BLOCK = 16_384
TOPICS = ("registration", "entra_token", "ccm_token", "site", "management_point", "problem")


class PatternTableError(ValueError):
    """diagnose_patterns.json is missing or malformed (a packaging problem, not a user error)."""


@dataclass(frozen=True)
class LinePattern:
    id: str
    logs: tuple[str, ...]  # log kinds, or ("*",)
    needle: str  # exact text the line holds
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

    def for_kind(self, kind: str) -> dict[str, tuple[LinePattern, ...]]:
        """needle -> the patterns of that needle that apply to logs of `kind`."""
        table: dict[str, list[LinePattern]] = {}
        for pattern in self.patterns:
            if pattern.applies_to(kind):
                table.setdefault(pattern.needle, []).append(pattern)
        return {needle: tuple(group) for needle, group in table.items()}


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
                id=item["id"], logs=tuple(item["logs"]), needle=item["needle"],
                regex=re.compile(item["regex"], re.IGNORECASE), topic=item["topic"], state=item["state"],
                severity=item["severity"], source=item["source"], title=item.get("title", ""),
                meaning=item.get("meaning", ""), cause=item.get("cause", ""), action=item.get("action", ""),
                doc=item.get("doc"), method=item.get("method"), explain=bool(item.get("explain", False))))
    except (OSError, ValueError, KeyError, TypeError, re.error) as exc:
        if isinstance(exc, PatternTableError):
            raise
        raise PatternTableError(f"wizard/core/data/diagnose_patterns.json is unreadable or malformed ({exc}); "
                                "reinstall ccmsetup-wizard") from exc
    return PatternTable(tuple(patterns))


def find_matches(messages: list[str], kind: str, table: PatternTable | None = None) -> list[tuple[int, LinePattern,
                                                                                                      re.Match]]:
    """(position, pattern, match) for every message of a log of `kind` that a pattern recognises, in order."""
    table = table or load_patterns()
    found: list[tuple[int, LinePattern, re.Match]] = []
    for needle, patterns in table.for_kind(kind).items():
        for at in (i for start in range(0, len(messages), _BLOCK)  # see timeline.BLOCK
                   for i in compress(count(start), map(str.__contains__, messages[start:start + _BLOCK],
                                                       repeat(needle)))):
            for pattern in patterns:
                m = pattern.regex.search(messages[at])
                if m:
                    found.append((at, pattern, m))
                    break
    found.sort(key=lambda item: item[0])
    return found
