"""Reading the RDF body of a Graph Store write (``PUT``/``POST /store``) without letting it crash or stall the
server.

Oxigraph's parsers recurse on nesting: some 15,000 nested triple terms in Turtle or N-Triples (about 300 KB),
or some 40,000 nested JSON-LD objects (under a megabyte), overflow the stack of the thread that parses them and
take the whole server process down (measured with pyoxigraph 0.5). So, as :mod:`clustergraph.sparql.guard`
does for queries, a body whose brackets nest deeper than :data:`MAX_DEPTH` is refused before it is parsed. The
depth is read by a lexer that knows the format's strings, IRIs, comments and escapes, so brackets inside them
neither count nor hide real ones. On the embedded store the body is parsed only by the write worker process
(:mod:`clustergraph.kg.write_runner`), killed at the time limit (an RDF/XML billion-laughs body expands to
gigabytes); for a remote server it is parsed here, in a worker thread, so a large body does not hold up other
requests.
"""

from __future__ import annotations

import asyncio
import re

import pyoxigraph as ox

from clustergraph.errors import BadRequest

MAX_DEPTH = 128  # brackets open at once; the parsers overflow their stack past some 15,000
_TURTLE = re.compile(
    r"""
    (?P<skip>\"\"\"(?:[^\"\\]|\\.|\"(?!\"\"))*(?:\"\"\"|$)      # long strings
           | '''(?:[^'\\]|\\.|'(?!''))*(?:'''|$)
           | "(?:[^"\\\n\r]|\\.)*"?                             # strings
           | '(?:[^'\\\n\r]|\\.)*'?
           | <(?:[^<>"{}|^`\\\x00-\x20]|\\[uU][0-9A-Fa-f]+)*>   # IRIs
           | \\.                                                # an escaped character of a local name
           | \#[^\n\r]*)                                        # comments
  | (?P<open><<|\{\||[(\[])
  | (?P<close>>>|\|\}|[)\]])
  | (?P<other>[^"'<>\\\#{|}()\[\]]+|.)
    """,
    re.VERBOSE | re.DOTALL,
)
_JSON = re.compile(r'(?P<skip>"(?:[^"\\]|\\.)*"?)|(?P<open>[\[{])|(?P<close>[\]}])|(?P<other>[^"\[\]{}]+)',
                   re.DOTALL)
_ENTITY_DECLARATION = re.compile(r"<!\s*ENTITY", re.IGNORECASE)
_LEXERS = {ox.RdfFormat.TURTLE: _TURTLE, ox.RdfFormat.N_TRIPLES: _TURTLE, ox.RdfFormat.JSON_LD: _JSON}


def nesting_depth(text: str, fmt: ox.RdfFormat) -> int:
    """The deepest nesting of brackets (``<<``, ``(``, ``[``, ``{|`` in Turtle and N-Triples; ``[``, ``{`` in
    JSON-LD) outside strings, IRIs and comments; 0 for formats without a lexer here (RDF/XML)."""
    lexer = _LEXERS.get(fmt)
    if lexer is None:
        return 0
    depth = deepest = 0
    for match in lexer.finditer(text):
        kind = match.lastgroup
        if kind == "open":
            depth += 1
            deepest = max(deepest, depth)
        elif kind == "close":
            depth -= 1
    return deepest


def check_nesting(body: bytes, fmt: ox.RdfFormat) -> None:
    """:raises BadRequest: for a body nested deeper than :data:`MAX_DEPTH`, or RDF/XML declaring entities."""
    if fmt == ox.RdfFormat.RDF_XML:
        refuse_entity_declarations(body)
    deepest = nesting_depth(body.decode("utf-8", errors="replace"), fmt)
    if deepest > MAX_DEPTH:
        raise BadRequest(f"the request body nests {deepest} levels deep; at most {MAX_DEPTH} are allowed")


def refuse_entity_declarations(body: bytes) -> None:
    """Refuse an XML body that declares entities: Oxigraph's RDF/XML parser expands them, so a 1.5 KB "billion
    laughs" (entities of entities) grows to gigabytes, and even one large entity referenced many times
    multiplies the body. Declarations appear only in a DTD's internal subset; a body without them parses as
    before. The body is read in the encoding its byte-order mark names (UTF-16 hides the ASCII bytes).

    :raises BadRequest: naming the first declaration's line.
    """
    encoding = "utf-16" if body[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8"
    text = body.decode(encoding, errors="replace")
    found = _ENTITY_DECLARATION.search(text)
    if found is not None:
        line = text.count("\n", 0, found.start()) + 1
        raise BadRequest(f"the RDF/XML body declares an entity (<!ENTITY at line {line}); entity declarations are "
                         "not accepted, since expanding them can take any amount of memory: write the values out, "
                         "or send Turtle or N-Triples")


def parse_triples(body: bytes, fmt: ox.RdfFormat, media_type: str) -> list[ox.Triple]:
    """The triples of ``body``, which :func:`check_nesting` has passed (the route checks every body once, before
    it decides where the body is parsed).

    :raises BadRequest: for a body that does not parse (the message names the place).
    """
    try:
        return [quad.triple for quad in ox.parse(body, format=fmt)]
    except SyntaxError as exc:
        raise BadRequest(f"request body ({media_type}): {exc.msg}") from exc


async def read_triples(body: bytes, fmt: ox.RdfFormat, media_type: str) -> list[ox.Triple]:
    """:func:`parse_triples` in a worker thread."""
    return await asyncio.to_thread(parse_triples, body, fmt, media_type)
