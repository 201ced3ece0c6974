"""Theoretical receptive fields, carried along the structure pass tensor by tensor.

Every tensor the forward makes gets the field of one of its units, worked out from the
operation that made it and the fields of its inputs (Araujo, Norris & Sim, "Computing
Receptive Fields of Convolutional Neural Networks", Distill 2019). Per axis, a field is
its size r, the jump j between neighbouring units and the centre of the first unit's field
(input pixel centres at 0, 1, …), with for a kernel k, stride s, padding p and dilation d:

    r = r_in + (k − 1)·d·j_in      j = j_in·s      start = start_in + ((k − 1)·d/2 − p)·j_in

Following tensors, not modules, is what makes it work through residual blocks: at an add
the field is the union of both operands' (the branch and the shortcut, a strided 1×1 or an
avg-pool), and an operation whose output depends on every unit of its input (a global
pool, a Linear after it, GroupNorm's statistics, an SE gate multiplied back in) gives every
unit one shared region. An operation not understood leaves its output without a field,
never a wrong one.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, replace
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves
from torch.utils.weak import WeakTensorKeyDictionary

from resnet_inspect.errors import debugging
from resnet_inspect.records import FieldAxis, ReceptiveField

# Operations that give back their input's units unchanged (a view, a copy, a cast).
_SAME_UNITS = frozenset(
    {
        "view", "_unsafe_view", "reshape", "flatten", "t", "transpose", "permute", "squeeze",
        "unsqueeze", "expand", "clone", "contiguous", "detach", "alias", "_to_copy", "to",
        "empty_like", "lift_fresh", "slice", "select", "dropout", "native_dropout",
        "split", "split_with_sizes", "chunk", "unbind",
    }
)  # fmt: skip
# Reductions: over the spatial axes they take every unit together.
_REDUCTIONS = frozenset({"mean", "sum", "amax", "amin", "max", "min", "var", "std", "var_mean"})
_MATRIX = frozenset({"addmm", "mm", "matmul", "bmm", "linear", "baddbmm"})
_MAX_POOLS = frozenset({"max_pool2d_with_indices", "max_pool2d"})
_ADAPTIVE = frozenset({"_adaptive_avg_pool2d", "adaptive_max_pool2d", "adaptive_avg_pool2d"})
# Padding before a window (timm's "same" convs, a blur pool's reflection): the units it adds
# before the first move the start; a mirrored or repeated border adds no new pixels.
_PADS = frozenset({"constant_pad_nd", "reflection_pad2d", "replication_pad2d"})
_BATCH_NORMS = frozenset(
    {"native_batch_norm", "_native_batch_norm_legit", "_native_batch_norm_legit_no_training"}
)


@dataclass(frozen=True)
class _Field:
    """A tensor's field while the pass runs: one axis per spatial dimension (height, width);
    ``flat`` for a vector made of a map's units (a flatten), whose next matrix product takes
    them all."""

    height: FieldAxis
    width: FieldAxis
    shared: bool = False
    mismatch: bool = False
    flat: bool = False


class FieldTracker(TorchDispatchMode):
    """Gives every tensor made during the pass its receptive field, from ``example`` (the
    input, whose units see one pixel each)."""

    def __init__(self, example: torch.Tensor) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.input_size = (int(example.shape[-2]), int(example.shape[-1]))
        self.fields: WeakTensorKeyDictionary = WeakTensorKeyDictionary()
        if example.dim() == 4:
            height, width = self.input_size
            self.fields[example] = _Field(FieldAxis(1, 1, 0, height), FieldAxis(1, 1, 0, width))

    def __torch_dispatch__(
        self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: Any = None
    ) -> Any:
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        inputs = [t for t in tree_leaves((args, kwargs)) if isinstance(t, torch.Tensor)]
        known = [t for t in inputs if t in self.fields]
        if known:
            made = [t for t in tree_leaves(out) if isinstance(t, torch.Tensor)]
            if made and _unknown_operand(inputs, known, made[0]):
                # An activation whose field is unknown joins this one: a union without it
                # would be smaller than the truth. Unknown from here on, never made up.
                self.fields.pop(made[0], None)  # type: ignore[no-untyped-call]
                return out
            name = func.overloadpacket.__name__
            try:
                field = _propagate(name, func, args, known, self.fields, made[0] if made else None)
            except Exception as error:  # a bug here must cost a field, never the whole pass
                if debugging():
                    sys.stderr.write(f"resnet-inspect: note: no field after {name} ({error!r})\n")
                field = None
            # Every output shaped like the first (the parts of a split, var_mean's pair)
            # shares its field.
            for tensor in [t for t in made if _spatial(t) == _spatial(made[0])]:
                if field is None:
                    self.fields.pop(tensor, None)  # type: ignore[no-untyped-call]
                else:
                    self.fields[tensor] = field
        return out

    def field(self, tensor: torch.Tensor) -> ReceptiveField | None:
        """The field of one unit of ``tensor``, with its coverage of the input, or None."""
        found: _Field | None = self.fields.get(tensor)  # type: ignore[no-untyped-call]
        if found is None:
            return None
        return receptive_field(found.height, found.width, self.input_size, found)


def _unknown_operand(
    inputs: list[torch.Tensor], known: list[torch.Tensor], out: torch.Tensor
) -> bool:
    """An input that is an activation like ``out`` (the same batch, height and width) but
    has no field. Parameters and broadcast constants (a 1×C×1×1 bias) are not such."""
    if out.dim() != 4:
        return False
    return any(
        t.dim() == 4 and t.shape[0] == out.shape[0] and t.shape[-2:] == out.shape[-2:]
        for t in inputs
        if all(t is not k for k in known)
    )


def receptive_field(
    height: FieldAxis, width: FieldAxis, input_size: tuple[int, int], found: Any = None
) -> ReceptiveField:
    shared = bool(found and found.shared)
    spans = [
        _centre_span(a, n, shared) for a, n in ((height, input_size[0]), (width, input_size[1]))
    ]
    seen = [
        max(0.0, min(hi, n - 1) - max(lo, 0) + 1) / n
        for (lo, hi), n in zip(spans, input_size, strict=True)
    ]
    return ReceptiveField(
        height=_floats(height),
        width=_floats(width),
        shared=shared,
        mismatch=bool(found and found.mismatch),
        coverage=seen[0] * seen[1],
        covers_input=all(
            lo <= 0 and hi >= n - 1 for (lo, hi), n in zip(spans, input_size, strict=True)
        ),
    )


def _floats(axis: FieldAxis) -> FieldAxis:
    """Sizes, jumps and centres as floats, whatever arithmetic made them: a report read back
    from JSON (the cache) must print exactly what it printed first."""
    return FieldAxis(float(axis.size), float(axis.jump), float(axis.start), int(axis.units))


def _centre_span(axis: FieldAxis, size: int, shared: bool) -> tuple[float, float]:
    """The input span (first and last pixel) of the unit nearest the input's centre."""
    unit = 0
    if not shared and axis.jump:
        unit = min(max(round(((size - 1) / 2 - axis.start) / axis.jump), 0), axis.units - 1)
    centre = axis.start + unit * axis.jump
    return centre - (axis.size - 1) / 2, centre + (axis.size - 1) / 2


