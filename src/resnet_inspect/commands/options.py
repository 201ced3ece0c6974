"""The options commands share, declared once, and the values a command builds from them.

Options shared by several commands come in groups (the model, the step, the view, …). A
command's CLI function declares only its own parameters; its registry entry names the
groups it takes, ``with_groups`` adds them to the signature typer reads, and the builders
below read them back from the parsed command line. Pure Python: parsing is imported when a
command runs, never for ``--help``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, get_type_hints

import typer
from typer.core import TyperCommand

if TYPE_CHECKING:
    from resnet_inspect.config import ImageOptions, LossKind, ModelChoice, Preparation, StepOptions
    from resnet_inspect.views.options import ViewOptions

DEFAULT_INPUT = "1,3,64,64"


@dataclass(frozen=True)
class Shared:
    """One option of a group: the parameter's name, its typer declaration and default."""

    name: str
    declared: Any
    default: Any

    def parameter(self) -> inspect.Parameter:
        return inspect.Parameter(
            self.name,
            inspect.Parameter.KEYWORD_ONLY,
            default=self.default,
            annotation=self.declared,
        )


def _option(name: str, default: Any, kind: type, *declaration: str, **settings: Any) -> Shared:
    if kind is not bool:  # what the value is, in --help: --lr LR, not --lr <str>
        settings.setdefault("metavar", name.upper())
    return Shared(name, Annotated[kind, typer.Option(*declaration, **settings)], default)


def complete_arch(incomplete: str) -> list[str]:
    """Shell completion of --arch: torchvision's names and ``timm:``; after ``timm:``, the
    ResNet-family names timm registers (that imports timm, and torch: seconds, once)."""
    from resnet_inspect.anatomy import ARCHITECTURES

    if not incomplete.startswith("timm:"):
        return [name for name in (*ARCHITECTURES, "timm:") if name.startswith(incomplete)]
    import importlib.util

    if importlib.util.find_spec("timm") is None:
        return []
    import timm

    modules = ("resnet", "resnetv2", "senet", "sknet", "res2net", "resnest")
    names = sorted({name for module in modules for name in timm.list_models(module=module)})
    return [f"timm:{name}" for name in names if f"timm:{name}".startswith(incomplete)]


_ARCHS = (
    "A torchvision ResNet: resnet18/34/50/101/152, resnext50_32x4d, resnext101_32x8d, "
    "resnext101_64x4d, wide_resnet50_2, wide_resnet101_2; or timm:NAME, a model of timm's "
    "ResNet family (timm:resnet50d, timm:seresnext26d_32x4d, timm:resnetv2_50; needs "
    "pip install 'resnet-inspect[timm]')."
)


def _arch(default: str) -> Shared:
    return _option(
        "arch",
        "",
        str,
        "--arch",
        autocompletion=complete_arch,
        help=f"{_ARCHS} Default: {default}.",
        show_default=False,
    )


def _model_spec(unlike: str) -> Shared:
    return _option(
        "model_spec",
        "",
        str,
        "--model",
        help="Your own model: FILE.py:NAME or package.module:NAME, where NAME is an nn.Module "
        "or a function (or class) that takes no arguments and returns one. This IMPORTS AND "
        f"RUNS that code (unlike {unlike}, which never runs code). Not with --arch.",
        metavar="SPEC",
        show_default=False,
    )


