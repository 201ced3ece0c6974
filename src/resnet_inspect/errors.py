"""The two kinds of failure the tool reports: one line on stderr, never a traceback."""

from __future__ import annotations


class InspectError(Exception):
    """A failure at run time (a weights file that does not match, not enough memory)."""

    exit_code = 1


class OptionError(InspectError):
    """Bad input on the command line; found before torch is imported."""

    exit_code = 2
