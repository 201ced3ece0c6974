"""The ``resnet-inspect`` command line: parse, validate, then hand over to the library.

``process`` runs a command and turns every failure into one line; ``parameters`` declares
every option once and builds checked values from them; ``commands`` turns them into each
command's request. Only typer (and click, rich) are imported for ``--help``; torch is
imported inside a command, after its arguments are validated.
"""

from __future__ import annotations

from resnet_inspect.cli.commands import app


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = ["app", "main"]
