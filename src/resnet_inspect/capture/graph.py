"""The autograd graph of one loss, built on the meta device and walked node by node.

Nothing is computed for real: on the meta device the forward records the same ``grad_fn``
nodes it would on the CPU, at any input size, for free. Each node is attributed to the
module whose forward created it, so the graph can be folded by the model's structure.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_leaves

from resnet_inspect.anatomy import LOSS_SECTION
from resnet_inspect.capture.cpu_batchnorm import CpuBatchNorm
from resnet_inspect.capture.instrument import (
    ModuleStack,
    model_dtype,
    preserved_modes,
    resident_storages,
    saved_tensors,
    storage_id,
)
from resnet_inspect.capture.precision import autocasting
from resnet_inspect.capture.step import loss_of, meta_labels
from resnet_inspect.config import LossKind, Precision
from resnet_inspect.records import GraphCapture, GraphNodeRecord, SavedRecord


class _CreationTracker(TorchFunctionMode):
    """Remembers, for each new ``grad_fn``, the module running when it was made (and, for the
    model's own code, which top-level child ran last: that places it in stem or head)."""

    def __init__(self, modules: ModuleStack) -> None:
        super().__init__()
        self.modules = modules
        self.created: dict[Any, tuple[int, str, str]] = {}

    def __torch_function__(
        self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: Any = None
    ) -> Any:
        out = func(*args, **(kwargs or {}))
        for item in tree_leaves(out):
            node = getattr(item, "grad_fn", None) if isinstance(item, torch.Tensor) else None
            if node is not None and node not in self.created:
                module = self.modules.current
                after = self.modules.last_done
                self.created[node] = (len(self.created), module, after)
        return out


def capture_graph(
    model: torch.nn.Module,
    input_shape: tuple[int, ...],
    *,
    loss: LossKind,
    classes: int,
    explain: bool = False,
    precision: Precision = Precision.FP32,
    channels_last: bool = False,
) -> GraphCapture:
    """Forward and loss in train mode (on the meta device; under autocast on a simulated
    CPU for mixed precision), then one walk of the graph; with ``explain``, each node's
    saved tensors too."""
    params = {id(p): name for name, p in model.named_parameters()}
    resident = resident_storages(model)
    dtype = model_dtype(model)
    device = next(model.parameters()).device
    data = torch.empty(input_shape, dtype=dtype, device=device)
    if channels_last:
        data = data.contiguous(memory_format=torch.channels_last)
    labels = meta_labels(loss, input_shape[0], classes, dtype, device)
    running = ModuleStack(model, outside=LOSS_SECTION)  # after the forward: the loss
    saved: dict[int, tuple[int, str, str]] = {}
    by_dtype: Counter[str] = Counter()

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        # Count each storage once: views (fc's weight.t(), the flatten) share their base's,
        # and parameters and buffers exist anyway. What is left is what backward keeps alive.
        storage = storage_id(tensor)
        if storage not in resident and storage not in saved:
            size = tensor.untyped_storage().nbytes()
            module = running.current
            saved[storage] = (size, module, running.last_done)
            by_dtype[str(tensor.dtype).removeprefix("torch.")] += size
        return tensor

    tracker = _CreationTracker(running)
    with preserved_modes(model), running:
        model.train()
        hooks = torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t)
        with hooks, tracker, CpuBatchNorm(), autocasting(precision):  # as the CPU saves them
            root = loss_of(loss, model(data), labels).grad_fn
    owners = {storage_id(p): "parameter" for p in model.parameters()}
    owners.update({storage_id(b): "buffer" for b in model.buffers()})
    keeps = _SavedReader(owners) if explain else None
    found = _walk(root, tracker.created, params, list(saved.values()), keeps)
    return replace(found, saved_by_dtype=dict(sorted(by_dtype.items())))


class _SavedReader:
    """What a node keeps for backward, read from its ``_saved_*`` attributes; a storage kept
    by an earlier node (in walk order) is marked shared, so no byte is counted twice."""

    def __init__(self, owners: dict[int, str]) -> None:
        self.owners = owners
        self.seen: set[int] = set()

    def __call__(self, node: Any) -> tuple[SavedRecord, ...]:
        found = []
        for name, value in saved_tensors(node):
            storage = storage_id(value)
            kind = self.owners.get(storage, "shared" if storage in self.seen else "activation")
            self.seen.add(storage)
            size = value.untyped_storage().nbytes()
            dtype = str(value.dtype).removeprefix("torch.")
            found.append(SavedRecord(name, tuple(value.shape), size, kind, dtype))
        return tuple(found)


def _walk(
    root: Any,
    created: dict[Any, tuple[int, str, str]],
    params: dict[int, str],
    saved: list[tuple[int, str, str]],
    keeps: _SavedReader | None = None,
) -> GraphCapture:
    """Each node once, from the loss through ``next_functions``; leaves named by parameter."""
    index: dict[Any, int] = {}
    nodes: list[GraphNodeRecord] = []
    edges: list[tuple[int, int]] = []
    pending = [(root, LOSS_SECTION, 0, "")]
    while pending:
        node, parent_module, parent_order, parent_after = pending.pop()
        if node in index:
            continue
        index[node] = len(nodes)
        kind = type(node).__name__
        param = ""
        shape: tuple[int, ...] = ()
        after = ""
        if kind == "AccumulateGrad":
            variable = node.variable
            param = params.get(id(variable), "")
            shape = tuple(variable.shape)
            module = param.rpartition(".")[0]
            order = parent_order
        elif node in created:
            order, module, after = created[node]
        else:  # made inside an op (fc's weight.t()): it belongs where its user does
            order, module, after = parent_order, parent_module, parent_after
        nodes.append(
            GraphNodeRecord(
                kind=kind,
                module=module,
                order=order,
                param=param,
                param_shape=shape,
                after=after,
                saved=keeps(node) if keeps is not None and kind != "AccumulateGrad" else (),
            )
        )
        for child, _ in reversed(node.next_functions):
            if child is not None:
                pending.append((child, module, order, after))
    for node, i in index.items():
        for child, _ in node.next_functions:
            if child is not None:
                edges.append((i, index[child]))
    return GraphCapture(nodes=tuple(nodes), edges=tuple(edges), saved=tuple(saved))
