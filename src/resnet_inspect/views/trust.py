"""cam's ``--trust`` section: a verdict in words on top, the numbers under it."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from resnet_inspect.report.trust import Curve, Estimate, Trust
from resnet_inspect.views.glyphs import plain_if
from resnet_inspect.views.table import Cell, Column, TextTable
from resnet_inspect.words import Lang, say


def number(
    value: Estimate | None,
    form: str = ".2f",
    threshold: float | None = None,
    mean_form: str = "",
) -> str:
    """``0.12`` for one image; ``0.12 [0.08, 0.15]`` (the 95% interval) over several; ``—``
    where there is no number (a constant map). Beside a ``threshold`` the mean gets the
    decimals it takes to stay on its own side in print: 0.4999 is never shown as 0.50.
    ``mean_form``: the mean's own format, where it needs more digits than its interval."""
    if value is None or value.mean is None:
        return "—"
    if threshold is not None:
        mean_form = _decimals_for_side(value.mean, threshold)
    mean = f"{value.mean:{mean_form or form}}"
    if value.count <= 1 or value.low is None or value.high is None:
        return mean
    return f"{mean} [{value.low:{form}}, {value.high:{form}}]"


def _decimals_for_side(mean: float, threshold: float) -> str:
    for decimals in range(2, 7):
        form = f".{decimals}f"
        if (float(f"{mean:{form}}") >= threshold) == (mean >= threshold):
            return form
    return ".10g"


def area(value: Estimate | None, *others: Estimate) -> str:
    """An area under a curve of probabilities: three significant digits (a 1000-class
    model's probabilities are small); the mean with more where fewer would print it equal
    to the mean of one of ``others`` (the areas a sentence says it beats) that it is not."""
    mine = value.mean if value is not None else None
    theirs = [other.mean for other in others if other.mean is not None and other.mean != mine]
    if mine is None:
        return number(value, ".3g")
    for digits in range(3, 8):
        form = f".{digits}g"
        if all(f"{mean:{form}}" != f"{mine:{form}}" for mean in theirs):
            return number(value, ".3g", mean_form=form)
    return number(value, ".3g", mean_form=".10g")


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
                    stage=stage.stage, spearman=number(stage.spearman, threshold=trust.threshold)
                ),
            )
        )
    else:
        found.append(
            (
                False,
                say("trust_never", lang).format(
                    spearman=number(last.spearman, threshold=trust.threshold)
                ),
            )
        )
    key = "trust_class_yes" if trust.class_sensitive else "trust_class_no"
    found.append(
        (
            trust.class_sensitive,
            say(key, lang).format(spearman=number(trust.other_spearman, threshold=trust.threshold)),
        )
    )
    own, *baselines = trust.curves
    faithful = trust.deletion_beats_baselines and trust.insertion_beats_baselines
    found.append(
        (
            faithful,
            say("trust_faithful" if faithful else "trust_unfaithful", lang).format(
                **_areas(own, baselines, apart=faithful)
            ),
        )
    )
    return found


def _areas(own: Curve, baselines: list[Curve], *, apart: bool) -> dict[str, str]:
    """The areas a verdict names; ``apart``: it says Grad-CAM's beat the baselines', so no
    two of them print alike unless they are."""

    def shown(value: Estimate, others: list[Estimate]) -> str:
        return area(value, *others) if apart else area(value)

    deletions = [b.deletion_auc for b in baselines]
    insertions = [b.insertion_auc for b in baselines]
    return {
        "deletion": shown(own.deletion_auc, deletions),
        "deletion_baselines": ", ".join(shown(d, [own.deletion_auc]) for d in deletions),
        "insertion": shown(own.insertion_auc, insertions),
        "insertion_baselines": ", ".join(shown(i, [own.insertion_auc]) for i in insertions),
    }


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
        cascade.add_row(
            stage.stage, number(stage.spearman, threshold=trust.threshold), number(stage.ssim)
        )
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
