"""The arithmetic behind a layer's numbers, written with that layer's own numbers.

Every formula is worked out here from the layer's hyperparameters and its input shape
alone, never from the counts the capture measured, so that the tests can hold each one
against the measured number: a formula that disagrees is a bug, not a footnote.
"""

from __future__ import annotations

import math

from resnet_inspect.report import Formula, Node, SettingValue, Shape


def formulas(node: Node) -> tuple[Formula, ...]:
    """The formulas of one layer call (none for a section or block: they are sums)."""
    s = {item.name: item.value for item in node.settings}
    kind = node.kind
    if kind == "Conv2d":
        return _conv(node, s)
    if kind.startswith("BatchNorm"):
        return _batchnorm(node, s)
    if kind in ("MaxPool2d", "AvgPool2d"):
        return _window(node, s, ceil=bool(s.get("ceil_mode")))
    if kind == "AdaptiveAvgPool2d":
        return _adaptive(node, s)
    if kind == "Linear":
        return _linear(node, s)
    if kind in ("add", "add_") and "shortcut" in s:
        shape = "×".join(map(str, node.output_shape))
        return (
            Formula(
                "residual_add",
                _join(node.output_shape, "·"),
                math.prod(node.output_shape),
                detail=f"{shape} + {shape}",
            ),
        )
    if kind in ("flatten", "Flatten") and len(node.input_shape) == 4:
        _, c, h, w = node.input_shape
        return (Formula("features", f"{c}·{h}·{w}", c * h * w),)
    if kind in ("ReLU", "relu", "relu_"):
        return (Formula("elements", _join(node.input_shape, "·"), math.prod(node.input_shape)),)
    return ()


def _pair(value: SettingValue) -> tuple[int, int]:
    if isinstance(value, tuple):
        return int(value[0]), int(value[-1])
    return int(str(value)), int(str(value))


