"""The RDF media types the server must speak, with the pyoxigraph parser for each: the tests' own table,
written apart from ``clustergraph.querying.media_types`` so a mistake there cannot hide in both."""

import pyoxigraph as ox

RDF_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/trig": ox.RdfFormat.TRIG,
    "application/n-quads": ox.RdfFormat.N_QUADS,
}
