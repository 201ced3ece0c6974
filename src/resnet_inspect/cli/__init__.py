"""The ``resnet-inspect`` command line: parse, validate, then hand over to the library.

``program`` builds each command of the registry when it is asked for (its entry brings its
CLI function and the option groups it takes); ``saves`` checks every file a run will write
before any work; ``process`` runs a command and turns every failure into one line. Only
typer (and click, rich) and the registry's requests are imported for ``--help``; torch is
imported inside a command, after its arguments are validated.
"""

from __future__ import annotations

from resnet_inspect.cli.program import app


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = ["app", "main"]
