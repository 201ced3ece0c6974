"""``predict IMAGES``: what the model says each image shows, its most probable classes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, ClassVar

import typer

from resnet_inspect.commands import Command, recorded, shown
from resnet_inspect.commands.found import checked_meta, image_pipeline, source
from resnet_inspect.commands.options import (
    IMAGE_MODEL,
    OUTPUT,
    OWN,
    PREPARATION,
    SEED,
    LabelsOption,
    PlainUsage,
    image_options,
    model_choice,
    view_options,
)
from resnet_inspect.config import ImageOptions, ModelChoice, check_seed
from resnet_inspect.errors import ArgumentError, OptionError

if TYPE_CHECKING:
    from resnet_inspect.report import PredictReport
    from resnet_inspect.views.options import ViewOptions

MAX_TOP = 1000


@dataclass(frozen=True)
class PredictRequest:
    command: ClassVar[str] = "predict"

    images: ImageOptions | None = None  # required: the images and their preparation
    model: ModelChoice = field(default_factory=ModelChoice)
    top: int = 5  # classes shown per image
    labels: str = ""  # a text file of class names, one a line
    seed: int = 0  # the weights' initialisation, where they are random
    view: ViewOptions = shown()

    def __post_init__(self) -> None:
        from resnet_inspect.imagesets import find_images
        from resnet_inspect.parsing import check_labels_path

        if self.images is None:
            raise OptionError("predict needs IMAGES: image files or folders")
        if not isinstance(self.images, ImageOptions):
            raise ArgumentError(f"images must be ImageOptions, not {type(self.images).__name__}")
        find_images(self.images.paths, option="IMAGES")
        check_seed(self.seed)
        if isinstance(self.top, bool) or not isinstance(self.top, int):
            raise ArgumentError(f"top must be an int, not {type(self.top).__name__}")
        if not 1 <= self.top <= MAX_TOP:
            raise OptionError(f"--top {self.top}: expected a whole number from 1 to {MAX_TOP}")
        check_labels_path(self.labels)


def run_predict(request: PredictRequest) -> PredictReport:
    """The images prepared by the one image pipeline, one eval-mode forward each."""
    import torch

    from resnet_inspect.assemble.predict import predict_report
    from resnet_inspect.capture.images.class_names import class_names
    from resnet_inspect.capture.predict import image_scores
    from resnet_inspect.capture.structure import capture_structure
    from resnet_inspect.imagesets import find_images

    assert request.images is not None  # checked on construction
    found = source(request.model)
    meta = found.meta()
    preparation, channels_given = request.images.preparation, request.model.input_shape[1]
    preprocessing, channels = image_pipeline(found, meta, preparation, channels_given)
    shape = (1, channels, *preprocessing.crop)
    structure = capture_structure(checked_meta(found, shape, meta), shape)
    names, names_from = class_names(request.labels, found, meta, structure.num_classes)
    images = find_images(request.images.paths, option="IMAGES")

    torch.manual_seed(request.seed)
    read = image_scores(found.real(), images.files, preprocessing, channels)
    labels = images.labels
    return predict_report(
        read,
        arch=found.info.name,
        input_shape=shape,
        num_classes=structure.num_classes,
        weights=found.weights,
        model=found.info,
        preprocessing=preprocessing.described,
        folder_classes=[images.classes[label] for label in labels] if labels else [""] * len(read),
        names=names,
        names_from=names_from,
        top=request.top,
        options=recorded(request),
    )


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


def from_command_line(
    ctx: typer.Context, images: ImagesArgument, top: TopOption = 5, labels: LabelsOption = ""
) -> PredictRequest:
    """What the model says each image shows: its most probable classes.

    Each image is prepared as the weights prepare theirs (torchvision's transforms(), timm's
    data config; --resize/--crop/--mean/--std otherwise), then one eval-mode forward; the
    probabilities are the softmax of the scores, named by the weights, a Hub repository's
    config.json or --labels.
    """
    chosen = image_options(ctx)
    assert chosen is not None  # the argument is required
    return PredictRequest(
        images=chosen,
        model=model_choice(ctx),
        top=top,
        labels=labels,
        seed=ctx.params["seed"],
        view=view_options(ctx),
    )


COMMAND = Command(
    name="predict",
    request=PredictRequest,
    report="resnet_inspect.report.images:PredictReport",
    run=run_predict,
    view="resnet_inspect.views.predict:predict_view",
    short="resnet_inspect.views.predict:predict_short",
    cli=from_command_line,
    groups=(OWN, IMAGE_MODEL, (SEED,), PREPARATION, OUTPUT),
    usage=PlainUsage,
    example=("{image}",),
)
