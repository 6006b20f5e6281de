"""The examples in data/README.md are real data: every triple of every Turtle example is in the built store."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox

README = Path(__file__).resolve().parents[1] / "data" / "README.md"
_BLOCK = re.compile(r"```turtle\n(.*?)```", re.S)


def example_blocks() -> list[str]:
    """The Turtle examples of data/README.md; the first one holds the prefixes the others use."""
    return _BLOCK.findall(README.read_text(encoding="utf-8"))


def test_readme_has_examples() -> None:
    blocks = example_blocks()
    assert len(blocks) >= 10, "data/README.md lost its examples"
    assert "@prefix cg:" in blocks[0]


def test_every_example_triple_is_in_the_data(project_store) -> None:
    blocks = example_blocks()
    prefixes = blocks[0]
    missing = []
    for number, block in enumerate(blocks[1:], start=2):
        for triple in ox.parse((prefixes + block).encode("utf-8"), format=ox.RdfFormat.TURTLE):
            pattern = f"ASK {{ {triple.subject} {triple.predicate} {triple.object} }}"
            if not project_store.query(pattern):
                missing.append(f"example {number}: {triple}")
    assert not missing, "data/README.md shows triples the data does not have:\n" + "\n".join(missing)