ARCH = _arch("resnet18, unless --model is given or --weights FILE says what it is")
MODEL_SPEC = _model_spec("--weights")
# diff's own: its checkpoints are A and B, and it has no --weights.
DIFF_ARCH = _arch("what A (or else B) says it is, unless --model is given")
DIFF_MODEL_SPEC = _model_spec("reading A and B")
INPUT = _option(
    "input",
    DEFAULT_INPUT,
    str,
    "--input",
    help="Input shape B,C,H,W. C is 3 for --arch; another model's C must match its first conv.",
    metavar="B,C,H,W",
)
WEIGHTS = _option(
    "weights",
    "none",
    str,
    "--weights",
    metavar="W",
    help="none (random init), a torchvision weights name (DEFAULT, IMAGENET1K_V1, "
    "IMAGENET1K_V2), a checkpoint file (.pth/.pt/.bin/.safetensors; alone, its architecture is "
    "inferred), or hf:OWNER/NAME (a repository of the local Hugging Face cache; nothing is "
    "downloaded).",
)
SEED = _option("seed", 0, int, "--seed", help="Seed of the weights, input and labels.")
LR = _option("lr", "0.01", str, "--lr", help="Learning rate (> 0).")
MOMENTUM = _option("momentum", "0.9", str, "--momentum", help="SGD momentum, in [0, 1).")
WEIGHT_DECAY = _option(
    "weight_decay",
    "0",
    str,
    "--weight-decay",
    metavar="WD",
    help="Weight decay (≥ 0); decoupled under adamw.",
)
NESTEROV = _option("nesterov", False, bool, "--nesterov", help="Nesterov momentum.")
OPTIMIZER = _option(
    "optimizer",
    "sgd",
    str,
    "--optimizer",
    help="sgd (the tutorial's, with --momentum and --nesterov), adam or adamw (their betas "
    "0.9, 0.999 and eps 1e-8).",
)
PLAN_OPTIMIZER = _option(
    "optimizer",
    "sgd",
    str,
    "--optimizer",
    help="Whose state each row counts: sgd (the tutorial's: a momentum buffer per trainable "
    "parameter, none at --momentum 0), adam or adamw (two moments per trainable parameter "
    "and a step count per tensor).",
)
LOSS = _option(
    "loss",
    "sum",
    str,
    "--loss",
    metavar="KIND",
    help="sum: the tutorial's (prediction - labels).sum(); cross-entropy; mse.",
)
STEPS = _option(
    "steps",
    "1",
    str,
    "--steps",
    help="Real steps on the same seeded batch (momentum shows from the second); the table "
    "shows the last step's norms and ‖θN − θ0‖ over all of them.",
)
PRECISION = _option(
    "precision",
    "fp32",
    str,
    "--precision",
    help="fp32, or mixed precision as training scripts use it: bf16 or fp16 (also bfloat16, "
    "float16) run the forward and the loss under torch.autocast on the CPU with float32 "
    "master parameters; fp16 steps go through torch.amp.GradScaler.",
    metavar="P",
)
PLAN_PRECISION = _option(
    "precision",
    "fp32",
    str,
    "--precision",
    help="fp32, bf16 or fp16 (also bfloat16, float16): every row's step under that "
    "precision, mixed precision simulated on the meta device with the casts torch.autocast "
    "was seen to make; all: each row under each, side by side.",
    metavar="P",
)
GRAPH_PRECISION = _option(
    "precision",
    "fp32",
    str,
    "--precision",
    help="fp32, bf16 or fp16 (also bfloat16, float16): the graph of a mixed-precision "
    "forward under torch.autocast, simulated on data-less CPU tensors; saved tensors in their "
    "real dtypes.",
    metavar="P",
)
CHANNELS_LAST = _option(
    "channels_last",
    False,
    bool,
    "--channels-last",
    help="The model and the input in torch.channels_last (NHWC): train-step and freeze say "
    "which calls kept it and where one turned it back (a copy); graph and plan count what "
    "such a step saves and keeps.",
)
CHECKPOINT = _option(
    "checkpoint",
    "",
    str,
    "--checkpoint",
    help="Stages to recompute in backward (activation checkpointing, torch.utils.checkpoint "
    "non-reentrant), e.g. layer3,layer4: each keeps only its input in the forward. Loss, "
    "gradients and updates equal the step without it.",
    metavar="STAGES",
)
DEPTH = _option(
    "depth", "layer", str, "--depth", help="How far to unfold: stage, block or layer.", metavar="D"
)
LANG = _option("lang", "en", str, "--lang", help="Annotation language: en or zh.")
JSON = _option(
    "json", False, bool, "--json", help="Print the report as JSON on stdout instead of a tree."
)
ASCII = _option(
    "ascii_only",
    False,
    bool,
    "--ascii",
    help="Plain ASCII: no box drawing, arrows or Greek letters.",
)
WIDTH = _option(
    "width", 120, int, "--width", help="Columns of the saved SVG/HTML/text recordings.", metavar="N"
)
SAVE_SVG = _option(
    "save_svg", "", str, "--save-svg", help="Also save the view as SVG.", metavar="FILE"
)
SAVE_HTML = _option(
    "save_html", "", str, "--save-html", help="Also save the view as HTML.", metavar="FILE"
)
SAVE_TEXT = _option(
    "save_text", "", str, "--save-text", help="Also save the view as plain text.", metavar="FILE"
)
NO_CACHE = _option(
    "no_cache",
    False,
    bool,
    "--no-cache",
    help="Compute the report even if it is cached (and do not store it). The cache never "
    "changes an answer; RESNET_INSPECT_CACHE=0 turns it off for good.",
)
TIMINGS = _option(
    "timings",
    False,
    bool,
    "--timings",
    help="With --json, include wall-clock times (then two runs no longer give the same bytes).",
)


