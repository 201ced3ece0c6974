"""The view of ``cam``: the model's top classes, then each layer's Grad-CAM over the image."""

from __future__ import annotations

from collections.abc import Callable

from rich.columns import Columns
from rich.console import Group, RenderableType
from rich.text import Text

from resnet_inspect.report import CamReport, Level
from resnet_inspect.report.trust import CamClass
from resnet_inspect.views import units
from resnet_inspect.views.facts import facts_table
from resnet_inspect.views.glyphs import ascii_text, plain_if
from resnet_inspect.views.header import header
from resnet_inspect.views.heatmap import MAX_MAP_WIDTH, Heatmap
from resnet_inspect.views.page import Page
from resnet_inspect.views.table import Column, TextTable
from resnet_inspect.views.trust import area, number, trust_section
from resnet_inspect.words import Lang, say, say_count


def cam_view(
    report: CamReport, *, depth: Level, lang: Lang, width: int, ascii_only: bool = False
) -> Page:
    if report.folder:
        return _folder_view(report, lang, width, ascii_only)
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
    trust = _trust(report, lang, width, ascii_only)
    return Page(top, facts, picture, legend, *_channel_maps(report, lang, ascii_only), *trust)


def _trust(report: CamReport, lang: Lang, width: int, ascii_only: bool) -> list[RenderableType]:
    if report.trust is None:
        return []
    target = (
        _class(report.target, report.target_name)
        if report.target >= 0
        else say("cam_each_top", lang)
    )
    shown = trust_section(report.trust, lang, width, ascii_only, target)
    return [ascii_text(part) if ascii_only and isinstance(part, Text) else part for part in shown]


SHOWN_IMAGES = 20  # a folder's images listed; the JSON has every one


def _folder_view(report: CamReport, lang: Lang, width: int, ascii_only: bool) -> Page:
    count = len(report.images)
    if report.target >= 0:
        explained = say("cam_folder_target", lang).format(
            target=_class(report.target, report.target_name),
            probability=units.share(report.probability),
        )
    else:
        explained = say("cam_folder_each", lang).format(probability=units.share(report.probability))
    lines = [
        say_count("cam_folder", count, lang).format(
            folder=report.image, count=count, how=report.preprocessing
        ),
        explained,
    ]
    top = header(report, lang, lines=lines, note="cam_note")
    classes = _class_tables(report, lang, ascii_only, width)
    images = TextTable(
        [
            Column(say("predict_image", lang), wrap=True, min_width=12),
            Column(say("cam_explained", lang), wrap=True, min_width=10),
            Column(say("predict_probability", lang), right=True),
            Column(plain_if(say("cam_centre", lang), ascii_only), right=True),
        ],
        ascii_only=ascii_only,
    )
    for image in report.images[:SHOWN_IMAGES]:
        images.add_row(
            image.path,
            _class(image.target, image.target_name),
            units.share(image.probability),
            _centre(image.centre),
        )
    more = (
        [Text(say("cam_more_images", lang).format(count=count - SHOWN_IMAGES), style="dim")]
        if count > SHOWN_IMAGES
        else []
    )
    each = max(12, min(MAX_MAP_WIDTH, (width - 2 * (len(report.layers) - 1)) // len(report.layers)))
    maps = [
        Group(
            Text(
                say_count("cam_mean_map", count, lang).format(layer=layer.layer, count=count),
                style="bold",
            ),
            Heatmap(layer.heat, None, width=each, ascii_only=ascii_only),
        )
        for layer in report.layers
    ]
    picture = maps[0] if len(maps) == 1 else Columns(maps, padding=(0, 2))
    if ascii_only:
        top = ascii_text(top)
    trust = _trust(report, lang, width, ascii_only)
    return Page(top, *classes, picture, images.render(width), *more, *trust)


def _centre(centre: tuple[float, float] | None) -> str:
    return "—" if centre is None else f"{centre[0]:.2f}, {centre[1]:.2f}"


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
    """``CamReport(cam resnet50 cat.png: class 281 tabby 73.2%, layer4)``; a folder's:
    ``CamReport(cam resnet50 photos/: 200 images, layer4)``."""
    layers = ", ".join(layer.layer for layer in report.layers)
    if report.folder:
        return f"CamReport(cam {report.arch} {report.image}: {len(report.images)} images, {layers})"
    target = _class(report.target, report.target_name)
    return (
        f"CamReport(cam {report.arch} {report.image}: {target} "
        f"{units.share(report.probability)}, {layers})"
    )


def _class_tables(report: CamReport, lang: Lang, ascii_only: bool, width: int) -> list[Text]:
    """A row per class: its images and the centre of its mean map, and with --trust each
    check's mean and interval beside them; where that is wider than the terminal, the
    checks go in a table of their own under it, each interval under its mean."""

    def word(key: str) -> str:
        return plain_if(say(key, lang), ascii_only)

    place = [
        Column(say("cam_class", lang), wrap=True, min_width=10),
        Column(say("cam_images", lang), right=True),
        Column(word("cam_centre"), right=True),
    ]
    checks = [
        Column(word("trust_deletion"), right=True, wrap=True, min_width=9),
        Column(word("trust_insertion"), right=True, wrap=True, min_width=9),
        Column(word("trust_other_short"), right=True, wrap=True, min_width=9),
    ]

    def numbers(group: CamClass, stacked: bool) -> list[str]:
        cells = [area(group.deletion_auc), area(group.insertion_auc), number(group.other_spearman)]
        return [cell.replace(" [", "\n[", 1) if stacked else cell for cell in cells]

    def table(columns: list[Column], cells: Callable[[CamClass], list[str]]) -> TextTable:
        made = TextTable(columns, ascii_only=ascii_only)
        for group in report.classes:
            made.add_row(group.name, *cells(group))
        return made

    def where(group: CamClass) -> list[str]:
        return [str(group.images), _centre(group.centre)]

    if report.trust is None:
        return [table(place, where).render(width)]
    whole = table([*place, *checks], lambda group: [*where(group), *numbers(group, False)])
    if whole.width() <= width:
        return [whole.render(width)]
    split = table([place[0], *checks], lambda group: numbers(group, True))
    return [table(place, where).render(width), split.render(width)]
