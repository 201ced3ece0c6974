"""The library: one function per command, each returning a report. The CLI is a thin layer.

Every function inspects one model, named in one of three ways: ``arch`` (a torchvision
ResNet, ``resnet18`` unless something else is given), ``model`` (an ``nn.Module`` instance,
or ``"file.py:NAME"`` / ``"package.module:NAME"``, which imports and runs that code), or a
checkpoint file as ``weights`` alone, whose configuration is inferred from its names and
shapes. A module given as ``model`` is never changed: every pass works on a copy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from resnet_inspect.anatomy import ARCHITECTURES
from resnet_inspect.assemble.model import build_model_report
from resnet_inspect.errors import InspectError, OptionError
from resnet_inspect.options import (
    FreezeOptions,
    InputShape,
    LossKind,
    ModelSpec,
    SideKind,
    StepOptions,
    WeightsChoice,
    WeightsKind,
    check_memory_budget,
    check_seed,
    choose_model,
    parse_diff_side,
)
from resnet_inspect.report import DiffReport, GraphReport, ModelReport, PlanReport, Setting

if TYPE_CHECKING:
    import torch

    from resnet_inspect.capture.source import ModelSource

DEFAULT_SHAPE: InputShape = (1, 3, 64, 64)


def inspect_tree(
    arch: str | None = None,
    input_shape: InputShape = DEFAULT_SHAPE,
    weights: str | WeightsChoice = "none",
    *,
    model: torch.nn.Module | ModelSpec | str | None = None,
    explain: bool = False,
) -> ModelReport:
    """Structure, shapes, parameters and FLOPs of one model for one input, from a meta pass.

    With ``explain``, every layer call carries the arithmetic behind its numbers
    (``Node.explain``), worked out from its hyperparameters and input shape.

    Builds the model on the meta device: no weights are initialised and no activation is
    allocated, so resnet152 at 64×3×512×512 costs about what resnet18 does.
    """
    # torch is imported here, not at the top, so that `import resnet_inspect` stays cheap.
    from resnet_inspect.capture.structure import capture_structure

    source = _source(arch, weights, model)
    meta = _checked_meta(source, input_shape)
    capture = capture_structure(meta, input_shape)
    return build_model_report(
        capture, command="tree", model=source.info, weights=source.weights, explained=explain
    )


def _source(arch: str | None, weights: str | WeightsChoice, model: Any) -> ModelSource:
    """Which model the arguments name; the same rules as the command line's."""
    from resnet_inspect.capture.source import resolve

    name, choice, spec = choose_model(arch, weights, model)
    if model is not None and not isinstance(model, str | ModelSpec):
        # A module instance: the library's own case ("show me my model").
        return resolve(arch=None, weights=choice, spec=None, module=model)
    return resolve(arch=name, weights=choice, spec=spec)


def _checked_meta(source: ModelSource, input_shape: InputShape) -> torch.nn.Module:
    """The model on the meta device, once its first conv is known to take the input."""
    from resnet_inspect.capture import preflight

    if not (isinstance(input_shape, tuple) and all(isinstance(d, int) for d in input_shape)):
        raise TypeError(f"input_shape must be a tuple of ints, not {input_shape!r}")
    meta = source.meta()
    preflight.check_input_channels(_first_conv(meta), input_shape, ",".join(map(str, input_shape)))
    return meta


def _first_conv(model: torch.nn.Module) -> tuple[str, int] | None:
    """The first convolution's name and input channels: the input's C must match them."""
    import torch

    convs = ((n, m) for n, m in model.named_modules() if isinstance(m, torch.nn.Conv2d))
    return next(((name, int(conv.in_channels)) for name, conv in convs), None)


def train_step(
    arch: str | None = None,
    input_shape: InputShape = DEFAULT_SHAPE,
    *,
    seed: int = 0,
    step: StepOptions | None = None,
    weights: str | WeightsChoice = "none",
    model: torch.nn.Module | ModelSpec | str | None = None,
) -> ModelReport:
    """One real CPU training step, as the tutorial takes it, with what it did to every parameter.

    Order, so that a plain script with the same seed computes the same numbers:
    ``torch.manual_seed(seed)``, build the model, ``torch.rand(input)``, the labels, forward,
    loss, ``backward()``, ``SGD(...).step()``. Before anything is allocated, the meta pass
    refuses an input that train-mode BatchNorm cannot take and a step that will not fit in
    memory.
    """
    return _stepped_report(
        "train-step",
        _source(arch, weights, model),
        input_shape,
        seed=seed,
        step=step,
        recipe=None,
    )


def freeze(
    arch: str | None = None,
    input_shape: InputShape = DEFAULT_SHAPE,
    *,
    options: FreezeOptions | None = None,
    seed: int = 0,
    step: StepOptions | None = None,
    weights: str | WeightsChoice = "none",
    model: torch.nn.Module | ModelSpec | str | None = None,
) -> ModelReport:
    """The tutorial's fine-tuning set-up, shown and proven by one real SGD step.

    Every parameter frozen, the head's last Linear replaced by a new
    ``Linear(in_features, new_classes)`` (the rest of a Sequential head stays), the
    ``unfreeze`` names trainable again, SGD over all parameters as the tutorial does. The
    same step as :func:`train_step` then shows that frozen parameters get no gradient and
    keep every bit, that the trainable ones move, and which BatchNorm buffers move anyway
    (all of them in train mode, unless ``bn_eval``).
    """
    return _stepped_report(
        "freeze",
        _source(arch, weights, model),
        input_shape,
        seed=seed,
        step=step,
        recipe=options or FreezeOptions(),
    )


