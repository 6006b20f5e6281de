"""Where a SPARQL server's endpoints are: URL checks, Oxigraph's sibling endpoints, and the dataset a query
names for itself (FROM / FROM NAMED)."""

from __future__ import annotations

import functools
from urllib.parse import urlsplit, urlunsplit

from pyparsing import ParseException
from rdflib.plugins.sparql.algebra import translatePrologue
from rdflib.plugins.sparql.parser import parseQuery

from clustergraph.errors import StoreError


def oxigraph_endpoints(url: str) -> tuple[str, str | None, str | None]:
    """(query URL, Graph Store URL, Update URL) by Oxigraph's layout; only the query URL for other paths.

    >>> oxigraph_endpoints("http://127.0.0.1:7878")
    ('http://127.0.0.1:7878/query', 'http://127.0.0.1:7878/store', 'http://127.0.0.1:7878/update')
    >>> oxigraph_endpoints("http://db.example/ds/sparql")
    ('http://db.example/ds/sparql', None, None)
    """
    parts = urlsplit(url)
    path = parts.path
    if path in ("", "/"):
        stem = "/"
    elif path.endswith("/query"):
        stem = path[: -len("query")]
    else:
        return url, None, None
    def sibling(name: str) -> str:
        return urlunsplit((parts.scheme, parts.netloc, stem + name, parts.query, ""))
    return sibling("query"), sibling("store"), sibling("update")


def check_url(url: str, what: str) -> str:
    """``url`` if it is an absolute http(s) URL.

    :raises StoreError: naming ``what`` and the URL otherwise.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise StoreError(f"{what} {url!r} is not an http:// or https:// URL")
    return url


@functools.lru_cache(maxsize=256)
def dataset_clause(sparql: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The IRIs of the query's ``FROM`` and ``FROM NAMED`` clauses, prefixes resolved.

    >>> dataset_clause("PREFIX g: <urn:g:> SELECT * FROM g:a FROM NAMED <urn:b> WHERE { ?s ?p ?o }")
    (('urn:g:a',), ('urn:b',))
    """
    try:
        tree = parseQuery(sparql)
        prologue = translatePrologue(tree[0], None)
    except (ParseException, ValueError, TypeError, AttributeError, KeyError):
        return (), ()
    defaults: list[str] = []
    named: list[str] = []
    for clause in tree[1].get("datasetClause") or []:
        key = "default" if "default" in clause else "named"
        (defaults if key == "default" else named).append(str(prologue.absolutize(clause[key])))
    return tuple(defaults), tuple(named)
