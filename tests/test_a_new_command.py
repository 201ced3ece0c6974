"""Adding a command is five source files and its words (issue #35; docs/architecture.md
walks through it). A made-up ``peak`` command, written here the way the walk-through says
(its report types, its capture, its assemble step, its view, and its module in commands/
with its CLI function and registry entry), is put beside the package's own modules and
becomes a whole command: in --help, on the command line, in the JSON schema and codec, in
the report cache, in the saves and in the library, under the layer rules. No other file of
the package is touched: whatever would need one fails here."""

from __future__ import annotations

import importlib
import json
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import jsonschema
import pytest
import torch
import torchvision
import typer
from typer.testing import CliRunner, Result

import resnet_inspect
from resnet_inspect import commands
from resnet_inspect.cli import program
from resnet_inspect.words import Lang, catalog

FILES = {
    "report": '''
        """peak's report: the largest value each leaf layer's output takes."""

        from __future__ import annotations

        from dataclasses import dataclass

        from resnet_inspect.report import (
            NO_SETTINGS,
            ModelInfo,
            Report,
            Settings,
            Shape,
            WeightsInfo,
        )


        @dataclass(frozen=True)
        class PeakRow:
            name: str
            largest: float


        @dataclass(frozen=True, repr=False)
        class PeakReport(Report):
            command: str
            arch: str
            input_shape: Shape
            num_classes: int
            weights: WeightsInfo
            model: ModelInfo
            rows: tuple[PeakRow, ...]
            options: Settings = NO_SETTINGS
    ''',
    "capture": '''
        """peak's pass: one input through the model in eval mode, each leaf's largest value."""

        from __future__ import annotations

        import torch


        def capture_peaks(
            model: torch.nn.Module, input_shape: tuple[int, ...]
        ) -> tuple[list[tuple[str, float]], int]:
            found: list[tuple[str, float]] = []
            hooks = [
                module.register_forward_hook(
                    lambda m, i, o, name=name: found.append((name, float(o.max())))
                )
                for name, module in model.named_modules()
                if name and not list(module.children())
            ]
            try:
                with torch.no_grad():
                    scores = model.eval()(torch.rand(input_shape))
            finally:
                for hook in hooks:
                    hook.remove()
            return found, int(scores.shape[1])
    ''',
    "assemble": '''
        """peak's report from its records."""

        from __future__ import annotations

        from resnet_inspect.report import ModelInfo, Settings, WeightsInfo
        from resnet_inspect.report.peak import PeakReport, PeakRow


        def peak_report(
            peaks: list[tuple[str, float]],
            *,
            classes: int,
            input_shape: tuple[int, ...],
            model: ModelInfo,
            weights: WeightsInfo,
            options: Settings,
        ) -> PeakReport:
            return PeakReport(
                command="peak",
                arch=model.name,
                input_shape=input_shape,
                num_classes=classes,
                weights=weights,
                model=model,
                rows=tuple(PeakRow(name, value) for name, value in peaks),
                options=options,
            )
    ''',
    "views": '''
        """The view of ``peak``: a row per leaf layer."""

        from __future__ import annotations

        from resnet_inspect.report import Level
        from resnet_inspect.report.peak import PeakReport
        from resnet_inspect.views.header import header
        from resnet_inspect.views.page import Page
        from resnet_inspect.views.table import Column, TextTable
        from resnet_inspect.words import Lang, say


        def peak_view(
            report: PeakReport, *, depth: Level, lang: Lang, width: int, ascii_only: bool = False
        ) -> Page:
            columns = [Column(say("peak_layer", lang)), Column(say("peak_largest", lang), True)]
            table = TextTable(columns, ascii_only=ascii_only)
            for row in report.rows:
                table.add_row(row.name, f"{row.largest:.4g}")
            return Page(header(report, lang, note="peak_note"), table.render(width))


        def peak_short(report: PeakReport) -> str:
            return f"PeakReport(peak {report.arch}: {len(report.rows)} layers)"
    ''',
    "commands": '''
        """``peak``: the largest activation of every layer, on one seeded input."""

        from __future__ import annotations

        from dataclasses import dataclass, field
        from typing import TYPE_CHECKING, ClassVar

        import typer

        from resnet_inspect.commands import Command, always, recorded, shown
        from resnet_inspect.commands.options import (
            DEPTH,
            MODEL,
            NO_CACHE,
            OUTPUT,
            SEED,
            model_choice,
            view_options,
        )
        from resnet_inspect.config import ModelChoice, check_seed

        if TYPE_CHECKING:
            from resnet_inspect.report.peak import PeakReport
            from resnet_inspect.views.options import ViewOptions


        @dataclass(frozen=True)
        class PeakRequest:
            command: ClassVar[str] = "peak"

            model: ModelChoice = field(default_factory=ModelChoice)
            seed: int = 0
            view: ViewOptions = shown()

            def __post_init__(self) -> None:
                check_seed(self.seed)


        def run_peak(request: PeakRequest) -> PeakReport:
            import torch

            from resnet_inspect.assemble.peak import peak_report
            from resnet_inspect.capture.peak import capture_peaks
            from resnet_inspect.commands.found import source

            found = source(request.model)
            torch.manual_seed(request.seed)
            peaks, classes = capture_peaks(found.real(), request.model.input_shape)
            return peak_report(
                peaks,
                classes=classes,
                input_shape=request.model.input_shape,
                model=found.info,
                weights=found.weights,
                options=recorded(request),
            )


        def from_command_line(ctx: typer.Context) -> PeakRequest:
            """The largest activation of every layer, on one seeded input."""
            seed = ctx.params["seed"]
            return PeakRequest(model=model_choice(ctx), seed=seed, view=view_options(ctx))


        COMMAND = Command(
            name="peak",
            request=PeakRequest,
            report="resnet_inspect.report.peak:PeakReport",
            run=run_peak,
            view="resnet_inspect.views.peak:peak_view",
            short="resnet_inspect.views.peak:peak_short",
            cli=from_command_line,
            groups=(MODEL, (SEED,), DEPTH, OUTPUT, NO_CACHE),
            cached=always,
            example=("--input", "1,3,64,64"),
        )
    ''',
}
WORDS = {"peak_note": "the largest value of each layer's output", "peak_layer": "Layer"}
WORDS_ZH = {"peak_note": "每层输出的最大值", "peak_layer": "层"}
Run = Callable[..., Result]


