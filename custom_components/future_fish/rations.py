"""Daily rations from the sourced feeding tables: how much a pond's fish should eat.

Every number here comes from the project's feeding notes (FEEDING.md, kept with the
protocol notes) with the source tag and the confidence mark those notes give it, and
docs/feeding.md shows them to the farmer. Where the notes have no number (an empty
cell), there is none here either: the result says so instead of guessing, and the
pond's own feeding rate (the farmer's feed maker's table) has to fill the gap.

Three readings of the tables are our own and are marked I where they apply:

- a size class whose rate falls from one figure to another as the fish grow
  ("60–200 g: 5–3.7 %") is interpolated linearly over the class's weights;
- a range that is an allowance, not a slope ("fingerlings 2–5 %"), gives its low end,
  the smaller oxygen load, with the whole range shown beside it;
- a size or temperature class includes its lower edge and excludes its upper one.

Pure: species, weight, temperature in; a recommendation out. The Home Assistant side
(sensors, the per-pond override, the feed totals) builds on it.
"""

from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
import math
from typing import Final

from .species import Profile

# A rate to a hundredth of a percent: the tables give tenths, interpolation no more.
RATE_DIGITS: Final = 2
# Rations and portions to a tenth of a gram: a small garden pond eats a few grams.
GRAM_DIGITS: Final = 1
_GRAMS_PER_KG: Final = 1000.0
_PERCENT: Final = 100.0


class FeedingInputError(ValueError):
    """A value the feeding model cannot work with, explained for a translated error.

    Home Assistant's side turns it into a ServiceValidationError with the same
    translation key and placeholders (in the integration's translation domain).
    """

    def __init__(self, translation_key: str, **placeholders: str) -> None:
        """Name the problem by its translation key and its placeholders."""
        super().__init__(translation_key, placeholders)
        self.translation_key = translation_key
        self.translation_placeholders = placeholders


class Mark(StrEnum):
    """How much to trust a number: the confidence marks of the feeding notes."""

    AUTHORITATIVE = "P"
    """Read in an authoritative source (extension, FAO, USDA-ARS, peer review)."""
    COPY = "C"
    """An authoritative text read on a third-party copy."""
    SECONDARY = "S"
    """Secondary, not verified: taken from a research note that cites the source."""
    WEAK = "W"
    """An industry, hobby or uncited page: a fallback only."""
    INTERPRETATION = "I"
    """Our own interpretation or unit conversion of a sourced figure."""


@dataclass(frozen=True, slots=True)
class Source:
    """Where a number comes from: the notes' reference tag and its confidence mark."""

    tag: str
    mark: Mark

    def __str__(self) -> str:
        """Return the citation as the notes write it, e.g. `[T11] W`."""
        return f"[{self.tag}] {self.mark}"


@dataclass(frozen=True, slots=True)
class Sourced:
    """A single sourced number, e.g. a threshold."""

    value: float
    source: Source


@dataclass(frozen=True, kw_only=True, slots=True)
class SourcedRate:
    """A feeding rate in % body weight per day, as a table gives it."""

    low: float
    high: float
    source: Source
    falls_with_weight: bool = False
    """True: `high` at the class's lower edge falling to `low` at its upper edge.
    False: an allowance, of which `low` is used."""


@dataclass(frozen=True, kw_only=True, slots=True)
class SizeClass:
    """One row of a size table: from `from_grams` up to (not including) `to_grams`."""

    from_grams: float
    to_grams: float | None
    """None: no upper edge."""
    rate: SourcedRate | None
    """None: no source gives a rate for fish of this size."""
    feedings: int | None
    feedings_source: Source | None


class TemperatureRule(StrEnum):
    """What the water temperature does to the ration."""

    NONE = "none"
    """No temperature rule applies: the size rate, every day."""
    TABLE = "table"
    """The rate is read from a temperature × size table."""
    STOP = "stop"
    """Outside the species' feeding range: do not feed."""
    RESTRICT = "restrict"
    """The source says to restrict feeding but gives no rate: none is recommended."""
    HALVE = "halve"
    """Very warm water: half the size rate (channel catfish above 29.4 °C)."""
    ALTERNATE_DAYS = "alternate_days"
    """The size rate, fed every other day (channel catfish below 20 °C)."""
    ONE_PERCENT_EVERY_2_TO_3_DAYS = "one_percent_every_2_to_3_days"
    """Overwintering: 1 % once every 2–3 days (channel catfish below 18.3 °C)."""
    TWO_TO_THREE_TIMES_A_WEEK = "two_to_three_times_a_week"
    """Cold water: the table's rate, fed on 2–3 days a week (koi at 5–10 °C)."""


