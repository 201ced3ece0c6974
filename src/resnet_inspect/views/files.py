"""Writing what a command was asked to save: all of it, or nothing.

Each file is written to a temporary file beside its target, and only once every one of
them is complete are they renamed into place (``os.replace``, atomic on one file system).
A full disk or a failure half-way leaves every existing file as it was and no new one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass

from resnet_inspect.errors import InspectError


@dataclass(frozen=True)
class Output:
    option: str  # --save-svg, --dot, ...: named in an error
    path: str
    content: str


def write_all(outputs: list[Output]) -> None:
    staged: list[tuple[str, Output]] = []
    current: Output | None = None
    try:
        for current in outputs:
            staged.append((_staged_copy(current), current))
        for temporary, current in staged:
            os.replace(temporary, current.path)
    except OSError as error:
        for temporary, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        assert current is not None
        reason = error.strerror or str(error)
        raise InspectError(f"{current.option} {current.path}: cannot write it ({reason})") from None


def _staged_copy(output: Output) -> str:
    folder = os.path.dirname(os.path.abspath(output.path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".resnet-inspect-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            file.write(output.content)
            file.flush()
            os.fsync(file.fileno())
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return temporary
