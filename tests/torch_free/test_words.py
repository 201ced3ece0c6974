"""The catalogs: every language has every key, with the same placeholders, and every key the
code asks for exists. A missing text must fail here, not as a KeyError when it is drawn."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

import resnet_inspect
from resnet_inspect.anatomy import Role
from resnet_inspect.words import Lang, catalog

PACKAGE = Path(resnet_inspect.__file__).parent


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


@pytest.mark.parametrize("lang", [lang for lang in Lang if lang is not Lang.EN])
def test_every_catalog_has_the_english_keys_and_placeholders(lang: Lang) -> None:
    english, other = catalog(Lang.EN), catalog(lang)
    assert sorted(other) == sorted(english)
    different = {key for key in english if placeholders(english[key]) != placeholders(other[key])}
    assert different == set()


def test_every_role_and_section_has_its_text() -> None:
    for lang in Lang:
        texts = catalog(lang)
        assert all(f"role.{role.value}" in texts for role in Role)
        sections = (Role.STEM, Role.STAGE, Role.HEAD, Role.LOSS)
        assert all(f"section.{role.value}" in texts for role in sections)


def test_every_key_the_code_asks_for_is_in_the_catalog() -> None:
    # say("key", lang) and say(f"variant.{key}", …) with literal keys, read from the source.
    asked: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "say" and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    asked.add(first.value)
                elif isinstance(first, ast.IfExp):  # say("yes" if value else "no", lang)
                    asked.update(
                        branch.value
                        for branch in (first.body, first.orelse)
                        if isinstance(branch, ast.Constant)
                    )
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "say_count":
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    asked.update((first.value, f"{first.value}_one"))  # many, and one
    assert len(asked) > 50
    assert asked - set(catalog(Lang.EN)) == set()


def test_the_check_sees_a_mismatch() -> None:
    assert placeholders("{classes} classes") == {"classes"}
    assert placeholders("{classes} 类") != placeholders("类")
