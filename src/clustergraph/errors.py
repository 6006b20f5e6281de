"""Typed errors raised by the library; the CLI and the HTTP app each map them once."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


class ClusterGraphError(Exception):
    """Base of every error this package raises on purpose."""


class DataError(ClusterGraphError):
    """The curated data cannot be accepted (exit code 1)."""


@dataclass
class DataSyntaxError(DataError):
    """A data, ontology or shapes file is not well-formed RDF."""

    path: Path
    line: int | None
    column: int | None
    detail: str

    def __str__(self) -> str:
        where = f"{self.path}"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: syntax error: {self.detail}"


@dataclass(frozen=True)
class Violation:
    """One SHACL validation result, located in the data files that describe its focus node.

    ``files`` are locations, ``data/folder/file.ttl:12``: the line where the focus node is first a subject in
    that file (see :func:`clustergraph.kg.dataset.term_lines`), or the bare file name when no line is known.
    """

    severity: str
    focus: str
    path: str | None
    value: str | None
    message: str
    shape: str
    files: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line a curator can act on (``file:line | focus | path | value | shape``), then the message."""
        parts = [f"[{self.severity}]", ", ".join(self.files) or "(no file)", f"focus {self.focus}"]
        if self.path:
            parts.append(f"path {self.path}")
        if self.value:
            parts.append(f"value {self.value}")
        parts.append(f"shape {self.shape}")
        return " | ".join(parts) + f"\n    {self.message}"


@dataclass
class ValidationFailed(DataError):
    """The data violates one or more SHACL shapes of severity Violation."""

    violations: list[Violation] = field(default_factory=list)
    warnings: list[Violation] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"{len(self.violations)} SHACL violation(s); nothing was loaded:"]
        lines += [v.describe() for v in self.violations]
        return "\n".join(lines)


class LayoutError(ClusterGraphError):
    """The project folders (ontology/, data/, shapes/, queries/) are missing or misplaced."""


class ShapesError(ClusterGraphError):
    """The SHACL shapes themselves are malformed (a defect of shapes/, not of the data)."""


class StoreError(ClusterGraphError):
    """The store cannot be opened, built or swapped."""


class QueryError(ClusterGraphError):
    """A SPARQL query is malformed or failed to run."""


class NamedQueryError(ClusterGraphError):
    """A named query file or its parameters are invalid."""


class SettingsError(ClusterGraphError):
    """A setting has an unknown name or a value of the wrong type."""


class QuerySyntaxError(QueryError):
    """A SPARQL text does not parse; the message names the line and column (also given here when known)."""

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


class QueryRefused(QueryError):
    """A query is well-formed but asks for something this server never does (SERVICE, LOAD, unknown graphs)."""


class QueryTimeout(QueryError):
    """A query ran past its time limit and was stopped."""


class ServerBusy(ClusterGraphError):
    """Every query worker stayed busy for longer than the request could wait."""


class WorkerLost(ServerBusy):
    """The worker process running a query died (crash, out of memory, killed from outside); it is replaced."""


class WriteTimeout(ServerBusy):
    """A write ran past its time limit and its worker process was killed; nothing was changed."""


class NotFound(ClusterGraphError):
    """The requested resource, graph or named query does not exist."""


class NotAcceptable(ClusterGraphError):
    """No representation the server offers matches the client's Accept header."""


class UnsupportedMediaType(ClusterGraphError):
    """A request body comes with a Content-Type the endpoint does not read."""


class BadRequest(ClusterGraphError):
    """A request is malformed (missing or repeated parameters, bad values)."""


class Unauthorized(ClusterGraphError):
    """A write needs the bearer token and none was sent."""


class Forbidden(ClusterGraphError):
    """A write came with a wrong token."""


class PayloadTooLarge(ClusterGraphError):
    """A request body is larger than the configured cap."""
