"""The report cache: a hit answers what a miss answers, without torch, and never gets in the way."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from typer.testing import Result

import user_models
from resnet_inspect import cache

Run = Callable[..., Result]
VIEWS = [
    [],
    ["--depth", "block"],
    ["--depth", "stage", "--lang", "zh"],
    ["--ascii"],
    ["--json"],
    ["--json", "--lang", "zh"],
]


@pytest.fixture
def cached(tmp_path: Path, run_cli: Run) -> Callable[..., Result]:
    """The CLI with its cache in a folder of this test's own."""
    folder = tmp_path / "cache"

    def run(args: list[str], width: int = 80, env: dict[str, str] | None = None) -> Result:
        return run_cli(args, width=width, env={cache.DIR_ENV: str(folder), **(env or {})})

    return run


def entries(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache").glob(f"*{cache.SUFFIX}"))


@pytest.mark.parametrize("command", [["tree"], ["graph", "--new-classes", "10"]])
@pytest.mark.parametrize("view", VIEWS)
def test_a_hit_prints_what_a_miss_prints(
    cached: Callable[..., Result], tmp_path: Path, command: list[str], view: list[str]
) -> None:
    miss = cached([*command, *view])
    assert len(entries(tmp_path)) == 1
    hit = cached([*command, *view])
    assert miss.exit_code == hit.exit_code == 0
    assert hit.stdout == miss.stdout
    assert len(entries(tmp_path)) == 1


@pytest.mark.parametrize("command", [["tree"], ["graph"]])
def test_a_hit_saves_what_a_miss_saves(
    cached: Callable[..., Result], tmp_path: Path, command: list[str]
) -> None:
    saved = {}
    for run in ("miss", "hit"):
        paths = {ext: tmp_path / f"{run}.{ext}" for ext in ("svg", "html", "txt")}
        args = [*command, "--save-svg", str(paths["svg"]), "--save-html", str(paths["html"])]
        assert cached([*args, "--save-text", str(paths["txt"])]).exit_code == 0
        saved[run] = {ext: path.read_bytes() for ext, path in paths.items()}
    assert saved["hit"] == saved["miss"]


def test_a_hit_does_not_import_torch(cached: Callable[..., Result], tmp_path: Path) -> None:
    miss = cached(["tree", "--arch", "resnet50"])  # computed in this process, and stored
    env = {**os.environ, cache.DIR_ENV: str(tmp_path / "cache"), "COLUMNS": "80"}
    probe = (
        "import atexit, sys\n"
        "atexit.register(lambda: sys.stderr.write('torch=%s' % ('torch' in sys.modules)))\n"
        "sys.argv = ['resnet-inspect', 'tree', '--arch', 'resnet50']\n"
        "from resnet_inspect.__main__ import main\n"
        "main()\n"
    )
    hit = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert hit.stderr == "torch=False"
    assert hit.stdout == miss.stdout


def test_what_changes_the_report_changes_the_key(
    cached: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    weights = tmp_path / "w.pth"
    torch.save(user_models.tiny_resnet().state_dict(), weights)
    cached(["tree", "--weights", str(weights)])
    cached(["tree", "--weights", str(weights)])
    assert len(entries(tmp_path)) == 1
    os.utime(weights, ns=(1, 1))  # touched: another file, as far as anyone can tell
    cached(["tree", "--weights", str(weights)])
    assert len(entries(tmp_path)) == 2
    cached(["tree", "--input", "2,3,64,64"])
    cached(["graph", "--loss", "mse"])
    assert len(entries(tmp_path)) == 4
    real = cache._installed
    monkeypatch.setattr(cache, "_installed", lambda name: "99.0" if name == "torch" else real(name))
    cached(["graph", "--loss", "mse"])
    assert len(entries(tmp_path)) == 5


def test_view_options_share_one_entry(cached: Callable[..., Result], tmp_path: Path) -> None:
    for view in VIEWS:
        cached(["tree", *view])
    assert len(entries(tmp_path)) == 1


def test_what_is_never_cached(cached: Callable[..., Result], tmp_path: Path) -> None:
    cached(["tree", "--no-cache"])
    cached(["tree"], env={cache.SWITCH_ENV: "0"})
    cached(["tree", "--model", f"{Path(user_models.__file__)}:tiny_resnet"])
    cached(["train-step", "--input", "2,3,64,64"])
    cached(["freeze", "--new-classes", "2", "--input", "2,3,64,64"])
    assert entries(tmp_path) == []


@pytest.mark.parametrize("damage", ["truncated", "foreign", "garbage", "directory"])
def test_a_broken_entry_is_a_miss_and_the_answer_is_right(
    cached: Callable[..., Result], tmp_path: Path, damage: str
) -> None:
    good = cached(["tree", "--json"]).stdout
    (entry,) = entries(tmp_path)
    if damage == "truncated":
        entry.write_bytes(entry.read_bytes()[:100])
    elif damage == "foreign":  # another key's entry under this name
        entry.write_bytes(
            __import__("zlib").compress(json.dumps({"key": {"x": 1}, "report": {}}).encode())
        )
    elif damage == "garbage":
        entry.write_bytes(b"not a cache entry")
    else:
        entry.unlink()
        entry.mkdir()
    again = cached(["tree", "--json"])
    assert again.exit_code == 0 and again.stdout == good and again.stderr == ""
    if damage != "directory":  # written again, whole
        assert cached(["tree", "--json"]).stdout == good
        assert json.loads(__import__("zlib").decompress(entry.read_bytes()))["key"]


def test_a_cache_folder_that_cannot_be_made_is_no_cache_at_all(
    run_cli: Run, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = {cache.DIR_ENV: str(blocker / "cache")}
    first, second = run_cli(["tree"], env=env), run_cli(["tree"], env=env)
    assert first.exit_code == second.exit_code == 0
    assert first.stdout == second.stdout and first.stderr == second.stderr == ""
    noted = run_cli(["tree"], env={**env, "RESNET_INSPECT_DEBUG": "1"})
    assert noted.exit_code == 0 and "note: cache not written" in noted.stderr


# A process that stores one entry again and again, reading it back between the writes: the
# store half of a run that missed, without the seconds of torch's import before it.
RACER = """
import json, sys, zlib
from resnet_inspect import cache, commands
stored = json.loads(zlib.decompress(open(sys.argv[1], "rb").read()))
report = commands.report_from_dict(stored["report"])
for _ in range(40):
    cache.store(stored["key"], report)
    assert cache.load(stored["key"]) is not None
"""


def test_runs_racing_on_one_key_all_succeed(cached: Callable[..., Result], tmp_path: Path) -> None:
    miss = cached(["tree", "--arch", "resnet18"])
    (entry,) = entries(tmp_path)
    env = {**os.environ, cache.DIR_ENV: str(tmp_path / "cache")}
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(entry)], env=env, stderr=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    errors = [racer.communicate(timeout=120)[1] for racer in racers]
    assert [racer.returncode for racer in racers] == [0, 0, 0] and errors == ["", "", ""]
    assert entries(tmp_path) == [entry] and not list(entry.parent.glob("*.tmp"))
    assert cached(["tree", "--arch", "resnet18"]).stdout == miss.stdout  # still a good entry


def test_the_folder_is_bounded_oldest_first(
    cached: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for batch in (1, 2, 3):
        cached(["tree", "--input", f"{batch},3,64,64"])
    first, *rest = sorted(entries(tmp_path), key=lambda p: p.stat().st_mtime_ns)
    sizes = [p.stat().st_size for p in (first, *rest)]
    monkeypatch.setattr(cache, "LIMIT_BYTES", sum(sizes) + max(sizes) // 2)  # three fit
    cached(["tree", "--input", "1,3,64,64"])  # a hit: now the most recently used
    cached(["tree", "--input", "4,3,64,64"])  # the limit is passed: the oldest goes
    kept = entries(tmp_path)
    assert first in kept and len(kept) == 3


def test_info_and_clear(cached: Callable[..., Result], tmp_path: Path) -> None:
    cached(["tree"])
    cached(["graph"])
    info = cached(["cache", "info"])
    assert info.exit_code == 0
    assert f"folder   {tmp_path / 'cache'}" in info.stdout and "entries  2" in info.stdout
    cleared = cached(["cache", "clear"])
    assert cleared.exit_code == 0 and "removed 2 cached reports" in cleared.stdout
    assert entries(tmp_path) == []


def test_only_the_tools_own_entries_are_counted_and_removed(
    cached: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files that look like entries but were not written by the tool stay: one named as an
    entry is named, another tool's ``*.report.z``, one named right holding other content."""
    cached(["tree"])
    (ours,) = entries(tmp_path)
    folder = tmp_path / "cache"
    foreign = {
        "notes.report.z": b"a user's own file",
        "f" * 64 + cache.SUFFIX: __import__("zlib").compress(b'{"another": "program"}'),
        "e" * 64 + cache.SUFFIX: b"not compressed at all",
    }
    for name, content in foreign.items():
        (folder / name).write_bytes(content)
    assert "entries  1" in cached(["cache", "info"]).stdout
    monkeypatch.setattr(cache, "LIMIT_BYTES", 0)  # the bound drops everything it may
    cached(["tree", "--input", "2,3,64,64"])
    assert "removed 0 cached reports" in cached(["cache", "clear"]).stdout
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == foreign
    assert not ours.exists()


def test_a_checkpoint_rewritten_with_its_old_size_and_mtime_is_a_new_key(
    cached: Callable[..., Result], tmp_path: Path
) -> None:
    """``cp -p`` (or ``touch -r``, ``rsync -a``) of other content restores size and mtime:
    the key must still see another file."""
    weights, other = tmp_path / "w.pth", tmp_path / "o.pth"  # names of one length: one size
    torch.manual_seed(0)
    torch.save(user_models.tiny_resnet().state_dict(), weights)
    torch.manual_seed(1)
    torch.save(user_models.tiny_resnet().state_dict(), other)
    assert weights.stat().st_size == other.stat().st_size
    first = cached(["tree", "--weights", str(weights), "--json"])
    assert first.exit_code == 0, first.stderr
    stat = weights.stat()
    weights.write_bytes(other.read_bytes())  # other content, the same size
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and its old mtime back
    assert weights.stat().st_mtime_ns == stat.st_mtime_ns
    cached(["tree", "--weights", str(weights), "--json"])
    assert len(entries(tmp_path)) == 2


def test_an_entry_that_cannot_be_drawn_is_a_miss_and_removed(
    cached: Callable[..., Result], tmp_path: Path
) -> None:
    zlib = __import__("zlib")
    good = cached(["tree"]).stdout
    (entry,) = entries(tmp_path)
    stored = json.loads(zlib.decompress(entry.read_bytes()))
    stored["report"]["totals"]["params"] = "many"  # the checksum holds; the type does not
    entry.write_bytes(zlib.compress(json.dumps(stored).encode()))
    again = cached(["tree"])
    assert again.exit_code == 0 and again.stdout == good and again.stderr == ""
    rewritten = json.loads(zlib.decompress(entry.read_bytes()))
    assert rewritten["report"]["totals"]["params"] == 11_689_512


def test_a_read_only_cache_is_still_read(
    cached: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached(["tree"])

    def read_only(*args: object, **kwargs: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "utime", read_only)
    monkeypatch.setattr("resnet_inspect.cli.program.load_torch", lambda: pytest.fail("a miss"))
    hit = cached(["tree"])
    assert hit.exit_code == 0, hit.stderr
