"""No blank after a restart: last readings and availability come back with the hub.

A restart is an unload (what Home Assistant's stop leaves behind: the stored file)
followed by a new setup; the state machine then still holds the entities'
`restored` placeholders, as after Home Assistant's own start.
"""

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import mqtt
from homeassistant.const import (
    EVENT_HOMEASSISTANT_FINAL_WRITE,
    EVENT_STATE_CHANGED,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import (
    CoreState,
    Event,
    EventStateChangedData,
    HomeAssistant,
    callback,
)
from homeassistant.helpers.dispatcher import async_dispatcher_send
import pytest
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.future_fish.const import DOMAIN

from .common import DEVICE_ID, HEARTBEAT, make_entry, report, send, setup_hub, tick

TEMPERATURE = "sensor.pond_controller_4134_water_temperature"
FEED_LEVEL = "sensor.pond_2_feed_level"
CONNECTIVITY = "binary_sensor.pond_controller_4134_connectivity"
TIMEOUT = 60


def record_states(hass: HomeAssistant) -> list[tuple[str, str, dict[str, Any]]]:
    """Return the list that collects every state written from now on."""
    written: list[tuple[str, str, dict[str, Any]]] = []

    @callback
    def collect(event: Event[EventStateChangedData]) -> None:
        if (new := event.data["new_state"]) is not None:
            written.append((new.entity_id, new.state, dict(new.attributes)))

    hass.bus.async_listen(EVENT_STATE_CHANGED, collect)
    return written


def unavailable(written: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
    """Return the entities written unavailable."""
    return [entity_id for entity_id, state, _ in written if state == STATE_UNAVAILABLE]


async def restart_after(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    """Let the controller report, then restart the hub `seconds` later."""
    entry = await setup_hub(hass)
    await report(hass)
    await tick(hass, freezer, seconds)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


@pytest.mark.freeze_time("2026-05-01 12:00:00+00:00")
async def test_restart_restores_readings_and_availability(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """Heard 20 s before the restart: back at once, offline 60 s after that message."""
    entry = await setup_hub(hass)
    await report(hass)
    await tick(hass, freezer, 20)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

    written = record_states(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert unavailable(written) == []
    assert hass.states.get(TEMPERATURE).state == "26.4"
    assert hass.states.get(FEED_LEVEL).state == "64"
    assert hass.states.get(CONNECTIVITY).state == STATE_ON

    await tick(hass, freezer, TIMEOUT - 20 - 1)
    assert hass.states.get(TEMPERATURE).state == "26.4"
    assert unavailable(written) == []
    await tick(hass, freezer, 1)
    assert hass.states.get(TEMPERATURE).state == STATE_UNAVAILABLE
    assert hass.states.get(CONNECTIVITY).state == STATE_OFF


@pytest.mark.freeze_time("2026-05-01 12:00:00+00:00")
async def test_a_message_after_the_restart_keeps_it_online(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """The restored expiry moves with every message, as before the restart."""
    await restart_after(hass, freezer, 50)

    send(hass, "heartbeat", HEARTBEAT)
    await tick(hass, freezer, 30)
    assert hass.states.get(TEMPERATURE).state == "26.4"
    await tick(hass, freezer, TIMEOUT - 30)
    assert hass.states.get(TEMPERATURE).state == STATE_UNAVAILABLE


@pytest.mark.freeze_time("2026-05-01 12:00:00+00:00")
async def test_reload_brings_readings_back_at_once(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """A reload writes no unavailable state of its own.

    Unloading leaves Home Assistant's `restored` placeholders, as for any
    integration; the new setup replaces them with the last readings at once.
    """
    entry = await setup_hub(hass)
    await report(hass)
    written = record_states(hass)

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()

    placeholders = {
        entity_id
        for entity_id, state, attributes in written
        if state == STATE_UNAVAILABLE and attributes.get("restored")
    }
    assert set(unavailable(written)) == placeholders
    assert hass.states.get(TEMPERATURE).state == "26.4"
    assert hass.states.get(CONNECTIVITY).state == STATE_ON


@pytest.mark.freeze_time("2026-05-01 12:00:00+00:00")
async def test_controllers_silent_for_longer_stay_unavailable(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """Heard longer ago than the timeout: unavailable, and no stale readings later."""
    await restart_after(hass, freezer, TIMEOUT + 1)

    assert hass.states.get(TEMPERATURE).state == STATE_UNAVAILABLE
    assert hass.states.get(CONNECTIVITY).state == STATE_OFF
    send(hass, "heartbeat", HEARTBEAT)
    await hass.async_block_till_done()
    assert hass.states.get(CONNECTIVITY).state == STATE_ON
    # What it reported a while ago is not passed off as current.
    assert hass.states.get(TEMPERATURE).state == STATE_UNKNOWN


@pytest.mark.freeze_time("2026-05-01 12:00:00+00:00")
async def test_readings_are_saved_in_batches(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Messages are written every few minutes and when Home Assistant stops."""
    # Online for the whole test: an offline controller is stored without last_seen.
    entry = await setup_hub(hass, make_entry(heartbeat_timeout=3600))
    key = f"{DOMAIN}.{entry.entry_id}"

    def saved() -> dict[str, Any]:
        controller: dict[str, Any] = hass_storage[key]["data"]["controllers"][DEVICE_ID]
        return controller

    await report(hass)
    # A new controller is saved soon, as any change of settings or devices.
    await tick(hass, freezer, 10)
    assert saved()["last_seen"] == "2026-05-01T12:00:00+00:00"
    assert saved()["pond_readings"]["2"]["feed_level"] == 64

    send(hass, "sensors", {"data": {"temperature": 27.0}})
    await tick(hass, freezer, 299)
    assert saved()["readings"]["temperature"] == 26.4
    await tick(hass, freezer, 1)
    assert saved()["last_seen"] == "2026-05-01T12:00:10+00:00"
    assert saved()["readings"]["temperature"] == 27.0

    send(hass, "sensors", {"data": {"temperature": 27.5}})
    await hass.async_block_till_done()
    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await hass.async_block_till_done()
    assert saved()["last_seen"] == "2026-05-01T12:05:10+00:00"
    assert saved()["readings"]["temperature"] == 27.5


@pytest.mark.freeze_time("2026-05-01 12:00:00+00:00")
async def test_home_assistant_stopping_is_no_outage(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, hass_storage: dict[str, Any]
) -> None:
    """MQTT disconnects as Home Assistant stops: nothing is written unavailable."""
    entry = await setup_hub(hass)
    await report(hass)
    written = record_states(hass)

    hass.set_state(CoreState.stopping)
    try:
        async_dispatcher_send(hass, mqtt.MQTT_CONNECTION_STATE, False)
        hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
        await hass.async_block_till_done()
    finally:
        hass.set_state(CoreState.running)

    assert unavailable(written) == []
    saved = hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"]["controllers"]
    assert saved[DEVICE_ID]["last_seen"] == "2026-05-01T12:00:00+00:00"


@pytest.mark.freeze_time("2026-05-01 12:00:00+00:00")
async def test_a_controller_that_went_offline_stays_offline(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Offline by its own status just before the restart: not brought back."""
    entry = await setup_hub(hass)
    await report(hass)
    send(hass, "status", "offline")
    await hass.async_block_till_done()

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(CONNECTIVITY).state == STATE_OFF
    assert hass.states.get(TEMPERATURE).state == STATE_UNAVAILABLE


@pytest.mark.freeze_time("2026-05-01 12:00:00+00:00")
async def test_stored_leftovers_are_ignored(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, hass_storage: dict[str, Any]
) -> None:
    """Readings of a pond no longer kept, and an alarm without limits, load as nothing."""
    entry = await setup_hub(hass)
    await report(hass)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    saved = hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"]["controllers"]
    saved[DEVICE_ID]["pond_readings"]["3"] = {"feed_level": 1}
    saved[DEVICE_ID]["pond_alarms"]["3"] = {}
    saved[DEVICE_ID]["alarms"]["turbidity"] = {
        "is_on": True,
        "bound": "upper",
        "value": 90,
        "since": None,
    }

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert hass.states.get(TEMPERATURE).state == "26.4"
    assert hass.states.get(FEED_LEVEL).state == "64"
    assert hass.states.get("sensor.pond_3_feed_level") is None
    assert hass.states.get("binary_sensor.pond_controller_4134_turbidity_alarm") is None
