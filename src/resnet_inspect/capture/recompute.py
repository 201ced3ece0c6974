"""Activation checkpointing of whole stages, as ``torch.utils.checkpoint`` does it.

A checkpointed stage keeps only its input during the forward; in backward its forward runs
again (non-reentrant checkpointing) to make what its backward needs. That recomputation is
exact on the CPU, with one side effect to undo: a train-mode BatchNorm updates its running
statistics on every forward, so the second forward would update them twice. Each stage's
buffers are therefore copied as its recomputation starts and put back as it ends: the step
updates them once, in the forward, as a step without checkpointing does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import torch
from torch.utils.checkpoint import CheckpointError, checkpoint, set_checkpoint_early_stop

from resnet_inspect.errors import InspectError, OptionError
from resnet_inspect.records import Layout


class _BuffersKept:
    """Around a recomputation: the stage's buffers as they were before it, restored after."""

    def __init__(self, module: torch.nn.Module) -> None:
        self.module = module
        self.copies: list[tuple[torch.Tensor, torch.Tensor]] = []

    def __enter__(self) -> None:
        with torch.no_grad():
            self.copies = [(b, b.clone()) for b in self.module.buffers()]

    def __exit__(self, *exc: object) -> None:
        with torch.no_grad():
            for buffer, copy in self.copies:
                buffer.copy_(copy)
        self.copies = []


class ChangedOnRecompute(InspectError):
    """A stage's forward gave other values when run again in backward."""


def _fingerprint(output: Any) -> tuple[float, ...]:
    """The output's values summed two ways, in float64: equal for a recomputation that
    repeats the forward exactly (the CPU's kernels do), different where it did not."""
    tensors = [t for t in _tensors(output) if t.is_floating_point() and t.device.type != "meta"]
    with torch.no_grad():
        return tuple(
            v for t in tensors for v in (float(t.double().sum()), float(t.double().abs().sum()))
        )


def _tensors(output: Any) -> list[torch.Tensor]:
    from torch.utils._pytree import tree_leaves

    return [t for t in tree_leaves(output) if isinstance(t, torch.Tensor)]


def _recomputed(
    module: torch.nn.Module, name: str, forward: Callable[..., Any], preserve_rng: bool
) -> Callable[..., Any]:
    def contexts() -> tuple[Any, Any]:
        return nullcontext(), _BuffersKept(module)

    def run(*args: Any, **kwargs: Any) -> Any:
        # torch's own check compares what the recomputation saves by shape and dtype only;
        # a forward that changes with each call (a counter, a schedule) would give other
        # gradients silently. Its values are compared too (real steps: preserve_rng).
        seen: list[tuple[float, ...]] = []

        def watched(*inner: Any, **named: Any) -> Any:
            output = forward(*inner, **named)
            fingerprint = _fingerprint(output)
            if seen and fingerprint != seen[0]:
                raise ChangedOnRecompute(
                    f"{name} cannot be checkpointed: its forward, run again in backward, gave "
                    "other values than the first time (it changes with each call), so the "
                    "gradients would differ from the step without --checkpoint"
                )
            seen.append(fingerprint)
            return output

        # The recomputation runs to the stage's end (torch stops it early by default, once
        # the last tensor backward needs is made), so that its output can be compared.
        with set_checkpoint_early_stop(not preserve_rng):
            return checkpoint(
                watched if preserve_rng else forward,
                *args,
                use_reentrant=False,
                preserve_rng_state=preserve_rng,
                context_fn=contexts,
                **kwargs,
            )

    return run


def _first_line(error: Exception) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


@contextmanager
def checkpointed(
    model: torch.nn.Module, stages: tuple[str, ...], *, preserve_rng: bool = True
) -> Iterator[None]:
    """Each of ``stages`` (module names) recomputed in backward while the context is open.
    ``preserve_rng``: the recomputation draws the same random numbers (dropout, drop-path)
    as the forward did; the simulated passes, which draw none that matter, skip it."""
    wrapped: list[tuple[torch.nn.Module, Any]] = []
    try:
        for name in stages:
            module = model.get_submodule(name)
            wrapped.append((module, module.__dict__.get("forward")))
            module.forward = _recomputed(module, name, module.forward, preserve_rng)
        yield
    except CheckpointError as error:  # raised in backward, where the recomputation differs
        raise InspectError(
            f"{', '.join(stages)} cannot be checkpointed: a forward run again in backward "
            f"made other tensors than the first time ({_first_line(error)})"
        ) from error
    finally:
        for module, own in reversed(wrapped):
            if own is None:
                del module.forward
            else:
                module.forward = own


def check_recomputable(layout: Layout, names: tuple[str, ...]) -> None:
    """``--checkpoint`` names stages only: what a stage keeps is what it saves."""
    stages = layout.stages
    wrong = [name for name in names if name not in stages]
    if wrong:
        known = ", ".join(stages) if stages else "none found"
        raise OptionError(
            f"--checkpoint {','.join(wrong)}: not a residual stage of this model "
            f"(its stages: {known})"
        )
