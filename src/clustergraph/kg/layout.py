"""Where the project's inputs and the store live, relative to a project root."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clustergraph.errors import LayoutError

RDF_SUFFIXES = (".ttl", ".nt", ".nq", ".trig", ".jsonld", ".rdf", ".owl")


@dataclass(frozen=True)
class Layout:
    """Folders of one clustergraph project."""

    root: Path

    @property
    def ontology_dir(self) -> Path:
        return self.root / "ontology"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def shapes_dir(self) -> Path:
        return self.root / "shapes"

    @property
    def queries_dir(self) -> Path:
        return self.root / "queries"

    @property
    def default_store(self) -> Path:
        return self.root / ".store"

    def check(self) -> None:
        """Raise LayoutError unless ontology/, data/ and shapes/ exist.

        :raises LayoutError: naming the first missing folder.
        """
        for folder in (self.ontology_dir, self.data_dir, self.shapes_dir):
            if not folder.is_dir():
                raise LayoutError(f"{folder}: folder not found (run from the project root or pass --root)")

    def ontology_files(self) -> list[Path]:
        return _rdf_files(self.ontology_dir)

    def shapes_files(self) -> list[Path]:
        return _rdf_files(self.shapes_dir)

    def data_folders(self) -> list[Path]:
        """Sub-folders of data/, one per source graph, sorted by name."""
        return sorted(p for p in self.data_dir.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))

    def data_files(self, folder: Path) -> list[Path]:
        return _rdf_files(folder)


def _rdf_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in RDF_SUFFIXES)
