"""What the Grad-CAM trust checks and a folder's maps hand over: plain numbers, no tensors."""

from __future__ import annotations

from dataclasses import dataclass

from resnet_inspect.records.passes import Grid


@dataclass(frozen=True)
class RandomisedRecord:
    """The map after the model was re-initialised from the head down to ``stage``."""

    stage: str
    spearman: float | None  # rank correlation with the trained model's map (None: a constant map)
    ssim: float
    grid: Grid  # the map at the layer's resolution, as computed


@dataclass(frozen=True)
class CurveRecord:
    """The explained class's probability as pixels are deleted from the image (or inserted
    into its blurred copy), most important first by one map's order."""

    map: str  # "Grad-CAM", "random", "centred Gaussian"
    deletion: tuple[float, ...]  # at fractions 0, 1/steps, …, 1 of the pixels
    insertion: tuple[float, ...]


@dataclass(frozen=True)
class TrustRecord:
    """One image's trust checks of one layer's map."""

    randomised: tuple[RandomisedRecord, ...]  # the cascade, head first
    other_class: int  # a class drawn at random from the others (Sixt et al. 2020)
    other_spearman: float | None  # its map against the explained class's
    other_ssim: float
    curves: tuple[CurveRecord, ...]


@dataclass(frozen=True)
class CamImageRecord:
    """One image of a folder: the class explained, and where its map lies."""

    path: str
    folder_class: int  # its ImageFolder label; -1 outside an ImageFolder
    target: int
    probability: float  # of the class explained
    logit: float
    top: int  # the most probable class
    centre: tuple[float, float] | None  # the map's centre of mass (row, column) in [0, 1]
    conversions: tuple[str, ...]
    trust: TrustRecord | None = None
