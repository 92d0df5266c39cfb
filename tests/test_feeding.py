"""Feeding records: grams and feedings per pond and day, from completed feeds."""

from datetime import UTC, datetime, timedelta
from typing import Any, Final

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.button import SERVICE_PRESS
from homeassistant.components.valve import SERVICE_OPEN_VALVE
from homeassistant.const import ATTR_DEVICE_ID, ATTR_ENTITY_ID, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import (
    MqttMockHAClient,
    WebSocketGenerator,
)

from custom_components.future_fish.commands import EVENT_COMMAND
from custom_components.future_fish.const import DOMAIN

from .common import (
    DEVICE_ID,
    answer,
    answer_commands,
    current,
    last_command,
    report,
    send,
    setup_hub,
    start,
)

# These tests use entities that are disabled by default (limits, command settings).
pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")

# Home Assistant's test time zone is US/Pacific (UTC-7 in May): 23:50 local.
LATE_EVENING: Final = datetime(2026, 5, 2, 6, 50, tzinfo=UTC)
MIDNIGHT: Final = datetime(2026, 5, 2, 7, 0, tzinfo=UTC)
NEXT_MORNING: Final = datetime(2026, 5, 2, 15, 0, tzinfo=UTC)
COMPLETED: Final = {"success": True}


def totals(hass: HomeAssistant, pond: int = 1) -> tuple[str, str]:
    """Return a pond's feed given today and feedings today, as shown."""
    return (
        current(hass, f"sensor.pond_{pond}_feed_given_today").state,
        current(hass, f"sensor.pond_{pond}_feedings_today").state,
    )


def pond_device(hass: HomeAssistant, pond: int) -> dr.DeviceEntry:
    """Return a pond's device."""
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, f"{DEVICE_ID}_pond{pond}"), entry.entry_id
    )
    assert device is not None
    return device


async def press_feed(hass: HomeAssistant, pond: int = 1) -> None:
    """Press a pond's Feed button and let the controller's answers arrive."""
    await hass.services.async_call(
        Platform.BUTTON,
        SERVICE_PRESS,
        {ATTR_ENTITY_ID: f"button.pond_{pond}_feed"},
        blocking=True,
    )
    await hass.async_block_till_done()


@pytest.fixture
async def entry(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    entity_registry_enabled_by_default: None,
) -> MockConfigEntry:
    """Return a hub whose controller reports two ponds, ten minutes to midnight."""
    freezer.move_to(LATE_EVENING)
    entry = await setup_hub(hass)
    await report(hass)
    return entry


