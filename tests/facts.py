"""Shared by the tests that check curated facts: every project prefix for SPARQL, and a row list helper."""

from __future__ import annotations

from clustergraph.iris import PREFIXES as _NAMESPACES

PREFIXES = "".join(f"PREFIX {prefix}: <{namespace}>\n" for prefix, namespace in _NAMESPACES.items())


def rows(store, sparql: str) -> list:
    """The solutions of ``sparql`` (the project's prefixes declared) over ``store``'s union graph."""
    return list(store.query(PREFIXES + sparql))
