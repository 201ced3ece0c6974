"""plan's mixed precision on the meta device (autocast's casts observed once, then applied)
gives the rows the reference path gives: fake CPU tensors under FakeTensorMode, with
torch.autocast itself. Byte for byte, every field of every row."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from resnet_inspect import Precision, plan
from resnet_inspect.capture import meta_autocast
from resnet_inspect.capture import precision as precision_module

BUDGET = 2 * 2**30  # bytes: every row solves its largest batch


class SqueezeExcite(torch.nn.Module):
    """A channel-attention gate, as SE-ResNets have (sigmoid, a product that broadcasts)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.reduce = torch.nn.Conv2d(channels, channels // 4, 1)
        self.expand = torch.nn.Conv2d(channels // 4, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = torch.sigmoid(self.expand(torch.relu(self.reduce(x.mean((2, 3), keepdim=True)))))
        return x * gate


class Block(torch.nn.Module):
    def __init__(self, channels: int, stride: int) -> None:
        super().__init__()
        out = channels * stride
        self.conv1 = torch.nn.Conv2d(channels, out, 3, stride, 1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(out)
        self.conv2 = torch.nn.Conv2d(out, out, 3, 1, 1, bias=False)
        self.bn2 = torch.nn.BatchNorm2d(out)
        self.se = SqueezeExcite(out)
        self.shortcut = (
            torch.nn.Sequential(
                torch.nn.Conv2d(channels, out, 1, stride, bias=False), torch.nn.BatchNorm2d(out)
            )
            if stride > 1
            else torch.nn.Identity()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.se(self.bn2(self.conv2(y)))
        return torch.relu(y + self.shortcut(x))


class UserNet(torch.nn.Module):
    """A hand-written ResNet with attention gates, the way a user writes one."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = torch.nn.Sequential(
            torch.nn.Conv2d(3, 16, 3, 2, 1, bias=False), torch.nn.BatchNorm2d(16), torch.nn.ReLU()
        )
        self.stage1 = torch.nn.Sequential(Block(16, 1), Block(16, 1))
        self.stage2 = torch.nn.Sequential(Block(16, 2), Block(32, 1))
        self.fc = torch.nn.Linear(32, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stage2(self.stage1(self.stem(x)))
        return self.fc(torch.flatten(torch.nn.functional.adaptive_avg_pool2d(x, 1), 1))


CASES: dict[str, Callable[[], dict[str, object]]] = {
    "resnet18": lambda: {"arch": "resnet18"},
    "resnet50": lambda: {"arch": "resnet50"},
    "timm:seresnext26d_32x4d": lambda: {"arch": "timm:seresnext26d_32x4d"},
    "user model": lambda: {"model": UserNet()},
}


# The batch solve (a budget) on resnet18, whose passes are cheapest; the others' rows at
# --input's batch: what each pass records is what the solve reads.
SOLVED = {"resnet18"}


def planned(name: str, monkeypatch: pytest.MonkeyPatch, on_meta: bool) -> object:
    monkeypatch.setattr(precision_module, "AUTOCAST_ON_META", on_meta)
    return plan(
        input_shape=(2, 3, 32, 32),
        new_classes=10,
        precisions=(Precision.BF16, Precision.FP16),
        memory=BUDGET if name in SOLVED else None,
        **CASES[name](),  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("name", list(CASES))
def test_mixed_precision_on_meta_equals_fake_cpu_tensors_row_for_row(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("timm") if name.startswith("timm:") else None
    reference = planned(name, monkeypatch, on_meta=False)

    from torch._subclasses import fake_tensor

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("the meta path used FakeTensorMode")

    monkeypatch.setattr(fake_tensor.FakeTensorMode, "__init__", refused)
    fast = planned(name, monkeypatch, on_meta=True)
    assert {row.precision for row in fast.rows} == {"bf16", "fp16"}
    assert fast.rows == reference.rows  # every field: saved, live peak, largest batch, process
    assert all(row.largest_batch for row in fast.rows) == (name in SOLVED)


def test_what_autocast_does_is_observed_not_listed() -> None:
    """The casts come from running each call under torch.autocast: a convolution's input
    and weight are cast to bfloat16, a float32 reduction keeps its input as it is."""
    x = torch.empty(2, 3, 8, 8, device="meta")
    weight = torch.nn.Parameter(torch.empty(4, 3, 3, 3, device="meta"))
    with meta_autocast.MetaAutocast(torch.bfloat16):
        y = torch.nn.functional.conv2d(x, weight)
        z = torch.nn.functional.conv2d(x, weight)
        total = torch.softmax(y.float(), dim=1)
    assert y.dtype == torch.bfloat16 and z.dtype == torch.bfloat16
    assert total.dtype == torch.float32
    with torch.autocast("cpu", dtype=torch.bfloat16):
        real = torch.nn.functional.conv2d(torch.zeros(2, 3, 8, 8), torch.zeros(4, 3, 3, 3))
    assert real.dtype == y.dtype


def test_fp16_takes_bf16s_passes_only_where_autocast_was_seen_to_mirror(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """fp16's rows are bf16's passes where autocast to float16 was observed to cast every
    call's inputs as bfloat16 did (then every pass is the same, 2 bytes for 2 bytes); where
    one call is cast otherwise, fp16's passes run (the equality with the FakeTensorMode
    path, above, checks the rows of the first case on four models)."""
    from resnet_inspect.capture import plan as capture_plan

    cuts: list[str] = []
    real_cut = capture_plan.capture_cut

    def counted(*args: object, **kwargs: object) -> object:
        cuts.append(str(kwargs.get("checkpoint", "")))
        return real_cut(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(capture_plan, "capture_cut", counted)

    def planned_rows() -> list[object]:
        report = plan(
            "resnet18", (2, 3, 32, 32), new_classes=10, precisions=(Precision.BF16, Precision.FP16)
        )
        return report.rows

    mirrored = planned_rows()
    rows_per_precision = len(mirrored) // 2
    assert len(cuts) == rows_per_precision  # bf16's passes only

    # A torch whose float16 autocast keeps convolutions in float32: no longer a mirror.
    real_observe = meta_autocast._observe

    def observe(call: object, dtype: torch.dtype) -> object:
        casts = real_observe(call, dtype)  # type: ignore[arg-type]
        if dtype is torch.float16 and getattr(call, "func", None) is torch.conv2d:
            return tuple((place, torch.float32) for place, _ in casts)
        return casts

    monkeypatch.setattr(meta_autocast, "_observe", observe)
    monkeypatch.setattr(meta_autocast, "_OBSERVED", {})
    monkeypatch.setattr(meta_autocast, "_CALLS", {})
    cuts.clear()
    own = planned_rows()
    assert len(cuts) == 2 * rows_per_precision  # fp16's passes ran
    fp16 = [row for row in own if row.precision == "fp16"]  # type: ignore[attr-defined]
    bf16 = [row for row in own if row.precision == "bf16"]  # type: ignore[attr-defined]
    assert [r.saved_bytes for r in fp16] != [r.saved_bytes for r in bf16]  # type: ignore[attr-defined]
