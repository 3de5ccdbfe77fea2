"""Can the wizard open a window here? Without a display Qt aborts (signal 6) with a message that blames
libxcb-cursor0 whatever the cause; say what is wrong and what to do instead, and exit 2.

`display_problem()` decides from the environment before the QApplication exists (Linux and other X11/Wayland
systems). `explain_platform_failure()` is the Qt message handler that catches the platform plugin failing to load
anyway (a display that cannot be reached, missing X11 libraries): it prints the explanation and exits 2 instead
of letting Qt abort.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

EXIT_NO_DISPLAY = 2

# Qt platform plugins that draw without a display server.
HEADLESS_PLATFORMS = frozenset({"offscreen", "minimal", "minimalegl", "vnc", "eglfs", "linuxfb", "vkkhrdisplay"})

# What Qt's xcb platform plugin loads from the system (Qt 6.5+), with the Debian/Ubuntu package of each. Qt's
# own message names only libxcb-cursor0, even when another one is the missing library.
XCB_LIBRARIES = (
    ("libxcb-cursor.so.0", "libxcb-cursor0"), ("libxcb-icccm.so.4", "libxcb-icccm4"),
    ("libxcb-keysyms.so.1", "libxcb-keysyms1"), ("libxcb-image.so.0", "libxcb-image0"),
    ("libxcb-render-util.so.0", "libxcb-render-util0"), ("libxcb-shape.so.0", "libxcb-shape0"),
    ("libxcb-randr.so.0", "libxcb-randr0"), ("libxcb-xfixes.so.0", "libxcb-xfixes0"),
    ("libxcb-sync.so.1", "libxcb-sync1"), ("libxcb-xkb.so.1", "libxcb-xkb1"),
    ("libxcb-shm.so.0", "libxcb-shm0"), ("libxcb-render.so.0", "libxcb-render0"),
    ("libxcb-util.so.1", "libxcb-util1"), ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
    ("libX11-xcb.so.1", "libx11-xcb1"), ("libxcb.so.1", "libxcb1"),
)

WHAT_TO_DO = (
    "  - Use the command line instead: the same checks and install without a window, e.g.\n"
    "      ccmsetup-wizard check --demo        ccmsetup-wizard install --demo --yes\n"
    "    (ccmsetup-wizard --help lists the commands).\n"
    "  - Or give the wizard a virtual display: xvfb-run ccmsetup-wizard --demo  (package xvfb; or start Xvfb\n"
    "    and set DISPLAY).\n"
    "  - Or, to check that the wizard starts at all: QT_QPA_PLATFORM=offscreen ccmsetup-wizard --self-test\n"
)


def _requested_platforms(environ: Mapping[str, str]) -> list[str]:
    # QT_QPA_PLATFORM may list fallbacks ("wayland;xcb") and options after a colon ("offscreen:fontengine=...").
    text = environ.get("QT_QPA_PLATFORM", "")
    return [part.split(":", 1)[0].strip().lower() for part in text.split(";") if part.strip()]


def display_problem(environ: Mapping[str, str] | None = None, platform: str | None = None) -> str | None:
    """Why no window can be opened here, or None when one can (or this cannot be told beforehand)."""
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if platform in ("win32", "darwin", "cygwin"):
        return None  # the window system is always there
    has_x11 = bool(environ.get("DISPLAY"))
    has_wayland = bool(environ.get("WAYLAND_DISPLAY") or environ.get("WAYLAND_SOCKET"))
    requested = _requested_platforms(environ)
    if not requested:
        if has_x11 or has_wayland:
            return None
        reason = "neither DISPLAY nor WAYLAND_DISPLAY is set"
    else:
        for name in requested:
            if name in HEADLESS_PLATFORMS or (name == "xcb" and has_x11) or (name.startswith("wayland") and has_wayland):
                return None
        if not any(name == "xcb" or name.startswith("wayland") for name in requested):
            return None  # a platform this check does not know: let Qt try
        reason = f"QT_QPA_PLATFORM={environ.get('QT_QPA_PLATFORM')} needs a display, and " + (
            "DISPLAY is not set" if "xcb" in requested else "WAYLAND_DISPLAY is not set")
    return (f"ccmsetup-wizard: there is no display to open the wizard on ({reason}).\n" + WHAT_TO_DO)


def missing_xcb_libraries() -> list[tuple[str, str]]:
    """(library, Debian package) of each library of the xcb plugin the system loader cannot find."""
    import ctypes

    missing = []
    for library, package in XCB_LIBRARIES:
        try:
            ctypes.CDLL(library)
        except OSError:
            missing.append((library, package))
    return missing


def platform_failure_text(platform: str | None = None) -> str:
    """What to say when Qt's platform plugin did not load although a display seemed to be there."""
    platform = sys.platform if platform is None else platform
    lines = ["ccmsetup-wizard: Qt could not open a window here: its platform plugin did not start (Qt's message "
             "is above)."]
    if platform not in ("win32", "darwin"):
        missing = missing_xcb_libraries()
        if missing:
            lines.append("  - Qt's X11 plugin needs libraries this system lacks: "
                         + ", ".join(library for library, _ in missing) + ". On Debian/Ubuntu: sudo apt-get install "
                         + " ".join(package for _, package in missing))
        else:
            lines.append("  - Check that the display in DISPLAY (or WAYLAND_DISPLAY) is running and that this user "
                         "may connect to it.")
    return "\n".join(lines) + "\n" + WHAT_TO_DO


def explain_platform_failure(kind, context, message: str) -> None:
    """Qt message handler for the time the QApplication is created: messages are printed as Qt prints them;
    the fatal "no Qt platform plugin could be initialized" is explained, then the process exits 2 (not an
    abort with a core dump)."""
    from PySide6.QtCore import QtMsgType

    category = getattr(context, "category", None)
    prefix = f"{category}: " if category and category != "default" else ""
    sys.stderr.write(f"{prefix}{message}\n")
    if kind == QtMsgType.QtFatalMsg and "platform plugin" in message:
        sys.stderr.write(platform_failure_text())
        sys.stderr.flush()
        os._exit(EXIT_NO_DISPLAY)
