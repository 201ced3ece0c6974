"""The library: a request in, a report out. One function per command, each a thin wrapper
that builds the command's request from keyword arguments and hands it to :func:`run`.

Every function inspects one model, named in one of three ways: ``arch`` (a torchvision
ResNet, ``resnet18`` unless something else is given), ``model`` (an ``nn.Module`` instance,
or ``"file.py:NAME"`` / ``"package.module:NAME"``, which imports and runs that code), or a
checkpoint file as ``weights`` alone, whose configuration is inferred from its names and
shapes. A module given as ``model`` is never changed: every pass works on a copy.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from resnet_inspect import commands
from resnet_inspect.commands.cam import CamRequest
from resnet_inspect.commands.diff import DiffRequest
from resnet_inspect.commands.erf import ErfRequest
from resnet_inspect.commands.freeze import FreezeRequest
from resnet_inspect.commands.graph import GraphRequest
from resnet_inspect.commands.plan import PlanRequest
from resnet_inspect.commands.predict import PredictRequest
from resnet_inspect.commands.train_step import TrainStepRequest
from resnet_inspect.commands.tree import TreeRequest
from resnet_inspect.config import (
    FreezeOptions,
    ImageOptions,
    InputShape,
    LossKind,
    ModelChoice,
    ModelSpec,
    Precision,
    Preparation,
    StepOptions,
    WeightsChoice,
)
from resnet_inspect.errors import InspectError
from resnet_inspect.parsing import choose_model
from resnet_inspect.report import (
    CamReport,
    DiffReport,
    ErfReport,
    GraphReport,
    LayerReport,
    PlanReport,
    PredictReport,
    Report,
)

if TYPE_CHECKING:
    import torch

DEFAULT_SHAPE: InputShape = (1, 3, 64, 64)

# Real images for a step: a path, several, or the options that also say how to prepare them.
ImagesArgument = ImageOptions | str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None


def image_options(images: ImagesArgument) -> ImageOptions | None:
    """``images=`` as the request takes it: paths become :class:`ImageOptions`."""
    if images is None or isinstance(images, ImageOptions):
        return images
    return ImageOptions(paths=paths_of(images, "images"))


def paths_of(value: Any, name: str, *, one: bool = False) -> tuple[str, ...]:
    """A path (a str or an ``os.PathLike``: that one path, never its characters), or a
    sequence of them; anything else is refused in one sentence saying what is accepted."""
    if isinstance(value, str | os.PathLike):
        return (os.fspath(value),)
    many = isinstance(value, Sequence) and not isinstance(value, bytes)
    if not one and many and all(isinstance(item, str | os.PathLike) for item in value):
        return tuple(os.fspath(item) for item in value)
    accepted = "a path (str or pathlib.Path)" + ("" if one else ", or a list of paths")
    kind = type(value).__name__
    if kind == "Image" or kind.endswith("ImageFile"):
        kind += " (an image already decoded: save it to a file and give its path)"
    elif kind == "Tensor":
        kind += " (give the image file it came from)"
    raise InspectError(f"{name} must be {accepted}, not {kind}")


def run(request: Any) -> Report:
    """The report a request asks for (``TreeRequest``, ``PlanRequest``, …): what the command
    line runs, and what every function below runs."""
    report: Report = commands.run(request)
    return report


def model_choice(
    arch: str | None,
    input_shape: InputShape,
    weights: str | os.PathLike[str] | WeightsChoice,
    model: torch.nn.Module | ModelSpec | str | None,
) -> ModelChoice:
    """Which model the arguments name, by the same rules as the command line's."""
    name, choice, spec = choose_model(arch, weights, model)
    if model is not None and not isinstance(model, str | ModelSpec):
        return ModelChoice(arch=None, input_shape=input_shape, weights=choice, module=model)
    return ModelChoice(arch=name, input_shape=input_shape, weights=choice, spec=spec)


