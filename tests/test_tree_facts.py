"""The tree's numbers against independent counts, for every architecture torchvision ships."""

from __future__ import annotations

import pytest
import torch
import torchinfo
import torchvision
from torch.utils.flop_counter import FlopCounterMode

from conftest import cpu_model, leaf_call_shapes
from resnet_inspect import inspect_tree
from resnet_inspect.anatomy import ARCHITECTURES, Role
from resnet_inspect.capture.structure import capture_structure
from resnet_inspect.errors import InspectError
from resnet_inspect.report import LayerReport, Level

SHAPE = (2, 3, 64, 64)
Case = tuple[str, LayerReport, torch.nn.Module]


@pytest.fixture(scope="module", params=ARCHITECTURES)
def arch_case(request: pytest.FixtureRequest) -> Case:
    arch = request.param
    return arch, inspect_tree(arch, SHAPE), cpu_model(arch)


def test_parameters_equal_an_independent_count_and_torchinfo(arch_case: Case) -> None:
    _arch, report, model = arch_case
    expected = sum(p.numel() for p in model.parameters())
    assert report.totals.params == expected
    assert report.totals.trainable_params == expected
    assert report.totals.frozen_params == 0
    info = torchinfo.summary(model, input_size=SHAPE, device="cpu", verbose=0)
    assert report.totals.params == info.total_params
    assert report.totals.param_bytes == 4 * expected


def test_every_call_shape_equals_a_plain_hook_pass_on_cpu(arch_case: Case) -> None:
    _, report, model = arch_case
    calls = [(n.name, n.output_shape) for n in report.leaves() if n.module_call]
    assert calls == leaf_call_shapes(model, torch.zeros(SHAPE))


def test_total_flops_equal_flop_counter_on_a_real_cpu_forward(arch_case: Case) -> None:
    _, report, model = arch_case
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.zeros(SHAPE))
    assert report.totals.flops == counter.get_total_flops()
    assert report.totals.macs * 2 == report.totals.flops


def test_groups_sum_their_leaves_only(arch_case: Case) -> None:
    _, report, _ = arch_case
    for node in report.nodes():
        if node.children:
            leaves = [n for n in node.walk() if not n.children]
            assert node.params == sum(n.params for n in leaves)
            assert node.macs == sum(n.macs for n in leaves)
    assert sum(s.params for s in report.sections) == report.totals.params
    assert sum(s.macs for s in report.sections) == report.totals.macs
    assert [s.name for s in report.sections] == [
        "stem",
        "layer1",
        "layer2",
        "layer3",
        "layer4",
        "head",
    ]


