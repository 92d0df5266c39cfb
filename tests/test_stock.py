"""The stock ledger: biomass, density, days and FCR through a season of records."""

from collections.abc import Callable
from datetime import date

import pytest

from custom_components.future_fish.rations import FeedingInputError
from custom_components.future_fish.species import Profile
from custom_components.future_fish.stock import Density, DensityUnit, Stock

STOCKED_ON = date(2026, 3, 1)


def _pond() -> Stock:
    return Stock.stocked(Profile.NILE_TILAPIA, 2000, 30, STOCKED_ON)


def test_the_worked_example_of_the_docs() -> None:
    """docs/feeding.md "A season's records": every figure of its table."""
    pond = _pond()
    assert (pond.biomass, pond.stocked_kg, pond.fcr) == (60, 60, None)
    assert pond.density(None, 500) == Density(4, DensityUnit.FISH_PER_SQUARE_METER)

    # Day 60: 300 kg fed so far, 50 fish weigh 6.5 kg together.
    pond = pond.record_feed(300_000).record_sample(50, 6500)
    assert pond.days_since_stocking(date(2026, 4, 30)) == 60
    assert (pond.average_weight, pond.biomass, pond.gained_kg, pond.fcr) == (
        130,
        260,
        200,
        1.5,
    )

    # 40 dead fish removed, 4.8 kg together.
    pond = pond.record_mortality(40, 4800)
    assert (pond.count, pond.biomass, pond.dead_kg, pond.gained_kg, pond.fcr) == (
        1960,
        254.8,
        4.8,
        199.6,
        1.5,
    )

    # Day 120: 750 kg fed in all, 50 fish weigh 15 kg.
    pond = pond.record_feed(450_000).record_sample(50, 15_000)
    assert pond.days_since_stocking(date(2026, 6, 29)) == 120
    assert (pond.biomass, pond.gained_kg, pond.feed_kg, pond.fcr) == (
        588,
        532.8,
        750,
        1.41,
    )
    assert pond.density(500, 500) == Density(
        1.18, DensityUnit.KILOGRAMS_PER_CUBIC_METER
    )

    # 1,500 fish harvested: the FCR does not change, the fish still count.
    pond = pond.record_harvest(fish=1500)
    assert (pond.count, pond.biomass, pond.harvested_kg, pond.fcr) == (
        460,
        138,
        450,
        1.41,
    )


def test_harvest_by_weight_or_both() -> None:
    """Kilograms alone count fish at the average weight; both are taken as given."""
    pond = _pond().record_sample(10, 3000)  # 300 g
    by_weight = pond.record_harvest(kg=150)
    assert (by_weight.count, by_weight.harvested_count, by_weight.harvested_kg) == (
        1500,
        500,
        150,
    )
    both = pond.record_harvest(fish=400, kg=140)
    assert (both.count, both.harvested_kg, both.average_weight) == (1600, 140, 300)
    emptied = pond.record_harvest(fish=2000)
    assert (emptied.biomass, emptied.harvested_kg) == (0, 600)


def test_mortality_not_weighed_counts_at_the_average_weight() -> None:
    """A dead fish that was not weighed counts at the day's average weight [I]."""
    pond = _pond().record_mortality(10)
    assert (pond.count, pond.dead_count, pond.dead_kg) == (1990, 10, 0.3)


def test_restock() -> None:
    """Into fish already there: a mean weight; into an empty pond: a new record."""
    pond = _pond().record_feed(1000)
    joined = pond.restock(1000, 60, date(2026, 3, 10))
    assert (joined.count, joined.average_weight, joined.stocked_kg) == (3000, 40, 120)
    assert (joined.stocked_on, joined.feed_kg) == (STOCKED_ON, 1)
    empty = pond.record_harvest(fish=2000)
    again = empty.restock(500, 5, date(2026, 9, 1))
    assert again == Stock.stocked(Profile.NILE_TILAPIA, 500, 5, date(2026, 9, 1))
    assert (again.harvested_kg, again.feed_kg) == (0, 0)


