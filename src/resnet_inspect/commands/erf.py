"""``erf``: the effective receptive field of one row's centre unit, measured, beside its
theoretical field."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, ClassVar

import typer

from resnet_inspect.commands import Command, given, recorded, shown
from resnet_inspect.commands.found import (
    check_one_sample,
    checked_meta,
    image_pipeline,
    nearest,
    source,
)
from resnet_inspect.commands.options import (
    LAYER,
    MODEL,
    OUTPUT,
    OWN,
    PREPARATION,
    SEED,
    model_choice,
    preparation,
    view_options,
)
from resnet_inspect.config import ModelChoice, Preparation, check_seed
from resnet_inspect.errors import ArgumentError, OptionError

if TYPE_CHECKING:
    import torch

    from resnet_inspect.capture.images.preprocessing import Preprocessing
    from resnet_inspect.report import ErfReport, Node
    from resnet_inspect.views.options import ViewOptions

MAX_SAMPLES = 4096


@dataclass(frozen=True)
class ErfRequest:
    command: ClassVar[str] = "erf"

    model: ModelChoice = field(default_factory=ModelChoice)
    layer: str = ""  # a stage, block or layer of the model; "" is the last stage
    samples: int = 16  # random inputs averaged over (images: one sample each)
    seed: int = 0
    images: tuple[str, ...] = ()  # with images, the input is each image prepared (its crop)
    preparation: Preparation = given(Preparation())  # of the images
    view: ViewOptions = shown()

    def __post_init__(self) -> None:
        from resnet_inspect.imagesets import image_files
        from resnet_inspect.parsing import check_image_paths

        check_one_sample(self.model, "erf", " and the number of samples with --samples")
        samples = self.samples
        if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
            raise OptionError(f"--samples {samples!r}: give a whole number from 1")
        if samples > MAX_SAMPLES:
            raise OptionError(f"--samples {samples}: at most {MAX_SAMPLES}")
        check_seed(self.seed)
        files = tuple(f for path in self.images for f in image_files(path, "--images"))
        if len(files) > MAX_SAMPLES:
            raise OptionError(f"--images: {len(files):,} images; erf averages over at most "
                              f"{MAX_SAMPLES}")  # fmt: skip
        object.__setattr__(self, "images", check_image_paths(files))
        if not isinstance(self.preparation, Preparation):
            raise ArgumentError(
                f"preparation must be Preparation, not {type(self.preparation).__name__}"
            )
        if self.preparation != Preparation() and not self.images:
            raise OptionError("--resize, --crop, --mean and --std prepare images: give --images")


def run_erf(request: ErfRequest) -> ErfReport:
    import torch

    from resnet_inspect.assemble.erf import erf_report
    from resnet_inspect.assemble.layers import build_model_report
    from resnet_inspect.capture import preflight
    from resnet_inspect.capture.erf import measure_erf
    from resnet_inspect.capture.instrument import model_dtype
    from resnet_inspect.capture.structure import capture_structure

    found = source(request.model)
    meta = found.meta()
    _, channels, height, width = request.model.input_shape
    if request.images:  # the input is each image as the one image pipeline prepares it
        preprocessing, channels = image_pipeline(found, meta, request.preparation, channels)
        height, width = preprocessing.crop
    # One meta pass at the batch the measurement runs: the rows and their fields (which no
    # batch changes), and the memory that batch needs.
    count = len(request.images) or request.samples
    batch = (count, channels, height, width)
    structure = capture_structure(checked_meta(found, batch, meta), batch)
    tree = build_model_report(structure, command="tree", model=found.info, weights=found.weights)
    name, call = _call(request.layer or structure.layout.stages[-1])
    row = _row(tree.sections, name, call, {n for n, _ in meta.named_modules() if n})
    preflight.check_erf_memory(structure)

    torch.manual_seed(request.seed)
    model = found.real()
    dtype = model_dtype(model)  # a .double() model measures in float64, as every command does
    described = ""
    if request.images:
        data, described = _prepared_images(request.images, preprocessing, channels)
        data = data.to(dtype)
    else:
        data = torch.rand(batch, dtype=dtype)
    measured = measure_erf(model, name, data, call=row.call)
    assert row.receptive_field is not None  # _row checked it
    return erf_report(
        measured,
        row.receptive_field,
        arch=found.info.name,
        input_shape=(1, channels, height, width),
        num_classes=tree.num_classes,
        weights=found.weights,
        model=found.info,
        layer=f"{name}:{row.call}" if row.calls > 1 else name,
        images=request.images,
        preprocessing=described,
        seed=request.seed,
        samples=count,
        options=recorded(request),
    )


def _prepared_images(
    paths: tuple[str, ...], preprocessing: Preprocessing, channels: int
) -> tuple[torch.Tensor, str]:
    """The images as one batch, each as the one image pipeline prepares it (upright by its
    EXIF orientation, as each is looked at on its own), and every step said."""
    import torch

    from resnet_inspect.capture.images.preprocessing import prepared
    from resnet_inspect.capture.images.reading import open_image

    notes: set[str] = set()
    tensors = []
    for path in paths:
        image, said = open_image(path, channels, "--images", upright=True)
        notes |= said
        tensors.append(prepared(preprocessing, image, f"--images {path}"))
    return torch.stack(tensors), "; ".join([*sorted(notes), preprocessing.described])


def _call(text: str) -> tuple[str, int | None]:
    """``layer2.1.relu:2``: a module and which of its calls (from 1); None: not said."""
    name, colon, number = text.rpartition(":")
    if not colon:
        return text, None
    if not number.isdigit() or int(number) < 1:
        raise OptionError(f"--layer {text}: after the colon, which call of it (1, 2, …)")
    return name, int(number)


def _row(sections: tuple[Node, ...], name: str, call: int | None, modules: set[str]) -> Node:
    """The named row: a module of the model (a stage, a block or a layer) whose output has
    a height and a width, and a theoretical field; of a module called more than once (a
    block's ReLU), the call asked for, else its first, so that the map is measured and the
    field worked out at one same call."""
    from resnet_inspect.report import Level

    calls: dict[str, list[Node]] = {}
    for section in sections:
        for node in section.walk():
            if node.name in modules and (node.level is not Level.LAYER or node.module_call):
                calls.setdefault(node.name, []).append(node)
    if name not in calls:
        hint = nearest(name, calls)
        raise OptionError(f"--layer {name}: no stage, block or layer of that name{hint}")
    found = calls[name]
    if call is not None and call > len(found):
        raise OptionError(f"--layer {name}:{call}: {name} runs {len(found)} time(s) a forward")
    row = found[(call or 1) - 1]
    field_ = row.receptive_field
    if len(row.output_shape) != 4 or field_ is None or field_.shared:
        raise OptionError(
            f"--layer {name}: its output ({'×'.join(map(str, row.output_shape))}) has no "
            "map of units with a field of their own; choose a stage, block or conv"
        )
    return row


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


def from_command_line(
    ctx: typer.Context,
    samples: SamplesOption = 16,
    images: ImageOption = None,
    save_png: ErfPngOption = "",
) -> ErfRequest:
    """The effective receptive field: how much each input pixel moves one unit, measured.

    The gradient of the centre unit of a row's output (summed over its channels) with
    respect to the input, in absolute value, averaged over --samples random inputs or over
    --image files, in eval mode; drawn as a heatmap with the theoretical field outlined,
    with the radii that hold 50% and 90% of it (Luo et al., NeurIPS 2016).
    """
    return ErfRequest(
        model=model_choice(ctx),
        layer=ctx.params["layer"].strip(),
        samples=samples,
        seed=ctx.params["seed"],
        images=tuple(images or ()),
        preparation=preparation(ctx),
        view=view_options(ctx),
    )


COMMAND = Command(
    name="erf",
    request=ErfRequest,
    report="resnet_inspect.report.images:ErfReport",
    run=run_erf,
    view="resnet_inspect.views.erf:erf_view",
    short="resnet_inspect.views.erf:erf_short",
    cli=from_command_line,
    groups=(MODEL, LAYER, OWN, (SEED,), PREPARATION, OUTPUT),
    files=(("--save-png", "resnet_inspect.views.heatmap:erf_png"),),
    example=("--input", "1,3,64,64", "--samples", "4"),
)
