"""cam's ``--trust`` section: a verdict in words on top, the numbers under it."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from resnet_inspect.report.trust import Estimate, Trust
from resnet_inspect.views.glyphs import plain_if
from resnet_inspect.views.table import Cell, Column, TextTable
from resnet_inspect.words import Lang, say


def number(value: Estimate | None, form: str = ".2f") -> str:
    """``0.12`` for one image; ``0.12 [0.08, 0.15]`` (the 95% interval) over several; ``—``
    where there is no number (a constant map)."""
    if value is None or value.mean is None:
        return "—"
    if value.count <= 1 or value.low is None or value.high is None:
        return f"{value.mean:{form}}"
    return f"{value.mean:{form}} [{value.low:{form}}, {value.high:{form}}]"


def area(value: Estimate | None) -> str:
    """An area under a curve of probabilities: three significant digits (a 1000-class
    model's probabilities are small)."""
    return number(value, ".3g")


def verdicts(trust: Trust, lang: Lang) -> list[tuple[bool, str]]:
    """Each check's verdict: whether it passed, and the sentence that says so."""
    found: list[tuple[bool, str]] = []
    last = trust.randomised[-1]
    if trust.changes_from:
        stage = next(s for s in trust.randomised if s.stage == trust.changes_from)
        found.append(
            (
                True,
                say("trust_changes", lang).format(
                    stage=stage.stage, spearman=number(stage.spearman)
                ),
            )
        )
    else:
        found.append((False, say("trust_never", lang).format(spearman=number(last.spearman))))
    key = "trust_class_yes" if trust.class_sensitive else "trust_class_no"
    found.append(
        (trust.class_sensitive, say(key, lang).format(spearman=number(trust.other_spearman)))
    )
    own, *baselines = trust.curves
    faithful = trust.deletion_beats_baselines and trust.insertion_beats_baselines
    found.append(
        (
            faithful,
            say("trust_faithful" if faithful else "trust_unfaithful", lang).format(
                deletion=area(own.deletion_auc),
                deletion_baselines=", ".join(area(b.deletion_auc) for b in baselines),
                insertion=area(own.insertion_auc),
                insertion_baselines=", ".join(area(b.insertion_auc) for b in baselines),
            ),
        )
    )
    return found


def trust_section(
    trust: Trust, lang: Lang, width: int, ascii_only: bool, target: str
) -> list[RenderableType]:
    def word(key: str) -> str:
        return plain_if(say(key, lang), ascii_only)

    shown: list[RenderableType] = [
        Text(say("trust_title", lang).format(layer=trust.layer, target=target), style="bold")
    ]
    if not trust.trained:
        shown.append(Text(say("trust_untrained", lang), style="yellow"))
    for passed, sentence in verdicts(trust, lang):
        mark = ("+" if passed else "!") if ascii_only else ("✓" if passed else "!")
        shown.append(Text(f"{mark} {sentence}", style="green" if passed else "yellow"))
    cascade = TextTable(
        [
            Column(word("trust_randomised"), wrap=True, min_width=10),
            Column(word("trust_spearman"), right=True),
            Column("SSIM", right=True),
        ],
        ascii_only=ascii_only,
    )
    for stage in trust.randomised:
        cascade.add_row(stage.stage, number(stage.spearman), number(stage.ssim))
    other = (
        f"{trust.other_class} {trust.other_class_name}".strip()
        if trust.other_class >= 0
        else say("trust_other_each", lang)
    )
    cascade.add_row(
        Cell(say("trust_other", lang).format(target=other), style="dim"),
        number(trust.other_spearman),
        number(trust.other_ssim),
    )
    curves = TextTable(
        [
            Column(word("trust_map"), wrap=True, min_width=10),
            Column(word("trust_deletion"), right=True),
            Column(word("trust_insertion"), right=True),
        ],
        ascii_only=ascii_only,
    )
    for curve in trust.curves:
        curves.add_row(curve.map, area(curve.deletion_auc), area(curve.insertion_auc))
    legend = say("trust_legend", lang).format(
        how=say(f"trust_how_{trust.reinitialised}", lang).format(seed=trust.seed),
        sigma=f"{trust.blur_sigma:g}",
        kernel=trust.blur_kernel,
        steps=trust.steps,
        threshold=f"{trust.threshold:g}",
    )
    return [*shown, cascade.render(width), curves.render(width), Text(legend, style="dim")]
