"""The guard remembers its verdicts per query shape (the text with its plain IRIs left out): a text and its shape
must get the same verdict from every check, whatever surrounds the IRIs (strings, comments, escapes, brackets,
keywords). Hypothesis builds texts from the pieces that change how the lexer reads what follows."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clustergraph.errors import ClusterGraphError
from clustergraph.sparql import guard
from clustergraph.sparql.guard import _inspect, inspect_query, query_shape

IRI_TEXT = st.text(alphabet="abcdefghijklmnopqrstuvwxyzSERVICELOAD0123456789:/#._~%+=&?!$*,;@-", max_size=14)
# what the shape must never swallow: a prefix no PREFIX declares (a syntax error), a forbidden keyword, brackets
# (depth); beside everything that opens or closes a string, a comment, an escape or an IRI
TELLING = ["nope:b", "SERVICE", "LOAD", "{", "(", "[", "<<"]
SWITCHES = ["'", '"', "'" * 3, '"' * 3, "#", "\n", "\r", " ", "\\", "\\u0027", "\\u0022", "\\u003C", "\\u003E",
            "\\u005C", "<", ">", ">>", "}", ")", "]"]
OTHERS = ["SELECT", "ASK", "WHERE", "FROM", "VALUES", "PREFIX", "ex:", "ex:a", "_:b", "?x", "1", "@en", "^^", "a",
          ",", ";", ".", "service", "load", "\\u0053ERVICE"]
# brackets that hold what a plain IRI may not: the shape must leave them as they are
NEAR_IRI = st.lists(st.sampled_from(TELLING + SWITCHES + ["a", ":", "x:y"]), max_size=5).map(
    lambda parts: f"<{''.join(parts)}>")
PIECES = st.one_of(st.sampled_from(TELLING), st.sampled_from(SWITCHES), st.sampled_from(SWITCHES),
                   st.sampled_from(OTHERS), IRI_TEXT.map(lambda text: f"<{text}>"), NEAR_IRI)


def _verdict(text: str) -> object:
    try:
        return _inspect(text)
    except ClusterGraphError as exc:
        return type(exc).__name__


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(PIECES, max_size=24).map("".join))
def test_a_text_and_its_shape_get_the_same_verdict(text):
    assert _verdict(text) == _verdict(query_shape(text))


def test_the_shape_keeps_iris_that_name_a_forbidden_word_and_iris_it_cannot_vouch_for():
    assert query_shape("ASK { <urn:a> ?p <urn:DownLoad> }") == "ASK { <> ?p <urn:DownLoad> }"
    assert query_shape("ASK { <urn:a b> ?p <urn:'x'> }") == "ASK { <urn:a b> ?p <urn:'x'> }"


def test_queries_that_differ_only_in_their_iris_are_checked_once(monkeypatch):
    monkeypatch.setattr(guard, "_SEEN", guard.TextCache(guard.CACHE_BYTES))
    calls = []
    monkeypatch.setattr(guard, "_inspect", lambda text: calls.append(text) or _inspect(text))
    template = "PREFIX ex: <urn:ex:> SELECT ?v WHERE {{ <{}> ex:p ?v }}"
    for n in range(5):
        assert inspect_query(template.format(f"urn:ex:item-{n}")).form == "SELECT"
    assert calls == [template.format("urn:ex:item-0")]


def test_a_refused_query_is_refused_again_though_its_shape_was_accepted(monkeypatch):
    monkeypatch.setattr(guard, "_SEEN", guard.TextCache(guard.CACHE_BYTES))
    inspect_query("SELECT * WHERE { <urn:a> ?p ?o }")
    try:
        inspect_query("SELECT * WHERE { SERVICE <urn:a> { ?s ?p ?o } }")
    except ClusterGraphError as exc:
        assert type(exc).__name__ == "QueryRefused"
    else:
        raise AssertionError("SERVICE was let through")
