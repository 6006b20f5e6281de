"""Asking the store: named query files and their parameters (named), short-queries-first lanes (lanes), the
pool of killable worker processes (pool, processes, answer, worker) and the contract any runner keeps (runner),
result shaping and streaming writers (results, writers), content negotiation (conneg) and media types.

Owns: named, lanes, pool, processes, answer, runner, worker, results, writers, conneg, media_types.
May import: sparql, kg. (The worker opens the store read-only.)
"""
