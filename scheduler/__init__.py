"""Employee vaccination and nucleic-test drive scheduler."""

__version__ = "0.1.0"
