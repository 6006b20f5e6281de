"""The HTTP side (FastAPI): the app factory and its services, the SPARQL Protocol endpoint and service
description, the Graph Store Protocol, the named-query API, linked data, VoID and dumps, HTML pages and
network pages, errors mapped to statuses once.

Owns: every module in this folder, templates/ and static/.
May import: sparql, querying, remote, network, kg.layout, kg.store (app, services, build_files), kg.writes
(store_protocol, services), kg.write_runner (services),
kg.derived_labels (profile, topic_cards).
The web reaches the store through the query pool or the remote backend's read interface; the only other doors
into kg are kg.store where the store is opened (app, services, and the build-files child that computes
per-build values over one build), and kg.writes and kg.write_runner where writes
are handed to a killable write worker process (store_protocol, services).
"""
