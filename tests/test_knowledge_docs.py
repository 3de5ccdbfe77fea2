"""The README's rule table and "Known codes" table are generated from rules.json and errors.json; this fails when
they drift (fix: python scripts/knowledge_tables.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _tables():
    spec = importlib.util.spec_from_file_location("knowledge_tables", ROOT / "scripts" / "knowledge_tables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_tables_match_the_data():
    tables = _tables()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert tables.render(readme) == readme, "README.md is out of date: run python scripts/knowledge_tables.py"


def test_every_rule_and_code_is_in_the_readme():
    import json

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    data = ROOT / "wizard" / "core" / "data"
    for rule in json.loads((data / "rules.json").read_text(encoding="utf-8"))["rules"]:
        assert f"| `{rule}` |" in readme, rule
    for entry in json.loads((data / "errors.json").read_text(encoding="utf-8"))["entries"]:
        assert f"| `{entry['code']}`" in readme, entry["code"]


def test_the_generator_notices_a_change():
    tables = _tables()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    stale = readme.replace("| `site-code` | error |", "| `site-code` | warning |")
    assert stale != readme and tables.render(stale) == readme
