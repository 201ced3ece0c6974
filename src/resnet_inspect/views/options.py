"""How a report is shown: the view's own options, checked in pure Python."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from resnet_inspect.errors import OptionError
from resnet_inspect.parsing import parse_choice
from resnet_inspect.words import Lang


class Depth(StrEnum):
    STAGE = "stage"
    BLOCK = "block"
    LAYER = "layer"

    @property
    def levels_below_sections(self) -> int:
        """How many levels a view unfolds under each section: 0, 1 (blocks) or 2 (layers)."""
        return (Depth.STAGE, Depth.BLOCK, Depth.LAYER).index(self)


def parse_depth(text: str) -> Depth:
    return Depth(parse_choice("--depth", text, [d.value for d in Depth]))


def parse_lang(text: str) -> Lang:
    return Lang(parse_choice("--lang", text, [lang.value for lang in Lang]))


def parse_width(value: int) -> int:
    if not 40 <= value <= 1000:
        raise OptionError(f"--width {value}: expected a number of columns from 40 to 1000")
    return value


@dataclass(frozen=True)
class ViewOptions:
    """How a report is shown: in the terminal, as JSON, and which recordings to save."""

    depth: Depth = Depth.LAYER
    lang: Lang = Lang.EN
    as_json: bool = False
    ascii_only: bool = False
    width: int = 120  # of the saved recordings; the terminal keeps its own
    save_svg: str = ""
    save_html: str = ""
    save_text: str = ""
    save_dot: str = ""  # graph: Graphviz DOT
    timings: bool = True  # JSON: wall-clock times of the step

    def __post_init__(self) -> None:
        if self.ascii_only and self.lang is not Lang.EN:
            raise OptionError("--ascii shows English only; drop --lang or --ascii")
