"""Named queries: ``queries/*.rq`` files with a ``#+`` metadata header and typed parameters.

Header lines, before the query text::

    #+ title: Clusters taking part in an initiative
    #+ description: One line or more on the analyst question it answers.
    #+ param: initiative iri optional default=https://w3id.org/clustergraph/id/i3 -- the initiative
    #+ param: label langstring required default="Regione Lombardia@it" -- quote defaults with spaces
    #+ param: year year required -- the report edition
    #+ column: members2024 -- Members (2024 report) -- not stated
    #+ group: network
    #+ choices: initiative -- cg:Initiative
    #+ chart: label -- members2022, members2024
    #+ page: 100

Parameter types: ``iri``, ``string``, ``langstring`` (``text@en``), ``integer``, ``year``, and
``searchtext``: a string folded as the build folds names into ``cg:searchKey`` (lower case, no accents; see
:mod:`clustergraph.kg.search_keys`). Values are checked, turned into RDF terms and bound with a ``VALUES``
block at the start of the outer ``WHERE`` group: user text is never pasted into the query.

``#+ page: N`` makes the answer a list read N rows at a time: the query gets a ``page`` parameter (1, the
first, by default) and ``LIMIT N OFFSET (page - 1) * N`` after its text, which must end with ``ORDER BY``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from clustergraph.errors import NamedQueryError
from clustergraph.iris import PREFIXES
from clustergraph.kg.search_keys import fold

XSD = "http://www.w3.org/2001/XMLSchema#"
PARAM_TYPES = ("iri", "string", "langstring", "integer", "year", "searchtext")
_HEADER = re.compile(r"^#\+\s*(\w+)\s*:\s*(.*)$")
_PARAM = re.compile(
    r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s+(?P<type>\w+)\s+(?P<need>required|optional)"
    r"(?:\s+default=(?:\"(?P<quoted>[^\"]*)\"|(?P<default>\S+)))?\s*(?:--\s*(?P<doc>.*))?$"
)
_LANGSTRING = re.compile(r"^(?P<text>.*)@(?P<lang>[a-zA-Z]{1,8}(?:-[a-zA-Z0-9]{1,8})*)$", re.DOTALL)
_IRI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*$")
MAX_VALUE_LENGTH = 2000


@dataclass(frozen=True)
class Param:
    """A typed parameter of a named query."""

    name: str
    type: str
    required: bool
    default: str | None = None
    description: str = ""

    def to_term(self, raw: str) -> ox.NamedNode | ox.Literal:
        """Check ``raw`` against the parameter type and return the RDF term.

        :raises NamedQueryError: naming the parameter and what is wrong with the value.
        """
        if len(raw) > MAX_VALUE_LENGTH:
            raise NamedQueryError(f"parameter {self.name}: value longer than {MAX_VALUE_LENGTH} characters")
        try:
            return _TERM_BUILDERS[self.type](raw)
        except (ValueError, TypeError) as exc:
            raise NamedQueryError(f"parameter {self.name}: {exc}") from exc


def _iri(raw: str) -> ox.NamedNode:
    if not _IRI_SCHEME.match(raw):
        raise ValueError(f"not an absolute IRI: {raw[:80]!r}")
    return ox.NamedNode(raw)


def _langstring(raw: str) -> ox.Literal:
    match = _LANGSTRING.match(raw)
    if not match:
        raise ValueError("expected text@lang, for example Lombardia@it")
    return ox.Literal(match["text"], language=match["lang"].lower())


def _integer(raw: str) -> ox.Literal:
    if not re.fullmatch(r"[+-]?[0-9]{1,18}", raw.strip()):
        raise ValueError(f"not an integer: {raw[:80]!r}")
    return ox.Literal(str(int(raw)), datatype=ox.NamedNode(XSD + "integer"))


def _year(raw: str) -> ox.Literal:
    if not re.fullmatch(r"[0-9]{4}", raw.strip()):
        raise ValueError(f"not a four-digit year: {raw[:80]!r}")
    return ox.Literal(raw.strip(), datatype=ox.NamedNode(XSD + "gYear"))


def _searchtext(raw: str) -> ox.Literal:
    folded = fold(raw).strip()
    if not folded:
        raise ValueError("empty search text")
    return ox.Literal(folded)


_TERM_BUILDERS = {
    "searchtext": _searchtext,
    "iri": _iri,
    "string": lambda raw: ox.Literal(raw),
    "langstring": _langstring,
    "integer": _integer,
    "year": _year,
}


@dataclass(frozen=True)
class Column:
    """A result column's header for people, and what an empty cell means ('' shows it empty)."""

    variable: str
    header: str
    empty: str = ""


