"""The reference part of a synthetic project: the real reference data (less curated clusters), the
synthetic documents and the labels of the authority terms the generator points at."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from clustergraph.synth.config import EDITIONS, SOURCE_FOLDERS
from clustergraph.synth.tables import COUNTRIES
from clustergraph.synth.terms import _PREFIXES, CG, COUNTRY, EUR, NUTS, A


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
            f"# Copied from data/reference/{path.name} by clustergraph.synth.generator, without the "
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
        "# Labels of the authority terms synthetic data points at (written by clustergraph.synth.generator).",
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
        "# The synthetic source documents (written by clustergraph.synth.generator) and the named graph that holds what",
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
            '    rdfs:comment "Generated by clustergraph.synth.generator for scale tests; not a real document."@en .',
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
