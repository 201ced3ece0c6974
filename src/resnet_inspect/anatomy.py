"""What a ResNet is made of: names, blocks, roles by position. Structure only, no words.

Roles are decided by *position* in the network (top level, inside a block of a given
kind, which call of a reused module), never by a leaf's name alone: ``conv1`` at the top
level is the stem convolution, ``layer1.0.conv1`` is a block's first convolution.

Pure Python: importing this module must never import torch.
"""

from __future__ import annotations

from enum import StrEnum

ARCHITECTURES: tuple[str, ...] = (
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet101",
    "resnet152",
    "resnext50_32x4d",
    "resnext101_32x8d",
    "resnext101_64x4d",
    "wide_resnet50_2",
    "wide_resnet101_2",
)

# Blocks per stage and block kind of each architecture, as torchvision builds them.
STAGE_BLOCKS: dict[str, tuple[tuple[int, int, int, int], str]] = {
    "resnet18": ((2, 2, 2, 2), "BasicBlock"),
    "resnet34": ((3, 4, 6, 3), "BasicBlock"),
    "resnet50": ((3, 4, 6, 3), "Bottleneck"),
    "resnet101": ((3, 4, 23, 3), "Bottleneck"),
    "resnet152": ((3, 8, 36, 3), "Bottleneck"),
    "resnext50_32x4d": ((3, 4, 6, 3), "Bottleneck"),
    "resnext101_32x8d": ((3, 4, 23, 3), "Bottleneck"),
    "resnext101_64x4d": ((3, 4, 23, 3), "Bottleneck"),
    "wide_resnet50_2": ((3, 4, 6, 3), "Bottleneck"),
    "wide_resnet101_2": ((3, 4, 23, 3), "Bottleneck"),
}
BLOCK_LAYERS = {
    "BasicBlock": ("conv1", "bn1", "relu", "conv2", "bn2"),
    "Bottleneck": ("conv1", "bn1", "conv2", "bn2", "conv3", "bn3", "relu"),
}
# torchvision's weights enum of each architecture, its weights names, and which one DEFAULT is.
PRETRAINED: dict[str, tuple[str, tuple[str, ...], str]] = {
    "resnet18": ("ResNet18_Weights", ("IMAGENET1K_V1",), "IMAGENET1K_V1"),
    "resnet34": ("ResNet34_Weights", ("IMAGENET1K_V1",), "IMAGENET1K_V1"),
    "resnet50": ("ResNet50_Weights", ("IMAGENET1K_V1", "IMAGENET1K_V2"), "IMAGENET1K_V2"),
    "resnet101": ("ResNet101_Weights", ("IMAGENET1K_V1", "IMAGENET1K_V2"), "IMAGENET1K_V2"),
    "resnet152": ("ResNet152_Weights", ("IMAGENET1K_V1", "IMAGENET1K_V2"), "IMAGENET1K_V2"),
    "resnext50_32x4d": (
        "ResNeXt50_32X4D_Weights",
        ("IMAGENET1K_V1", "IMAGENET1K_V2"),
        "IMAGENET1K_V2",
    ),
    "resnext101_32x8d": (
        "ResNeXt101_32X8D_Weights",
        ("IMAGENET1K_V1", "IMAGENET1K_V2"),
        "IMAGENET1K_V2",
    ),
    "resnext101_64x4d": ("ResNeXt101_64X4D_Weights", ("IMAGENET1K_V1",), "IMAGENET1K_V1"),
    "wide_resnet50_2": (
        "Wide_ResNet50_2_Weights",
        ("IMAGENET1K_V1", "IMAGENET1K_V2"),
        "IMAGENET1K_V2",
    ),
    "wide_resnet101_2": (
        "Wide_ResNet101_2_Weights",
        ("IMAGENET1K_V1", "IMAGENET1K_V2"),
        "IMAGENET1K_V2",
    ),
}
STEM_MODULES = ("conv1", "bn1", "relu", "maxpool")
STAGE_MODULES = ("layer1", "layer2", "layer3", "layer4")
HEAD_MODULES = ("avgpool", "fc")
IMAGE_CHANNELS = 3  # the stem conv of every torchvision ResNet takes RGB


class Role(StrEnum):
    """The job a node does in the network; stable keys for JSON and for annotations."""

    STEM = "stem"
    STAGE = "stage"
    HEAD = "head"
    BASIC_BLOCK = "basic_block"
    BOTTLENECK_BLOCK = "bottleneck_block"
    STEM_CONV = "stem_conv"
    STEM_BN = "stem_bn"
    STEM_RELU = "stem_relu"
    STEM_POOL = "stem_pool"
    BASIC_CONV1 = "basic_conv1"
    BASIC_CONV2 = "basic_conv2"
    BOTTLENECK_REDUCE = "bottleneck_reduce"
    BOTTLENECK_SPATIAL = "bottleneck_spatial"
    BOTTLENECK_EXPAND = "bottleneck_expand"
    BRANCH_BN = "branch_bn"
    BRANCH_BN_LAST = "branch_bn_last"
    BRANCH_RELU = "branch_relu"
    BLOCK_RELU_OUT = "block_relu_out"
    SHORTCUT_CONV = "shortcut_conv"
    SHORTCUT_BN = "shortcut_bn"
    SHORTCUT_IDENTITY = "shortcut_identity"
    RESIDUAL_ADD = "residual_add"
    HEAD_POOL = "head_pool"
    HEAD_FLATTEN = "head_flatten"
    HEAD_FC = "head_fc"
    HEAD_DROPOUT = "head_dropout"
    IDENTITY = "identity"
    LOSS = "loss"
    OTHER = "other"


LOSS_SECTION = "loss"  # what runs after the model's forward, in the autograd graph


