"""Weights from the Hugging Face Hub's local cache (``--weights hf:REPO``), never the network.

``huggingface_hub`` finds ``model.safetensors`` (and ``config.json``, which names the
architecture and the classes) in the cache folder it manages, with ``local_files_only``:
a repository that is not cached is one line naming the command that fetches it.
"""

from __future__ import annotations

import json
from typing import Any

from resnet_inspect.errors import InspectError
from resnet_inspect.inputs import hub_cache

PREFIX = "hf:"
WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"


def cached_files(repo: str) -> tuple[str, dict[str, Any]]:
    """The cached weights file of ``repo`` and its config (empty where it has none)."""
    try:
        from huggingface_hub import hf_hub_download
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError:
        raise InspectError(
            f'--weights {PREFIX}{repo} needs huggingface_hub: pip install "resnet-inspect[hub]"'
        ) from None
    cache = hub_cache()  # the folder no save may go into (resnet_inspect.inputs)
    try:
        weights = str(hf_hub_download(repo, WEIGHTS_FILE, cache_dir=cache, local_files_only=True))
    except LocalEntryNotFoundError:
        raise InspectError(
            f"--weights {PREFIX}{repo}: {WEIGHTS_FILE} is not in the local Hugging Face cache "
            f"(nothing is downloaded); fetch it with: hf download {repo} {WEIGHTS_FILE} "
            f"{CONFIG_FILE}"
        ) from None
    except Exception as error:  # a malformed repository id, an unreadable cache folder
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise InspectError(f"--weights {PREFIX}{repo}: {first}") from None
    try:
        config_path = hf_hub_download(repo, CONFIG_FILE, cache_dir=cache, local_files_only=True)
        with open(str(config_path), encoding="utf-8") as file:
            config: dict[str, Any] = json.load(file)
    except (LocalEntryNotFoundError, OSError, ValueError):
        config = {}
    return weights, config if isinstance(config, dict) else {}


def architecture(config: dict[str, Any]) -> str | None:
    """``timm:NAME`` where a timm config names it (``"architecture": "resnet50"``)."""
    name = config.get("architecture")
    return f"timm:{name}" if isinstance(name, str) and name else None
