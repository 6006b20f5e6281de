"""Network views of cross-cluster collaboration: views built from SPARQL rows (views), metrics and community
detection (metrics), pyvis rendering with our template (render), GEXF/GraphML/CSV/JSON exports (export).

Owns: views, metrics, render, export.
May import: kg, querying.
"""
