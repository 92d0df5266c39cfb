"""The feeding hold: whether a pond may be fed now, and if not, why.

Feed is the largest oxygen load on a pond: the fish's digestion and the bacteria on
what they leave use oxygen for hours after a meal. Feeding into water that is short
of oxygen, or will be tonight, hurts the fish and wastes the feed; so does feeding
fish that are too cold to eat or whose appetite ammonia has taken away.

The oxygen floors and ammonia thresholds are the ones the project's feeding notes
(FEEDING.md) give per species, with their source tags and confidence marks; a
species without a sourced number is not held by that rule (docs/feeding.md lists
them). Pure: readings and facts about the hour in, the reasons out.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from .rations import Mark, Source, Sourced, feeding_stop
from .species import Profile


class HoldReason(StrEnum):
    """Why a pond must not be fed now."""

    OXYGEN_LOW = "oxygen_low"
    """Dissolved oxygen is below the species' feeding floor or the pond's limit."""
    OXYGEN_CRASH_TONIGHT = "oxygen_crash_tonight"
    """An evening feed, and the dawn forecast expects oxygen to crash tonight."""
    TEMPERATURE = "temperature"
    """The water is outside the species' feeding range."""
    AMMONIA = "ammonia"
    """Un-ionised ammonia is above the level at which the species eats less."""
    AFTER_SUNRISE = "after_sunrise"
    """The first hour after sunrise, when oxygen is lowest."""
    CONTROLLER_OFFLINE = "controller_offline"
    """The controller does not answer: nothing it measures or feeds can be trusted."""


# FEEDING.md section 8 names these floors for feeding: catfish and shrimp 3 mg/L,
# tilapia 1-2.3 mg/L (the upper end, [T12] P, the level not to go below), trout 5.
OXYGEN_FLOORS: Final[Mapping[Profile, Sourced]] = {
    Profile.CHANNEL_CATFISH: Sourced(3, Source("G3", Mark.AUTHORITATIVE)),
    Profile.WHITELEG_SHRIMP: Sourced(3, Source("G1", Mark.AUTHORITATIVE)),
    Profile.NILE_TILAPIA: Sourced(2.3, Source("T12", Mark.AUTHORITATIVE)),
    Profile.RAINBOW_TROUT: Sourced(5, Source("R6", Mark.COPY)),
}
# Un-ionised ammonia, mg/L NH3-N, above which the species eats less.
NH3_PER_NH3_N: Final = 1.216
AMMONIA_LIMITS: Final[Mapping[Profile, Sourced]] = {
    # "Feed consumption starts to fall at NH3 ≈ 0.08 mg/L", as NH3: in NH3-N [I].
    Profile.NILE_TILAPIA: Sourced(
        round(0.08 / NH3_PER_NH3_N, 3), Source("T13", Mark.INTERPRETATION)
    ),
    # EC10 of feed intake, 89 µM NH3, ≈ 1.25 mg NH3-N/L [I] (Schram et al. 2010).
    Profile.AFRICAN_CATFISH: Sourced(1.25, Source("A4", Mark.INTERPRETATION)),
}


@dataclass(frozen=True, kw_only=True, slots=True)
class PondConditions:
    """What is known about a pond now; None where a reading is unknown."""

    dissolved_oxygen: float | None
    """mg/L."""
    water_temperature: float | None
    """°C."""
    unionised_ammonia: float | None
    """mg/L NH3-N."""
    oxygen_limit: float | None = None
    """The pond's own lower dissolved oxygen limit, mg/L, held to when it is higher."""
    crash_expected_tonight: bool = False
    """The dawn forecast expects oxygen to fall below its limit by sunrise."""
    evening: bool = False
    """A feed now would be digested into the night."""
    after_sunrise: bool = False
    """Within the first hour after sunrise."""
    controller_online: bool = True


def oxygen_floor(species: Profile, pond_limit: float | None) -> float | None:
    """Return the oxygen below which a pond is not fed: the higher of both floors."""
    floors = [
        floor
        for floor in (
            OXYGEN_FLOORS[species].value if species in OXYGEN_FLOORS else None,
            pond_limit,
        )
        if floor is not None
    ]
    return max(floors, default=None)


def hold_reasons(species: Profile, pond: PondConditions) -> frozenset[HoldReason]:
    """Return why `species` in `pond` must not be fed now; empty: it may be fed.

    An unknown reading holds nothing by itself: an offline controller is its own
    reason, and a probe the pond does not have should not stop all feeding.
    """
    reasons: set[HoldReason] = set()
    if not pond.controller_online:
        reasons.add(HoldReason.CONTROLLER_OFFLINE)
    floor = oxygen_floor(species, pond.oxygen_limit)
    if (
        floor is not None
        and pond.dissolved_oxygen is not None
        and pond.dissolved_oxygen < floor
    ):
        reasons.add(HoldReason.OXYGEN_LOW)
    if pond.crash_expected_tonight and pond.evening:
        reasons.add(HoldReason.OXYGEN_CRASH_TONIGHT)
    if (
        pond.water_temperature is not None
        and feeding_stop(species, pond.water_temperature) is not None
    ):
        reasons.add(HoldReason.TEMPERATURE)
    limit = AMMONIA_LIMITS.get(species)
    if (
        limit is not None
        and pond.unionised_ammonia is not None
        and pond.unionised_ammonia > limit.value
    ):
        reasons.add(HoldReason.AMMONIA)
    if pond.after_sunrise:
        reasons.add(HoldReason.AFTER_SUNRISE)
    return frozenset(reasons)
