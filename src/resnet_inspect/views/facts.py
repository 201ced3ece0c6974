"""Label/value lines, the values aligned and wrapped under themselves: every view's
header facts and footers."""

from __future__ import annotations

from rich.text import Text

from resnet_inspect.views.table import Column, TextTable


def facts_table(rows: list[tuple[str, str]], width: int, ascii_only: bool = False) -> Text:
    """Label/value lines with the values aligned and wrapped under themselves."""
    columns = [Column("", style="bold"), Column("", wrap=True, min_width=20)]
    table = TextTable(columns, show_header=False, ascii_only=ascii_only)
    for key, value in rows:
        table.add_row(key, value)
    return table.render(width)
