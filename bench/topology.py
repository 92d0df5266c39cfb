"""How the fleet is spread over topic prefixes, as README's "Scale" section advises.

Home Assistant adds at most 10,000 enabled entities to one config entry (MQTT, the
peer's, is exempt), and a Future Fish hub is one config entry per topic prefix. A
fleet larger than one hub holds runs over `ff/g1`, `ff/g2`, ... with one hub each,
as few as fit with some headroom; a fleet that fits stays on `ff`, as deployed. The
fleet, the peer's bridge and the ceiling all see the same prefixes.

Pure functions without Home Assistant, so that the fleet process can import them.
"""

from __future__ import annotations

from collections.abc import Sequence
import math

BASE_PREFIX = "ff"
# Fill a hub to at most this share of the limit: room for the disabled-by-default
# entities a user enables (3 of 81 per controller) and for a few more controllers,
# so that a farm set up like this does not hit the limit on its next addition.
_FILL = 0.9


def hub_capacity(limit: int, enabled_per_controller: int) -> int:
    """Return how many controllers one hub should hold."""
    return max(1, math.floor(limit * _FILL) // max(1, enabled_per_controller))


def prefixes(count: int, per_hub: int) -> list[str]:
    """Return the topic prefixes of a fleet of `count`, one hub each."""
    hubs = math.ceil(count / per_hub)
    if hubs <= 1:
        return [BASE_PREFIX]
    return [f"{BASE_PREFIX}/g{number}" for number in range(1, hubs + 1)]


def assign(ids: Sequence[str], prefixes: Sequence[str]) -> dict[str, list[str]]:
    """Split `ids` in order over `prefixes`, in groups whose sizes differ by one."""
    groups: dict[str, list[str]] = {}
    size, larger = divmod(len(ids), len(prefixes))
    start = 0
    for index, prefix in enumerate(prefixes):
        end = start + size + (index < larger)
        groups[prefix] = list(ids[start:end])
        start = end
    return groups


def prefix_of(ids: Sequence[str], prefixes: Sequence[str]) -> dict[str, str]:
    """Return each id's prefix under `assign`."""
    return {
        device: prefix
        for prefix, group in assign(ids, prefixes).items()
        for device in group
    }
