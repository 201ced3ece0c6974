"""``plan --verify``: each chosen row's real steps, one fresh child process per row.

The parent never takes a real step itself: its allocator history (the plan's passes, the
import) would leak into the measurement. Each child (``capture.verify_child``) builds the
model as the plan did, takes the row's steps and reports the allocator's tensor peak and
the process's growth; the parent checks each row's memory first and says why it skipped
one that does not fit.
"""

from __future__ import annotations

import functools
import json
import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

from resnet_inspect.capture.preflight import available_memory_bytes
from resnet_inspect.capture.verify_child import RowSpec
from resnet_inspect.quantities import binary_bytes

_STATUS = "/proc/self/status"


@dataclass(frozen=True)
class Measured:
    """What one child measured, or why it measured nothing (``reason``)."""

    tensor_peak: int = 0
    growth: int = 0
    reason: str = ""


def resident_bytes() -> int:
    """This process's resident size: a child's baseline (torch imported, a model built)
    is about the same, so it stands in for what each child needs before its step."""
    try:
        with open(_STATUS) as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def measure_row(spec: RowSpec, needs: int) -> Measured:
    """Run ``spec`` in a child, unless ``needs`` bytes (the child's baseline and its step's
    process estimate) is more than the machine has available now."""
    free = available_memory_bytes()
    if free is not None and needs > free:
        return Measured(reason=f"needs about {binary_bytes(needs)}, {binary_bytes(free)} available")
    try:
        payload = pickle.dumps(spec)
    except Exception as error:  # a library user's module that cannot be pickled
        return Measured(reason=f"the model cannot be sent to a fresh process ({error})")
    child = subprocess.run(
        [sys.executable, "-m", "resnet_inspect.capture.verify_child"],
        input=payload,
        capture_output=True,
        check=False,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        preexec_fn=_ends_with_its_parent(),
    )
    lines = child.stdout.decode(errors="replace").strip().splitlines()
    if child.returncode != 0 or not lines:
        if child.returncode < 0:  # killed: by the kernel's OOM killer, most likely
            return Measured(reason=f"the step's process was killed (signal {-child.returncode})")
        return Measured(reason=f"the step's process failed (exit status {child.returncode})")
    found = json.loads(lines[-1])
    if "error" in found:
        return Measured(reason=str(found["error"]))
    return Measured(tensor_peak=int(found["tensor_peak"]), growth=int(found["growth"]))


@functools.cache
def _ends_with_its_parent() -> Callable[[], object] | None:
    """What the child runs before it runs Python, on Linux: the kernel then sends it SIGTERM
    when this process ends, however it ends (SIGTERM, SIGKILL, Ctrl-C), so that no row runs
    on as an orphan while torch is still importing (the child also watches for itself once
    it runs). Looked up here, so that the forked child only makes the call."""
    if sys.platform != "linux":
        return None
    import ctypes
    import signal

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    return functools.partial(prctl, 1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG


Progress = Callable[[int, int, str], None]
