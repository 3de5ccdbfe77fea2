"""Why a simulated run ended as it did: the findings table (wizard/core/data/world_findings.json).

A finding id is shared with the checks that predict it (`checks`) and with command rules (`rules`), so the
Finish page can say "the check 'Device tenant matches AADTENANTID' predicted this" with one id on both sides.
"""

from __future__ import annotations

import functools
import json
import string
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

__all__ = ["WorldFinding", "finding", "finding_ids"]


@dataclass(frozen=True)
class WorldFinding:
    id: str
    title: str
    cause: str  # filled in for this run
    fix: str
    checks: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    source: str = ""
    values: dict[str, Any] = field(default_factory=dict, compare=False)

    def predicted_by(self, check_results) -> list:
        """The check results (failed or warned) that predicted this finding."""
        return [r for r in check_results if r.id in self.checks and r.status in ("fail", "warn", "error")]

    def contradicted_by(self, check_results) -> list:
        """Check results that passed although they test exactly this cause."""
        return [r for r in check_results if r.id in self.checks and r.status == "pass"]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "cause": self.cause, "fix": self.fix,
                "checks": list(self.checks), "rules": list(self.rules), "source": self.source}


@functools.cache
def _table() -> dict[str, dict[str, Any]]:
    source = resources.files("wizard.core") / "data" / "world_findings.json"
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RuntimeError(f"wizard/core/data/world_findings.json cannot be read ({exc}); reinstall "
                           "ccmsetup-wizard") from exc
    return data["findings"]


def finding_ids() -> list[str]:
    return list(_table())


class _Lenient(dict):
    def __missing__(self, key: str) -> str:  # a value the run did not know stays readable
        return "(unknown)"


def finding(finding_id: str, **values: Any) -> WorldFinding:
    entry = _table()[finding_id]
    filled = _Lenient({k: ("(none)" if v is None else v) for k, v in values.items()})
    formatter = string.Formatter()
    return WorldFinding(finding_id, entry["title"], formatter.vformat(entry["cause"], (), filled),
                        formatter.vformat(entry["fix"], (), filled), tuple(entry.get("checks", ())),
                        tuple(entry.get("rules", ())), entry.get("source", ""), dict(values))
