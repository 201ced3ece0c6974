"""The program's outermost frame: ``python -m resnet_inspect`` and the console script.

The CLI's own imports (typer, rich) happen in here, so that Ctrl-C at any moment, even
while modules load, ends in one line and exit status 130, never a traceback.
"""

from __future__ import annotations

import os
import signal
import sys

INTERRUPTED = 130  # the shell's status for a run ended by Ctrl-C (128 + SIGINT)


def main() -> None:
    try:
        from resnet_inspect.cli import main as run

        run()
    except KeyboardInterrupt:
        sys.stderr.write("resnet-inspect: error: interrupted\n")
        _end_interrupted()
    except SystemExit as done:
        if done.code == INTERRUPTED:  # the CLI caught the Ctrl-C and said so in one line
            _end_interrupted()
        raise
    finally:
        # The work is done and written (or failed in one line). While the interpreter shuts
        # down, its own SIGINT handler is gone and Ctrl-C would kill the process outright;
        # there is nothing left to stop, so the run keeps its exit status. A Ctrl-C that
        # came just before this line surfaces inside signal.signal (it runs the pending
        # handler): caught here, or it would replace the exit status. Inline, not in a
        # function: entering a function is itself a point where a pending Ctrl-C is raised.
        while True:
            try:
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                break
            except KeyboardInterrupt:
                continue


def _end_interrupted() -> None:
    """Exit 130 now, without the interpreter's shutdown. A Ctrl-C that lands while C code
    runs Python source (torch's import does, through pybind11) marks CPython to re-raise
    SIGINT at exit whatever Python then did with the KeyboardInterrupt: the shell would see
    a kill (-2) instead of 130. Nothing is left to finish: the output is flushed here."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(INTERRUPTED)


if __name__ == "__main__":
    main()
