"""The torch-free layer's tests: they run with only typer, rich and pytest installed.

Run them with ``--confcutdir tests/torch_free`` so that the suite's own conftest (which
imports torch for its reference passes) is not loaded; ``.ci/run`` does so under every
Python version the project claims that the machine has.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture
def saved() -> Any:
    def load(name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
        return data

    return load


# In the full suite the parent conftest has loaded torch already; run alone (as .ci/run
# does), nothing has, and then no test may.
TORCH_BEFORE = "torch" in sys.modules


@pytest.fixture(autouse=True)
def no_torch() -> Iterator[None]:
    """Whatever a test did, torch was never imported."""
    yield
    if not TORCH_BEFORE:
        assert "torch" not in sys.modules and "torchvision" not in sys.modules
