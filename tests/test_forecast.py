"""The dawn oxygen forecast: synthetic nights with known answers.

The first tests give the fit readings and times directly. The others play nights
to a hub at Home Assistant's test location (San Diego, US/Pacific), where the night
of 30 April 2026 runs from sunset at 02:30:02 UTC to sunrise at 13:01:38 UTC.
"""

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
import json
import math
import random
import statistics
from typing import Any, Final
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_ENTITY_ID, STATE_OFF, STATE_ON, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.future_fish.const import DOMAIN
from custom_components.future_fish.dawn import night_at
from custom_components.future_fish.forecast import Forecast, NightFit

from .common import DEVICE_ID, SENSORS_B, STARTUP, current, send, set_number, setup_hub

SUNSET: Final = datetime(2026, 5, 1, 2, 30, 2, 527115, tzinfo=UTC)
SUNRISE: Final = datetime(2026, 5, 1, 13, 1, 38, 483934, tzinfo=UTC)
NEXT_SUNSET: Final = datetime(2026, 5, 2, 2, 30, 46, 961295, tzinfo=UTC)
NEXT_SUNRISE: Final = datetime(2026, 5, 2, 13, 0, 40, 590283, tzinfo=UTC)
FORECAST: Final = "sensor.pond_controller_4134_dissolved_oxygen_at_dawn_forecast"
CRASH: Final = "binary_sensor.pond_controller_4134_oxygen_crash_expected"
OXYGEN_LIMIT: Final = "number.pond_controller_4134_dissolved_oxygen_lower_limit"
# A night that starts at 8 mg/L and loses 0.4 mg/L an hour: at sunrise, 10.53 h
# after sunset, 8 - 0.4 x 10.527 = 3.79 mg/L.
LINEAR_AT_SUNRISE: Final = "3.8"


def fit_through(
    readings: Iterable[tuple[float, float]], sunset: datetime = SUNSET
) -> NightFit:
    """Return a night's fit through (hours after sunset, mg/L) readings."""
    fit = NightFit(sunset)
    for hours, value in readings:
        fit.add(sunset + timedelta(hours=hours), value)
    return fit


def every(minutes: float, until_hours: float, start: float = 0) -> list[float]:
    """Return the hours after sunset of readings every `minutes`, start included."""
    count = round((until_hours - start) * 60 / minutes)
    return [start + step * minutes / 60 for step in range(count + 1)]


def linear(hours: float) -> float:
    """Return the dissolved oxygen of the linear night."""
    return 8 - 0.4 * hours


# --- the fit ----------------------------------------------------------------------


def test_linear_decline_is_extended_to_sunrise() -> None:
    """Readings on a line give that line's value at sunrise, and its slope."""
    fit = fit_through((hours, linear(hours)) for hours in every(15, 3))
    assert fit.forecast(SUNSET + timedelta(hours=10)) == Forecast(
        value=4.0,
        sunrise=SUNSET + timedelta(hours=10),
        decline_rate=0.4,
        readings=13,
    )
    # However late in the night the readings start.
    late = fit_through((hours, linear(hours)) for hours in every(15, 5, start=2))
    forecast = late.forecast(SUNSET + timedelta(hours=10))
    assert forecast is not None
    assert (forecast.value, forecast.decline_rate) == (4.0, 0.4)


def test_noisy_decline_is_a_least_squares_line() -> None:
    """Probe noise averages out: the line is the least-squares one."""
    rng = random.Random(27)
    hours = every(0.5, 4)
    values = [linear(hour) + rng.gauss(0, 0.15) for hour in hours]
    forecast = fit_through(zip(hours, values, strict=True)).forecast(
        SUNSET + timedelta(hours=10)
    )
    assert forecast is not None
    slope, intercept = statistics.linear_regression(hours, values)
    assert forecast.value == round(intercept + slope * 10, 1)
    assert forecast.decline_rate == round(-slope, 2)
    assert forecast.readings == len(hours) == 481
    # And close to the night without noise.
    assert abs(forecast.value - 4.0) <= 0.2
    assert abs(forecast.decline_rate - 0.4) <= 0.05


