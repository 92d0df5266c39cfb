"""docs/feeding.md says what the feeding model does: its tables and worked examples.

The tables of the page are rendered here from rations.py and feeding_hold.py and
must appear in it verbatim, and every figure of the worked examples is computed
here and must appear in it: a changed number in the code or in the page fails
until both agree.
"""

from collections.abc import Iterator, Sequence
from datetime import date
from itertools import pairwise
from typing import Final

import pytest

from custom_components.future_fish import rations
from custom_components.future_fish.feeding_hold import (
    AMMONIA_LIMITS,
    OXYGEN_FLOORS,
    HoldReason,
    PondConditions,
    hold_reasons,
)
from custom_components.future_fish.rations import (
    FEEDING_RANGES,
    SizeClass,
    SourcedRate,
    daily_ration,
    feeding_rate,
    portion,
)
from custom_components.future_fish.species import Profile
from custom_components.future_fish.stock import Stock

from .doc_examples import DOCS

PAGE: Final = DOCS / "feeding.md"
NAMES: Final = {
    Profile.NILE_TILAPIA: "Nile tilapia",
    Profile.CHANNEL_CATFISH: "Channel catfish",
    Profile.AFRICAN_CATFISH: "African catfish",
    Profile.COMMON_CARP: "Common carp / koi",
    Profile.GOLDFISH: "Goldfish",
    Profile.RAINBOW_TROUT: "Rainbow trout",
    Profile.WHITELEG_SHRIMP: "Whiteleg shrimp",
}


def _number(value: float) -> str:
    return f"{value:,.4g}" if value < 1000 else f"{value:,.0f}"


def _grams(value: float) -> str:
    return f"{value:,.1f}".removesuffix(".0") + " g"


def _weights(sizes: SizeClass, after_point: bool) -> str:
    if sizes.to_grams is None:
        word = "above" if after_point else "from"
        return f"{word} {_number(sizes.from_grams)} g"
    if sizes.from_grams == sizes.to_grams:
        return f"{_number(sizes.from_grams)} g"
    if sizes.from_grams == 0:
        return f"below {_number(sizes.to_grams)} g"
    return f"{_number(sizes.from_grams)} – {_number(sizes.to_grams)} g"


def _rate(rate: SourcedRate | None) -> str:
    if rate is None:
        return "no source"
    if rate.low == rate.high:
        return _number(rate.low)
    if rate.falls_with_weight:
        return f"{_number(rate.high)} → {_number(rate.low)}"
    return f"{_number(rate.low)}–{_number(rate.high)} (uses {_number(rate.low)})"


def size_table(classes: Sequence[SizeClass]) -> str:
    """Return a size table as the page shows it."""
    lines = [
        "| weight | % body weight a day | source | feedings a day | source |",
        "|---|---|---|---|---|",
    ]
    lines.extend(
        f"| {_weights(sizes, previous.to_grams == previous.from_grams)} | "
        f"{_rate(sizes.rate)} | {sizes.rate.source if sizes.rate else '—'} | "
        f"{sizes.feedings} | {sizes.feedings_source} |"
        for previous, sizes in pairwise((classes[0], *classes))
    )
    return "\n".join(lines)


def carp_table() -> str:
    """Return the FAO carp feeding guide as the page shows it."""
    edges = rations.CARP_WEIGHT_EDGES
    columns = [f"{_number(low)}–{_number(high)} g" for low, high in pairwise(edges)]
    columns[0] = f"below {_number(edges[1])} g"
    temperatures = rations.CARP_TEMPERATURE_EDGES
    rows = [
        f"below {_number(temperatures[0])} °C",
        *(f"{_number(low)}–{_number(high)} °C" for low, high in pairwise(temperatures)),
        f"from {_number(temperatures[-1])} °C",
    ]
    lines = [
        f"| water \\ weight | {' | '.join(columns)} |",
        "|---" * (len(columns) + 1) + "|",
    ]
    lines.extend(
        f"| {row} | {' | '.join(_number(rate) for rate in rates)} |"
        for row, rates in zip(rows, rations.CARP_RATES, strict=True)
    )
    return "\n".join(lines)


