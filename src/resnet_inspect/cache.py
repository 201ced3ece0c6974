"""Reports of the meta-device commands, kept so that asking again costs no torch import.

``tree`` and ``graph`` compute a pure function of their inputs and the installed versions:
no timing, nothing random. Their report is stored under a key made of everything it depends
on, and looked up before torch is imported. A hit is the stored ``to_dict()`` turned back into
the report, so it draws exactly what a miss draws. ``--model`` runs code whose dependencies
cannot be known, and steps do real work: neither is ever cached.

Never wrong, never in the way: entries are written atomically and checked when read (an
unreadable, truncated or foreign one is a miss and is written again); a folder that cannot be
created or written leaves the command working as without a cache (one note on stderr under
RESNET_INSPECT_DEBUG); the folder is bounded, oldest entries dropped first.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
import tempfile
import zlib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from resnet_inspect import __version__, commands
from resnet_inspect.config import ModelChoice, WeightsKind
from resnet_inspect.errors import debugging
from resnet_inspect.report import SCHEMA_VERSION, Report

DIR_ENV = "RESNET_INSPECT_CACHE_DIR"
SWITCH_ENV = "RESNET_INSPECT_CACHE"  # 0 turns it off
LIMIT_BYTES = 64 * 2**20
SUFFIX = ".report.z"
# Where torchvision's cache is, which a pretrained report names (weights.path).
_TORCH_HOME_ENVS = ("TORCH_HOME", "XDG_CACHE_HOME")


def folder() -> Path:
    configured = os.environ.get(DIR_ENV)
    if configured:
        return Path(configured)
    import platformdirs

    return Path(platformdirs.user_cache_dir("resnet-inspect", appauthor=False))


def enabled() -> bool:
    return os.environ.get(SWITCH_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def _installed(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "missing"


def key(command: str, facts: dict[str, Any]) -> dict[str, Any]:
    """Everything a report depends on: versions (read from package metadata, without
    importing torch), the command and the options that change the report, never the view."""
    return {
        "package": __version__,
        "code": _code_fingerprint(),
        "schema": SCHEMA_VERSION,
        "torch": _installed("torch"),
        "torchvision": _installed("torchvision"),
        "python": f"{sys.version_info[0]}.{sys.version_info[1]}",
        "command": command,
        "torch_home": {name: os.environ.get(name, "") for name in _TORCH_HOME_ENVS},
        **facts,
    }


def _code_fingerprint() -> str:
    """The package's own files (name, size, mtime): a checkout or an editable install changes
    its code without changing its version, and a report of older code must not be shown."""
    package = Path(__file__).parent
    stats = []
    for source in sorted(package.rglob("*.py")):
        stat = source.stat()
        stats.append(f"{source.relative_to(package)}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(stats).encode()).hexdigest()[:16]


def request_key(request: Any) -> dict[str, Any] | None:
    """The key of a request's report, or None where it must not be cached: a command that
    does real work, or the user's own code (whose dependencies cannot be known). Every fact
    comes from the request, so an option that changes the report cannot be left out."""
    entry = commands.for_request(request)
    model: ModelChoice = request.model
    if not entry.cached(request) or model.runs_user_code or not enabled():
        return None
    if model.weights.kind is WeightsKind.HUB:  # what it names is in a cache we do not key
        return None
    weights = model.weights
    described: dict[str, Any] = {"kind": weights.kind.value, "name": weights.name}
    if weights.kind is WeightsKind.FILE:
        described.update(file_facts(weights.path), typed=weights.path)
    chosen = {"arch": model.arch, "input": list(model.input_shape), "weights": described}
    return key(entry.name, {**chosen, **commands.facts(request)})


def file_facts(path: str) -> dict[str, Any]:
    """A checkpoint as a key: where it really is, how big, when last changed, and the facts
    no copy can fake. ``cp -p``, ``rsync -a``, ``tar x`` and ``touch -r`` restore the size and
    the mtime of other content, but a file written anew gets a new inode or a new ctime
    (the kernel sets it on every write, and nothing sets it back)."""
    stat = os.stat(path)
    return {
        "path": os.path.realpath(path),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "ctime_ns": stat.st_ctime_ns,
        "inode": [stat.st_dev, stat.st_ino],
    }


def _entry_path(entry_key: dict[str, Any]) -> Path:
    digest = hashlib.sha256(json.dumps(entry_key, sort_keys=True).encode()).hexdigest()
    return folder() / f"{digest}{SUFFIX}"


def load(entry_key: dict[str, Any]) -> Report | None:
    """The stored report, or None: absent, unreadable, truncated, or not this key's."""
    path = _entry_path(entry_key)
    try:
        stored = json.loads(zlib.decompress(path.read_bytes()))
    except Exception as error:
        if not isinstance(error, FileNotFoundError):
            _note(f"cache entry {path} not used ({type(error).__name__})")
        return None
    if not isinstance(stored, dict) or stored.get("key") != entry_key:
        return None
    try:
        report = commands.report_from_dict(stored["report"])
        if not commands.for_report(report).caches:
            raise ValueError("a report of a command that is not cached")
    except Exception as error:
        # Our entry, for this very key, that cannot be drawn (written by a bug, or edited):
        # left in place it would be read, and refused, on every run.
        _note(f"cache entry {path} removed ({type(error).__name__}: {error})")
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    with contextlib.suppress(OSError):  # a read-only cache is read all the same
        os.utime(path)  # recently used: the last to be dropped
    return report


