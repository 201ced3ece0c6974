"""A plain column layout: aligned cells, word-wrapped where allowed, as one rich Text.

rich's Table measures and renders every cell through the console, about a millisecond a
row; a resnet152 tree has 600 rows and would spend more time drawing than inspecting.
The cells here are plain strings with one style each, so widths can be computed directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.cells import cell_len
from rich.text import Text

from resnet_inspect.views.glyphs import to_ascii

GAP = "  "


@dataclass(frozen=True)
class Column:
    header: str
    right: bool = False  # numbers align right
    wrap: bool = False  # may be narrowed and wrapped onto more lines
    min_width: int = 8
    style: str = ""


@dataclass(frozen=True)
class Cell:
    text: str
    style: str = ""
    prefix: str = ""  # drawn before the text in prefix_style (tree guides)
    prefix_style: str = "dim"


@dataclass
class TextTable:
    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)
    show_header: bool = True
    ascii_only: bool = False  # symbols swapped for ASCII before widths are measured
    notes: set[int] = field(default_factory=set)  # rows that span every column but the first

    def add_row(self, *cells: Cell | str) -> None:
        row = [cell if isinstance(cell, Cell) else Cell(cell) for cell in cells]
        if self.ascii_only:
            row = [Cell(to_ascii(c.text), c.style, to_ascii(c.prefix), c.prefix_style) for c in row]
        self.rows.append(row)

    def add_note(self, guide: str, text: str, style: str = "dim") -> None:
        """A line under the row above: ``guide`` in the first column (repeated on every
        wrapped line), ``text`` across the others. It never widens a column."""
        self.add_row(Cell("", prefix=guide), Cell(text, style=style))
        self.notes.add(len(self.rows) - 1)

    def render(self, width: int) -> Text:
        widths = self._fit(width)
        out = Text()
        if self.show_header:
            headers = [Cell(self._header(column), style="bold") for column in self.columns]
            self._render_row(out, headers, widths)
            rule = "-" if self.ascii_only else "─"
            out.append(rule * (sum(widths) + len(GAP) * (len(widths) - 1)) + "\n", style="dim")
        for index, row in enumerate(self.rows):
            if index in self.notes:
                self._render_note(out, row, widths)
            else:
                self._render_row(out, row, widths)
        out.rstrip()
        return out

    def _render_note(self, out: Text, row: list[Cell], widths: list[int]) -> None:
        guide, note = row
        room = sum(widths[1:]) + len(GAP) * (len(widths) - 2)
        for line in _wrap(note.text, room):
            out.append(guide.prefix, style=guide.prefix_style)
            out.append(" " * (widths[0] - cell_len(guide.prefix)) + GAP)
            out.append(line, style=note.style)
            out.append("\n")

    def _header(self, column: Column) -> str:
        return to_ascii(column.header) if self.ascii_only else column.header

    def _natural_widths(self) -> list[int]:
        widths = [cell_len(self._header(c)) if self.show_header else 0 for c in self.columns]
        for number, row in enumerate(self.rows):
            for index, cell in enumerate(row[:1] if number in self.notes else row):
                longest = max(cell_len(line) for line in cell.text.split("\n"))
                widths[index] = max(widths[index], cell_len(cell.prefix) + longest)
        return widths

    def width(self) -> int:
        """The columns each as wide as its widest cell, with the gaps between them."""
        widths = self._natural_widths()
        return sum(widths) + len(GAP) * (len(widths) - 1)

    def _fit(self, width: int) -> list[int]:
        """Narrow the widest wrappable column, one cell at a time, until the table fits."""
        widths = self._natural_widths()
        excess = sum(widths) + len(GAP) * (len(widths) - 1) - width
        while excess > 0:
            room = [
                (widths[i] - column.min_width, i)
                for i, column in enumerate(self.columns)
                if column.wrap and widths[i] > column.min_width
            ]
            if not room:
                break  # as narrow as it goes; the terminal folds what is left
            widths[max(room)[1]] -= 1
            excess -= 1
        return widths

    def _render_row(self, out: Text, row: list[Cell], widths: list[int]) -> None:
        wrapped = [
            _wrap(cell.text, width - cell_len(cell.prefix))
            for cell, width in zip(row, widths, strict=True)
        ]
        for line_no in range(max(len(lines) for lines in wrapped)):
            line = Text()
            for index, (cell, lines) in enumerate(zip(row, wrapped, strict=True)):
                column = self.columns[index]
                text = lines[line_no] if line_no < len(lines) else ""
                prefix = cell.prefix if line_no == 0 else " " * cell_len(cell.prefix)
                pad = " " * (widths[index] - cell_len(prefix) - cell_len(text))
                if index:
                    line.append(GAP)
                if column.right:
                    line.append(pad)
                line.append(prefix, style=cell.prefix_style)
                line.append(text, style=cell.style or column.style)
                if not column.right:
                    line.append(pad)
            line.rstrip()
            out.append_text(line)
            out.append("\n")


def _wrap(text: str, width: int) -> list[str]:
    """Greedy word wrap by display width; words wider than a line are cut (CJK has no spaces).
    A line break in the text always breaks the line."""
    if "\n" in text:
        return [line for part in text.split("\n") for line in _wrap(part, width)]
    if cell_len(text) <= width or width <= 0:
        return [text]
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if cell_len(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        for char in word:
            if cell_len(line + char) > width:
                lines.append(line)
                line = ""
            line += char
    if line:
        lines.append(line)
    return lines