def _propagate(
    name: str,
    func: Any,
    args: tuple[Any, ...],
    known: list[torch.Tensor],
    fields: WeakTensorKeyDictionary,
    out: torch.Tensor | None,
) -> _Field | None:
    if out is None:
        return None
    first: _Field = fields[known[0]]
    source = known[0]
    if name == "convolution":
        weight, stride, padding, dilation, transposed = args[1], args[3], args[4], args[5], args[6]
        if transposed:
            return None
        if weight.dim() != 4:  # a 1-d conv across channels (ECA) on pooled values
            return first if _single_unit(first) else None
        return _windowed(first, weight.shape[2:], stride, padding, dilation, out)
    if name in _MAX_POOLS:
        kernel = _pair(args[1])
        stride = _pair(args[2]) if len(args) > 2 and args[2] else kernel
        padding = _pair(args[3]) if len(args) > 3 else (0, 0)
        dilation = _pair(args[4]) if len(args) > 4 else (1, 1)
        return _windowed(first, kernel, stride, padding, dilation, out)
    if name == "avg_pool2d":
        kernel = _pair(args[1])
        stride = _pair(args[2]) if len(args) > 2 and args[2] else kernel
        padding = _pair(args[3]) if len(args) > 3 else (0, 0)
        return _windowed(first, kernel, stride, padding, (1, 1), out)
    if name in _ADAPTIVE:
        size_in, size_out = tuple(source.shape[-2:]), tuple(out.shape[-2:])
        if size_out != (1, 1) and all(i % o == 0 for i, o in zip(size_in, size_out, strict=True)):
            window = tuple(i // o for i, o in zip(size_in, size_out, strict=True))
            return _windowed(first, window, window, (0, 0), (1, 1), out)
        return _all_units(first, out)
    if name in _REDUCTIONS:
        dims = args[1] if len(args) > 1 and isinstance(args[1], list | tuple) else None
        spatial = {source.dim() - 2, source.dim() - 1}
        if dims is None or {d % source.dim() for d in dims} & spatial:
            return _all_units(first, out)
        return first
    if name == "native_group_norm":  # its statistics take every unit of the map
        return _all_units(first, out, keep_units=True)
    if name in _BATCH_NORMS:
        training = name == "_native_batch_norm_legit" or (len(args) > 5 and bool(args[5]))
        return _all_units(first, out, keep_units=True) if training else first
    if name in _MATRIX:
        return _all_units(_union_of(known, fields), out)
    if name in _PADS:
        return _padded(first, args[1], out)
    if name == "cat":
        dim = args[1] if len(args) > 1 else 0
        if out.dim() == 4 and dim % 4 == 1:
            return _union_of(known, fields)
        return None
    if name in _SAME_UNITS:
        return _reshaped(first, source, out)
    if torch.Tag.pointwise in func.tags or name == "where":
        return _union_of(known, fields)
    if _spatial(out) == _spatial(source):
        return first if len(known) == 1 else _union_of(known, fields)
    return None


def _pair(value: Any) -> tuple[int, int]:
    values = list(value) if isinstance(value, list | tuple) else [value]
    return (int(values[0]), int(values[-1]))


def _spatial(tensor: torch.Tensor) -> tuple[int, ...]:
    return tuple(tensor.shape[-2:]) if tensor.dim() >= 3 else ()


def _single_unit(field: _Field) -> bool:
    return field.shared or (field.height.units == 1 and field.width.units == 1)


def _windowed(
    field: _Field, kernel: Any, stride: Any, padding: Any, dilation: Any, out: torch.Tensor
) -> _Field:
    """A window sliding over the map: a convolution or a pool."""
    k, s, p, d = _pair(kernel), _pair(stride), _pair(padding), _pair(dilation)
    units = _spatial(out) or (1, 1)
    axes = []
    for index, axis in enumerate((field.height, field.width)):
        if field.shared:  # every unit already sees one region: so does every output unit
            axes.append(replace(axis, jump=axis.jump * s[index], units=units[index]))
            continue
        axes.append(
            FieldAxis(
                size=axis.size + (k[index] - 1) * d[index] * axis.jump,
                jump=axis.jump * s[index],
                start=axis.start + ((k[index] - 1) * d[index] / 2 - p[index]) * axis.jump,
                units=units[index],
            )
        )
    return replace(field, height=axes[0], width=axes[1], flat=False)


def _region(axis: FieldAxis, shared: bool) -> tuple[float, float]:
    """Every unit's field together, as the first and last input pixel."""
    last = 0 if shared else (axis.units - 1) * axis.jump
    return axis.start - (axis.size - 1) / 2, axis.start + last + (axis.size - 1) / 2


def _all_units(field: _Field, out: torch.Tensor, keep_units: bool = False) -> _Field:
    """An output unit that depends on every unit of the input: one region shared by all."""
    units = _spatial(out) if keep_units and out.dim() == 4 else (1, 1)
    axes = []
    for index, axis in enumerate((field.height, field.width)):
        low, high = _region(axis, field.shared)
        axes.append(FieldAxis(high - low + 1, axis.jump, (low + high) / 2, units[index]))
    return _Field(axes[0], axes[1], shared=True, mismatch=field.mismatch)


def _union_of(known: list[torch.Tensor], fields: WeakTensorKeyDictionary) -> _Field:
    """The operands of one elementwise operation together (the residual add: branch and
    shortcut). Each unit sees what it sees through either; operands on different grids
    (another jump) are flagged, and a shared region (an SE gate) joins every unit's."""
    found: list[_Field] = [fields[t] for t in known]
    result = found[0]
    for other in found[1:]:
        result = _union(result, other)
    return result


def _union(a: _Field, b: _Field) -> _Field:
    if a.shared or b.shared or _single_unit(a) != _single_unit(b):
        axes = []
        for x, y in ((a.height, b.height), (a.width, b.width)):
            low_x, high_x = _region(x, a.shared)
            low_y, high_y = _region(y, b.shared)
            low, high = min(low_x, low_y), max(high_x, high_y)
            units = max(x.units, y.units)
            axes.append(FieldAxis(high - low + 1, max(x.jump, y.jump), (low + high) / 2, units))
        return _Field(axes[0], axes[1], shared=True, mismatch=a.mismatch or b.mismatch)
    axes = []
    mismatch = a.mismatch or b.mismatch
    for x, y in ((a.height, b.height), (a.width, b.width)):
        mismatch = mismatch or not math.isclose(x.jump, y.jump) or x.units != y.units
        low = min(x.start - (x.size - 1) / 2, y.start - (y.size - 1) / 2)
        high = max(x.start + (x.size - 1) / 2, y.start + (y.size - 1) / 2)
        axes.append(FieldAxis(high - low + 1, x.jump, (low + high) / 2, max(x.units, y.units)))
    return _Field(axes[0], axes[1], mismatch=mismatch, flat=a.flat or b.flat)


def _padded(field: _Field, pads: Any, out: torch.Tensor) -> _Field:
    """``F.pad`` (timm's "same" padding): new units before the first move its start."""
    pads = [int(p) for p in pads] + [0] * (4 - len(pads))
    left, top = pads[0], pads[2]
    units = _spatial(out) or (1, 1)
    height = replace(field.height, start=field.height.start - top * field.height.jump)
    width = replace(field.width, start=field.width.start - left * field.width.jump)
    if field.shared:
        height, width = field.height, field.width
    return replace(
        field,
        height=replace(height, units=units[0]),
        width=replace(width, units=units[1]),
    )


def _reshaped(field: _Field, source: torch.Tensor, out: torch.Tensor) -> _Field | None:
    # The last two axes are the map's, whatever is grouped before them (EvoNorm's and
    # split attention's B×G×C/G×H×W).
    if source.dim() >= 3 and out.dim() >= 3 and _spatial(out) == _spatial(source):
        return field
    if _single_unit(field):
        return replace(field, flat=False)
    if source.dim() == 4 and out.dim() < 4:  # a map flattened: a vector of its units
        return replace(field, flat=True)
    if field.flat and out.dim() < 4:
        return field
    return None