def _stepped_report(
    command: str,
    source: ModelSource,
    input_shape: InputShape,
    *,
    seed: int,
    step: StepOptions | None,
    recipe: FreezeOptions | None,
) -> ModelReport:
    """Meta pass, the checks it allows, then the seeded real model and its one step.

    The fine-tuning ``recipe``, when given, is applied to both models alike, so the meta
    pass counts what the step trains. Weights are loaded as torchvision loads its own:
    into a model built (and randomly initialised) under the seed, so the RNG stream that
    then draws the input and labels is the tutorial's.
    """
    import torch

    from resnet_inspect.capture import preflight
    from resnet_inspect.capture.freezing import freeze_backbone, frozen_batchnorms, put_in_eval
    from resnet_inspect.capture.step import run_step
    from resnet_inspect.capture.structure import capture_structure

    check_seed(seed)
    options = step or StepOptions()
    meta = _checked_meta(source, input_shape)
    if recipe:
        freeze_backbone(meta, recipe)
    frozen_norms = frozen_batchnorms(meta) if recipe else ()
    in_eval = frozen_norms if recipe and recipe.bn_eval else ()
    structure = capture_structure(meta, input_shape)
    preflight.check_batchnorm_batch(structure, ",".join(map(str, input_shape)), in_eval)
    preflight.check_memory(structure, options)

    torch.manual_seed(seed)
    model = source.real()
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
        Setting("optimizer", options.optimizer.value),
        Setting("steps", options.steps),
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
        model=source.info,
        weights=source.weights,
        step=result,
        seed=seed,
        freeze=recipe,
        batchnorms_in_eval=in_eval,
        frozen_batchnorms=() if in_eval else frozen_norms,
        options=tuple(chosen),
    )


def graph(
    arch: str | None = None,
    input_shape: InputShape = DEFAULT_SHAPE,
    *,
    new_classes: int | None = None,
    unfreeze: tuple[str, ...] = (),
    loss: LossKind = LossKind.SUM,
    weights: str | WeightsChoice = "none",
    model: torch.nn.Module | ModelSpec | str | None = None,
    explain: bool = False,
) -> GraphReport:
    """The autograd graph of ``train-step``'s loss, built on the meta device and walked.

    With ``new_classes``, the freeze recipe is applied and the graph shows what the
    tutorial calls exclusion from the DAG: only the trainable part's leaves remain. The
    same graph with every parameter trainable is summarised beside it. With ``explain``,
    each backward node carries what it keeps for backward, with the bytes.
    """
    from resnet_inspect.assemble.graph import build_graph_report
    from resnet_inspect.capture import preflight
    from resnet_inspect.capture.freezing import freeze_backbone, replace_head
    from resnet_inspect.capture.graph import capture_graph
    from resnet_inspect.capture.structure import capture_structure

    if unfreeze and new_classes is None:
        raise OptionError("--unfreeze goes with --new-classes (the freeze recipe)")
    recipe = (
        FreezeOptions(new_classes=new_classes, unfreeze=unfreeze)
        if new_classes is not None
        else None
    )
    source = _source(arch, weights, model)
    structure = capture_structure(_checked_meta(source, input_shape), input_shape)
    # The graph is of a train-mode forward, which BatchNorm must be able to take.
    preflight.check_batchnorm_batch(structure, ",".join(map(str, input_shape)))
    classes = new_classes or structure.num_classes
    full = source.meta()
    if recipe:
        replace_head(full, recipe.new_classes)
    unfrozen = capture_graph(
        full, input_shape, loss=loss, classes=classes, explain=explain and not recipe
    )
    frozen = None
    if recipe:
        trained = source.meta()
        freeze_backbone(trained, recipe)
        frozen = capture_graph(trained, input_shape, loss=loss, classes=classes, explain=explain)
    return build_graph_report(
        frozen or unfrozen,
        layout=structure.layout,
        model=source.info,
        input_shape=input_shape,
        loss_kind=loss.value,
        num_classes=classes,
        weights=source.weights,
        unfrozen=unfrozen if frozen else None,
        new_classes=new_classes,
        unfreeze=unfreeze,
        explained=explain,
    )


