"""What a run is asked to do, as typed and checked values: the domain's configuration.

Used by every layer (the library, capture, assemble, the report), so it holds no parsing of
command-line strings (``parsing``) and nothing about how a report is shown
(``views.options``). Each value checks itself on construction with the command line's own
messages, so that the library refuses what the CLI refuses. Pure Python.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

from resnet_inspect.errors import ArgumentError, OptionError

InputShape = tuple[int, int, int, int]


class LossKind(StrEnum):
    SUM = "sum"  # the tutorial's (prediction - labels).sum() against torch.rand labels
    CROSS_ENTROPY = "cross-entropy"
    MSE = "mse"


# What torch can hold: float32 for the optimizer's numbers, int64 for shapes and seeds.
FLOAT32_MAX = 3.4028234663852886e38
SEED_RANGE = (-(2**63), 2**64 - 1)  # torch.manual_seed's documented range
MAX_DIM = 2**31 - 1
MAX_ELEMENTS = 2**60  # elements of one tensor, so that its bytes still fit an int64
MAX_CLASSES = 2**31 - 1


def _check_float(option: str, value: object, low: float, high: float, expected: str) -> float:
    """A finite number in [low, high] (float32's range at most), or a usage error."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ArgumentError(f"{option.lstrip('-').replace('-', '_')} must be a number, not "
                        f"{type(value).__name__}")  # fmt: skip
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        raise OptionError(f"{option} {value!r}: {expected}")
    return number


def check_lr(value: object) -> float:
    number = _check_float(
        "--lr", value, 0.0, FLOAT32_MAX, "the learning rate must be greater than 0 and at most "
        "3.4e38 (float32), e.g. 0.01"
    )  # fmt: skip
    if number == 0:
        raise OptionError(f"--lr {value!r}: the learning rate must be greater than 0, e.g. 0.01")
    return number


def check_momentum(value: object) -> float:
    number = _check_float("--momentum", value, 0.0, 1.0, "expected a value in [0, 1), e.g. 0.9")
    if number == 1:
        raise OptionError(f"--momentum {value!r}: expected a value in [0, 1), e.g. 0.9")
    return number


def check_weight_decay(value: object) -> float:
    return _check_float(
        "--weight-decay", value, 0.0, FLOAT32_MAX, "expected 0 or more, at most 3.4e38 "
        "(float32), e.g. 1e-4"
    )  # fmt: skip


