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
    """The annotation of a report node: its role's sentence, or where the model is not
    torchvision's (a stride-1 stem, one input channel, F.relu, x.view), the variant its own
    facts call for. ``node`` is a ``report.Node``."""
    role, kind = node.role, node.kind
    if role is Role.STEM and node.input_shape and node.output_shape:
        factor = node.input_shape[-1] // max(node.output_shape[-1], 1)
        if factor != 4:
            return _variant("stem_full" if factor == 1 else "stem_scale", lang, factor=factor)
    if role is Role.STEM_CONV:
        facts = {item.name: item.value for item in node.settings}
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
    if role is Role.BRANCH_RELU and not node.module_call:
        return _variant("branch_relu_function", lang)
    if role is Role.HEAD_FLATTEN and kind != "flatten":
        if node.module_call:
            return _variant("flatten_module", lang)
        return _variant("view", lang, kind=kind)
    return annotation(role, lang)


def _variant(key: str, lang: Lang, **facts: Any) -> str:
    return say(f"variant.{key}", lang).format(**facts)


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, tuple) else value