def inspect_tree(
    arch: str | None = None,
    input_shape: InputShape = DEFAULT_SHAPE,
    weights: str | os.PathLike[str] | WeightsChoice = "none",
    *,
    model: torch.nn.Module | ModelSpec | str | None = None,
    explain: bool = False,
) -> LayerReport:
    """Structure, shapes, parameters and FLOPs of one model for one input, from a meta pass.

    With ``explain``, every layer call carries the arithmetic behind its numbers
    (``Node.formulas``), worked out from its hyperparameters and input shape.
    """
    chosen = model_choice(arch, input_shape, weights, model)
    return commands.run(TreeRequest(model=chosen, explain=explain))  # type: ignore[no-any-return]


def train_step(
    arch: str | None = None,
    input_shape: InputShape = DEFAULT_SHAPE,
    *,
    seed: int = 0,
    step: StepOptions | None = None,
    weights: str | os.PathLike[str] | WeightsChoice = "none",
    model: torch.nn.Module | ModelSpec | str | None = None,
    images: ImagesArgument = None,
) -> LayerReport:
    """One real CPU training step (``step.steps`` of them), as the tutorial takes it, with
    what it did to every parameter. A plain script with the same seed computes the same
    numbers; the meta pass first refuses an input that train-mode BatchNorm cannot take and
    a step that will not fit in memory.

    ``images`` (a path, several, or :class:`ImageOptions`) gives the steps real images
    instead of the random input: a folder in ImageFolder layout also gives the labels (then
    ``step.loss`` must be cross-entropy). The input shape is then (batch, C, the crop's
    height and width): ``input_shape`` is not used."""
    request = TrainStepRequest(
        model=model_choice(arch, input_shape, weights, model),
        seed=seed,
        step=step or StepOptions(),
        images=image_options(images),
    )
    return commands.run(request)  # type: ignore[no-any-return]


def freeze(
    arch: str | None = None,
    input_shape: InputShape = DEFAULT_SHAPE,
    *,
    options: FreezeOptions | None = None,
    seed: int = 0,
    step: StepOptions | None = None,
    weights: str | os.PathLike[str] | WeightsChoice = "none",
    model: torch.nn.Module | ModelSpec | str | None = None,
    images: ImagesArgument = None,
) -> LayerReport:
    """The tutorial's fine-tuning set-up, shown and proven by one real step.

    Every parameter frozen, the head's last Linear replaced by a new
    ``Linear(in_features, new_classes)`` (the rest of a Sequential head stays), the
    ``unfreeze`` names trainable again. The same step as :func:`train_step` then shows that
    frozen parameters get no gradient and keep every bit, that the trainable ones move, and
    which BatchNorm buffers move anyway (all of them in train mode, unless ``bn_eval``).
    ``images`` as in :func:`train_step`.
    """
    request = FreezeRequest(
        model=model_choice(arch, input_shape, weights, model),
        seed=seed,
        step=step or StepOptions(),
        recipe=options or FreezeOptions(),
        images=image_options(images),
    )
    return commands.run(request)  # type: ignore[no-any-return]


def graph(
    arch: str | None = None,
    input_shape: InputShape = DEFAULT_SHAPE,
    *,
    new_classes: int | None = None,
    unfreeze: tuple[str, ...] = (),
    loss: LossKind = LossKind.SUM,
    weights: str | os.PathLike[str] | WeightsChoice = "none",
    model: torch.nn.Module | ModelSpec | str | None = None,
    explain: bool = False,
    images: ImagesArgument = None,
    precision: Precision = Precision.FP32,
    channels_last: bool = False,
) -> GraphReport:
    """The autograd graph of ``train-step``'s loss, built on the meta device and walked.

    With ``new_classes``, the freeze recipe is applied and only the trainable part's leaves
    remain; the same graph with every parameter trainable is summarised beside it. With
    ``explain``, each backward node carries what it keeps for backward, with the bytes.
    ``images`` gives the input's shape as :func:`train_step` takes them (nothing is read; an
    ImageFolder's labels need ``loss=LossKind.CROSS_ENTROPY``). ``precision`` builds the
    graph of a mixed-precision forward under autocast, simulated on data-less CPU tensors.
    """
    request = GraphRequest(
        model=model_choice(arch, input_shape, weights, model),
        loss=loss,
        new_classes=new_classes,
        unfreeze=unfreeze,
        explain=explain,
        images=image_options(images),
        precision=precision,
        channels_last=channels_last,
    )
    return commands.run(request)  # type: ignore[no-any-return]


