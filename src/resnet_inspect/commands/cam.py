"""``cam IMAGE``: the model's top classes for one image, and Grad-CAM maps of where in the
image a layer's evidence for one class lies."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, ClassVar

import typer

from resnet_inspect.commands import Command, given, recorded, shown
from resnet_inspect.commands.found import checked_meta, image_pipeline, nearest, source
from resnet_inspect.commands.options import (
    IMAGE_MODEL,
    LAYER,
    OUTPUT,
    OWN,
    PREPARATION,
    SEED,
    LabelsOption,
    PlainUsage,
    model_choice,
    preparation,
    view_options,
)
from resnet_inspect.commands.progress import Progress
from resnet_inspect.config import ModelChoice, Preparation, check_seed
from resnet_inspect.errors import ArgumentError, InspectError, OptionError

if TYPE_CHECKING:
    import torch

    from resnet_inspect.capture.images.preprocessing import Picture, Preprocessing
    from resnet_inspect.capture.models.source import ModelSource
    from resnet_inspect.capture.trust import TrustSetup
    from resnet_inspect.records import Grid, StructureCapture, TrustRecord
    from resnet_inspect.report import CamReport
    from resnet_inspect.report.trust import Trust
    from resnet_inspect.views.options import ViewOptions

ALL = "all"  # --layer all: every stage
MAX_MAPS = 64  # channels a layer: more would not be told apart in a terminal


@dataclass(frozen=True)
class CamRequest:
    command: ClassVar[str] = "cam"

    image: str = ""  # an image file, or a folder of them (an ImageFolder: per-class summaries)
    model: ModelChoice = field(default_factory=ModelChoice)  # its input: the image, prepared
    preparation: Preparation = given(Preparation())  # in place of the weights' own
    target: str = ""  # a class index or name; "" is the top class
    layer: str = ""  # a stage, block or layer, or "all" (every stage); "" is the last stage
    labels: str = ""  # a text file of class names, one a line
    seed: int = 0  # the weights' initialisation where random; the trust checks' draws
    maps: int = 0  # each layer's strongest channels shown as activation maps (0: none)
    trust: bool = False  # the sanity checks and faithfulness of the map
    save_dir: str = ""  # a folder for one PNG per image
    view: ViewOptions = shown()

    def __post_init__(self) -> None:
        from resnet_inspect.imagesets import find_images
        from resnet_inspect.inputs import check_save_dir
        from resnet_inspect.parsing import check_image_paths, check_labels_path

        if not isinstance(self.image, str):
            raise ArgumentError(f"image must be a path, not {type(self.image).__name__}")
        if not isinstance(self.preparation, Preparation):
            raise ArgumentError(
                f"preparation must be Preparation, not {type(self.preparation).__name__}"
            )
        if not self.image:
            raise OptionError("cam needs an IMAGE file or folder")
        if os.path.isdir(self.image):
            find_images([self.image], option="IMAGE")  # a folder without images fails here
            if self.maps:
                raise OptionError("--maps shows one image's channels: give an image file")
        else:
            check_image_paths([self.image], "IMAGE")
        check_seed(self.seed)
        if isinstance(self.maps, bool) or not isinstance(self.maps, int):
            raise ArgumentError(f"maps must be an int, not {type(self.maps).__name__}")
        if not 0 <= self.maps <= MAX_MAPS:
            raise OptionError(f"--maps {self.maps}: expected a whole number from 0 to {MAX_MAPS}")
        if not isinstance(self.trust, bool):
            raise ArgumentError(f"trust must be a bool, not {type(self.trust).__name__}")
        check_labels_path(self.labels)
        if self.save_dir:
            check_save_dir(self.save_dir, self.image, self.model.weights)


def run_cam(request: CamRequest) -> CamReport:
    import torch

    from resnet_inspect.capture.images.class_names import class_names
    from resnet_inspect.capture.structure import capture_structure

    found = source(request.model)
    meta = found.meta()
    given = request.model.input_shape[1]
    preprocessing, channels = image_pipeline(found, meta, request.preparation, given)
    shape = (1, channels, *preprocessing.crop)
    structure = capture_structure(checked_meta(found, shape, meta), shape)
    modules = {name for name, _ in meta.named_modules() if name}
    layers = _layers(request.layer, structure.layout.stages, modules)
    names, _ = class_names(request.labels, found, meta, structure.num_classes)
    target = _target(request.target, names, structure.num_classes)

    torch.manual_seed(request.seed)
    model = found.real()
    checks = _trust_setup(request, found, model, structure, layers) if request.trust else None
    torch.manual_seed(request.seed)  # the images' maps do not depend on --trust's draws
    look = Looked(found, shape, structure.num_classes, preprocessing, channels, layers, names)
    if os.path.isdir(request.image):
        return _folder(request, model, look, target, checks)
    return _one_image(request, model, look, target, checks)


@dataclass(frozen=True)
class Looked:
    """What every image of a run is looked at with."""

    found: ModelSource
    shape: tuple[int, ...]
    classes: int
    preprocessing: Preprocessing
    channels: int
    layers: list[str]
    names: list[str]


def _one_image(
    request: CamRequest,
    model: torch.nn.Module,
    look: Looked,
    target: int | None,
    checks: TrustSetup | None,
) -> CamReport:
    import torch

    from resnet_inspect.assemble.cam import cam_report
    from resnet_inspect.capture.cam import grad_cam
    from resnet_inspect.capture.images.preprocessing import prepared
    from resnet_inspect.capture.images.reading import open_image
    from resnet_inspect.capture.instrument import model_dtype
    from resnet_inspect.capture.trust import trust_batch

    image, notes = open_image(request.image, look.channels, "IMAGE", upright=True)
    data = prepared(look.preprocessing, image, f"IMAGE {request.image}")[None]
    data = data.to(model_dtype(model))
    captured = grad_cam(model, data, look.layers, target, request.maps)
    pixels = look.preprocessing.pixels(data[0])
    trust = None
    if checks is not None:
        heat = torch.tensor(captured.maps[checks.layer], dtype=data.dtype)
        trust = trust_batch(model, data, [captured.target], heat[None], checks)
    if request.save_dir:
        heats = {name: torch.tensor(captured.maps[name]) for name in look.layers}
        _PngWriter(request.save_dir, os.path.dirname(request.image))(request.image, pixels, heats)
    return cam_report(
        captured,
        arch=look.found.info.name,
        input_shape=look.shape,
        num_classes=look.classes,
        weights=look.found.weights,
        model=look.found.info,
        image=request.image,
        preprocessing="; ".join([*sorted(notes), look.preprocessing.described]),
        pixels=pixels,
        layers=look.layers,
        names=look.names,
        options=recorded(request),
        trust=_trust(trust, checks, look),
    )


def _folder(
    request: CamRequest,
    model: torch.nn.Module,
    look: Looked,
    target: int | None,
    checks: TrustSetup | None,
) -> CamReport:
    from resnet_inspect.assemble.cam import cam_folder_report
    from resnet_inspect.capture.cam import as_grid
    from resnet_inspect.capture.cam_folder import cam_folder, scaled
    from resnet_inspect.imagesets import find_images

    images = find_images([request.image], option="IMAGE")
    writer = _PngWriter(request.save_dir, request.image) if request.save_dir else None
    progress = Progress()
    try:
        maps = cam_folder(
            model,
            images.files,
            images.labels,
            look.preprocessing,
            look.channels,
            look.layers,
            target,
            trust=checks,
            on_image=writer,
            progress=_bar(progress),
        )
    finally:
        progress.done()
    conversions = sorted({note for record in maps.images for note in record.conversions})
    trust = [r.trust for r in maps.images if r.trust is not None] if checks else None
    return cam_folder_report(
        maps.images,
        arch=look.found.info.name,
        input_shape=look.shape,
        num_classes=look.classes,
        weights=look.found.weights,
        model=look.found.info,
        folder=request.image,
        preprocessing="; ".join([*conversions, look.preprocessing.described]),
        grids={name: as_grid(total / len(maps.images)) for name, total in maps.grids.items()},
        heats={name: as_grid(scaled(total)) for name, total in maps.heats.items()},
        centres=maps.centres(),
        layers=look.layers,
        names=look.names,
        folder_classes=images.classes,
        target=target,
        seed=request.seed,
        options=recorded(request),
        trust=_trust(
            trust,
            checks,
            look,
            {stage: as_grid(total / len(maps.images)) for stage, total in maps.randomised.items()},
        ),
    )


def _trust(
    records: list[TrustRecord] | None,
    checks: TrustSetup | None,
    look: Looked,
    grids: dict[str, Grid] | None = None,
) -> Trust | None:
    from resnet_inspect.assemble.trust import trust_report
    from resnet_inspect.capture.faithfulness import BLUR_KERNEL, BLUR_SIGMA

    if not records or checks is None:
        return None
    return trust_report(
        records,
        layer=checks.layer,
        trained=checks.trained,
        reinitialised=checks.reinitialised,
        blur=(BLUR_SIGMA, BLUR_KERNEL),
        names=look.names,
        seed=checks.seed,
        grids=grids,
    )


def _trust_setup(
    request: CamRequest,
    found: ModelSource,
    model: torch.nn.Module,
    structure: StructureCapture,
    layers: list[str],
) -> TrustSetup:
    """What the trust checks need: the cascade's sections, and a fresh model's weights to
    re-initialise them from (built under the seed, as the model builds itself)."""

    from resnet_inspect.capture.randomisation import cascade, fresh_state
    from resnet_inspect.capture.trust import TrustSetup

    sections = cascade(structure.layout, model)
    if not any(section.name in structure.layout.stages for section in sections):
        raise InspectError("--trust: the model has no residual stages to randomise")
    if structure.num_classes < 2:
        raise InspectError("--trust: the random-class test needs a model of two classes or more")
    # Drawn from the seed's stream after the model itself, so that with random weights too
    # the fresh sections differ from the model's own; an instance's init is not known.
    fresh = fresh_state(found.make("cpu")) if found.initialises else None
    return TrustSetup(
        layer=layers[-1],
        sections=sections,
        fresh=fresh,
        classes=structure.num_classes,
        seed=request.seed,
        trained=not (found.weights.kind == "none" and found.initialises),
        reinitialised="own_init" if fresh is not None else "reset_parameters",
    )


class _PngWriter:
    """``--save-dir``: each image's maps over it as a PNG, written as soon as it is drawn,
    at the image's place under the folder (``cats/001.jpg`` → ``DIR/cats/001.png``)."""

    def __init__(self, folder: str, root: str) -> None:
        self.folder, self.root = folder, root
        self.written: set[str] = set()

    def __call__(self, path: str, pixels: Picture, heats: dict[str, torch.Tensor]) -> None:
        from resnet_inspect.capture.cam import as_grid
        from resnet_inspect.views.files import Output, write_all
        from resnet_inspect.views.heatmap import png_row

        relative = os.path.relpath(path, self.root) if self.root else os.path.basename(path)
        target = os.path.join(self.folder, os.path.splitext(relative)[0] + ".png")
        if target in self.written:  # a.jpg beside a.png: both keep their own file
            target = os.path.join(self.folder, relative + ".png")
        self.written.add(target)
        os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
        content = png_row([as_grid(heat) for heat in heats.values()], pixels)
        write_all([Output("--save-dir", target, content)])