@pytest.mark.usefixtures("entry")
async def test_completed_feeds_count_whatever_sent_them(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A button, an action and a script: each completed feed counts."""
    assert totals(hass, 1) == totals(hass, 2) == ("0", "0")
    given = current(hass, "sensor.pond_1_feed_given_today")
    assert given.attributes["state_class"] == "total_increasing"
    assert given.attributes["unit_of_measurement"] == "g"
    assert current(hass, "sensor.pond_1_feedings_today").attributes["state_class"] == (
        "total_increasing"
    )
    answer_commands(hass, mqtt_mock, complete=COMPLETED)

    await press_feed(hass)
    assert totals(hass, 1) == ("100.0", "1")

    await hass.services.async_call(
        DOMAIN,
        "feed",
        {ATTR_DEVICE_ID: pond_device(hass, 1).id, "amount": 12.5},
        blocking=True,
    )
    await hass.async_block_till_done()
    assert totals(hass, 1) == ("112.5", "2")

    # A script's (or an automation's) step: the records listen to the commands,
    # not to their senders.
    feed_pond_2 = {
        "action": f"{DOMAIN}.feed",
        "data": {ATTR_DEVICE_ID: pond_device(hass, 2).id, "amount": 30},
    }
    assert await async_setup_component(
        hass, "script", {"script": {"feed_pond_2": {"sequence": [feed_pond_2]}}}
    )
    await hass.services.async_call("script", "feed_pond_2", blocking=True)
    await hass.async_block_till_done()
    assert totals(hass, 2) == ("30.0", "1")
    assert totals(hass, 1) == ("112.5", "2")


@pytest.mark.parametrize(
    ("ack", "complete"),
    [
        pytest.param(
            {"success": False, "message": "hopper jammed"}, None, id="refused"
        ),
        pytest.param(COMPLETED, {"success": False, "error_code": "E7"}, id="failed"),
    ],
)
@pytest.mark.usefixtures("entry")
async def test_feeds_that_did_not_complete_do_not_count(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    ack: dict[str, Any],
    complete: dict[str, Any] | None,
) -> None:
    """A refused or failed feed gave no feed as far as anyone knows."""
    answer_commands(hass, mqtt_mock, ack=ack, complete=complete)
    events = async_capture_events(hass, EVENT_COMMAND)
    # The answers come at once, so the press already sees the outcome.
    with pytest.raises(HomeAssistantError):
        await press_feed(hass)
    await hass.async_block_till_done()
    assert [event.data["state"] for event in events] == [
        "rejected" if complete is None else "failed"
    ]
    assert totals(hass) == ("0", "0")


@pytest.mark.usefixtures("entry")
async def test_timed_out_feed_does_not_count(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """A feed the controller never reported done is not counted."""
    answer_commands(hass, mqtt_mock, complete=None)
    events = async_capture_events(hass, EVENT_COMMAND)
    await press_feed(hass)
    freezer.tick(timedelta(seconds=121))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert [event.data["state"] for event in events] == ["timed_out"]
    assert totals(hass) == ("0", "0")


@pytest.mark.usefixtures("entry")
async def test_other_commands_do_not_count(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Only feeds are feeding: a completed valve command changes nothing."""
    answer_commands(hass, mqtt_mock, complete=COMPLETED)
    await hass.services.async_call(
        Platform.VALVE,
        SERVICE_OPEN_VALVE,
        {ATTR_ENTITY_ID: "valve.pond_1_inlet_valve"},
        blocking=True,
    )
    await hass.async_block_till_done()
    assert current(hass, "valve.pond_1_inlet_valve").state == "open"
    assert totals(hass) == ("0", "0")


@pytest.mark.usefixtures("entry")
async def test_totals_start_again_at_midnight(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """At local midnight every total drops to 0; the new day counts from there."""
    answer_commands(hass, mqtt_mock, complete=COMPLETED)
    await press_feed(hass)
    await press_feed(hass, 2)
    assert totals(hass, 1) == totals(hass, 2) == ("100.0", "1")

    freezer.move_to(MIDNIGHT - timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert totals(hass, 1) == ("100.0", "1")

    freezer.move_to(MIDNIGHT)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert totals(hass, 1) == totals(hass, 2) == ("0", "0")

    send(hass, "heartbeat", {})
    await press_feed(hass)
    assert totals(hass, 1) == ("100.0", "1")


@pytest.mark.usefixtures("entry")
async def test_a_missed_midnight_still_starts_a_new_day(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """A feed on a new day starts from 0 even if the midnight timer did not run."""
    answer_commands(hass, mqtt_mock, complete=COMPLETED)
    await press_feed(hass)
    # The host slept through midnight: the clock moved, no timer ran.
    freezer.move_to(NEXT_MORNING)
    send(hass, "heartbeat", {})
    await press_feed(hass)
    assert totals(hass) == ("100.0", "1")


async def test_totals_survive_a_restart(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, entry: MockConfigEntry
) -> None:
    """After a restart the day's totals are back, shown while the controller is away."""
    answer_commands(hass, mqtt_mock, complete=COMPLETED)
    await press_feed(hass)
    await press_feed(hass)

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert totals(hass, 1) == ("200.0", "2")
    assert totals(hass, 2) == ("0", "0")

    await report(hass)
    await press_feed(hass)
    assert totals(hass, 1) == ("300.0", "3")


async def test_restart_after_midnight_starts_from_zero(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
) -> None:
    """Totals stored before a midnight Home Assistant was stopped over are not today's."""
    answer_commands(hass, mqtt_mock, complete=COMPLETED)
    await press_feed(hass)
    assert await hass.config_entries.async_unload(entry.entry_id)

    freezer.move_to(NEXT_MORNING)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert totals(hass) == ("0", "0")


@pytest.mark.usefixtures("entry")
async def test_pond_deleted_while_it_was_fed(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """A feed completing for a pond the user deleted meanwhile is simply not counted."""
    assert await async_setup_component(hass, "config", {})
    pressing = await start(
        hass.services.async_call(
            Platform.BUTTON,
            SERVICE_PRESS,
            {ATTR_ENTITY_ID: "button.pond_1_feed"},
            blocking=True,
        )
    )
    command = last_command(mqtt_mock)
    await answer(hass, "ack", command)
    await pressing
    # Offline after the heartbeat timeout, so the pond may be deleted.
    freezer.tick(timedelta(seconds=61))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    client = await hass_ws_client(hass)
    assert (await client.remove_device(pond_device(hass, 1).id))["success"]
    events = async_capture_events(hass, EVENT_COMMAND)

    await answer(hass, "complete", command)
    await hass.async_block_till_done()
    assert [event.data["state"] for event in events] == ["completed"]
    assert totals(hass, 2) == ("0", "0")


async def test_removing_the_hub_deletes_the_records(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_storage: dict[str, Any],
    entry: MockConfigEntry,
) -> None:
    """The records are stored per hub and go with it."""
    answer_commands(hass, mqtt_mock, complete=COMPLETED)
    await press_feed(hass)
    key = f"{DOMAIN}.{entry.entry_id}.feeding"
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert hass_storage[key]["data"]["ponds"] == {
        f"{DEVICE_ID}_pond1": {"grams": 100.0, "feedings": 1}
    }

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage
