"""Read the ontology and the curated data files, one named graph per source folder: straight into an Oxigraph
store (the build), or into quads in memory (pySHACL, and small tools)."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from clustergraph.errors import DataSyntaxError
from clustergraph.iris import ONTOLOGY_GRAPH, graph_for_folder
from clustergraph.layout import Layout


@dataclass
class ParsedDataset:
    """Every quad of the project, with an index from nodes back to the files that mention them."""

    quads: list[ox.Quad] = field(default_factory=list)
    files_by_subject: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    files_by_object: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    triples_per_graph: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    files: list[str] = field(default_factory=list)

    def files_for(self, node: str, value: str | None = None) -> tuple[str, ...]:
        """Files that describe ``node``, else files that point at ``value``, sorted."""
        found = self.files_by_subject.get(node) or (self.files_by_object.get(value or "") if value else None)
        return tuple(sorted(found or ()))


@dataclass(frozen=True)
class Source:
    """One RDF file of the project and the named graph its triples go to."""

    path: Path
    graph: str
    name: str  # the path shown in messages, relative to the project root

    @property
    def format(self) -> ox.RdfFormat:
        try:
            return ox.RdfFormat.from_extension(self.path.suffix.lstrip(".")) or ox.RdfFormat.TURTLE
        except ValueError:
            return ox.RdfFormat.TURTLE


def project_sources(layout: Layout) -> list[Source]:
    """The ontology files (into the ontology graph), then each ``data/<folder>/`` into ``graph/<folder>``.

    :raises LayoutError: when a project folder is missing.
    """
    layout.check()
    pairs = [(p, ONTOLOGY_GRAPH) for p in layout.ontology_files()]
    for folder in layout.data_folders():
        pairs += [(p, graph_for_folder(folder.name)) for p in layout.data_files(folder)]
    return [Source(p, g, _display(p, layout.root)) for p, g in pairs]


def load_sources(store: ox.Store, sources: list[Source], progress: Callable[[str], None] = lambda _: None) -> None:
    """Parse and load every source into ``store`` with Oxigraph's bulk loader (no Python per triple).

    Each file gets its own blank nodes, as if parsed apart.

    :raises DataSyntaxError: with the file, line and column of the first syntax error.
    """
    for source in sources:
        progress(f"loading {source.name}")
        try:
            store.bulk_load(path=str(source.path), format=source.format, to_graph=ox.NamedNode(source.graph))
        except SyntaxError as exc:
            raise DataSyntaxError(Path(source.name), exc.lineno, exc.offset, _first_line(exc.msg)) from exc
        except ValueError as exc:
            raise DataSyntaxError(Path(source.name), None, None, str(exc)) from exc


class FileIndex:
    """Which files describe a node, or point at a value; built on first use by parsing the files again, so a
    build that finds nothing to report never pays for it."""

    def __init__(self, sources: list[Source]) -> None:
        self.sources = sources
        self._dataset: ParsedDataset | None = None
        self._lock = threading.Lock()

    def files_for(self, node: str, value: str | None = None) -> tuple[str, ...]:
        with self._lock:  # validation threads may ask at the same time
            if self._dataset is None:
                dataset = ParsedDataset()
                for source in self.sources:
                    for q in parse_file(source.path, source.graph):
                        dataset.files_by_subject[_key(q.subject)].add(source.name)
                        dataset.files_by_object[_key(q.object)].add(source.name)
                self._dataset = dataset
        return self._dataset.files_for(node, value)


def parse_file(path: Path, graph: str) -> list[ox.Quad]:
    """Parse one RDF file (format from its extension) into quads of ``graph``.

    :raises DataSyntaxError: with the file, line and column of the first syntax error.
    """
    fmt = Source(path, graph, str(path)).format
    target = ox.NamedNode(graph)
    try:
        parsed = ox.parse(path=str(path), format=fmt, base_iri=None)
        return [ox.Quad(q.subject, q.predicate, q.object, target) for q in parsed]
    except SyntaxError as exc:
        raise DataSyntaxError(path, exc.lineno, exc.offset, _first_line(exc.msg)) from exc
    except (OSError, ValueError) as exc:
        raise DataSyntaxError(path, None, None, str(exc)) from exc


def load_project(layout: Layout) -> ParsedDataset:
    """Parse the ontology into its graph and each ``data/<folder>/`` into ``graph/<folder>``.

    :raises DataSyntaxError: for the first file that does not parse.
    """
    dataset = ParsedDataset()
    for source in project_sources(layout):
        quads = parse_file(source.path, source.graph)
        dataset.files.append(source.name)
        dataset.quads.extend(quads)
        dataset.triples_per_graph[source.graph] += len(quads)
        for q in quads:
            dataset.files_by_subject[_key(q.subject)].add(source.name)
            dataset.files_by_object[_key(q.object)].add(source.name)
    return dataset


def _key(term: object) -> str:
    return term.value if isinstance(term, ox.NamedNode) else str(term)


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _first_line(message: str) -> str:
    return message.splitlines()[0] if message else "invalid RDF"
