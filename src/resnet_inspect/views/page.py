"""The parts of a view stacked top to bottom, each wrapped at the width it is drawn at."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.text import Text


class Page:
    """What every view returns: like rich's ``Group``, but a line that wraps ends where its
    last word does. rich keeps the space it broke the line at, so a header or legend wider
    than the terminal left a blank at the end of each wrapped line in a pipe or a save."""

    def __init__(self, *parts: Text | RenderableType) -> None:
        self.parts = parts

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for part in self.parts:
            if not isinstance(part, Text):  # a picture (erf's heatmap) draws itself
                yield part
                continue
            lines = part.wrap(console, options.max_width)
            for line in lines:
                line.rstrip()
            yield from lines
