"""The knowledge graph: where the project's files are (layout), parsing and bulk loading them (dataset), the
build that validates and publishes atomically (build), build-time labels (derived_labels) and search keys (search_keys), SHACL validation
with both engines (validation, shacl/), the embedded Oxigraph store and its build folders (store), writes to it
(writes), each run in a killable child process (write_runner starts write_worker), and statistics (stats).

Owns: layout, dataset, build, derived_labels, search_keys, validation, shacl, store, writes, write_runner,
write_worker, stats.
May import: sparql. Never the web, querying, remote or network.
"""
