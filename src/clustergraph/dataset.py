"""Parse the ontology and the curated data files into quads, one named graph per source folder."""

from __future__ import annotations

from collections import defaultdict
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


def parse_file(path: Path, graph: str) -> list[ox.Quad]:
    """Parse one RDF file (format from its extension) into quads of ``graph``.

    :raises DataSyntaxError: with the file, line and column of the first syntax error.
    """
    try:
        fmt = ox.RdfFormat.from_extension(path.suffix.lstrip(".")) or ox.RdfFormat.TURTLE
    except ValueError:
        fmt = ox.RdfFormat.TURTLE
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
    layout.check()
    dataset = ParsedDataset()
    sources = [(p, ONTOLOGY_GRAPH) for p in layout.ontology_files()]
    for folder in layout.data_folders():
        sources += [(p, graph_for_folder(folder.name)) for p in layout.data_files(folder)]
    for path, graph in sources:
        quads = parse_file(path, graph)
        name = _display(path, layout.root)
        dataset.files.append(name)
        dataset.quads.extend(quads)
        dataset.triples_per_graph[graph] += len(quads)
        for q in quads:
            dataset.files_by_subject[_key(q.subject)].add(name)
            dataset.files_by_object[_key(q.object)].add(name)
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
