"""The saved reports that the torch-free tests draw are what the tool prints today.

`tests/torch_free/` runs under every claimed Python with only typer and rich installed; it
draws these documents instead of computing them. This test (with torch) keeps them current;
`scripts/update-golden` rewrites them after an intended change.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from examples import example_files
from golden_cases import FIXTURE_DATA, FIXTURES


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("examples")
    example_files(folder)
    return folder


@pytest.mark.parametrize("name", FIXTURES)
def test_saved_reports_equal_the_current_output(
    run_cli: Callable[..., Result], name: str, examples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(examples)  # the saved reports name the example files relative to it
    output = run_cli(FIXTURES[name]).stdout
    saved = json.loads((FIXTURE_DATA / name).read_text(encoding="utf-8"))
    assert _close(json.loads(output), saved)


def _close(a: object, b: object) -> bool:
    """Equal, but floats to 1%: a real step's float32 sums round apart on another CPU or
    torch release (an AVX-512 box and this AVX2 one differ by up to 0.4% in batch-2
    BatchNorm gradients). Every key, count, shape and word must be equal; the step's numbers
    themselves are checked exactly against plain scripts on the same machine
    (tests/test_train_step.py)."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-2, abs_tol=1e-9)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    return a == b