# What a call does, by its module class or function name: the same job either way
# (nn.ReLU or F.relu, nn.Flatten, torch.flatten or x.view).
_CONV = frozenset({"Conv2d", "conv2d"})
_NORM = frozenset({"BatchNorm2d", "BatchNorm1d", "batch_norm", "GroupNorm", "LayerNorm"})
_RELU = frozenset({"ReLU", "relu", "relu_", "ReLU6", "SiLU", "GELU", "silu", "gelu"})
_MAX_POOL = frozenset({"MaxPool2d", "max_pool2d"})
_AVG_POOL = frozenset(
    {"AdaptiveAvgPool2d", "AvgPool2d", "adaptive_avg_pool2d", "avg_pool2d", "mean"}
)
_FLATTEN = frozenset({"Flatten", "flatten", "view", "reshape"})
_DROPOUT = frozenset({"Dropout", "dropout"})


def stem_role(kind: str) -> Role:
    if kind in _CONV:
        return Role.STEM_CONV
    if kind in _NORM:
        return Role.STEM_BN
    if kind in _RELU:
        return Role.STEM_RELU
    if kind in _MAX_POOL:
        return Role.STEM_POOL
    return Role.IDENTITY if kind == "Identity" else Role.OTHER


def head_role(kind: str, classifier: bool) -> Role:
    """``classifier``: the head's last Linear, the one a new head replaces."""
    if classifier:
        return Role.HEAD_FC
    if kind in _AVG_POOL:
        return Role.HEAD_POOL
    if kind in _FLATTEN:
        return Role.HEAD_FLATTEN
    if kind in _DROPOUT:
        return Role.HEAD_DROPOUT
    return Role.IDENTITY if kind == "Identity" else Role.OTHER


def block_roles(calls: list[tuple[str, bool, bool]]) -> tuple[Role, list[Role]]:
    """The block's role and each call's, from ``(kind, in_shortcut, residual_add)`` in order.

    The branch is what runs outside the shortcut before the add: three convolutions make a
    bottleneck (reduce, 3×3, expand), two a basic block; the branch's last normalisation
    comes just before the add; an activation after the add is the block's output.
    """
    add = next((i for i, (_, _, residual) in enumerate(calls) if residual), len(calls))
    branch = [i for i, (kind, shortcut, _) in enumerate(calls[:add]) if not shortcut]
    convs = [i for i in branch if calls[i][0] in _CONV]
    norms = [i for i in branch if calls[i][0] in _NORM]
    conv_roles = _BOTTLENECK_CONVS if len(convs) == 3 else _BASIC_CONVS
    roles = []
    for index, (kind, shortcut, residual) in enumerate(calls):
        if residual:
            roles.append(Role.RESIDUAL_ADD)
        elif shortcut:
            roles.append(_SHORTCUT_ROLES.get(_job(kind), Role.OTHER))
        elif kind in _CONV and index < add:
            position = convs.index(index)
            roles.append(conv_roles[position] if position < len(conv_roles) else Role.OTHER)
        elif kind in _NORM and index < add:
            roles.append(Role.BRANCH_BN_LAST if index == norms[-1] else Role.BRANCH_BN)
        elif kind in _RELU:
            roles.append(Role.BLOCK_RELU_OUT if index > add else Role.BRANCH_RELU)
        else:
            roles.append(Role.OTHER)
    block = Role.BOTTLENECK_BLOCK if len(convs) == 3 else Role.BASIC_BLOCK
    return block, roles


def _job(kind: str) -> str:
    return "conv" if kind in _CONV else "norm" if kind in _NORM else kind


# An empty Sequential or an Identity as the shortcut: x goes to the add unchanged.
_SHORTCUT_ROLES = {
    "conv": Role.SHORTCUT_CONV,
    "norm": Role.SHORTCUT_BN,
    "Sequential": Role.SHORTCUT_IDENTITY,
    "Identity": Role.SHORTCUT_IDENTITY,
}
_BASIC_CONVS = (Role.BASIC_CONV1, Role.BASIC_CONV2)
_BOTTLENECK_CONVS = (Role.BOTTLENECK_REDUCE, Role.BOTTLENECK_SPATIAL, Role.BOTTLENECK_EXPAND)


def module_names(arch: str) -> list[str]:
    """Every named module of ``arch``, in model order, without building it."""
    blocks_per_stage, block_kind = STAGE_BLOCKS[arch]
    names = list(STEM_MODULES)
    for stage, blocks in enumerate(blocks_per_stage, start=1):
        names.append(f"layer{stage}")
        for block in range(blocks):
            prefix = f"layer{stage}.{block}"
            names.append(prefix)
            names += [f"{prefix}.{layer}" for layer in BLOCK_LAYERS[block_kind]]
            # The first block of a stage projects its shortcut when the shape changes:
            # always for Bottleneck (channels ×4), from stage 2 on for BasicBlock (stride 2).
            if block == 0 and (stage > 1 or block_kind == "Bottleneck"):
                names += [
                    f"{prefix}.downsample",
                    f"{prefix}.downsample.0",
                    f"{prefix}.downsample.1",
                ]
    return [*names, *HEAD_MODULES]


def parameter_names(arch: str) -> set[str]:
    """Every parameter of ``arch`` (``layer1.0.bn1.weight``), without building it: convs
    have a weight and no bias, BatchNorm and the classifier a weight and a bias."""
    names = set()
    for module in module_names(arch):
        leaf = module.rsplit(".", 1)[-1]
        if leaf.startswith("conv") or module.endswith("downsample.0"):
            names.add(f"{module}.weight")
        elif leaf.startswith("bn") or module.endswith("downsample.1") or module == "fc":
            names.update((f"{module}.weight", f"{module}.bias"))
    return names
