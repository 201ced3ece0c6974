"""``cam IMAGE``: the model's top classes for one image, and Grad-CAM maps of where in the
image a layer's evidence for one class lies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from resnet_inspect.commands import Command, given, recorded, shown
from resnet_inspect.commands.found import checked_meta, image_pipeline, nearest, source
from resnet_inspect.config import ModelChoice, Preparation, check_seed
from resnet_inspect.errors import ArgumentError, OptionError
from resnet_inspect.parsing import check_image_paths, check_labels_path
from resnet_inspect.report import CamReport
from resnet_inspect.views.options import ViewOptions

ALL = "all"  # --layer all: every stage
MAX_MAPS = 64  # channels a layer: more would not be told apart in a terminal


@dataclass(frozen=True)
class CamRequest:
    command: ClassVar[str] = "cam"

    image: str = ""
    model: ModelChoice = field(default_factory=ModelChoice)  # its input: the image, prepared
    preparation: Preparation = given(Preparation())  # in place of the weights' own
    target: str = ""  # a class index or name; "" is the top class
    layer: str = ""  # a stage, block or layer, or "all" (every stage); "" is the last stage
    labels: str = ""  # a text file of class names, one a line
    seed: int = 0  # the weights' initialisation, where they are random
    maps: int = 0  # each layer's strongest channels shown as activation maps (0: none)
    view: ViewOptions = shown()

    def __post_init__(self) -> None:
        if not isinstance(self.image, str):
            raise ArgumentError(f"image must be a path, not {type(self.image).__name__}")
        if not isinstance(self.preparation, Preparation):
            raise ArgumentError(
                f"preparation must be Preparation, not {type(self.preparation).__name__}"
            )
        if not self.image:
            raise OptionError("cam needs an IMAGE file")
        check_image_paths([self.image], "IMAGE")
        check_seed(self.seed)
        if isinstance(self.maps, bool) or not isinstance(self.maps, int):
            raise ArgumentError(f"maps must be an int, not {type(self.maps).__name__}")
        if not 0 <= self.maps <= MAX_MAPS:
            raise OptionError(f"--maps {self.maps}: expected a whole number from 0 to {MAX_MAPS}")
        check_labels_path(self.labels)


def run_cam(request: CamRequest) -> CamReport:
    import torch

    from resnet_inspect.assemble.cam import cam_report
    from resnet_inspect.capture.cam import grad_cam
    from resnet_inspect.capture.images.class_names import class_names
    from resnet_inspect.capture.images.preprocessing import prepared
    from resnet_inspect.capture.images.reading import open_image
    from resnet_inspect.capture.instrument import model_dtype
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
    image, notes = open_image(request.image, channels, "IMAGE", upright=True)
    data = prepared(preprocessing, image, f"IMAGE {request.image}")
    captured = grad_cam(model, data[None].to(model_dtype(model)), layers, target, request.maps)
    seen = preprocessing.picture(data.to(torch.float32)).expand(3, -1, -1)
    rgb = (seen * 255).round().to(torch.uint8).permute(1, 2, 0)
    return cam_report(
        captured,
        arch=found.info.name,
        input_shape=shape,
        num_classes=structure.num_classes,
        weights=found.weights,
        model=found.info,
        image=request.image,
        preprocessing="; ".join([*sorted(notes), preprocessing.described]),
        pixels=tuple(tuple(tuple(p) for p in row) for row in rgb.tolist()),
        layers=layers,
        names=names,
        options=recorded(request),
    )


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


COMMAND = Command(
    name="cam",
    request=CamRequest,
    report=CamReport,
    run=run_cam,
    view="resnet_inspect.views.cam:cam_view",
    short="resnet_inspect.views.cam:cam_short",
    files=(("--save-png", "resnet_inspect.views.heatmap:cam_png"),),
    example=("{image}",),
)
