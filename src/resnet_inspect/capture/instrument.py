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

from resnet_inspect.errors import InspectError

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
            if _recomputing():
                return
            self.names.append(name)
            if self._on_enter is not None:
                self._on_enter(name, module, inputs)

        return hook

    def _left(self, name: str) -> Callable[..., None]:
        def hook(module: torch.nn.Module, inputs: tuple[Any, ...], output: Any) -> None:
            if _recomputing():
                return
            if self._on_leave is not None:
                self._on_leave(name, module, inputs, output)
            self.names.pop()
            if name:
                self.last_done = name

        return hook


def _recomputing() -> bool:
    """A forward that runs while an autograd node runs is activation checkpointing's
    recomputation in backward (``capture.recompute``): not a call of the step, not seen."""
    return torch._C._current_autograd_node() is not None


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


_SAVED_ATTRIBUTES: dict[type, tuple[str, ...]] = {}


def saved_tensors(node: Any) -> Iterator[tuple[str, torch.Tensor]]:
    """What an autograd node keeps for backward: each ``_saved_*`` attribute that holds a
    tensor, by its name (``input``, ``result1``), in name order. The names are read once per
    node type: dir() on every node took 0.16 s of a resnet50 plan."""
    kind = type(node)
    if kind not in _SAVED_ATTRIBUTES:
        _SAVED_ATTRIBUTES[kind] = tuple(n for n in dir(kind) if n.startswith("_saved_"))
    for attribute in _SAVED_ATTRIBUTES[kind]:
        value = getattr(node, attribute, None)
        if isinstance(value, torch.Tensor):
            yield attribute.removeprefix("_saved_"), value


def storage_id(tensor: torch.Tensor) -> int:
    """Identity of a tensor's storage; on the meta device too, where every data_ptr is 0."""
    return int(tensor.untyped_storage()._cdata)


def resident_storages(model: torch.nn.Module) -> set[int]:
    """The storages a model holds whether or not a step runs: its parameters and buffers.
    What autograd saves of them (a weight, BatchNorm's running statistics) costs nothing
    more, so "saved bytes" means, in graph and plan alike, the saved storages not among these."""
    return {storage_id(t) for t in (*model.parameters(), *model.buffers())}


def model_dtype(model: torch.nn.Module) -> torch.dtype:
    """The dtype a model computes in, the one rule every command feeds it by: that of its
    first floating-point parameter (a ``.half()`` model gets half-precision input, whose
    activations then take half the bytes); float32 for a model without one."""
    for tensor in (*model.parameters(), *model.buffers()):
        if tensor.is_floating_point():
            return tensor.dtype
    return torch.float32


# Where nn.Module keeps the hooks a user registers on it (register_forward_hook, ...).
_HOOK_TABLES = ("_forward_pre_hooks", "_forward_hooks", "_backward_pre_hooks", "_backward_hooks")
_HOOK_FLAGS = ("_forward_pre_hooks_with_kwargs", "_forward_hooks_with_kwargs")


def without_user_hooks(model: torch.nn.Module) -> torch.nn.Module:
    """The model with none of the hooks its author registered: the tool's meta copies run
    no user code beyond ``forward`` (a hook that copies features out would fail on meta
    tensors, and any hook would run once per pass). Hooks torch itself registers (a lazy
    module's shape inference, weight_norm's recomputation) are part of the model and stay.
    The original model is never touched."""
    for module in model.modules():
        for table in _HOOK_TABLES:
            hooks = getattr(module, table)
            for key in [key for key, hook in hooks.items() if not _from_torch(hook)]:
                del hooks[key]
                for flags in (*_HOOK_FLAGS, "_forward_hooks_always_called"):
                    getattr(module, flags).pop(key, None)
    return model


def _from_torch(hook: Any) -> bool:
    """Whether torch registered this hook: a function of torch's, or one of its objects."""
    where = getattr(hook, "__module__", None) or type(hook).__module__
    return where == "torch" or where.startswith("torch.")


def attributed_user_hooks(model: torch.nn.Module) -> torch.nn.Module:
    """The model whose own hooks, if one fails in a real step, say it was the user's hook
    (which one, on which module) instead of a bare error from somewhere in the step."""
    for name, module in model.named_modules():
        for table in _HOOK_TABLES:
            hooks = getattr(module, table)
            for key, hook in list(hooks.items()):
                if not _from_torch(hook):
                    hooks[key] = _attributed(hook, name or "the model", table.strip("_"))
    return model


def _attributed(hook: Callable[..., Any], where: str, kind: str) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return hook(*args, **kwargs)
        except Exception as error:
            name = getattr(hook, "__qualname__", type(hook).__name__)
            raise InspectError(
                f"your own hook failed: {name} ({kind.replace('_', ' ').removesuffix('s')} on "
                f"{where}): {type(error).__name__}: {error}"
            ) from error

    return run
