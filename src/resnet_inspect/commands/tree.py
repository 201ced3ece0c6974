"""``tree``: the model's structure, shapes, parameters and FLOPs, from one meta pass."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from resnet_inspect.commands import Command, keyed, shown
from resnet_inspect.config import ModelChoice
from resnet_inspect.report import LayerReport
from resnet_inspect.views.options import ViewOptions


@dataclass(frozen=True)
class TreeRequest:
    command: ClassVar[str] = "tree"

    model: ModelChoice = field(default_factory=ModelChoice)
    explain: bool = keyed(False)  # the report says it on every node (``Node.explain``)
    view: ViewOptions = shown()


def run_tree(request: TreeRequest) -> LayerReport:
    """Builds the model on the meta device: no weights are initialised and no activation is
    allocated, so resnet152 at 64×3×512×512 costs about what resnet18 does."""
    from resnet_inspect.assemble.layers import build_model_report
    from resnet_inspect.capture.structure import capture_structure
    from resnet_inspect.commands.found import checked_meta, source

    found = source(request.model)
    meta = checked_meta(found, request.model.input_shape)
    capture = capture_structure(meta, request.model.input_shape)
    return build_model_report(
        capture,
        command="tree",
        model=found.info,
        weights=found.weights,
        explained=request.explain,
    )


COMMAND = Command(
    name="tree",
    request=TreeRequest,
    report=LayerReport,
    run=run_tree,
    view="resnet_inspect.views.tree:model_view",
    short="resnet_inspect.views.tree:model_short",
    cached=True,
    example=("--input", "1,3,64,64"),
)
