"""The simulated world ships: every wizard package is in the wheel's package list, the worlds and labs are
package data (the wheel's wizard/resources) and the PyInstaller bundle copies resources/ whole."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_wizard_package_is_listed_for_the_wheel():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "wizard").rglob("__init__.py")}
    assert found <= listed, f"add to pyproject [tool.setuptools] packages: {sorted(found - listed)}"
    data = config["package-data"]["wizard.resources"]
    assert "worlds/*.json" in data and "labs/*.json" in data
    assert "data/*.json" in config["package-data"]["wizard.core"]  # world_findings.json


def test_the_bundle_copies_resources_and_the_worlds_are_found_there(monkeypatch, tmp_path):
    spec = (ROOT / "build.spec").read_text(encoding="utf-8")
    assert '(str(ROOT / "resources"), "resources")' in spec
    import shutil
    import sys

    from wizard.core.world import files, world_names
    from wizard.core.world.labs import lab_names

    bundle = tmp_path / "bundle"
    shutil.copytree(ROOT / "resources", bundle / "resources")
    monkeypatch.delenv(files.RESOURCES_ENV, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    assert files.resources_dir() == bundle / "resources"
    assert "entra-joined" in world_names() and "wrong-tenant" in lab_names()
