"""`python -m wizard.core.simulator ...` (the demo host's way to start the simulated ccmsetup)."""

import sys

from wizard.core.simulator import main

sys.exit(main())
