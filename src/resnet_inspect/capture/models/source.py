"""Which model a command inspects, and how to build it again on any device.

Four sources, one shape: a torchvision architecture (``--arch``), the configuration a
checkpoint implies (``--weights FILE`` alone), the user's own code (``--model``, which
imports and runs it), or a module instance handed to the library. Each gives a model on
the meta device for the passes that allocate nothing, and fresh ones on the CPU for a real
step, with the weights it was given.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import inspect
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from itertools import chain
from pathlib import Path
from typing import Any

import torch

from resnet_inspect.capture.freezing import classifier_name
from resnet_inspect.capture.instrument import attributed_user_hooks, without_user_hooks
from resnet_inspect.capture.models.hub import PREFIX as HUB_PREFIX
from resnet_inspect.capture.models.hub import architecture, cached_files
from resnet_inspect.capture.models.infer import build_inferred, infer_config
from resnet_inspect.capture.models.timm_models import PREFIX as TIMM_PREFIX
from resnet_inspect.capture.models.timm_models import build_timm
from resnet_inspect.capture.models.torchvision import SkipInitialisation, build_model
from resnet_inspect.capture.models.weights import (
    StateDict,
    describe_weights,
    differences,
    file_info,
    load_weights,
    read_state_dict,
    read_state_dict_forms,
    removed_keys,
)
from resnet_inspect.config import ModelSpec, WeightsChoice, WeightsKind
from resnet_inspect.errors import ArgumentError, InspectError, OptionError
from resnet_inspect.records import ModelInfo, WeightsInfo


@dataclass
class ModelSource:
    """A model to inspect: what the report says of it, and how to make it."""

    info: ModelInfo
    weights: WeightsInfo
    make: Callable[[str], torch.nn.Module]  # device -> a fresh model, randomly initialised
    state_dict: StateDict | None = None  # the weights a real step loads (file or pretrained)
    # A Hub repository's pretrained_cfg (config.json): its preprocessing, as timm reads it.
    pretrained_cfg: dict[str, Any] | None = None
    _pretrained: WeightsChoice | None = None
    _arch: str = ""
    # make() builds the model afresh, with its own initialisation (not a copy of an instance)
    initialises: bool = True

    def meta(self) -> torch.nn.Module:
        return without_user_hooks(self.make("meta"))

    def real(self) -> torch.nn.Module:
        """A CPU model with its weights, built under the caller's seed as torchvision does."""
        if self._pretrained is not None:  # loaded only now, once the step is known to fit
            self.state_dict = load_weights(self._pretrained, self._arch).state_dict
            self._pretrained = None
        model = attributed_user_hooks(self.make("cpu"))
        if self.state_dict is not None:
            model.load_state_dict(self.state_dict)
        return model


def resolve(
    *, arch: str | None, weights: WeightsChoice, spec: ModelSpec | None, module: Any = None
) -> ModelSource:
    """The source the options name; a checkpoint file is read (safely) and checked here."""
    if weights.kind is WeightsKind.HUB:
        # The cached file stands in for the repository; its config names a timm model.
        path, name, config = cached_files(weights.name)
        shown = f"{HUB_PREFIX}{weights.name}"
        if arch is None and spec is None and module is None:
            arch = architecture(config)
        # Named in messages as the repository's file, not the blob it points to.
        read = WeightsChoice(WeightsKind.FILE, path=path, label=f"--weights {shown} {name}")
        found = resolve(arch=arch, weights=read, spec=spec, module=module)
        found.weights = replace(found.weights, kind="hub", name=shown)
        own = config.get("pretrained_cfg")
        found.pretrained_cfg = own if isinstance(own, dict) else None
        return found
    if module is not None:
        return _from_instance(module, weights, name=type(module).__name__, kind="module")
    if spec is not None:
        return _from_user_code(spec, weights)
    if arch is None and weights.kind is WeightsKind.FILE:
        return _inferred(weights)
    if arch is not None and arch.startswith(TIMM_PREFIX):
        return _timm(arch, weights)
    return _torchvision(arch or "resnet18", weights)


def _timm(arch: str, weights: WeightsChoice) -> ModelSource:
    """A timm model, built by timm itself; a checkpoint file must fit it, and its head's
    size is what the model is built with (as for --model)."""
    meta = build_timm(arch, device="meta")
    classes = _classes(meta)
    state = read_state_dict(weights.path) if weights.kind is WeightsKind.FILE else None
    if state is not None:
        head = _head_outputs(meta, state)
        if head is not None and head != classes:  # a fine-tuned head: build it that size
            classes = head
            meta = build_timm(arch, device="meta", num_classes=classes)
    info, state = _file_weights(weights, meta, arch, classes)
    return ModelSource(
        info=ModelInfo(kind="timm", name=arch),
        weights=info,
        make=lambda device: build_timm(arch, device=device, num_classes=classes),
        state_dict=state,
    )


def _head_outputs(model: torch.nn.Module, state: StateDict) -> int | None:
    """The classes a checkpoint's classifier has, where the model's classifier is in it."""
    classifier = classifier_name(model)
    weight = state.get(f"{classifier}.weight") if classifier else None
    return int(weight.shape[0]) if weight is not None else None


