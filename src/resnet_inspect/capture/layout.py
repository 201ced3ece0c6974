"""Which calls of a real forward keep ``torch.channels_last`` (``--channels-last``).

Read off the strides of real CPU outputs: the meta device's convolution does not carry the
layout (it returns the default strides whatever its input's), so only a real forward can
say. Every leaf module's call is watched as it ends, and every function a module's own
forward runs (``x.reshape``, ``x * gate``, ``F.relu``) by a torch function mode; calls are
named as the structure pass names them (``layer2.1.reshape``). In-place results
(``out += identity``) and broadcast views (an SE gate's ``expand_as``, whose strides are
0) make no map of their own and are passed over.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_leaves

from resnet_inspect.capture.instrument import ModuleStack, function_row
from resnet_inspect.records import ChannelsLastSummary, FormatChange


def memory_format(tensor: torch.Tensor) -> str:
    """``channels_last`` for a 4-d tensor laid out so (a map of one pixel is both layouts:
    channels_last is said), ``contiguous`` for the default layout, ``other`` for neither."""
    if tensor.is_contiguous(memory_format=torch.channels_last):
        return "channels_last"
    return "contiguous" if tensor.is_contiguous() else "other"


class LayoutWatch:
    """Counts, over one forward, the calls with a 4-d output and those in channels_last, and
    names the calls whose 4-d output left channels_last, in call order, after one in it
    (through any 3-d detour between them: ``x.reshape(b, c, h * w)`` and back)."""

    def __init__(self, model: torch.nn.Module) -> None:
        self.rows = self.kept = 0
        self.changes: list[FormatChange] = []
        self.last = "channels_last"  # the input's
        leaves = {name for name, m in model.named_modules() if name and not list(m.children())}

        def left(name: str, module: torch.nn.Module, inputs: Any, output: Any) -> None:
            if name in leaves:
                self.saw(name, output)

        self.modules = ModuleStack(model, on_leave=left)

    def saw(self, name: str, output: Any) -> None:
        if not isinstance(output, torch.Tensor) or output.dim() != 4:
            return
        if 0 in output.stride():  # a broadcast view (an SE gate's expand_as): no map of its own
            return
        found = memory_format(output)
        self.rows += 1
        self.kept += found == "channels_last"
        if self.last == "channels_last" and found != "channels_last":
            size = output.untyped_storage().nbytes()
            self.changes.append(FormatChange(name, found, size))
        self.last = found

    def functions(self) -> _OwnCalls:
        return _OwnCalls(self)

    def summary(self) -> ChannelsLastSummary:
        return ChannelsLastSummary(rows=self.rows, kept=self.kept, changes=tuple(self.changes))

    def reset(self) -> None:
        self.rows = self.kept = 0
        self.changes.clear()
        self.last = "channels_last"


class _OwnCalls(TorchFunctionMode):
    """The functions a module's own forward runs, with the layout in and out."""

    def __init__(self, watch: LayoutWatch) -> None:
        super().__init__()
        self.watch = watch

    def __torch_function__(
        self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: Any = None
    ) -> Any:
        modules = self.watch.modules
        own = modules.in_own_code()
        out = func(*args, **(kwargs or {}))
        name = getattr(func, "__name__", "")
        named = own and name and not name.startswith("__get")
        if named and isinstance(out, torch.Tensor) and not _in_place(out, (args, kwargs)):
            self.watch.saw(function_row(modules.current, name), out)
        return out


def _in_place(out: torch.Tensor, inputs: Any) -> bool:
    """The result is one of the inputs (``out += identity``): no new map."""
    return any(out is tensor for tensor in tree_leaves(inputs))
