"""The worker's answer messages: a short answer travels as one message, a long one as a stream, and the web
process reads both into the same bytes."""

from __future__ import annotations

import asyncio

import pyoxigraph as ox

from clustergraph.querying.answer import WholeAnswer
from clustergraph.querying.worker import CHUNK_BYTES, AnswerSender, QueryJob, write_answer


def _messages(size: int) -> list[tuple]:
    sent: list[tuple] = []
    sender = AnswerSender(sent.append)
    sender.start("graph", True)
    for start in range(0, size, 1000):
        sender.write(b"x" * min(1000, size - start))
        sender.flush()  # a writer's flush: no message of its own
    sender.finish()
    return sent


def test_a_short_answer_is_one_message_with_its_head():
    assert _messages(5000) == [("whole", "graph", True, b"x" * 5000)]
    assert _messages(0) == [("whole", "graph", True, b"")]


def test_a_long_answer_streams_its_head_first_then_pieces_then_the_end():
    sent = _messages(3 * CHUNK_BYTES + 10)
    assert sent[0] == ("meta", "graph", True)
    assert sent[-1] == ("end",)
    pieces = sent[1:-1]
    assert all(kind == "chunk" for kind, _ in pieces) and len(pieces) == 3
    assert all(len(body) >= CHUNK_BYTES for _, body in pieces[:-1]), "pieces of about CHUNK_BYTES"
    assert b"".join(body for _, body in pieces) == b"x" * (3 * CHUNK_BYTES + 10)


def test_a_select_answer_written_by_the_worker_reads_back_whole():
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:x:a"), ox.NamedNode("urn:x:p"), ox.Literal("b")))
    sent: list[tuple] = []
    sender = AnswerSender(sent.append)
    job = QueryJob(sparql="SELECT ?s ?o WHERE { ?s ?p ?o }", row_cap=10, byte_cap=2**20)
    write_answer(store.query(job.sparql), job, sender.start, sender,
                 rerun=lambda: store.query(job.sparql))
    sender.finish()
    [(kind, form, truncated, body)] = sent
    assert (kind, form, truncated) == ("whole", "solutions", False)
    answer = WholeAnswer(form, truncated, body)
    assert asyncio.run(answer.read_all()) == body
    rows = list(ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON))
    assert [(r["s"].value, r["o"].value) for r in rows] == [("urn:x:a", "b")]
