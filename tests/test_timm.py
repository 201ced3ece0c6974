"""timm's ResNet family through --arch timm:NAME, each fact against an independent source:
sum(p.numel()), a plain forward-hook pass and FlopCounterMode on a real CPU model, the
model's own containers. One model of each kind runs by default; `pytest -m slow` runs every
ResNet-family name timm registers."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode
from typer.testing import Result

import user_models
from conftest import call_shapes
from resnet_inspect import LayerReport, inspect_tree
from resnet_inspect.anatomy import ARCHITECTURES
from resnet_inspect.report import Level
from resnet_inspect.words import Lang, node_annotation

timm = pytest.importorskip("timm")

Run = Callable[..., Result]
SHAPE = (1, 3, 64, 64)
# One of each kind: plain, ResNet-D stem and avg-pool shortcut, blur pool, SE, ECA, SK
# (BatchNormAct2d inside), Res2Net, ResNeSt, pre-activation ResNetV2, BiT (GroupNorm,
# weight-standardised convs, a 1×1 conv classifier).
SAMPLE = [
    "resnet18",
    "resnet50d",
    "resnetblur18",
    "seresnext26d_32x4d",
    "ecaresnet26t",
    "skresnet18",
    "res2net50_26w_4s",
    "resnest14d",
    "resnetv2_50",
    "resnetv2_50x1_bit",
    # RegNets: residual stages of their own (s1..s4), drawn the same way and checked alike
    "regnetx_002",
    "regnety_002",
]
# The hand-written variants of tests/user_models.py, at their input sizes.
HAND_WRITTEN = {
    "cifar_resnet18": (1, 3, 32, 32),
    "one_channel_resnet18": (1, 1, 64, 64),
    "dropout_head_resnet18": (1, 3, 64, 64),
    "tiny_resnet": (1, 3, 64, 64),
    "dilated_resnet50": (1, 3, 64, 64),
    "cifar_from_scratch": (1, 3, 32, 32),
}
OUTSIDE = ["mobilenetv3_small_100", "efficientnet_b0", "vit_tiny_patch16_224"]
FAMILY_MODULES = ("resnet", "resnetv2", "senet", "sknet", "res2net", "resnest")


def family() -> list[str]:
    return sorted({name for m in FAMILY_MODULES for name in timm.list_models(module=m)})


def real_model(name: str) -> torch.nn.Module:
    torch.manual_seed(0)
    return timm.create_model(name, pretrained=False).eval()


def stage_containers(model: torch.nn.Module) -> list[Any]:
    """The model's own stage containers, read off how timm builds each kind."""
    if hasattr(model, "stages"):  # ResNetV2 / BiT
        return [stage.blocks for stage in model.stages]
    if hasattr(model, "s1"):  # RegNet: its stages are s1..s4, their blocks b1, b2, ...
        return [list(getattr(model, f"s{i}").children()) for i in range(1, 5)]
    return [getattr(model, f"layer{i}") for i in range(1, 5)]


def hooked_shapes(model: torch.nn.Module, x: torch.Tensor) -> dict[str, tuple[int, ...]]:
    """Output shape of every module that owns parameters (its first call): plain hooks."""
    owners = call_shapes(model, x, lambda m: next(m.parameters(recurse=False), None) is not None)
    first: dict[str, tuple[int, ...]] = {}
    for name, shape in owners:
        first.setdefault(name, shape)  # in call order, each name with its first call's shape
    return first


def check_facts(name: str) -> LayerReport:
    report = inspect_tree(f"timm:{name}", SHAPE)
    model = real_model(name)
    x = torch.rand(SHAPE)
    # Every parameter counted, and in exactly one row.
    assert report.totals.params == sum(p.numel() for p in model.parameters())
    owned = [node for node in report.leaves() if node.params]
    assert len({node.name for node in owned}) == len(owned)
    assert sum(node.params for node in owned) == report.totals.params
    # Every module with parameters is a row, with the output shape a plain hook sees.
    # FLOPs of a real CPU forward, the same one the plain hooks watch.
    rows = {node.name: node.output_shape for node in report.leaves() if node.call == 1}
    with FlopCounterMode(display=False) as counter:
        hooked = hooked_shapes(model, x)
    assert {n: rows.get(n) for n in hooked} == hooked
    assert report.totals.flops == counter.get_total_flops()
    # Stages and blocks are the model's containers; a stage's stride its resolution ratio.
    stages = [s for s in report.sections if s.level is Level.SECTION and s.role.value == "stage"]
    containers = stage_containers(model)
    assert [s.setting("blocks") for s in stages] == [len(c) for c in containers]
    for stage in stages:
        ratio = stage.input_shape[-1] // stage.output_shape[-1]
        assert stage.setting("stride") == ratio, stage.name
        assert stage.receptive_field is not None, stage.name  # every stage has its field
        for block in stage.children:
            assert block.setting("in_channels") == block.input_shape[1], block.name
            assert block.setting("out_channels") == block.output_shape[1], block.name
    # Rows in the order they ran.
    order = [n for n in hooked if n in rows]
    assert [node.name for node in owned if node.name in hooked] == order
    assert false_claims(report) == []
    return report


