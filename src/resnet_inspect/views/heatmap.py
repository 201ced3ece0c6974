"""A heatmap in the terminal and as a PNG, with a box outlined on it (erf's theoretical field).

In colour, each character is two cells stacked (the upper half block ``▀`` in the upper
cell's colour on the lower cell's): twice the rows of a character grid, square cells. Without
colour (``--ascii``, ``NO_COLOR``, a terminal without colours, a text save), a character ramp
from blank to ``@``, each character one cell wide and two tall. The map is averaged down to
the width it is drawn at; the box's edges are drawn over it in white (``+``, ``-``, ``|``).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style

from resnet_inspect.report import ErfReport

Grid = Sequence[Sequence[float]]
Box = tuple[float, float, float, float]  # top, left, bottom, right, in grid cells (inclusive)
Picture = Sequence[Sequence[Sequence[int]]]  # rows of RGB pixels, 0-255, the grid's size

RAMP = " .:-=+*#%@"
MAX_MAP_WIDTH = 96  # characters: wider, a terminal's cells are too small to tell apart
# A perceptually even dark-to-bright ramp (close to matplotlib's "inferno"): black, purple,
# red, orange, pale yellow.
_STOPS = ((0, 0, 4), (87, 16, 110), (188, 55, 84), (249, 142, 9), (252, 255, 164))
_EDGE = (255, 255, 255)


def colour(value: float) -> tuple[int, int, int]:
    """The ramp's colour at ``value`` in [0, 1]."""
    value = min(max(value, 0.0), 1.0) * (len(_STOPS) - 1)
    low = min(int(value), len(_STOPS) - 2)
    part = value - low
    a, b = _STOPS[low], _STOPS[low + 1]
    return (
        round(a[0] + (b[0] - a[0]) * part),
        round(a[1] + (b[1] - a[1]) * part),
        round(a[2] + (b[2] - a[2]) * part),
    )


_PALETTE = [channel for level in range(256) for channel in colour(level / 255)]


def _pooled(grid: Grid, rows: int, cols: int, scale: bool = True) -> list[list[float]]:
    """``grid`` averaged down to ``rows``×``cols`` blocks, scaled so the largest is 1."""
    height, width = len(grid), len(grid[0])
    out = []
    for r in range(rows):
        top, bottom = r * height // rows, max((r + 1) * height // rows, r * height // rows + 1)
        row = []
        for c in range(cols):
            left, right = c * width // cols, max((c + 1) * width // cols, c * width // cols + 1)
            cells = [grid[y][x] for y in range(top, bottom) for x in range(left, right)]
            row.append(math.fsum(cells) / len(cells))
        out.append(row)
    if not scale:
        return out
    largest = max((v for row in out for v in row), default=0.0)
    return [[v / largest if largest > 0 else 0.0 for v in row] for row in out]


def _edges(box: Box | None, height: int, width: int, rows: int, cols: int) -> list[list[str]]:
    """Per block: "" inside or outside the box, else the edge it lies on (``-``, ``|``, ``+``)."""
    if box is None:
        return [[""] * cols for _ in range(rows)]
    top, left, bottom, right = box
    marks = []
    for r in range(rows):
        y0, y1 = r * height / rows, (r + 1) * height / rows - 1e-9
        row = []
        for c in range(cols):
            x0, x1 = c * width / cols, (c + 1) * width / cols - 1e-9
            on_row = (y0 <= top <= y1 + 1) or (y0 <= bottom + 1 <= y1 + 1)
            on_col = (x0 <= left <= x1 + 1) or (x0 <= right + 1 <= x1 + 1)
            within_x = left - 1 < x1 and x0 <= right + 1
            within_y = top - 1 < y1 and y0 <= bottom + 1
            horizontal = on_row and within_x
            vertical = on_col and within_y
            row.append(
                "+" if horizontal and vertical else "-" if horizontal else "|" if vertical else ""
            )
        marks.append(row)
    return marks


def blend(heat: tuple[int, int, int], under: Sequence[int], share: float = 0.5) -> tuple[int, ...]:
    """The heat's colour laid over a picture's pixel, ``share`` of it the heat's."""
    return tuple(round(h * share + u * (1 - share)) for h, u in zip(heat, under, strict=True))


def _pooled_picture(picture: Picture, rows: int, cols: int) -> list[list[tuple[int, ...]]]:
    """The picture averaged down to ``rows``×``cols`` blocks, per channel."""
    channels = [[[pixel[c] for pixel in row] for row in picture] for c in range(3)]
    pooled = [_pooled(channel, rows, cols, scale=False) for channel in channels]
    return [
        [tuple(round(pooled[c][r][k]) for c in range(3)) for k in range(cols)] for r in range(rows)
    ]


