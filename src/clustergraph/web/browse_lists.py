"""The browse lists' facets, sort orders, figures and pages.

Per kind and build, an :class:`Index` holds every resource of the kind with its facet values (kind, S3
ecosystem, initiative family, programme, the source documents that state it) and its figures (member counts,
initiatives, partners, EU contribution), read by the ``browse-*`` named queries (a handful of queries, whatever
the number of resources or facet values). A request then filters, counts, sorts and pages that index in Python:
every facet's counts come from one pass over the rows, and only one page of rows is rendered. No HTTP here;
bad parameters raise :class:`BadRequest` naming the parameter.
"""

from __future__ import annotations

import pickle
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox

from clustergraph.errors import BadRequest
from clustergraph.iris import ONTOLOGY, PREFIXES, compact
from clustergraph.querying.named import NamedQuery
from clustergraph.web.catalogue import Kind, Labels, Select, fold

CG = ONTOLOGY
DCT_SOURCE = PREFIXES["dct"] + "source"
PAGE_SIZE = 100
KEPT_FILTERS = 16  # searches and facet choices whose rows and counts an index keeps
CURRENCY_SIGNS = {"EUR": "€", "USD": "$", "GBP": "£"}


@dataclass(frozen=True)
class Facet:
    """A way to narrow a list: the URL parameter, its heading and where its values come from (``type``: the
    resource's class; ``property``: a property's values; ``participation``: families of the initiatives the
    resource takes part in; ``source``: the documents that state the resource)."""

    param: str
    title: str
    origin: str
    property: str = ""


@dataclass(frozen=True)
class SortOrder:
    """A sort the list offers: the value of ``?sort=`` and the column heading it belongs to."""

    param: str
    title: str


KIND = Facet("kind", "Kind", "type")
SOURCE = Facet("source", "Edition (source)", "source")
FAMILY = Facet("family", "Family", "property", CG + "family")
PROGRAMME = Facet("programme", "Programme", "property", CG + "fundedUnder")
TAKES_PART = Facet("family", "Initiative family", "participation")
FACETS: dict[str, tuple[Facet, ...]] = {
    "clusters": (Facet("kind", "Kind", "property", CG + "clusterType"),
                 Facet("ecosystem", "S3 ecosystem", "property", CG + "referenceEcosystem"), TAKES_PART, SOURCE),
    "organisations": (KIND, TAKES_PART, SOURCE),
    "initiatives": (KIND, FAMILY, PROGRAMME, SOURCE),
    "projects": (FAMILY, PROGRAMME, SOURCE),
    "programmes": (FAMILY,),
    "ecosystems": (KIND,),
    "policy-instruments": (KIND, Facet("adopter", "Adopted by", "property", CG + "adoptedBy"), SOURCE),
}
NAME = SortOrder("name", "Name")
MEMBERS = SortOrder("members", "Members")
INITIATIVES = SortOrder("initiatives", "Initiatives")
PARTNERS = SortOrder("partners", "Partners")
CONTRIBUTION = SortOrder("contribution", "EU contribution")
SORTS: dict[str, tuple[SortOrder, ...]] = {
    "clusters": (NAME, MEMBERS, INITIATIVES), "organisations": (NAME, MEMBERS, INITIATIVES),
    "initiatives": (NAME, PARTNERS, CONTRIBUTION), "projects": (NAME, PARTNERS, CONTRIBUTION),
}
ORDERS = ("asc", "desc")


@dataclass(frozen=True, slots=True)
class Observation:
    """One stated total member count."""

    value: int
    year: str
    approximate: bool
    lower_bound: bool
    source: str


@dataclass(frozen=True)
class Figure:
    """The member count a list shows for an organisation, and every source that states it."""

    value: int
    year: str
    approximate: bool
    lower_bound: bool
    sources: tuple[str, ...]

    @property
    def text(self) -> str:
        """``"13,000"``, ``"~700"`` (approximate) or ``"> 13,000"`` (a lower bound).

        >>> Figure(13000, "2024", False, True, ()).text
        '> 13,000'
        """
        mark = "> " if self.lower_bound else "~" if self.approximate else ""
        return f"{mark}{self.value:,}"

    @property
    def note(self) -> str:
        """Year and sources, for the cell's title: ``"144 (2022 report, 2022)"``."""
        stated = "about " if self.approximate else "more than " if self.lower_bound else ""
        year = self.year or "year not stated"
        return f"{stated}{self.value:,} members in {year} ({', '.join(self.sources)})"


ROWS_PER_CHUNK = 2000  # rows per pickled chunk of an index (see Index.__getstate__)


