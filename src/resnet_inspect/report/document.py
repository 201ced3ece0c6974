"""Reports as JSON documents and back, and the JSON Schema of those documents: all three
worked out from the report types, the one source of the contract.

A document is a report's fields in their declared order, with three conventions:

- ``Settings`` (named values) is an object ``{name: value}``;
- a type adds the derived facts it lists in ``DERIVED`` (a Node's ``freeze_state``), and a
  type with a ``role`` carries that role's annotation in the document's language;
- strict JSON has no NaN: a number that is not finite is null, and ``non_finite`` lists
  where, as paths (``step.loss``, ``sections[1].children[0].step.grad_norm``).

``schema_version`` and ``lang`` come first, ``non_finite`` last. msgspec writes the schema
from the same types (``schema``) and turns documents back into them (``decode``), checking
every value's type on the way, so that an edited or foreign document fails in words.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar, get_type_hints

import msgspec

from resnet_inspect.records.facts import Setting, Settings, SettingValue
from resnet_inspect.words import Lang, annotation, node_annotation

if TYPE_CHECKING:  # a report encodes itself through this module (Report.to_dict)
    from resnet_inspect.report.subject import Report

SCHEMA_VERSION = 2  # 2: Node.explain is Node.formulas
SCHEMA_ID = f"https://resnet-inspect.invalid/schema/report-{SCHEMA_VERSION}.json"
ANNOTATION = "annotation"  # the derived field of every type with a role

R = TypeVar("R", bound="Report")


# Encoding ------------------------------------------------------------------------------------


def encode(report: Report, lang: Lang) -> dict[str, Any]:
    """The report as the plain data ``--json`` prints and ``to_dict()`` returns."""
    data: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "lang": lang.value}
    data.update(_plain(report, lang))
    found: list[str] = []
    data = _strict(data, "", found)
    data["non_finite"] = found
    return data


def _plain(value: Any, lang: Lang) -> Any:
    if isinstance(value, StrEnum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        kind = type(value)
        out: dict[str, Any] = {}
        for name, named_values in _layout(kind):
            item = getattr(value, name)
            if named_values:
                out[name] = {s.name: _plain(s.value, lang) for s in item}
            else:
                out[name] = _plain(item, lang)
        for name in _derived(kind):
            out[name] = _plain(getattr(value, name), lang)
        if _annotated(kind):
            out[ANNOTATION] = _annotation(value, lang)
        return out
    if isinstance(value, tuple | list):
        return [_plain(item, lang) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item, lang) for key, item in value.items()}
    return value


@functools.cache
def _layout(kind: type) -> tuple[tuple[str, bool], ...]:
    """Each field's name, and whether it holds named values (an object in JSON)."""
    hints = get_type_hints(kind)
    return tuple((f.name, hints[f.name] is Settings) for f in dataclasses.fields(kind))


def _derived(kind: type) -> tuple[str, ...]:
    derived: tuple[str, ...] = getattr(kind, "DERIVED", ())
    return derived


@functools.cache
def _annotated(kind: type) -> bool:
    return any(f.name == "role" for f in dataclasses.fields(kind))


def _annotation(value: Any, lang: Lang) -> str:
    """A layer's sentence checked against its own facts (its settings); else its role's."""
    if hasattr(value, "settings") and hasattr(value, "kind"):
        return node_annotation(value, lang)
    return annotation(value.role, lang)


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


# Decoding ------------------------------------------------------------------------------------


def decode(data: dict[str, Any], kind: type[R]) -> R:
    """The report of class ``kind`` that a document describes, for drawing it again. The
    derived keys are left out (they follow from the fields); a number that was not finite
    comes back as NaN."""
    if not isinstance(data, dict):
        raise ValueError(f"a report document is a JSON object, not {type(data).__name__}")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(
            f"a report of schema_version {data.get('schema_version')!r}; this version reads "
            f"{SCHEMA_VERSION}"
        )
    restored = _with_nan(data, data.get("non_finite") or ())
    try:
        report: R = msgspec.convert(restored, kind, dec_hook=_named_values)
    except msgspec.ValidationError as error:
        raise ValueError(f"not a {kind.__name__} document: {error}") from None
    return report


def _named_values(kind: type, value: Any) -> Any:
    if kind is Settings and isinstance(value, dict):
        return Settings(Setting(name, _setting_value(item)) for name, item in value.items())
    raise NotImplementedError(f"{kind} from {type(value).__name__}")


def _setting_value(value: Any) -> SettingValue:
    if isinstance(value, list) and all(type(item) is int for item in value):
        return tuple(value)
    if value is None or type(value) in (int, float, bool, str):
        plain: SettingValue = value
        return plain
    raise ValueError(
        f"a setting's value is a number, a string, a list of integers or null: {value!r}"
    )


