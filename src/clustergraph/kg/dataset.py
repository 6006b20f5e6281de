"""Read the ontology and the curated data files, one named graph per source folder: straight into an Oxigraph
store (the build), or into quads in memory (pySHACL, and small tools)."""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import pyoxigraph as ox

from clustergraph.errors import DataSyntaxError
from clustergraph.iris import ONTOLOGY_GRAPH, graph_for_folder
from clustergraph.kg.layout import Layout


@dataclass
class ParsedDataset:
    """Every quad of the project, with an index from nodes back to the files that mention them."""

    quads: list[ox.Quad] = field(default_factory=list)
    files_by_subject: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    files_by_object: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    triples_per_graph: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    files: list[str] = field(default_factory=list)
    paths: dict[str, Path] = field(default_factory=dict)  # shown name -> file, where lines are looked up
    _lines: dict[str, dict[str, TermLines]] = field(default_factory=dict, init=False, repr=False)  # per file

    def files_for(self, node: str, value: str | None = None) -> tuple[str, ...]:
        """The files at fault for a result on ``node`` with ``value``, as sorted ``file:line`` locations.

        Those are the files that describe ``node`` and point at ``value``; else, when none does, the files
        that point at ``value`` (``node`` is then only the anchor of a check, such as the dangling-reference
        check's ``cgr:dataset``); else the files that describe ``node``; else (a node no file describes, such as an authority term a file points at) the files that point at it. The line is the first where ``node``
        is a subject in that file (else where it first appears, else where ``value`` first appears); a file
        is named without a line when none is found. Files are read for lines only here, so only when there
        is something to report.
        """
        described = self.files_by_subject.get(node, set())
        pointing = self.files_by_object.get(value, set()) if value and value != node else set()
        found = (described & pointing) or pointing or described or self.files_by_object.get(node, set())
        return tuple(self._locate(name, node, value) for name in sorted(found))

    def _locate(self, name: str, node: str, value: str | None) -> str:
        """``name:line`` for ``node`` (or ``value``) in the file shown as ``name``, or ``name`` alone."""
        path = self.paths.get(name)
        if path is None:
            return name
        if name not in self._lines:
            self._lines[name] = term_lines(path)
        lines = self._lines[name]
        line = (lines[node].subject or lines[node].first) if node in lines else None
        if line is None and value is not None and value in lines:
            line = lines[value].first
        return f"{name}:{line}" if line is not None else name


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
        """``file:line`` locations of ``node`` (see :meth:`ParsedDataset.files_for`)."""
        with self._lock:  # validation threads may ask at the same time (and share the line cache)
            if self._dataset is None:
                dataset = ParsedDataset(paths={source.name: source.path for source in self.sources})
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
        dataset.paths[source.name] = source.path
        dataset.quads.extend(quads)
        dataset.triples_per_graph[source.graph] += len(quads)
        for q in quads:
            dataset.files_by_subject[_key(q.subject)].add(source.name)
            dataset.files_by_object[_key(q.object)].add(source.name)
    return dataset


@dataclass(frozen=True)
class TermLines:
    """Where one IRI appears in a file: the first line where it is a subject (if ever), the first line at all."""

    subject: int | None
    first: int


_TURTLE_FAMILY = (".ttl", ".trig", ".nt", ".nq")
_TOKEN = re.compile(r'''
    (?P<space>\s+) | (?P<comment>\#[^\n]*)
  | (?P<string>"""(?:[^"\\]|\\.|"(?!""))*""" | \'\'\'(?:[^'\\]|\\.|'(?!\'\'))*\'\'\'
              | "(?:[^"\\\n]|\\.)*" | '(?:[^'\\\n]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\s]*>)
  | (?P<punct>[;,\[\](){}])
  | (?P<word>[^\s;,\[\](){}<>"'\#]+)
  | (?P<other>.)
''', re.VERBOSE | re.DOTALL)
_DIRECTIVES = {"@prefix": "prefix", "prefix": "prefix", "@base": "base", "base": "base"}


def term_lines(path: Path) -> dict[str, TermLines]:
    """For every IRI one data file names, the first line where it is a subject and the first line at all.

    Neither parser gives line numbers per triple, so Turtle, TriG, N-Triples and N-Quads are read token by
    token (strings and comments skipped): an IRI is written in full (``<…>``, resolved against ``@base``) or
    as a prefixed name of the file's own ``@prefix``/``PREFIX`` declarations, and is a subject when it starts
    a statement. For other formats (RDF/XML, JSON-LD) only the first line holding the IRI's text is known.
    """
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix not in _TURTLE_FAMILY:
        return _plain_text_lines(text)
    found: dict[str, TermLines] = {}
    prefixes: dict[str, str] = {}
    base, directive, declared = "", "", ""
    starts_statement, depth = True, 0
    for kind, token, line in _tokens(text):
        if directive:  # reading "@prefix p: <iri> ." or "BASE <iri>"
            if kind == "word" and token.endswith(":"):
                declared = token[:-1]
            elif kind == "iri":
                iri = urljoin(base, token[1:-1])
                if directive == "base":
                    base = iri
                else:
                    prefixes[declared] = iri
                directive, starts_statement = "", True
            continue
        if kind == "word" and token.lower() in _DIRECTIVES and (token.startswith("@") or starts_statement):
            directive, declared = _DIRECTIVES[token.lower()], ""
            continue
        iri = _expand(kind, token, prefixes, base)
        if iri is not None:
            seen = found.get(iri)
            subject = line if starts_statement and depth == 0 else None
            if seen is None or (seen.subject is None and subject is not None):
                found[iri] = TermLines(subject, seen.first if seen else line)
        if kind == "punct" and token in "[(":
            depth += 1
        elif kind == "punct" and token in ")]":
            depth = max(0, depth - 1)
        starts_statement = depth == 0 and token in (".", "{", "}")
    return found


def _tokens(text: str) -> Iterator[tuple[str, str, int]]:
    """Turtle-family tokens as (kind, text, line), without spaces and comments; a statement's final dot
    glued to a word (``cgr:afil.``) is a token of its own."""
    line = 1
    for match in _TOKEN.finditer(text):
        kind, token = match.lastgroup or "other", match[0]
        at, line = line, line + token.count("\n")
        if kind in ("space", "comment"):
            continue
        if kind == "word" and token.endswith("."):
            stripped = token.rstrip(".")
            if stripped:
                yield kind, stripped, at
            yield "punct", ".", at
            continue
        yield kind, token, at


def _expand(kind: str, token: str, prefixes: dict[str, str], base: str) -> str | None:
    """The full IRI a token names (``<…>`` or a declared prefixed name), or None."""
    if kind == "iri":
        return urljoin(base, token[1:-1]) if base else token[1:-1]
    if kind == "word" and ":" in token:
        prefix, _, local = token.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
    return None


def _plain_text_lines(text: str) -> dict[str, TermLines]:
    """For files not read token by token: the first line where each absolute IRI's text appears."""
    found: dict[str, TermLines] = {}
    for number, content in enumerate(text.splitlines(), start=1):
        for match in re.finditer(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s\"'<>{}|\\^`]+", content):
            found.setdefault(match[0], TermLines(None, number))
    return found


def _key(term: object) -> str:
    return term.value if isinstance(term, ox.NamedNode) else str(term)


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _first_line(message: str) -> str:
    return message.splitlines()[0] if message else "invalid RDF"
