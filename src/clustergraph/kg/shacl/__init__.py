"""SHACL shapes compiled into SPARQL checks that run inside Oxigraph (see :mod:`.compiler`).

Owns: the compiler and its parts (targets, constraint components and paths, SHACL-SPARQL). Imports only
:mod:`clustergraph.errors` and :mod:`clustergraph.sparql.lexer`.
"""

from __future__ import annotations

from clustergraph.kg.shacl.compiler import compile_checks
from clustergraph.kg.shacl.model import Check

__all__ = ["Check", "compile_checks"]
