"""Autocast on the meta device: what ``torch.autocast("cpu", dtype)`` would do to each call,
observed once on real CPU tensors and then applied to meta tensors.

Autocast acts on meta tensors not at all (it casts CPU tensors only), and the other way to
simulate it, fake CPU tensors under ``FakeTensorMode``, pays that mode's own dispatch on
every operation of every pass. What autocast does to a call depends only on the function
and its inputs' dtypes: which inputs it casts (and to what), and so the dtypes the call
runs in. So each distinct signature (function, the inputs' dtypes) is run once, on real
CPU tensors of the same shapes (zeros) under autocast, with a dispatch mode watching which
inputs were cast; the meta pass then casts those inputs itself (``Tensor.to``, the
``_to_copy`` autocast runs, a parameter's cast made once per forward as autocast caches
it) and calls the function outside autocast. What is observed is memoised for the process.

A call whose observed casts cannot be restated as casts of its inputs (a function that
casts something it made itself) is not simulated: ``Unsupported`` is raised, and the
caller falls back to ``FakeTensorMode``.

Each observed call is kept (shapes and dtypes, no values), so that ``mirrors`` can ask
whether autocast to another half precision does the same to every one of them: where it
does, a pass under the other is the same pass with that dtype in place of the first
(float16 and bfloat16 are both 2 bytes), and plan need not run it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode, _disable_current_modes
from torch.utils._pytree import tree_flatten, tree_unflatten

Signature = tuple[Any, tuple[Any, ...]]
Casts = tuple[tuple[int, torch.dtype], ...]  # (position among the tensor inputs, cast to)

_CAST = torch.ops.aten._to_copy.default  # what autocast's casts run


@dataclass(frozen=True)
class _TensorShape:
    """A tensor input as observing a call needs it: never its values."""

    shape: tuple[int, ...]
    dtype: torch.dtype
    parameter: bool


@dataclass(frozen=True)
class _Call:
    """A call as it was first seen: the function, its arguments' structure, and every
    argument (each tensor as a ``_TensorShape``)."""

    func: Any
    spec: Any
    flat: tuple[Any, ...]

    @classmethod
    def of(cls, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Call:
        flat, spec = tree_flatten((args, kwargs))
        described = tuple(
            _TensorShape(tuple(item.shape), item.dtype, isinstance(item, torch.nn.Parameter))
            if isinstance(item, torch.Tensor)
            else item
            for item in flat
        )
        return cls(func, spec, described)

    def signature(self) -> Signature:
        return _signature(self.func, [item for item in self.flat if isinstance(item, _TensorShape)])

    def with_dtype(self, old: torch.dtype, new: torch.dtype) -> _Call:
        """The same call with every ``old`` tensor input in ``new``."""
        flat = tuple(
            replace(item, dtype=new)
            if isinstance(item, _TensorShape) and item.dtype == old
            else item
            for item in self.flat
        )
        return replace(self, flat=flat)


def _signature(func: Any, tensors: list[Any]) -> Signature:
    """What autocast's choice depends on: the operation and its tensor inputs' dtypes."""
    return (func, tuple(str(tensor.dtype) for tensor in tensors))


# What autocast to a dtype does to each signature, and the call it was first seen in.
_OBSERVED: dict[tuple[torch.dtype, Signature], Casts] = {}
_CALLS: dict[tuple[torch.dtype, Signature], _Call] = {}


class Unsupported(Exception):
    """A call whose autocast behaviour is not casts of its inputs."""


class _WatchCasts(TorchDispatchMode):  # type: ignore[no-untyped-call]
    def __init__(self, inputs: list[torch.Tensor]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        # By the tensor itself (empty tensors share a null data pointer).
        self.places = {t._cdata: i for i, t in enumerate(inputs)}
        self.casts: dict[int, torch.dtype] = {}
        self.foreign = False

    def __torch_dispatch__(
        self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: Any = None
    ) -> Any:
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        if func is _CAST and isinstance(args[0], torch.Tensor):
            source = args[0]
            place = self.places.get(source._cdata)
            if place is None:
                self.foreign = True
            elif isinstance(out, torch.Tensor) and out.dtype != source.dtype:
                self.casts[place] = out.dtype
        return out


def _observe(call: _Call, dtype: torch.dtype) -> Casts:
    """Which tensor inputs of the call autocast casts, and to what: the call run once on
    real CPU tensors under autocast. First with the batch taken out (every tensor that is
    not a parameter and shares the first input's first dimension made 0 long there), which
    costs nothing to compute; where the call refuses that, at the inputs' own shapes."""
    try:
        return _observed(call, dtype, empty_batch=True)
    except Unsupported:
        raise
    except Exception:  # the call needs its batch (a reduction over it, a broadcast)
        return _observed(call, dtype, empty_batch=False)


def _observed(call: _Call, dtype: torch.dtype, empty_batch: bool) -> Casts:
    tensors_in = [item for item in call.flat if isinstance(item, _TensorShape)]
    first = tensors_in[0]
    batch = first.shape[0] if first.shape else None
    real: list[Any] = []
    tensors: list[torch.Tensor] = []
    for item in call.flat:
        if isinstance(item, _TensorShape):
            shape = list(item.shape)
            shrink = empty_batch and not item.parameter
            if shrink and shape and batch is not None and shape[0] == batch:
                shape[0] = 0
            # No gradient: what autocast casts does not depend on it, and no graph is made.
            made = torch.zeros(shape, dtype=item.dtype, device="cpu")
            tensors.append(made)
            real.append(made)
        else:
            real.append(item)
    real_args, real_kwargs = tree_unflatten(real, call.spec)
    watch = _WatchCasts(tensors)
    # Apart from the pass being watched: none of its modes (live bytes, FLOPs, where each
    # operation ran) sees this call.
    with (
        _disable_current_modes(),
        torch._C.DisableTorchFunction(),
        torch.autocast("cpu", dtype=dtype),
        watch,
    ):
        call.func(*real_args, **real_kwargs)
    if watch.foreign:
        name = getattr(call.func, "__name__", call.func)
        raise Unsupported(f"{name} casts what it makes itself")
    return tuple(sorted(watch.casts.items()))


def _casts(call: _Call, dtype: torch.dtype) -> Casts:
    """What autocast to ``dtype`` does to the call: observed once per signature."""
    key = (dtype, call.signature())
    if key not in _OBSERVED:
        _OBSERVED[key] = _observe(call, dtype)
        _CALLS[key] = call
    return _OBSERVED[key]


def mirrors(first: torch.dtype, second: torch.dtype) -> bool:
    """Whether autocast to ``second`` does to every call seen under ``first`` what it did
    there, ``second`` in ``first``'s place: the same inputs cast, to the same dtypes. Then
    a pass under ``second`` is, operation by operation, the pass under ``first`` with the
    one dtype in place of the other; both are 2 bytes, so every byte it counts is the same.
    """
    if torch.empty((), dtype=first).element_size() != torch.empty((), dtype=second).element_size():
        return False
    seen = [(key, casts) for key, casts in _OBSERVED.items() if key[0] == first]
    for key, casts in seen:
        try:
            other = _casts(_CALLS[key].with_dtype(first, second), second)
        except Exception:  # a call the other dtype refuses, or casts something it made
            return False
        if other != tuple((place, second if d == first else d) for place, d in casts):
            return False
    return bool(seen)


class MetaAutocast(TorchFunctionMode):
    """``torch.autocast("cpu", dtype)`` for a forward on meta tensors (see the module)."""

    def __init__(self, dtype: torch.dtype) -> None:
        super().__init__()
        self.dtype = dtype
        self.cached: dict[int, torch.Tensor] = {}  # a parameter's cast, once a forward

    def __torch_function__(
        self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: Any = None
    ) -> Any:
        kwargs = kwargs or {}
        flat, spec = tree_flatten((args, kwargs))
        tensors = [item for item in flat if isinstance(item, torch.Tensor)]
        if not tensors or not any(t.is_floating_point() for t in tensors):
            return func(*args, **kwargs)
        known = _OBSERVED.get((self.dtype, _signature(func, tensors)))
        if known is None:  # the first call of its kind: observed now, described for mirrors
            known = _casts(_Call.of(func, args, kwargs), self.dtype)
        casts = dict(known)
        if not casts:
            return func(*args, **kwargs)
        place = 0
        changed: list[Any] = []
        for item in flat:
            if isinstance(item, torch.Tensor):
                target = casts.get(place)
                if target is not None:
                    item = self._cast(item, target)
                place += 1
            changed.append(item)
        new_args, new_kwargs = tree_unflatten(changed, spec)
        return func(*new_args, **new_kwargs)

    def _cast(self, tensor: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        # Autocast keeps the casts of leaf tensors that require grad (the parameters) for
        # the rest of the region, so a weight used twice is cast once.
        if tensor.is_leaf and tensor.requires_grad:
            key = id(tensor)
            if key not in self.cached:
                self.cached[key] = tensor.to(dtype)
            return self.cached[key]
        return tensor.to(dtype)
