"""The ``>>>`` examples in docstrings run, so the documentation cannot drift from the code. Every module of the
package that has examples is found, so a new one cannot be left out."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import clustergraph


def _modules_with_examples() -> list[str]:
    finder = doctest.DocTestFinder()
    names = []
    for info in pkgutil.walk_packages(clustergraph.__path__, "clustergraph."):
        if info.name.endswith("__main__"):  # runs the command line when imported
            continue
        module = importlib.import_module(info.name)
        if any(test.examples for test in finder.find(module)):
            names.append(info.name)
    return sorted(names)


MODULES = _modules_with_examples()


def test_the_known_modules_are_found() -> None:
    """The discovery itself works: modules known to hold examples are among those run."""
    assert {"clustergraph.sparql.guard", "clustergraph.sparql.prefixes", "clustergraph.querying.worker"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
