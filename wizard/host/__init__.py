"""The machine seam: `get_host()` returns the Windows host on Windows and the demo host elsewhere or on request."""

from __future__ import annotations

import sys
from pathlib import Path

from wizard.host.base import Host

DEFAULT_DEMO_PRESET = "entra-joined"


def get_host(demo: str | None = None, *, base_dir: str | Path | None = None, **demo_options) -> Host:
    """The demo host when `demo` names a preset (or when not on Windows, with the default preset), else the
    Windows host. `demo_options` (outcome, speed, latency, uac_cancel) go to DemoHost. Raises
    wizard.host.demo.PresetError for an unknown preset (its message lists the valid ones)."""
    if demo is None and sys.platform == "win32":
        from wizard.host.windows import WindowsHost

        return WindowsHost(base_dir=base_dir)
    from wizard.host.demo import DemoHost

    return DemoHost(demo or DEFAULT_DEMO_PRESET, base_dir=base_dir, **demo_options)


__all__ = ["DEFAULT_DEMO_PRESET", "Host", "get_host"]
