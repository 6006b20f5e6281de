"""Prefixed names whose prefix a SPARQL text never declares, found by the lexer before any engine reads the text.

Oxigraph answers such a query with "expected one of Prefix not found" followed by a page of character classes;
this check says in plain words which prefix is missing, where, and which ``PREFIX`` line would declare it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from clustergraph.iris import PREFIXES
from clustergraph.sparql.lexer import Token, decode_escapes, tokens


@dataclass(frozen=True)
class UndeclaredPrefix:
    """The first use of a prefix the text does not declare: 1-based line and column of the prefixed name."""

    prefix: str
    name: str
    line: int
    column: int

    @property
    def known_namespace(self) -> str | None:
        """The namespace this project gives the prefix, if it has one."""
        return PREFIXES.get(self.prefix)

    def message(self) -> str:
        """What is wrong, where, and the line that fixes it.

        >>> print(first_undeclared_prefix("SELECT * WHERE {\\n  ?s a cg:Cluster }").message())
        the prefix cg: is not declared (cg:Cluster at line 2, column 8); add this line at the top of the query: PREFIX cg: <https://w3id.org/clustergraph/ontology#>
        """
        namespace = self.known_namespace or "namespace IRI"
        return (f"the prefix {self.prefix}: is not declared ({self.name} at line {self.line}, column "
                f"{self.column}); add this line at the top of the query: PREFIX {self.prefix}: <{namespace}>")


def first_undeclared_prefix(sparql: str, lexed: Iterable[Token] | None = None) -> UndeclaredPrefix | None:
    """The first prefixed name whose prefix no ``PREFIX`` declaration of ``sparql`` gives, or None.

    Positions are counted in the text with ``\\u`` escapes decoded (as the grammar reads it); blank node labels
    (``_:b``) are no prefixed names. ``lexed``, the text's tokens when the caller has them already, saves
    lexing it again.

    >>> first_undeclared_prefix("PREFIX cg: <urn:x#> SELECT * WHERE { ?s a cg:Cluster ; _:b 1 }") is None
    True
    >>> first_undeclared_prefix("PREFIX : <urn:x#> ASK { :a owl:sameAs :b }")
    UndeclaredPrefix(prefix='owl', name='owl:sameAs', line=1, column=28)
    """
    declared: set[str] = set()
    previous = ""
    for token in tokens(sparql) if lexed is None else lexed:
        if token.kind == "pname":
            prefix = token.text.split(":", 1)[0]
            if previous == "PREFIX":
                declared.add(prefix)
            elif prefix != "_" and prefix not in declared:
                text = decode_escapes(sparql)
                line = text.count("\n", 0, token.start) + 1
                column = token.start - (text.rfind("\n", 0, token.start) + 1) + 1
                return UndeclaredPrefix(prefix, token.text, line, column)
        previous = token.text.upper() if token.kind == "word" else ""
    return None
