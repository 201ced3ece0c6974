"""The one contract between capture and views: plain, frozen facts.

No torch, no formatting. Units are in the field names (``params``, ``macs``, ``bytes``);
states are enums. Views read these and never compute numbers; producers fill them and
never format strings. One module per command family, beside what every report shares
(``subject``) and the JSON contract generated from these types (``document``).
"""

from __future__ import annotations

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
