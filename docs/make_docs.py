"""Every output block of the README and docs/, produced by the command marked above it.

    python docs/make_docs.py          # rewrite every block from what the tool prints now
    python docs/make_docs.py --check  # say which blocks differ, change nothing (exit 1 if any)

A block is marked by a comment on the line before its fence::

    <!-- run: resnet-inspect tree --input 1,3,64,64 -->
    ```text
    ...what that command prints...
    ```

``run slow:`` marks a block that takes a real step (train-step, freeze, erf, cam, predict,
plan --verify): this script regenerates it, and tests/test_docs.py re-runs only the others
(meta-device commands and --help, which give the same bytes on every run). ``| head N`` after
the command keeps its first N lines. Commands run in-process at 100 columns without colour
and without the report cache, in a folder holding the examples' files (``photo.png``,
``a.pth``, ``b.pth``; tests/examples.py makes them), so pages name them as they are.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WIDTH = 100
PAGES = ("README.md", "CONTRIBUTING.md", "docs/**/*.md", "benchmarks/README.md")
_MARK = re.compile(r"^<!-- run( slow)?: resnet-inspect (.*?)(?: \| (head|tail) (\d+))? -->$")


@dataclass(frozen=True)
class Block:
    """One marked block of a page: its command and the lines its output fills."""

    path: Path
    args: tuple[str, ...]
    slow: bool
    head: int | None
    tail: int | None  # the last lines only (head: the first)
    start: int  # the first line of the block's content (after the fence)
    end: int  # the closing fence's line
    shown: str  # the block's content as the page has it

    @property
    def command(self) -> str:
        return "resnet-inspect " + " ".join(self.args)


def pages() -> list[Path]:
    found: list[Path] = []
    for pattern in PAGES:
        found += sorted(ROOT.glob(pattern))
    return [path for path in found if path.is_file()]


def blocks(path: Path) -> list[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    found = []
    for index, line in enumerate(lines):
        mark = _MARK.match(line.strip())
        if not mark:
            continue
        fence = index + 1
        if fence >= len(lines) or not lines[fence].startswith("```"):
            raise SystemExit(f"{path}:{index + 1}: a run mark must stand right above a fence")
        end = next(i for i in range(fence + 1, len(lines)) if lines[i].startswith("```"))
        found.append(
            Block(
                path=path,
                args=tuple(mark.group(2).split()),
                slow=bool(mark.group(1)),
                head=int(mark.group(4)) if mark.group(3) == "head" else None,
                tail=int(mark.group(4)) if mark.group(3) == "tail" else None,
                start=fence + 1,
                end=end,
                shown="\n".join(lines[fence + 1 : end]),
            )
        )
    return found


def examples_folder() -> Path:
    """A folder holding the examples' files, made once per run."""
    sys.path.insert(0, str(ROOT / "tests"))
    from examples import example_files

    folder = Path(tempfile.mkdtemp(prefix="resnet-inspect-docs-"))
    example_files(folder)
    return folder


def output(block: Block, folder: Path) -> str:
    """What the block's command prints now, as the page shows it."""
    from typer.testing import CliRunner

    from resnet_inspect.cli import app

    here = os.getcwd()
    os.chdir(folder)
    try:
        environment = {"COLUMNS": str(WIDTH), "NO_COLOR": "1", "RESNET_INSPECT_CACHE": "0"}
        result = CliRunner().invoke(app, list(block.args), env=environment)
    finally:
        os.chdir(here)
    if result.exit_code != 0:
        raise SystemExit(f"{block.path}: {block.command} failed: {result.stderr}")
    lines = result.stdout.rstrip("\n").splitlines()
    if block.head is not None and len(lines) > block.head:
        lines = [*lines[: block.head], "…"]
    if block.tail is not None and len(lines) > block.tail:
        lines = ["…", *lines[-block.tail :]]
    return "\n".join(line.rstrip() for line in lines)


def rewrite(path: Path, found: dict[Block, str]) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    for block in sorted(found, key=lambda b: b.start, reverse=True):
        lines[block.start : block.end] = found[block].splitlines()
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    check = "--check" in sys.argv[1:]
    folder = examples_folder()
    stale = 0
    for path in pages():
        found = {block: output(block, folder) for block in blocks(path)}
        differing = {block: text for block, text in found.items() if text != block.shown}
        for block in differing:
            print(f"{path.relative_to(ROOT)}:{block.start}: {block.command}")
        stale += len(differing)
        if differing and not check:
            rewrite(path, found)
    print(f"{stale} block(s) {'differ' if check else 'rewritten'}")
    if check and stale:
        sys.exit(1)


if __name__ == "__main__":
    main()
