"""Two checkpoints, tensor by tensor: what changed, by how much, in float64.

Sides are read as ``--weights`` reads them (``weights_only=True``, mapped, containers and
wrapper prefixes undone), or made: a torchvision weights name through its cache, or
``init:SEED``, the architecture's random initialisation under that seed.
"""

from __future__ import annotations

from typing import Any

import torch

from resnet_inspect.capture.models.source import ModelSource
from resnet_inspect.capture.models.weights import (
    StateDict,
    differences,
    load_weights,
    read_state_dict,
)
from resnet_inspect.config import DiffSide, SideKind, WeightsChoice
from resnet_inspect.errors import InspectError
from resnet_inspect.records import DiffState, TensorDiff


def side_state(
    side: DiffSide, which: str, source: ModelSource, arch: str, pretrained: WeightsChoice | None
) -> StateDict:
    """The state_dict a side names (``pretrained``: the torchvision weights a name is, for
    ``arch``; None where the model is no torchvision architecture)."""
    if side.kind is SideKind.FILE:
        if source.state_dict is not None and source.weights.path == side.path:
            return source.state_dict  # the model was inferred from this very file: read once
        return read_state_dict(side.path, f"{which} {side.path}")
    if side.kind is SideKind.INIT:
        torch.manual_seed(side.seed)
        return dict(source.make("cpu").state_dict())
    if pretrained is None:
        raise InspectError(
            f"{side.text} is a torchvision weights name: give --arch (the architecture it "
            "belongs to)"
        )
    state = load_weights(pretrained, arch).state_dict
    assert state is not None
    return state


def fits(state: StateDict, model: torch.nn.Module) -> list[str]:
    """What keeps a side from being a checkpoint of ``model``; empty if it is one."""
    return differences(state, {k: tuple(v.shape) for k, v in model.state_dict().items()})


def compare(
    a: StateDict, b: StateDict, kinds: dict[str, str], order: list[str]
) -> list[TensorDiff]:
    """Every key of either side, the model's own first and in its order."""
    names = list(dict.fromkeys([*(k for k in order if k in a or k in b), *a, *b]))
    diffs = []
    with torch.no_grad():
        for name in names:
            diffs.append(_tensor_diff(name, a.get(name), b.get(name), kinds.get(name, "other")))
    return diffs


def _dtype(tensor: torch.Tensor | None) -> str:
    return str(tensor.dtype).removeprefix("torch.") if tensor is not None else ""


def _tensor_diff(
    name: str, a: torch.Tensor | None, b: torch.Tensor | None, kind: str
) -> TensorDiff:
    shape_a = tuple(a.shape) if a is not None else ()
    shape_b = tuple(b.shape) if b is not None else ()
    facts: dict[str, Any] = {
        "name": name,
        "kind": kind,
        "shape_a": shape_a,
        "shape_b": shape_b,
        "dtype_a": _dtype(a),
        "dtype_b": _dtype(b),
    }
    if a is None or b is None:
        return TensorDiff(state=DiffState.ONLY_B if a is None else DiffState.ONLY_A, **facts)
    if shape_a != shape_b:
        return TensorDiff(state=DiffState.RESHAPED, **facts)
    identical = a.dtype == b.dtype and torch.equal(_bits(a), _bits(b))
    state = DiffState.IDENTICAL if identical else DiffState.CHANGED
    if a.dtype != b.dtype and _recast(a, b):
        state = DiffState.RECAST
    # Two float64 copies at most, worked in place: layer4's convs are 19 MiB each in float64.
    wide_a = a.to(torch.float64)
    delta = b.to(torch.float64).sub_(wide_a)
    base_norm = float(torch.linalg.vector_norm(wide_a))
    del wide_a
    delta_norm = float(torch.linalg.vector_norm(delta))
    integer_scalar = a.numel() == 1 and not a.is_floating_point()
    return TensorDiff(
        state=state,
        delta_norm=delta_norm,
        base_norm=base_norm,
        relative=delta_norm / base_norm if base_norm > 0 else None,
        max_abs=float(delta.abs_().max()) if delta.numel() else 0.0,
        count_delta=int(b.item()) - int(a.item()) if integer_scalar else None,
        **facts,
    )


def _recast(a: torch.Tensor, b: torch.Tensor) -> bool:
    """One side is the other converted to its dtype: a widening copy is exact, a narrowing
    one rounds, and either way no value was trained."""
    return torch.equal(a.to(b.dtype), b) or torch.equal(b.to(a.dtype), a)


def _bits(tensor: torch.Tensor) -> torch.Tensor:
    """The tensor's bytes: equal bytes, bit-identical (NaN equals NaN, -0.0 is not 0.0)."""
    return tensor.detach().contiguous().reshape(-1).view(torch.uint8)
