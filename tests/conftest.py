"""Shared helpers: an in-process CLI runner and independent reference passes.

The references deliberately use nothing from resnet_inspect: plain torchvision models,
plain forward hooks, FlopCounterMode, so that a bug in the tool cannot hide in both.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner, Result

from resnet_inspect.cli import app

if TYPE_CHECKING:
    import torch

# torch is imported where it is used: pytest-xdist's controller loads this file too, and
# runs no test (importing torch there would hold every worker back by seconds).
if os.environ.get("PYTEST_XDIST_WORKER"):
    import torch

    # One thread each: the workers already share the cores, and torch's own threads on top
    # of theirs only wait on each other. (Numbers compared within a test run alike.)
    torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def own_report_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test caches reports in a folder of its own, never in the user's."""
    monkeypatch.setenv("RESNET_INSPECT_CACHE_DIR", str(tmp_path_factory.mktemp("report-cache")))


# The reports the output-stream tests print: computed once, in process, for a warm cache.
WARM_REPORTS = (["tree"], ["tree", "--json"], ["tree", "--arch", "resnet152"])


@pytest.fixture(scope="session")
def _warm_reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("warm-cache")
    runner = CliRunner()
    for args in WARM_REPORTS:
        result = runner.invoke(app, args, env={"RESNET_INSPECT_CACHE_DIR": str(folder)})
        assert result.exit_code == 0, result.stderr
    return folder


@pytest.fixture
def warm_cache(_warm_reports: Path, tmp_path: Path) -> dict[str, str]:
    """The environment of a child process whose tree is already in the report cache (a
    copy of its own), for tests about how the output leaves the process, not how the
    report is made: the child then answers without importing torch."""
    folder = tmp_path / "warm-cache"
    shutil.copytree(_warm_reports, folder)
    return {"RESNET_INSPECT_CACHE_DIR": str(folder)}


@pytest.fixture
def run_cli() -> Callable[..., Result]:
    runner = CliRunner()

    def run(
        args: Sequence[str], width: int = 80, env: dict[str, str | None] | None = None
    ) -> Result:
        environment = {"COLUMNS": str(width), "NO_COLOR": "1", **(env or {})}
        return runner.invoke(app, list(args), env=environment)

    return run


# Runs the CLI in a fresh interpreter and reports at exit whether torch was imported.
TORCH_PROBE = (
    "import atexit, sys\n"
    "atexit.register(lambda: sys.stderr.write('torch-loaded=%s\\n' % ('torch' in sys.modules)))\n"
    "sys.argv = ['resnet-inspect', *sys.argv[1:]]\n"
    "from resnet_inspect.__main__ import main\n"
    "main()\n"
)


def probed_run(args: Sequence[str]) -> tuple[int, list[str]]:
    """Exit status and stderr lines of the CLI in a fresh interpreter; the last line says
    whether torch was imported (``torch-loaded=False``)."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", TORCH_PROBE, *args], capture_output=True, text=True, timeout=60
    )
    return result.returncode, result.stderr.splitlines()


def cpu_model(arch: str, num_classes: int = 1000) -> torch.nn.Module:
    """A real CPU model with uninitialised weights: shapes and FLOPs don't depend on values,
    and skipping the random init keeps the ten-architecture tests quick."""
    import torch
    import torchvision

    with torch.device("meta"):
        model = getattr(torchvision.models, arch)(num_classes=num_classes)
    return model.to_empty(device="cpu").eval()


def leaf_call_shapes(model: torch.nn.Module, x: torch.Tensor) -> list[tuple[str, tuple[int, ...]]]:
    """(module name, output shape) for every leaf-module call, in call order: a plain hook pass."""
    return call_shapes(model, x, lambda module: not list(module.children()))


def call_shapes(
    model: torch.nn.Module, x: torch.Tensor, chosen: Callable[[torch.nn.Module], bool]
) -> list[tuple[str, tuple[int, ...]]]:
    """(module name, output shape) for every call of a ``chosen`` module, in call order."""
    import torch

    seen: list[tuple[str, tuple[int, ...]]] = []
    handles = []
    for name, module in model.named_modules():
        if name and chosen(module):
            handles.append(
                module.register_forward_hook(
                    lambda m, i, o, name=name: seen.append((name, tuple(o.shape)))
                )
            )
    try:
        with torch.no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
    return seen


def real_saved_bytes(
    model: torch.nn.Module,
    shape: tuple[int, ...],
    classes: int,
    dtype: torch.dtype | None = None,
) -> int:
    """What a real train-mode forward and sum loss save for backward on the CPU, each
    storage once, less the parameters and buffers (they exist anyway): saved_tensors_hooks,
    with input and labels in ``dtype`` (float32 if None)."""
    import torch

    dtype = dtype or torch.float32
    resident = {t.untyped_storage().data_ptr() for t in (*model.parameters(), *model.buffers())}
    saved: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in resident:
            saved[storage.data_ptr()] = storage.nbytes()
        return tensor

    model.train()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        prediction = model(torch.rand(shape, dtype=dtype))
        (prediction - torch.rand(shape[0], classes, dtype=dtype)).sum()
    return sum(saved.values())
