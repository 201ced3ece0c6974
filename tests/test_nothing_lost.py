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

from resnet_inspect.cli import program as cli
from resnet_inspect.commands import commands
from resnet_inspect.views.files import Output, write_all

Run = Callable[..., Result]
SAVES = ("--save-svg", "--save-html", "--save-text")
# Every command that takes --weights (diff's inputs are A and B: tested on their own below),
# with its registry example's arguments; {image} is a file the refusal never reads.
COMMANDS = {
    entry.name: [a.replace("{image}", "{tmp}/photo.png") for a in entry.example]
    for entry in commands()
    if entry.name != "diff"
}


@pytest.fixture
def no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> None:
        raise AssertionError("the run started work before refusing its save target")

    monkeypatch.setattr(cli, "load_torch", refuse)


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
    (tmp_path / "photo.png").write_bytes(b"an image: refused before it is read")
    before = _snapshot(tmp_path)
    example = [a.format(tmp=tmp_path) for a in COMMANDS[command]]
    result = run_cli([command, *example, *source, save, str(tmp_path / target)])
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


# Issue #39, items 6 and 7: inputs that no option names as a file ---------------------------


def _every_byte(folder: Path) -> dict[str, bytes]:
    """Each file under ``folder`` (through links, as a reader sees it), by its relative path."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def hub_repository(tmp_path: Path) -> Path:
    """A repository in huggingface_hub's real cache layout: refs/main names a snapshot whose
    files are symlinks to content-addressed blobs."""
    folder = tmp_path / "hub" / "models--someone--pets"
    (folder / "blobs").mkdir(parents=True)
    (folder / "refs").mkdir()
    (folder / "refs" / "main").write_text("0123abcd")
    snapshot = folder / "snapshots" / "0123abcd"
    snapshot.mkdir(parents=True)
    for name, blob, content in [
        ("model.safetensors", "aa11", b"weights: refused before they are read"),
        ("config.json", "bb22", b'{"architecture": "resnet18"}'),
    ]:
        (folder / "blobs" / blob).write_bytes(content)
        (snapshot / name).symlink_to(Path("..", "..", "blobs", blob))
    return folder


@pytest.mark.parametrize(
    "target",
    [
        "snapshots/0123abcd/model.safetensors",  # the snapshot's link
        "blobs/aa11",  # the blob it points to
        "refs/main",
        "snapshots/0123abcd/config.json",
        "snapshots/0123abcd/report.txt",  # a new file in the repository's folder
    ],
)
@pytest.mark.parametrize(
    ("command", "save"),
    [("tree", "--save-text"), ("train-step", "--save-svg"), ("graph", "--dot")],
)
def test_no_save_lands_in_the_hub_repository_a_run_reads(
    run_cli: Run, no_work: None, hub_repository: Path, command: str, save: str, target: str
) -> None:
    before = _every_byte(hub_repository)
    env = {"HF_HUB_CACHE": str(hub_repository.parent)}
    path = hub_repository / target
    result = run_cli([command, "--weights", "hf:someone/pets", save, str(path)], env=env)
    assert result.exit_code == 1, result.output
    assert result.stderr.count("\n") == 1
    assert "the Hub cache of someone/pets, an input" in result.stderr
    assert _every_byte(hub_repository) == before


def test_the_hub_folder_is_found_as_huggingface_hub_finds_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytest.importorskip("huggingface_hub")
    import importlib

    from resnet_inspect.inputs import hub_cache

    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    settings = [{}, {"XDG_CACHE_HOME": "x"}, {"HF_HOME": "h"}, {"HF_HUB_CACHE": "c"}]
    for setting in settings:
        for name, value in setting.items():
            monkeypatch.setenv(name, str(tmp_path / value))
        import huggingface_hub.constants as constants

        assert hub_cache() == importlib.reload(constants).HF_HUB_CACHE
    importlib.reload(constants)


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    """An ImageFolder (two classes) with an image at its top, which ImageFolder skips."""
    root = tmp_path / "pets"
    for name in ("cat", "dog"):
        (root / name).mkdir(parents=True)
        (root / name / "1.png").write_bytes(b"a class image: refused before it is read")
    (root / "loose.png").write_bytes(b"an image ImageFolder does not read")
    (root / "notes.txt").write_text("not an image at all")
    return root


@pytest.mark.parametrize("target", ["loose.png", "notes.txt", "cat/1.png", "new.txt"])
@pytest.mark.parametrize(
    ("command", "save"),
    [
        ("freeze --new-classes 2 --images", "--save-text"),
        ("train-step --images", "--save-svg"),
        ("graph --images", "--dot"),
        ("erf --images", "--save-png"),
        ("predict", "--save-text"),
    ],
)
def test_no_save_lands_in_an_images_folder(
    run_cli: Run, no_work: None, image_folder: Path, command: str, save: str, target: str
) -> None:
    before = _every_byte(image_folder)
    path = image_folder / target
    result = run_cli([*command.split(), str(image_folder), save, str(path)])
    assert result.exit_code in (1, 2), result.output
    assert result.stderr.count("\n") == 1
    assert _every_byte(image_folder) == before
    assert not (image_folder / "new.txt").exists()


def test_a_hard_link_out_of_an_images_folder_is_that_image(
    run_cli: Run, no_work: None, image_folder: Path, tmp_path: Path
) -> None:
    twin = tmp_path / "twin.png"
    os.link(image_folder / "loose.png", twin)
    result = run_cli(["predict", str(image_folder), "--save-text", str(twin)])
    assert result.exit_code == 1 and "an input" in result.stderr
    assert twin.read_bytes() == b"an image ImageFolder does not read"


def test_no_save_replaces_torchvisions_downloaded_weights(
    run_cli: Run, no_work: None, tmp_path: Path
) -> None:
    folder = tmp_path / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    cached = folder / "resnet18-f37072fd.pth"
    cached.write_bytes(b"torchvision's download")
    result = run_cli(
        ["tree", "--weights", "DEFAULT", "--save-text", str(cached)],
        env={"TORCH_HOME": str(tmp_path)},
    )
    assert result.exit_code == 1 and "torchvision's downloaded weights" in result.stderr
    assert cached.read_bytes() == b"torchvision's download"


def test_torchs_checkpoints_folder_is_found_as_torch_finds_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import torch

    from resnet_inspect.inputs import torch_checkpoints

    monkeypatch.delenv("TORCH_HOME", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert torch_checkpoints() == os.path.join(torch.hub.get_dir(), "checkpoints")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "t"))
    assert torch_checkpoints() == os.path.join(torch.hub.get_dir(), "checkpoints")
