"""``tree``: the model's structure, shapes, parameters and FLOPs, from one meta pass."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import typer

from resnet_inspect.commands import Command, always, keyed, shown
from resnet_inspect.commands.options import (
    DEPTH,
    MODEL,
    NO_CACHE,
    OUTPUT,
    OWN,
    ExplainOption,
    model_choice,
    view_options,
)
from resnet_inspect.config import ModelChoice

if TYPE_CHECKING:
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


def from_command_line(ctx: typer.Context, explain: ExplainOption = False) -> TreeRequest:
    """Stem, stages, blocks and head: every layer call with shapes, parameters and MACs.

    Shapes and FLOPs come from one forward pass on the meta device: nothing is allocated,
    so any input size on any architecture answers about as fast as the smallest. --explain
    writes under each layer the arithmetic behind its numbers.
    """
    return TreeRequest(model=model_choice(ctx), explain=explain, view=view_options(ctx))


COMMAND = Command(
    name="tree",
    request=TreeRequest,
    report="resnet_inspect.report.layers:LayerReport",
    run=run_tree,
    view="resnet_inspect.views.tree:model_view",
    short="resnet_inspect.views.tree:model_short",
    cli=from_command_line,
    groups=(MODEL, OWN, DEPTH, OUTPUT, NO_CACHE),
    cached=always,
    example=("--input", "1,3,64,64"),
)
