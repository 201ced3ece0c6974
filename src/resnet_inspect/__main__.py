"""The program's outermost frame: ``python -m resnet_inspect`` and the console script.

The CLI's own imports (typer, rich) happen in here, so that Ctrl-C at any moment, even
while modules load, ends in one line and exit status 130, never a traceback.
"""

from __future__ import annotations

import signal
import sys


def main() -> None:
    try:
        from resnet_inspect.cli import main as run

        run()
    except KeyboardInterrupt:
        sys.stderr.write("resnet-inspect: error: interrupted\n")
        raise SystemExit(130) from None
    finally:
        # The work is done and written (or failed in one line). While the interpreter shuts
        # down, its own SIGINT handler is gone and Ctrl-C would kill the process outright;
        # there is nothing left to stop, so the run keeps its exit status.
        signal.signal(signal.SIGINT, signal.SIG_IGN)


if __name__ == "__main__":
    main()
