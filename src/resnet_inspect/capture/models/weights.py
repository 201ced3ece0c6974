"""Where a model's weights come from: random init, torchvision's pretrained ones, or a file.

Files are only ever read with ``torch.load(..., weights_only=True)``: a checkpoint that
needs anything else to unpickle is refused, never retried unsafely. Pretrained weights go
through torchvision's own weights API and cache; nothing is downloaded unless a pretrained
name was asked for, and a failed download says where to put the file instead.
"""

from __future__ import annotations

import os
import pickle
import re
import socket
import sys
import urllib.error
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import torch
import torchvision.models

from resnet_inspect.anatomy import ARCHITECTURES
from resnet_inspect.config import WeightsChoice, WeightsKind
from resnet_inspect.errors import InspectError
from resnet_inspect.records import NO_SETTINGS, ModelInfo, Setting, Settings, WeightsInfo

DOWNLOAD_TIMEOUT_S = 15
StateDict = dict[str, torch.Tensor]


@dataclass(frozen=True)
class Weights:
    info: WeightsInfo
    state_dict: StateDict | None  # None for random init


def describe_weights(choice: WeightsChoice, arch: str) -> Weights:
    """What ``tree`` needs: the head's size and the metadata, without downloading anything.

    A local file is read (safely) and checked against the architecture; pretrained weights
    are described from torchvision's metadata alone.
    """
    if choice.kind is WeightsKind.FILE:
        return load_weights(choice, arch)
    if choice.kind is WeightsKind.PRETRAINED:
        return Weights(_pretrained_info(arch, choice.name), None)
    return Weights(WeightsInfo(kind="none", name="none", num_classes=1000), None)


def load_weights(choice: WeightsChoice, arch: str) -> Weights:
    """The state_dict to load into ``arch``, checked key by key and shape by shape."""
    if choice.kind is WeightsKind.NONE:
        return describe_weights(choice, arch)
    if choice.kind is WeightsKind.PRETRAINED:
        info = _pretrained_info(arch, choice.name)
        shown = f"--weights {info.name}"
        state = _unwrap(_read(_cached_or_downloaded(arch, choice.name), shown), shown)
        check_fits_arch(state, arch, info.name)
        return Weights(info, state)
    shown = choice.shown
    forms = read_state_dict_forms(choice.path, shown)
    removed, state = forms[-1]  # a torchvision ResNet's names start with no wrapper's
    classes = _head_classes(state, shown)
    check_fits_arch(state, arch, shown)
    info = file_info(choice.path, classes, keys=removed_keys(removed), state=state)
    return Weights(info, state)


def read_state_dict(path: str, shown: str = "") -> StateDict:
    """A checkpoint file's state_dict: read safely, unwrapped, prefixes stripped. Messages
    name it as ``shown`` (``--weights PATH`` unless the caller says otherwise)."""
    return read_state_dict_forms(path, shown)[-1][1]


def read_state_dict_forms(path: str, shown: str = "") -> list[tuple[str, StateDict]]:
    """The file's state_dict as saved, then with each wrapper prefix that every key has
    taken off in turn (``module.`` of DataParallel, ``_orig_mod.`` of torch.compile,
    ``model.``), each with the prefixes taken off so far: a model whose own names start
    with ``model.`` fits the keys as saved, another the stripped ones."""
    shown = shown or f"--weights {path}"
    return _unwrapped_forms(_read(path, shown), shown)


def removed_keys(prefixes: str) -> str:
    """``WeightsInfo.keys`` for a checkpoint read with these prefixes taken off."""
    return f"removed {prefixes}" if prefixes else ""


