"""``cam IMAGE``: the model's top classes for one image, and Grad-CAM maps of where in the
image a layer's evidence for one class lies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from resnet_inspect.commands import Command, recorded, shown
from resnet_inspect.commands.model import check_one_sample, nearest, structure_of
from resnet_inspect.config import ModelChoice, check_seed
from resnet_inspect.errors import OptionError
from resnet_inspect.parsing import check_image_paths, check_labels_path
from resnet_inspect.report import CamLayer, CamReport, ChannelMap, Prediction
from resnet_inspect.views.options import ViewOptions

ALL = "all"  # --layer all: every stage
MAX_MAPS = 64  # channels a layer: more would not be told apart in a terminal


@dataclass(frozen=True)
class CamRequest:
    command: ClassVar[str] = "cam"

    image: str = ""
    model: ModelChoice = field(default_factory=lambda: ModelChoice(input_shape=(1, 3, 224, 224)))
    target: str = ""  # a class index or name; "" is the top class
    layer: str = ""  # a stage, block or layer, or "all" (every stage); "" is the last stage
    labels: str = ""  # a text file of class names, one a line
    seed: int = 0  # the weights' initialisation, where they are random
    maps: int = 0  # each layer's strongest channels shown as activation maps (0: none)
    view: ViewOptions = shown()

    def __post_init__(self) -> None:
        check_one_sample(self.model, "cam")
        if not self.image:
            raise OptionError("cam needs an IMAGE file")
        check_image_paths([self.image])
        check_seed(self.seed)
        if isinstance(self.maps, bool) or not isinstance(self.maps, int):
            raise TypeError(f"maps must be an int, not {type(self.maps).__name__}")
        if not 0 <= self.maps <= MAX_MAPS:
            raise OptionError(f"--maps {self.maps}: expected a whole number from 0 to {MAX_MAPS}")
        check_labels_path(self.labels)


def run_cam(request: CamRequest) -> CamReport:
    import torch

    from resnet_inspect.capture.cam import grad_cam
    from resnet_inspect.capture.class_names import class_names
    from resnet_inspect.capture.images import normalised, read_pixels, weights_normalisation

    found, meta, structure = structure_of(request.model)
    _, channels, height, width = request.model.input_shape
    modules = {name for name, _ in meta.named_modules() if name}
    layers = _layers(request.layer, structure.layout.stages, modules)
    names, _ = class_names(request.labels, found, meta, structure.num_classes)
    target = _target(request.target, names, structure.num_classes)

    torch.manual_seed(request.seed)
    model = found.real()
    pixels, notes = read_pixels([request.image], channels, (height, width), option="IMAGE")
    data, preprocessing = normalised(pixels, weights_normalisation(found, model), notes)
    data = data.to(next(model.parameters()).dtype)
    captured = grad_cam(model, data, layers, target, request.maps)
    probabilities = torch.softmax(torch.tensor(captured.logits, dtype=torch.float64), dim=0)
    order = torch.argsort(probabilities, descending=True)[:5].tolist()
    rgb = (pixels[0].expand(3, -1, -1) * 255).round().to(torch.uint8).permute(1, 2, 0)
    chosen = captured.target
    return CamReport(
        command="cam",
        arch=found.info.name,
        input_shape=request.model.input_shape,
        num_classes=structure.num_classes,
        weights=found.weights,
        model=found.info,
        image=request.image,
        preprocessing=preprocessing,
        pixels=tuple(tuple(tuple(p) for p in row) for row in rgb.tolist()),
        target=chosen,
        target_name=names[chosen] if names else "",
        score=captured.logits[chosen],
        probability=float(probabilities[chosen]),
        top=tuple(Prediction(i, names[i] if names else "", float(probabilities[i])) for i in order),
        layers=tuple(
            CamLayer(
                name,
                captured.grids[name],
                captured.maps[name],
                tuple(ChannelMap(*found) for found in captured.channels.get(name, ())),
            )
            for name in layers
        ),
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
