"""The two kinds of failure the tool reports: one line on stderr, never a traceback."""

from __future__ import annotations

import os

DEBUG_ENV = "RESNET_INSPECT_DEBUG"
PROG = "resnet-inspect"  # every message on stderr starts with it


def debugging() -> bool:
    """RESNET_INSPECT_DEBUG=1 (or true, yes): tracebacks, notes and torch's warnings shown."""
    return os.environ.get(DEBUG_ENV, "").strip().lower() in ("1", "true", "yes")


class InspectError(Exception):
    """A failure at run time (a weights file that does not match, not enough memory)."""

    exit_code = 1


class OptionError(InspectError):
    """Bad input on the command line; found before torch is imported."""

    exit_code = 2


class ArgumentError(OptionError, TypeError):
    """A library argument of the wrong type: one sentence saying what is accepted. It is an
    InspectError (what callers catch) and a TypeError (what Python code expects)."""
