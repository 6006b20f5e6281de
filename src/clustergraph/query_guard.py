"""Read a SPARQL request before it runs: its form, its dataset clauses, and whether it asks this server to
reach past the machine (``SERVICE``, ``LOAD``), which is always refused.

Two readers agree before anything runs: rdflib's SPARQL parser (a real parse tree) and the keyword lexer
(which decodes ``\\u`` escapes first, like every conformant parser). Either one finding ``SERVICE`` or
``LOAD`` refuses the request; syntax errors themselves are left to Oxigraph, whose messages name the position.
"""

from __future__ import annotations

import functools

from dataclasses import dataclass

from pyparsing import ParseException
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from clustergraph.errors import QueryRefused
from clustergraph.sparql_lexer import keywords

QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_FORMS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH")
_FORBIDDEN = {"SERVICE": "SERVICE (federated query)", "LOAD": "LOAD"}


@dataclass(frozen=True)
class QueryInfo:
    """What the server needs to know about a query before running it."""

    form: str  # SELECT, ASK, CONSTRUCT or DESCRIBE
    has_dataset_clause: bool  # FROM or FROM NAMED present: the query chooses its own dataset

    @property
    def returns_graph(self) -> bool:
        return self.form in ("CONSTRUCT", "DESCRIBE")


@functools.lru_cache(maxsize=4096)
def inspect_query(sparql: str) -> QueryInfo:
    """Form and dataset clauses of a query, remembered per text: rdflib's parse costs tens of milliseconds of
    CPU, and clients, pages and dashboards send the same texts again and again (refusals are not cached).

    :raises QueryRefused: for SERVICE or LOAD anywhere in the query, or for an update sent as a query.

    >>> inspect_query("SELECT * FROM <urn:g> WHERE { ?s ?p ?o }")
    QueryInfo(form='SELECT', has_dataset_clause=True)
    """
    words = keywords(sparql)
    _refuse_forbidden(words, _tree_names(sparql, parseQuery))
    form = next((w for w in words if w in QUERY_FORMS), None)
    first = next((w for w in words if w not in ("BASE", "PREFIX")), None)
    if form is None and first in UPDATE_FORMS:
        raise QueryRefused("this is a SPARQL Update; send updates to /update (when the server allows writes)")
    return QueryInfo(form=form or "SELECT", has_dataset_clause="FROM" in words)


def inspect_update(sparql: str) -> None:
    """Check an update before it runs.

    :raises QueryRefused: for LOAD or SERVICE anywhere in the update.
    """
    _refuse_forbidden(keywords(sparql), _tree_names(sparql, parseUpdate))


def _refuse_forbidden(words: list[str], tree_names: set[str]) -> None:
    found = [label for word, label in _FORBIDDEN.items() if word in words]
    if "ServiceGraphPattern" in tree_names and _FORBIDDEN["SERVICE"] not in found:
        found.append(_FORBIDDEN["SERVICE"])
    if "Load" in tree_names and "LOAD" not in found:
        found.append("LOAD")
    if found:
        raise QueryRefused(f"{' and '.join(found)} is not allowed here: this server never fetches remote data")


def _tree_names(sparql: str, parse) -> set[str]:
    """Names of every node of rdflib's parse tree; empty when rdflib cannot parse the text."""
    try:
        tree = parse(sparql)
    except (ParseException, ValueError, TypeError, AttributeError):
        return set()
    names: set[str] = set()
    stack: list[object] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            names.add(node.name)
            stack.extend(node.values())
        elif isinstance(node, (list, tuple)):
            stack.extend(node)
        elif hasattr(node, "asList") and not isinstance(node, str):
            stack.extend(list(node))
    return names
