"""Chinese (简体中文): every annotation, title, heading and sentence the tool shows, by key.

Every catalog has the same keys and the same {placeholders} (tests/test_words.py);
``words`` looks them up. A new language is a new catalog beside this one.
"""

TEXT: dict[str, str] = {
    "role.stem": "在进入残差阶段之前把图像分辨率降到 1/4",
    "role.stage": "同一分辨率下的一组残差块；第一个块可能下采样",
    "role.head": "汇聚特征并映射为各类别的得分",
    "role.basic_block": "两个 3×3 卷积加一条捷径，相加后再 ReLU",
    "role.bottleneck_block": "1×1 降维、3×3、1×1 升维，再加一条捷径",
    "role.stem_conv": "主干卷积：直接看 RGB 像素，分辨率减半",
    "role.stem_bn": "对主干卷积的输出做归一化",
    "role.stem_relu": "主干的非线性激活",
    "role.stem_pool": "最大池化：分辨率再减半",
    "role.basic_conv1": "块内第一个 3×3 卷积；块下采样时由它承担步长",
    "role.basic_conv2": "块内第二个 3×3 卷积",
    "role.bottleneck_reduce": "1×1 卷积：把通道数降到块的宽度",
    "role.bottleneck_spatial": "在块的宽度上做 3×3 卷积；承担步长",
    "role.bottleneck_expand": "1×1 卷积：把通道数扩展到块的输出（×4）",
    "role.branch_bn": "对前一个卷积的输出做归一化",
    "role.branch_bn_last": "残差分支的最后一个 BN，紧接在相加之前",
    "role.branch_relu": "残差分支内的 ReLU（同一模块的另一次调用）",
    "role.block_relu_out": "残差相加之后的 ReLU：块的输出",
    "role.shortcut_conv": "投影捷径：1×1 卷积使通道数和步长与主分支一致以便相加",
    "role.shortcut_bn": "对投影捷径做归一化",
    "role.shortcut_identity": "恒等捷径：x 原样送到相加处",
    "role.residual_add": "残差相加：分支 + 捷径，原地完成",
    "role.head_pool": "全局平均池化：每个通道一个值",
    "role.head_flatten": "forward() 中的 torch.flatten(x, 1)：只是视图，不是模块",
    "role.head_fc": "分类器：每个类别一个得分",
    "role.loss": "由预测计算的损失：反向传播从这里开始",
    "role.head_dropout": "dropout：训练时随机置零一部分特征，评估时不起作用",
    "role.identity": "nn.Identity：被移除的层，保留位置",
    "role.other": "",
    "section.stem": "主干入口",
    "section.stage": "阶段",
    "section.head": "输出头",
    "section.loss": "损失",
    "variant.stem_scale": "在进入残差阶段之前把图像分辨率降到 1/{factor}",
    "variant.stem_full": "以完整分辨率进入残差阶段（CIFAR 式主干入口）",
    "variant.stem_conv": "主干卷积：直接看{pixels}，{effect}",
    "variant.rgb": " RGB 像素",
    "variant.channels": " {channels} 通道像素",
    "variant.halves": "分辨率减半",
    "variant.keeps": "分辨率不变",
    "variant.divides": "分辨率缩小为 1/{stride}",
    "variant.branch_relu_function": "残差分支内的 ReLU，以函数调用",
    "variant.view": "forward() 中的 x.{kind}(…)：展成每张图一个向量的视图，不是模块",
    "variant.flatten_module": "nn.Flatten：每张图一个向量",
    "name": "名称",
    "layer": "层",
    "shapes": "输入 → 输出",
    "output": "输出",
    "params": "参数",
    "frozen": "冻结",
    "predict_note": (
        "在 CPU 上以 eval 模式做一次前向（BatchNorm 用其运行统计量），不求梯度；"
        "概率为模型分数的 softmax"
    ),
    "predict_names": "类别名",
    "graph_images": "输入：--images 中一步的批次（{how}）",
    "predict_images": "{folder} 中 {count} 张",
    "predict_no_names": "无：权重未给出类别名（--labels FILE 可给出）",
    "predict_image": "图像",
    "predict_class": "类别",
    "predict_probability": "概率",
    "cam_no_evidence": (
        "没有证据：Grad-CAM 处处为 0（没有通道的加权激活为正），该层没有显示任何提高该类分数的内容"
    ),
    "cam_note": (
        "Grad-CAM（Selvaraju 等 2017），在 CPU 上以 eval 模式做一次前向和反向："
        "ReLU(Σ α_k·A_k)，α_k 为类别分数梯度在特征图上的平均"
    ),
    "cam_image": "图像：{image}（{how}）",
    "cam_target": "解释的类别：{target}（分数 {score}，{probability}）",
    "cam_top": "前 5",
    "cam_maps": "{layer}：最强的 {count} 个通道（#通道，平均激活），每张图按其自身最大值缩放",
    "cam_legend": (
        "越亮：该层对此类别的证据越多（每张图按其最大值缩放，双线性上采样到输入大小），"
        "叠加在模型看到的图像上"
    ),
    "cam_folder": "文件夹：{folder}：{count} 张图像（{how}）",
    "cam_folder_one": "文件夹：{folder}：一张图像（{how}）",
    "cam_folder_each": "解释的类别：每张图像的最高类别（平均概率 {probability}）",
    "cam_folder_target": "解释的类别：每张图像都为 {target}（平均概率 {probability}）",
    "cam_each_top": "每张图像的最高类别",
    "cam_class": "类别",
    "cam_images": "图像数",
    "cam_centre": "质心（行，列）",
    "cam_explained": "解释的类别",
    "cam_mean_map": "{layer}：{count} 张图像的平均图",
    "cam_mean_map_one": "{layer}：其唯一一张图像的图",
    "cam_more_images": "……另有 {count} 张图像（JSON 列出全部）",
    "trust_title": "这张图可信吗？{layer}，{target}",
    "trust_untrained": (
        "！权重是随机的：没有学到任何可供显示的东西，这些检查需要训练过的权重；以下数字属于随机模型"
    ),
    "trust_changes": "该图依赖于模型的权重：重新初始化 {stage} 后它就改变了（Spearman {spearman}）",
    "trust_never": (
        "无论重新初始化多少部分，该图都保持相似（全部随机时 Spearman {spearman}）："
        "它显示的是架构或图像本身，而不是学到的东西"
    ),
    "trust_class_yes": "该图属于此类别：随机另一类别的图对像素的排序不同（Spearman {spearman}）",
    "trust_class_no": (
        "该图几乎不随类别变化：随机另一类别的图对像素的排序相似（Spearman {spearman}），"
        "因此它几乎不能说明该类别"
    ),
    "trust_faithful": (
        "忠实：它排在前面的像素比随机图或居中图的更能改变分数（删除 AUC {deletion}，"
        "对比 {deletion_baselines}；插入 AUC {insertion}，对比 {insertion_baselines}）"
    ),
    "trust_unfaithful": (
        "并不比不了解模型的图更忠实：删除 AUC {deletion}，对比 {deletion_baselines}（越低越好）；"
        "插入 AUC {insertion}，对比 {insertion_baselines}（越高越好）"
    ),
    "trust_how_own_init": "按模型自身的初始化（一个新模型，在所解释的模型之后从种子 {seed} 抽取）",
    "trust_how_reset_parameters": (
        "由每个模块的 reset_parameters()（模型以实例给出：其自身的初始化方式未知），种子 {seed}"
    ),
    "trust_randomised": "重新初始化直到",
    "trust_spearman": "Spearman",
    "trust_other": "随机另一类别：{target}",
    "trust_other_each": "每张图像一个",
    "trust_other_short": "另一类别 ρ",
    "trust_map": "图",
    "trust_deletion": "删除 AUC ↓",
    "trust_insertion": "插入 AUC ↑",
    "trust_legend": (
        "Spearman 和 SSIM 将一张图与训练好的模型对同一类别的图比较（1：相同）；Spearman 低于 "
        "{threshold} 时两张图视为不同。每部分的重新初始化方式：{how}。曲线：删除的像素在模型输入中"
        "置为 0；插入从模糊后的图像开始（高斯 σ {sigma} 像素，{kernel}×{kernel}）；"
        "{steps} 步，最重要的像素优先（相同时按阅读顺序）。对文件夹：均值 [95% bootstrap 区间]。"
    ),
    "erf_note": "在 CPU 上以 eval 模式测量（BatchNorm 使用运行统计量）；前向传播在该行停止",
    "erf_what": (
        "{layer} 中心单元 {unit}（输出 {shape}）的有效感受野：|∂y/∂x| 对其通道和输入通道求和"
    ),
    "erf_random": "对 {count} 个随机输入取平均（torch.rand，种子 {seed}）",
    "erf_images": "对 {count} 张图像取平均：{how}",
    "erf_random_one": "在一个随机输入上测得（torch.rand，种子 {seed}）",
    "erf_images_one": "在一张图像上测得：{how}",
    "erf_theory": "理论",
    "erf_theory_value": (
        "感受野 {size} 像素，间距 {jump} 像素；该单元的：行 {top}…{bottom}，列 {left}…{right}"
        "（已勾勒；可能延伸到填充中）"
    ),
    "erf_radius": "实测",
    "erf_radius_value": (
        "50% 的梯度位于感受野中心 {r50} 像素内（其半径 {radius} 的 {s50}），90% 位于 {r90} "
        "像素内（{s90}）"
    ),
    "erf_inside": "范围内",
    "erf_inside_value": "{share} 的梯度位于理论感受野之内",
    "erf_legend": (
        "越亮：梯度占比越大（按最大值缩放）；轮廓为理论感受野。Luo 等（NeurIPS 2016）：有效感受野"
        "只是理论感受野中近似高斯的一小部分，随 √深度 增长；训练会使其变宽"
    ),
    "field": "感受野",
    "field_all": "全部",
    "field_covers": "感受野：{name} 是第一个单元能看到整个 {size} 输入的层（{field}）",
    "field_pooled": (
        "感受野：没有卷积层的单元能看到整个 {size} 输入；从 {name} 起每个单元都看到全部（{reason}）"
    ),
    "field_by_pool": "对整个特征图的池化",
    "field_by_groupnorm": "GroupNorm 的统计量取自整个特征图",
    "field_by_other": "它组合了特征图的所有位置",
    "field_never": "感受野：没有哪一层的单元能看到整个 {size} 输入（最多的是 {name}）",
    "field_mismatch": "感受野：{names} 处的加法连接了不同网格上的操作数（显示其并集）",
    "macs": "乘加",
    "role": "作用",
    "parameters": "参数量",
    "trainable": "可训练",
    "frozen_lc": "冻结",
    "total": "总计",
    "param_memory": "参数内存",
    "buffers": "缓冲区",
    "compute": "计算量",
    "flops_note": "FLOPs = 2 × MACs，由 torch.utils.flop_counter 统计（卷积、全连接）",
    "activations": "激活内存",
    "activations_note": "一次前向传播的输出；原地操作和视图不占新内存",
    "input": "输入",
    "legend": (
        "k 卷积核 · s 步长 · p 填充 · d 膨胀 · g 分组；仅在非默认时显示：d1、g1、无偏置；BatchNorm "
        "eps=1e-05 momentum=0.1、affine、跟踪统计量；ceil_mode 关闭"
    ),
    "units": "单位：k/M/G = 10^3/10^6/10^9；KiB/MiB/GiB = 2^10/2^20/2^30 字节",
    "random": "随机初始化",
    "classes": "类",
    "meta_note": "形状与 FLOPs 来自在 meta 设备上的一次前向传播（不分配内存）",
    "fake_note": (
        "形状与 FLOPs 来自在不含数据的 CPU 张量上以 autocast 做的一次前向传播（不分配内存）"
    ),
    "blocks": "个块",
    "block": "个块",
    "grad": "‖梯度‖",
    "bar": "（对数刻度）",
    "total_update": "‖θN−θ0‖",
    "zeros": "ReLU 零值",
    "steps": "步数",
    "steps_value": "同一个带种子的批次上 {steps} 步；表中是最后一步，‖θN−θ0‖ 是全部步数的累计",
    "steps_images_value": (
        "{steps} 步，每步取图像中各自的一批；表中是最后一步，‖θN−θ0‖ 是全部步数的累计"
    ),
    "precision": "精度",
    "weights_dtype": (
        "文件中的张量为 {dtypes}（{bytes}）；load_state_dict 把它们拷入模型的参数，"
        "各自转换为该参数的 dtype（float32 模型以 float32 主权重训练它们；"
        "若要以半精度训练，请对模型调用 .half()）"
    ),
    "layout": "内存格式",
    "simulated_channels_last": (
        "channels_last：模型与输入按此布局，在不含数据的 CPU 张量上模拟"
        "（meta 设备上的卷积会丢掉该布局）；改回默认布局的调用会产生拷贝"
    ),
    "layout_kept": "channels_last（模型与输入）：{rows} 个 4 维输出的行中 {kept} 个保持该格式",
    "layout_changes": "被 {changes} 改回",
    "layout_change": "{name}（改为 {to}：{bytes} 的拷贝）",
    "graph_precision": (
        '精度：{precision}，前向在不含数据的 CPU 张量上以 torch.autocast("cpu") 模拟；'
        "按 dtype 保存：{saved}"
    ),
    "plan_precision": (
        '精度：{precisions}；混合精度在不含数据的 CPU 张量上以 torch.autocast("cpu") 模拟'
        "（autocast 生成的半精度权重副本会为反向保存：已计入）"
    ),
    "precision_value": (
        '{precision}：前向与损失在 torch.autocast("cpu", torch.{dtype}) 下计算，主参数为 '
        "float32；最后一次前向中 {casts} 次类型转换（{bytes}）"
    ),
    "precision_lower": "{dtype} 计算",
    "precision_mixed": "混合",
    "precision_mixed_value": "{ops}（输出为 {dtype}，统计量为 float32）",
    "precision_float32": "float32 计算",
    "scaler": "GradScaler",
    "scaler_none_skipped": "缩放 {initial} → {final}；没有跳过任何一步",
    "scaler_skipped": (
        "缩放 {initial} → {final}；跳过了第 {steps} 步：float16 梯度溢出，"
        "优化器未执行，参数没有变化"
    ),
    "flag_grad_underflow": (
        "float16 梯度下溢为零：在 {layers} 中，一层最多有 {value} 的梯度元素恰为零，"
        "比同一批次上 float32 训练步高出 5 个百分点以上（更大的 GradScaler 缩放或 "
        "--precision bf16 可避免）"
    ),
    "flag_scaler_skipped": (
        "GradScaler 跳过了 {count} 步：float16 梯度溢出，参数没有变化"
        "（降低 --lr，或使用 --precision bf16）"
    ),
    "images": "图像",
    "images_found": "{paths} 中 {found} 张",
    "images_folder": "ImageFolder，{count} 类：{names}",
    "images_ignored": "顶层 {ignored} 个图像文件未读取（ImageFolder 只读类别文件夹）",
    "images_taken": "每步 {batch} 张，{order}；{steps} × {batch} = {taken} 张（{used} 张不同）",
    "images_fewer": (
        "标签只用到输出头 {outputs} 个输出中的 0–{last}"
        "（freeze --new-classes 可使输出头与文件夹类别数一致）"
    ),
    "images_in_order": "按顺序",
    "images_shuffled": "按种子 {seed} 打乱",
    "images_wrapped": "取完最后一张后从头再取",
    "preprocessing": "预处理",
    "losses": "各步损失",
    "grad_norms": "各步梯度范数",
    "update": "‖Δθ‖",
    "relative": "‖Δθ‖/‖θ‖",
    "state": "状态",
    "parameter": "参数",
    "loss": "损失",
    "optimizer": "优化器",
    "time": "耗时",
    "optimizer_state": "优化器状态",
    "optimizer_state_note": "更新后从 optimizer.state 读取",
    "time_note": "训练模式，CPU 上",
    "forward": "前向",
    "backward": "反向",
    "step": "更新",
    "seed": "随机种子",
    "global_norm": "全局梯度范数",
    "global_norm_note": "即 clip_grad_norm_(model.parameters(), inf) 的返回值",
    "updated": "已更新",
    "updated_value": (
        "{total} 个参数张量中的 {changed} 个（{elements} 个数值）；{with_grad} 个得到梯度"
    ),
    "bn_buffers": "BatchNorm 缓冲区",
    "bn_buffers_value": (
        "{total} 个中有 {changed} 个被这一步改变（{kinds}）：训练模式会更新运行统计量，尽管它们是缓"
        "冲区而非参数，也没有梯度"
    ),
    "bn_buffers_none": "{total} 个都没有被这一步改变",
    "step_legend": (
        "— 表示没有梯度（不在自动求导图中）；0 表示梯度为零；n/a：更新前 ‖θ‖ 为 0（nan：范数不是"
        "有限值）。范数为全部元素的 L2 范数；分组的范数合并其所有参数。"
    ),
    "trainable_col": "可训练",
    "head": "新输出头",
    "head_value": "{head} = {kind}({inputs}→{classes})，在冻结之后创建，因此可训练",
    "model_inferred": "由检查点推断：{facts}",
    "model_assumed": "假定（state_dict 无法记录）：{facts}（用 --model 给出确切的模型）",
    "model_on_cpu": "在 CPU 上构建后复制到 meta 设备：在 meta 上构建失败（{note}）",
    "model_code": "你的代码：为构建模型而被导入并运行",
    "share": "可训练",
    "share_value": "{total} 个参数中的 {trainable} 个（{percent}）",
    "unfrozen": "保持可训练：{names}",
    "proof": "验证（一步）",
    "proof_steps": "验证（{steps} 步）",
    "time_steps_note": "训练模式，CPU 上；全部 {steps} 步",
    "proof_value": (
        "{mark} {frozen} 个冻结张量：{no_grad} 个没有梯度，{same} 个在更新后逐位不变；{trainable} "
        "个可训练张量：{changed} 个已改变"
    ),
    "bn_drift": (
        "冻结部分仍有 {count} 个缓冲区被改变：训练模式下 BatchNorm 无论 requires_grad 如何都会更新"
        "运行统计量，“冻结”的预训练主干因此漂移；使用 --bn-eval 可以阻止"
    ),
    "bn_still": (
        "--bn-eval：冻结部分的 {count} 个 BatchNorm 处于评估模式；冻结部分完全未变（参数与缓冲区逐"
        "位相同）"
    ),
    "backward_note": "反向传播",
    "backward_value": (
        "在第一个可训练层之前，自动求导不为冻结层记录计算图，反向传播因此跳过它们：只为 {tensors} "
        "个张量计算梯度"
    ),
    "graph_what": "自动求导图",
    "graph_count": "数量",
    "graph_all_trainable": "全部可训练",
    "graph_frozen": "冻结，新输出头（{classes}）",
    "graph_nodes": "节点",
    "graph_nodes_lc": "个节点",
    "graph_edges": "边",
    "graph_leaves": "叶子（AccumulateGrad）",
    "graph_longest": "从损失到叶子的最长路径（边数）",
    "graph_saved": "为反向传播保存",
    "graph_node": "反向节点",
    "graph_leaves_col": "叶子",
    "graph_saved_col": "保存",
    "graph_freeze_note": "冻结主干，新的 {classes} 类输出头：即教程中的“从计算图中排除”",
    "graph_meta_note": (
        "在 meta 设备上做一次前向和损失得到的计算图（不做真实计算）；保存 = 自动求导为反向传播保留"
        "的张量，每个存储只计一次，不计参数"
    ),
    "graph_fake_note": (
        "在不含数据的 CPU 张量上做一次前向和损失得到的计算图（不做真实计算）；保存 = 自动求导为"
        "反向传播保留的张量，每个存储只计一次，不计参数"
    ),
    "graph_leaf_names": "叶子",
    "diff_same": "相同",
    "diff_one_side": "仅一侧",
    "diff_relative": "‖B−A‖/‖A‖",
    "diff_bar": "（对数刻度）",
    "diff_max": "max |B−A|",
    "diff_buffers": "缓冲区变化",
    "diff_note": (
        "以 float64 比较；各部分的变化按其全部参数视为一个向量计算；缓冲区（BatchNorm 统计量）单独"
        "计数"
    ),
    "diff_backbone": "主干",
    "diff_backbone_same": "逐位相同：输出头之外的全部 {total} 个参数张量",
    "diff_backbone_moved": (
        "已改变：输出头之外 {total} 个参数张量中 {same} 个相同；变化的部分：{stages}"
    ),
    "diff_bn": "BatchNorm",
    "diff_bn_drift": "{layers} 个层中有 {drifted} 个的运行统计量改变（最大 ‖B−A‖/‖A‖ {largest}）",
    "diff_backbone_recast": (
        "未训练：输出头之外 {total} 个参数张量中有 {recast} 个只改变了数据类型，其余逐位相同"
    ),
    "diff_backbone_kept": (
        "未训练：两侧都有的 {compared} 个输出头之外的参数张量相同或只改变了数据类型"
    ),
    "diff_backbone_all_recast": "未训练：输出头之外的全部 {total} 个参数张量只改变了数据类型",
    "diff_backbone_absent": "无可比较：输出头之外的全部 {total} 个参数张量都只在一侧",
    "diff_backbone_one_side": "；{total} 个中有 {missing} 个只在一侧",
    "diff_bn_still": "全部 {layers} 个层的运行统计量未变",
    "diff_bn_kept": "{layers} 个层中有 {kept} 个的运行统计量未变",
    "diff_bn_absent": "全部 {layers} 个层的运行统计量都只在一侧",
    "diff_bn_recast": "（数值相同，数据类型不同）",
    "diff_bn_one_side": "；{layers} 个层中有 {missing} 个的统计量只在一侧",
    "diff_bn_batches": "；num_batches_tracked {delta:+d}：B 多经历了 {delta} 次训练模式前向传播",
    "diff_head": "输出头",
    "diff_head_replaced": "{head} 已替换：{a} → {b}",
    "diff_head_trained": "{head} 已训练（形状相同）",
    "diff_head_unchanged": "{head} 未变",
    "diff_head_dtype_only": "{head} 未训练：只改变了数据类型",
    "diff_head_only_in_A": "{head} 在 B 中缺失",
    "diff_head_only_in_B": "{head} 在 A 中缺失",
    "diff_head_missing": "{head} 两个文件中都没有",
    "diff_dtype": "数据类型",
    "diff_dtype_same": "两侧均为 {a}",
    "diff_dtype_changed": "{a} → {b}",
    "diff_dtype_exact": "；只改变了数据类型，数值相同",
    "diff_dtype_rounded": "；只改变了数据类型，数值在舍入误差内相同（最大 |B−A| {largest}）",
    "diff_keys": "键",
    "diff_keys_value": (
        "比较了 {common} 个；仅 A 有 {only_a} 个，仅 B 有 {only_b} 个，形状不同 {reshaped} 个"
    ),
    "diff_misfit": "；{side} 与 {arch} 的结构不符：只比较了共同的键",
    "checkpointing": "激活检查点",
    "checkpointing_value": (
        "{stages} 在反向传播中重算（torch.utils.checkpoint，非重入）：前向时每个阶段只保留其输入，"
        "反向时再跑一次其前向（计入反向时间）；BatchNorm 的运行统计量只在前向中更新一次："
        "每个阶段重算后恢复其缓冲区"
    ),
    "plan_recomputing": "{depth}，重算 {stages}",
    "plan_recomputed": "重算",
    "plan_stages": "{count} 个阶段",
    "plan_recomputed_value": (
        "检查点行在反向中重跑的前向 FLOPs（已计入其反向）；每个重算阶段只为反向保留其输入"
        "（torch.utils.checkpoint，非重入）"
    ),
    "breakdown_title": "{depth} 的内存去向（{shape}，{precision}）",
    "breakdown_part": "部分",
    "breakdown_total": "合计",
    "breakdown_keepers": "为反向保留最多的层",
    "breakdown_layer": "层",
    "breakdown_kept": "保留了什么（供哪个反向节点使用）",
    "breakdown_more": "另有 {count} 个",
    "breakdown_own_code": "模型自身的代码",
    "breakdown_peak_forward": "峰值：同时存活的训练步张量 {bytes}，在 {module} 的前向中",
    "breakdown_peak_backward": "峰值：同时存活的训练步张量 {bytes}，在 {module} 的反向中",
    "breakdown_peak_step": "峰值：同时存活的训练步张量 {bytes}，在 optimizer.step() 中",
    "plan_process": "进程",
    "plan_process_value": (
        "训练进程在最初几步中相对起点（已导入 torch、已构建模型）增长多少，以范围给出：按在 x86_64 "
        "Linux（glibc）上实测的训练步拟合的模型（1.64 × 训练步张量，glibc 保留释放的块并拆分再用；"
        "+ 1.14 × 优化器状态 + 0.21 × 参数与缓冲区 + 18 MiB 第一步开销），乘以 0.78 到 1.28："
        "72 行实测值在其周围的分布（同一行两次运行的增长相差可达 26%）。--memory 的最大批量按范围"
        "上限求解；--verify 在本机实测增长"
    ),
    "plan_process_mixed": (
        "。该模型只用 float32 步骤拟合：{precisions} 行的增长不在该范围的保证之内"
        "（曾测得一个 bf16 行远高于旧的拟合）"
    ),
    "verify": "实测",
    "verify_value": (
        "每行的训练步在全新进程中真实运行（导入 torch、构建模型，然后两步）：张量 = 一步中 CPU "
        "分配器为运算返回的张量同时持有的最多字节（torch.profiler；内核在运算内部释放的工作区不计）；"
        "进程 = 峰值常驻内存（VmHWM）相对起点的增长。百分比是估计的误差：大于 0 表示估多了"
    ),
    "verify_measured": (
        "批量 {batch} 实测：张量 {tensors}（{tensor_error}），进程 +{growth}（{process_error}，"
        "{inside}）"
    ),
    "verify_inside": "在范围内",
    "verify_outside": "超出范围 {range}",
    "verify_skipped": "批量 {batch} 已跳过：{reason}",
    "verify_fits": "其张量在 {budget} 以内",
    "verify_not_fits": "其张量超出 {budget}",
    "verify_process_fits": "进程（含参数）也在以内",
    "verify_process_over": "进程（含参数）超出 {bytes}",
    "verify_next": "批量 {batch} 约需 {bytes}，{side}预算 {over}",
    "verify_over": "超出",
    "verify_under": "低于",
    "plan_recipe": "每一行：全部冻结，换上 {classes} 类的新输出头，再让该深度可训练",
    "plan_meta_note": "每种深度在 meta 设备上模拟一个训练步：不分配内存，不做真实计算",
    "plan_fake_note": (
        "每种深度模拟一个训练步（fp32 在 meta 设备上，混合精度在不含数据的 CPU 张量上）："
        "不分配内存，不做真实计算"
    ),
    "plan_verified_note": (
        "每个深度模拟一个训练步（在 meta 设备上，或在不含数据的 CPU 张量上），"
        "然后 --verify 所选的行各在一个全新进程中真实运行"
    ),
    "plan_compute": "每种深度训练什么、计算多少",
    "plan_memory": "输入 {shape} 时一个训练步占用的内存",
    "plan_cut": "深度",
    "plan_head": "仅输出头",
    "plan_everything": "全部",
    "plan_trainable": "可训练参数",
    "plan_share": "占比",
    "plan_backward": "反向 FLOPs",
    "plan_backward_share": "占全量",
    "plan_gradients": "梯度",
    "plan_optimizer": "优化器状态",
    "plan_saved": "保存的张量",
    "plan_peak": "峰值",
    "plan_batch": "最大批量",
    "plan_none_fits": "放不下",
    "plan_forward": "前向",
    "plan_forward_value": "每种深度都是 {flops} FLOPs：冻结只省反向的计算",
    "plan_saved_value": (
        "自动求导为反向传播保留的张量，每个存储只计一次（参数和缓冲区本来就在）：第一个可训练层之前"
        "的冻结层什么也不保留"
    ),
    "plan_state_sgd": "SGD：每个可训练参数一个动量缓冲（--momentum 0 时没有）",
    "plan_state_adam": "Adam：每个可训练参数两个矩估计，每个张量一个步数",
    "plan_state_adamw": "AdamW：每个可训练参数两个矩估计，每个张量一个步数",
    "plan_peak_value": (
        "参数 {params} + 缓冲区 {buffers} + 优化器状态（上一步留下的）+ 整个训练步中同时存活的最多"
        "字节：前向、反向和 optimizer.step()（输入、激活、自动求导保存的张量、梯度、优化器的临时"
        "张量），逐个算子跟踪：训练步张量本身所需（内核自身的工作区不计）；进程需要更多：见“进程”"
    ),
    "plan_batch_value": (
        "在 {budget} 以内的最大批量：张量与参数、缓冲区和优化器状态之和在内，且按进程范围上限的增长"
        "与参数、缓冲区之和也在内；由记录的训练步求解，并在该批量下再模拟一次确认"
    ),
    "flags": "提示",
    "flags_none": "无：更新量、梯度、ReLU 零值和 BatchNorm 都正常",
    "flag_update_large": (
        "‖Δθ‖/‖θ‖ 最高 {value}（通常约 1e-3；超过 1e-2 说明这一步在重写权重：{advice}）：{layers}"
    ),
    "advice_lr": "调小 --lr",
    "advice_lr_or_mean": "调小 --lr，或用平均损失代替求和",
    "flag_from_step": "（从第 {step} 步开始）",
    "flag_grad_not_finite_earlier": "第 {step} 步的梯度范数不是有限值；最后一步的梯度是有限的",
    "flag_update_small": "‖Δθ‖/‖θ‖ 最低 {value}（低于 1e-5 说明该层几乎没有在学习）：{layers}",
    "flag_loss_not_finite": "损失为 {value}：其后的所有梯度都没有意义",
    "flag_grad_not_finite": "{count} 个层的梯度不是有限值；反向传播中最先出现的是 {layers}",
    "flag_dead_relu": "ReLU 输出中超过 90% 是零（最高 {value}）：几乎没有梯度能通过：{layers}",
    "flag_decay_on_batchnorm": (
        "权重衰减 {value} 也把 BatchNorm 的 weight 和 bias 拉向 0（通常不对它们衰减）：{layers}"
    ),
    "flag_batchnorm_small_batch": (
        "训练模式的 BatchNorm 每个通道只看到 {value} 个值（少于 8 个：批统计量噪声大；请用更大的批"
        "量或图像）：{layers}"
    ),
    "flag_frozen_batchnorm_training": (
        "{count} 个冻结的 BatchNorm 层处于训练模式，运行统计量仍在变化：加上 --bn-eval（{layers}）"
    ),
    "explain_out_side": "输出的高和宽",
    "explain_out_height": "输出高",
    "explain_out_width": "输出宽",
    "explain_params": "参数",
    "explain_macs": "乘加",
    "explain_bn_params": "参数 γ 和 β，2·C：",
    "explain_bn_buffers": "运行均值和方差，以及批次计数，2·C + 1：",
    "explain_bn_values": "每个通道用于批统计量的值，B·H·W：",
    "explain_residual_add": "{detail}：逐元素相加，所以形状必须一致；每个元素一次加法：",
    "explain_features": "特征数 C·H·W：",
    "explain_elements": "对每个元素取 max(0, x)：",
    "explain_field_size": "感受野 r = r_in + (k − 1)·d·j_in：",
    "explain_field_jump": "单元间距 j = j_in·s：",
    "explain_field_start": "第一个单元感受野的中心 start_in + ((k − 1)·d/2 − p)·j_in：",
    "explain_field_size_height": "感受野（高）：",
    "explain_field_jump_height": "间距（高）：",
    "explain_field_start_height": "第一个单元的中心（高）：",
    "explain_field_size_width": "感受野（宽）：",
    "explain_field_jump_width": "间距（宽）：",
    "explain_field_start_width": "第一个单元的中心（宽）：",
    "explain_averaged": "每个输出是 H·W 个值的平均：",
    "explain_note": (
        '为何与其他工具不同：torchvision 模型文档里的 "GFLOPS" 其实是乘加数（resnet50：4.089 = 这'
        "里的 4,089,184,256 次乘加）；thop、ptflops 和 fvcore 还计入 BatchNorm、ReLU 和池化；论文中"
        "的 3.8 G 是 ResNet v1，在步长移到 3×3 卷积之前。这里的乘加只计卷积和 Linear 层，FLOPs = 2 "
        "× 乘加（torch.utils.flop_counter）"
    ),
    "keeps_parameter": "参数：不占新内存",
    "keeps_buffer": "缓冲区：不占新内存",
    "keeps_shared": "与另一个节点共享：只计一次",
    "keeps_nothing": "不保留张量",
    "keeps.ConvolutionBackward0": "卷积保留输入（用于求权重的梯度）和权重（用于求输入的梯度）",
    "keeps.NativeBatchNormBackward0": (
        "BatchNorm 保留输入和批统计量（result1 = 均值，result2 = 1/标准差），以及 γ 和运行统计量"
    ),
    "keeps.ReluBackward0": "ReLU 保留输出：输出为 0 的位置梯度被截断",
    "keeps.MaxPool2DWithIndicesBackward0": (
        "最大池化保留输入和最大值的位置（result1，int64）：梯度只传给它们"
    ),
    "keeps.AddmmBackward0": (
        "Linear 保留输入（mat1，用于求权重的梯度）和权重（mat2，转置，用于求输入的梯度）"
    ),
    "keeps.AddBackward0": "加法什么也不保留：梯度原样传给两个分支",
    "keeps.MeanBackward1": "平均只保留输入的形状：每个元素得到梯度的 1/(H·W)",
    "keeps.ViewBackward0": "view 只保留要还原的形状",
    "keeps.other": "保留其求导公式需要的张量",
    # the header, the weights and the layer descriptions
    "input_lc": "输入",
    "weights_line": "权重：{weights}",
    "loss_line": "损失：{loss}",
    "yes": "是",
    "no": "否",
    "weights_none": "无（{random}）",
    "weights_file": "{path}（{classes} 类）",
    "weights_pretrained": "{name}（ImageNet-1K top-1 {top1}%，top-5 {top5}%，{classes} 个类别）",
    "no_running_stats": "无运行统计量",
    "layer_identity": "Identity（x 原样通过）",
    "layer_empty_sequential": "Sequential()（空：x 原样通过）",
    "width": "宽度",
    # roles and sentences that follow a layer's own facts (timm's family too)
    "role.preact_block": "预激活残差块：每个卷积之前做归一化和激活，再加一条捷径；相加之后不再处理",
    "role.preact_norm": "预激活：对下一个卷积的输入做归一化",
    "role.residual_block": "残差块：分支与捷径相加",
    "role.attention": "注意力旁支：作用于池化后的特征，重新缩放分支的各通道",
    "role.shortcut_pool": "捷径池化：在投影之前把 x 缩小到分支的分辨率",
    "variant.basic_conv1": "块内第一个 {kernel} 卷积{carries}",
    "variant.basic_conv2": "块内第二个 {kernel} 卷积{carries}",
    "variant.spatial": "在块的宽度上做 {kernel} 卷积{carries}",
    "variant.carries_stride": "；承担块的步长",
    "variant.to_width": "1×1 卷积：把通道数变为块的宽度（{channels}）",
    "variant.expands": "1×1 卷积：把通道数扩展到块的输出（×{ratio}）",
    "variant.to_output": "1×1 卷积：把通道数变为块的输出（{channels}）",
    "variant.last_norm": "残差分支的最后一个归一化，紧接在相加之前",
    "variant.branch_relu": "残差分支内的激活",
    "variant.residual_add": "残差相加：分支 + 捷径",
    "variant.shortcut_conv": "投影捷径：{kernel} 卷积使通道数与主分支一致",
    "variant.pool_divides": "最大池化：分辨率缩小为 1/{stride}",
    "variant.pool_keeps": "池化：分辨率不变",
    "variant.basic_block": "两个卷积加一条捷径，相加",
    "variant.bottleneck_block": "1×1、{kernel}、1×1 卷积，再加一条捷径",
    "role.stem_conv_more": "主干卷积：作用于前一个卷积的特征",
    "variant.stem_conv_more": "主干卷积：作用于前一个卷积的特征，{effect}",
    "weights_metadata": "safetensors 元数据：{facts}",
    "weights_keys_removed": "键：去掉了文件中每个键的 {prefix} 以匹配模型",
    "weights_keys_kept": "键：按保存时的形式，保留 {prefix}（模型自己的名称也以它开头）",
}
