"""Reproducible synthetic data in the project's own ontology, for building and querying at scale.

``generate(SynthConfig(clusters=1200), out_dir)`` writes a folder that can serve as the ``data/`` folder of
a project: one sub-folder per synthetic source document (``synth-report-2022/``, ``synth-report-2024/``)
holding N-Triples files of at most ``MAX_TRIPLES_PER_FILE`` triples, and ``reference/`` with a copy of
the project's real reference data plus a synthetic registry and the description of the synthetic
documents and their graphs.

The data follows the curation guide (``data/README.md``) and conforms to ``shapes/``:

- cluster organisations spread over the 27 EU countries and real NUTS 3 regions, each with a cluster type,
  EU industrial ecosystems, a technology area, a headquarters site (and sometimes a Brussels office);
- 20 to 300 member organisations per cluster (``org:memberOf``; companies, research organisations,
  associations, public bodies, hubs), fewer in 2022 than in 2024, a few leaving in between;
- member-count observations per cluster, edition and category whose categories add up to the total
  (they are counted from the generated members, so they agree with the ``org:memberOf`` links);
- projects with 3 to 40 partners under the real programmes and initiative families of the reference data,
  European cluster partnerships, I3 projects under ``cgr:i3``, with EU contributions;
- umbrella networks with hundreds of members at scale, ECCP registration of every cluster, Vanguard pilots;
- counts of cluster organisations per country and NUTS 2 region as indicator observations;
- every n-ary node derived from a ``cg:SourceLocator`` of its document.

Every IRI minted here is ``https://w3id.org/clustergraph/id/synth-...`` and every label says "Synthetic",
so synthetic data never collides with curated data. No text is taken from the real sources.

The same configuration always gives byte-identical files: all randomness comes from ``random.Random``
seeded from ``SynthConfig.seed`` and triples are written in a fixed order. Triples are streamed to the
files as they are made, so memory stays small whatever the size.
"""

from __future__ import annotations

import random
import shutil
import time
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import TextIO

import pyoxigraph as ox

from clustergraph.errors import LayoutError

MAX_TRIPLES_PER_FILE = 200_000
EDITIONS = (2022, 2024)
SOURCE_FOLDERS = {2022: "synth-report-2022", 2024: "synth-report-2024"}
REFERENCE_DIR = Path(__file__).resolve().parents[2] / "data" / "reference"


@dataclass(frozen=True)
class SynthConfig:
    """How much to generate.

    ``clusters`` is the number of cluster organisations; ``scale`` multiplies what each cluster brings
    (members, projects), so triples grow about linearly with ``clusters * scale``; ``seed`` picks the data.
    """

    clusters: int
    scale: float = 1.0
    seed: int = 42


PRESETS: dict[str, SynthConfig] = {
    "region": SynthConfig(clusters=15, scale=0.5),  # a few thousand triples: a region's cluster landscape
    "eccp": SynthConfig(clusters=1200),  # about 1M triples: the European Cluster Collaboration Platform
    "10m": SynthConfig(clusters=4800, scale=3.0),  # about 10M triples
}


@dataclass
class SynthReport:
    """What ``generate`` wrote: files and triples in ``out_dir`` (reference copies included)."""

    files: int
    triples: int
    clusters: int
    organisations: int
    projects: int
    seconds: float


# --- IRIs and terms ---------------------------------------------------------------------------------
CG = "https://w3id.org/clustergraph/ontology#"
CGR = "https://w3id.org/clustergraph/id/"
CGG = "https://w3id.org/clustergraph/graph/"
XSD = "http://www.w3.org/2001/XMLSchema#"
NUTS = "http://data.europa.eu/nuts/code/"
COUNTRY = "http://publications.europa.eu/resource/authority/country/"


def _u(iri: str) -> str:
    return f"<{iri}>"


def _cg(local: str) -> str:
    return f"<{CG}{local}>"


def _r(local: str) -> str:
    return f"<{CGR}{local}>"


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")


def _en(text: str) -> str:
    return f'"{_esc(text)}"@en'


def _str(text: str) -> str:
    return f'"{_esc(text)}"'


def _typed(value: object, datatype: str) -> str:
    return f'"{value}"^^<{XSD}{datatype}>'


def _nni(n: int) -> str:
    return _typed(n, "nonNegativeInteger")


def _year(y: int) -> str:
    return _typed(y, "gYear")


A = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
PREF = "<http://www.w3.org/2004/02/skos/core#prefLabel>"
IN_SCHEME = "<http://www.w3.org/2004/02/skos/core#inScheme>"
DCT = "http://purl.org/dc/terms/"
DCT_SOURCE, DCT_SPATIAL, DCT_PART_OF, DCT_DESCRIPTION = (
    _u(DCT + x) for x in ("source", "spatial", "isPartOf", "description")
)
ORG = "http://www.w3.org/ns/org#"
ORG_SITE_CLASS, ORG_HAS_SITE, ORG_SITE_ADDRESS, ORG_MEMBER_OF = (
    _u(ORG + x) for x in ("Site", "hasSite", "siteAddress", "memberOf")
)
DERIVED = "<http://www.w3.org/ns/prov#wasDerivedFrom>"
FOAF_HOMEPAGE = "<http://xmlns.com/foaf/0.1/homepage>"
QB_DATASET = "<http://purl.org/linked-data/cube#dataSet>"
REF_PERIOD = "<http://purl.org/linked-data/sdmx/2009/dimension#refPeriod>"
LOCN = "http://www.w3.org/ns/locn#"
BIBO_PAGE, BIBO_SECTION = "<http://purl.org/ontology/bibo/pageStart>", "<http://purl.org/ontology/bibo/section>"
SCHEMA_AMOUNT, SCHEMA_VALUE = "<http://schema.org/MonetaryAmount>", "<http://schema.org/value>"
EUR = "<http://publications.europa.eu/resource/authority/currency/EUR>"
_PREFIXES = {
    "cg": CG, "cgr": CGR, "cgg": CGG, "xsd": XSD, "nutsc": NUTS, "country": COUNTRY, "dct": DCT, "org": ORG,
    "skos": "http://www.w3.org/2004/02/skos/core#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "prov": "http://www.w3.org/ns/prov#", "qb": "http://purl.org/linked-data/cube#",
    "foaf": "http://xmlns.com/foaf/0.1/", "wd": "http://www.wikidata.org/entity/",
    "lang": "http://publications.europa.eu/resource/authority/language/",
}

# --- realistic shapes -----------------------------------------------------------------------------------
# (authority code, ISO 3166 alpha-2, weight ~ cluster organisations on the ECCP, NUTS 3 regions with a city)
COUNTRIES: tuple[tuple[str, str, int, tuple[tuple[str, str], ...]], ...] = (
    ("DEU", "DE", 16, (("DE300", "Berlin"), ("DE212", "Muenchen"), ("DE111", "Stuttgart"), ("DE600", "Hamburg"),
                       ("DEA23", "Koeln"), ("DE254", "Nuernberg"), ("DED21", "Dresden"), ("DE712", "Frankfurt am Main"),
                       ("DEA11", "Duesseldorf"), ("DE929", "Hannover"))),
    ("FRA", "FR", 13, (("FR101", "Paris"), ("FRK26", "Lyon"), ("FRL04", "Marseille"), ("FRJ23", "Toulouse"),
                       ("FRI12", "Bordeaux"), ("FRE11", "Lille"), ("FRF11", "Strasbourg"), ("FRG01", "Nantes"))),
    ("ITA", "IT", 12, (("ITC4C", "Milano"), ("ITC4B", "Mantova"), ("ITC46", "Bergamo"), ("ITC47", "Brescia"),
                       ("ITC11", "Torino"), ("ITI43", "Roma"), ("ITH55", "Bologna"), ("ITF33", "Napoli"),
                       ("ITH36", "Padova"), ("ITI14", "Firenze"), ("ITC33", "Genova"))),
    ("ESP", "ES", 11, (("ES300", "Madrid"), ("ES511", "Barcelona"), ("ES523", "Valencia"), ("ES213", "Bilbao"),
                       ("ES618", "Sevilla"), ("ES220", "Pamplona"), ("ES243", "Zaragoza"), ("ES111", "A Coruna"))),
    ("POL", "PL", 6, (("PL911", "Warszawa"), ("PL213", "Krakow"), ("PL514", "Wroclaw"), ("PL415", "Poznan"),
                      ("PL633", "Gdansk"))),
    ("NLD", "NL", 5, (("NL329", "Amsterdam"), ("NL33C", "Rotterdam"), ("NL414", "Eindhoven"), ("NL310", "Utrecht"))),
    ("BEL", "BE", 5, (("BE100", "Brussels"), ("BE211", "Antwerpen"), ("BE234", "Gent"), ("BE332", "Liege"))),
    ("AUT", "AT", 5, (("AT130", "Wien"), ("AT221", "Graz"), ("AT312", "Linz"), ("AT332", "Innsbruck"))),
    ("SWE", "SE", 4, (("SE110", "Stockholm"), ("SE232", "Goeteborg"), ("SE224", "Malmoe"), ("SE121", "Uppsala"))),
    ("PRT", "PT", 4, (("PT170", "Lisboa"), ("PT11A", "Porto"), ("PT16E", "Coimbra"))),
    ("CZE", "CZ", 3, (("CZ010", "Praha"), ("CZ064", "Brno"), ("CZ080", "Ostrava"))),
    ("DNK", "DK", 3, (("DK011", "Koebenhavn"), ("DK042", "Aarhus"), ("DK031", "Odense"))),
    ("FIN", "FI", 3, (("FI1B1", "Helsinki"), ("FI197", "Tampere"), ("FI1D9", "Oulu"))),
    ("HUN", "HU", 3, (("HU110", "Budapest"), ("HU231", "Pecs"), ("HU323", "Debrecen"))),
    ("ROU", "RO", 3, (("RO321", "Bucuresti"), ("RO113", "Cluj-Napoca"), ("RO211", "Iasi"))),
    ("GRC", "GR", 2, (("EL303", "Athina"), ("EL522", "Thessaloniki"), ("EL632", "Patra"))),
    ("IRL", "IE", 2, (("IE061", "Dublin"), ("IE053", "Cork"))),
    ("SVK", "SK", 2, (("SK010", "Bratislava"), ("SK042", "Kosice"))),
    ("SVN", "SI", 2, (("SI041", "Ljubljana"), ("SI032", "Maribor"))),
    ("HRV", "HR", 2, (("HR050", "Zagreb"), ("HR032", "Split"))),
    ("BGR", "BG", 2, (("BG411", "Sofia"), ("BG421", "Plovdiv"))),
    ("LTU", "LT", 1, (("LT011", "Vilnius"), ("LT022", "Kaunas"))),
    ("LVA", "LV", 1, (("LV006", "Riga"),)),
    ("EST", "EE", 1, (("EE001", "Tallinn"), ("EE008", "Tartu"))),
    ("LUX", "LU", 1, (("LU000", "Luxembourg"),)),
    ("CYP", "CY", 1, (("CY000", "Nicosia"),)),
    ("MLT", "MT", 1, (("MT001", "Valletta"),)),
)
_COUNTRY_CUM = list(accumulate(c[2] for c in COUNTRIES))

