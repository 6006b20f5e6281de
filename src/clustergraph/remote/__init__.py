"""A SPARQL 1.1 Protocol server as the store: the embedded store's read interface and its Graph Store and
Update writes (store, writes), the wire format (wire), endpoint URLs (endpoints), the query runner with the
pool's contract (query), and builds pushed graph by graph (build).

Owns: store, writes, wire, endpoints, query, build.
May import: sparql, kg, querying.
"""