@dataclass(frozen=True)
class Money:
    """An amount of money as the list shows it."""

    amount: Decimal
    currency: str

    @property
    def text(self) -> str:
        """``"€9,765,017"`` (cents shown only when there are any).

        >>> Money(Decimal("9765017"), "EUR").text
        '€9,765,017'
        """
        number = f"{self.amount:,.0f}" if self.amount == self.amount.to_integral() else f"{self.amount:,.2f}"
        sign = CURRENCY_SIGNS.get(self.currency)
        return f"{sign}{number}" if sign else f"{number} {self.currency}".strip()


@dataclass(slots=True)
class Row:
    """One resource of the index (slotted: an index holds 129k of them at ECCP scale)."""

    iri: str
    label: str
    haystack: str  # every distinct name, the label and the IRI's last segment, folded, NUL-separated
    types: list[str] | tuple[str, ...] = field(default_factory=list)
    facets: dict[str, set[str] | frozenset[str]] = field(default_factory=dict)
    observations: list[Observation] = field(default_factory=list)
    initiatives: int | None = None
    partners: int | None = None
    contribution: Money | None = None

    def member_figure(self, sources: frozenset[str], names: Mapping[str, str]) -> Figure | None:
        """The latest stated total (exact before approximate, then the larger), from ``sources`` when given."""
        chosen = [o for o in self.observations if not sources or o.source in sources]
        if not chosen:
            return None
        best = max(chosen, key=lambda o: (o.year, not (o.approximate or o.lower_bound), o.value))
        same = sorted({names.get(o.source, compact(o.source)) for o in chosen
                       if (o.year, o.value, o.approximate, o.lower_bound) ==
                       (best.year, best.value, best.approximate, best.lower_bound)})
        return Figure(best.value, best.year, best.approximate, best.lower_bound, tuple(same))