@dataclass(frozen=True)
class NamedQuery:
    """A query file with its metadata."""

    name: str
    title: str
    description: str
    sparql: str
    params: tuple[Param, ...] = field(default_factory=tuple)
    path: Path | None = None
    columns: tuple[Column, ...] = field(default_factory=tuple)
    group: str = "questions"
    choices: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (IRI parameter, class of its values)
    chart: tuple[str, tuple[str, ...]] | None = None  # a bar chart: (category column, number columns)
    page_size: int | None = None  # rows per page (``#+ page: N``); the ``page`` parameter picks one

    def choice_class(self, param: str) -> str | None:
        """The class whose instances an IRI parameter is picked from (a list of labels on the page), if any."""
        return next((cls for name, cls in self.choices if name == param), None)

    def column(self, variable: str) -> Column:
        """How result column ``variable`` is headed (its variable name when the file says nothing)."""
        return next((c for c in self.columns if c.variable == variable), Column(variable, variable))

    def bind(self, values: dict[str, str]) -> str:
        """Return the query text with ``values`` bound as RDF terms (defaults fill the gaps).

        :raises NamedQueryError: for an unknown or missing parameter or an invalid value.
        """
        known = {p.name: p for p in self.params}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise NamedQueryError(f"{self.name}: unknown parameter(s) {', '.join(unknown)}")
        bindings: list[tuple[str, ox.NamedNode | ox.Literal]] = []
        for param in self.params:
            raw = values.get(param.name, param.default)
            if raw is None or raw == "":
                if param.required:
                    raise NamedQueryError(f"{self.name}: parameter {param.name} is required")
                continue
            if self.page_size and param.name == PAGE_PARAM:
                page = int(param.to_term(raw).value)
                if not 1 <= page <= MAX_PAGE:
                    raise NamedQueryError(f"{self.name}: parameter page must be between 1 and {MAX_PAGE}")
                continue
            bindings.append((param.name, param.to_term(raw)))
        sparql = inject_values(self.sparql, bindings)
        if self.page_size:
            sparql += f"\nLIMIT {self.page_size} OFFSET {(page - 1) * self.page_size}\n"
        return sparql


def inject_values(sparql: str, bindings: list[tuple[str, ox.NamedNode | ox.Literal]]) -> str:
    """Insert ``VALUES (?a ?b) { (t1 t2) }`` right after the ``{`` that opens the outer WHERE group."""
    if not bindings:
        return sparql
    brace = where_brace(sparql)
    names = " ".join(f"?{name}" for name, _ in bindings)
    terms = " ".join(str(term) for _, term in bindings)
    block = f"\n  VALUES ({names}) {{ ({terms}) }}\n"
    return sparql[: brace + 1] + block + sparql[brace + 1 :]


@functools.lru_cache(maxsize=512)
def where_brace(sparql: str) -> int:
    """Index of the ``{`` opening the outer WHERE group, skipping comments, strings and IRIs (remembered per
    text: a named query's text is bound on every request).

    :raises NamedQueryError: when the query has no WHERE keyword followed by a group.
    """
    i, n, seen_where = 0, len(sparql), False
    while i < n:
        ch = sparql[i]
        if ch == "#":
            i = _skip_to(sparql, i, "\n")
        elif ch in "\"'":
            i = _skip_string(sparql, i)
        elif ch == "<" and _IRI.match(sparql, i):
            i = sparql.index(">", i) + 1
        elif ch == "{" and seen_where:
            return i
        elif ch.isalpha():
            word = _WORD.match(sparql, i).group(0)  # type: ignore[union-attr]
            seen_where = seen_where or (word.upper() == "WHERE" and sparql[i - 1 : i] not in ("?", "$", ":"))
            i += len(word)
        else:
            i += 1
    raise NamedQueryError("a named query needs an explicit WHERE { ... } group")