_SPACED_RULES: Final = frozenset(
    {
        TemperatureRule.ALTERNATE_DAYS,
        TemperatureRule.ONE_PERCENT_EVERY_2_TO_3_DAYS,
        TemperatureRule.TWO_TO_THREE_TIMES_A_WEEK,
    }
)


class NoRate(StrEnum):
    """Why no feeding rate is recommended."""

    NO_SOURCED_RATE = "no_sourced_rate"
    """The species has no sourced rate for fish of any size (or no species is set)."""
    SIZE_NOT_COVERED = "size_not_covered"
    """The sourced table does not cover fish of this weight."""
    TEMPERATURE_NOT_COVERED = "temperature_not_covered"
    """The sourced table does not cover this water temperature."""


@dataclass(frozen=True, kw_only=True, slots=True)
class FeedingRate:
    """The recommended feeding of a species' fish at a weight and a temperature."""

    rate: float | None
    """% body weight per feeding day; 0 when feeding stops; None without a source."""
    rate_source: Source | None = None
    """Where the rate comes from; None for the pond's own rate or no rate."""
    rate_range: tuple[float, float] | None = None
    """The source's range (low, high) the rate was read from, before temperature."""
    feedings_per_day: int | None = None
    feedings_source: Source | None = None
    temperature_rule: TemperatureRule = TemperatureRule.NONE
    temperature_source: Source | None = None
    no_rate: NoRate | None = None
    """Why `rate` is None."""
    overridden: bool = False
    """True when the pond's own feeding rate replaced the sourced one."""

    @property
    def days_between_feedings(self) -> int:
        """Return the fewest days from one feeding day to the next under the rule.

        The rate is a feeding day's: on alternate days, every 2-3 days and 2-3
        days a week, a day's feeding is followed by at least one day without [I].
        """
        return 2 if self.temperature_rule in _SPACED_RULES else 1


@dataclass(frozen=True, kw_only=True, slots=True)
class FeedingRange:
    """Temperatures outside which a species is not fed at all (None: no sourced edge).

    The lower edge stops feeding below it; the upper one above it.
    """

    below: Sourced | None = None
    above: Sourced | None = None


def fahrenheit_to_celsius(fahrenheit: float) -> float:
    """Return °C for °F, the conversion the feeding notes use: (°F − 32) / 1.8."""
    return (fahrenheit - 32) / 1.8


def grams_per_fish(fish_per_pound: float) -> float:
    """Return the weight of a fish from a count per pound, as the notes convert it."""
    return 453.6 / fish_per_pound


def _source(tag: str, mark: str) -> Source:
    return Source(tag, Mark(mark))


def _falling(high: float, low: float, source: Source) -> SourcedRate:
    """Return a rate that falls from `high` to `low` across its size class."""
    return SourcedRate(low=low, high=high, source=source, falls_with_weight=True)


def _allowance(low: float, high: float, source: Source) -> SourcedRate:
    """Return a rate given as a range to choose from (or one figure)."""
    return SourcedRate(low=low, high=high, source=source)


type _Row = tuple[float, float | None, SourcedRate | None, int, Source]


def _sizes(*rows: _Row) -> tuple[SizeClass, ...]:
    """Return a size table from rows: from g, to g, rate, feedings, their source."""
    return tuple(
        SizeClass(
            from_grams=start,
            to_grams=end,
            rate=rate,
            feedings=feedings,
            feedings_source=feedings_source,
        )
        for start, end, rate, feedings, feedings_source in rows
    )


# --- Nile tilapia (FEEDING.md 2.1, 2.2) ------------------------------------------------

