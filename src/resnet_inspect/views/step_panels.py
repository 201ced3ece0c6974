"""The panels around train-step's and freeze's table: the model's totals, the step's
header facts (loss, optimizer, images, precision, layout), its flags, the freeze's proof."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from resnet_inspect.report import (
    Flag,
    FlagKind,
    LayerReport,
    OpCount,
    StepSummary,
)
from resnet_inspect.views import units
from resnet_inspect.views.bars import sparkline
from resnet_inspect.words import Lang, say


def model_facts(report: LayerReport, lang: Lang) -> list[tuple[str, str]]:
    t = report.totals
    total, trainable, frozen = (say(key, lang) for key in ("total", "trainable", "frozen_lc"))
    return [
        (
            say("parameters", lang),
            f"{units.count(t.params)} {total} · {units.count(t.trainable_params)} {trainable} · "
            f"{units.count(t.frozen_params)} {frozen}",
        ),
        (
            say("param_memory", lang),
            f"{units.binary_bytes(t.param_bytes)} ({report.dtype}) + "
            f"{units.binary_bytes(t.buffer_bytes)} {say('buffers', lang)}",
        ),
        (
            say("compute", lang),
            f"{units.decimal(t.macs)} MACs · {units.decimal(t.flops)} FLOPs "
            f"({say('flops_note', lang)})",
        ),
        (
            say("activations", lang),
            f"{units.binary_bytes(t.activation_bytes)} ({say('activations_note', lang)})",
        ),
        (
            say("input", lang),
            f"{units.shape(report.input_shape)} {report.dtype} = "
            f"{units.binary_bytes(t.input_bytes)}",
        ),
    ]


def step_header_facts(report: LayerReport, lang: Lang) -> list[tuple[str, str]]:
    step = report.step
    if step is None:
        return []
    settings = ", ".join(f"{s.name}={s.value}" for s in step.optimizer_settings)
    seeded = not (step.images and step.images.classes)  # random labels, drawn after the seed
    facts = [
        (
            say("loss", lang),
            f"{step.loss:.6g} = {step.loss_expression}, labels = {step.target}"
            + (f" ({say('seed', lang)} {step.seed})" if seeded else ""),
        ),
        (say("optimizer", lang), f"{step.optimizer}({settings})"),
        (
            say("optimizer_state", lang),
            f"{units.binary_bytes(step.optimizer_state_bytes)} "
            f"({say('optimizer_state_note', lang)})",
        ),
    ]
    facts += image_facts(step, report.num_classes, lang)
    facts += precision_facts(step, lang)
    facts += layout_facts(report, lang)
    if step.checkpointed:
        facts.append(
            (
                say("checkpointing", lang),
                say("checkpointing_value", lang).format(stages=", ".join(step.checkpointed)),
            )
        )
    if step.steps > 1:
        steps_value = "steps_images_value" if step.images else "steps_value"
        facts += [
            (say("steps", lang), say(steps_value, lang).format(steps=step.steps)),
            (say("losses", lang), _series(step.losses, lambda v: f"{v:.6g}")),
            (say("grad_norms", lang), _series(step.global_grad_norms, units.norm)),
        ]
    if step.forward_s is not None and step.backward_s is not None and step.step_s is not None:
        facts.append(
            (
                say("time", lang),
                f"{say('forward', lang)} {units.seconds(step.forward_s)} · "
                f"{say('backward', lang)} {units.seconds(step.backward_s)} · "
                f"{say('step', lang)} {units.seconds(step.step_s)} ({_time_note(step, lang)})",
            )
        )
    return facts


def layout_facts(report: LayerReport, lang: Lang) -> list[tuple[str, str]]:
    """``--channels-last``: which rows kept the layout, and where one turned it back."""
    summary = report.channels_last
    if summary is None:
        return []
    text = say("layout_kept", lang).format(kept=summary.kept, rows=summary.rows)
    if summary.changes:
        changes = ", ".join(
            say("layout_change", lang).format(
                name=change.name, to=change.to, bytes=units.binary_bytes(change.bytes)
            )
            for change in summary.changes
        )
        text += "; " + say("layout_changes", lang).format(changes=changes)
    return [(say("layout", lang), text)]


def precision_facts(step: StepSummary, lang: Lang) -> list[tuple[str, str]]:
    """How autocast really ran the last forward (``--precision bf16|fp16``), and the scaler."""
    amp = step.precision
    if amp is None:
        return []

    def listed(ops: tuple[OpCount, ...]) -> str:
        return ", ".join(f"{op.name} ×{op.calls}" for op in ops) or "—"

    facts = [
        (
            say("precision", lang),
            say("precision_value", lang).format(
                precision=amp.precision,
                dtype=amp.dtype,
                casts=amp.casts,
                bytes=units.binary_bytes(amp.cast_bytes),
            ),
        ),
        (say("precision_lower", lang).format(dtype=amp.dtype), listed(amp.lower)),
    ]
    if amp.mixed:
        facts.append(
            (
                say("precision_mixed", lang),
                say("precision_mixed_value", lang).format(ops=listed(amp.mixed), dtype=amp.dtype),
            )
        )
    facts.append((say("precision_float32", lang), listed(amp.float32)))
    if amp.scaler is not None:
        scaler = amp.scaler
        skipped = ", ".join(map(str, scaler.skipped_steps))
        key = "scaler_skipped" if skipped else "scaler_none_skipped"
        facts.append(
            (
                say("scaler", lang),
                say(key, lang).format(
                    initial=f"{scaler.initial_scale:g}",
                    final=f"{scaler.final_scale:g}",
                    steps=skipped,
                ),
            )
        )
    return facts


def image_facts(step: StepSummary, outputs: int, lang: Lang) -> list[tuple[str, str]]:
    """Which real images the steps took, and how they were made the input (``--images``)."""
    images = step.images
    if images is None:
        return []
    where = say("images_found", lang).format(found=images.found, paths=", ".join(images.paths))
    parts = [where]
    if images.classes:
        names = ", ".join(f"{name} = {index}" for index, name in enumerate(images.classes))
        parts.append(say("images_folder", lang).format(count=len(images.classes), names=names))
        if len(images.classes) < outputs:
            parts.append(
                say("images_fewer", lang).format(last=len(images.classes) - 1, outputs=outputs)
            )
    if images.ignored:
        parts.append(say("images_ignored", lang).format(ignored=images.ignored))
    order = (
        say("images_shuffled", lang).format(seed=step.seed)
        if images.shuffled
        else say("images_in_order", lang)
    )
    taken = say("images_taken", lang).format(
        batch=images.batch, order=order, steps=step.steps, taken=images.taken, used=images.used
    )
    if images.taken > images.found:
        taken += f", {say('images_wrapped', lang)}"
    prepared = "; ".join([images.preprocessing, *images.conversions])
    return [
        (say("images", lang), "; ".join([*parts, taken])),
        (say("preprocessing", lang), prepared),
    ]


SERIES_SHOWN = 10  # more steps than this: the first and last values, and the chart


def _series(values: Sequence[float], shown: Callable[[float], str]) -> str:
    """Every step's value (the first and last of a long run) and a sparkline of all."""
    if len(values) <= SERIES_SHOWN:
        numbers = " → ".join(shown(v) for v in values)
    else:
        numbers = f"{shown(values[0])} → … → {shown(values[-1])}"
    return f"{numbers}  {sparkline(values)}"


