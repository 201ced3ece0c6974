"""What the commands that look at images report: ``erf``, ``cam`` and ``predict``."""

from __future__ import annotations

from dataclasses import dataclass

from resnet_inspect.records.facts import (
    NO_SETTINGS,
    ModelInfo,
    ReceptiveField,
    Settings,
    Shape,
    WeightsInfo,
)
from resnet_inspect.report.subject import Report
from resnet_inspect.report.trust import CamClass, CamImage, Trust


@dataclass(frozen=True, repr=False)
class ErfReport(Report):
    """What ``erf`` measured: the effective receptive field of one unit of one row, the mean
    absolute gradient of that unit with respect to the input (Luo et al., NeurIPS 2016),
    beside its theoretical field."""

    command: str
    arch: str
    input_shape: Shape  # one sample's
    num_classes: int
    weights: WeightsInfo
    model: ModelInfo
    layer: str  # the row whose unit is measured (a stage, block or layer)
    output_shape: Shape  # that row's output for one sample
    unit: tuple[int, int]  # the unit: its row and column in that output (the centre)
    samples: int  # inputs averaged over
    inputs: str  # "random" (torch.rand under the seed) or "images"
    images: tuple[str, ...]  # the image files, when those were the inputs
    preprocessing: str  # how images were made into inputs ("" for random inputs)
    seed: int
    heat: tuple[tuple[float, ...], ...]  # H×W, the mean |∂y/∂x| over channels and samples, sum 1
    field: ReceptiveField  # the theoretical field of the row
    field_box: tuple[float, float, float, float]  # that unit's field: top, left, bottom, right
    radius_50: float  # the radius around the field's centre that holds 50% of the gradient
    radius_90: float
    field_radius: float  # half the theoretical field: (r − 1)/2 along the shorter axis
    inside_field: float  # the share of the gradient inside the theoretical field (1 in theory)
    options: Settings = NO_SETTINGS

    @property
    def grid(self) -> list[list[float]]:
        """The heatmap as nested lists (row by row), summing to 1."""
        return [list(row) for row in self.heat]


@dataclass(frozen=True)
class Prediction:
    index: int
    name: str  # "" where the weights carry no class names
    probability: float  # softmax of the model's scores


@dataclass(frozen=True)
class ChannelMap:
    """One channel's activation map at a layer (``cam --maps``)."""

    channel: int
    mean: float  # its mean activation over the map: what ranks it among the strongest
    grid: tuple[tuple[float, ...], ...]  # h×w, as computed


@dataclass(frozen=True)
class CamLayer:
    """Grad-CAM at one layer: its map at the layer's resolution, and upsampled."""

    layer: str
    grid: tuple[tuple[float, ...], ...]  # ReLU(Σ α_k·A_k), h×w, as computed
    heat: tuple[tuple[float, ...], ...]  # upsampled to the input's H×W, the largest 1
    channels: tuple[ChannelMap, ...] = ()  # --maps: the strongest channels, strongest first

    @property
    def no_evidence(self) -> bool:
        """Grad-CAM is 0 everywhere: no channel's weighted activation is positive anywhere,
        so the layer shows nothing that raises the class's score."""
        return all(value <= 0 for row in self.grid for value in row)


@dataclass(frozen=True, repr=False)
class CamReport(Report):
    """What ``cam`` found for one image: the model's top classes, and where in the image a
    layer's evidence for the chosen class lies (Grad-CAM, Selvaraju et al. 2017). For a
    folder, ``image`` is the folder, ``images`` has each image's numbers, ``classes`` the
    per-class summary, each layer's map is the mean of the images' maps, and ``pixels`` and
    ``top`` are empty; ``target`` is -1 unless one class was asked for, and ``score`` and
    ``probability`` are the means over the images of the class each explains."""

    command: str
    arch: str
    input_shape: Shape
    num_classes: int
    weights: WeightsInfo
    model: ModelInfo
    image: str
    preprocessing: str
    pixels: tuple[tuple[tuple[int, int, int], ...], ...]  # the input as seen, RGB 0-255
    target: int  # the class explained
    target_name: str
    score: float  # its logit
    probability: float
    top: tuple[Prediction, ...]  # the five most probable classes
    layers: tuple[CamLayer, ...]
    options: Settings = NO_SETTINGS
    trust: Trust | None = None  # --trust
    images: tuple[CamImage, ...] = ()  # a folder's images
    classes: tuple[CamClass, ...] = ()  # a folder's classes

    @property
    def folder(self) -> bool:
        return bool(self.images)


@dataclass(frozen=True)
class ImagePrediction:
    """One image's most probable classes."""

    image: str  # its path
    folder_class: str  # its ImageFolder class folder; "" outside an ImageFolder
    top: tuple[Prediction, ...]


@dataclass(frozen=True, repr=False)
class PredictReport(Report):
    """What the model predicts for each image: its most probable classes (softmax of one
    eval-mode forward), with the names the weights (or ``--labels``) give them."""

    command: str
    arch: str
    input_shape: Shape  # one image, as prepared
    num_classes: int
    weights: WeightsInfo
    model: ModelInfo
    preprocessing: str
    conversions: tuple[str, ...]
    names_from: str  # where the class names were read; "" where nothing names them
    predictions: tuple[ImagePrediction, ...]
    options: Settings = NO_SETTINGS