_T2_FEEDINGS: Final = _source("T2", "C")
_T10: Final = _source("T10", "W")
_T11: Final = _source("T11", "W")
# SRAC 281: at least 3 feedings under 25 g; 1 is possible, 2 better above.
TILAPIA_SIZES: Final[Sequence[SizeClass]] = _sizes(
    # Fry are fed by age in weeks (20-42 %), not by a weight the notes give.
    (0, 0.35, None, 3, _T2_FEEDINGS),
    (0.35, 2.5, _falling(9, 8, _T10), 3, _T2_FEEDINGS),
    (2.5, 10, _falling(8, 7, _T10), 3, _T2_FEEDINGS),
    (10, 25, _falling(7, 6, _T10), 3, _T2_FEEDINGS),
    (25, 60, _falling(5.5, 5, _T11), 2, _T2_FEEDINGS),
    (60, 200, _falling(5, 3.7, _T11), 2, _T2_FEEDINGS),
    (200, 750, _falling(3.7, 1.6, _T11), 2, _T2_FEEDINGS),
    (750, None, None, 2, _T2_FEEDINGS),
)

# --- Channel catfish (FEEDING.md 1.1, 1.2) ---------------------------------------------

# The notes give rates by stage, not weight; stockers (0.26 kg, [C10] P) start the
# grow-out to food fish, so fish below that weight are fed as fingerlings [I].
CATFISH_STOCKER_GRAMS: Final = Sourced(260, _source("C10", "I"))
_C1: Final = _source("C1", "P")
CHANNEL_CATFISH_SIZES: Final[Sequence[SizeClass]] = _sizes(
    (0, CATFISH_STOCKER_GRAMS.value, _allowance(2, 5, _C1), 2, _C1),
    # FAO feeds food fish "to satiation"; 2-3 % is the only figure, for small ponds.
    (
        CATFISH_STOCKER_GRAMS.value,
        None,
        _allowance(2, 3, _source("C16", "W")),
        1,
        _C1,
    ),
)
CATFISH_HALVE_ABOVE: Final = Sourced(29.4, _source("C3", "P"))
CATFISH_ALTERNATE_DAYS_BELOW: Final = Sourced(20, _source("C6", "P"))
CATFISH_OVERWINTER_BELOW: Final = Sourced(18.3, _source("C3", "P"))
CATFISH_OVERWINTER_RATE: Final = Sourced(1, _source("C3", "P"))
# One feeding on the days fed: [C3] gives one ration every 2-3 days [I].
_OVERWINTER_FEEDINGS: Final = _source("C3", "I")
# Halving cuts by the least the source asks ("by 50 % or more").
_HALF: Final = 0.5

# --- African catfish (FEEDING.md 3.1) --------------------------------------------------

# The smallest fish a sourced pond or tank rate was tested on (5.9 g, [A11] P).
_A5: Final = _source("A5", "P")
AFRICAN_CATFISH_SIZES: Final[Sequence[SizeClass]] = _sizes(
    (0, 5.9, None, 3, _source("A6", "P")),
    (5.9, None, _allowance(4, 4, _A5), 3, _A5),
)

# --- Common carp / koi (FEEDING.md 4.1, 4.2) -------------------------------------------

# The FAO carp feeding guide [K5] S: %BW/day by water temperature (rows: < 17,
# 17-20, 20-23, 23-26, > 26 °C) and weight (columns below).
CARP_TEMPERATURE_EDGES: Final = (17.0, 20.0, 23.0, 26.0)
CARP_WEIGHT_EDGES: Final = (0.0, 5.0, 20.0, 50.0, 100.0, 300.0, 1000.0)
CARP_RATES: Final[Sequence[Sequence[float]]] = (
    (6, 5, 4, 3, 2, 1.5),
    (7, 6, 5, 4, 3, 2),
    (9, 7, 6, 5, 4, 3),
    (12, 10, 8, 6, 5, 4),
    (19, 12, 11, 8, 6, 5),
)
CARP_SOURCE: Final = _source("K5", "S")
CARP_FEEDINGS: Final = Sourced(2, _source("K1", "P"))
KOI_WEEKLY_BELOW: Final = Sourced(10, _source("K6", "S"))
_KOI_FEEDING_RANGE: Final = FeedingRange(below=Sourced(5, _source("K6", "S")))
# On the 2-3 days a week, one meal: the source gives no number of meals [I].
_KOI_WEEKLY_FEEDINGS: Final = _source("K6", "I")

