"""The program's outermost frame: ``python -m resnet_inspect`` and the console script.

The CLI's own imports (typer, rich) happen in here, so that Ctrl-C at any moment, even
while modules load, ends in one line and exit status 130, never a traceback.
"""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from resnet_inspect.cli import main as run

        run()
    except KeyboardInterrupt:
        sys.stderr.write("resnet-inspect: error: interrupted\n")
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
