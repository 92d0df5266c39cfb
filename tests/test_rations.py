"""Daily rations: the sourced tables read as FEEDING.md gives them, and nothing more.

Every expected rate below is copied from the table of FEEDING.md named beside it, so
a wrong row, column or edge in rations.py fails here.
"""

import math

import pytest

from custom_components.future_fish.rations import (
    FeedingInputError,
    FeedingRate,
    Mark,
    NoRate,
    SizeClass,
    Source,
    SourcedRate,
    TemperatureRule,
    daily_ration,
    fahrenheit_to_celsius,
    feeding_rate,
    feeding_stop,
    grams_per_fish,
    portion,
    rate_at,
)
from custom_components.future_fish.species import Profile


def _rate(species: Profile, weight: float, temperature: float) -> float | None:
    return feeding_rate(species, weight, temperature).rate


def test_the_issue_s_tilapia_pond() -> None:
    """2,000 tilapia of 150 g at 28 °C (issue 13; docs/feeding.md worked example)."""
    advice = feeding_rate(Profile.NILE_TILAPIA, 150, 28)
    # FEEDING.md 2.1: 60-200 g, 5-3.7 %BW/day [T11] W, read at 150 g [I].
    assert advice == FeedingRate(
        rate=4.16,
        rate_source=Source("T11", Mark.WEAK),
        rate_range=(3.7, 5),
        feedings_per_day=2,
        feedings_source=Source("T2", Mark.COPY),
        temperature_rule=TemperatureRule.NONE,
        temperature_source=None,
    )
    assert advice.rate is not None
    ration = daily_ration(2000 * 0.150, advice.rate)
    assert ration == 12480.0
    assert portion(ration, 2, 0) == 6240.0


def test_tilapia_is_not_fed_below_its_feeding_range() -> None:
    """FEEDING.md 2.2: stop feeding below 63 °F (17.2 °C) [T1] C: the ration is 0."""
    advice = feeding_rate(Profile.NILE_TILAPIA, 150, 17.1)
    assert (advice.rate, advice.feedings_per_day) == (0.0, 0)
    assert advice.temperature_rule is TemperatureRule.STOP
    assert advice.temperature_source == Source("T1", Mark.COPY)
    assert advice.rate is not None
    assert advice.feedings_per_day is not None
    assert portion(daily_ration(300, advice.rate), advice.feedings_per_day, 0) == 0
    assert feeding_rate(Profile.NILE_TILAPIA, 150, 17.2).rate == 4.16


@pytest.mark.parametrize(
    ("weight", "rate", "feedings", "tag"),
    [
        # FEEDING.md 2.1: each class starts at the first figure of its range.
        (0.35, 9, 3, "T10"),
        (2.5, 8, 3, "T10"),
        (10, 7, 3, "T10"),
        (17.5, 6.5, 3, "T10"),
        (25, 5.5, 2, "T11"),
        (60, 5, 2, "T11"),
        (200, 3.7, 2, "T11"),
        (475, 2.65, 2, "T11"),
        (749.99, 1.6, 2, "T11"),
    ],
)
def test_tilapia_size_rates(
    weight: float, rate: float, feedings: int, tag: str
) -> None:
    """Rates fall over each class as FEEDING.md 2.1 gives them, [T10]/[T11] W."""
    advice = feeding_rate(Profile.NILE_TILAPIA, weight, 28)
    assert (advice.rate, advice.feedings_per_day) == (rate, feedings)
    assert advice.rate_source == Source(tag, Mark.WEAK)


@pytest.mark.parametrize("weight", [0.2, 750, 1200])
def test_tilapia_sizes_without_a_source(weight: float) -> None:
    """Fry (fed by age) and fish from 750 g have no sourced rate, but meals."""
    advice = feeding_rate(Profile.NILE_TILAPIA, weight, 28)
    assert advice.rate is None
    assert advice.no_rate is NoRate.SIZE_NOT_COVERED
    assert advice.feedings_per_day == (3 if weight < 25 else 2)


