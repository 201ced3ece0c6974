"""What ``cam --trust`` and ``cam FOLDER`` report: whether a Grad-CAM map can be trusted to
show what the model learned, and a folder's maps summed up."""

from __future__ import annotations

from dataclasses import dataclass

from resnet_inspect.records.passes import Grid


@dataclass(frozen=True)
class Estimate:
    """A number over the images: their mean and its 95% bootstrap confidence interval (the
    percentiles of 1,000 resampled means); for one image, that image's number, low = high.
    ``mean`` is None where no image gave a number (every map constant)."""

    mean: float | None
    low: float | None
    high: float | None
    count: int  # images that gave a number


@dataclass(frozen=True)
class RandomisedStage:
    """The map once the model was re-initialised from the head down to ``stage``."""

    stage: str
    spearman: Estimate  # rank correlation with the trained model's map
    ssim: Estimate  # structural similarity with it
    grid: Grid  # the map at the layer's resolution (a folder: the mean of each image's, scaled)


@dataclass(frozen=True)
class Curve:
    """The explained class's probability as pixels are deleted (or inserted), most
    important first by one map's order, at fractions 0, 1/steps, …, 1 of the pixels."""

    map: str  # "Grad-CAM", "random", "centred Gaussian"
    deletion: tuple[float, ...]  # a folder: the mean over the images, point by point
    insertion: tuple[float, ...]
    deletion_auc: Estimate  # area under the curve: lower is better for deletion
    insertion_auc: Estimate  # higher is better for insertion


@dataclass(frozen=True)
class Trust:
    """The sanity checks and faithfulness of one layer's map (Adebayo et al. 2018; Sixt et
    al. 2020; Petsiuk et al. 2018)."""

    layer: str
    images: int
    trained: bool  # False: the weights are random, so nothing learned can be shown
    # How a section is re-initialised: "own_init" (from a fresh model drawn from the seed's
    # stream after the explained one), "reset_parameters" (each module's own reset methods:
    # a model handed over built, whose initialisation is not known).
    reinitialised: str
    seed: int
    randomised: tuple[RandomisedStage, ...]  # the cascade, head first
    changes_from: str  # the first section whose randomisation changes the map; "" if none does
    other_class: int  # one image: the class drawn at random; a folder: -1 (one per image)
    other_class_name: str
    other_spearman: Estimate  # that class's map against the explained class's
    other_ssim: Estimate
    class_sensitive: bool  # the other class's map differs (Spearman below the threshold)
    # Deleted pixels are set to 0 in the model's input; insertion starts from the image
    # blurred by a Gaussian of this σ (pixels) over this kernel (RISE's).
    blur_sigma: float
    blur_kernel: int
    steps: int
    curves: tuple[Curve, ...]  # Grad-CAM's first, then the baselines'
    deletion_beats_baselines: bool  # Grad-CAM's deletion AUC is below both baselines'
    insertion_beats_baselines: bool  # its insertion AUC is above both
    threshold: float  # the Spearman below which two maps count as different


@dataclass(frozen=True)
class CamImage:
    """One image of a folder."""

    path: str
    folder_class: str  # its ImageFolder class; "" outside an ImageFolder
    target: int
    target_name: str
    probability: float
    top: int  # the most probable class (the one explained unless --class)
    centre: tuple[float, float] | None  # the map's centre of mass, (row, column) in [0, 1]
    deletion_auc: float | None  # with --trust
    insertion_auc: float | None
    other_spearman: float | None
    randomised_spearman: float | None  # with every section randomised


@dataclass(frozen=True)
class CamClass:
    """The images of one class: an ImageFolder's folder, or outside one the class explained."""

    name: str
    images: int
    centre: tuple[float, float] | None  # the centre of mass of their mean map
    deletion_auc: Estimate | None  # with --trust
    insertion_auc: Estimate | None
    other_spearman: Estimate | None