def _time_note(step: StepSummary, lang: Lang) -> str:
    if step.steps == 1:
        return say("time_note", lang)
    return say("time_steps_note", lang).format(steps=step.steps)


def _proof_title(report: LayerReport, lang: Lang) -> str:
    steps = report.step.steps if report.step else 1
    return say("proof", lang) if steps == 1 else say("proof_steps", lang).format(steps=steps)


def flag_facts(report: LayerReport, lang: Lang) -> list[tuple[str, str]]:
    """The Flags block: one line per flag that fired, or one that says none did."""
    if report.step is None:
        return []
    if not report.flags:
        return [(say("flags", lang), say("flags_none", lang))]
    lines: list[tuple[str, str]] = []
    for flag in report.flags:
        key = f"flag_{flag.kind.value}"
        if flag.kind is FlagKind.GRAD_NOT_FINITE and not flag.layers:
            key += "_earlier"  # an earlier step's; the last step's gradients are finite
        text = say(key, lang).format(
            value=_flag_value(flag.kind, flag.value),
            layers=_some(_flagged(report, flag)),
            count=int(flag.value or 0) if flag.kind in _COUNTS else len(flag.layers),
            advice=_update_advice(report, lang),
            step=flag.step,
        )
        if flag.step is not None and not key.endswith("_earlier"):
            text += say("flag_from_step", lang).format(step=flag.step)
        lines.append((say("flags", lang) if not lines else "", text))
    return lines


