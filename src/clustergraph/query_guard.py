"""Read a SPARQL request before it runs: its form, its dataset clauses, and whether it asks this server to
reach past the machine (``SERVICE``, ``LOAD``), which is always refused.

Two readers agree before anything runs: rdflib's SPARQL parser (a real parse tree) and the keyword lexer
(which decodes ``\\u`` escapes first, like every conformant parser). Either one finding ``SERVICE`` or
``LOAD`` refuses the request; syntax errors themselves are left to Oxigraph, whose messages name the position.

rdflib's parser is slow (seconds for a few kilobytes of ``||``) and runs before the time limit applies, so it
is asked only where the two readers could disagree: when the word ``service`` or ``load`` occurs somewhere the
lexer does not read as a keyword (a string, an IRI, a comment, a name). Such a query longer than
:data:`MAX_CROSS_CHECK_TOKENS` is refused rather than parsed. Queries nested deeper than :data:`MAX_DEPTH` or
longer than :data:`MAX_TOKENS` (``VALUES`` data aside) are refused too: Oxigraph's parser and optimiser recurse
on them and crash the worker (a stack overflow, not a time-limit stop).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from pyparsing import ParseException
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from clustergraph.errors import QueryRefused
from clustergraph.sparql_lexer import Token, decode_escapes, tokens

QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_FORMS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH")
_FORBIDDEN = {"SERVICE": "SERVICE (federated query)", "LOAD": "LOAD"}
_FORBIDDEN_WORD = re.compile(r"service|load", re.IGNORECASE)
MAX_DEPTH = 128  # brackets { ( [ open at once; Oxigraph overflows its stack near 2,000
MAX_TOKENS = 5000  # tokens outside VALUES data; Oxigraph overflows its stack near 7,000 chained operators
MAX_CROSS_CHECK_TOKENS = 1000  # the largest query rdflib is asked to parse (about a second at worst)
_CACHED_CHARS = 32_000  # longer texts are not remembered (the cache would hold them all)


@dataclass(frozen=True)
class QueryInfo:
    """What the server needs to know about a query before running it."""

    form: str  # SELECT, ASK, CONSTRUCT or DESCRIBE
    has_dataset_clause: bool  # FROM or FROM NAMED present: the query chooses its own dataset

    @property
    def returns_graph(self) -> bool:
        return self.form in ("CONSTRUCT", "DESCRIBE")


def inspect_query(sparql: str) -> QueryInfo:
    """Form and dataset clauses of a query, remembered per text (up to 32,000 characters): clients, pages and
    dashboards send the same texts again and again (refusals are not cached).

    :raises QueryRefused: for SERVICE or LOAD anywhere in the query, for an update sent as a query, or for a
        query nested too deep or too long for the engine.

    >>> inspect_query("SELECT * FROM <urn:g> WHERE { ?s ?p ?o }")
    QueryInfo(form='SELECT', has_dataset_clause=True)
    """
    return _inspect_cached(sparql) if len(sparql) <= _CACHED_CHARS else _inspect(sparql)


@functools.lru_cache(maxsize=4096)
def _inspect_cached(sparql: str) -> QueryInfo:
    return _inspect(sparql)


def _inspect(sparql: str) -> QueryInfo:
    toks = list(tokens(sparql))
    _refuse_too_complex(toks)
    words = [t.text.upper() for t in toks if t.kind == "word"]
    _refuse_forbidden(words, _cross_check(sparql, toks, words, parseQuery, limit=MAX_CROSS_CHECK_TOKENS))
    form = next((w for w in words if w in QUERY_FORMS), None)
    first = next((w for w in words if w not in ("BASE", "PREFIX")), None)
    if form is None and first in UPDATE_FORMS:
        raise QueryRefused("this is a SPARQL Update; send updates to /update (when the server allows writes)")
    return QueryInfo(form=form or "SELECT", has_dataset_clause="FROM" in words)


def inspect_update(sparql: str) -> None:
    """Check an update before it runs.

    :raises QueryRefused: for LOAD or SERVICE anywhere in the update.
    """
    toks = list(tokens(sparql))
    words = [t.text.upper() for t in toks if t.kind == "word"]
    _refuse_forbidden(words, _cross_check(sparql, toks, words, parseUpdate, limit=None))


def _refuse_too_complex(toks: list[Token]) -> None:
    """Refuse a query nested deeper than MAX_DEPTH or longer than MAX_TOKENS, ``VALUES`` data not counted."""
    depth = deepest = counted = 0
    values_state = None  # None, "head" (after VALUES), or the depth at which its data block opened
    for tok in toks:
        text = tok.text
        if tok.kind == "word" and text.upper() == "VALUES":
            values_state = "head"
        elif values_state == "head" and text == "{":
            values_state = depth
        if text in ("{", "(", "["):
            depth += 1
            deepest = max(deepest, depth)
        elif text in ("}", ")", "]"):
            depth -= 1
            if isinstance(values_state, int) and depth == values_state:
                values_state = None
        if not isinstance(values_state, int):
            counted += 1
    if deepest > MAX_DEPTH:
        raise QueryRefused(f"the query nests brackets {deepest} levels deep; at most {MAX_DEPTH} are allowed")
    if counted > MAX_TOKENS:
        raise QueryRefused(f"the query has {counted} tokens outside VALUES data; at most {MAX_TOKENS} are allowed "
                           "(put long lists of terms in a VALUES block)")


def _cross_check(sparql: str, toks: list[Token], words: list[str], parse, *, limit: int | None) -> set[str]:
    """rdflib's parse-tree node names, asked for only when ``service``/``load`` occurs where the lexer sees
    no keyword (where the two readers could disagree).

    :raises QueryRefused: when that happens in a query longer than ``limit`` tokens.
    """
    mentions = len(_FORBIDDEN_WORD.findall(decode_escapes(sparql)))
    if mentions == sum(1 for w in words if w in _FORBIDDEN):
        return set()
    if limit is not None and len(toks) > limit:
        raise QueryRefused(f"the words SERVICE or LOAD appear (in a name, string, IRI or comment) in a query of "
                           f"more than {limit} tokens, too long to double-check; this server never fetches remote "
                           "data")
    return _tree_names(sparql, parse)


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
    except (ParseException, ValueError, TypeError, AttributeError, RecursionError):
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
