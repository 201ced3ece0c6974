"""``train-step``: one (or N) real CPU steps, and what they did to every parameter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Protocol

import typer

from resnet_inspect.commands import Command, given, recorded, shown
from resnet_inspect.commands.found import checked_meta, image_input, shape_text, source
from resnet_inspect.commands.options import (
    DEPTH,
    IMAGE_DATA,
    MODEL,
    OUTPUT,
    STEP,
    TIMINGS,
    image_options,
    model_choice,
    step_options,
    view_options,
)
from resnet_inspect.config import (
    FreezeOptions,
    ImageOptions,
    LossKind,
    ModelChoice,
    Precision,
    StepOptions,
    check_seed,
)
from resnet_inspect.errors import OptionError

if TYPE_CHECKING:
    from resnet_inspect.report import LayerReport
    from resnet_inspect.views.options import ViewOptions


class SteppedRequest(Protocol):
    """A request that takes real steps: train-step's and freeze's."""

    command: ClassVar[str]

    @property
    def model(self) -> ModelChoice: ...
    @property
    def seed(self) -> int: ...
    @property
    def step(self) -> StepOptions: ...
    @property
    def images(self) -> ImageOptions | None: ...


@dataclass(frozen=True)
class TrainStepRequest:
    command: ClassVar[str] = "train-step"

    model: ModelChoice = field(default_factory=ModelChoice)
    seed: int = 0
    step: StepOptions = field(default_factory=StepOptions)
    images: ImageOptions | None = given()  # real images instead of the random input
    view: ViewOptions = shown()

    def __post_init__(self) -> None:
        check_seed(self.seed)
        check_image_loss(self.images, self.step.loss)


def check_image_loss(images: ImageOptions | None, loss: LossKind) -> None:
    """An ImageFolder's labels are class indices: its loss is cross-entropy."""
    from resnet_inspect.imagesets import find_images

    labelled = images is not None and find_images(images.paths).labelled
    if labelled and loss is not LossKind.CROSS_ENTROPY:
        raise OptionError(
            f"--loss {loss.value}: an ImageFolder's labels are class indices; its loss is "
            "cross-entropy (give --loss cross-entropy, or leave --loss out)"
        )


def run_train_step(request: TrainStepRequest) -> LayerReport:
    return stepped_report(request, recipe=None)


def stepped_report(request: SteppedRequest, *, recipe: FreezeOptions | None) -> LayerReport:
    """Meta pass, the checks it allows, then the seeded real model and its steps.

    Order, so that a plain script with the same seed computes the same numbers:
    ``torch.manual_seed(seed)``, build the model, ``torch.rand(input)``, the labels, forward,
    loss, ``backward()``, the optimizer's step. The fine-tuning ``recipe``, when given, is
    applied to both models alike, so the meta pass counts what the step trains. Weights are
    loaded as torchvision loads its own: into a model built (and randomly initialised) under
    the seed, so the RNG stream that then draws the input and labels is the tutorial's.
    """
    import torch

    from resnet_inspect.assemble.layers import build_model_report
    from resnet_inspect.capture import preflight
    from resnet_inspect.capture.freezing import freeze_backbone, frozen_batchnorms, put_in_eval
    from resnet_inspect.capture.precision import (
        autocasting,
        check_master_parameters,
        simulated_cpu,
    )
    from resnet_inspect.capture.recompute import check_recomputable
    from resnet_inspect.capture.step import run_step
    from resnet_inspect.capture.structure import capture_structure

    found = source(request.model)
    meta = found.meta()
    input_shape = request.model.input_shape
    images = None
    if request.images is not None:
        images, input_shape = image_input(
            found, meta, request.images, request.step.steps, request.seed, input_shape[1]
        )
    meta = checked_meta(found, input_shape, meta)
    if recipe:
        freeze_backbone(meta, recipe)
    frozen_norms = frozen_batchnorms(meta) if recipe else ()
    in_eval = frozen_norms if recipe and recipe.bn_eval else ()
    precision = request.step.precision
    check_master_parameters(meta, precision)
    if precision is Precision.FP32:
        structure = capture_structure(meta, input_shape)
    else:  # rows, outputs and activations as autocast runs them, on a simulated CPU
        with simulated_cpu(precision) as make:
            simulated = make(found)()
            if recipe:
                freeze_backbone(simulated, recipe)
            with autocasting(precision):
                structure = capture_structure(simulated, input_shape)
    check_recomputable(structure.layout, request.step.checkpoint)
    preflight.check_trains_something(structure, request.command)
    preflight.check_batchnorm_batch(
        structure, shape_text(input_shape), in_eval, from_images=images is not None
    )
    preflight.check_memory(structure, request.step)
    if images is not None and len(images.images.classes) > structure.num_classes:
        raise OptionError(
            f"--images: {len(images.images.classes)} classes, and the model's head has "
            f"{structure.num_classes} outputs; give the head that many (freeze --new-classes "
            f"{len(images.images.classes)})"
        )

    torch.manual_seed(request.seed)
    model = found.real()
    if recipe:
        freeze_backbone(model, recipe)
    model.train()
    put_in_eval(model, in_eval)
    result = run_step(model, input_shape, request.step, structure.num_classes, images)
    return build_model_report(
        structure,
        command=request.command,
        model=found.info,
        weights=found.weights,
        step=result,
        seed=request.seed,
        freeze=recipe,
        batchnorms_in_eval=in_eval,
        frozen_batchnorms=() if in_eval else frozen_norms,
        options=recorded(request),
    )


def from_command_line(ctx: typer.Context) -> TrainStepRequest:
    """One real CPU step: forward, backward, SGD; gradient norms and update sizes everywhere.

    Does what the autograd tutorial does, in train mode: a seeded random input and labels,
    prediction = model(data), loss, loss.backward(), SGD(lr, momentum).step(); then shows, per
    parameter and summed per layer, block and stage, the gradient norm, the update ‖Δθ‖ and
    the relative update ‖Δθ‖/‖θ‖, with log-scale bars, each ReLU call's share of zeros, and
    flags for what looks wrong (updates far from ~1e-3, non-finite values, dead ReLUs, weight
    decay on BatchNorm, BatchNorm on too few values). --steps N repeats the step on the same
    batch; --images takes real images instead, a batch a step.
    """
    model = model_choice(ctx)
    step, view = step_options(ctx, model.arch), view_options(ctx)
    images = image_options(ctx)
    seed = ctx.params["seed"]
    return TrainStepRequest(model=model, seed=seed, step=step, images=images, view=view)


COMMAND = Command(
    name="train-step",
    request=TrainStepRequest,
    report="resnet_inspect.report.layers:LayerReport",
    run=run_train_step,
    view="resnet_inspect.views.tree:model_view",
    short="resnet_inspect.views.tree:model_short",
    cli=from_command_line,
    groups=(MODEL, STEP, IMAGE_DATA, DEPTH, OUTPUT, TIMINGS),
    example=("--input", "2,3,64,64"),
)
