"""The command line as a user meets it: output, widths, JSON, errors, pipes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from golden_cases import GOLDEN_VIEWS
from resnet_inspect import __version__, inspect_tree

Run = Callable[..., Result]


def test_tree_json_carries_the_report(run_cli: Run) -> None:
    result = run_cli(["tree", "--json", "--input", "1,3,224,224"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["totals"]["params"] == 11_689_512
    assert data["totals"]["macs"] == 1_814_073_344
    assert data["input_shape"] == [1, 3, 224, 224]
    assert data["lang"] == "en"
    conv = data["sections"][1]["children"][0]["children"][0]
    assert conv["name"] == "layer1.0.conv1"
    assert conv["settings"]["kernel_size"] == [3, 3]
    assert conv["role"] == "basic_conv1"
    assert conv["annotation"].startswith("block's first 3×3 conv")
    assert result.stderr == ""


def test_json_equals_the_library_report(run_cli: Run) -> None:
    data = json.loads(run_cli(["tree", "--json", "--arch", "resnet34"]).stdout)
    report = inspect_tree("resnet34").to_dict()
    assert data["totals"] == report["totals"]
    assert len(data["sections"]) == len(report["sections"]) == 6


def test_tree_at_80_columns_fits_and_names_every_part(run_cli: Run) -> None:
    result = run_cli(["tree"], width=80)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 80
    for text in (
        "Stem",
        "Stage 1 (layer1)",
        "Stage 4 (layer4)",
        "Head",
        "relu (2/2)",
        "downsample.0",
        "flatten",
        "11,689,512 total",
        "FLOPs = 2 × MACs",
        "MiB",
    ):
        assert text in result.stdout


def test_tree_at_200_columns_shows_shapes_roles_and_qualified_names(run_cli: Run) -> None:
    result = run_cli(["tree"], width=200)
    assert "Input → Output" in result.stdout
    assert "1×3×64×64 → 1×64×32×32" in result.stdout
    assert "layer2.0.downsample.0" in result.stdout
    assert "projection shortcut" in result.stdout
    assert max(len(line.rstrip()) for line in result.stdout.splitlines()) <= 200


def test_depth_controls_how_far_the_tree_unfolds(run_cli: Run) -> None:
    stage = run_cli(["tree", "--depth", "stage"]).stdout
    block = run_cli(["tree", "--depth", "block"]).stdout
    assert "layer1.0" not in stage and "Stage 2 (layer2)" in stage
    assert "layer1.0" in block and "conv2" not in block.split("Stage 1")[1].split("Head")[0]


def test_chinese_annotations(run_cli: Run) -> None:
    result = run_cli(["tree", "--lang", "zh"], width=160)
    assert "主干卷积" in result.stdout
    assert "残差相加" in result.stdout


def test_no_color_means_no_colour_codes(run_cli: Run) -> None:
    # NO_COLOR unset (None), not empty: rich before 14 takes an empty NO_COLOR as set.
    coloured = run_cli(["tree"], env={"FORCE_COLOR": "1", "NO_COLOR": None})
    plain = run_cli(["tree"], env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    foreground = re.compile(r"\x1b\[(?:[0-9]+;)*3[0-7]m")
    assert foreground.search(coloured.stdout)
    assert not foreground.search(plain.stdout)


@pytest.mark.parametrize("golden", GOLDEN_VIEWS, ids=lambda path: path.name)
def test_golden_views(run_cli: Run, golden: Path) -> None:
    args, width = GOLDEN_VIEWS[golden]
    assert run_cli(args, width=width).stdout == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["tree", "--input", "1,3,64"], "B,C,H,W"),
        (["tree", "--input", "0,3,64,64"], "at least 1"),
        (["tree", "--input", "1,3,64,64.5"], "not a whole number"),
        (["tree", "--input", "abc"], "B,C,H,W"),
        (["tree", "--input", "1,1,64,64"], "3 channels"),
        (["tree", "--arch", "resnet19"], "did you mean resnet18"),
        (["tree", "--depth", "leaf"], "stage, block, layer"),
        (["tree", "--lang", "fr"], "en, zh"),
        (["tree", "--bogus"], "No such option"),
        (["frobnicate"], "No such command"),
    ],
)
def test_usage_errors_are_one_line_with_exit_2(
    run_cli: Run, args: list[str], fragment: str
) -> None:
    result = run_cli(args)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("resnet-inspect: error: ")
    assert fragment in lines[0]
    assert "Traceback" not in result.stderr


def test_no_arguments_shows_the_help_without_an_error_line(run_cli: Run) -> None:
    result = run_cli([])
    assert "Usage: resnet-inspect" in result.stdout
    assert "error" not in result.stderr
    assert result.exit_code == 2


def test_an_unexpected_failure_is_still_one_line(
    run_cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    import resnet_inspect.api

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("first line\nsecond line\nthird line")

    monkeypatch.setattr(resnet_inspect.api, "run", broken)
    result = run_cli(["tree"])
    assert result.exit_code == 1
    expected = "resnet-inspect: error: RuntimeError: first line (set RESNET_INSPECT_DEBUG=1"
    assert result.stderr.splitlines() == [expected + " for a traceback)"]


def test_version(run_cli: Run) -> None:
    result = run_cli(["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"resnet-inspect {__version__}"


def _python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )


# Runs the CLI as a user does, then reports whether torch got imported on the way.
_TORCH_PROBE = """
import atexit, sys
atexit.register(lambda: sys.stderr.write("torch imported: %s\\n" % ("torch" in sys.modules)))
sys.argv = ["resnet-inspect", *sys.argv[1:]]
from resnet_inspect.cli import main
main()
"""


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["tree", "--help"],
        ["tree", "--input", "1x3x64"],
        ["tree", "--arch", "ResNet19"],
        ["train-step", "--weights", "IMAGENET1K_V9"],
        ["train-step", "--lr", "0"],
    ],
)
def test_help_and_usage_errors_never_import_torch(args: list[str]) -> None:
    result = _python(_TORCH_PROBE, *args)
    assert "torch imported: False" in result.stderr
    assert "Traceback" not in result.stderr


def test_python_dash_m_and_a_closed_pipe_end_quietly(warm_cache: dict[str, str]) -> None:
    # The report is in the cache: this is about how the output leaves the process.
    process = subprocess.Popen(
        [sys.executable, "-m", "resnet_inspect", "tree", "--arch", "resnet152"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **warm_cache},
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()  # what `| head -1` does
    stderr = process.stderr.read()
    process.wait(timeout=120)
    assert first.startswith("resnet152")
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr
    assert process.returncode == 0
