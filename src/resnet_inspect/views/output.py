"""Every way a report leaves the program: the terminal, JSON, and recorded SVG, HTML or text.

Recorded views are printed into rich's recording console at a fixed width and exported,
so the same report always gives the same bytes.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

from rich.console import Console, RenderableType

from resnet_inspect.errors import InspectError
from resnet_inspect.options import Depth, ViewOptions
from resnet_inspect.report import GraphReport, ModelReport
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


def report_json(report: Report, lang: Lang) -> str:
    return json.dumps(report.to_dict(lang), indent=2, ensure_ascii=False)


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
    """Write the requested recordings of the report as it is shown (see ``as_shown``)."""
    if not (view.save_svg or view.save_html or view.save_text):
        return
    console = recording(report, view)
    # One recording, exported once per format (clear=False keeps it for the next export).
    if view.save_svg:
        title = f"resnet-inspect {report.command}"
        write_file(view.save_svg, console.export_svg(title=title, clear=False), "--save-svg")
    if view.save_html:
        html_page = console.export_html(inline_styles=True, clear=False)
        write_file(view.save_html, html_page, "--save-html")
    if view.save_text:
        write_file(view.save_text, console.export_text(clear=False), "--save-text")


def write_file(path: str, content: str, option: str) -> None:
    """Write what an option asked for; a path that cannot be written is one clear line."""
    try:
        Path(path).write_text(content, encoding="utf-8", newline="\n")
    except OSError as error:
        raise InspectError(f"{option} {path}: cannot write it ({error.strerror})") from None


def show(report: Report, view: ViewOptions, console: Console | None = None) -> None:
    """What a command does with its report: any saves first (a path that cannot be written
    fails before anything is printed), then JSON or the terminal view."""
    reproducible = as_shown(report, view)  # the terminal shows times; files and JSON ask first
    save(reproducible, view)
    if view.as_json:
        sys.stdout.write(report_json(reproducible, view.lang) + "\n")
    else:
        out = console or Console()
        out.print(_drawn(report, view, out.width))


def _drawn(report: Report, view: ViewOptions, width: int) -> RenderableType:
    return renderable(
        report, depth=view.depth, lang=view.lang, width=width, ascii_only=view.ascii_only
    )
