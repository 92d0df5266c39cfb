"""The feeding hold: each reason on its own, their edges, and what is not sourced."""

from dataclasses import replace
from typing import Any

import pytest

from custom_components.future_fish.feeding_hold import (
    AMMONIA_LIMITS,
    OXYGEN_FLOORS,
    HoldReason,
    PondConditions,
    hold_reasons,
    oxygen_floor,
)
from custom_components.future_fish.rations import Mark, Source
from custom_components.future_fish.species import Profile

# A pond at ease: good oxygen, warm water, no ammonia, midday, controller online.
CALM = PondConditions(dissolved_oxygen=7, water_temperature=25, unionised_ammonia=0)


def _reasons(species: Profile, **changes: Any) -> frozenset[HoldReason]:
    return hold_reasons(species, replace(CALM, **changes))


@pytest.mark.parametrize("species", list(Profile))
def test_a_calm_pond_may_be_fed(species: Profile) -> None:
    """Nothing holds feeding in good water at midday (trout: its water is cooler)."""
    temperature = 14 if species is Profile.RAINBOW_TROUT else 25
    assert _reasons(species, water_temperature=temperature) == frozenset()


@pytest.mark.parametrize(
    ("species", "floor", "source"),
    [
        # FEEDING.md section 8: catfish and shrimp 3, tilapia 1-2.3, trout 5 mg/L.
        (Profile.CHANNEL_CATFISH, 3, Source("G3", Mark.AUTHORITATIVE)),
        (Profile.WHITELEG_SHRIMP, 3, Source("G1", Mark.AUTHORITATIVE)),
        (Profile.NILE_TILAPIA, 2.3, Source("T12", Mark.AUTHORITATIVE)),
        (Profile.RAINBOW_TROUT, 5, Source("R6", Mark.COPY)),
    ],
)
def test_oxygen_floors(species: Profile, floor: float, source: Source) -> None:
    """Below the species' floor the pond is held; at the floor it is not."""
    assert (OXYGEN_FLOORS[species].value, OXYGEN_FLOORS[species].source) == (
        floor,
        source,
    )
    temperature = 14 if species is Profile.RAINBOW_TROUT else 25
    held = _reasons(
        species, dissolved_oxygen=floor - 0.1, water_temperature=temperature
    )
    assert held == {HoldReason.OXYGEN_LOW}
    assert not _reasons(species, dissolved_oxygen=floor, water_temperature=temperature)


def test_the_pond_s_own_limit_counts_when_higher() -> None:
    """The pond's lower oxygen limit holds when above the floor, or with none."""
    assert oxygen_floor(Profile.CHANNEL_CATFISH, 5) == 5
    assert oxygen_floor(Profile.CHANNEL_CATFISH, 2) == 3
    assert oxygen_floor(Profile.CHANNEL_CATFISH, None) == 3
    assert oxygen_floor(Profile.COMMON_CARP, 4) == 4
    assert oxygen_floor(Profile.COMMON_CARP, None) is None
    assert _reasons(Profile.CHANNEL_CATFISH, dissolved_oxygen=4, oxygen_limit=5) == {
        HoldReason.OXYGEN_LOW
    }
    # No sourced floor for koi: only the pond's own limit holds them.
    assert not _reasons(Profile.COMMON_CARP, dissolved_oxygen=1)
    assert _reasons(Profile.COMMON_CARP, dissolved_oxygen=3.9, oxygen_limit=4) == {
        HoldReason.OXYGEN_LOW
    }


def test_a_crash_tonight_holds_the_evening_feed_only() -> None:
    """FEEDING.md 8 rule 8: not late in the day when the night will be short of O2."""
    species = Profile.NILE_TILAPIA
    assert _reasons(species, crash_expected_tonight=True, evening=True) == {
        HoldReason.OXYGEN_CRASH_TONIGHT
    }
    assert not _reasons(species, crash_expected_tonight=True)
    assert not _reasons(species, evening=True)


@pytest.mark.parametrize(
    ("species", "cold", "warm"),
    [
        (Profile.NILE_TILAPIA, 17.1, 17.2),  # [T1] C
        (Profile.COMMON_CARP, 4.9, 5),  # [K6] S
        (Profile.GOLDFISH, 4.9, 5),  # koi rules [I]
    ],
)
def test_too_cold_to_feed(species: Profile, cold: float, warm: float) -> None:
    """Below the feeding range the pond is held."""
    assert _reasons(species, water_temperature=cold) == {HoldReason.TEMPERATURE}
    assert not _reasons(species, water_temperature=warm)


def test_too_warm_for_trout_and_no_stop_for_the_others() -> None:
    """Trout stop above 20 °C [R7] P; catfish and shrimp have no sourced stop."""
    assert _reasons(Profile.RAINBOW_TROUT, water_temperature=20.1) == {
        HoldReason.TEMPERATURE
    }
    for species in (
        Profile.CHANNEL_CATFISH,
        Profile.AFRICAN_CATFISH,
        Profile.WHITELEG_SHRIMP,
    ):
        assert not _reasons(species, water_temperature=2)
        assert not _reasons(species, water_temperature=36)


@pytest.mark.parametrize(
    ("species", "limit"),
    [
        # FEEDING.md 2.5: NH3 0.08 mg/L [T13] P, as NH3-N: 0.08 / 1.216 [I].
        (Profile.NILE_TILAPIA, 0.066),
        # FEEDING.md 3.5: EC10 89 µM ≈ 1.25 mg NH3-N/L [A4] [I].
        (Profile.AFRICAN_CATFISH, 1.25),
    ],
)
def test_ammonia_that_takes_the_appetite(species: Profile, limit: float) -> None:
    """Above the feed-intake threshold the pond is held."""
    assert AMMONIA_LIMITS[species].value == limit
    assert _reasons(species, unionised_ammonia=limit + 0.001) == {HoldReason.AMMONIA}
    assert not _reasons(species, unionised_ammonia=limit)


def test_no_ammonia_rule_without_a_source() -> None:
    """Channel catfish, carp, goldfish, trout, shrimp: no feed-intake threshold."""
    assert set(AMMONIA_LIMITS) == {Profile.NILE_TILAPIA, Profile.AFRICAN_CATFISH}
    assert not _reasons(Profile.CHANNEL_CATFISH, unionised_ammonia=5)


def test_dawn_and_offline_and_everything_at_once() -> None:
    """The first hour after sunrise and an offline controller hold every species."""
    assert _reasons(Profile.CUSTOM, after_sunrise=True) == {HoldReason.AFTER_SUNRISE}
    assert _reasons(Profile.CUSTOM, controller_online=False) == {
        HoldReason.CONTROLLER_OFFLINE
    }
    assert _reasons(
        Profile.NILE_TILAPIA,
        dissolved_oxygen=1,
        water_temperature=15,
        unionised_ammonia=0.2,
        crash_expected_tonight=True,
        evening=True,
        after_sunrise=True,
        controller_online=False,
    ) == set(HoldReason)


def test_unknown_readings_hold_nothing() -> None:
    """A probe the pond lacks does not stop feeding by itself."""
    assert not _reasons(
        Profile.NILE_TILAPIA,
        dissolved_oxygen=None,
        water_temperature=None,
        unionised_ammonia=None,
    )
