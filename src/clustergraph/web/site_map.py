"""The map of the clusters' sites (``/map``): Lombardy's NUTS 3 regions, drawn from the boundary file shipped
under ``static/geo/``, with one point per organisation and region, placed around the region's centroid (the
data has addresses, not coordinates). Sites in regions the file does not draw are listed beside the map.

Rows come from the ``sites-by-region`` named query; the page is built once per store build.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from clustergraph.errors import LayoutError
from clustergraph.web.openapi_responses import html_page
from clustergraph.web.profile import HEADQUARTERS_FIRST
from clustergraph.web.resource_view import labels_for
from clustergraph.web.services import STATIC, Services, services

BOUNDARIES = STATIC / "geo" / "lombardy-nuts3.geojson"
BOUNDARIES_URL = "/static/geo/lombardy-nuts3.geojson"
QUERY = "sites-by-region"
NUTS = "http://data.europa.eu/nuts/code/"
RING = 0.06  # degrees of latitude from the centroid to the first point of a crowded region
RING_STEP = 0.014  # and more per organisation, so points keep apart
ELSEWHERE_SHOWN = 20  # sites outside the drawn regions listed by name (at ECCP scale there are thousands)
SQUASH = 0.55  # the ring is an ellipse, flatter than wide, so it stays inside Milan's region (wide, not tall)


@dataclass(frozen=True)
class Region:
    """A NUTS 3 region the boundary file draws."""

    code: str
    name: str
    centroid: tuple[float, float]  # longitude, latitude


@dataclass
class SiteLine:
    """One site: role (headquarters, office, ...), address and the documents that state it."""

    role: str
    address: str
    sources: list[str] = field(default_factory=list)


@dataclass
class MapPoint:
    """An organisation in one NUTS 3 region: its sites there, and where the map draws it."""

    iri: str
    href: str
    name: str
    acronym: str
    region: str  # NUTS code, e.g. ITC4C
    region_label: str
    sites: list[SiteLine] = field(default_factory=list)
    headquarters: bool = False
    longitude: float = 0.0
    latitude: float = 0.0
    centre: tuple[float, float] = (0.0, 0.0)  # the region's centroid the point is placed around

    @property
    def short(self) -> str:
        """What labels the point: the shortest acronym ("SCC" of "Cluster SCC, SCC"), else the name."""
        return min(self.acronym.split(", "), key=len) if self.acronym else self.name

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "acronym": self.short, "href": self.href,
                "region": self.region, "regionLabel": self.region_label, "headquarters": self.headquarters,
                "longitude": self.longitude, "latitude": self.latitude, "centre": list(self.centre),
                "sites": [f"{s.role}: {s.address}" if s.address else s.role for s in self.sites]}


@dataclass
class SiteMap:
    """What the map page shows: the drawn regions with their counts, the points, and the points not drawn."""

    regions: list[tuple[Region, str, int]]  # region, its label in the graph, organisations with a site there
    points: list[MapPoint]
    elsewhere: list[MapPoint]

    @property
    def chart_json(self) -> str:
        """The data the map script draws (escaped for a <script> data block)."""
        data = {"boundaries": BOUNDARIES_URL,
                "regions": {r.code: {"label": label, "count": n} for r, label, n in self.regions},
                "points": [p.as_json() for p in self.points]}
        return json.dumps(data).replace("</", "<\\/")


def read_regions() -> dict[str, Region]:
    """The regions of the boundary file, by NUTS code.

    :raises LayoutError: when the shipped file is missing or unreadable (a broken install).
    """
    try:
        features = json.loads(BOUNDARIES.read_text(encoding="utf-8"))["features"]
    except (OSError, ValueError, KeyError) as exc:
        raise LayoutError(f"the map's boundary file cannot be read: {exc}") from exc
    return {f["id"]: Region(f["id"], f["properties"]["name"], tuple(f["properties"]["centroid"])) for f in features}


def build_site_map(svc: Services) -> SiteMap:
    """Rows of the named query folded into one point per organisation and region, placed on the map."""
    rows = svc.select(svc.named_queries[QUERY].bind({}))
    regions = read_regions()
    region_iris = {NUTS + code for code in regions} | {r["nuts3"].value for r in rows}
    labels = labels_for(svc.store(), region_iris | {r["role"].value for r in rows} | {
        r["source"].value for r in rows if r["source"] is not None})
    points: dict[tuple[str, str], MapPoint] = {}
    for r in rows:
        iri, code, role = r["cluster"].value, r["notation"].value, r["role"].value
        name = r["clusterLabel"].value if r["clusterLabel"] is not None else iri
        point = points.setdefault((iri, code), MapPoint(
            iri, svc.link(r["cluster"]), name, r["acronym"].value if r["acronym"] is not None else "", code,
            labels.get(r["nuts3"].value, code)))
        role_key = role.rsplit("#", 1)[-1]
        point.headquarters |= role_key in HEADQUARTERS_FIRST[:3]
        address = r["address"].value if r["address"] is not None else ""
        role_label = labels.get(role, role_key)
        # The editions write the same address with a hyphen or an en dash: one line for both.
        line = next((s for s in point.sites if (s.role, s.address.replace("–", "-")) ==
                     (role_label, address.replace("–", "-"))), None)
        if line is None:
            line = SiteLine(role_label, address)
            point.sites.append(line)
        source = labels.get(r["source"].value, "") if r["source"] is not None else ""
        if source and source not in line.sources:
            line.sources.append(source)
    drawn = [p for p in points.values() if p.region in regions]
    place(drawn, regions)
    counts = {code: sum(1 for p in drawn if p.region == code) for code in regions}
    return SiteMap(regions=[(reg, labels.get(NUTS + code, reg.name), counts[code]) for code, reg in sorted(regions.items())],
                   points=sorted(drawn, key=lambda p: (p.region, p.acronym or p.name)),
                   elsewhere=sorted((p for p in points.values() if p.region not in regions),
                                    key=lambda p: (p.short, p.region)))


def place(points: list[MapPoint], regions: dict[str, Region]) -> None:
    """Put each point at its region's centroid, or, where a region has several, evenly on a flat ring around it
    (wider the more there are), so that none hides another."""
    by_region: dict[str, list[MapPoint]] = {}
    for p in sorted(points, key=lambda p: (p.short, p.iri)):
        by_region.setdefault(p.region, []).append(p)
    for code, group in by_region.items():
        lon, lat = regions[code].centroid
        radius = 0.0 if len(group) == 1 else RING + RING_STEP * len(group)
        for i, p in enumerate(group):
            p.centre = (lon, lat)
            angle = 2 * math.pi * i / len(group)
            p.latitude = round(lat + SQUASH * radius * math.cos(angle), 4)
            p.longitude = round(lon + radius * math.sin(angle) / math.cos(math.radians(lat)), 4)


def make_router(services: Services) -> APIRouter:
    """The map page's route."""
    router = APIRouter(tags=["pages"])
    router.add_api_route("/map", map_page, methods=["GET"], summary="Map of the clusters' sites",
                         response_class=Response, responses=html_page(503))
    return router


def map_page(request: Request, svc: Services = Depends(services)) -> Response:
    """Lombardy's NUTS 3 regions shaded by how many clusters have a site there, one point per organisation."""
    site_map = svc.build_files.value("site-map")
    return svc.render(request, "map.html", {"map": site_map, "shown": ELSEWHERE_SHOWN})
