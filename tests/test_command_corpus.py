"""Real-world command lines (Microsoft docs, a docs issue, public scripts) through the parser and the rules, the
same way `ccmsetup-wizard lint` runs them. Each line names its source and the verdict it must get."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wizard.cli.lint_cmd import collect_findings
from wizard.core.findings import has_errors
from wizard.core.rules import RULE_IDS

CORPUS = json.loads((Path(__file__).parent / "data" / "commands.json").read_text(encoding="utf-8"))["commands"]


def test_the_corpus_is_big_varied_and_sourced():
    assert len(CORPUS) >= 40
    assert len({c["id"] for c in CORPUS}) == len(CORPUS)
    kinds = {c["source"]["kind"] for c in CORPUS}
    assert {"doc", "issue", "community"} <= kinds
    for case in CORPUS:
        source = case["source"]
        assert source["title"] and (source.get("url", "").startswith("https://") or source.get("where")), case["id"]
        assert set(case["fires"]) | set(case["not_fires"]) <= set(RULE_IDS), case["id"]
        assert not set(case["fires"]) & set(case["not_fires"]), case["id"]


def test_the_seed_docs_examples_are_all_there():
    seed = [c for c in CORPUS if "about-client-installation-properties" in c["source"].get("url", "")]
    assert len(seed) >= 60


@pytest.mark.parametrize("case", CORPUS, ids=[c["id"] for c in CORPUS])
def test_verdict(case):
    findings = collect_findings(case["command"])
    found = {f.rule for f in findings}
    assert set(case["fires"]) <= found, f"expected {sorted(case['fires'])}, got {sorted(found)}"
    assert not set(case["not_fires"]) & found, f"must not fire: {sorted(set(case['not_fires']) & found)}"
    assert has_errors(findings) == case["errors"], [(f.rule, f.message) for f in findings if f.severity == "error"]
