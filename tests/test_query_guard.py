"""SERVICE and LOAD are refused after reading the query the way a parser does, not by a regex."""

from __future__ import annotations

import pytest

from clustergraph.errors import NotAcceptable, QueryRefused
from clustergraph.querying.conneg import negotiate
from clustergraph.sparql.guard import HEAD_TOKENS, inspect_query, inspect_update, query_head


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <urn:x> { ?s ?p ?o } }",
        "SELECT * WHERE { sErViCe <urn:x> { ?s ?p ?o } }",
        r"SELECT * WHERE { \u0053ERVICE <urn:x> { ?s ?p ?o } }",
        r"SELECT * WHERE { \U00000053\U00000045RVICE <urn:x> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }",
        "SELECT * WHERE {\n# a comment\nSERVICE\n<urn:x> { ?s ?p ?o } }",
    ],
)
def test_service_is_found_however_it_is_written(query: str) -> None:
    with pytest.raises(QueryRefused, match="SERVICE"):
        inspect_query(query)


@pytest.mark.parametrize(
    "query",
    [
        'SELECT ?service WHERE { ?service ?p "SERVICE" }',
        "PREFIX service: <urn:x#> SELECT * WHERE { ?s service:SERVICE ?o }",
        "SELECT * WHERE { ?s <urn:SERVICE> ?o } # SERVICE <urn:x>",
        "SELECT * WHERE { ?s ?p '''SERVICE <urn:x> { }''' }",
    ],
)
def test_the_word_elsewhere_is_not_refused(query: str) -> None:
    assert inspect_query(query).form == "SELECT"


def test_forms_and_dataset_clauses() -> None:
    assert inspect_query("PREFIX : <urn:> CONSTRUCT WHERE { ?s :p ?o }").returns_graph
    assert inspect_query("DESCRIBE <urn:x>").form == "DESCRIBE"
    assert inspect_query("ASK FROM NAMED <urn:g> { GRAPH ?g { ?s ?p ?o } }").has_dataset_clause
    assert not inspect_query('SELECT * WHERE { ?s ?p "FROM" }').has_dataset_clause


HEADS = [
    "PREFIX : <urn:> CONSTRUCT WHERE { ?s :p ?o }",
    "PREFIX : <urn:> CONSTRUCT { ?s :p ?o } FROM <urn:g> WHERE { ?s :p ?o }",
    "CONSTRUCT { ?s <urn:p> ?o } WHERE { ?s ?p ?o FILTER(?o = 'FROM') }",
    "DESCRIBE <urn:x>",
    "DESCRIBE ?x FROM <urn:g> WHERE { ?x ?p ?o }",
    "ASK FROM NAMED <urn:g> { GRAPH ?g { ?s ?p ?o } }",
    "ask { ?s ?p ?o }",
    'SELECT * WHERE { ?s ?p "FROM" }',
    "SELECT * WHERE { { SELECT ?s WHERE { ?s ?p ?o } } }",
    "BASE <urn:b/> PREFIX from: <urn:f#> SELECT (COUNT(*) AS ?n) FROM <g> WHERE { ?s from:p ?o }",
    "SELECT ?s { ?s ?p ?o } VALUES ?s { <urn:FROM> }",
    "# FROM\nSELECT * {}",
]


@pytest.mark.parametrize("query", HEADS)
def test_the_head_reads_form_and_dataset_as_the_whole_guard_does(query: str) -> None:
    assert query_head(query) == inspect_query(query)


def test_the_head_is_read_from_the_head_only() -> None:
    """What comes after the head (here a FROM past the token bound, and a refused SERVICE) is not read: the worker
    that runs the query checks the whole text."""
    filler = "SELECT " + "?v " * (HEAD_TOKENS + 10)
    assert not query_head(filler + "FROM <urn:g> WHERE { }").has_dataset_clause
    assert query_head("SELECT * WHERE { SERVICE <urn:x> { ?s ?p ?o } }").form == "SELECT"
    with pytest.raises(QueryRefused, match="/update"):
        query_head("PREFIX : <urn:> DELETE WHERE { ?s :p ?o }")


@pytest.mark.parametrize("update", ["LOAD <http://127.0.0.1:9/x>", "load silent <urn:x> into graph <urn:g>",
                                    "INSERT { ?s ?p ?o } WHERE { SERVICE <urn:x> { ?s ?p ?o } }"])
def test_updates_cannot_reach_out(update: str) -> None:
    with pytest.raises(QueryRefused):
        inspect_update(update)


def test_updates_sent_as_queries_are_refused() -> None:
    with pytest.raises(QueryRefused, match="/update"):
        inspect_query("PREFIX : <urn:> DELETE WHERE { ?s :p ?o }")