IMAGES = _option(
    "images",
    [],
    list[str],
    "--images",
    help="Real images as the steps' input instead of random noise: a file, or a folder "
    "(repeat for several). A folder of class folders (ImageFolder: root/cat/*.jpg) also gives "
    "the labels, and the loss is then cross-entropy. Prepared by the weights' own transforms.",
    metavar="PATH",
    show_default=False,
)
BATCH = _option(
    "batch",
    "",
    str,
    "--batch",
    help="Images a step (default: all of them, at most 8). Replaces --input.",
    metavar="B",
    show_default=False,
)
SHUFFLE = _option(
    "shuffle", False, bool, "--shuffle", help="Take the images in an order drawn from --seed."
)
RESIZE = _option(
    "resize",
    "",
    str,
    "--resize",
    help="Resize the images' shorter side to this (default: the weights' own, else 256).",
    metavar="N",
    show_default=False,
)
CROP = _option(
    "crop",
    "",
    str,
    "--crop",
    help="Centre crop: N or H,W (default: the weights' own, else 224). The input's H and W.",
    metavar="N",
    show_default=False,
)
MEAN = _option(
    "mean",
    "",
    str,
    "--mean",
    help="Normalise by this mean, one value per channel (with --std; default: the weights').",
    metavar="M",
    show_default=False,
)
STD = _option(
    "std",
    "",
    str,
    "--std",
    help="Normalise by this standard deviation, one value per channel (with --mean).",
    metavar="S",
    show_default=False,
)


NEW_CLASSES = _option(
    "new_classes",
    "",
    str,
    "--new-classes",
    help="The fine-tuning recipe: a new head of N classes replaces the classifier (the "
    "tutorial uses 10). freeze and plan need it; graph with it draws the recipe's graph beside "
    "the full one.",
    metavar="N",
    show_default=False,
)
UNFREEZE = _option(
    "unfreeze",
    "",
    str,
    "--unfreeze",
    help="With --new-classes: stages, blocks or layers kept trainable, comma-separated, e.g. "
    "layer4 or layer4,layer3.1,layer2.0.bn1.",
    metavar="NAMES",
)
LAYER = _option(
    "layer",
    "",
    str,
    "--layer",
    help="The row to look at: a stage (layer3), a block (layer3.1) or a layer "
    "(layer3.1.conv2); erf takes NAME:N for a module's N-th call (a block's ReLU runs twice); "
    "cam also takes all (every stage, side by side). Default: the last stage.",
    metavar="NAME",
    show_default=False,
)


