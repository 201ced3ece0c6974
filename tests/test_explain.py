"""--explain: every formula equals the number the capture measured, for every layer call of
the ten architectures at two input sizes and of the user-model variants; and in graph, what
each backward node keeps adds up to the saved memory measured by saved_tensors_hooks."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch
from typer.testing import Result

import user_models
from resnet_inspect import graph, inspect_tree
from resnet_inspect.anatomy import ARCHITECTURES
from resnet_inspect.report import LayerReport, Node

Run = Callable[..., Result]


def buffer_counts(report: LayerReport, model: torch.nn.Module) -> dict[str, int]:
    return {
        name: sum(b.numel() for b in module.buffers(recurse=False))
        for name, module in model.named_modules()
    }


def check(node: Node, buffers: dict[str, int]) -> set[str]:
    """Each formula of one call against what was measured; returns the quantities seen."""
    measured = {
        "out_height": node.output_shape[2] if len(node.output_shape) == 4 else None,
        "out_width": node.output_shape[3] if len(node.output_shape) == 4 else None,
        "params": node.params,
        "bn_params": node.params,
        "macs": node.macs,
        "bn_buffers": buffers.get(node.name),
        "features": node.output_shape[1] if len(node.output_shape) == 2 else None,
        "elements": math.prod(node.output_shape),
        "residual_add": math.prod(node.output_shape),
    }
    field = node.receptive_field
    if field is not None:  # itself held against the gradient's support (test_receptive_field)
        for suffix, axis in (
            ("", field.height),
            ("_height", field.height),
            ("_width", field.width),
        ):
            measured[f"field_size{suffix}"] = axis.size
            measured[f"field_jump{suffix}"] = axis.jump
            measured[f"field_start{suffix}"] = axis.start
    for formula in node.formulas:
        if formula.quantity.startswith("field_"):
            assert formula.value == measured[formula.quantity], (node.name, formula)
            assert _evaluate(formula.expression, exact=True) == formula.value, (node.name, formula)
            continue
        if formula.quantity == "out_side":
            assert node.output_shape[2] == node.output_shape[3] == formula.value, node.name
        elif formula.quantity == "bn_values":
            shape = node.input_shape
            assert formula.value * shape[1] == math.prod(shape), node.name
        elif formula.quantity == "averaged":
            assert node.output_shape[2:] == (1, 1), node.name
            assert formula.value == node.input_shape[2] * node.input_shape[3], node.name
        else:
            assert formula.value == measured[formula.quantity], (node.name, formula)
        # The expression is the arithmetic: evaluating it gives the value.
        assert _evaluate(formula.expression) == formula.value, (node.name, formula)
    return {formula.quantity for formula in node.formulas}


def _evaluate(expression: str, exact: bool = False) -> float:
    """``⌊(64 + 2·3 − 7) / 2⌋ + 1`` read as Python: floor and ceil divisions, products (with
    ``exact``, divisions as they are: a field's centre may fall between two pixels)."""
    text = expression.replace("·", "*").replace("−", "-").replace(",", "").replace("×", "*")
    if exact:
        return float(eval(text, {"__builtins__": {}}))
    text = text.replace("/", "//").replace("⌊", "(").replace("⌋", ")")
    text = text.replace("⌈", "-(-").replace("⌉", ")")  # ⌈a / s⌉ = -((-a) // s)
    return int(eval(text, {"__builtins__": {}}))


EXPECTED = {
    "Conv2d": {"params", "macs"},
    "BatchNorm2d": {"bn_params", "bn_buffers", "bn_values"},
    "Linear": {"params", "macs"},
    "MaxPool2d": set(),
}


@pytest.mark.parametrize("arch", ARCHITECTURES)
@pytest.mark.parametrize("shape", [(1, 3, 64, 64), (2, 3, 97, 131)])
def test_every_formula_equals_the_measured_number(arch: str, shape: tuple[int, ...]) -> None:
    report = inspect_tree(arch, shape, explain=True)
    import torchvision

    with torch.device("meta"):
        model = getattr(torchvision.models, arch)()
    buffers = buffer_counts(report, model)
    for node in report.leaves():
        seen = check(node, buffers)
        assert EXPECTED.get(node.kind, set()) <= seen, (node.name, seen)
        if node.kind in ("Conv2d", "MaxPool2d"):
            assert seen & {"out_side", "out_height"}, node.name


def test_the_issues_stem_example() -> None:
    conv1 = inspect_tree("resnet18", (1, 3, 64, 64), explain=True).leaves()[0]
    shown = {f.quantity: (f.expression, f.value) for f in conv1.formulas}
    assert shown["out_side"] == ("⌊(64 + 2·3 − 7) / 2⌋ + 1", 32)
    assert shown["params"] == ("64·3·7·7", 9_408)
    assert shown["macs"] == ("9,408 · 32 · 32", 9_633_792)


def test_grouped_convolutions_divide_by_groups() -> None:
    report = inspect_tree("resnext50_32x4d", (1, 3, 64, 64), explain=True)
    conv2 = next(n for n in report.leaves() if n.name == "layer1.0.conv2")
    params = next(f for f in conv2.formulas if f.quantity == "params")
    assert params.expression == "128·(128/32)·3·3" and params.value == conv2.params


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("cifar_resnet18", (2, 3, 32, 32)),
        ("one_channel_resnet18", (1, 1, 64, 64)),
        ("dropout_head_resnet18", (1, 3, 64, 64)),
        ("cifar_from_scratch", (2, 3, 32, 32)),
        ("dilated_resnet50", (1, 3, 96, 96)),
    ],
)
def test_user_models_formulas_equal_the_measured_numbers(name: str, shape: tuple[int, ...]) -> None:
    report = inspect_tree(input_shape=shape, model=f"{user_models.__file__}:{name}", explain=True)
    buffers = buffer_counts(report, getattr(user_models, name)())
    kinds = set()
    for node in report.leaves():
        check(node, buffers)
        kinds |= {f.quantity for f in node.formulas}
    assert {"params", "macs"} <= kinds


