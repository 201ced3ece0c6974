"""What a ResNet is made of: names, blocks, roles by position. Structure only, no words.

Roles are decided by *position* in the network (top level, inside a block of a given
kind, which call of a reused module), never by a leaf's name alone: ``conv1`` at the top
level is the stem convolution, ``layer1.0.conv1`` is a block's first convolution.

Pure Python: importing this module must never import torch.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    STEM_CONV_MORE = "stem_conv_more"  # a later conv of a deep stem (ResNet-C/D: three 3×3)
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
    PREACT_BLOCK = "preact_block"
    PREACT_NORM = "preact_norm"
    RESIDUAL_BLOCK = "residual_block"
    ATTENTION = "attention"
    SHORTCUT_POOL = "shortcut_pool"
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


def stem_role(kind: str, first_conv: bool = True) -> Role:
    """``first_conv``: no conv ran before this one in the stem (it is the one on pixels)."""
    if is_conv(kind):
        return Role.STEM_CONV if first_conv else Role.STEM_CONV_MORE
    if is_norm(kind):
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


@dataclass(frozen=True)
class BlockCall:
    """What ``block_roles`` reads of one call inside a residual block: its facts only."""

    kind: str
    in_shortcut: bool = False
    residual: bool = False
    kernel: int = 0  # a convolution's (height), else 0
    pooled: bool = False  # works on globally pooled features (1×1): an attention side branch


def is_conv(kind: str) -> bool:
    """nn.Conv2d and its subclasses (timm's StdConv2d, Conv2dSame), or F.conv2d."""
    return kind in _CONV or kind.endswith("Conv2d") or kind.endswith("Conv2dSame")


def is_norm(kind: str) -> bool:
    """BatchNorm, GroupNorm, LayerNorm, and timm's fused norm + activation (BatchNormAct2d)."""
    return kind in _NORM or "Norm" in kind


def block_roles(calls: list[BlockCall]) -> tuple[Role, list[Role]]:
    """The block's role and each call's, in order, from the calls' facts.

    The branch is what runs outside the shortcut before the add, less its attention side
    branch (convolutions on pooled features, and what runs between them). Its convolutions
    make the block's kind: 1×1, k×k…, 1×1 a bottleneck; two k×k a basic block; a norm before
    the first conv a pre-activation block; anything else a residual block.
    """
    add = next((i for i, call in enumerate(calls) if call.residual), len(calls))
    pooled = [i for i, call in enumerate(calls[:add]) if call.pooled and not call.in_shortcut]
    side = set(range(pooled[0], pooled[-1] + 1)) if pooled else set()
    side = {i for i in side if not is_conv(calls[i].kind) or calls[i].pooled}
    branch = [i for i, call in enumerate(calls[:add]) if not call.in_shortcut and i not in side]
    convs = [i for i in branch if is_conv(calls[i].kind)]
    norms = [i for i in branch if is_norm(calls[i].kind)]
    kind = _block_kind([calls[i] for i in convs], norms, convs)
    conv_roles = _conv_roles([calls[i].kernel for i in convs])
    shortcut_convs = [i for i, call in enumerate(calls) if call.in_shortcut and is_conv(call.kind)]
    roles = []
    for index, call in enumerate(calls):
        if call.residual:
            roles.append(Role.RESIDUAL_ADD)
        elif index in side:
            roles.append(Role.ATTENTION)
        elif call.in_shortcut:
            pool = call.kind in _AVG_POOL or call.kind in _MAX_POOL
            before_conv = bool(shortcut_convs) and index < shortcut_convs[0]
            role = Role.SHORTCUT_POOL if pool and before_conv else None
            if call.kind == "Identity" and shortcut_convs:  # a no-op inside a projection
                role = Role.IDENTITY
            roles.append(role or _SHORTCUT_ROLES.get(_job(call.kind), Role.OTHER))
        elif is_conv(call.kind) and index < add:
            roles.append(conv_roles[convs.index(index)])
        elif is_norm(call.kind) and index < add:
            # Which comes right before it in the branch: a conv (it normalises that conv's
            # output) or nothing / another norm (pre-activation: it normalises what the next
            # conv sees).
            earlier = [i for i in branch if i < index and (i in convs or i in norms)]
            after_conv = bool(earlier) and earlier[-1] in convs
            last = after_conv and not any(c > index for c in convs)
            if last:
                roles.append(Role.BRANCH_BN_LAST)
            elif after_conv:
                roles.append(Role.BRANCH_BN)
            else:
                later = any(c > index for c in convs)
                roles.append(Role.PREACT_NORM if later else Role.OTHER)
        elif call.kind in _RELU:
            roles.append(Role.BLOCK_RELU_OUT if index > add else Role.BRANCH_RELU)
        else:
            roles.append(Role.OTHER)
    return kind, roles


def _conv_roles(kernels: list[int]) -> list[Role]:
    """Each branch conv's role from the kernels: 1×1 first and last around k×k ones is a
    bottleneck (reduce, spatial…, expand); two k×k a basic block's; else none claimed."""
    if len(kernels) >= 3 and kernels[0] == 1 and kernels[-1] == 1 and max(kernels) > 1:
        middle = [Role.BOTTLENECK_SPATIAL if k > 1 else Role.OTHER for k in kernels[1:-1]]
        return [Role.BOTTLENECK_REDUCE, *middle, Role.BOTTLENECK_EXPAND]
    if len(kernels) == 2 and all(k > 1 for k in kernels):
        return [Role.BASIC_CONV1, Role.BASIC_CONV2]
    return [Role.OTHER] * len(kernels)


def _block_kind(convs: list[BlockCall], norms: list[int], at: list[int]) -> Role:
    kernels = [conv.kernel for conv in convs]
    if norms and at and norms[0] < at[0]:
        return Role.PREACT_BLOCK
    if len(convs) >= 3 and kernels[0] == 1 and kernels[-1] == 1 and max(kernels) > 1:
        return Role.BOTTLENECK_BLOCK
    if len(convs) == 2 and all(k > 1 for k in kernels):
        return Role.BASIC_BLOCK
    return Role.RESIDUAL_BLOCK


def _job(kind: str) -> str:
    return "conv" if is_conv(kind) else "norm" if is_norm(kind) else kind


# An empty Sequential or an Identity as the shortcut: x goes to the add unchanged.
_SHORTCUT_ROLES = {
    "conv": Role.SHORTCUT_CONV,
    "norm": Role.SHORTCUT_BN,
    "Sequential": Role.SHORTCUT_IDENTITY,
    "Identity": Role.SHORTCUT_IDENTITY,
}


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