INDUSTRIAL_ECOSYSTEMS = tuple(
    "ie-" + x
    for x in (
        "aerospace-defence", "agri-food", "construction", "cultural-creative", "digital", "electronics",
        "energy-intensive", "energy-renewables", "health", "mobility-transport-automotive",
        "proximity-social-economy", "retail", "textile", "tourism",
    )
)
S3_ECOSYSTEMS = tuple(
    "s3-" + x
    for x in (
        "nutrition", "health-life-science", "culture-knowledge", "connectivity-information",
        "smart-mobility-architecture", "sustainability", "social-development", "advanced-manufacturing",
    )
)
TECHNOLOGY_AREAS = (
    "Advanced materials", "Artificial intelligence and data", "Batteries and storage", "Biotechnology",
    "Circular economy", "Clean hydrogen", "Cybersecurity", "Digital health", "Food processing",
    "Industrial robotics", "Microelectronics", "Photonics", "Smart buildings", "Space technologies",
    "Sustainable mobility", "Textile technologies",
)
VANGUARD_PILOTS = ("vi-pilot-esm", "vi-pilot-ai", "vi-pilot-bioeconomy", "vi-pilot-adma-energy",
                   "vi-pilot-hydrogen", "vi-pilot-smart-health")

# Member kinds: (class, label word, member category, weight)
MEMBER_KINDS = (
    ("Company", "Company", "mc-companies", 70),
    ("ResearchOrganisation", "Research Organisation", "mc-research-organisations", 15),
    ("Association", "Association", "mc-other-entities", 7),
    ("PublicBody", "Public Body", "mc-other-entities", 4),
    ("DigitalInnovationHub", "Digital Innovation Hub", "mc-other-entities", 2),
    ("Organisation", "Organisation", "mc-other-entities", 2),
)
_KIND_CUM = list(accumulate(k[3] for k in MEMBER_KINDS))
_KIND_CLASS = [_cg(k[0]) for k in MEMBER_KINDS]
_KIND_CATEGORY = [k[2] for k in MEMBER_KINDS]
CATEGORIES = ("mc-companies", "mc-research-organisations", "mc-other-entities")


@dataclass(frozen=True)
class _Programme:
    key: str
    programme: str  # cgr:prog-... of the reference data
    family: str  # cg:family-...
    kind: str  # Project or ClusterPartnership
    parent: str | None  # cg:partOfInitiative
    weight: int
    years: tuple[int, int]  # start years
    max_partners: int
    label: str  # for the synthetic description


PROGRAMMES = (
    _Programme("he", "prog-horizon-europe", "family-horizon", "Project", None, 22, (2021, 2024), 40, "Horizon Europe"),
    _Programme("h2020", "prog-horizon-2020", "family-horizon", "Project", None, 14, (2015, 2020), 40, "Horizon 2020"),
    _Programme("ie", "prog-interreg-europe", "family-interreg", "Project", None, 6, (2016, 2024), 12, "Interreg Europe"),
    _Programme("med", "prog-interreg-euro-med", "family-interreg", "Project", None, 4, (2016, 2024), 14, "Interreg Euro-MED"),
    _Programme("alp", "prog-interreg-alpine-space", "family-interreg", "Project", None, 3, (2016, 2024), 14, "Interreg Alpine Space"),
    _Programme("escp", "prog-cosme", "family-escp", "ClusterPartnership", "escp-4i", 7, (2016, 2021), 8, "ESCP-4i"),
    _Programme("ec", "prog-single-market-programme", "family-euroclusters", "ClusterPartnership", "euroclusters", 6, (2022, 2024), 10, "Eurocluster"),
    _Programme("i3", "prog-i3", "family-i3", "Project", "i3", 8, (2022, 2024), 16, "Interregional Innovation Investments"),
    _Programme("cosme", "prog-cosme", "family-cosme", "Project", None, 4, (2015, 2021), 12, "COSME"),
    _Programme("smp", "prog-single-market-programme", "family-cosme", "Project", None, 3, (2022, 2024), 12, "Single Market Programme"),
    _Programme("erasmus", "prog-erasmus-plus", "family-other-eu", "Project", None, 6, (2015, 2024), 16, "Erasmus+"),
    _Programme("life", "prog-life", "family-other-eu", "Project", None, 4, (2015, 2024), 14, "LIFE"),
    _Programme("cef", "prog-cef", "family-other-eu", "Project", None, 2, (2015, 2024), 12, "Connecting Europe Facility"),
    _Programme("erdf", "prog-erdf", "family-national-regional", "Project", None, 8, (2015, 2024), 10, "ERDF regional call"),
    _Programme("pnrr", "prog-pnrr", "family-national-regional", "Project", None, 3, (2022, 2024), 12, "PNRR"),
)
_PROG_CUM = list(accumulate(p.weight for p in PROGRAMMES))


