"""The JSON contract is the report types: the schema and the decoder come from them."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest

import resnet_inspect
from resnet_inspect import commands
from resnet_inspect.report import LayerReport, PredictReport, document


def test_the_shipped_schema_is_the_one_the_report_types_give() -> None:
    # After changing a report field: scripts/update-schema.
    assert resnet_inspect.json_schema() == commands.json_schema()


def test_a_field_added_without_regenerating_changes_the_schema() -> None:
    grown = dataclasses.make_dataclass(
        "PredictReport",
        [("surprise", int, dataclasses.field(default=0))],
        bases=(PredictReport,),
        frozen=True,
    )
    pairs = [
        (e.name, grown if e.report_type() is PredictReport else e.report_type())
        for e in commands.commands()
    ]
    regenerated = document.schema(pairs)
    assert regenerated != resnet_inspect.json_schema()
    assert "surprise" in regenerated["$defs"]["PredictReport"]["required"]


def test_the_schema_names_its_version_and_every_command() -> None:
    schema = resnet_inspect.json_schema()
    assert schema["$id"].endswith(f"report-{document.SCHEMA_VERSION}.json")
    assert f"schema_version {document.SCHEMA_VERSION}" in schema["description"]
    named = set()
    for reference in schema["oneOf"]:
        report = schema["$defs"][reference["$ref"].rsplit("/", 1)[1]]
        named |= set(report["properties"]["command"]["enum"])
    assert named == {entry.name for entry in commands.commands()}


@pytest.mark.parametrize("name", ["tree.json", "train_step.json", "graph.json", "plan.json"])
def test_a_saved_document_reads_back_to_the_same_document(saved: Any, name: str) -> None:
    data = saved(name)
    assert resnet_inspect.report_from_dict(data).to_dict(data["lang"]) == data


def test_a_number_that_is_not_finite_is_null_and_comes_back_as_nan(saved: Any) -> None:
    report = resnet_inspect.report_from_dict(saved("train_step.json"))
    assert isinstance(report, LayerReport) and report.step is not None
    broken = dataclasses.replace(report, step=dataclasses.replace(report.step, loss=math.inf))
    data = broken.to_dict()
    assert data["step"]["loss"] is None and data["non_finite"] == ["step.loss"]
    again = resnet_inspect.report_from_dict(data)
    assert isinstance(again, LayerReport) and again.step is not None
    assert math.isnan(again.step.loss)


def test_an_edited_document_is_refused_in_words(saved: Any) -> None:
    data = saved("tree.json")
    data["totals"]["params"] = "many"
    with pytest.raises(ValueError, match=r"params"):
        resnet_inspect.report_from_dict(data)
    with pytest.raises(ValueError, match="unknown command"):
        resnet_inspect.report_from_dict({**data, "command": "nope"})
    with pytest.raises(ValueError, match="schema_version"):
        resnet_inspect.report_from_dict({**data, "schema_version": 1})


@pytest.mark.parametrize("package", ["resnet_inspect.report", "resnet_inspect.records"])
def test_a_lazy_package_names_each_type_alike_in_its_three_lists(package: str) -> None:
    """report/ and records/ load each type when first used: the names type checkers import,
    the names loaded on demand and ``__all__`` are one list written three times, so a name
    added to one and not the others fails here, and every name loads from the module named."""
    import ast
    import importlib
    from pathlib import Path

    module = importlib.import_module(package)
    tree = ast.parse(Path(str(module.__file__)).read_text("utf-8"))
    checked = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
    )
    for_type_checkers = {
        target.id
        for node in checked.body
        for target in (
            [ast.Name(alias.asname or alias.name) for alias in node.names]
            if isinstance(node, ast.ImportFrom)
            else getattr(node, "targets", [])
        )
        if isinstance(target, ast.Name)
    }
    on_demand = set(module._HOME)
    assert for_type_checkers == on_demand == set(module.__all__)
    assert all(getattr(module, name) is not None for name in module.__all__)
