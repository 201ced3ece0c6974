"""Every way a report leaves the program: the terminal, JSON, and recorded SVG, HTML or text.

Recorded views are printed into rich's recording console at a fixed width and exported,
so the same report always gives the same bytes.
"""

from __future__ import annotations

import io
import json
import shutil
import sys
from dataclasses import replace
from typing import Any

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.text import Text

from resnet_inspect import commands
from resnet_inspect.errors import InspectError
from resnet_inspect.report import CamReport, ErfReport, GraphReport, Level, Report
from resnet_inspect.views.dot import graph_dot
from resnet_inspect.views.files import Output, write_all
from resnet_inspect.views.options import ViewOptions, parse_depth, parse_lang, parse_width
from resnet_inspect.words import Lang

_HTML_FRAGMENT = (
    "<pre style=\"font-family: Menlo, 'DejaVu Sans Mono', Consolas, monospace; "
    'line-height: 1.25">{code}</pre>'
)


def renderable(
    report: Report,
    *,
    depth: Level = Level.LAYER,
    lang: Lang = Lang.EN,
    width: int = 120,
    ascii_only: bool = False,
) -> RenderableType:
    """The report drawn by its command's view (see ``commands``)."""
    draw = commands.for_report(report).drawer()
    drawn: RenderableType = draw(report, depth=depth, lang=lang, width=width, ascii_only=ascii_only)
    return drawn


def reproducible(report: Report, view: ViewOptions) -> Report:
    """The one timings policy of everything written for later (JSON and every save):
    wall-clock times only when asked for, so that the same input and seed give the same
    bytes. The terminal view always shows them."""
    return report if view.timings else report.without_timings()


def report_json(report: Report, lang: Lang, *, ascii_safe: bool = False) -> str:
    """Strict JSON: non-finite numbers are null (listed in ``non_finite``), never NaN."""
    document = report.to_dict(lang)
    return json.dumps(document, indent=2, ensure_ascii=ascii_safe, allow_nan=False)


def recording(report: Report, view: ViewOptions, *, plain: bool = False) -> Console:
    """A console that has printed the view at ``view.width`` columns, ready to export;
    ``plain`` for text, which keeps no colour: a picture (erf's heatmap) then draws itself
    in characters that read without colour."""
    console = Console(
        record=True,
        width=view.width,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        no_color=plain,
        legacy_windows=False,
        force_jupyter=False,  # in a notebook it would display what it records: twice shown
    )
    console.print(_drawn(report, view, view.width))
    return console


