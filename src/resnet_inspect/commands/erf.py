"""``erf``: the effective receptive field of one row's centre unit, measured, beside its
theoretical field."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar

from resnet_inspect.commands import Command, recorded, shown
from resnet_inspect.commands.model import check_one_sample, nearest, structure_of
from resnet_inspect.config import ModelChoice, check_seed
from resnet_inspect.errors import OptionError
from resnet_inspect.imagesets import image_files
from resnet_inspect.parsing import check_image_paths
from resnet_inspect.report import ErfReport, Level, Node, ReceptiveField
from resnet_inspect.views.options import ViewOptions

MAX_SAMPLES = 4096


@dataclass(frozen=True)
class ErfRequest:
    command: ClassVar[str] = "erf"

    model: ModelChoice = field(default_factory=lambda: ModelChoice(input_shape=(1, 3, 224, 224)))
    layer: str = ""  # a stage, block or layer of the model; "" is the last stage
    samples: int = 16  # random inputs averaged over (images: one sample each)
    seed: int = 0
    images: tuple[str, ...] = ()
    view: ViewOptions = shown()

    def __post_init__(self) -> None:
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


def run_erf(request: ErfRequest) -> ErfReport:
    import torch

    from resnet_inspect.assemble.model import build_model_report
    from resnet_inspect.capture import preflight
    from resnet_inspect.capture.erf import inside, mass_radius, measure_erf
    from resnet_inspect.capture.instrument import model_dtype

    # One meta pass at the batch the measurement runs: the rows and their fields (which no
    # batch changes), and the memory that batch needs.
    _, channels, height, width = request.model.input_shape
    count = len(request.images) or request.samples
    batch = (count, channels, height, width)
    found, meta, structure = structure_of(replace(request.model, input_shape=batch))
    tree = build_model_report(structure, command="tree", model=found.info, weights=found.weights)
    name = request.layer or structure.layout.stages[-1]
    row = _row(tree.sections, name, {n for n, _ in meta.named_modules() if n})
    preflight.check_erf_memory(structure)

    torch.manual_seed(request.seed)
    model = found.real()
    dtype = model_dtype(model)  # a .double() model measures in float64, as every command does
    preprocessing = ""
    if request.images:
        from resnet_inspect.capture.images import load_images, weights_normalisation

        data, preprocessing = load_images(
            request.images, channels, (height, width), weights_normalisation(found, model)
        )
        data = data.to(dtype)
    else:
        data = torch.rand(batch, dtype=dtype)
    measured = measure_erf(model, name, data)

    field_ = row.receptive_field
    assert field_ is not None
    box = _box(field_, measured.unit)
    centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
    return ErfReport(
        command="erf",
        arch=found.info.name,
        input_shape=request.model.input_shape,
        num_classes=tree.num_classes,
        weights=found.weights,
        model=found.info,
        layer=name,
        output_shape=measured.output_shape,
        unit=measured.unit,
        samples=count,
        inputs="images" if request.images else "random",
        images=request.images,
        preprocessing=preprocessing,
        seed=request.seed,
        heat=measured.heat,
        field=field_,
        field_box=box,
        radius_50=mass_radius(measured.heat, centre, 0.5),
        radius_90=mass_radius(measured.heat, centre, 0.9),
        field_radius=(min(field_.height.size, field_.width.size) - 1) / 2,
        inside_field=inside(measured.heat, box),
        options=recorded(request),
    )


def _row(sections: tuple[Node, ...], name: str, modules: set[str]) -> Node:
    """The named row: a module of the model (a stage, a block or a layer) whose output has
    a height and a width, and a theoretical field."""
    rows = {
        node.name: node
        for section in sections
        for node in section.walk()
        if node.name in modules and (node.level is not Level.LAYER or node.module_call)
    }
    if name not in rows:
        hint = nearest(name, rows)
        raise OptionError(f"--layer {name}: no stage, block or layer of that name{hint}")
    row = rows[name]
    field_ = row.receptive_field
    if len(row.output_shape) != 4 or field_ is None or field_.shared:
        raise OptionError(
            f"--layer {name}: its output ({'×'.join(map(str, row.output_shape))}) has no "
            "map of units with a field of their own; choose a stage, block or conv"
        )
    return row


def _box(field_: ReceptiveField, unit: tuple[int, int]) -> tuple[float, float, float, float]:
    """The theoretical field of the measured unit: top, left, bottom, right, in pixels."""
    edges = []
    for axis, index in ((field_.height, unit[0]), (field_.width, unit[1])):
        centre = axis.start + index * axis.jump
        edges.append((centre - (axis.size - 1) / 2, centre + (axis.size - 1) / 2))
    (top, bottom), (left, right) = edges
    return (top, left, bottom, right)


COMMAND = Command(
    name="erf",
    request=ErfRequest,
    report=ErfReport,
    run=run_erf,
    view="resnet_inspect.views.erf:erf_view",
    short="resnet_inspect.views.erf:erf_short",
    files=(("--save-png", "resnet_inspect.views.heatmap:erf_png"),),
    example=("--input", "1,3,64,64", "--samples", "4"),
)
