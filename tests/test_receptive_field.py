"""Theoretical receptive fields against an independent measurement: the support of the
gradient of one output unit with respect to the input.

In a copy of the model where every unit passes everything on (each conv and Linear weight
set to one positive constant, BatchNorm in eval at identity statistics, max pools replaced
by average pools of the same geometry so that every position of a window gets gradient, a
positive input so that every ReLU passes), ∂y_centre/∂x is non-zero exactly on the pixels
the unit sees. For a unit whose field lies inside the input, that support is the field.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
import timm
import torch
import torchvision
from typer.testing import Result

import user_models
from resnet_inspect import inspect_tree
from resnet_inspect.report import Node

Run = Callable[..., Result]


def passes_everything(model: torch.nn.Module) -> torch.nn.Module:
    model = copy.deepcopy(model).double().eval()
    for name, module in list(model.named_modules()):
        if isinstance(module, torch.nn.MaxPool2d):
            average = torch.nn.AvgPool2d(
                module.kernel_size, module.stride, module.padding, module.ceil_mode
            )
            parent, _, leaf = name.rpartition(".")
            setattr(model.get_submodule(parent) if parent else model, leaf, average)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.modules.conv._ConvNd | torch.nn.Linear):
                fan_in = module.weight[0].numel()
                module.weight.fill_(1.0 / fan_in)
                if module.bias is not None:
                    module.bias.zero_()
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                module.running_mean.zero_()
                module.running_var.fill_(1.0)
                module.weight.fill_(1.0)
                module.bias.zero_()
    return model


def gradient_support(
    model: torch.nn.Module, row: str, size: int, unit: tuple[int, int]
) -> tuple[tuple[int, int], tuple[int, int]]:
    """The first and last input row and column where ∂y[unit]/∂x is not zero."""
    outputs: list[torch.Tensor] = []
    model.get_submodule(row).register_forward_hook(lambda m, i, o: outputs.append(o))
    data = torch.full((1, 3, size, size), 0.5, dtype=torch.float64, requires_grad=True)
    model(data)
    outputs[0][0, :, unit[0], unit[1]].sum().backward()
    assert data.grad is not None
    seen = data.grad[0].abs().sum(0) > 0
    rows = torch.nonzero(seen.any(1)).flatten()
    cols = torch.nonzero(seen.any(0)).flatten()
    return (int(rows[0]), int(rows[-1])), (int(cols[0]), int(cols[-1]))


def node(report_nodes: list[Node], name: str) -> Node:
    return next(n for n in report_nodes if n.name == name)


CASES = [
    ("resnet18", lambda: torchvision.models.resnet18(), 160, ["layer1", "layer2"]),
    ("resnet50", lambda: torchvision.models.resnet50(), 160, ["layer1", "layer2"]),
    ("dilated resnet50", user_models.dilated_resnet50, 160, ["layer2", "layer3.1"]),
    ("cifar resnet18", user_models.cifar_resnet18, 64, ["layer1", "layer2"]),
    ("timm resnet50d", lambda: timm.create_model("resnet50d"), 160, ["layer1", "layer2"]),
    # Res2Net: a block's splits run through convs one after another, so its field grows
    # faster than a bottleneck's; split, cat and an avg pool carry it.
    ("timm res2net50", lambda: timm.create_model("res2net50_26w_4s"), 160, ["layer1"]),
]


@pytest.mark.parametrize(("label", "make", "size", "rows"), CASES, ids=[c[0] for c in CASES])
def test_the_field_is_the_support_of_the_centre_units_gradient(
    label: str, make: object, size: int, rows: list[str]
) -> None:
    torch.manual_seed(0)
    model = make()  # type: ignore[operator]
    report = inspect_tree(model=model, input_shape=(1, 3, size, size))
    every = [n for section in report.sections for n in section.walk()]
    plain = passes_everything(model)
    for row in rows:
        field = node(every, row).receptive_field
        assert field is not None and not field.shared and not field.mismatch, row
        units = (field.height.units // 2, field.width.units // 2)
        expected = []
        for axis, unit in ((field.height, units[0]), (field.width, units[1])):
            centre = axis.start + unit * axis.jump
            low, high = centre - (axis.size - 1) / 2, centre + (axis.size - 1) / 2
            assert low >= 0 and high <= size - 1, (row, "the field must lie inside the input")
            expected.append((int(low), int(high)))
        measured = gradient_support(copy.deepcopy(plain), row, size, units)
        assert measured == tuple(expected), (label, row, field)


def test_jumps_are_the_resolution_ratios() -> None:
    report = inspect_tree("resnet50", (1, 3, 224, 224))
    for leaf in report.leaves():
        field = leaf.receptive_field
        if field is None or field.shared or len(leaf.output_shape) != 4:
            continue
        assert field.height.jump == 224 / leaf.output_shape[2], leaf.name
        assert field.height.units == leaf.output_shape[2]


def test_after_global_pooling_every_unit_sees_the_whole_input() -> None:
    report = inspect_tree("resnet50", (1, 3, 224, 224))
    fc = node(report.leaves(), "fc").receptive_field
    assert fc is not None and fc.shared and fc.covers_input and fc.coverage == 1.0


@pytest.mark.parametrize(
    ("arch", "said"),
    [
        ("timm:seresnext26d_32x4d", "from layer1.0.se.mean on every unit sees all of it (a pool"),
        ("timm:resnetv2_50x1_bit", "(GroupNorm's statistics are taken over the whole map)"),
        ("resnet18", "layer4.0.conv2 is the first layer whose unit sees the whole 224×224"),
    ],
)
def test_the_header_says_where_and_why_units_first_see_everything(
    run_cli: Run, arch: str, said: str
) -> None:
    shown = run_cli(["tree", "--arch", arch, "--input", "1,3,224,224", "--depth", "stage"], 100)
    assert shown.exit_code == 0, shown.stderr
    assert said in " ".join(shown.stdout.split())
    assert "Field" in shown.stdout
    narrow = run_cli(["tree", "--arch", arch, "--input", "1,3,224,224", "--depth", "stage"], 80)
    assert "Field" not in narrow.stdout


def test_a_field_that_cannot_be_worked_out_costs_the_field_never_the_tree(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from resnet_inspect.capture import receptive

    real = receptive._propagate

    def fails_on_pools(name: str, *args: object) -> object:
        if name == "max_pool2d_with_indices":
            raise RuntimeError("an operation the tracker gets wrong")
        return real(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(receptive, "_propagate", fails_on_pools)
    report = inspect_tree("resnet18", (1, 3, 64, 64))
    rows = {n.name: n.receptive_field for n in report.leaves()}
    assert rows["conv1"] is not None and rows["maxpool"] is None
    assert rows["layer1.0.conv1"] is None  # unknown from there on, never made up
    assert report.totals.params == 11_689_512


def test_an_add_with_one_unknown_operand_is_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    """The branch's field alone would be smaller than the truth: no field, not a wrong one."""
    from resnet_inspect.capture import receptive

    real = receptive._propagate

    def fails_on_shortcuts(name: str, func: object, args: tuple, *rest: object) -> object:
        if name == "convolution" and tuple(args[1].shape[2:]) == (1, 1):
            raise RuntimeError("a shortcut the tracker gets wrong")
        return real(name, func, args, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(receptive, "_propagate", fails_on_shortcuts)
    rows = {n.name: n.receptive_field for n in inspect_tree("resnet18", (1, 3, 64, 64)).leaves()}
    assert rows["layer2.0.conv2"] is not None and rows["layer2.0.downsample.0"] is None
    assert rows["layer2.0.add"] is None and rows["layer1.1.add"] is not None
