"""What the golden files and the torch-free fixtures hold: the command line that makes each.

Read by the tests, which compare, and by scripts/update-golden, which rewrites them after an
intended change; the tests themselves never write.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"
FIXTURE_DATA = HERE / "torch_free" / "data"

# file -> (arguments, terminal width); printed with NO_COLOR=1
GOLDEN_VIEWS = {
    GOLDEN / "tree_resnet18_1x3x64x64_w80.txt": (["tree", "--input", "1,3,64,64"], 80),
}
# The example files' names, relative to the folder the fixtures are made in (the tests and
# scripts/update-golden run there, so the saved reports name no temporary path).
EXAMPLE_NAMES = {"image": "photo.png", "a": "a.pth", "b": "b.pth"}

# file -> arguments of a --json report the torch-free tests draw: these, and every other
# registered command's example (so that every command's saved report is drawn without torch)
FIXTURES = {
    "tree.json": ["tree", "--json"],
    "train_step.json": ["train-step", "--json", "--input", "2,3,64,64"],
    "freeze.json": ["freeze", "--json", "--new-classes", "10", "--input", "2,3,64,64"],
    "graph.json": ["graph", "--json", "--new-classes", "10"],
    "plan.json": ["plan", "--json", "--new-classes", "10", "--memory", "1GiB"],
}


def _registered() -> dict[str, list[str]]:
    from resnet_inspect.commands import commands

    named = {args[0] for args in FIXTURES.values()}
    return {
        f"{entry.name.replace('-', '_')}.json": [
            entry.name,
            "--json",
            *(argument.format(**EXAMPLE_NAMES) for argument in entry.example),
        ]
        for entry in commands()
        if entry.name not in named
    }


FIXTURES.update(_registered())
