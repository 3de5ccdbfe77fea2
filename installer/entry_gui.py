"""Launcher of the windowed executable `ccmsetup-wizard` (no console on Windows).

A windowed Windows executable starts with sys.stdout/sys.stderr set to None, and anything that writes to
them (argparse's --help/--version/usage errors, logging, `simulate` run through this executable) would
raise. Point them at the null device instead; the GUI reports problems in its own windows.
"""

import os
import sys


def _ensure_standard_streams() -> None:
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 (lives for the process)


_ensure_standard_streams()

from wizard.cli.main import main  # noqa: E402 (streams must exist before the app is imported)

if __name__ == "__main__":
    sys.exit(main())
