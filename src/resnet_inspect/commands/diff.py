"""``diff A B``: what changed between two checkpoints, layer by layer, with a verdict."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Annotated, ClassVar

import typer

from resnet_inspect.commands import Command, recorded, shown
from resnet_inspect.commands.found import first_conv, source
from resnet_inspect.commands.options import (
    DEPTH,
    NAMED_MODEL,
    OUTPUT,
    OWN,
    PlainUsage,
    model_choice,
    view_options,
)
from resnet_inspect.config import DiffSide, ModelChoice, SideKind, WeightsChoice, WeightsKind
from resnet_inspect.errors import ArgumentError, InspectError

if TYPE_CHECKING:
    from resnet_inspect.report import DiffReport
    from resnet_inspect.views.options import ViewOptions

# A diff has no input of its own: the structure pass that folds tensors into the tree runs
# at this size, with the model's own input channels.
_SHAPE_PASS = (1, 3, 64, 64)


@dataclass(frozen=True)
class DiffRequest:
    command: ClassVar[str] = "diff"

    a: str = ""  # a checkpoint file, a torchvision weights name, or init:SEED
    b: str = ""
    # arch None and no spec: the model is what A (or B) says it is, as --weights FILE infers
    model: ModelChoice = field(
        default_factory=lambda: ModelChoice(arch=None, input_shape=_SHAPE_PASS)
    )
    view: ViewOptions = shown()

    def __post_init__(self) -> None:
        from resnet_inspect.parsing import parse_diff_side

        for side, which in ((self.a, "A"), (self.b, "B")):
            if isinstance(side, os.PathLike):  # a pathlib.Path names a file as a str does
                object.__setattr__(self, which.lower(), os.fspath(side))
            elif isinstance(side, Mapping):
                raise ArgumentError(
                    f"{which} is a state_dict; diff compares checkpoint files: torch.save it "
                    "and pass the path"
                )
            elif not isinstance(side, str):
                raise ArgumentError(
                    f"{which} must be a path, a torchvision weights name or init:SEED (a str "
                    f"or a pathlib.Path), not {type(side).__name__}"
                )
        # Checked before any work, and kept as the report records them (stripped).
        object.__setattr__(self, "a", parse_diff_side(self.a, "A").text)
        object.__setattr__(self, "b", parse_diff_side(self.b, "B").text)


def run_diff(request: DiffRequest) -> DiffReport:
    """Every tensor of A and B compared, folded into the model's tree, with a verdict:
    backbone, BatchNorm statistics, head, dtype."""
    from resnet_inspect.anatomy import ARCHITECTURES
    from resnet_inspect.assemble.diff import build_diff_report
    from resnet_inspect.capture.diff import compare, fits, side_state
    from resnet_inspect.capture.structure import capture_structure
    from resnet_inspect.parsing import parse_diff_side

    side_a, side_b = parse_diff_side(request.a, "A"), parse_diff_side(request.b, "B")
    model = request.model
    if model.arch is None and not model.runs_user_code:
        sides = ((side_a, "A"), (side_b, "B"))
        described = next(((s, w) for s, w in sides if s.kind is SideKind.FILE), None)
        if described is not None:
            side, which = described
            chosen = WeightsChoice(WeightsKind.FILE, path=side.path, option=which)
            model = replace(model, weights=chosen)
        else:
            model = replace(model, arch="resnet18")
    found = source(model)
    meta = found.meta()
    first = first_conv(meta)
    structure = capture_structure(meta, (1, first[1] if first else 3, 64, 64))
    stock = found.info.name if found.info.name in ARCHITECTURES else None
    state_a, state_b = (
        side_state(side, which, found, found.info.name, _pretrained(side, stock))
        for side, which in ((side_a, "A"), (side_b, "B"))
    )
    if not set(state_a) & set(state_b):
        raise InspectError(
            f"A and B have no key in common (A: {', '.join(list(state_a)[:2])}, …; B: "
            f"{', '.join(list(state_b)[:2])}, …): not two checkpoints of one model"
        )
    problems_a, problems_b = fits(state_a, meta), fits(state_b, meta)
    if problems_a and problems_b:
        raise InspectError(
            f"{found.info.name} fits neither A nor B (A: {problems_a[0]}; B: {problems_b[0]}); "
            "give the model they were saved from with --arch or --model"
        )
    kinds = {name: "parameter" for name, _ in meta.named_parameters()}
    kinds.update({name: "buffer" for name, _ in meta.named_buffers()})
    tensors = compare(state_a, state_b, kinds, list(meta.state_dict()))
    return build_diff_report(
        structure,
        tensors,
        model=found.info,
        a=request.a,
        b=request.b,
        options=recorded(request),
        fits=(not problems_a, not problems_b),
    )


def _pretrained(side: DiffSide, arch: str | None) -> WeightsChoice | None:
    """The torchvision weights a side names (checked against the architecture now known)."""
    from resnet_inspect.parsing import parse_weights

    if side.kind is not SideKind.PRETRAINED or arch is None:
        return None
    return parse_weights(side.text, arch)


_SIDE_HELP = (
    "A checkpoint file, a torchvision weights name of --arch (DEFAULT, IMAGENET1K_V1, …), "
    "or init:SEED (the random initialisation under that seed)."
)
ASide = Annotated[str, typer.Argument(help=_SIDE_HELP, metavar="A", show_default=False)]
BSide = Annotated[str, typer.Argument(help=_SIDE_HELP, metavar="B", show_default=False)]


def from_command_line(ctx: typer.Context, a: ASide, b: BSide) -> DiffRequest:
    """What changed between two checkpoints, layer by layer, with a verdict.

    Every tensor of A and B is compared in float64: same shape and dtype, bit-identical or
    not, ‖B − A‖, ‖B − A‖/‖A‖, max |B − A|; each layer, block and stage takes its tensors
    together, with a bar on a log scale. The verdict answers the questions after a
    fine-tune: did the backbone stay bit-identical (which stages moved), did BatchNorm's
    running statistics drift (and how many train-mode passes they saw), was the head
    replaced or trained, did the dtype change. The model is --arch or --model, or what A
    says it is. Files are read with weights_only=True: nothing in them runs.
    """
    model = model_choice(ctx, named_only=True)
    return DiffRequest(a=a, b=b, model=model, view=view_options(ctx))


COMMAND = Command(
    name="diff",
    request=DiffRequest,
    report="resnet_inspect.report.diff:DiffReport",
    run=run_diff,
    view="resnet_inspect.views.diff:diff_view",
    short="resnet_inspect.views.diff:diff_short",
    cli=from_command_line,
    groups=(OWN, NAMED_MODEL, DEPTH, OUTPUT),
    usage=PlainUsage,
    example=("{a}", "{b}"),
)
