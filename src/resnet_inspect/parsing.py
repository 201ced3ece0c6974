"""Command-line strings turned into checked, typed configuration, in pure Python.

Everything here runs before torch is imported, so a typo costs milliseconds, not the
seconds of a torch import. Parsers accept what is unambiguous and refuse the rest with a
message that says what is expected.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Sequence
from fractions import Fraction

from resnet_inspect.anatomy import (
    ARCHITECTURES,
    IMAGE_CHANNELS,
    PRETRAINED,
    STAGE_MODULES,
    module_names,
    parameter_names,
)
from resnet_inspect.config import (
    MAX_DIM,
    MAX_ELEMENTS,
    MAX_MEMORY,
    MAX_STEPS,
    DiffSide,
    ImageOptions,
    InputShape,
    LossKind,
    ModelSpec,
    OptimizerKind,
    Precision,
    Preparation,
    SideKind,
    WeightsChoice,
    WeightsKind,
    check_lr,
    check_momentum,
    check_new_classes,
    check_seed,
    check_steps,
    check_unfreeze_names,
    check_weight_decay,
)
from resnet_inspect.errors import ArgumentError, InspectError, OptionError
from resnet_inspect.imagesets import find_images
from resnet_inspect.inputs import CHECKPOINT_SUFFIXES

DEFAULT_INPUT = "1,3,64,64"
# Separators people type between dimensions: commas, x/× and spaces, in any mix.
_SEPARATORS = re.compile(r"\s*[,x×]\s*|\s+")


def parse_input_shape(text: str, *, stock: bool = True) -> InputShape:
    """``"1,3,64,64"`` (also ``1x3x64x64``, ``1, 3, 64, 64``, ``(1,3,64,64)``) to a shape.

    For a ``stock`` torchvision architecture C must be 3, which is known before torch loads;
    another model's input channels are checked against its first conv once it is built.
    """
    expected = "expected B,C,H,W as 4 positive integers, e.g. 1,3,64,64"
    stripped = text.strip().strip("()[]").strip()
    if not stripped:
        raise OptionError(f"--input is empty: {expected}")
    pieces = _SEPARATORS.split(stripped.lower())
    if len(pieces) != 4:
        raise OptionError(f"--input {text!r} has {len(pieces)} dimension(s): {expected}")
    dims: list[int] = []
    for piece in pieces:
        if not re.fullmatch(r"[+-]?\d+", piece):
            raise OptionError(f"--input {text!r}: {piece!r} is not a whole number; {expected}")
        value = int(piece)
        if not 1 <= value <= MAX_DIM:
            raise OptionError(
                f"--input {text!r}: every dimension must be at least 1 and at most "
                f"2,147,483,647; {expected}"
            )
        dims.append(value)
    if math.prod(dims) > MAX_ELEMENTS:
        raise OptionError(
            f"--input {text!r}: B×C×H×W is {math.prod(dims):,} elements; at most 2^60 fit one "
            "tensor"
        )
    batch, channels, height, width = dims
    if stock and channels != IMAGE_CHANNELS:
        raise OptionError(
            f"--input {text!r}: C is {channels}, but a ResNet's stem conv takes "
            f"{IMAGE_CHANNELS} channels (RGB); use B,3,H,W (or --model / --weights FILE for a "
            "model of other input channels)"
        )
    return batch, channels, height, width


TIMM_PREFIX = "timm:"


def is_timm(arch: str | None) -> bool:
    return bool(arch) and str(arch).startswith(TIMM_PREFIX)


def parse_arch(text: str) -> str:
    """An architecture name, case-insensitively (``ResNet18`` is ``resnet18``), or
    ``timm:NAME`` (checked against timm's list once timm is imported, with torch)."""
    stripped = text.strip()
    if stripped.lower().startswith(TIMM_PREFIX):
        name = stripped[len(TIMM_PREFIX) :].strip()
        if not re.fullmatch(r"[A-Za-z0-9_.\-]+", name):
            raise OptionError(f"--arch {text!r}: expected timm:NAME, e.g. timm:resnet50d")
        return TIMM_PREFIX + name
    name = stripped.lower().replace("-", "_")
    if name in ARCHITECTURES:
        return name
    # "resnet_18" and "wide_resnet50" are unambiguous spellings of one name.
    compact = {arch.replace("_", ""): arch for arch in ARCHITECTURES}
    if name.replace("_", "") in compact:
        return compact[name.replace("_", "")]
    close = difflib.get_close_matches(name, ARCHITECTURES, n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    raise OptionError(
        f"unknown --arch {text!r}: {hint}choose from {', '.join(ARCHITECTURES)}, or "
        "timm:NAME (with timm installed)"
    )


def parse_choice(option: str, text: str, choices: list[str]) -> str:
    value = text.strip().lower()
    if value not in choices:
        raise OptionError(f"unknown {option} {text!r}: choose from {', '.join(choices)}")
    return value


PRECISION_ALIASES = {
    "float32": "fp32",
    "float": "fp32",
    "bfloat16": "bf16",
    "float16": "fp16",
    "half": "fp16",
}


def parse_precision(text: str, *, every: bool = False) -> tuple[Precision, ...]:
    """``--precision``: fp32, bf16 or fp16 (torch's dtype names too); plan takes ``all``."""
    value = text.strip().lower().replace("_", "")
    value = PRECISION_ALIASES.get(value, value)
    choices = [kind.value for kind in Precision] + (["all"] if every else [])
    chosen = parse_choice("--precision", value, choices)
    return tuple(Precision) if chosen == "all" else (Precision(chosen),)


def parse_loss(text: str) -> LossKind:
    value = text.strip().lower().replace("_", "-")
    if value in ("crossentropy", "ce"):
        value = LossKind.CROSS_ENTROPY.value
    return LossKind(parse_choice("--loss", value, [kind.value for kind in LossKind]))


def parse_number(option: str, text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise OptionError(f"{option} {text!r} is not a number") from None
    return value


def parse_lr(text: str) -> float:
    return check_lr(parse_number("--lr", text))


def parse_momentum(text: str) -> float:
    return check_momentum(parse_number("--momentum", text))


def parse_weight_decay(text: str) -> float:
    return check_weight_decay(parse_number("--weight-decay", text))


def parse_optimizer(text: str) -> OptimizerKind:
    return OptimizerKind(parse_choice("--optimizer", text, [k.value for k in OptimizerKind]))


def parse_steps(text: str) -> int:
    stripped = text.strip()
    if not re.fullmatch(r"[+-]?\d+", stripped):
        raise OptionError(f"--steps {text!r} is not a whole number: expected 1 to {MAX_STEPS:,}")
    return check_steps(int(stripped))


def parse_new_classes(text: str) -> int:
    stripped = text.strip()
    if not re.fullmatch(r"[+-]?\d+", stripped):
        raise OptionError(
            f"--new-classes {text!r} is not a whole number: expected the number of classes of "
            "the new head, e.g. 10"
        )
    return check_new_classes(int(stripped))


def parse_unfreeze(text: str, arch: str | None) -> tuple[str, ...]:
    """Comma-separated stage, block, layer or parameter names to keep trainable.

    For a torchvision ``arch`` the names are checked here, before torch; for any other
    model they are checked against the built model (``capture.freezing.check_unfreeze``).
    """
    names = check_unfreeze_names(tuple(name.strip() for name in text.split(",") if name.strip()))
    if arch is None or is_timm(arch):  # checked against the built model
        return names
    modules, parameters = set(module_names(arch)), parameter_names(arch)
    for name in names:
        if name in parameters:
            continue
        if name not in modules:
            raise OptionError(
                f"--unfreeze {name!r} is not in {arch}: name a stage "
                f"({', '.join(STAGE_MODULES)}), a block such as layer3.1, a layer such as "
                "layer4.1.bn2, or a parameter such as layer4.1.bn2.weight"
            )
        if not any(p.startswith(f"{name}.") for p in parameters):
            raise OptionError(f"--unfreeze {name!r} holds no parameters: nothing to keep trainable")
    return names


def parse_rows(option: str, text: str) -> tuple[str, ...]:
    """Comma-separated row names (``head,layer4``), each once, in the order given."""
    names = tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    if not names:
        raise OptionError(f"{option} names no row: give rows such as head,layer4, or all")
    return names


def parse_checkpoint(text: str, arch: str | None) -> tuple[str, ...]:
    """``--checkpoint``: comma-separated stages to recompute in backward. For a torchvision
    ``arch`` they are checked here, before torch; for any other model, against its stages
    once built (``capture.recompute.check_recomputable``)."""
    names = tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    if not names:
        raise OptionError(
            f"--checkpoint names no stage: give stages such as {','.join(STAGE_MODULES[2:])}"
        )
    if arch is not None and not is_timm(arch):
        wrong = [name for name in names if name not in STAGE_MODULES]
        if wrong:
            raise OptionError(
                f"--checkpoint {','.join(wrong)}: not a residual stage of {arch} "
                f"(its stages: {', '.join(STAGE_MODULES)})"
            )
    return names


def parse_weights(text: str, arch: str) -> WeightsChoice:
    """``none``, a torchvision weights name of ``arch`` (any case, ``DEFAULT``, or the full
    ``ResNet18_Weights.IMAGENET1K_V1``), or the path of a local checkpoint."""
    value = text.strip()
    if value.lower() in ("", "none"):
        return WeightsChoice()
    if value.startswith("hf:"):
        repo = value[3:].strip()
        if not re.fullmatch(r"[A-Za-z0-9][\w.\-]*/[\w.\-]+", repo):
            raise OptionError(
                f"--weights {text!r}: expected hf:OWNER/NAME, e.g. hf:timm/resnet50.a1_in1k"
            )
        return WeightsChoice(WeightsKind.HUB, name=repo)
    if is_timm(arch) and not os.path.isfile(value):
        raise OptionError(
            f"--weights {text!r}: no such file; with --arch {arch} give none or a checkpoint "
            "file (weights names such as DEFAULT are torchvision's)"
        )
    looks_like_path = os.sep in value or "/" in value or value.lower().endswith(CHECKPOINT_SUFFIXES)
    # A weights name wins over a file of that name in the working directory: ./DEFAULT is
    # the file. Only a path, or a name that is no weights name, is taken as a file.
    is_name = _looks_like_weights_name(value)
    if looks_like_path or (os.path.exists(value) and not is_name):
        if not os.path.exists(value):
            raise OptionError(f"--weights {text!r}: no such file")
        if os.path.isdir(value):
            raise OptionError(f"--weights {text!r} is a directory, not a checkpoint file")
        if not os.path.isfile(value):
            raise OptionError(
                f"--weights {text!r} is not a regular file (a pipe or a device?); give a "
                "checkpoint file"
            )
        return WeightsChoice(WeightsKind.FILE, path=value)
    enum_name, names, default = PRETRAINED[arch]
    prefix, _, name = value.rpartition(".")
    if prefix:
        owner = next(
            (a for a, (e, _, _) in PRETRAINED.items() if e.lower() == prefix.lower()), None
        )
        if owner is None:
            raise OptionError(f"--weights {text!r}: unknown weights enum {prefix!r}")
        if owner != arch:
            raise OptionError(
                f"--weights {text!r} are weights of {owner}, not of {arch} (use --arch {owner})"
            )
    name = name.upper()
    if name == "DEFAULT":
        name = default
    if name not in names:
        valid = ", ".join(("DEFAULT", *names))
        raise OptionError(
            f"--weights {text!r}: {arch} has no such weights; choose none, {valid} "
            f"(or {enum_name}.NAME), or give the path of a checkpoint file"
        )
    return WeightsChoice(WeightsKind.PRETRAINED, name=name)


def _looks_like_weights_name(value: str) -> bool:
    name = value.rpartition(".")[2].upper()
    return name == "DEFAULT" or name.startswith("IMAGENET") or "_Weights." in value


_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def parse_model_spec(text: str) -> ModelSpec:
    """Check the form of ``--model`` (and that a file exists) before anything is imported."""
    expected = "expected FILE.py:NAME or package.module:NAME, e.g. models.py:build"
    where, colon, name = text.strip().rpartition(":")
    if not colon or not where or not name:
        raise OptionError(f"--model {text!r}: {expected}")
    if not _DOTTED.fullmatch(name) or "." in name:
        raise OptionError(f"--model {text!r}: {name!r} is not a Python name; {expected}")
    if where.endswith(".py") or "/" in where or os.sep in where:
        if not os.path.exists(where):
            raise OptionError(f"--model {text!r}: no such file {where}")
        if not os.path.isfile(where):
            raise OptionError(f"--model {text!r}: {where} is not a file")
        return ModelSpec(text=text, path=where, name=name)
    if not _DOTTED.fullmatch(where):
        raise OptionError(f"--model {text!r}: {where!r} is not a module name; {expected}")
    return ModelSpec(text=text, module=where, name=name)


def choose_model(
    arch: str | None, weights: str | os.PathLike[str] | WeightsChoice, model: object
) -> tuple[str | None, WeightsChoice, ModelSpec | None]:
    """Which model the options name, by the one rule of the CLI and the library alike:
    ``model`` (the user's code: a spec, or for the library a module instance, which the
    caller builds from), else ``arch``, else what a ``weights`` file says it is (arch None:
    inferred from the file), else resnet18."""
    if arch is not None and not isinstance(arch, str):
        raise ArgumentError(f"arch must be a name such as 'resnet18', not {type(arch).__name__}")
    spec = parse_model_spec(model) if isinstance(model, str) and model else None
    if isinstance(model, ModelSpec):
        spec = model
    if model not in (None, "") and arch:
        raise OptionError(
            "--model and --arch cannot go together: the model is its own architecture"
        )
    name = parse_arch(arch) if arch else None
    if isinstance(weights, os.PathLike):  # a pathlib.Path is a checkpoint file
        weights = os.fspath(weights)
    if isinstance(model, os.PathLike):
        raise ArgumentError(
            f"model {os.fspath(model)!r} is a path; give 'file.py:NAME' (the file and the "
            "name of the model or function in it) or an nn.Module"
        )
    if isinstance(weights, WeightsChoice):
        choice = weights
    elif isinstance(weights, str):
        choice = parse_weights(weights, name or "resnet18")
    else:
        raise ArgumentError(
            "weights must be a str, a pathlib.Path or a WeightsChoice, not "
            f"{type(weights).__name__}"
        )
    if spec is None and not (name is None and choice.kind in (WeightsKind.FILE, WeightsKind.HUB)):
        name = name or "resnet18"
    return name, choice, spec


def check_output_paths(
    targets: list[tuple[str, str]],
    inputs: Sequence[tuple[str, str]] = (),
    kept_folders: Sequence[tuple[str, str]] = (),
) -> None:
    """Every file a command was asked to write, checked before any work starts: its folder
    exists and takes new files, it is no folder itself, it is no other option's target, and
    it is none of the run's inputs (``inputs``: what names them, and their paths: the
    checkpoint, diff's A and B, the ``--model`` file) and lies in none of ``kept_folders``
    (the report cache). Inputs are compared as files, not names: a symlink or a hard link to
    a checkpoint is that checkpoint. A target that cannot be written is the machine's state,
    not a malformed option: exit 1, as a write that fails later would be."""
    seen: dict[str, str] = {}
    for option, path in targets:
        if not path:
            continue
        real = os.path.realpath(path)
        folder = os.path.dirname(real)  # a symlinked target is written where it points
        if real in seen:
            raise InspectError(f"{option} {path}: cannot write it ({seen[real]} writes it too)")
        seen[real] = option
        for name, source in inputs:
            if source and _same_file(path, source):
                raise InspectError(f"{option} {path}: cannot write it (it is {name}, an input)")
        for name, kept in kept_folders:
            if kept and _inside(real, os.path.realpath(kept)):
                raise InspectError(f"{option} {path}: cannot write it (it is inside {name})")
        if os.path.isdir(path):
            raise InspectError(f"{option} {path}: cannot write it (a directory; give a file name)")
        if os.path.exists(path) and not os.path.isfile(path):
            # A save replaces its target whole (written beside it, then renamed): never a
            # device or a pipe, which the rename would put a regular file in place of.
            raise InspectError(f"{option} {path}: cannot write it (not a regular file)")
        if not os.path.isdir(folder):
            raise InspectError(f"{option} {path}: cannot write it (no such directory {folder})")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise InspectError(f"{option} {path}: cannot write it ({folder} is not writable)")
        if os.path.exists(path) and not os.access(path, os.W_OK):
            raise InspectError(f"{option} {path}: cannot write it (permission denied)")


def _same_file(path: str, other: str) -> bool:
    """One file under two names: the same path, a symlink to it, or a hard link."""
    if os.path.realpath(path) == os.path.realpath(other):
        return True
    try:
        return os.path.samefile(path, other)
    except OSError:  # one of them does not exist (yet): not the same file
        return False


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def parse_diff_side(text: str, which: str) -> DiffSide:
    """``init:SEED``, the path of a checkpoint file, or a torchvision weights name."""
    value = text.strip()
    if value.lower().startswith("init:"):
        seed = value.split(":", 1)[1].strip()
        if not re.fullmatch(r"[+-]?\d+", seed):
            raise OptionError(
                f"{which} {text!r}: init:SEED takes a whole number, e.g. init:0 (the random "
                "initialisation under torch.manual_seed(0))"
            )
        check_seed(int(seed))
        return DiffSide(text=value, kind=SideKind.INIT, seed=int(seed))
    if _looks_like_weights_name(value) and "/" not in value and os.sep not in value:
        # Checked against the architecture once it is known, as --weights is.
        return DiffSide(text=value, kind=SideKind.PRETRAINED)
    if not os.path.exists(value):
        raise OptionError(
            f"{which} {text!r}: no such file; give a checkpoint file, a torchvision weights "
            "name (DEFAULT, IMAGENET1K_V1, …, with --arch) or init:SEED"
        )
    if os.path.isdir(value):
        raise OptionError(f"{which} {text!r} is a directory, not a checkpoint file")
    if not os.path.isfile(value):
        raise OptionError(f"{which} {text!r} is not a regular file (a pipe or a device?)")
    return DiffSide(text=value, kind=SideKind.FILE, path=value)


_SIZE_UNITS = {
    "tib": 2**40,
    "tb": 10**12,
    "gib": 2**30,
    "gb": 10**9,
    "mib": 2**20,
    "mb": 10**6,
}


def parse_memory(text: str) -> int:
    """A memory budget in bytes: ``8GiB``, ``8 GiB``, ``16GB``, ``512MiB``, ``500MB``."""
    expected = "expected a size such as 8GiB, 16GB, 512MiB or 500MB"
    if re.fullmatch(r"\s*[0-9]*\.?[0-9]+\s*", text):
        bare = text.strip()
        raise OptionError(
            f"--memory {text!r} has no unit: write {bare}GiB, {bare}GB, {bare}MiB or {bare}MB"
        )
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([A-Za-z]+)\s*", text)
    if not match:
        raise OptionError(f"--memory {text!r} is not a size: {expected}")
    number, unit = match.group(1), match.group(2).lower()
    if unit not in _SIZE_UNITS:
        raise OptionError(f"--memory {text!r}: unknown unit {match.group(2)!r}; {expected}")
    # Exact arithmetic: a float would turn 99999999999999999999TiB into inf or lose bytes.
    size = int(Fraction(number) * _SIZE_UNITS[unit])
    if size <= 0:
        raise OptionError(f"--memory {text!r} must be more than 0; {expected}")
    if size > MAX_MEMORY:
        raise OptionError(
            f"--memory {text!r} is more than any machine holds; give at most 1048576TiB (1 EiB)"
        )
    return size


def check_image_paths(paths: Sequence[str], option: str = "--images") -> tuple[str, ...]:
    """Every path names a file (read later, with Pillow); ``option`` names them in errors."""
    for path in paths:
        if not os.path.exists(path):
            raise OptionError(f"{option} {path}: no such file")
        if not os.path.isfile(path):
            raise OptionError(f"{option} {path}: not a file (give image files)")
    return tuple(paths)


def parse_images(
    paths: Sequence[str],
    *,
    batch: str = "",
    shuffle: bool = False,
    resize: str = "",
    crop: str = "",
    mean: str = "",
    std: str = "",
    option: str = "--images",
) -> ImageOptions | None:
    """``--images`` and the options that prepare them; None without ``--images`` (then the
    others are refused: they would change nothing)."""
    given = {
        "--batch": batch,
        "--resize": resize,
        "--crop": crop,
        "--mean": mean,
        "--std": std,
        "--shuffle": "yes" if shuffle else "",
    }
    if not paths:
        typed = next((option for option, text in given.items() if text), None)
        if typed:
            raise OptionError(f"{typed} prepares real images: give them with --images PATH")
        return None
    find_images(paths, option)
    prepared = parse_preparation(resize=resize, crop=crop, mean=mean, std=std)
    return ImageOptions(
        paths=tuple(paths),
        batch=_whole_numbers("--batch", batch, "a whole number ≥ 1, e.g. 8")[0] if batch else None,
        shuffle=shuffle,
        resize=prepared.resize,
        crop=prepared.crop,
        mean=prepared.mean,
        std=prepared.std,
    )


def parse_preparation(
    *, resize: str = "", crop: str = "", mean: str = "", std: str = ""
) -> Preparation:
    """``--resize/--crop/--mean/--std``: the parts of the image pipeline given in place of
    the weights' own."""
    crop_sides = _whole_numbers("--crop", crop, "a size, or HEIGHT,WIDTH, e.g. 224") if crop else ()
    if len(crop_sides) > 2:
        raise OptionError(f"--crop {crop!r}: give a size, or HEIGHT,WIDTH, e.g. 224")
    return Preparation(
        resize=_whole_numbers("--resize", resize, "a size, e.g. 256")[0] if resize else None,
        crop=(crop_sides[0], crop_sides[-1]) if crop_sides else None,
        mean=_numbers("--mean", mean) if mean else None,
        std=_numbers("--std", std) if std else None,
    )


def _whole_numbers(option: str, text: str, expected: str) -> tuple[int, ...]:
    parts = [part.strip() for part in text.split(",")]
    if not all(re.fullmatch(r"\d+", part) for part in parts) or (
        len(parts) > 1 and option != "--crop"
    ):
        raise OptionError(f"{option} {text!r}: expected {expected}")
    return tuple(int(part) for part in parts)


def _numbers(option: str, text: str) -> tuple[float, ...]:
    try:
        return tuple(float(part) for part in text.split(","))
    except ValueError:
        raise OptionError(
            f"{option} {text!r}: expected one number per channel, comma-separated, e.g. "
            "0.485,0.456,0.406"
        ) from None


def check_labels_path(path: str) -> str:
    """``--labels``: "" (the weights' own names), or a file of names (read once the model's
    class count is known)."""
    if path and not os.path.isfile(path):
        raise OptionError(f"--labels {path}: no such file")
    return path
