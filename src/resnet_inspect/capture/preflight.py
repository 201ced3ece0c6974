"""Checks that refuse a real step before it allocates anything, from the meta pass's facts.

Pure Python: they read the structure capture, never a tensor.
"""

from __future__ import annotations

from pathlib import Path

from resnet_inspect.budget import optimizer_state_copies
from resnet_inspect.config import StepOptions
from resnet_inspect.errors import InspectError, OptionError
from resnet_inspect.quantities import binary_bytes, shape
from resnet_inspect.records import StructureCapture

# Backward holds gradients beside the saved activations. Measured for resnet50 at 8×3×224×224
# (benchmarks/bench_train_step.py): forward outputs 685 MiB, the step's own peak about 940 MiB
# including 390 MiB of parameter-sized copies. Twice the outputs leaves headroom: better to
# refuse early with a message than to be killed by the kernel without one.
BACKWARD_FACTOR = 2


def check_batchnorm_batch(
    capture: StructureCapture,
    input_text: str,
    in_eval: tuple[str, ...] = (),
    *,
    from_images: bool = False,
) -> None:
    """Train-mode BatchNorm needs more than one value per channel to compute batch statistics.

    Those ``in_eval`` use their running statistics instead and take any input. The input
    is ``--input``'s, or ``from_images``: the batch and crop of ``--images``.
    """
    for call, per_channel in capture.batchnorm_values(in_eval):
        if per_channel <= 1:
            given = f"--images (input {input_text})" if from_images else f"--input {input_text}"
            fix = "--batch 2 or more, or a larger --crop" if from_images else (
                "a batch of 2 or more, or larger images"
            )  # fmt: skip
            raise OptionError(
                f"{given}: in train mode {call.name} would see 1 value per channel "
                f"(input {shape(call.input_shape)}) and BatchNorm needs more than one; use {fix}"
            )


def check_trains_something(capture: StructureCapture, command: str) -> None:
    """A step, or the graph of one, needs a parameter that trains: with every
    ``requires_grad`` off the loss has no graph, and a step would change nothing."""
    if not any(module.trainable_params for module in capture.modules.values()):
        raise InspectError(
            f"{command}: no parameter of the model trains (requires_grad is False on every "
            "one), so the loss has no graph and a step changes nothing; set requires_grad on "
            "what should train, or use freeze --new-classes N for a new trainable head"
        )


def check_input_channels(
    first_conv: tuple[str, int] | None, input_shape: tuple[int, ...], input_text: str
) -> None:
    """The input's C against the model's first convolution (name, in_channels)."""
    if first_conv is None or len(input_shape) < 2:
        return
    name, channels = first_conv
    if input_shape[1] != channels:
        raise OptionError(
            f"--input {input_text}: C is {input_shape[1]}, but the model's first conv ({name}) "
            f"takes {channels} channel{'s' if channels != 1 else ''}; use "
            f"B,{channels},H,W"
        )


def step_memory_bytes(capture: StructureCapture, options: StepOptions) -> int:
    """Parameters, their gradients, momentum buffers and the copy taken for Δθ, plus the
    forward's activations and what backward adds beside them, plus the input."""
    # The parameters, their gradients, the copy before the first step (and before the last).
    copies = 3 + (options.steps > 1) + optimizer_state_copies(options.optimizer, options.momentum)
    activations = BACKWARD_FACTOR * capture.activation_bytes
    return copies * capture.param_bytes + activations + 2 * capture.input_bytes


def available_memory_bytes() -> int | None:
    """MemAvailable from /proc/meminfo; None where the system does not say."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def check_erf_memory(capture: StructureCapture) -> None:
    """Refuse an erf measurement that cannot fit: the parameters, the forward's activations
    at the batch of samples twice over for backward, and the input with its gradient."""
    needed = (
        capture.param_bytes
        + capture.buffer_bytes
        + BACKWARD_FACTOR * capture.activation_bytes
        + 2 * capture.input_bytes
    )
    free = available_memory_bytes()
    if free is not None and needed > free:
        raise InspectError(
            f"not enough memory to measure: about {binary_bytes(needed)} needed, "
            f"{binary_bytes(free)} available; use fewer --samples or a smaller --input"
        )


def check_memory(capture: StructureCapture, options: StepOptions) -> None:
    """Refuse a step that cannot fit, naming the part that makes it too big: the batch and
    image (activations), or the parameters (a huge head, say)."""
    needed = step_memory_bytes(capture, options)
    free = available_memory_bytes()
    if free is None or needed <= free:
        return
    activations = BACKWARD_FACTOR * capture.activation_bytes + 2 * capture.input_bytes
    parameters = needed - activations
    head = capture.layout.head_linear
    head_params = capture.modules[head].params if head in capture.modules else 0
    if parameters > activations and head_params * 2 > capture.param_bytes // 4:
        hint = f"the head {head} alone has {head_params:,} parameters: use fewer --new-classes"
    elif parameters > activations:
        hint = "the model's parameters are the larger part: use a smaller model"
    else:
        hint = "use a smaller batch or image (--input)"
    raise InspectError(
        f"not enough memory for this step: it needs about {binary_bytes(needed)} "
        f"(parameters with their gradients, optimizer state and a copy: "
        f"{binary_bytes(parameters)}; activations ×{BACKWARD_FACTOR} for backward and "
        f"the input: {binary_bytes(activations)}), and {binary_bytes(free)} is "
        f"available; {hint}"
    )
