"""The tutorial's fine-tuning recipe, applied to a model on any device."""

from __future__ import annotations

import torch

from resnet_inspect.options import FreezeOptions


def freeze_backbone(model: torch.nn.Module, options: FreezeOptions) -> None:
    """Every parameter ``requires_grad=False``, a new ``fc``, then the named parts trainable again.

    As in the tutorial, the new head is created after the freeze, so it is trainable; on a
    CPU model its initialisation draws from the global RNG, as the tutorial's does.
    """
    for param in model.parameters():
        param.requires_grad = False
    old_head = model.get_submodule("fc")
    assert isinstance(old_head, torch.nn.Linear)
    with torch.device(old_head.weight.device):
        model.fc = torch.nn.Linear(old_head.in_features, options.new_classes)
    for name in options.unfreeze:
        module, _, leaf = name.rpartition(".")
        if leaf in ("weight", "bias") and module and not _is_module(model, name):
            model.get_parameter(name).requires_grad = True
        else:
            for param in model.get_submodule(name).parameters():
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


def _is_module(model: torch.nn.Module, name: str) -> bool:
    try:
        model.get_submodule(name)
    except AttributeError:
        return False
    return True
