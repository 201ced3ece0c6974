"""The ``resnet-inspect`` command line: parse, validate, then hand over to the library.

Only typer and rich are imported at the top. torch is imported inside a command, after
its arguments are validated, so ``--help`` and usage errors answer in milliseconds.
Every failure is one line on stderr: exit 2 for usage, 1 at run time; never a traceback.
"""

from __future__ import annotations

import gc
import inspect
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from resnet_inspect import __version__
from resnet_inspect.errors import DEBUG_ENV, InspectError, OptionError, debugging
from resnet_inspect.options import (
    DEFAULT_INPUT,
    FreezeOptions,
    ModelOptions,
    OptimizerKind,
    StepOptions,
    ViewOptions,
    WeightsKind,
    check_output_paths,
    check_seed,
    choose_model,
    parse_depth,
    parse_diff_side,
    parse_input_shape,
    parse_lang,
    parse_loss,
    parse_lr,
    parse_memory,
    parse_momentum,
    parse_new_classes,
    parse_optimizer,
    parse_steps,
    parse_unfreeze,
    parse_weight_decay,
    parse_width,
)

if TYPE_CHECKING:
    from resnet_inspect.cache import Cached
    from resnet_inspect.report import Report

PROG = "resnet-inspect"


def _fail(message: str, code: int) -> NoReturn:
    sys.stderr.write(f"{PROG}: error: {message}\n")
    sys.stderr.flush()
    sys.exit(code)


# click's base error, which typer raises for usage errors: exported as TyperException from
# typer 0.28 on, and in 0.26-0.27 reachable only as the ancestor of BadParameter.
_CLI_ERROR: Any = getattr(typer, "TyperException", None) or next(
    kind for kind in typer.BadParameter.__mro__ if kind.__name__ == "ClickException"
)


class _Interrupted(Exception):
    """Ctrl-C during a command (typer would turn it into a silent exit 130)."""


class _ReaderGone(Exception):
    """The pipe's reader went away (typer would turn it into exit status 1)."""


