"""The page lane answers 503 with Retry-After past its limit of pages at once, and never counts queries."""

from __future__ import annotations

import asyncio

from clustergraph.web.page_lane import PageLane


def test_pages_past_the_limit_get_503_and_queries_pass() -> None:
    async def scenario() -> list[tuple[str, int, dict[bytes, bytes]]]:
        release = asyncio.Event()

        async def slow_app(scope, receive, send) -> None:
            await release.wait()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})

        lane = PageLane(slow_app, limit=2)
        answers: list[tuple[str, int, dict[bytes, bytes]]] = []

        async def request(path: str) -> None:
            started: dict = {}

            async def send(message: dict) -> None:
                if message["type"] == "http.response.start":
                    started.update(message)
                    answers.append((path, message["status"], dict(message["headers"])))

            async def receive() -> dict:
                return {"type": "http.request", "body": b"", "more_body": False}

            await lane({"type": "http", "path": path, "method": "GET", "headers": []}, receive, send)

        tasks = [asyncio.create_task(request(p)) for p in ("/id/a", "/browse/organisations")]
        await asyncio.sleep(0.01)
        await request("/id/b")  # the third page: refused at once
        query = asyncio.create_task(request("/sparql"))
        await asyncio.sleep(0.01)
        assert lane.active == 2 and lane.refused == 1
        release.set()
        await asyncio.gather(*tasks, query)
        assert lane.active == 0
        return answers

    answers = asyncio.run(scenario())
    refused = [a for a in answers if a[1] == 503]
    assert [a[0] for a in refused] == ["/id/b"] and refused[0][2][b"retry-after"] == b"2"
    assert sorted(a[0] for a in answers if a[1] == 200) == ["/browse/organisations", "/id/a", "/sparql"]
