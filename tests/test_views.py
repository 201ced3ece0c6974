"""Views for people and programs: recordings, ASCII, the library, the JSON schema."""

from __future__ import annotations

import functools
import io
import json
import re
import tempfile
from collections.abc import Callable
from html import unescape
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from rich.cells import cell_len
from rich.console import Console
from typer.testing import Result

import resnet_inspect
from examples import example_args, example_files
from resnet_inspect.commands import commands
from resnet_inspect.config import FreezeOptions

Run = Callable[..., Result]
EXAMPLES = example_files(Path(tempfile.mkdtemp(prefix="resnet-inspect-examples-")))
# Every command, as the registry lists it, with its example's arguments.
ENTRIES = {entry.name: entry for entry in commands()}
COMMANDS = {name: example_args(entry, EXAMPLES) for name, entry in ENTRIES.items()}


@functools.cache
def library_report(command: str) -> Any:
    """The same report as the command's example, made by the library (once a session: the
    tests below only read it)."""
    shape = (2, 3, 64, 64)
    if command == "tree":
        return resnet_inspect.inspect_tree("resnet18", (1, 3, 64, 64))
    if command == "train-step":
        return resnet_inspect.train_step("resnet18", shape)
    if command == "freeze":
        return resnet_inspect.freeze("resnet18", shape, options=FreezeOptions(new_classes=10))
    if command == "graph":
        return resnet_inspect.graph("resnet18", (1, 3, 64, 64))
    if command == "plan":
        shape = (8, 3, 224, 224)
        return resnet_inspect.plan("resnet18", shape, new_classes=10, memory=2 * 2**30)
    if command == "diff":
        return resnet_inspect.diff(EXAMPLES["a"], EXAMPLES["b"])
    if command == "erf":
        return resnet_inspect.erf("resnet18", (1, 3, 64, 64), samples=4)
    if command == "cam":
        return resnet_inspect.cam(EXAMPLES["image"], "resnet18")
    return resnet_inspect.predict(EXAMPLES["image"], "resnet18")


@pytest.mark.parametrize("command", COMMANDS)
def test_saved_views_are_written_and_identical_across_runs(
    command: str, run_cli: Run, tmp_path: Path
) -> None:
    outputs = []
    for attempt in ("a", "b"):
        files = {kind: tmp_path / f"{attempt}.{kind}" for kind in ("svg", "html", "txt")}
        saves = ["--save-svg", str(files["svg"]), "--save-html", str(files["html"])]
        saves += ["--save-text", str(files["txt"])]
        result = run_cli([*COMMANDS[command], *saves])
        assert result.exit_code == 0, result.stderr
        outputs.append({kind: path.read_bytes() for kind, path in files.items()})
    assert outputs[0] == outputs[1]
    svg = outputs[0]["svg"].decode()
    assert svg.startswith("<svg") and f"resnet-inspect&#160;{command}" in svg  # the title
    assert "<html" in outputs[0]["html"].decode().lower()
    text = outputs[0]["txt"].decode()
    assert max(len(line) for line in text.splitlines()) <= 120  # --width defaults to 120
    if command in ("tree", "graph"):  # no timings: the terminal at 120 columns shows the same
        assert text == run_cli(COMMANDS[command], width=120).stdout
    else:  # the step's times are shown in the terminal, never saved (same bytes each run)
        assert text.splitlines()[0] == run_cli(COMMANDS[command], width=120).stdout.splitlines()[0]


