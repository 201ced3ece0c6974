"""``plan``: what each fine-tuning cut costs, and the largest batch that fits a budget."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar

from resnet_inspect.commands import Command, recorded, shown
from resnet_inspect.commands.model import checked_meta, shape_text, source
from resnet_inspect.config import (
    FreezeOptions,
    LossKind,
    ModelChoice,
    OptimizerKind,
    Precision,
    StepOptions,
    check_memory_budget,
    check_new_classes,
)
from resnet_inspect.errors import OptionError
from resnet_inspect.report import PlanReport
from resnet_inspect.views.options import ViewOptions


@dataclass(frozen=True)
class PlanRequest:
    command: ClassVar[str] = "plan"

    model: ModelChoice = field(default_factory=ModelChoice)
    new_classes: int | None = None  # required: every row trains a new head of this many
    unfreeze: tuple[str, ...] = ()  # a row of its own
    optimizer: OptimizerKind = OptimizerKind.SGD
    momentum: float = 0.9
    loss: LossKind = LossKind.SUM
    memory: int | None = None  # a budget in bytes: each row's largest batch that fits
    precisions: tuple[Precision, ...] = (Precision.FP32,)  # each row under each, in turn
    channels_last: bool = False  # the model and the input in torch.channels_last
    view: ViewOptions = shown()

    def __post_init__(self) -> None:
        if self.new_classes is None:
            raise OptionError(
                "plan needs --new-classes N: every row trains a new head of N classes (e.g. 10)"
            )
        check_new_classes(self.new_classes)
        check_memory_budget(self.memory)
        if not self.precisions or not all(isinstance(p, Precision) for p in self.precisions):
            raise TypeError(f"precisions must be a tuple of Precision, not {self.precisions!r}")
        self.recipe  # noqa: B018 - the unfreeze names, checked before any work
        self.step  # noqa: B018 - the optimizer, momentum and loss, likewise

    @property
    def recipe(self) -> FreezeOptions:
        assert self.new_classes is not None
        return FreezeOptions(new_classes=self.new_classes, unfreeze=self.unfreeze)

    @property
    def step(self) -> StepOptions:
        """What of a step a plan needs: the optimizer's state and the loss's graph."""
        return StepOptions(
            optimizer=self.optimizer,
            momentum=self.momentum,
            loss=self.loss,
            channels_last=self.channels_last,
        )

    def step_in(self, precision: Precision) -> StepOptions:
        return replace(self.step, precision=precision)


def run_plan(request: PlanRequest) -> PlanReport:
    """Rows: the new head only, then each stage from the last down to the stem, then
    everything, and ``unfreeze``'s own row when given. All from meta passes: nothing is
    allocated, no real step runs."""
    from resnet_inspect.assemble.plan import EVERYTHING, build_plan_report
    from resnet_inspect.capture import preflight
    from resnet_inspect.capture.freezing import check_unfreeze, freeze_backbone
    from resnet_inspect.capture.plan import capture_cut, too_small_budget
    from resnet_inspect.capture.precision import simulated_cpu
    from resnet_inspect.capture.structure import capture_structure
    from resnet_inspect.records import CutCapture

    memory, unfreeze, input_shape = request.memory, request.unfreeze, request.model.input_shape
    new_classes = request.recipe.new_classes
    found = source(request.model)
    meta = checked_meta(found, input_shape)
    if unfreeze:
        check_unfreeze(meta, unfreeze)
    freeze_backbone(meta, FreezeOptions(new_classes=new_classes))
    structure = capture_structure(meta, input_shape)
    preflight.check_batchnorm_batch(structure, shape_text(input_shape))

    stages = structure.layout.stages
    # Each cut trains the new head and, from the last stage down, one more stage each.
    cut_points: list[tuple[str, tuple[str, ...]]] = [("head", ())]
    for index in range(len(stages) - 1, -1, -1):
        cut_points.append((stages[index], tuple(reversed(stages[index:]))))
    holders = [
        name for name, child in meta.named_children() if any(True for _ in child.parameters())
    ]
    cut_points.append((EVERYTHING, tuple(holders)))
    if unfreeze:
        cut_points.append(("unfreeze", unfreeze))

    kept = structure.param_bytes + structure.buffer_bytes
    smallest = structure.smallest_batch()  # 2 where a BatchNorm sees a 1×1 map

    def room(state: int) -> int:
        assert memory is not None
        return memory - kept - state

    cuts: list[CutCapture] = []
    for precision in request.precisions:
        # The first precision's cuts count the FLOPs; a half-precision one's may repeat the
        # other half precision's batch answers (capture_cut takes each shortcut only where
        # it is exact).
        earlier = {(cut.name, cut.precision): cut for cut in cuts}
        half = {Precision.BF16: "fp16", Precision.FP16: "bf16"}.get(precision, "")
        with simulated_cpu(precision, request.channels_last) as make:  # fake CPU tensors?
            cuts += [
                capture_cut(
                    make(found),
                    name,
                    FreezeOptions(new_classes=new_classes, unfreeze=names),
                    input_shape,
                    request.step_in(precision),
                    room=room if memory is not None else None,
                    smallest=smallest,
                    flops_from=cuts[index] if cuts else None,
                    same_as=earlier.get((name, half)),
                )
                for index, (name, names) in enumerate(cut_points)
            ]
    if memory is not None:
        too_small_budget(cuts, memory, kept, smallest)
    return build_plan_report(
        structure,
        cuts,
        model=found.info,
        weights=found.weights,
        optimizer=request.optimizer.value,
        memory_bytes=memory,
        options=recorded(request),
        precisions=tuple(precision.value for precision in request.precisions),
        channels_last=request.channels_last,
    )


COMMAND = Command(
    name="plan",
    request=PlanRequest,
    report=PlanReport,
    run=run_plan,
    view="resnet_inspect.views.plan:plan_view",
    short="resnet_inspect.views.plan:plan_short",
    cached=True,
    note="plan_meta_note",
)
