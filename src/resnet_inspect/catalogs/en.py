"""English: every annotation, title, heading and sentence the tool shows, by key.

Every catalog has the same keys and the same {placeholders} (tests/test_words.py);
``words`` looks them up. A new language is a new catalog beside this one.
"""

TEXT: dict[str, str] = {
    "role.stem": "brings the image to 1/4 resolution before the residual stages",
    "role.stage": "residual blocks at one resolution; the first block may downsample",
    "role.head": "pools the features and maps them to class scores",
    "role.basic_block": "two 3×3 convs plus a shortcut, added, then ReLU",
    "role.bottleneck_block": "1×1 reduce, 3×3, 1×1 expand, plus a shortcut",
    "role.stem_conv": "stem conv: looks at RGB pixels, halves the resolution",
    "role.stem_bn": "normalises the stem conv's output",
    "role.stem_relu": "non-linearity of the stem",
    "role.stem_pool": "max pool: halves the resolution again",
    "role.basic_conv1": "block's first 3×3 conv; carries the block's stride",
    "role.basic_conv2": "block's second 3×3 conv",
    "role.bottleneck_reduce": "1×1 conv: reduces channels to the block's width",
    "role.bottleneck_spatial": "3×3 conv at the block's width; carries the stride",
    "role.bottleneck_expand": "1×1 conv: expands channels to the block's output (×4)",
    "role.branch_bn": "normalises the conv before it",
    "role.branch_bn_last": "last BN of the residual branch, just before the add",
    "role.branch_relu": "ReLU inside the residual branch (same module, another call)",
    "role.block_relu_out": "ReLU after the residual add: the block's output",
    "role.shortcut_conv": "projection shortcut: 1×1 conv matches channels and stride",
    "role.shortcut_bn": "normalises the projection shortcut",
    "role.shortcut_identity": "identity shortcut: x goes to the add unchanged",
    "role.residual_add": "residual add: branch + shortcut, in place",
    "role.head_pool": "global average pool: one value per channel",
    "role.head_flatten": "torch.flatten(x, 1) in forward(): a view, not a module",
    "role.head_fc": "classifier: one score per class",
    "role.loss": "the loss computed from the prediction: where backward starts",
    "role.head_dropout": "dropout: zeroes a random share of features in training, nothing in eval",
    "role.identity": "nn.Identity: a layer taken out, its place kept",
    "role.other": "",
    "section.stem": "Stem",
    "section.stage": "Stage",
    "section.head": "Head",
    "section.loss": "Loss",
    "variant.stem_scale": "brings the image to 1/{factor} resolution before the residual stages",
    "variant.stem_full": (
        "keeps the image at full resolution for the residual stages (a CIFAR-style stem)"
    ),
    "variant.stem_conv": "stem conv: looks at {pixels}, {effect}",
    "variant.rgb": "RGB pixels",
    "variant.channels": "{channels}-channel pixels",
    "variant.halves": "halves the resolution",
    "variant.keeps": "keeps the resolution",
    "variant.divides": "divides the resolution by {stride}",
    "variant.branch_relu_function": "ReLU inside the residual branch, called as a function",
    "variant.view": "x.{kind}(…) in forward(): a view to one vector per image, not a module",
    "variant.flatten_module": "nn.Flatten: one vector per image",
    "name": "Name",
    "layer": "Layer",
    "shapes": "Input → Output",
    "output": "Output",
    "params": "Params",
    "frozen": "Frozen",
    "predict_note": (
        "one CPU forward in eval mode (BatchNorm on its running statistics), no gradients; "
        "probabilities are the softmax of the model's scores"
    ),
    "predict_names": "Class names",
    "graph_images": "input: the step's batch of --images ({how})",
    "predict_images": "{count} in {folder}",
    "predict_no_names": "none: the weights name no classes (--labels FILE names them)",
    "predict_image": "Image",
    "predict_class": "Class",
    "predict_probability": "Probability",
    "cam_no_evidence": (
        "no evidence: Grad-CAM is 0 everywhere (no channel's weighted activation is positive), "
        "so this layer shows nothing that raises the class's score"
    ),
    "cam_note": (
        "Grad-CAM (Selvaraju et al. 2017), one CPU forward and backward in eval mode: "
        "ReLU(Σ α_k·A_k), α_k the class score's gradient averaged over the map"
    ),
    "cam_image": "image: {image} ({how})",
    "cam_target": "explained: {target} (score {score}, {probability})",
    "cam_top": "Top 5",
    "cam_maps": (
        "{layer}: the {count} strongest channels (#channel, mean activation), each map "
        "scaled to its own largest"
    ),
    "cam_legend": (
        "brighter: more of the layer's evidence for the class (each map scaled to its "
        "largest, upsampled bilinearly to the input), laid over the image as the model saw it"
    ),
    "cam_folder": "folder: {folder}: {count} images ({how})",
    "cam_folder_one": "folder: {folder}: one image ({how})",
    "cam_folder_each": "explained: each image's top class (mean probability {probability})",
    "cam_folder_target": "explained: {target} in every image (mean probability {probability})",
    "cam_each_top": "each image's top class",
    "cam_class": "Class",
    "cam_images": "Images",
    "cam_centre": "Centre (row, col)",
    "cam_explained": "Explained",
    "cam_mean_map": "{layer}: the mean map of {count} images",
    "cam_mean_map_one": "{layer}: the map of its one image",
    "cam_more_images": "… and {count} more images (the JSON lists every one)",
    "trust_title": "Can this map be trusted? {layer}, {target}",
    "trust_untrained": (
        "! The weights are random: there is nothing learned for a map to show, so these checks "
        "need trained weights; the numbers below are a random model's"
    ),
    "trust_changes": (
        "The map depends on the model's weights: it changes once {stage} is re-initialised "
        "(Spearman {spearman})"
    ),
    "trust_never": (
        "The map stays alike however much of the model is re-initialised (Spearman {spearman} "
        "with every section random): it shows the architecture or the image, not what was learned"
    ),
    "trust_class_yes": (
        "The map is the class's own: a random other class's map ranks the pixels differently "
        "(Spearman {spearman})"
    ),
    "trust_class_no": (
        "The map hardly changes with the class: a random other class's map ranks the pixels "
        "alike (Spearman {spearman}), so it says little about the class"
    ),
    "trust_faithful": (
        "Faithful: the pixels it ranks first move the score more than a random or a centred "
        "map's do (deletion AUC {deletion} against {deletion_baselines}; insertion AUC "
        "{insertion} against {insertion_baselines})"
    ),
    "trust_unfaithful": (
        "Not more faithful than a map that knows nothing of the model: deletion AUC {deletion} "
        "against {deletion_baselines} (lower is better); insertion AUC {insertion} against "
        "{insertion_baselines} (higher is better)"
    ),
    "trust_how_own_init": (
        "as the model initialises itself (a fresh model, drawn from seed {seed} after the one "
        "explained)"
    ),
    "trust_how_reset_parameters": (
        "by each module's reset_parameters() (a model handed over built: its own "
        "initialisation is not known), under seed {seed}"
    ),
    "trust_randomised": "Re-initialised down to",
    "trust_spearman": "Spearman",
    "trust_other": "a random other class: {target}",
    "trust_other_each": "one per image",
    "trust_other_short": "Other class ρ",
    "trust_map": "Map",
    "trust_deletion": "Deletion AUC ↓",
    "trust_insertion": "Insertion AUC ↑",
    "trust_legend": (
        "Spearman and SSIM compare a map with the trained model's map of the same class (1: "
        "the same); below Spearman {threshold} two maps count as different. A section is "
        "re-initialised {how}. Curves: deleted pixels set to 0 in the model's input; insertion "
        "from the image blurred (Gaussian σ {sigma} px, {kernel}×{kernel}); {steps} steps, "
        "the most important pixels "
        "first (ties in reading order). Over a folder: the mean [95% bootstrap interval]."
    ),
    "erf_note": (
        "measured on the CPU in eval mode (BatchNorm on its running statistics); the forward "
        "stops at the row"
    ),
    "erf_what": (
        "the effective receptive field of {layer}'s centre unit {unit} of {shape}: "
        "|∂y/∂x| summed over its channels and the input's"
    ),
    "erf_random": "averaged over {count} random inputs (torch.rand, seed {seed})",
    "erf_images": "averaged over {count} images: {how}",
    "erf_random_one": "measured on one random input (torch.rand, seed {seed})",
    "erf_images_one": "measured on one image: {how}",
    "erf_theory": "Theoretical",
    "erf_theory_value": (
        "field {size} px, jump {jump} px; this unit's: rows {top}…{bottom}, columns "
        "{left}…{right} (outlined; it may reach into padding)"
    ),
    "erf_radius": "Measured",
    "erf_radius_value": (
        "50% of the gradient within {r50} px of the field's centre ({s50} of its radius "
        "{radius}), 90% within {r90} px ({s90})"
    ),
    "erf_inside": "Inside",
    "erf_inside_value": "{share} of the gradient lies inside the theoretical field",
    "erf_legend": (
        "brighter: a larger share of the gradient (scaled to the largest); the outline is the "
        "theoretical field. Luo et al. (NeurIPS 2016): the effective field is a small, "
        "roughly Gaussian part of the theoretical one, growing like √depth; training widens it"
    ),
    "field": "Field",
    "field_all": "all",
    "field_covers": (
        "receptive field: {name} is the first layer whose unit sees the whole {size} input "
        "({field})"
    ),
    "field_pooled": (
        "receptive field: no convolution's unit sees the whole {size} input; from {name} on "
        "every unit sees all of it ({reason})"
    ),
    "field_by_pool": "a pool over the whole map",
    "field_by_groupnorm": "GroupNorm's statistics are taken over the whole map",
    "field_by_other": "it combines every position of the map",
    "field_never": (
        "receptive field: no layer's unit sees the whole {size} input (the most: {name})"
    ),
    "field_mismatch": (
        "receptive field: an add joins operands on different grids at {names} (the union shown)"
    ),
    "macs": "MACs",
    "role": "Role",
    "parameters": "Parameters",
    "trainable": "trainable",
    "frozen_lc": "frozen",
    "total": "total",
    "param_memory": "Parameter memory",
    "buffers": "buffers",
    "compute": "Compute",
    "flops_note": "FLOPs = 2 × MACs, counted by torch.utils.flop_counter (conv, linear)",
    "activations": "Activations",
    "activations_note": "outputs of one forward pass; in-place ops and views add none",
    "input": "Input",
    "legend": (
        "k kernel · s stride · p padding · d dilation · g groups; shown only when not the default: "
        "d1, g1, no bias; BatchNorm eps=1e-05 momentum=0.1 affine, running stats; ceil_mode off"
    ),
    "units": "units: k/M/G = 10^3/10^6/10^9; KiB/MiB/GiB = 2^10/2^20/2^30 bytes",
    "random": "random init",
    "classes": "classes",
    "meta_note": "shapes and FLOPs from one forward pass on the meta device (nothing allocated)",
    "fake_note": (
        "shapes and FLOPs from one forward pass under autocast on CPU tensors that hold no data "
        "(nothing allocated)"
    ),
    "blocks": "blocks",
    "block": "block",
    "grad": "‖grad‖",
    "bar": "(log scale)",
    "total_update": "‖θN−θ0‖",
    "zeros": "ReLU zeros",
    "steps": "Steps",
    "steps_value": (
        "{steps} on the same seeded batch; the table shows the last step, and ‖θN−θ0‖ all of them"
    ),
    "steps_images_value": (
        "{steps}, each on its own batch of the images; the table shows the last step, and "
        "‖θN−θ0‖ all of them"
    ),
    "precision": "Precision",
    "weights_dtype": (
        "the file's tensors are {dtypes} ({bytes}); load_state_dict copies them into the "
        "model's parameters, each in the parameter's own dtype (a float32 model steps them as "
        "float32 master weights; .half() it to step in half precision)"
    ),
    "layout": "Memory format",
    "simulated_channels_last": (
        "channels_last: the model and the input laid out so, on CPU tensors that hold no data "
        "(the meta device's convolution drops the layout); a call that turns it back copies"
    ),
    "layout_kept": (
        "channels_last (model and input): {kept} of {rows} rows with a 4-d output kept it"
    ),
    "layout_changes": "turned back by {changes}",
    "layout_change": "{name} (to {to}: a {bytes} copy)",
    "graph_precision": (
        'precision: {precision}, the forward under torch.autocast("cpu") simulated on CPU '
        "tensors that hold no data; saved by dtype: {saved}"
    ),
    "plan_precision": (
        'precision: {precisions}; mixed precision simulated under torch.autocast("cpu") on '
        "CPU tensors that hold no data (its half-precision copies of the weights are saved "
        "for backward: counted)"
    ),
    "precision_value": (
        '{precision}: forward and loss under torch.autocast("cpu", torch.{dtype}), float32 '
        "master parameters; {casts} casts ({bytes}) in the last forward"
    ),
    "precision_lower": "In {dtype}",
    "precision_mixed": "Mixed",
    "precision_mixed_value": "{ops} (output in {dtype}, statistics in float32)",
    "precision_float32": "In float32",
    "scaler": "GradScaler",
    "scaler_none_skipped": "scale {initial} → {final}; no step skipped",
    "scaler_skipped": (
        "scale {initial} → {final}; skipped step(s) {steps}: a gradient overflowed in float16, "
        "so the optimizer did not step and the parameters did not move"
    ),
    "flag_grad_underflow": (
        "gradients underflow to zero in float16: up to {value} of a layer's gradient "
        "elements are exactly zero, 5 points or more above a float32 step's on the same batch, "
        "in {layers} (a larger GradScaler scale, or --precision bf16, keeps them)"
    ),
    "flag_scaler_skipped": (
        "GradScaler skipped {count} step(s): a gradient overflowed in float16 and the "
        "parameters did not move (lower --lr, or use --precision bf16)"
    ),
    "images": "Images",
    "images_found": "{found} found in {paths}",
    "images_folder": "ImageFolder of {count} classes: {names}",
    "images_ignored": "{ignored} image files at its top not read (ImageFolder reads class folders)",
    "images_taken": "{batch} a step, {order}; {steps} × {batch} = {taken} taken ({used} different)",
    "images_fewer": (
        "the labels use outputs 0–{last} of the head's {outputs} (freeze --new-classes gives "
        "the head the folder's size)"
    ),
    "images_in_order": "in order",
    "images_shuffled": "shuffled by seed {seed}",
    "images_wrapped": "wrapped around past the last image",
    "preprocessing": "Preprocessing",
    "losses": "Losses",
    "grad_norms": "Grad norms",
    "update": "‖Δθ‖",
    "relative": "‖Δθ‖/‖θ‖",
    "state": "State",
    "parameter": "parameter",
    "loss": "Loss",
    "optimizer": "Optimizer",
    "time": "Time",
    "optimizer_state": "Optimizer state",
    "optimizer_state_note": "read from optimizer.state after the step",
    "time_note": "train mode, on the CPU",
    "forward": "forward",
    "backward": "backward",
    "step": "step",
    "seed": "seed",
    "global_norm": "Global grad norm",
    "global_norm_note": "what clip_grad_norm_(model.parameters(), inf) returns",
    "updated": "Updated",
    "updated_value": (
        "{changed} of {total} parameter tensors ({elements} values); {with_grad} got a gradient"
    ),
    "bn_buffers": "BatchNorm buffers",
    "bn_buffers_value": (
        "{changed} of {total} changed by the step ({kinds}): train mode updates the running "
        "statistics although they are buffers, not parameters, and get no gradient"
    ),
    "bn_buffers_none": "none of {total} changed by the step",
    "step_legend": (
        "— no gradient reached it (not in the autograd graph); 0 is a gradient of zero; n/a: ‖θ‖ "
        "was 0 before the step (nan: a norm was not finite). Norms are L2 over all elements; a "
        "group's norm combines its parameters'."
    ),
    "trainable_col": "Trainable",
    "head": "New head",
    "head_value": "{head} = {kind}({inputs}→{classes}), created after the freeze, so trainable",
    "model_inferred": "inferred from the checkpoint: {facts}",
    "model_assumed": (
        "assumed, as a state_dict cannot hold it: {facts} (pass --model for the exact model)"
    ),
    "model_on_cpu": (
        "built on the CPU, then copied to the meta device: on meta the factory failed ({note})"
    ),
    "model_code": "your code: imported and run to build the model",
    "share": "Trainable",
    "share_value": "{trainable} of {total} parameters ({percent})",
    "unfrozen": "kept trainable: {names}",
    "proof": "Proof (one step)",
    "proof_steps": "Proof ({steps} steps)",
    "time_steps_note": "train mode, on the CPU; all {steps} steps",
    "proof_value": (
        "{mark} {frozen} frozen tensors: {no_grad} without gradient, {same} bit-identical after "
        "the step; {trainable} trainable: {changed} changed"
    ),
    "bn_drift": (
        "{count} buffers of the frozen part changed anyway: in train mode BatchNorm updates its "
        'running statistics whatever requires_grad says, so a "frozen" pretrained backbone '
        "drifts; pass --bn-eval to stop it"
    ),
    "bn_still": (
        "--bn-eval: {count} BatchNorm layers of the frozen part in eval mode; nothing of the "
        "frozen part changed (parameters and buffers bit-identical)"
    ),
    "backward_note": "Backward",
    "backward_value": (
        "autograd records no graph for frozen layers before the first trainable one, so backward "
        "skips them: gradients for {tensors} tensors only"
    ),
    "graph_what": "Autograd graph",
    "graph_count": "Count",
    "graph_all_trainable": "All trainable",
    "graph_frozen": "Frozen, new head ({classes})",
    "graph_nodes": "Nodes",
    "graph_nodes_lc": "nodes",
    "graph_edges": "Edges",
    "graph_leaves": "Leaves (AccumulateGrad)",
    "graph_longest": "Longest path, loss to leaf (edges)",
    "graph_saved": "Saved for backward",
    "graph_node": "Backward node",
    "graph_leaves_col": "Leaves",
    "graph_saved_col": "Saved",
    "graph_freeze_note": (
        "frozen backbone, new {classes}-class head: the tutorial's exclusion from the DAG"
    ),
    "graph_meta_note": (
        "graph of one forward and loss on the meta device (nothing computed); saved = tensors "
        "autograd keeps for backward, each storage once, parameters not counted"
    ),
    "graph_fake_note": (
        "graph of one forward and loss on CPU tensors that hold no data (nothing computed); "
        "saved = tensors autograd keeps for backward, each storage once, parameters not counted"
    ),
    "graph_leaf_names": "Leaves",
    "diff_same": "Same",
    "diff_one_side": "One side",
    "diff_relative": "‖B−A‖/‖A‖",
    "diff_bar": "(log scale)",
    "diff_max": "max |B−A|",
    "diff_buffers": "Buffers moved",
    "diff_note": (
        "compared in float64; a part's change is over its parameters as one vector; buffers "
        "(BatchNorm statistics) are counted apart"
    ),
    "diff_backbone": "Backbone",
    "diff_backbone_same": "bit-identical: all {total} parameter tensors outside the head",
    "diff_backbone_moved": (
        "changed: {same} of {total} parameter tensors outside the head identical; moved: {stages}"
    ),
    "diff_bn": "BatchNorm",
    "diff_bn_drift": (
        "running statistics of {drifted} of {layers} layers changed (largest ‖B−A‖/‖A‖ {largest})"
    ),
    "diff_backbone_recast": (
        "not trained: {recast} of {total} parameter tensors outside the head differ only in "
        "dtype, the rest are bit-identical"
    ),
    "diff_backbone_kept": (
        "not trained: the {compared} parameter tensors outside the head that both sides hold "
        "are identical or differ only in dtype"
    ),
    "diff_backbone_all_recast": (
        "not trained: all {total} parameter tensors outside the head differ only in dtype"
    ),
    "diff_backbone_absent": (
        "nothing to compare: all {total} parameter tensors outside the head are on one side only"
    ),
    "diff_backbone_one_side": "; {missing} of {total} are on one side only",
    "diff_bn_still": "running statistics of all {layers} layers unchanged",
    "diff_bn_kept": "running statistics of {kept} of {layers} layers unchanged",
    "diff_bn_absent": "the running statistics of all {layers} layers are on one side only",
    "diff_bn_recast": " (the same values, in another dtype)",
    "diff_bn_one_side": "; {missing} of {layers} layers' statistics are on one side only",
    "diff_bn_batches": (
        "; num_batches_tracked {delta:+d}: B saw {delta} more train-mode forward passes"
    ),
    "diff_head": "Head",
    "diff_head_replaced": "{head} replaced: {a} → {b}",
    "diff_head_trained": "{head} trained (same shape)",
    "diff_head_unchanged": "{head} unchanged",
    "diff_head_dtype_only": "{head} not trained: only its dtype changed",
    "diff_head_only_in_A": "{head} missing from B",
    "diff_head_only_in_B": "{head} missing from A",
    "diff_head_missing": "{head} in neither file",
    "diff_dtype": "Dtype",
    "diff_dtype_same": "{a} on both sides",
    "diff_dtype_changed": "{a} → {b}",
    "diff_dtype_exact": "; only the dtype changed, values equal",
    "diff_dtype_rounded": (
        "; only the dtype changed, values equal up to rounding (largest |B−A| {largest})"
    ),
    "diff_keys": "Keys",
    "diff_keys_value": (
        "{common} compared; {only_a} only in A, {only_b} only in B, {reshaped} of another shape"
    ),
    "diff_misfit": "; {side} does not fit {arch}: only the common keys were compared",
    "checkpointing": "Checkpointing",
    "checkpointing_value": (
        "{stages} recomputed in backward (torch.utils.checkpoint, non-reentrant): each keeps "
        "only its input in the forward, and its forward runs again in backward (in the "
        "backward time); BatchNorm's running statistics are updated once, in the forward: "
        "each stage's buffers are restored after its recomputation"
    ),
    "plan_recomputing": "{depth}, recompute {stages}",
    "plan_recomputed": "Recomputed",
    "plan_stages": "{count} stages",
    "plan_recomputed_value": (
        "forward FLOPs a checkpointed row runs again in backward (counted in its backward); "
        "each recomputed stage keeps only its input for backward (torch.utils.checkpoint, "
        "non-reentrant)"
    ),
    "breakdown_title": "Where the memory of {depth} goes at {shape} ({precision})",
    "breakdown_part": "Part",
    "breakdown_total": "total",
    "breakdown_keepers": "The layers that keep the most for backward",
    "breakdown_layer": "Layer",
    "breakdown_kept": "What it keeps (for which backward node)",
    "breakdown_more": "and {count} more",
    "breakdown_own_code": "the model's own code",
    "breakdown_peak_forward": "Peak: {bytes} of step tensors alive at once, in {module}'s forward",
    "breakdown_peak_backward": (
        "Peak: {bytes} of step tensors alive at once, in {module}'s backward"
    ),
    "breakdown_peak_step": "Peak: {bytes} of step tensors alive at once, in optimizer.step()",
    "plan_process": "Process",
    "plan_process_value": (
        "how much a training process grows beyond its start (torch imported, the model "
        "built) in its first steps, as a range: a model fitted to real steps measured on an "
        "x86_64 Linux box with glibc (1.64 × the step's tensors, as glibc keeps freed blocks "
        "and hands them out again in pieces, + 1.14 × the optimizer state + 0.21 × the "
        "parameters and buffers + 18 MiB of first-step costs), times 0.78 to 1.28: the "
        "spread of 72 measured rows around it (a row's growth moved by up to 26% between two "
        "runs). --memory's largest batch is solved so that the range's top fits; --verify "
        "measures the growth here"
    ),
    "plan_process_mixed": (
        ". The model was fitted to float32 steps only: the {precisions} rows' growth is not "
        "covered by that range (a bf16 row has been measured far above the old fit)"
    ),
    "verify": "Verify",
    "verify_value": (
        "each row's steps run for real in a fresh process (torch imported, the model built, "
        "then two steps): tensors = the most bytes the CPU allocator held at once in a step "
        "for the tensors operations return (torch.profiler; kernels' own workspaces, released "
        "inside their operation, aside); process = the growth of its peak resident size "
        "(VmHWM) over its start. The % is the estimate's error: above 0 it said more"
    ),
    "verify_measured": (
        "measured at batch {batch}: tensors {tensors} ({tensor_error}), process "
        "+{growth} ({process_error}, {inside})"
    ),
    "verify_inside": "inside the range",
    "verify_outside": "outside the range {range}",
    "verify_skipped": "batch {batch} skipped: {reason}",
    "verify_fits": "its tensors fit {budget}",
    "verify_not_fits": "its tensors do not fit {budget}",
    "verify_process_fits": "the process, with the parameters, too",
    "verify_process_over": "the process, with the parameters, went {bytes} over it",
    "verify_next": "batch {batch} would need {bytes}, {over} {side} the budget",
    "verify_over": "over",
    "verify_under": "under",
    "plan_recipe": "each row: all frozen, a new head of {classes} classes, that depth trainable",
    "plan_meta_note": (
        "one training step per depth, simulated on the meta device: nothing allocated, no real step"
    ),
    "plan_fake_note": (
        "one training step per depth, simulated (fp32 on the meta device; mixed precision and "
        "channels_last on CPU tensors that hold no data): nothing allocated, no real step"
    ),
    "plan_verified_note": (
        "one training step per depth, simulated (on the meta device, or on CPU tensors that "
        "hold no data), then --verify's rows run for real, each in a fresh process"
    ),
    "plan_compute": "What each depth trains and computes",
    "plan_memory": "What one step keeps in memory at {shape}",
    "plan_cut": "Depth",
    "plan_head": "head only",
    "plan_everything": "everything",
    "plan_trainable": "Trainable",
    "plan_share": "Share",
    "plan_backward": "Backward FLOPs",
    "plan_backward_share": "of full",
    "plan_gradients": "Gradients",
    "plan_optimizer": "Optimizer",
    "plan_saved": "Saved",
    "plan_peak": "Peak",
    "plan_batch": "Largest batch",
    "plan_none_fits": "none",
    "plan_forward": "Forward",
    "plan_forward_value": "{flops} FLOPs at every depth: freezing saves backward work only",
    "plan_saved_value": (
        "what autograd keeps for backward, each storage once (parameters and buffers exist "
        "anyway): nothing for the frozen layers before the first trainable one"
    ),
    "plan_state_sgd": "SGD: one momentum buffer per trainable parameter (none with --momentum 0)",
    "plan_state_adam": "Adam: two moments per trainable parameter and a step count per tensor",
    "plan_state_adamw": "AdamW: two moments per trainable parameter and a step count per tensor",
    "plan_peak_value": (
        "parameters {params} + buffers {buffers} + optimizer state (kept from the step before) + "
        "the most bytes alive at once in the whole step: forward, backward and optimizer.step() "
        "(input, activations, what autograd saves, gradients, the optimizer's temporaries), "
        "followed operation by operation: what the step's tensors need (kernels' own "
        "workspaces aside); a process needs more: see Process"
    ),
    "plan_batch_value": (
        "the largest batch whose step fits {budget}: its tensors beside the parameters, "
        "buffers and optimizer state, and its process growth at the top of the Process range "
        "beside the parameters and buffers; solved from the recorded step and confirmed by a "
        "pass at the answer"
    ),
    "flags": "Flags",
    "flags_none": "none: updates, gradients, ReLU zeros and BatchNorm all look usual",
    "flag_update_large": (
        "‖Δθ‖/‖θ‖ up to {value} (usual: about 1e-3; above 1e-2 the step rewrites the weights: "
        "{advice}) in {layers}"
    ),
    "advice_lr": "lower --lr",
    "advice_lr_or_mean": "lower --lr, or a mean loss instead of a sum",
    "flag_from_step": " (from step {step} of the run on)",
    "flag_grad_not_finite_earlier": (
        "the gradient norm was not finite at step {step}; the last step's gradients are finite"
    ),
    "flag_update_small": (
        "‖Δθ‖/‖θ‖ down to {value} (below 1e-5 the layer barely learns) in {layers}"
    ),
    "flag_loss_not_finite": "the loss is {value}: every gradient after it is meaningless",
    "flag_grad_not_finite": (
        "a gradient is not finite in {count} layers; the first in backward order is {layers}"
    ),
    "flag_dead_relu": (
        "ReLU outputs more than 90% exact zeros (up to {value}): little gradient gets through in "
        "{layers}"
    ),
    "flag_decay_on_batchnorm": (
        "weight decay {value} also pulls BatchNorm's weight and bias towards 0 (usually left out "
        "of decay) in {layers}"
    ),
    "flag_batchnorm_small_batch": (
        "train-mode BatchNorm sees as few as {value} values per channel (fewer than 8: noisy batch "
        "statistics; use a larger batch or image) in {layers}"
    ),
    "flag_frozen_batchnorm_training": (
        "{count} frozen BatchNorm layers run in train mode, so their running statistics still "
        "move: add --bn-eval ({layers})"
    ),
    "explain_out_side": "output H and W",
    "explain_out_height": "output H",
    "explain_out_width": "output W",
    "explain_params": "parameters",
    "explain_macs": "MACs",
    "explain_bn_params": "parameters γ and β, 2·C:",
    "explain_bn_buffers": "running mean and var, and the batch count, 2·C + 1:",
    "explain_bn_values": "values per channel for the batch statistics, B·H·W:",
    "explain_residual_add": "{detail}: elementwise, so the shapes must match; one add per element:",
    "explain_features": "features C·H·W:",
    "explain_elements": "max(0, x) on every element:",
    "explain_field_size": "receptive field r = r_in + (k − 1)·d·j_in:",
    "explain_field_jump": "jump between units j = j_in·s:",
    "explain_field_start": "centre of the first unit's field start_in + ((k − 1)·d/2 − p)·j_in:",
    "explain_field_size_height": "receptive field, height:",
    "explain_field_jump_height": "jump, height:",
    "explain_field_start_height": "first unit's centre, height:",
    "explain_field_size_width": "receptive field, width:",
    "explain_field_jump_width": "jump, width:",
    "explain_field_start_width": "first unit's centre, width:",
    "explain_averaged": "each output averages H·W values:",
    "explain_note": (
        'why other tools differ: torchvision\'s model docs list "GFLOPS" that are MACs (resnet50: '
        "4.089 = 4,089,184,256 MACs here); thop, ptflops and fvcore also count BatchNorm, ReLU and "
        "pooling; the paper's 3.8 G is ResNet v1, before the stride moved to the 3×3 conv. Here "
        "MACs are those of convolutions and Linear layers, and FLOPs = 2 × MACs "
        "(torch.utils.flop_counter)"
    ),
    "keeps_parameter": "a parameter: no new memory",
    "keeps_buffer": "a buffer: no new memory",
    "keeps_shared": "shared with another node: counted once",
    "keeps_nothing": "no tensor",
    "keeps.ConvolutionBackward0": (
        "a convolution keeps its input (for the weight's gradient) and its weight (for the input's)"
    ),
    "keeps.NativeBatchNormBackward0": (
        "BatchNorm keeps its input and the batch statistics (result1 = mean, result2 = 1/std), "
        "with γ and the running statistics"
    ),
    "keeps.ReluBackward0": "ReLU keeps its output: where it is 0, the gradient stops",
    "keeps.MaxPool2DWithIndicesBackward0": (
        "max-pool keeps its input and the indices of the maxima (result1, int64): the gradient "
        "goes only to them"
    ),
    "keeps.AddmmBackward0": (
        "Linear keeps its input (mat1, for the weight's gradient) and its weight (mat2, "
        "transposed, for the input's)"
    ),
    "keeps.AddBackward0": "the add keeps nothing: the gradient passes to both branches unchanged",
    "keeps.MeanBackward1": (
        "the average keeps only the input's shape: each element gets 1/(H·W) of the gradient"
    ),
    "keeps.ViewBackward0": "a view keeps only the shape to undo",
    "keeps.other": "keeps what its formula needs",
    # the header, the weights and the layer descriptions
    "input_lc": "input",
    "weights_line": "weights: {weights}",
    "loss_line": "loss: {loss}",
    "yes": "yes",
    "no": "no",
    "weights_none": "none ({random})",
    "weights_file": "{path} ({classes} classes)",
    "weights_pretrained": "{name} (ImageNet-1K top-1 {top1}%, top-5 {top5}%, {classes} categories)",
    "no_running_stats": "no running stats",
    "layer_identity": "Identity (passes x through)",
    "layer_empty_sequential": "Sequential() (empty: passes x through)",
    "width": "width",
    # roles and sentences that follow a layer's own facts (timm's family too)
    "role.preact_block": (
        "pre-activation block: norm and activation before each conv, "
        "plus a shortcut; nothing after the add"
    ),
    "role.preact_norm": "pre-activation: normalises what the next conv sees",
    "role.residual_block": "a residual block: its branch added to a shortcut",
    "role.attention": (
        "attention side branch: works on pooled features and rescales the branch's channels"
    ),
    "role.shortcut_pool": (
        "shortcut pool: shrinks x to the branch's resolution before the projection"
    ),
    "variant.basic_conv1": "block's first {kernel} conv{carries}",
    "variant.basic_conv2": "block's second {kernel} conv{carries}",
    "variant.spatial": "{kernel} conv at the block's width{carries}",
    "variant.carries_stride": "; carries the block's stride",
    "variant.to_width": "1×1 conv: brings the channels to the block's width ({channels})",
    "variant.expands": "1×1 conv: expands channels to the block's output (×{ratio})",
    "variant.to_output": "1×1 conv: brings the channels to the block's output ({channels})",
    "variant.last_norm": "last norm of the residual branch, just before the add",
    "variant.branch_relu": "activation inside the residual branch",
    "variant.residual_add": "residual add: branch + shortcut",
    "variant.shortcut_conv": "projection shortcut: {kernel} conv matches the channels",
    "variant.pool_divides": "max pool: divides the resolution by {stride}",
    "variant.pool_keeps": "pool: keeps the resolution",
    "variant.basic_block": "two convs plus a shortcut, added",
    "variant.bottleneck_block": "1×1, {kernel}, 1×1 convs plus a shortcut",
    "role.stem_conv_more": "stem conv on the features of the conv before it",
    "variant.stem_conv_more": "stem conv on the features of the conv before it, {effect}",
    "weights_metadata": "safetensors metadata: {facts}",
    "weights_keys_removed": "keys: {prefix} taken off every key of the file to fit the model",
    "weights_keys_kept": (
        "keys: as saved, {prefix} included (the model's own names start with it too)"
    ),
}
