"""One line on stderr, rewritten as a long run goes on (plan --verify's rows, cam's images);
only on a terminal, so that a log or a pipe gets none of it."""

from __future__ import annotations

import sys


class Progress:
    def __init__(self) -> None:
        self.live = sys.stderr.isatty()

    def show(self, text: str) -> None:
        if self.live:
            sys.stderr.write(f"\r\033[K{text}")
            sys.stderr.flush()

    def done(self) -> None:
        if self.live:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