@pytest.mark.parametrize(
    ("hours", "known"),
    [
        pytest.param(every(45, 3)[:5], False, id="5 readings over 3 h"),
        pytest.param(every(1, 2)[:-1], False, id="120 readings over 1 h 59 min"),
        pytest.param(every(24, 2), True, id="6 readings over 2 h"),
    ],
)
def test_too_few_readings_say_nothing(hours: list[float], known: bool) -> None:
    """At least 6 readings over at least 2 hours, as FA-27's second reading."""
    fit = fit_through((hour, linear(hour)) for hour in hours)
    assert (fit.forecast(SUNRISE) is not None) is known


def test_oxygen_never_falls_below_zero() -> None:
    """A steep line is held at 0 mg/L, not extended below it."""
    fit = fit_through((hours, 3 - 0.5 * hours) for hours in every(15, 3))
    forecast = fit.forecast(SUNSET + timedelta(hours=10))
    assert forecast is not None
    assert (forecast.value, forecast.decline_rate) == (0.0, 0.5)


def test_rising_oxygen_is_not_counted_on() -> None:
    """A night that gains oxygen (an aerator) is held at its latest fitted value."""
    fit = fit_through((hours, 5 + 0.2 * hours) for hours in every(15, 3))
    forecast = fit.forecast(SUNSET + timedelta(hours=10))
    assert forecast is not None
    assert (forecast.value, forecast.decline_rate) == (5.6, -0.2)


def test_flat_night() -> None:
    """Steady oxygen stays where it is, with a decline of 0 (not -0)."""
    forecast = fit_through((hours, 6.0) for hours in every(15, 3)).forecast(SUNRISE)
    assert forecast is not None
    assert (forecast.value, forecast.decline_rate) == (6.0, 0.0)
    assert math.copysign(1, forecast.decline_rate) == 1


def test_stored_night_goes_on_where_it_stopped() -> None:
    """A night stored and restored gives what an uninterrupted one gives."""
    first, second = every(15, 1.5), every(15, 3, start=1.75)
    stored = json.loads(
        json.dumps(fit_through((hours, linear(hours)) for hours in first).as_dict())
    )
    restored = NightFit.from_dict(stored)
    for hours in second:
        restored.add(SUNSET + timedelta(hours=hours), linear(hours))
    whole = fit_through((hours, linear(hours)) for hours in first + second)
    assert restored.sunset == SUNSET
    assert restored.forecast(SUNRISE) == whole.forecast(SUNRISE) is not None


# --- the night, from Home Assistant's location -------------------------------------


async def test_night_and_day(hass: HomeAssistant) -> None:
    """By day nothing is forecast until sunset; by night the night is known."""
    noon = datetime(2026, 4, 30, 19, 0, tzinfo=UTC)
    assert night_at(hass, noon) == (None, SUNSET)
    assert night_at(hass, SUNSET + timedelta(hours=1)) == ((SUNSET, SUNRISE), SUNRISE)
    assert night_at(hass, SUNRISE) == (None, NEXT_SUNSET)


async def test_night_just_after_an_autumn_sunset(hass: HomeAssistant) -> None:
    """While days shorten, the sunset a day ago is not the night's: today's is."""
    sunset = datetime(2026, 10, 15, 1, 16, 31, 179167, tzinfo=UTC)
    sunrise = datetime(2026, 10, 15, 13, 53, 24, 700906, tzinfo=UTC)
    now = sunset + timedelta(seconds=30)
    assert night_at(hass, now) == ((sunset, sunrise), sunrise)


async def test_polar_night_has_no_dawn(hass: HomeAssistant) -> None:
    """With no sunset within a day (Svalbard in December) there is no forecast."""
    await hass.config.async_update(latitude=78.22, longitude=15.65)
    now = datetime(2026, 12, 15, 12, 0, tzinfo=UTC)
    night, until = night_at(hass, now)
    assert night is None
    assert until > now + timedelta(days=30)


async def test_location_without_sun_events(hass: HomeAssistant) -> None:
    """Where the sun helpers find no sunrise within a year, ask again a day later."""
    now = datetime(2026, 6, 21, 12, 0, tzinfo=UTC)
    with patch(
        "custom_components.future_fish.dawn.get_astral_event_next",
        side_effect=ValueError("no sunrise"),
    ):
        assert night_at(hass, now) == (None, now + timedelta(days=1))


# --- the sensors ------------------------------------------------------------------


