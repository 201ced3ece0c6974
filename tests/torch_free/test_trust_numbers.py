"""cam --trust's verdicts print their numbers on the side of the comparison they state: a
Spearman just under the threshold never reads as the threshold, and an area said to beat a
baseline's never prints equal to it."""

from __future__ import annotations

import re

from resnet_inspect.report.trust import Curve, Estimate, RandomisedStage, Trust
from resnet_inspect.views.trust import verdicts
from resnet_inspect.words import Lang

THRESHOLD = 0.5


def one(mean: float) -> Estimate:
    return Estimate(mean=mean, low=None, high=None, count=1)


def curve(name: str, deletion: float, insertion: float) -> Curve:
    return Curve(
        map=name,
        deletion=(1.0, 0.0),
        insertion=(0.0, 1.0),
        deletion_auc=one(deletion),
        insertion_auc=one(insertion),
    )


def trust(cascade: list[float], other: float, deletion: list[float]) -> Trust:
    stages = ["head", "layer4", "layer3"]
    randomised = tuple(
        RandomisedStage(stage=s, spearman=one(r), ssim=one(0.3), grid=((0.0,),))
        for s, r in zip(stages, cascade, strict=True)
    )
    own, *baselines = deletion
    return Trust(
        layer="layer4",
        images=1,
        trained=True,
        reinitialised="own_init",
        seed=0,
        randomised=randomised,
        changes_from=next((s.stage for s in randomised if s.spearman.mean < THRESHOLD), ""),  # type: ignore[operator]
        other_class=3,
        other_class_name="",
        other_spearman=one(other),
        other_ssim=one(0.2),
        class_sensitive=other < THRESHOLD,
        blur_sigma=5.0,
        blur_kernel=11,
        steps=10,
        curves=(
            curve("Grad-CAM", own, 0.9),
            *(curve(f"baseline {k}", d, 0.1) for k, d in enumerate(baselines)),
        ),
        deletion_beats_baselines=all(own < d for d in baselines),
        insertion_beats_baselines=True,
        threshold=THRESHOLD,
    )


def numbers(sentence: str) -> list[float]:
    return [float(n) for n in re.findall(r"\d+\.\d+(?:e-?\d+)?", sentence)]


def test_a_spearman_just_under_the_threshold_is_printed_under_it() -> None:
    found = verdicts(trust([0.9, 0.49996, 0.1], other=0.49999, deletion=[0.1, 0.2]), Lang.EN)
    (changed, changes), (sensitive, class_sentence), _ = found
    assert changed and "layer4" in changes
    assert numbers(changes) and all(n < THRESHOLD for n in numbers(changes))
    assert sensitive and all(n < THRESHOLD for n in numbers(class_sentence))


def test_a_spearman_at_the_threshold_is_printed_as_it() -> None:
    found = verdicts(trust([0.9, 0.5, 0.5], other=0.50001, deletion=[0.1, 0.2]), Lang.EN)
    (changed, never), (sensitive, class_sentence), _ = found
    assert not changed and numbers(never) == [0.5]
    assert not sensitive and all(n >= THRESHOLD for n in numbers(class_sentence))


def test_an_area_said_to_beat_a_baseline_never_prints_equal_to_it() -> None:
    found = verdicts(trust([0.9, 0.1, 0.1], other=0.1, deletion=[0.12341, 0.12346]), Lang.EN)
    faithful, sentence = found[-1]
    assert faithful
    own, baseline = numbers(sentence)[:2]
    assert own < baseline
