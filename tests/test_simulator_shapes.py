"""Every message the simulated ccmsetup can write is on an allow-list of real shapes, each with its source
(tests/data/ccmsetup_shapes.json), and every line any world, lab or --outcome makes it write matches one of
them. Unverified shapes are few, minimal and listed in the README."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wizard.core.simulator import OUTCOMES, evaluate
from wizard.core.simulator.shapes import REGISTRATION_SHAPES, SHAPES
from wizard.core.world import load_world, world_names
from wizard.core.world.labs import lab_names, load_lab

ROOT = Path(__file__).resolve().parent.parent
ALLOW_LIST = json.loads((ROOT / "tests" / "data" / "ccmsetup_shapes.json").read_text(encoding="utf-8"))
CMG = "cmg.contoso.com/CCM_Proxy_MutualAuth/72057594037927975"
TOKEN = ("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJUeXBlIjoiQnVsa1JlZ2lzdHJhdGlvbiIsImV4cCI6NDEwMjQ0NDgwMH0."
         "c2lnbmF0dXJlLWZvci10ZXN0cy1vbmx5")
COMMANDS = (
    [f"/mp:https://{CMG}", f"CCMHOSTNAME={CMG}", "SMSSITECODE=P01", "FSP=fsp01.contoso.com"],
    [f"CCMHOSTNAME={CMG}", "SMSSITECODE=P01", "AADTENANTID=daf4a1c2-3a0c-401b-966f-0b855d3abd1a"],
    ["/mp:mp01.contoso.com", "SMSSITECODE=P01", "/retry:5", "FSP=fsp01.contoso.com"],
    ["/noservice", "/mp:https://mp01.contoso.com", "SMSSITECODE=P01"],
    [f"/mp:https://{CMG}", f"CCMHOSTNAME={CMG}", "SMSSITECODE=P01", f"/regtoken:{TOKEN}"],
    [f"CCMHOSTNAME={CMG}", "SMSSITECODE=P01", f"/regtoken:{TOKEN}", "/NoCRLCheck"],
    ["CCMHOSTNAME=cmg.contoso.com/CCM_Proxy_MutualAuth/1", "SMSSITECODE=P02"],
    ["SMSSITECODE=P01"],
)


def test_every_template_is_on_the_allow_list_with_a_source():
    listed = ALLOW_LIST["ccmsetup.log"]
    assert set(SHAPES) == set(listed), "add new templates to tests/data/ccmsetup_shapes.json with their source"
    for key, shape in SHAPES.items():
        entry = listed[key]
        assert shape.text == entry["text"], key
        assert entry["source"].strip() and shape.source == entry["source"], key
        assert shape.verified == entry["verified"], key
        if not shape.verified:
            assert entry["source"].startswith("UNVERIFIED"), key
    registration = ALLOW_LIST["ClientIDManagerStartup.log"]
    assert {k: s.text for k, s in REGISTRATION_SHAPES.items()} == {k: v["text"] for k, v in registration.items()}


def test_unverified_lines_are_few_and_listed_in_the_readme():
    unverified = [s for s in SHAPES.values() if not s.verified]
    assert len(unverified) <= 3
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for shape in unverified:
        assert shape.text.split("{")[0].strip() in readme, shape.key


def _sweep():
    for name in world_names():
        world = load_world(name).world
        for argv in COMMANDS:
            for outcome in (None, *OUTCOMES):
                yield name, argv, outcome, world
    for name in lab_names():
        lab = load_lab(name)
        from wizard.core.parse import split_windows_args

        for command, world in ((lab.start_command, lab.world), (lab.fixed_command, lab.fixed_world)):
            yield f"lab:{name}", split_windows_args(command)[1:], None, world


def test_every_written_line_matches_an_allowed_shape():
    patterns = {key: shape.pattern() for key, shape in {**SHAPES, **REGISTRATION_SHAPES}.items()}
    runs = 0
    for name, argv, outcome, world in _sweep():
        _, sink = evaluate(argv, world, outcome=outcome)
        runs += 1
        for record in sink.records:
            if record.log == "client.msi":
                continue  # Windows Installer's own log, not ccmsetup.log
            pattern = patterns.get(record.key)
            assert pattern is not None, (name, record.key)
            assert pattern.match(record.message), (name, argv, outcome, record.key, record.message)
    assert runs > 200


@pytest.mark.parametrize("name", world_names())
def test_each_world_writes_only_known_shapes_for_its_sample_command(name):
    world = load_world(name).world
    from wizard.core.parse import split_windows_args

    _, sink = evaluate(split_windows_args(world.site.sample_command())[1:], world)
    keys = {r.key for r in sink.records if r.log != "client.msi"}
    assert keys <= set(SHAPES) | set(REGISTRATION_SHAPES)
    assert "started" in keys and "ccmsetup-command-line" in keys
