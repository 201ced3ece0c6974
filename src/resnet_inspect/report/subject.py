"""What every report is about (the model, its weights, the input) and the base class every
report shares: a report draws itself by handing itself to the views."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, Self

from resnet_inspect.records.facts import ModelInfo, Shape, WeightsInfo
from resnet_inspect.words import Lang

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult


class Level(StrEnum):
    """Where a node sits in the tree: a section (stem, a stage, head), a block, a layer call.
    Also how far a view unfolds (``--depth stage|block|layer``)."""

    SECTION = "section"
    BLOCK = "block"
    LAYER = "layer"

    @property
    def levels_below_sections(self) -> int:
        """How many levels a view unfolding to this one shows under each section."""
        return (Level.SECTION, Level.BLOCK, Level.LAYER).index(self)


class Subject(Protocol):
    """The facts the header above every report names: what was inspected, on what input,
    with which weights."""

    @property
    def command(self) -> str: ...
    @property
    def arch(self) -> str: ...
    @property
    def input_shape(self) -> Shape: ...
    @property
    def num_classes(self) -> int: ...
    @property
    def weights(self) -> WeightsInfo: ...
    @property
    def model(self) -> ModelInfo: ...


class Report:
    """A report shows itself as its tree: ``repr``/``str`` give the plain text (what
    ``--save-text`` writes), rich draws it at the console's width and character set, Jupyter
    gets HTML and that text, once. ``format(report, "short")`` is one line for logs, and
    ``report.view(depth=..., lang=..., width=...)`` chooses the view. Drawing is the views'
    job: these only hand the report over to them, through ``_drawing``.

    Every report class is one of these: the registry of commands names which command makes
    which, and the JSON contract (``report.document``) is generated from their fields."""

    command: str  # the command that made it: tree, train-step and freeze share LayerReport

    def without_timings(self) -> Self:
        """The same report with its wall-clock times left out, so that the same seed gives
        the same bytes: the one timings policy of ``--json`` and of every save."""
        return self

    def view(
        self,
        *,
        depth: str = "layer",
        lang: str = "en",
        width: int = 120,
        ascii_only: bool = False,
    ) -> Any:
        """The report drawn another way: ``r.view(depth="block", lang="zh", width=100)``."""
        output, look = _drawing(self)
        return output.view_of(
            self, look, depth=depth, lang=lang, width=width, ascii_only=ascii_only
        )

    def _default(self) -> Any:
        output, look = _drawing(self)
        return output.default_view(self, look)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from self._default().__rich_console__(console, options)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        bundle: dict[str, str] = self._default()._repr_mimebundle_(include, exclude)
        return bundle

    def _repr_html_(self) -> str:
        # For frontends that ask for HTML alone; IPython takes the bundle above, never both.
        html: str = self._default().html()
        return html

    def __repr__(self) -> str:
        return str(self._default())

    def __str__(self) -> str:
        return str(self._default())

    def __format__(self, spec: str) -> str:
        if spec == "short":
            output, look = _drawing(self)
            short: str = output.short(self, look)
            return short
        if spec:
            raise ValueError(f"unknown format {spec!r} for a report: '' or 'short'")
        return str(self)

    def to_dict(self, lang: Lang | str = Lang.EN) -> dict[str, Any]:
        """Plain data, exactly what ``--json`` prints (see docs/json.md and the schema):
        every node carries its role's annotation in ``lang``."""
        from resnet_inspect.report.document import encode

        return encode(self, Lang(lang))


def _drawing(report: Report) -> tuple[Any, Any]:
    """The one deliberate lazy hook from the contract upward (tests/test_layout.py): a report
    finds its command's view in the registry and hands itself to ``views.output``, imported
    only when that happens, so that the contract stays below the commands and the views."""
    from resnet_inspect import commands
    from resnet_inspect.views import output

    return output, commands.for_report(report)