def test_without_explain_nothing_is_added() -> None:
    assert all(not n.formulas for n in inspect_tree("resnet18").leaves())


@pytest.mark.parametrize("arch", ["resnet18", "resnet50"])
def test_graph_keeps_add_up_to_the_saved_memory(arch: str) -> None:
    report = graph(arch, (2, 3, 64, 64), explain=True)
    assert report.explained
    ops = [
        op
        for section in report.sections
        for group in (section, *section.children)
        for op in group.ops
    ]
    activations = sum(t.bytes for op in ops for t in op.saved if t.kind == "activation")
    buffers = {(op.module, t.name) for op in ops for t in op.saved if t.kind == "buffer"}
    # BatchNorm's running statistics are shown where a node keeps them, and not counted:
    # they exist anyway, as the parameters do (the definition plan shares).
    assert len(buffers) == 2 * sum(op.kind == "NativeBatchNormBackward0" for op in ops)
    assert activations == report.summary.saved_bytes
    conv = next(op for op in ops if op.module == "layer1.0.conv1")
    assert {t.name: t.kind for t in conv.saved} == {"input": "activation", "weight": "parameter"}
    pool = next(op for op in ops if op.kind.startswith("MaxPool"))
    indices = next(t for t in pool.saved if t.name == "result1")
    assert indices.bytes == 8 * math.prod(indices.shape)  # int64 indices
    add = next(op for op in ops if op.kind == "AddBackward0")
    assert add.saved == ()


def test_explain_on_the_command_line(run_cli: Run) -> None:
    shown = run_cli(["tree", "--explain"], width=100)
    assert shown.exit_code == 0, shown.output
    assert "⌊(64 + 2·3 − 7) / 2⌋ + 1 = 32" in shown.stdout
    assert "torchvision's model docs" in shown.stdout
    plain = run_cli(["tree", "--explain", "--ascii"], width=80).stdout
    assert "floor((64 + 2*3 - 7) / 2) + 1 = 32" in plain
    assert max(map(len, plain.splitlines())) <= 80
    chinese = run_cli(["tree", "--explain", "--lang", "zh"], width=100).stdout
    assert "输出的高和宽" in chinese
    kept = run_cli(["graph", "--explain"], width=100).stdout
    assert "a convolution keeps its input" in kept
