"""SPARQL text, read before any engine sees it: the lexer (keywords, escapes, nesting) and the guard that
refuses SERVICE, LOAD, remote datasets and texts too deep or too long.

Owns: lexer, guard, prefixes.
May import: nothing of the packages (shared modules only).
"""