def diff(
    a: str | os.PathLike[str],
    b: str | os.PathLike[str],
    *,
    arch: str | None = None,
    model: torch.nn.Module | ModelSpec | str | None = None,
) -> DiffReport:
    """What changed between two checkpoints, tensor by tensor and folded into the model's
    tree, with a verdict: backbone, BatchNorm statistics, head, dtype.

    ``a`` and ``b`` are each a checkpoint file, a torchvision weights name of ``arch``, or
    ``init:SEED`` (the architecture's random initialisation under that seed). The model is
    ``arch`` or ``model``, or else what A (or B) says it is, as ``--weights FILE`` infers it.
    """
    # A pathlib.Path names a file as a str does; anything else DiffRequest refuses in words.
    sides: dict[str, Any] = {"a": a, "b": b}
    if arch is not None or model is not None:
        sides["model"] = model_choice(arch, (1, 3, 64, 64), "none", model)
    request = DiffRequest(**sides)
    return commands.run(request)  # type: ignore[no-any-return]


def plan(
    arch: str | None = None,
    input_shape: InputShape = DEFAULT_SHAPE,
    *,
    new_classes: int,
    unfreeze: tuple[str, ...] = (),
    step: StepOptions | None = None,
    memory: int | None = None,
    weights: str | os.PathLike[str] | WeightsChoice = "none",
    model: torch.nn.Module | ModelSpec | str | None = None,
    precisions: tuple[Precision, ...] | None = None,
    checkpoint: bool = False,
    verify: tuple[str, ...] = (),
) -> PlanReport:
    """What each fine-tuning cut costs: the new head only, then each stage down to the
    stem, then everything (and ``unfreeze``'s own row when given).

    Per cut: trainable parameters, gradient and optimizer-state bytes (``step.optimizer``),
    what autograd saves, forward and backward FLOPs, and the peak memory of one training
    step at ``input_shape``; with ``memory`` (bytes), the largest batch whose step fits. All
    from meta passes: nothing is allocated, no real step runs. Mixed precision
    (``precisions``, default ``(step.precision,)``; ``tuple(Precision)`` for all three) is
    simulated on data-less CPU tensors under ``torch.autocast``: every row under each.
    ``checkpoint`` adds rows at the deepest depth (``unfreeze``'s when given) with each
    trainable stage, then all, recomputed in backward. ``report.breakdown`` says where that
    depth's memory goes. ``verify`` (``("all",)``, or row names such as ``("head",
    "layer4")``) runs those rows' real steps, each in a fresh process, into ``row.verify``.
    """
    options = step or StepOptions()
    request = PlanRequest(
        model=model_choice(arch, input_shape, weights, model),
        new_classes=new_classes,
        unfreeze=unfreeze,
        optimizer=options.optimizer,
        momentum=options.momentum,
        loss=options.loss,
        memory=memory,
        precisions=precisions or (options.precision,),
        channels_last=options.channels_last,
        checkpoint=checkpoint,
        verify=verify,
    )
    return commands.run(request)  # type: ignore[no-any-return]


