"""Species profiles: complete, consistent, and documented as they are."""

import json
from pathlib import Path

import pytest

from custom_components.future_fish.alarms import Limits
from custom_components.future_fish.protocol import PLAUSIBLE_RANGES, Reading
from custom_components.future_fish.species import PROFILE_QUANTITIES, PROFILES, Profile

ROOT = Path(__file__).parent.parent
STRINGS = json.loads(
    (ROOT / "custom_components/future_fish/strings.json").read_text(encoding="utf-8")
)
NAMES = STRINGS["entity"]["select"]["species_profile"]["state"]
DOCS = (ROOT / "docs/species.md").read_text(encoding="utf-8")
SPECIES = [profile for profile in Profile if profile is not Profile.CUSTOM]


def test_every_species_has_a_profile() -> None:
    """The issue's seven species plus custom, which has no limits of its own."""
    assert [NAMES[profile] for profile in Profile] == [
        "Nile tilapia",
        "Channel catfish",
        "African catfish",
        "Common carp / koi",
        "Goldfish",
        "Rainbow trout",
        "Whiteleg shrimp",
        "Custom",
    ]
    assert set(PROFILES) == set(SPECIES)


@pytest.mark.parametrize("profile", SPECIES)
def test_profile_limits_are_usable(profile: Profile) -> None:
    """Both limits of the four quantities, inside the readings' range, in order."""
    limits = PROFILES[profile]
    assert tuple(limits) == PROFILE_QUANTITIES
    for reading, pair in limits.items():
        spec = PLAUSIBLE_RANGES[reading]
        for value in (pair.lower, pair.upper):
            if value is not None:
                assert spec.minimum is not None and spec.maximum is not None
                assert spec.minimum < value < spec.maximum, (profile, reading)
        if pair.lower is not None and pair.upper is not None:
            assert pair.lower < pair.upper, (profile, reading)
    # Every species' oxygen has a lower limit: the forecast compares with it.
    assert limits[Reading.DISSOLVED_OXYGEN].lower is not None


def _cell(limits: Limits) -> str:
    """Return a limit pair as the documentation's overview table writes it."""
    lower, upper = limits.lower, limits.upper
    if lower is not None and upper is not None:
        return f"{lower:g} – {upper:g}"
    if lower is not None:
        return f"≥ {lower:g}"
    if upper is not None:
        return f"≤ {upper:g}"
    return "none"


@pytest.mark.parametrize("profile", SPECIES)
def test_documentation_shows_the_profiles_values(profile: Profile) -> None:
    """docs/species.md's overview row says exactly what the profile sets."""
    cells = [_cell(PROFILES[profile][reading]) for reading in PROFILE_QUANTITIES]
    row = f"| {NAMES[profile]} | {' | '.join(cells)} |"
    assert row in DOCS
    # And the species has its own section with the sources.
    assert f"### {NAMES[profile].split(' (')[0]}" in DOCS
