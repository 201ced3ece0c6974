"""Parsing, usage errors, help, the report contract and the views, without torch."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from rich.cells import cell_len
from rich.console import Console
from typer.testing import CliRunner

from resnet_inspect import report_from_dict
from resnet_inspect.cli import app
from resnet_inspect.commands import by_name, commands, for_report
from resnet_inspect.parsing import parse_input_shape, parse_model_spec
from resnet_inspect.report import DiffReport, GraphReport, LayerReport, Level
from resnet_inspect.views import units
from resnet_inspect.views.options import ViewOptions
from resnet_inspect.views.output import ReportView, report_json
from resnet_inspect.words import Lang

GOLDEN = Path(__file__).parents[1] / "golden" / "tree_resnet18_1x3x64x64_w80.txt"
DATA = Path(__file__).parent / "data"
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


COMMANDS = [*(entry.name for entry in commands()), "cache"]  # the registry's, in its order


def test_every_command_is_listed_in_the_programs_help() -> None:
    result = invoke(["--help"])
    assert result.exit_code == 0
    listed = [line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines()[1:]]
    assert listed == COMMANDS


@pytest.mark.parametrize("command", COMMANDS)
def test_help_lists_every_option_of_every_command(command: str) -> None:
    result = invoke([command, "--help"])
    assert result.exit_code == 0 and result.stdout.startswith(f"Usage: resnet-inspect {command}")
    program = typer.main.get_command(app)  # the commands are built when asked for
    declared = program.get_command(program.context_class(program), command)  # type: ignore[attr-defined]
    if command == "cache":  # a group: its own commands instead of options
        assert all(name in result.stdout for name in ("info", "clear"))
        return
    options = [name for param in declared.params for name in param.opts if name.startswith("--")]
    assert options and all(option in result.stdout for option in options), command
    if command != "diff":  # diff's model comes from A
        assert "--model" in result.stdout
    # cam and predict: the input is the image as prepared (--resize, --crop)
    assert ("--input" in result.stdout) == (command not in ("diff", "cam", "predict"))


def test_options_parse() -> None:
    assert parse_input_shape("2x3x32x32") == (2, 3, 32, 32)
    assert parse_input_shape("1,1,28,28", stock=False) == (1, 1, 28, 28)
    assert parse_model_spec("pkg.models:build").module == "pkg.models"


SAVED = sorted(path.name for path in DATA.glob("*.json"))


def test_every_command_has_a_saved_report() -> None:
    commands_saved = {json.loads((DATA / name).read_text("utf-8"))["command"] for name in SAVED}
    assert commands_saved == {entry.name for entry in commands()}


@pytest.mark.parametrize("name", SAVED)
def test_a_saved_report_comes_back_whole(saved: Load, name: str) -> None:
    data = saved(name)
    report = report_from_dict(data)
    assert isinstance(report, by_name(data["command"]).report_type())
    assert json.loads(report_json(report, Lang(data["lang"]))) == data


def test_a_saved_tree_draws_the_golden_text(saved: Load) -> None:
    report = report_from_dict(saved("tree.json"))
    console = Console(width=80, color_system=None, file=io.StringIO(), record=True)
    console.print(report.view(width=80))
    assert console.export_text() == GOLDEN.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", [name for name in SAVED if name != "tree.json"])
@pytest.mark.parametrize("width", [60, 120, 200])
def test_every_saved_report_draws_at_every_width(saved: Load, name: str, width: int) -> None:
    report = report_from_dict(saved(name))
    drawn = {}
    for depth in Level:
        console = Console(width=width, color_system=None, file=io.StringIO(), record=True)
        console.print(ReportView(report, for_report(report), ViewOptions(depth, Lang.ZH)))
        lines = console.export_text().splitlines()
        assert max(cell_len(line) for line in lines) <= width
        assert all(line == line.rstrip() for line in lines)
        assert lines[0].startswith("resnet18 · ")
        if hasattr(report, "input_shape") and not isinstance(report, DiffReport):
            assert lines[0].startswith(f"resnet18 · 输入 {units.shape(report.input_shape)}")
        drawn[depth] = lines
    if isinstance(report, DiffReport):  # a tree of the changes: deeper shows more
        assert len(drawn[Level.SECTION]) < len(drawn[Level.BLOCK]) <= len(drawn[Level.LAYER])
        return
    if not isinstance(report, LayerReport | GraphReport):  # no tree: every depth the same
        assert drawn[Level.SECTION] == drawn[Level.BLOCK] == drawn[Level.LAYER]
        return
    if isinstance(report, GraphReport):  # frozen backbone: only the head's and loss's nodes
        assert len(drawn[Level.SECTION]) < len(drawn[Level.BLOCK]) <= len(drawn[Level.LAYER])
        for lines in drawn.values():
            assert sum(line.startswith(("输出头", "损失")) for line in lines) == 2
        return
    # Each depth shows more rows than the one above it, and the sections at every depth.
    assert len(drawn[Level.SECTION]) < len(drawn[Level.BLOCK]) < len(drawn[Level.LAYER])
    for lines in drawn.values():
        assert sum(line.startswith(("主干入口", "输出头")) for line in lines) == 2
        assert sum(line.startswith("阶段 ") for line in lines) == 4
