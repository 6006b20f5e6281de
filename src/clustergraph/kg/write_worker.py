"""The child side of a write: ``python -m clustergraph.kg.write_worker STORE_ROOT`` reads one pickled
:class:`~clustergraph.kg.writes.WriteJob` from its standard input, applies it (:func:`~clustergraph.kg.writes.run_job`),
and writes one JSON line to its standard output: ``{"ok": true}``, or ``{"ok": false, "error": <class name in
clustergraph.errors>, "message": ..., "line": ..., "column": ...}`` for a typed error. Anything else (no line
at all: killed, crashed) is for the parent to report. One write per process: a fresh process costs about
0.06 s (Python with pyoxigraph, no rdflib), little next to the store copy of each write.
"""

from __future__ import annotations

import json
import pickle
import sys
from pathlib import Path

from clustergraph.errors import ClusterGraphError
from clustergraph.kg.store import StoreRoot
from clustergraph.kg.writes import WriteJob, run_job
from clustergraph.limits import limit_memory


def main(store_root: str) -> int:
    """Run the job on standard input over ``store_root``; 0 after a typed answer, 1 after an unexpected error."""
    job: WriteJob = pickle.load(sys.stdin.buffer)  # from the parent only: the pipe it opened for this process
    try:
        run_job(StoreRoot(Path(store_root)), job)
        answer: dict[str, object] = {"ok": True}
    except ClusterGraphError as exc:
        answer = {"ok": False, "error": type(exc).__name__, "message": str(exc),
                  "line": getattr(exc, "line", None), "column": getattr(exc, "column", None)}
    except Exception as exc:  # noqa: BLE001 - say what went wrong; the parent maps it to a QueryError
        answer = {"ok": False, "error": "QueryError", "message": f"write failed: {type(exc).__name__}: {exc}"}
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 2:
        limit_memory(int(sys.argv[2]))  # past it, an allocation aborts this worker, not the server
    sys.exit(main(sys.argv[1]))
