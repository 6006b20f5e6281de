"""The ``>>>`` examples in docstrings run, so the documentation cannot drift from the code."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["clustergraph.iris", "clustergraph.sparql.lexer", "clustergraph.sparql.guard", "clustergraph.querying.conneg",
           "clustergraph.querying.media_types", "clustergraph.kg.derived_labels",
           "clustergraph.web.pages", "clustergraph.web.catalogue", "clustergraph.web.loop_lag",
           "clustergraph.querying.worker", "clustergraph.limits"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