def _pick(rng: random.Random, cumulative: list[int]) -> int:
    return bisect_right(cumulative, rng.random() * cumulative[-1])


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


# --- the model of one synthetic landscape -------------------------------------------------------------
@dataclass
class _Cluster:
    index: int
    country: int  # index into COUNTRIES
    nuts3: str
    city: str
    editions: tuple[int, ...]
    founded: int
    ranges: dict[int, tuple[int, int]]  # edition -> [first, end) member indexes
    span: int  # member indexes 0..span-1

    @property
    def num(self) -> str:
        return f"{self.index + 1:05d}"

    @property
    def local(self) -> str:
        return f"synth-cluster-{self.num}"

    @property
    def iso(self) -> str:
        return COUNTRIES[self.country][1]

    @property
    def code3(self) -> str:
        return COUNTRIES[self.country][0]


def _doc(edition: int) -> str:
    return _r(f"synth-doc-report-{edition}")


def _s(edition: int) -> str:
    return f"s{edition}"


def _plan_clusters(config: SynthConfig, rng: random.Random) -> list[_Cluster]:
    clusters = []
    for i in range(config.clusters):
        country = _pick(rng, _COUNTRY_CUM)
        nuts3, city = rng.choice(COUNTRIES[country][3])
        roll = rng.random()
        if roll < 0.07:
            founded, editions = rng.randint(2023, 2024), (2024,)
        elif roll < 0.10:
            founded, editions = rng.randint(1995, 2018), (2022,)  # in the 2022 report, gone by 2024
        else:
            founded, editions = rng.randint(1995, 2022), (2022, 2024)
        base = 20 + 280 * rng.betavariate(1.3, 3.0)
        m24 = max(3, round(base * config.scale))
        m22 = max(3, round(m24 * rng.uniform(0.72, 1.02)))
        if editions == (2022, 2024):
            leavers = max(round(m22 * rng.uniform(0.0, 0.08)), m22 - m24)
            ranges = {2022: (0, m22), 2024: (leavers, leavers + m24)}
            span = leavers + m24
        elif editions == (2024,):
            ranges, span = {2024: (0, m24)}, m24
        else:
            ranges, span = {2022: (0, m22)}, m22
        clusters.append(_Cluster(i, country, nuts3, city, editions, founded, ranges, span))
    return clusters


def generate(
    config: SynthConfig,
    out_dir: Path,
    *,
    reference: Path | None = None,
    overwrite: bool = False,
    max_triples_per_file: int = MAX_TRIPLES_PER_FILE,
) -> SynthReport:
    """Write a synthetic ``data/`` folder for ``config`` into ``out_dir``.

    ``reference`` is the folder of real reference data to copy (default: the repository's
    ``data/reference``). ``out_dir`` must be empty or missing unless ``overwrite``, which replaces the
    ``reference/`` and ``synth-*`` folders a previous run left there.

    :raises ValueError: for fewer than one cluster or a scale that is not positive.
    :raises LayoutError: when ``out_dir`` holds files and ``overwrite`` is false.
    """
    if config.clusters < 1 or not config.scale > 0:
        raise ValueError("synthetic data needs at least one cluster and a positive scale")
    start = time.perf_counter()
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        if not overwrite:
            raise LayoutError(f"{out_dir}: not empty (pass --overwrite, or overwrite=True, to replace a previous run)")
        for old in sorted(out_dir.iterdir()):
            if old.is_dir() and (old.name == "reference" or old.name.startswith("synth-")):
                shutil.rmtree(old)
    out_dir.mkdir(parents=True, exist_ok=True)

    reference_triples, reference_files = _copy_reference(reference or REFERENCE_DIR, out_dir / "reference")
    out = _Out(out_dir, max_triples_per_file)
    try:
        gen = _Generator(config, out)
        gen.run()
    finally:
        out.close()
    return SynthReport(
        files=out.files + reference_files,
        triples=out.triples + reference_triples,
        clusters=config.clusters,
        organisations=gen.organisations,
        projects=gen.projects,
        seconds=round(time.perf_counter() - start, 3),
    )