# --- Goldfish (FEEDING.md 5) -----------------------------------------------------------

# No sourced rate. Meals: 4 for juveniles of 1.66 g [GF3], 2 for 20 g fish [GF2];
# the edge between them at 20 g is ours [I].
GOLDFISH_SIZES: Final[Sequence[SizeClass]] = _sizes(
    (0, 20, None, 4, _source("GF3", "P")),
    (20, None, None, 2, _source("GF2", "P")),
)
# The notes: no goldfish-specific cut-off; use the koi rules [I].
_GOLDFISH_FEEDING_RANGE: Final = FeedingRange(below=Sourced(5, _source("K6", "I")))
_GOLDFISH_WEEKLY_BELOW: Final = Sourced(10, _source("K6", "I"))

# --- Rainbow trout (FEEDING.md 6) ------------------------------------------------------

# NC State Experimental Trout Feed Chart [R1] P: %BW/day by size (fish per pound,
# the first row's size and up) and water temperature (°F columns: 38-41, 42-45,
# 46-48, 49-51, 52-54, 55-57, 58-60, 61-63, 64-67).
TROUT_FAHRENHEIT_EDGES: Final = (38, 42, 46, 49, 52, 55, 58, 61, 64, 68)
TROUT_CHART: Final[Sequence[tuple[float, Sequence[float]]]] = (
    (1500, (4.0, 4.1, 4.4, 4.7, 5.0, 5.5, 6.1, 6.6, 6.9)),
    (300, (3.4, 3.9, 4.2, 4.6, 5.0, 5.6, 5.8, 6.1, 6.3)),
    (100, (2.9, 3.4, 3.9, 4.3, 4.6, 4.8, 5.0, 5.4, 5.5)),
    (60, (2.6, 3.0, 3.3, 3.8, 4.0, 4.2, 4.4, 4.6, 4.7)),
    (30, (1.8, 2.4, 2.7, 3.1, 3.3, 3.5, 3.8, 4.0, 4.0)),
    (20, (1.6, 2.0, 2.4, 2.7, 3.0, 3.1, 3.3, 3.7, 3.6)),
    (12, (1.3, 1.6, 1.9, 2.0, 2.4, 2.5, 2.6, 2.9, 2.8)),
    (7, (1.1, 1.2, 1.5, 1.6, 2.0, 2.1, 2.2, 2.3, 2.2)),
    (5, (0.9, 1.0, 1.2, 1.3, 1.6, 1.7, 1.9, 2.0, 1.8)),
    (3, (0.7, 0.8, 1.0, 1.2, 1.4, 1.5, 1.7, 1.8, 1.7)),
    (1, (0.5, 0.7, 0.8, 1.0, 1.1, 1.2, 1.4, 1.5, 1.4)),
)
# Heavier than one pound: the chart's last row ("< 1 fish/lb").
TROUT_OVER_A_POUND: Final = (0.4, 0.5, 0.7, 0.8, 0.9, 0.9, 1.0, 1.2, 1.1)
TROUT_SOURCE: Final = _source("R1", "P")
# Starter fish (more than 1,500 per pound): "feed by observation, 4-6 %BW/day".
TROUT_STARTER_RATE: Final = _allowance(4, 6, TROUT_SOURCE)
TROUT_STARTER_FEEDINGS: Final = Sourced(8, _source("R3", "C"))
# A meal near satiation is about 1-2 % BW [R3] C: as few meals as keep each <= 2 % [I].
TROUT_MEAL_PERCENT: Final = Sourced(2, _source("R3", "I"))
# SRAC 223: restrict feeding below 40 °F and above 68 °F, no rate given.
_TROUT_RESTRICT: Final = _source("R4", "S")
_TROUT_FEEDING_RANGE: Final = FeedingRange(above=Sourced(20, _source("R7", "P")))

# --- Whiteleg shrimp (FEEDING.md 7.1) --------------------------------------------------

