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
# The weights a repository keeps: safetensors first, the older pickle (read weights_only).
WEIGHTS_FILES = ("model.safetensors", "pytorch_model.bin")
CONFIG_FILE = "config.json"


def cached_files(repo: str) -> tuple[str, str, dict[str, Any]]:
    """The cached weights file of ``repo`` (``model.safetensors``, else the older
    ``pytorch_model.bin``), its name in the repository, and its config (empty where the
    repository has none; a config.json that is no JSON object is refused in one line)."""
    try:
        from huggingface_hub import hf_hub_download
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError:
        raise InspectError(
            f'--weights {PREFIX}{repo} needs huggingface_hub: pip install "resnet-inspect[hub]"'
        ) from None
    cache = hub_cache()  # the folder no save may go into (resnet_inspect.inputs)

    def cached(name: str) -> str | None:
        try:
            return str(hf_hub_download(repo, name, cache_dir=cache, local_files_only=True))
        except LocalEntryNotFoundError:
            return None
        except Exception as error:  # a malformed repository id, an unreadable cache folder
            first = (str(error).strip().splitlines() or [type(error).__name__])[0]
            raise InspectError(f"--weights {PREFIX}{repo}: {first}") from None

    found = next(((name, path) for name in WEIGHTS_FILES if (path := cached(name))), None)
    if found is None:
        raise InspectError(
            f"--weights {PREFIX}{repo}: {WEIGHTS_FILES[0]} (or {WEIGHTS_FILES[1]}) is not in "
            f"the local Hugging Face cache (nothing is downloaded); fetch it with: hf download "
            f"{repo} {WEIGHTS_FILES[0]} {CONFIG_FILE}"
        )
    name, weights = found
    config_path = cached(CONFIG_FILE)
    if config_path is None:
        return weights, name, {}
    try:
        with open(config_path, encoding="utf-8") as file:
            config = json.load(file)
    except (OSError, ValueError) as error:
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InspectError(
            f"--weights {PREFIX}{repo}: its {CONFIG_FILE} cannot be read ({detail}); it names "
            "the architecture and the classes: fetch it again"
        ) from None
    if not isinstance(config, dict):
        raise InspectError(f"--weights {PREFIX}{repo}: its {CONFIG_FILE} is no JSON object")
    return weights, name, config


def architecture(config: dict[str, Any]) -> str | None:
    """``timm:NAME`` where a timm config names it (``"architecture": "resnet50"``)."""
    name = config.get("architecture")
    return f"timm:{name}" if isinstance(name, str) and name else None