class Heatmap:
    """``grid`` (rows of non-negative values) drawn at most ``width`` characters wide, over
    ``picture`` where one is given (in colour), with ``box`` outlined where one is given."""

    def __init__(
        self,
        grid: Grid,
        box: Box | None,
        *,
        width: int,
        ascii_only: bool = False,
        picture: Picture | None = None,
    ) -> None:
        self.grid, self.box, self.width, self.ascii_only = grid, box, width, ascii_only
        self.picture = picture

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        cols = max(1, min(len(self.grid[0]), self.width, options.max_width))
        return Measurement(cols, cols)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        coloured = not (
            self.ascii_only or options.ascii_only or console.no_color or not console.color_system
        )
        height, width = len(self.grid), len(self.grid[0])
        cols = max(1, min(width, self.width, options.max_width))
        rows = max(1, round(height * cols / width))  # square cells
        if coloured:
            rows += rows % 2  # two cells a character
        else:
            rows = max(1, rows // 2)  # a character is about twice as tall as wide
        values = _pooled(self.grid, rows, cols)
        edges = _edges(self.box, height, width, rows, cols)
        if coloured:
            under = _pooled_picture(self.picture, rows, cols) if self.picture else None

            def shade(r: int, c: int) -> tuple[int, ...]:
                if edges[r][c]:
                    return _EDGE
                heat = colour(values[r][c])
                return blend(heat, under[r][c]) if under else heat

            for r in range(0, rows, 2):
                for c in range(cols):
                    upper, lower = shade(r, c), shade(r + 1, c)
                    style = Style(color=f"rgb{upper}", bgcolor=f"rgb{lower}")
                    yield Segment("▀", style)
                yield Segment.line()
            return
        for r in range(rows):
            line = "".join(
                edges[r][c] or RAMP[min(int(values[r][c] * len(RAMP)), len(RAMP) - 1)]
                for c in range(cols)
            )
            yield Segment(line.rstrip())
            yield Segment.line()


def png(grid: Grid, box: Box | None, *, least: int = 256, picture: Picture | None = None) -> bytes:
    """The heatmap as a PNG, each cell a square of pixels (at least ``least`` pixels wide),
    laid half over ``picture`` where one is given, the box outlined in white. Pillow writes
    no timestamp: the same grid gives the same bytes."""
    from PIL import Image, ImageDraw

    height, width = len(grid), len(grid[0])
    scale = max(1, math.ceil(least / width))
    largest = max((v for row in grid for v in row), default=0.0) or 1.0
    # The ramp as a 256-entry palette: Pillow colours and blends the pixels itself.
    levels = bytes(min(255, int(v / largest * 255)) for row in grid for v in row)
    image = Image.frombytes("P", (width, height), levels)
    image.putpalette(_PALETTE)
    image = image.convert("RGB")
    if picture is not None:
        pixels = bytes(channel for row in picture for pixel in row for channel in pixel)
        image = Image.blend(image, Image.frombytes("RGB", (width, height), pixels), 0.5)
    image = image.resize((width * scale, height * scale), Image.Resampling.NEAREST)
    if box is not None:
        top, left, bottom, right = box
        ImageDraw.Draw(image).rectangle(
            (left * scale, top * scale, (right + 1) * scale - 1, (bottom + 1) * scale - 1),
            outline=_EDGE,
        )
    return _encoded(image)


def png_row(grids: Sequence[Grid], picture: Picture, *, least: int = 256, gap: int = 8) -> bytes:
    """Several heatmaps over one picture, side by side with a ``gap`` of black between."""
    from PIL import Image

    tiles = [
        Image.open(io.BytesIO(png(grid, None, least=least, picture=picture))) for grid in grids
    ]
    width = sum(tile.width for tile in tiles) + gap * (len(tiles) - 1)
    row = Image.new("RGB", (width, max(tile.height for tile in tiles)))
    left = 0
    for tile in tiles:
        row.paste(tile, (left, 0))
        left += tile.width + gap
    return _encoded(row)


def png_stack(parts: Sequence[bytes], *, gap: int = 8) -> bytes:
    """PNGs one under the other, left-aligned, with a ``gap`` of black between."""
    from PIL import Image

    images = [Image.open(io.BytesIO(part)).convert("RGB") for part in parts]
    height = sum(image.height for image in images) + gap * (len(images) - 1)
    stacked = Image.new("RGB", (max(image.width for image in images), height))
    top = 0
    for image in images:
        stacked.paste(image, (0, top))
        top += image.height + gap
    return _encoded(stacked)


def png_tiles(grids: Sequence[Grid], *, least: int = 96, gap: int = 4) -> bytes:
    """Heatmaps side by side without a picture under them: a row of a mosaic."""
    from PIL import Image

    tiles = [Image.open(io.BytesIO(png(grid, None, least=least))) for grid in grids]
    row = Image.new("RGB", (sum(t.width for t in tiles) + gap * (len(tiles) - 1), tiles[0].height))
    left = 0
    for tile in tiles:
        row.paste(tile, (left, 0))
        left += tile.width + gap
    return _encoded(row)


def _encoded(image: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")  # type: ignore[attr-defined]
    return buffer.getvalue()


def erf_png(report: ErfReport) -> bytes:
    """erf's ``--save-png``: the measured map with the theoretical field outlined."""
    return png(report.heat, report.field_box)
