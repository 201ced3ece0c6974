"""Where a simulated step is at each operation, and what each layer keeps for backward.

The plan's pass at the chosen depth is watched a little more closely than the others: a
``Locator`` says, after every operation, whether it ran in a layer's forward, in the
backward node a layer's forward made, or in ``optimizer.step()``; and it attributes every
tensor autograd saves to the layer whose forward saved it, named as autograd names it
(``ConvolutionBackward0.input``). Nothing here changes what runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch.utils._pytree import tree_leaves

from resnet_inspect.anatomy import LOSS_SECTION
from resnet_inspect.capture.instrument import ModuleStack, saved_tensors, storage_id
from resnet_inspect.records import KeptRecord, LocatedPass

FORWARD, BACKWARD, STEP = "forward", "backward", "step"


class Locator:
    """Follows one step of ``model``: use ``forward()`` around the forward and loss,
    ``saved()`` from the pass's pack hook, ``read_graph()`` once the loss exists, and set
    ``stepping`` before ``optimizer.step()``. Call it for the moment of the latest operation."""

    def __init__(self, model: torch.nn.Module) -> None:
        self.running = ModuleStack(model, outside=LOSS_SECTION, on_leave=self._left)
        self.made: dict[Any, str] = {}  # backward node -> the module whose forward made it
        self.params = {id(p): name for name, p in model.named_parameters()}
        self.trainable = tuple(
            (name, p.numel() * p.element_size())
            for name, p in model.named_parameters()
            if p.requires_grad
        )
        self.stepping = False
        self.moments: list[tuple[str, str]] = []
        # Each saved storage once, in the order the forward saved them.
        self._kept: dict[int, tuple[str, str, torch.Size, torch.dtype, int]] = {}
        self._names: dict[int, str] = {}  # storage -> "ConvolutionBackward0.input"

    @contextmanager
    def forward(self) -> Iterator[None]:
        with self.running:
            yield

    def _left(self, name: str, module: torch.nn.Module, inputs: Any, output: Any) -> None:
        """As a module's forward ends, the backward nodes its output hangs on that no
        module inside it made are its own (a block's residual add)."""
        for item in tree_leaves(output):
            if isinstance(item, torch.Tensor):
                self._claim(item.grad_fn, name)

    def _claim(self, root: Any, module: str) -> None:
        pending = [root]
        while pending:
            node = pending.pop()
            if node is None or node in self.made or type(node).__name__ == "AccumulateGrad":
                continue
            self.made[node] = module
            pending.extend(child for child, _ in node.next_functions)

    def saved(self, key: int, tensor: torch.Tensor) -> None:
        """A storage autograd keeps, first seen now: the running module keeps it (for the
        model's own code, the layer that finished last says where in the model it ran)."""
        module = self.running.current
        after = self.running.last_done
        size = tensor.untyped_storage().nbytes()
        self._kept[key] = (module, after, tensor.shape, tensor.dtype, size)

    def read_graph(self, root: Any) -> None:
        """Name each kept storage by the first node (from the loss) that keeps it; what no
        module made is the loss's."""
        self._claim(root, LOSS_SECTION)
        seen: set[Any] = set()
        pending = [root]
        while pending:
            node = pending.pop()
            if node is None or node in seen:
                continue
            seen.add(node)
            kind = type(node).__name__
            if kind != "AccumulateGrad":
                for attribute, value in saved_tensors(node):
                    self._names.setdefault(storage_id(value), f"{kind}.{attribute}")
            pending.extend(child for child, _ in node.next_functions)

    def __call__(self) -> None:
        """Record where the operation that just ran belongs."""
        self.moments.append(self._now())

    def _now(self) -> tuple[str, str]:
        if self.stepping:
            return STEP, ""
        node = torch._C._current_autograd_node()
        if node is None:  # "" for the model's own code, "loss" after the forward
            return FORWARD, self.running.current
        if type(node).__name__ == "AccumulateGrad":
            param = self.params.get(id(getattr(node, "variable", None)), "")
            return BACKWARD, param.rpartition(".")[0]
        return BACKWARD, self.made.get(node, "")

    def result(self) -> LocatedPass:
        kept = tuple(
            KeptRecord(
                module=module,
                after=after,
                name=self._names.get(key, ""),
                shape=tuple(shape),
                dtype=str(dtype).removeprefix("torch."),
                bytes=size,
            )
            for key, (module, after, shape, dtype, size) in self._kept.items()
        )
        return LocatedPass(kept=kept, moments=tuple(self.moments), trainable=self.trainable)
