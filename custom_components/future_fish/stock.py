"""The stock of a pond: what swims in it, what it weighs, what it ate and made of it.

A farm's records as a ledger: a stocking, then weighed samples, mortalities,
harvests, restockings and the feed given, each changing the figures a farmer runs a
pond by: biomass, stocking density, days since stocking and the feed conversion
ratio (FCR).

FCR = feed given / biomass gained, where the biomass gained counts every fish that
grew in the pond, also those that left it:

    gained = biomass now + harvested + dead removed − stocked

This is the biological FCR (mortality counted); the feeding notes (FEEDING.md) give
typical FCR values per species but no formula. A dead fish that was not weighed is
counted at the average weight of the day [I]; a harvest leaves the average weight
as it was (weigh a sample after harvesting the largest fish).

Pure and immutable: every event returns a new `Stock`, and `as_dict`/`from_dict`
carry it to and from storage. A value that cannot be recorded raises
`FeedingInputError` with a translation key.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
import math
from typing import Any, Final, Self

from .rations import FeedingInputError
from .species import Profile

_GRAMS_PER_KG: Final = 1000.0
# Figures as a farm records them: grams to a tenth, kilograms to a gram, FCR to 0.01.
WEIGHT_DIGITS: Final = 1
KG_DIGITS: Final = 3
FCR_DIGITS: Final = 2
DENSITY_DIGITS: Final = 2


class DensityUnit(StrEnum):
    """What a stocking density is measured in."""

    KILOGRAMS_PER_CUBIC_METER = "kg/m³"
    FISH_PER_SQUARE_METER = "fish/m²"


@dataclass(frozen=True, slots=True)
class Density:
    """A stocking density: kg/m³ when the pond's volume is known, else fish/m²."""

    value: float
    unit: DensityUnit


def _positive(value: float, key: str, name: str) -> float:
    if not (math.isfinite(value) and value > 0):
        raise FeedingInputError(key, **{name: f"{value:g}"})
    return value


def _count(value: int, key: str = "fish_count_invalid") -> int:
    if value < 1:
        raise FeedingInputError(key, count=str(value))
    return value


