"""The instrumentation every pass that runs a model shares, so that the structure, the step,
the graph and the plan name the same call the same way.

- ``ModuleStack``: which module is running (hooks on every module), which top-level child
  finished last (it places the model's own code in the stem or the head), and the order the
  top-level children first ran in. Hooks are removed on the way out, whatever happened.
- ``function_row``: the row name of a function a module's own forward runs (``F.relu``, the
  residual add): ``<owner>.<label>``.
- ``preserved_modes``: every submodule's train/eval flag restored, not just the root's.
- ``storage_id``: a tensor's storage identity, on the meta device too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch

# Called as a module's forward starts (name, module, inputs) and ends (…, output); a return
# value is ignored (a forward hook's would replace the output).
Enter = Callable[[str, torch.nn.Module, tuple[Any, ...]], None]
Leave = Callable[[str, torch.nn.Module, tuple[Any, ...], Any], None]


class ModuleStack:
    """Where a forward pass is: the names of the modules whose forward is running.

    ``outside`` is what ``current`` reads while no module runs (the model's caller: the loss,
    in the graph pass). Use as a context manager around the forward; hooks are removed on
    exit. ``on_enter``/``on_leave`` run inside the hooks, after the stack is updated on
    entry and before it is on exit."""

    def __init__(
        self,
        model: torch.nn.Module,
        *,
        outside: str = "",
        on_enter: Enter | None = None,
        on_leave: Leave | None = None,
    ) -> None:
        self.model = model
        self.names: list[str] = [outside] if outside else []
        self.leaves = leaf_names(model)
        self.top_order: list[str] = []  # top-level children, in the order they first ran
        self.last_top = ""  # the top-level child that finished last
        self._on_enter = on_enter
        self._on_leave = on_leave
        self._handles: list[Any] = []

    @property
    def current(self) -> str:
        """The module running now ("" for the root model's own code)."""
        return self.names[-1] if self.names else ""

    @property
    def running(self) -> bool:
        return bool(self.names)

    def in_own_code(self) -> bool:
        """A module's own forward is running (not a leaf's internals, not the caller)."""
        return bool(self.names) and self.names[-1] not in self.leaves

    def __enter__(self) -> ModuleStack:
        try:
            for name, module in self.model.named_modules():
                self._handles.append(module.register_forward_pre_hook(self._entered(name)))
                self._handles.append(module.register_forward_hook(self._left(name)))
        except BaseException:
            self._remove()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._remove()

    def _remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def _entered(self, name: str) -> Callable[..., None]:
        def hook(module: torch.nn.Module, inputs: tuple[Any, ...]) -> None:
            self.names.append(name)
            if name and "." not in name and name not in self.top_order:
                self.top_order.append(name)
            if self._on_enter is not None:
                self._on_enter(name, module, inputs)

        return hook

    def _left(self, name: str) -> Callable[..., None]:
        def hook(module: torch.nn.Module, inputs: tuple[Any, ...], output: Any) -> None:
            if self._on_leave is not None:
                self._on_leave(name, module, inputs, output)
            self.names.pop()
            if name and "." not in name:
                self.last_top = name

        return hook


def leaf_names(model: torch.nn.Module) -> set[str]:
    """Modules without children: their calls are rows, and what runs inside them is theirs."""
    return {n for n, m in model.named_modules() if n and next(m.children(), None) is None}


def function_row(owner: str, label: str) -> str:
    """The row of a function that ``owner``'s own forward runs: ``layer1.0.add``,
    ``layer1.0.relu``; at the model's top level, the label alone."""
    return f"{owner}.{label}" if owner else label


@contextmanager
def preserved_modes(model: torch.nn.Module) -> Iterator[None]:
    """Restore each submodule's own train/eval flag afterwards, not just the root's."""
    modes = [(module, module.training) for module in model.modules()]
    try:
        yield
    finally:
        for module, training in modes:
            module.training = training


def storage_id(tensor: torch.Tensor) -> int:
    """Identity of a tensor's storage; on the meta device too, where every data_ptr is 0."""
    return int(tensor.untyped_storage()._cdata)