_P14: Final = _source("P14", "W")
_P4: Final = _source("P4", "P")
_P5: Final = _source("P5", "P")
SHRIMP_SIZES: Final[Sequence[SizeClass]] = _sizes(
    # Nursery phase: 6-8 feedings a day [P4] P.
    (0, 0.1, _allowance(30, 30, _P14), 6, _P4),
    (0.1, 1, _falling(25, 11, _P14), 6, _P4),
    # "No need to feed more than 3 times a day with good feeds" [P4] P.
    (1, 3, _falling(11, 7, _P14), 3, _P4),
    (3, 12, _falling(7, 3, _P14), 3, _P4),
    # 12 g shrimp: 3 % in 3 feedings of 1 % (Kasetsart feed table).
    (12, 12, _allowance(3, 3, _P5), 3, _P5),
    (12, None, None, 3, _P4),
)

# --- Feeding ranges ------------------------------------------------------------------

# Where a species is not fed at all. Channel and African catfish and shrimp have
# no sourced stop (the catfish's coldest sourced bracket is still fed).
FEEDING_RANGES: Final[Mapping[Profile, FeedingRange]] = {
    # SRAC 283: stop feeding below 63 °F; Kenya NAFIS says 15 °C: the higher one.
    Profile.NILE_TILAPIA: FeedingRange(below=Sourced(17.2, _source("T1", "C"))),
    Profile.COMMON_CARP: _KOI_FEEDING_RANGE,
    Profile.GOLDFISH: _GOLDFISH_FEEDING_RANGE,
    Profile.RAINBOW_TROUT: _TROUT_FEEDING_RANGE,
}


def feeding_stop(species: Profile, temperature: float) -> Sourced | None:
    """Return the edge of the feeding range the water is beyond, if it is."""
    limits = FEEDING_RANGES.get(species)
    if limits is None:
        return None
    if limits.below is not None and temperature < limits.below.value:
        return limits.below
    if limits.above is not None and temperature > limits.above.value:
        return limits.above
    return None


# --- Reading the tables --------------------------------------------------------------


def size_class(classes: Sequence[SizeClass], weight: float) -> SizeClass:
    """Return the class of a size table (from 0 g, open-ended) a fish belongs to."""
    return next(
        candidate
        for candidate in classes
        if candidate.from_grams <= weight
        and (
            candidate.to_grams is None
            or weight < candidate.to_grams
            or weight == candidate.to_grams == candidate.from_grams
        )
    )


def rate_at(rate: SourcedRate, sizes: SizeClass, weight: float) -> float:
    """Return the rate of a class for a fish of `weight` grams (see the module doc)."""
    if not rate.falls_with_weight or sizes.to_grams is None:
        return rate.low
    share = (weight - sizes.from_grams) / (sizes.to_grams - sizes.from_grams)
    return round(rate.high - share * (rate.high - rate.low), RATE_DIGITS)


def _from_sizes(
    classes: Sequence[SizeClass],
    weight: float,
    rule: TemperatureRule = TemperatureRule.NONE,
    rule_source: Source | None = None,
    factor: float = 1.0,
) -> FeedingRate:
    sizes = size_class(classes, weight)
    if sizes.rate is None:
        return FeedingRate(
            rate=None,
            feedings_per_day=sizes.feedings,
            feedings_source=sizes.feedings_source,
            temperature_rule=rule,
            temperature_source=rule_source,
            no_rate=(
                NoRate.SIZE_NOT_COVERED
                if any(other.rate for other in classes)
                else NoRate.NO_SOURCED_RATE
            ),
        )
    return FeedingRate(
        rate=round(rate_at(sizes.rate, sizes, weight) * factor, RATE_DIGITS),
        rate_source=sizes.rate.source,
        rate_range=(sizes.rate.low, sizes.rate.high),
        feedings_per_day=sizes.feedings,
        feedings_source=sizes.feedings_source,
        temperature_rule=rule,
        temperature_source=rule_source,
    )


def _stopped(stop: Sourced) -> FeedingRate:
    return FeedingRate(
        rate=0.0,
        feedings_per_day=0,
        temperature_rule=TemperatureRule.STOP,
        temperature_source=stop.source,
    )


def _tilapia(weight: float, _temperature: float) -> FeedingRate:
    return _from_sizes(TILAPIA_SIZES, weight)


