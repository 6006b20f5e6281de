"""Assemble ``bench/RESULTS.md`` from the sections the benchmarks saved in ``bench/results/*.json``: a header
with the machine and the total run time, one table of every target (met or not), then each section's body.

Usage: ``python bench/report.py [--elapsed SECONDS]`` (``make bench`` passes the run's wall time).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from common import ROOT, SECTIONS, fmt_ratio, machine

RESULTS = ROOT / "bench" / "RESULTS.md" if SECTIONS == ROOT / "bench" / "results" else SECTIONS / "RESULTS.md"
ORDER = ["build_scale", "network_scale", "throughput", "named_queries", "serve_memory", "load"]


def load_sections() -> list[dict]:
    """Every saved section (files with a ``targets`` list), the known ones first in benchmark order."""
    sections = []
    for path in sorted(SECTIONS.glob("*.json")):
        data = json.loads(path.read_text())
        if isinstance(data, dict) and "targets" in data and "body" in data:
            data.setdefault("name", path.stem)
            sections.append(data)
    rank = {name: i for i, name in enumerate(ORDER)}
    return sorted(sections, key=lambda s: (rank.get(s["name"], len(ORDER)), s["name"]))


def met_text(met: bool | None) -> str:
    return "n/a" if met is None else "yes" if met else "**no**"


def cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render(sections: list[dict], elapsed: float | None) -> str:
    info = machine()
    out = ["# Benchmark results", "",
           "Written by `make bench` (`bench/report.py`); each benchmark measures ours and its baseline in the same "
           "run. Timings on a shared machine are noisy: read ratios, not absolute figures.", "",
           "| machine | |", "| --- | --- |"]
    out += [f"| {key} | {cell(value)} |" for key, value in info.items()]
    if elapsed is not None:
        out.append(f"| total run time | {elapsed / 60:.1f} min ({elapsed:.0f} s) |")
    else:
        out.append("| total run time | not recorded (report.py run on its own, not by `make bench`) |")
    out += ["", "Sections are rerun one at a time, so each was measured on the machine and at the date below "
            "(the table above is this report's):", "", "| section | cpu | date |", "| --- | --- | --- |"]
    for section in sections:
        where = section.get("measured_on", {})
        out.append(f"| {cell(section['title'])} | {cell(where.get('cpu', 'not recorded'))} | "
                   f"{cell(where.get('date', 'not recorded'))} |")
    targets = [(s, t) for s in sections for t in s["targets"]]
    met = sum(1 for _, t in targets if t.get("met"))
    out += ["", f"## Targets ({met} of {len(targets)} met)", "",
            "| benchmark | name | target | measured | ratio | met | notes |",
            "| --- | --- | --- | --- | ---: | --- | --- |"]
    for section, t in targets:
        out.append(f"| {cell(section['title'])} | {cell(t['name'])} | {cell(t['target'])} | {cell(t['measured'])} | "
                   f"{fmt_ratio(t.get('ratio'))} | {met_text(t.get('met'))} | {cell(t.get('notes', ''))} |")
    missing = [name for name in ORDER if name not in {s["name"] for s in sections}]
    if missing:
        out += ["", f"Not in this run (no section saved): {', '.join(f'`{m}`' for m in missing)}."]
    for section in sections:
        out += ["", f"## {section['title']}", "", section["body"].rstrip()]
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--elapsed", type=float, help="wall time of the whole run, in seconds")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    sections = load_sections()
    args.output.write_text(render(sections, args.elapsed))
    print(f"wrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}: "
          f"{len(sections)} sections, {sum(len(s['targets']) for s in sections)} targets")


if __name__ == "__main__":
    main()