_STEP = re.compile(r"\.?([^.\[]+)|\[(\d+)\]")


def _with_nan(data: dict[str, Any], paths: Iterable[str]) -> dict[str, Any]:
    """A copy of ``data`` with NaN at each listed path (where ``encode`` wrote null)."""
    paths = list(paths)
    if not paths:
        return data
    copy: Any = msgspec.json.decode(msgspec.json.encode(data))
    for path in paths:
        steps = [int(index) if index else key for key, index in _STEP.findall(str(path))]
        where = copy
        for step in steps[:-1]:
            where = where[step]
        if steps and where[steps[-1]] is None:
            where[steps[-1]] = math.nan
    result: dict[str, Any] = copy
    return result


# The schema ----------------------------------------------------------------------------------


def schema(commands: Iterable[tuple[str, type[Report]]]) -> dict[str, Any]:
    """The JSON Schema of every document the commands print: ``(command, report class)``
    pairs, as the command registry lists them."""
    by_class: dict[type[Report], list[str]] = {}
    for name, kind in commands:
        by_class.setdefault(kind, []).append(name)
    reports = list(by_class)
    extra = sorted(
        {_property_type(k, n) for k in _dataclasses(reports) for n in _derived(k)}, key=str
    )
    found, components = msgspec.json.schema_components(
        [*reports, *extra], schema_hook=_schema_hook, ref_template="#/$defs/{name}"
    )
    for kind in _dataclasses(reports):
        _complete(components[kind.__name__], kind, list(found[len(reports) :]), extra)
    for kind, names in by_class.items():
        _complete_report(components[kind.__name__], names)
    components = {name: components[name] for name in sorted(components)}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "resnet-inspect report",
        "description": (
            f"What every resnet-inspect command prints with --json (schema_version "
            f"{SCHEMA_VERSION}). Generated from the report types by scripts/update-schema; "
            "see docs/json.md."
        ),
        "oneOf": list(found[: len(reports)]),
        "$defs": _nullable_numbers(components),
    }


def _schema_hook(kind: type) -> dict[str, Any]:
    if kind is Settings:
        value: dict[str, Any] = msgspec.json.schema(SettingValue)
        return {"type": "object", "additionalProperties": value}
    raise NotImplementedError(kind)


def _dataclasses(roots: Iterable[type]) -> list[type]:
    """Every dataclass reachable from ``roots`` through field types, each once."""
    seen: dict[type, None] = {}

    def visit(kind: Any) -> None:
        if isinstance(kind, type) and dataclasses.is_dataclass(kind):
            if kind in seen:
                return
            seen[kind] = None
            for hint in get_type_hints(kind).values():
                visit(hint)
        for argument in getattr(kind, "__args__", ()):
            visit(argument)

    for root in roots:
        visit(root)
    return list(seen)


def _property_type(kind: type, name: str) -> Any:
    return get_type_hints(getattr(kind, name).fget)["return"]


def _complete(
    component: dict[str, Any], kind: type, extra_schemas: list[Any], extra: list[Any]
) -> None:
    """A dataclass's object as documents hold it: every field always present, the derived
    ones added, nothing else."""
    properties = component.setdefault("properties", {})
    for item in properties.values():
        item.pop("default", None)
    for name in _derived(kind):
        properties[name] = extra_schemas[extra.index(_property_type(kind, name))]
    if _annotated(kind):
        properties[ANNOTATION] = {"type": "string"}
    component["required"] = list(properties)
    component["additionalProperties"] = False


def _complete_report(component: dict[str, Any], commands: list[str]) -> None:
    properties = component["properties"]
    properties["command"] = {"enum": sorted(commands)}
    component["properties"] = {
        "schema_version": {"const": SCHEMA_VERSION},
        "lang": {"enum": [lang.value for lang in Lang]},
        **properties,
        "non_finite": {"type": "array", "items": {"type": "string"}},
    }
    component["required"] = list(component["properties"])


def _nullable_numbers(value: Any) -> Any:
    """Every number may be null (one that was not finite; see ``non_finite``)."""
    if isinstance(value, dict):
        if value.get("type") == "number":
            return {**value, "type": ["number", "null"]}
        return {key: _nullable_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_nullable_numbers(item) for item in value]
    return value


def json_schema() -> dict[str, Any]:
    """The schema shipped with the package (``schema/report.schema.json``), as
    scripts/update-schema wrote it from the report types."""
    from importlib.resources import files

    text = files("resnet_inspect").joinpath("schema/report.schema.json").read_text("utf-8")
    shipped: dict[str, Any] = msgspec.json.decode(text)
    return shipped
