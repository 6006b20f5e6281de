"""How much synthetic data to make (presets), and what a run wrote."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MAX_TRIPLES_PER_FILE = 200_000
EDITIONS = (2022, 2024)
SOURCE_FOLDERS = {2022: "synth-report-2022", 2024: "synth-report-2024"}
REFERENCE_DIR = Path(__file__).resolve().parents[3] / "data" / "reference"


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
