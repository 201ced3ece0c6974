"""Every way a report leaves the program: the terminal, JSON, and recorded SVG, HTML or text.

Recorded views are printed into rich's recording console at a fixed width and exported,
so the same report always gives the same bytes.
"""

from __future__ import annotations

import io
import json
import sys
from dataclasses import replace

from rich.console import Console, RenderableType

from resnet_inspect.errors import InspectError
from resnet_inspect.options import Depth, ViewOptions
from resnet_inspect.report import GraphReport, ModelReport
from resnet_inspect.views.dot import graph_dot
from resnet_inspect.views.files import Output, write_all
from resnet_inspect.views.graph import graph_view
from resnet_inspect.views.tree import model_view
from resnet_inspect.words import Lang

Report = ModelReport | GraphReport
_HTML_FRAGMENT = (
    "<pre style=\"font-family: Menlo, 'DejaVu Sans Mono', Consolas, monospace; "
    'line-height: 1.25">{code}</pre>'
)


def json_schema() -> dict[str, object]:
    """The JSON Schema every command's ``--json`` output follows (shipped with the package)."""
    from importlib.resources import files

    text = files("resnet_inspect").joinpath("schema/report.schema.json").read_text("utf-8")
    schema: dict[str, object] = json.loads(text)
    return schema


def renderable(
    report: Report,
    *,
    depth: Depth = Depth.LAYER,
    lang: Lang = Lang.EN,
    width: int = 120,
    ascii_only: bool = False,
) -> RenderableType:
    if isinstance(report, GraphReport):
        return graph_view(report, depth=depth, lang=lang, width=width, ascii_only=ascii_only)
    return model_view(report, depth=depth, lang=lang, width=width, ascii_only=ascii_only)


def as_shown(report: Report, view: ViewOptions) -> Report:
    """The one timings policy of everything written for later (JSON and every save):
    wall-clock times only when asked for, so that the same input and seed give the same
    bytes. The terminal view always shows them."""
    return report if view.timings else report.without_timings()


def report_json(report: Report, lang: Lang, *, ascii_safe: bool = False) -> str:
    """Strict JSON: non-finite numbers are null (listed in ``non_finite``), never NaN."""
    return json.dumps(report.to_dict(lang), indent=2, ensure_ascii=ascii_safe, allow_nan=False)


def recording(report: Report, view: ViewOptions) -> Console:
    """A console that has printed the view at ``view.width`` columns, ready to export."""
    console = Console(
        record=True,
        width=view.width,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        legacy_windows=False,
    )
    console.print(_drawn(report, view, view.width))
    return console


def html(report: Report) -> str:
    """An HTML fragment of the default view, for Jupyter."""
    return recording(report, ViewOptions()).export_html(
        inline_styles=True, code_format=_HTML_FRAGMENT
    )


def save(report: Report, view: ViewOptions) -> None:
    """Write every file the view asks for, all or none (see ``views.files``), of the report
    as it is shown (see ``as_shown``)."""
    outputs: list[Output] = []
    if view.save_svg or view.save_html or view.save_text:
        console = recording(report, view)
        # One recording, exported once per format (clear=False keeps it for the next export).
        if view.save_svg:
            svg = console.export_svg(title=f"resnet-inspect {report.command}", clear=False)
            outputs.append(Output("--save-svg", view.save_svg, svg))
        if view.save_html:
            page = console.export_html(inline_styles=True, clear=False)
            outputs.append(Output("--save-html", view.save_html, page))
        if view.save_text:
            outputs.append(Output("--save-text", view.save_text, console.export_text(clear=False)))
    if view.save_dot and isinstance(report, GraphReport):
        outputs.append(Output("--dot", view.save_dot, graph_dot(report)))
    if outputs:
        write_all(outputs)


MIN_WIDTH = 40  # narrower than this, no table reads: COLUMNS=0 or 5 is taken as 40


def show(report: Report, view: ViewOptions, console: Console | None = None) -> None:
    """What a command does with its report: any saves first (a path that cannot be written
    fails before anything is printed), then JSON or the terminal view."""
    reproducible = as_shown(report, view)  # the terminal shows times; files and JSON ask first
    save(reproducible, view)
    stream = sys.stdout
    if stream is None:  # fd 1 was closed before the program started
        raise InspectError("standard output is closed: nothing to show the report on")
    utf = (getattr(stream, "encoding", None) or "").lower().replace("-", "").startswith("utf")
    if view.as_json:
        # A stream that cannot take UTF-8 gets \\u escapes: the same JSON, in ASCII.
        stream.write(report_json(reproducible, view.lang, ascii_safe=not utf) + "\n")
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