def diff(
    a: str,
    b: str,
    *,
    arch: str | None = None,
    model: torch.nn.Module | ModelSpec | str | None = None,
) -> DiffReport:
    """What changed between two checkpoints, tensor by tensor and folded into the model's
    tree, with a verdict: backbone, BatchNorm statistics, head, dtype.

    ``a`` and ``b`` are each a checkpoint file, a torchvision weights name of ``arch``, or
    ``init:SEED`` (the architecture's random initialisation under that seed). The model is
    ``arch`` or ``model``, or else what A (or B) says it is, as ``--weights FILE`` infers it.
    """

    from resnet_inspect.assemble.diff import build_diff_report
    from resnet_inspect.capture.diff import compare, side_state
    from resnet_inspect.capture.structure import capture_structure

    side_a, side_b = parse_diff_side(a, "A"), parse_diff_side(b, "B")
    weights: str | WeightsChoice = "none"
    if arch is None and model is None:
        described = next((s for s in (side_a, side_b) if s.kind is SideKind.FILE), None)
        if described is not None:
            weights = WeightsChoice(WeightsKind.FILE, path=described.path)
    source = _source(arch, weights, model)
    meta = source.meta()
    first = _first_conv(meta)
    structure = capture_structure(meta, (1, first[1] if first else 3, 64, 64))
    stock = source.info.name if source.info.name in ARCHITECTURES else None
    state_a = side_state(side_a, "A", source, stock)
    state_b = side_state(side_b, "B", source, stock)
    if not set(state_a) & set(state_b):
        raise InspectError(
            f"A and B have no key in common (A: {', '.join(list(state_a)[:2])}, …; B: "
            f"{', '.join(list(state_b)[:2])}, …): not two checkpoints of one model"
        )
    kinds = {name: "parameter" for name, _ in meta.named_parameters()}
    kinds.update({name: "buffer" for name, _ in meta.named_buffers()})
    tensors = compare(state_a, state_b, kinds, list(meta.state_dict()))
    return build_diff_report(structure, tensors, model=source.info, a=side_a.text, b=side_b.text)


def plan(
    arch: str | None = None,
    input_shape: InputShape = DEFAULT_SHAPE,
    *,
    new_classes: int,
    unfreeze: tuple[str, ...] = (),
    step: StepOptions | None = None,
    memory: int | None = None,
    weights: str | WeightsChoice = "none",
    model: torch.nn.Module | ModelSpec | str | None = None,
) -> PlanReport:
    """What each fine-tuning depth costs: the new head only, then each stage down to the
    stem, then everything (and ``unfreeze``'s own row when given).

    Per depth: trainable parameters, gradient and optimizer-state bytes (``step.optimizer``),
    what autograd saves, forward and backward FLOPs, and the peak memory of one training
    step at ``input_shape``; with ``memory`` (bytes), the largest batch whose step fits. All
    from meta passes: nothing is allocated, no real step runs.
    """
    from resnet_inspect.assemble.plan import EVERYTHING, build_plan_report
    from resnet_inspect.capture import preflight
    from resnet_inspect.capture.freezing import check_unfreeze, freeze_backbone
    from resnet_inspect.capture.plan import capture_cut
    from resnet_inspect.capture.structure import capture_structure

    options = step or StepOptions()
    check_memory_budget(memory)
    FreezeOptions(new_classes=new_classes, unfreeze=unfreeze)  # checked before any work
    head_only = FreezeOptions(new_classes=new_classes)
    source = _source(arch, weights, model)
    meta = _checked_meta(source, input_shape)
    if unfreeze:
        check_unfreeze(meta, unfreeze)
    freeze_backbone(meta, head_only)
    structure = capture_structure(meta, input_shape)
    preflight.check_batchnorm_batch(structure, ",".join(map(str, input_shape)))

    stages = structure.layout.stages
    # Each row trains the new head and, from the last stage down, one more stage each.
    depths: list[tuple[str, tuple[str, ...]]] = [("head", ())]
    for index in range(len(stages) - 1, -1, -1):
        depths.append((stages[index], tuple(reversed(stages[index:]))))
    holders = [
        name for name, child in meta.named_children() if any(True for _ in child.parameters())
    ]
    depths.append((EVERYTHING, tuple(holders)))
    if unfreeze:
        depths.append(("unfreeze", unfreeze))

    kept = structure.param_bytes + structure.buffer_bytes

    def room(state: int) -> int:
        assert memory is not None
        return memory - kept - state

    cuts = [
        capture_cut(
            source.meta,
            name,
            FreezeOptions(new_classes=new_classes, unfreeze=names),
            input_shape,
            options,
            room=room if memory is not None else None,
        )
        for name, names in depths
    ]
    if memory is not None and all(cut.largest_batch == 0 for cut in cuts):
        cheapest = min(
            kept + cut.optimizer_state_bytes + (cut.batch_one_live_bytes or 0) for cut in cuts
        )
        from resnet_inspect.views.units import binary_bytes

        raise OptionError(
            f"--memory {binary_bytes(memory)} is too small: one step at batch 1 needs about "
            f"{binary_bytes(cheapest)}, even when only the head trains"
        )
    chosen = (
        Setting("new_classes", new_classes),
        Setting("unfreeze", ",".join(unfreeze)),
        Setting("optimizer", options.optimizer.value),
        Setting("momentum", options.momentum),
        Setting("loss", options.loss.value),
        Setting("memory", memory),
    )
    return build_plan_report(
        structure,
        cuts,
        model=source.info,
        weights=source.weights,
        optimizer=options.optimizer.value,
        memory_bytes=memory,
        options=chosen,
    )