def _update_advice(report: LayerReport, lang: Lang) -> str:
    """What shrinks a large update: a lower --lr always; a mean loss only where the loss is a
    sum over the batch and the optimizer is SGD (cross-entropy and MSE are means already,
    and Adam's step does not scale with the loss)."""
    step = report.step
    if step is not None and step.loss_kind == "sum" and step.optimizer.lower() == "sgd":
        return say("advice_lr_or_mean", lang)
    return say("advice_lr", lang)


_COUNTS = frozenset(
    {FlagKind.GRAD_NOT_FINITE, FlagKind.SCALER_SKIPPED}
)  # whose value is how many layers


def _flag_value(kind: FlagKind, value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return str(value)
    if kind in (FlagKind.DEAD_RELU, FlagKind.GRAD_UNDERFLOW):
        return units.share(value)
    return units.count(int(value)) if value == int(value) and abs(value) >= 1 else units.norm(value)


def _flagged(report: LayerReport, flag: Flag) -> tuple[str, ...]:
    """The flagged layers as the tree names them: a reused module's call as ``relu (1/2)``."""
    if not flag.calls:
        return flag.layers
    calls = {node.name: node.calls for node in report.leaves()}
    return tuple(
        f"{name} ({call}/{calls.get(name, call)})" if calls.get(name, 1) > 1 else name
        for name, call in zip(flag.layers, flag.calls, strict=True)
    )


def _some(names: tuple[str, ...], shown: int = 4) -> str:
    """The first few names, and how many in all where there are more."""
    if len(names) <= shown:
        return ", ".join(names)
    return f"{', '.join(names[:shown])}, … ({len(names)})"


def freeze_facts(report: LayerReport, lang: Lang) -> list[tuple[str, str]]:
    freeze = report.freeze
    if freeze is None:
        return []
    totals = report.totals
    share = say("share_value", lang).format(
        trainable=units.count(totals.trainable_params),
        total=units.count(totals.params),
        percent=units.share(freeze.trainable_share),
    )
    if freeze.unfrozen:
        share += "; " + say("unfrozen", lang).format(names=", ".join(freeze.unfrozen))
    proof = say("proof_value", lang).format(
        mark="✓" if freeze.holds else "✗",
        frozen=freeze.frozen_tensors,
        no_grad=freeze.frozen_without_grad,
        same=freeze.frozen_unchanged,
        trainable=freeze.trainable_tensors,
        changed=freeze.trainable_changed,
    )
    if freeze.frozen_buffers_changed:
        buffers = say("bn_drift", lang).format(count=len(freeze.frozen_buffers_changed))
    elif freeze.bn_eval:
        buffers = say("bn_still", lang).format(count=len(freeze.batchnorms_in_eval))
    else:
        buffers = ""
    facts = [
        (
            say("head", lang),
            say("head_value", lang).format(
                head=freeze.head,
                kind=freeze.head_kind,
                inputs=freeze.head_in_features,
                classes=freeze.new_classes,
            ),
        ),
        (say("share", lang), share),
        (_proof_title(report, lang), proof),
    ]
    if buffers:
        facts.append((say("bn_buffers", lang), buffers))
    backward = say("backward_value", lang).format(tensors=freeze.trainable_tensors)
    facts.append((say("backward_note", lang), backward))
    return facts


def step_footer_facts(report: LayerReport, lang: Lang) -> list[tuple[str, str]]:
    step = report.step
    if step is None:
        return []
    counts = ", ".join(f"{kind} ×{n}" for kind, n in step.buffers_changed_by_kind.items())
    if step.buffers_changed:
        buffers = say("bn_buffers_value", lang).format(
            changed=len(step.buffers_changed), total=step.buffers_total, kinds=counts
        )
    else:
        buffers = say("bn_buffers_none", lang).format(total=step.buffers_total)
    facts = [
        (
            say("global_norm", lang),
            f"{units.norm(step.global_grad_norm)} ({say('global_norm_note', lang)})",
        ),
        (
            say("updated", lang),
            say("updated_value", lang).format(
                changed=step.tensors_changed,
                total=step.tensors_total,
                elements=units.count(step.elements_changed),
                with_grad=step.tensors_with_grad,
            ),
        ),
        (say("bn_buffers", lang), buffers),
    ]
    if report.freeze:  # the freeze facts tell the buffers' story for the frozen part
        facts.pop()
    return facts
