"""The program: every command of the registry, as its entry declares it. Each parses its
options into its request (in pure Python, so a typo never waits for torch); the saves are
checked, then the request goes to the cache or the library and the report to the views.

A command is built when it is asked for: a run imports its own command's module alone (a
cached report answers sooner), ``--help`` lists them all."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from resnet_inspect import __version__, commands
from resnet_inspect.cli.process import OneLineErrors
from resnet_inspect.cli.saves import check_saves
from resnet_inspect.commands.loading import load_torch
from resnet_inspect.commands.options import with_groups
from resnet_inspect.errors import PROG

if TYPE_CHECKING:
    from resnet_inspect.views.options import ViewOptions


class Program(OneLineErrors):
    """The registry's commands, in its order, then ``cache``; each built from its entry (its
    CLI function and the option groups it names) when the command line names it."""

    # click's types are Any here, as in process: typer 0.28 vendors click, 0.26 uses its own.
    def list_commands(self, ctx: Any) -> list[str]:
        return [*(entry.name for entry in commands.commands()), "cache"]

    def get_command(self, ctx: Any, name: str) -> Any:
        if name == "cache":
            return typer.main.get_command(_cache_app())
        try:
            entry = commands.by_name(name)
        except KeyError:
            return None
        one = typer.Typer(rich_markup_mode=None, add_completion=False)
        one.command(entry.name, cls=entry.usage)(
            with_groups(entry.cli, entry.groups, then=_checked_and_delivered)
        )
        return typer.main.get_command(one)


def build() -> typer.Typer:
    """The program: the root's options and the registry's commands (see ``Program``)."""
    program = typer.Typer(
        cls=Program,
        name=PROG,
        help="See what a ResNet is (torchvision's, timm's ResNet family, or your own) and "
        "what training steps do to it.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        # click's plain help: typer's rich help imports rich.markdown and rich.traceback
        # (130 ms), which would make --help take 3x as long as importing typer and rich.
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    program.callback()(_root)
    return program


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"{PROG} {__version__}")
        raise typer.Exit()


def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """See what a ResNet is (torchvision's, timm's ResNet family, or your own) and what training
    steps do to it."""


def deliver(request: Any, *, no_cache: bool = False) -> None:
    """The report the request asks for, shown as its view options say: from the cache when
    it holds it (torch is then never imported), else computed (and stored, when the
    command's reports are pure functions of their request)."""
    from resnet_inspect import cache

    key = None if no_cache else cache.request_key(request)
    report = cache.load(key) if key is not None else None
    if report is None:
        load_torch()
        from resnet_inspect.api import run

        report = run(request)
        if key is not None:
            cache.store(key, report)
    _show(report, request.view)


def _show(report: Any, view: ViewOptions) -> None:
    from resnet_inspect.views.output import show

    show(report, commands.for_report(report), view)


def _checked_and_delivered(ctx: typer.Context, request: Any) -> None:
    check_saves(ctx)
    deliver(request, no_cache=ctx.params.get("no_cache", False))


def _cache_app() -> typer.Typer:
    cached = [entry.name for entry in commands.commands() if entry.caches]
    named = " and ".join(filter(None, [", ".join(cached[:-1]), *cached[-1:]]))
    cache_app = typer.Typer(
        name="cache",
        help=f"The report cache of {named or 'no command'}: info | clear.",
        no_args_is_help=True,
        rich_markup_mode=None,
        add_completion=False,
    )
    cache_app.command("info")(cache_info)
    cache_app.command("clear")(cache_clear)
    return cache_app


def cache_info() -> None:
    """Where the cache is, how many reports it holds and their size."""
    from resnet_inspect import cache
    from resnet_inspect.quantities import binary_bytes

    found = cache.info()
    state = "on" if cache.enabled() else f"off ({cache.SWITCH_ENV}=0)"
    typer.echo(f"folder   {found.folder}")
    typer.echo(f"entries  {found.entries}")
    typer.echo(f"size     {binary_bytes(found.bytes)} (at most {binary_bytes(cache.LIMIT_BYTES)})")
    typer.echo(f"cache    {state}")


def cache_clear() -> None:
    """Remove every cached report."""
    from resnet_inspect import cache

    removed = cache.clear()
    typer.echo(
        f"removed {removed} cached report{'s' if removed != 1 else ''} from {cache.folder()}"
    )


app = build()