def _copy_reference(source: Path, target: Path) -> tuple[int, int]:
    """Copy the real reference files and add the synthetic documents; returns (triples, files).

    The registry names the curated cluster organisations (AFIL, LE2C, ...) but their cluster type is
    stated in the curated source folders, which a synthetic project does not have; left alone they would
    fail ``cgs:ClusterOrganisationShape``. So every cluster organisation whose ``cg:clusterType`` the
    reference files do not give is left out, with every triple that points at it. A file without such
    triples is copied byte for byte; the others are re-serialised as Turtle with a header saying so.
    """
    target.mkdir(parents=True, exist_ok=True)
    files = sorted(source.glob("*.ttl"))
    parsed = {p: list(ox.parse(path=str(p), format=ox.RdfFormat.TURTLE)) for p in files}
    rdf_type, cluster_class = ox.NamedNode(A[1:-1]), ox.NamedNode(CG + "ClusterOrganisation")
    cluster_type = ox.NamedNode(CG + "clusterType")
    clusters = {t.subject for ts in parsed.values() for t in ts if t.predicate == rdf_type and t.object == cluster_class}
    typed = {t.subject for ts in parsed.values() for t in ts if t.predicate == cluster_type}
    dropped = clusters - typed
    triples = 0
    for path, parsed_triples in parsed.items():
        kept = [t for t in parsed_triples if t.subject not in dropped and t.object not in dropped]
        triples += len(kept)
        if len(kept) == len(parsed_triples):
            (target / path.name).write_bytes(path.read_bytes())
            continue
        header = (
            f"# Copied from data/reference/{path.name} by clustergraph.synth, without the "
            f"{len(parsed_triples) - len(kept)} triples about curated cluster organisations whose\n"
            "# descriptions live in the curated source folders (not part of a synthetic project).\n"
        )
        body = ox.serialize(kept, format=ox.RdfFormat.TURTLE, prefixes=_PREFIXES)
        (target / path.name).write_bytes(header.encode("utf-8") + body)
    written = {"synth-documents.ttl": _documents_turtle(), "synth-authorities.ttl": _authorities_turtle()}
    for name, text in written.items():
        (target / name).write_text(text, encoding="utf-8", newline="\n")
        triples += sum(1 for _ in ox.parse(text.encode("utf-8"), format=ox.RdfFormat.TURTLE))
    return triples, len(files) + len(written)


def _authorities_turtle() -> str:
    """Labels of every authority term the generator can point at (countries, NUTS 2 and 3 regions, the euro,
    English), so a synthetic project meets ``cgs:LabelShape`` as the curated one does with data/authorities/."""
    lines = [
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .",
        "",
        "# Labels of the authority terms synthetic data points at (written by clustergraph.synth).",
        f'<{EUR[1:-1]}> skos:prefLabel "euro"@en ; skos:notation "EUR" .',
        '<http://publications.europa.eu/resource/authority/language/ENG> skos:prefLabel "English"@en .',
        '<http://publications.europa.eu/resource/authority/language/ITA> skos:prefLabel "Italian"@en .',
    ]
    for code3, iso, _, regions in COUNTRIES:
        lines.append(f'<{COUNTRY}{code3}> skos:prefLabel "Country {iso}"@en ; skos:notation "{code3}" .')
        for nuts3, city in regions:
            lines.append(f'<{NUTS}{nuts3}> skos:prefLabel "{city}"@en ; skos:notation "{nuts3}" .')
        for nuts2 in sorted({nuts3[:4] for nuts3, _ in regions}):
            lines.append(f'<{NUTS}{nuts2}> skos:prefLabel "NUTS 2 region {nuts2}"@en ; skos:notation "{nuts2}" .')
    return "\n".join(lines) + "\n"


def _documents_turtle() -> str:
    lines = [
        "@prefix cg:   <https://w3id.org/clustergraph/ontology#> .",
        "@prefix cgr:  <https://w3id.org/clustergraph/id/> .",
        "@prefix cgg:  <https://w3id.org/clustergraph/graph/> .",
        "@prefix dct:  <http://purl.org/dc/terms/> .",
        "@prefix prov: <http://www.w3.org/ns/prov#> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix xsd:  <http://www.w3.org/2001/XMLSchema#> .",
        "@prefix lang: <http://publications.europa.eu/resource/authority/language/> .",
        "",
        "# The synthetic source documents (written by clustergraph.synth) and the named graph that holds what",
        "# each of them states. They describe no real document: everything in their graphs is generated.",
        "",
    ]
    for edition in EDITIONS:
        folder = SOURCE_FOLDERS[edition]
        lines += [
            f"cgr:synth-doc-report-{edition} a cg:SourceDocument ;",
            f'    dct:title "Synthetic European cluster landscape report ({edition} edition)"@en ;',
            f'    dct:identifier "{folder}" ;',
            "    dct:language lang:ENG ;",
            f'    cg:edition "{edition}"^^xsd:gYear ;',
            f"    cg:namedGraph cgg:{folder} ;",
            '    rdfs:comment "Generated by clustergraph.synth for scale tests; not a real document."@en .',
            "",
        ]
    for edition in EDITIONS:
        folder = SOURCE_FOLDERS[edition]
        lines += [
            f"cgg:{folder} a cg:SourceGraph ; prov:hadPrimarySource cgr:synth-doc-report-{edition} ;",
            f'    rdfs:label "Facts from the synthetic cluster landscape report ({edition})"@en .',
        ]
    lines += [
        "",
        "cgr:dataset dct:source " + " , ".join(f"cgr:synth-doc-report-{e}" for e in EDITIONS) + " .",
        "",
    ]
    return "\n".join(lines)


