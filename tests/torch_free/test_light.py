"""Parsing, usage errors, help, the report contract and the views, without torch."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from resnet_inspect.cli import app
from resnet_inspect.parsing import parse_input_shape, parse_model_spec
from resnet_inspect.report import GraphReport, ModelReport, PlanReport
from resnet_inspect.views.codec import report_from_dict
from resnet_inspect.views.options import Depth
from resnet_inspect.views.output import renderable, report_json
from resnet_inspect.words import Lang

GOLDEN = Path(__file__).parents[1] / "golden" / "tree_resnet18_1x3x64x64_w80.txt"
Load = Callable[[str], dict[str, Any]]


def invoke(args: list[str]) -> Any:
    return CliRunner().invoke(app, args, env={"COLUMNS": "80", "NO_COLOR": "1"})


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["tree", "--arch", "resnet19"], "did you mean resnet18?"),
        (["tree", "--input", "1,3,64"], "has 3 dimension(s)"),
        (["tree", "--input", "1,4,64,64"], "C is 4"),
        (["tree", "--depth", "deep"], "unknown --depth"),
        (["train-step", "--lr", "-1"], "greater than 0"),
        (["train-step", "--seed", "99999999999999999999999"], "2^64 - 1"),
        (["freeze", "--new-classes", "0"], "--new-classes 0"),
        (["freeze", "--new-classes", "2", "--unfreeze", "avgpool"], "holds no parameters"),
        (["graph", "--unfreeze", "layer4"], "goes with --new-classes"),
        (["tree", "--model", "models.py"], "expected FILE.py:NAME"),
        (["tree", "--model", "x.py:build", "--arch", "resnet18"], "no such file"),
        (["tree", "--weights", "IMAGENET1K_V9"], "has no such weights"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args: list[str], fragment: str) -> None:
    result = invoke(args)
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1 and fragment in result.stderr


@pytest.mark.parametrize("command", ["tree", "train-step", "freeze", "graph"])
def test_help_answers_for_every_command(command: str) -> None:
    result = invoke([command, "--help"])
    assert result.exit_code == 0 and "--model" in result.stdout and "--input" in result.stdout


def test_options_parse() -> None:
    assert parse_input_shape("2x3x32x32") == (2, 3, 32, 32)
    assert parse_input_shape("1,1,28,28", stock=False) == (1, 1, 28, 28)
    assert parse_model_spec("pkg.models:build").module == "pkg.models"


KINDS = {"graph.json": GraphReport, "plan.json": PlanReport}


@pytest.mark.parametrize(
    "name", ["tree.json", "train_step.json", "freeze.json", "graph.json", "plan.json"]
)
def test_a_saved_report_comes_back_whole(saved: Load, name: str) -> None:
    data = saved(name)
    report = report_from_dict(data)
    assert isinstance(report, KINDS.get(name, ModelReport))
    assert json.loads(report_json(report, Lang(data["lang"]))) == data


def test_a_saved_tree_draws_the_golden_text(saved: Load) -> None:
    report = report_from_dict(saved("tree.json"))
    console = Console(width=80, color_system=None, file=io.StringIO(), record=True)
    console.print(renderable(report, width=80))
    assert console.export_text() == GOLDEN.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["train_step.json", "freeze.json", "graph.json", "plan.json"])
@pytest.mark.parametrize("width", [60, 120, 200])
def test_every_saved_report_draws_at_every_width(saved: Load, name: str, width: int) -> None:
    report = report_from_dict(saved(name))
    for depth in Depth:
        console = Console(width=width, color_system=None, file=io.StringIO(), record=True)
        console.print(renderable(report, depth=depth, lang=Lang.ZH, width=width))
        text = console.export_text()
        assert "resnet18" in text.splitlines()[0]
