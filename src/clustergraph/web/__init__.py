"""The HTTP side: SPARQL protocol, named-query API, linked data and HTML pages (FastAPI)."""
