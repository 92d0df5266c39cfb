"""Stock, ration, portion and feeding hold of a pond, as Home Assistant shows them."""

from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.button import SERVICE_PRESS
from homeassistant.components.number import ATTR_VALUE, SERVICE_SET_VALUE
from homeassistant.components.select import ATTR_OPTION, SERVICE_SELECT_OPTION
from homeassistant.const import (
    ATTR_DEVICE_ID,
    ATTR_ENTITY_ID,
    STATE_OFF,
    STATE_ON,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.sun import get_astral_event_next
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.future_fish.const import DOMAIN, EVENT_FEEDING
from custom_components.future_fish.logbook import describe_feeding

from .common import (
    DEVICE_ID,
    MAC,
    answer_commands,
    current,
    device_id,
    report,
    send,
    setup_hub,
)

# Home Assistant's test location is San Diego, its time zone US/Pacific (UTC-7 in
# May): noon local, far from sunrise and sunset.
NOON: Final = datetime(2026, 5, 2, 19, 0, tzinfo=UTC)
CONTROLLER: Final = "pond_controller_4134"
RATION: Final = "sensor.pond_1_recommended_daily_feed"
PORTION: Final = "sensor.pond_1_recommended_portion"
HOLD: Final = "binary_sensor.pond_1_feeding_hold"
BIOMASS: Final = "sensor.pond_1_biomass"
FCR: Final = "sensor.pond_1_feed_conversion_ratio"
COMPLETED: Final = {"success": True}


def pond_device(hass: HomeAssistant, pond: int = 1) -> str:
    """Return a pond's device id."""
    return device_id(hass, f"{DEVICE_ID}_pond{pond}")


async def water(hass: HomeAssistant, **readings: float) -> None:
    """Let the controller report water readings."""
    send(hass, "sensors", {"device_id": MAC, "data": readings})
    await hass.async_block_till_done()


async def record(
    hass: HomeAssistant, action: str, pond: int = 1, **fields: Any
) -> dict[str, Any]:
    """Call a farm record action and return the pond's stock it responds with."""
    response = await hass.services.async_call(
        DOMAIN,
        action,
        {ATTR_DEVICE_ID: pond_device(hass, pond), **fields},
        blocking=True,
        return_response=True,
    )
    await hass.async_block_till_done()
    assert isinstance(response, dict)
    return response


async def feed(hass: HomeAssistant, amount: float, **fields: Any) -> None:
    """Feed pond 1 with the action and wait until the controller completed it."""
    await hass.services.async_call(
        DOMAIN,
        "feed",
        {
            ATTR_DEVICE_ID: pond_device(hass),
            "amount": amount,
            "wait_for_completion": True,
            **fields,
        },
        blocking=True,
    )
    await hass.async_block_till_done()


@pytest.fixture
async def entry(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> MockConfigEntry:
    """Return a hub whose tilapia controller reported, at noon, answering commands."""
    freezer.move_to(NOON)
    entry = await setup_hub(hass)
    await report(hass)
    await hass.services.async_call(
        Platform.SELECT,
        SERVICE_SELECT_OPTION,
        {
            ATTR_ENTITY_ID: f"select.{CONTROLLER}_species_profile",
            ATTR_OPTION: "nile_tilapia",
        },
        blocking=True,
    )
    answer_commands(hass, mqtt_mock, complete=COMPLETED)
    await hass.async_block_till_done()
    return entry


@pytest.mark.usefixtures("entry")
async def test_the_tilapia_example_of_the_docs(hass: HomeAssistant) -> None:
    """2,000 tilapia of 150 g at 28 °C: 12,480 g a day in 2 portions of 6,240 g."""
    await water(hass, temperature=28, dissolved_oxygen=6.5)
    # Not stocked yet: nothing to recommend, but the hold is known.
    assert current(hass, RATION).state == "unknown"
    assert current(hass, HOLD).state == STATE_OFF

    stock = await record(hass, "restock", fish=2000, average_weight=150)

    assert stock["biomass"] == 300
    assert stock["species"] == "nile_tilapia"
    assert current(hass, BIOMASS).state == "300.0"
    ration = current(hass, RATION)
    assert ration.state == "12480.0"
    assert ration.attributes["rate"] == 4.16
    assert ration.attributes["rate_source"] == "[T11] W"
    assert ration.attributes["feedings_per_day"] == 2
    assert ration.attributes["feedings_source"] == "[T2] C"
    assert ration.attributes["temperature_rule"] == "none"
    assert current(hass, PORTION).state == "6240.0"

    # A feed of the most one command gives: the rest of the portion stays due.
    await feed(hass, 5000)
    assert current(hass, PORTION).state == "7480.0"

    # A cold front: below tilapia's feeding range, no ration and a hold.
    await water(hass, temperature=16.5)
    assert current(hass, RATION).state == "0.0"
    assert current(hass, RATION).attributes["temperature_rule"] == "stop"
    assert current(hass, RATION).attributes["temperature_source"] == "[T1] C"
    assert current(hass, PORTION).state == "0.0"
    hold = current(hass, HOLD)
    assert hold.state == STATE_ON
    assert hold.attributes["reasons"] == ["temperature"]


@pytest.mark.usefixtures("entry")
async def test_the_hold_refuses_feeds_unless_overridden(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Low oxygen holds the pond: the action and the button refuse, override feeds."""
    captured = async_capture_events(hass, EVENT_FEEDING)
    await water(hass, temperature=28, dissolved_oxygen=6.5)
    await water(hass, dissolved_oxygen=2.0)
    # The controller's probe serves both ponds: each is held, and logged.
    assert [event.data["pond"] for event in captured] == [1, 2]
    events = [event for event in captured if event.data["pond"] == 1]

    assert current(hass, HOLD).state == STATE_ON
    assert current(hass, HOLD).attributes["reasons"] == ["oxygen_low"]
    assert [event.data["type"] for event in events] == ["hold_on"]
    assert describe_feeding(events[-1].data) == "feeding hold on: oxygen_low"

    with pytest.raises(ServiceValidationError) as refused:
        await feed(hass, 500)
    assert refused.value.translation_key == "feeding_held"
    assert refused.value.translation_placeholders == {
        "pond": "Pond 1",
        "reasons": "oxygen_low",
    }
    with pytest.raises(ServiceValidationError, match="feeding hold is on"):
        await hass.services.async_call(
            Platform.BUTTON,
            SERVICE_PRESS,
            {ATTR_ENTITY_ID: "button.pond_1_feed"},
            blocking=True,
        )
    assert current(hass, "sensor.pond_1_feed_given_today").state == "0"
    events = [event for event in captured if event.data["pond"] == 1]
    assert describe_feeding(events[-1].data) == (
        "feed of 100 g refused: feeding hold (oxygen_low)"
    )

    await feed(hass, 500, override=True)

    assert current(hass, "sensor.pond_1_feed_given_today").state == "500.0"
    events = [event for event in captured if event.data["pond"] == 1]
    assert events[-1].data["type"] == "hold_overridden"
    assert describe_feeding(events[-1].data) == (
        "fed 500 g despite the feeding hold (oxygen_low): overridden"
    )

    await water(hass, dissolved_oxygen=5.0)
    assert current(hass, HOLD).state == STATE_OFF
    assert captured[-1].data["type"] == "hold_off"


@pytest.mark.usefixtures("entry")
async def test_the_oxygen_limit_of_the_controller_holds_when_higher(
    hass: HomeAssistant,
) -> None:
    """A dissolved-oxygen lower limit above the species' floor is the one held to."""
    await water(hass, temperature=28, dissolved_oxygen=4.0)
    assert current(hass, HOLD).state == STATE_OFF

    await hass.services.async_call(
        DOMAIN,
        "set_limit",
        {
            "device_id": device_id(hass, DEVICE_ID),
            "quantity": "dissolved_oxygen",
            "bound": "lower",
            "value": 4.5,
        },
        blocking=True,
    )
    await hass.async_block_till_done()

    assert current(hass, HOLD).attributes["reasons"] == ["oxygen_low"]


async def test_the_first_hour_after_sunrise_and_an_offline_controller_hold(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """Oxygen is lowest at dawn: no feeding for an hour; nor while offline."""
    sunrise = get_astral_event_next(hass, "sunrise", NOON)
    freezer.move_to(sunrise + timedelta(minutes=30))
    await setup_hub(hass)
    await report(hass)

    assert current(hass, HOLD).attributes["reasons"] == ["after_sunrise"]

    # Still reporting (within the heartbeat timeout) when the hour is over.
    freezer.move_to(sunrise + timedelta(minutes=59, seconds=50))
    await report(hass)
    freezer.move_to(sunrise + timedelta(hours=1, seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert current(hass, HOLD).state == STATE_OFF

    freezer.tick(timedelta(minutes=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    hold = current(hass, HOLD)
    assert hold.state == STATE_ON
    assert hold.attributes["reasons"] == ["controller_offline"]


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_a_seasons_records_as_the_docs_tell_and_after_a_restart(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """The docs' season of a 500 m² tilapia pond: biomass, FCR, density, restart."""
    freezer.move_to(datetime(2026, 3, 1, 19, 0, tzinfo=UTC))
    entry = await setup_hub(hass)
    await report(hass)
    answer_commands(hass, mqtt_mock, complete=COMPLETED)
    await water(hass, temperature=28, dissolved_oxygen=6.5)
    for key, value in (("surface_area", 500), ("tank_depth", 100)):
        await hass.services.async_call(
            Platform.NUMBER,
            SERVICE_SET_VALUE,
            {ATTR_ENTITY_ID: f"number.pond_1_{key}", ATTR_VALUE: value},
            blocking=True,
        )
    await hass.services.async_call(
        Platform.SELECT,
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: "select.pond_1_species", ATTR_OPTION: "nile_tilapia"},
        blocking=True,
    )

    events = async_capture_events(hass, EVENT_FEEDING)
    await record(hass, "restock", fish=2000, average_weight=30, date="2026-03-01")
    assert current(hass, BIOMASS).state == "60.0"
    assert current(hass, "sensor.pond_1_stocking_density").state == "0.12"
    assert current(hass, FCR).state == "unknown"

    freezer.move_to(datetime(2026, 4, 30, 19, 0, tzinfo=UTC))
    for _ in range(60):
        await feed(hass, 5000)
    stock = await record(hass, "record_sample", fish=50, weight=6.5)
    assert (stock["biomass"], stock["fcr"]) == (260, 1.5)
    assert current(hass, "sensor.pond_1_feed_since_stocking").state == "300.0"

    await record(hass, "record_mortality", fish=40, weight=4.8)
    assert current(hass, BIOMASS).state == "254.8"
    assert current(hass, FCR).state == "1.5"

    freezer.move_to(datetime(2026, 6, 29, 19, 0, tzinfo=UTC))
    for _ in range(90):
        await feed(hass, 5000)
    await record(hass, "record_sample", fish=50, weight=15)
    assert current(hass, BIOMASS).state == "588.0"
    assert current(hass, FCR).state == "1.41"
    assert current(hass, "sensor.pond_1_days_since_stocking").state == "120"
    density = current(hass, "sensor.pond_1_stocking_density")
    assert density.state == "1.18"
    assert density.attributes["unit_of_measurement"] == "kg/m³"

    harvest = await record(hass, "record_harvest", fish=1500)
    assert (harvest["count"], harvest["biomass"], harvest["fcr"]) == (460, 138, 1.41)
    # Each record is in the logbook, on the pond's device (besides the hold, which
    # the months without a report turned on for a moment).
    records = [event for event in events if not event.data["type"].startswith("hold")]
    assert {event.data["device_id"] for event in records} == {pond_device(hass)}
    assert [describe_feeding(event.data) for event in records] == [
        "stocked 2000 fish of 30 g; now 2000 fish, 60 kg",
        "sample of 50 fish weighed 6.5 kg; now 260 kg, FCR 1.5",
        "40 dead fish removed; now 1960 fish, 254.8 kg, FCR 1.5",
        "sample of 50 fish weighed 15 kg; now 588 kg, FCR 1.41",
        "harvested 1500 fish; now 460 fish, 138 kg, FCR 1.41",
    ]

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()

    assert current(hass, BIOMASS).state == "138.0"
    assert current(hass, FCR).state == "1.41"
    assert current(hass, "sensor.pond_1_feed_since_stocking").state == "750.0"
    assert current(hass, "number.pond_1_number_of_fish").state == "460"
    assert current(hass, "date.pond_1_stocking_date").state == "2026-03-01"
    assert current(hass, "select.pond_1_species").state == "nile_tilapia"


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "entry")
async def test_records_that_cannot_be_are_refused(hass: HomeAssistant) -> None:
    """An unstocked pond, too many fish, a sample of nothing: translated errors."""
    with pytest.raises(ServiceValidationError) as unstocked:
        await record(hass, "record_sample", fish=10, weight=1)
    assert unstocked.value.translation_key == "pond_not_stocked"
    with pytest.raises(ServiceValidationError) as not_yet:
        await hass.services.async_call(
            Platform.NUMBER,
            SERVICE_SET_VALUE,
            {ATTR_ENTITY_ID: "number.pond_1_number_of_fish", ATTR_VALUE: 10},
            blocking=True,
        )
    assert not_yet.value.translation_key == "pond_not_stocked"

    await record(hass, "restock", fish=100, average_weight=20)
    with pytest.raises(ServiceValidationError) as too_many:
        await record(hass, "record_mortality", fish=101)
    assert too_many.value.translation_key == "more_fish_than_in_pond"
    assert too_many.value.translation_placeholders == {"count": "101", "stock": "100"}
    with pytest.raises(ServiceValidationError) as nothing:
        await record(hass, "record_harvest")
    assert nothing.value.translation_key == "harvest_amount_missing"

    # By hand: a count is no mortality, a weight is a sample's.
    await hass.services.async_call(
        Platform.NUMBER,
        SERVICE_SET_VALUE,
        {ATTR_ENTITY_ID: "number.pond_1_average_weight", ATTR_VALUE: 40},
        blocking=True,
    )
    await hass.async_block_till_done()
    assert current(hass, BIOMASS).state == "4.0"
    assert current(hass, "date.pond_1_stocking_date").state == (
        date(2026, 5, 2).isoformat()
    )


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "entry")
async def test_the_ponds_own_rate_species_and_date(hass: HomeAssistant) -> None:
    """The feed maker's rate replaces the table's until cleared.

    A species chosen for the pond and a stocking date set by hand show at once.
    """
    await water(hass, temperature=28, dissolved_oxygen=6.5)
    await record(hass, "restock", fish=2000, average_weight=150)
    rate = "number.pond_1_feeding_rate"
    assert current(hass, rate).state == "unknown"

    await hass.services.async_call(
        Platform.NUMBER,
        SERVICE_SET_VALUE,
        {ATTR_ENTITY_ID: rate, ATTR_VALUE: 3},
        blocking=True,
    )
    await hass.async_block_till_done()
    assert current(hass, RATION).state == "9000.0"
    assert current(hass, RATION).attributes["rate_source"] == "own"

    await hass.services.async_call(
        DOMAIN, "clear_limit", {ATTR_ENTITY_ID: rate}, blocking=True
    )
    await hass.async_block_till_done()
    assert current(hass, rate).state == "unknown"
    assert current(hass, RATION).state == "12480.0"

    # African catfish: 4 % a day from 5.9 g [A5] P, in 3 feedings.
    await hass.services.async_call(
        Platform.SELECT,
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: "select.pond_1_species", ATTR_OPTION: "african_catfish"},
        blocking=True,
    )
    await hass.async_block_till_done()
    assert current(hass, RATION).state == "12000.0"
    assert current(hass, RATION).attributes["rate_source"] == "[A5] P"
    assert current(hass, PORTION).state == "4000.0"
    # The other pond keeps following the controller's profile.
    assert current(hass, "select.pond_2_species").state == "nile_tilapia"

    await hass.services.async_call(
        "date",
        "set_value",
        {ATTR_ENTITY_ID: "date.pond_1_stocking_date", "date": "2026-04-02"},
        blocking=True,
    )
    await hass.async_block_till_done()
    assert current(hass, "sensor.pond_1_days_since_stocking").state == "30"