def file_info(
    path: str, classes: int, name: str = "", keys: str = "", state: StateDict | None = None
) -> WeightsInfo:
    tensors = list(state.values()) if state is not None else []
    floats = sorted({str(t.dtype).removeprefix("torch.") for t in tensors if t.is_floating_point()})
    return WeightsInfo(
        kind="file",
        name=name or os.path.basename(path),
        num_classes=classes,
        path=path,
        metadata=file_metadata(path),
        keys=keys,
        dtypes=tuple(floats),
        float_bytes=sum(t.numel() * t.element_size() for t in tensors if t.is_floating_point()),
    )


def torchvision_entry(arch: str, name: str) -> Any:
    """torchvision's weights entry of an architecture by name (``DEFAULT`` resolved)."""
    return torchvision.models.get_model_weights(arch)[name]


def torchvision_weights(model: ModelInfo, weights: WeightsInfo) -> Any | None:
    """The torchvision weights entry a report names (``ResNet18_Weights.IMAGENET1K_V1``),
    for what it knows beside the tensors: its transforms, its class names. None for
    anything but a torchvision model with pretrained weights."""
    if weights.kind != "pretrained" or model.kind != "torchvision":
        return None
    return torchvision_entry(model.name, weights.name.rpartition(".")[2])


def _pretrained_info(arch: str, name: str) -> WeightsInfo:
    weights = torchvision_entry(arch, name)
    metrics = weights.meta.get("_metrics", {}).get("ImageNet-1K", {})
    return WeightsInfo(
        kind="pretrained",
        name=f"{type(weights).__name__}.{weights.name}",
        url=weights.url,
        path=cache_path(weights.url),
        num_classes=len(weights.meta["categories"]),
        top1=metrics.get("acc@1"),
        top5=metrics.get("acc@5"),
    )


def cache_path(url: str) -> str:
    """Where torchvision looks for a downloaded file: ``<torch hub dir>/checkpoints/<name>``."""
    return os.path.join(torch.hub.get_dir(), "checkpoints", os.path.basename(urlparse(url).path))


def _cached_or_downloaded(arch: str, name: str) -> str:
    weights = torchvision_entry(arch, name)
    path = cache_path(weights.url)
    if os.path.exists(path):
        return path
    filename = os.path.basename(path)
    match = re.search(r"-([a-f0-9]*)\.", filename)  # torchvision's names carry a hash prefix
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:
        # TORCH_HOME may be a file, or a folder that cannot be written: the same advice.
        os.makedirs(os.path.dirname(path), exist_ok=True)
        torch.hub.download_url_to_file(
            weights.url,
            path,
            hash_prefix=match.group(1) if match else None,
            progress=sys.stderr.isatty(),
        )
    except (OSError, urllib.error.URLError, RuntimeError, TimeoutError) as error:
        reason = getattr(error, "reason", None) or str(error).splitlines()[0]
        raise InspectError(
            f"{type(weights).__name__}.{weights.name} is not cached and could not be downloaded "
            f"from {weights.url} ({reason}); put that file at {path} (torchvision looks for "
            "exactly this name), or set TORCH_HOME to a folder whose hub/checkpoints/ holds it"
        ) from None
    finally:
        socket.setdefaulttimeout(previous)
    return path


def _read(path: str, shown: str) -> Any:
    """torch.load with weights_only=True, its failures turned into one clear sentence."""
    try:
        if os.path.getsize(path) == 0:
            raise InspectError(f"{shown} is empty")
        with open(path, "rb"):
            pass
    except OSError as error:
        raise InspectError(f"{shown} cannot be read ({error.strerror})") from None
    with open(path, "rb") as file:
        start = file.read(9)
    if _is_safetensors(path, start):
        return _read_safetensors(path, shown)
    if start[:2] != b"PK" and start[:1] != b"\x80":  # neither torch's zip format nor a pickle
        raise InspectError(
            f"{shown} is not a readable PyTorch checkpoint (neither torch.save's zip format "
            "nor a pickle)"
        )
    try:
        return _load(path)
    except pickle.UnpicklingError as error:
        if "weights only load failed" in str(error).lower():
            raise InspectError(
                f"{shown} was refused: it holds Python objects that "
                "torch.load(weights_only=True) will not build, and unpickling them could run "
                "code; re-save the weights alone with torch.save(model.state_dict(), path)"
            ) from None
        raise _unreadable(shown, error) from None
    except Exception as error:  # torch.load's failures on foreign bytes are not a stable set
        raise _unreadable(shown, error) from None


