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
HEAD_STEPS = ("avgpool", "flatten", "fc")  # forward() flattens between them; not a module
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
    RESIDUAL_ADD = "residual_add"
    HEAD_POOL = "head_pool"
    HEAD_FLATTEN = "head_flatten"
    HEAD_FC = "head_fc"
    LOSS = "loss"
    OTHER = "other"


ROOT_STEP = "flatten"  # the one op ResNet.forward runs outside any submodule
LOSS_SECTION = "loss"  # what runs after the model's forward, in the autograd graph
# Sections in the order the data flows through them; one list for every report.
SECTIONS = ("stem", *STAGE_MODULES, "head", LOSS_SECTION)


def section_of(module_name: str) -> str:
    """The section a module belongs to: ``stem``, ``layer1``..``layer4`` or ``head``."""
    top = module_name.split(".", 1)[0]
    if top in STAGE_MODULES:
        return top
    if top in HEAD_STEPS:
        return "head"
    return "stem"


def block_of(module_name: str) -> str | None:
    """``layer2.1`` for ``layer2.1.conv1``; None outside the stages."""
    parts = module_name.split(".")
    if parts[0] in STAGE_MODULES and len(parts) >= 2:
        return ".".join(parts[:2])
    return None


def block_role(block_kind: str) -> Role:
    return Role.BOTTLENECK_BLOCK if block_kind == "Bottleneck" else Role.BASIC_BLOCK


def layer_role(module_name: str, block_kind: str | None, call: int, calls: int) -> Role:
    """The role of one call of a leaf module, from where it sits and which call it is."""
    parts = module_name.split(".")
    if len(parts) == 1:
        return _TOP_LEVEL_ROLES.get(parts[0], Role.OTHER)
    if parts[0] not in STAGE_MODULES or len(parts) < 3 or block_kind is None:
        return Role.OTHER
    inner = ".".join(parts[2:])
    if inner == "relu":
        return Role.BLOCK_RELU_OUT if call == calls else Role.BRANCH_RELU
    if inner == "downsample.0":
        return Role.SHORTCUT_CONV
    if inner == "downsample.1":
        return Role.SHORTCUT_BN
    last_bn = "bn3" if block_kind == "Bottleneck" else "bn2"
    if inner.startswith("bn"):
        return Role.BRANCH_BN_LAST if inner == last_bn else Role.BRANCH_BN
    convs = _BOTTLENECK_CONVS if block_kind == "Bottleneck" else _BASIC_CONVS
    return convs.get(inner, Role.OTHER)


_TOP_LEVEL_ROLES = {
    "conv1": Role.STEM_CONV,
    "bn1": Role.STEM_BN,
    "relu": Role.STEM_RELU,
    "maxpool": Role.STEM_POOL,
    "avgpool": Role.HEAD_POOL,
    "fc": Role.HEAD_FC,
}
_BASIC_CONVS = {"conv1": Role.BASIC_CONV1, "conv2": Role.BASIC_CONV2}
_BOTTLENECK_CONVS = {
    "conv1": Role.BOTTLENECK_REDUCE,
    "conv2": Role.BOTTLENECK_SPATIAL,
    "conv3": Role.BOTTLENECK_EXPAND,
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
