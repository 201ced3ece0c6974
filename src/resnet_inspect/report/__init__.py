"""The one contract between capture and views: plain, frozen facts.

No torch, no formatting. Units are in the field names (``params``, ``macs``, ``bytes``);
states are enums. Views read these and never compute numbers; producers fill them and
never format strings. One module per command family, beside what every report shares
(``subject``) and the JSON contract generated from these types (``document``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from resnet_inspect.records.facts import (
        NO_SETTINGS,
        ChannelsLastSummary,
        DiffState,
        FieldAxis,
        FormatChange,
        ImagesSummary,
        ModelInfo,
        OpCount,
        ParamStat,
        PrecisionSummary,
        ReceptiveField,
        ScalerSummary,
        Setting,
        Settings,
        SettingValue,
        Shape,
        TensorDiff,
        WeightsInfo,
        ZeroGradients,
    )
    from resnet_inspect.report.diff import DiffNode, DiffReport, DiffVerdict
    from resnet_inspect.report.document import SCHEMA_VERSION
    from resnet_inspect.report.graph import (
        GraphGroup,
        GraphNode,
        GraphOp,
        GraphReport,
        GraphSummary,
        SavedTensor,
    )
    from resnet_inspect.report.images import (
        CamLayer,
        CamReport,
        ChannelMap,
        ErfReport,
        ImagePrediction,
        Prediction,
        PredictReport,
    )
    from resnet_inspect.report.layers import (
        DEAD_SHARE,
        Flag,
        FlagKind,
        Formula,
        FreezeState,
        FreezeSummary,
        LayerReport,
        Node,
        StepStats,
        StepSummary,
        Totals,
    )
    from resnet_inspect.report.plan import (
        KeepingLayer,
        KeptTensor,
        MemoryShare,
        PlanBreakdown,
        PlanReport,
        PlanRow,
        RowCheck,
    )
    from resnet_inspect.report.subject import Level, Report, Subject

    ModelReport = LayerReport  # the name before 0.2

# Each name's module, imported when the name is first asked for: a command drawing its
# report from the cache imports its own report types, not every command's.
_HOME = {
    "NO_SETTINGS": "resnet_inspect.records.facts",
    "ChannelsLastSummary": "resnet_inspect.records.facts",
    "DiffState": "resnet_inspect.records.facts",
    "FieldAxis": "resnet_inspect.records.facts",
    "FormatChange": "resnet_inspect.records.facts",
    "ImagesSummary": "resnet_inspect.records.facts",
    "ModelInfo": "resnet_inspect.records.facts",
    "OpCount": "resnet_inspect.records.facts",
    "ParamStat": "resnet_inspect.records.facts",
    "PrecisionSummary": "resnet_inspect.records.facts",
    "ReceptiveField": "resnet_inspect.records.facts",
    "ScalerSummary": "resnet_inspect.records.facts",
    "Setting": "resnet_inspect.records.facts",
    "Settings": "resnet_inspect.records.facts",
    "SettingValue": "resnet_inspect.records.facts",
    "Shape": "resnet_inspect.records.facts",
    "TensorDiff": "resnet_inspect.records.facts",
    "WeightsInfo": "resnet_inspect.records.facts",
    "ZeroGradients": "resnet_inspect.records.facts",
    "DiffNode": "resnet_inspect.report.diff",
    "DiffReport": "resnet_inspect.report.diff",
    "DiffVerdict": "resnet_inspect.report.diff",
    "SCHEMA_VERSION": "resnet_inspect.report.document",
    "GraphGroup": "resnet_inspect.report.graph",
    "GraphNode": "resnet_inspect.report.graph",
    "GraphOp": "resnet_inspect.report.graph",
    "GraphReport": "resnet_inspect.report.graph",
    "GraphSummary": "resnet_inspect.report.graph",
    "SavedTensor": "resnet_inspect.report.graph",
    "CamLayer": "resnet_inspect.report.images",
    "CamReport": "resnet_inspect.report.images",
    "ChannelMap": "resnet_inspect.report.images",
    "ErfReport": "resnet_inspect.report.images",
    "ImagePrediction": "resnet_inspect.report.images",
    "Prediction": "resnet_inspect.report.images",
    "PredictReport": "resnet_inspect.report.images",
    "DEAD_SHARE": "resnet_inspect.report.layers",
    "Flag": "resnet_inspect.report.layers",
    "FlagKind": "resnet_inspect.report.layers",
    "Formula": "resnet_inspect.report.layers",
    "FreezeState": "resnet_inspect.report.layers",
    "FreezeSummary": "resnet_inspect.report.layers",
    "LayerReport": "resnet_inspect.report.layers",
    "Node": "resnet_inspect.report.layers",
    "StepStats": "resnet_inspect.report.layers",
    "StepSummary": "resnet_inspect.report.layers",
    "Totals": "resnet_inspect.report.layers",
    "KeepingLayer": "resnet_inspect.report.plan",
    "KeptTensor": "resnet_inspect.report.plan",
    "MemoryShare": "resnet_inspect.report.plan",
    "PlanBreakdown": "resnet_inspect.report.plan",
    "PlanReport": "resnet_inspect.report.plan",
    "PlanRow": "resnet_inspect.report.plan",
    "RowCheck": "resnet_inspect.report.plan",
    "Level": "resnet_inspect.report.subject",
    "Report": "resnet_inspect.report.subject",
    "Subject": "resnet_inspect.report.subject",
    "ModelReport": "resnet_inspect.report.layers",
}
_RENAMED = {"ModelReport": "LayerReport"}  # the names before 0.2


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), _RENAMED.get(name, name))
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})


__all__ = [
    "DEAD_SHARE",
    "NO_SETTINGS",
    "SCHEMA_VERSION",
    "CamLayer",
    "CamReport",
    "ChannelMap",
    "ChannelsLastSummary",
    "DiffNode",
    "DiffReport",
    "DiffState",
    "DiffVerdict",
    "ErfReport",
    "FieldAxis",
    "Flag",
    "FlagKind",
    "FormatChange",
    "Formula",
    "FreezeState",
    "FreezeSummary",
    "GraphGroup",
    "GraphNode",
    "GraphOp",
    "GraphReport",
    "GraphSummary",
    "ImagePrediction",
    "ImagesSummary",
    "KeepingLayer",
    "KeptTensor",
    "LayerReport",
    "Level",
    "MemoryShare",
    "ModelInfo",
    "ModelReport",
    "Node",
    "OpCount",
    "ParamStat",
    "PlanBreakdown",
    "PlanReport",
    "PlanRow",
    "PrecisionSummary",
    "PredictReport",
    "Prediction",
    "ReceptiveField",
    "Report",
    "RowCheck",
    "SavedTensor",
    "ScalerSummary",
    "Setting",
    "SettingValue",
    "Settings",
    "Shape",
    "StepStats",
    "StepSummary",
    "Subject",
    "TensorDiff",
    "Totals",
    "WeightsInfo",
    "ZeroGradients",
]
