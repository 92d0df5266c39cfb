"""Diagnostic sensors of commands: the last command and the success rate."""

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from .common import answer, command_id, current, last_command, press, send, start, tick

# These tests use entities that are disabled by default (limits, command settings).
pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")


@pytest.fixture
async def init_integration(
    entity_registry_enabled_by_default: None, init_integration: MockConfigEntry
) -> MockConfigEntry:
    """Return the shared hub, set up with the entities disabled by default enabled."""
    return init_integration


LAST_COMMAND = "sensor.pond_controller_4134_last_command"
SUCCESS_RATE = "sensor.pond_controller_4134_command_success_rate"
FEED = "button.pond_1_feed"


@pytest.mark.usefixtures("init_integration")
async def test_unknown_until_a_command_was_sent(hass: HomeAssistant) -> None:
    """Both are unknown before any command, and stay available while offline."""
    last = current(hass, LAST_COMMAND)
    assert last.state == STATE_UNKNOWN
    assert last.attributes["options"] == [
        "pending",
        "sent",
        "acknowledged",
        "completed",
        "failed",
        "rejected",
        "timed_out",
        "cancelled",
    ]
    assert "command_id" not in last.attributes
    assert current(hass, SUCCESS_RATE).state == STATE_UNKNOWN

    send(hass, "status", "offline")
    await hass.async_block_till_done()
    assert current(hass, LAST_COMMAND).state == STATE_UNKNOWN
    assert current(hass, SUCCESS_RATE).state == STATE_UNKNOWN


@pytest.mark.usefixtures("init_integration")
async def test_last_command_follows_every_state(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """Sent, acknowledged, completed: with timings, attempts and the answer."""
    pressing = await start(press(hass, FEED))
    command = last_command(mqtt_mock)
    last = current(hass, LAST_COMMAND)
    assert last.state == "sent"
    assert last.attributes["command_type"] == "FEED"
    assert last.attributes["pond"] == 1
    assert last.attributes["command_id"] == command_id(command)
    assert last.attributes["attempts"] == 1
    assert last.attributes["ms_to_ack"] is None
    assert current(hass, SUCCESS_RATE).state == STATE_UNKNOWN

    await tick(hass, freezer, 0.5)
    await answer(hass, "ack", command)
    await pressing
    last = current(hass, LAST_COMMAND)
    assert last.state == "acknowledged"
    assert last.attributes["ms_to_ack"] == 500

    await tick(hass, freezer, 31)
    await answer(hass, "complete", command, message="fed 100 g")
    last = current(hass, LAST_COMMAND)
    assert last.state == "completed"
    assert last.attributes == last.attributes | {
        "ms_to_ack": 500,
        "ms_to_complete": 31_500,
        "message": "fed 100 g",
        "error_code": None,
    }
    assert current(hass, SUCCESS_RATE).state == "100.0"


@pytest.mark.usefixtures("init_integration")
async def test_success_rate_counts_failures(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A refused command after a completed one makes 50 %."""
    pressing = await start(press(hass, FEED))
    await answer(hass, "complete", last_command(mqtt_mock))
    await pressing

    pressing = await start(press(hass, "button.pond_2_feed"))
    await answer(
        hass,
        "ack",
        last_command(mqtt_mock),
        success=False,
        message="hopper empty",
        error_code="E_HOPPER",
    )
    with pytest.raises(HomeAssistantError):
        await pressing
    last = current(hass, LAST_COMMAND)
    assert last.state == "rejected"
    assert last.attributes["pond"] == 2
    assert last.attributes["message"] == "hopper empty"
    assert last.attributes["error_code"] == "E_HOPPER"
    assert current(hass, SUCCESS_RATE).state == "50.0"
