"""A report in a notebook and at the Python prompt: shown once, readable, no escape codes.

The notebook runs in a real Jupyter kernel (nbclient, ipykernel), as a user's would.
"""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient

from resnet_inspect import inspect_tree
from resnet_inspect.commands import by_name
from resnet_inspect.views.options import ViewOptions
from resnet_inspect.views.output import recording

CELLS = {
    "last line": "r = inspect_tree()\nr",
    "display()": "display(r)",
    "print()": "print(r)",
    "rich.print()": "import rich\nrich.print(r)",
}


@pytest.fixture(scope="module")
def executed() -> dict[str, list[dict[str, object]]]:
    cells = ["from resnet_inspect import inspect_tree", *CELLS.values()]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(notebook, timeout=180, kernel_name="python3").execute()
    return {name: cell.outputs for name, cell in zip(CELLS, notebook.cells[1:], strict=True)}


def saved_text_start() -> list[str]:
    """The header of what --save-text writes (rich.print in a notebook draws the table at
    the notebook console's 115 columns instead of 120, so the header is what all share)."""
    return recording(inspect_tree(), by_name("tree"), ViewOptions()).export_text().splitlines()[:3]


@pytest.mark.parametrize("cell", CELLS)
def test_every_way_of_showing_gives_one_readable_output(
    executed: dict[str, list[dict[str, object]]], cell: str
) -> None:
    outputs = executed[cell]
    assert len(outputs) == 1, outputs
    output = outputs[0]
    if output["output_type"] == "stream":
        plain = str(output["text"])
    else:
        data = output["data"]
        assert isinstance(data, dict)
        assert "layer1.0" in data["text/html"] and "resnet18" in data["text/html"]
        plain = data["text/plain"]
    assert "\x1b" not in plain
    assert "LayerReport(" not in plain
    assert plain.splitlines()[:3] == saved_text_start()


def test_repr_at_the_python_prompt_is_the_tree() -> None:
    code = "from resnet_inspect import inspect_tree; print(repr(inspect_tree()))"
    shown = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    assert shown == recording(inspect_tree(), by_name("tree"), ViewOptions()).export_text() + "\n"
    assert "LayerReport(command=" not in shown and "\x1b" not in shown


def test_a_short_form_for_logs() -> None:
    assert format(inspect_tree(), "short") == (
        "LayerReport(tree resnet18 1×3×64×64: 11,689,512 params, 149M MACs)"
    )
    with pytest.raises(ValueError, match="'' or 'short'"):
        format(inspect_tree(), "long")


def test_the_view_is_chosen_from_python() -> None:
    view = inspect_tree().view(depth="block", lang="zh", width=100)
    text = repr(view)
    assert "阶段 1 (layer1)" in text and "layer1.0.conv1" not in text
    assert max(len(line) for line in text.splitlines()) <= 100
    bundle = view._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"} and bundle["text/plain"] == text