async def set_limit(hass: HomeAssistant, limit: float | None) -> None:
    """Set or clear the dissolved-oxygen lower limit, as the user does."""
    if limit is None:
        await hass.services.async_call(
            DOMAIN, "clear_limit", {ATTR_ENTITY_ID: OXYGEN_LIMIT}, blocking=True
        )
    else:
        await set_number(hass, OXYGEN_LIMIT, limit)


async def reading(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    at: datetime,
    value: float,
) -> None:
    """Let the controller report `value` mg/L at `at`."""
    freezer.move_to(at)
    send(hass, "sensors", {"data": {"dissolved_oxygen": value}})
    await hass.async_block_till_done()


async def play(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hours: Iterable[float],
    oxygen: Any = linear,
    sunset: datetime = SUNSET,
) -> None:
    """Play readings at `hours` after `sunset`, of `oxygen(hours)` mg/L."""
    for hour in hours:
        await reading(hass, freezer, sunset + timedelta(hours=hour), oxygen(hour))


# Readings every 15 minutes from one minute after sunset: the ninth makes two hours.
FIRST_TWO_HOURS: Final = [1 / 60 + hours for hours in every(15, 2)]


@pytest.fixture
async def entry(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    entity_registry_enabled_by_default: None,
) -> MockConfigEntry:
    """Return a hub whose controller has just started, at sunset."""
    freezer.move_to(SUNSET)
    entry = await setup_hub(hass)
    send(hass, "startup", STARTUP)
    await hass.async_block_till_done()
    return entry


async def test_forecast_of_a_linear_night(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entry: MockConfigEntry
) -> None:
    """Unknown for two hours, then the line at sunrise; compared with the limit."""
    await play(hass, freezer, FIRST_TWO_HOURS[:-1])
    assert current(hass, FORECAST).state == STATE_UNKNOWN
    assert current(hass, CRASH).state == STATE_UNKNOWN

    await play(hass, freezer, FIRST_TWO_HOURS[-1:])
    forecast = current(hass, FORECAST)
    assert forecast.state == LINEAR_AT_SUNRISE
    assert forecast.attributes["unit_of_measurement"] == "mg/L"
    assert forecast.attributes["sunrise"] == SUNRISE
    assert forecast.attributes["readings_used"] == 9
    assert forecast.attributes["decline_rate"] == 0.4
    # No limit set: nothing to compare with.
    assert current(hass, CRASH).state == STATE_UNKNOWN

    await set_limit(hass, 4.0)
    assert current(hass, CRASH).state == STATE_ON
    await set_limit(hass, 3.0)
    assert current(hass, CRASH).state == STATE_OFF
    await set_limit(hass, None)
    assert current(hass, CRASH).state == STATE_UNKNOWN