_IRI = re.compile(r"<[^\s<>\"{}|^`\\]*>")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _skip_to(text: str, start: int, end: str) -> int:
    found = text.find(end, start)
    return len(text) if found < 0 else found + 1


def _skip_string(text: str, start: int) -> int:
    quote = text[start]
    long = text.startswith(quote * 3, start)
    delim = quote * 3 if long else quote
    i = start + len(delim)
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(delim, i):
            return i + len(delim)
        i += 1
    return len(text)


def parse_named_query(path: Path) -> NamedQuery:
    """Read one ``.rq`` file and its header.

    :raises NamedQueryError: naming the file and line of a malformed header.
    """
    text = path.read_text(encoding="utf-8")
    meta: dict[str, str] = {}
    params: list[Param] = []
    columns: list[Column] = []
    choices: list[tuple[str, str, int]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        match = _HEADER.match(line.strip())
        if not match:
            continue
        key, value = match[1].lower(), match[2].strip()
        if key == "param":
            params.append(_parse_param(path, lineno, value))
        elif key == "column":
            columns.append(_parse_column(path, lineno, value))
        elif key == "group":
            meta["group"] = value
        elif key == "chart":
            meta["chart"] = value
            meta["chart_line"] = str(lineno)
        elif key == "page":
            meta["page"] = value
            meta["page_line"] = str(lineno)
        elif key == "choices":
            choices.append((*_parse_choices(path, lineno, value), lineno))
        else:
            meta[key] = (meta.get(key, "") + " " + value).strip()
    if "title" not in meta:
        raise NamedQueryError(f"{path}: missing '#+ title:' header line")
    group = meta.get("group", "questions")
    if group not in GROUPS:
        raise NamedQueryError(f"{path}: '#+ group: {group}' is not one of {', '.join(GROUPS)}")
    iri_params = {p.name for p in params if p.type == "iri"}
    for name, _, lineno in choices:
        if name not in iri_params:
            raise NamedQueryError(f"{path}:{lineno}: choices for {name!r}, which is not an iri parameter")
    chart = _parse_chart(path, int(meta.get("chart_line", "0")), meta["chart"]) if "chart" in meta else None
    for param in params:
        if not re.search(rf"[?$]{param.name}\b", _strip_comments(text)):
            raise NamedQueryError(f"{path}: parameter {param.name} is not used as ?{param.name} in the query")
    page_size = None
    if "page" in meta:
        page_size = _parse_page(path, int(meta["page_line"]), meta["page"], text, params)
        params.append(Param(PAGE_PARAM, "integer", False, "1", f"page of {page_size} rows (1 is the first)"))
    query = NamedQuery(path.stem, meta["title"], meta.get("description", ""), text, tuple(params), path,
                       tuple(columns), group, tuple((name, cls) for name, cls, _ in choices), chart, page_size)
    where_brace(text)
    return query


PAGE_PARAM = "page"
MAX_PAGE = 100_000


def _parse_page(path: Path, lineno: int, spec: str, text: str, params: list[Param]) -> int:
    """``N``: rows per page, 1 to 10,000; the query must end with ORDER BY (a page of an unordered answer is
    not defined) and have no LIMIT, OFFSET or ``page`` parameter of its own.

    :raises NamedQueryError: naming the file and line.
    """
    if not re.fullmatch(r"[0-9]{1,5}", spec) or not 1 <= int(spec) <= 10_000:
        raise NamedQueryError(f"{path}:{lineno}: bad page line; expected '#+ page: N' with N from 1 to 10000")
    body = _strip_comments(text)
    tail = body[body.upper().rfind("ORDER BY"):] if "ORDER BY" in body.upper() else ""
    if not tail or "}" in tail or re.search(r"\b(LIMIT|OFFSET)\b", tail, re.IGNORECASE):
        raise NamedQueryError(f"{path}:{lineno}: a paged query ends with ORDER BY and has no LIMIT or OFFSET")
    if any(p.name == PAGE_PARAM for p in params):
        raise NamedQueryError(f"{path}:{lineno}: a paged query has its own '{PAGE_PARAM}' parameter")
    return int(spec)


GROUPS = ("questions", "network", "browse")  # analysts' questions; the rows behind the network views and browse lists


def _parse_chart(path: Path, lineno: int, spec: str) -> tuple[str, tuple[str, ...]]:
    """``category -- number, number, ...``: a bar per row, one series per number column.

    :raises NamedQueryError: naming the file and line of a malformed chart line.
    """
    category, _, series = spec.partition(" -- ")
    names = tuple(name.strip() for name in series.split(","))
    if not re.fullmatch(r"[A-Za-z_]\w*", category.strip()) or not all(re.fullmatch(r"[A-Za-z_]\w*", n) for n in names):
        raise NamedQueryError(f"{path}:{lineno}: bad chart line; expected 'category -- number, number, ...'")
    return category.strip(), names


def _parse_choices(path: Path, lineno: int, spec: str) -> tuple[str, str]:
    """``param -- prefix:Class`` (a project prefix) or ``param -- <IRI>``.

    :raises NamedQueryError: naming the file and line of a malformed line or an unknown prefix.
    """
    parts = [part.strip() for part in spec.split(" -- ")]
    if len(parts) != 2 or not re.fullmatch(r"[A-Za-z_]\w*", parts[0]):
        raise NamedQueryError(f"{path}:{lineno}: bad choices line; expected 'parameter -- prefix:Class'")
    target = parts[1]
    if target.startswith("<") and target.endswith(">"):
        return parts[0], target[1:-1]
    prefix, _, local = target.partition(":")
    if prefix not in PREFIXES or not local:
        raise NamedQueryError(f"{path}:{lineno}: {target!r} is not <IRI> or a known prefix:Class")
    return parts[0], PREFIXES[prefix] + local


def _parse_column(path: Path, lineno: int, spec: str) -> Column:
    """``var -- Header [-- text for an empty cell]``.

    :raises NamedQueryError: naming the file and line of a malformed column line.
    """
    parts = [part.strip() for part in spec.split(" -- ")]
    if len(parts) not in (2, 3) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", parts[0]) or not parts[1]:
        raise NamedQueryError(f"{path}:{lineno}: bad column line; expected 'variable -- Header [-- empty text]'")
    return Column(parts[0], parts[1], parts[2] if len(parts) == 3 else "")


def _parse_param(path: Path, lineno: int, spec: str) -> Param:
    match = _PARAM.match(spec)
    if not match or match["type"] not in PARAM_TYPES:
        raise NamedQueryError(
            f"{path}:{lineno}: bad parameter line; expected 'name TYPE required|optional [default=V] -- text' "
            f"with TYPE one of {', '.join(PARAM_TYPES)}"
        )
    default = match["quoted"] if match["quoted"] is not None else match["default"]
    param = Param(match["name"], match["type"], match["need"] == "required", default, match["doc"] or "")
    if param.default is not None:
        try:
            param.to_term(param.default)
        except NamedQueryError as exc:
            raise NamedQueryError(f"{path}:{lineno}: default value: {exc}") from exc
    return param


def _strip_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def load_named_queries(folder: Path) -> dict[str, NamedQuery]:
    """Every ``*.rq`` file of ``folder`` by name, sorted.

    :raises NamedQueryError: for the first malformed file.
    """
    return {q.name: q for q in (parse_named_query(p) for p in sorted(folder.glob("*.rq")))}
