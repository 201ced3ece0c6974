"""resnet-inspect: see what a torchvision ResNet is and what one training step does to it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["__version__", "freeze", "graph", "inspect_tree", "json_schema", "train_step"]

if TYPE_CHECKING:
    from resnet_inspect.api import freeze, graph, inspect_tree, train_step
    from resnet_inspect.views.output import json_schema


def __getattr__(name: str) -> Any:
    # The library functions live in api, which is cheap to import; torch itself is only
    # imported when one of them runs.
    if name == "json_schema":
        from resnet_inspect.views.output import json_schema

        return json_schema
    if name in __all__ and name != "__version__":
        from resnet_inspect import api

        return getattr(api, name)
    raise AttributeError(f"module 'resnet_inspect' has no attribute {name!r}")