def _forget_peak() -> None:
    for name in [name for name in sys.modules if name.endswith(".peak")]:
        del sys.modules[name]
    commands.commands.cache_clear()
    commands.by_name.cache_clear()


@pytest.fixture
def peak(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    """The five files beside the package's own (each folder joins its package's path), the
    command's words in both catalogs, and the program built again from the registry."""
    for folder, source in FILES.items():
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "peak.py").write_text(textwrap.dedent(source).lstrip())
        package = importlib.import_module(f"resnet_inspect.{folder}")
        monkeypatch.setattr(package, "__path__", [*package.__path__, str(tmp_path / folder)])
    for lang, words in ((Lang.EN, WORDS), (Lang.ZH, WORDS_ZH)):
        for key, text in {**words, "peak_largest": "max"}.items():
            monkeypatch.setitem(catalog(lang), key, text)
    _forget_peak()
    yield program.build()
    _forget_peak()


@pytest.fixture
def run(peak: typer.Typer, monkeypatch: pytest.MonkeyPatch) -> Run:
    runner = CliRunner()

    def invoke(args: Sequence[str]) -> Result:
        return runner.invoke(peak, list(args), env={"COLUMNS": "100", "NO_COLOR": "1"})

    return invoke


def plain_peaks(seed: int, shape: tuple[int, ...]) -> list[tuple[str, float]]:
    """The same facts from a plain script: the seeded resnet18, the seeded input, hooks."""
    torch.manual_seed(seed)
    model = torchvision.models.resnet18().eval()
    seen: list[tuple[str, float]] = []
    for name, module in model.named_modules():
        if name and not list(module.children()):
            module.register_forward_hook(
                lambda m, i, o, name=name: seen.append((name, float(o.max())))
            )
    with torch.no_grad():
        model(torch.rand(shape))
    return seen


