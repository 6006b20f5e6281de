"""clustergraph: a linked-data knowledge graph of technology clusters and their collaborations.

The packages, lowest first; each may import only the ones its docstring's ``May import:`` line names (the
shared modules ``errors``, ``iris`` and ``settings`` are open to all; ``cli`` wires everything together).
``tests/test_architecture.py`` holds the code to these lines.

- :mod:`clustergraph.sparql` — SPARQL text: the lexer and the guard that refuses SERVICE/LOAD and deep queries.
- :mod:`clustergraph.kg` — the knowledge graph: project layout, parsing and bulk loading, build, derived labels,
  SHACL validation (both engines), the embedded store, its writes, statistics.
- :mod:`clustergraph.querying` — asking the store: named queries, short-queries-first lanes, the pool of killable
  workers, results and their writers, content negotiation, media types.
- :mod:`clustergraph.remote` — the same read and build interface over any SPARQL 1.1 Protocol server.
- :mod:`clustergraph.network` — network views from SPARQL rows: metrics, layout, pyvis rendering, exports.
- :mod:`clustergraph.synth` — reproducible synthetic data at EU scale.
- :mod:`clustergraph.web` — the HTTP side (FastAPI): endpoint, named-query API, linked data, pages.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
