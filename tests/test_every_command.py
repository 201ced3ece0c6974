"""Every command's JSON, from the registry: it validates against the generated schema, names
its command, and reads back into the same document (issue #35, item 6)."""

from __future__ import annotations

import json
from collections.abc import Callable

import jsonschema
import pytest
from typer.testing import Result

import resnet_inspect
from examples import example_args, example_files
from resnet_inspect.commands import commands

ENTRIES = {entry.name: entry for entry in commands()}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return example_files(tmp_path_factory.mktemp("examples"))


def test_every_command_has_an_example() -> None:
    assert len(ENTRIES) == 9 and all(entry.example for entry in ENTRIES.values())


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_every_commands_json_follows_the_schema_and_reads_back(
    name: str, files: dict[str, str], run_cli: Callable[..., Result]
) -> None:
    result = run_cli([*example_args(ENTRIES[name], files), "--json"])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    jsonschema.validate(document, resnet_inspect.json_schema())
    assert document["command"] == name
    report = resnet_inspect.report_from_dict(document)
    assert isinstance(report, ENTRIES[name].report_type())
    assert report.to_dict(document["lang"]) == document
