"""``plan``: what each fine-tuning cut costs, and the largest batch that fits a budget."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import typer
from typer.core import TyperCommand

from resnet_inspect.commands import Command, given, keyed, recorded, shown
from resnet_inspect.commands.found import checked_meta, shape_text, source
from resnet_inspect.commands.options import (
    CHANNELS_LAST,
    LOSS,
    MODEL,
    MOMENTUM,
    NO_CACHE,
    OUTPUT,
    OWN,
    PLAN_OPTIMIZER,
    PLAN_PRECISION,
    RECIPE,
    model_choice,
    optimizer,
    recipe,
    view_options,
)
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
from resnet_inspect.errors import ArgumentError, OptionError

if TYPE_CHECKING:
    from resnet_inspect.records import StructureCapture
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
    checkpoint: bool = given(False)  # rows with trainable stages recomputed in backward
    breakdown: bool = keyed(False)  # the view shows where the memory goes (JSON always has it)
    # Rows whose real steps run in fresh processes: their names, or ("all",) for every row.
    verify: tuple[str, ...] = given(())
    view: ViewOptions = shown()

    def __post_init__(self) -> None:
        if self.new_classes is None:
            raise OptionError(
                "plan needs --new-classes N: every row trains a new head of N classes (e.g. 10)"
            )
        check_new_classes(self.new_classes)
        check_memory_budget(self.memory)
        if not self.precisions or not all(isinstance(p, Precision) for p in self.precisions):
            raise ArgumentError(f"precisions must be a tuple of Precision, not {self.precisions!r}")
        check_verify_rows(self.verify, bool(self.unfreeze), self.model.arch)
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
    from resnet_inspect.budget import process_room
    from resnet_inspect.capture import preflight
    from resnet_inspect.capture.freezing import check_unfreeze, freeze_backbone
    from resnet_inspect.capture.meta_autocast import Unsupported
    from resnet_inspect.capture.plan import capture_cut, too_small_budget
    from resnet_inspect.capture.precision import on_meta as runs_on_meta
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

    layout = structure.layout
    # Each cut trains the new head and, from the last stage down, one more stage each.
    cut_points: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [("head", (), ())]
    for index in range(len(layout.stages) - 1, -1, -1):
        cut_points.append((layout.stages[index], tuple(reversed(layout.stages[index:])), ()))
    holders = [
        name for name, child in meta.named_children() if any(True for _ in child.parameters())
    ]
    cut_points.append((EVERYTHING, tuple(holders), ()))
    if unfreeze:
        cut_points.append(("unfreeze", unfreeze, ()))
    chosen = cut_points[-1]  # what --breakdown breaks down: --unfreeze's row, or everything
    if request.checkpoint:
        cut_points += [
            (chosen[0], chosen[1], stages) for stages in recomputable(layout.stages, chosen[1])
        ]

    if request.verify:  # the rows are known now: a wrong name fails before any pass
        from resnet_inspect.commands.verify import check_row_names

        check_row_names(request.verify, [name for name, _, _ in cut_points])
    kept = structure.param_bytes + structure.buffer_bytes
    smallest = structure.smallest_batch()  # 2 where a BatchNorm sees a 1×1 map

    def room(state: int) -> int:
        """The live tensor bytes a step may peak at: its tensors beside the parameters,
        buffers and optimizer state, and its process growth at the top of the stated
        range beside the parameters and buffers, both within --memory."""
        assert memory is not None
        return min(memory - kept - state, process_room(memory, kept, state))

    cuts: list[CutCapture] = []
    on_meta: set[Precision] = set()  # the precisions whose passes ran on the meta device
    for precision in request.precisions:
        # The other half precision's rows, where autocast was seen to do the same to every
        # call of its passes with this dtype in its place: the same passes, byte for byte.
        other = _OTHER_HALF.get(precision)
        if other is not None and other in on_meta and _mirrored(other, precision):
            same = [c for c in cuts if c.precision == other.value]
            cuts += [replace(c, precision=precision.value, located=None) for c in same]
            continue
        # The first precision's cuts count the FLOPs; a half-precision one's may repeat the
        # other half precision's batch answers (capture_cut takes each shortcut only where
        # it is exact).
        earlier = {(cut.name, cut.checkpointed, cut.precision): cut for cut in cuts}
        half = other.value if other is not None else ""
        counted = list(cuts)  # the first precision's, whose FLOPs every other repeats

        made: list[CutCapture] = []
        # Mixed precision on meta with autocast's observed casts; on fake CPU tensors for
        # --channels-last (whose layout the meta convolution drops), or where a call's
        # casts are not casts of its inputs (Unsupported: the pass starts again there).
        for meta_autocast in (True, False):
            made = []
            try:
                with simulated_cpu(
                    precision, request.channels_last, meta_autocast=meta_autocast
                ) as make:
                    for index, (name, names, recomputed) in enumerate(cut_points):
                        flops_from, extra = counted[index] if counted else None, 0
                        if recomputed and not counted:  # its depth's FLOPs, its stages' again
                            flops_from = next(
                                c for c in made if c.name == name and not c.checkpointed
                            )
                            extra = forward_flops(structure, recomputed)
                        made.append(
                            capture_cut(
                                make(found),
                                name,
                                FreezeOptions(new_classes=new_classes, unfreeze=names),
                                input_shape,
                                request.step_in(precision),
                                room=room if memory is not None else None,
                                smallest=smallest,
                                flops_from=flops_from,
                                same_as=earlier.get((name, recomputed, half)),
                                checkpoint=recomputed,
                                follow=not counted and (name, names, recomputed) == chosen,
                                recompute_flops=extra,
                            )
                        )
            except Unsupported:
                continue
            if runs_on_meta(precision, request.channels_last, meta_autocast=meta_autocast):
                on_meta.add(precision)
            break
        cuts += made
    if memory is not None:
        too_small_budget(cuts, memory, kept, smallest)
    checks = {}
    if request.verify:
        from resnet_inspect.commands.verify import verify_cuts

        checks = verify_cuts(request, cuts, kept)
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
        momentum=request.momentum,
        shows_breakdown=request.breakdown,
        checks=checks,
    )


def check_verify_rows(names: tuple[str, ...], unfreeze: bool, arch: str | None) -> None:
    """``--verify``: every row, or rows named as the plan names them (head, a stage,
    everything, unfreeze). For a torchvision ``arch`` the names are checked here, before
    torch; for another model, against its rows before any pass."""
    from resnet_inspect.anatomy import STAGE_MODULES
    from resnet_inspect.commands.verify import VERIFY_ALL
    from resnet_inspect.parsing import is_timm

    depth_names = ("head", *STAGE_MODULES, "everything", "unfreeze")  # a torchvision model's
    if not isinstance(names, tuple) or not all(isinstance(n, str) and n for n in names):
        raise ArgumentError(f"verify must be a tuple of row names, not {names!r}")
    if VERIFY_ALL in names and len(names) > 1:
        raise OptionError("--verify: give 'all' alone, or the rows to check (e.g. head,layer4)")
    if "unfreeze" in names and not unfreeze:
        raise OptionError("--verify unfreeze: there is no unfreeze row without --unfreeze")
    if arch is not None and not is_timm(arch):
        wrong = [name for name in names if name not in (*depth_names, VERIFY_ALL)]
        if wrong:
            rows = ", ".join(name for name in depth_names if unfreeze or name != "unfreeze")
            raise OptionError(f"--verify {','.join(wrong)}: no such row (rows: {rows}, or all)")


def forward_flops(structure: StructureCapture, stages: tuple[str, ...]) -> int:
    """The forward FLOPs of ``stages``: what a checkpointed step runs again in backward."""
    from resnet_inspect.records import within

    return sum(
        call.flops
        for call in structure.calls
        if any(within(call.module, stage) for stage in stages)
    )


def recomputable(stages: tuple[str, ...], trains: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The checkpointing choices at a depth that trains ``trains``: each stage that holds
    something trainable on its own, then all of them together (a frozen stage before the
    first trainable one keeps nothing for backward, so recomputing it would save nothing)."""
    from resnet_inspect.records import within

    trained = tuple(
        stage
        for stage in stages
        if any(within(name, stage) or within(stage, name) for name in trains)
    )
    return [(stage,) for stage in trained] + ([trained] if len(trained) > 1 else [])


