"""The library: one function per command, each returning a report. The CLI is a thin layer."""

from __future__ import annotations

from resnet_inspect.assemble import build_model_report
from resnet_inspect.options import InputShape, parse_arch
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
