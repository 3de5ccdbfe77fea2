"""Where the shipped data files are: the one `resources/` lookup the GUI's icons and the demo's worlds and labs
share. Standard library only, so the first window can use it without importing more."""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["RESOURCES_ENV", "resources_dir"]

RESOURCES_ENV = "CCMSETUP_WIZARD_RESOURCES"


def resources_dir() -> Path:
    """The `resources/` folder: `$CCMSETUP_WIZARD_RESOURCES`, else the PyInstaller bundle
    (`sys._MEIPASS/resources`), else `wizard/resources` of an installed wheel, else the repository root next to
    the `wizard` package (source checkout, editable install)."""
    override = os.environ.get(RESOURCES_ENV)
    if override:
        return Path(override)
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    package = Path(__file__).resolve().parents[1]  # wizard/
    installed = package / "resources"  # a wheel ships resources/ as wizard/resources
    if installed.is_dir():
        return installed
    return package.parent / "resources"
