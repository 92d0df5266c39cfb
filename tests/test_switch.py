"""Valve switches: the last confirmed position, changed only by completed commands."""

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import (
    ATTR_ASSUMED_STATE,
    ATTR_ENTITY_ID,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.typing import MqttMockHAClient
from syrupy.assertion import SnapshotAssertion

from .common import (
    HEARTBEAT,
    answer,
    commands,
    current,
    last_command,
    send,
    snapshot_entities,
    start,
    still_running,
    tick,
)

INLET = "switch.pond_1_inlet_valve"
OUTLET = "switch.pond_1_outlet_valve"


def turn(hass: HomeAssistant, entity_id: str, on: bool) -> Any:
    """Return the call that turns a switch on or off as the UI does."""
    return hass.services.async_call(
        Platform.SWITCH,
        SERVICE_TURN_ON if on else SERVICE_TURN_OFF,
        {ATTR_ENTITY_ID: entity_id},
        blocking=True,
    )


async def move(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, entity_id: str, on: bool
) -> None:
    """Turn a valve and let the controller acknowledge and complete it."""
    turning = await start(turn(hass, entity_id, on))
    command = last_command(mqtt_mock)
    await answer(hass, "ack", command)
    await answer(hass, "complete", command)
    await turning


@pytest.mark.usefixtures("init_integration")
async def test_valve_is_unknown_until_a_command_completed(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Controllers do not report valves: the position is assumed, first unknown."""
    for entity_id in (INLET, OUTLET, "switch.pond_2_inlet_valve"):
        state = current(hass, entity_id)
        assert state.state == STATE_UNKNOWN
        assert state.attributes[ATTR_ASSUMED_STATE] is True


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize(
    ("entity_id", "opening", "closing"),
    [
        (INLET, "WATER_INLET_OPEN", "WATER_INLET_CLOSE"),
        (OUTLET, "WATER_OUTLET_OPEN", "WATER_OUTLET_CLOSE"),
    ],
)
async def test_turning_waits_for_completion(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    entity_id: str,
    opening: str,
    closing: str,
) -> None:
    """On opens and off closes; the state changes only when the controller is done."""
    turning = await start(turn(hass, entity_id, True))
    command = last_command(mqtt_mock)
    assert command["command_type"] == opening
    assert command["pond_position"] == 1
    assert command["parameters"] == {"action": opening, "level": None}

    await answer(hass, "ack", command)
    assert await still_running(turning)
    assert current(hass, entity_id).state == STATE_UNKNOWN
    await answer(hass, "complete", command)
    await turning
    assert current(hass, entity_id).state == STATE_ON

    turning = await start(turn(hass, entity_id, False))
    command = last_command(mqtt_mock)
    assert command["command_type"] == closing
    await answer(hass, "complete", command)
    await turning
    assert current(hass, entity_id).state == STATE_OFF
    # The other valve and pond 2 never moved.
    other = OUTLET if entity_id == INLET else INLET
    assert current(hass, other).state == STATE_UNKNOWN
    assert current(hass, "switch.pond_2_inlet_valve").state == STATE_UNKNOWN


@pytest.mark.usefixtures("init_integration")
async def test_failed_completion_keeps_the_position(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A valve that could not close stays shown open, and the user is told why."""
    await move(hass, mqtt_mock, INLET, True)
    turning = await start(turn(hass, INLET, False))
    command = last_command(mqtt_mock)
    await answer(hass, "ack", command)
    await answer(
        hass,
        "complete",
        command,
        success=False,
        message="valve jammed",
        error_code="E_VALVE",
    )
    with pytest.raises(HomeAssistantError) as raised:
        await turning
    assert raised.value.translation_key == "command_failed"
    assert raised.value.translation_placeholders == {
        "command": "WATER_INLET_CLOSE",
        "controller": "Pond controller 4134",
        "message": "valve jammed",
        "error_code": "E_VALVE",
    }
    assert current(hass, INLET).state == STATE_ON


@pytest.mark.usefixtures("init_integration")
async def test_refused_command_keeps_the_position(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A refusal raises at once and changes nothing."""
    turning = await start(turn(hass, OUTLET, True))
    await answer(
        hass, "ack", last_command(mqtt_mock), success=False, message="manual mode"
    )
    with pytest.raises(HomeAssistantError) as raised:
        await turning
    assert raised.value.translation_key == "command_rejected"
    assert current(hass, OUTLET).state == STATE_UNKNOWN


@pytest.mark.usefixtures("init_integration")
async def test_missing_completion_times_out(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """Acknowledged but never completed: fails after the valve timeout (60 s)."""
    await move(hass, mqtt_mock, INLET, False)
    turning = await start(turn(hass, INLET, True))
    await answer(hass, "ack", last_command(mqtt_mock))
    await tick(hass, freezer, 30)
    send(hass, "heartbeat", HEARTBEAT)  # still online, just slow
    await tick(hass, freezer, 29)
    assert await still_running(turning)
    await tick(hass, freezer, 1)
    with pytest.raises(HomeAssistantError) as raised:
        await turning
    assert raised.value.translation_key == "command_timed_out"
    assert raised.value.translation_placeholders is not None
    assert raised.value.translation_placeholders["message"] == (
        "not completed within 60 s"
    )
    assert current(hass, INLET).state == STATE_OFF


@pytest.mark.usefixtures("init_integration")
async def test_late_completion_after_timeout_changes_nothing(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """A completion arriving after the deadline does not move the shown valve."""
    turning = await start(turn(hass, INLET, True))
    command = last_command(mqtt_mock)
    await answer(hass, "ack", command)
    await tick(hass, freezer, 60)
    with pytest.raises(HomeAssistantError):
        await turning
    await answer(hass, "complete", command)
    assert current(hass, INLET).state == STATE_UNKNOWN


@pytest.mark.usefixtures("init_integration")
async def test_offline_controller_valves_are_unavailable(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """While the controller is offline its valves cannot be turned."""
    send(hass, "status", "offline")
    await hass.async_block_till_done()
    assert current(hass, INLET).state == STATE_UNAVAILABLE
    await turn(hass, INLET, True)
    assert commands(mqtt_mock) == []


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "mqtt_mock")
@pytest.mark.freeze_time("2026-05-01 04:00:00+00:00")
async def test_entities(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, snapshot: SnapshotAssertion
) -> None:
    """Every valve switch: registry entry and state after one report cycle."""
    await snapshot_entities(hass, entity_registry, snapshot, Platform.SWITCH)