@pytest.mark.parametrize(
    ("temperature", "rate", "rule", "feedings", "tag"),
    [
        # FEEDING.md 1.2: above 85 °F (29.4 °C) cut by 50 % [C3] P.
        (31, 1.0, TemperatureRule.HALVE, 1, "C3"),
        (29.4, 2, TemperatureRule.NONE, 1, None),
        (20, 2, TemperatureRule.NONE, 1, None),
        # Alternate days below 20 °C [C6] P.
        (19.9, 2, TemperatureRule.ALTERNATE_DAYS, 1, "C6"),
        (18.3, 2, TemperatureRule.ALTERNATE_DAYS, 1, "C6"),
        # About 1 % every 2-3 days below 65 °F (18.3 °C) [C3] P.
        (18.2, 1, TemperatureRule.ONE_PERCENT_EVERY_2_TO_3_DAYS, 1, "C3"),
        (4, 1, TemperatureRule.ONE_PERCENT_EVERY_2_TO_3_DAYS, 1, "C3"),
    ],
)
def test_channel_catfish_temperature_rules(
    temperature: float,
    rate: float,
    rule: TemperatureRule,
    feedings: int,
    tag: str | None,
) -> None:
    """Food fish (from 260 g): 2-3 % [C16] W, once a day [C1] P, and the rules."""
    advice = feeding_rate(Profile.CHANNEL_CATFISH, 600, temperature)
    assert (advice.rate, advice.temperature_rule) == (rate, rule)
    assert advice.feedings_per_day == feedings
    assert (advice.temperature_source and advice.temperature_source.tag) == tag
    # Alternate days and every 2-3 days leave at least a day without feed.
    spaced = temperature < 20
    assert advice.days_between_feedings == (2 if spaced else 1)


def test_channel_catfish_stages() -> None:
    """FEEDING.md 1.1: fingerlings 2-5 % in 2 or more feedings [C1] P."""
    fingerling = feeding_rate(Profile.CHANNEL_CATFISH, 100, 27)
    assert (fingerling.rate, fingerling.rate_range) == (2, (2, 5))
    assert fingerling.feedings_per_day == 2
    assert fingerling.rate_source == Source("C1", Mark.AUTHORITATIVE)
    food_fish = feeding_rate(Profile.CHANNEL_CATFISH, 260, 27)
    assert (food_fish.rate, food_fish.rate_range) == (2, (2, 3))
    assert food_fish.rate_source == Source("C16", Mark.WEAK)
    # Channel catfish have no sourced stop: the coldest bracket is still fed.
    assert feeding_stop(Profile.CHANNEL_CATFISH, 1) is None


def test_african_catfish() -> None:
    """FEEDING.md 3.1: 4 % in 3 meals in ponds [A5] P; nothing below 5.9 g."""
    assert _rate(Profile.AFRICAN_CATFISH, 5.9, 28) == 4
    small = feeding_rate(Profile.AFRICAN_CATFISH, 2, 28)
    assert (small.rate, small.no_rate) == (None, NoRate.SIZE_NOT_COVERED)
    assert small.feedings_per_day == 3
    # No temperature rule is sourced (FEEDING.md 3.2).
    assert feeding_rate(Profile.AFRICAN_CATFISH, 500, 12).rate == 4


@pytest.mark.parametrize(
    ("weight", "temperature", "rate"),
    [
        # FEEDING.md 4.2, FAO carp feeding guide [K5] S.
        (4, 16.9, 6),
        (5, 17, 6),
        (20, 20, 6),
        (50, 23, 6),
        (100, 26, 6),
        (299, 25.9, 5),
        (300, 30, 5),
        (1000, 14, 1.5),
        (499, 10, 1.5),
        (3, 28, 19),
    ],
)
def test_carp_table(weight: float, temperature: float, rate: float) -> None:
    """The table's cells by weight and temperature, twice a day [K1] P."""
    advice = feeding_rate(Profile.COMMON_CARP, weight, temperature)
    assert advice.rate == rate
    assert advice.temperature_rule is TemperatureRule.TABLE
    assert advice.feedings_per_day == 2
    assert advice.rate_source == Source("K5", Mark.SECONDARY)


def test_koi_in_cold_water() -> None:
    """FEEDING.md 4.2: 5-10 °C two to three times a week; none below 5 [K6] S."""
    weekly = feeding_rate(Profile.COMMON_CARP, 500, 9.9)
    assert weekly.rate == 1.5
    assert weekly.temperature_rule is TemperatureRule.TWO_TO_THREE_TIMES_A_WEEK
    assert (weekly.feedings_per_day, weekly.days_between_feedings) == (1, 2)
    stopped = feeding_rate(Profile.COMMON_CARP, 500, 4.9)
    assert (stopped.rate, stopped.temperature_rule) == (0, TemperatureRule.STOP)
    assert feeding_rate(Profile.COMMON_CARP, 500, 5).rate == 1.5
    big = feeding_rate(Profile.COMMON_CARP, 1500, 20)
    assert (big.rate, big.no_rate, big.feedings_per_day) == (
        None,
        NoRate.SIZE_NOT_COVERED,
        2,
    )


