"""The commands: each parses its options into its request (in pure Python, so a typo never
waits for torch), then hands the request to the library and the report to the views."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand

from resnet_inspect import __version__
from resnet_inspect.cli.parameters import (
    CHANNELS_LAST,
    DEPTH,
    GRAPH_PRECISION,
    IMAGE_DATA,
    IMAGE_MODEL,
    LAYER,
    LOSS,
    MODEL,
    MOMENTUM,
    NAMED_MODEL,
    NO_CACHE,
    OUTPUT,
    OWN,
    PLAN_OPTIMIZER,
    PLAN_PRECISION,
    PREPARATION,
    RECIPE,
    SEED,
    STEP,
    TIMINGS,
    image_loss,
    image_options,
    model_choice,
    optimizer,
    options,
    preparation,
    recipe,
    step_options,
    view_options,
)
from resnet_inspect.cli.process import PROG, OneLineErrors, load_torch

if TYPE_CHECKING:
    from resnet_inspect.views.options import ViewOptions

app = typer.Typer(
    cls=OneLineErrors,
    name=PROG,
    help="See what a ResNet is (torchvision's, timm's ResNet family, or your own) and what "
    "training steps do to it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # click's plain help: typer's rich help imports rich.markdown and rich.traceback
    # (130 ms), which would make --help take 3x as long as importing typer and rich.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"{PROG} {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """See what a ResNet is (torchvision's, timm's ResNet family, or your own) and what training
    steps do to it."""


def deliver(request: Any, *, no_cache: bool = False) -> None:
    """The report the request asks for, shown as its view options say: from the cache when
    it holds it (torch is then never imported), else computed (and stored, when the
    command's reports are pure functions of their request)."""
    from resnet_inspect import cache

    key = None if no_cache else cache.request_key(request)
    report = cache.load(key) if key is not None else None
    if report is None:
        load_torch()
        from resnet_inspect.api import run

        report = run(request)
        if key is not None:
            cache.store(key, report)
    _show(report, request.view)


def _show(report: Any, view: ViewOptions) -> None:
    from resnet_inspect import commands
    from resnet_inspect.views.output import show

    show(report, commands.for_report(report), view)


ExplainOption = Annotated[
    bool,
    typer.Option(
        "--explain",
        help="Under each layer, the arithmetic behind its numbers, with its own numbers "
        "(output size, parameters, MACs; in graph, what each backward node keeps).",
    ),
]


@app.command()
@options(MODEL, OWN, DEPTH, OUTPUT, NO_CACHE)
def tree(ctx: typer.Context, explain: ExplainOption = False) -> None:
    """Stem, stages, blocks and head: every layer call with shapes, parameters and MACs.

    Shapes and FLOPs come from one forward pass on the meta device: nothing is allocated,
    so any input size on any architecture answers about as fast as the smallest. --explain
    writes under each layer the arithmetic behind its numbers.
    """
    from resnet_inspect.commands.tree import TreeRequest

    model, view = model_choice(ctx), view_options(ctx)
    deliver(TreeRequest(model=model, explain=explain, view=view), no_cache=ctx.params["no_cache"])


@app.command("train-step")
@options(MODEL, STEP, IMAGE_DATA, DEPTH, OUTPUT, TIMINGS)
def train_step(ctx: typer.Context) -> None:
    """One real CPU step: forward, backward, SGD; gradient norms and update sizes everywhere.

    Does what the autograd tutorial does, in train mode: a seeded random input and labels,
    prediction = model(data), loss, loss.backward(), SGD(lr, momentum).step(); then shows, per
    parameter and summed per layer, block and stage, the gradient norm, the update ‖Δθ‖ and
    the relative update ‖Δθ‖/‖θ‖, with log-scale bars, each ReLU call's share of zeros, and
    flags for what looks wrong (updates far from ~1e-3, non-finite values, dead ReLUs, weight
    decay on BatchNorm, BatchNorm on too few values). --steps N repeats the step on the same
    batch; --images takes real images instead, a batch a step.
    """
    from resnet_inspect.commands.train_step import TrainStepRequest

    model = model_choice(ctx)
    step, view = step_options(ctx, model.arch), view_options(ctx)
    images = image_options(ctx)
    seed = ctx.params["seed"]
    deliver(TrainStepRequest(model=model, seed=seed, step=step, images=images, view=view))


BnEvalOption = Annotated[
    bool,
    typer.Option(
        "--bn-eval",
        help="Put the frozen part's BatchNorm layers in eval mode so their running "
        "statistics stop moving.",
    ),
]


@app.command()
@options(RECIPE, OWN, MODEL, STEP, IMAGE_DATA, DEPTH, OUTPUT, TIMINGS)
def freeze(ctx: typer.Context, bn_eval: BnEvalOption = False) -> None:
    """Freeze the backbone, put a new head on it, and prove with one step that only it moves.

    The tutorial's recipe: every parameter requires_grad=False, fc replaced by a new
    Linear(in_features, N), SGD over all parameters. Shows what is trainable, frozen or
    partly frozen, then takes one real step: frozen parameters get no gradient and keep
    every bit, trainable ones change, and the BatchNorm buffers that moved anyway are listed.
    """
    from resnet_inspect.commands.freeze import FreezeRequest
    from resnet_inspect.config import FreezeOptions
    from resnet_inspect.errors import OptionError

    model = model_choice(ctx)
    new_classes, unfreeze = recipe(ctx, model.arch)
    if new_classes is None:
        raise OptionError("freeze needs --new-classes N: the new head's classes (e.g. 10)")
    chosen = FreezeOptions(new_classes=new_classes, unfreeze=unfreeze, bn_eval=bn_eval)
    step, view, images = step_options(ctx, model.arch), view_options(ctx), image_options(ctx)
    seed = ctx.params["seed"]
    request = FreezeRequest(
        model=model, seed=seed, step=step, recipe=chosen, images=images, view=view
    )
    deliver(request)


DotOption = Annotated[
    str,
    typer.Option(
        "--dot", help="Also write the graph as Graphviz DOT to this file.", metavar="FILE"
    ),
]


@app.command()
@options(
    MODEL, RECIPE, OWN, LOSS, GRAPH_PRECISION, CHANNELS_LAST, IMAGE_DATA, DEPTH, OUTPUT, NO_CACHE
)
def graph(
    ctx: typer.Context,
    dot: DotOption = "",
    explain: ExplainOption = False,
) -> None:
    """The autograd graph of one step's loss, folded by the model, and what freezing removes.

    Built on the meta device (no real compute at any input size) and walked from the loss's
    grad_fn through next_functions: node counts by type, the AccumulateGrad leaves and
    their parameters, the longest path, and the memory autograd saves for backward;
    --explain says under each node what it keeps, and why. --images gives the input's shape
    (and, for an ImageFolder, the cross-entropy loss) of train-step's step on those images.
    """
    from resnet_inspect.commands.graph import GraphRequest
    from resnet_inspect.parsing import parse_precision

    model = model_choice(ctx)
    images = image_options(ctx)
    new_classes, unfreeze = recipe(ctx, model.arch)
    request = GraphRequest(
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
    # The images' folder can change under the same paths: such a graph is never cached.
    deliver(request, no_cache=ctx.params["no_cache"] or images is not None)


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


class _BareVerify(TyperCommand):
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


@app.command(cls=_BareVerify)
@options(
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
)
def plan(
    ctx: typer.Context,
    memory: MemoryOption = "",
    checkpoint: PlanCheckpointOption = False,
    breakdown: BreakdownOption = False,
    verify: VerifyOption = "",
) -> None:
    """How deep to fine-tune: what each depth trains, computes and keeps, and what batch fits.

    One row per depth: the new head only, then each stage down to the stem (+ layer4 trains
    layer4 and the head, + layer3 also layer3, ...), then everything; and a row for
    --unfreeze when given. Per row: trainable parameters, gradient and optimizer-state
    memory, what autograd saves for backward, backward FLOPs, and the peak memory of one
    training step at --input; with --memory, the largest batch whose step fits. Each step is
    simulated on the meta device (nothing is allocated); --verify then runs real steps of the
    rows it names, each in a fresh process, and prints the measured memory beside the estimate.
    """
    from resnet_inspect.commands.plan import PlanRequest
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
    request = PlanRequest(
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
    # Real steps measure this machine now: such a report is never cached.
    deliver(request, no_cache=ctx.params["no_cache"] or bool(request.verify))


_SIDE_HELP = (
    "A checkpoint file, a torchvision weights name of --arch (DEFAULT, IMAGENET1K_V1, …), "
    "or init:SEED (the random initialisation under that seed)."
)
ASide = Annotated[str, typer.Argument(help=_SIDE_HELP, metavar="A", show_default=False)]
BSide = Annotated[str, typer.Argument(help=_SIDE_HELP, metavar="B", show_default=False)]


class _PlainUsage(TyperCommand):
    """Arguments in the usage line as their help names them (``A B``): typer would write
    every required argument in braces, ``{A} {B}``, which reads as a set to choose from."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar or ""]
        pieces += [
            str(p.metavar or p.name).upper() for p in self.params if p.param_type_name == "argument"
        ]
        return [piece for piece in pieces if piece]


@app.command("diff", cls=_PlainUsage)
@options(OWN, NAMED_MODEL, DEPTH, OUTPUT)
def diff_command(ctx: typer.Context, a: ASide, b: BSide) -> None:
    """What changed between two checkpoints, layer by layer, with a verdict.

    Every tensor of A and B is compared in float64: same shape and dtype, bit-identical or
    not, ‖B − A‖, ‖B − A‖/‖A‖, max |B − A|; each layer, block and stage takes its tensors
    together, with a bar on a log scale. The verdict answers the questions after a
    fine-tune: did the backbone stay bit-identical (which stages moved), did BatchNorm's
    running statistics drift (and how many train-mode passes they saw), was the head
    replaced or trained, did the dtype change. The model is --arch or --model, or what A
    says it is. Files are read with weights_only=True: nothing in them runs.
    """
    from resnet_inspect.commands.diff import DiffRequest

    model = model_choice(ctx, named_only=True)
    deliver(DiffRequest(a=a, b=b, model=model, view=view_options(ctx)))


SamplesOption = Annotated[
    int,
    typer.Option(
        "--samples",
        help="Random inputs to average the gradient over (torch.rand under --seed).",
        metavar="N",
    ),
]
ImageOption = Annotated[
    list[str] | None,
    typer.Option(
        "--images",
        "--image",
        help="Image files or folders to measure on instead of random inputs (repeat for "
        "several): each prepared as the weights prepare theirs (the one image pipeline, as "
        "cam and predict do; --resize/--crop/--mean/--std change a step), one sample each.",
        metavar="PATH",
        show_default=False,
    ),
]
ErfPngOption = Annotated[
    str,
    typer.Option(
        "--save-png",
        help="Also save the heatmap as a PNG, the theoretical field outlined.",
        metavar="FILE",
        show_default=False,
    ),
]
CamPngOption = Annotated[
    str,
    typer.Option(
        "--save-png",
        help="Also save the maps as a PNG: each layer's map over the image as the model saw "
        "it, side by side (with --maps, each layer's strongest channels under them).",
        metavar="FILE",
        show_default=False,
    ),
]


@app.command()
@options(MODEL, LAYER, OWN, (SEED,), PREPARATION, OUTPUT)
def erf(
    ctx: typer.Context,
    samples: SamplesOption = 16,
    images: ImageOption = None,
    save_png: ErfPngOption = "",
) -> None:
    """The effective receptive field: how much each input pixel moves one unit, measured.

    The gradient of the centre unit of a row's output (summed over its channels) with
    respect to the input, in absolute value, averaged over --samples random inputs or over
    --image files, in eval mode; drawn as a heatmap with the theoretical field outlined,
    with the radii that hold 50% and 90% of it (Luo et al., NeurIPS 2016).
    """
    from resnet_inspect.commands.erf import ErfRequest

    request = ErfRequest(
        model=model_choice(ctx),
        layer=ctx.params["layer"].strip(),
        samples=samples,
        seed=ctx.params["seed"],
        images=tuple(images or ()),
        preparation=preparation(ctx),
        view=view_options(ctx),
    )
    deliver(request)


ImageArgument = Annotated[
    str,
    typer.Argument(
        help="The image file, or a folder of them (an ImageFolder's class folders give "
        "per-class summaries), each prepared as the weights prepare theirs (the one image "
        "pipeline: torchvision's transforms(), timm's data config; --resize/--crop/--mean/"
        "--std change a step), turned upright by its EXIF orientation.",
        metavar="IMAGE",
        show_default=False,
    ),
]
ClassOption = Annotated[
    str,
    typer.Option(
        "--class",
        help="The class to explain: an index, or a name the weights (or --labels) give. "
        "Default: the top class.",
        metavar="NAME|INDEX",
        show_default=False,
    ),
]
MapsOption = Annotated[
    int,
    typer.Option(
        "--maps",
        help="Also show each layer's N strongest channels (largest mean activation) as a "
        "mosaic of their activation maps, each scaled to its own largest. 0: none.",
        metavar="N",
    ),
]
TrustOption = Annotated[
    bool,
    typer.Option(
        "--trust",
        help="Also check whether the map can be trusted: cascading randomisation of the "
        "model from the head down (Spearman and SSIM against the trained map), the map of a "
        "random other class, and deletion/insertion curves against a random and a centred "
        "map (over a folder: means with 95% bootstrap intervals).",
    ),
]
SaveDirOption = Annotated[
    str,
    typer.Option(
        "--save-dir",
        help="Also save each image's maps over it as a PNG in this folder, at the image's "
        "place under IMAGE (cats/001.jpg -> DIR/cats/001.png), as each is made.",
        metavar="DIR",
        show_default=False,
    ),
]
LabelsOption = Annotated[
    str,
    typer.Option(
        "--labels",
        help="A text file of class names, one a line, in class order.",
        metavar="FILE",
        show_default=False,
    ),
]


@app.command(cls=_PlainUsage)
@options(OWN, IMAGE_MODEL, LAYER, (SEED,), PREPARATION, OUTPUT)
def cam(
    ctx: typer.Context,
    image: ImageArgument,
    target: ClassOption = "",
    labels: LabelsOption = "",
    maps: MapsOption = 0,
    trust: TrustOption = False,
    save_dir: SaveDirOption = "",
    save_png: CamPngOption = "",
) -> None:
    """What the model predicts for an image, and where it looks: Grad-CAM over the image.

    The top 5 classes (softmax of the scores, named where the weights or --labels name
    them), then for one class (the top one, or --class) the Grad-CAM map of a layer
    (Selvaraju et al. 2017), drawn over the image as the model saw it; --layer all draws
    one per stage, side by side, so the maps can be seen to sharpen with depth. --maps N
    adds each layer's N strongest channels' activation maps, a mosaic (in the PNG too).
    A folder is streamed a few images at a time: a table per class and the mean map.
    --trust asks whether the map shows what the model learned.
    """
    from resnet_inspect.commands.cam import CamRequest

    request = CamRequest(
        image=image,
        model=model_choice(ctx),
        preparation=preparation(ctx),
        target=target.strip(),
        layer=ctx.params["layer"].strip(),
        labels=labels,
        seed=ctx.params["seed"],
        maps=maps,
        trust=trust,
        save_dir=save_dir,
        view=view_options(ctx),
    )
    deliver(request)


ImagesArgument = Annotated[
    list[str],
    typer.Argument(
        help="Image files, or folders of them (a folder of class folders: each image's "
        "folder is shown as its class).",
        metavar="IMAGES...",
        show_default=False,
    ),
]
TopOption = Annotated[int, typer.Option("--top", help="Classes shown per image.", metavar="K")]


@app.command(cls=_PlainUsage)
@options(OWN, IMAGE_MODEL, (SEED,), PREPARATION, OUTPUT)
def predict(
    ctx: typer.Context, images: ImagesArgument, top: TopOption = 5, labels: LabelsOption = ""
) -> None:
    """What the model says each image shows: its most probable classes.

    Each image is prepared as the weights prepare theirs (torchvision's transforms(), timm's
    data config; --resize/--crop/--mean/--std otherwise), then one eval-mode forward; the
    probabilities are the softmax of the scores, named by the weights, a Hub repository's
    config.json or --labels.
    """
    from resnet_inspect.commands.predict import PredictRequest

    options = image_options(ctx)
    assert options is not None  # the argument is required
    request = PredictRequest(
        images=options,
        model=model_choice(ctx),
        top=top,
        labels=labels,
        seed=ctx.params["seed"],
        view=view_options(ctx),
    )
    deliver(request)


cache_app = typer.Typer(
    name="cache",
    help="The report cache of tree, graph and plan: info | clear.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(cache_app)


@cache_app.command("info")
def cache_info() -> None:
    """Where the cache is, how many reports it holds and their size."""
    from resnet_inspect import cache
    from resnet_inspect.quantities import binary_bytes

    found = cache.info()
    state = "on" if cache.enabled() else f"off ({cache.SWITCH_ENV}=0)"
    typer.echo(f"folder   {found.folder}")
    typer.echo(f"entries  {found.entries}")
    typer.echo(f"size     {binary_bytes(found.bytes)} (at most {binary_bytes(cache.LIMIT_BYTES)})")
    typer.echo(f"cache    {state}")


@cache_app.command("clear")
def cache_clear() -> None:
    """Remove every cached report."""
    from resnet_inspect import cache

    removed = cache.clear()
    typer.echo(
        f"removed {removed} cached report{'s' if removed != 1 else ''} from {cache.folder()}"
    )
