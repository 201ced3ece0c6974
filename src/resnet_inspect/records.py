"""What a capture pass hands over: plain facts about calls and modules, no tensors."""

from __future__ import annotations

from dataclasses import dataclass

from resnet_inspect.report import ParamStat, Setting, Shape


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
    param_names: tuple[str, ...] = ()  # its own parameters, local names ("weight", "bias")


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

    @property
    def activation_bytes(self) -> int:
        """Outputs of the forward pass that allocate (in-place calls write into their input)."""
        return sum(call.output_bytes for call in self.calls if not call.in_place)


@dataclass(frozen=True)
class StepCapture:
    """One real forward, backward and optimizer step: what it computed and changed."""

    loss: float
    loss_kind: str
    loss_expression: str
    target: str
    params: dict[str, ParamStat]
    forward_s: float
    backward_s: float
    step_s: float
    optimizer: str
    optimizer_settings: tuple[Setting, ...]
    global_grad_norm: float
    buffers_total: int
    buffers_changed: tuple[str, ...]


@dataclass(frozen=True)
class GraphNodeRecord:
    """One autograd node: its type, the module whose forward made it, and for a leaf the
    parameter it accumulates into."""

    kind: str
    module: str
    order: int  # when it was created, for reading the nodes in forward order
    param: str = ""
    param_shape: Shape = ()


@dataclass(frozen=True)
class GraphCapture:
    nodes: tuple[GraphNodeRecord, ...]  # in walk order from the loss; index 0 is the loss
    edges: tuple[tuple[int, int], ...]  # (node, one of its next_functions)
    saved: tuple[tuple[int, str], ...]  # (bytes, module) of each tensor saved for backward
