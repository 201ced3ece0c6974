"""Writing what a command was asked to save: all of it, or nothing.

Each file is written to a temporary file beside its target, and only once every one of
them is complete are they renamed into place (``os.replace``, atomic on one file system).
A full disk or a failure half-way leaves every existing file as it was and no new one.

A save behaves as ``>`` in a shell would, so that nothing about the file but its content
changes: a new file gets the umask's mode, an existing one keeps its mode, a symlink stays a
link (the file it points to is replaced), and a file with other hard links is rewritten in
place, so that every name of it shows the new content (its old content is kept in memory
and written back if that write fails).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from dataclasses import dataclass

from resnet_inspect.errors import InspectError


@dataclass(frozen=True)
class Output:
    option: str  # --save-svg, --dot, ...: named in an error
    path: str
    content: str | bytes  # text is written as UTF-8; bytes (a PNG) as they are


def write_all(outputs: list[Output]) -> None:
    staged: list[tuple[str, Output]] = []
    current: Output | None = None
    try:
        for current in outputs:
            staged.append((_staged_copy(current), current))
        for temporary, current in staged:
            target = os.path.realpath(current.path)  # through a symlink, to its file
            if _hard_linked(target):
                _rewrite_in_place(temporary, target)
                os.unlink(temporary)
            else:
                os.replace(temporary, target)
    except OSError as error:
        for temporary, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        assert current is not None
        reason = error.strerror or str(error)
        raise InspectError(f"{current.option} {current.path}: cannot write it ({reason})") from None


def _staged_copy(output: Output) -> str:
    target = os.path.realpath(output.path)
    folder = os.path.dirname(target)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".resnet-inspect-", suffix=".tmp")
    try:
        os.fchmod(handle, _mode_for(target))
        content = output.content
        data = content.encode("utf-8") if isinstance(content, str) else content
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return temporary


def _mode_for(target: str) -> int:
    """An existing file's own mode; for a new one, what ``open`` would give under the umask
    (mkstemp's files are 0600 whatever the umask)."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _hard_linked(target: str) -> bool:
    try:
        return os.stat(target).st_nlink > 1
    except FileNotFoundError:
        return False


def _rewrite_in_place(staged: str, target: str) -> None:
    with open(staged, "rb") as file:
        content = file.read()
    with open(target, "r+b") as file:
        old = file.read()
        try:
            file.seek(0)
            file.truncate()
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        except OSError:
            file.seek(0)
            file.truncate()
            file.write(old)
            file.flush()
            raise