def _african_catfish(weight: float, _temperature: float) -> FeedingRate:
    return _from_sizes(AFRICAN_CATFISH_SIZES, weight)


def _shrimp(weight: float, _temperature: float) -> FeedingRate:
    return _from_sizes(SHRIMP_SIZES, weight)


def _channel_catfish(weight: float, temperature: float) -> FeedingRate:
    if temperature < CATFISH_OVERWINTER_BELOW.value:
        return FeedingRate(
            rate=CATFISH_OVERWINTER_RATE.value,
            rate_source=CATFISH_OVERWINTER_RATE.source,
            feedings_per_day=1,
            feedings_source=_OVERWINTER_FEEDINGS,
            temperature_rule=TemperatureRule.ONE_PERCENT_EVERY_2_TO_3_DAYS,
            temperature_source=CATFISH_OVERWINTER_BELOW.source,
        )
    if temperature < CATFISH_ALTERNATE_DAYS_BELOW.value:
        return _from_sizes(
            CHANNEL_CATFISH_SIZES,
            weight,
            TemperatureRule.ALTERNATE_DAYS,
            CATFISH_ALTERNATE_DAYS_BELOW.source,
        )
    if temperature <= CATFISH_HALVE_ABOVE.value:
        return _from_sizes(CHANNEL_CATFISH_SIZES, weight)
    return _from_sizes(
        CHANNEL_CATFISH_SIZES,
        weight,
        TemperatureRule.HALVE,
        CATFISH_HALVE_ABOVE.source,
        _HALF,
    )


def _carp(weight: float, temperature: float) -> FeedingRate:
    if temperature < KOI_WEEKLY_BELOW.value:
        rule, rule_source = (
            TemperatureRule.TWO_TO_THREE_TIMES_A_WEEK,
            KOI_WEEKLY_BELOW.source,
        )
        feedings, feedings_source = 1, _KOI_WEEKLY_FEEDINGS
    else:
        rule, rule_source = TemperatureRule.TABLE, CARP_SOURCE
        feedings, feedings_source = int(CARP_FEEDINGS.value), CARP_FEEDINGS.source
    # The heaviest column, 300-1000 g, includes its upper edge.
    if weight > CARP_WEIGHT_EDGES[-1]:
        return FeedingRate(
            rate=None,
            feedings_per_day=feedings,
            feedings_source=feedings_source,
            temperature_rule=rule,
            temperature_source=rule_source,
            no_rate=NoRate.SIZE_NOT_COVERED,
        )
    column = min(
        bisect_right(CARP_WEIGHT_EDGES, weight) - 1, len(CARP_WEIGHT_EDGES) - 2
    )
    rate = CARP_RATES[bisect_right(CARP_TEMPERATURE_EDGES, temperature)][column]
    return FeedingRate(
        rate=rate,
        rate_source=CARP_SOURCE,
        rate_range=(rate, rate),
        feedings_per_day=feedings,
        feedings_source=feedings_source,
        temperature_rule=rule,
        temperature_source=rule_source,
    )


def _goldfish(weight: float, temperature: float) -> FeedingRate:
    if temperature < _GOLDFISH_WEEKLY_BELOW.value:
        return _from_sizes(
            GOLDFISH_SIZES,
            weight,
            TemperatureRule.TWO_TO_THREE_TIMES_A_WEEK,
            _GOLDFISH_WEEKLY_BELOW.source,
        )
    return _from_sizes(GOLDFISH_SIZES, weight)


def trout_meals(rate: float) -> int:
    """Return the feedings a day that keep each trout meal within the usual size."""
    return max(1, math.ceil(rate / TROUT_MEAL_PERCENT.value))


