"""The saved reports that the torch-free tests draw are what the tool prints today.

`tests/torch_free/` runs under every claimed Python with only typer and rich installed; it
draws these documents instead of computing them. This test (with torch) keeps them current:
`UPDATE_GOLDEN=1 pytest tests/test_torch_free_fixtures.py` rewrites them after a change.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

DATA = Path(__file__).parent / "torch_free" / "data"
FIXTURES = {
    "tree.json": ["tree", "--json"],
    "train_step.json": ["train-step", "--json", "--input", "2,3,64,64"],
    "freeze.json": ["freeze", "--json", "--new-classes", "10", "--input", "2,3,64,64"],
    "graph.json": ["graph", "--json", "--new-classes", "10"],
    "plan.json": ["plan", "--json", "--new-classes", "10", "--memory", "1GiB"],
}


@pytest.mark.parametrize("name", FIXTURES)
def test_saved_reports_equal_the_current_output(run_cli: Callable[..., Result], name: str) -> None:
    output = run_cli(FIXTURES[name]).stdout
    if os.environ.get("UPDATE_GOLDEN"):
        (DATA / name).write_text(output, encoding="utf-8")
    assert _close(json.loads(output), json.loads((DATA / name).read_text(encoding="utf-8")))


def _close(a: object, b: object) -> bool:
    """Equal, but floats to 1e-6: another torch release rounds a step's last bits apart."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    return a == b
