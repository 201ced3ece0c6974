"""The lines above every report: what was inspected, with which weights, and how."""

from __future__ import annotations

from rich.text import Text

from resnet_inspect.report import GraphReport, ModelReport
from resnet_inspect.views import units
from resnet_inspect.words import Lang, label


def header(report: ModelReport | GraphReport, lang: Lang) -> Text:
    """Model, input and classes; the weights; lines of the command's own; the pass's note."""
    text = Text()
    text.append(report.arch, style="bold")
    text.append(f" · input {units.shape(report.input_shape)} · {report.num_classes} ")
    text.append(label("classes", lang))
    if isinstance(report, GraphReport):
        text.append(f" · loss: {report.loss_kind}")
    text.append(f"\nweights: {units.weights(report.weights, label('random', lang))}\n")
    if isinstance(report, GraphReport) and report.new_classes is not None:
        text.append(label("graph_freeze_note", lang).format(classes=report.new_classes))
        if report.unfrozen:
            names = ", ".join(report.unfrozen)
            text.append(f" ({label('unfrozen', lang).format(names=names)})")
        text.append("\n")
    note = "graph_meta_note" if isinstance(report, GraphReport) else "meta_note"
    text.append(label(note, lang), style="dim")
    return text
