"""freeze against the tutorial's fine-tuning recipe, run as a plain script with the same seed."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import torch
import torchvision
from typer.testing import Result

from resnet_inspect import freeze
from resnet_inspect.anatomy import ARCHITECTURES, module_names
from resnet_inspect.config import FreezeOptions
from resnet_inspect.report import FreezeState, LayerReport

Run = Callable[..., Result]
SHAPE = (2, 3, 64, 64)


@dataclass
class Plain:
    loss: float
    trainable: set[str]
    trainable_count: int
    total_count: int
    with_grad: set[str]
    changed: set[str]  # every state_dict entry the step changed: parameters and buffers


def tutorial_freeze(
    arch: str, classes: int, unfreeze: tuple[str, ...] = (), bn_eval: bool = False
) -> Plain:
    torch.manual_seed(0)
    model = getattr(torchvision.models, arch)()
    for param in model.parameters():
        param.requires_grad = False
    model.fc = torch.nn.Linear(model.fc.in_features, classes)
    for name in unfreeze:
        for param in model.get_submodule(name).parameters():
            param.requires_grad = True
    if bn_eval:
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d) and not any(
                p.requires_grad for p in module.parameters()
            ):
                module.eval()
    data = torch.rand(SHAPE)
    labels = torch.rand(SHAPE[0], classes)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    loss = (model(data) - labels).sum()
    loss.backward()
    torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9).step()
    named = dict(model.named_parameters())
    return Plain(
        loss=loss.item(),
        trainable={n for n, p in named.items() if p.requires_grad},
        trainable_count=sum(p.numel() for p in model.parameters() if p.requires_grad),
        total_count=sum(p.numel() for p in model.parameters()),
        with_grad={n for n, p in named.items() if p.grad is not None},
        changed={k for k, v in model.state_dict().items() if not torch.equal(v, before[k])},
    )


def _run(arch: str, classes: int, **recipe: object) -> tuple[LayerReport, Plain]:
    options = FreezeOptions(new_classes=classes, **recipe)  # type: ignore[arg-type]
    report = freeze(arch, SHAPE, options=options, seed=0)
    return report, tutorial_freeze(arch, classes, options.unfreeze, options.bn_eval)


def _params(report: LayerReport) -> dict[str, object]:
    return {p.name: p for node in report.leaves() for p in node.parameters}


@pytest.mark.parametrize(
    ("arch", "classes"), [("resnet18", 10), ("resnet50", 3), ("resnext50_32x4d", 100)]
)
def test_counts_and_proof_equal_the_plain_recipe(arch: str, classes: int) -> None:
    report, plain = _run(arch, classes)
    assert report.totals.trainable_params == plain.trainable_count
    assert report.totals.params == plain.total_count
    assert report.totals.frozen_params == plain.total_count - plain.trainable_count
    assert report.sections[-1].output_shape == (2, classes)
    params = {p.name: p for node in report.leaves() for p in node.parameters}
    assert (
        {n for n, p in params.items() if p.trainable}
        == plain.trainable
        == {
            "fc.weight",
            "fc.bias",
        }
    )
    assert {n for n, p in params.items() if p.grad_norm is not None} == plain.with_grad
    assert {n for n, p in params.items() if p.changed} == plain.changed & set(params)
    assert report.step is not None and report.freeze is not None
    assert set(report.step.buffers_changed) == plain.changed - set(params)
    assert report.step.loss == pytest.approx(plain.loss, rel=1e-6)
    assert report.freeze.holds
    assert report.freeze.frozen_unchanged == report.freeze.frozen_tensors
    assert report.freeze.frozen_without_grad == report.freeze.frozen_tensors


def test_resnet18_ten_classes_matches_the_issue_figures() -> None:
    report, _ = _run("resnet18", 10)
    assert report.totals.trainable_params == 5_130
    assert report.totals.params == 11_181_642
    assert report.freeze is not None
    assert len(report.freeze.frozen_buffers_changed) == 60  # every BatchNorm, in train mode
    assert not report.freeze.frozen_part_unchanged


def test_bn_eval_leaves_the_frozen_part_bit_identical() -> None:
    report, plain = _run("resnet18", 10, bn_eval=True)
    assert report.step is not None and report.freeze is not None
    assert report.step.buffers_changed == ()
    assert plain.changed == {"fc.weight", "fc.bias"}  # the whole state_dict, checked apart
    assert report.freeze.frozen_part_unchanged
    assert len(report.freeze.batchnorms_in_eval) == 20


def test_unfreeze_layer4_makes_exactly_layer4_and_fc_trainable() -> None:
    report, plain = _run("resnet18", 10, unfreeze=("layer4",))
    trainable = {n for n, p in _params(report).items() if p.trainable}  # type: ignore[attr-defined]
    assert trainable == plain.trainable
    assert {n.split(".")[0] for n in trainable} == {"layer4", "fc"}
    assert report.totals.trainable_params == plain.trainable_count
    states = {s.name: s.freeze_state for s in report.sections}
    assert states["layer4"] is FreezeState.TRAINABLE
    assert states["layer3"] is FreezeState.FROZEN
    assert states["head"] is FreezeState.TRAINABLE


def test_unfreezing_one_layer_makes_its_block_and_stage_partly_frozen() -> None:
    report, plain = _run("resnet18", 10, unfreeze=("layer4.1.bn2",), bn_eval=True)
    stage = report.sections[4]
    assert stage.freeze_state is FreezeState.PARTLY
    assert stage.children[1].freeze_state is FreezeState.PARTLY
    assert report.freeze is not None and "layer4.1.bn2" not in report.freeze.batchnorms_in_eval
    changed_buffers = {b.rsplit(".", 1)[0] for b in plain.changed if "running" in b}
    assert changed_buffers == {"layer4.1.bn2"}  # trainable BN stays in train mode
    assert report.step is not None
    assert {b.rsplit(".", 1)[0] for b in report.step.buffers_changed} == {"layer4.1.bn2"}


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_unfreeze_names_are_validated_against_the_real_module_names(arch: str) -> None:
    with torch.device("meta"):
        model = getattr(torchvision.models, arch)()
    assert sorted(module_names(arch)) == sorted(n for n, _ in model.named_modules() if n)


def test_freeze_view(run_cli: Run) -> None:
    result = run_cli(["freeze", "--new-classes", "10"], width=80)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    for text in ("Trainable", "Frozen", "frozen", "trainable", "5,130 of 11,181,642",
                 "✓ 60 frozen tensors", "--bn-eval", "fc = Linear(512→10)"):  # fmt: skip
        assert text in out, text
    assert max(len(line) for line in out.splitlines()) <= 80
    still = run_cli(["freeze", "--new-classes", "10", "--bn-eval"]).stdout
    assert "nothing of the frozen part changed" in still
    data = json.loads(run_cli(["freeze", "--new-classes", "10", "--json"]).stdout)
    assert data["freeze"]["holds"] is True
    assert data["sections"][0]["freeze_state"] == "frozen"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ([], "--new-classes"),
        (["--new-classes", "0"], "≥ 1"),
        (["--new-classes", "-3"], "≥ 1"),
        (["--new-classes", "2.5"], "not a whole number"),
        (["--new-classes", "ten"], "not a whole number"),
        (["--new-classes", "10", "--unfreeze", "layer5"], "layer1, layer2, layer3, layer4"),
        (["--new-classes", "10", "--unfreeze", "layer1.2"], "a block such as layer3.1"),
        (["--new-classes", "10", "--momentum", "2"], "[0, 1)"),
        (["--new-classes", "10", "--input", "0,3,64,64"], "at least 1"),
    ],
)
def test_bad_freeze_input_is_a_usage_error(run_cli: Run, args: list[str], fragment: str) -> None:
    result = run_cli(["freeze", *args])
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_unfreeze_name_never_imports_torch() -> None:
    code = (
        "import sys, atexit\n"
        "atexit.register(lambda: sys.stderr.write('torch: %s' % ('torch' in sys.modules)))\n"
        "sys.argv = ['resnet-inspect', 'freeze', '--new-classes', '10', '--unfreeze', 'layer9']\n"
        "from resnet_inspect.cli import main\nmain()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 2
    assert "torch: False" in result.stderr
