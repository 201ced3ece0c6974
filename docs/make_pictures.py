"""Regenerate the pictures the README shows, from the tool itself (never by hand).

    python docs/make_pictures.py

Writes docs/tree.svg: `resnet-inspect tree --input 1,3,64,64` recorded at 120 columns.
The recording is deterministic, so an unchanged tool leaves the file byte for byte as it was.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
PICTURES = {
    "tree.svg": ["tree", "--input", "1,3,64,64"],
}


def main() -> None:
    tool = [sys.executable, "-m", "resnet_inspect"]
    for name, args in PICTURES.items():
        target = DOCS / name
        command = [*tool, *args, "--width", "120", "--save-svg", str(target)]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        print(f"wrote {target.relative_to(DOCS.parent)}")


if __name__ == "__main__":
    main()