def _side(size: int, kernel: int, stride: int, padding: int, dilation: int, ceil: bool) -> Formula:
    """⌊(H + 2·p − d·(k − 1) − 1) / s⌋ + 1, written as ⌊(H + 2·p − k) / s⌋ + 1 where d = 1."""
    span = dilation * (kernel - 1) + 1
    inner = (
        f"{size} + 2·{padding} − {kernel}"
        if dilation == 1
        else (f"{size} + 2·{padding} − {dilation}·({kernel} − 1) − 1")
    )
    top = size + 2 * padding - span
    opening, closing = ("⌈", "⌉") if ceil else ("⌊", "⌋")
    value = (-(-top // stride) if ceil else top // stride) + 1
    if ceil and (value - 1) * stride >= size + padding:  # PyTorch's rule: the last window
        value -= 1  # must start inside the input or its left padding
    return Formula("", f"{opening}({inner}) / {stride}{closing} + 1", value)


def _sides(node: Node, s: dict[str, SettingValue], ceil: bool = False) -> list[Formula]:
    """The output's height (and its width where it differs in input or hyperparameters)."""
    if len(node.input_shape) != 4 or isinstance(s.get("padding"), str):
        return []
    (kh, kw), (sh, sw) = _pair(s["kernel_size"]), _pair(s.get("stride") or s["kernel_size"])
    (ph, pw), (dh, dw) = _pair(s.get("padding", 0)), _pair(s.get("dilation", 1))
    _, _, h, w = node.input_shape
    height = _side(h, kh, sh, ph, dh, ceil)
    if (h, kh, sh, ph, dh) == (w, kw, sw, pw, dw):
        return [Formula("out_side", height.expression, height.value)]
    width = _side(w, kw, sw, pw, dw, ceil)
    return [
        Formula("out_height", height.expression, height.value),
        Formula("out_width", width.expression, width.value),
    ]


def _conv(node: Node, s: dict[str, SettingValue]) -> tuple[Formula, ...]:
    kh, kw = _pair(s["kernel_size"])
    cin, cout, groups = (
        int(str(s["in_channels"])),
        int(str(s["out_channels"])),
        int(str(s["groups"])),
    )
    per_output = f"{cin}" if groups == 1 else f"({cin}/{groups})"
    weights = cout * (cin // groups) * kh * kw
    formulas = [*_sides(node, s), *_field(node, s)]
    if node.call == 1:
        bias = f" + {cout}" if s.get("bias") else ""
        formulas.append(
            Formula(
                "params", f"{cout}·{per_output}·{kh}·{kw}{bias}", weights + (cout if bias else 0)
            )
        )
    if len(node.output_shape) == 4:
        b, _, oh, ow = node.output_shape
        batch = f"{b} · " if b != 1 else ""
        formulas.append(Formula("macs", f"{batch}{weights:,} · {oh} · {ow}", b * weights * oh * ow))
    return tuple(formulas)


def _batchnorm(node: Node, s: dict[str, SettingValue]) -> tuple[Formula, ...]:
    channels = int(str(s["num_features"]))
    formulas = []
    if node.call == 1 and s.get("affine"):
        formulas.append(Formula("bn_params", f"2·{channels}", 2 * channels))
    if node.call == 1 and s.get("track_running_stats"):
        formulas.append(Formula("bn_buffers", f"2·{channels} + 1", 2 * channels + 1))
    if len(node.input_shape) >= 2:
        values = math.prod(node.input_shape) // node.input_shape[1]
        shape = _join((node.input_shape[0], *node.input_shape[2:]), "·")
        formulas.append(Formula("bn_values", shape, values))
    return tuple(formulas)


def _window(node: Node, s: dict[str, SettingValue], ceil: bool) -> tuple[Formula, ...]:
    return (*_sides(node, s, ceil), *_field(node, s))


def _field(node: Node, s: dict[str, SettingValue]) -> list[Formula]:
    """The receptive-field recurrence of a window (a conv or a pool) with its numbers, per
    axis where the axes differ: r = r_in + (k − 1)·d·j_in, j = j_in·s and
    start = start_in + ((k − 1)·d/2 − p)·j_in. The inputs are this row's field taken back
    through its own window, so every number shown is the row's."""
    field = node.receptive_field
    if field is None or field.shared or isinstance(s.get("padding"), str):
        return []
    kernel, stride = _pair(s["kernel_size"]), _pair(s.get("stride") or s["kernel_size"])
    padding, dilation = _pair(s.get("padding", 0)), _pair(s.get("dilation", 1))
    height, width = field.height, field.width
    square = (height.size, height.jump, height.start) == (width.size, width.jump, width.start)
    same = square and all(v[0] == v[1] for v in (kernel, stride, padding, dilation))
    axes = [("", height, 0)] if same else [("_height", height, 0), ("_width", width, 1)]
    formulas = []
    for suffix, axis, i in axes:
        k, st, p, d = kernel[i], stride[i], padding[i], dilation[i]
        jump_in = axis.jump / st
        size_in = axis.size - (k - 1) * d * jump_in
        start_in = axis.start - ((k - 1) * d / 2 - p) * jump_in
        j, r, c = _num(jump_in), _num(size_in), _num(start_in)
        formulas += [
            Formula(f"field_size{suffix}", f"{r} + ({k} − 1)·{d}·{j}", _value(axis.size)),
            Formula(f"field_jump{suffix}", f"{j}·{st}", _value(axis.jump)),
            Formula(
                f"field_start{suffix}",
                f"{c} + (({k} − 1)·{d}/2 − {p})·{j}",
                _value(axis.start),
            ),
        ]
    return formulas


def _num(value: float) -> str:
    return str(_value(value))


def _value(value: float) -> int | float:
    return int(value) if value == int(value) else value


def _adaptive(node: Node, s: dict[str, SettingValue]) -> tuple[Formula, ...]:
    if len(node.input_shape) != 4 or _pair(s["output_size"]) != (1, 1):
        return ()
    _, _, h, w = node.input_shape
    return (Formula("averaged", f"{h}·{w}", h * w),)


def _linear(node: Node, s: dict[str, SettingValue]) -> tuple[Formula, ...]:
    fin, fout = int(str(s["in_features"])), int(str(s["out_features"]))
    formulas = []
    if node.call == 1:
        bias = f" + {fout}" if s.get("bias") else ""
        formulas.append(
            Formula("params", f"{fin}·{fout}{bias}", fin * fout + (fout if bias else 0))
        )
    rows = math.prod(node.input_shape[:-1]) if node.input_shape else 1
    batch = f"{rows} · " if rows != 1 else ""
    formulas.append(Formula("macs", f"{batch}{fin}·{fout}", rows * fin * fout))
    return tuple(formulas)


def _join(shape: Shape, sign: str) -> str:
    return sign.join(map(str, shape))
