"""The folder is the flow: what must import without torch does, and the seams hold."""

from __future__ import annotations

import ast
import io
import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch
import torchvision
from rich.console import Console
from typer.testing import Result

import resnet_inspect
from resnet_inspect import inspect_tree
from resnet_inspect.capture.models.torchvision import SkipInitialisation, build_model

PACKAGE = Path(resnet_inspect.__file__).parent
TORCH_FREE_FOLDERS = ("assemble", "views", "report", "records")
TORCH_FREE_MODULES = (
    "config",
    "parsing",
    "anatomy",
    "words",
    "report",
    "records",
    "errors",
    "api",
    "cli",
    "cache",
)


def torch_free_modules() -> list[str]:
    names = [f"resnet_inspect.{name}" for name in TORCH_FREE_MODULES]
    for folder in TORCH_FREE_FOLDERS:
        names += [
            f"resnet_inspect.{folder}.{path.stem}"
            for path in sorted((PACKAGE / folder).glob("*.py"))
            if path.stem != "__init__"
        ]
    return names


def test_every_torch_free_module_imports_without_torch_in_a_fresh_interpreter() -> None:
    # The lint rule sees only this file's own imports; this sees what they pull in.
    modules = torch_free_modules()
    assert "resnet_inspect.assemble.graph" in modules and "resnet_inspect.views.tree" in modules
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in ('torch', 'torchvision') if m in sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == []


def test_capture_is_the_only_folder_that_imports_torch_at_the_top() -> None:
    for path in PACKAGE.rglob("*.py"):
        top_level = [
            line
            for line in path.read_text().splitlines()
            if line.startswith(("import torch", "from torch", "import torchvision"))
        ]
        if path.relative_to(PACKAGE).parts[0] != "capture":
            assert not top_level, path


@pytest.mark.parametrize("width", [60, 80, 200])
def test_a_report_renders_at_the_consoles_width(width: int) -> None:
    report = inspect_tree()
    console = Console(width=width, color_system=None, record=True, file=io.StringIO())
    console.print(report)
    lines = console.export_text().splitlines()
    assert max(len(line) for line in lines) <= width
    # Columns appear as the width allows: the role column only from 110 columns.
    assert ("projection shortcut" in "\n".join(lines)) == (width >= 110)


def test_a_report_renders_ascii_where_the_console_asks_for_it() -> None:
    stream = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    console = Console(width=100, color_system=None, record=True, file=stream)
    assert console.options.ascii_only  # rich reads it from the stream's encoding
    console.print(inspect_tree())
    text = console.export_text()
    assert text.isascii() and "1x3x64x64" in text


def test_building_on_meta_leaves_a_model_built_in_another_thread_initialised() -> None:
    torch.manual_seed(0)
    expected = torchvision.models.resnet18().conv1.weight.detach().clone()
    inside, done = threading.Event(), threading.Event()
    built: dict[str, torch.Tensor] = {}

    def meta_builder() -> None:
        with torch.device("meta"), SkipInitialisation():
            inside.set()
            done.wait(timeout=60)

    def cpu_builder() -> None:
        inside.wait(timeout=60)
        torch.manual_seed(0)
        built["conv1"] = torchvision.models.resnet18().conv1.weight.detach().clone()
        done.set()

    threads = [threading.Thread(target=meta_builder), threading.Thread(target=cpu_builder)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert torch.equal(built["conv1"], expected)
    assert build_model("resnet18", device="meta").conv1.weight.is_meta


def test_freeze_takes_weight_decay_and_nesterov(run_cli: Callable[..., Result]) -> None:
    args = ["freeze", "--new-classes", "3", "--input", "2,3,64,64", "--json"]
    result = run_cli([*args, "--weight-decay", "0.01", "--nesterov"])
    assert result.exit_code == 0, result.stderr
    settings = json.loads(result.stdout)["step"]["optimizer_settings"]
    assert settings["weight_decay"] == 0.01 and settings["nesterov"] is True
    refused = run_cli([*args, "--nesterov", "--momentum", "0"])
    assert refused.exit_code == 2 and "--nesterov needs a momentum" in refused.stderr


# Which layers each layer may not import from, at the top or inside a function: the data
# flows request -> capture -> records -> assemble -> report -> views, the commands (the
# registry) drive it, and the CLI reaches capture only through them.
FORBIDDEN = {
    "capture": ("assemble", "report", "views", "commands", "cli", "api", "cache", "parsing"),
    "records": ("parsing", "report", "views", "commands", "cli", "api", "cache", "capture"),
    "assemble": ("capture", "views", "commands", "cli", "api", "cache"),
    "report": ("parsing", "views", "commands", "cli", "api", "cache", "capture", "assemble"),
    "views": ("capture", "assemble", "commands", "cli", "api", "cache"),
    "commands": ("cli", "api", "cache"),
    "cli": ("capture", "assemble"),
    "config": ("parsing", "views", "commands", "cli", "api", "cache", "capture", "assemble"),
    "parsing": ("views", "commands", "cli", "api", "cache", "capture", "assemble"),
    "words": ("views", "commands", "cli", "api", "cache", "capture", "assemble", "report"),
    "quantities": ("views", "commands", "cli", "api", "cache", "capture", "assemble", "report"),
    "budget": ("views", "commands", "cli", "api", "cache", "capture", "assemble", "report"),
}
# The one deliberate exception: a report draws itself by finding its command's view in the
# registry and handing itself to views.output, both imported inside report.subject._drawing.
ALLOWED = {
    ("resnet_inspect.report.subject", "resnet_inspect.commands", "_drawing"),
    ("resnet_inspect.report.subject", "resnet_inspect.views.output", "_drawing"),
}


def imports_of(path: Path) -> list[tuple[str, str]]:
    """Every resnet_inspect module a file imports, with the function it is imported in."""
    return list(_imports(ast.parse(path.read_text()), ""))


def _imports(node: ast.AST, function: str) -> Iterator[tuple[str, str]]:
    for child in ast.iter_child_nodes(node):
        if _type_checking_only(child):
            continue  # annotations: nothing is imported when the program runs
        inside = child.name if isinstance(child, ast.FunctionDef) else function
        if isinstance(child, ast.ImportFrom) and (child.module or "").startswith(PACKAGE_NAME):
            module = child.module or ""
            if module in (PACKAGE_NAME, f"{PACKAGE_NAME}.views"):  # from x import module
                yield from ((f"{module}.{alias.name}", inside) for alias in child.names)
            else:
                yield module, inside
        elif isinstance(child, ast.Import):
            names = (alias.name for alias in child.names)
            yield from ((name, inside) for name in names if name.startswith(PACKAGE_NAME))
        yield from _imports(child, inside)


def _type_checking_only(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Name)
        and node.test.id == "TYPE_CHECKING"
    )