BAR = 30  # characters of cam's progress bar


def _bar(progress: Progress) -> Callable[[int, int], None]:
    """cam's progress: a bar of the images done."""

    def show(done: int, total: int) -> None:
        filled = round(BAR * done / total)
        progress.show(f"cam {'█' * filled}{'░' * (BAR - filled)} {done}/{total} images")

    return show


def _layers(text: str, stages: tuple[str, ...], modules: set[str]) -> list[str]:
    if text == ALL:
        return list(stages)
    name = text or stages[-1]
    if name not in modules:
        hint = nearest(name, modules)
        raise OptionError(f"--layer {name}: no stage, block or layer of that name{hint}")
    return [name]


def _target(text: str, names: list[str], classes: int) -> int | None:
    """``--class``: an index, or a name the weights (or ``--labels``) give."""
    if not text:
        return None
    if text.isdigit():
        index = int(text)
        if index >= classes:
            raise OptionError(f"--class {index}: the model has classes 0 to {classes - 1}")
        return index
    if not names:
        raise OptionError(
            f"--class {text!r}: the weights name no classes; give an index (0 to "
            f"{classes - 1}) or --labels FILE"
        )
    lowered = [name.lower() for name in names]
    if text.lower() in lowered:
        return lowered.index(text.lower())
    raise OptionError(f"--class {text!r}: no class of that name{nearest(text, names, 0.6)}")


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


