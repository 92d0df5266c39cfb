"""System health: hubs, broker connection, controllers and the last hour's commands."""

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import mqtt
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import get_system_health_info
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.future_fish.const import DOMAIN

from .common import (
    OTHER_MAC,
    STARTUP,
    answer,
    last_command,
    make_entry,
    press,
    report,
    send,
    setup_hub,
    start,
    tick,
)


@pytest.fixture(autouse=True)
async def system_health(hass: HomeAssistant) -> None:
    """Load the system health integration, which collects the info."""
    assert await async_setup_component(hass, "system_health", {})


async def test_without_a_hub(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> None:
    """With no hub loaded there is nothing to report but that."""
    assert await async_setup_component(hass, DOMAIN, {})

    assert await get_system_health_info(hass, DOMAIN) == {"hubs": 0}


async def test_controllers_and_broker(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Counts over every hub: who is known, who is online, and the broker."""
    await setup_hub(hass)
    await setup_hub(hass, make_entry(prefix="farm"))
    await report(hass)
    send(hass, "startup", {**STARTUP, "device_id": OTHER_MAC}, OTHER_MAC, "farm")
    send(hass, "status", "offline", OTHER_MAC, "farm")
    await hass.async_block_till_done()

    assert await get_system_health_info(hass, DOMAIN) == {
        "hubs": 2,
        "topic_prefixes": "ff, farm",
        "mqtt_connected": True,
        "controllers_online": 1,
        "controllers_known": 2,
        "commands_last_hour": 0,
    }

    mqtt_mock.connected = False
    async_dispatcher_send(hass, mqtt.MQTT_CONNECTION_STATE, False)
    await hass.async_block_till_done()
    info = await get_system_health_info(hass, DOMAIN)
    assert info["mqtt_connected"] is False
    assert info["controllers_online"] == 0


async def test_commands_of_the_last_hour(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """Running commands count; the rate is over those that ended, for one hour."""
    await setup_hub(hass)
    await report(hass)

    pressing = await start(press(hass, "button.pond_1_feed"))
    await answer(hass, "complete", last_command(mqtt_mock))
    await pressing
    pressing = await start(press(hass, "button.pond_2_feed"))
    await answer(hass, "ack", last_command(mqtt_mock), success=False)
    with pytest.raises(HomeAssistantError):
        await pressing
    info = await get_system_health_info(hass, DOMAIN)
    assert info["commands_last_hour"] == 2
    assert info["command_success_rate"] == "50 %"

    # Acknowledged, so still running: counted, but not yet in the rate.
    await tick(hass, freezer, 30)
    send(hass, "heartbeat", STARTUP)
    pressing = await start(press(hass, "button.pond_1_feed"))
    await answer(hass, "ack", last_command(mqtt_mock))
    await pressing
    info = await get_system_health_info(hass, DOMAIN)
    assert info["commands_last_hour"] == 3
    assert info["command_success_rate"] == "50 %"

    # An hour after the first two only the third is left, and it has timed out.
    await tick(hass, freezer, 3600 - 29)
    info = await get_system_health_info(hass, DOMAIN)
    assert info["commands_last_hour"] == 1
    assert info["command_success_rate"] == "0 %"


async def test_cancelled_commands_are_no_failures(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A command Home Assistant cancelled says nothing about the controller."""
    entry = await setup_hub(hass)
    await report(hass)
    pressing = await start(press(hass, "button.pond_1_feed"))
    await answer(hass, "ack", last_command(mqtt_mock))
    await pressing

    entry.runtime_data.commands.async_stop()
    info = await get_system_health_info(hass, DOMAIN)
    assert info["commands_last_hour"] == 1
    assert "command_success_rate" not in info
