"""Running a model once and recording facts about it: shapes, counts, FLOPs. Never tensors.

Every pass here removes its hooks and restores every submodule's train/eval mode, even
when the forward pass fails.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_leaves
from torch.utils.flop_counter import FlopCounterMode

from resnet_inspect.capture.instrument import (
    ModuleStack,
    function_row,
    model_dtype,
    preserved_modes,
    storage_id,
)
from resnet_inspect.capture.receptive import FieldTracker
from resnet_inspect.errors import InspectError
from resnet_inspect.records import (
    NO_SETTINGS,
    CallRecord,
    Layout,
    ModuleRecord,
    Setting,
    Settings,
    SettingValue,
    StructureCapture,
    within,
)

# The hyperparameters shown for each layer type, in the order a reader expects them.
_SETTINGS: dict[type[torch.nn.Module], tuple[str, ...]] = {
    torch.nn.Conv2d: (
        "in_channels",
        "out_channels",
        "kernel_size",
        "stride",
        "padding",
        "dilation",
        "groups",
        "bias",
    ),
    torch.nn.BatchNorm2d: ("num_features", "eps", "momentum", "affine", "track_running_stats"),
    torch.nn.ReLU: ("inplace",),
    torch.nn.MaxPool2d: ("kernel_size", "stride", "padding", "dilation", "ceil_mode"),
    torch.nn.AdaptiveAvgPool2d: ("output_size",),
    torch.nn.AvgPool2d: ("kernel_size", "stride", "padding"),
    torch.nn.BatchNorm1d: ("num_features", "eps", "momentum", "affine", "track_running_stats"),
    torch.nn.Linear: ("in_features", "out_features", "bias"),
    torch.nn.Dropout: ("p", "inplace"),
    torch.nn.Flatten: ("start_dim", "end_dim"),
}


def module_settings(module: torch.nn.Module) -> Settings:
    names = next((names for cls, names in _SETTINGS.items() if isinstance(module, cls)), ())
    return Settings(Setting(name, _setting_value(module, name)) for name in names)


def _setting_value(module: torch.nn.Module, name: str) -> SettingValue:
    value = getattr(module, name)
    if name == "bias":
        return value is not None
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, bool | int | float | str | tuple) or value is None:
        return value
    return str(value)


def module_records(model: torch.nn.Module) -> dict[str, ModuleRecord]:
    records = {}
    for name, module in model.named_modules():
        if not name:
            continue
        own = list(module.parameters(recurse=False))
        records[name] = ModuleRecord(
            param_names=tuple(local for local, _ in module.named_parameters(recurse=False)),
            name=name,
            kind=type(module).__name__,
            settings=module_settings(module),
            params=sum(p.numel() for p in own),
            trainable_params=sum(p.numel() for p in own if p.requires_grad),
        )
    return records


def _tensors(value: Any) -> list[torch.Tensor]:
    return [item for item in tree_leaves(value) if isinstance(item, torch.Tensor)]


# Functions named by what they do in a row: ``out += identity`` is the residual add.
_ADDS = {"__iadd__": "add_", "add_": "add_", "__add__": "add", "add": "add", "__radd__": "add"}


def _function_settings(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Settings:
    """The plain arguments worth showing: flatten's start_dim, a view's or a pool's sizes."""
    if name == "flatten":
        start = int(args[1]) if len(args) > 1 else kwargs.get("start_dim", 0)
        return Settings((Setting("start_dim", start),))
    plain = tuple(a for a in args[1:] if isinstance(a, int) and not isinstance(a, bool))
    return Settings((Setting("args", plain),)) if plain else NO_SETTINGS


class _FunctionRecorder(TorchFunctionMode):
    """Records each function that a module's own ``forward()`` runs outside its submodules.

    Calls inside a leaf module (a Conv2d's conv2d) are its own business and pass through;
    so do functions that return no tensor (``x.size(0)``) or hand back their input
    unchanged (``x.contiguous()``). Torch function modes are thread-local.
    """

    def __init__(self, modules: ModuleStack, record: Callable[..., None]) -> None:
        super().__init__()
        self.modules = modules
        self.record = record

    def __torch_function__(
        self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: Any = None
    ) -> Any:
        kwargs = kwargs or {}
        if func is torch.nn.functional.batch_norm:
            # On the meta device batch_norm runs a Python reference kernel (about 2 ms a
            # call, 90% of a resnet152 pass). Its output has its input's shape and no FLOPs
            # to count, so a tensor of that shape stands in. Only the function is replaced:
            # a BatchNorm subclass still does the rest of its own work (an activation).
            return torch.empty_like(args[0] if args else kwargs["input"])
        out = func(*args, **kwargs)
        if not self.modules.in_own_code() or not isinstance(out, torch.Tensor):
            return out
        name = getattr(func, "__name__", "")
        inputs = _tensors((args, kwargs))
        if not inputs or name.startswith("__get") or name.startswith("__set"):
            return out
        in_place = (name.endswith("_") and not name.endswith("__")) or name == "__iadd__"
        if any(out is tensor for tensor in inputs) and not in_place:
            return out  # a no-op such as x.contiguous() or x.float() on a float tensor
        self.record(name, args, kwargs, inputs, out)
        return out


