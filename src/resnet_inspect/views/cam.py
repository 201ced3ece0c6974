"""The view of ``cam``: the model's top classes, then each layer's Grad-CAM over the image."""

from __future__ import annotations

from rich.columns import Columns
from rich.console import Group
from rich.text import Text

from resnet_inspect.report import CamReport, Level
from resnet_inspect.views import units
from resnet_inspect.views.facts import facts_table
from resnet_inspect.views.glyphs import ascii_text
from resnet_inspect.views.header import header
from resnet_inspect.views.heatmap import MAX_MAP_WIDTH, Heatmap
from resnet_inspect.views.page import Page
from resnet_inspect.words import Lang, say


def cam_view(
    report: CamReport, *, depth: Level, lang: Lang, width: int, ascii_only: bool = False
) -> Page:
    lines = [
        say("cam_image", lang).format(image=report.image, how=report.preprocessing),
        say("cam_target", lang).format(
            target=_class(report.target, report.target_name),
            score=f"{report.score:.4g}",
            probability=units.share(report.probability),
        ),
    ]
    top = header(report, lang, lines=lines, note="cam_note")
    predictions = [
        (
            say("cam_top", lang) if i == 0 else "",
            f"{units.share(p.probability):>7}  {_class(p.index, p.name)}",
        )
        for i, p in enumerate(report.top)
    ]
    facts = facts_table(predictions, width, ascii_only)
    count = len(report.layers)
    each = max(12, min(MAX_MAP_WIDTH, (width - 2 * (count - 1)) // count))
    maps = [
        Group(
            Text(layer.layer, style="bold"),
            *([Text(say("cam_no_evidence", lang), style="yellow")] if layer.no_evidence else []),
            Heatmap(layer.heat, None, width=each, ascii_only=ascii_only, picture=report.pixels),
        )
        for layer in report.layers
    ]
    picture = maps[0] if count == 1 else Columns(maps, padding=(0, 2))
    legend = Text(say("cam_legend", lang), style="dim")
    if ascii_only:
        top, legend = ascii_text(top), ascii_text(legend)
    return Page(top, facts, picture, legend, *_channel_maps(report, lang, ascii_only))


CHANNEL_MAP_WIDTH = 16  # characters of one channel's map in the mosaic


def _channel_maps(report: CamReport, lang: Lang, ascii_only: bool) -> list[Group]:
    """``--maps``: per layer, its strongest channels' activation maps side by side."""
    shown = []
    for layer in report.layers:
        if not layer.channels:
            continue
        tiles = [
            Group(
                Text(f"#{c.channel} {units.norm(c.mean)}", style="dim"),
                Heatmap(c.grid, None, width=CHANNEL_MAP_WIDTH, ascii_only=ascii_only),
            )
            for c in layer.channels
        ]
        title = say("cam_maps", lang).format(layer=layer.layer, count=len(layer.channels))
        shown.append(Group(Text(title, style="bold"), Columns(tiles, padding=(0, 2))))
    return shown


def _class(index: int, name: str) -> str:
    return f"{index} {name}" if name else f"class {index}"


def cam_short(report: CamReport) -> str:
    """``CamReport(cam resnet50 cat.png: class 281 tabby 73.2%, layer4)``."""
    layers = ", ".join(layer.layer for layer in report.layers)
    target = _class(report.target, report.target_name)
    return (
        f"CamReport(cam {report.arch} {report.image}: {target} "
        f"{units.share(report.probability)}, {layers})"
    )
