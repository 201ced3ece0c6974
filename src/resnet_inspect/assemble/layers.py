"""Captured facts grouped into the report's tree: sections, blocks, and one row per call.

Group totals are sums over leaves only (a parent is never added to its children), and a
module's parameters ride on its first call only, so a reused ReLU is never counted twice.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from resnet_inspect import anatomy
from resnet_inspect.anatomy import Role
from resnet_inspect.assemble.explain import formulas
from resnet_inspect.assemble.flags import step_flags
from resnet_inspect.assemble.grouping import fold_sections
from resnet_inspect.config import FreezeOptions
from resnet_inspect.records import CallRecord, Layout, StepCapture, StructureCapture, within
from resnet_inspect.report import (
    NO_SETTINGS,
    FreezeSummary,
    LayerReport,
    Level,
    ModelInfo,
    Node,
    ParamStat,
    Setting,
    Settings,
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
    model: ModelInfo,
    weights: WeightsInfo,
    step: StepCapture | None = None,
    seed: int = 0,
    freeze: FreezeOptions | None = None,
    batchnorms_in_eval: tuple[str, ...] = (),
    frozen_batchnorms: tuple[str, ...] = (),
    options: Settings = NO_SETTINGS,
    explained: bool = False,
) -> LayerReport:
    """``frozen_batchnorms``: during a freeze, the BatchNorm layers whose parameters are all
    frozen but which run in train mode (their statistics move): flagged."""
    roles, block_roles = _roles(capture)
    leaves = _leaf_nodes(capture, step, roles)
    if explained:
        leaves = [replace(node, formulas=formulas(node)) for node in leaves]
    flags = (
        step_flags(
            leaves,
            capture,
            step,
            frozen_batchnorms=frozen_batchnorms,
            batchnorms_in_eval=batchnorms_in_eval,
        )
        if step
        else ()
    )
    sections = tuple(_sections(leaves, capture, block_roles))
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
    return LayerReport(
        command=command,
        arch=model.name,
        input_shape=capture.calls[0].input_shape if capture.calls else (),
        dtype=capture.dtype,
        num_classes=capture.num_classes,
        weights=weights,
        shape_pass_device="meta",
        model=model,
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
        flags=flags,
        channels_last=step.channels_last if step else None,
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
    classifier = capture.modules[capture.layout.head_linear]
    head = {s.name: s.value for s in classifier.settings}
    return FreezeSummary(
        new_classes=options.new_classes,
        head=capture.layout.head_linear,
        head_kind="Conv2d" if "Conv" in classifier.kind else "Linear",
        head_in_features=_first(head.get("in_features", head.get("in_channels", 0))),
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
        optimizer_state_bytes=step.optimizer_state_bytes,
        tensors_total=len(params),
        tensors_with_grad=sum(p.grad_norm is not None for p in params),
        tensors_changed=sum(p.changed for p in params),
        elements_changed=sum(p.numel for p in params if p.changed),
        buffers_total=step.buffers_total,
        buffers_changed=step.buffers_changed,
        buffers_changed_by_kind=dict(
            sorted(Counter(name.rsplit(".", 1)[-1] for name in step.buffers_changed).items())
        ),
        steps=len(step.losses) or 1,
        losses=step.losses,
        global_grad_norms=step.global_grad_norms,
        images=step.images,
        precision=step.precision,
        checkpointed=step.checkpointed,
    )


def aggregate_step(params: Sequence[ParamStat]) -> StepStats | None:
    """L2 norms over all elements of several parameters: sqrt of the sum of squares.

    math.fsum is correctly rounded, so the same step gives the same bytes on every Python
    (sum() of floats became compensated in 3.12 and rounds differently from 3.11's)."""
    if not params:
        return None
    with_grad = [p.grad_norm for p in params if p.grad_norm is not None]
    update = math.sqrt(math.fsum(p.update_norm**2 for p in params))
    norm = math.sqrt(math.fsum(p.param_norm**2 for p in params))
    total = math.sqrt(math.fsum(p.total_update_norm**2 for p in params))
    return StepStats(
        grad_norm=math.sqrt(math.fsum(g**2 for g in with_grad)) if with_grad else None,
        update_norm=update,
        param_norm=norm,
        relative_update=None if norm == 0 else update / norm,
        tensors=len(params),
        tensors_with_grad=len(with_grad),
        tensors_changed=sum(p.changed for p in params),
        total_update_norm=total,
    )


def _zero_fraction(step: StepCapture | None, record: CallRecord) -> float | None:
    """The share of exact zeros in this ReLU call's output (an ``nn.ReLU`` or a relu function
    a module's forward runs), counted in the real forward."""
    counted = (step.relu_zeros or {}).get(record.name, ()) if step else ()
    return counted[record.call - 1] if len(counted) >= record.call else None


def _leaf_nodes(
    capture: StructureCapture, step: StepCapture | None, roles: list[Role]
) -> list[Node]:
    """One node per call, module or function, in the order they ran, each with its role."""
    calls_per_name = Counter(call.name for call in capture.calls)
    nodes: list[Node] = []
    for index, record in enumerate(capture.calls):
        # A module's parameters ride on its first call only; a function owns none.
        module = capture.modules[record.name] if record.module_call else None
        owns = module if module and record.call == 1 else None
        parameters = (
            tuple(step.params[f"{record.name}.{local}"] for local in owns.param_names)
            if step and owns
            else ()
        )
        nodes.append(
            Node(
                name=record.name,
                level=Level.LAYER,
                role=roles[index],
                kind=module.kind if module else record.kind,
                settings=module.settings if module else _function_facts(record, capture),
                input_shape=record.input_shape,
                output_shape=record.output_shape,
                call=record.call,
                calls=calls_per_name[record.name],
                module_call=record.module_call,
                params=owns.params if owns else 0,
                trainable_params=owns.trainable_params if owns else 0,
                macs=record.flops // 2,
                flops=record.flops,
                activation_bytes=record.output_bytes if record.allocates else 0,
                parameters=parameters,
                step=aggregate_step(parameters),
                zero_fraction=_zero_fraction(step, record),
                receptive_field=record.field,
                output_dtype=record.output_dtype,
            )
        )
    return nodes


def _kind(record: CallRecord, capture: StructureCapture) -> str:
    return capture.modules[record.name].kind if record.module_call else record.kind


def _place(layout: Layout, record: CallRecord) -> tuple[str, str | None]:
    return layout.section_of(record.module, record.after), layout.block_of(record.module)


def _roles(capture: StructureCapture) -> tuple[list[Role], dict[str, Role]]:
    """Each call's role, decided by where it ran: stem, a block (and where in it), head;
    and each block's own (bottleneck or basic), from the same look at its calls."""
    layout = capture.layout
    roles = [Role.OTHER] * len(capture.calls)
    by_block: dict[str, list[int]] = {}
    for index, record in enumerate(capture.calls):
        section, block = _place(layout, record)
        kind = _kind(record, capture)
        if block:
            by_block.setdefault(block, []).append(index)
        elif section == "stem":
            first = not any(role in _STEM_CONVS for role in roles[:index])
            roles[index] = anatomy.stem_role(kind, first_conv=first)
        elif section == "head":
            classifier = record.module_call and record.name == layout.head_linear
            roles[index] = anatomy.head_role(kind, classifier)
    of_blocks: dict[str, Role] = {}
    for block, indexes in by_block.items():
        shortcut = layout.shortcuts.get(block, "")
        records = [capture.calls[i] for i in indexes]
        block_side = _side(records[0].input_shape)
        of_blocks[block], block_roles = anatomy.block_roles(
            [_block_call(record, capture, shortcut, block_side) for record in records]
        )
        for i, role in zip(indexes, block_roles, strict=True):
            roles[i] = role
    return roles, of_blocks


_STEM_CONVS = (Role.STEM_CONV, Role.STEM_CONV_MORE)


def _block_call(
    record: CallRecord, capture: StructureCapture, shortcut: str, block_side: int
) -> anatomy.BlockCall:
    """The facts of one call that decide its role in its block."""
    kind = _kind(record, capture)
    settings = capture.modules[record.name].settings if record.module_call else ()
    facts = {s.name: s.value for s in settings}
    conv = anatomy.is_conv(kind)
    return anatomy.BlockCall(
        kind=kind,
        in_shortcut=bool(shortcut) and within(record.module, shortcut),
        residual=record.residual,
        kernel=_first(facts["kernel_size"]) if conv and "kernel_size" in facts else 0,
        pooled=conv and block_side > 1 and _side(record.input_shape) == 1,
    )


def _side(shape: tuple[int, ...]) -> int:
    """The width of a feature map (0 for what has none)."""
    return shape[-1] if len(shape) == 4 else 0


def _function_facts(record: CallRecord, capture: StructureCapture) -> Settings:
    """A residual add says what it adds: the block's shortcut module, or the identity (no
    shortcut, or one that holds no parameters, such as an empty Sequential)."""
    if not record.residual:
        return record.settings
    shortcut = capture.layout.shortcuts.get(record.owner, "")
    projects = any(
        m.params for name, m in capture.modules.items() if shortcut and within(name, shortcut)
    )
    if not projects:
        return Settings((Setting("shortcut", "identity"),))
    return Settings((Setting("shortcut", "projection"), Setting("shortcut_module", shortcut)))


def _group(
    name: str,
    level: Level,
    role: Role,
    kind: str,
    children: Sequence[Node],
    settings: Settings = NO_SETTINGS,
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
        output_dtype=children[-1].output_dtype,
        module_call=False,
        params=sum(node.params for node in leaves),
        trainable_params=sum(node.trainable_params for node in leaves),
        macs=sum(node.macs for node in leaves),
        flops=sum(node.flops for node in leaves),
        activation_bytes=sum(node.activation_bytes for node in leaves),
        children=tuple(children),
        step=aggregate_step([p for node in leaves for p in node.parameters]),
        # A group's output is its last call's: so is the field of one of its units.
        receptive_field=children[-1].receptive_field,
    )


def _sections(
    leaves: list[Node], capture: StructureCapture, block_roles: dict[str, Role]
) -> list[Node]:
    layout = capture.layout
    by_node = {id(node): record for node, record in zip(leaves, capture.calls, strict=True)}
    sections = []
    for part in fold_sections(leaves, lambda node: _place(layout, by_node[id(node)])):
        if part.name not in layout.stages:
            role = Role.HEAD if part.name == "head" else Role.STEM
            # The stem's stride: how much its layers shrink the image, the product of their
            # strides (not the widths' ratio, which floor division blurs at odd sizes).
            stride = Setting("stride", _strides_product(part.loose))
            scale = Settings((stride,)) if role is Role.STEM else NO_SETTINGS
            sections.append(_group(part.name, Level.SECTION, role, part.name, part.loose, scale))
            continue
        blocks = [
            _group(
                name,
                Level.BLOCK,
                block_roles[name],
                capture.modules[name].kind,
                members,
                _block_facts(name, members, layout),
            )
            for name, members in part.blocks
        ]
        children = [*blocks, *part.loose]
        facts = Settings((Setting("blocks", len(blocks)), Setting("stride", _stride(children))))
        sections.append(_group(part.name, Level.SECTION, Role.STAGE, "stage", children, facts))
    return sections


def _block_facts(block: str, members: Sequence[Node], layout: Layout) -> Settings:
    """Stride, shortcut kind and channels of a block: read off what went in and came out,
    and, for a bottleneck, its spatial conv's width and groups."""
    shortcut = layout.shortcuts.get(block, "")
    projection = bool(shortcut) and any(n.params for n in members if within(n.name, shortcut))
    facts = [
        Setting("stride", _stride(members)),
        Setting("shortcut", "projection" if projection else "identity"),
        Setting("in_channels", members[0].input_shape[1] if len(members[0].input_shape) > 1 else 0),
        Setting(
            "out_channels", members[-1].output_shape[1] if len(members[-1].output_shape) > 1 else 0
        ),
    ]
    spatial = [n for n in members if n.role is Role.BOTTLENECK_SPATIAL]
    if spatial:  # the k×k conv runs at the block's width
        conv = {s.name: s.value for s in spatial[0].settings}
        facts.append(Setting("width", conv["out_channels"]))
        facts.append(Setting("groups", conv["groups"]))
    return Settings(facts)


def _strides_product(members: Sequence[Node]) -> int:
    factor = 1
    for node in members:
        stride = next((item.value for item in node.settings if item.name == "stride"), None)
        if stride is not None:
            factor *= _first(stride)
    return factor


def _channels(shape: tuple[int, ...]) -> int:
    return shape[1] if len(shape) > 1 else 0


def _stride(members: Sequence[Node]) -> int:
    """A block's or a stage's stride from the sides it maps: the smallest stride s with
    ceil(in / s) = out, which is what a strided conv or pool gives at any side (a 25-pixel
    map into a stride-2 conv gives 13, whose floor ratio would read 1). Parallel branches
    (SK, Res2Net) and blur pools count once, as they do in the map."""
    first, last = members[0].input_shape, members[-1].output_shape
    if len(first) < 3 or len(last) < 3 or not last[-1]:
        return 1
    side_in, side_out = first[-1], last[-1]
    found = next((s for s in range(1, side_in + 1) if -(-side_in // s) == side_out), None)
    return found if found is not None else max(round(side_in / side_out), 1)


def _first(value: SettingValue) -> int:
    """A setting as an int; of a ``(h, w)`` pair, the height."""
    return int(value[0]) if isinstance(value, tuple) else int(str(value))
