"""Plain-ASCII stand-ins for the symbols the views draw, for terminals and logs without Unicode."""

from __future__ import annotations

from rich.text import Text

_ASCII = str.maketrans(
    {
        "×": "x",
        "→": "->",
        "←": "<-",
        "‖": "|",
        "Δ": "d",
        "θ": "w",
        "·": "-",
        "—": "-",
        "–": "-",
        "─": "-",
        "│": "|",
        "├": "+",
        "└": "`",
        "✓": "OK",
        "✗": "FAILED",
        "…": "...",
        "≥": ">=",
        "≤": "<=",
        "“": '"',
        "”": '"',
        "−": "-",
        "⌊": "floor(",
        "⌋": ")",
        "⌈": "ceil(",
        "⌉": ")",
        "γ": "gamma",
        "∂": "d",
        "√": "sqrt ",
        "≠": "!=",
        "▀": "#",
        "β": "beta",
        "α": "a",
        "Σ": "sum ",
        "±": "+/-",
        "²": "^2",
        "µ": "u",
        "°": " deg",
        "σ": "sigma",
        "ρ": "rho",
        "↓": "(lower is better)",
        "↑": "(higher is better)",
        # Bars and sparklines (views/bars.py): full blocks as #, partial ones left out.
        "█": "#",
        "▉": "",
        "▊": "",
        "▋": "",
        "▌": "",
        "▍": "",
        "▎": "",
        "▏": "",
        "▁": "_",
        "▂": ".",
        "▃": "-",
        "▄": "~",
        "▅": "=",
        "▆": "+",
        "▇": "*",
    }
)


def to_ascii(text: str) -> str:
    return text.translate(_ASCII)


def plain_if(text: str, ascii_only: bool) -> str:
    """``text`` in ASCII where the output asks for it (``--ascii``), else as it is."""
    return to_ascii(text) if ascii_only else text


def ascii_text(text: Text) -> Text:
    """The same words in ASCII; inner styles are dropped, the base style is kept."""
    return Text(to_ascii(text.plain), style=text.style, end=text.end)


# Tree guides drawn before a name, for every tree the views draw: a child that has
# siblings below it, the last child, and what the lines below each of them carry on with.
BRANCH, LAST = "├ ", "└ "
CONTINUE, END = "│ ", "  "


def branch(last: bool) -> str:
    return LAST if last else BRANCH


def below(last: bool) -> str:
    """What a child's own children draw in the column of its guide."""
    return END if last else CONTINUE