def test_goldfish_has_meals_but_no_sourced_rate() -> None:
    """FEEDING.md 5: no rate; 4 meals for juveniles [GF3], 2 at 20 g [GF2]."""
    small = feeding_rate(Profile.GOLDFISH, 2, 20)
    assert (small.rate, small.no_rate, small.feedings_per_day) == (
        None,
        NoRate.NO_SOURCED_RATE,
        4,
    )
    assert feeding_rate(Profile.GOLDFISH, 20, 20).feedings_per_day == 2
    cold = feeding_rate(Profile.GOLDFISH, 20, 8)
    assert cold.temperature_rule is TemperatureRule.TWO_TO_THREE_TIMES_A_WEEK
    assert cold.temperature_source == Source("K6", Mark.INTERPRETATION)
    assert feeding_rate(Profile.GOLDFISH, 20, 4).rate == 0


@pytest.mark.parametrize(
    ("weight", "temperature", "rate", "meals"),
    [
        # FEEDING.md 6.1, NC State Experimental Trout Feed Chart [R1] P.
        (0.3024, 3.4, 4.0, 2),  # 1,500/lb, 38-41 °F
        (1.5, 7.2, 3.9, 2),  # 300/lb, 42-45 °F (45 °F)
        (4.5, 10.6, 4.3, 3),  # 100/lb, 49-51 °F (51.1 °F)
        (15, 15.5, 3.8, 2),  # 30/lb, 58-60 °F
        (151, 14, 1.5, 1),  # 3/lb, 55-57 °F
        (100, 17.2, 1.8, 1),  # grows to 3/lb, 61-63 °F
        (453.6, 19.4, 1.4, 1),  # 1/lb, 64-67 °F
        (800, 19.4, 1.1, 1),  # < 1/lb
        (22, 12.8, 3.1, 2),  # 20/lb, 55-57 °F (55.04 °F)
    ],
)
def test_trout_chart(
    weight: float, temperature: float, rate: float, meals: int
) -> None:
    """Read by size and temperature; meals of at most 2 % each [R3] C [I]."""
    advice = feeding_rate(Profile.RAINBOW_TROUT, weight, temperature)
    assert (advice.rate, advice.feedings_per_day) == (rate, meals)
    assert advice.temperature_rule is TemperatureRule.TABLE
    assert advice.feedings_source == Source("R3", Mark.INTERPRETATION)


def test_trout_outside_the_chart() -> None:
    """Starters 4-6 % [R1], 8 meals [R3]; restricted below 38 °F; stop above 20 °C."""
    starter = feeding_rate(Profile.RAINBOW_TROUT, 0.2, 12)
    assert (starter.rate, starter.rate_range, starter.feedings_per_day) == (
        4,
        (4, 6),
        8,
    )
    for temperature in (3.3, 20):
        cold = feeding_rate(Profile.RAINBOW_TROUT, 50, temperature)
        assert (cold.rate, cold.no_rate) == (None, NoRate.TEMPERATURE_NOT_COVERED)
        assert cold.temperature_rule is TemperatureRule.RESTRICT
        assert cold.feedings_per_day is None
    hot = feeding_rate(Profile.RAINBOW_TROUT, 50, 20.1)
    assert (hot.rate, hot.temperature_rule) == (0, TemperatureRule.STOP)
    assert hot.temperature_source == Source("R7", Mark.AUTHORITATIVE)


@pytest.mark.parametrize(
    ("weight", "rate", "feedings", "tag"),
    [
        # FEEDING.md 7.1: [P14] W rates, [P4] P feedings, [P5] P at 12 g.
        (0.05, 30, 6, "P14"),
        (0.1, 25, 6, "P14"),
        (0.55, 18, 6, "P14"),
        (1, 11, 3, "P14"),
        (3, 7, 3, "P14"),
        (7.5, 5, 3, "P14"),
        (12, 3, 3, "P5"),
    ],
)
def test_shrimp(weight: float, rate: float, feedings: int, tag: str) -> None:
    """Whiteleg shrimp size rates."""
    advice = feeding_rate(Profile.WHITELEG_SHRIMP, weight, 40)
    assert (advice.rate, advice.feedings_per_day) == (rate, feedings)
    assert advice.rate_source is not None
    assert advice.rate_source.tag == tag
    big = feeding_rate(Profile.WHITELEG_SHRIMP, 20, 28)
    assert (big.rate, big.no_rate) == (None, NoRate.SIZE_NOT_COVERED)