@pytest.mark.usefixtures("entry")
async def test_state_is_written_only_when_the_forecast_moves(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Readings that leave the forecast where it is write no state."""
    await play(hass, freezer, FIRST_TWO_HOURS)
    changes = async_capture_events(hass, "state_changed")

    def forecast_changes() -> int:
        return sum(event.data["entity_id"] == FORECAST for event in changes)

    await play(hass, freezer, [2.5, 2.75, 3.0])
    assert forecast_changes() == 0

    # Half a milligram below the line pulls the whole line down.
    await reading(hass, freezer, SUNSET + timedelta(hours=3.25), linear(3.25) - 0.5)
    assert forecast_changes() == 1
    assert float(current(hass, FORECAST).state) < float(LINEAR_AT_SUNRISE)
    assert current(hass, FORECAST).attributes["readings_used"] == 13


@pytest.mark.usefixtures("entry")
async def test_equal_readings_count(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A steady night is a night too: a reading equal to the last one counts."""
    await play(hass, freezer, every(24, 2), oxygen=lambda _: 6.0)
    forecast = current(hass, FORECAST)
    assert forecast.state == "6.0"
    assert forecast.attributes["readings_used"] == 6
    assert forecast.attributes["decline_rate"] == 0.0


async def test_daytime_readings_stay_out_of_the_night(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """The afternoon's high oxygen neither makes a forecast nor enters the night's."""
    freezer.move_to(SUNSET - timedelta(hours=4))
    await setup_hub(hass)
    send(hass, "startup", STARTUP)
    await play(hass, freezer, every(15, -0.25, start=-4), oxygen=lambda _: 11.0)
    assert current(hass, FORECAST).state == STATE_UNKNOWN
    # A sensors message without oxygen is no reading.
    send(hass, "sensors", SENSORS_B)

    await play(hass, freezer, FIRST_TWO_HOURS)
    forecast = current(hass, FORECAST)
    assert forecast.state == LINEAR_AT_SUNRISE
    assert forecast.attributes["readings_used"] == 9


async def test_sunrise_ends_the_night(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entry: MockConfigEntry
) -> None:
    """At sunrise the forecast is withdrawn; the next night starts from nothing."""
    await set_limit(hass, 4.0)
    await play(hass, freezer, FIRST_TWO_HOURS)
    assert current(hass, CRASH).state == STATE_ON

    freezer.move_to(SUNRISE)
    async_fire_time_changed(hass)
    # The controller's heartbeat, so that it is not shown offline.
    send(hass, "heartbeat", {})
    await hass.async_block_till_done()
    forecast = current(hass, FORECAST)
    assert forecast.state == STATE_UNKNOWN
    assert "readings_used" not in forecast.attributes
    assert current(hass, CRASH).state == STATE_UNKNOWN

    # By day nothing comes back.
    await play(hass, freezer, every(15, 3), sunset=SUNRISE)
    assert current(hass, FORECAST).state == STATE_UNKNOWN

    # The next night: 9 mg/L at sunset, 0.2 mg/L less an hour, alone in its line
    # (10.50 h to sunrise: 6.9 mg/L).
    await play(
        hass, freezer, FIRST_TWO_HOURS, oxygen=lambda h: 9 - 0.2 * h, sunset=NEXT_SUNSET
    )
    forecast = current(hass, FORECAST)
    assert forecast.state == "6.9"
    assert forecast.attributes["readings_used"] == 9
    assert forecast.attributes["sunrise"] == NEXT_SUNRISE
    assert current(hass, CRASH).state == STATE_OFF


async def test_restart_keeps_the_night(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entry: MockConfigEntry
) -> None:
    """Readings before a restart still count after it, within the same night."""
    await play(hass, freezer, FIRST_TWO_HOURS[:5])
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()

    await play(hass, freezer, FIRST_TWO_HOURS[5:])
    forecast = current(hass, FORECAST)
    assert forecast.state == LINEAR_AT_SUNRISE
    assert forecast.attributes["readings_used"] == 9


async def test_restart_in_another_night_starts_afresh(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entry: MockConfigEntry
) -> None:
    """A night stored before a day Home Assistant slept through is not tonight's."""
    await play(hass, freezer, FIRST_TWO_HOURS)
    assert await hass.config_entries.async_unload(entry.entry_id)

    freezer.move_to(NEXT_SUNSET)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await play(hass, freezer, FIRST_TWO_HOURS[:-1], sunset=NEXT_SUNSET)
    assert current(hass, FORECAST).state == STATE_UNKNOWN
    await play(hass, freezer, FIRST_TWO_HOURS[-1:], sunset=NEXT_SUNSET)
    assert current(hass, FORECAST).attributes["readings_used"] == 9


@pytest.mark.usefixtures("entry")
async def test_moving_home_assistant_starts_the_night_afresh(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Another location has other sun times: its night starts from nothing."""
    await play(hass, freezer, FIRST_TWO_HOURS)
    await hass.config.async_update(location_name="Fish farm")
    assert current(hass, FORECAST).state == LINEAR_AT_SUNRISE

    # Further east in the same time zone: the sun set earlier and rises earlier.
    await hass.config.async_update(latitude=33.45, longitude=-112.07)
    assert current(hass, FORECAST).state == STATE_UNKNOWN
    await play(hass, freezer, every(15, 4.5, start=2.25))
    forecast = current(hass, FORECAST)
    assert forecast.attributes["readings_used"] == 10
    assert forecast.attributes["sunrise"] < SUNRISE


async def test_removing_the_hub_deletes_the_nights(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    entry: MockConfigEntry,
) -> None:
    """The nights are stored per hub and go with it."""
    await play(hass, freezer, FIRST_TWO_HOURS)
    key = f"{DOMAIN}.{entry.entry_id}.dawn"
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert hass_storage[key]["data"]["fits"][DEVICE_ID]["count"] == 9

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage
