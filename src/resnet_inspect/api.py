"""The library: one function per command, each returning a report. The CLI is a thin layer."""

from __future__ import annotations

from resnet_inspect.assemble.model import build_model_report
from resnet_inspect.capture import preflight
from resnet_inspect.options import (
    FreezeOptions,
    InputShape,
    LossKind,
    StepOptions,
    WeightsChoice,
    WeightsKind,
    parse_arch,
    parse_weights,
)
from resnet_inspect.report import GraphReport, ModelReport, Setting


def inspect_tree(
    arch: str = "resnet18",
    input_shape: InputShape = (1, 3, 64, 64),
    weights: str | WeightsChoice = "none",
) -> ModelReport:
    """Structure, shapes, parameters and FLOPs of ``arch`` for one input, from a meta pass.

    Builds the model on the meta device: no weights are initialised and no activation is
    allocated, so resnet152 at 64×3×512×512 costs about what resnet18 does.
    """
    # torch is imported here, not at the top, so that `import resnet_inspect` stays cheap.
    from resnet_inspect.capture.model import build_model
    from resnet_inspect.capture.structure import capture_structure
    from resnet_inspect.capture.weights import describe_weights

    arch = parse_arch(arch)
    source = describe_weights(_weights(weights, arch), arch)
    model = build_model(arch, device="meta", num_classes=source.info.num_classes)
    capture = capture_structure(model, input_shape)
    return build_model_report(
        capture, command="tree", arch=arch, weights=source.info, shape_pass_device="meta"
    )


def _weights(weights: str | WeightsChoice, arch: str) -> WeightsChoice:
    return weights if isinstance(weights, WeightsChoice) else parse_weights(weights, arch)


def train_step(
    arch: str = "resnet18",
    input_shape: InputShape = (1, 3, 64, 64),
    *,
    seed: int = 0,
    step: StepOptions | None = None,
    weights: str | WeightsChoice = "none",
) -> ModelReport:
    """One real CPU training step, as the tutorial takes it, with what it did to every parameter.

    Order, so that a plain script with the same seed computes the same numbers:
    ``torch.manual_seed(seed)``, build the model, ``torch.rand(input)``, the labels, forward,
    loss, ``backward()``, ``SGD(...).step()``. Before anything is allocated, the meta pass
    refuses an input that train-mode BatchNorm cannot take and a step that will not fit in
    memory.
    """
    arch = parse_arch(arch)
    return _stepped_report(
        "train-step",
        arch,
        input_shape,
        seed=seed,
        step=step,
        recipe=None,
        weights=_weights(weights, arch),
    )


def freeze(
    arch: str = "resnet18",
    input_shape: InputShape = (1, 3, 64, 64),
    *,
    options: FreezeOptions | None = None,
    seed: int = 0,
    step: StepOptions | None = None,
    weights: str | WeightsChoice = "none",
) -> ModelReport:
    """The tutorial's fine-tuning set-up, shown and proven by one real SGD step.

    Every parameter frozen, ``fc`` replaced by a new ``Linear(in_features, new_classes)``,
    the ``unfreeze`` names trainable again, SGD over all parameters as the tutorial does.
    The same step as :func:`train_step` then shows that frozen parameters get no gradient
    and keep every bit, that the trainable ones move, and which BatchNorm buffers move
    anyway (all of them in train mode, unless ``bn_eval``).
    """
    arch = parse_arch(arch)
    recipe = options or FreezeOptions()
    return _stepped_report(
        "freeze",
        arch,
        input_shape,
        seed=seed,
        step=step,
        recipe=recipe,
        weights=_weights(weights, arch),
    )


def _stepped_report(
    command: str,
    arch: str,
    input_shape: InputShape,
    *,
    seed: int,
    step: StepOptions | None,
    recipe: FreezeOptions | None,
    weights: WeightsChoice,
) -> ModelReport:
    """Meta pass, the checks it allows, then the seeded real model and its one step.

    The fine-tuning ``recipe``, when given, is applied to both models alike, so the meta
    pass counts what the step trains. Weights are loaded as torchvision loads its own:
    into a model built (and randomly initialised) under the seed, so the RNG stream that
    then draws the input and labels is the tutorial's.
    """
    import torch

    from resnet_inspect.capture.freezing import freeze_backbone, frozen_batchnorms, put_in_eval
    from resnet_inspect.capture.model import build_model
    from resnet_inspect.capture.step import run_step
    from resnet_inspect.capture.structure import capture_structure
    from resnet_inspect.capture.weights import describe_weights, load_weights

    options = step or StepOptions()
    source = describe_weights(weights, arch)  # a local file is read and checked here
    meta = build_model(arch, device="meta", num_classes=source.info.num_classes)
    if recipe:
        freeze_backbone(meta, recipe)
    in_eval = frozen_batchnorms(meta) if recipe and recipe.bn_eval else ()
    structure = capture_structure(meta, input_shape)
    preflight.check_batchnorm_batch(structure, ",".join(map(str, input_shape)), in_eval)
    preflight.check_memory(structure, options)

    if weights.kind is WeightsKind.PRETRAINED:  # only now, once the step is known to fit
        source = load_weights(weights, arch)
    torch.manual_seed(seed)
    model = build_model(arch, device="cpu", num_classes=source.info.num_classes)
    if source.state_dict is not None:
        model.load_state_dict(source.state_dict)
    if recipe:
        freeze_backbone(model, recipe)
    model.train()
    put_in_eval(model, in_eval)
    result = run_step(model, input_shape, options, structure.num_classes)
    chosen = [
        Setting("seed", seed),
        Setting("lr", options.lr),
        Setting("momentum", options.momentum),
        Setting("weight_decay", options.weight_decay),
        Setting("nesterov", options.nesterov),
        Setting("loss", options.loss.value),
    ]
    if recipe:
        chosen += [
            Setting("new_classes", recipe.new_classes),
            Setting("unfreeze", ",".join(recipe.unfreeze)),
            Setting("bn_eval", recipe.bn_eval),
        ]
    return build_model_report(
        structure,
        command=command,
        arch=arch,
        weights=source.info,
        shape_pass_device="meta",
        step=result,
        seed=seed,
        freeze=recipe,
        batchnorms_in_eval=in_eval,
        options=tuple(chosen),
    )


def graph(
    arch: str = "resnet18",
    input_shape: InputShape = (1, 3, 64, 64),
    *,
    new_classes: int | None = None,
    unfreeze: tuple[str, ...] = (),
    loss: LossKind = LossKind.SUM,
    weights: str | WeightsChoice = "none",
) -> GraphReport:
    """The autograd graph of ``train-step``'s loss, built on the meta device and walked.

    With ``new_classes``, the freeze recipe is applied and the graph shows what the
    tutorial calls exclusion from the DAG: only the trainable part's leaves remain. The
    same graph with every parameter trainable is summarised beside it.
    """
    from resnet_inspect.assemble.graph import build_graph_report
    from resnet_inspect.capture.freezing import freeze_backbone
    from resnet_inspect.capture.graph import capture_graph
    from resnet_inspect.capture.model import build_model
    from resnet_inspect.capture.weights import describe_weights

    arch = parse_arch(arch)
    source = describe_weights(_weights(weights, arch), arch)
    classes = new_classes or source.info.num_classes
    full = build_model(arch, device="meta", num_classes=classes)
    unfrozen = capture_graph(full, input_shape, loss=loss, classes=classes)
    frozen = None
    if new_classes is not None:
        model = build_model(arch, device="meta", num_classes=source.info.num_classes)
        freeze_backbone(model, FreezeOptions(new_classes=new_classes, unfreeze=unfreeze))
        frozen = capture_graph(model, input_shape, loss=loss, classes=classes)
    return build_graph_report(
        frozen or unfrozen,
        arch=arch,
        input_shape=input_shape,
        loss_kind=loss.value,
        num_classes=classes,
        weights=source.info,
        unfrozen=unfrozen if frozen else None,
        new_classes=new_classes,
        unfreeze=unfreeze,
    )