def _torchvision(arch: str, weights: WeightsChoice) -> ModelSource:
    described = describe_weights(weights, arch)
    classes = described.info.num_classes
    return ModelSource(
        info=ModelInfo(kind="torchvision", name=arch),
        weights=described.info,
        make=lambda device: build_model(arch, device=device, num_classes=classes),
        state_dict=described.state_dict,
        _pretrained=weights if weights.kind is WeightsKind.PRETRAINED else None,
        _arch=arch,
    )


def _inferred(weights: WeightsChoice) -> ModelSource:
    removed, state = read_state_dict_forms(weights.path, weights.shown)[-1]
    config = infer_config(state, weights.shown)
    _check_fits_model(state, build_inferred(config, "meta"), weights.shown, config.name)
    return ModelSource(
        info=ModelInfo(
            kind="inferred",
            name=config.name,
            inferred=config.inferred(),
            assumed=config.assumed(),
        ),
        weights=file_info(
            weights.path, config.num_classes, keys=removed_keys(removed), state=state
        ),
        make=lambda device: build_inferred(config, device),
        state_dict=state,
    )


def _check_fits_model(state: StateDict, model: torch.nn.Module, shown: str, target: str) -> None:
    expected = {key: tuple(value.shape) for key, value in model.state_dict().items()}
    problems = differences(state, expected)
    if problems:
        raise InspectError(f"{shown} does not fit {target}: {'; '.join(problems)}")


def _file_weights(
    weights: WeightsChoice, meta: torch.nn.Module, target: str, classes: int
) -> tuple[WeightsInfo, StateDict | None]:
    """A checkpoint for a model that is already defined: it must fit it, key for key."""
    if weights.kind is WeightsKind.NONE:
        return WeightsInfo(kind="none", name="none", num_classes=classes), None
    if weights.kind is WeightsKind.PRETRAINED:
        raise OptionError(
            f"--weights {weights.name} is a torchvision weights name, which belongs to an --arch; "
            "with --model give a checkpoint file"
        )
    forms = read_state_dict_forms(weights.path, weights.shown)
    expected = {key: tuple(value.shape) for key, value in meta.state_dict().items()}
    # The keys as saved first: a wrapper whose own names start with model. (self.model =
    # resnet18()) fits them, where taking the prefix off would leave nothing that fits.
    for removed, state in forms:
        if not differences(state, expected):
            kept = forms[-1][0] if not removed else ""
            keys = removed_keys(removed) or (f"kept {kept}" if kept else "")
            return file_info(weights.path, classes, keys=keys, state=state), state
    _check_fits_model(forms[-1][1], meta, weights.shown, target)
    raise AssertionError("unreachable: the check above raises")


def _classes(model: torch.nn.Module) -> int:
    """The classes the model scores: its classifier's outputs (a Linear, or a 1×1 conv)."""
    classifier = classifier_name(model)
    layer = model.get_submodule(classifier) if classifier else None
    if isinstance(layer, torch.nn.Linear):
        return int(layer.out_features)
    if isinstance(layer, torch.nn.Conv2d):
        return int(layer.out_channels)
    return 0


def _from_instance(
    module: Any, weights: WeightsChoice, *, name: str, kind: str, note: str = ""
) -> ModelSource:
    """A model that already exists: copied for every use, never changed itself."""
    if not isinstance(module, torch.nn.Module):
        raise ArgumentError(f"model must be an nn.Module, not {type(module).__name__}")

    def make(device: str) -> torch.nn.Module:
        if device == "meta":
            return meta_copy(module)
        if any(t.is_meta for t in chain(module.parameters(), module.buffers())):
            raise InspectError(
                f"{name} is on the meta device, where tensors hold no values: a real step "
                "needs real weights; build the model on the CPU (tree, graph and plan need "
                "none and take it as it is)"
            )
        return copy.deepcopy(module).to(device)

    meta = make("meta")
    info, state = _file_weights(weights, meta, name, _classes(meta))
    built_on = "cpu" if note else "meta"
    return ModelSource(
        info=ModelInfo(kind=kind, name=name, built_on=built_on, note=note),
        weights=info,
        make=make,
        state_dict=state,
        initialises=False,
    )


def meta_copy(model: torch.nn.Module) -> torch.nn.Module:
    """A copy of ``model`` whose parameters and buffers are on the meta device: nothing is
    copied but the module objects (shared tensors stay shared)."""
    twins: dict[int, Any] = {}
    for tensor in chain(model.parameters(), model.buffers()):
        if id(tensor) in twins:
            continue
        empty = torch.empty_like(tensor, device="meta")
        if isinstance(tensor, torch.nn.Parameter):
            empty = torch.nn.Parameter(empty, requires_grad=tensor.requires_grad)
        twins[id(tensor)] = empty
    return copy.deepcopy(model, twins)


