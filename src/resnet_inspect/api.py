"""The library: one function per command, each returning a report. The CLI is a thin layer."""

from __future__ import annotations

from resnet_inspect import preflight
from resnet_inspect.assemble import build_model_report
from resnet_inspect.options import InputShape, StepOptions, parse_arch
from resnet_inspect.report import ModelReport


def inspect_tree(
    arch: str = "resnet18",
    input_shape: InputShape = (1, 3, 64, 64),
) -> ModelReport:
    """Structure, shapes, parameters and FLOPs of ``arch`` for one input, from a meta pass.

    Builds the model on the meta device: no weights are initialised and no activation is
    allocated, so resnet152 at 64×3×512×512 costs about what resnet18 does.
    """
    # torch is imported here, not at the top, so that `import resnet_inspect` stays cheap.
    from resnet_inspect.capture import capture_structure
    from resnet_inspect.model import build_model

    arch = parse_arch(arch)
    model = build_model(arch, device="meta")
    capture = capture_structure(model, input_shape)
    return build_model_report(
        capture, command="tree", arch=arch, weights="none", shape_pass_device="meta"
    )


def train_step(
    arch: str = "resnet18",
    input_shape: InputShape = (1, 3, 64, 64),
    *,
    seed: int = 0,
    step: StepOptions | None = None,
) -> ModelReport:
    """One real CPU training step, as the tutorial takes it, with what it did to every parameter.

    Order, so that a plain script with the same seed computes the same numbers:
    ``torch.manual_seed(seed)``, build the model, ``torch.rand(input)``, the labels, forward,
    loss, ``backward()``, ``SGD(...).step()``. Before anything is allocated, the meta pass
    refuses an input that train-mode BatchNorm cannot take and a step that will not fit in
    memory.
    """
    import torch

    from resnet_inspect.capture import capture_structure
    from resnet_inspect.model import build_model
    from resnet_inspect.step import run_step

    arch = parse_arch(arch)
    options = step or StepOptions()
    structure = capture_structure(build_model(arch, device="meta"), input_shape)
    preflight.check_batchnorm_batch(structure, ",".join(map(str, input_shape)))
    preflight.check_memory(structure, options)

    torch.manual_seed(seed)
    model = build_model(arch, device="cpu")
    model.train()
    result = run_step(model, input_shape, options, structure.num_classes)
    return build_model_report(
        structure,
        command="train-step",
        arch=arch,
        weights="none",
        shape_pass_device="meta",
        step=result,
        seed=seed,
    )
