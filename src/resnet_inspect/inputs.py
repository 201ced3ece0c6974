"""What a run reads, found in pure Python before any work: no save may replace any of it.

Inputs are more than the paths typed on the command line. ``--weights hf:OWNER/NAME`` reads
a repository folder of the Hugging Face cache (its ``refs/``, the snapshot's links, the blobs
they point to, ``config.json``); a torchvision weights name reads torch's checkpoints folder;
an ``--images`` folder is an input as a whole, the files the run reads and the ones it skips
(an ImageFolder's top-level images) alike. Each such folder is kept: a save inside it is
refused, as a save onto one of its files would be.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from resnet_inspect.config import WeightsChoice, WeightsKind

HUB_PREFIX = "hf:"
CHECKPOINT_SUFFIXES = (".pth", ".pt", ".bin", ".ckpt", ".tar", ".safetensors")


@dataclass(frozen=True)
class RunInputs:
    """The files a run reads, by what names them, and the folders no save may go into."""

    files: tuple[tuple[str, str], ...] = ()  # ("the --weights file", path)
    folders: tuple[tuple[str, str], ...] = ()  # ("the Hub cache of timm/resnet18", folder)


def hub_cache() -> str:
    """The Hugging Face cache folder as huggingface_hub finds it: HF_HUB_CACHE (or its old
    name HUGGINGFACE_HUB_CACHE), else HF_HOME/hub, else XDG_CACHE_HOME (or ~/.cache)
    /huggingface/hub."""
    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if os.environ.get(name):
            return os.path.expanduser(os.environ[name])
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache"), "huggingface"
    )
    return os.path.join(os.path.expanduser(home), "hub")


def hub_repository_folder(repo: str) -> str:
    """Where the cache keeps one model repository: ``models--OWNER--NAME``."""
    return os.path.join(hub_cache(), "models--" + repo.replace("/", "--"))


def torch_checkpoints() -> str:
    """Where torchvision keeps the pretrained weights it downloaded (torch.hub.get_dir()'s
    ``checkpoints``): TORCH_HOME, else XDG_CACHE_HOME (or ~/.cache)/torch."""
    home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache"), "torch"
    )
    return os.path.join(os.path.expanduser(home), "hub", "checkpoints")


def weights_inputs(text: str, name: str = "the --weights file") -> RunInputs:
    """What a weights option reads: a file, a Hub repository's folder, or torch's
    checkpoints (for a weights name such as DEFAULT); nothing for none or init:SEED."""
    value = (text or "").strip()
    if value.lower() in ("", "none") or value.lower().startswith("init:"):
        return RunInputs()
    if value.startswith(HUB_PREFIX):
        repo = value[len(HUB_PREFIX) :].strip()
        return RunInputs(
            folders=((f"the Hub cache of {repo}, an input", hub_repository_folder(repo)),)
        )
    files = ((name, value),) if os.path.isfile(value) else ()
    if os.sep in value or "/" in value or value.lower().endswith(CHECKPOINT_SUFFIXES):
        return RunInputs(files=files)
    # A weights name (DEFAULT, IMAGENET1K_V2: one wins over a file of that name here).
    pretrained = (("torchvision's downloaded weights, an input", torch_checkpoints()),)
    return RunInputs(files=files, folders=pretrained)


def image_inputs(paths: Iterable[str], option: str) -> RunInputs:
    """An image file as it is; a folder whole, with every file under it (read or not)."""
    files: list[tuple[str, str]] = []
    folders: list[tuple[str, str]] = []
    for path in paths:
        if os.path.isdir(path):
            folders.append((f"the {option} folder {path}, an input", path))
            files += [(f"a file of the {option} folder {path}", f) for f in _every_file(path)]
        elif os.path.isfile(path):
            files.append(("an image file", path))
    return RunInputs(files=tuple(files), folders=tuple(folders))


def _every_file(folder: str) -> list[str]:
    found = []
    for root, _, names in os.walk(folder, followlinks=True):
        found += [os.path.join(root, name) for name in names]
    return found


def joined(parts: Sequence[RunInputs]) -> RunInputs:
    return RunInputs(
        files=tuple(item for part in parts for item in part.files),
        folders=tuple(item for part in parts for item in part.folders),
    )


def hub_config(repo: str) -> dict[str, object]:
    """A cached repository's config.json as its main ref's snapshot holds it, read in pure
    Python (before torch); empty where there is none or it cannot be read (the model's
    build says why, in one line)."""
    import json

    folder = hub_repository_folder(repo)
    try:
        with open(os.path.join(folder, "refs", "main"), encoding="utf-8") as file:
            revision = file.read().strip()
        with open(
            os.path.join(folder, "snapshots", revision, "config.json"), encoding="utf-8"
        ) as file:
            config = json.load(file)
    except (OSError, ValueError):
        return {}
    return config if isinstance(config, dict) else {}


def hub_input_size(repo: str) -> tuple[int, int, int] | None:
    """The (C, H, W) a cached repository's pretrained_cfg says its model takes, as timm's
    hf-hub: loading reads it."""
    config = hub_config(repo)
    cfg = config.get("pretrained_cfg")
    size = cfg.get("input_size") if isinstance(cfg, dict) else config.get("input_size")
    if (
        isinstance(size, list)
        and len(size) == 3
        and all(isinstance(v, int) and v > 0 for v in size)
    ):
        return (size[0], size[1], size[2])
    return None


def check_save_dir(folder: str, image: str, weights: WeightsChoice) -> None:
    """``--save-dir`` may not be an input's folder or inside one: the images' folder, the
    Hub cache a ``hf:`` name reads, torch's checkpoints folder; nor an existing file."""
    from resnet_inspect.errors import OptionError

    if os.path.exists(folder) and not os.path.isdir(folder):
        raise OptionError(f"--save-dir {folder}: a file, not a folder")
    kept = list(image_inputs([image], "IMAGE").folders)
    if not os.path.isdir(image):  # one image: its PNG may not replace it
        name = os.path.splitext(os.path.basename(image))[0] + ".png"
        if _same(os.path.join(folder, name), image):
            raise OptionError(f"--save-dir {folder}: {name} there would replace the IMAGE")
    if weights.kind is WeightsKind.HUB:
        kept += weights_inputs(HUB_PREFIX + weights.name).folders
    elif weights.kind is WeightsKind.PRETRAINED:
        kept.append(("torchvision's downloaded weights, an input", torch_checkpoints()))
    for what, path in kept:
        if _inside(folder, path):
            raise OptionError(f"--save-dir {folder}: inside {what}; choose a folder outside it")


def _same(a: str, b: str) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def _inside(path: str, folder: str) -> bool:
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)
