"""The instrumentation every pass that runs a model shares, so that the structure, the step,
the graph and the plan name the same call the same way.

- ``ModuleStack``: which module is running (hooks on every module), which row modules are
  (``row_modules``) and which module finished last (it places the model's own code in the
  stem or the head). Hooks are removed on the way out, whatever happened.
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
        self.rows = row_modules(model)
        self.last_done = ""  # the module that finished last, at any depth
        self._on_enter = on_enter
        self._on_leave = on_leave
        self._handles: list[Any] = []

    @property
    def current(self) -> str:
        """The module running now ("" for the root model's own code)."""
        return self.names[-1] if self.names else ""

    def in_own_code(self) -> bool:
        """A module's own forward is running, outside every row module (whose internals are
        its own business: a conv's conv2d, a BatchNormAct2d's batch_norm), not the caller."""
        return bool(self.names) and not any(name in self.rows for name in self.names)

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
            if self._on_enter is not None:
                self._on_enter(name, module, inputs)

        return hook

    def _left(self, name: str) -> Callable[..., None]:
        def hook(module: torch.nn.Module, inputs: tuple[Any, ...], output: Any) -> None:
            if self._on_leave is not None:
                self._on_leave(name, module, inputs, output)
            self.names.pop()
            if name:
                self.last_done = name

        return hook


def row_modules(model: torch.nn.Module) -> set[str]:
    """The modules whose calls are rows: those without children, and those with parameters
    of their own (timm's BatchNormAct2d is a BatchNorm with an activation inside), so that
    every parameter belongs to exactly one row. What runs inside a row module is its own
    business; a row module inside another is a row of its own too."""
    return {
        name
        for name, module in model.named_modules()
        if name
        and (
            next(module.children(), None) is None
            or next(module.parameters(False), None) is not None
        )
    }


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