_OTHER_HALF = {Precision.BF16: Precision.FP16, Precision.FP16: Precision.BF16}


def _mirrored(first: Precision, second: Precision) -> bool:
    """Autocast to ``second`` was seen to do to every call what ``first`` did."""
    from resnet_inspect.capture.meta_autocast import mirrors
    from resnet_inspect.capture.precision import autocast_dtype

    one, two = autocast_dtype(first), autocast_dtype(second)
    return one is not None and two is not None and mirrors(one, two)


MemoryOption = Annotated[
    str,
    typer.Option(
        "--memory",
        help="A memory budget (8GiB, 16GB, 512MiB, 500MB, 1TiB): adds the largest batch whose step "
        "fits to every row.",
        metavar="SIZE",
        show_default=False,
    ),
]
PlanCheckpointOption = Annotated[
    bool,
    typer.Option(
        "--checkpoint",
        help="Rows at the deepest depth (or --unfreeze's) with each trainable stage, and then "
        "all of them, recomputed in backward (activation checkpointing): the saved bytes and "
        "peak it saves, the forward FLOPs it runs again, the batch it allows.",
    ),
]
BreakdownOption = Annotated[
    bool,
    typer.Option(
        "--breakdown",
        help="Where the memory of the deepest depth (or --unfreeze's) goes: saved, gradient and "
        "optimizer bytes per stage and block, the five layers that keep the most and what they "
        "keep, and the layer whose forward or backward holds the peak (JSON always has it).",
    ),
]
VerifyOption = Annotated[
    str,
    typer.Option(
        "--verify",
        help="After the estimate, run each row's real CPU steps in a fresh process and print "
        "the measured tensor peak and process growth beside the estimates, with their error: "
        "--verify alone checks every row; --verify head,layer4 those rows. With --memory, "
        "also the step at each row's largest batch. Takes seconds to minutes.",
        metavar="[ROWS]",
        show_default=False,
    ),
]


