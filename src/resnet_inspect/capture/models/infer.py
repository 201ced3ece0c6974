"""A checkpoint that says what it is: the torchvision ResNet configuration a state_dict fits.

Names and shapes tell the block kind (``conv3`` → Bottleneck), blocks per stage, groups and
width per group (from the grouped 3×3 conv), input channels and stem kernel (``conv1``), the
number of classes and the head's layout (``fc.weight``, or ``fc.N.weight`` in a Sequential).
What a state_dict cannot hold is assumed and said so: the stem's stride and max-pool, the
kind of parameterless layers in a Sequential head, and dilation (it changes no shape).
"""

from __future__ import annotations

import re
from contextlib import nullcontext
from dataclasses import dataclass

import torch
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

from resnet_inspect.anatomy import STAGE_BLOCKS
from resnet_inspect.capture.models.torchvision import SkipInitialisation
from resnet_inspect.errors import InspectError
from resnet_inspect.records import Setting, Settings

StateDict = dict[str, torch.Tensor]

# groups and width per group of the torchvision architectures that are not plain ResNets.
_GROUPS = {
    "resnext50_32x4d": (32, 4),
    "resnext101_32x8d": (32, 8),
    "resnext101_64x4d": (64, 4),
    "wide_resnet50_2": (1, 128),
    "wide_resnet101_2": (1, 128),
}
_GUESSED = ("Dropout", "ReLU")
_STAGE_KEY = re.compile(r"^layer(\d+)\.(\d+)\.")
_HEAD_KEY = re.compile(r"^fc\.(\d+)\.(weight|bias|running_mean|running_var|num_batches_tracked)$")


@dataclass(frozen=True)
class ResNetConfig:
    """The torchvision ``ResNet`` that a checkpoint fits, with its stem and head changes."""

    block: str  # BasicBlock or Bottleneck
    layers: tuple[int, ...]
    groups: int
    width_per_group: int
    in_channels: int
    stem_kernel: int
    stem_stride: int  # assumed: 2 for a 7×7 stem (torchvision's), 1 for a smaller one (CIFAR)
    max_pool: bool  # assumed likewise
    num_classes: int
    head: tuple[str, ...]  # "Linear" for a plain fc; else the Sequential's layers in order
    head_sizes: tuple[int, ...] = ()  # out_features of each Linear, num_features of each BN

    @property
    def torchvision_name(self) -> str | None:
        """The torchvision architecture with this very body, if there is one."""
        for arch, (layers, block) in STAGE_BLOCKS.items():
            groups = _GROUPS.get(arch, (1, 64))
            if (layers, block, groups) == (
                self.layers,
                self.block,
                (self.groups, self.width_per_group),
            ):
                return arch
        return None

    @property
    def stock_stem(self) -> bool:
        return (self.in_channels, self.stem_kernel) == (3, 7)

    @property
    def name(self) -> str:
        """``resnet18``, or how to build it: ``ResNet(BasicBlock, [1, 1, 1, 1])``."""
        stock = self.torchvision_name
        if stock and self.stock_stem and self.head == ("Linear",):
            return stock
        body = stock or f"ResNet({self.block}, [{', '.join(map(str, self.layers))}])"
        return f"{body} variant"

    def inferred(self) -> Settings:
        facts = [
            Setting("block", self.block),
            Setting("blocks_per_stage", self.layers),
            Setting("in_channels", self.in_channels),
            Setting("stem_kernel", self.stem_kernel),
            Setting("num_classes", self.num_classes),
            Setting("head", "fc" if self.head == ("Linear",) else f"fc = {self._head_text()}"),
        ]
        if (self.groups, self.width_per_group) != (1, 64):
            facts[1:1] = [Setting("groups", self.groups)]
            facts[2:2] = [Setting("width_per_group", self.width_per_group)]
        return Settings(facts)

    def assumed(self) -> Settings:
        facts = []
        if not self.stock_stem:
            facts.append(Setting("stem_stride", self.stem_stride))
            facts.append(Setting("max_pool", self.max_pool))
        guessed = [f"fc.{i} {kind}" for i, kind in enumerate(self.head) if kind in _GUESSED]
        if guessed:  # they hold no parameters, so the state_dict does not show what they are
            facts.append(Setting("head_layers", ", ".join(guessed)))
        if self.block == "Bottleneck":
            facts.append(Setting("dilation", 1))
        return Settings(facts)

    def _head_text(self) -> str:
        return f"Sequential({', '.join(self.head)})"