# The groups, in the order --help lists them.
MODEL = (ARCH, MODEL_SPEC, INPUT, WEIGHTS)
# cam and predict: the input is the image as the one image pipeline prepares it
IMAGE_MODEL = (ARCH, MODEL_SPEC, WEIGHTS)
NAMED_MODEL = (DIFF_ARCH, DIFF_MODEL_SPEC)  # diff: the model alone, its weights are A and B
STEP = (
    SEED,
    LR,
    MOMENTUM,
    WEIGHT_DECAY,
    NESTEROV,
    OPTIMIZER,
    LOSS,
    STEPS,
    PRECISION,
    CHANNELS_LAST,
    CHECKPOINT,
)
OUTPUT = (LANG, JSON, ASCII, WIDTH, SAVE_SVG, SAVE_HTML, SAVE_TEXT)
IMAGE_DATA = (IMAGES, BATCH, SHUFFLE, RESIZE, CROP, MEAN, STD)
RECIPE = (NEW_CLASSES, UNFREEZE)  # freeze, graph and plan: the fine-tuning recipe
PREPARATION = (RESIZE, CROP, MEAN, STD)  # predict's: its images are its argument
OWN = ...  # where the command's own parameters go among its groups

# Own parameters that two commands declare alike.
ExplainOption = Annotated[
    bool,
    typer.Option(
        "--explain",
        help="Under each layer, the arithmetic behind its numbers, with its own numbers "
        "(output size, parameters, MACs; in graph, what each backward node keeps).",
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


class PlainUsage(TyperCommand):
    """Arguments in the usage line as their help names them (``A B``): typer would write
    every required argument in braces, ``{A} {B}``, which reads as a set to choose from."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar or ""]
        pieces += [
            str(p.metavar or p.name).upper() for p in self.params if p.param_type_name == "argument"
        ]
        return [piece for piece in pieces if piece]


# The recordings every command can save; a command's own files are in its registry entry.
RECORDINGS = ("--save-svg", "--save-html", "--save-text")


def with_groups(
    build: Callable[..., Any], layout: tuple[Any, ...], then: Callable[[typer.Context, Any], None]
) -> Callable[..., None]:
    """The function typer registers for a command: the command's own parameters (``build``'s)
    and the option groups it takes (``layout``, with ``OWN`` where its own go) in one
    signature. It builds the request with ``build`` (the groups' values are read from
    ``ctx.params`` by the builders below) and hands it to ``then``."""
    hints = get_type_hints(build, include_extras=True)
    # Keyword-only, so that they can stand anywhere among the groups' options.
    own = [
        parameter.replace(annotation=hints[name], kind=inspect.Parameter.KEYWORD_ONLY)
        for name, parameter in inspect.signature(build).parameters.items()
        if name != "ctx"
    ]
    names = [parameter.name for parameter in own]
    context = inspect.Parameter(
        "ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context
    )
    listed: list[inspect.Parameter] = []
    for item in layout:
        if item is OWN:
            listed += own
        else:
            group = (item,) if isinstance(item, Shared) else item
            listed += [shared.parameter() for shared in group]

    def run(ctx: typer.Context, **given: Any) -> None:
        then(ctx, build(ctx, **{name: given[name] for name in names}))

    run.__name__ = build.__name__
    run.__doc__ = _reflowed(build.__doc__ or "")
    run.__signature__ = inspect.Signature([context, *listed])  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in [context, *listed]}
    return run


def _reflowed(docstring: str) -> str:
    """Each paragraph of a command's docstring in one line, so that ``--help`` wraps it at
    the terminal's width (typer keeps the single line breaks of a wrapped docstring)."""
    text = inspect.cleandoc(docstring)
    return "\n\n".join(" ".join(p.split()) for p in text.split("\n\n"))


def model_choice(ctx: typer.Context, *, named_only: bool = False) -> ModelChoice:
    """The model the options name, checked in pure Python: ``--model``, or ``--arch``, or
    what a ``--weights`` file says it is, or resnet18. Only a torchvision architecture's
    input channels are known before torch loads. ``named_only`` (diff): the model is
    ``--arch`` or ``--model`` when given, and otherwise what A says it is."""
    from resnet_inspect.config import ModelChoice, WeightsKind
    from resnet_inspect.inputs import hub_input_size
    from resnet_inspect.parsing import choose_model, is_timm, parse_input_shape

    params = ctx.params
    arch, spec = params["arch"], params["model_spec"]
    if named_only:
        if not (arch or spec):
            return ModelChoice(arch=None, input_shape=(1, 3, 64, 64))
        name, _, model = choose_model(arch, "none", spec)
        return ModelChoice(arch=name, input_shape=(1, 3, 64, 64), spec=model)
    name, weights, model = choose_model(arch, params["weights"], spec)
    timm = is_timm(name)
    shape = parse_input_shape(
        params.get("input", DEFAULT_INPUT), stock=name is not None and not timm
    )
    hub = weights.kind is WeightsKind.HUB
    if hub and not _typed(ctx, "input") and (size := hub_input_size(weights.name)):
        shape = (1, *size)  # the repository's own pretrained_cfg, as timm reads it
    elif timm and not _typed(ctx, "input"):
        # timm's models say what they take (pretrained_cfg["input_size"]): known only with
        # timm imported, which brings torch; the model is needed next anyway.
        from resnet_inspect.commands.found import default_input
        from resnet_inspect.commands.loading import load_torch

        load_torch()

        shape = default_input(str(name))
    return ModelChoice(arch=name, input_shape=shape, weights=weights, spec=model)


def step_options(ctx: typer.Context, arch: str | None) -> StepOptions:
    """The optimizer, loss and steps of the commands that take a real step (``arch``: the
    chosen torchvision architecture, whose stages ``--checkpoint`` is checked against)."""
    from resnet_inspect.config import StepOptions, check_seed
    from resnet_inspect.parsing import (
        parse_checkpoint,
        parse_lr,
        parse_momentum,
        parse_precision,
        parse_steps,
        parse_weight_decay,
    )

    params = ctx.params
    check_seed(params["seed"])
    loss = image_loss(ctx)
    return StepOptions(
        optimizer=optimizer(ctx),
        lr=parse_lr(params["lr"]),
        momentum=parse_momentum(params["momentum"]),
        weight_decay=parse_weight_decay(params["weight_decay"]),
        nesterov=params["nesterov"],
        loss=loss,
        steps=parse_steps(params["steps"]),
        precision=parse_precision(params["precision"])[0],
        channels_last=params["channels_last"],
        checkpoint=(
            parse_checkpoint(params["checkpoint"], arch)
            if params["checkpoint"] or _typed(ctx, "checkpoint")
            else ()
        ),
    )


def _typed(ctx: typer.Context, name: str) -> bool:
    """The option was given (on the command line or in the environment), not defaulted."""
    if name not in ctx.params:
        return False
    source = ctx.get_parameter_source(name)
    return source is not None and source.name != "DEFAULT"


def recipe(ctx: typer.Context, arch: str | None) -> tuple[int | None, tuple[str, ...]]:
    """``--new-classes`` (None where not given) and ``--unfreeze``'s names, checked against
    a torchvision architecture's stages before torch loads."""
    from resnet_inspect.parsing import parse_new_classes, parse_unfreeze

    text = ctx.params["new_classes"]
    classes = parse_new_classes(text) if text else None
    return classes, parse_unfreeze(ctx.params["unfreeze"], arch)


def _no_input_beside_images(ctx: typer.Context, instead: str) -> None:
    """With images, the input is the images as prepared: a typed --input is refused."""
    from resnet_inspect.errors import OptionError

    if ctx.params.get("images") and _typed(ctx, "input"):
        raise OptionError(f"--input: the input is the images as prepared; set {instead} instead")


def preparation(ctx: typer.Context) -> Preparation:
    """``--resize/--crop/--mean/--std`` of a command whose images are its argument (cam,
    predict) or an option beside random inputs (erf); with ``--images``, ``--input`` is
    refused (the input is the images as prepared)."""
    from resnet_inspect.parsing import parse_preparation

    params = ctx.params
    _no_input_beside_images(ctx, "--crop")
    return parse_preparation(
        resize=params["resize"], crop=params["crop"], mean=params["mean"], std=params["std"]
    )


def image_loss(ctx: typer.Context) -> LossKind:
    """``--loss``; cross-entropy where it was not typed and ``--images`` is an ImageFolder
    (its labels are class indices)."""
    from resnet_inspect.config import LossKind
    from resnet_inspect.parsing import parse_loss

    loss = parse_loss(ctx.params["loss"])
    source = ctx.get_parameter_source("loss")
    if labelled_images(ctx) and (source is None or source.name == "DEFAULT"):
        return LossKind.CROSS_ENTROPY
    return loss


def labelled_images(ctx: typer.Context) -> bool:
    from resnet_inspect.imagesets import find_images

    paths = ctx.params.get("images") or []
    return bool(paths) and find_images(paths).labelled


def image_options(ctx: typer.Context) -> ImageOptions | None:
    """``--images`` and the options that prepare them; ``--input`` is refused beside them
    (the images' batch and crop are the input)."""
    from resnet_inspect.parsing import parse_images

    params = ctx.params
    _no_input_beside_images(ctx, "--batch and --crop" if "batch" in params else "--crop")
    return parse_images(
        params.get("images") or [],
        batch=params.get("batch", ""),
        shuffle=params.get("shuffle", False),
        resize=params["resize"],
        crop=params["crop"],
        mean=params["mean"],
        std=params["std"],
        option=declared(ctx, "images"),
    )


def optimizer(ctx: typer.Context) -> Any:
    """``--optimizer``, refusing a ``--momentum`` typed for an optimizer that has none (the
    default momentum is SGD's, and no error when it was not typed)."""
    from resnet_inspect.config import OptimizerKind
    from resnet_inspect.errors import OptionError
    from resnet_inspect.parsing import parse_optimizer

    kind = parse_optimizer(ctx.params["optimizer"])
    source = ctx.get_parameter_source("momentum")  # typed, or the default?
    typed = source is not None and source.name != "DEFAULT"
    if kind is not OptimizerKind.SGD and typed:
        raise OptionError(f"--momentum is SGD's; --optimizer {kind.value} has none")
    return kind


def declared(ctx: typer.Context, name: str) -> str:
    """How the command names one of its parameters: ``--images``, or ``IMAGE`` for an
    argument."""
    for parameter in ctx.command.params:
        if parameter.name == name:
            if parameter.param_type_name == "argument":
                return (parameter.metavar or name.upper()).rstrip(".")
            return parameter.opts[0]
    return name


def view_options(ctx: typer.Context) -> ViewOptions:
    """The view options (read by name from the parsed command line), checked in pure
    Python, with the command's own files (``--dot``, ``--save-png``) that were asked for."""
    from resnet_inspect.views.options import ViewOptions, parse_depth, parse_lang, parse_width

    params = ctx.params
    return ViewOptions(
        depth=parse_depth(params.get("depth", "layer")),
        lang=parse_lang(params["lang"]),
        as_json=params["json"],
        ascii_only=params["ascii_only"],
        width=parse_width(params["width"]),
        save_svg=params["save_svg"],
        save_html=params["save_html"],
        save_text=params["save_text"],
        files=tuple((option, path) for option, path in saved(ctx) if option not in RECORDINGS),
        timings=params.get("timings", False),
    )


def saved(ctx: typer.Context) -> list[tuple[str, str]]:
    """Every file the command was asked to write, by the option that names it: the
    recordings and the command's own files (``--dot``, ``--save-png``)."""
    from resnet_inspect import commands

    own = tuple(option for option, _ in commands.by_name(str(ctx.info_name)).files)
    found = [(option, ctx.params.get(_name(option)) or "") for option in (*RECORDINGS, *own)]
    return [(option, path) for option, path in found if path]


def _name(option: str) -> str:
    """The parameter an option fills: ``--save-png`` → ``save_png``."""
    return option.lstrip("-").replace("-", "_")
