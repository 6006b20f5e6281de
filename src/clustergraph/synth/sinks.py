"""Streaming N-Triples output: one file per stem, rotated every ``limit`` triples."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO


# --- output ---------------------------------------------------------------------------------------------
class _Sink:
    """N-Triples lines to ``folder/stem-NNN.nt``, a new file every ``limit`` triples."""

    def __init__(self, folder: Path, stem: str, limit: int) -> None:
        self.folder, self.stem, self.limit = folder, stem, limit
        self.part, self.count, self.total = 0, 0, 0
        self.handle: TextIO | None = None
        self.paths: list[Path] = []

    def __call__(self, s: str, p: str, o: str) -> None:
        if self.handle is None or self.count >= self.limit:
            self._rotate()
        self.handle.write(f"{s} {p} {o} .\n")  # type: ignore[union-attr]
        self.count += 1
        self.total += 1

    def _rotate(self) -> None:
        if self.handle is not None:
            self.handle.close()
        self.part += 1
        self.count = 0
        path = self.folder / f"{self.stem}-{self.part:03d}.nt"
        self.paths.append(path)
        self.handle = path.open("w", encoding="utf-8", newline="\n")

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


class _Out:
    """One sink per (folder, kind of content)."""

    def __init__(self, root: Path, limit: int) -> None:
        self.root, self.limit = root, limit
        self.sinks: dict[tuple[str, str], _Sink] = {}

    def __call__(self, folder: str, stem: str) -> _Sink:
        key = (folder, stem)
        sink = self.sinks.get(key)
        if sink is None:
            (self.root / folder).mkdir(parents=True, exist_ok=True)
            sink = self.sinks[key] = _Sink(self.root / folder, stem, self.limit)
        return sink

    def close(self) -> None:
        for sink in self.sinks.values():
            sink.close()

    @property
    def triples(self) -> int:
        return sum(s.total for s in self.sinks.values())

    @property
    def files(self) -> int:
        return sum(len(s.paths) for s in self.sinks.values())