PACKAGE_NAME = "resnet_inspect"


def module_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join((PACKAGE_NAME, *parts)).removesuffix(".__init__")


def registry_imports() -> list[tuple[str, str, str]]:
    """The "module:function" strings of every registry entry, as imports of the command's
    module (whose COMMAND names them), made when a report is drawn."""
    from resnet_inspect.commands import commands

    found = []
    for entry in commands():
        owner = entry.request.__module__
        for reference in entry.references():
            found.append((owner, reference.partition(":")[0], "COMMAND"))
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports, at the top, in functions and through the
    registry; a package's own __init__ counts as the package."""
    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = module_of(path)
        for target, function in imports_of(path):
            if (module, target, function) not in ALLOWED and target != module:
                graph.setdefault(module, set()).add(target)
    for owner, target, _ in registry_imports():
        graph.setdefault(owner, set()).add(target)
    return graph


def layer_of(module: str) -> str:
    return module.split(".")[1] if module.count(".") else ""


def test_no_layer_imports_a_layer_above_it() -> None:
    wrong = []
    found = [
        (module_of(path), target, function)
        for path in sorted(PACKAGE.rglob("*.py"))
        for target, function in imports_of(path)
    ]
    for module, target, function in [*found, *registry_imports()]:
        if layer_of(target) in FORBIDDEN.get(layer_of(module), ()) and (
            (module, target, function) not in ALLOWED
        ):
            wrong.append(f"{module} ({function or 'top'}) imports {target}")
    assert wrong == []


def test_no_module_imports_itself_back() -> None:
    """No import cycle, lazy imports and registry strings included (the draw hook aside)."""
    graph = import_graph()
    cycles = []
    state: dict[str, int] = {}  # 1: on the path being walked, 2: done

    def walk(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                cycles.append(" -> ".join([*path[path.index(target) :], target]))
            elif target not in state:
                walk(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module, [module])
    assert cycles == []


def test_the_cycle_finder_sees_a_cycle(monkeypatch: pytest.MonkeyPatch) -> None:
    ring = {"a": {"b"}, "b": {"a"}}
    monkeypatch.setattr(sys.modules[__name__], "import_graph", lambda: ring)
    with pytest.raises(AssertionError):
        test_no_module_imports_itself_back()


def test_the_layer_rules_see_a_wrong_arrow(tmp_path: Path) -> None:
    # The checker itself: an import inside a function counts as much as one at the top.
    source = tmp_path / "probe.py"
    source.write_text("def f():\n    from resnet_inspect.views import units\n")
    assert imports_of(source) == [("resnet_inspect.views.units", "f")]
    assert layer_of("resnet_inspect.views.units") == "views"
