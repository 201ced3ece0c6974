"""What a capture pass hands over: plain facts about calls and modules, no tensors."""

from __future__ import annotations

from dataclasses import dataclass

from resnet_inspect.report import Setting, Shape


@dataclass(frozen=True)
class CallRecord:
    """One call of a leaf module during the forward pass."""

    name: str
    call: int
    input_shape: Shape
    output_shape: Shape
    output_bytes: int
    in_place: bool
    flops: int


@dataclass(frozen=True)
class ModuleRecord:
    """A named module: its class, hyperparameters and the parameters it owns directly."""

    name: str
    kind: str
    settings: tuple[Setting, ...]
    params: int
    trainable_params: int


@dataclass(frozen=True)
class StructureCapture:
    """Everything one shape/FLOP pass learned about a model and an input."""

    calls: tuple[CallRecord, ...]
    modules: dict[str, ModuleRecord]
    dtype: str
    num_classes: int
    total_flops: int
    param_bytes: int
    buffer_bytes: int
    input_bytes: int