def _is_safetensors(path: str, start: bytes) -> bool:
    """A .safetensors name, or its layout: 8 bytes of header length, then a JSON object."""
    return path.lower().endswith(".safetensors") or (len(start) == 9 and start[8:9] == b"{")


def _read_safetensors(path: str, shown: str) -> StateDict:
    """Every tensor of a safetensors file, read with the safetensors library. Its tensors are
    mapped from the file, not read: names and shapes cost next to nothing, and only what a
    step loads (or a diff compares) is read from disk."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(path, framework="pt", device="cpu") as file:
            # safe_open is no mapping: keys() is its one way to list the names
            return {name: file.get_tensor(name) for name in file.keys()}  # noqa: SIM118
    except (SafetensorError, OSError, ValueError) as error:
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InspectError(
            f"{shown} is not a readable safetensors file (truncated or corrupt?): {detail}"
        ) from None


def file_metadata(path: str) -> Settings:
    """The free-form metadata of a safetensors file's header (none for torch.save files)."""
    try:
        with open(path, "rb") as file:
            start = file.read(9)
        if not _is_safetensors(path, start):
            return NO_SETTINGS
        from safetensors import safe_open

        with safe_open(path, framework="pt", device="cpu") as opened:
            metadata = opened.metadata() or {}
    except Exception:  # an unreadable header was reported when the tensors were read
        return NO_SETTINGS
    return Settings(Setting(str(key), str(value)) for key, value in sorted(metadata.items()))


def _load(path: str) -> Any:
    """Mapped, not read: inferring a model or its head needs names and shapes only, and a
    step copies what it loads. Files in the legacy (pre-zip) format cannot be mapped."""
    import zipfile

    try:
        path.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes in the name: torch takes no such path
        with open(path, "rb") as file:
            return torch.load(file, map_location="cpu", weights_only=True)
    if not zipfile.is_zipfile(path):
        return torch.load(path, map_location="cpu", weights_only=True)
    return torch.load(path, map_location="cpu", weights_only=True, mmap=True)


def _unreadable(shown: str, error: Exception) -> InspectError:
    detail = str(error).splitlines()[0] if str(error) else type(error).__name__
    return InspectError(
        f"{shown} is not a readable PyTorch checkpoint (truncated, or another format?): {detail}"
    )


# Where training code keeps the state_dict inside a checkpoint (Lightning: state_dict).
CONTAINERS = ("state_dict", "model", "model_state_dict", "net")
# What wrappers put before every key: DataParallel/DDP, torch.compile, a LightningModule's
# attribute; stripped while every key has one, so combinations come off too. Any other
# attribute every key is under (backbone., encoder.) comes off as well (_common_prefix).
PREFIXES = ("module.", "_orig_mod.", "model.")


def _unwrap(loaded: Any, shown: str) -> StateDict:
    """A bare state_dict, or one inside a training checkpoint; wrapper prefixes stripped."""
    return _unwrapped_forms(loaded, shown)[-1][1]


def _unwrapped_forms(loaded: Any, shown: str) -> list[tuple[str, StateDict]]:
    state = loaded
    if isinstance(loaded, dict) and not _all_tensors(loaded):
        for key in CONTAINERS:
            if isinstance(loaded.get(key), dict):
                state = loaded[key]
                break
    if not isinstance(state, dict) or not state:
        raise InspectError(f"{shown} does not hold a state_dict")
    if not _all_tensors(state):
        raise InspectError(
            f"{shown} holds a dict whose values are not all tensors; save "
            f"model.state_dict(), or a dict with it under one of: {', '.join(CONTAINERS)}"
        )
    forms: list[tuple[str, StateDict]] = [("", state)]
    while True:
        prefix = next((p for p in PREFIXES if all(k.startswith(p) for k in state)), None)
        prefix = prefix or _common_prefix(state)
        if prefix is None:
            return forms
        state = {key.removeprefix(prefix): value for key, value in state.items()}
        forms.append((forms[-1][0] + prefix, state))


