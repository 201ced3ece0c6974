"""The terminal view: a table whose first column draws the tree, and a labelled footer.

Only draws: every number comes from the report. Columns are chosen by the console width
so the table stays readable at 80 columns and uses the room at 200.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from rich.console import Console, Group
from rich.text import Text

from resnet_inspect import anatomy, units
from resnet_inspect.anatomy import BATCHNORM_DEFAULTS, SECTION_TITLES, Lang, Role, annotation
from resnet_inspect.options import Depth
from resnet_inspect.report import Level, ModelReport, Node
from resnet_inspect.text_table import Cell, Column, TextTable

WIDE = 150  # at or above: input → output shapes
ROLES_FROM = 110  # at or above: the role annotation column
QUALIFIED_FROM = 100  # below: names relative to their block, the guides show the rest

_LABELS: dict[str, dict[Lang, str]] = {
    "name": {Lang.EN: "Name", Lang.ZH: "名称"},
    "layer": {Lang.EN: "Layer", Lang.ZH: "层"},
    "shapes": {Lang.EN: "Input → Output", Lang.ZH: "输入 → 输出"},
    "output": {Lang.EN: "Output", Lang.ZH: "输出"},
    "params": {Lang.EN: "Params", Lang.ZH: "参数"},
    "frozen": {Lang.EN: "Frozen", Lang.ZH: "冻结"},
    "macs": {Lang.EN: "MACs", Lang.ZH: "乘加"},
    "role": {Lang.EN: "Role", Lang.ZH: "作用"},
    "parameters": {Lang.EN: "Parameters", Lang.ZH: "参数量"},
    "trainable": {Lang.EN: "trainable", Lang.ZH: "可训练"},
    "frozen_lc": {Lang.EN: "frozen", Lang.ZH: "冻结"},
    "total": {Lang.EN: "total", Lang.ZH: "总计"},
    "param_memory": {Lang.EN: "Parameter memory", Lang.ZH: "参数内存"},
    "buffers": {Lang.EN: "buffers", Lang.ZH: "缓冲区"},
    "compute": {Lang.EN: "Compute", Lang.ZH: "计算量"},
    "flops_note": {
        Lang.EN: "FLOPs = 2 × MACs, counted by torch.utils.flop_counter (conv, linear)",
        Lang.ZH: "FLOPs = 2 × MACs，由 torch.utils.flop_counter 统计（卷积、全连接）",
    },
    "activations": {Lang.EN: "Activations", Lang.ZH: "激活内存"},
    "activations_note": {
        Lang.EN: "outputs of one forward pass; in-place ops and views add none",
        Lang.ZH: "一次前向传播的输出；原地操作和视图不占新内存",
    },
    "input": {Lang.EN: "Input", Lang.ZH: "输入"},
    "legend": {
        Lang.EN: "k kernel · s stride · p padding · d dilation · g groups; shown only when not "
        "the default: d1, g1, no bias; BatchNorm eps=1e-05 momentum=0.1 affine, running stats; "
        "ceil_mode off",
        Lang.ZH: "k 卷积核 · s 步长 · p 填充 · d 膨胀 · g 分组；仅在非默认时显示：d1、g1、无偏置；"
        "BatchNorm eps=1e-05 momentum=0.1、affine、跟踪统计量；ceil_mode 关闭",
    },
    "units": {
        Lang.EN: "units: k/M/G = 10^3/10^6/10^9; KiB/MiB/GiB = 2^10/2^20/2^30 bytes",
        Lang.ZH: "单位：k/M/G = 10^3/10^6/10^9；KiB/MiB/GiB = 2^10/2^20/2^30 字节",
    },
    "random": {Lang.EN: "random init", Lang.ZH: "随机初始化"},
    "classes": {Lang.EN: "classes", Lang.ZH: "类"},
    "meta_note": {
        Lang.EN: "shapes and FLOPs from one forward pass on the meta device (nothing allocated)",
        Lang.ZH: "形状与 FLOPs 来自在 meta 设备上的一次前向传播（不分配内存）",
    },
    "blocks": {Lang.EN: "blocks", Lang.ZH: "个块"},
}


def label(key: str, lang: Lang) -> str:
    return _LABELS[key][lang]


@dataclass(frozen=True)
class Row:
    guide: str
    node: Node


def visible_rows(sections: tuple[Node, ...], depth: Depth) -> Iterator[Row]:
    """Nodes in model order with their tree guides, down to the requested depth."""
    max_level = {Depth.STAGE: 0, Depth.BLOCK: 1, Depth.LAYER: 2}[depth]

    def walk(node: Node, prefix: str, last: bool, level: int) -> Iterator[Row]:
        branch = "" if level == 0 else ("└ " if last else "├ ")
        yield Row(prefix + branch, node)
        if level >= max_level:
            return
        child_prefix = "" if level == 0 else prefix + ("  " if last else "│ ")
        for index, child in enumerate(node.children):
            yield from walk(child, child_prefix, index == len(node.children) - 1, level + 1)

    for section in sections:
        yield from walk(section, "", True, 0)


def node_title(node: Node, lang: Lang, qualified: bool = True) -> str:
    if node.level is Level.SECTION:
        title = SECTION_TITLES[node.role if node.role is not Role.STAGE else Role.STAGE][lang]
        if node.role is Role.STAGE:
            return f"{title} {node.name.removeprefix('layer')} ({node.name})"
        return title
    name = node.name
    block = anatomy.block_of(name)
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
    if kind == "BatchNorm2d":
        text = f"BatchNorm2d {s['num_features']}"
        for name, default in BATCHNORM_DEFAULTS.items():
            if s[name] != default:
                text += f" {name}={s[name]}"
        if not s["affine"]:
            text += " affine=False"
        return text + ("" if s["track_running_stats"] else " no running stats")
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
    if kind == "add_":
        return f"out += {'downsample(x)' if s['shortcut'] == 'projection' else 'identity'}"
    if kind == "flatten":
        return "torch.flatten(x, 1)"
    if node.level is Level.BLOCK:
        text = f"{kind} s{s['stride']} {s['in_channels']}→{s['out_channels']}"
        if "width" in s:
            text += f" width {s['width']}" + (f" g{s['groups']}" if s["groups"] != 1 else "")
        return text + f" {s['shortcut']}"
    if node.role is Role.STAGE:
        return f"{s['blocks']} {label('blocks', lang)}, s{s['stride']}"
    return ""


def model_table(report: ModelReport, depth: Depth, lang: Lang, width: int) -> Text:
    show_input = width >= WIDE
    show_role = width >= ROLES_FROM
    show_frozen = report.totals.frozen_params > 0
    columns = [
        Column(label("name", lang)),
        Column(label("layer", lang), wrap=True, min_width=14),
        Column(label("shapes" if show_input else "output", lang)),
        Column(label("params", lang), right=True),
    ]
    if show_frozen:
        columns.append(Column(label("frozen", lang), right=True))
    columns.append(Column(label("macs", lang), right=True))
    if show_role:
        columns.append(Column(label("role", lang), wrap=True, min_width=20, style="dim"))
    table = TextTable(columns)

    for row in visible_rows(report.sections, depth):
        node = row.node
        style = {Level.SECTION: "bold", Level.BLOCK: "bold cyan", Level.LAYER: ""}[node.level]
        title = node_title(node, lang, qualified=width >= QUALIFIED_FROM)
        if show_input:
            shapes = f"{units.shape(node.input_shape)} → {units.shape(node.output_shape)}"
        else:
            shapes = units.shape(node.output_shape)
        cells = [
            Cell(title, style=style, prefix=row.guide),
            Cell(describe(node, lang)),
            Cell(shapes),
        ]
        cells.append(Cell(units.count(node.trainable_params) if node.params else ""))
        if show_frozen:
            cells.append(Cell(units.count(node.frozen_params) if node.frozen_params else ""))
        cells.append(Cell(units.decimal(node.macs) if node.macs else ""))
        if show_role:
            cells.append(Cell(annotation(node.role, lang)))
        table.add_row(*cells)
    return table.render(width)


def footer(report: ModelReport, lang: Lang, width: int) -> Text:
    t = report.totals
    table = TextTable([Column("", style="bold"), Column("", wrap=True, min_width=20)])
    table.show_header = False
    table.add_row(
        label("parameters", lang),
        f"{units.count(t.params)} {label('total', lang)} · {units.count(t.trainable_params)} "
        f"{label('trainable', lang)} · {units.count(t.frozen_params)} {label('frozen_lc', lang)}",
    )
    table.add_row(
        label("param_memory", lang),
        f"{units.binary_bytes(t.param_bytes)} ({report.dtype}) + "
        f"{units.binary_bytes(t.buffer_bytes)} {label('buffers', lang)}",
    )
    table.add_row(
        label("compute", lang),
        f"{units.decimal(t.macs)} MACs · {units.decimal(t.flops)} FLOPs "
        f"({label('flops_note', lang)})",
    )
    table.add_row(
        label("activations", lang),
        f"{units.binary_bytes(t.activation_bytes)} ({label('activations_note', lang)})",
    )
    table.add_row(
        label("input", lang),
        f"{units.shape(report.input_shape)} {report.dtype} = {units.binary_bytes(t.input_bytes)}",
    )
    return table.render(width)


def header(report: ModelReport, lang: Lang) -> Text:
    weights = report.weights if report.weights != "none" else f"none ({label('random', lang)})"
    text = Text()
    text.append(report.arch, style="bold")
    text.append(f" · input {units.shape(report.input_shape)} · {report.num_classes} ")
    text.append(f"{label('classes', lang)} · weights: {weights}\n")
    text.append(label("meta_note", lang), style="dim")
    return text


def model_view(report: ModelReport, depth: Depth, lang: Lang, width: int) -> Group:
    notes = Text(f"{label('legend', lang)}\n{label('units', lang)}", style="dim")
    return Group(
        header(report, lang),
        model_table(report, depth, lang, width),
        footer(report, lang, width),
        notes,
    )


def print_model(report: ModelReport, depth: Depth, lang: Lang, console: Console) -> None:
    console.print(model_view(report, depth, lang, console.width))
