"""The view of ``erf``: the measured heatmap with the theoretical field outlined, and the
numbers that compare them."""

from __future__ import annotations

from rich.text import Text

from resnet_inspect.report import ErfReport, Level
from resnet_inspect.views import units
from resnet_inspect.views.columns import field_size
from resnet_inspect.views.facts import facts_table
from resnet_inspect.views.glyphs import ascii_text
from resnet_inspect.views.header import header
from resnet_inspect.views.heatmap import MAX_MAP_WIDTH, Heatmap
from resnet_inspect.views.page import Page
from resnet_inspect.words import Lang, say, say_count


def erf_view(
    report: ErfReport, *, depth: Level, lang: Lang, width: int, ascii_only: bool = False
) -> Page:
    lines = [
        say("erf_what", lang).format(
            layer=report.layer,
            unit=f"({report.unit[0]}, {report.unit[1]})",
            shape=units.shape(report.output_shape),
        ),
        _inputs(report, lang),
    ]
    top = header(report, lang, lines=lines, note="erf_note")
    picture = Heatmap(
        report.heat, report.field_box, width=min(width, MAX_MAP_WIDTH), ascii_only=ascii_only
    )
    facts = facts_table(_facts(report, lang), width, ascii_only)
    legend = Text(say("erf_legend", lang), style="dim")
    if ascii_only:
        top, legend = ascii_text(top), ascii_text(legend)
    return Page(top, picture, facts, legend)


def _inputs(report: ErfReport, lang: Lang) -> str:
    if report.inputs == "images":
        text = say_count("erf_images", report.samples, lang)
        return text.format(count=report.samples, how=report.preprocessing)
    return say_count("erf_random", report.samples, lang).format(
        count=report.samples, seed=report.seed
    )


def _facts(report: ErfReport, lang: Lang) -> list[tuple[str, str]]:
    field = report.field
    top, left, bottom, right = report.field_box
    theory = say("erf_theory_value", lang).format(
        size=field_size(field, lang),
        jump=units.number(field.height.jump),
        top=units.number(top),
        left=units.number(left),
        bottom=units.number(bottom),
        right=units.number(right),
    )
    radius = report.field_radius
    measured = say("erf_radius_value", lang).format(
        r50=units.number(round(report.radius_50, 1)),
        r90=units.number(round(report.radius_90, 1)),
        s50=units.share(report.radius_50 / radius) if radius else "n/a",
        s90=units.share(report.radius_90 / radius) if radius else "n/a",
        radius=units.number(radius),
    )
    inside = say("erf_inside_value", lang).format(share=units.share(report.inside_field))
    return [
        (say("erf_theory", lang), theory),
        (say("erf_radius", lang), measured),
        (say("erf_inside", lang), inside),
    ]


def erf_short(report: ErfReport) -> str:
    """``ErfReport(erf resnet50 layer3: 50% within 21 px of a 211-px field)``."""
    return (
        f"ErfReport(erf {report.arch} {report.layer}: 50% within "
        f"{report.radius_50:.1f} px, 90% within {report.radius_90:.1f} px of a field of "
        f"radius {report.field_radius:g} px)"
    )
