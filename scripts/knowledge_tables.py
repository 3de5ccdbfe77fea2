"""Write the README's rule table and "Known codes" table from rules.json and errors.json, so they can't drift.

    python scripts/knowledge_tables.py          # rewrite the tables in README.md
    python scripts/knowledge_tables.py --check  # exit 1 when README.md is out of date (tests/test_knowledge_docs.py)
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "wizard" / "core" / "data"
README = ROOT / "README.md"
SEVERITY_ORDER = ("error", "warning", "info")


def _load(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _source_cell(sources: list[dict]) -> str:
    first = sources[0]
    text = f"[{_cell(first['title'])}]({first['url']})" if first.get("url") else _cell(first["title"])
    return text + (f" (+{len(sources) - 1})" if len(sources) > 1 else "")


def rule_table() -> str:
    rules = _load("rules.json")["rules"]
    lines = ["| rule id | severity | what it checks | source |", "|---|---|---|---|"]
    for rule, data in rules.items():
        severities = {data["severity"], *(t.get("severity", data["severity"]) for t in data["texts"].values())}
        shown = " / ".join(s for s in SEVERITY_ORDER if s in severities)
        lines.append(f"| `{rule}` | {shown} | {_cell(data['summary'])} | {_source_cell(data['source'])} |")
    return "\n".join(lines)


def known_codes() -> str:
    table = _load("errors.json")
    lines = ["| code | what it is | source |", "|---|---|---|"]
    for number, item in table["return_codes"].items():
        lines.append(f"| ccmsetup exit {number} | {_cell(item['title'])} | {_source_cell(item['source'])} |")
    for entry in table["entries"]:
        name = f" `{entry['symbol']}`" if entry.get("symbol") and entry["symbol"] not in entry["title"] else ""
        lines.append(f"| `{entry['code']}`{name} | {_cell(entry['title'])} | {_source_cell(entry['source'])} |")
    return "\n".join(lines)


SECTIONS = {"rules": rule_table, "codes": known_codes}


def render(readme: str) -> str:
    for name, build in SECTIONS.items():
        pattern = re.compile(rf"(<!-- knowledge:{name} -->\n)(?:.*?\n)?(<!-- /knowledge:{name} -->)", re.DOTALL)
        if not pattern.search(readme):
            raise SystemExit(f"README.md has no <!-- knowledge:{name} --> ... <!-- /knowledge:{name} --> block")
        readme = pattern.sub(lambda m, b=build: m.group(1) + b() + "\n" + m.group(2), readme)
    return readme


def main(argv: list[str]) -> int:
    current = README.read_text(encoding="utf-8")
    wanted = render(current)
    if "--check" in argv:
        if wanted != current:
            print("README.md's rule or code table is out of date: run python scripts/knowledge_tables.py")
            return 1
        return 0
    if wanted != current:
        README.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
