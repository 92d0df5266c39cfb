"""Device conditions: which a controller and a pond offer, and each one deciding."""

from typing import Final

from homeassistant.components.automation import DOMAIN as AUTOMATION_DOMAIN
from homeassistant.components.device_automation import DeviceAutomationType
from homeassistant.components.device_automation.exceptions import (
    InvalidDeviceAutomationConfig,
)
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    async_get_device_automations,
    async_mock_service,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.future_fish import device_condition
from custom_components.future_fish.const import DOMAIN

from .common import DEVICE_ID, HEARTBEAT, report, send, set_number, setup_hub
from .test_device_trigger import device, readings

# These tests use entities that are disabled by default (limits, command settings).
pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")

CHECK: Final = "future_fish_test_check"
CONTROLLER: Final = ("controller", DEVICE_ID)
POND_1: Final = ("pond 1", f"{DEVICE_ID}_pond1")
POND_2: Final = ("pond 2", f"{DEVICE_ID}_pond2")


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (DEVICE_ID, {"alarm_active", "controller_online"}),
        (f"{DEVICE_ID}_pond1", {"alarm_active"}),
    ],
)
async def test_conditions_offered(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, key: str, expected: set[str]
) -> None:
    """A controller can be online and alarmed; a pond only alarmed."""
    await setup_hub(hass)
    await report(hass)
    device_id = device(hass, key).id
    conditions = await async_get_device_automations(
        hass, DeviceAutomationType.CONDITION, device_id
    )
    ours = [condition for condition in conditions if condition["domain"] == DOMAIN]
    assert {condition["type"] for condition in ours} == expected
    assert len(ours) == len(expected)
    for condition in ours:
        assert condition["device_id"] == device_id
        assert condition["condition"] == "device"


@pytest.fixture
async def calls(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> list[ServiceCall]:
    """Set up a reporting controller and an automation per device and condition.

    Each automation runs on the event CHECK and calls `test.automation` with the
    device and the condition, when the condition holds.
    """
    await setup_hub(hass)
    await report(hass)
    calls = async_mock_service(hass, "test", "automation")
    automations = [
        {
            "triggers": [{"trigger": "event", "event_type": CHECK}],
            "conditions": [
                {
                    "condition": "device",
                    "domain": DOMAIN,
                    "device_id": device(hass, key).id,
                    "type": kind,
                }
            ],
            "actions": [
                {"action": "test.automation", "data": {"device": name, "type": kind}}
            ],
        }
        for (name, key), kind in (
            (CONTROLLER, "controller_online"),
            (CONTROLLER, "alarm_active"),
            (POND_1, "alarm_active"),
            (POND_2, "alarm_active"),
        )
    ]
    assert await async_setup_component(
        hass, AUTOMATION_DOMAIN, {AUTOMATION_DOMAIN: automations}
    )
    await hass.async_block_till_done()
    return calls


async def holding(hass: HomeAssistant, calls: list[ServiceCall]) -> list[str]:
    """Return '<device> <condition>' of the conditions that hold now."""
    calls.clear()
    hass.bus.async_fire(CHECK)
    await hass.async_block_till_done()
    return sorted(f"{call.data['device']} {call.data['type']}" for call in calls)


async def test_controller_online(hass: HomeAssistant, calls: list[ServiceCall]) -> None:
    """Online while it reports; not after its Last Will, again after a heartbeat."""
    assert await holding(hass, calls) == ["controller controller_online"]

    send(hass, "status", "offline")
    await hass.async_block_till_done()
    assert await holding(hass, calls) == []

    send(hass, "heartbeat", HEARTBEAT)
    await hass.async_block_till_done()
    assert await holding(hass, calls) == ["controller controller_online"]


async def test_alarm_active(hass: HomeAssistant, calls: list[ServiceCall]) -> None:
    """Any alarm of the device counts, and only while it is on."""
    await set_number(
        hass, "number.pond_controller_4134_dissolved_oxygen_lower_limit", 5
    )
    await set_number(hass, "number.pond_1_feed_level_lower_limit", 90)
    await readings(hass, "dissolved_oxygen", 4.0, 4.0, 4.0)
    assert await holding(hass, calls) == [
        "controller alarm_active",
        "controller controller_online",
    ]

    await readings(hass, "feed1", 50, 50, 50)
    await readings(hass, "dissolved_oxygen", 6.0)
    assert await holding(hass, calls) == [
        "controller controller_online",
        "pond 1 alarm_active",
    ]


async def test_condition_the_device_lacks_is_invalid(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A pond has no connectivity of its own to be online with."""
    await setup_hub(hass)
    await report(hass)
    with pytest.raises(InvalidDeviceAutomationConfig):
        await device_condition.async_validate_condition_config(
            hass,
            {
                "condition": "device",
                "domain": DOMAIN,
                "device_id": device(hass, f"{DEVICE_ID}_pond1").id,
                "type": "controller_online",
            },
        )
