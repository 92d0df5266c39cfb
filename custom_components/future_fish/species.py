"""Species profiles: limits for the fish (or shrimp) a pond holds.

The values, their sources and which of them are our own choice are listed in
docs/species.md (from ../shared/SPECIES.md). In short: the temperature limits are the
species' alarm temperatures, dissolved oxygen alarms at the level where the source
says to act (the "warn" value, before the critical one), pH at the edges of the
range the species should be kept in, and ammonia at the first level the source calls
harmful over time, as un-ionised ammonia (NH3-N).

A profile sets both limits of each quantity in `PROFILE_QUANTITIES`; a limit it has
no value for becomes unset, so switching species never leaves the previous species'
limit behind. Turbidity, battery, water level and feed level depend on the pond and
the equipment, not on the species: profiles leave them as the user set them.
"""

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from .alarms import Limits
from .protocol import Reading


class Profile(StrEnum):
    """The species a controller's limits are set for; custom when set by hand."""

    NILE_TILAPIA = "nile_tilapia"
    CHANNEL_CATFISH = "channel_catfish"
    AFRICAN_CATFISH = "african_catfish"
    COMMON_CARP = "common_carp"
    GOLDFISH = "goldfish"
    RAINBOW_TROUT = "rainbow_trout"
    WHITELEG_SHRIMP = "whiteleg_shrimp"
    CUSTOM = "custom"


PROFILE_QUANTITIES: Final = (
    Reading.TEMPERATURE,
    Reading.DISSOLVED_OXYGEN,
    Reading.PH,
    Reading.AMMONIA,
)

# Per profile, the limits of every quantity in PROFILE_QUANTITIES (in that order):
# water temperature °C, dissolved oxygen mg/L, pH, un-ionised ammonia mg/L NH3-N.
PROFILES: Final[Mapping[Profile, Mapping[Reading, Limits]]] = {
    profile: dict(zip(PROFILE_QUANTITIES, limits, strict=True))
    for profile, limits in (
        (
            Profile.NILE_TILAPIA,
            (Limits(17, 35), Limits(4, None), Limits(6, 9), Limits(None, 0.06)),
        ),
        (
            Profile.CHANNEL_CATFISH,
            (Limits(21, 33), Limits(5, None), Limits(6.5, 9), Limits(None, 0.05)),
        ),
        (
            Profile.AFRICAN_CATFISH,
            (Limits(22, 33), Limits(3, None), Limits(6.5, 8), Limits(None, 0.34)),
        ),
        (
            Profile.COMMON_CARP,
            (Limits(None, 30), Limits(4, None), Limits(6.5, 9), Limits(None, 0.05)),
        ),
        (
            Profile.GOLDFISH,
            (Limits(None, None), Limits(4, None), Limits(6, 8), Limits(None, 0.05)),
        ),
        (
            Profile.RAINBOW_TROUT,
            (Limits(None, 19), Limits(6, None), Limits(6.5, 9), Limits(None, 0.0125)),
        ),
        (
            Profile.WHITELEG_SHRIMP,
            (Limits(20, 32), Limits(4, None), Limits(7, 9), Limits(None, 0.12)),
        ),
    )
}
