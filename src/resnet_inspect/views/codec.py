"""Reports as JSON documents and back: what ``--json`` prints, ``to_dict()`` returns, the
cache stores and ``report_from_dict`` reads. A view of the report like any other: it adds
the annotations in the chosen language and the derived facts a reader wants, and leaves
them out again when it reads a document back.
"""

from __future__ import annotations

import functools
import math
from dataclasses import fields
from enum import StrEnum
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

from resnet_inspect import commands
from resnet_inspect.report import (
    SCHEMA_VERSION,
    DiffNode,
    DiffVerdict,
    GraphGroup,
    Node,
    Report,
    Setting,
    SettingValue,
)
from resnet_inspect.words import Lang, annotation, node_annotation

_MAPPINGS = (
    "settings",
    "optimizer_settings",
    "options",
    "inferred",
    "assumed",
    "metadata",
)  # Setting tuples read as mappings


def _plain(value: Any, lang: Lang) -> Any:
    """Dataclasses, enums and tuples to JSON-ready dicts, strings and lists."""
    if isinstance(value, StrEnum):
        return value.value
    if hasattr(value, "__dataclass_fields__"):
        out: dict[str, Any] = {}
        for f in fields(value):
            item = getattr(value, f.name)
            if f.name in _MAPPINGS:
                out[f.name] = {s.name: _plain(s.value, lang) for s in item}
            else:
                out[f.name] = _plain(item, lang)
        if isinstance(value, Node):
            out["frozen_params"] = value.frozen_params
            out["freeze_state"] = value.freeze_state.value
        if isinstance(value, Node):
            out["annotation"] = node_annotation(value, lang)
        elif isinstance(value, GraphGroup | DiffNode):
            out["annotation"] = annotation(value.role, lang)
        if isinstance(value, DiffVerdict):
            out["backbone_unchanged"] = value.backbone_unchanged
        return out
    if isinstance(value, tuple | list):
        return [_plain(item, lang) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item, lang) for key, item in value.items()}
    return value


def report_document(report: Report, lang: Lang) -> dict[str, Any]:
    """The one top-level shape of every command's JSON: version and command first.

    Strict JSON has no NaN or Infinity: a non-finite number (a loss that overflowed) is
    null, and ``non_finite`` lists where each one was, as a path of keys and indexes.
    """
    data: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "lang": lang.value}
    data.update(_plain(report, lang))
    found: list[str] = []
    data = _strict(data, "", found)
    data["non_finite"] = found
    return data


def _strict(value: Any, path: str, found: list[str]) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        found.append(path)
        return None
    if isinstance(value, str):
        # A path read from the command line may hold undecodable bytes (surrogate escapes).
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if isinstance(value, dict):
        return {k: _strict(v, f"{path}.{k}" if path else k, found) for k, v in value.items()}
    if isinstance(value, list):
        return [_strict(v, f"{path}[{i}]", found) for i, v in enumerate(value)]
    return value


def report_from_dict(data: dict[str, Any]) -> Report:
    """The report a ``to_dict()`` (or ``--json``) document describes, for drawing it again.

    Keys the document adds for readers (``annotation``, ``freeze_state``, ``non_finite``, …)
    are derived and left out; numbers that were not finite come back as None.
    """
    if data.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(
            f"a report of schema_version {data.get('schema_version')!r}; this version reads "
            f"{SCHEMA_VERSION}"
        )
    kind = commands.report_class(str(data.get("command", "")))
    if kind is None:
        raise ValueError(f"a report of an unknown command {data.get('command')!r}")
    report: Report = _rebuilt(kind, data)
    return report


def _rebuilt(kind: Any, value: Any) -> Any:
    """``value`` (plain JSON data) as an instance of the annotated type ``kind``."""
    return _builder(kind)(value)


@functools.cache
def _builder(kind: Any) -> Any:
    """A function that turns JSON data into ``kind``, worked out once per type: a saved
    resnet152 report holds some 15,000 values, and a cache hit must cost next to nothing."""
    origin, args = get_origin(kind), get_args(kind)
    if kind is Any:
        return _same
    if origin in (UnionType, Union):
        options = [arg for arg in args if arg is not type(None)]
        inner = _builder(options[0]) if len(options) == 1 else _setting_value
        return lambda value: None if value is None else inner(value)
    if hasattr(kind, "__dataclass_fields__"):
        return _dataclass_builder(kind)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            item = _builder(args[0])
            return lambda value: tuple(item(v) for v in value)
        items = [_builder(arg) for arg in args]
        return lambda value: tuple(b(v) for b, v in zip(items, value, strict=True))
    if origin is dict:
        item = _builder(args[1])
        return lambda value: {key: item(v) for key, v in value.items()}
    if isinstance(kind, type) and issubclass(kind, StrEnum):
        return kind
    if kind is float:  # None: a number that was not finite (see report_document)
        return _float
    if kind in (int, str, bool):
        return functools.partial(_checked, kind)
    return _same


def _float(value: Any) -> Any:
    if value is None or (isinstance(value, float | int) and not isinstance(value, bool)):
        return None if value is None else float(value)
    raise ValueError(f"expected a number, found {value!r}")


def _checked(kind: type, value: Any) -> Any:
    """A document read back is checked as it is built: a field of the wrong type (a cache
    entry or a saved file edited, or written by a bug) fails here, in words, not later
    somewhere in a view."""
    if type(value) is not kind:
        raise ValueError(f"expected {kind.__name__}, found {value!r}")
    return value


def _same(value: Any) -> Any:
    return value


def _dataclass_builder(kind: type) -> Any:
    # Worked out on the first call, not here: a Node's children are Nodes (a recursive type).
    builders: dict[str, Any] = {}

    def build(value: Any) -> Any:
        if value is None:
            return None
        if not builders:
            hints = get_type_hints(kind)
            for f in fields(kind):
                builders[f.name] = _settings if f.name in _MAPPINGS else _builder(hints[f.name])
        return kind(**{k: builders[k](v) for k, v in value.items() if k in builders})

    return build


def _settings(value: dict[str, Any]) -> tuple[Setting, ...]:
    return tuple(Setting(k, _setting_value(v)) for k, v in value.items())


def _setting_value(value: Any) -> SettingValue:
    return tuple(value) if isinstance(value, list) else value