class _OneLineErrors(TyperGroup):
    """Runs the commands and turns every failure into one line on stderr."""

    def invoke(self, ctx: Any) -> Any:
        # Below typer's own handling, which swallows these two: passed up as what they are.
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise _Interrupted() from None
        except BrokenPipeError:
            raise _ReaderGone() from None

    def main(  # type: ignore[override]
        self,
        args: list[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            code = super().main(
                args=args,
                prog_name=prog_name or PROG,
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
            if sys.stdout is not None:
                sys.stdout.flush()  # here, so that a failed write is caught, not lost at exit
        except _CLI_ERROR as error:
            # Usage errors (exit 2) and other CLI errors, as typer raises them.
            if not error.format_message():  # no arguments: the help was just printed
                sys.exit(error.exit_code)
            context = getattr(error, "ctx", None)
            hint = f" (see '{context.command_path} --help')" if context is not None else ""
            _fail(f"{error.format_message()}{hint}", error.exit_code)
        except (typer.Abort, _Interrupted):
            _fail("interrupted", 130)
        except _ReaderGone:
            _quiet_broken_pipe()
        except InspectError as error:
            if debugging() and error.__cause__ is not None:
                raise  # the user's code failed: its traceback is what they need
            _fail(str(error), error.exit_code)
        except BrokenPipeError:
            _quiet_broken_pipe()
        except UnicodeEncodeError as error:
            _silence_stdout()
            _fail(
                f"the output's encoding ({error.encoding}) cannot show this text; set "
                "PYTHONIOENCODING=utf-8, or use --ascii",
                1,
            )
        except OSError as error:
            if debugging():
                raise
            if error.filename is not None:  # not the output: a file the run touched
                _fail(f"{error.strerror or type(error).__name__}: {error.filename}", 1)
            _silence_stdout()  # the interpreter's last flush would fail again
            _fail(f"cannot write the output: {error.strerror or error}", 1)
        except MemoryError:
            _fail("out of memory: try a smaller --input or architecture", 1)
        except Exception as error:
            if debugging():
                raise
            first = (str(error).strip().splitlines() or [""])[0]
            if "can't allocate memory" in first:  # torch's allocator, on the CPU
                _fail("out of memory: try a smaller --input or architecture", 1)
            _fail(f"{type(error).__name__}: {first} (set {DEBUG_ENV}=1 for a traceback)", 1)
        sys.exit(code if isinstance(code, int) else 0)


def _load_torch() -> None:
    """Import torch and torchvision once the arguments are known to be good.

    Everything imported lives as long as this short process, so it is moved out of the
    garbage collector's sight (gc.freeze): otherwise every collection during the run walks
    torch's millions of objects, which costs more than the inspection itself.
    """
    import warnings

    if not debugging():  # torch's UserWarnings are for its own users, not this tool's
        warnings.simplefilter("ignore")
    # Importing torchvision makes torch._dynamo create $TMPDIR/torchinductor_$USER for a cache
    # this tool never uses; pointed at the temporary folder itself, it creates nothing.
    preset = os.environ.get("TORCHINDUCTOR_CACHE_DIR")
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = preset or tempfile.gettempdir()
    # A KeyboardInterrupt raised while torch's C++ initialisation runs Python code cannot
    # unwind through it: the process aborts, a half-imported extension fails to load again,
    # or CPython is left marked to die by SIGINT. During the import, Ctrl-C ends the run
    # at once instead, in one line.
    main_thread = threading.current_thread() is threading.main_thread()  # signals go there
    previous = signal.signal(signal.SIGINT, _interrupted_while_importing) if main_thread else None
    try:
        import torch  # noqa: F401
        import torchvision.models  # noqa: F401
    finally:
        if main_thread:
            signal.signal(signal.SIGINT, previous)
        if preset is None:
            os.environ.pop("TORCHINDUCTOR_CACHE_DIR", None)
    gc.freeze()


def _interrupted_while_importing(signum: int, frame: Any) -> None:
    sys.stderr.write(f"{PROG}: error: interrupted\n")
    sys.stderr.flush()
    os._exit(130)


def _quiet_broken_pipe() -> NoReturn:
    """The reader went away (``| head``): stop quietly, as a Unix filter does."""
    _silence_stdout()
    sys.exit(0)


def _silence_stdout() -> None:
    """Point stdout at /dev/null: what is left in its buffer can no longer fail at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, AttributeError, ValueError):
        pass


def _reflowed(command: Callable[..., None]) -> Callable[..., None]:
    """Join each paragraph of a command's docstring into one line, so that ``--help`` wraps it
    at the terminal's width (typer keeps the single line breaks of a wrapped docstring)."""
    text = inspect.cleandoc(command.__doc__ or "")
    command.__doc__ = "\n\n".join(" ".join(p.split()) for p in text.split("\n\n"))
    return command


app = typer.Typer(
    cls=_OneLineErrors,
    name=PROG,
    help="See what a ResNet is (torchvision's or your own) and what training steps do to it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
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
    """See what a ResNet is (torchvision's or your own) and what training steps do to it."""


ArchOption = Annotated[
    str,
    typer.Option(
        "--arch",
        help="A torchvision ResNet: resnet18/34/50/101/152, resnext50_32x4d, resnext101_32x8d, "
        "resnext101_64x4d, wide_resnet50_2, wide_resnet101_2. Default: resnet18, unless "
        "--model is given or --weights FILE says what it is.",
        show_default=False,
    ),
]
ModelOption = Annotated[
    str,
    typer.Option(
        "--model",
        help="Your own model: FILE.py:NAME or package.module:NAME, where NAME is an nn.Module "
        "or a function (or class) that takes no arguments and returns one. This IMPORTS AND "
        "RUNS that code (unlike --weights, which never runs code). Not with --arch.",
        metavar="SPEC",
        show_default=False,
    ),
]
InputOption = Annotated[
    str,
    typer.Option(
        "--input",
        help="Input shape B,C,H,W. C is 3 for --arch; another model's C must match its first conv.",
        metavar="B,C,H,W",
    ),
]
WeightsOption = Annotated[
    str,
    typer.Option(
        "--weights",
        help="none (random init), a torchvision weights name (DEFAULT, IMAGENET1K_V1, "
        "IMAGENET1K_V2), or a checkpoint file (.pth/.pt/.bin).",
    ),
]
DepthOption = Annotated[
    str, typer.Option("--depth", help="How far to unfold: stage, block or layer.")
]
LangOption = Annotated[str, typer.Option("--lang", help="Annotation language: en or zh.")]
AsciiOption = Annotated[
    bool, typer.Option("--ascii", help="Plain ASCII: no box drawing, arrows or Greek letters.")
]
WidthOption = Annotated[
    int, typer.Option("--width", help="Columns of the saved SVG/HTML/text recordings.")
]
SvgOption = Annotated[
    str, typer.Option("--save-svg", help="Also save the view as SVG.", metavar="FILE")
]
HtmlOption = Annotated[
    str, typer.Option("--save-html", help="Also save the view as HTML.", metavar="FILE")
]
TextOption = Annotated[
    str, typer.Option("--save-text", help="Also save the view as plain text.", metavar="FILE")
]
NoCacheOption = Annotated[
    bool,
    typer.Option(
        "--no-cache",
        help="Compute the report even if it is cached (and do not store it). The cache never "
        "changes an answer; RESNET_INSPECT_CACHE=0 turns it off for good.",
    ),
]
ExplainOption = Annotated[
    bool,
    typer.Option(
        "--explain",
        help="Under each layer, the arithmetic behind its numbers, with its own numbers "
        "(output size, parameters, MACs; in graph, what each backward node keeps).",
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print the report as JSON on stdout instead of a tree.")
]


@app.command()
@_reflowed
def tree(
    ctx: typer.Context,
    arch: ArchOption = "",
    model_spec: ModelOption = "",
    input: InputOption = DEFAULT_INPUT,
    weights: WeightsOption = "none",
    depth: DepthOption = "layer",
    explain: ExplainOption = False,
    lang: LangOption = "en",
    json: JsonOption = False,
    ascii_only: AsciiOption = False,
    width: WidthOption = 120,
    save_svg: SvgOption = "",
    save_html: HtmlOption = "",
    save_text: TextOption = "",
    no_cache: NoCacheOption = False,
) -> None:
    """Stem, stages, blocks and head: every layer call with shapes, parameters and MACs.

    Shapes and FLOPs come from one forward pass on the meta device: nothing is allocated,
    so any input size on any architecture answers about as fast as the smallest. --explain
    writes under each layer the arithmetic behind its numbers.
    """
    model = _model_options(arch, input, weights, model_spec)
    view = _view_options(ctx.params)

    def compute() -> Cached:
        _load_torch()
        from resnet_inspect.api import inspect_tree

        return inspect_tree(
            model.arch, model.input_shape, model.weights, model=model.spec, explain=explain
        )

    _show(_cached(_cache_key("tree", model, no_cache, {"explain": explain}), compute), view)


SeedOption = Annotated[int, typer.Option("--seed", help="Seed of the weights, input and labels.")]
LrOption = Annotated[str, typer.Option("--lr", help="Learning rate (> 0).")]
MomentumOption = Annotated[str, typer.Option("--momentum", help="SGD momentum, in [0, 1).")]
WeightDecayOption = Annotated[
    str, typer.Option("--weight-decay", help="Weight decay (≥ 0); decoupled under adamw.")
]
NesterovOption = Annotated[bool, typer.Option("--nesterov", help="Nesterov momentum.")]
OptimizerOption = Annotated[
    str,
    typer.Option(
        "--optimizer",
        help="sgd (the tutorial's, with --momentum and --nesterov), adam or adamw (their "
        "betas 0.9, 0.999 and eps 1e-8).",
    ),
]
PlanOptimizerOption = Annotated[
    str,
    typer.Option(
        "--optimizer",
        help="Whose state each row counts: sgd (the tutorial's: a momentum buffer per "
        "trainable parameter, none at --momentum 0), adam or adamw (two moments per "
        "trainable parameter and a step count per tensor).",
    ),
]
LossOption = Annotated[
    str,
    typer.Option(
        "--loss",
        help="sum: the tutorial's (prediction - labels).sum(); cross-entropy; mse.",
    ),
]
StepsOption = Annotated[
    str,
    typer.Option(
        "--steps",
        help="Real steps on the same seeded batch (momentum shows from the second); the table "
        "shows the last step's norms and ‖θN − θ0‖ over all of them.",
    ),
]
TimingsOption = Annotated[
    bool,
    typer.Option(
        "--timings",
        help="With --json, include wall-clock times (then two runs no longer give the same bytes).",
    ),
]


@app.command("train-step")
@_reflowed
def train_step(
    ctx: typer.Context,
    arch: ArchOption = "",
    model_spec: ModelOption = "",
    input: InputOption = DEFAULT_INPUT,
    weights: WeightsOption = "none",
    seed: SeedOption = 0,
    lr: LrOption = "0.01",
    momentum: MomentumOption = "0.9",
    weight_decay: WeightDecayOption = "0",
    nesterov: NesterovOption = False,
    optimizer: OptimizerOption = "sgd",
    loss: LossOption = "sum",
    steps: StepsOption = "1",
    depth: DepthOption = "layer",
    lang: LangOption = "en",
    json: JsonOption = False,
    ascii_only: AsciiOption = False,
    width: WidthOption = 120,
    save_svg: SvgOption = "",
    save_html: HtmlOption = "",
    save_text: TextOption = "",
    timings: TimingsOption = False,
) -> None:
    """One real CPU step: forward, backward, SGD; gradient norms and update sizes everywhere.

    Does what the autograd tutorial does, in train mode: a seeded random input and labels,
    prediction = model(data), loss, loss.backward(), SGD(lr, momentum).step(); then shows, per
    parameter and summed per layer, block and stage, the gradient norm, the update ‖Δθ‖ and
    the relative update ‖Δθ‖/‖θ‖, with log-scale bars, each ReLU call's share of zeros, and
    flags for what looks wrong (updates far from ~1e-3, non-finite values, dead ReLUs, weight
    decay on BatchNorm, BatchNorm on too few values). --steps N repeats the step on the same
    batch.
    """
    model = _model_options(arch, input, weights, model_spec)
    step = _step_options(ctx.params, ctx)
    view = _view_options(ctx.params)

    _load_torch()
    from resnet_inspect.api import train_step as run_train_step

    report = run_train_step(
        model.arch,
        model.input_shape,
        seed=seed,
        step=step,
        weights=model.weights,
        model=model.spec,
    )
    _show(report, view)


NewClassesOption = Annotated[
    str,
    typer.Option(
        "--new-classes",
        help="Classes of the new head that replaces fc (the tutorial uses 10).",
        show_default=False,
    ),
]
UnfreezeOption = Annotated[
    str,
    typer.Option(
        "--unfreeze",
        help="Comma-separated stages, blocks or layers to keep trainable, e.g. layer4 or "
        "layer4,layer3.1,layer2.0.bn1.",
    ),
]
BnEvalOption = Annotated[
    bool,
    typer.Option(
        "--bn-eval",
        help="Put the frozen part's BatchNorm layers in eval mode so their running "
        "statistics stop moving.",
    ),
]


@app.command()
@_reflowed
def freeze(
    ctx: typer.Context,
    new_classes: NewClassesOption,
    unfreeze: UnfreezeOption = "",
    bn_eval: BnEvalOption = False,
    arch: ArchOption = "",
    model_spec: ModelOption = "",
    input: InputOption = DEFAULT_INPUT,
    weights: WeightsOption = "none",
    seed: SeedOption = 0,
    lr: LrOption = "0.01",
    momentum: MomentumOption = "0.9",
    weight_decay: WeightDecayOption = "0",
    nesterov: NesterovOption = False,
    optimizer: OptimizerOption = "sgd",
    loss: LossOption = "sum",
    steps: StepsOption = "1",
    depth: DepthOption = "layer",
    lang: LangOption = "en",
    json: JsonOption = False,
    ascii_only: AsciiOption = False,
    width: WidthOption = 120,
    save_svg: SvgOption = "",
    save_html: HtmlOption = "",
    save_text: TextOption = "",
    timings: TimingsOption = False,
) -> None:
    """Freeze the backbone, put a new head on it, and prove with one step that only it moves.

    The tutorial's recipe: every parameter requires_grad=False, fc replaced by a new
    Linear(in_features, N), SGD over all parameters. Shows what is trainable, frozen or
    partly frozen, then takes one real step: frozen parameters get no gradient and keep
    every bit, trainable ones change, and the BatchNorm buffers that moved anyway are listed.
    """
    model = _model_options(arch, input, weights, model_spec)
    recipe = FreezeOptions(
        new_classes=parse_new_classes(new_classes),
        unfreeze=parse_unfreeze(unfreeze, model.arch),
        bn_eval=bn_eval,
    )
    step = _step_options(ctx.params, ctx)
    view = _view_options(ctx.params)

    _load_torch()
    from resnet_inspect.api import freeze as run_freeze

    report = run_freeze(
        model.arch,
        model.input_shape,
        options=recipe,
        seed=seed,
        step=step,
        weights=model.weights,
        model=model.spec,
    )
    _show(report, view)


DotOption = Annotated[
    str,
    typer.Option(
        "--dot", help="Also write the graph as Graphviz DOT to this file.", metavar="FILE"
    ),
]
OptionalClassesOption = Annotated[
    str,
    typer.Option(
        "--new-classes",
        help="Apply the freeze recipe with a new head of N classes and compare.",
        show_default=False,
    ),
]


@app.command()
@_reflowed
def graph(
    ctx: typer.Context,
    arch: ArchOption = "",
    model_spec: ModelOption = "",
    input: InputOption = DEFAULT_INPUT,
    weights: WeightsOption = "none",
    new_classes: OptionalClassesOption = "",
    unfreeze: UnfreezeOption = "",
    loss: LossOption = "sum",
    dot: DotOption = "",
    depth: DepthOption = "layer",
    explain: ExplainOption = False,
    lang: LangOption = "en",
    json: JsonOption = False,
    ascii_only: AsciiOption = False,
    width: WidthOption = 120,
    save_svg: SvgOption = "",
    save_html: HtmlOption = "",
    save_text: TextOption = "",
    no_cache: NoCacheOption = False,
) -> None:
    """The autograd graph of one step's loss, folded by the model, and what freezing removes.

    Built on the meta device (no real compute at any input size) and walked from the loss's
    grad_fn through next_functions: node counts by type, the AccumulateGrad leaves and
    their parameters, the longest path, and the memory autograd saves for backward;
    --explain says under each node what it keeps, and why.
    """
    model = _model_options(arch, input, weights, model_spec)
    classes = parse_new_classes(new_classes) if new_classes else None
    if unfreeze and classes is None:
        raise OptionError("--unfreeze goes with --new-classes (the freeze recipe)")
    names = parse_unfreeze(unfreeze, model.arch)
    loss_kind = parse_loss(loss)
    view = _view_options(ctx.params)

    def compute() -> Cached:
        _load_torch()
        from resnet_inspect.api import graph as run_graph

        return run_graph(
            model.arch,
            model.input_shape,
            new_classes=classes,
            unfreeze=names,
            loss=loss_kind,
            weights=model.weights,
            model=model.spec,
            explain=explain,
        )

    facts = {
        "new_classes": classes,
        "unfreeze": list(names),
        "loss": loss_kind.value,
        "explain": explain,
    }
    _show(_cached(_cache_key("graph", model, no_cache, facts), compute), view)


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
PlanClassesOption = Annotated[
    str,
    typer.Option(
        "--new-classes",
        help="Classes of the new head every row trains (required).",
        metavar="N",
        show_default=False,
    ),
]


@app.command()
@_reflowed
def plan(
    ctx: typer.Context,
    new_classes: PlanClassesOption = "",
    unfreeze: UnfreezeOption = "",
    memory: MemoryOption = "",
    arch: ArchOption = "",
    model_spec: ModelOption = "",
    input: InputOption = DEFAULT_INPUT,
    weights: WeightsOption = "none",
    optimizer: PlanOptimizerOption = "sgd",
    momentum: MomentumOption = "0.9",
    loss: LossOption = "sum",
    lang: LangOption = "en",
    json: JsonOption = False,
    ascii_only: AsciiOption = False,
    width: WidthOption = 120,
    save_svg: SvgOption = "",
    save_html: HtmlOption = "",
    save_text: TextOption = "",
    no_cache: NoCacheOption = False,
) -> None:
    """How deep to fine-tune: what each depth trains, computes and keeps, and what batch fits.

    One row per depth: the new head only, then each stage down to the stem (+ layer4 trains
    layer4 and the head, + layer3 also layer3, ...), then everything; and a row for
    --unfreeze when given. Per row: trainable parameters, gradient and optimizer-state
    memory, what autograd saves for backward, backward FLOPs, and the peak memory of one
    training step at --input; with --memory, the largest batch whose step fits. Each step is
    simulated on the meta device: nothing is allocated and no real step runs.
    """
    if not new_classes:
        raise OptionError(
            "plan needs --new-classes N: every row trains a new head of N classes (e.g. 10)"
        )
    model = _model_options(arch, input, weights, model_spec)
    classes = parse_new_classes(new_classes)
    names = parse_unfreeze(unfreeze, model.arch)
    budget = parse_memory(memory) if memory else None
    step = _plan_step(ctx)
    view = _view_options(ctx.params)

    def compute() -> Cached:
        _load_torch()
        from resnet_inspect.api import plan as run_plan

        return run_plan(
            model.arch,
            model.input_shape,
            new_classes=classes,
            unfreeze=names,
            step=step,
            memory=budget,
            weights=model.weights,
            model=model.spec,
        )

    facts = {
        "new_classes": classes,
        "unfreeze": list(names),
        "memory": budget,
        "optimizer": step.optimizer.value,
        "momentum": step.momentum,
        "loss": step.loss.value,
    }
    _show(_cached(_cache_key("plan", model, no_cache, facts), compute), view)


def _plan_step(ctx: typer.Context) -> StepOptions:
    """What of the optimizer and loss a plan needs: the optimizer's state, the loss's graph."""
    params = ctx.params
    optimizer = parse_optimizer(params["optimizer"])
    _check_momentum_is_sgds(optimizer, ctx)
    momentum = parse_momentum(params["momentum"])
    return StepOptions(optimizer=optimizer, momentum=momentum, loss=parse_loss(params["loss"]))


def _check_momentum_is_sgds(optimizer: OptimizerKind, ctx: typer.Context) -> None:
    source = ctx.get_parameter_source("momentum")  # typed, or the default?
    typed = source is not None and source.name != "DEFAULT"
    if optimizer is not OptimizerKind.SGD and typed:
        raise OptionError(f"--momentum is SGD's; --optimizer {optimizer.value} has none")


SideArgument = Annotated[
    str,
    typer.Argument(
        help="A checkpoint file, a torchvision weights name of --arch (DEFAULT, "
        "IMAGENET1K_V1, …), or init:SEED (the random initialisation under that seed).",
        show_default=False,
    ),
]


@app.command("diff")
@_reflowed
def diff_command(
    ctx: typer.Context,
    a: SideArgument,
    b: SideArgument,
    arch: ArchOption = "",
    model_spec: ModelOption = "",
    depth: DepthOption = "layer",
    lang: LangOption = "en",
    json: JsonOption = False,
    ascii_only: AsciiOption = False,
    width: WidthOption = 120,
    save_svg: SvgOption = "",
    save_html: HtmlOption = "",
    save_text: TextOption = "",
) -> None:
    """What changed between two checkpoints, layer by layer, with a verdict.

    Every tensor of A and B is compared in float64: same shape and dtype, bit-identical or
    not, ‖B − A‖, ‖B − A‖/‖A‖, max |B − A|; each layer, block and stage takes its tensors
    together, with a bar on a log scale. The verdict answers the questions after a
    fine-tune: did the backbone stay bit-identical (which stages moved), did BatchNorm's
    running statistics drift (and how many train-mode passes they saw), was the head
    replaced or trained, did the dtype change. The model is --arch or --model, or what A
    says it is. Files are read with weights_only=True: nothing in them runs.
    """
    side_a, side_b = parse_diff_side(a, "A"), parse_diff_side(b, "B")
    # The model is --arch or --model when given (the one rule of choose_model), else A's.
    name, spec = None, None
    if arch or model_spec:
        name, _, spec = choose_model(arch, "none", model_spec)
    view = _view_options(ctx.params)

    _load_torch()
    from resnet_inspect.api import diff as run_diff

    _show(run_diff(side_a.text, side_b.text, arch=name, model=spec), view)


def _cache_key(
    command: str, model: ModelOptions, no_cache: bool, facts: dict[str, Any]
) -> dict[str, Any] | None:
    """The key of this report in the cache, or None where it must not be cached: asked not
    to, or the user's own code (whose dependencies cannot be known)."""
    from resnet_inspect import cache

    if no_cache or model.spec is not None or not cache.enabled():
        return None
    weights = model.weights
    described: dict[str, Any] = {"kind": weights.kind.value, "name": weights.name}
    if weights.kind is WeightsKind.FILE:
        described.update(cache.file_facts(weights.path), typed=weights.path)
    return cache.key(
        command,
        {"arch": model.arch, "input": list(model.input_shape), "weights": described, **facts},
    )


def _cached(entry: dict[str, Any] | None, compute: Callable[[], Cached]) -> Cached:
    """The cached report when there is one (torch is then never imported), else computed
    and stored."""
    from resnet_inspect import cache

    report = cache.load(entry) if entry is not None else None
    if report is None:
        report = compute()
        if entry is not None:
            cache.store(entry, report)
    return report


cache_app = typer.Typer(
    name="cache",
    help="The report cache of tree and graph: info | clear.",
    no_args_is_help=True,
)
app.add_typer(cache_app)


@cache_app.command("info")
def cache_info() -> None:
    """Where the cache is, how many reports it holds and their size."""
    from resnet_inspect import cache
    from resnet_inspect.views.units import binary_bytes

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


def _model_options(arch: str, input: str, weights: str, model: str) -> ModelOptions:
    """The options every command shares, checked in pure Python.

    The model is ``--model``, or ``--arch``, or what a ``--weights`` file says it is, or
    resnet18. Only a torchvision architecture's input channels are known before torch loads.
    """
    name, choice, spec = choose_model(arch, weights, model)
    return ModelOptions(
        arch=name,
        input_shape=parse_input_shape(input, stock=name is not None),
        weights=choice,
        spec=spec,
    )


def _step_options(params: dict[str, Any], ctx: typer.Context) -> StepOptions:
    """The optimizer, loss and seed of the commands that take a real step, checked in pure
    Python."""
    check_seed(params["seed"])
    optimizer = parse_optimizer(params["optimizer"])
    _check_momentum_is_sgds(optimizer, ctx)
    return StepOptions(
        optimizer=optimizer,
        lr=parse_lr(params["lr"]),
        momentum=parse_momentum(params["momentum"]),
        weight_decay=parse_weight_decay(params["weight_decay"]),
        nesterov=params["nesterov"],
        loss=parse_loss(params["loss"]),
        steps=parse_steps(params["steps"]),
    )


def _view_options(params: dict[str, Any]) -> ViewOptions:
    """The view options every command shares (read by name from the parsed command line),
    checked in pure Python, with every file the command will write and its standard output:
    a run that could not deliver its output fails before any work."""
    if sys.stdout is None:  # fd 1 was closed before the program started
        raise InspectError("standard output is closed: nothing to show the report on")
    targets = [(f"--{key.replace('_', '-')}", params.get(key, "")) for key in _FILE_OPTIONS]
    check_output_paths(targets, params.get("weights", ""))
    return ViewOptions(
        depth=parse_depth(params.get("depth", "layer")),
        lang=parse_lang(params["lang"]),
        as_json=params["json"],
        ascii_only=params["ascii_only"],
        width=parse_width(params["width"]),
        save_svg=params["save_svg"],
        save_html=params["save_html"],
        save_text=params["save_text"],
        save_dot=params.get("dot", ""),
        timings=params.get("timings", False),
    )


_FILE_OPTIONS = ("save_svg", "save_html", "save_text", "dot")


def _show(report: Report, view: ViewOptions) -> None:
    from resnet_inspect.views.output import show

    show(report, view)


def main() -> None:
    """Console-script entry point."""
    app()
