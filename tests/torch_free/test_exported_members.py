"""The public surface: the names ``resnet_inspect`` exports change only on purpose."""

from __future__ import annotations

import resnet_inspect

EXPORTED = {
    "CamReport",
    "DiffReport",
    "ErfReport",
    "FreezeOptions",
    "GraphReport",
    "ImageOptions",
    "ArgumentError",
    "InspectError",
    "LayerReport",
    "LossKind",
    "ModelReport",
    "OptimizerKind",
    "OptionError",
    "PlanReport",
    "Precision",
    "Preparation",
    "PredictReport",
    "StepOptions",
    "__version__",
    "cam",
    "diff",
    "erf",
    "freeze",
    "graph",
    "inspect_tree",
    "json_schema",
    "plan",
    "predict",
    "report_from_dict",
    "run",
    "train_step",
}


def test_the_exported_names_are_pinned() -> None:
    assert set(resnet_inspect.__all__) == EXPORTED


def test_every_exported_name_resolves() -> None:
    for name in EXPORTED:
        assert getattr(resnet_inspect, name) is not None, name
    assert resnet_inspect.ModelReport is resnet_inspect.LayerReport  # the name before 0.2
