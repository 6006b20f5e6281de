"""Realistic shapes of the European cluster landscape: countries and NUTS 3 regions with their weights,
ecosystems, member kinds, programmes."""

from __future__ import annotations

import random
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate

from clustergraph.synth.terms import _cg

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
