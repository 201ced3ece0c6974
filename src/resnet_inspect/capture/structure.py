"""Running a model once and recording facts about it: shapes, counts, FLOPs. Never tensors.

Every pass here removes its hooks and restores every submodule's train/eval mode, even
when the forward pass fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode

from resnet_inspect.records import CallRecord, ModuleRecord, StructureCapture
from resnet_inspect.report import Setting, SettingValue

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
    torch.nn.Linear: ("in_features", "out_features", "bias"),
}


@contextmanager
def preserved_modes(model: torch.nn.Module) -> Iterator[None]:
    """Restore each submodule's own train/eval flag afterwards, not just the root's."""
    modes = [(module, module.training) for module in model.modules()]
    try:
        yield
    finally:
        for module, training in modes:
            module.training = training


def module_settings(module: torch.nn.Module) -> tuple[Setting, ...]:
    names = next((names for cls, names in _SETTINGS.items() if isinstance(module, cls)), ())
    return tuple(Setting(name, _setting_value(module, name)) for name in names)


def _setting_value(module: torch.nn.Module, name: str) -> SettingValue:
    value = getattr(module, name)
    if name == "bias":
        return value is not None
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, bool | int | float | str | tuple) or value is None:
        return value
    return str(value)


@contextmanager
def batchnorm_as_shape_only(model: torch.nn.Module) -> Iterator[None]:
    """Let every BatchNorm return an empty tensor of its input's shape, for a shape pass.

    On the meta device BatchNorm runs a Python reference kernel that costs about 2 ms a
    call: 90% of a resnet152 pass. Its output has its input's shape and FlopCounterMode
    counts it as 0 FLOPs, so nothing the pass records changes (the tests compare shapes
    and FLOPs with a real CPU forward). Hooks still fire: only ``forward`` is stood in for.
    """
    patched = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    try:
        for module in patched:
            module.forward = torch.empty_like  # type: ignore[method-assign]
        yield
    finally:
        for module in patched:
            del module.forward


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


def _leaf_modules(model: torch.nn.Module) -> list[tuple[str, torch.nn.Module]]:
    return [(n, m) for n, m in model.named_modules() if n and next(m.children(), None) is None]


def _first_tensor(value: Any) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, tuple | list):
        for item in value:
            if isinstance(item, torch.Tensor):
                return item
    raise TypeError(f"no tensor in {type(value).__name__}")


def capture_structure(model: torch.nn.Module, input_shape: tuple[int, ...]) -> StructureCapture:
    """One forward pass in eval mode with shape hooks on every leaf, under FlopCounterMode.

    Meant for a model on the meta device, where it allocates nothing; FLOPs are those of
    ``torch.utils.flop_counter`` (one multiply-add counts 2).
    """
    parameter = next(model.parameters())
    example = torch.empty(input_shape, dtype=parameter.dtype, device=parameter.device)
    counter = FlopCounterMode(display=False)
    calls: list[CallRecord] = []
    call_counts: dict[str, int] = {}
    flops_before: dict[str, int] = {}
    input_shapes: dict[str, tuple[int, ...]] = {}

    def before(name: str) -> Any:
        def hook(module: torch.nn.Module, inputs: tuple[Any, ...]) -> None:
            # An in-place ReLU overwrites its input, so the shape is read now, not later.
            input_shapes[name] = tuple(_first_tensor(inputs).shape)
            flops_before[name] = counter.get_total_flops()

        return hook

    def after(name: str) -> Any:
        def hook(module: torch.nn.Module, inputs: tuple[Any, ...], output: Any) -> None:
            out = _first_tensor(output)
            call_counts[name] = call_counts.get(name, 0) + 1
            calls.append(
                CallRecord(
                    name=name,
                    call=call_counts[name],
                    input_shape=input_shapes[name],
                    output_shape=tuple(out.shape),
                    output_bytes=out.numel() * out.element_size(),
                    in_place=bool(getattr(module, "inplace", False)),
                    flops=counter.get_total_flops() - flops_before[name],
                )
            )

        return hook

    with ExitStack() as hooks, preserved_modes(model), batchnorm_as_shape_only(model):
        for name, module in _leaf_modules(model):
            hooks.callback(module.register_forward_pre_hook(before(name)).remove)
            hooks.callback(module.register_forward_hook(after(name)).remove)
        model.eval()
        with counter, torch.no_grad():
            model(example)

    fc = model.get_submodule("fc")
    return StructureCapture(
        calls=tuple(calls),
        modules=module_records(model),
        dtype=str(parameter.dtype).removeprefix("torch."),
        num_classes=int(fc.out_features) if isinstance(fc, torch.nn.Linear) else 0,
        total_flops=counter.get_total_flops(),
        param_bytes=sum(p.numel() * p.element_size() for p in model.parameters()),
        buffer_bytes=sum(b.numel() * b.element_size() for b in model.buffers()),
        input_bytes=example.numel() * example.element_size(),
    )