def test_width_sets_the_recording_width(run_cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "wide.txt"
    assert run_cli(["tree", "--width", "200", "--save-text", str(path)]).exit_code == 0
    text = path.read_text()
    assert "Input → Output" in text  # shapes in → out appear from 150 columns
    assert max(len(line) for line in text.splitlines()) <= 200


@pytest.mark.parametrize("option", ["--save-svg", "--save-html", "--save-text"])
def test_an_unwritable_save_path_exits_1_with_one_line(
    option: str, run_cli: Run, tmp_path: Path
) -> None:
    result = run_cli(["tree", option, str(tmp_path / "no" / "such" / "dir" / "out")])
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1
    assert "cannot write" in result.stderr
    assert result.stdout == ""  # saves come first: nothing half-done is printed


@pytest.mark.parametrize("command", COMMANDS)
def test_ascii_output_has_no_other_character(command: str, run_cli: Run) -> None:
    # tree at a wide console too: the width decides which columns (and glyphs) it draws
    for width in (80, 200) if command == "tree" else (80,):
        result = run_cli([*COMMANDS[command], "--ascii"], width=width)
        assert result.exit_code == 0, result.stderr
        assert result.stdout.isascii(), {c for c in result.stdout if not c.isascii()}
        assert result.stdout.startswith("resnet18")


@pytest.mark.parametrize(
    "args", [*COMMANDS.values(), ["plan", "--new-classes", "10"], ["tree", "--explain"]]
)
def test_wrapped_lines_end_where_their_text_does(
    args: list[str], run_cli: Run, tmp_path: Path
) -> None:
    # rich keeps the blank it breaks a line at; a pipe, a diff or a save should not.
    for width, lang in ((60, "en"), (80, "en"), (80, "zh")):
        save = tmp_path / f"{width}{lang}.txt"
        result = run_cli([*args, "--lang", lang, "--save-text", str(save)], width=width)
        assert result.exit_code == 0, result.stderr
        for text in (result.stdout, save.read_text(encoding="utf-8")):
            lines = text.splitlines()
            assert any(cell_len(line) >= width * 3 // 4 for line in lines)  # it did fill lines
            assert [line for line in lines if line != line.rstrip()] == []


def test_ascii_is_english_only(run_cli: Run) -> None:
    result = run_cli(["tree", "--ascii", "--lang", "zh"])
    assert result.exit_code == 2
    assert "English only" in result.stderr


def test_width_out_of_range_is_a_usage_error(run_cli: Run) -> None:
    result = run_cli(["tree", "--width", "10"])
    assert result.exit_code == 2
    assert "from 40 to 1000" in result.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_library_reports_equal_the_cli_json(command: str, run_cli: Run) -> None:
    result = run_cli([*COMMANDS[command], "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == library_report(command).without_timings().to_dict()


@pytest.mark.parametrize(
    "args",
    [
        ["tree", "--lang", "zh", "--arch", "resnext50_32x4d"],
        ["train-step", "--input", "2,3,64,64", "--timings", "--loss", "cross-entropy"],
        ["freeze", "--new-classes", "3", "--unfreeze", "layer4", "--bn-eval"],
        ["graph"],
    ],
    ids=lambda args: " ".join(args),
)
def test_variants_json_validates_against_the_shipped_schema(args: list[str], run_cli: Run) -> None:
    result = run_cli([*args, "--json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    jsonschema.validate(data, resnet_inspect.json_schema())
    assert data["schema_version"] == 2
    assert data["command"] == args[0]


def test_the_schema_is_strict_enough_to_catch_drift() -> None:
    data = library_report("tree").to_dict()
    data["totals"]["surprise"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, resnet_inspect.json_schema())


@pytest.mark.parametrize("command", COMMANDS)
def test_reports_render_themselves_in_rich_and_jupyter(command: str) -> None:
    report = library_report(command)
    console = Console(record=True, width=120, file=io.StringIO(), color_system=None)
    console.print(report)
    text = console.export_text()
    # rich draws what the view draws, and Jupyter's HTML holds the same text.
    assert text == report.view(width=max(console.width, 40)).text()
    html = report._repr_html_()
    assert html.startswith("<pre")
    if not any(option == "--save-png" for option, _ in ENTRIES[command].files):
        # (a picture is drawn in colour blocks in HTML and in characters in text)
        assert _html_text(html).split() == text.split()


def _html_text(page: str) -> str:
    body = re.sub(r"<[^>]+>", "", page.split("<code", 1)[-1].split(">", 1)[-1])
    return unescape(body.replace("&#160;", " "))


def test_shell_completion_is_offered(run_cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run_cli(["--help"], width=100)
    assert "--install-completion" in result.stdout
    # The shell named, not found by walking up the process tree (shellingham): under a test
    # runner's workers that walk may find no shell at all ("Shell  not supported", exit 1).
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    shown = run_cli(["--show-completion", "bash"])
    assert shown.exit_code == 0, (shown.output, shown.exception)
    assert "complete" in shown.stdout
