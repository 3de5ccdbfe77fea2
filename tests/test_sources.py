"""Every entry of the knowledge tables (catalog.json, rules.json, errors.json) names where it comes from: a
document (title + URL), a KB, an issue, a community script or a real log (with where it was seen), or a Windows
SDK header. The loaders refuse an entry without a source; this test says which one."""

from __future__ import annotations

import json
from importlib import resources

import pytest

KINDS = {"doc", "kb", "issue", "community", "real-log", "header"}


def _load(name: str) -> dict:
    return json.loads(resources.files("wizard.core").joinpath(f"data/{name}").read_text("utf-8"))


def problems(source, where: str) -> list[str]:
    if not isinstance(source, list) or not source:
        return [f"{where}: no source"]
    found = []
    for i, item in enumerate(source):
        if not isinstance(item, dict) or not str(item.get("title", "")).strip():
            found.append(f"{where}.source[{i}]: needs a title")
            continue
        if item.get("kind") not in KINDS:
            found.append(f"{where}.source[{i}]: kind must be one of {sorted(KINDS)}")
        url, place = item.get("url"), item.get("where")
        if url is not None and not str(url).startswith("https://"):
            found.append(f"{where}.source[{i}]: url must be https://")
        if not url and not str(place or "").strip():
            found.append(f"{where}.source[{i}]: needs a url or a 'where'")
        if item.get("kind") in ("real-log", "community", "header") and not (place or url):
            found.append(f"{where}.source[{i}]: a {item['kind']} source says where it was seen")
    return found


def all_problems() -> list[str]:
    found: list[str] = []
    for entry in _load("catalog.json")["entries"]:
        found += problems(entry.get("source"), f"catalog.json {entry['name']}")
    for rule, data in _load("rules.json")["rules"].items():
        found += problems(data.get("source"), f"rules.json {rule}")
    errors = _load("errors.json")
    for entry in errors["entries"]:
        found += problems(entry.get("source"), f"errors.json entries {entry['code']}")
    for section in ("return_codes", "facilities", "win32", "inet", "http_status"):
        for key, item in errors[section].items():
            found += problems(item.get("source"), f"errors.json {section} {key}")
    return found


def test_every_knowledge_entry_has_a_source():
    assert all_problems() == []


@pytest.mark.parametrize("bad, message", [
    (None, "no source"), ([], "no source"), ([{"kind": "doc", "url": "https://x"}], "needs a title"),
    ([{"kind": "blog", "title": "t", "url": "https://x"}], "kind must be"),
    ([{"kind": "doc", "title": "t"}], "url or a 'where'"), ([{"kind": "doc", "title": "t", "url": "http://x"}], "https"),
])
def test_the_check_catches_a_missing_or_vague_source(bad, message):
    assert any(message in p for p in problems(bad, "x"))


def test_the_loaders_refuse_an_entry_without_a_source(monkeypatch, tmp_path):
    """A table edited without a source doesn't load (a packaging error, not silence)."""
    from wizard.core import catalog, explain, rules

    data = _load("catalog.json")
    del data["entries"][0]["source"]
    with pytest.raises(catalog.CatalogError, match="source"):
        _load_with(monkeypatch, catalog, "catalog.json", data, catalog.load_catalog)
    data = _load("rules.json")
    del data["rules"]["site-code"]["source"]
    with pytest.raises(rules.RulesDataError, match="source"):
        _load_with(monkeypatch, rules, "rules.json", data, rules.load_rule_texts)
    data = _load("errors.json")
    del data["entries"][0]["source"]
    with pytest.raises(explain.ExplanationTableError, match="source"):
        _load_with(monkeypatch, explain, "errors.json", data, explain.load_error_table)


def _load_with(monkeypatch, module, name: str, data: dict, loader):
    text = json.dumps(data)

    class _File:
        def joinpath(self, path):
            return self

        def read_text(self, *args, **kwargs):
            return text

    monkeypatch.setattr(module.resources, "files", lambda package: _File())
    loader.cache_clear()
    try:
        return loader()
    finally:
        monkeypatch.undo()
        loader.cache_clear()