def _from_user_code(spec: ModelSpec, weights: WeightsChoice) -> ModelSource:
    target = _load_target(spec)
    if isinstance(target, torch.nn.Module):
        return _from_instance(target, weights, name=spec.text, kind="user")
    factory = _checked_factory(spec, target)
    note = ""
    try:
        with torch.device("meta"), SkipInitialisation():
            meta = _call(spec, factory)
    except InspectError as error:
        # The factory could not build on meta (it loads a file, or computes with values):
        # build it once on the CPU and take a meta copy of that for the passes.
        cause = error.__cause__ or error
        note = f"{type(cause).__name__}: {(str(cause).strip().splitlines() or [''])[0]}"
        return _from_instance(_call(spec, factory), weights, name=spec.text, kind="user", note=note)

    def make(device: str) -> torch.nn.Module:
        if device == "meta":
            with torch.device("meta"), SkipInitialisation():
                return _call(spec, factory)
        with torch.device(device) if device != "cpu" else nullcontext():
            return _call(spec, factory)

    info, state = _file_weights(weights, meta, spec.text, _classes(meta))
    return ModelSource(
        info=ModelInfo(kind="user", name=spec.text, built_on="meta"),
        weights=info,
        make=make,
        state_dict=state,
    )


def _call(spec: ModelSpec, factory: Callable[[], Any]) -> torch.nn.Module:
    try:
        model = factory()
    except Exception as error:
        first = (str(error).strip().splitlines() or [""])[0]
        raise InspectError(
            f"--model {spec.text}: {spec.name}() raised {type(error).__name__}: {first}"
        ) from error
    if not isinstance(model, torch.nn.Module):
        raise InspectError(
            f"--model {spec.text}: {spec.name}() returned a {type(model).__name__}, not an "
            "nn.Module"
        )
    return model


def _checked_factory(spec: ModelSpec, target: Any) -> Callable[[], Any]:
    if not callable(target):
        raise OptionError(
            f"--model {spec.text}: {spec.name} (of type {type(target).__name__}) is neither an "
            "nn.Module nor a function or class that returns one"
        )
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return target  # type: ignore[no-any-return]
    needed = [
        p.name
        for p in signature.parameters.values()
        if (p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))
        or (p.default is p.empty and p.kind is p.KEYWORD_ONLY)
    ]
    if needed:
        raise OptionError(
            f"--model {spec.text}: {spec.name} needs arguments ({', '.join(needed)}); name a "
            f"function that takes none, e.g. def build(): return {spec.name}(...)"
        )
    return target  # type: ignore[no-any-return]


def _load_target(spec: ModelSpec) -> Any:
    """Import the file or module (this runs the user's code) and take NAME from it."""
    module = _import_file(spec) if spec.path else _import_module(spec)
    if not hasattr(module, spec.name):
        defined = sorted(
            name
            for name, value in vars(module).items()
            if not name.startswith("_")
            and getattr(value, "__module__", None) == module.__name__
            and callable(value)
        )
        listing = f"; it defines {', '.join(defined)}" if defined else ""
        raise OptionError(
            f"--model {spec.text}: {spec.path or spec.module} has no {spec.name}{listing}"
        )
    return getattr(module, spec.name)


@contextmanager
def _importable_from(folder: str) -> Iterator[None]:
    """The user's file imports its neighbours as a script would: its folder on sys.path."""
    sys.path.insert(0, folder)
    try:
        yield
    finally:
        if folder in sys.path:
            sys.path.remove(folder)


def _import_file(spec: ModelSpec) -> Any:
    path = Path(spec.path).resolve()
    name = f"resnet_inspect_user_{path.stem}"
    loader_spec = importlib.util.spec_from_file_location(name, path)
    if loader_spec is None or loader_spec.loader is None:
        raise OptionError(f"--model {spec.text}: {spec.path} cannot be imported as Python")
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[name] = module  # dataclasses and pickling look a class's module up here
    with _importable_from(str(path.parent)):
        _run_user_import(spec, lambda: loader_spec.loader.exec_module(module))  # type: ignore[union-attr]
    return module


def _import_module(spec: ModelSpec) -> Any:
    found: list[Any] = []
    with _importable_from(os.getcwd()):  # as `python -m` would find it
        _run_user_import(spec, lambda: found.append(importlib.import_module(spec.module)))
    return found[0]


def _run_user_import(spec: ModelSpec, run: Callable[[], None]) -> None:
    try:
        run()
    except ModuleNotFoundError as error:
        if spec.module and error.name and spec.module.startswith(error.name):
            raise OptionError(
                f"--model {spec.text}: no module named {error.name} (run from the folder that "
                "holds it, or add it to PYTHONPATH)"
            ) from error
        raise _import_failed(spec, error) from error
    except SyntaxError as error:
        raise InspectError(
            f"--model {spec.text}: {error.filename or spec.path}:{error.lineno}: syntax error: "
            f"{error.msg}"
        ) from error
    except Exception as error:
        raise _import_failed(spec, error) from error


def _import_failed(spec: ModelSpec, error: Exception) -> InspectError:
    first = (str(error).strip().splitlines() or [""])[0]
    return InspectError(
        f"--model {spec.text}: importing {spec.path or spec.module} failed: "
        f"{type(error).__name__}: {first}"
    )
