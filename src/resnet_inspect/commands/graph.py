"""``graph``: the autograd graph of one step's loss, and what freezing removes from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, ClassVar

import typer

from resnet_inspect.commands import Command, given, keyed, recorded, shown
from resnet_inspect.commands.found import checked_meta, image_input, shape_text, source
from resnet_inspect.commands.options import (
    CHANNELS_LAST,
    DEPTH,
    GRAPH_PRECISION,
    IMAGE_DATA,
    LOSS,
    MODEL,
    NO_CACHE,
    OUTPUT,
    OWN,
    RECIPE,
    ExplainOption,
    image_loss,
    image_options,
    model_choice,
    recipe,
    view_options,
)
from resnet_inspect.commands.train_step import check_image_loss
from resnet_inspect.config import (
    FreezeOptions,
    ImageOptions,
    LossKind,
    ModelChoice,
    Precision,
    check_new_classes,
    check_unfreeze_names,
)
from resnet_inspect.errors import ArgumentError, OptionError

if TYPE_CHECKING:
    from resnet_inspect.report import GraphReport
    from resnet_inspect.views.options import ViewOptions


@dataclass(frozen=True)
class GraphRequest:
    command: ClassVar[str] = "graph"

    model: ModelChoice = field(default_factory=ModelChoice)
    loss: LossKind = LossKind.SUM
    new_classes: int | None = None  # with it, the freeze recipe's graph beside the full one
    unfreeze: tuple[str, ...] = ()
    explain: bool = keyed(False)  # the report says it (``explained``)
    images: ImageOptions | None = given()  # the shape (and labels) of a step on real images
    precision: Precision = Precision.FP32
    channels_last: bool = False  # the model and the input in torch.channels_last
    view: ViewOptions = shown()

    def __post_init__(self) -> None:
        if not isinstance(self.loss, LossKind):
            raise ArgumentError(f"loss must be a LossKind, not {type(self.loss).__name__}")
        if self.new_classes is not None:
            check_new_classes(self.new_classes)
        check_unfreeze_names(self.unfreeze)
        if self.unfreeze and self.new_classes is None:
            raise OptionError("--unfreeze goes with --new-classes (the freeze recipe)")
        check_image_loss(self.images, self.loss)
        if not isinstance(self.precision, Precision):
            raise ArgumentError(
                f"precision must be a Precision, not {type(self.precision).__name__}"
            )

    @property
    def recipe(self) -> FreezeOptions | None:
        if self.new_classes is None:
            return None
        return FreezeOptions(new_classes=self.new_classes, unfreeze=self.unfreeze)


def run_graph(request: GraphRequest) -> GraphReport:
    """Built on the meta device and walked from the loss's grad_fn. With a recipe, the graph
    shows what the tutorial calls exclusion from the DAG: only the trainable part's leaves
    remain, and the same graph with every parameter trainable is summarised beside it."""
    from resnet_inspect.assemble.graph import build_graph_report
    from resnet_inspect.capture import preflight
    from resnet_inspect.capture.freezing import freeze_backbone, replace_head
    from resnet_inspect.capture.graph import capture_graph
    from resnet_inspect.capture.precision import simulated_cpu
    from resnet_inspect.capture.structure import capture_structure

    recipe, loss, input_shape = request.recipe, request.loss, request.model.input_shape
    found = source(request.model)
    meta = found.meta()
    input_from = ""
    if request.images is not None:  # nothing is read: the batch's shape is what the graph needs
        batches, input_shape = image_input(found, meta, request.images, 1, 0, input_shape[1])
        input_from = f"{batches.batch} a step; {batches.preprocessing.described}"
    structure = capture_structure(checked_meta(found, input_shape, meta), input_shape)
    # The graph is of a train-mode forward, which BatchNorm must be able to take.
    preflight.check_batchnorm_batch(
        structure, shape_text(input_shape), from_images=request.images is not None
    )
    if not recipe:  # the recipe's new head trains whatever the model's flags say
        preflight.check_trains_something(structure, "graph")
    classes = request.new_classes or structure.num_classes
    explain, precision = request.explain, request.precision
    channels_last = request.channels_last
    with simulated_cpu(precision, channels_last) as make:  # fake CPU tensors, if needed
        full = make(found)()
        if recipe:
            replace_head(full, recipe.new_classes)
        unfrozen = capture_graph(
            full,
            input_shape,
            loss=loss,
            classes=classes,
            explain=explain and not recipe,
            precision=precision,
            channels_last=channels_last,
        )
        frozen = None
        if recipe:
            trained = make(found)()
            freeze_backbone(trained, recipe)
            frozen = capture_graph(
                trained,
                input_shape,
                loss=loss,
                classes=classes,
                explain=explain,
                precision=precision,
                channels_last=channels_last,
            )
    return build_graph_report(
        frozen or unfrozen,
        layout=structure.layout,
        model=found.info,
        input_shape=input_shape,
        loss_kind=loss.value,
        num_classes=classes,
        weights=found.weights,
        unfrozen=unfrozen if frozen else None,
        new_classes=request.new_classes,
        unfreeze=request.unfreeze,
        explained=explain,
        options=recorded(request),
        input_from=input_from,
        precision=precision.value,
        channels_last=channels_last,
    )


DotOption = Annotated[
    str,
    typer.Option(
        "--dot", help="Also write the graph as Graphviz DOT to this file.", metavar="FILE"
    ),
]


def from_command_line(
    ctx: typer.Context, dot: DotOption = "", explain: ExplainOption = False
) -> GraphRequest:
    """The autograd graph of one step's loss, folded by the model, and what freezing removes.

    Built on the meta device (no real compute at any input size) and walked from the loss's
    grad_fn through next_functions: node counts by type, the AccumulateGrad leaves and
    their parameters, the longest path, and the memory autograd saves for backward;
    --explain says under each node what it keeps, and why. --images gives the input's shape
    (and, for an ImageFolder, the cross-entropy loss) of train-step's step on those images.
    """
    from resnet_inspect.parsing import parse_precision

    model = model_choice(ctx)
    images = image_options(ctx)
    new_classes, unfreeze = recipe(ctx, model.arch)
    return GraphRequest(
        model=model,
        loss=image_loss(ctx),
        new_classes=new_classes,
        unfreeze=unfreeze,
        explain=explain,
        images=images,
        precision=parse_precision(ctx.params["precision"])[0],
        channels_last=ctx.params["channels_last"],
        view=view_options(ctx),
    )


def _cached(request: GraphRequest) -> bool:
    # The images' folder can change under the same paths: such a graph is never cached.
    return request.images is None


COMMAND = Command(
    name="graph",
    request=GraphRequest,
    report="resnet_inspect.report.graph:GraphReport",
    run=run_graph,
    view="resnet_inspect.views.graph:graph_view",
    short="resnet_inspect.views.graph:graph_short",
    cli=from_command_line,
    groups=(
        MODEL,
        RECIPE,
        OWN,
        LOSS,
        GRAPH_PRECISION,
        CHANNELS_LAST,
        IMAGE_DATA,
        DEPTH,
        OUTPUT,
        NO_CACHE,
    ),
    cached=_cached,
    files=(("--dot", "resnet_inspect.views.dot:graph_dot"),),
    example=("--input", "1,3,64,64"),
)
