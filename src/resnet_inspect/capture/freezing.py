"""The tutorial's fine-tuning recipe, applied to any ResNet on any device."""

from __future__ import annotations

import difflib

import torch

from resnet_inspect.config import FreezeOptions
from resnet_inspect.errors import InspectError, OptionError


def classifier_name(model: torch.nn.Module) -> str:
    """The model's classifier: what timm's ``pretrained_cfg`` names (BiT's is a 1×1 conv,
    ``head.fc``), else the last Linear (``fc``, ``fc.1``, ``linear``); "" where it has none."""
    named = str(getattr(model, "pretrained_cfg", {}).get("classifier", "") or "")
    if named and isinstance(_module(model, named), torch.nn.Linear | torch.nn.Conv2d):
        return named
    names = [str(name) for name, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
    return names[-1] if names else ""


def head_linear(model: torch.nn.Module) -> str:
    """The classifier a new head replaces (see ``classifier_name``)."""
    name = classifier_name(model)
    if not name:
        raise InspectError(
            "the model has no classifier to replace with a new head: no Linear layer, and "
            "no 1×1 conv named as the classifier"
        )
    return name


def _module(model: torch.nn.Module, name: str) -> torch.nn.Module | None:
    try:
        return model.get_submodule(name)
    except AttributeError:
        return None


def replace_head(model: torch.nn.Module, classes: int) -> None:
    """The classifier becomes one of ``classes`` outputs, of the same kind (a Linear, or a 1×1
    conv); the rest of the head stays.

    Created on the old head's device and in its dtype (a half-precision model gets a
    half-precision head); on the CPU its initialisation draws from the global RNG, as the
    tutorial's new ``fc`` does.
    """
    name = head_linear(model)
    old = model.get_submodule(name)
    weight = next(old.parameters())
    new: torch.nn.Module
    with torch.device(weight.device):
        bias = old.bias is not None
        if isinstance(old, torch.nn.Conv2d):  # a conv classifier stays one, of N outputs
            new = torch.nn.Conv2d(old.in_channels, classes, 1, bias=bias, dtype=weight.dtype)
        else:
            assert isinstance(old, torch.nn.Linear)
            new = torch.nn.Linear(old.in_features, classes, bias=bias, dtype=weight.dtype)
    parent, _, leaf = name.rpartition(".")
    setattr(model.get_submodule(parent), leaf, new)  # set_submodule is torch 2.5+


def check_unfreeze(model: torch.nn.Module, names: tuple[str, ...]) -> None:
    """Every name a module that holds parameters, or a parameter the model really has."""
    modules = dict(model.named_modules())
    parameters = dict(model.named_parameters())
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise OptionError(f"--unfreeze names {name!r} twice")
        seen.add(name)
        if name in parameters:
            continue
        if name not in modules:
            stages = ", ".join(n for n, _ in model.named_children())
            close = difflib.get_close_matches(name, list(modules), n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            deep = next(reversed(parameters), "")  # the model's own names as examples
            layer = deep.rpartition(".")[0]
            raise OptionError(
                f"--unfreeze {name!r} is neither a module nor a parameter of the model; {hint}"
                f"name a top-level part ({stages}), a deeper module such as {layer}, or a "
                f"parameter such as {deep}"
            )
        if not any(True for _ in modules[name].parameters()):
            raise OptionError(f"--unfreeze {name!r} holds no parameters: nothing to keep trainable")


def freeze_backbone(model: torch.nn.Module, options: FreezeOptions) -> None:
    """Every parameter ``requires_grad=False``, a new head, then the named parts trainable again.

    As in the tutorial, the new head is created after the freeze, so it is trainable.
    """
    check_unfreeze(model, options.unfreeze)
    for param in model.parameters():
        param.requires_grad = False
    replace_head(model, options.new_classes)
    parameters = dict(model.named_parameters())
    for name in options.unfreeze:
        targets = (
            [parameters[name]] if name in parameters else model.get_submodule(name).parameters()
        )
        for param in targets:
            param.requires_grad = True


def frozen_batchnorms(model: torch.nn.Module) -> tuple[str, ...]:
    """BatchNorm layers whose parameters are all frozen: the ones ``--bn-eval`` puts in eval."""
    return tuple(
        name
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm)
        and not any(p.requires_grad for p in module.parameters())
    )


def put_in_eval(model: torch.nn.Module, names: tuple[str, ...]) -> None:
    """Eval mode for these modules only: their running statistics stop moving."""
    for name in names:
        model.get_submodule(name).eval()