def false_claims(report: LayerReport) -> list[str]:
    """Every annotation that names a kernel, a channel direction, a stride, a BatchNorm, an
    in-place add or a reused module the node's own facts contradict."""
    wrong = []
    for node in [n for section in report.sections for n in section.walk()]:
        text = node_annotation(node, Lang.EN)
        facts = {item.name: item.value for item in node.settings}
        kernel = facts.get("kernel_size")
        stride = facts.get("stride")
        stride = stride[0] if isinstance(stride, tuple) else stride
        named = re.findall(r"(\d+)×(\d+) conv", text)
        if kernel is not None and node.level is Level.LAYER:
            pair = kernel if isinstance(kernel, tuple) else (kernel, kernel)
            if any((int(h), int(w)) != tuple(pair) for h, w in named):
                wrong.append(f"{node.name}: {text} (kernel {pair})")
        elif named and node.level is Level.LAYER:
            wrong.append(f"{node.name}: {text} (not a conv)")
        into, out = facts.get("in_channels"), facts.get("out_channels")
        if "reduces channels" in text and not (into and out and out < into):
            wrong.append(f"{node.name}: {text} ({into}→{out})")
        if "expands channels" in text and not (into and out and out > into):
            wrong.append(f"{node.name}: {text} ({into}→{out})")
        ratio = re.search(r"\(×(\d+(?:\.\d+)?)\)", text)
        if ratio and into and out and float(ratio.group(1)) != out / into:
            wrong.append(f"{node.name}: {text} ({into}→{out})")
        if "carries the" in text and node.level is Level.LAYER and not (stride and stride > 1):
            wrong.append(f"{node.name}: {text} (stride {stride})")
        if "BN" in text and not node.kind.startswith("BatchNorm"):
            wrong.append(f"{node.name}: {text} ({node.kind})")
        if "in place" in text and node.kind != "add_":
            wrong.append(f"{node.name}: {text} ({node.kind})")
        if "another call" in text and node.calls < 2:
            wrong.append(f"{node.name}: {text} (called once)")
        if node.level is Level.BLOCK and "1×1 reduce" in text:
            convs = [c for c in node.children if c.role.value == "bottleneck_reduce"]
            if not convs or "reduces channels" not in node_annotation(convs[0], Lang.EN):
                wrong.append(f"{node.name}: {text}")
    return wrong


@pytest.mark.parametrize("name", SAMPLE)
def test_timm_models_are_shown_as_they_are(name: str) -> None:
    check_facts(name)


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_no_sentence_contradicts_a_torchvision_layer(arch: str) -> None:
    assert false_claims(inspect_tree(arch, SHAPE)) == []


@pytest.mark.parametrize("name", HAND_WRITTEN)
def test_no_sentence_contradicts_a_hand_written_layer(name: str) -> None:
    shape = HAND_WRITTEN[name]
    report = inspect_tree(input_shape=shape, model=f"{user_models.__file__}:{name}")
    assert false_claims(report) == []


@pytest.mark.slow
@pytest.mark.parametrize("name", family())
def test_every_resnet_family_name_timm_registers(name: str) -> None:
    check_facts(name)


def test_cli_takes_timm_names_and_says_the_closest(run_cli: Run) -> None:
    result = run_cli(["tree", "--arch", "timm:resnet50d", "--depth", "stage", "--json"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count('"level": "section"') == 6
    wrong = run_cli(["tree", "--arch", "timm:resnet50e"])
    assert wrong.exit_code == 2
    assert "did you mean resnet50" in wrong.stderr and len(wrong.stderr.splitlines()) == 1


def test_a_timm_models_default_input_is_its_own(run_cli: Run) -> None:
    result = run_cli(["tree", "--arch", "timm:resnet18", "--depth", "stage"], width=100)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("timm:resnet18 · input 1×3×224×224")


@pytest.mark.parametrize(
    "name", ["mobilenetv3_small_100", "efficientnet_b0", "vit_tiny_patch16_224"]
)
def test_outside_the_family_is_one_line(name: str, run_cli: Run) -> None:
    result = run_cli(["tree", "--arch", f"timm:{name}"])  # at the model's own input size
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1 and "no stage of residual blocks" in result.stderr


@pytest.mark.parametrize("name", ["resnet50d", "seresnext26d_32x4d"])
def test_a_timm_train_step_equals_a_plain_seeded_script(name: str) -> None:
    from resnet_inspect import train_step

    shape = (2, 3, 64, 64)
    report = train_step(f"timm:{name}", shape, seed=0)
    torch.manual_seed(0)
    model = timm.create_model(name, pretrained=False).train()
    data, labels = torch.rand(shape), torch.rand(shape[0], 1000)
    loss = (model(data) - labels).sum()
    loss.backward()
    assert report.step is not None
    assert report.step.loss == pytest.approx(loss.item(), rel=1e-5)
    expected = {n: p.grad.norm().item() for n, p in model.named_parameters() if p.grad is not None}
    got = {p.name: p.grad_norm for node in report.leaves() for p in node.parameters}
    assert got.keys() == expected.keys()
    for key, norm in expected.items():
        assert got[key] == pytest.approx(norm, rel=1e-4, abs=1e-6), key


def test_arch_completion_offers_torchvision_and_timm_names() -> None:
    from resnet_inspect.commands.options import complete_arch

    assert complete_arch("resnet1") == ["resnet18", "resnet101", "resnet152"]
    assert complete_arch("tim") == ["timm:"]
    offered = complete_arch("timm:seresnext26")
    assert "timm:seresnext26d_32x4d" in offered and all(n in family_names() for n in offered)


def family_names() -> set[str]:
    return {f"timm:{name}" for name in family()}