class ReportView:
    """A report with the view chosen, as Python shows it: ``repr``/``str`` are the plain-text
    tree (what ``--save-text`` writes), Jupyter gets HTML and that text, rich draws it at the
    console's width. What ``report.view(depth=..., lang=..., width=...)`` returns."""

    def __init__(self, report: Report, view: ViewOptions) -> None:
        self.report = report
        self.options = view

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        ascii_only = self.options.ascii_only or options.ascii_only
        view = replace(self.options, ascii_only=ascii_only, width=max(options.max_width, MIN_WIDTH))
        if console.is_jupyter:
            # rich.print in a notebook sends its text/plain part with its colours as escape
            # codes, which a terminal kernel or a text export shows raw: hand it plain text.
            yield Text(recording(self.report, view, plain=True).export_text())
            return
        yield _drawn(self.report, view, view.width)

    def text(self) -> str:
        return recording(self.report, self.options, plain=True).export_text(clear=False)

    def html(self) -> str:
        return recording(self.report, self.options).export_html(
            inline_styles=True, code_format=_HTML_FRAGMENT
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        console = recording(self.report, self.options)  # one recording, two exports
        return {
            "text/plain": console.export_text(clear=False),
            "text/html": console.export_html(
                inline_styles=True, code_format=_HTML_FRAGMENT, clear=False
            ),
        }

    def __repr__(self) -> str:
        return self.text()

    __str__ = __repr__


def view_of(report: Report, *, depth: str, lang: str, width: int, ascii_only: bool) -> ReportView:
    """``report.view(...)``: the options as the command line spells them, checked alike."""
    options = ViewOptions(
        depth=parse_depth(depth),
        lang=parse_lang(lang),
        width=parse_width(width),
        ascii_only=ascii_only,
    )
    return ReportView(report, options)


def default_view(report: Report) -> ReportView:
    """120 columns, or the terminal's width where there is one (a notebook has none)."""
    width = shutil.get_terminal_size((120, 24)).columns if sys.stdout.isatty() else 120
    return ReportView(report, ViewOptions(width=max(width, MIN_WIDTH)))


def short(report: Report) -> str:
    """One line for logs, by the command's own short form: ``LayerReport(tree resnet18
    1×3×64×64: 11,689,512 params, 149M MACs)``."""
    return commands.for_report(report).shortener()(report)


def save(report: Report, view: ViewOptions) -> None:
    """Write every file the view asks for, all or none (see ``views.files``), of the report
    as files get it (see ``reproducible``)."""
    outputs: list[Output] = []
    if view.save_svg or view.save_html:
        console = recording(report, view)
        # One recording, exported once per format (clear=False keeps it for the next export).
        if view.save_svg:
            svg = console.export_svg(title=f"resnet-inspect {report.command}", clear=False)
            outputs.append(Output("--save-svg", view.save_svg, svg))
        if view.save_html:
            page = console.export_html(inline_styles=True, clear=False)
            outputs.append(Output("--save-html", view.save_html, page))
    if view.save_text:
        text = recording(report, view, plain=True).export_text(clear=False)
        outputs.append(Output("--save-text", view.save_text, text))
    if view.save_dot and isinstance(report, GraphReport):
        outputs.append(Output("--dot", view.save_dot, graph_dot(report)))
    if view.save_png and isinstance(report, ErfReport | CamReport):
        outputs.append(Output("--save-png", view.save_png, _picture(report)))
    if outputs:
        write_all(outputs)


def _picture(report: ErfReport | CamReport) -> bytes:
    """``--save-png``: erf's map with its field outlined; cam's maps over the image, side by
    side (one per layer)."""
    from resnet_inspect.views.heatmap import png, png_row, png_stack, png_tiles

    if isinstance(report, ErfReport):
        return png(report.heat, report.field_box)
    row = png_row([layer.heat for layer in report.layers], report.pixels)
    mosaic = [
        png_tiles([c.grid for c in layer.channels]) for layer in report.layers if layer.channels
    ]
    return png_stack([row, *mosaic]) if mosaic else row


MIN_WIDTH = 40  # narrower than this, no table reads: COLUMNS=0 or 5 is taken as 40


def show(report: Report, view: ViewOptions, console: Console | None = None) -> None:
    """What a command does with its report: any saves first (a path that cannot be written
    fails before anything is printed), then JSON or the terminal view."""
    written = reproducible(report, view)  # the terminal shows times; files and JSON ask first
    save(written, view)
    stream = sys.stdout
    if stream is None:  # fd 1 was closed before the program started
        raise InspectError("standard output is closed: nothing to show the report on")
    utf = (getattr(stream, "encoding", None) or "").lower().replace("-", "").startswith("utf")
    if view.as_json:
        # A stream that cannot take UTF-8 gets \\u escapes: the same JSON, in ASCII.
        stream.write(report_json(written, view.lang, ascii_safe=not utf) + "\n")
        return
    out = console or Console()
    if out.width < MIN_WIDTH:
        out.width = MIN_WIDTH
    ascii_only = view.ascii_only or out.options.ascii_only
    if ascii_only and view.lang is not Lang.EN:
        encoding = getattr(stream, "encoding", "?")
        raise InspectError(
            f"the output's encoding ({encoding}) cannot show --lang {view.lang.value}; set "
            "PYTHONIOENCODING=utf-8, or use --lang en"
        )
    out.print(_drawn(report, replace(view, ascii_only=ascii_only), out.width))


def _drawn(report: Report, view: ViewOptions, width: int) -> RenderableType:
    return renderable(
        report, depth=view.depth, lang=view.lang, width=width, ascii_only=view.ascii_only
    )