def test_activation_memory_equals_new_outputs_of_a_hook_pass(arch_case: Case) -> None:
    _, report, model = arch_case
    allocated = 0

    def count(module: torch.nn.Module, inputs: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
        nonlocal allocated
        if out.data_ptr() != inputs[0].data_ptr():  # in-place ops return their input
            allocated += out.numel() * out.element_size()

    handles = [
        m.register_forward_hook(count)
        for n, m in model.named_modules()
        if n and not list(m.children())
    ]
    with torch.no_grad():
        model(torch.zeros(SHAPE))
    for handle in handles:
        handle.remove()
    assert report.totals.activation_bytes == allocated
    assert report.totals.input_bytes == 4 * 2 * 3 * 64 * 64


def test_every_block_has_one_residual_add_before_its_last_relu(arch_case: Case) -> None:
    _, report, _ = arch_case
    blocks = [n for n in report.nodes() if n.level is Level.BLOCK]
    assert blocks
    for block in blocks:
        roles = [child.role for child in block.children]
        assert roles.count(Role.RESIDUAL_ADD) == 1
        assert roles[-2:] == [Role.RESIDUAL_ADD, Role.BLOCK_RELU_OUT]
        add = block.children[-2]
        assert add.output_shape == block.output_shape
        projection = any(c.role is Role.SHORTCUT_CONV for c in block.children)
        assert block.setting("shortcut") == ("projection" if projection else "identity")
        assert projection == (
            block.setting("stride") != 1
            or block.setting("in_channels") != block.setting("out_channels")
        )


def test_resnet18_at_224_matches_the_published_numbers() -> None:
    report = inspect_tree("resnet18", (1, 3, 224, 224))
    assert report.totals.params == 11_689_512
    assert report.totals.macs == 1_814_073_344
    assert report.totals.flops == 2 * 1_814_073_344


@pytest.mark.parametrize(("arch", "calls", "modules"), [("resnet18", 17, 9), ("resnet50", 49, 17)])
def test_relu_modules_get_one_row_per_call(arch: str, calls: int, modules: int) -> None:
    report = inspect_tree(arch)
    relu_rows = [n for n in report.leaves() if n.kind == "ReLU"]
    assert len(relu_rows) == calls
    assert len({n.name for n in relu_rows}) == modules
    per_block = 3 if arch == "resnet50" else 2
    block_relus = [n for n in relu_rows if n.name != "relu"]
    assert all(n.calls == per_block for n in block_relus)
    assert sum(n.params for n in relu_rows) == 0


def test_roles_follow_structure_not_leaf_names() -> None:
    roles = {(n.name, n.call): n.role for n in inspect_tree("resnet50").leaves()}
    assert roles[("conv1", 1)] is Role.STEM_CONV
    assert roles[("layer1.0.conv1", 1)] is Role.BOTTLENECK_REDUCE
    assert roles[("layer1.0.conv2", 1)] is Role.BOTTLENECK_SPATIAL
    assert roles[("layer1.0.bn3", 1)] is Role.BRANCH_BN_LAST
    assert roles[("layer1.0.relu", 1)] is Role.BRANCH_RELU
    assert roles[("layer1.0.relu", 3)] is Role.BLOCK_RELU_OUT
    assert roles[("layer2.0.downsample.0", 1)] is Role.SHORTCUT_CONV
    assert roles[("fc", 1)] is Role.HEAD_FC
    basic = {(n.name, n.call): n.role for n in inspect_tree("resnet18").leaves()}
    assert basic[("layer1.0.conv1", 1)] is Role.BASIC_CONV1
    assert basic[("layer1.0.bn2", 1)] is Role.BRANCH_BN_LAST
    assert basic[("relu", 1)] is Role.STEM_RELU
    assert Role.OTHER not in basic.values()


def test_flatten_sits_between_pool_and_classifier() -> None:
    head = inspect_tree("resnet18").sections[-1]
    assert [n.role for n in head.children] == [Role.HEAD_POOL, Role.HEAD_FLATTEN, Role.HEAD_FC]
    assert head.children[1].input_shape == (1, 512, 1, 1)
    assert head.children[1].output_shape == (1, 512)


def _hooks(model: torch.nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())


def test_capture_removes_hooks_and_restores_every_mode() -> None:
    with torch.device("meta"):
        import torchvision

        model = torchvision.models.resnet18()
    model.train()
    model.layer2.eval()  # a mixed state must come back exactly, not just the root's flag
    before = [m.training for m in model.modules()]
    capture_structure(model, (1, 3, 64, 64))
    assert _hooks(model) == 0
    assert [m.training for m in model.modules()] == before


def test_capture_cleans_up_when_the_forward_fails() -> None:
    with torch.device("meta"):
        import torchvision

        model = torchvision.models.resnet18()
    model.train()
    with pytest.raises(InspectError, match="failed in conv1") as failure:
        capture_structure(model, (1, 4, 64, 64))  # four channels: the stem conv refuses
    assert isinstance(failure.value.__cause__, RuntimeError)
    assert _hooks(model) == 0
    assert all(m.training for m in model.modules())


def test_big_inputs_cost_nothing_on_the_meta_device() -> None:
    report = inspect_tree("resnet152", (64, 3, 512, 512))
    assert report.shape_pass_device == "meta"
    assert report.totals.activation_bytes > 20 * 2**30  # would not fit this machine for real
    assert report.sections[-1].output_shape == (64, 1000)


def test_shape_pass_stand_ins_are_undone() -> None:
    """The meta build skips nn.init and the pass stands in for BatchNorm: both put back."""
    from resnet_inspect.capture.models.torchvision import build_model

    initialisers = {name: getattr(torch.nn.init, name) for name in ("kaiming_normal_", "uniform_")}
    model = build_model("resnet50", device="meta")
    assert {name: getattr(torch.nn.init, name) for name in initialisers} == initialisers
    capture_structure(model, (1, 3, 64, 64))
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert norms and all("forward" not in vars(m) for m in norms)


def test_cpu_models_are_still_initialised() -> None:
    from resnet_inspect.capture.models.torchvision import build_model

    torch.manual_seed(0)
    model = build_model("resnet18", device="cpu")
    torch.manual_seed(0)
    reference = torchvision.models.resnet18()
    theirs = reference.state_dict()
    assert list(model.state_dict()) == list(theirs)
    for name, ours in model.state_dict().items():
        assert torch.equal(ours, theirs[name]), name
