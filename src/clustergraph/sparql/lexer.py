"""A SPARQL tokenizer that is just precise enough to find keywords: it knows comments, strings, IRIs,
variables and prefixed names, so a keyword is only reported where the grammar could read it as one.

Codepoint escapes (``\\uXXXX``, ``\\UXXXXXXXX``) are decoded first, as SPARQL 1.1 section 19.2 says a parser
must, so an escaped keyword is still found.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>\"\"\"(?:[^\"\\]|\\.|\"(?!\"\"))*(?:\"\"\"|$)
             | '''(?:[^'\\]|\\.|'(?!''))*(?:'''|$)
             | "(?:[^"\\\n]|\\.)*"?
             | '(?:[^'\\\n]|\\.)*'?)
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][\w\u00B7\u0300-\u036F\u203F-\u2040]+)
  | (?P<run>[^\W\d][\w.\-]*+(?!:))
  | (?P<pname>(?:[^\W\d][\w.\-]*+)?:(?:[\w\-.:%]|\\.)*)
  | (?P<word>[^\W\d]\w*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
# a run of name characters that no ``:`` follows is read in one step, then split into words here: trying it as
# a prefixed name at each of its words again would take quadratic time on a long ``a-a-a-...`` run
_RUN_PART = re.compile(r"(?P<word>[^\W\d]\w*)|(?P<other>.)", re.DOTALL)


class Token(NamedTuple):
    """One significant token (a tuple: the web process lexes the head of every query it relays)."""

    kind: str
    text: str
    start: int


def decode_escapes(text: str) -> str:
    r"""Replace SPARQL codepoint escapes by the characters they stand for.

    >>> decode_escapes(r"\u0053ERVICE")
    'SERVICE'
    >>> decode_escapes(r"\UFFFFFFFF")
    '\\UFFFFFFFF'
    """
    return _ESCAPE.sub(_decode_one, text) if "\\" in text else text


def _decode_one(match: re.Match[str]) -> str:
    """One escape's character; an escape past U+10FFFF stays as written (the parser will reject it)."""
    code = int(match[1] or match[2], 16)
    return chr(code) if code <= 0x10FFFF else match[0]


def tokens(text: str) -> Iterator[Token]:
    """Significant tokens of ``text`` (whitespace and comments dropped), after decoding escapes."""
    for match in _TOKEN.finditer(decode_escapes(text)):
        kind = match.lastgroup or "other"
        if kind == "run":
            for part in _RUN_PART.finditer(match.group()):
                yield Token(part.lastgroup or "other", part.group(), match.start() + part.start())
        elif kind not in ("space", "comment"):
            yield Token(kind, match.group(), match.start())


def keywords(text: str) -> list[str]:
    """Bare words of ``text`` in upper case, in order: the keywords and the ``a`` of triple patterns.

    >>> keywords('PREFIX s: <urn:x#> SELECT ?service WHERE { s:SERVICE "SERVICE" ?x } # SERVICE')
    ['PREFIX', 'SELECT', 'WHERE']
    """
    return [t.text.upper() for t in tokens(text) if t.kind == "word"]


_SCHEME = re.compile(r"<[A-Za-z][A-Za-z0-9+.\-]*:")


def has_relative_iri(text: str) -> bool:
    """Whether ``text`` writes an IRI without a scheme (``<s>``, ``<../x>``), which only a base makes absolute.

    >>> has_relative_iri('PREFIX ex: <http://example.org/> CONSTRUCT { <s> ex:p "<t>" } WHERE {}')
    True
    >>> has_relative_iri('SELECT * WHERE { <urn:x:s> ?p "<s>" }')
    False
    """
    return any(t.kind == "iri" and not _SCHEME.match(t.text) for t in tokens(text))