def capture_structure(model: torch.nn.Module, input_shape: tuple[int, ...]) -> StructureCapture:
    """One forward pass in eval mode that records every call, then finds the residual stages.

    Hooks on every module keep a stack of where the pass is; a leaf module's call is a row,
    and so is each function a module's own forward runs (the residual add, ``F.relu``,
    ``torch.flatten``). Meant for a model on the meta device, where it allocates nothing;
    FLOPs are those of ``torch.utils.flop_counter`` (one multiply-add counts 2).
    """
    parameter = next(model.parameters())
    example = torch.empty(input_shape, dtype=model_dtype(model), device=parameter.device)
    counter = FlopCounterMode(display=False)
    fields = FieldTracker(example)
    calls: list[CallRecord | None] = []  # a row module's place is kept from its start
    places: dict[str, list[int]] = defaultdict(list)
    call_counts: Counter[str] = Counter()
    flops_before: dict[str, int] = {}
    input_shapes: dict[str, tuple[int, ...]] = {}
    input_storages: dict[str, set[int]] = {}
    output_shape: list[tuple[int, ...]] = []

    open_rows: list[tuple[str, int]] = []  # row modules running: name, nested rows' FLOPs

    def entered(name: str, module: torch.nn.Module, inputs: tuple[Any, ...]) -> None:
        if name in running.rows:
            # An in-place ReLU overwrites its input, so the shape is read now, not later.
            tensors = _tensors(inputs)
            input_shapes[name] = tuple(tensors[0].shape) if tensors else ()
            input_storages[name] = {storage_id(t) for t in tensors}
            flops_before[name] = counter.get_total_flops()
            open_rows.append((name, 0))
            places[name].append(len(calls))  # a row takes its place in the order it started
            calls.append(None)

    def left(name: str, module: torch.nn.Module, inputs: tuple[Any, ...], output: Any) -> None:
        if not name:
            output_shape.extend(tuple(t.shape) for t in _tensors(output)[:1])
        if name not in running.rows:
            return
        out = _tensors(output)[0]
        _, nested = open_rows.pop()
        spent = counter.get_total_flops() - flops_before[name]
        if open_rows:  # a row inside another row: its FLOPs are its own, not the outer's
            outer, counted = open_rows[-1]
            open_rows[-1] = (outer, counted + spent)
        call_counts[name] += 1
        calls[places[name].pop()] = CallRecord(
            name=name,
            call=call_counts[name],
            input_shape=input_shapes[name],
            output_shape=tuple(out.shape),
            output_bytes=out.numel() * out.element_size(),
            allocates=storage_id(out) not in input_storages[name],
            flops=spent - nested,
            field=fields.field(out),
            output_dtype=dtype_name(out),
        )

    def record_function(
        function: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        inputs: list[torch.Tensor],
        out: torch.Tensor,
    ) -> None:
        owner = running.current
        residual = function in _ADDS and len(inputs) == 2 and inputs[0].shape == inputs[1].shape
        kind = _ADDS.get(function, function)
        name = function_row(owner, "add" if residual else kind)
        call_counts[name] += 1
        storages = {storage_id(t) for t in inputs}
        calls.append(
            CallRecord(
                name=name,
                call=call_counts[name],
                input_shape=tuple(inputs[0].shape),
                output_shape=tuple(out.shape),
                output_bytes=out.numel() * out.element_size(),
                allocates=storage_id(out) not in storages,
                flops=0,  # the functions a forward runs itself here add, pool and reshape
                module_call=False,
                owner=owner,
                after=running.last_done,  # where a wrapper's own code ran (Layout)
                kind=kind,
                settings=_function_settings(function, args, kwargs),
                residual=residual,
                field=fields.field(out),
                output_dtype=dtype_name(out),
            )
        )

    running = ModuleStack(model, on_enter=entered, on_leave=left)
    with running, preserved_modes(model):
        model.eval()
        try:
            # The field tracker last, on top: it sees each operation before FlopCounterMode
            # decomposes the ones it has no formula for.
            recorder = _FunctionRecorder(running, record_function)
            with counter, torch.no_grad(), recorder, fields:
                model(example)
        except Exception as error:
            where = running.current or "the model's own forward"
            first = (str(error).strip().splitlines() or [""])[0]
            raise InspectError(
                f"the forward pass failed in {where} ({type(error).__name__}: {first})"
            ) from error

    ran = [call for call in calls if call is not None]  # every place is filled once it ends
    modules = module_records(model)
    convs = {n for n, m in model.named_modules() if isinstance(m, torch.nn.modules.conv._ConvNd)}
    layout = discover_layout(ran, modules, convs)
    return StructureCapture(
        calls=tuple(ran),
        modules=modules,
        layout=layout,
        dtype=str(parameter.dtype).removeprefix("torch."),
        num_classes=output_shape[0][-1] if output_shape and len(output_shape[0]) == 2 else 0,
        total_flops=counter.get_total_flops(),
        param_bytes=sum(p.numel() * p.element_size() for p in model.parameters()),
        buffer_bytes=sum(b.numel() * b.element_size() for b in model.buffers()),
        input_bytes=example.numel() * example.element_size(),
    )


