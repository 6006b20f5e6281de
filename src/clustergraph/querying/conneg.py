"""HTTP content negotiation: pick the offered media type an ``Accept`` header prefers (RFC 9110 12.5.1).

Each offered type takes the quality of the most specific range that matches it (``type/subtype`` beats
``type/*`` beats ``*/*``); ``q=0`` refuses a type; ties go to the server's order of preference. An offered
type may have aliases, other names clients use for it (``application/json`` for JSON-LD): a range naming an
alias counts as naming the type, unless the type itself is named.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from clustergraph.errors import NotAcceptable


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float

    def specificity(self, media_type: str) -> int:
        """2 for an exact match, 1 for ``type/*``, 0 for ``*/*``, -1 when the range does not match."""
        kind, _, sub = media_type.partition("/")
        if self.type == "*":
            return 0
        if self.type != kind:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == sub else -1


def parse_accept(header: str | None) -> list[MediaRange]:
    """Media ranges of an Accept header; a missing or empty header accepts anything.

    >>> [(r.type, r.subtype, r.q) for r in parse_accept("text/turtle;q=0.5, */*;q=0.1")]
    [('text', 'turtle', 0.5), ('*', '*', 0.1)]
    """
    if not header or not header.strip():
        return [MediaRange("*", "*", 1.0)]
    ranges = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        kind, _, sub = fields[0].lower().partition("/")
        if not kind or not sub:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append(MediaRange(kind, sub, q))
    return ranges


def _match(ranges: list[MediaRange], media_type: str) -> tuple[int, float]:
    """(specificity, quality) of the most specific range matching ``media_type``; (-1, 0) for none."""
    best, best_q = -1, 0.0
    for media_range in ranges:
        spec = media_range.specificity(media_type)
        if spec > best or (spec == best and media_range.q > best_q):
            best, best_q = spec, media_range.q
    return best, (best_q if best >= 0 else 0.0)


def quality(ranges: list[MediaRange], media_type: str, aliases: tuple[str, ...] = ()) -> float:
    """The quality the client gives ``media_type``: that of the most specific matching range, else 0; or that
    of a range naming one of its ``aliases`` exactly, when the type itself is not named exactly.

    >>> quality(parse_accept("application/json, */*;q=0.1"), "application/ld+json", ("application/json",))
    1.0
    """
    spec, q = _match(ranges, media_type)
    if spec == 2:
        return q
    named = [alias_q for alias_spec, alias_q in (_match(ranges, alias) for alias in aliases) if alias_spec == 2]
    return max([q, *named])


def negotiate(header: str | None, offered: list[str], aliases: Mapping[str, tuple[str, ...]] | None = None) -> str:
    """The offered type the client prefers; ``offered`` is in the server's order of preference, ``aliases``
    the other names of some of them.

    :raises NotAcceptable: when the client accepts none of ``offered``.

    >>> negotiate("application/xml;q=0.9, text/*", ["application/json", "application/xml", "text/csv"])
    'text/csv'
    """
    media_type = prefer(header, offered, aliases)
    if media_type is None:
        raise NotAcceptable(f"none of the offered media types is acceptable; offered: {', '.join(offered)}")
    return media_type


def prefer(header: str | None, offered: list[str], aliases: Mapping[str, tuple[str, ...]] | None = None) -> str | None:
    """What :func:`negotiate` chooses, or None when the client accepts none of ``offered``."""
    ranges = parse_accept(header)
    aliases = aliases or {}
    scored = [(quality(ranges, media_type, aliases.get(media_type, ())), -index, media_type)
              for index, media_type in enumerate(offered)]
    q, _, media_type = max(scored)
    return media_type if q > 0 else None
