"""What the tool says, in every language it speaks: the lookup over ``catalogs``.

Each language is one catalog (``catalogs/en.py``, ``catalogs/zh.py``): a flat table of keys
to sentences, titles, headings and column names, with ``{placeholders}`` the views fill in.
Producers never format words; views look them up here. Adding a language is one catalog,
one ``Lang`` member and the schema's ``lang`` enum; tests keep the catalogs' keys and
placeholders equal. Pure Python; a catalog is read the first time it is needed.
"""

from __future__ import annotations

import functools
import importlib
from enum import StrEnum
from typing import Any

from resnet_inspect.anatomy import Role


class Lang(StrEnum):
    EN = "en"
    ZH = "zh"


@functools.cache
def catalog(lang: Lang) -> dict[str, str]:
    """The language's table of every text the tool shows, by key."""
    text: dict[str, str] = importlib.import_module(f"resnet_inspect.catalogs.{lang.value}").TEXT
    return text


def say(key: str, lang: Lang) -> str:
    """The catalog's text for ``key``: a word, a heading or a whole sentence."""
    return catalog(lang)[key]


def say_count(key: str, count: int, lang: Lang) -> str:
    """``key``'s text for a count: ``key_one``'s where it is one ("one image", never "1
    images"), else ``key``'s, whose ``{count}`` says how many."""
    return say(f"{key}_one" if count == 1 else key, lang)


def annotation(role: Role, lang: Lang) -> str:
    """What a row of this role does, in one sentence ("" where nothing is known)."""
    return say(f"role.{role.value}", lang)


def section_name(role: Role, lang: Lang) -> str:
    """Stem, Stage, Head, Loss."""
    return say(f"section.{role.value}", lang)


def keeps(kind: str, lang: Lang) -> str:
    """Why a backward node of this type keeps what it keeps."""
    return catalog(lang).get(f"keeps.{kind}") or say("keeps.other", lang)


def node_annotation(node: Any, lang: Lang) -> str:
    """The annotation of a report node: its role's sentence where the node's own facts bear
    it out, else the variant its facts call for (a stride-1 stem, one input channel, a 5×5
    conv, a 1×1 conv that does not reduce, F.relu, x.view). Every kernel, channel direction
    and stride a sentence names is the node's own. ``node`` is a ``report.Node``."""
    role, kind = node.role, node.kind
    facts = {item.name: item.value for item in node.settings}
    if role is Role.STEM and "stride" in facts:
        factor = _first(facts["stride"])
        if factor != 4:
            return _variant("stem_full" if factor == 1 else "stem_scale", lang, factor=factor)
    if role is Role.STEM_CONV:
        stride = _first(facts.get("stride", 2))
        channels = facts.get("in_channels", 3)
        if (stride, channels) != (2, 3):
            pixels = (
                _variant("rgb", lang)
                if channels == 3
                else _variant("channels", lang, channels=channels)
            )
            effect = _variant(
                "halves" if stride == 2 else "keeps" if stride == 1 else "divides",
                lang,
                stride=stride,
            )
            return _variant("stem_conv", lang, pixels=pixels, effect=effect)
    if role is Role.STEM_CONV_MORE and _first(facts.get("stride", 1)) != 1:
        stride = _first(facts.get("stride", 1))
        effect = _variant("halves" if stride == 2 else "divides", lang, stride=stride)
        return _variant("stem_conv_more", lang, effect=effect)
    if role is Role.STEM_POOL and _first(facts.get("stride", 2)) != 2:
        stride = _first(facts.get("stride", 2))
        return (
            _variant("pool_keeps", lang)
            if stride == 1
            else _variant("pool_divides", lang, stride=stride)
        )
    conv = _conv_variant(role, facts, lang)
    if conv:
        return conv
    if role is Role.BRANCH_BN_LAST and not kind.startswith("BatchNorm"):
        return _variant("last_norm", lang)
    if role is Role.BRANCH_RELU and not node.module_call and kind.startswith("relu"):
        return _variant("branch_relu_function", lang)
    if role is Role.BRANCH_RELU and (node.calls < 2 or kind != "ReLU"):
        return _variant("branch_relu", lang)
    if role is Role.RESIDUAL_ADD and kind != "add_":
        return _variant("residual_add", lang)
    if role is Role.BASIC_BLOCK and not _basic_as_torchvision(node):
        return _variant("basic_block", lang)
    if role is Role.BOTTLENECK_BLOCK:
        spatial = [_kernel(c) for c in node.children if c.role is Role.BOTTLENECK_SPATIAL]
        reduces = all(_reduces(c) for c in node.children if c.role is Role.BOTTLENECK_REDUCE)
        if set(spatial) != {"3×3"} or not reduces:
            return _variant("bottleneck_block", lang, kernel=spatial[0] if spatial else "k×k")
    if role is Role.HEAD_FLATTEN and kind != "flatten":
        if node.module_call:
            return _variant("flatten_module", lang)
        return _variant("view", lang, kind=kind)
    return annotation(role, lang)


def _conv_variant(role: Role, facts: dict[str, Any], lang: Lang) -> str:
    """A branch or shortcut conv's sentence, with its own kernel, stride and channels."""
    if "kernel_size" not in facts:
        return ""
    kernel = _pair(facts["kernel_size"])
    stride = _first(facts.get("stride", 1))
    carries = _variant("carries_stride", lang) if stride > 1 else ""
    out, into = facts.get("out_channels", 0), facts.get("in_channels", 0)
    if role is Role.BASIC_CONV1 and (kernel != "3×3" or stride == 1):
        return _variant("basic_conv1", lang, kernel=kernel, carries=carries)
    if role is Role.BASIC_CONV2 and (kernel != "3×3" or stride > 1):
        return _variant("basic_conv2", lang, kernel=kernel, carries=carries)
    if role is Role.BOTTLENECK_SPATIAL and (kernel != "3×3" or stride == 1):
        return _variant("spatial", lang, kernel=kernel, carries=carries)
    if role is Role.BOTTLENECK_REDUCE and out >= into:
        return _variant("to_width", lang, channels=out)
    if role is Role.BOTTLENECK_EXPAND and out != 4 * into:
        if into and out > into and out % into == 0:
            return _variant("expands", lang, ratio=out // into)
        return _variant("to_output", lang, channels=out)
    if role is Role.SHORTCUT_CONV and (kernel != "1×1" or stride == 1):
        return _variant("shortcut_conv", lang, kernel=kernel)
    return ""


def _basic_as_torchvision(node: Any) -> bool:
    """Two 3×3 convs, then a ReLU after the add: what the basic block's sentence says."""
    kernels = [_kernel(c) for c in node.children if c.role in (Role.BASIC_CONV1, Role.BASIC_CONV2)]
    return kernels == ["3×3", "3×3"] and any(c.role is Role.BLOCK_RELU_OUT for c in node.children)


def _kernel(node: Any) -> str:
    return _pair({item.name: item.value for item in node.settings}.get("kernel_size", 0))


def _reduces(node: Any) -> bool:
    facts = {item.name: item.value for item in node.settings}
    return bool(facts.get("out_channels", 0) < facts.get("in_channels", 0))


def _pair(value: Any) -> str:
    """``(3, 3)`` as ``3×3``, ``(1, 7)`` as ``1×7``."""
    pair = value if isinstance(value, tuple) else (value, value)
    return "×".join(str(v) for v in pair)


def _variant(key: str, lang: Lang, **facts: Any) -> str:
    return say(f"variant.{key}", lang).format(**facts)


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, tuple) else value
