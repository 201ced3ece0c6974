"""Captured facts grouped into the report's tree: sections, blocks, and one row per call.

Group totals are sums over leaves only (a parent is never added to its children), and a
module's parameters ride on its first call only, so a reused ReLU is never counted twice.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from resnet_inspect import anatomy
from resnet_inspect.anatomy import Role
from resnet_inspect.assemble.grouping import fold_sections
from resnet_inspect.options import FreezeOptions
from resnet_inspect.records import CallRecord, StepCapture, StructureCapture
from resnet_inspect.report import (
    FreezeSummary,
    Level,
    ModelReport,
    Node,
    ParamStat,
    Setting,
    SettingValue,
    StepStats,
    StepSummary,
    Totals,
    WeightsInfo,
)


def build_model_report(
    capture: StructureCapture,
    *,
    command: str,
    arch: str,
    weights: WeightsInfo,
    shape_pass_device: str,
    step: StepCapture | None = None,
    seed: int = 0,
    freeze: FreezeOptions | None = None,
    batchnorms_in_eval: tuple[str, ...] = (),
    options: tuple[Setting, ...] = (),
) -> ModelReport:
    leaves = _leaf_nodes(capture, step)
    sections = tuple(_sections(leaves, capture))
    every_leaf = [node for section in sections for node in section.walk() if not node.children]
    params = sum(node.params for node in every_leaf)
    trainable = sum(node.trainable_params for node in every_leaf)
    totals = Totals(
        params=params,
        trainable_params=trainable,
        frozen_params=params - trainable,
        param_bytes=capture.param_bytes,
        buffer_bytes=capture.buffer_bytes,
        macs=sum(node.macs for node in every_leaf),
        flops=capture.total_flops,
        activation_bytes=sum(node.activation_bytes for node in every_leaf),
        input_bytes=capture.input_bytes,
    )
    return ModelReport(
        command=command,
        arch=arch,
        input_shape=capture.calls[0].input_shape if capture.calls else (),
        dtype=capture.dtype,
        num_classes=capture.num_classes,
        weights=weights,
        shape_pass_device=shape_pass_device,
        sections=sections,
        totals=totals,
        step=_step_summary(step, seed) if step else None,
        freeze=(
            _freeze_summary(
                capture,
                step=step,
                options=freeze,
                batchnorms_in_eval=batchnorms_in_eval,
                totals=totals,
            )
            if freeze and step
            else None
        ),
        options=options,
    )


def _freeze_summary(
    capture: StructureCapture,
    *,
    step: StepCapture,
    options: FreezeOptions,
    batchnorms_in_eval: tuple[str, ...],
    totals: Totals,
) -> FreezeSummary:
    """The proof of the freeze, read off one step: frozen tensors got no gradient and kept
    every bit; trainable ones moved; and which buffers of the frozen part moved anyway."""
    frozen = [p for p in step.params.values() if not p.trainable]
    trainable = [p for p in step.params.values() if p.trainable]
    frozen_modules = {
        name
        for name, record in capture.modules.items()
        if record.params and not record.trainable_params
    }
    frozen_buffers = tuple(
        name for name in step.buffers_changed if name.rsplit(".", 1)[0] in frozen_modules
    )
    head = {s.name: s.value for s in capture.modules["fc"].settings}
    return FreezeSummary(
        new_classes=options.new_classes,
        head_in_features=_first(head["in_features"]),
        unfrozen=options.unfreeze,
        bn_eval=options.bn_eval,
        batchnorms_in_eval=batchnorms_in_eval,
        trainable_share=totals.trainable_params / totals.params if totals.params else 0.0,
        frozen_tensors=len(frozen),
        frozen_without_grad=sum(p.grad_norm is None for p in frozen),
        frozen_unchanged=sum(not p.changed for p in frozen),
        trainable_tensors=len(trainable),
        trainable_changed=sum(p.changed for p in trainable),
        frozen_buffers_changed=frozen_buffers,
        frozen_part_unchanged=not frozen_buffers and all(not p.changed for p in frozen),
        holds=all(p.grad_norm is None and not p.changed for p in frozen)
        and all(p.changed for p in trainable),
    )


def _step_summary(step: StepCapture, seed: int) -> StepSummary:
    params = list(step.params.values())
    return StepSummary(
        seed=seed,
        loss=step.loss,
        loss_kind=step.loss_kind,
        loss_expression=step.loss_expression,
        target=step.target,
        optimizer=step.optimizer,
        optimizer_settings=step.optimizer_settings,
        forward_s=step.forward_s,
        backward_s=step.backward_s,
        step_s=step.step_s,
        global_grad_norm=step.global_grad_norm,
        tensors_total=len(params),
        tensors_with_grad=sum(p.grad_norm is not None for p in params),
        tensors_changed=sum(p.changed for p in params),
        elements_changed=sum(p.numel for p in params if p.changed),
        buffers_total=step.buffers_total,
        buffers_changed=step.buffers_changed,
        buffers_changed_by_kind=dict(
            sorted(Counter(name.rsplit(".", 1)[-1] for name in step.buffers_changed).items())
        ),
    )


def aggregate_step(params: Sequence[ParamStat]) -> StepStats | None:
    """L2 norms over all elements of several parameters: sqrt of the sum of squares."""
    if not params:
        return None
    with_grad = [p.grad_norm for p in params if p.grad_norm is not None]
    update = math.sqrt(sum(p.update_norm**2 for p in params))
    norm = math.sqrt(sum(p.param_norm**2 for p in params))
    return StepStats(
        grad_norm=math.sqrt(sum(g**2 for g in with_grad)) if with_grad else None,
        update_norm=update,
        param_norm=norm,
        relative_update=update / norm if norm > 0 else None,
        tensors=len(params),
        tensors_with_grad=len(with_grad),
        tensors_changed=sum(p.changed for p in params),
    )


def _leaf_nodes(capture: StructureCapture, step: StepCapture | None) -> list[Node]:
    """One node per module call, with the non-module steps of forward() put in place."""
    calls_per_module = Counter(call.name for call in capture.calls)
    nodes: list[Node] = []
    for record in capture.calls:
        if anatomy.layer_role(record.name, None, 1, 1) is Role.HEAD_FC and nodes:
            nodes.append(_flatten_node(nodes[-1], record))
        module = capture.modules[record.name]
        block = anatomy.block_of(record.name)
        block_kind = capture.modules[block].kind if block in capture.modules else None
        calls = calls_per_module[record.name]
        role = anatomy.layer_role(record.name, block_kind, record.call, calls)
        if role is Role.BLOCK_RELU_OUT:
            nodes.append(_residual_add_node(block or "", record, capture))
        first_call = record.call == 1
        parameters = (
            tuple(step.params[f"{record.name}.{local}"] for local in module.param_names)
            if step and first_call
            else ()
        )
        nodes.append(
            Node(
                name=record.name,
                level=Level.LAYER,
                role=role,
                kind=module.kind,
                settings=module.settings,
                input_shape=record.input_shape,
                output_shape=record.output_shape,
                call=record.call,
                calls=calls,
                params=module.params if first_call else 0,
                trainable_params=module.trainable_params if first_call else 0,
                macs=record.flops // 2,
                flops=record.flops,
                activation_bytes=0 if record.in_place else record.output_bytes,
                parameters=parameters,
                step=aggregate_step(parameters),
            )
        )
    return nodes


def _residual_add_node(block: str, relu: CallRecord, capture: StructureCapture) -> Node:
    has_projection = f"{block}.downsample" in capture.modules
    return Node(
        name=f"{block}.add",
        level=Level.LAYER,
        role=Role.RESIDUAL_ADD,
        kind="add_",
        settings=(Setting("shortcut", "projection" if has_projection else "identity"),),
        input_shape=relu.input_shape,
        output_shape=relu.input_shape,
        module_call=False,
    )


def _flatten_node(pool: Node, fc: CallRecord) -> Node:
    return Node(
        name="flatten",
        level=Level.LAYER,
        role=Role.HEAD_FLATTEN,
        kind="flatten",
        settings=(Setting("start_dim", 1),),
        input_shape=pool.output_shape,
        output_shape=fc.input_shape,
        module_call=False,
    )


def _group(
    name: str,
    level: Level,
    role: Role,
    kind: str,
    children: Sequence[Node],
    settings: tuple[Setting, ...] = (),
) -> Node:
    leaves = [node for child in children for node in child.walk() if not node.children]
    return Node(
        name=name,
        level=level,
        role=role,
        kind=kind,
        settings=settings,
        input_shape=children[0].input_shape,
        output_shape=children[-1].output_shape,
        module_call=False,
        params=sum(node.params for node in leaves),
        trainable_params=sum(node.trainable_params for node in leaves),
        macs=sum(node.macs for node in leaves),
        flops=sum(node.flops for node in leaves),
        activation_bytes=sum(node.activation_bytes for node in leaves),
        children=tuple(children),
        step=aggregate_step([p for node in leaves for p in node.parameters]),
    )


def _sections(leaves: list[Node], capture: StructureCapture) -> list[Node]:
    sections = []
    for part in fold_sections(leaves, lambda node: node.name):
        if not part.blocks:
            role = Role.HEAD if part.name == "head" else Role.STEM
            sections.append(_group(part.name, Level.SECTION, role, part.name, part.loose))
            continue
        blocks = [
            _group(
                name,
                Level.BLOCK,
                anatomy.block_role(capture.modules[name].kind),
                capture.modules[name].kind,
                members,
                _block_facts(name, capture),
            )
            for name, members in part.blocks
        ]
        children = [*blocks, *part.loose]
        facts = (Setting("blocks", len(blocks)), Setting("stride", blocks[0].setting("stride")))
        sections.append(_group(part.name, Level.SECTION, Role.STAGE, "stage", children, facts))
    return sections


def _block_facts(block: str, capture: StructureCapture) -> tuple[Setting, ...]:
    """Stride, shortcut kind and channels of a block, read off its convolutions."""
    convs = [
        record
        for name, record in capture.modules.items()
        if name.startswith(f"{block}.conv") and record.kind == "Conv2d"
    ]
    settings = [{s.name: s.value for s in conv.settings} for conv in convs]
    # torchvision puts a block's stride on one conv (conv1 in BasicBlock, conv2 in Bottleneck).
    stride = max(_first(conv["stride"]) for conv in settings)
    projection = f"{block}.downsample" in capture.modules
    facts = [
        Setting("stride", stride),
        Setting("shortcut", "projection" if projection else "identity"),
        Setting("in_channels", settings[0]["in_channels"]),
        Setting("out_channels", settings[-1]["out_channels"]),
    ]
    if len(settings) == 3:  # a Bottleneck: its 3×3 conv runs at the block's width
        facts.append(Setting("width", settings[1]["out_channels"]))
        facts.append(Setting("groups", settings[1]["groups"]))
    return tuple(facts)


def _first(value: SettingValue) -> int:
    """A setting as an int; of a ``(h, w)`` pair, the height."""
    return int(value[0]) if isinstance(value, tuple) else int(str(value))