def test_five_new_files_make_a_whole_command(run: Run, tmp_path: Path) -> None:
    listed = run(["--help"])
    assert "peak " in listed.stdout and "The largest activation of every layer" in listed.stdout
    assert "--seed" in run(["peak", "--help"]).stdout

    result = run(["peak", "--input", "1,3,64,64", "--seed", "3", "--json"])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    # The schema and the codec come from the report types, through the registry: what
    # scripts/update-schema writes takes the new report (and the shipped one, until it is
    # run, differs: tests/torch_free/test_contract.py then fails).
    regenerated = commands.json_schema()
    jsonschema.validate(document, regenerated)
    assert "PeakReport" in regenerated["$defs"]
    assert "PeakReport" not in resnet_inspect.json_schema()["$defs"]
    report = resnet_inspect.report_from_dict(document)
    assert report.to_dict() == document
    assert [(row["name"], row["largest"]) for row in document["rows"]] == plain_peaks(
        3, (1, 3, 64, 64)
    )
    assert document["options"] == {"seed": 3}

    # The header, the view and the saves: the entry's view, drawn and written.
    saved = tmp_path / "peak.txt"
    shown = run(["peak", "--input", "1,3,64,64", "--seed", "3", "--save-text", str(saved)])
    assert shown.exit_code == 0, shown.stderr
    assert shown.stdout.startswith("resnet18 · input 1×3×64×64 · 1000 classes")
    assert "the largest value of each layer's output" in shown.stdout
    assert "layer4.1.bn2" in saved.read_text("utf-8")
    assert format(report, "short") == "PeakReport(peak resnet18: 60 layers)"


def test_a_new_commands_reports_are_cached_and_its_saves_checked(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["peak", "--input", "1,3,64,64", "--json"]
    first = run(args)
    assert first.exit_code == 0, first.stderr

    def miss() -> None:
        raise AssertionError("a cached peak report was computed again")

    monkeypatch.setattr(program, "load_torch", miss)
    assert run(args).stdout == first.stdout  # from the cache: torch is never asked for

    weights = tmp_path / "w.pth"
    weights.write_bytes(b"refused before it is read")
    refused = run(["peak", "--weights", str(weights), "--save-text", str(weights)])
    assert refused.exit_code == 1 and len(refused.stderr.splitlines()) == 1
    assert str(weights) in refused.stderr
    assert weights.read_bytes() == b"refused before it is read"


def test_a_new_command_answers_in_the_library(peak: typer.Typer) -> None:
    request_type = commands.by_name("peak").request
    report = resnet_inspect.run(request_type(seed=3))
    assert [(row.name, row.largest) for row in report.rows] == plain_peaks(3, (1, 3, 64, 64))
    assert report.view(lang="zh").__str__().count("层") >= 1


def test_a_new_commands_files_keep_the_layer_rules(peak: typer.Typer, tmp_path: Path) -> None:
    from test_layout import ALLOWED, FORBIDDEN, imports_of, layer_of

    wrong = []
    for folder in FILES:
        module = f"resnet_inspect.{folder}.peak"
        for target, function in imports_of(tmp_path / folder / "peak.py"):
            if layer_of(target) in FORBIDDEN.get(folder, ()) and (
                (module, target, function) not in ALLOWED
            ):
                wrong.append(f"{module} imports {target}")
    assert wrong == []
    assert commands.by_name("peak").report_type().__module__ == "resnet_inspect.report.peak"
