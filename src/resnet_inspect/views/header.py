"""The lines above every report: what was inspected, with which weights, and how."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from resnet_inspect.report import ModelInfo, Settings, Subject, WeightsInfo
from resnet_inspect.views import units
from resnet_inspect.words import Lang, say


def header(
    report: Subject,
    lang: Lang,
    *,
    facts: str = "",
    lines: Sequence[str] = (),
    note: str,
) -> Text:
    """Model, input and classes (and the command's own ``facts`` on that line); the weights;
    what is known of the model; the command's own ``lines``; how the report was computed."""
    text = Text()
    text.append(report.arch, style="bold")
    shape = units.shape(report.input_shape)
    text.append(f" · {say('input_lc', lang)} {shape} · {report.num_classes} ")
    text.append(say("classes", lang))
    text.append(facts)
    weights = units.weights(report.weights, lang)
    text.append("\n" + say("weights_line", lang).format(weights=weights) + "\n")
    for line in [*_metadata_lines(report.weights, lang), *_model_lines(report.model, lang), *lines]:
        text.append(line + "\n")
    text.append(say(note, lang), style="dim")  # the view's own note on how it was computed
    return text


def _metadata_lines(weights: WeightsInfo, lang: Lang) -> list[str]:
    """A safetensors file's own metadata, where its header has some; how a file's keys
    fitted the model, where a prefix was taken off or kept."""
    lines = []
    if weights.metadata:
        listed = ", ".join(f"{item.name} {item.value}" for item in weights.metadata)
        lines.append(say("weights_metadata", lang).format(facts=listed))
    how, _, prefix = weights.keys.partition(" ")
    if how in ("removed", "kept"):
        lines.append(say(f"weights_keys_{how}", lang).format(prefix=prefix))
    if weights.dtypes and weights.dtypes != ("float32",):
        lines.append(
            say("weights_dtype", lang).format(
                dtypes=", ".join(weights.dtypes), bytes=units.binary_bytes(weights.float_bytes)
            )
        )
    return lines


def _model_lines(model: ModelInfo, lang: Lang) -> list[str]:
    """What the header says of a model that is not a stock torchvision one."""
    lines = []
    if model.kind == "user":
        lines.append(say("model_code", lang))
    if model.built_on == "cpu":
        lines.append(say("model_on_cpu", lang).format(note=model.note))
    if model.inferred:
        lines.append(say("model_inferred", lang).format(facts=_facts(model.inferred, lang)))
    if model.assumed:
        lines.append(say("model_assumed", lang).format(facts=_facts(model.assumed, lang)))
    return lines


def _facts(settings: Settings, lang: Lang) -> str:
    return ", ".join(f"{s.name} {units.setting(s.value, lang)}" for s in settings)
