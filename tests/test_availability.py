"""Availability: heartbeat timeout, status messages and the broker connection."""

import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import mqtt
from homeassistant.const import (
    EVENT_STATE_CHANGED,
    EVENT_STATE_REPORTED,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
import pytest
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from .common import HEARTBEAT, OTHER_MAC, STARTUP, report, send, setup_hub, tick

TEMPERATURE = "sensor.pond_controller_4134_water_temperature"
FEED_LEVEL = "sensor.pond_1_feed_level"
CONNECTIVITY = "binary_sensor.pond_controller_4134_connectivity"
OTHER_CONNECTIVITY = "binary_sensor.pond_controller_bbcc_connectivity"


def offline_log_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return the integration's info lines about controllers going on/offline."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("custom_components.future_fish")
        and record.levelno == logging.INFO
        and ("offline" in record.getMessage() or "back online" in record.getMessage())
    ]


async def test_heartbeat_timeout(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A controller is online while it reports within the timeout, offline after."""
    await setup_hub(hass)
    await report(hass)
    assert hass.states.get(CONNECTIVITY).state == STATE_ON
    assert hass.states.get(TEMPERATURE).state == "26.4"

    await tick(hass, freezer, 40)
    send(hass, "heartbeat", HEARTBEAT)
    await tick(hass, freezer, 40)
    assert hass.states.get(TEMPERATURE).state == "26.4"

    await tick(hass, freezer, 21)
    assert hass.states.get(CONNECTIVITY).state == STATE_OFF
    assert hass.states.get(TEMPERATURE).state == STATE_UNAVAILABLE
    assert hass.states.get(FEED_LEVEL).state == STATE_UNAVAILABLE

    send(hass, "heartbeat", HEARTBEAT)
    await hass.async_block_till_done()
    assert hass.states.get(CONNECTIVITY).state == STATE_ON
    assert hass.states.get(TEMPERATURE).state == "26.4"
    assert offline_log_lines(caplog) == [
        "Future Fish controller Pond controller 4134 is offline: no message for 60 s",
        "Future Fish controller Pond controller 4134 is back online",
    ]


async def test_controllers_expire_independently(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """One hub timer serves all controllers, each with its own deadline."""
    await setup_hub(hass)
    await report(hass)
    await tick(hass, freezer, 30)
    send(hass, "heartbeat", {}, device=OTHER_MAC)
    await tick(hass, freezer, 31)
    assert hass.states.get(CONNECTIVITY).state == STATE_OFF
    assert hass.states.get(OTHER_CONNECTIVITY).state == STATE_ON

    await tick(hass, freezer, 30)
    assert hass.states.get(OTHER_CONNECTIVITY).state == STATE_OFF


async def test_status_offline_is_immediate(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A Last Will `offline` (PROTOCOL 7) takes a controller offline at once."""
    await setup_hub(hass)
    await report(hass)

    send(hass, "status", "offline")
    await hass.async_block_till_done()
    assert hass.states.get(CONNECTIVITY).state == STATE_OFF
    assert hass.states.get(TEMPERATURE).state == STATE_UNAVAILABLE
    send(hass, "status", "offline")
    await hass.async_block_till_done()

    send(hass, "status", "ONLINE")
    await hass.async_block_till_done()
    assert hass.states.get(CONNECTIVITY).state == STATE_ON
    assert offline_log_lines(caplog) == [
        "Future Fish controller Pond controller 4134 is offline: it reported offline",
        "Future Fish controller Pond controller 4134 is back online",
    ]


async def test_status_of_unknown_controllers(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A retained `offline` creates nothing; `online` makes a controller known.

    It is shown at once, online.
    """
    await setup_hub(hass)
    send(hass, "status", "offline")
    send(hass, "status", "sleeping", device=OTHER_MAC)
    await hass.async_block_till_done()
    assert hass.states.async_entity_ids() == []

    send(hass, "status", '"online"', device=OTHER_MAC)
    await hass.async_block_till_done()
    assert hass.states.get(OTHER_CONNECTIVITY).state == STATE_ON


async def test_broker_loss_makes_everything_unavailable(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """Without the broker nothing is known; entities return as messages flow again."""
    await setup_hub(hass)
    await report(hass)

    mqtt_mock.connected = False
    async_dispatcher_send(hass, mqtt.MQTT_CONNECTION_STATE, False)
    await hass.async_block_till_done()
    assert hass.states.get(CONNECTIVITY).state == STATE_UNAVAILABLE
    assert hass.states.get(TEMPERATURE).state == STATE_UNAVAILABLE

    mqtt_mock.connected = True
    async_dispatcher_send(hass, mqtt.MQTT_CONNECTION_STATE, True)
    await hass.async_block_till_done()
    assert hass.states.get(CONNECTIVITY).state == STATE_OFF
    assert hass.states.get(TEMPERATURE).state == STATE_UNAVAILABLE

    send(hass, "heartbeat", HEARTBEAT)
    await hass.async_block_till_done()
    assert hass.states.get(CONNECTIVITY).state == STATE_ON
    assert hass.states.get(TEMPERATURE).state == "26.4"
    await tick(hass, freezer, 61)
    assert hass.states.get(CONNECTIVITY).state == STATE_OFF


async def test_identical_heartbeats_write_no_state(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """100 identical heartbeats neither change nor even re-report any state."""
    await setup_hub(hass)
    await report(hass)
    send(hass, "heartbeat", HEARTBEAT)
    await hass.async_block_till_done()
    writes: list[Event] = []

    @callback
    def record(event: Event) -> None:
        writes.append(event)

    hass.bus.async_listen(EVENT_STATE_CHANGED, record)

    @callback
    def every_entity(_: object) -> bool:
        return True

    hass.bus.async_listen(EVENT_STATE_REPORTED, record, event_filter=every_entity)
    for _ in range(100):
        send(hass, "heartbeat", HEARTBEAT)
    await hass.async_block_till_done()
    assert writes == []

    # What only entities disabled by default show writes nothing either.
    send(hass, "heartbeat", {**STARTUP, "wifi_signal_strength": -70})
    send(hass, "heartbeat", {**HEARTBEAT, "free_heap": 1000})
    send(hass, "heartbeat", {**HEARTBEAT, "ip_address": "192.168.1.24"})
    await hass.async_block_till_done()
    assert writes == []
    send(hass, "heartbeat", {**HEARTBEAT, "firmware_version": "1.0.1"})
    await hass.async_block_till_done()
    assert [event.data["entity_id"] for event in writes] == [
        "update.pond_controller_4134_firmware"
    ]
