"""SVG icons from `resources/icons/`, found both from a source checkout and inside a PyInstaller bundle.

Icons are vector so they stay sharp at any device pixel ratio. Status colours are the CMTrace-like ones
(green/yellow/red) chosen to read on both light and dark palettes.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QIcon, QPixmap

from wizard.core.paths import RESOURCES_ENV, resources_dir  # noqa: F401 - the GUI's names for the shared lookup

# Canonical icon names -> file stem in resources/icons/.
ICON_NAMES = (
    "app",
    "pass",
    "warn",
    "fail",
    "skip",
    "error",
    "running",
    "info",
    "lock",
    "scenario-onprem-mp",
    "scenario-cmg",
    "scenario-internet-mp",
    "scenario-cmg-token",
)

# Other spellings callers naturally use (check statuses, finding severities) for the same picture.
_ALIASES = {
    "ok": "pass",
    "passed": "pass",
    "success": "pass",
    "succeeded": "pass",
    "warning": "warn",
    "failed": "fail",
    "failure": "fail",
    "skipped": "skip",
    "pending": "skip",
    "onprem-mp": "scenario-onprem-mp",
    "cmg": "scenario-cmg",
    "internet-mp": "scenario-internet-mp",
    "cmg-token": "scenario-cmg-token",
}

def canonical_name(name: str) -> str:
    """Map an alias (`"warning"`, `"cmg"`) to its icon name; raises `KeyError` naming the unknown icon."""
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in ICON_NAMES:
        raise KeyError(f"unknown icon {name!r}; known icons: {', '.join(ICON_NAMES)}")
    return key


def icon_path(name: str) -> Path:
    return resources_dir() / "icons" / f"{canonical_name(name)}.svg"


def missing_icons() -> list[str]:
    """Icon names whose SVG is absent or does not parse (used by the self-test)."""
    from PySide6.QtSvg import QSvgRenderer

    missing = []
    for name in ICON_NAMES:
        path = icon_path(name)
        if not path.is_file() or not QSvgRenderer(str(path)).isValid():
            missing.append(name)
    return missing


@cache
def icon(name: str) -> QIcon:
    """The named icon as a scalable QIcon (an empty QIcon if the file is missing, so a broken bundle
    degrades to text rather than crashing; `missing_icons()` reports it)."""
    path = icon_path(name)
    if not path.is_file():
        return QIcon()
    return QIcon(str(path))


def pixmap(name: str, size: int, device_pixel_ratio: float = 1.0) -> QPixmap:
    """Render the SVG at `size` logical pixels for the given device pixel ratio (crisp on high-DPI), a transparent
    square when the file is missing. Drawn by the icon's SVG engine, the Qt plugin the window icon loads anyway:
    the first window needs no PySide6.QtSvg import (issue 14)."""
    ratio = max(1.0, float(device_pixel_ratio))
    image = icon(name).pixmap(QSize(size, size), ratio)
    if image.isNull():
        image = QPixmap(QSize(round(size * ratio), round(size * ratio)))
        image.fill(QColor(0, 0, 0, 0))  # transparent (the `Qt` namespace is not loaded yet at first paint)
        image.setDevicePixelRatio(ratio)
    return image
