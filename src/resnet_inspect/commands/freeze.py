"""``freeze``: the fine-tuning recipe, shown and proven by a real step."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, ClassVar

import typer

from resnet_inspect.commands import Command
from resnet_inspect.commands.options import (
    DEPTH,
    IMAGE_DATA,
    MODEL,
    OUTPUT,
    OWN,
    RECIPE,
    STEP,
    TIMINGS,
    image_options,
    model_choice,
    recipe,
    step_options,
    view_options,
)
from resnet_inspect.commands.train_step import TrainStepRequest, stepped_report
from resnet_inspect.config import FreezeOptions
from resnet_inspect.errors import OptionError

if TYPE_CHECKING:
    from resnet_inspect.report import LayerReport


@dataclass(frozen=True)
class FreezeRequest(TrainStepRequest):
    """train-step's request and the fine-tuning recipe (recorded after the step's options)."""

    command: ClassVar[str] = "freeze"

    recipe: FreezeOptions = field(default_factory=FreezeOptions)


def run_freeze(request: FreezeRequest) -> LayerReport:
    """Every parameter frozen, the head's classifier replaced by a new one of
    ``new_classes`` outputs, the ``unfreeze`` names trainable again, the optimizer over all
    parameters as the tutorial does; then the same step as ``train-step``."""
    return stepped_report(request, recipe=request.recipe)


BnEvalOption = Annotated[
    bool,
    typer.Option(
        "--bn-eval",
        help="Put the frozen part's BatchNorm layers in eval mode so their running "
        "statistics stop moving.",
    ),
]


def from_command_line(ctx: typer.Context, bn_eval: BnEvalOption = False) -> FreezeRequest:
    """Freeze the backbone, put a new head on it, and prove with one step that only it moves.

    The tutorial's recipe: every parameter requires_grad=False, fc replaced by a new
    Linear(in_features, N), SGD over all parameters. Shows what is trainable, frozen or
    partly frozen, then takes one real step: frozen parameters get no gradient and keep
    every bit, trainable ones change, and the BatchNorm buffers that moved anyway are listed.
    """
    model = model_choice(ctx)
    new_classes, unfreeze = recipe(ctx, model.arch)
    if new_classes is None:
        raise OptionError("freeze needs --new-classes N: the new head's classes (e.g. 10)")
    chosen = FreezeOptions(new_classes=new_classes, unfreeze=unfreeze, bn_eval=bn_eval)
    step, view, images = step_options(ctx, model.arch), view_options(ctx), image_options(ctx)
    seed = ctx.params["seed"]
    return FreezeRequest(model=model, seed=seed, step=step, recipe=chosen, images=images, view=view)


COMMAND = Command(
    name="freeze",
    request=FreezeRequest,
    report="resnet_inspect.report.layers:LayerReport",
    run=run_freeze,
    view="resnet_inspect.views.tree:model_view",
    short="resnet_inspect.views.tree:model_short",
    cli=from_command_line,
    groups=(RECIPE, OWN, MODEL, STEP, IMAGE_DATA, DEPTH, OUTPUT, TIMINGS),
    example=("--new-classes", "10", "--input", "2,3,64,64"),
)
