"""The docs say what the tool does now (issue #36): a page for every command, every output
block re-made by its marked command, module lists that are the code's."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import typer

from resnet_inspect.cli import app
from resnet_inspect.commands import commands

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs"))
import make_docs  # noqa: E402

README = ROOT / "README.md"
NAMES = [entry.name for entry in commands()]
CHEAP = [block for page in make_docs.pages() for block in make_docs.blocks(page) if not block.slow]


def test_the_readme_is_short_and_links_a_page_for_every_command() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 300
    for name in [*NAMES, "cache"]:
        page = ROOT / "docs" / "commands" / f"{name}.md"
        assert page.is_file(), name
        assert f"(docs/commands/{name}.md)" in text, name


def test_every_local_link_of_the_docs_leads_somewhere() -> None:
    for page in make_docs.pages():
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text("utf-8")):
            if "://" not in target:
                assert (page.parent / target).exists(), f"{page.name}: {target}"


@pytest.fixture(scope="module")
def examples() -> Path:
    return make_docs.examples_folder()


@pytest.mark.parametrize(
    "block", CHEAP, ids=[f"{b.path.name}:{b.start}:{' '.join(b.args)}" for b in CHEAP]
)
def test_every_cheap_output_block_is_what_the_command_prints_now(
    block: make_docs.Block, examples: Path
) -> None:
    # After an intended change of the output: python docs/make_docs.py
    assert make_docs.output(block, examples) == block.shown


@pytest.mark.parametrize("name", [*NAMES, "cache"])
def test_every_option_of_a_command_is_on_its_page(name: str) -> None:
    program = typer.main.get_command(app)  # the commands are built when asked for
    declared = program.get_command(program.context_class(program), name)  # type: ignore[attr-defined]
    page = (ROOT / "docs" / "commands" / f"{name}.md").read_text("utf-8")
    options = [o for p in declared.params for o in p.opts if o.startswith("--")]
    assert [option for option in options if option not in page] == []


def test_the_module_table_is_the_codes() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text("utf-8")
    table = text.split("<!-- modules -->")[1].split("<!-- /modules -->")[0]
    listed = set()
    for folder, modules in re.findall(r"^\| (\S+) \| (.+) \|$", table, re.M):
        prefix = "" if folder == "(top)" else folder.strip("`")
        listed |= {prefix + name + ".py" for name in re.findall(r"`(\w+)`", modules)}
    package = ROOT / "src" / "resnet_inspect"
    present = {str(path.relative_to(package)) for path in package.rglob("*.py")}
    assert listed == present