@pytest.mark.parametrize(
    ("accept", "offered", "expected"),
    [
        (None, ["a/b", "c/d"], "a/b"),
        ("c/d;q=0.9, a/b;q=0.8", ["a/b", "c/d"], "c/d"),
        ("*/*;q=0.1, c/*;q=0.5", ["a/b", "c/d"], "c/d"),
        ("a/b;q=0, */*", ["a/b", "c/d"], "c/d"),
        ("A/B", ["a/b"], "a/b"),
    ],
)
def test_negotiation(accept, offered, expected) -> None:
    assert negotiate(accept, offered) == expected


def test_nothing_acceptable() -> None:
    with pytest.raises(NotAcceptable):
        negotiate("image/png, text/*;q=0", ["text/csv"])


# --- the length limit on updates: the WHERE parts and the operations count, the data does not -----------------

CHAIN = "+".join(["1"] * 10000)
TRIPLES = " ".join(f'<urn:s{i}> <urn:p> "value {i}" .' for i in range(3000))
TEMPLATE = " ".join(f"<urn:s{i}> <urn:p> ?o ." for i in range(3000))


@pytest.mark.parametrize(
    "update",
    [
        f"INSERT DATA {{ {TRIPLES} }}",
        f"insert data {{ GRAPH <urn:g> {{ {TRIPLES} }} }}",
        f"DELETE DATA {{ GRAPH <urn:g> {{ {TRIPLES} }} }}",
        f"INSERT {{ {TEMPLATE} }} WHERE {{ ?s ?p ?o }}",
        f"WITH <urn:g> DELETE {{ {TEMPLATE} }} INSERT {{ GRAPH <urn:h> {{ {TEMPLATE} }} }} WHERE {{ ?s ?p ?o }}",
        f"DELETE {{ {TEMPLATE} }} USING <urn:g> WHERE {{ ?s ?p ?o VALUES ?o {{ {' '.join(map(str, range(6000)))} }} }}",
        f"INSERT DATA {{ {TRIPLES} }} ; INSERT {{ {TEMPLATE} }} WHERE {{ ?s ?p ?o }} ; DELETE DATA {{ {TRIPLES} }}",
        r'INSERT DATA { <urn:a> <urn:b> "caf\u00e9" . ' + TRIPLES + " }",  # an escape: both readings are checked
        "INSERT DATA {\r\n" + TRIPLES.replace(" .", " .\r\n") + "}",  # CRLF line ends
        'INSERT DATA { <urn:a> <urn:b> ("x"@en-insert ' + " ".join(map(str, range(6000))) + ") }",
    ],
)
def test_long_update_data_is_not_counted(update: str) -> None:
    inspect_update(update)


@pytest.mark.parametrize(
    "update",
    [
        "INSERT { <urn:a> <urn:b> ?x } WHERE { BIND(" + CHAIN + " AS ?x) }",
        "INSERT DATA { <urn:a> <urn:b> 1 } ; DELETE { ?s ?p ?o } WHERE { FILTER(" + CHAIN + " > 0) }",
        f"INSERT {{ {TEMPLATE} }} WHERE {{ ?s ?p ?o FILTER(" + " || ".join(["true"] * 3000) + ") }",
        "DELETE WHERE { " + " ".join(f"?s{i} <urn:p> ?o{i} ." for i in range(1300)) + " }",  # a pattern, not data
        "INSERT DATA { <urn:a> <urn:b> 1 } ;\n" * 1300,  # every operation counts its keywords
        "DELETE WHERE { ?s ?p ?o } ; INSERT { <urn:a> <urn:b> ?x } WHERE { BIND(" + CHAIN + " AS ?x) }",
    ],
)
def test_long_update_where_parts_are_refused(update: str) -> None:
    with pytest.raises(QueryRefused, match="tokens outside its data .*at most 5000 are allowed"):
        inspect_update(update)