def store(entry_key: dict[str, Any], report: Report) -> None:
    """Write the entry atomically (a temporary file, then a rename); never fail the run."""
    path = _entry_path(entry_key)
    content = zlib.compress(
        json.dumps({"key": entry_key, "report": report.to_dict()}).encode("utf-8"), 1
    )
    temporary = ""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.replace(temporary, path)
        temporary = ""
        _bound(path.parent)
    except OSError as error:
        _note(f"cache not written in {path.parent} ({error.strerror or error})")
    finally:
        if temporary:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


_ENTRY_NAME = re.compile(r"[0-9a-f]{64}" + re.escape(SUFFIX))
# How every entry this tool writes begins, once decompressed: store()'s json.dumps.
_ENTRY_START = b'{"key": {"package": '


def _entries(where: Path) -> list[Path]:
    """The entries this tool wrote: a name it gives and content it writes. Anything else in
    the folder (another program's file, one a user put there) is never counted or removed."""
    try:
        candidates = [p for p in where.iterdir() if _ENTRY_NAME.fullmatch(p.name)]
    except OSError:
        return []
    return [p for p in candidates if _is_ours(p)]


def _is_ours(path: Path) -> bool:
    try:
        if not path.is_file() or path.is_symlink():
            return False
        with path.open("rb") as file:
            head = file.read(256)
        start = zlib.decompressobj().decompress(head, len(_ENTRY_START))
    except (OSError, zlib.error):
        return False
    return start == _ENTRY_START


def _bound(where: Path) -> None:
    """Drop the least recently used entries while the folder holds more than the limit."""
    entries = []
    for entry in _entries(where):
        with contextlib.suppress(OSError):
            stat = entry.stat()
            entries.append((stat.st_mtime_ns, stat.st_size, entry))
    total = sum(size for _, size, _ in entries)
    for _, size, entry in sorted(entries):
        if total <= LIMIT_BYTES:
            break
        with contextlib.suppress(OSError):
            entry.unlink()
            total -= size


@dataclass(frozen=True)
class CacheInfo:
    folder: str
    entries: int
    bytes: int


def info() -> CacheInfo:
    where = folder()
    entries = _entries(where)
    size = 0
    for entry in entries:
        with contextlib.suppress(OSError):
            size += entry.stat().st_size
    return CacheInfo(folder=str(where), entries=len(entries), bytes=size)


def clear() -> int:
    """Remove every entry (and nothing else in the folder); how many were removed."""
    removed = 0
    for entry in _entries(folder()):
        with contextlib.suppress(OSError):
            entry.unlink()
            removed += 1
    return removed


def _note(message: str) -> None:
    if debugging():
        sys.stderr.write(f"resnet-inspect: note: {message}\n")
