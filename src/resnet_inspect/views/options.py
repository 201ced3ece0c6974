"""How a report is shown: the view's own options, checked in pure Python."""

from __future__ import annotations

from dataclasses import dataclass

from resnet_inspect.errors import OptionError
from resnet_inspect.parsing import parse_choice
from resnet_inspect.report import Level
from resnet_inspect.words import Lang

# --depth names the deepest level of the tree a view unfolds to: its sections (stem, each
# stage, head), their blocks, or every layer call.
_DEPTHS = {"stage": Level.SECTION, "block": Level.BLOCK, "layer": Level.LAYER}


def parse_depth(text: str) -> Level:
    return _DEPTHS[parse_choice("--depth", text, list(_DEPTHS))]


def parse_lang(text: str) -> Lang:
    return Lang(parse_choice("--lang", text, [lang.value for lang in Lang]))


def parse_width(value: int) -> int:
    if not 40 <= value <= 1000:
        raise OptionError(f"--width {value}: expected a number of columns from 40 to 1000")
    return value


@dataclass(frozen=True)
class ViewOptions:
    """How a report is shown: in the terminal, as JSON, and which recordings to save."""

    depth: Level = Level.LAYER  # the deepest level shown
    lang: Lang = Lang.EN
    as_json: bool = False
    ascii_only: bool = False
    width: int = 120  # of the saved recordings; the terminal keeps its own
    save_svg: str = ""
    save_html: str = ""
    save_text: str = ""
    # The command's own files, (option, path): graph's --dot, erf's and cam's --save-png.
    files: tuple[tuple[str, str], ...] = ()
    timings: bool = True  # JSON: wall-clock times of the step

    def __post_init__(self) -> None:
        if self.ascii_only and self.lang is not Lang.EN:
            raise OptionError("--ascii shows English only; drop --lang or --ascii")
