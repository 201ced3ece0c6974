"""Nothing is lost: every file a run will write, checked against everything it reads
before any work starts."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import typer

from resnet_inspect.commands.options import declared, saved

if TYPE_CHECKING:
    from resnet_inspect.inputs import RunInputs


def check_saves(ctx: typer.Context) -> None:
    """Every file the command was asked to write, and its standard output, can take the
    report without replacing an input or landing in the report cache: a run that could not
    deliver its output fails before any work."""
    from resnet_inspect.errors import InspectError
    from resnet_inspect.parsing import check_output_paths

    if sys.stdout is None:  # fd 1 was closed before the program started
        raise InspectError("standard output is closed: nothing to show the report on")
    read = run_inputs(ctx)
    kept = [*read.folders, ("the report cache", cache_folder())]
    check_output_paths(saved(ctx), read.files, kept)


def run_inputs(ctx: typer.Context) -> RunInputs:
    """What a run reads, by the option that names it (as the command declares it): no save
    may replace any of it."""
    from resnet_inspect.inputs import RunInputs, image_inputs, joined, weights_inputs
    from resnet_inspect.parsing import parse_model_spec

    params = ctx.params
    parts = [weights_inputs(params.get("weights") or "")]
    for name in ("image", "images"):  # cam's IMAGE, erf's --images, predict's IMAGES, …
        paths = params.get(name) or ()
        paths = [paths] if isinstance(paths, str) else paths
        parts.append(image_inputs(paths, declared(ctx, name)))
    parts += [weights_inputs(params.get(side) or "", f"diff's {side.upper()}") for side in "ab"]
    files = [("the --labels file", params.get("labels") or "")]
    if params.get("model_spec"):
        files.append(("the --model file", parse_model_spec(params["model_spec"]).path))
    found = [(name, path) for name, path in files if path and os.path.isfile(path)]
    return joined([*parts, RunInputs(files=tuple(found))])


def cache_folder() -> str:
    from resnet_inspect import cache

    return str(cache.folder())
