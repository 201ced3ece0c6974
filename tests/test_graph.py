"""graph: node counts, leaves, path and saved memory against independent walks."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydot
import pytest
import torch
import torchvision
from typer.testing import Result

from conftest import real_saved_bytes
from resnet_inspect import graph, plan

Run = Callable[..., Result]


def plain_walk(arch: str, shape: tuple[int, ...], device: str = "meta") -> dict[str, Any]:
    """Forward and the tutorial's loss, then a walk of next_functions: no tool code."""
    with torch.device(device):
        model = getattr(torchvision.models, arch)()
    if device == "cpu":
        model = model.to_empty(device="cpu")
    model.train()
    x = torch.zeros(shape, device=device)
    labels = torch.zeros(shape[0], 1000, device=device)
    loss = (model(x) - labels).sum()
    kinds: Counter[str] = Counter()
    seen = set()
    depth: dict[Any, int] = {}
    stack = [loss.grad_fn]
    while stack:
        fn = stack.pop()
        if fn in seen:
            continue
        seen.add(fn)
        kinds[type(fn).__name__] += 1
        stack.extend(child for child, _ in fn.next_functions if child is not None)

    def longest(fn: Any) -> int:
        if fn not in depth:
            children = [c for c, _ in fn.next_functions if c is not None]
            depth[fn] = 1 + max((longest(c) for c in children), default=-1)
        return depth[fn]

    return {"kinds": dict(kinds), "longest": longest(loss.grad_fn)}


def test_resnet18_counts_are_those_of_the_issue() -> None:
    counts = graph("resnet18").summary.counts
    assert counts["AccumulateGrad"] == 62
    assert counts["ConvolutionBackward0"] == 20
    assert counts["NativeBatchNormBackward0"] == 20
    assert counts["ReluBackward0"] == 17
    assert counts["AddBackward0"] == 8


@pytest.mark.parametrize("arch", ["resnet18", "resnet50", "resnext50_32x4d"])
def test_counts_and_longest_path_equal_an_independent_walk(arch: str) -> None:
    report = graph(arch, (2, 3, 64, 64))
    plain = plain_walk(arch, (2, 3, 64, 64))
    assert report.summary.counts == plain["kinds"]
    assert report.summary.nodes == sum(plain["kinds"].values())
    assert report.summary.longest_path == plain["longest"]


def test_leaves_are_the_trainable_parameters() -> None:
    report = graph("resnet50")
    model = torchvision.models.resnet50()
    assert sorted(report.summary.leaves) == sorted(n for n, _ in model.named_parameters())


def test_freezing_leaves_exactly_the_head_in_the_graph() -> None:
    report = graph("resnet18", new_classes=10)
    assert sorted(report.summary.leaves) == ["fc.bias", "fc.weight"]
    assert report.summary.counts["AccumulateGrad"] == 2
    assert "ConvolutionBackward0" not in report.summary.counts
    assert report.unfrozen_summary is not None
    assert report.unfrozen_summary.counts["AccumulateGrad"] == 62
    assert report.summary.saved_bytes < report.unfrozen_summary.saved_bytes
    assert report.summary.saved_bytes == 1 * 512 * 4  # fc keeps only its input


def test_unfreeze_layer4_adds_its_leaves() -> None:
    report = graph("resnet18", new_classes=10, unfreeze=("layer4",))
    model = torchvision.models.resnet18()
    expected = [n for n, _ in model.named_parameters() if n.startswith(("layer4.", "fc."))]
    assert sorted(report.summary.leaves) == sorted(expected)


def test_saved_memory_equals_a_real_cpu_forward() -> None:
    """Meta accounting against the bytes a real forward's saved tensors occupy, less the
    parameters and buffers (BatchNorm's running statistics), which exist anyway; and plan
    says the same for the same step (one definition, #28 item 6)."""
    report = graph("resnet18", (2, 3, 64, 64))
    torch.manual_seed(0)
    saved = real_saved_bytes(torchvision.models.resnet18(), (2, 3, 64, 64), 1000)
    assert report.summary.saved_bytes == saved
    planned = plan("resnet18", (2, 3, 64, 64), new_classes=1000)
    assert planned.rows[-1].saved_bytes == report.summary.saved_bytes
    frozen = graph("resnet18", (2, 3, 64, 64), new_classes=10, unfreeze=("layer4",))
    assert plan("resnet18", (2, 3, 64, 64), new_classes=10).rows[1].saved_bytes == (
        frozen.summary.saved_bytes
    )


def test_each_block_shows_the_add_joining_its_two_branches() -> None:
    report = graph("resnet18")
    block = report.sections[2].children[0]  # layer2.0, with a projection shortcut
    add = next(op for op in block.ops if op.kind == "AddBackward0")
    assert sorted(add.inputs) == ["layer2.0.bn2", "layer2.0.downsample.1"]
    identity = report.sections[2].children[1]
    add = next(op for op in identity.ops if op.kind == "AddBackward0")
    assert sorted(add.inputs) == ["layer2.0.relu", "layer2.1.bn2"]


def test_dot_parses_and_matches_the_json(tmp_path: Path, run_cli: Run) -> None:
    dot = tmp_path / "g.dot"
    result = run_cli(["graph", "--dot", str(dot), "--json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    (parsed,) = pydot.graph_from_dot_file(str(dot))
    nodes = [n for sub in parsed.get_subgraphs() for n in sub.get_nodes()]
    assert len(nodes) == len(data["nodes"]) == data["summary"]["nodes"]
    assert len(parsed.get_edges()) == len(data["edges"]) == data["summary"]["edges"]
    assert len(parsed.get_subgraphs()) == 7  # stem, four stages, head, loss
    assert any("conv1.weight" in (n.get("label") or "") for n in nodes)


def test_graph_view(run_cli: Run) -> None:
    out = run_cli(["graph", "--new-classes", "10"], width=80).stdout
    for text in ("All trainable", "Frozen, new head (10)", "Saved for backward", "fc.weight"):
        assert text in out
    assert max(len(line) for line in out.splitlines()) <= 80
    full = run_cli(["graph"], width=80).stdout
    assert "AddBackward0 ← bn2 + downsample.1" in full


def test_unwritable_dot_path_exits_1(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli(["graph", "--dot", str(tmp_path / "missing" / "g.dot")])
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1
    assert "--dot" in result.stderr and "cannot write" in result.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--input", "1,3"], "B,C,H,W"),
        (["--new-classes", "0"], "≥ 1"),
        (["--unfreeze", "layer4"], "goes with --new-classes"),
        (["--new-classes", "10", "--unfreeze", "layer7"], "layer1, layer2"),
        (["--loss", "hinge"], "sum, cross-entropy, mse"),
    ],
)
def test_bad_graph_input_is_refused(run_cli: Run, args: list[str], fragment: str) -> None:
    result = run_cli(["graph", *args])
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert fragment in result.stderr
