"""What the compiler produces and works with: a check, a pattern, fresh variable names, and the callbacks it
asks the store (subclasses, counts)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import rdflib
from rdflib import RDF

TARGET = "\u0000target\u0000"  # where a pattern needs the target inside a sub-select
RDF_TYPE_PATH = f"<{RDF.type}>/<{rdflib.RDFS.subClassOf}>*"

# Datatypes whose lexical forms Oxigraph can check by casting the string (an ill-formed one casts to an error).


@dataclass(frozen=True)
class Check:
    """One constraint component of one shape as a SPARQL query over the union of the data graphs.

    The query selects ``?this`` (the focus node), ``?value`` when the component reports one, and any
    variable ``message`` refers to as ``{?name}``.
    """

    shape: rdflib.term.Node  # the node shape to name in reports (the holder of an inline property shape)
    source_shape: rdflib.term.Node
    component: str
    severity: str
    message: str
    path: rdflib.term.Node | None  # the shape's sh:path, for reports
    sparql: str
    has_value: bool = True


@dataclass
class _Fresh:
    """Fresh variable names, so nested patterns never capture each other's variables."""

    counter: Iterator[int] = field(default_factory=itertools.count)

    def __call__(self, stem: str = "v") -> str:
        return f"?_{stem}{next(self.counter)}"


@dataclass(frozen=True)
class _Pattern:
    component: str
    where: str
    value: str | None  # the variable holding the value node, if the component reports one
    test: str | None = None  # for a node-level test of the focus itself: the condition alone, for inlining
    binds_focus: bool = False  # the pattern finds its own focus nodes: may check the target after, not before
    binding: str = ""  # the triple pattern whose solutions the pattern tests, to weigh against the target


Subclasses = Callable[[str], list[str]]


Counter = Callable[[str], int]
