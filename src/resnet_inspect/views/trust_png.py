"""cam's ``--save-png`` with ``--trust``: the randomisation strip (the trained map, then the
map after each section is re-initialised) and the deletion and insertion curves."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from resnet_inspect.report import CamReport
from resnet_inspect.report.trust import Curve, Trust
from resnet_inspect.views.heatmap import Grid, Picture, colour, png

if TYPE_CHECKING:
    from PIL import Image

TILE = 160  # pixels of one map of the strip
PLOT = (320, 200)  # one curve plot, width × height
MARGIN = 28
LINES = {"Grad-CAM": (252, 141, 89), "random": (150, 150, 150), "centred Gaussian": (90, 160, 220)}
WHITE, GREY = (255, 255, 255), (90, 90, 90)


def strip(trust: Trust, trained: Grid, picture: Picture) -> bytes:
    """The trained map and each re-initialised one, side by side, each named above it."""
    from PIL import Image, ImageDraw

    maps = [("trained", trained), *((f"random to {s.stage}", s.grid) for s in trust.randomised)]
    tiles = [_tile(grid, picture) for _, grid in maps]
    row = Image.new("RGB", (len(tiles) * (TILE + 6), TILE + 16))
    draw = ImageDraw.Draw(row)
    for k, ((name, _), tile) in enumerate(zip(maps, tiles, strict=True)):
        row.paste(tile, (k * (TILE + 6), 16))
        draw.text((k * (TILE + 6) + 2, 2), name, fill=WHITE)
    return _encoded(row)


def _tile(grid: Grid, picture: Picture) -> Image.Image:
    """A map over the picture at TILE pixels; a map smaller than the picture (a layer's
    own) is brought to the picture's size first, bilinearly."""
    from PIL import Image

    height, width = len(grid), len(grid[0])
    shown = picture if picture and (len(picture), len(picture[0])) == (height, width) else None
    if picture and shown is None:
        largest = max((v for row in grid for v in row), default=0.0) or 1.0
        small = Image.frombytes(
            "L", (width, height), bytes(min(255, int(v / largest * 255)) for r in grid for v in r)
        )
        big = small.resize((len(picture[0]), len(picture)), Image.Resampling.BILINEAR)
        values = list(big.getdata())
        columns = len(picture[0])
        grid = [
            [values[r * columns + c] / 255 for c in range(columns)] for r in range(len(picture))
        ]
        shown = picture
    image = Image.open(io.BytesIO(png(grid, None, least=1, picture=shown)))
    return image.resize((TILE, TILE), Image.Resampling.BILINEAR)


def plots(curves: tuple[Curve, ...]) -> bytes:
    """Deletion and insertion side by side: the class's probability against the fraction of
    pixels deleted (inserted), one line per map."""
    from PIL import Image

    left = _plot("deletion (lower is better)", [(c.map, c.deletion) for c in curves])
    right = _plot("insertion (higher is better)", [(c.map, c.insertion) for c in curves])
    both = Image.new("RGB", (left.width + right.width + 8, left.height))
    both.paste(left, (0, 0))
    both.paste(right, (left.width + 8, 0))
    return _encoded(both)


def _plot(title: str, lines: list[tuple[str, tuple[float, ...]]]) -> Image.Image:
    from PIL import Image, ImageDraw

    width, height = PLOT
    image = Image.new("RGB", (width + 2 * MARGIN, height + 2 * MARGIN))
    draw = ImageDraw.Draw(image)
    top = max((max(values) for _, values in lines), default=1.0) or 1.0
    x0, y0 = MARGIN, MARGIN + height
    draw.rectangle((x0, MARGIN, x0 + width, y0), outline=GREY)
    draw.text((x0, 6), title, fill=WHITE)
    draw.text((x0, y0 + 6), "0", fill=WHITE)
    draw.text((x0 + width - 24, y0 + 6), "all px", fill=WHITE)
    draw.text((2, MARGIN - 6), f"{top:.2g}", fill=WHITE)
    for k, (name, values) in enumerate(lines):
        steps = len(values) - 1
        points = [(x0 + i * width / steps, y0 - v / top * height) for i, v in enumerate(values)]
        fill = LINES.get(name, colour(k / max(1, len(lines))))
        draw.line(points, fill=fill, width=2)
        draw.text((x0 + 8, MARGIN + 6 + 12 * k), name, fill=fill)
    return image


def _encoded(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def trust_parts(report: CamReport) -> list[bytes]:
    """The trust pictures of a report, where it has trust checks."""
    trust = report.trust
    if trust is None:
        return []
    layer = next(layer for layer in report.layers if layer.layer == trust.layer)
    trained = layer.heat if report.pixels else layer.grid
    return [strip(trust, trained, report.pixels), plots(trust.curves)]
