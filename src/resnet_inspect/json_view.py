"""The JSON view: the report as plain data, with each node's annotation in the chosen language."""

from __future__ import annotations

import json
from typing import Any

from resnet_inspect.anatomy import Lang, Role, annotation
from resnet_inspect.report import ModelReport


def report_json(report: ModelReport, lang: Lang, timings: bool = True) -> str:
    data = report.to_dict(timings=timings)
    for section in data["sections"]:
        _annotate(section, lang)
    data["lang"] = lang.value
    return json.dumps(data, indent=2, ensure_ascii=False)


def _annotate(node: dict[str, Any], lang: Lang) -> None:
    node["annotation"] = annotation(Role(node["role"]), lang)
    for child in node["children"]:
        _annotate(child, lang)
