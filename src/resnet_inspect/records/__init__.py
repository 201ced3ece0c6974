"""What capture hands over: plain facts, no tensors. ``facts`` are the measured values that
reach the report unchanged; ``passes`` what each pass records for assemble to put together."""

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
    from resnet_inspect.records.passes import (
        CallRecord,
        CamCapture,
        CutCapture,
        ErfCapture,
        GraphCapture,
        GraphNodeRecord,
        Grid,
        ImageRecord,
        KeptRecord,
        Layout,
        LocatedPass,
        ModuleRecord,
        SavedRecord,
        StepCapture,
        StructureCapture,
        counted_notes,
        within,
    )
    from resnet_inspect.records.trust import (
        CamImageRecord,
        CurveRecord,
        RandomisedRecord,
        TrustRecord,
    )

# Each name's module, imported when the name is first asked for (see report's __init__).
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
    "CallRecord": "resnet_inspect.records.passes",
    "CamCapture": "resnet_inspect.records.passes",
    "CutCapture": "resnet_inspect.records.passes",
    "ErfCapture": "resnet_inspect.records.passes",
    "GraphCapture": "resnet_inspect.records.passes",
    "GraphNodeRecord": "resnet_inspect.records.passes",
    "Grid": "resnet_inspect.records.passes",
    "ImageRecord": "resnet_inspect.records.passes",
    "KeptRecord": "resnet_inspect.records.passes",
    "Layout": "resnet_inspect.records.passes",
    "LocatedPass": "resnet_inspect.records.passes",
    "ModuleRecord": "resnet_inspect.records.passes",
    "SavedRecord": "resnet_inspect.records.passes",
    "StepCapture": "resnet_inspect.records.passes",
    "StructureCapture": "resnet_inspect.records.passes",
    "counted_notes": "resnet_inspect.records.passes",
    "within": "resnet_inspect.records.passes",
    "CamImageRecord": "resnet_inspect.records.trust",
    "CurveRecord": "resnet_inspect.records.trust",
    "RandomisedRecord": "resnet_inspect.records.trust",
    "TrustRecord": "resnet_inspect.records.trust",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})


__all__ = [
    "NO_SETTINGS",
    "CallRecord",
    "CamCapture",
    "CamImageRecord",
    "ChannelsLastSummary",
    "CurveRecord",
    "CutCapture",
    "DiffState",
    "ErfCapture",
    "FieldAxis",
    "FormatChange",
    "GraphCapture",
    "GraphNodeRecord",
    "Grid",
    "ImageRecord",
    "ImagesSummary",
    "KeptRecord",
    "Layout",
    "LocatedPass",
    "ModelInfo",
    "ModuleRecord",
    "OpCount",
    "ParamStat",
    "PrecisionSummary",
    "RandomisedRecord",
    "ReceptiveField",
    "SavedRecord",
    "ScalerSummary",
    "Setting",
    "SettingValue",
    "Settings",
    "Shape",
    "StepCapture",
    "StructureCapture",
    "TensorDiff",
    "TrustRecord",
    "WeightsInfo",
    "ZeroGradients",
    "counted_notes",
    "within",
]