def from_command_line(
    ctx: typer.Context,
    image: ImageArgument,
    target: ClassOption = "",
    labels: LabelsOption = "",
    maps: MapsOption = 0,
    trust: TrustOption = False,
    save_dir: SaveDirOption = "",
    save_png: CamPngOption = "",
) -> CamRequest:
    """What the model predicts for an image, and where it looks: Grad-CAM over the image.

    The top 5 classes (softmax of the scores, named where the weights or --labels name
    them), then for one class (the top one, or --class) the Grad-CAM map of a layer
    (Selvaraju et al. 2017), drawn over the image as the model saw it; --layer all draws
    one per stage, side by side, so the maps can be seen to sharpen with depth. --maps N
    adds each layer's N strongest channels' activation maps, a mosaic (in the PNG too).
    A folder is streamed a few images at a time: a table per class and the mean map.
    --trust asks whether the map shows what the model learned.
    """
    return CamRequest(
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


COMMAND = Command(
    name="cam",
    request=CamRequest,
    report="resnet_inspect.report.images:CamReport",
    run=run_cam,
    view="resnet_inspect.views.cam:cam_view",
    short="resnet_inspect.views.cam:cam_short",
    cli=from_command_line,
    groups=(OWN, IMAGE_MODEL, LAYER, (SEED,), PREPARATION, OUTPUT),
    usage=PlainUsage,
    files=(("--save-png", "resnet_inspect.views.cam_png:cam_png"),),
    example=("{image}",),
)
