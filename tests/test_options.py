"""Option parsing: pure Python, checked without torch."""

from __future__ import annotations

import pytest

from resnet_inspect.anatomy import ARCHITECTURES
from resnet_inspect.errors import OptionError
from resnet_inspect.parsing import parse_arch, parse_input_shape
from resnet_inspect.report import Level
from resnet_inspect.views.options import parse_depth, parse_lang
from resnet_inspect.words import Lang


@pytest.mark.parametrize(
    "text",
    [
        "1,3,64,64",
        "1, 3, 64, 64",
        "1x3x64x64",
        "1X3X64X64",
        "1×3×64×64",
        "(1,3,64,64)",
        " 1 3 64 64 ",
    ],
)
def test_unambiguous_shapes_are_accepted(text: str) -> None:
    assert parse_input_shape(text) == (1, 3, 64, 64)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("1,3,64", "has 3 dimension(s)"),
        ("1,3,64,64,1", "has 5 dimension(s)"),
        ("0,3,64,64", "at least 1"),
        ("-1,3,64,64", "at least 1"),
        ("1,3,64,64.5", "'64.5' is not a whole number"),
        ("abc", "has 1 dimension(s)"),
        ("a,b,c,d", "'a' is not a whole number"),
        ("", "empty"),
        ("1,1,64,64", "takes 3 channels"),
        ("1,4,64,64", "takes 3 channels"),
    ],
)
def test_bad_shapes_say_what_is_expected(text: str, fragment: str) -> None:
    with pytest.raises(OptionError) as caught:
        parse_input_shape(text)
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("text", "arch"),
    [
        ("ResNet18", "resnet18"),
        ("RESNET50", "resnet50"),
        ("resnet-34", "resnet34"),
        ("wide-resnet50-2", "wide_resnet50_2"),
        ("resnext50_32X4D", "resnext50_32x4d"),
    ],
)
def test_architecture_spellings_that_are_unambiguous(text: str, arch: str) -> None:
    assert parse_arch(text) == arch


def test_unknown_architecture_lists_the_valid_ones_and_suggests() -> None:
    with pytest.raises(OptionError) as caught:
        parse_arch("resnet19")
    message = str(caught.value)
    assert "did you mean resnet18?" in message
    for arch in ARCHITECTURES:
        assert arch in message


def test_depth_and_lang() -> None:
    assert parse_depth("Block") is Level.BLOCK and parse_depth("stage") is Level.SECTION
    assert parse_lang("zh") is Lang.ZH
    with pytest.raises(OptionError, match="choose from stage, block, layer"):
        parse_depth("leaf")
    with pytest.raises(OptionError, match="choose from en, zh"):
        parse_lang("fr")
