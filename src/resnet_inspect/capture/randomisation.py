"""Cascading model-parameter randomisation (Adebayo et al., "Sanity Checks for Saliency
Maps", NeurIPS 2018): the model's learned weights are replaced by freshly initialised ones
one section at a time, from the head down to the stem, cumulatively.

The sections are the ones the structure pass found from what ran (never from names): the
head (what ran after the last stage), each residual stage from the last to the first, and
the stem. A section is re-initialised as the model initialises itself: its parameters and
buffers are copied from a fresh model built under the seed (for a torchvision, timm,
inferred or user-code model); a model handed over as an instance, whose initialisation is
not known, has each module's own ``reset_parameters()`` (and ``reset_running_stats()``)
run instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch

from resnet_inspect.records import Layout, within


@dataclass(frozen=True)
class Section:
    name: str  # "head", "layer4", …, "stem"
    modules: tuple[str, ...]  # the modules re-initialised with it


def cascade(layout: Layout, model: torch.nn.Module) -> tuple[Section, ...]:
    """The sections in the order they are re-initialised: head, last stage … first, stem;
    those without parameters or buffers (a head that only pools) are left out."""
    sections = [
        Section("head", layout.head),
        *(Section(stage, (stage,)) for stage in reversed(layout.stages)),
        Section("stem", layout.stem),
    ]
    owned = [name for name, _ in (*model.named_parameters(), *model.named_buffers())]
    return tuple(
        section for section in sections if any(_owned_by(key, section.modules) for key in owned)
    )


def _owned_by(key: str, modules: tuple[str, ...]) -> bool:
    module = key.rpartition(".")[0]
    return any(within(module, name) for name in modules)


def fresh_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A freshly built model's parameters and buffers, by name."""
    return {key: value.detach() for key, value in model.state_dict().items()}


def reinitialise(
    model: torch.nn.Module, section: Section, fresh: Mapping[str, torch.Tensor] | None
) -> None:
    """Re-initialise one section of ``model`` in place: from ``fresh`` (a fresh model's
    state) where given, else by each of its modules' own reset methods."""
    with torch.no_grad():
        if fresh is not None:
            for key, value in model.state_dict(keep_vars=True).items():
                if _owned_by(key, section.modules):
                    value.copy_(fresh[key])
            return
        for name, module in model.named_modules():
            if not any(within(name, owner) for owner in section.modules):
                continue
            for method in ("reset_parameters", "reset_running_stats"):
                reset = getattr(module, method, None)
                if callable(reset):
                    reset()
