"""Search keys, generated at build time: one ``cg:searchKey`` per name of each resource.

``search-by-name`` tests the text people type against every name in the store (about 131,000 at ECCP scale).
Lower-casing each name in the query (``LCASE(STR(?label))``) cost most of a second, and SPARQL cannot fold
accents, so "mobilita" did not find "Mobilità". The build therefore writes, for every preferred or alternative
label, ``rdfs:label`` or ``schema:name`` of a resource of the project's namespace, one plain literal into
:data:`SEARCH_KEYS_GRAPH`::

    cgr:x cg:searchKey "mobilita lombardia\\tMobilità Lombardia"@it

The part before the tab is the name folded by :func:`fold` (lower case, accents removed, runs of white space
made one space); after it, the name as written, and the key has the name's language tag, so that
``STRAFTER(?key, "\\t")`` is the name itself (SPARQL keeps the language tag) and the query shows the label
it matched without joining the labels again. The named query folds the user's text with the same :func:`fold` (parameter type ``searchtext``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import pyoxigraph as ox

from clustergraph.iris import BASE, GRAPH, PREFIXES

SEARCH_KEYS_GRAPH = GRAPH + "search-keys"
SEARCH_KEY = ox.NamedNode(PREFIXES["cg"] + "searchKey")
ID_NAMESPACE = BASE + "id/"
SEPARATOR = "\t"
# The naming properties, read with one plain scan each (a path alternative under DISTINCT took 1.8 s at ECCP
# scale); the union default graph repeats a name once per graph that states it, which keys_for() drops.
NAMING_PROPERTIES = (PREFIXES["skos"] + "prefLabel", PREFIXES["skos"] + "altLabel", PREFIXES["rdfs"] + "label",
                     "http://schema.org/name")
Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
_SPACE = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower case, without accents, white space runs made one space: what names are compared on.

    >>> fold("Mobilità  SOSTENIBILE")
    'mobilita sostenibile'
    >>> fold("Lombardy\tGreen  Chemistry")
    'lombardy green chemistry'
    """
    if text.isascii():  # no accents to remove (most names): the same result without a Python step per character
        return _SPACE.sub(" ", text.lower())
    decomposed = unicodedata.normalize("NFKD", text.lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACE.sub(" ", unicodedata.normalize("NFC", stripped))


def search_keys(store: ox.Store) -> list[ox.Quad]:
    """One ``cg:searchKey`` quad per distinct name of each resource of the project namespace, in
    :data:`SEARCH_KEYS_GRAPH` (run after the derived labels are added, so those are searchable too)."""
    return keys_for(row for iri in NAMING_PROPERTIES for row in scan(store, iri))


def scan(store: ox.Store, predicate: str) -> list[tuple[Term, Term]]:
    """Subject and object of every triple with ``predicate``, in any graph (one row per graph stating it),
    in the store's order (by object, then subject)."""
    rows = store.query(f"SELECT ?x ?v WHERE {{ ?x <{predicate}> ?v }}", use_default_graph_as_union=True)
    return [(row[0], row[1]) for row in rows]  # type: ignore[union-attr, misc]


def keys_for(names: Iterable[tuple[Term, Term]]) -> list[ox.Quad]:
    """The search key quads of ``names``, (resource, name) pairs of the naming properties: one per distinct
    literal name of a resource of the project namespace; other pairs are skipped."""
    graph = ox.NamedNode(SEARCH_KEYS_GRAPH)
    seen: set[tuple[str, str, str | None]] = set()
    quads = []
    for node, name in names:
        if not (isinstance(node, ox.NamedNode) and isinstance(name, ox.Literal)):
            continue
        iri = node.value  # each read of .value makes a new Python string: read once
        if not iri.startswith(ID_NAMESPACE):
            continue
        text, language = name.value, name.language
        found = (iri, text, language)
        if found in seen:
            continue
        seen.add(found)
        quads.append(ox.Quad(node, SEARCH_KEY, ox.Literal(f"{fold(text)}{SEPARATOR}{text}", language=language), graph))
    return quads


__all__ = ["NAMING_PROPERTIES", "SEARCH_KEY", "SEARCH_KEYS_GRAPH", "fold", "keys_for", "scan", "search_keys"]
