"""One plan row's real steps, in a process of its own (``plan --verify``).

Run as ``python -m resnet_inspect.capture.verify_child``: it reads a pickled ``RowSpec`` on
stdin and prints one JSON line. A fresh process per row, so that no row's allocator history
(heaps glibc keeps, oneDNN's caches) leaks into the next one's measurement.

What it measures, after ``import torch`` and the model's build (the baseline):

- **process growth**: two training steps, as a loop takes them (the first makes the
  optimizer state, the second runs with it), then the peak resident size (VmHWM, reset to
  the resident size at the baseline through ``/proc/self/clear_refs``) less the baseline;
- **tensor peak**: a third step, from ``zero_grad()`` to ``optimizer.step()``, under torch's
  profiler with ``profile_memory``: every allocation and release the CPU allocator reports,
  summed in order. That count is independent of the plan's (a dispatch mode that follows
  storages) and sees what kernels allocate inside themselves.
"""

from __future__ import annotations

import json
import os
import pickle
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from resnet_inspect.config import FreezeOptions, ModelChoice, StepOptions

_STATUS = Path("/proc/self/status")


@dataclass(frozen=True)
class RowSpec:
    """What one child needs: the model as the plan built it, the row's recipe and step."""

    model: ModelChoice
    recipe: FreezeOptions
    step: StepOptions  # its precision, channels_last and checkpoint are the row's
    shape: tuple[int, ...]  # the batch to run: --input's, or the solved one
    classes: int


def _status(key: str) -> int:
    for line in _STATUS.read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) * 1024
    raise OSError(f"/proc/self/status has no {key}")


def measure(spec: RowSpec) -> dict[str, int]:
    import torch

    from resnet_inspect.capture.freezing import freeze_backbone
    from resnet_inspect.capture.instrument import model_dtype
    from resnet_inspect.capture.models.source import resolve
    from resnet_inspect.capture.precision import autocasting, make_scaler
    from resnet_inspect.capture.recompute import checkpointed
    from resnet_inspect.capture.step import loss_of, make_labels, make_optimizer

    choice, step = spec.model, spec.step
    source = resolve(
        arch=choice.arch if choice.module is None else None,
        weights=choice.weights,
        spec=choice.spec,
        module=choice.module,
    )
    torch.manual_seed(0)
    model = source.real()
    freeze_backbone(model, spec.recipe)
    model.train()
    layout = torch.channels_last if step.channels_last else torch.contiguous_format
    if step.channels_last:
        model.to(memory_format=torch.channels_last)
    dtype = model_dtype(model)
    optimizer = make_optimizer([p for p in model.parameters() if p.requires_grad], step)
    scaler = make_scaler(step.precision)
    batch = spec.shape[0]

    def one_step() -> None:
        data = torch.rand(spec.shape, dtype=dtype).contiguous(memory_format=layout)
        labels, _ = make_labels(step.loss, batch, spec.classes, dtype)
        with autocasting(step.precision):
            value = loss_of(step.loss, model(data), labels)
        if scaler is not None:
            scaler.scale(value).backward()  # type: ignore[no-untyped-call]
            scaler.step(optimizer)
            scaler.update()
        else:
            value.backward()  # type: ignore[no-untyped-call]
            optimizer.step()

    baseline = _status("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM starts again from VmRSS
    with checkpointed(model, step.checkpoint):
        for _ in range(2):
            optimizer.zero_grad()
            one_step()
        growth = _status("VmHWM") - baseline
        optimizer.zero_grad()  # released before the count starts: its releases are known
        tensors, everything = _allocator_peaks(one_step)
    return {
        "growth": growth,
        "tensor_peak": tensors,
        "allocator_peak": everything,
        "baseline": baseline,
    }


def _allocator_peaks(run: Callable[[], None]) -> tuple[int, int]:
    """The most bytes the CPU allocator held at once while ``run`` ran, over what it held
    before: of tensors, and of everything. torch's profiler reports each allocation and
    release with its address and size, inside the operation that made it; an allocation
    released before its operation returned is that kernel's workspace (oneDNN's blocked
    copies, a reduction's partial sums), which no operation's result holds."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as profiler:
        run()
    allocations: list[tuple[int, int, int, int]] = []  # (time, address, ± bytes, op's end)

    def walk(node: Any, ends: int) -> None:
        if "Allocation" in str(node.tag):
            fields = node.extra_fields
            allocations.append((node.start_time_ns, fields.ptr, fields.alloc_size, ends))
        for child in node.children:
            walk(child, node.end_time_ns if "TorchOp" in str(node.tag) else ends)

    results: Any = profiler.profiler.kineto_results
    for root in results.experimental_event_tree():
        walk(root, root.end_time_ns)
    allocations.sort()
    made: dict[int, tuple[int, int]] = {}  # address -> (its op's end, bytes)
    workspace: set[int] = set()  # indices of allocations released inside their op
    for index, (when, address, size, ends) in enumerate(allocations):
        if size > 0:
            made[address] = (index, ends)
        elif address in made:
            first, op_end = made.pop(address)
            if when <= op_end:
                workspace.add(first)
                workspace.add(index)
    tensors = everything = peak_tensors = peak_everything = 0
    for index, (_, _, size, _) in enumerate(allocations):
        everything += size
        if index not in workspace:
            tensors += size
        peak_tensors = max(peak_tensors, tensors)
        peak_everything = max(peak_everything, everything)
    return peak_tensors, peak_everything


def _stop_with_the_parent() -> None:
    """A row measured for a parent that is gone is measured for no one: when ``plan
    --verify`` is stopped (SIGTERM, SIGKILL, a Ctrl-C that ends it), this process ends too,
    within a tenth of a second, instead of running out its row as an orphan."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.1)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main() -> None:
    _stop_with_the_parent()
    spec = pickle.load(sys.stdin.buffer)
    try:
        found = measure(spec)
    except Exception as error:  # one line back to the parent, which says it for the row
        print(json.dumps({"error": f"{type(error).__name__}: {error}".splitlines()[0]}))
        return
    print(json.dumps(found))


if __name__ == "__main__":
    main()
