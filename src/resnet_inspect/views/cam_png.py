"""cam's ``--save-png``: the maps over the image, the strongest channels, and with
``--trust`` the randomisation strip and the curves."""

from __future__ import annotations

from resnet_inspect.report import CamReport
from resnet_inspect.views.heatmap import png_row, png_stack, png_tiles
from resnet_inspect.views.trust_png import trust_parts


def cam_png(report: CamReport) -> bytes:
    """cam's ``--save-png``: each layer's map over the image, side by side (a folder's: the
    mean maps); under them, with ``--maps``, each layer's strongest channels, and with
    ``--trust`` the randomisation strip and the deletion and insertion curves."""
    if report.pixels:
        row = png_row([layer.heat for layer in report.layers], report.pixels)
    else:
        row = png_tiles([layer.heat for layer in report.layers], least=256)
    mosaic = [
        png_tiles([c.grid for c in layer.channels]) for layer in report.layers if layer.channels
    ]
    parts = [row, *mosaic, *trust_parts(report)]
    return png_stack(parts) if len(parts) > 1 else row