def test_figures_set_by_hand() -> None:
    """The pond's settings correct the record; vanished fish leave the gain."""
    pond = _pond().record_feed(60_000).record_sample(10, 600)  # 60 g
    assert (pond.gained_kg, pond.fcr) == (60, 1)
    fewer = pond.corrected(count=1500)
    assert (fewer.count, fewer.biomass, fewer.gained_kg, fewer.fcr) == (1500, 90, 30, 2)
    heavier = pond.corrected(average_weight=75, stocked_on=date(2026, 3, 2))
    assert (heavier.average_weight, heavier.stocked_on, heavier.fcr) == (
        75,
        date(2026, 3, 2),
        0.67,
    )
    assert pond.corrected() == pond
    assert pond.corrected(count=0).biomass == 0


def test_species_and_days() -> None:
    """The species can be corrected; a stocking date ahead has no days yet."""
    pond = _pond().with_species(Profile.AFRICAN_CATFISH)
    assert pond.species is Profile.AFRICAN_CATFISH
    assert pond.days_since_stocking(STOCKED_ON) == 0
    assert pond.days_since_stocking(date(2026, 2, 28)) is None
    assert pond.density(None, None) is None
    assert pond.density(0, 0) is None


def test_no_fcr_without_gain() -> None:
    """Fish that lost weight (or none yet gained) have no FCR."""
    pond = _pond().record_feed(5000).record_sample(10, 250)
    assert pond.gained_kg == -10
    assert pond.fcr is None


def test_storage_round_trip() -> None:
    """What as_dict stores, from_dict brings back unchanged."""
    pond = (
        _pond()
        .record_feed(12.5)
        .record_sample(20, 1000)
        .record_mortality(3, 140)
        .record_harvest(kg=20)
    )
    data = pond.as_dict()
    assert data["species"] == "nile_tilapia"
    assert data["stocked_on"] == "2026-03-01"
    assert Stock.from_dict(data) == pond


@pytest.mark.parametrize(
    ("record", "key", "placeholders"),
    [
        (
            lambda: Stock.stocked(Profile.GOLDFISH, 0, 5, STOCKED_ON),
            "fish_count_invalid",
            {"count": "0"},
        ),
        (
            lambda: Stock.stocked(Profile.GOLDFISH, 5, 0, STOCKED_ON),
            "average_weight_invalid",
            {"weight": "0"},
        ),
        (lambda: _pond().record_feed(-1), "feed_given_invalid", {"amount": "-1"}),
        (lambda: _pond().record_sample(0, 100), "sample_count_invalid", {"count": "0"}),
        (
            lambda: _pond().record_sample(5, float("nan")),
            "sample_weight_invalid",
            {"weight": "nan"},
        ),
        (
            lambda: _pond().record_mortality(2001),
            "more_fish_than_in_pond",
            {"count": "2001", "stock": "2000"},
        ),
        (
            lambda: _pond().record_mortality(1, 0),
            "mortality_weight_invalid",
            {"weight": "0"},
        ),
        (lambda: _pond().record_harvest(), "harvest_amount_missing", {}),
        (
            lambda: _pond().record_harvest(kg=-5),
            "harvest_weight_invalid",
            {"weight": "-5"},
        ),
        (
            lambda: _pond().record_harvest(kg=61),
            "more_fish_than_in_pond",
            {"count": "2033", "stock": "2000"},
        ),
        (
            lambda: _pond().record_harvest(kg=0.001),
            "fish_count_invalid",
            {"count": "0"},
        ),
        (
            lambda: _pond().restock(0, 5, STOCKED_ON),
            "fish_count_invalid",
            {"count": "0"},
        ),
        (
            lambda: _pond().corrected(count=-1),
            "fish_count_invalid",
            {"count": "-1"},
        ),
        (
            lambda: _pond().corrected(average_weight=0),
            "average_weight_invalid",
            {"weight": "0"},
        ),
        (
            lambda: _pond().restock(5, -5, STOCKED_ON),
            "average_weight_invalid",
            {"weight": "-5"},
        ),
    ],
)
def test_bad_records_are_explained(
    record: Callable[[], object], key: str, placeholders: dict[str, str]
) -> None:
    """Every bad record raises with a translation key and its placeholders."""
    with pytest.raises(FeedingInputError) as raised:
        record()
    assert raised.value.translation_key == key
    assert raised.value.translation_placeholders == placeholders