class NotResNetError(InspectError):
    """The model holds no residual stages: nothing for a ResNet inspection to show."""

    exit_code = 2


SHORTCUT_NAMES = ("downsample", "shortcut", "skip")


def discover_layout(
    calls: list[CallRecord], modules: dict[str, ModuleRecord], convs: set[str]
) -> Layout:
    """Stages, blocks, stem and head, from what ran (see ``records.Layout``).

    ``convs``: the modules that are convolutions. A block must hold one: a residual add in a
    transformer's block or a gate is no ResNet's. Blocks nested in blocks are part of them.
    """
    adders = {
        call.owner
        for call in calls
        if call.residual and call.owner and any(within(conv, call.owner) for conv in convs)
    }
    blocks = {b for b in adders if not any(b != a and within(b, a) for a in adders)}
    first_ran: dict[str, int] = {}  # each module's first call, every ancestor included
    for index, call in enumerate(calls):
        parts = call.module.split(".")
        for depth in range(1, len(parts) + 1):
            first_ran.setdefault(".".join(parts[:depth]), index)
    candidates = {block.rpartition(".")[0] for block in blocks if "." in block}
    stages = tuple(
        sorted(
            (stage for stage in candidates if _children_that_ran(stage, first_ran) <= blocks),
            key=first_ran.__getitem__,
        )
    )
    if not stages:
        raise NotResNetError(
            "no stage of residual blocks found: looked for a module whose children that ran "
            "each add a shortcut to a branch with a convolution (out += identity), as a "
            "ResNet's stages do; this model has no such container. Is it a ResNet?"
        )
    staged = {b: s for s in stages for b in _children_that_ran(s, first_ran)}
    ordered = sorted(staged, key=first_ran.__getitem__)
    in_stages = [i for i, call in enumerate(calls) if any(within(call.module, s) for s in stages)]
    first, last = in_stages[0], in_stages[-1]
    rows = [call for call in calls if call.module_call]
    stem = tuple(dict.fromkeys(c.name for i, c in enumerate(calls) if c.module_call and i < first))
    head = tuple(dict.fromkeys(c.name for i, c in enumerate(calls) if c.module_call and i > last))
    classifiers = [
        call.name for call in rows if call.name in head and _is_classifier(modules[call.name])
    ]
    return Layout(
        stages=stages,
        blocks={stage: tuple(b for b in ordered if staged[b] == stage) for stage in stages},
        shortcuts={
            block: next((f"{block}.{n}" for n in SHORTCUT_NAMES if f"{block}.{n}" in modules), "")
            for block in ordered
        },
        stem=stem,
        head=head,
        head_linear=classifiers[-1] if classifiers else "",
    )


def _children_that_ran(stage: str, first_ran: dict[str, int]) -> set[str]:
    depth = stage.count(".") + 1
    return {name for name in first_ran if name.startswith(f"{stage}.") and name.count(".") == depth}


def _is_classifier(module: ModuleRecord) -> bool:
    """A Linear, or a 1×1 convolution used as one (BiT's head)."""
    if module.kind == "Linear":
        return True
    kernel = next((s.value for s in module.settings if s.name == "kernel_size"), None)
    return "Conv" in module.kind and kernel in ((1, 1), 1)


def dtype_name(tensor: torch.Tensor) -> str:
    """``float32``, ``bfloat16``: torch's dtype without its module."""
    return str(tensor.dtype).removeprefix("torch.")
