"""Nothing a run reads is ever replaced by what it writes, and a save changes nothing about
its target but the content (issue #28, items 1-4). In process: the refusals come before
any work, which a ``load_torch`` that fails proves."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from resnet_inspect.cli import commands
from resnet_inspect.views.files import Output, write_all

Run = Callable[..., Result]
SAVES = ("--save-svg", "--save-html", "--save-text")
COMMANDS = {
    "tree": [],
    "train-step": [],
    "freeze": ["--new-classes", "3"],
    "graph": [],
    "plan": ["--new-classes", "3"],
}


@pytest.fixture
def no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> None:
        raise AssertionError("the run started work before refusing its save target")

    monkeypatch.setattr(commands, "load_torch", refuse)


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    weights = tmp_path / "w.pth"
    weights.write_bytes(b"a checkpoint: refused before it is read, so any bytes do")
    other = tmp_path / "b.pth"
    other.write_bytes(weights.read_bytes())
    source = tmp_path / "m.py"
    source.write_text("from user_models import tiny_resnet as build\n")
    (tmp_path / "link.pth").symlink_to(weights)
    os.link(weights, tmp_path / "hard.pth")
    return {"weights": weights, "b": other, "model": source}


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@pytest.mark.parametrize("save", SAVES)
@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize(
    ("kind", "target", "words"),
    [
        ("weights", "w.pth", "the --weights file"),
        ("weights", "link.pth", "the --weights file"),  # a symlink to it
        ("weights", "hard.pth", "the --weights file"),  # a hard link to it
        ("model", "m.py", "the --model file"),
    ],
)
def test_no_save_replaces_an_input_of_the_command(
    run_cli: Run,
    no_work: None,
    inputs: dict[str, Path],
    tmp_path: Path,
    command: str,
    save: str,
    kind: str,
    target: str,
    words: str,
) -> None:
    source = ["--weights", str(inputs["weights"])]
    if kind == "model":
        source = ["--model", f"{inputs['model']}:build"]
    before = _snapshot(tmp_path)
    result = run_cli([command, *COMMANDS[command], *source, save, str(tmp_path / target)])
    assert result.exit_code == 1, result.output
    assert f"cannot write it (it is {words}, an input)" in result.stderr
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("save", (*SAVES, "--json --save-svg"))
@pytest.mark.parametrize(("side", "target"), [("A", "w.pth"), ("B", "b.pth"), ("A", "hard.pth")])
def test_diff_never_replaces_a_checkpoint_it_compares(
    run_cli: Run,
    no_work: None,
    inputs: dict[str, Path],
    tmp_path: Path,
    save: str,
    side: str,
    target: str,
) -> None:
    before = _snapshot(tmp_path)
    args = ["diff", str(inputs["weights"]), str(inputs["b"]), *save.split(), str(tmp_path / target)]
    result = run_cli(args)
    assert result.exit_code == 1, result.output
    assert f"cannot write it (it is diff's {side}, an input)" in result.stderr
    assert _snapshot(tmp_path) == before


def test_graph_dot_is_checked_as_the_saves_are(
    run_cli: Run, no_work: None, inputs: dict[str, Path], tmp_path: Path
) -> None:
    before = _snapshot(tmp_path)
    result = run_cli(
        ["graph", "--model", f"{inputs['model']}:build", "--dot", str(inputs["model"])]
    )
    assert result.exit_code == 1
    assert "--dot" in result.stderr and "the --model file" in result.stderr
    assert _snapshot(tmp_path) == before


def test_no_save_lands_in_the_report_cache(run_cli: Run, no_work: None, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    folder.mkdir()
    target = folder / ("0" * 64 + ".report.z")
    env = {"RESNET_INSPECT_CACHE_DIR": str(folder)}
    result = run_cli(["tree", "--save-text", str(target)], env=env)
    assert result.exit_code == 1
    assert "cannot write it (it is inside the report cache)" in result.stderr
    assert list(folder.iterdir()) == []


# Item 4: a save is ``>`` in a shell --------------------------------------------------------


def test_a_new_file_gets_the_umask_mode(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_all([Output("--save-text", str(tmp_path / "new.txt"), "x")])
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o644


def test_an_existing_file_keeps_its_mode_links_and_symlink(tmp_path: Path) -> None:
    kept = tmp_path / "kept.txt"
    kept.write_text("old")
    kept.chmod(0o664)
    other_name = tmp_path / "other-name.txt"
    os.link(kept, other_name)
    link = tmp_path / "link.txt"
    link.symlink_to(kept)
    inode = kept.stat().st_ino
    write_all([Output("--save-text", str(link), "new")])
    assert link.is_symlink() and link.read_text() == "new"
    assert kept.stat().st_ino == inode and other_name.read_text() == "new"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o664


def test_a_replaced_file_keeps_its_mode(tmp_path: Path) -> None:
    kept = tmp_path / "kept.txt"
    kept.write_text("old")
    kept.chmod(0o640)
    write_all([Output("--save-html", str(kept), "new")])
    assert kept.read_text() == "new" and stat.S_IMODE(kept.stat().st_mode) == 0o640


def test_a_hard_linked_target_that_fails_half_way_keeps_its_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = tmp_path / "kept.txt"
    kept.write_text("old")
    os.link(kept, tmp_path / "twin.txt")
    real_fsync = os.fsync
    calls: list[int] = []

    def full_disk(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:  # staged fine; the in-place write fails
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(Exception, match="No space left on device"):
        write_all([Output("--save-text", str(kept), "new")])
    assert kept.read_text() == "old" and (tmp_path / "twin.txt").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.txt", "twin.txt"]