def _trout(weight: float, temperature: float) -> FeedingRate:
    fahrenheit = temperature * 1.8 + 32
    column = bisect_right(TROUT_FAHRENHEIT_EDGES, fahrenheit) - 1
    if not 0 <= column < len(TROUT_FAHRENHEIT_EDGES) - 1:
        return FeedingRate(
            rate=None,
            temperature_rule=TemperatureRule.RESTRICT,
            temperature_source=_TROUT_RESTRICT,
            no_rate=NoRate.TEMPERATURE_NOT_COVERED,
        )
    if weight < grams_per_fish(TROUT_CHART[0][0]):
        return FeedingRate(
            rate=TROUT_STARTER_RATE.low,
            rate_source=TROUT_STARTER_RATE.source,
            rate_range=(TROUT_STARTER_RATE.low, TROUT_STARTER_RATE.high),
            feedings_per_day=int(TROUT_STARTER_FEEDINGS.value),
            feedings_source=TROUT_STARTER_FEEDINGS.source,
        )
    # Between two rows, the row of the size the fish is growing to: the smaller rate.
    row = next(
        (
            rates
            for fish_per_pound, rates in TROUT_CHART
            if weight <= grams_per_fish(fish_per_pound)
        ),
        TROUT_OVER_A_POUND,
    )
    rate = row[column]
    return FeedingRate(
        rate=rate,
        rate_source=TROUT_SOURCE,
        rate_range=(rate, rate),
        feedings_per_day=trout_meals(rate),
        feedings_source=TROUT_MEAL_PERCENT.source,
        temperature_rule=TemperatureRule.TABLE,
        temperature_source=TROUT_SOURCE,
    )


_BY_SPECIES: Final[Mapping[Profile, Callable[[float, float], FeedingRate]]] = {
    Profile.NILE_TILAPIA: _tilapia,
    Profile.CHANNEL_CATFISH: _channel_catfish,
    Profile.AFRICAN_CATFISH: _african_catfish,
    Profile.COMMON_CARP: _carp,
    Profile.GOLDFISH: _goldfish,
    Profile.RAINBOW_TROUT: _trout,
    Profile.WHITELEG_SHRIMP: _shrimp,
}
_NOTHING: Final = FeedingRate(
    rate=None,
    no_rate=NoRate.NO_SOURCED_RATE,
)


def feeding_rate(
    species: Profile,
    average_weight: float,
    temperature: float,
    override: float | None = None,
) -> FeedingRate:
    """Return the feeding of `species` at `average_weight` g in water at `temperature` °C.

    `override` is the pond's own rate (% body weight per day, e.g. from the feed
    maker's table): it replaces the sourced rate and its temperature rules, all but a
    stop, since a feed maker's table already allows for the temperature.
    """
    if not (math.isfinite(average_weight) and average_weight > 0):
        raise FeedingInputError("average_weight_invalid", weight=f"{average_weight:g}")
    if not math.isfinite(temperature):
        raise FeedingInputError("temperature_invalid", temperature=f"{temperature:g}")
    if override is not None and not (math.isfinite(override) and override >= 0):
        raise FeedingInputError("feeding_rate_invalid", rate=f"{override:g}")
    if (stop := feeding_stop(species, temperature)) is not None:
        return _stopped(stop)
    if species not in _BY_SPECIES:
        sourced = _NOTHING
    else:
        sourced = _BY_SPECIES[species](average_weight, temperature)
    if override is None:
        return sourced
    feedings, feedings_source = sourced.feedings_per_day, sourced.feedings_source
    # Trout meals follow the rate (starters excepted, which have their own count).
    if (
        species is Profile.RAINBOW_TROUT
        and feedings_source != TROUT_STARTER_FEEDINGS.source
    ):
        feedings, feedings_source = trout_meals(override), TROUT_MEAL_PERCENT.source
    return FeedingRate(
        rate=override,
        feedings_per_day=feedings,
        feedings_source=feedings_source,
        overridden=True,
    )


def daily_ration(biomass_kg: float, rate: float) -> float:
    """Return the ration in grams a day: biomass × rate (% body weight a day)."""
    return round(biomass_kg * _GRAMS_PER_KG * rate / _PERCENT, GRAM_DIGITS)


def portion(
    ration: float,
    feedings_per_day: int,
    given_today: float,
    feedings_given_today: int = 0,
) -> float:
    """Return the grams to give at the next feeding.

    The day's feedings share the ration equally: the next one brings what was given
    today up to its share of all feedings so far, so a portion that was skipped or
    short is made up, and what is given in a day never goes beyond the ration.
    """
    if feedings_per_day < 1:
        return 0.0
    due = ration * min(feedings_given_today + 1, feedings_per_day) / feedings_per_day
    return round(max(0.0, due - given_today), GRAM_DIGITS)
