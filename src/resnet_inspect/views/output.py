"""Every way a report leaves the program: the terminal, JSON, and recorded SVG, HTML or text.

Recorded views are printed into rich's recording console at a fixed width and exported,
so the same report always gives the same bytes.
"""

from __future__ import annotations

import io
import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.text import Text

from resnet_inspect.errors import InspectError
from resnet_inspect.report import Level, Report
from resnet_inspect.views.files import Output, write_all
from resnet_inspect.views.options import ViewOptions, parse_depth, parse_lang, parse_width
from resnet_inspect.words import Lang

_HTML_FRAGMENT = (
    "<pre style=\"font-family: Menlo, 'DejaVu Sans Mono', Consolas, monospace; "
    'line-height: 1.25">{code}</pre>'
)


class Look(Protocol):
    """How one command's reports are drawn (its entry in the command registry): the views
    are handed it, and never look it up, so that they stay below the commands."""

    def drawer(self) -> Callable[..., RenderableType]: ...
    def shortener(self) -> Callable[[Any], str]: ...
    def picture(self, option: str) -> Callable[[Any], str | bytes]: ...


def renderable(
    report: Report,
    look: Look,
    *,
    depth: Level = Level.LAYER,
    lang: Lang = Lang.EN,
    width: int = 120,
    ascii_only: bool = False,
) -> RenderableType:
    """The report drawn by its command's view."""
    draw = look.drawer()
    return draw(report, depth=depth, lang=lang, width=width, ascii_only=ascii_only)


def reproducible(report: Report, view: ViewOptions) -> Report:
    """The one timings policy of everything written for later (JSON and every save):
    wall-clock times only when asked for, so that the same input and seed give the same
    bytes. The terminal view always shows them."""
    return report if view.timings else report.without_timings()


def report_json(report: Report, lang: Lang, *, ascii_safe: bool = False) -> str:
    """Strict JSON: non-finite numbers are null (listed in ``non_finite``), never NaN."""
    document = report.to_dict(lang)
    return json.dumps(document, indent=2, ensure_ascii=ascii_safe, allow_nan=False)


def recording(report: Report, look: Look, view: ViewOptions, *, plain: bool = False) -> Console:
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
    console.print(_drawn(report, look, view, view.width))
    return console


class ReportView:
    """A report with the view chosen, as Python shows it: ``repr``/``str`` are the plain-text
    tree (what ``--save-text`` writes), Jupyter gets HTML and that text, rich draws it at the
    console's width. What ``report.view(depth=..., lang=..., width=...)`` returns."""

    def __init__(self, report: Report, look: Look, view: ViewOptions) -> None:
        self.report = report
        self.look = look
        self.options = view

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        ascii_only = self.options.ascii_only or options.ascii_only
        view = replace(self.options, ascii_only=ascii_only, width=max(options.max_width, MIN_WIDTH))
        if console.is_jupyter:
            # rich.print in a notebook sends its text/plain part with its colours as escape
            # codes, which a terminal kernel or a text export shows raw: hand it plain text.
            yield Text(recording(self.report, self.look, view, plain=True).export_text())
            return
        yield _drawn(self.report, self.look, view, view.width)

    def text(self) -> str:
        return recording(self.report, self.look, self.options, plain=True).export_text(clear=False)

    def html(self) -> str:
        return recording(self.report, self.look, self.options).export_html(
            inline_styles=True, code_format=_HTML_FRAGMENT
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        console = recording(self.report, self.look, self.options)  # one recording, two exports
        return {
            "text/plain": console.export_text(clear=False),
            "text/html": console.export_html(
                inline_styles=True, code_format=_HTML_FRAGMENT, clear=False
            ),
        }

    def __repr__(self) -> str:
        return self.text()

    __str__ = __repr__


def view_of(
    report: Report, look: Look, *, depth: str, lang: str, width: int, ascii_only: bool
) -> ReportView:
    """``report.view(...)``: the options as the command line spells them, checked alike."""
    options = ViewOptions(
        depth=parse_depth(depth),
        lang=parse_lang(lang),
        width=parse_width(width),
        ascii_only=ascii_only,
    )
    return ReportView(report, look, options)


def default_view(report: Report, look: Look) -> ReportView:
    """120 columns, or the terminal's width where there is one (a notebook has none)."""
    width = shutil.get_terminal_size((120, 24)).columns if sys.stdout.isatty() else 120
    return ReportView(report, look, ViewOptions(width=max(width, MIN_WIDTH)))


def short(report: Report, look: Look) -> str:
    """One line for logs, by the command's own short form: ``LayerReport(tree resnet18
    1×3×64×64: 11,689,512 params, 149M MACs)``."""
    return look.shortener()(report)


def save(report: Report, look: Look, view: ViewOptions) -> None:
    """Write every file the view asks for, all or none (see ``views.files``), of the report
    as files get it (see ``reproducible``)."""
    outputs: list[Output] = []
    if view.save_svg or view.save_html:
        console = recording(report, look, view)
        # One recording, exported once per format (clear=False keeps it for the next export).
        if view.save_svg:
            svg = console.export_svg(title=f"resnet-inspect {report.command}", clear=False)
            outputs.append(Output("--save-svg", view.save_svg, svg))
        if view.save_html:
            page = console.export_html(inline_styles=True, clear=False)
            outputs.append(Output("--save-html", view.save_html, page))
    if view.save_text:
        text = recording(report, look, view, plain=True).export_text(clear=False)
        outputs.append(Output("--save-text", view.save_text, text))
    # The command's own files (graph's --dot, erf's and cam's --save-png), by its registry entry.
    outputs += [Output(option, path, look.picture(option)(report)) for option, path in view.files]
    if outputs:
        write_all(outputs)


MIN_WIDTH = 40  # narrower than this, no table reads: COLUMNS=0 or 5 is taken as 40


def show(report: Report, look: Look, view: ViewOptions, console: Console | None = None) -> None:
    """What a command does with its report: any saves first (a path that cannot be written
    fails before anything is printed), then JSON or the terminal view."""
    written = reproducible(report, view)  # the terminal shows times; files and JSON ask first
    save(written, look, view)
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
    out.print(_drawn(report, look, replace(view, ascii_only=ascii_only), out.width))


def _drawn(report: Report, look: Look, view: ViewOptions, width: int) -> RenderableType:
    return renderable(
        report, look, depth=view.depth, lang=view.lang, width=width, ascii_only=view.ascii_only
    )
