"""The command registry: the one switchboard between a request and what answers it.

Each module of this package is one command: its request (a frozen dataclass of everything
the run depends on), the runner that turns the request into a report (torch imported only
when it runs), its CLI function (its own options, and the request it builds from them) and
its ``COMMAND`` entry, which names all of them, the report class, the view and the short
form. The CLI, the library, the cache, the header, the saves and the JSON codec read these
entries instead of keeping lists of their own: a new command is a new module here, found
by listing the package.

Report classes and views are named by ``module:name`` and imported when first used, so that
the registry (read by ``--help`` before torch, and by the report codec) costs only its
requests and option declarations.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field, fields, is_dataclass
from enum import Enum
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from resnet_inspect.report import Report, Settings, SettingValue

# A field's role in its request: recorded in the report's ``options`` and in the cache key
# (the default), in the cache key alone (what the report says in a field of its own, e.g.
# ``explained``), or in neither (how the report is shown).
RECORDED = "recorded"
KEYED = "keyed"
SHOWN = "shown"


def keyed(default: Any) -> Any:
    """A request field that changes the report, which says it in a field of its own."""
    return field(default=default, metadata={"role": KEYED})


def given(default: Any = None) -> Any:
    """A request field recorded (and keyed) only when given: its default (None, False, ())
    leaves no trace, so the reports of runs without it stay as they were."""
    return field(default=default, metadata={"role": RECORDED, "omit_default": True})


def shown() -> Any:
    """The request's view options: how the report is shown, never what it holds."""
    return field(default_factory=_view_options, metadata={"role": SHOWN})


def _view_options() -> Any:
    from resnet_inspect.views.options import ViewOptions

    return ViewOptions()


def always(request: Any) -> bool:
    return True


def never(request: Any) -> bool:
    return False


@dataclass(frozen=True)
class Command:
    """One command, as every part of the program sees it."""

    name: str  # as typed: "train-step"
    request: type[Any]
    report: str  # "module:Class" of its report
    run: Callable[[Any], Any]  # request -> report; imports torch when it runs
    view: str  # "module:function" drawing the report: (report, *, depth, lang, width, ascii_only)
    short: str  # "module:function": one line for logs
    # (ctx, its own parameters) -> its request: the CLI function, whose docstring is its
    # --help; ``groups`` are the shared options it takes (commands.options), in --help order,
    # with OWN where its own parameters go; ``usage`` its click command class, if not typer's.
    cli: Callable[..., Any]
    groups: tuple[Any, ...] = ()
    usage: type[Any] | None = None
    # Its reports are pure functions of their requests, kept in the report cache: none, or
    # those of the requests ``cached`` accepts (a graph over an image folder, which can
    # change under the same paths, or a plan that measures this machine now, are not).
    cached: Callable[[Any], bool] = never
    # The command's own files beside the recordings: (option, "module:function" that makes
    # the file's content from the report), e.g. ("--dot", "resnet_inspect.views.dot:graph_dot").
    files: tuple[tuple[str, str], ...] = ()
    # A cheap, typical run's arguments, for the docs and the tests that cover every command;
    # {image}, {a} and {b} stand for an image file and two checkpoints the caller provides.
    example: tuple[str, ...] = ()

    @property
    def caches(self) -> bool:
        """Some of its reports are kept in the report cache."""
        return self.cached is not never

    def report_type(self) -> type[Any]:
        kind: type[Any] = _resolved(self.report)
        return kind

    def drawer(self) -> Callable[..., Any]:
        draw: Callable[..., Any] = _resolved(self.view)
        return draw

    def shortener(self) -> Callable[[Any], str]:
        shorten: Callable[[Any], str] = _resolved(self.short)
        return shorten

    def picture(self, option: str) -> Callable[[Any], str | bytes]:
        make: Callable[[Any], str | bytes] = _resolved(dict(self.files)[option])
        return make

    def references(self) -> tuple[str, ...]:
        """Every "module:name" this entry names (the layer rules read them too)."""
        return (self.report, self.view, self.short, *(ref for _, ref in self.files))


@cache
def _resolved(reference: str) -> Any:
    module, _, name = reference.partition(":")
    return getattr(importlib.import_module(module), name)


@cache
def commands() -> tuple[Command, ...]:
    """Every command, in the order of the package's modules."""
    found = []
    for module in pkgutil.iter_modules(__path__):
        entry = getattr(importlib.import_module(f"{__name__}.{module.name}"), "COMMAND", None)
        if isinstance(entry, Command):
            found.append(entry)
    return tuple(found)


@cache
def by_name(name: str) -> Command:
    """The entry of the command typed ``name``, from its own module (``train-step`` is
    ``train_step``): drawing one command's cached report imports that command alone."""
    module = f"{__name__}.{name.replace('-', '_')}"
    try:
        entry = getattr(importlib.import_module(module), "COMMAND", None)
    except ModuleNotFoundError as error:
        if error.name != module:
            raise
        entry = None
    if isinstance(entry, Command) and entry.name == name:
        return entry
    found = next((entry for entry in commands() if entry.name == name), None)
    if found is None:
        raise KeyError(f"no command {name!r}")
    return found


def for_request(request: Any) -> Command:
    """The entry of the request's own class (freeze's request extends train-step's)."""
    entry = by_name(request.command)
    if type(request) is entry.request:
        return entry
    return next(entry for entry in commands() if type(request) is entry.request)


def for_report(report: Any) -> Command:
    """The entry of the command that made ``report`` (tree, train-step and freeze share a
    report class: the report's ``command`` field tells them apart)."""
    return by_name(report.command)


def report_from_dict(data: dict[str, Any]) -> Report:
    """The report a ``to_dict()`` (or ``--json``) document describes, for drawing it again:
    its ``command`` says which report class it is."""
    command = data.get("command") if isinstance(data, dict) else None
    try:
        entry = by_name(command) if isinstance(command, str) else None
    except KeyError:
        entry = None
    if entry is None:
        raise ValueError(f"a report of an unknown command {command!r}")
    from resnet_inspect.report import document

    report: Report = document.decode(data, entry.report_type())
    return report


def json_schema() -> dict[str, Any]:
    """The JSON Schema of every registered command's document, from the report types."""
    from resnet_inspect.report import document

    return document.schema((entry.name, entry.report_type()) for entry in commands())


def run(request: Any) -> Any:
    """The report the request asks for."""
    return for_request(request).run(request)


def recorded(request: Any) -> Settings:
    """The request's own options, as the report records them: every field but the model and
    the view, nested option groups (``StepOptions``) flattened in field order."""
    from resnet_inspect.report import Setting, Settings

    return Settings(Setting(name, _plain(value)) for name, value in _flat(request, RECORDED))


def facts(request: Any) -> dict[str, Any]:
    """Everything the report depends on besides the model, for the cache key."""
    return {name: _plain(value) for name, value in _flat(request, RECORDED) + _flat(request, KEYED)}


def _flat(options: Any, role: str) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for item in fields(options):
        if item.name == "model" or item.metadata.get("role", RECORDED) != role:
            continue
        value = getattr(options, item.name)
        if item.metadata.get("omit_default") and value == item.default:
            continue
        if is_dataclass(value) and not isinstance(value, type):
            found += _flat(value, RECORDED)
        else:
            found.append((item.name, value))
    return found


def _plain(value: Any) -> SettingValue:
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, tuple) and all(isinstance(item, str) for item in value):
        return ",".join(value)  # names: "layer4,layer3"
    plain: SettingValue = value
    return plain
