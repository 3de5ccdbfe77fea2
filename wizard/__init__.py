"""ccmsetup-wizard: build, check, launch and follow a Configuration Manager client install."""

__version__ = "0.1.0"
