"""What ``diff`` reports: two checkpoints of one architecture compared tensor by tensor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from resnet_inspect.anatomy import Role
from resnet_inspect.records.facts import NO_SETTINGS, ModelInfo, Settings, Shape, TensorDiff
from resnet_inspect.report.subject import Level, Report


@dataclass(frozen=True)
class DiffNode:
    """A section, block or layer of the model with its tensors' changes taken together."""

    name: str
    level: Level
    role: Role
    kind: str
    tensors: int  # parameters and buffers compared here
    identical: int
    delta_norm: float  # over the parameters: sqrt of the sum of ‖B − A‖²
    base_norm: float
    relative: float | None  # delta_norm / base_norm
    max_abs: float | None  # the largest |B − A| of its parameters
    buffers_changed: int
    missing: int = 0  # tensors on one side only: neither identical nor changed
    children: tuple[DiffNode, ...] = ()
    diffs: tuple[TensorDiff, ...] = ()  # a layer's own tensors


@dataclass(frozen=True)
class DiffVerdict:
    """The questions after a fine-tune, answered: did the backbone stay put, did BatchNorm
    drift, was the head replaced or trained, did the dtype change."""

    common_tensors: int
    only_a: int
    only_b: int
    reshaped: int
    backbone_tensors: int  # parameters outside the head
    backbone_identical: int
    stages_moved: tuple[str, ...]  # sections with a changed parameter
    batchnorm_layers: int
    batchnorm_drifted: tuple[str, ...]  # layers whose running statistics changed
    batchnorm_max_relative: float | None  # largest ‖B − A‖/‖A‖ of a running_mean/var
    batches_tracked_delta: int | None  # num_batches_tracked B − A: train-mode forwards seen
    head: str  # the head's Linear (fc, fc.1, linear)
    # replaced, trained, dtype only, unchanged, only in A, only in B, missing (from both)
    head_state: str
    head_shape_a: Shape
    head_shape_b: Shape
    dtypes_a: tuple[str, ...]
    dtypes_b: tuple[str, ...]
    backbone_recast: int = 0  # of backbone_tensors: the same values in another dtype
    backbone_missing: int = 0  # of backbone_tensors: on one side only
    batchnorm_missing: tuple[str, ...] = ()  # layers whose statistics one side lacks
    recast_max_abs: float | None = None  # the largest rounding difference of a recast tensor
    a_fits: bool = True  # A's keys and shapes are the model's
    b_fits: bool = True

    DERIVED: ClassVar[tuple[str, ...]] = ("backbone_unchanged",)  # also in the JSON

    @property
    def backbone_unchanged(self) -> bool:
        return self.backbone_identical == self.backbone_tensors


@dataclass(frozen=True, repr=False)
class DiffReport(Report):
    """What ``diff`` found between two checkpoints of one architecture."""

    command: str
    arch: str
    input_shape: Shape  # of the structure pass that gives the tree
    num_classes: int
    model: ModelInfo
    a: str
    b: str
    sections: tuple[DiffNode, ...]
    tensors: tuple[TensorDiff, ...]  # every key of either side, in model order
    verdict: DiffVerdict
    options: Settings = NO_SETTINGS
