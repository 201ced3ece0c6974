"""``cam --trust``: can a Grad-CAM map be trusted to show what the model learned?

For a batch of images and one layer: the map after each step of cascading randomisation
(the same class, the trained map compared by Spearman and SSIM), the map of a class drawn
at random from the others (Sixt et al., "When Explanations Lie", ICML 2020), and the
deletion and insertion curves of the map and its two baselines. The model is changed in
place by the cascade and given its trained weights back before this returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch

from resnet_inspect.capture.cam import CamPass, as_grid, cam_pass, upsampled
from resnet_inspect.capture.faithfulness import STEPS, baseline_maps, curves
from resnet_inspect.capture.randomisation import Section, reinitialise
from resnet_inspect.capture.similarity import spearman, ssim
from resnet_inspect.records import RandomisedRecord, TrustRecord


@dataclass
class TrustSetup:
    layer: str  # the layer whose map is checked
    sections: tuple[Section, ...]  # the cascade, head first
    fresh: Mapping[str, torch.Tensor] | None  # a fresh model's state; None: reset methods
    classes: int
    seed: int
    trained: bool = True  # False: random weights, which have learned nothing to show
    reinitialised: str = "own_init"  # or "reset_parameters" (fresh is None)
    steps: int = STEPS

    def __post_init__(self) -> None:
        # One stream of other classes for the whole run, image after image.
        self.draws = torch.Generator().manual_seed(self.seed)


def trust_batch(
    model: torch.nn.Module,
    data: torch.Tensor,
    targets: Sequence[int],
    heats: torch.Tensor,
    setup: TrustSetup,
    passed: CamPass | None = None,
) -> list[TrustRecord]:
    """The checks of each image of ``data`` (N×C×H×W) whose map for ``targets[i]`` at the
    layer is ``heats[i]`` (H×W, the largest 1). ``passed``: the forward those maps came
    from, its graph kept, which the other classes' maps are taken from too."""
    size = (int(data.shape[-2]), int(data.shape[-1]))
    others = [_other_class(target, setup) for target in targets]
    passed = passed if passed is not None else cam_pass(model, data, [setup.layer])
    # A backward without keep: autograd frees the graph's buffers before the curves' forwards.
    other_heats = upsampled(passed.maps(others)[setup.layer], size)
    baselines = baseline_maps(size, setup.seed)
    faithfulness = [
        curves(model, image, target, {"Grad-CAM": heat, **baselines}, setup.steps)
        for image, target, heat in zip(data, targets, heats, strict=True)
    ]
    cascade = _cascade(model, data, targets, heats, setup)
    return [
        TrustRecord(
            randomised=tuple(step[i] for step in cascade),
            other_class=others[i],
            other_spearman=spearman(heats[i], other_heats[i]),
            other_ssim=ssim(heats[i], other_heats[i]),
            curves=faithfulness[i],
        )
        for i in range(len(targets))
    ]


def _other_class(target: int, setup: TrustSetup) -> int:
    drawn = int(torch.randint(setup.classes - 1, (1,), generator=setup.draws))
    return drawn + (drawn >= target)


def _cascade(
    model: torch.nn.Module,
    data: torch.Tensor,
    targets: Sequence[int],
    heats: torch.Tensor,
    setup: TrustSetup,
) -> list[list[RandomisedRecord]]:
    size = (int(data.shape[-2]), int(data.shape[-1]))
    trained = {key: value.clone() for key, value in model.state_dict().items()}
    steps: list[list[RandomisedRecord]] = []
    try:
        for section in setup.sections:
            reinitialise(model, section, setup.fresh)
            cams = cam_pass(model, data, [setup.layer]).maps(targets)[setup.layer]
            after = upsampled(cams, size)
            steps.append(
                [
                    RandomisedRecord(
                        stage=section.name,
                        spearman=spearman(heats[i], after[i]),
                        ssim=ssim(heats[i], after[i]),
                        grid=as_grid(cams[i]),
                    )
                    for i in range(len(targets))
                ]
            )
    finally:
        model.load_state_dict(trained)
    return steps
