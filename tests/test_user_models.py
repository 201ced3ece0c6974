"""The ResNets people train, through every command, against independent references.

Each variant of ``user_models`` is inspected with ``--model`` (or handed to the library as
a module) and its numbers are checked against plain computations on the real CPU model:
``sum(p.numel())``, a forward-hook pass, ``FlopCounterMode``, and the step as a plain script.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
import torchvision
from torch.utils.flop_counter import FlopCounterMode
from typer.testing import Result

import user_models
from conftest import leaf_call_shapes
from resnet_inspect import freeze, graph, inspect_tree, train_step
from resnet_inspect.anatomy import ARCHITECTURES, Role
from resnet_inspect.capture.models.infer import build_inferred, infer_config
from resnet_inspect.config import FreezeOptions
from resnet_inspect.report import Level

Run = Callable[..., Result]
MODELS = Path(user_models.__file__)
# name -> input shape (batch 2: train-mode BatchNorm needs more than one value per channel)
VARIANTS = {
    "cifar_resnet18": (2, 3, 32, 32),
    "one_channel_resnet18": (2, 1, 64, 64),
    "dropout_head_resnet18": (2, 3, 64, 64),
    "tiny_resnet": (2, 3, 64, 64),
    "dilated_resnet50": (2, 3, 64, 64),
    "cifar_from_scratch": (2, 3, 32, 32),
}


def spec(name: str) -> str:
    return f"{MODELS}:{name}"


def real(name: str) -> torch.nn.Module:
    torch.manual_seed(0)
    model: torch.nn.Module = getattr(user_models, name)()
    return model.eval()


@pytest.fixture(scope="module", params=[*VARIANTS, "module instance"])
def variant(request: pytest.FixtureRequest) -> tuple[str, tuple[int, ...], object]:
    """(name, input shape, what to pass as model=): a spec string, or a module itself."""
    if request.param == "module instance":
        return "cifar_from_scratch", VARIANTS["cifar_from_scratch"], real("cifar_from_scratch")
    return request.param, VARIANTS[request.param], spec(request.param)


def test_tree_counts_shapes_and_flops_equal_independent_ones(variant: tuple) -> None:
    name, shape, model_arg = variant
    report = inspect_tree(input_shape=shape, model=model_arg)
    model = real(name)
    assert report.totals.params == sum(p.numel() for p in model.parameters())
    calls = [(n.name, n.output_shape) for n in report.leaves() if n.module_call]
    assert calls == leaf_call_shapes(model, torch.zeros(shape))
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.zeros(shape))
    assert report.totals.flops == counter.get_total_flops()
    assert report.sections[-1].output_shape == tuple(model(torch.zeros(shape)).shape)


def test_tree_finds_four_stages_and_a_residual_add_in_every_block(variant: tuple) -> None:
    name, shape, model_arg = variant
    report = inspect_tree(input_shape=shape, model=model_arg)
    assert [s.role for s in report.sections] == [Role.STEM, *[Role.STAGE] * 4, Role.HEAD]
    blocks = [n for n in report.nodes() if n.level is Level.BLOCK]
    expected_blocks = sum(
        len(stage) for stage in (getattr(real(name), f"layer{i}") for i in range(1, 5))
    )
    assert len(blocks) == expected_blocks
    for block in blocks:
        roles = [child.role for child in block.children]
        assert roles.count(Role.RESIDUAL_ADD) == 1
        assert roles[-1] is Role.BLOCK_RELU_OUT
    assert [n.role for n in report.leaves()].count(Role.HEAD_FC) == 1


def test_the_from_scratch_models_functions_are_rows_where_they_run() -> None:
    report = inspect_tree(input_shape=(2, 3, 32, 32), model=spec("cifar_from_scratch"))
    stem, head = report.sections[0], report.sections[-1]
    assert [(n.name, n.kind, n.module_call) for n in stem.children][-1] == ("relu", "relu", False)
    assert [n.role for n in head.children] == [Role.HEAD_POOL, Role.HEAD_FLATTEN, Role.HEAD_FC]
    block = report.sections[2].children[0]  # layer2.0: its shortcut projects
    assert block.setting("shortcut") == "projection"
    relus = [n for n in block.children if n.kind == "relu"]
    assert [n.role for n in relus] == [Role.BRANCH_RELU, Role.BLOCK_RELU_OUT]
    assert report.sections[1].children[0].setting("shortcut") == "identity"  # empty Sequential


def test_train_step_equals_a_plain_script_with_the_same_seed(variant: tuple) -> None:
    name, shape, model_arg = variant
    report = train_step(input_shape=shape, seed=0, model=model_arg)
    torch.manual_seed(0)
    model = real(name) if isinstance(model_arg, str) else _copy(model_arg)
    if isinstance(model_arg, str):  # the factory is called under the seed, as the tool does
        torch.manual_seed(0)
        model = getattr(user_models, name)()
    model.train()
    classes = [m for m in model.modules() if isinstance(m, torch.nn.Linear)][-1].out_features
    data = torch.rand(shape)
    labels = torch.rand(shape[0], classes)  # drawn before the forward, whose Dropout draws too
    loss = (model(data) - labels).sum()
    loss.backward()
    assert report.step is not None
    assert report.step.loss == pytest.approx(loss.item(), rel=1e-5)
    expected = {n: p.grad.norm().item() for n, p in model.named_parameters() if p.grad is not None}
    got = {p.name: p.grad_norm for node in report.leaves() for p in node.parameters}
    assert got.keys() == expected.keys()
    for key, norm in expected.items():
        assert got[key] == pytest.approx(norm, rel=1e-4, abs=1e-6), key


def _copy(model: object) -> torch.nn.Module:
    import copy

    assert isinstance(model, torch.nn.Module)
    return copy.deepcopy(model)


def test_freeze_trains_exactly_the_new_head(variant: tuple) -> None:
    name, shape, model_arg = variant
    report = freeze(input_shape=shape, options=FreezeOptions(new_classes=3), model=model_arg)
    head = [m for m in real(name).modules() if isinstance(m, torch.nn.Linear)][-1]
    assert report.totals.trainable_params == head.in_features * 3 + 3
    assert report.freeze is not None and report.freeze.holds
    assert report.freeze.head_in_features == head.in_features
    assert report.num_classes == 3


def test_graph_has_a_leaf_per_parameter_and_only_the_heads_when_frozen(variant: tuple) -> None:
    name, shape, model_arg = variant
    report = graph(input_shape=shape, new_classes=4, model=model_arg)
    tensors = len(list(real(name).parameters()))
    assert report.unfrozen_summary is not None
    assert len(report.unfrozen_summary.leaves) == tensors
    assert len(report.summary.leaves) == 2  # frozen: only the new head's weight and bias
    assert [g.role for g in report.sections] == [Role.HEAD, Role.LOSS]
    whole = graph(input_shape=shape, model=model_arg)
    assert [g.role for g in whole.sections] == [Role.STEM, *[Role.STAGE] * 4, Role.HEAD, Role.LOSS]


def test_a_module_given_to_the_library_is_left_as_it_was() -> None:
    model = real("tiny_resnet").train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    train_step(input_shape=(2, 3, 64, 64), model=model)
    freeze(input_shape=(2, 3, 64, 64), model=model, options=FreezeOptions(new_classes=2))
    graph(input_shape=(2, 3, 64, 64), model=model, new_classes=2)
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert all(m.training for m in model.modules())
    assert all(p.requires_grad for p in model.parameters())
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())


def test_a_factory_that_needs_values_is_built_on_the_cpu_and_says_so(run_cli: Run) -> None:
    report = inspect_tree(model=spec("loads_a_file"))
    assert report.model.built_on == "cpu"
    assert "meta" in report.model.note
    assert report.totals.params == sum(p.numel() for p in real("loads_a_file").parameters())
    result = run_cli(["tree", "--model", spec("loads_a_file")], width=200)
    assert "built on the CPU" in result.stdout


def test_cli_model_runs_every_command(run_cli: Run) -> None:
    for args in (
        ["tree"],
        ["train-step"],
        ["freeze", "--new-classes", "3", "--unfreeze", "layer4"],
        ["graph", "--new-classes", "3"],
    ):
        result = run_cli(
            [*args, "--model", spec("cifar_from_scratch"), "--input", "2,3,32,32", "--json"]
        )
        assert result.exit_code == 0, (args, result.stderr)
        data = json.loads(result.stdout)
        assert data["model"]["kind"] == "user"
        assert data["arch"] == spec("cifar_from_scratch")


def test_package_module_specs_import_from_the_working_directory(
    run_cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(MODELS.parent)
    result = run_cli(["tree", "--model", "user_models:tiny_resnet", "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["num_classes"] == 7


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["--model", "missing.py:build"], 2, "no such file missing.py"),
        (["--model", "models.py"], 2, "expected FILE.py:NAME"),
        (["--model", "no_such_module_here:build"], 2, "no module named no_such_module_here"),
        (["--model", spec("nope")], 2, "has no nope; it defines"),
        (["--model", spec("not_a_model")], 2, "(of type int) is neither an nn.Module"),
        (["--model", spec("needs_arguments")], 2, "needs arguments (depth)"),
        (["--model", spec("returns_a_tuple")], 1, "returned a tuple, not an nn.Module"),
        (["--model", spec("raises")], 1, "raises() raised RuntimeError: the weights server"),
        (["--model", spec("not_a_resnet")], 2, "no stage of residual blocks found"),
        (["--model", spec("tiny_resnet"), "--arch", "resnet18"], 2, "cannot go together"),
        (["--model", spec("tiny_resnet"), "--weights", "DEFAULT"], 2, "belongs to an --arch"),
        (
            ["--model", spec("tiny_resnet"), "--input", "1,1,64,64"],
            2,
            "first conv (conv1) takes 3 channels",
        ),
        (["--input", "1,1,64,64"], 2, "C is 1"),  # a stock --arch: refused before torch
    ],
)
def test_bad_models_are_one_line(run_cli: Run, args: list[str], code: int, fragment: str) -> None:
    result = run_cli(["tree", *args])
    assert result.exit_code == code, result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("source", "code", "fragment"),
    [
        ("def build(:\n", 1, "syntax error"),
        ("import not_installed_anywhere\n", 1, "ModuleNotFoundError"),
    ],
)
def test_user_code_that_fails_to_import_is_one_line(
    run_cli: Run, tmp_path: Path, source: str, code: int, fragment: str
) -> None:
    path = tmp_path / "broken.py"
    path.write_text(source)
    result = run_cli(["tree", "--model", f"{path}:build"])
    assert result.exit_code == code
    assert len(result.stderr.splitlines()) == 1 and fragment in result.stderr


# --- checkpoints that say what they are ---------------------------------------------------


def _shapes(state: dict[str, torch.Tensor]) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in state.items()}


def _meta(builder: Callable[[], torch.nn.Module]) -> torch.nn.Module:
    with torch.device("meta"):
        return builder()


INFERABLE = [
    *[(arch, getattr(torchvision.models, arch)) for arch in ARCHITECTURES],
    *[
        (name, getattr(user_models, name))
        for name in (
            "cifar_resnet18",
            "one_channel_resnet18",
            "dropout_head_resnet18",
            "tiny_resnet",
            "dilated_resnet50",
        )
    ],
]


@pytest.mark.parametrize(("name", "builder"), INFERABLE, ids=[n for n, _ in INFERABLE])
def test_the_inferred_model_has_the_originals_keys_and_shapes(
    name: str, builder: Callable[[], torch.nn.Module]
) -> None:
    original = _shapes(_meta(builder).state_dict())
    config = infer_config(_meta(builder).state_dict(), name)
    assert _shapes(build_inferred(config, "meta").state_dict()) == original
    if name in ARCHITECTURES:
        assert config.name == name


@pytest.fixture(scope="module")
def tiny_state() -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    return user_models.tiny_resnet().state_dict()


WRAPPINGS: dict[str, Callable[[dict[str, torch.Tensor]], object]] = {
    "bare": lambda s: s,
    "DDP module.": lambda s: {f"module.{k}": v for k, v in s.items()},
    "torch.compile _orig_mod.": lambda s: {f"_orig_mod.{k}": v for k, v in s.items()},
    "compiled under DDP": lambda s: {f"module._orig_mod.{k}": v for k, v in s.items()},
    "Lightning": lambda s: {"state_dict": {f"model.{k}": v for k, v in s.items()}, "epoch": 3},
    "model_state_dict": lambda s: {"model_state_dict": s, "optimizer": {}},
    "net": lambda s: {"net": s},
    "model": lambda s: {"model": s},
}


@pytest.mark.parametrize("wrapping", WRAPPINGS)
def test_a_checkpoint_alone_is_inspected_as_the_model_it_came_from(
    run_cli: Run, tmp_path: Path, tiny_state: dict[str, torch.Tensor], wrapping: str
) -> None:
    path = tmp_path / "tiny.pth"
    torch.save(WRAPPINGS[wrapping](tiny_state), path)
    result = run_cli(["tree", "--weights", str(path), "--json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["model"]["kind"] == "inferred"
    assert data["model"]["inferred"]["blocks_per_stage"] == [1, 1, 1, 1]
    assert data["num_classes"] == 7
    assert data["totals"]["params"] == sum(
        v.numel() for k, v in tiny_state.items() if "running" not in k and "num_batches" not in k
    )


def test_an_inferred_checkpoint_steps_with_its_own_weights(
    tmp_path: Path, tiny_state: dict[str, torch.Tensor]
) -> None:
    path = tmp_path / "tiny.pth"
    torch.save({f"module.{k}": v for k, v in tiny_state.items()}, path)
    report = train_step(input_shape=(2, 3, 64, 64), weights=str(path))
    conv1 = next(p for n in report.leaves() for p in n.parameters if p.name == "conv1.weight")
    assert conv1.param_norm == pytest.approx(tiny_state["conv1.weight"].norm().item(), rel=1e-6)


def test_the_header_says_what_was_inferred_and_what_was_assumed(
    run_cli: Run, tmp_path: Path
) -> None:
    path = tmp_path / "cifar.pth"
    torch.save(user_models.cifar_resnet18().state_dict(), path)
    result = run_cli(["tree", "--weights", str(path), "--input", "2,3,32,32"], width=200)
    assert result.exit_code == 0, result.stderr
    assert "inferred from the checkpoint: block BasicBlock" in result.stdout
    assert "stem_kernel 3" in result.stdout
    assert "assumed, as a state_dict cannot hold it: stem_stride 1, max_pool no" in result.stdout


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ({}, "does not hold a state_dict"),
        ({"features.0.weight": torch.zeros(3)}, "is not a ResNet checkpoint"),
        ({"conv1.weight": torch.zeros(64, 3, 7, 7)}, "found conv1.weight"),
    ],
)
def test_a_state_dict_that_is_no_resnet_is_one_line(
    run_cli: Run, tmp_path: Path, content: dict[str, torch.Tensor], fragment: str
) -> None:
    path = tmp_path / "other.pth"
    torch.save(content, path)
    result = run_cli(["tree", "--weights", str(path)])
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1 and fragment in result.stderr
