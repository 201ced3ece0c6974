"""Importing torch for a run, once its arguments are known to be good."""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
from typing import Any

from resnet_inspect.errors import PROG, debugging


def load_torch() -> None:
    """Import torch and torchvision once the arguments are known to be good.

    Everything imported lives as long as this short process, so it is moved out of the
    garbage collector's sight (gc.freeze): otherwise every collection during the run walks
    torch's millions of objects, which costs more than the inspection itself.
    """
    import tempfile
    import warnings

    if not debugging():  # torch's UserWarnings are for its own users, not this tool's
        warnings.simplefilter("ignore")
    # Importing torchvision makes torch._dynamo create $TMPDIR/torchinductor_$USER for a cache
    # this tool never uses; pointed at the temporary folder itself, it creates nothing.
    preset = os.environ.get("TORCHINDUCTOR_CACHE_DIR")
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = preset or tempfile.gettempdir()
    # A KeyboardInterrupt raised while torch's C++ initialisation runs Python code cannot
    # unwind through it: the process aborts, a half-imported extension fails to load again,
    # or CPython is left marked to die by SIGINT. During the import, Ctrl-C ends the run
    # at once instead, in one line.
    main_thread = threading.current_thread() is threading.main_thread()  # signals go there
    previous = signal.signal(signal.SIGINT, _interrupted_while_importing) if main_thread else None
    try:
        import torch  # noqa: F401
        import torchvision.models  # noqa: F401
    finally:
        if main_thread:
            signal.signal(signal.SIGINT, previous)
        if preset is None:
            os.environ.pop("TORCHINDUCTOR_CACHE_DIR", None)
    gc.freeze()


def _interrupted_while_importing(signum: int, frame: Any) -> None:
    sys.stderr.write(f"{PROG}: error: interrupted\n")
    sys.stderr.flush()
    os._exit(130)
