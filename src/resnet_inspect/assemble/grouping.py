"""One way to fold what ran in a model into sections and blocks, shared by every report.

The tree of ``tree``/``train-step``/``freeze`` and the folded autograd graph of ``graph``
group different things (calls, backward nodes) by the same rule: the section a module
belongs to, then the residual block inside it, in the order things first ran.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class SectionFold(Generic[T]):
    """One section's members: those inside each block, and those outside any block."""

    name: str
    blocks: tuple[tuple[str, tuple[T, ...]], ...]
    loose: tuple[T, ...]


def fold_sections(
    items: Iterable[T], place: Callable[[T], tuple[str, str | None]]
) -> list[SectionFold[T]]:
    """Sections in order of first appearance; blocks likewise within each section.

    ``place`` says where an item ran: its section and its block (None outside the blocks),
    as the model's discovered layout (``records.Layout``) answers it.
    """
    sections: dict[str, tuple[dict[str, list[T]], list[T]]] = {}
    for item in items:
        section, block = place(item)
        blocks, loose = sections.setdefault(section, ({}, []))
        if block:
            blocks.setdefault(block, []).append(item)
        else:
            loose.append(item)
    return [
        SectionFold(
            name=name,
            blocks=tuple((block, tuple(members)) for block, members in blocks.items()),
            loose=tuple(loose),
        )
        for name, (blocks, loose) in sections.items()
    ]
