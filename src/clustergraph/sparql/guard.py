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
on them and crash the worker (a stack overflow, not a time-limit stop). Updates get both limits too (they run in a
killable write worker, but a refusal is a clear 400 where a crash is a 503), but their data is not counted either: the
blocks of ``INSERT DATA``, ``DELETE DATA`` and the ``INSERT { }`` / ``DELETE { }`` templates hold only terms
(a long bulk write is legitimate), while their ``WHERE`` parts are counted like a query.

An RDF collection ``( i1 i2 … )`` is parsed one recursion per item: in a graph pattern some 4,080 items overflow
the parser's 8 MB stack (measured with pyoxigraph 0.5.13, in a query and in an update's ``WHERE``), though they
stay under :data:`MAX_TOKENS`. So every collection, in a pattern, a template or a data block, is held to
:data:`MAX_COLLECTION` items (about a quarter of that). A bracket that holds a comma directly is an argument
list (``IN (1, 2)``, ``CONCAT(?a, ?b)``), not a collection, and is left to the token limit; object and
predicate lists (``?s ?p o1, o2`` and ``;``) do not recurse in the parser and are not limited here (long ones
are slow to plan: the time limit stops them).

Oxigraph does not read every text the way the lexer does: it decodes ``\\u`` escapes only inside strings and
IRIs (``'\\u0027'`` is a one-character string to it, where a conformant reader sees ``'''`` open a long
string), and it ends a comment at a carriage return as well as at a line feed. So every check is made on both
readings (:func:`_readings`), and what either of them finds is refused.
"""

from __future__ import annotations

import re
import sys
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pyparsing import ParseException
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from clustergraph.errors import QueryRefused, QuerySyntaxError
from clustergraph.sparql.lexer import Token, decode_escapes, tokens
from clustergraph.sparql.prefixes import first_undeclared_prefix

QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_FORMS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH")
_FORBIDDEN = {"SERVICE": "SERVICE (federated query)", "LOAD": "LOAD"}
_FORBIDDEN_WORD = re.compile(r"service|load", re.IGNORECASE)
MAX_DEPTH = 128  # brackets { ( [ << open at once; Oxigraph overflows its stack near 2,000
MAX_TOKENS = 5000  # tokens outside VALUES data; Oxigraph overflows its stack near 7,000 chained operators
MAX_COLLECTION = 1000  # items of one RDF collection ( … ); Oxigraph's parser overflows its stack near 4,080
MAX_CROSS_CHECK_TOKENS = 1000  # the largest query rdflib is asked to parse (about a second at worst)
_CACHED_CHARS = 32_000  # longer texts are not remembered (the cache would hold them all)
CACHE_BYTES = 4 * 2**20  # the memory the remembered texts may take (per process)
_OPENING = frozenset({"{", "(", "[", "<<"})
_CLOSING = frozenset({"}", ")", "]", ">>"})
_QUERY_DATA = frozenset({"VALUES"})  # words whose next { } block is data, not counted, in a query
_UPDATE_DATA = frozenset({"VALUES", "INSERT", "DELETE"})  # ... and in an update (DELETE WHERE is counted)
_TEMPLATE_WORDS = frozenset({"INSERT", "DELETE"})  # only DATA may stand between these and their data block
_ESCAPE_TEXT = re.compile(r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}")
_LANGUAGE_TAG_PART = re.compile(r"[A-Za-z0-9-]+")


@dataclass(frozen=True)
class QueryInfo:
    """What the server needs to know about a query before running it."""

    form: str  # SELECT, ASK, CONSTRUCT or DESCRIBE
    has_dataset_clause: bool  # FROM or FROM NAMED present: the query chooses its own dataset

    @property
    def returns_graph(self) -> bool:
        return self.form in ("CONSTRUCT", "DESCRIBE")


def inspect_query(sparql: str) -> QueryInfo:
    """Form and dataset clauses of a query, remembered per shape of text (:func:`query_shape`, up to 32,000
    characters): clients, pages and dashboards send the same texts, or the same texts with other IRIs, again and
    again (refusals are not cached).

    :raises QueryRefused: for SERVICE or LOAD anywhere in the query, for an update sent as a query, or for a
        query nested too deep or too long for the engine.
    :raises QuerySyntaxError: for a prefixed name whose prefix the query does not declare (with its position).

    >>> inspect_query("SELECT * FROM <urn:g> WHERE { ?s ?p ?o }")
    QueryInfo(form='SELECT', has_dataset_clause=True)
    """
    if len(sparql) > _CACHED_CHARS:
        return _inspect(sparql)
    shape = query_shape(sparql)
    known = _SEEN.get(shape)
    if known is None:
        known = _inspect(sparql)  # the text itself: a refusal names its own positions
        _SEEN.put(shape, known)
    return known


# An IRI written with only these characters is one IRI token wherever the lexer meets its "<" outside a string or
# comment (every one may stand in an IRI), and it cannot end a string, a comment or an escape it stands in (no
# quote, white space or backslash): swapping its text for another such IRI's changes no token's kind or place.
_PLAIN_IRI = re.compile(r"<([A-Za-z0-9:/#._~%+=&?!$*,;@-]*)>")


def query_shape(sparql: str) -> str:
    """``sparql`` with the text of each plain IRI left out (``<>``), unless it names SERVICE or LOAD: every check
    of :func:`inspect_query` gives the same verdict for a text and its shape (a property test holds this), so a
    client that varies the IRIs of one query (a template, a dashboard, a named query) is checked once per shape.

    >>> query_shape("SELECT * WHERE { <urn:x:a> ?p '<urn:b>' FILTER (?p != <urn:x:load>) }")
    "SELECT * WHERE { <> ?p '<>' FILTER (?p != <urn:x:load>) }"
    """
    return _PLAIN_IRI.sub(_without_text, sparql)


def _without_text(match: re.Match[str]) -> str:
    return match[0] if _FORBIDDEN_WORD.search(match[1]) else "<>"


EARLY_COUNT_CHARS = 64_000  # longer queries are counted token by token first (see _refuse_too_long_early)
HEAD_TOKENS = 2000  # the most tokens query_head reads before the body (a longer head is left to the worker)


def query_head(sparql: str) -> QueryInfo:
    """Form and dataset clauses read from the head of a query only (prologue, form, projection, ``FROM``),
    in time bounded by :data:`HEAD_TOKENS` however long the text: what the web process needs to choose the
    answer's media type. The whole text is checked by :func:`inspect_query` in the worker that runs it, under
    the time limit, so a megabyte of query text never holds the server's event loop.

    :raises QueryRefused: for an update sent as a query.

    >>> query_head("PREFIX x: <urn:x#> CONSTRUCT { ?s x:p ?o } FROM <urn:g> WHERE { ?s ?p ?o }")
    QueryInfo(form='CONSTRUCT', has_dataset_clause=True)
    >>> query_head("SELECT * WHERE { ?s ?p ?o } VALUES ?s { " + "<urn:a> " * 100000 + "}")
    QueryInfo(form='SELECT', has_dataset_clause=False)
    """
    form: str | None = None
    dataset = False
    depth = 0
    template_open = False
    for count, tok in enumerate(tokens(sparql)):
        if count >= HEAD_TOKENS:
            break
        if tok.kind == "word":
            word = tok.text.upper()
            if form is None:
                if word in QUERY_FORMS:
                    form = word
                elif word in UPDATE_FORMS:
                    _refuse_forbidden([word], set())
                    raise QueryRefused("this is a SPARQL Update; send updates to /update (when the server allows "
                                       "writes)")
                continue
            if depth == 0 and word == "FROM":
                dataset = True
            elif depth == 0 and word == "WHERE":
                break
        elif tok.text == "{":
            if depth == 0 and not (form == "CONSTRUCT" and not template_open):
                break  # the query's body begins: no dataset clause can follow
            if depth == 0:
                template_open = True  # a CONSTRUCT template; FROM may follow it
            depth += 1
        elif tok.text == "}":
            depth = max(depth - 1, 0)
    return QueryInfo(form=form or "SELECT", has_dataset_clause=dataset)


class TextCache:
    """The checks of recent query texts, least recently used first out, bounded by the memory the texts take
    (``sys.getsizeof``: a text of emoji takes four bytes a character), not by their number. Thread-safe."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.used = 0
        self._entries: OrderedDict[str, QueryInfo] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> QueryInfo | None:
        with self._lock:
            info = self._entries.get(text)
            if info is not None:
                self._entries.move_to_end(text)
            return info

    def put(self, text: str, info: QueryInfo) -> None:
        size = sys.getsizeof(text)
        if size > self.max_bytes:
            return
        with self._lock:
            if text in self._entries:
                return
            self._entries[text] = info
            self.used += size
            while self.used > self.max_bytes:
                old, _ = self._entries.popitem(last=False)
                self.used -= sys.getsizeof(old)


_SEEN = TextCache(CACHE_BYTES)


def _inspect(sparql: str) -> QueryInfo:
    if len(sparql) > EARLY_COUNT_CHARS:
        _refuse_too_long_early(sparql)
    readings = _readings(sparql)
    _refuse_too_complex(readings, "query", _QUERY_DATA, sparql)
    toks = readings[0]
    words = _words(toks)
    cross_checked = _cross_check(sparql, toks, words, parseQuery, limit=MAX_CROSS_CHECK_TOKENS)
    _refuse_forbidden(_every_word(readings), cross_checked)
    _refuse_undeclared_prefix(sparql, toks)
    form = next((w for w in words if w in QUERY_FORMS), None)
    first = next((w for w in words if w not in ("BASE", "PREFIX")), None)
    if form is None and first in UPDATE_FORMS:
        raise QueryRefused("this is a SPARQL Update; send updates to /update (when the server allows writes)")
    return QueryInfo(form=form or "SELECT", has_dataset_clause="FROM" in words)


def inspect_update(sparql: str) -> None:
    """Check an update before it runs (in the web process, before a write worker is started for it).

    The length limit counts the ``WHERE`` parts and the operations, not the data: a long ``INSERT DATA`` (or
    ``INSERT { }`` template) is a legitimate bulk write.

    :raises QueryRefused: for LOAD or SERVICE anywhere in the update, or for an update nested too deep or too
        long outside its data.
    :raises QuerySyntaxError: for a prefixed name whose prefix the update does not declare.

    >>> inspect_update("INSERT DATA { " + "<urn:a> <urn:b> 1 . " * 3000 + "}")  # 12,000 tokens, all data
    >>> inspect_update("INSERT { <urn:a> <urn:b> ?x } WHERE { BIND(" + "+".join(["1"] * 3000) + " AS ?x) }")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    clustergraph.errors.QueryRefused: the update has 6009 tokens outside its data ...; at most 5000 are allowed ...
    """
    readings = _readings(sparql)
    _refuse_too_complex(readings, "update", _UPDATE_DATA, sparql)
    toks = readings[0]
    cross_checked = _cross_check(sparql, toks, _words(toks), parseUpdate, limit=None)
    _refuse_forbidden(_every_word(readings), cross_checked)
    _refuse_undeclared_prefix(sparql, toks)


def _refuse_undeclared_prefix(sparql: str, toks: list[Token]) -> None:
    """A readable syntax error for the first prefixed name whose prefix the text never declares (``toks``: its
    tokens, as the lexer reads the text with every escape decoded)."""
    missing = first_undeclared_prefix(sparql, toks)
    if missing is not None:
        raise QuerySyntaxError(missing.message(), line=missing.line, column=missing.column)


def _readings(sparql: str) -> list[list[Token]]:
    r"""The tokens of ``sparql`` as a conformant parser reads it (every escape decoded first) and, when that
    can differ, as Oxigraph reads it: escapes decoded only inside strings and IRIs, where they are content that
    never ends the string (each replaced here by as many ``x``), and a carriage return ending a comment.

    >>> [[t.text for t in toks] for toks in _readings(r"ASK { '\u0027' # '''")]
    [['ASK', '{', "''' # '''"], ['ASK', '{', "'xxxxxx'"]]
    """
    decoded = list(tokens(sparql))
    if "\r" not in sparql and not _ESCAPE_TEXT.search(sparql):
        return [decoded]
    as_oxigraph = _ESCAPE_TEXT.sub(lambda match: "x" * len(match[0]), sparql).replace("\r", "\n")
    return [decoded, list(tokens(as_oxigraph))]


def _words(toks: list[Token]) -> list[str]:
    """The bare words of ``toks`` in upper case: the keywords (and any word of a language tag)."""
    return [t.text.upper() for t in toks if t.kind == "word"]


def _every_word(readings: list[list[Token]]) -> list[str]:
    """The bare words of every reading, one reading after the other."""
    return [word for toks in readings for word in _words(toks)]


def _refuse_too_complex(readings: list[list[Token]], what: str, data_words: frozenset[str], text: str) -> None:
    """Refuse a text too deep or too long in any of its readings (depth first: its message is more useful).
    Each reading's bracket depths are worked out once for the three checks."""
    leveled = [list(_depths(toks)) for toks in readings]
    for pairs in leveled:
        _refuse_too_deep(pairs, what)
    for pairs in leveled:
        _refuse_long_collection(pairs, what, text)
    for pairs in leveled:
        _refuse_too_long(pairs, what, data_words)


def _refuse_long_collection(leveled: list[tuple[Token, int]], what: str, text: str) -> None:
    """Refuse a text with an RDF collection of more than MAX_COLLECTION items (data blocks included).

    >>> _refuse_long_collection(list(_depths(tokens("ASK { ?s ?p (" + " 1" * 1001 + " ) }"))), "query", "")
    Traceback (most recent call last):
    clustergraph.errors.QueryRefused: the collection ( … ) at line 1 of the query has 1001 items; at most 1000 are accepted
    >>> _refuse_long_collection(list(_depths(tokens("ASK { FILTER(?o IN (" + ", ".join(["1"] * 1500) + ")) }"))),
    ...                         "query", "")
    """
    for start, count in _collections(leveled):
        if count > MAX_COLLECTION:
            line = _line_at(text, start)
            raise QueryRefused(f"the collection ( … ) at line {line} of the {what} has {count} items; at most "
                               f"{MAX_COLLECTION} are accepted")


def _collections(leveled: Iterable[tuple[Token, int]]) -> Iterator[tuple[int, int]]:
    """(offset of its ``(``, number of items) of each bracket ``( )`` that holds no operator, comma or keyword
    directly: an RDF collection (or a short parenthesised term). One pass, linear in the tokens.

    An item is a term or a nested bracket. The lexer splits some terms (``1.5e3``, ``"x"@en``,
    ``"1"^^xsd:int``, ``-2``): a word glued to the token before it, a datatype and the pieces ``@ ^ .`` are
    part of the item before; a ``.`` between digits makes a decimal count as two items (never fewer than
    Oxigraph reads). ``+``/``-`` glued to the token before is an operator (``1+2``), otherwise a sign.

    >>> list(_collections(_depths(tokens('( 1 -2 3.5e1 "x"@en "y"^^<urn:t> ( ) [] ?v ) (1+2) (?a, ?b) (1 AS ?x)'))))
    [(33, 0), (0, 9)]
    """
    stack: list[list] = []  # per open bracket: [its text, offset, items, is an expression]
    previous: Token | None = None
    for tok, _ in leveled:
        text = tok.text
        if stack and stack[-1][0] == "(" and text not in _CLOSING:
            _count_item(stack[-1], tok, previous)
        if text in _OPENING:
            stack.append([text, tok.start, 0, False])
        elif text in _CLOSING and stack:
            opened, start, count, expression = stack.pop()
            if opened == "(" and not expression:
                yield start, count
        previous = tok
    for opened, start, count, expression in stack:  # never closed: a syntax error, but parsed that far
        if opened == "(" and not expression:
            yield start, count


_OPERATORS = frozenset({",", "&", "|", "=", "!", "<", ">", "/", "*", "?", "||", "&&"})
_TERM_KINDS = frozenset({"iri", "pname", "var", "string"})


def _count_item(top: list, tok: Token, previous: Token | None) -> None:
    """Count ``tok`` as an item of the open bracket ``top``, or mark ``top`` an expression (see
    :func:`_collections`)."""
    text = tok.text
    glued = previous is not None and previous.start + len(previous.text) == tok.start
    after = previous.text if previous is not None else ""
    if text in _OPERATORS or (text in ("+", "-") and glued and after not in _OPENING):
        top[3] = True
    elif after in ("@", "^") or text in ("@", "^", ".", "+", "-"):
        return
    elif tok.kind == "word":
        if not glued and text.lower() not in ("true", "false"):
            top[3] = True  # AS, IN, a function name: an expression
        elif not glued:
            top[2] += 1
    elif tok.kind in _TERM_KINDS or text in _OPENING or not glued or after in (".", "+", "-"):
        top[2] += 1


def _line_at(text: str, offset: int) -> int:
    """The line of ``offset`` in ``text`` (a carriage return alone ends a line too, as Oxigraph reads it)."""
    head = text[:offset].replace("\r\n", "\n").replace("\r", "\n")
    return head.count("\n") + 1


def _refuse_too_deep(leveled: list[tuple[Token, int]], what: str) -> None:
    """Refuse a text nested deeper than MAX_DEPTH brackets (``{ ( [`` and the ``<<`` of RDF 1.2 triples)."""
    deepest = max((depth for _, depth in leveled), default=0)
    if deepest > MAX_DEPTH:
        raise QueryRefused(f"the {what} nests brackets {deepest} levels deep; at most {MAX_DEPTH} are allowed")


def _refuse_too_long_early(sparql: str) -> None:
    """Refuse a long query as soon as its tokens outside ``VALUES`` data pass MAX_TOKENS, reading them one at a
    time: a megabyte of ``IN`` list or of triple patterns is refused after its first 5,000 tokens, in
    milliseconds, instead of after lexing all of it (the full checks still follow for what passes)."""
    for counted, _ in enumerate(_outside_data(_depths(tokens(sparql)), _QUERY_DATA), start=1):
        if counted > MAX_TOKENS:
            raise QueryRefused(f"the query has more than {MAX_TOKENS} tokens outside VALUES data; at most "
                               f"{MAX_TOKENS} are allowed (put long lists of terms in a VALUES block)")


def _refuse_too_long(leveled: list[tuple[Token, int]], what: str, data_words: frozenset[str]) -> None:
    """Refuse a text of more than MAX_TOKENS tokens, the data blocks opened by ``data_words`` not counted."""
    counted = sum(1 for _ in _outside_data(leveled, data_words))
    if counted <= MAX_TOKENS:
        return
    if what == "query":
        raise QueryRefused(f"the query has {counted} tokens outside VALUES data; at most {MAX_TOKENS} are allowed "
                           "(put long lists of terms in a VALUES block)")
    raise QueryRefused(f"the {what} has {counted} tokens outside its data (INSERT DATA, DELETE DATA, INSERT and "
                       f"DELETE templates, VALUES); at most {MAX_TOKENS} are allowed (put long lists of terms in "
                       "a data block)")


def _outside_data(leveled: Iterable[tuple[Token, int]], data_words: frozenset[str]) -> Iterator[Token]:
    """The tokens of ``leveled`` (tokens with their depths, from :func:`_depths`) without the inside of each data
    block: the ``{ }`` block that follows one of ``data_words`` (``VALUES ?x {``; ``INSERT {``, ``INSERT DATA {``
    and the same with ``DELETE``, but not ``DELETE WHERE {``). The block's opening brace is left out, its closing
    one kept; any closing bracket back at the depth the block opened at ends it.

    >>> text = "INSERT DATA { <urn:a> <urn:b> 1 } ; DELETE WHERE { ?s ?p 1 }"
    >>> [t.text for t in _outside_data(_depths(tokens(text)), _UPDATE_DATA)]
    ['INSERT', 'DATA', '}', ';', 'DELETE', 'WHERE', '{', '?s', '?p', '1', '}']
    """
    head: str | None = None  # the data word whose block may come next
    opened_at: int | None = None  # while inside a data block: the depth it opened at
    for tok, depth, keyword in _keywords_and_depths(leveled):
        if opened_at is not None:
            if depth == opened_at:
                opened_at = None
                yield tok
        elif head is not None and tok.text == "{":
            head, opened_at = None, depth - 1
        else:
            if keyword in data_words:
                head = keyword
            elif head in _TEMPLATE_WORDS and keyword != "DATA":
                head = None  # DELETE WHERE { }: a pattern, counted
            yield tok


def _keywords_and_depths(leveled: Iterable[tuple[Token, int]]) -> Iterator[tuple[Token, int, str | None]]:
    """Each of ``leveled`` (tokens with their depths, from :func:`_depths`) and, for a keyword, the keyword in upper
    case.

    The words of a language tag (``@`` and the letters, digits and hyphens right after it) are no keywords,
    though the lexer reports them as words: ``"x"@en-values {`` opens no ``VALUES`` block.

    >>> [k for _, _, k in _keywords_and_depths(_depths(tokens('ASK { "x"@en-values {} VALUES ?x {} }')))]
    ['ASK', None, None, None, None, None, None, None, None, 'VALUES', None, None, None, None]
    """
    tag_end = -1  # where the language tag being read ends so far, or -1
    for tok, depth in leveled:
        if tok.text == "@":
            tag_end = tok.start + 1
        elif tok.start == tag_end and _LANGUAGE_TAG_PART.fullmatch(tok.text):
            tag_end += len(tok.text)
        else:
            tag_end = -1
        yield tok, depth, tok.text.upper() if tok.kind == "word" and tag_end == -1 else None


def _depths(toks: Iterable[Token]) -> Iterator[tuple[Token, int]]:
    """Each bracket-level token with the bracket depth after it (never below 0: a stray closing bracket does
    not make room for deeper nesting later). ``<<`` and ``>>`` (RDF 1.2 reified triples and triple terms)
    are one token and one bracket each."""
    depth = 0
    for tok in _pair_angles(toks):
        if tok.text in _OPENING:
            depth += 1
        elif tok.text in _CLOSING:
            depth = max(depth - 1, 0)
        yield tok, depth


def _pair_angles(toks: Iterable[Token]) -> Iterator[Token]:
    """``toks`` with each two adjacent ``<`` (or ``>``) merged into one ``<<`` (or ``>>``) token, left to right.

    >>> [t.text for t in _pair_angles(list(tokens("<<<<( <urn:a> ?p ?o )>> >>> < 3")))]
    ['<<', '<<', '(', '<urn:a>', '?p', '?o', ')', '>>', '>>', '>', '<', '3']
    """
    pending: Token | None = None
    for tok in toks:
        if pending is not None:
            if tok.text == pending.text and tok.start == pending.start + 1:
                yield Token("other", pending.text * 2, pending.start)
                pending = None
                continue
            yield pending
            pending = None
        if tok.kind == "other" and tok.text in ("<", ">"):
            pending = tok
        else:
            yield tok
    if pending is not None:
        yield pending


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