def test_custom_species_has_nothing_sourced() -> None:
    """A pond set to Custom gets no rate and no feedings until overridden."""
    advice = feeding_rate(Profile.CUSTOM, 100, 20)
    assert (advice.rate, advice.no_rate, advice.feedings_per_day) == (
        None,
        NoRate.NO_SOURCED_RATE,
        None,
    )
    assert feeding_stop(Profile.CUSTOM, -5) is None
    own = feeding_rate(Profile.CUSTOM, 100, 20, override=2.5)
    assert (own.rate, own.overridden, own.feedings_per_day) == (2.5, True, None)


def test_override_replaces_the_rate_but_not_a_stop() -> None:
    """The pond's own rate replaces table and rules; outside the range it is 0."""
    own = feeding_rate(Profile.CHANNEL_CATFISH, 600, 31, override=2.5)
    assert (own.rate, own.rate_source, own.temperature_rule) == (
        2.5,
        None,
        TemperatureRule.NONE,
    )
    assert (own.feedings_per_day, own.overridden) == (1, True)
    assert feeding_rate(Profile.NILE_TILAPIA, 150, 12, override=3).rate == 0
    # Trout meals follow the pond's rate, except starters'.
    restricted = feeding_rate(Profile.RAINBOW_TROUT, 50, 3, override=1)
    assert (restricted.rate, restricted.feedings_per_day) == (1, 1)
    trout = feeding_rate(Profile.RAINBOW_TROUT, 50, 13, override=5)
    assert trout.feedings_per_day == 3
    assert (
        feeding_rate(Profile.RAINBOW_TROUT, 0.1, 13, override=1).feedings_per_day == 8
    )
    assert feeding_rate(Profile.GOLDFISH, 5, 20, override=0).rate == 0


@pytest.mark.parametrize(
    ("weight", "temperature", "override", "key"),
    [
        (0, 20, None, "average_weight_invalid"),
        (math.nan, 20, None, "average_weight_invalid"),
        (10, math.inf, None, "temperature_invalid"),
        (10, 20, -1, "feeding_rate_invalid"),
        (10, 20, math.nan, "feeding_rate_invalid"),
    ],
)
def test_bad_inputs_are_explained(
    weight: float, temperature: float, override: float | None, key: str
) -> None:
    """A value the model cannot use raises with a translation key."""
    with pytest.raises(FeedingInputError) as raised:
        feeding_rate(Profile.NILE_TILAPIA, weight, temperature, override)
    assert raised.value.translation_key == key
    assert isinstance(raised.value, ValueError)
    assert all(
        isinstance(value, str)
        for value in raised.value.translation_placeholders.values()
    )


def test_portion_makes_up_a_short_day_without_going_beyond_the_ration() -> None:
    """Portions share the ration; a skipped one is made up, never beyond it."""
    assert portion(1000, 4, 0) == 250
    assert portion(1000, 4, 250, feedings_given_today=1) == 250
    # The first feeding was held: nothing given, so the next is still one share.
    assert portion(1000, 4, 0, feedings_given_today=0) == 250
    # A short feeding (100 g instead of 250) is made up at the next one.
    assert portion(1000, 4, 100, feedings_given_today=1) == 400
    # The day's ration is reached: nothing more, however many feedings are left.
    assert portion(1000, 4, 1000, feedings_given_today=2) == 0
    assert portion(1000, 4, 1200, feedings_given_today=5) == 0
    assert portion(1000, 4, 900, feedings_given_today=9) == 100
    assert portion(1000, 0, 0) == 0


def test_helpers() -> None:
    """Conversions as FEEDING.md "How to read this" gives them; citation text."""
    assert fahrenheit_to_celsius(85) == pytest.approx(29.44, abs=0.01)
    assert grams_per_fish(3) == pytest.approx(151.2)
    assert str(Source("T11", Mark.WEAK)) == "[T11] W"
    assert daily_ration(7.5, 1.5) == 112.5
    # An open-ended class whose rate falls has no upper edge to fall to.
    falling = SourcedRate(
        low=1, high=2, source=Source("X", Mark.WEAK), falls_with_weight=True
    )
    open_class = SizeClass(
        from_grams=0, to_grams=None, rate=falling, feedings=1, feedings_source=None
    )
    assert rate_at(falling, open_class, 500) == 1
