"""The parts of a view stacked top to bottom, each wrapped at the width it is drawn at."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.segment import Segment
from rich.text import Text


class Page:
    """What every view returns: like rich's ``Group``, but a line that wraps ends where its
    last word does. rich keeps the space it broke the line at, so a header or legend wider
    than the terminal left a blank at the end of each wrapped line in a pipe or a save."""

    def __init__(self, *parts: Text | RenderableType) -> None:
        self.parts = parts

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for part in self.parts:
            if not isinstance(part, Text):  # a picture (erf's, cam's maps) draws itself
                for segments in console.render_lines(part, options, pad=False):
                    yield from _without_trailing_blanks(segments)
                    yield Segment.line()
                continue
            lines = part.wrap(console, options.max_width)
            for line in lines:
                line.rstrip()
            yield from lines


def _without_trailing_blanks(line: list[Segment]) -> list[Segment]:
    """A rendered line less the unstyled spaces that pad it (side-by-side maps are padded
    to a common width): a pipe or a save gets no trailing blanks."""
    kept = list(line)
    while kept and not kept[-1].control and not kept[-1].text.strip() and not _painted(kept[-1]):
        kept.pop()
    if kept and not _painted(kept[-1]) and not kept[-1].control:
        last = kept[-1]
        kept[-1] = Segment(last.text.rstrip(), last.style)
    return kept


def _painted(segment: Segment) -> bool:
    return bool(segment.style and segment.style.bgcolor)