@pytest.mark.parametrize(
    "update",
    [
        'INSERT { <urn:a> <urn:b> ?x } WHERE { ?s ?p "x"@insert { BIND(' + CHAIN + " AS ?x) } }",
        'INSERT { <urn:a> <urn:b> ?x } WHERE { ?s ?p "x"@en-data-insert { BIND(' + CHAIN + " AS ?x) } }",
        'INSERT { <urn:a> <urn:b> ?x } WHERE { ?s ?p "x"@values { BIND(' + CHAIN + " AS ?x) } }",
        "INSERT DATA { <urn:a> <urn:b> 1 } DELETE WHERE { BIND(" + CHAIN + " AS ?x) }",  # WHERE ends the template head
    ],
)
def test_no_data_block_opens_where_oxigraph_reads_a_pattern(update: str) -> None:
    with pytest.raises(QueryRefused, match="at most 5000"):
        inspect_update(update)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        # to Oxigraph '\u0027' is a string holding one quote; decoded first, it opens a long string ''' ... '''
        (r"INSERT { <urn:a> <urn:b> ?x } WHERE { BIND('\u0027' AS ?y) BIND(" + CHAIN + " AS ?x) } # '''",
         "at most 5000"),
        (r'INSERT { <urn:a> <urn:b> ?x } WHERE { BIND("\u0022" AS ?y) BIND(' + CHAIN + ' AS ?x) } # """',
         "at most 5000"),
        (r"INSERT { <urn:a> <urn:b> ?x } WHERE { BIND('\u0027' AS ?y) " + "{" * 3000 + "}" * 3000 + " } # '''",
         "at most 128"),
        # Oxigraph ends a comment at a carriage return too
        ("INSERT { <urn:a> <urn:b> ?x } WHERE { # \r BIND(" + CHAIN + " AS ?x) }", "at most 5000"),
        ("INSERT { <urn:a> <urn:b> ?x } WHERE { # \r " + "{" * 3000 + "}" * 3000 + " }", "at most 128"),
        (r"INSERT DATA { <urn:a> <urn:b> '\u0027' } ; LOAD <http://127.0.0.1:9/x> # '''", "LOAD"),
        ("INSERT DATA { <urn:a> <urn:b> 1 } # \r ; LOAD <http://127.0.0.1:9/x>", "LOAD"),
        (r"INSERT { ?s ?p ?o } WHERE { BIND('\u0027' AS ?y) SERVICE <urn:x> { ?s ?p ?o } } # '''", "SERVICE"),
    ],
    ids=["chain-after-escaped-quote", "chain-after-escaped-double-quote", "nesting-after-escaped-quote",
         "chain-after-cr-comment", "nesting-after-cr-comment", "load-after-escaped-quote", "load-after-cr-comment",
         "service-after-escaped-quote"],
)
def test_updates_are_checked_as_oxigraph_reads_them(text: str, needle: str) -> None:
    with pytest.raises(QueryRefused, match=needle):
        inspect_update(text)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('SELECT * WHERE { ?s ?p "x"@values { BIND(' + CHAIN + " AS ?x) } }", "at most 5000"),
        ('SELECT * WHERE { ?s ?p "x"@en-values { BIND(' + CHAIN + " AS ?x) } }", "at most 5000"),
        (r"SELECT * WHERE { BIND('\u0027' AS ?y) BIND(" + CHAIN + " AS ?x) } # '''", "at most 5000"),
        ("SELECT * WHERE { # \r BIND(" + CHAIN + " AS ?x) }", "at most 5000"),
        ("SELECT * WHERE { # \r " + "{" * 3000 + "}" * 3000 + " }", "at most 128"),
        (r"SELECT * WHERE { BIND('\u0027' AS ?y) SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } # '''", "SERVICE"),
        ("SELECT * WHERE { ?s ?p ?o # x\r SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", "SERVICE"),
    ],
    ids=["chain-after-language-tag", "chain-after-long-language-tag", "chain-after-escaped-quote",
         "chain-after-cr-comment", "nesting-after-cr-comment", "service-after-escaped-quote",
         "service-after-cr-comment"],
)
def test_queries_are_checked_as_oxigraph_reads_them(text: str, needle: str) -> None:
    with pytest.raises(QueryRefused, match=needle):
        inspect_query(text)


def test_escapes_and_carriage_returns_alone_are_harmless() -> None:
    assert inspect_query(r'SELECT * WHERE { ?s ?p "caf\u00e9", <urn:\u0061> }').form == "SELECT"
    assert inspect_query("SELECT * WHERE {\r\n  ?s ?p ?o # a comment\r\n}\r\n").form == "SELECT"
    assert inspect_query('ASK { ?s ?p "x"@en-values VALUES ?x { 1 } }').form == "ASK"
    inspect_update(r"INSERT DATA { <urn:a> <urn:b> '\u0027' } # '''")


def test_a_megabyte_of_in_list_is_refused_from_its_first_tokens() -> None:
    """Over EARLY_COUNT_CHARS, the tokens outside VALUES are counted one at a time and the count stops at the
    limit; a long VALUES block of the same size is still accepted."""
    in_list = "SELECT * WHERE { ?s ?p ?o FILTER(?o IN (" + ",".join(f'"{i}"' for i in range(110_000)) + ")) }"
    with pytest.raises(QueryRefused, match="more than 5000 tokens outside VALUES data"):
        inspect_query(in_list)
    values = "SELECT * WHERE { VALUES ?x { " + " ".join(f'"{i}"' for i in range(110_000)) + " } }"
    assert len(values) > 800_000 and inspect_query(values).form == "SELECT"


def test_the_cache_of_checked_texts_is_bounded_by_bytes() -> None:
    """4,200 distinct queries of 32k emoji once grew a process by a gigabyte: the cache counts their memory."""
    from clustergraph.sparql.guard import TextCache

    cache = TextCache(1_000_000)
    info = inspect_query("ASK {}")
    for n in range(200):
        cache.put(f"ASK {{}} # {n} " + "\N{GRINNING FACE}" * 8_000, info)  # about 32 KB each
    assert 900_000 < cache.used <= 1_000_000
    assert cache.get("ASK {} # 199 " + "\N{GRINNING FACE}" * 8_000) is info  # the latest are kept
    assert cache.get("ASK {} # 0 " + "\N{GRINNING FACE}" * 8_000) is None  # the oldest went first