def infer_config(state: StateDict, shown: str) -> ResNetConfig:
    """Read the configuration off ``state``, or say in one line why it is no ResNet."""
    stem = state.get("conv1.weight")
    stages: dict[int, int] = {}
    for key in state:
        match = _STAGE_KEY.match(key)
        if match:
            stage, block = int(match.group(1)), int(match.group(2))
            stages[stage] = max(stages.get(stage, 0), block + 1)
    if stem is None or stem.dim() != 4 or not stages:
        sample = ", ".join(list(state)[:3]) or "no keys at all"
        raise InspectError(
            f"{shown} is not a ResNet checkpoint: expected conv1.weight and "
            f"layer1.0.… keys, found {sample}; pass --model with the model's own code"
        )
    if sorted(stages) != [1, 2, 3, 4]:
        raise InspectError(
            f"{shown} has stages {sorted(stages)}; torchvision's ResNet has layer1 to "
            "layer4, so its configuration cannot be inferred: pass --model with the model's code"
        )
    bottleneck = "layer1.0.conv3.weight" in state
    groups, width_per_group = 1, 64
    if bottleneck:
        spatial = state["layer1.0.conv2.weight"]  # (width, width / groups, 3, 3) in stage 1
        width = int(spatial.shape[0])
        groups = width // int(spatial.shape[1])
        width_per_group = width // groups
    kernel = int(stem.shape[-1])
    head, sizes, classes = _head(state, shown)
    return ResNetConfig(
        block="Bottleneck" if bottleneck else "BasicBlock",
        layers=tuple(stages[i] for i in sorted(stages)),
        groups=groups,
        width_per_group=width_per_group,
        in_channels=int(stem.shape[1]),
        stem_kernel=kernel,
        stem_stride=2 if kernel >= 7 else 1,
        max_pool=kernel >= 7,
        num_classes=classes,
        head=head,
        head_sizes=sizes,
    )


def _head(state: StateDict, shown: str) -> tuple[tuple[str, ...], tuple[int, ...], int]:
    """``("Linear",)`` for ``fc.weight``; for ``fc.N.…`` the Sequential's layers in order,
    a parameterless gap read as Dropout before the first Linear and ReLU between two."""
    plain = state.get("fc.weight")
    if plain is not None and plain.dim() == 2 and plain.shape[0] >= 1:
        return ("Linear",), (int(plain.shape[0]),), int(plain.shape[0])
    layers: dict[int, tuple[str, int]] = {}
    for key, value in state.items():
        match = _HEAD_KEY.match(key)
        if match and match.group(2) in ("weight", "running_mean"):
            kind = "Linear" if value.dim() == 2 else "BatchNorm1d"
            layers[int(match.group(1))] = (kind, int(value.shape[0]))
    linears = [i for i, (kind, _) in layers.items() if kind == "Linear"]
    classes = layers[max(linears)][1] if linears else 0
    if not linears or classes < 1:
        raise InspectError(
            f"{shown} has no classifier: expected fc.weight, or fc.N.weight in a "
            "Sequential head, with at least one class"
        )
    head, sizes = [], []
    for index in range(max(linears) + 1):
        kind, size = layers.get(index, ("Dropout" if index < min(linears) else "ReLU", 0))
        head.append(kind)
        sizes.append(size)
    return tuple(head), tuple(sizes), classes


def build_inferred(config: ResNetConfig, device: str) -> torch.nn.Module:
    """The configuration built from torchvision's own classes, then its stem and head set."""
    block = Bottleneck if config.block == "Bottleneck" else BasicBlock
    with torch.device(device), SkipInitialisation() if device == "meta" else nullcontext():
        model = ResNet(
            block,
            list(config.layers),
            num_classes=config.num_classes,
            groups=config.groups,
            width_per_group=config.width_per_group,
        )
        if not config.stock_stem:
            model.conv1 = torch.nn.Conv2d(
                config.in_channels,
                64,
                kernel_size=config.stem_kernel,
                stride=config.stem_stride,
                padding=config.stem_kernel // 2,
                bias=False,
            )
        if not config.max_pool:
            model.maxpool = torch.nn.Identity()
        if config.head != ("Linear",):
            model.fc = _sequential_head(config, model.fc.in_features)
    built: torch.nn.Module = model
    return built


def _sequential_head(config: ResNetConfig, in_features: int) -> torch.nn.Sequential:
    layers: list[torch.nn.Module] = []
    features = in_features
    for kind, size in zip(config.head, config.head_sizes, strict=True):
        if kind == "Linear":
            layers.append(torch.nn.Linear(features, size))
            features = size
        elif kind == "BatchNorm1d":
            layers.append(torch.nn.BatchNorm1d(features))
        elif kind == "ReLU":
            layers.append(torch.nn.ReLU(inplace=True))
        else:
            layers.append(torch.nn.Dropout())
    return torch.nn.Sequential(*layers)
