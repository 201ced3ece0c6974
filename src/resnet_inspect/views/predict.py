"""The view of ``predict``: each image with its most probable classes and their bars."""

from __future__ import annotations

import os

from resnet_inspect.report import Level, Prediction, PredictReport
from resnet_inspect.views import units
from resnet_inspect.views.facts import facts_table
from resnet_inspect.views.glyphs import ascii_text
from resnet_inspect.views.header import header
from resnet_inspect.views.page import Page
from resnet_inspect.views.table import Cell, Column, TextTable
from resnet_inspect.words import Lang, say

BAR_WIDTH = 20  # characters of a probability of 1


def predict_view(
    report: PredictReport, *, depth: Level, lang: Lang, width: int, ascii_only: bool = False
) -> Page:
    top = header(report, lang, note="predict_note")
    names = report.names_from or say("predict_no_names", lang)
    prepared = "; ".join([report.preprocessing, *report.conversions])
    folder, shown = _relative([item.image for item in report.predictions])
    count = len(report.predictions)
    facts = facts_table(
        [
            (say("images", lang), say("predict_images", lang).format(count=count, folder=folder)),
            (say("preprocessing", lang), prepared),
            (say("predict_names", lang), names),
        ],
        width,
        ascii_only,
    )
    columns = [
        Column(say("predict_image", lang), wrap=True, min_width=12),
        Column(say("predict_class", lang), wrap=True, min_width=12),
        Column(say("predict_probability", lang), right=True),
        Column(""),
    ]
    table = TextTable(columns, ascii_only=ascii_only)
    full = "#" if ascii_only else "█"
    for item, image in zip(report.predictions, shown, strict=True):
        for rank, prediction in enumerate(item.top):
            bar = full * round(prediction.probability * BAR_WIDTH)
            table.add_row(
                Cell(image if rank == 0 else "", style="bold"),
                _class(prediction),
                units.share(prediction.probability),
                Cell(bar, style="cyan"),
            )
    if ascii_only:
        top = ascii_text(top)
    return Page(top, facts, table.render(width))


def _relative(paths: list[str]) -> tuple[str, list[str]]:
    """The folder the images share, and each image's path within it (short table cells)."""
    folder = os.path.commonpath([os.path.dirname(p) or "." for p in paths]) if paths else ""
    if not folder or folder == ".":
        return folder or ".", paths
    return folder, [os.path.relpath(p, folder) for p in paths]


def _class(prediction: Prediction) -> str:
    index = f"{prediction.index}"
    return f"{index} {prediction.name}" if prediction.name else f"class {index}"


def predict_short(report: PredictReport) -> str:
    """``PredictReport(predict resnet50 3 images: cat.png 281 tabby 73.2%, …)``."""
    first = report.predictions[0] if report.predictions else None
    best = (
        f": {os.path.basename(first.image)} {_class(first.top[0])} "
        f"{units.share(first.top[0].probability)}"
        if first and first.top
        else ""
    )
    more = ", …" if len(report.predictions) > 1 else ""
    count = len(report.predictions)
    return (
        f"PredictReport(predict {report.arch} {count} image{'s' if count != 1 else ''}{best}{more})"
    )