@dataclass(frozen=True, kw_only=True, slots=True)
class Stock:
    """One pond's stock and its record since it was stocked."""

    species: Profile
    count: int
    """Fish in the pond now."""
    average_weight: float
    """Grams, from the stocking or the latest weighed sample."""
    stocked_on: date
    stocked_kg: float
    """Biomass put into the pond: the stocking and every restocking since."""
    feed_given: float = 0.0
    """Grams of feed given since stocking."""
    harvested_count: int = 0
    harvested_kg: float = 0.0
    dead_count: int = 0
    dead_kg: float = 0.0

    @classmethod
    def stocked(
        cls, species: Profile, count: int, average_weight: float, stocked_on: date
    ) -> Self:
        """Return a pond just stocked with `count` fish of `average_weight` grams."""
        _count(count)
        _positive(average_weight, "average_weight_invalid", "weight")
        return cls(
            species=species,
            count=count,
            average_weight=average_weight,
            stocked_on=stocked_on,
            stocked_kg=_kg(count * average_weight),
        )

    @property
    def biomass(self) -> float:
        """Kilograms of fish in the pond now."""
        return _kg(self.count * self.average_weight)

    @property
    def feed_kg(self) -> float:
        """Kilograms of feed given since stocking."""
        return _kg(self.feed_given)

    @property
    def gained_kg(self) -> float:
        """Kilograms the fish have grown since stocking, those removed included."""
        return round(
            self.biomass + self.harvested_kg + self.dead_kg - self.stocked_kg,
            KG_DIGITS,
        )

    @property
    def fcr(self) -> float | None:
        """Feed conversion ratio; None until the fish have gained weight."""
        if self.gained_kg <= 0:
            return None
        return round(self.feed_kg / self.gained_kg, FCR_DIGITS)

    def density(self, volume: float | None, area: float | None) -> Density | None:
        """Return kg/m³ with a volume (m³), else fish/m² with an area (m²)."""
        if volume is not None and volume > 0:
            return Density(
                round(self.biomass / volume, DENSITY_DIGITS),
                DensityUnit.KILOGRAMS_PER_CUBIC_METER,
            )
        if area is not None and area > 0:
            return Density(
                round(self.count / area, DENSITY_DIGITS),
                DensityUnit.FISH_PER_SQUARE_METER,
            )
        return None

    def days_since_stocking(self, today: date) -> int | None:
        """Return the days since stocking; None while the stocking date lies ahead."""
        days = (today - self.stocked_on).days
        return days if days >= 0 else None

    def with_species(self, species: Profile) -> Self:
        """Return the stock with its species corrected."""
        return replace(self, species=species)

    def corrected(
        self,
        *,
        count: int | None = None,
        average_weight: float | None = None,
        stocked_on: date | None = None,
    ) -> Self:
        """Return the stock with figures set by hand (the pond's settings).

        A count set by hand is not a mortality or a harvest: fish that vanished
        without a record (birds, theft, a miscount) leave the gain, so the FCR rises
        as the farm's does. An average weight set by hand is a sample's.
        """
        if count is not None and count < 0:
            raise FeedingInputError("fish_count_invalid", count=str(count))
        if average_weight is not None:
            _positive(average_weight, "average_weight_invalid", "weight")
        return replace(
            self,
            count=self.count if count is None else count,
            average_weight=(
                self.average_weight if average_weight is None else average_weight
            ),
            stocked_on=self.stocked_on if stocked_on is None else stocked_on,
        )

    def record_feed(self, grams: float) -> Self:
        """Return the stock after a feed of `grams` was given."""
        _positive(grams, "feed_given_invalid", "amount")
        return replace(self, feed_given=round(self.feed_given + grams, WEIGHT_DIGITS))

    def record_sample(self, fish: int, grams: float) -> Self:
        """Return the stock after a sample of `fish` weighed `grams` together."""
        _count(fish, "sample_count_invalid")
        _positive(grams, "sample_weight_invalid", "weight")
        return replace(self, average_weight=round(grams / fish, WEIGHT_DIGITS))

    def record_mortality(self, fish: int, grams: float | None = None) -> Self:
        """Return the stock after `fish` dead fish were removed (weighing `grams`)."""
        self._removable(_count(fish))
        if grams is None:
            grams = fish * self.average_weight
        else:
            _positive(grams, "mortality_weight_invalid", "weight")
        return replace(
            self,
            count=self.count - fish,
            dead_count=self.dead_count + fish,
            dead_kg=_kg(self.dead_kg * _GRAMS_PER_KG + grams),
        )

    def record_harvest(self, fish: int | None = None, kg: float | None = None) -> Self:
        """Return the stock after a harvest of `fish` fish or `kg` kilograms, or both.

        Given only the weight, the number is the weight at the average weight.
        """
        if kg is not None:
            _positive(kg, "harvest_weight_invalid", "weight")
            if fish is None:
                fish = round(kg * _GRAMS_PER_KG / self.average_weight)
        elif fish is None:
            raise FeedingInputError("harvest_amount_missing")
        self._removable(_count(fish))
        if kg is None:
            kg = _kg(fish * self.average_weight)
        return replace(
            self,
            count=self.count - fish,
            harvested_count=self.harvested_count + fish,
            harvested_kg=round(self.harvested_kg + kg, KG_DIGITS),
        )

    def restock(self, fish: int, average_weight: float, on: date) -> Self:
        """Return the stock after `fish` fish of `average_weight` g were put in.

        Into an empty pond, this is a new stocking: the record starts again on `on`.
        Otherwise they join the fish there: the average weight becomes the mean of
        both, and the stocking date stays.
        """
        _count(fish)
        _positive(average_weight, "average_weight_invalid", "weight")
        if self.count == 0:
            return type(self).stocked(self.species, fish, average_weight, on)
        count = self.count + fish
        return replace(
            self,
            count=count,
            average_weight=round(
                (self.count * self.average_weight + fish * average_weight) / count,
                WEIGHT_DIGITS,
            ),
            stocked_kg=round(self.stocked_kg + _kg(fish * average_weight), KG_DIGITS),
        )

    def as_dict(self) -> dict[str, Any]:
        """Return the stock as plain values, for storage."""
        return {
            "species": self.species.value,
            "count": self.count,
            "average_weight": self.average_weight,
            "stocked_on": self.stocked_on.isoformat(),
            "stocked_kg": self.stocked_kg,
            "feed_given": self.feed_given,
            "harvested_count": self.harvested_count,
            "harvested_kg": self.harvested_kg,
            "dead_count": self.dead_count,
            "dead_kg": self.dead_kg,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Return the stock `as_dict` stored."""
        return cls(
            species=Profile(data["species"]),
            count=data["count"],
            average_weight=data["average_weight"],
            stocked_on=date.fromisoformat(data["stocked_on"]),
            stocked_kg=data["stocked_kg"],
            feed_given=data["feed_given"],
            harvested_count=data["harvested_count"],
            harvested_kg=data["harvested_kg"],
            dead_count=data["dead_count"],
            dead_kg=data["dead_kg"],
        )

    def _removable(self, fish: int) -> None:
        if fish > self.count:
            raise FeedingInputError(
                "more_fish_than_in_pond", count=str(fish), stock=str(self.count)
            )


def _kg(grams: float) -> float:
    return round(grams / _GRAMS_PER_KG, KG_DIGITS)