def trout_table() -> str:
    """Return the NC State trout chart as the page shows it."""
    edges = rations.TROUT_FAHRENHEIT_EDGES
    columns = [
        f"{low}–{high - 1} °F ({rations.fahrenheit_to_celsius(low):.1f}–"
        f"{rations.fahrenheit_to_celsius(high - 1):.1f} °C)"
        for low, high in pairwise(edges)
    ]
    lines = [
        f"| fish per lb (up to g) | {' | '.join(columns)} |",
        "|---" * (len(columns) + 1) + "|",
    ]
    lines.extend(
        f"| {_number(per_pound)} ({rations.grams_per_fish(per_pound):.1f} g) | "
        f"{' | '.join(_number(rate) for rate in rates)} |"
        for per_pound, rates in rations.TROUT_CHART
    )
    lines.append(
        "| < 1 (heavier) | "
        f"{' | '.join(_number(rate) for rate in rations.TROUT_OVER_A_POUND)} |"
    )
    return "\n".join(lines)


def hold_table() -> str:
    """Return the species' hold thresholds as the page shows them."""
    lines = [
        "| species | oxygen floor mg/L | feeding range | ammonia, mg/L NH3-N |",
        "|---|---|---|---|",
    ]
    for species, name in NAMES.items():
        floor = OXYGEN_FLOORS.get(species)
        limits = FEEDING_RANGES.get(species)
        edges = [
            f"{word} {_number(edge.value)} °C {edge.source}"
            for word, edge in (
                ("not below", limits and limits.below),
                ("not above", limits and limits.above),
            )
            if edge
        ]
        ammonia = AMMONIA_LIMITS.get(species)
        lines.append(
            f"| {name} | "
            f"{f'{_number(floor.value)} {floor.source}' if floor else 'no source'} | "
            f"{', '.join(edges) or 'no sourced stop'} | "
            f"{f'above {_number(ammonia.value)} {ammonia.source}' if ammonia else 'no source'} |"
        )
    return "\n".join(lines)


def tables() -> Iterator[tuple[str, str]]:
    """Yield (name, Markdown) of every generated table."""
    yield "tilapia", size_table(rations.TILAPIA_SIZES)
    yield "channel catfish", size_table(rations.CHANNEL_CATFISH_SIZES)
    yield "African catfish", size_table(rations.AFRICAN_CATFISH_SIZES)
    yield "carp", carp_table()
    yield "goldfish", size_table(rations.GOLDFISH_SIZES)
    yield "trout", trout_table()
    yield "shrimp", size_table(rations.SHRIMP_SIZES)
    yield "hold", hold_table()


def _page() -> str:
    return PAGE.read_text(encoding="utf-8")


@pytest.mark.parametrize(("name", "table"), list(tables()), ids=lambda x: x[:20])
def test_tables_are_the_code_s(name: str, table: str) -> None:
    """Each table of the page is the one rations.py and feeding_hold.py hold."""
    assert table in _page(), f"docs/feeding.md: the {name} table differs:\n{table}"


def _ration(
    species: Profile, fish: int, weight: float, temperature: float
) -> tuple[float, float]:
    advice = feeding_rate(species, weight, temperature)
    assert advice.rate is not None
    assert advice.feedings_per_day is not None
    ration = daily_ration(fish * weight / 1000, advice.rate)
    return ration, portion(ration, advice.feedings_per_day, 0)


def _in_page(*figures: str) -> None:
    page = _page()
    missing = [figure for figure in figures if figure not in page]
    assert not missing, f"docs/feeding.md lacks {missing}"