def erf(
    arch: str | None = None,
    input_shape: InputShape = DEFAULT_SHAPE,  # the command line's default, 1×3×64×64
    *,
    layer: str = "",
    samples: int = 16,
    seed: int = 0,
    images: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] = (),
    preparation: Preparation | None = None,
    weights: str | os.PathLike[str] | WeightsChoice = "none",
    model: torch.nn.Module | ModelSpec | str | None = None,
) -> ErfReport:
    """The effective receptive field of ``layer``'s centre unit (default: the last stage):
    the mean absolute gradient of that unit with respect to the input, over ``samples``
    random inputs of ``input_shape`` (or the ``images``: a path, several, or folders, each
    prepared by the one image pipeline, ``preparation`` changing its steps), in eval mode,
    beside its theoretical field. ``report.grid`` is the heatmap as nested lists summing to
    1; ``radius_50`` and ``radius_90`` the radii around the field's centre that hold half
    and 90% of it.
    """
    request = ErfRequest(
        model=model_choice(arch, input_shape, weights, model),
        layer=layer,
        samples=samples,
        seed=seed,
        images=paths_of(images, "images") if images else (),
        preparation=preparation or Preparation(),
    )
    return commands.run(request)  # type: ignore[no-any-return]


def cam(
    image: str | os.PathLike[str],
    arch: str | None = None,
    *,
    target: str | int | None = None,
    layer: str = "",
    labels: str | os.PathLike[str] = "",
    seed: int = 0,
    maps: int = 0,
    trust: bool = False,
    save_dir: str | os.PathLike[str] = "",
    preparation: Preparation | None = None,
    weights: str | os.PathLike[str] | WeightsChoice = "none",
    model: torch.nn.Module | ModelSpec | str | None = None,
) -> CamReport:
    """The model's top 5 classes for ``image`` (a file, prepared by the one image pipeline
    as ``predict`` prepares it, so both give the same classes; ``preparation`` changes its
    steps) and the Grad-CAM map of ``layer`` (default: the last stage; ``"all"``: every
    stage) for class ``target`` (an index or a name; default: the top class).
    ``report.layers[i].heat`` is the map over the input, the largest 1; ``.grid`` the map at
    the layer's own resolution; with ``maps``, ``.channels`` the layer's ``maps`` strongest
    channels (largest mean activation) and their maps.

    ``image`` may be a folder (an ImageFolder's class folders give ``report.classes``): its
    images are streamed a few at a time, ``report.images`` has each one's numbers and each
    layer's map is the mean. ``trust`` adds ``report.trust``: cascading randomisation,
    the random-class test and deletion/insertion curves against two baselines (over a
    folder, means with bootstrap intervals). ``save_dir``: one PNG per image, written as
    each is made."""
    (path,) = paths_of(image, "image", one=True)
    request = CamRequest(
        image=path,
        model=model_choice(arch, DEFAULT_SHAPE, weights, model),
        preparation=preparation or Preparation(),
        target="" if target is None else str(target),
        layer=layer,
        labels=os.fspath(labels),
        seed=seed,
        maps=maps,
        trust=trust,
        save_dir=os.fspath(save_dir),
    )
    return commands.run(request)  # type: ignore[no-any-return]


def predict(
    images: ImagesArgument,
    arch: str | None = None,
    *,
    top: int = 5,
    labels: str | os.PathLike[str] = "",
    seed: int = 0,
    weights: str | os.PathLike[str] | WeightsChoice = "none",
    model: torch.nn.Module | ModelSpec | str | None = None,
) -> PredictReport:
    """The ``top`` most probable classes of each image (a path, several, a folder, or
    :class:`ImageOptions` for its preprocessing), from one eval-mode forward after the one
    image pipeline (the weights' own preprocessing); named by the weights, a Hub
    config.json or ``labels``."""
    options = image_options(images)
    if options is None:
        raise InspectError("images: give a path, several, or ImageOptions")
    request = PredictRequest(
        images=options,
        model=model_choice(arch, DEFAULT_SHAPE, weights, model),
        top=top,
        labels=os.fspath(labels),
        seed=seed,
    )
    return commands.run(request)  # type: ignore[no-any-return]