class _Generator:
    def __init__(self, config: SynthConfig, out: _Out) -> None:
        self.config, self.out = config, out
        self.organisations = 0
        self.projects = 0
        seed = config.seed
        self.clusters = _plan_clusters(config, random.Random(f"{seed}:clusters"))
        self.rng_members = random.Random(f"{seed}:members")
        self.rng_projects = random.Random(f"{seed}:projects")
        self.rng_networks = random.Random(f"{seed}:networks")
        self.by_edition = {e: [c.index for c in self.clusters if e in c.editions] for e in EDITIONS}
        self.page = {e: 12 for e in EDITIONS}

    def sink(self, edition: int | None, stem: str) -> _Sink:
        return self.out("reference" if edition is None else SOURCE_FOLDERS[edition], stem)

    def locator(self, edition: int, local: str, section: str, pages: int = 1) -> str:
        node = _r(f"synth-loc-{_s(edition)}-{local}")
        emit = self.sink(edition, "locators")
        emit(node, A, _cg("SourceLocator"))
        emit(node, DCT_PART_OF, _doc(edition))
        emit(node, BIBO_PAGE, _str(str(self.page[edition])))
        emit(node, BIBO_SECTION, _str(section))
        self.page[edition] += pages
        return node

    def participation(self, edition: int, org_local: str, init_local: str, role: str, locator: str) -> None:
        emit = self.sink(edition, "participations")
        node = _r(f"synth-part-{_s(edition)}-{org_local.removeprefix('synth-')}-{init_local.removeprefix('synth-')}")
        emit(node, A, _cg("Participation"))
        emit(node, _cg("participant"), _r(org_local))
        emit(node, _cg("initiative"), _r(init_local))
        emit(node, _cg("role"), _cg(role))
        emit(node, DERIVED, locator)

    # --- the whole landscape --------------------------------------------------------------------------
    def run(self) -> None:
        self.registry()
        for cluster in self.clusters:
            self.cluster(cluster)
        self.networks()
        self.projects_()
        self.indicators()

    def registry(self) -> None:
        emit = self.sink(None, "synth-registry")
        for n, label in enumerate(TECHNOLOGY_AREAS, 1):
            ta = _r(f"synth-ta-{n:02d}")
            emit(ta, A, _cg("TechnologyArea"))
            emit(ta, IN_SCHEME, _r("technology-areas"))
            emit(ta, PREF, _en(f"Synthetic technology area: {label}"))
        ind = _r("synth-indicator-cluster-organisations")
        emit(ind, A, _cg("Indicator"))
        emit(ind, IN_SCHEME, _r("indicators"))
        emit(ind, PREF, _en("Synthetic indicator: number of cluster organisations"))
        for c in self.clusters:
            node = _r(c.local)
            emit(node, A, _cg("ClusterOrganisation"))
            emit(node, PREF, _en(f"Synthetic Cluster {c.num} ({c.iso})"))
            for e in c.editions:
                emit(node, DCT_SOURCE, _doc(e))

    def cluster(self, c: _Cluster) -> None:
        rng = self.rng_members
        node = _r(c.local)
        lombardy = c.nuts3.startswith("ITC4")
        if lombardy and rng.random() < 0.5:
            ctype = "ct-lombardy-technology-cluster"
        elif c.code3 == "ITA" and rng.random() < 0.2:
            ctype = "ct-national-technology-cluster"
        else:
            ctype = "ct-eccp-registered"
        ecosystems = sorted(rng.sample(INDUSTRIAL_ECOSYSTEMS, rng.choice((1, 1, 2, 2, 3))))
        area = rng.randint(1, len(TECHNOLOGY_AREAS))
        s3 = rng.choice(S3_ECOSYSTEMS) if lombardy else None
        office = rng.random() < 0.15 and c.nuts3 != "BE100"
        kinds = [_pick(rng, _KIND_CUM) for _ in range(c.span)]
        street = rng.randint(1, 240)
        postcode = f"{rng.randint(1000, 99999):05d}"
        breakdown_2022 = rng.random() < 0.88
        pilot = rng.choice(VANGUARD_PILOTS) if rng.random() < 0.06 else None
        pilot_role = "role-co-coordinator" if rng.random() < 0.2 else "role-participant"
        s3p = rng.random() < 0.05

        latest = c.editions[-1]
        for e in c.editions:
            emit = self.sink(e, "clusters")
            loc = self.locator(e, f"cluster-{c.num}", f"Cluster profile {c.num}: general information", 2)
            emit(node, A, _cg("ClusterOrganisation"))
            emit(node, _cg("acronym"), _str(f"SC{c.num}"))
            emit(node, _cg("clusterType"), _cg(ctype))
            for ie in ecosystems:
                emit(node, _cg("industrialEcosystem"), _r(ie))
            emit(node, _cg("technologyArea"), _r(f"synth-ta-{area:02d}"))
            if s3:
                emit(node, _cg("referenceEcosystem"), _r(s3))
            if ctype == "ct-lombardy-technology-cluster":
                emit(node, _cg("recognisedBy"), _r("regione-lombardia"))
            emit(node, FOAF_HOMEPAGE, f"<https://cluster-{c.num}.synth.example/>")
            emit(node, _cg("foundingYear"), _year(c.founded))
            self.site(e, c, "hq", "site-headquarters", c.nuts3, c.code3, c.iso, c.city, street, postcode, loc)
            if office and e == 2024:
                self.site(e, c, "brussels", "site-office", "BE100", "BEL", "BE", "Brussels", 7, "01040", loc)

            # members, described in the latest edition that lists them
            first, end = c.ranges[e]
            members = self.sink(e, "members")
            for k in range(first, end):
                org = _r(f"synth-org-{c.num}-{k:04d}")
                later = [x for x in c.editions if x > e and c.ranges[x][0] <= k < c.ranges[x][1]]
                if not later:
                    kind = MEMBER_KINDS[kinds[k]]
                    members(org, A, _KIND_CLASS[kinds[k]])
                    members(org, PREF, _en(f"Synthetic {kind[1]} {c.num}-{k:04d} ({c.iso})"))
                    members(org, DCT_SPATIAL, _u(COUNTRY + c.code3))
                    self.organisations += 1
                members(org, ORG_MEMBER_OF, node)

            # member counts, counted from the members above
            counts = dict.fromkeys(CATEGORIES, 0)
            for k in range(first, end):
                counts[_KIND_CATEGORY[kinds[k]]] += 1
            values = {"mc-total": end - first}
            if e == 2024 or breakdown_2022:
                values.update(counts)
            obs_sink = self.sink(e, "observations")
            for category, value in values.items():
                obs = _r(f"synth-obs-{_s(e)}-cluster-{c.num}-{category.removeprefix('mc-')}")
                obs_sink(obs, A, _cg("MemberCountObservation"))
                obs_sink(obs, QB_DATASET, _r("member-counts"))
                obs_sink(obs, _cg("organisation"), node)
                obs_sink(obs, REF_PERIOD, _year(e))
                obs_sink(obs, _cg("memberCategory"), _cg(category))
                obs_sink(obs, _cg("statedIn"), _doc(e))
                obs_sink(obs, _cg("memberCount"), _nni(value))
                obs_sink(obs, DERIVED, loc)

            self.participation(e, c.local, "eccp", "role-registered", loc)
            if pilot and (e == latest or rng.random() < 0.7):
                self.participation(e, c.local, pilot, pilot_role, loc)
            if s3p:
                self.participation(e, c.local, "s3-platform-industrial-modernisation", "role-participant", loc)

    def site(self, e: int, c: _Cluster, tag: str, role: str, nuts3: str, code3: str, iso: str, city: str,
             street: int, postcode: str, loc: str) -> None:
        emit = self.sink(e, "clusters")
        site = _r(f"synth-site-{_s(e)}-cluster-{c.num}-{tag}")
        addr = _r(f"synth-addr-{_s(e)}-cluster-{c.num}-{tag}")
        emit(_r(c.local), ORG_HAS_SITE, site)
        emit(site, A, ORG_SITE_CLASS)
        emit(site, _cg("siteRole"), _cg(role))
        emit(site, ORG_SITE_ADDRESS, addr)
        emit(site, _cg("nuts3"), _u(NUTS + nuts3))
        emit(site, DCT_SPATIAL, _u(COUNTRY + code3))
        emit(site, DERIVED, loc)
        emit(addr, A, _u(LOCN + "Address"))
        emit(addr, _u(LOCN + "fullAddress"), _str(f"Synthetic Street {street} - {postcode} {city} ({iso})"))
        emit(addr, _u(LOCN + "thoroughfare"), _str("Synthetic Street"))
        emit(addr, _u(LOCN + "locatorDesignator"), _str(str(street)))
        emit(addr, _u(LOCN + "postCode"), _str(postcode))
        emit(addr, _u(LOCN + "postName"), _str(city))
        emit(addr, _u(LOCN + "adminUnitL1"), _str(iso))

    def networks(self) -> None:
        """Umbrella networks of clusters: a few, each joined by 10-35 % of the clusters."""
        rng = self.rng_networks
        count = max(3, round(len(self.clusters) / 60))
        registry = self.sink(None, "synth-registry")
        for n in range(1, count + 1):
            local = f"synth-network-{n:03d}"
            node = _r(local)
            registry(node, A, _cg("Network"))
            registry(node, PREF, _en(f"Synthetic Network {n:03d}"))
            registry(node, _cg("acronym"), _str(f"SYNNET{n:03d}"))
            registry(node, _cg("family"), _cg("family-networks"))
            for e in EDITIONS:
                registry(node, DCT_SOURCE, _doc(e))
            rate = rng.uniform(0.10, 0.35)
            joined = [c for c in self.clusters if rng.random() < rate]
            if len(joined) < 2:
                joined = sorted(rng.sample(self.clusters, min(2, len(self.clusters))), key=lambda c: c.index)
            locs: dict[int, str] = {}
            for c in joined:
                role = "role-founding-member" if rng.random() < 0.05 else "role-member"
                stays = rng.random()
                for e in c.editions:
                    if len(c.editions) == 2 and ((e == 2022 and stays < 0.15) or (e == 2024 and stays > 0.9)):
                        continue  # joined after 2022 / left before 2024
                    if e not in locs:
                        locs[e] = self.locator(e, f"network-{n:03d}", f"Networks: Synthetic Network {n:03d}")
                    self.participation(e, c.local, local, role, locs[e])

    def projects_(self) -> None:
        rng = self.rng_projects
        total = max(2, round(len(self.clusters) * 1.4 * self.config.scale))
        by_country: dict[int, list[int]] = {}
        for c in self.clusters:
            by_country.setdefault(c.country, []).append(c.index)
        for p in range(1, total + 1):
            prog = PROGRAMMES[_pick(rng, _PROG_CUM)]
            start = rng.randint(*prog.years)
            end = start + rng.randint(2, 4)
            editions = tuple(e for e in EDITIONS if (e == 2022 and start <= 2021) or (e == 2024 and end >= 2022))
            n = 3 + round((prog.max_partners - 3) * rng.betavariate(1.2, 3.5))
            pool_editions = editions[0]
            pool = self.by_edition[pool_editions] or [c.index for c in self.clusters]
            if prog.key in ("erdf", "pnrr"):  # one country
                italian = [i for i in pool if self.clusters[i].code3 == "ITA"]
                if prog.key == "pnrr" and italian:
                    pool = italian
                else:
                    country = self.clusters[rng.choice(pool)].country
                    allowed = set(pool)
                    pool = [i for i in by_country[country] if i in allowed] or pool
            partners: list[tuple[str, int]] = []  # (local name, country index)
            seen: set[str] = set()
            cluster_share = 1.0 if prog.kind == "ClusterPartnership" else 0.35
            attempts = 0
            while len(partners) < n and attempts < n * 20:
                attempts += 1
                c = self.clusters[rng.choice(pool)]
                if not partners or rng.random() < cluster_share:
                    local = c.local
                else:
                    local = f"synth-org-{c.num}-{rng.randrange(c.span):04d}"
                if local not in seen:
                    seen.add(local)
                    partners.append((local, c.country))
            self.project(p, prog, start, end, editions, partners, rng)
            self.projects += 1

    def project(self, p: int, prog: _Programme, start: int, end: int, editions: tuple[int, ...],
                partners: list[tuple[str, int]], rng: random.Random) -> None:
        local = f"synth-project-{p:05d}"
        node = _r(local)
        word = "Cluster Partnership" if prog.kind == "ClusterPartnership" else "Project"
        countries = sorted({COUNTRIES[ci][0] for _, ci in partners})
        contribution = len(partners) * rng.randint(120, 650) * 1000
        roles = ["role-coordinator"] + ["role-partner"] * (len(partners) - 1)
        if len(partners) > 4 and rng.random() < 0.3:
            roles[1] = "role-technical-coordinator"
        for i in range(2, min(len(partners), 2 + rng.randint(0, 3))):
            roles[i] = "role-work-package-leader"
        if len(partners) > 6:
            roles[-1] = "role-communication-leader"
        for i in range(len(partners)):
            if roles[i] == "role-partner" and rng.random() < 0.06:
                roles[i] = "role-associated-partner"
        status = "completed" if end < 2024 else "ongoing"
        latest = editions[-1]
        for e in editions:
            emit = self.sink(e, "initiatives")
            loc = self.locator(e, f"project-{p:05d}", f"Project sheet {p:05d}")
            emit(node, A, _cg(prog.kind))
            emit(node, PREF, _en(f"Synthetic {word} {p:05d}"))
            emit(node, _cg("family"), _cg(prog.family))
            emit(node, _cg("fundedUnder"), _r(prog.programme))
            if prog.parent:
                emit(node, _cg("partOfInitiative"), _r(prog.parent))
            if e == latest:
                emit(node, _cg("acronym"), _str(f"SYN{p:05d}"))
                emit(node, DCT_DESCRIPTION, _en(
                    f"Synthetic {prog.label} {word.lower()} with {len(partners)} partners from "
                    f"{len(countries)} countries, {start}-{end}."))
                emit(node, _cg("partnerCount"), _nni(len(partners)))
                emit(node, _cg("countryCount"), _nni(len(countries)))
                for code in countries:
                    emit(node, _cg("partnerCountry"), _u(COUNTRY + code))
                emit(node, _cg("startYear"), _year(start))
                emit(node, _cg("endYear"), _year(end))
                emit(node, _cg("status"), _str(status))
                amount = _r(f"synth-amount-{_s(e)}-project-{p:05d}")
                emit(node, _cg("euContribution"), amount)
                emit(amount, A, SCHEMA_AMOUNT)
                emit(amount, SCHEMA_VALUE, _typed(contribution, "decimal"))
                emit(amount, _cg("currency"), EUR)
                emit(amount, DERIVED, loc)
            for (partner, _), role in zip(partners, roles):
                self.participation(e, partner, local, role, loc)

    def indicators(self) -> None:
        """Cluster organisations per country and NUTS 2 region and edition, counted from the clusters."""
        node_ind = _r("synth-indicator-cluster-organisations")
        for e in EDITIONS:
            per_area: dict[str, int] = {}
            for i in self.by_edition[e]:
                c = self.clusters[i]
                for area in (COUNTRY + c.code3, NUTS + c.nuts3[:4]):
                    per_area[area] = per_area.get(area, 0) + 1
            if not per_area:
                continue
            emit = self.sink(e, "indicators")
            loc = self.locator(e, "landscape", "Cluster landscape: cluster organisations by country and region")
            for area in sorted(per_area):
                code = area.rsplit("/", 1)[1].lower()
                obs = _r(f"synth-ind-{_s(e)}-{code}-cluster-organisations")
                emit(obs, A, _cg("IndicatorObservation"))
                emit(obs, QB_DATASET, _r("regional-indicators"))
                emit(obs, _cg("refArea"), _u(area))
                emit(obs, _cg("indicator"), node_ind)
                emit(obs, REF_PERIOD, _year(e))
                emit(obs, _cg("value"), _typed(per_area[area], "decimal"))
                emit(obs, _cg("unit"), _cg("unit-count"))
                emit(obs, _cg("statedIn"), _doc(e))
                emit(obs, DERIVED, loc)