def test_koi_pond_in_autumn() -> None:
    """16 koi of 500 g: 14 °C, 8 °C, 4 °C."""
    assert _ration(Profile.COMMON_CARP, 16, 500, 14) == (120, 60)
    assert _ration(Profile.COMMON_CARP, 16, 500, 8) == (120, 120)
    assert feeding_rate(Profile.COMMON_CARP, 500, 4).rate == 0
    _in_page(
        "**8 kg**", "**1.5 %**", "**120 g** a day", "**60 g**", "120 g in one meal"
    )


def test_tilapia_pond() -> None:
    """2,000 tilapia of 150 g at 28 °C, then a cold snap."""
    assert feeding_rate(Profile.NILE_TILAPIA, 150, 28).rate == 4.16
    ration, share = _ration(Profile.NILE_TILAPIA, 2000, 150, 28)
    assert (ration, share) == (12480, 6240)
    assert portion(ration, 2, 6240, feedings_given_today=1) == 6240
    assert portion(ration, 2, 5000, feedings_given_today=1) == 7480
    assert hold_reasons(
        Profile.NILE_TILAPIA,
        PondConditions(dissolved_oxygen=6, water_temperature=16.5, unionised_ammonia=0),
    ) == {HoldReason.TEMPERATURE}
    _in_page(
        "**300 kg**",
        "**4.16 %**",
        f"**{_grams(ration)}** a day",
        f"**{_grams(share)}**",
        f"**{_grams(7480)}**",
    )


def test_catfish_pond_on_a_hot_night() -> None:
    """10,000 channel catfish of 600 g in 31 °C water."""
    assert _ration(Profile.CHANNEL_CATFISH, 10_000, 600, 31) == (60_000, 60_000)
    evening = PondConditions(
        dissolved_oxygen=6.5,
        water_temperature=31,
        unionised_ammonia=0.1,
        crash_expected_tonight=True,
        evening=True,
    )
    assert hold_reasons(Profile.CHANNEL_CATFISH, evening) == {
        HoldReason.OXYGEN_CRASH_TONIGHT
    }
    dawn = PondConditions(
        dissolved_oxygen=2.6,
        water_temperature=30,
        unionised_ammonia=0.1,
        after_sunrise=True,
    )
    assert hold_reasons(Profile.CHANNEL_CATFISH, dawn) == {
        HoldReason.OXYGEN_LOW,
        HoldReason.AFTER_SUNRISE,
    }
    morning = PondConditions(
        dissolved_oxygen=5.5, water_temperature=30.5, unionised_ammonia=0.1
    )
    assert not hold_reasons(Profile.CHANNEL_CATFISH, morning)
    _in_page("**6,000 kg**", "**1 %**", "**60,000 g** (60 kg)")


def test_a_season_s_records() -> None:
    """The stock example: the table rows, as test_stock.py checks them."""
    pond = Stock.stocked(Profile.NILE_TILAPIA, 2000, 30, date(2026, 3, 1))
    rows = [("1 March: stocked", pond)]
    pond = pond.record_feed(300_000).record_sample(50, 6500)
    rows.append(("30 April (day 60): sample", pond))
    pond = pond.record_mortality(40, 4800)
    rows.append(("5 May: mortality", pond))
    pond = pond.record_feed(450_000).record_sample(50, 15_000)
    rows.append(("29 June (day 120): sample", pond))
    pond = pond.record_harvest(fish=1500)
    rows.append(("1 July: harvest", pond))
    assert pond.density(None, 500) is not None
    _in_page(
        *(
            f"| {label} | {row.count:,} | {_number(row.average_weight)} g | "
            f"{_number(row.biomass)} kg | {_number(row.feed_kg)} kg | "
            f"{_number(row.gained_kg)} kg | "
            f"{'—' if row.fcr is None else f'{row.fcr:.2f}'} |"
            for label, row in rows
        ),
        "**4 fish/m²**",
        "**1.18 kg/m³**",
    )


if __name__ == "__main__":
    for name, table in tables():
        print(f"<!-- {name} -->\n{table}\n")  # noqa: T201
