"""resnet-inspect: see what a ResNet is and what training steps do to it.

The library is one function per command, each returning a report: plain frozen dataclasses
that draw themselves in rich and Jupyter, and ``to_dict()`` to what ``--json`` prints.
Importing this package is cheap; torch is imported when a function runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = [
    "ArgumentError",
    "CamReport",
    "DiffReport",
    "ErfReport",
    "FreezeOptions",
    "GraphReport",
    "ImageOptions",
    "InspectError",
    "LayerReport",
    "LossKind",
    "ModelReport",
    "OptimizerKind",
    "OptionError",
    "PlanReport",
    "Precision",
    "PredictReport",
    "Preparation",
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
]

if TYPE_CHECKING:
    from resnet_inspect.api import (
        cam,
        diff,
        erf,
        freeze,
        graph,
        inspect_tree,
        plan,
        predict,
        run,
        train_step,
    )
    from resnet_inspect.commands import report_from_dict
    from resnet_inspect.config import (
        FreezeOptions,
        ImageOptions,
        LossKind,
        OptimizerKind,
        Precision,
        Preparation,
        StepOptions,
    )
    from resnet_inspect.errors import ArgumentError, InspectError, OptionError
    from resnet_inspect.report import (
        CamReport,
        DiffReport,
        ErfReport,
        GraphReport,
        LayerReport,
        ModelReport,
        PlanReport,
        PredictReport,
    )
    from resnet_inspect.report.document import json_schema

# Where each public name lives; loaded on first use, so `import resnet_inspect` stays light.
_HOMES = {
    "cam": "api",
    "diff": "api",
    "erf": "api",
    "freeze": "api",
    "graph": "api",
    "inspect_tree": "api",
    "plan": "api",
    "predict": "api",
    "run": "api",
    "train_step": "api",
    "ArgumentError": "errors",
    "InspectError": "errors",
    "OptionError": "errors",
    "FreezeOptions": "config",
    "ImageOptions": "config",
    "Precision": "config",
    "Preparation": "config",
    "LossKind": "config",
    "OptimizerKind": "config",
    "StepOptions": "config",
    "CamReport": "report",
    "DiffReport": "report",
    "ErfReport": "report",
    "GraphReport": "report",
    "LayerReport": "report",
    "ModelReport": "report",
    "PlanReport": "report",
    "PredictReport": "report",
    "report_from_dict": "commands",
    "json_schema": "report.document",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        from importlib import import_module

        return getattr(import_module(f"resnet_inspect.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'resnet_inspect' has no attribute {name!r}")
