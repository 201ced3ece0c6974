"""Every human-language string of the tool, in every language it speaks (en, zh).

Annotations of roles, section titles, column headings and the sentences of headers and
footers. Producers never format words; views look them up here. Pure Python.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from resnet_inspect.anatomy import Role


class Lang(StrEnum):
    EN = "en"
    ZH = "zh"


ANNOTATIONS: dict[Role, dict[Lang, str]] = {
    Role.STEM: {
        Lang.EN: "brings the image to 1/4 resolution before the residual stages",
        Lang.ZH: "在进入残差阶段之前把图像分辨率降到 1/4",
    },
    Role.STAGE: {
        Lang.EN: "residual blocks at one resolution; the first block may downsample",
        Lang.ZH: "同一分辨率下的一组残差块；第一个块可能下采样",
    },
    Role.HEAD: {
        Lang.EN: "pools the features and maps them to class scores",
        Lang.ZH: "汇聚特征并映射为各类别的得分",
    },
    Role.BASIC_BLOCK: {
        Lang.EN: "two 3×3 convs plus a shortcut, added, then ReLU",
        Lang.ZH: "两个 3×3 卷积加一条捷径，相加后再 ReLU",
    },
    Role.BOTTLENECK_BLOCK: {
        Lang.EN: "1×1 reduce, 3×3, 1×1 expand, plus a shortcut",
        Lang.ZH: "1×1 降维、3×3、1×1 升维，再加一条捷径",
    },
    Role.STEM_CONV: {
        Lang.EN: "stem conv: looks at RGB pixels, halves the resolution",
        Lang.ZH: "主干卷积：直接看 RGB 像素，分辨率减半",
    },
    Role.STEM_BN: {
        Lang.EN: "normalises the stem conv's output",
        Lang.ZH: "对主干卷积的输出做归一化",
    },
    Role.STEM_RELU: {
        Lang.EN: "non-linearity of the stem",
        Lang.ZH: "主干的非线性激活",
    },
    Role.STEM_POOL: {
        Lang.EN: "max pool: halves the resolution again",
        Lang.ZH: "最大池化：分辨率再减半",
    },
    Role.BASIC_CONV1: {
        Lang.EN: "block's first 3×3 conv; carries the block's stride",
        Lang.ZH: "块内第一个 3×3 卷积；块下采样时由它承担步长",
    },
    Role.BASIC_CONV2: {
        Lang.EN: "block's second 3×3 conv",
        Lang.ZH: "块内第二个 3×3 卷积",
    },
    Role.BOTTLENECK_REDUCE: {
        Lang.EN: "1×1 conv: reduces channels to the block's width",
        Lang.ZH: "1×1 卷积：把通道数降到块的宽度",
    },
    Role.BOTTLENECK_SPATIAL: {
        Lang.EN: "3×3 conv at the block's width; carries the stride",
        Lang.ZH: "在块的宽度上做 3×3 卷积；承担步长",
    },
    Role.BOTTLENECK_EXPAND: {
        Lang.EN: "1×1 conv: expands channels to the block's output (×4)",
        Lang.ZH: "1×1 卷积：把通道数扩展到块的输出（×4）",
    },
    Role.BRANCH_BN: {
        Lang.EN: "normalises the conv before it",
        Lang.ZH: "对前一个卷积的输出做归一化",
    },
    Role.BRANCH_BN_LAST: {
        Lang.EN: "last BN of the residual branch, just before the add",
        Lang.ZH: "残差分支的最后一个 BN，紧接在相加之前",
    },
    Role.BRANCH_RELU: {
        Lang.EN: "ReLU inside the residual branch (same module, another call)",
        Lang.ZH: "残差分支内的 ReLU（同一模块的另一次调用）",
    },
    Role.BLOCK_RELU_OUT: {
        Lang.EN: "ReLU after the residual add: the block's output",
        Lang.ZH: "残差相加之后的 ReLU：块的输出",
    },
    Role.SHORTCUT_CONV: {
        Lang.EN: "projection shortcut: 1×1 conv matches channels and stride",
        Lang.ZH: "投影捷径：1×1 卷积使通道数和步长与主分支一致以便相加",
    },
    Role.SHORTCUT_BN: {
        Lang.EN: "normalises the projection shortcut",
        Lang.ZH: "对投影捷径做归一化",
    },
    Role.SHORTCUT_IDENTITY: {
        Lang.EN: "identity shortcut: x goes to the add unchanged",
        Lang.ZH: "恒等捷径：x 原样送到相加处",
    },
    Role.RESIDUAL_ADD: {
        Lang.EN: "residual add: branch + shortcut, in place",
        Lang.ZH: "残差相加：分支 + 捷径，原地完成",
    },
    Role.HEAD_POOL: {
        Lang.EN: "global average pool: one value per channel",
        Lang.ZH: "全局平均池化：每个通道一个值",
    },
    Role.HEAD_FLATTEN: {
        Lang.EN: "torch.flatten(x, 1) in forward(): a view, not a module",
        Lang.ZH: "forward() 中的 torch.flatten(x, 1)：只是视图，不是模块",
    },
    Role.HEAD_FC: {
        Lang.EN: "classifier: one score per class",
        Lang.ZH: "分类器：每个类别一个得分",
    },
    Role.LOSS: {
        Lang.EN: "the loss computed from the prediction: where backward starts",
        Lang.ZH: "由预测计算的损失：反向传播从这里开始",
    },
    Role.HEAD_DROPOUT: {
        Lang.EN: "dropout: zeroes a random share of features in training, nothing in eval",
        Lang.ZH: "dropout：训练时随机置零一部分特征，评估时不起作用",
    },
    Role.IDENTITY: {
        Lang.EN: "nn.Identity: a layer taken out, its place kept",
        Lang.ZH: "nn.Identity：被移除的层，保留位置",
    },
    Role.OTHER: {Lang.EN: "", Lang.ZH: ""},
}

# Where a model differs from torchvision's, the row's own facts pick the sentence.
_VARIANTS: dict[str, dict[Lang, str]] = {
    "stem_scale": {
        Lang.EN: "brings the image to 1/{factor} resolution before the residual stages",
        Lang.ZH: "在进入残差阶段之前把图像分辨率降到 1/{factor}",
    },
    "stem_full": {
        Lang.EN: "keeps the image at full resolution for the residual stages (a CIFAR-style stem)",
        Lang.ZH: "以完整分辨率进入残差阶段（CIFAR 式主干入口）",
    },
    "stem_conv": {
        Lang.EN: "stem conv: looks at {pixels}, {effect}",
        Lang.ZH: "主干卷积：直接看{pixels}，{effect}",
    },
    "rgb": {Lang.EN: "RGB pixels", Lang.ZH: " RGB 像素"},
    "channels": {Lang.EN: "{channels}-channel pixels", Lang.ZH: " {channels} 通道像素"},
    "halves": {Lang.EN: "halves the resolution", Lang.ZH: "分辨率减半"},
    "keeps": {Lang.EN: "keeps the resolution", Lang.ZH: "分辨率不变"},
    "divides": {Lang.EN: "divides the resolution by {stride}", Lang.ZH: "分辨率缩小为 1/{stride}"},
    "branch_relu_function": {
        Lang.EN: "ReLU inside the residual branch, called as a function",
        Lang.ZH: "残差分支内的 ReLU，以函数调用",
    },
    "view": {
        Lang.EN: "x.{kind}(…) in forward(): a view to one vector per image, not a module",
        Lang.ZH: "forward() 中的 x.{kind}(…)：展成每张图一个向量的视图，不是模块",
    },
    "flatten_module": {
        Lang.EN: "nn.Flatten: one vector per image",
        Lang.ZH: "nn.Flatten：每张图一个向量",
    },
}


def node_annotation(node: Any, lang: Lang) -> str:
    """The annotation of a report node: its role's sentence, or where the model is not
    torchvision's (a stride-1 stem, one input channel, F.relu, x.view), the variant its own
    facts call for. ``node`` is a ``report.Node``."""
    role, kind = node.role, node.kind
    if role is Role.STEM and node.input_shape and node.output_shape:
        factor = node.input_shape[-1] // max(node.output_shape[-1], 1)
        if factor != 4:
            return _variant("stem_full" if factor == 1 else "stem_scale", lang, factor=factor)
    if role is Role.STEM_CONV:
        facts = {item.name: item.value for item in node.settings}
        stride = _first(facts.get("stride", 2))
        channels = facts.get("in_channels", 3)
        if (stride, channels) != (2, 3):
            pixels = (
                _variant("rgb", lang)
                if channels == 3
                else _variant("channels", lang, channels=channels)
            )
            effect = _variant(
                "halves" if stride == 2 else "keeps" if stride == 1 else "divides",
                lang,
                stride=stride,
            )
            return _variant("stem_conv", lang, pixels=pixels, effect=effect)
    if role is Role.BRANCH_RELU and not node.module_call:
        return _variant("branch_relu_function", lang)
    if role is Role.HEAD_FLATTEN and kind != "flatten":
        if node.module_call:
            return _variant("flatten_module", lang)
        return _variant("view", lang, kind=kind)
    return annotation(role, lang)


def _variant(key: str, lang: Lang, **facts: Any) -> str:
    return _VARIANTS[key][lang].format(**facts)


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, tuple) else value


SECTION_TITLES: dict[Role, dict[Lang, str]] = {
    Role.STEM: {Lang.EN: "Stem", Lang.ZH: "主干入口"},
    Role.STAGE: {Lang.EN: "Stage", Lang.ZH: "阶段"},
    Role.HEAD: {Lang.EN: "Head", Lang.ZH: "输出头"},
    Role.LOSS: {Lang.EN: "Loss", Lang.ZH: "损失"},
}


def annotation(role: Role, lang: Lang) -> str:
    return ANNOTATIONS[role][lang]


_LABELS: dict[str, dict[Lang, str]] = {
    "name": {Lang.EN: "Name", Lang.ZH: "名称"},
    "layer": {Lang.EN: "Layer", Lang.ZH: "层"},
    "shapes": {Lang.EN: "Input → Output", Lang.ZH: "输入 → 输出"},
    "output": {Lang.EN: "Output", Lang.ZH: "输出"},
    "params": {Lang.EN: "Params", Lang.ZH: "参数"},
    "frozen": {Lang.EN: "Frozen", Lang.ZH: "冻结"},
    "macs": {Lang.EN: "MACs", Lang.ZH: "乘加"},
    "role": {Lang.EN: "Role", Lang.ZH: "作用"},
    "parameters": {Lang.EN: "Parameters", Lang.ZH: "参数量"},
    "trainable": {Lang.EN: "trainable", Lang.ZH: "可训练"},
    "frozen_lc": {Lang.EN: "frozen", Lang.ZH: "冻结"},
    "total": {Lang.EN: "total", Lang.ZH: "总计"},
    "param_memory": {Lang.EN: "Parameter memory", Lang.ZH: "参数内存"},
    "buffers": {Lang.EN: "buffers", Lang.ZH: "缓冲区"},
    "compute": {Lang.EN: "Compute", Lang.ZH: "计算量"},
    "flops_note": {
        Lang.EN: "FLOPs = 2 × MACs, counted by torch.utils.flop_counter (conv, linear)",
        Lang.ZH: "FLOPs = 2 × MACs，由 torch.utils.flop_counter 统计（卷积、全连接）",
    },
    "activations": {Lang.EN: "Activations", Lang.ZH: "激活内存"},
    "activations_note": {
        Lang.EN: "outputs of one forward pass; in-place ops and views add none",
        Lang.ZH: "一次前向传播的输出；原地操作和视图不占新内存",
    },
    "input": {Lang.EN: "Input", Lang.ZH: "输入"},
    "legend": {
        Lang.EN: "k kernel · s stride · p padding · d dilation · g groups; shown only when not "
        "the default: d1, g1, no bias; BatchNorm eps=1e-05 momentum=0.1 affine, running stats; "
        "ceil_mode off",
        Lang.ZH: "k 卷积核 · s 步长 · p 填充 · d 膨胀 · g 分组；仅在非默认时显示：d1、g1、无偏置；"
        "BatchNorm eps=1e-05 momentum=0.1、affine、跟踪统计量；ceil_mode 关闭",
    },
    "units": {
        Lang.EN: "units: k/M/G = 10^3/10^6/10^9; KiB/MiB/GiB = 2^10/2^20/2^30 bytes",
        Lang.ZH: "单位：k/M/G = 10^3/10^6/10^9；KiB/MiB/GiB = 2^10/2^20/2^30 字节",
    },
    "random": {Lang.EN: "random init", Lang.ZH: "随机初始化"},
    "classes": {Lang.EN: "classes", Lang.ZH: "类"},
    "meta_note": {
        Lang.EN: "shapes and FLOPs from one forward pass on the meta device (nothing allocated)",
        Lang.ZH: "形状与 FLOPs 来自在 meta 设备上的一次前向传播（不分配内存）",
    },
    "blocks": {Lang.EN: "blocks", Lang.ZH: "个块"},
    "block": {Lang.EN: "block", Lang.ZH: "个块"},
    "grad": {Lang.EN: "‖grad‖", Lang.ZH: "‖梯度‖"},
    "bar": {Lang.EN: "(log scale)", Lang.ZH: "（对数刻度）"},
    "total_update": {Lang.EN: "‖θN−θ0‖", Lang.ZH: "‖θN−θ0‖"},
    "zeros": {Lang.EN: "ReLU zeros", Lang.ZH: "ReLU 零值"},
    "steps": {Lang.EN: "Steps", Lang.ZH: "步数"},
    "steps_value": {
        Lang.EN: "{steps} on the same seeded batch; the table shows the last step, and "
        "‖θN−θ0‖ all of them",
        Lang.ZH: "同一个带种子的批次上 {steps} 步；表中是最后一步，‖θN−θ0‖ 是全部步数的累计",
    },
    "losses": {Lang.EN: "Losses", Lang.ZH: "各步损失"},
    "grad_norms": {Lang.EN: "Grad norms", Lang.ZH: "各步梯度范数"},
    "update": {Lang.EN: "‖Δθ‖", Lang.ZH: "‖Δθ‖"},
    "relative": {Lang.EN: "‖Δθ‖/‖θ‖", Lang.ZH: "‖Δθ‖/‖θ‖"},
    "state": {Lang.EN: "State", Lang.ZH: "状态"},
    "parameter": {Lang.EN: "parameter", Lang.ZH: "参数"},
    "loss": {Lang.EN: "Loss", Lang.ZH: "损失"},
    "optimizer": {Lang.EN: "Optimizer", Lang.ZH: "优化器"},
    "time": {Lang.EN: "Time", Lang.ZH: "耗时"},
    "optimizer_state": {Lang.EN: "Optimizer state", Lang.ZH: "优化器状态"},
    "optimizer_state_note": {
        Lang.EN: "read from optimizer.state after the step",
        Lang.ZH: "更新后从 optimizer.state 读取",
    },
    "time_note": {
        Lang.EN: "train mode, on the CPU",
        Lang.ZH: "训练模式，CPU 上",
    },
    "forward": {Lang.EN: "forward", Lang.ZH: "前向"},
    "backward": {Lang.EN: "backward", Lang.ZH: "反向"},
    "step": {Lang.EN: "step", Lang.ZH: "更新"},
    "seed": {Lang.EN: "seed", Lang.ZH: "随机种子"},
    "global_norm": {Lang.EN: "Global grad norm", Lang.ZH: "全局梯度范数"},
    "global_norm_note": {
        Lang.EN: "what clip_grad_norm_(model.parameters(), inf) returns",
        Lang.ZH: "即 clip_grad_norm_(model.parameters(), inf) 的返回值",
    },
    "updated": {Lang.EN: "Updated", Lang.ZH: "已更新"},
    "updated_value": {
        Lang.EN: "{changed} of {total} parameter tensors ({elements} values); "
        "{with_grad} got a gradient",
        Lang.ZH: "{total} 个参数张量中的 {changed} 个（{elements} 个数值）；{with_grad} 个得到梯度",
    },
    "bn_buffers": {Lang.EN: "BatchNorm buffers", Lang.ZH: "BatchNorm 缓冲区"},
    "bn_buffers_value": {
        Lang.EN: "{changed} of {total} changed by the step ({kinds}): train mode updates the "
        "running statistics although they are buffers, not parameters, and get no gradient",
        Lang.ZH: "{total} 个中有 {changed} 个被这一步改变（{kinds}）：训练模式会更新运行统计量，"
        "尽管它们是缓冲区而非参数，也没有梯度",
    },
    "bn_buffers_none": {
        Lang.EN: "none of {total} changed by the step",
        Lang.ZH: "{total} 个都没有被这一步改变",
    },
    "step_legend": {
        Lang.EN: "— no gradient reached it (not in the autograd graph); 0 is a gradient of zero; "
        "n/a: ‖θ‖ was 0 before the step. Norms are L2 over all elements; a group's norm "
        "combines its parameters'.",
        Lang.ZH: "— 表示没有梯度（不在自动求导图中）；0 表示梯度为零；n/a：更新前 ‖θ‖ 为 0。"
        "范数为全部元素的 L2 范数；分组的范数合并其所有参数。",
    },
    "trainable_col": {Lang.EN: "Trainable", Lang.ZH: "可训练"},
    "head": {Lang.EN: "New head", Lang.ZH: "新输出头"},
    "head_value": {
        Lang.EN: "{head} = Linear({inputs}→{classes}), created after the freeze, so trainable",
        Lang.ZH: "{head} = Linear({inputs}→{classes})，在冻结之后创建，因此可训练",
    },
    "model_inferred": {
        Lang.EN: "inferred from the checkpoint: {facts}",
        Lang.ZH: "由检查点推断：{facts}",
    },
    "model_assumed": {
        Lang.EN: "assumed, as a state_dict cannot hold it: {facts} (pass --model for the exact "
        "model)",
        Lang.ZH: "假定（state_dict 无法记录）：{facts}（用 --model 给出确切的模型）",
    },
    "model_on_cpu": {
        Lang.EN: "built on the CPU, then copied to the meta device: on meta the factory failed "
        "({note})",
        Lang.ZH: "在 CPU 上构建后复制到 meta 设备：在 meta 上构建失败（{note}）",
    },
    "model_code": {
        Lang.EN: "your code: imported and run to build the model",
        Lang.ZH: "你的代码：为构建模型而被导入并运行",
    },
    "share": {Lang.EN: "Trainable", Lang.ZH: "可训练"},
    "share_value": {
        Lang.EN: "{trainable} of {total} parameters ({percent})",
        Lang.ZH: "{total} 个参数中的 {trainable} 个（{percent}）",
    },
    "unfrozen": {Lang.EN: "kept trainable: {names}", Lang.ZH: "保持可训练：{names}"},
    "proof": {Lang.EN: "Proof (one step)", Lang.ZH: "验证（一步）"},
    "proof_steps": {Lang.EN: "Proof ({steps} steps)", Lang.ZH: "验证（{steps} 步）"},
    "time_steps_note": {
        Lang.EN: "train mode, on the CPU; all {steps} steps",
        Lang.ZH: "训练模式，CPU 上；全部 {steps} 步",
    },
    "proof_value": {
        Lang.EN: "{mark} {frozen} frozen tensors: {no_grad} without gradient, {same} bit-identical "
        "after the step; {trainable} trainable: {changed} changed",
        Lang.ZH: "{mark} {frozen} 个冻结张量：{no_grad} 个没有梯度，{same} 个在更新后逐位不变；"
        "{trainable} 个可训练张量：{changed} 个已改变",
    },
    "bn_drift": {
        Lang.EN: "{count} buffers of the frozen part changed anyway: in train mode BatchNorm "
        'updates its running statistics whatever requires_grad says, so a "frozen" '
        "pretrained backbone drifts; pass --bn-eval to stop it",
        Lang.ZH: "冻结部分仍有 {count} 个缓冲区被改变：训练模式下 BatchNorm 无论 requires_grad "
        "如何都会更新运行统计量，“冻结”的预训练主干因此漂移；使用 --bn-eval 可以阻止",
    },
    "bn_still": {
        Lang.EN: "--bn-eval: {count} BatchNorm layers of the frozen part in eval mode; nothing "
        "of the frozen part changed (parameters and buffers bit-identical)",
        Lang.ZH: "--bn-eval：冻结部分的 {count} 个 BatchNorm 处于评估模式；冻结部分完全未变"
        "（参数与缓冲区逐位相同）",
    },
    "backward_note": {Lang.EN: "Backward", Lang.ZH: "反向传播"},
    "backward_value": {
        Lang.EN: "autograd records no graph for frozen layers before the first trainable one, "
        "so backward skips them: gradients for {tensors} tensors only",
        Lang.ZH: "在第一个可训练层之前，自动求导不为冻结层记录计算图，反向传播因此跳过它们："
        "只为 {tensors} 个张量计算梯度",
    },
    "graph_what": {Lang.EN: "Autograd graph", Lang.ZH: "自动求导图"},
    "graph_count": {Lang.EN: "Count", Lang.ZH: "数量"},
    "graph_all_trainable": {Lang.EN: "All trainable", Lang.ZH: "全部可训练"},
    "graph_frozen": {
        Lang.EN: "Frozen, new head ({classes})",
        Lang.ZH: "冻结，新输出头（{classes}）",
    },
    "graph_nodes": {Lang.EN: "Nodes", Lang.ZH: "节点"},
    "graph_nodes_lc": {Lang.EN: "nodes", Lang.ZH: "个节点"},
    "graph_edges": {Lang.EN: "Edges", Lang.ZH: "边"},
    "graph_leaves": {Lang.EN: "Leaves (AccumulateGrad)", Lang.ZH: "叶子（AccumulateGrad）"},
    "graph_longest": {
        Lang.EN: "Longest path, loss to leaf (edges)",
        Lang.ZH: "从损失到叶子的最长路径（边数）",
    },
    "graph_saved": {Lang.EN: "Saved for backward", Lang.ZH: "为反向传播保存"},
    "graph_node": {Lang.EN: "Backward node", Lang.ZH: "反向节点"},
    "graph_leaves_col": {Lang.EN: "Leaves", Lang.ZH: "叶子"},
    "graph_saved_col": {Lang.EN: "Saved", Lang.ZH: "保存"},
    "graph_freeze_note": {
        Lang.EN: "frozen backbone, new {classes}-class head: the tutorial's exclusion from the DAG",
        Lang.ZH: "冻结主干，新的 {classes} 类输出头：即教程中的“从计算图中排除”",
    },
    "graph_meta_note": {
        Lang.EN: "graph of one forward and loss on the meta device (nothing computed); saved = "
        "tensors autograd keeps for backward, each storage once, parameters not counted",
        Lang.ZH: "在 meta 设备上做一次前向和损失得到的计算图（不做真实计算）；保存 = 自动求导为反向"
        "传播保留的张量，每个存储只计一次，不计参数",
    },
    "graph_leaf_names": {Lang.EN: "Leaves", Lang.ZH: "叶子"},
}


_LABELS.update(
    {
        "diff_same": {Lang.EN: "Same", Lang.ZH: "相同"},
        "diff_relative": {Lang.EN: "‖B−A‖/‖A‖", Lang.ZH: "‖B−A‖/‖A‖"},
        "diff_bar": {Lang.EN: "(log scale)", Lang.ZH: "（对数刻度）"},
        "diff_max": {Lang.EN: "max |B−A|", Lang.ZH: "max |B−A|"},
        "diff_buffers": {Lang.EN: "Buffers moved", Lang.ZH: "缓冲区变化"},
        "diff_note": {
            Lang.EN: "compared in float64; a part's change is over its parameters as one "
            "vector; buffers (BatchNorm statistics) are counted apart",
            Lang.ZH: "以 float64 比较；各部分的变化按其全部参数视为一个向量计算；缓冲区"
            "（BatchNorm 统计量）单独计数",
        },
        "diff_backbone": {Lang.EN: "Backbone", Lang.ZH: "主干"},
        "diff_backbone_same": {
            Lang.EN: "bit-identical: all {total} parameter tensors outside the head",
            Lang.ZH: "逐位相同：输出头之外的全部 {total} 个参数张量",
        },
        "diff_backbone_moved": {
            Lang.EN: "changed: {same} of {total} parameter tensors outside the head identical; "
            "moved: {stages}",
            Lang.ZH: "已改变：输出头之外 {total} 个参数张量中 {same} 个相同；变化的部分：{stages}",
        },
        "diff_bn": {Lang.EN: "BatchNorm", Lang.ZH: "BatchNorm"},
        "diff_bn_drift": {
            Lang.EN: "running statistics of {drifted} of {layers} layers changed (largest "
            "‖B−A‖/‖A‖ {largest})",
            Lang.ZH: "{layers} 个层中有 {drifted} 个的运行统计量改变（最大 ‖B−A‖/‖A‖ {largest}）",
        },
        "diff_bn_still": {
            Lang.EN: "running statistics of all {layers} layers unchanged",
            Lang.ZH: "全部 {layers} 个层的运行统计量未变",
        },
        "diff_bn_batches": {
            Lang.EN: "; num_batches_tracked {delta:+d}: B saw {delta} more train-mode forward "
            "passes",
            Lang.ZH: "；num_batches_tracked {delta:+d}：B 多经历了 {delta} 次训练模式前向传播",
        },
        "diff_head": {Lang.EN: "Head", Lang.ZH: "输出头"},
        "diff_head_replaced": {
            Lang.EN: "{head} replaced: {a} → {b}",
            Lang.ZH: "{head} 已替换：{a} → {b}",
        },
        "diff_head_trained": {
            Lang.EN: "{head} trained (same shape)",
            Lang.ZH: "{head} 已训练（形状相同）",
        },
        "diff_head_unchanged": {Lang.EN: "{head} unchanged", Lang.ZH: "{head} 未变"},
        "diff_head_missing": {Lang.EN: "{head} missing on one side", Lang.ZH: "{head} 在一侧缺失"},
        "diff_dtype": {Lang.EN: "Dtype", Lang.ZH: "数据类型"},
        "diff_dtype_same": {Lang.EN: "{a} on both sides", Lang.ZH: "两侧均为 {a}"},
        "diff_dtype_changed": {Lang.EN: "{a} → {b}", Lang.ZH: "{a} → {b}"},
        "diff_keys": {Lang.EN: "Keys", Lang.ZH: "键"},
        "diff_keys_value": {
            Lang.EN: "{common} compared; {only_a} only in A, {only_b} only in B, {reshaped} of "
            "another shape",
            Lang.ZH: "比较了 {common} 个；仅 A 有 {only_a} 个，仅 B 有 {only_b} 个，"
            "形状不同 {reshaped} 个",
        },
        "diff_misfit": {
            Lang.EN: "; B does not fit A's architecture: only the common keys were compared",
            Lang.ZH: "；B 与 A 的结构不符：只比较了共同的键",
        },
    }
)


_LABELS.update(
    {
        "plan_recipe": {
            Lang.EN: "each row: all frozen, a new head of {classes} classes, that depth trainable",
            Lang.ZH: "每一行：全部冻结，换上 {classes} 类的新输出头，再让该深度可训练",
        },
        "plan_meta_note": {
            Lang.EN: "one training step per depth, simulated on the meta device: nothing "
            "allocated, no real step",
            Lang.ZH: "每种深度在 meta 设备上模拟一个训练步：不分配内存，不做真实计算",
        },
        "plan_compute": {
            Lang.EN: "What each depth trains and computes",
            Lang.ZH: "每种深度训练什么、计算多少",
        },
        "plan_memory": {
            Lang.EN: "What one step keeps in memory at {shape}",
            Lang.ZH: "输入 {shape} 时一个训练步占用的内存",
        },
        "plan_depth": {Lang.EN: "Depth", Lang.ZH: "深度"},
        "plan_head": {Lang.EN: "head only", Lang.ZH: "仅输出头"},
        "plan_everything": {Lang.EN: "everything", Lang.ZH: "全部"},
        "plan_trainable": {Lang.EN: "Trainable", Lang.ZH: "可训练参数"},
        "plan_share": {Lang.EN: "Share", Lang.ZH: "占比"},
        "plan_backward": {Lang.EN: "Backward FLOPs", Lang.ZH: "反向 FLOPs"},
        "plan_backward_share": {Lang.EN: "of full", Lang.ZH: "占全量"},
        "plan_gradients": {Lang.EN: "Gradients", Lang.ZH: "梯度"},
        "plan_optimizer": {Lang.EN: "Optimizer", Lang.ZH: "优化器状态"},
        "plan_saved": {Lang.EN: "Saved", Lang.ZH: "保存的张量"},
        "plan_peak": {Lang.EN: "Peak", Lang.ZH: "峰值"},
        "plan_batch": {Lang.EN: "Largest batch", Lang.ZH: "最大批量"},
        "plan_none_fits": {Lang.EN: "none", Lang.ZH: "放不下"},
        "plan_forward": {Lang.EN: "Forward", Lang.ZH: "前向"},
        "plan_forward_value": {
            Lang.EN: "{flops} FLOPs at every depth: freezing saves backward work only",
            Lang.ZH: "每种深度都是 {flops} FLOPs：冻结只省反向的计算",
        },
        "plan_saved_value": {
            Lang.EN: "what autograd keeps for backward, each storage once (parameters and "
            "buffers exist anyway): nothing for the frozen layers before the first trainable one",
            Lang.ZH: "自动求导为反向传播保留的张量，每个存储只计一次（参数和缓冲区本来就在）："
            "第一个可训练层之前的冻结层什么也不保留",
        },
        "plan_state_sgd": {
            Lang.EN: "SGD: one momentum buffer per trainable parameter (none with --momentum 0)",
            Lang.ZH: "SGD：每个可训练参数一个动量缓冲（--momentum 0 时没有）",
        },
        "plan_state_adam": {
            Lang.EN: "Adam: two moments per trainable parameter and a step count per tensor",
            Lang.ZH: "Adam：每个可训练参数两个矩估计，每个张量一个步数",
        },
        "plan_state_adamw": {
            Lang.EN: "AdamW: two moments per trainable parameter and a step count per tensor",
            Lang.ZH: "AdamW：每个可训练参数两个矩估计，每个张量一个步数",
        },
        "plan_peak_value": {
            Lang.EN: "parameters {params} + buffers {buffers} + optimizer state (kept from the "
            "step before) + the most bytes alive at once in forward and backward (input, "
            "activations, what autograd saves, gradients), followed operation by operation. "
            "That is what the tensors need (a resnet50 step measured 2-10% more); glibc's "
            "allocator keeps freed memory and a process grew 1.3-2x this: leave headroom "
            "(benchmarks/bench_plan.py)",
            Lang.ZH: "参数 {params} + 缓冲区 {buffers} + 优化器状态（上一步留下的）+ 前向和反向中"
            "同时存活的最多字节（输入、激活、自动求导保存的张量、梯度），逐个算子跟踪。这是张量本身"
            "所需（实测 resnet50 一步多 2-10%）；glibc 的分配器会保留释放的内存，真实进程增长为"
            "此值的 1.3-2 倍：请留出余量（benchmarks/bench_plan.py）",
        },
        "plan_batch_value": {
            Lang.EN: "the largest batch whose step peaks within {budget}, solved from the "
            "recorded step and confirmed by a pass at the answer",
            Lang.ZH: "峰值不超过 {budget} 的最大批量：由记录的训练步求解，"
            "并在该批量下再模拟一次确认",
        },
    }
)


_LABELS.update(
    {
        "flags": {Lang.EN: "Flags", Lang.ZH: "提示"},
        "flags_none": {
            Lang.EN: "none: updates, gradients, ReLU zeros and BatchNorm all look usual",
            Lang.ZH: "无：更新量、梯度、ReLU 零值和 BatchNorm 都正常",
        },
        "flag_update_large": {
            Lang.EN: "‖Δθ‖/‖θ‖ up to {value} (usual: about 1e-3; above 1e-2 the step rewrites "
            "the weights: lower --lr, or a mean loss instead of a sum) in {layers}",
            Lang.ZH: "‖Δθ‖/‖θ‖ 最高 {value}（通常约 1e-3；超过 1e-2 说明这一步在重写权重："
            "调小 --lr，或用平均损失代替求和）：{layers}",
        },
        "flag_update_small": {
            Lang.EN: "‖Δθ‖/‖θ‖ down to {value} (below 1e-5 the layer barely learns) in {layers}",
            Lang.ZH: "‖Δθ‖/‖θ‖ 最低 {value}（低于 1e-5 说明该层几乎没有在学习）：{layers}",
        },
        "flag_loss_not_finite": {
            Lang.EN: "the loss is {value}: every gradient after it is meaningless",
            Lang.ZH: "损失为 {value}：其后的所有梯度都没有意义",
        },
        "flag_grad_not_finite": {
            Lang.EN: "a gradient is not finite in {count} layers; the first in backward order "
            "is {layers}",
            Lang.ZH: "{count} 个层的梯度不是有限值；反向传播中最先出现的是 {layers}",
        },
        "flag_dead_relu": {
            Lang.EN: "ReLU outputs more than 90% exact zeros (up to {value}): little gradient "
            "gets through in {layers}",
            Lang.ZH: "ReLU 输出中超过 90% 是零（最高 {value}）：几乎没有梯度能通过：{layers}",
        },
        "flag_decay_on_batchnorm": {
            Lang.EN: "weight decay {value} also pulls BatchNorm's weight and bias towards 0 "
            "(usually left out of decay) in {layers}",
            Lang.ZH: "权重衰减 {value} 也把 BatchNorm 的 weight 和 bias 拉向 0"
            "（通常不对它们衰减）：{layers}",
        },
        "flag_batchnorm_small_batch": {
            Lang.EN: "train-mode BatchNorm sees as few as {value} values per channel (fewer "
            "than 8: noisy batch statistics; use a larger batch or image) in {layers}",
            Lang.ZH: "训练模式的 BatchNorm 每个通道只看到 {value} 个值（少于 8 个：批统计量噪声大；"
            "请用更大的批量或图像）：{layers}",
        },
        "flag_frozen_batchnorm_training": {
            Lang.EN: "{count} frozen BatchNorm layers run in train mode, so their running "
            "statistics still move: add --bn-eval ({layers})",
            Lang.ZH: "{count} 个冻结的 BatchNorm 层处于训练模式，运行统计量仍在变化：加上 "
            "--bn-eval（{layers}）",
        },
    }
)


_LABELS.update(
    {
        "explain_out_side": {Lang.EN: "output H and W", Lang.ZH: "输出的高和宽"},
        "explain_out_height": {Lang.EN: "output H", Lang.ZH: "输出高"},
        "explain_out_width": {Lang.EN: "output W", Lang.ZH: "输出宽"},
        "explain_params": {Lang.EN: "parameters", Lang.ZH: "参数"},
        "explain_macs": {Lang.EN: "MACs", Lang.ZH: "乘加"},
        "explain_bn_params": {
            Lang.EN: "parameters γ and β, 2·C:",
            Lang.ZH: "参数 γ 和 β，2·C：",
        },
        "explain_bn_buffers": {
            Lang.EN: "running mean and var, and the batch count, 2·C + 1:",
            Lang.ZH: "运行均值和方差，以及批次计数，2·C + 1：",
        },
        "explain_bn_values": {
            Lang.EN: "values per channel for the batch statistics, B·H·W:",
            Lang.ZH: "每个通道用于批统计量的值，B·H·W：",
        },
        "explain_residual_add": {
            Lang.EN: "{detail}: elementwise, so the shapes must match; one add per element:",
            Lang.ZH: "{detail}：逐元素相加，所以形状必须一致；每个元素一次加法：",
        },
        "explain_features": {Lang.EN: "features C·H·W:", Lang.ZH: "特征数 C·H·W："},
        "explain_elements": {
            Lang.EN: "max(0, x) on every element:",
            Lang.ZH: "对每个元素取 max(0, x)：",
        },
        "explain_averaged": {
            Lang.EN: "each output averages H·W values:",
            Lang.ZH: "每个输出是 H·W 个值的平均：",
        },
        "explain_note": {
            Lang.EN: 'why other tools differ: torchvision\'s model docs list "GFLOPS" that are '
            "MACs (resnet50: 4.089 = 4,089,184,256 MACs here); thop, ptflops and fvcore also "
            "count BatchNorm, ReLU and pooling; the paper's 3.8 G is ResNet v1, before the "
            "stride moved to the 3×3 conv. Here MACs are those of convolutions and Linear "
            "layers, and FLOPs = 2 × MACs (torch.utils.flop_counter)",
            Lang.ZH: '为何与其他工具不同：torchvision 模型文档里的 "GFLOPS" 其实是乘加数'
            "（resnet50："
            "4.089 = 这里的 4,089,184,256 次乘加）；thop、ptflops 和 fvcore 还计入 BatchNorm、"
            "ReLU 和池化；论文中的 3.8 G 是 ResNet v1，在步长移到 3×3 卷积之前。这里的乘加只计"
            "卷积和 Linear 层，FLOPs = 2 × 乘加（torch.utils.flop_counter）",
        },
    }
)


# Why a backward node keeps what it keeps, by the node's type.
KEEPS: dict[str, dict[Lang, str]] = {
    "ConvolutionBackward0": {
        Lang.EN: "a convolution keeps its input (for the weight's gradient) and its weight "
        "(for the input's)",
        Lang.ZH: "卷积保留输入（用于求权重的梯度）和权重（用于求输入的梯度）",
    },
    "NativeBatchNormBackward0": {
        Lang.EN: "BatchNorm keeps its input and the batch statistics (result1 = mean, "
        "result2 = 1/std), with γ and the running statistics",
        Lang.ZH: "BatchNorm 保留输入和批统计量（result1 = 均值，result2 = 1/标准差），"
        "以及 γ 和运行统计量",
    },
    "ReluBackward0": {
        Lang.EN: "ReLU keeps its output: where it is 0, the gradient stops",
        Lang.ZH: "ReLU 保留输出：输出为 0 的位置梯度被截断",
    },
    "MaxPool2DWithIndicesBackward0": {
        Lang.EN: "max-pool keeps its input and the indices of the maxima (result1, int64): "
        "the gradient goes only to them",
        Lang.ZH: "最大池化保留输入和最大值的位置（result1，int64）：梯度只传给它们",
    },
    "AddmmBackward0": {
        Lang.EN: "Linear keeps its input (mat1, for the weight's gradient) and its weight "
        "(mat2, transposed, for the input's)",
        Lang.ZH: "Linear 保留输入（mat1，用于求权重的梯度）和权重（mat2，转置，用于求输入的梯度）",
    },
    "AddBackward0": {
        Lang.EN: "the add keeps nothing: the gradient passes to both branches unchanged",
        Lang.ZH: "加法什么也不保留：梯度原样传给两个分支",
    },
    "MeanBackward1": {
        Lang.EN: "the average keeps only the input's shape: each element gets 1/(H·W) of the "
        "gradient",
        Lang.ZH: "平均只保留输入的形状：每个元素得到梯度的 1/(H·W)",
    },
    "ViewBackward0": {
        Lang.EN: "a view keeps only the shape to undo",
        Lang.ZH: "view 只保留要还原的形状",
    },
}
KEEPS_OTHER = {
    Lang.EN: "keeps what its formula needs",
    Lang.ZH: "保留其求导公式需要的张量",
}


def keeps(kind: str, lang: Lang) -> str:
    return KEEPS.get(kind, {}).get(lang) or KEEPS_OTHER[lang]


_LABELS.update(
    {
        "keeps_parameter": {Lang.EN: "a parameter: no new memory", Lang.ZH: "参数：不占新内存"},
        "keeps_buffer": {Lang.EN: "a buffer: no new memory", Lang.ZH: "缓冲区：不占新内存"},
        "keeps_shared": {
            Lang.EN: "shared with another node: counted once",
            Lang.ZH: "与另一个节点共享：只计一次",
        },
        "keeps_nothing": {Lang.EN: "no tensor", Lang.ZH: "不保留张量"},
    }
)


def label(key: str, lang: Lang) -> str:
    return _LABELS[key][lang]
