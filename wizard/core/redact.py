"""Mask secrets in any text before it reaches a screen, a terminal, a log copy or an evidence zip.

ccmsetup echoes its whole command line into ccmsetup.log ("Ccmsetup command line: ... /regtoken:<JWT>"), so
the bulk registration token turns up wherever log text is shown; every such path runs the text through here.
"""

from __future__ import annotations

import functools
import re

from wizard.core.catalog import load_catalog
from wizard.core.plan import InstallPlan
from wizard.core.render import MASK

__all__ = ["redact", "plan_secrets"]

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")


@functools.cache
def _secret_patterns() -> tuple[re.Pattern[str], ...]:
    patterns = []
    for entry in load_catalog():
        if not entry.secret:
            continue
        bare = re.escape(entry.name.lstrip("/"))
        if entry.kind == "parameter":
            patterns.append(re.compile(rf'(?i)(/{bare}:)("[^"]*"|[^\s"]+)'))
        else:
            patterns.append(re.compile(rf'(?i)(?<![A-Za-z0-9_])({bare}=)("[^"]*"|[^\s"]+)'))
    return tuple(patterns)


def redact(text: str, plan: InstallPlan | None = None) -> str:
    """Mask secrets: `/regtoken:<value>`, other catalog secrets, any JWT, and the plan's own secret values."""
    for value in plan_secrets(plan):
        text = text.replace(value, MASK)
    for pattern in _secret_patterns():
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return _JWT.sub(MASK, text)


def plan_secrets(plan: InstallPlan | None) -> list[str]:
    """The secret values a plan carries (token and catalog secrets), at least 4 characters long."""
    if plan is None:
        return []
    values = [plan.regtoken] if plan.regtoken else []
    catalog = load_catalog()
    for name, value in (*plan.parameters, *plan.properties):
        entry = catalog.get(name)
        if value and entry is not None and entry.secret:
            values.append(value)
    return [v for v in values if len(v) >= 4]  # never mask tiny strings everywhere
