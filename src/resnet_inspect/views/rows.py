"""A tree's rows: which nodes a view shows at its depth, and how each is titled and
described (stages numbered, names qualified where the table is wide enough)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from resnet_inspect.anatomy import Role
from resnet_inspect.report import (
    Level,
    Node,
    ParamStat,
    SettingValue,
)
from resnet_inspect.views import units
from resnet_inspect.views.glyphs import below, branch
from resnet_inspect.words import Lang, say, section_name

QUALIFIED_FROM = 100  # below: names relative to their block, the guides show the rest


@dataclass(frozen=True)
class Row:
    """One line of the tree: a node, or one parameter of the layer just above it."""

    guide: str
    node: Node
    param: ParamStat | None = None
    block: str = ""  # the block the node sits in: names below it are shown relative to it
    stage: int = 0  # for a stage's own row: its number, from 1


def visible_rows(
    sections: tuple[Node, ...], depth: Level, with_parameters: bool = False
) -> Iterator[Row]:
    """Nodes in model order with their tree guides, down to the requested depth.

    With ``with_parameters``, a layer that owns several parameters (BatchNorm's weight and
    bias, fc's weight and bias) is followed by one row per parameter.
    """
    max_level = depth.levels_below_sections

    def walk(
        node: Node, prefix: str, last: bool, level: int, block: str, stage: int = 0
    ) -> Iterator[Row]:
        yield Row(prefix + ("" if level == 0 else branch(last)), node, block=block, stage=stage)
        child_prefix = "" if level == 0 else prefix + below(last)
        if with_parameters and len(node.parameters) > 1 and level <= max_level:
            for param in node.parameters:
                yield Row(child_prefix + "· ", node, param)
        if level >= max_level:
            return
        inner = node.name if node.level is Level.BLOCK else block
        for index, child in enumerate(node.children):
            last_child = index == len(node.children) - 1
            yield from walk(child, child_prefix, last_child, level + 1, inner)

    for number, section in stage_numbers(sections):
        yield from walk(section, "", True, 0, "", number)


def stage_numbers(sections: Sequence[Any]) -> list[tuple[int, Any]]:
    """Each section with its stage number (from 1; 0 for stem, head and loss)."""
    numbered, count = [], 0
    for section in sections:
        count += section.role is Role.STAGE
        numbered.append((count if section.role is Role.STAGE else 0, section))
    return numbered


def section_title(role: Role, name: str, lang: Lang, number: int = 0) -> str:
    """``Stem``, ``Stage 2 (layer2)``, ``Head``: what a section is called, in ``lang``."""
    title = section_name(role, lang)
    if role is Role.STAGE:
        return f"{title} {number} ({name})"
    return title


def node_title(node: Node, lang: Lang, *, qualified: bool, block: str, stage: int) -> str:
    if node.level is Level.SECTION:
        return section_title(node.role, node.name, lang, stage)
    name = node.name
    if not qualified and node.level is Level.LAYER and block:
        name = name.removeprefix(f"{block}.")
    if node.calls > 1:
        name += f" ({node.call}/{node.calls})"
    return name


def describe(node: Node, lang: Lang = Lang.EN) -> str:
    """Layer type and hyperparameters, compact, defaults left out (see the legend)."""
    s = {item.name: item.value for item in node.settings}
    kind = node.kind
    if kind == "Conv2d":
        text = f"Conv2d {s['in_channels']}→{s['out_channels']} k{units.pair(s['kernel_size'])}"
        text += f" s{units.pair(s['stride'])} p{units.pair(s['padding'])}"
        if units.pair(s["dilation"]) != "1":
            text += f" d{units.pair(s['dilation'])}"
        if s["groups"] != 1:
            text += f" g{s['groups']}"
        return text + (" bias" if s["bias"] else "")
    if kind in ("BatchNorm2d", "BatchNorm1d"):
        text = f"{kind} {s['num_features']}"
        for name, default in _BATCHNORM_DEFAULTS.items():
            if s[name] != default:
                text += f" {name}={s[name]}"
        if not s["affine"]:
            text += " affine=False"
        return text + ("" if s["track_running_stats"] else f" {say('no_running_stats', lang)}")
    if kind == "ReLU":
        return "ReLU inplace" if s["inplace"] else "ReLU"
    if kind == "MaxPool2d":
        text = f"MaxPool2d k{units.pair(s['kernel_size'])} s{units.pair(s['stride'])}"
        text += f" p{units.pair(s['padding'])}"
        if units.pair(s["dilation"]) != "1":
            text += f" d{units.pair(s['dilation'])}"
        return text + (" ceil_mode" if s["ceil_mode"] else "")
    if kind == "AdaptiveAvgPool2d":
        return f"AdaptiveAvgPool2d →{units.pair(s['output_size'])}"
    if kind == "Linear":
        return f"Linear {s['in_features']}→{s['out_features']}" + (" bias" if s["bias"] else "")
    if kind in ("add_", "add") and "shortcut" in s:
        operator = "+=" if kind == "add_" else "+"
        module = str(s.get("shortcut_module", "")).rsplit(".", 1)[-1]
        return f"out {operator} {module + '(x)' if module else 'identity'}"
    if kind == "flatten" and not node.module_call and node.level is Level.LAYER:
        return f"torch.flatten(x, {s['start_dim']})"
    if not node.module_call and node.level is Level.LAYER:  # F.relu(x), x.view(…), in forward
        args = ", ".join(map(str, _tuple(s.get("args"))))
        if kind in _TENSOR_METHODS:
            return f"x.{kind}({args})"
        return f"F.{kind}({', '.join(['x', args]) if args else 'x'})"
    if kind == "Dropout":
        return f"Dropout p={s['p']}"
    if kind == "Identity":
        return say("layer_identity", lang)
    if kind == "Sequential":  # a leaf, so empty: the usual identity shortcut
        return say("layer_empty_sequential", lang)
    if node.level is Level.BLOCK:
        text = f"{kind} s{s['stride']} {s['in_channels']}→{s['out_channels']}"
        if "width" in s:
            text += f" {say('width', lang)} {s['width']}"
            text += f" g{s['groups']}" if s["groups"] != 1 else ""
        return text + f" {s['shortcut']}"
    if node.role is Role.STAGE:
        noun = say("block" if s["blocks"] == 1 else "blocks", lang)
        return f"{s['blocks']} {noun}, s{s['stride']}"
    return kind if node.level is Level.LAYER else ""


_TENSOR_METHODS = frozenset({"view", "reshape", "mean", "flatten", "add", "add_"})


def _tuple(value: SettingValue) -> tuple[int, ...]:
    return value if isinstance(value, tuple) else ()


# torch's BatchNorm defaults, left out of a layer's description (the legend says so).
_BATCHNORM_DEFAULTS = {"eps": 1e-05, "momentum": 0.1}
