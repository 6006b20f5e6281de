"""The vendored XML schemas of the network exports (``tests/schemas/``, see its README), loaded with lxml.

Every ``xs:import`` in them names a file beside it, and the parser may not touch the network, so validation
runs offline."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree

SCHEMAS = Path(__file__).resolve().parent / "schemas"
GEXF = SCHEMAS / "gexf-1.2draft" / "gexf.xsd"
GRAPHML = SCHEMAS / "graphml-1.0" / "graphml.xsd"


@cache
def schema(xsd: Path) -> etree.XMLSchema:
    """The XML Schema in ``xsd``, its imports read from the same folder, never from the network."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.parse(str(xsd), parser))


def errors(xsd: Path, document: bytes) -> list[str]:
    """What ``xsd`` finds wrong with ``document`` (an XML file's bytes); [] when it is valid."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    checker = schema(xsd)
    if checker.validate(etree.fromstring(document, parser)):
        return []
    return [f"line {e.line}: {e.message}" for e in checker.error_log]
