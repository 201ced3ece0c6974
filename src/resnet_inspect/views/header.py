"""The lines above every report: what was inspected, with which weights, and how."""

from __future__ import annotations

from rich.text import Text

from resnet_inspect.report import GraphReport, ModelInfo, ModelReport, PlanReport, Setting
from resnet_inspect.views import units
from resnet_inspect.words import Lang, label


def header(report: ModelReport | GraphReport | PlanReport, lang: Lang) -> Text:
    """Model, input and classes; the weights; lines of the command's own; the pass's note."""
    text = Text()
    text.append(report.arch, style="bold")
    text.append(f" · input {units.shape(report.input_shape)} · {report.num_classes} ")
    text.append(label("classes", lang))
    if isinstance(report, GraphReport):
        text.append(f" · loss: {report.loss_kind}")
    text.append(f"\nweights: {units.weights(report.weights, label('random', lang))}\n")
    for line in _model_lines(report.model, lang):
        text.append(line + "\n")
    if isinstance(report, GraphReport) and report.new_classes is not None:
        text.append(label("graph_freeze_note", lang).format(classes=report.new_classes))
        if report.unfrozen:
            names = ", ".join(report.unfrozen)
            text.append(f" ({label('unfrozen', lang).format(names=names)})")
        text.append("\n")
    if isinstance(report, PlanReport):
        text.append(label("plan_recipe", lang).format(classes=report.num_classes) + "\n")
    notes = {GraphReport: "graph_meta_note", PlanReport: "plan_meta_note"}
    note = notes.get(type(report), "meta_note")
    text.append(label(note, lang), style="dim")
    return text


def _model_lines(model: ModelInfo, lang: Lang) -> list[str]:
    """What the header says of a model that is not a stock torchvision one."""
    lines = []
    if model.kind == "user":
        lines.append(label("model_code", lang))
    if model.built_on == "cpu":
        lines.append(label("model_on_cpu", lang).format(note=model.note))
    if model.inferred:
        lines.append(label("model_inferred", lang).format(facts=_facts(model.inferred)))
    if model.assumed:
        lines.append(label("model_assumed", lang).format(facts=_facts(model.assumed)))
    return lines


def _facts(settings: tuple[Setting, ...]) -> str:
    return ", ".join(f"{s.name} {units.setting(s.value)}" for s in settings)