def check_seed(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentError(f"seed must be an int, not {type(value).__name__}")
    low, high = SEED_RANGE
    if not low <= value <= high:
        raise OptionError(f"--seed {value}: expected a whole number from -2^63 to 2^64 - 1")
    return value


class Precision(StrEnum):
    """The step's arithmetic: float32 throughout, or automatic mixed precision on the CPU
    (``torch.autocast("cpu", dtype)``) with float32 master parameters; fp16 steps go
    through ``torch.amp.GradScaler``."""

    FP32 = "fp32"
    BF16 = "bf16"
    FP16 = "fp16"

    @property
    def dtype_name(self) -> str:
        """torch's name of the autocast dtype: ``bfloat16``."""
        return {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}[self.value]


class OptimizerKind(StrEnum):
    SGD = "sgd"  # the tutorial's: SGD(lr, momentum)
    ADAM = "adam"
    ADAMW = "adamw"


@dataclass(frozen=True)
class StepOptions:
    """One optimizer step, by default as the tutorial takes it: ``SGD(params, lr=0.01,
    momentum=0.9)``; Adam and AdamW with their own defaults (betas 0.9, 0.999; eps 1e-8).

    Checked on construction with the command line's own messages, so that the library
    refuses what the CLI refuses.
    """

    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 0.0
    nesterov: bool = False
    loss: LossKind = LossKind.SUM
    optimizer: OptimizerKind = OptimizerKind.SGD
    steps: int = 1  # real steps on the same seeded batch
    precision: Precision = Precision.FP32
    channels_last: bool = False  # the model and the input in torch.channels_last
    # Stages recomputed in backward (activation checkpointing); recorded only when given.
    checkpoint: tuple[str, ...] = field(default=(), metadata={"omit_default": True})

    def __post_init__(self) -> None:
        check_steps(self.steps)
        if not isinstance(self.checkpoint, tuple) or not all(
            isinstance(name, str) and name for name in self.checkpoint
        ):
            raise ArgumentError(
                f"checkpoint must be a tuple of stage names, not {self.checkpoint!r}"
            )
        if not isinstance(self.precision, Precision):
            raise ArgumentError(
                f"precision must be a Precision, not {type(self.precision).__name__}"
            )
        if not isinstance(self.optimizer, OptimizerKind):
            raise ArgumentError(
                f"optimizer must be an OptimizerKind, not {type(self.optimizer).__name__}"
            )
        if self.optimizer is not OptimizerKind.SGD and self.nesterov:
            raise OptionError(f"--nesterov is SGD's; --optimizer {self.optimizer.value} has none")
        check_lr(self.lr)
        check_momentum(self.momentum)
        check_weight_decay(self.weight_decay)
        if not isinstance(self.channels_last, bool):
            raise ArgumentError(
                f"channels_last must be a bool, not {type(self.channels_last).__name__}"
            )
        if not isinstance(self.nesterov, bool):
            raise ArgumentError(f"nesterov must be a bool, not {type(self.nesterov).__name__}")
        if not isinstance(self.loss, LossKind):
            raise ArgumentError(f"loss must be a LossKind, not {type(self.loss).__name__}")
        if self.nesterov and self.momentum == 0:
            raise OptionError("--nesterov needs a momentum above 0 (e.g. --momentum 0.9)")


MAX_STEPS = 10_000


def check_steps(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentError(f"steps must be an int, not {type(value).__name__}")
    if not 1 <= value <= MAX_STEPS:
        raise OptionError(f"--steps {value}: expected a whole number from 1 to {MAX_STEPS:,}")
    return value


def check_new_classes(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentError(f"new_classes must be an int, not {type(value).__name__}")
    if not 1 <= value <= MAX_CLASSES:
        raise OptionError(
            f"--new-classes {value}: expected the number of classes of the new head, a whole "
            "number ≥ 1 and ≤ 2,147,483,647, e.g. 10"
        )
    return value


class WeightsKind(StrEnum):
    NONE = "none"  # random init, seeded
    PRETRAINED = "pretrained"  # a torchvision weights name
    FILE = "file"  # a local checkpoint
    HUB = "hub"  # a repository in the local Hugging Face cache (hf:REPO): name is the repo


@dataclass(frozen=True)
class WeightsChoice:
    kind: WeightsKind = WeightsKind.NONE
    name: str = ""  # the torchvision weights name, DEFAULT resolved (IMAGENET1K_V2)
    path: str = ""
    option: str = "--weights"  # what gave it, as messages name it (diff: "A", "B")
    label: str = ""  # how messages name the file, where not by its path (a Hub repository's)

    @property
    def shown(self) -> str:
        return self.label or f"{self.option} {self.path or self.name}"


@dataclass(frozen=True)
class FreezeOptions:
    """The tutorial's fine-tuning recipe: freeze everything, put a new head on."""

    new_classes: int = 10
    unfreeze: tuple[str, ...] = ()
    bn_eval: bool = False

    def __post_init__(self) -> None:
        check_new_classes(self.new_classes)
        check_unfreeze_names(self.unfreeze)
        if not isinstance(self.bn_eval, bool):
            raise ArgumentError(f"bn_eval must be a bool, not {type(self.bn_eval).__name__}")


def check_unfreeze_names(names: object) -> tuple[str, ...]:
    """``--unfreeze``'s names as the library takes them: a tuple of names, none twice. Whether
    the model has them is known once it is built (or, for torchvision's, from ``anatomy``)."""
    if not isinstance(names, tuple) or not all(isinstance(name, str) for name in names):
        raise ArgumentError(f"unfreeze must be a tuple of names, e.g. ('layer4',), not {names!r}")
    for index, name in enumerate(names):
        if name in names[:index]:
            raise OptionError(f"--unfreeze names {name!r} twice")
    return names


@dataclass(frozen=True)
class ModelSpec:
    """``--model``: the user's own code, ``path/to/file.py:NAME`` or ``package.module:NAME``.

    NAME is an ``nn.Module`` or a callable that takes no arguments and returns one.
    """

    text: str
    path: str = ""  # the .py file, or "" for a module to import
    module: str = ""  # the dotted module name, or "" for a file
    name: str = ""


def check_input_shape(shape: object) -> InputShape:
    """An input shape as the library takes it: four whole numbers B, C, H, W, each at least 1
    (what the command line's ``--input`` accepts)."""
    if not (
        isinstance(shape, tuple)
        and all(isinstance(d, int) and not isinstance(d, bool) for d in shape)
    ):
        raise ArgumentError(f"input_shape must be a tuple of ints, not {shape!r}")
    if len(shape) != 4 or not all(1 <= d <= MAX_DIM for d in shape):
        raise OptionError(
            f"input_shape {shape!r}: expected B, C, H, W as 4 whole numbers from 1 to "
            "2,147,483,647, e.g. (1, 3, 64, 64)"
        )
    if math.prod(shape) > MAX_ELEMENTS:
        raise OptionError(f"input_shape {shape!r}: B×C×H×W is more than 2^60 elements")
    return (shape[0], shape[1], shape[2], shape[3])


@dataclass(frozen=True)
class ModelChoice:
    """Which model a command inspects, and at which input: a torchvision architecture
    (``arch``), the user's own code (``spec``), a module handed to the library (``module``),
    or none of these, with a checkpoint file that says what it is (``arch`` None)."""

    arch: str | None = "resnet18"
    input_shape: InputShape = (1, 3, 64, 64)
    weights: WeightsChoice = WeightsChoice()
    spec: ModelSpec | None = None
    module: object = None  # an nn.Module given to the library; never changed

    def __post_init__(self) -> None:
        check_input_shape(self.input_shape)

    @property
    def runs_user_code(self) -> bool:
        """The user's code or module: what it depends on cannot be known (never cached)."""
        return self.spec is not None or self.module is not None


class SideKind(StrEnum):
    FILE = "file"  # a checkpoint
    PRETRAINED = "pretrained"  # a torchvision weights name of the architecture
    INIT = "init"  # the architecture's random initialisation under a seed


@dataclass(frozen=True)
class DiffSide:
    """One side of ``diff``: what the text says it is, checked before torch."""

    text: str
    kind: SideKind
    path: str = ""
    seed: int = 0


def check_memory_budget(value: object) -> int | None:
    """A budget given to the library: None, or a whole number of bytes above 0."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentError(
            f"memory must be a number of bytes (an int), not {type(value).__name__}"
        )
    if value <= 0:
        raise OptionError(f"--memory {value}: must be more than 0 bytes")
    if value > MAX_MEMORY:
        raise OptionError(
            f"--memory {value} bytes is more than any machine holds; give at most 2**60 (1 EiB)"
        )
    return value


MAX_MEMORY = 2**60  # 1 EiB: far beyond any machine, and every byte count stays exact
LARGEST_BATCH = 2**31 - 1  # what --input accepts, and the largest batch plan answers


MAX_IMAGE_SIDE = 65_536  # far beyond any image a step takes; keeps resize arithmetic small


@dataclass(frozen=True)
class Preparation:
    """How an image is made a model's input, where it is not the weights' own way: the
    shorter side ``resize``d, a centre ``crop`` (height, width), normalised by ``mean`` and
    ``std`` (one value per channel). None keeps the weights' own part (see the one image
    pipeline, capture/images/preprocessing.py)."""

    resize: int | None = None
    crop: tuple[int, int] | None = None
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.resize is not None:
            _check_whole("--resize", self.resize, MAX_IMAGE_SIDE)
        if self.crop is not None:
            if not isinstance(self.crop, tuple) or len(self.crop) != 2:
                raise ArgumentError(f"crop must be (height, width), not {self.crop!r}")
            for side in self.crop:
                _check_whole("--crop", side, MAX_IMAGE_SIDE)
        if (self.mean is None) != (self.std is None):
            raise OptionError("--mean and --std go together: give both, one value per channel")
        if self.mean is not None and self.std is not None:
            if len(self.mean) != len(self.std):
                raise OptionError(
                    f"--mean has {len(self.mean)} values and --std {len(self.std)}: give one "
                    "per channel to both"
                )
            for value in self.mean:
                _check_float("--mean", value, -FLOAT32_MAX, FLOAT32_MAX, "expected numbers")
            for value in self.std:
                if _check_float("--std", value, 0.0, FLOAT32_MAX, "expected numbers > 0") == 0:
                    raise OptionError("--std 0: a standard deviation must be greater than 0")

    def check_channels(self, channels: int) -> None:
        """A mean and std of one value per channel of the model's first conv."""
        if self.mean is not None and len(self.mean) != channels:
            raise OptionError(
                f"--mean has {len(self.mean)} values for a model of {channels} channels"
            )


@dataclass(frozen=True)
class ImageOptions:
    """``--images``: real images as the step's input, and how they are prepared.

    ``batch`` images a step (None: all of them, at most ``DEFAULT_IMAGE_BATCH``), walked in
    order or, with ``shuffle``, in an order drawn from the run's seed. ``resize`` (the
    shorter side), ``crop`` (height, width), ``mean`` and ``std`` replace the weights' own
    preprocessing where given (``preparation``).
    """

    paths: tuple[str, ...]
    batch: int | None = None
    shuffle: bool = False
    resize: int | None = None
    crop: tuple[int, int] | None = None
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if not (
            isinstance(self.paths, tuple)
            and self.paths
            and all(isinstance(p, str) for p in self.paths)
        ):
            raise ArgumentError(
                f"images must be a tuple of paths, e.g. ('cats/',), not {self.paths!r}"
            )
        if self.batch is not None:
            _check_whole("--batch", self.batch, MAX_DIM)
        self.preparation  # noqa: B018 (checked as it is made)

    @property
    def preparation(self) -> Preparation:
        return Preparation(resize=self.resize, crop=self.crop, mean=self.mean, std=self.std)


DEFAULT_IMAGE_BATCH = 8


def _check_whole(option: str, value: object, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        name = option.lstrip("-").replace("-", "_")
        raise ArgumentError(f"{name} must be an int, not {type(value).__name__}")
    if not 1 <= value <= high:
        raise OptionError(f"{option} {value}: expected a whole number from 1 to {high:,}")
    return value