def _common_prefix(state: StateDict) -> str | None:
    """The one attribute every key is under (``backbone.``, ``encoder.``, ``net.``: how a
    wrapper module saves the ResNet it holds, as mmpretrain and hand-written wrappers do)."""
    heads = {key.split(".", 1)[0] for key in state}
    # Under it, each key must still name a module's tensor (conv1.weight), not be one (a
    # lone conv1.weight is a layer of its own, not a wrapper around one).
    if len(heads) == 1 and all(key.count(".") >= 2 for key in state):
        return heads.pop() + "."
    return None


def _all_tensors(mapping: dict[Any, Any]) -> bool:
    return bool(mapping) and all(isinstance(v, torch.Tensor) for v in mapping.values())


def _head_classes(state: StateDict, shown: str) -> int:
    head = state.get("fc.weight")
    if head is None or head.dim() != 2:
        raise InspectError(
            f"{shown} has no fc.weight, so it does not fit a torchvision ResNet as it "
            "is; leave out --arch to infer its configuration, or pass --model"
        )
    if head.shape[0] < 1:
        raise InspectError(f"{shown} has a head of 0 classes (fc.weight is 0×N)")
    return int(head.shape[0])


def _expected_shapes(arch: str, classes: int) -> dict[str, tuple[int, ...]]:
    from resnet_inspect.capture.models.torchvision import build_model

    model = build_model(arch, device="meta", num_classes=classes)
    return {key: tuple(value.shape) for key, value in model.state_dict().items()}


def differences(state: StateDict, expected: dict[str, tuple[int, ...]]) -> list[str]:
    """What keeps ``state`` from loading into a model with these shapes; empty if nothing."""
    # Checkpoints from before BatchNorm counted its batches lack num_batches_tracked, which
    # load_state_dict fills in; it is not a mismatch.
    missing = [k for k in expected if k not in state and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in state if k not in expected]
    shapes = [k for k in state if k in expected and tuple(state[k].shape) != expected[k]]
    out = []
    if missing:
        out.append(f"{len(missing)} missing ({', '.join(missing[:3])})")
    if unexpected:
        out.append(f"{len(unexpected)} unexpected ({', '.join(unexpected[:3])})")
    if shapes:
        first = shapes[0]
        found = "×".join(map(str, state[first].shape))
        wanted = "×".join(map(str, expected[first]))
        out.append(f"{len(shapes)} of another shape ({first}: {found}, expected {wanted})")
    return out


def check_fits_arch(state: StateDict, arch: str, shown: str) -> None:
    """Refuse a checkpoint whose keys or shapes are not those of ``arch``."""
    classes = _head_classes(state, shown)
    problems = differences(state, _expected_shapes(arch, classes))
    if not problems:
        return
    likely = [
        a
        for a in ARCHITECTURES
        if a != arch and not differences(state, _expected_shapes(a, classes))
    ]
    if likely:
        hint = f"; it looks like a {likely[0]} checkpoint (--arch {likely[0]})"
    else:
        hint = _inferred_hint(state, shown)
    raise InspectError(f"{shown} does not fit {arch}: {'; '.join(problems)}{hint}")


def _inferred_hint(state: StateDict, shown: str) -> str:
    """What the checkpoint looks like when no stock architecture fits it as it is."""
    from resnet_inspect.capture.models.infer import infer_config

    try:
        config = infer_config(state, shown)
    except InspectError:
        return ""
    return f"; it looks like a {config.name} (leave out --arch to inspect it as one)"
