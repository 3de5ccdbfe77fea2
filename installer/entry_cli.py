"""Launcher of the console executable `ccmsetup-wizard-cli`: the subcommands, the headless install and the
`simulate` subcommand the demo host starts from a frozen app. Without a subcommand it opens the wizard,
exactly like the `ccmsetup-wizard` console script of a pip install."""

import sys

from wizard.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
