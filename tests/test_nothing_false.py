"""One rule per fact across commands, and the user's model taken as it is (issue #28, items
7, 13 and 14): a model's own dtype, a model that trains nothing, a model on meta, and the
user's own hooks, each against a plain PyTorch computation or in the tool's words."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
import torchvision
from typer.testing import Result

from conftest import real_saved_bytes
from resnet_inspect import InspectError, diff, freeze, graph, inspect_tree, plan, train_step
from resnet_inspect.config import FreezeOptions, LossKind, OptimizerKind, StepOptions
from resnet_inspect.errors import OptionError
from resnet_inspect.report import FlagKind, LayerReport

Run = Callable[..., Result]

SHAPE = (2, 3, 64, 64)


def half_resnet18() -> torch.nn.Module:
    torch.manual_seed(0)
    return torchvision.models.resnet18(num_classes=10).half()


@pytest.mark.parametrize("dtype", [torch.float16, torch.float64])
def test_every_command_sizes_a_model_in_its_own_dtype(dtype: torch.dtype) -> None:
    torch.manual_seed(0)
    model = torchvision.models.resnet18(num_classes=10).to(dtype)
    tree = inspect_tree(input_shape=SHAPE, model=model)
    size = torch.finfo(dtype).bits // 8
    assert tree.dtype == str(dtype).removeprefix("torch.")
    assert tree.totals.input_bytes == 2 * 3 * 64 * 64 * size
    saved = real_saved_bytes(model, SHAPE, 10, dtype)
    assert graph(input_shape=SHAPE, model=model).summary.saved_bytes == saved
    planned = plan(input_shape=SHAPE, new_classes=10, model=model)
    assert planned.rows[-1].saved_bytes == saved


def test_a_half_model_steps_in_half_precision_as_a_plain_script_does() -> None:
    model = half_resnet18().train()
    report = train_step(input_shape=SHAPE, model=model, seed=0)
    torch.manual_seed(0)  # a model given as an instance is copied, not built: no draws
    data = torch.rand(SHAPE, dtype=torch.float16)
    labels = torch.rand(SHAPE[0], 10, dtype=torch.float16)
    loss = (model(data) - labels).sum()
    assert report.step is not None
    assert report.step.loss == float(loss.detach())
    tuned = freeze(input_shape=SHAPE, model=half_resnet18(), options=FreezeOptions(new_classes=3))
    assert tuned.step is not None and tuned.num_classes == 3


def test_a_model_that_trains_nothing_is_one_sentence() -> None:
    model = torchvision.models.resnet18(num_classes=10)
    for param in model.parameters():
        param.requires_grad = False
    for command in (train_step, graph):
        with pytest.raises(InspectError, match="no parameter of the model trains"):
            command(input_shape=SHAPE, model=model)
    # freeze's new head trains whatever the model's flags say.
    assert freeze(input_shape=SHAPE, model=model, options=FreezeOptions(new_classes=3)).step


def test_a_model_on_meta_is_refused_for_a_real_step_and_taken_elsewhere() -> None:
    model = torchvision.models.resnet18().to("meta")
    with pytest.raises(InspectError, match="on the meta device, where tensors hold no values"):
        train_step(model=model)
    assert inspect_tree(model=model).totals.params == 11_689_512


def test_the_users_hooks_never_run_on_the_tools_meta_copies() -> None:
    calls: list[torch.Size] = []
    model = torchvision.models.resnet18(num_classes=10)
    model.layer4.register_forward_hook(lambda m, i, o: calls.append(o.detach().cpu().shape))
    inspect_tree(input_shape=SHAPE, model=model)
    graph(input_shape=SHAPE, model=model)
    plan(input_shape=SHAPE, new_classes=3, model=model)
    assert calls == []
    train_step(input_shape=SHAPE, model=model)  # a real step: the hook runs, once a forward
    assert calls == [torch.Size([2, 512, 2, 2])]
    model(torch.rand(SHAPE))  # and the user's own model still has it
    assert len(calls) == 2


def test_a_failing_user_hook_is_named_as_the_users() -> None:
    model = torchvision.models.resnet18(num_classes=10)

    def grab(module: torch.nn.Module, inputs: object, output: torch.Tensor) -> None:
        raise KeyError("feature store full")

    model.layer3.register_forward_hook(grab)
    with pytest.raises(
        InspectError, match=r"your own hook failed: .*grab \(forward hook on layer3"
    ):
        train_step(input_shape=SHAPE, model=model)


# The library validates as the command line does (item 17) ----------------------------------


def test_a_path_object_is_a_file_and_a_state_dict_is_refused_in_words(tmp_path: Path) -> None:
    torch.manual_seed(0)
    weights = tmp_path / "w.pth"
    torch.save(torchvision.models.resnet18().state_dict(), weights)
    assert diff(weights, weights).verdict.backbone_unchanged
    assert inspect_tree(weights=weights).weights.path == str(weights)
    with pytest.raises(TypeError, match="A is a state_dict; diff compares checkpoint files"):
        diff(torch.load(weights, weights_only=True), weights)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^A must be a path, .* not NoneType$"):
        diff(None, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"is a path; give 'file\.py:NAME'"):
        inspect_tree(model=weights)  # type: ignore[arg-type]


@pytest.mark.parametrize("shape", [(0, 3, 64, 64), (1, 3, -64, 64), (True, 3, 64, 64), (3, 64, 64)])
def test_the_library_refuses_the_shapes_the_command_line_refuses(shape: tuple[int, ...]) -> None:
    with pytest.raises((TypeError, OptionError), match="input_shape"):
        inspect_tree(input_shape=shape)


# A wrapper's own checkpoint (item 18) --------------------------------------------------------


class Wrapper(torch.nn.Module):
    """A training wrapper whose own names start with ``model.``."""

    def __init__(self) -> None:
        super().__init__()
        self.model = torchvision.models.resnet18(num_classes=10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)  # type: ignore[no-any-return]


def test_a_wrappers_checkpoint_fits_it_as_saved_and_the_header_says_so(tmp_path: Path) -> None:
    torch.manual_seed(0)
    saved = Wrapper()
    plain, parallel = tmp_path / "w.pth", tmp_path / "dp.pth"
    torch.save(saved.state_dict(), plain)
    torch.save({f"module.{k}": v for k, v in saved.state_dict().items()}, parallel)
    report = inspect_tree(model=Wrapper(), weights=str(plain))
    assert report.weights.keys == "kept model."
    assert "keys: as saved, model. included" in report.view(width=200).text()
    assert inspect_tree(model=Wrapper(), weights=str(parallel)).weights.keys == "removed module."
    stepped = train_step(model=Wrapper(), weights=str(plain), input_shape=SHAPE)
    assert stepped.step is not None
    # Loaded as saved: the step's first loss is the saved model's, by a plain script (an
    # instance is copied, not built, so the seed's first draws are the input's).
    model = Wrapper()
    model.load_state_dict(torch.load(plain, weights_only=True))
    torch.manual_seed(0)
    data, labels = torch.rand(SHAPE), torch.rand(SHAPE[0], 10)
    assert stepped.step.loss == float((model.train()(data) - labels).sum().detach())


# Words that are true (item 19) ---------------------------------------------------------------


def _flag_text(report: LayerReport) -> str:
    return " ".join(report.view(width=200).text().split())


def test_large_update_advice_fits_the_loss_and_the_optimizer() -> None:
    advice = "lower --lr, or a mean loss instead of a sum"
    cases = [
        (StepOptions(lr=5.0), True),
        (StepOptions(lr=5.0, loss=LossKind.CROSS_ENTROPY), False),
        (StepOptions(lr=5.0, optimizer=OptimizerKind.ADAM), False),
    ]
    for step, mean_helps in cases:
        text = _flag_text(train_step(step=step))
        assert "the step rewrites the weights: lower --lr" in text
        assert (advice in text) is mean_helps, step


def test_a_step_that_goes_non_finite_says_at_which_step() -> None:
    step = StepOptions(lr=1e4, steps=6)
    report = train_step(step=step)
    assert report.step is not None
    # The plain loop, same seed: where its loss first stops being finite.
    torch.manual_seed(0)
    model = torchvision.models.resnet18().train()
    data, labels = torch.rand(1, 3, 64, 64), torch.rand(1, 1000)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e4, momentum=0.9)
    losses = []
    for _ in range(6):
        optimizer.zero_grad()
        loss = (model(data) - labels).sum()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    first = next(i for i, value in enumerate(losses) if not math.isfinite(value))
    flag = next(f for f in report.flags if f.kind is FlagKind.LOSS_NOT_FINITE)
    assert first > 0 and flag.step == first + 1
    assert f"(from step {first + 1} of the run on)" in _flag_text(report)


def test_a_ratio_of_a_non_finite_norm_is_nan_not_na() -> None:
    model = torchvision.models.resnet18(num_classes=10)
    with torch.no_grad():
        model.layer4[1].conv2.weight[0, 0, 0, 0] = math.nan
    report = train_step(model=model, input_shape=SHAPE)
    node = next(n for n in report.leaves() if n.name == "layer4.1.conv2")
    assert node.step is not None and node.step.relative_update is not None
    assert math.isnan(node.step.relative_update)


def test_diffs_help_speaks_of_a_and_b(run_cli: Run) -> None:
    shown = run_cli(["diff", "--help"], width=100)
    assert shown.stdout.startswith("Usage: resnet-inspect diff [OPTIONS] A B")
    assert "--weights" not in shown.stdout


def test_cache_help_names_every_cached_command(run_cli: Run) -> None:
    from resnet_inspect.commands import commands

    shown = run_cli(["cache", "--help"], width=100)
    sentence = shown.stdout.split("\n\n")[1]  # the line under the usage
    named = {entry.name for entry in commands() if re.search(rf"\b{entry.name}\b", sentence)}
    assert named == {entry.name for entry in commands() if entry.caches}
    assert named >= {"tree", "graph", "plan"}


def test_the_readme_shows_output_not_placeholders() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    placeholders = re.findall(r"^\{[a-z_]+\}$", readme, flags=re.MULTILINE)
    assert placeholders == []