class BareVerify(TyperCommand):
    """``--verify`` with no rows after it (at the end, or before another option) means every
    row: click has no option whose value may be left out, so it is spelled out here."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        spelled = [
            "--verify=all"
            if arg == "--verify" and (index + 1 == len(args) or args[index + 1].startswith("-"))
            else arg
            for index, arg in enumerate(args)
        ]
        return list(super().parse_args(ctx, spelled))


def from_command_line(
    ctx: typer.Context,
    memory: MemoryOption = "",
    checkpoint: PlanCheckpointOption = False,
    breakdown: BreakdownOption = False,
    verify: VerifyOption = "",
) -> PlanRequest:
    """How deep to fine-tune: what each depth trains, computes and keeps, and what batch fits.

    One row per depth: the new head only, then each stage down to the stem (+ layer4 trains
    layer4 and the head, + layer3 also layer3, ...), then everything; and a row for
    --unfreeze when given. Per row: trainable parameters, gradient and optimizer-state
    memory, what autograd saves for backward, backward FLOPs, and the peak memory of one
    training step at --input; with --memory, the largest batch whose step fits. Each step is
    simulated on the meta device (nothing is allocated); --verify then runs real steps of the
    rows it names, each in a fresh process, and prints the measured memory beside the estimate.
    """
    from resnet_inspect.parsing import (
        parse_loss,
        parse_memory,
        parse_momentum,
        parse_precision,
        parse_rows,
    )

    if not ctx.params["new_classes"]:
        PlanRequest(new_classes=None)  # says what is missing, before any option is read
    model = model_choice(ctx)
    new_classes, unfreeze = recipe(ctx, model.arch)
    return PlanRequest(
        model=model,
        new_classes=new_classes,
        unfreeze=unfreeze,
        optimizer=optimizer(ctx),
        momentum=parse_momentum(ctx.params["momentum"]),
        loss=parse_loss(ctx.params["loss"]),
        memory=parse_memory(memory) if memory else None,
        precisions=parse_precision(ctx.params["precision"], every=True),
        channels_last=ctx.params["channels_last"],
        checkpoint=checkpoint,
        breakdown=breakdown,
        verify=parse_rows("--verify", verify) if verify else (),
        view=view_options(ctx),
    )


def _cached(request: PlanRequest) -> bool:
    # Real steps measure this machine now: such a report is never cached.
    return not request.verify


COMMAND = Command(
    name="plan",
    request=PlanRequest,
    report="resnet_inspect.report.plan:PlanReport",
    run=run_plan,
    view="resnet_inspect.views.plan:plan_view",
    short="resnet_inspect.views.plan:plan_short",
    cli=from_command_line,
    groups=(
        RECIPE,
        OWN,
        MODEL,
        PLAN_OPTIMIZER,
        MOMENTUM,
        LOSS,
        PLAN_PRECISION,
        CHANNELS_LAST,
        OUTPUT,
        NO_CACHE,
    ),
    usage=BareVerify,
    cached=_cached,
    example=("--new-classes", "10", "--input", "8,3,224,224", "--memory", "2GiB"),
)
