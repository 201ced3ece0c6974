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


SUITE_CONFTEST = Path(__file__).parent.parent / "conftest.py"


@pytest.fixture(autouse=True)
def no_torch(request: pytest.FixtureRequest) -> Iterator[None]:
    """Whatever a test did, torch was never imported: run alone (as .ci/run does, with
    --confcutdir), nothing imports it. In the full suite, other tests in this process do."""
    plugins = request.config.pluginmanager.get_plugins()
    alone = all(Path(getattr(plugin, "__file__", "") or "") != SUITE_CONFTEST for plugin in plugins)
    yield
    if alone:
        assert "torch" not in sys.modules and "torchvision" not in sys.modules