@dataclass
class Index:
    """Every resource of a kind, with what the list filters and sorts on (computed once per build), sorted by
    name; the rows and facet counts of the last few searches and facet choices are kept, so paging and
    re-sorting do not filter again."""

    kind: Kind
    rows: list[Row]
    document_names: dict[str, str]
    document_editions: dict[str, str]
    _values: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)
    _filtered: dict[tuple[Any, ...], tuple[list[Row], dict[str, Counter[str]]]] = field(default_factory=dict,
                                                                                     repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without its lock and remembered searches (it is computed in the build-files child), the rows
        in separately pickled chunks: each is one short native call to load, and between them the server's
        other threads (the event loop) get their turn, where one call for 129k rows held them for half a
        second."""
        state = {**self.__dict__, "_filtered": {}}
        del state["_guard"]
        rows = state.pop("rows")
        state["row_chunks"] = [pickle.dumps(rows[i:i + ROWS_PER_CHUNK], protocol=pickle.HIGHEST_PROTOCOL)
                               for i in range(0, len(rows), ROWS_PER_CHUNK)]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        chunks = state.pop("row_chunks")
        self.__dict__.update(state)
        self.rows = [row for chunk in chunks for row in pickle.loads(chunk)]  # noqa: S301 - our own file
        self._guard = threading.Lock()

    def values(self, facet: Facet) -> frozenset[str]:
        """Every value ``facet`` takes on some row (gathered on first use)."""
        if facet.param not in self._values:
            self._values[facet.param] = frozenset(v for row in self.rows for v in row.facets.get(facet.param, ()))
        return self._values[facet.param]


def run(select: Select, query: NamedQuery, **params: str) -> list[dict[str, Any]]:
    """Rows of a named query with ``params`` bound as RDF terms."""
    return select(query.bind(params))


def build_index(select: Select, queries: Mapping[str, NamedQuery], kind: Kind, labels: Labels) -> Index:
    """Read every resource of ``kind`` with its facet values and figures through the ``browse-*`` queries."""
    rows: dict[str, Row] = {}
    for root in kind.classes:
        for r in run(select, queries["browse-resources"], kind=root):
            iri = r["resource"].value
            row = rows.get(iri)
            if row is None:
                label = labels.label(iri)
                names = (*labels.names.get(iri, ()), label, iri.rsplit("/", 1)[-1])
                row = rows[iri] = Row(iri, label, "\x00".join(dict.fromkeys(fold(name) for name in names)))
            row.types.append(r["type"].value)
    documents = {r["document"].value: (text(r["shortName"]), text(r["edition"]))
                 for r in run(select, queries["browse-documents"])}
    for facet in FACETS.get(kind.slug, ()):
        for iri, value in facet_pairs(select, queries, kind, facet, rows):
            if iri in rows:
                rows[iri].facets.setdefault(facet.param, set()).add(value)
    if any(s in (MEMBERS, INITIATIVES) for s in SORTS.get(kind.slug, ())):
        add_member_figures(select, queries, rows)
        add_initiative_counts(select, queries, rows)
    if any(s in (PARTNERS, CONTRIBUTION) for s in SORTS.get(kind.slug, ())):
        add_initiative_figures(select, queries, rows)
    names = {doc: name or compact(doc) for doc, (name, _) in documents.items()}
    editions = {doc: edition for doc, (_, edition) in documents.items()}
    by_name = sorted(rows.values(), key=lambda row: (row.label.casefold(), row.iri))
    share_values(by_name)
    return Index(kind, by_name, names, editions)


def share_values(rows: Iterable[Row]) -> None:
    """Make rows with the same types and facet values share one (immutable) copy of them. Most rows of a kind
    have the same few values, which each row otherwise held as its own strings, sets and dict (at ECCP scale
    the organisations' index took 192 MB in the server; pickling keeps the sharing within a chunk)."""
    shared: dict[Any, Any] = {}
    for row in rows:
        types = tuple(row.types)
        row.types = shared.setdefault(types, types)
        facets = tuple(sorted((param, shared.setdefault(frozenset(values), frozenset(values)))
                              for param, values in row.facets.items()))
        row.facets = shared.setdefault(("facets", facets), dict(facets))


def facet_pairs(select: Select, queries: Mapping[str, NamedQuery], kind: Kind, facet: Facet,
                rows: Mapping[str, Row]) -> Iterable[tuple[str, str]]:
    """(resource, value) pairs of ``facet`` for the resources of ``kind``."""
    if facet.origin == "type":
        return [(row.iri, t) for row in rows.values() for t in row.types]
    if facet.origin == "participation":
        return [(r["organisation"].value, r["family"].value)
                for r in run(select, queries["browse-participations"]) if r["family"] is not None]
    pairs = []
    for root in kind.classes:
        if facet.origin == "source":
            pairs += [(r["resource"].value, r["document"].value)
                      for r in run(select, queries["browse-sources"], kind=root)]
        else:
            pairs += [(r["resource"].value, r["value"].value)
                      for r in run(select, queries["browse-property-values"], kind=root, property=facet.property)
                      if isinstance(r["value"], ox.NamedNode)]
    return pairs


def add_member_figures(select: Select, queries: Mapping[str, NamedQuery], rows: dict[str, Row]) -> None:
    """Attach every stated total member count to its organisation's row."""
    for r in run(select, queries["browse-member-totals"]):
        row = rows.get(r["organisation"].value)
        value = integer(r["members"])
        if row is not None and value is not None:
            row.observations.append(Observation(value, text(r["year"])[:4], flag(r["approximate"]),
                                                flag(r["lowerBound"]), r["source"].value))


def add_initiative_counts(select: Select, queries: Mapping[str, NamedQuery], rows: dict[str, Row]) -> None:
    """Set each organisation's number of distinct initiatives (0 when it takes part in none)."""
    counts = Counter(org for org, _ in {(r["organisation"].value, r["initiative"].value)
                                        for r in run(select, queries["browse-participations"])})
    for row in rows.values():
        row.initiatives = counts.get(row.iri, 0)


def add_initiative_figures(select: Select, queries: Mapping[str, NamedQuery], rows: dict[str, Row]) -> None:
    """Set each initiative's stated partner count and EU contribution (the larger where sources differ)."""
    for r in run(select, queries["browse-initiative-figures"]):
        row = rows.get(r["initiative"].value)
        if row is None:
            continue
        partners = integer(r["partners"])
        if partners is not None:
            row.partners = max(partners, row.partners or 0)
        if r["contribution"] is not None:
            try:
                amount = Decimal(r["contribution"].value)
            except InvalidOperation:
                continue
            currency = compact(text(r["currency"])).removeprefix("currency:")
            if row.contribution is None or amount > row.contribution.amount:
                row.contribution = Money(amount, currency)


def text(term: Any) -> str:
    return "" if term is None else term.value


def flag(term: Any) -> bool:
    return term is not None and term.value in ("true", "1")


def integer(term: Any) -> int | None:
    try:
        return int(term.value) if term is not None else None
    except ValueError:
        return None


@dataclass(frozen=True)
class State:
    """What a list shows, all of it in the URL: search text, chosen facet values, sort, order and page."""

    q: str = ""
    chosen: tuple[tuple[str, tuple[str, ...]], ...] = ()
    sort: str = "name"
    order: str = "asc"
    page: int = 1

    @property
    def chosen_count(self) -> int:
        """How many facet values are chosen."""
        return sum(len(values) for _, values in self.chosen)

    def selected(self, param: str) -> tuple[str, ...]:
        """The chosen values of facet ``param``."""
        return next((values for name, values in self.chosen if name == param), ())

    def href(self, **changes: Any) -> str:
        """The query string of this state with ``changes`` (defaults left out, so links stay short)."""
        state = replace(self, **changes)
        pairs: list[tuple[str, str]] = [("q", state.q)] if state.q else []
        pairs += [(name, compact(value)) for name, values in state.chosen for value in values]
        if state.sort != "name" or state.order != "asc":
            pairs += [("sort", state.sort), ("order", state.order)]
        if state.page != 1:
            pairs.append(("page", str(state.page)))
        return "?" + urlencode(pairs) if pairs else "?"

    def toggled(self, param: str, value: str) -> str:
        """The link that adds ``value`` to facet ``param``, or removes it when chosen (back to page 1)."""
        current = self.selected(param)
        values = tuple(v for v in current if v != value) if value in current else (*current, value)
        chosen = tuple((n, v) for n, v in self.chosen if n != param) + ((param, values),) if values else \
            tuple((n, v) for n, v in self.chosen if n != param)
        return self.href(chosen=chosen, page=1)

    def sorted_by(self, sort: str) -> str:
        """The link that sorts by ``sort``: names ascending, figures descending first; again flips the order."""
        if sort == self.sort:
            order = "desc" if self.order == "asc" else "asc"
        else:
            order = "asc" if sort == "name" else "desc"
        return self.href(sort=sort, order=order, page=1)


def expand(value: str) -> str:
    """A compact IRI (``cg:family-i3``) as a full IRI; anything else as given.

    >>> expand("cg:family-i3")
    'https://w3id.org/clustergraph/ontology#family-i3'
    """
    prefix, colon, local = value.partition(":")
    if colon and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    return value


def parse_state(index: Index, params: Iterable[tuple[str, str]], max_search: int) -> State:
    """The list state from the query string.

    :raises BadRequest: naming the parameter, for an unknown sort or order, a page that is not a whole number
        from 1, a facet this kind has not, or a facet value no resource of the kind takes.
    """
    slug = index.kind.slug
    facets = {f.param: f for f in FACETS.get(slug, ())}
    every_facet = {f.param for fs in FACETS.values() for f in fs}
    sorts = [s.param for s in SORTS.get(slug, (NAME,))]
    chosen: dict[str, list[str]] = {}
    state = State()
    for name, raw in params:
        if name == "q":
            state = replace(state, q=raw[:max_search])
        elif name == "sort":
            if raw not in sorts:
                raise BadRequest(f"parameter sort: {raw[:80]!r} is not a sort of {index.kind.title.lower()}; "
                                 f"use one of {', '.join(sorts)}")
            state = replace(state, sort=raw)
        elif name == "order":
            if raw not in ORDERS:
                raise BadRequest(f"parameter order: {raw[:80]!r} is neither asc nor desc")
            state = replace(state, order=raw)
        elif name == "page":
            if not raw.isdigit() or int(raw) < 1:
                raise BadRequest(f"parameter page: {raw[:80]!r} is not a page number (1, 2, ...)")
            state = replace(state, page=int(raw))
        elif name in facets:
            value = expand(raw.strip())
            if value not in index.values(facets[name]):
                raise BadRequest(f"parameter {name}: no {index.kind.title.lower()} have "
                                 f"{facets[name].title.lower()} {raw[:200]!r}")
            if value not in chosen.setdefault(name, []):
                chosen[name].append(value)
        elif name in every_facet:
            raise BadRequest(f"parameter {name}: {index.kind.title.lower()} have no {name} facet; "
                             f"theirs: {', '.join(facets) or 'none'}")
    return replace(state, chosen=tuple((n, tuple(v)) for n, v in chosen.items()))


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet as the page lists it."""

    iri: str
    label: str
    count: int
    selected: bool
    href: str


@dataclass(frozen=True)
class FacetView:
    """A facet with its values, most frequent first."""

    facet: Facet
    values: list[FacetValue]


@dataclass(frozen=True)
class ListedRow:
    """A row of the page: the resource and its figures in the current state."""

    row: Row
    members: Figure | None


@dataclass(frozen=True)
class Listing:
    """One page of a list, its facets and the numbers the page states."""

    rows: list[ListedRow]
    matching: int
    total: int
    page: int
    pages: int
    facets: list[FacetView]
    sources: tuple[str, ...]

    @property
    def first(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1 if self.rows else 0


def listing(index: Index, state: State, labels: Labels) -> Listing:
    """Filter, count, sort and page ``index`` for ``state``.

    Facet counts are disjunctive: a value's count is the rows the list would show with that value chosen in
    its facet and every other choice kept, so a single chosen value's count is the number of rows shown.

    :raises BadRequest: for a page past the last one.
    """
    facets = FACETS.get(index.kind.slug, ())
    wanted = {f.param: set(state.selected(f.param)) for f in facets}
    shown, counts = filtered(index, fold(state.q.strip()), wanted)
    sources = frozenset(state.selected("source"))
    figures = {row.iri: row.member_figure(sources, index.document_names) for row in shown if row.observations} \
        if state.sort == "members" else {}
    shown = sort_rows(shown, state, figures)
    pages = max(1, -(-len(shown) // PAGE_SIZE))
    if state.page > pages:
        raise BadRequest(f"parameter page: {state.page} is past the last page ({pages})")
    start = (state.page - 1) * PAGE_SIZE
    page_rows = [ListedRow(row, figures[row.iri] if row.iri in figures else
                           row.member_figure(sources, index.document_names))
                 for row in shown[start:start + PAGE_SIZE]]
    views = [FacetView(f, facet_values(index, f, counts[f.param], wanted[f.param], state, labels)) for f in facets]
    names = tuple(index.document_names.get(s, compact(s)) for s in state.selected("source"))
    return Listing(page_rows, len(shown), len(index.rows), state.page, pages, [v for v in views if v.values], names)


def filtered(index: Index, needle: str, wanted: dict[str, set[str]]) -> tuple[list[Row], dict[str, Counter[str]]]:
    """The rows (in name order) whose names contain ``needle`` and that have a chosen value of every facet with
    one, and each facet's disjunctive counts; the last :data:`KEPT_FILTERS` answers are kept on the index."""
    key = (needle, tuple(sorted((name, tuple(sorted(values))) for name, values in wanted.items())))
    with index._guard:
        if key in index._filtered:
            return index._filtered[key]
    params = [name for name, values in wanted.items() if values]
    counts: dict[str, Counter[str]] = {name: Counter() for name in wanted}
    shown: list[Row] = []
    for row in index.rows:
        if needle and needle not in row.haystack:
            continue
        failing = [name for name in params if not wanted[name] & row.facets.get(name, set())]
        if not failing:
            shown.append(row)
            for name, values in row.facets.items():
                counts[name].update(values)
        elif len(failing) == 1:
            counts[failing[0]].update(row.facets.get(failing[0], ()))
    with index._guard:
        if len(index._filtered) >= KEPT_FILTERS:
            index._filtered.pop(next(iter(index._filtered)))
        index._filtered[key] = (shown, counts)
    return shown, counts


def facet_values(index: Index, facet: Facet, counts: Counter[str], chosen: set[str], state: State,
                 labels: Labels) -> list[FacetValue]:
    """A facet's values with counts: chosen ones always, others when some row has them; most rows first."""
    def label(iri: str) -> str:
        return index.document_names.get(iri) or labels.label(iri) if facet.origin == "source" else labels.label(iri)

    values = [FacetValue(iri, label(iri), counts.get(iri, 0), iri in chosen, state.toggled(facet.param, iri))
              for iri in set(counts) | chosen]
    return sorted(values, key=lambda v: (-v.count, v.label.casefold(), v.iri))


def sort_rows(by_name: list[Row], state: State, figures: Mapping[str, Figure | None]) -> list[Row]:
    """``by_name`` (rows in name order) in the state's order; rows without the figure sorted on go last, by
    name, either way."""
    if state.sort == "name":
        return by_name[::-1] if state.order == "desc" else by_name
    if state.sort == "members":
        value: dict[str, Any] = {iri: figure.value for iri, figure in figures.items() if figure}
    else:
        attribute = {"initiatives": "initiatives", "partners": "partners", "contribution": "contribution"}[state.sort]
        value = {row.iri: getattr(row, attribute) for row in by_name if getattr(row, attribute) is not None}
        if state.sort == "contribution":
            value = {iri: money.amount for iri, money in value.items()}
    known = [row for row in by_name if row.iri in value]
    missing = [row for row in by_name if row.iri not in value]
    known.sort(key=lambda row: value[row.iri], reverse=state.order == "desc")  # stable: ties stay in name order
    return known + missing
