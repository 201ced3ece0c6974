"""The process around a command: every failure as one line on stderr (exit 2 for usage, 1 at
run time, 130 for Ctrl-C; never a traceback), and a reader that goes away.
"""

from __future__ import annotations

import os
import sys
from typing import Any, NoReturn

import typer
from typer.core import TyperGroup

from resnet_inspect.errors import DEBUG_ENV, PROG, InspectError, debugging


def _fail(message: str, code: int) -> NoReturn:
    sys.stderr.write(f"{PROG}: error: {message}\n")
    sys.stderr.flush()
    sys.exit(code)


# click's base error, which typer raises for usage errors: exported as TyperException from
# typer 0.28 on, and in 0.26-0.27 reachable only as the ancestor of BadParameter.
_CLI_ERROR: Any = getattr(typer, "TyperException", None) or next(
    kind for kind in typer.BadParameter.__mro__ if kind.__name__ == "ClickException"
)


class _Interrupted(Exception):
    """Ctrl-C during a command (typer would turn it into a silent exit 130)."""


class _ReaderGone(Exception):
    """The pipe's reader went away (typer would turn it into exit status 1)."""


class OneLineErrors(TyperGroup):
    """Runs the commands and turns every failure into one line on stderr."""

    def invoke(self, ctx: Any) -> Any:
        # Below typer's own handling, which swallows these two: passed up as what they are.
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise _Interrupted() from None
        except BrokenPipeError:
            raise _ReaderGone() from None

    def main(  # type: ignore[override]
        self,
        args: list[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            code = super().main(
                args=args,
                prog_name=prog_name or PROG,
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
            if sys.stdout is not None:
                sys.stdout.flush()  # here, so that a failed write is caught, not lost at exit
        except _CLI_ERROR as error:
            # Usage errors (exit 2) and other CLI errors, as typer raises them.
            if type(error).__name__ == "NoArgsIsHelpError":  # no arguments: help, not an error
                sys.stdout.write(error.format_message() + "\n")
                sys.exit(error.exit_code)
            if not error.format_message():  # the help was just printed
                sys.exit(error.exit_code)
            context = getattr(error, "ctx", None)
            hint = f" (see '{context.command_path} --help')" if context is not None else ""
            _fail(f"{error.format_message()}{hint}", error.exit_code)
        except (typer.Abort, _Interrupted):
            _fail("interrupted", 130)
        except _ReaderGone:
            _quiet_broken_pipe()
        except InspectError as error:
            if debugging() and error.__cause__ is not None:
                raise  # the user's code failed: its traceback is what they need
            _fail(str(error), error.exit_code)
        except BrokenPipeError:
            _quiet_broken_pipe()
        except UnicodeEncodeError as error:
            _silence_stdout()
            _fail(
                f"the output's encoding ({error.encoding}) cannot show this text; set "
                "PYTHONIOENCODING=utf-8, or use --ascii",
                1,
            )
        except OSError as error:
            if debugging():
                raise
            if error.filename is not None:  # not the output: a file the run touched
                _fail(f"{error.strerror or type(error).__name__}: {error.filename}", 1)
            _silence_stdout()  # the interpreter's last flush would fail again
            _fail(f"cannot write the output: {error.strerror or error}", 1)
        except MemoryError:
            _fail("out of memory: try a smaller --input or architecture", 1)
        except Exception as error:
            if debugging():
                raise
            first = (str(error).strip().splitlines() or [""])[0]
            if "can't allocate memory" in first:  # torch's allocator, on the CPU
                _fail("out of memory: try a smaller --input or architecture", 1)
            _fail(f"{type(error).__name__}: {first} (set {DEBUG_ENV}=1 for a traceback)", 1)
        sys.exit(code if isinstance(code, int) else 0)


def _quiet_broken_pipe() -> NoReturn:
    """The reader went away (``| head``): stop quietly, as a Unix filter does."""
    _silence_stdout()
    sys.exit(0)


def _silence_stdout() -> None:
    """Point stdout at /dev/null: what is left in its buffer can no longer fail at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, AttributeError, ValueError):
        pass
