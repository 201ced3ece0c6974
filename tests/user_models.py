"""The ResNets people train, as a user would write them: factories for ``--model``.

Kept apart from the tests so that ``--model tests/user_models.py:NAME`` reads as it would
for a user, and so that the tests can build the very same models for their references.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models import resnet18, resnet50
from torchvision.models.resnet import BasicBlock as TorchvisionBasicBlock
from torchvision.models.resnet import ResNet


def cifar_resnet18() -> nn.Module:
    """The usual CIFAR change: a 3×3 stride-1 stem conv, no max-pool, 10 classes."""
    model = resnet18(num_classes=10)
    model.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
    model.maxpool = nn.Identity()  # type: ignore[assignment]
    return model


def one_channel_resnet18() -> nn.Module:
    """Medical images, MNIST: one input channel, torchvision's 7×7 stem otherwise."""
    model = resnet18(num_classes=2)
    model.conv1 = nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
    return model


def dropout_head_resnet18() -> nn.Module:
    """The fine-tuning head people write: Dropout, then a Linear to their classes."""
    model = resnet18()
    model.fc = nn.Sequential(nn.Dropout(0.2), nn.Linear(512, 5))  # type: ignore[assignment]
    return model


def tiny_resnet() -> nn.Module:
    """A depth torchvision does not ship: one BasicBlock per stage."""
    return ResNet(TorchvisionBasicBlock, [1, 1, 1, 1], num_classes=7)


def dilated_resnet50() -> nn.Module:
    """A segmentation backbone: stages 3 and 4 dilated instead of strided."""
    return resnet50(replace_stride_with_dilation=[False, True, True])


class BasicBlock(nn.Module):
    """The from-scratch CIFAR block: a ``shortcut`` Sequential, ``F.relu`` as a function."""

    expansion = 1

    def __init__(self, in_planes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False),
                nn.BatchNorm2d(planes),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        return F.relu(out)


class CifarResNet(nn.Module):
    """The widely copied CIFAR ResNet: functions for ReLU and pooling, a head named linear."""

    def __init__(self, num_blocks: tuple[int, ...] = (2, 2, 2, 2), num_classes: int = 10):
        super().__init__()
        self.in_planes = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.layer1 = self._make_layer(64, num_blocks[0], 1)
        self.layer2 = self._make_layer(128, num_blocks[1], 2)
        self.layer3 = self._make_layer(256, num_blocks[2], 2)
        self.layer4 = self._make_layer(512, num_blocks[3], 2)
        self.linear = nn.Linear(512, num_classes)

    def _make_layer(self, planes: int, blocks: int, stride: int) -> nn.Sequential:
        layers = []
        for step in [stride] + [1] * (blocks - 1):
            layers.append(BasicBlock(self.in_planes, planes, step))
            self.in_planes = planes
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        out = F.avg_pool2d(out, 4)
        out = out.view(out.size(0), -1)
        return self.linear(out)


def cifar_from_scratch() -> nn.Module:
    return CifarResNet()


def big_from_scratch() -> nn.Module:
    """A from-scratch model of resnet152's size, for the benchmark."""
    return resnet_like_152()


def resnet_like_152() -> nn.Module:
    from torchvision.models.resnet import Bottleneck

    return ResNet(Bottleneck, [3, 8, 36, 3])


# Names a user might point --model at by mistake.
not_a_model = 42


def needs_arguments(depth: int) -> nn.Module:
    return resnet18()


def returns_a_tuple() -> tuple[nn.Module, int]:
    return resnet18(), 10


def raises() -> nn.Module:
    raise RuntimeError("the weights server is down")


def not_a_resnet() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Flatten(), nn.LazyLinear(10))


def loads_a_file() -> nn.Module:
    """A factory that needs real values while building: it cannot build on meta."""
    model = resnet18(num_classes=3)
    with torch.no_grad():
        model.fc.weight.copy_(torch.ones(3, 512))  # copying values needs a real tensor
    if model.fc.weight.sum().item() != 3 * 512:
        raise RuntimeError("unexpected")
    return model


instance = tiny_resnet()


class FlattenedBlock(nn.Module):
    """A block that reshapes its map to (B, C, H·W) and back (attention-style code): on a
    channels_last input the first reshape copies, and the map comes back contiguous."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        mixed = x.reshape(b, c, h * w).softmax(dim=-1).reshape(b, c, h, w)
        return torch.relu(self.bn(self.conv(mixed)) + x)


def layout_breaking_resnet() -> nn.Module:
    """tiny_resnet with a FlattenedBlock after layer2: channels_last breaks there."""
    model = tiny_resnet()
    model.layer2 = nn.Sequential(model.layer2, FlattenedBlock(128))
    return model


class Whisper(nn.Module):
    """tiny_resnet whose scores are scaled by 1e-12: its gradients are far below float16's
    smallest number, even at GradScaler's 2**16."""

    def __init__(self) -> None:
        super().__init__()
        self.net = tiny_resnet()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x) * 1e-12


def whisper() -> nn.Module:
    return Whisper()


class Gate(nn.Module):
    """An SE-style gate: the map's channel means, squashed, broadcast back over it."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(x.mean(dim=(2, 3), keepdim=True)).expand_as(x)


def gated_resnet() -> nn.Module:
    """tiny_resnet with a Gate after layer2."""
    model = tiny_resnet()
    model.layer2 = nn.Sequential(model.layer2, Gate())
    return model
