"""``freeze``: the fine-tuning recipe, shown and proven by a real step."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from resnet_inspect.commands import Command
from resnet_inspect.commands.train_step import TrainStepRequest, stepped_report
from resnet_inspect.config import FreezeOptions
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


COMMAND = Command(
    name="freeze",
    request=FreezeRequest,
    report=LayerReport,
    run=run_freeze,
    view="resnet_inspect.views.tree:model_view",
    short="resnet_inspect.views.tree:model_short",
    example=("--new-classes", "10", "--input", "2,3,64,64"),
)
