"""One rule per fact across commands, and the user's model taken as it is (issue #28, items
7, 13 and 14): a model's own dtype, a model that trains nothing, a model on meta, and the
user's own hooks, each against a plain PyTorch computation or in the tool's words."""

from __future__ import annotations

import pytest
import torch
import torchvision

from conftest import real_saved_bytes
from resnet_inspect import InspectError, freeze, graph, inspect_tree, plan, train_step
from resnet_inspect.config import FreezeOptions

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
