"""Device triggers: which a controller and a pond offer, and each one firing.

Automations are set up as the automation editor writes them and made to run by
what controllers send: readings outside limits, going offline, command answers.
"""

from typing import Any, Final

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.automation import DOMAIN as AUTOMATION_DOMAIN
from homeassistant.components.button import SERVICE_PRESS
from homeassistant.components.device_automation import DeviceAutomationType
from homeassistant.components.device_automation.exceptions import (
    InvalidDeviceAutomationConfig,
)
from homeassistant.const import ATTR_ENTITY_ID, Platform
from homeassistant.core import Context, HomeAssistant, ServiceCall
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    async_get_device_automations,
    async_mock_service,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.future_fish import device_trigger
from custom_components.future_fish.const import DOMAIN

from .common import (
    DEVICE_ID,
    HEARTBEAT,
    answer_commands,
    press,
    report,
    send,
    set_number,
    setup_hub,
    start,
    tick,
)

# These tests use entities that are disabled by default (limits, command settings).
pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")

CONTROLLER_TRIGGERS: Final = {
    "dissolved_oxygen_alarm_started",
    "alarm_started",
    "alarm_cleared",
    "went_offline",
    "came_online",
    "command_failed",
}
POND_TRIGGERS: Final = {
    "alarm_started",
    "alarm_cleared",
    "feeding_completed",
    "command_failed",
}
DEVICES: Final = {"controller": DEVICE_ID, "pond 1": f"{DEVICE_ID}_pond1"}


def device(hass: HomeAssistant, key: str) -> dr.DeviceEntry:
    """Return the device of a controller or pond by its identifier."""
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    found = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, key), entry.entry_id
    )
    assert found is not None, key
    return found


async def readings(hass: HomeAssistant, key: str, *values: float) -> None:
    """Let the controller report one value of `key` per message."""
    for value in values:
        send(hass, "sensors", {"data": {key: value}})
        await hass.async_block_till_done()


@pytest.fixture
async def calls(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> list[ServiceCall]:
    """Set up a reporting controller with an automation per device and trigger.

    Each automation calls `test.automation` with the device and the trigger type.
    """
    await setup_hub(hass)
    await report(hass)
    calls = async_mock_service(hass, "test", "automation")
    automations = [
        {
            "triggers": [
                {
                    "trigger": "device",
                    "domain": DOMAIN,
                    "device_id": device(hass, key).id,
                    "type": kind,
                }
            ],
            "actions": [
                {
                    "action": "test.automation",
                    "data": {
                        "device": name,
                        "type": kind,
                        "platform": "{{ trigger.platform }}",
                    },
                }
            ],
        }
        for name, key, kinds in (
            ("controller", DEVICE_ID, CONTROLLER_TRIGGERS),
            ("pond 1", f"{DEVICE_ID}_pond1", POND_TRIGGERS),
            ("pond 2", f"{DEVICE_ID}_pond2", POND_TRIGGERS),
        )
        for kind in sorted(kinds)
    ]
    assert await async_setup_component(
        hass, AUTOMATION_DOMAIN, {AUTOMATION_DOMAIN: automations}
    )
    await hass.async_block_till_done()
    return calls


def ran(calls: list[ServiceCall]) -> list[tuple[str, str]]:
    """Return (device, trigger type) of the automations run so far, and forget them."""
    result = [(call.data["device"], call.data["type"]) for call in calls]
    assert all(call.data["platform"] == "device" for call in calls)
    calls.clear()
    return result


@pytest.mark.parametrize(
    ("name", "expected"),
    [("controller", CONTROLLER_TRIGGERS), ("pond 1", POND_TRIGGERS)],
)
async def test_triggers_offered(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    name: str,
    expected: set[str],
) -> None:
    """A controller and a pond offer the triggers that fit what they have."""
    await setup_hub(hass)
    await report(hass)
    device_id = device(hass, DEVICES[name]).id
    triggers = await async_get_device_automations(
        hass, DeviceAutomationType.TRIGGER, device_id
    )
    # The device's entities add the triggers of their own platforms.
    ours = [trigger for trigger in triggers if trigger["domain"] == DOMAIN]
    assert {trigger["type"] for trigger in ours} == expected
    assert len(ours) == len(expected)
    for trigger in ours:
        assert trigger["device_id"] == device_id
        assert trigger["platform"] == "device"


async def test_oxygen_alarm_starts_and_clears(
    hass: HomeAssistant, calls: list[ServiceCall]
) -> None:
    """Three low oxygen readings start the alarm; a good one clears it."""
    await set_number(
        hass, "number.pond_controller_4134_dissolved_oxygen_lower_limit", 5
    )
    await readings(hass, "dissolved_oxygen", 6.8, 4.0, 4.0)
    assert ran(calls) == []

    await readings(hass, "dissolved_oxygen", 4.0)
    assert sorted(ran(calls)) == [
        ("controller", "alarm_started"),
        ("controller", "dissolved_oxygen_alarm_started"),
    ]
    # Still low: nothing new started.
    await readings(hass, "dissolved_oxygen", 3.9)
    assert ran(calls) == []

    await readings(hass, "dissolved_oxygen", 6.0)
    assert ran(calls) == [("controller", "alarm_cleared")]


async def test_any_alarm_of_a_pond(
    hass: HomeAssistant, calls: list[ServiceCall]
) -> None:
    """A pond's alarm triggers that pond's automations, not its controller's."""
    await set_number(hass, "number.pond_1_feed_level_lower_limit", 90)
    await readings(hass, "feed1", 50, 50, 50)
    assert ran(calls) == [("pond 1", "alarm_started")]

    await readings(hass, "feed1", 95)
    assert ran(calls) == [("pond 1", "alarm_cleared")]


async def test_an_alarm_that_comes_back_with_its_controller_did_not_start(
    hass: HomeAssistant, calls: list[ServiceCall]
) -> None:
    """Offline makes the alarm unavailable; back online it is on again, silently."""
    await set_number(hass, "number.pond_1_feed_level_lower_limit", 90)
    await readings(hass, "feed1", 50, 50, 50)
    assert ran(calls) == [("pond 1", "alarm_started")]

    send(hass, "status", "offline")
    await hass.async_block_till_done()
    assert ran(calls) == [("controller", "went_offline")]
    send(hass, "heartbeat", HEARTBEAT)
    await hass.async_block_till_done()
    assert ran(calls) == [("controller", "came_online")]


async def test_controller_goes_offline_and_comes_back(
    hass: HomeAssistant, calls: list[ServiceCall]
) -> None:
    """Its Last Will and its next heartbeat run the automations once each."""
    send(hass, "status", "offline")
    await hass.async_block_till_done()
    assert ran(calls) == [("controller", "went_offline")]
    send(hass, "status", "offline")
    await hass.async_block_till_done()
    assert ran(calls) == []

    send(hass, "heartbeat", HEARTBEAT)
    await hass.async_block_till_done()
    assert ran(calls) == [("controller", "came_online")]


async def test_feeding_completed(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, calls: list[ServiceCall]
) -> None:
    """A completed feed runs its pond's automation only."""
    answer_commands(hass, mqtt_mock, complete={"success": True})
    await press(hass, "button.pond_1_feed")
    await hass.async_block_till_done()
    assert ran(calls) == [("pond 1", "feeding_completed")]

    await press(hass, "button.pond_2_feed")
    await hass.async_block_till_done()
    assert ran(calls) == [("pond 2", "feeding_completed")]


@pytest.mark.parametrize(
    ("answers", "state"),
    [
        ({"ack": {"success": False}}, "rejected"),
        ({"complete": {"success": False, "error_code": "JAM"}}, "failed"),
    ],
)
async def test_command_failed(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    calls: list[ServiceCall],
    answers: dict[str, Any],
    state: str,
) -> None:
    """A refused or failed command runs the automation of the device it was for."""
    answer_commands(hass, mqtt_mock, **answers)
    with pytest.raises(HomeAssistantError):
        await press(hass, "button.pond_1_feed")
    await hass.async_block_till_done()
    assert ran(calls) == [("pond 1", "command_failed")]

    with pytest.raises(HomeAssistantError):
        await press(hass, "button.pond_controller_4134_reboot")
    await hass.async_block_till_done()
    assert ran(calls) == [("controller", "command_failed")]


async def test_detached_trigger_no_longer_fires(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Removing a command trigger stops it for every final state it watched."""
    await setup_hub(hass)
    await report(hass)
    fired: list[dict[str, Any]] = []

    async def action(variables: dict[str, Any], context: Context | None = None) -> None:
        fired.append(variables["trigger"])

    remove = await device_trigger.async_attach_trigger(
        hass,
        {
            "platform": "device",
            "domain": DOMAIN,
            "device_id": device(hass, DEVICES["pond 1"]).id,
            "type": "command_failed",
        },
        action,
        {
            "domain": "test",
            "name": "test",
            "variables": {},
            "trigger_data": {"id": "0", "idx": "0", "alias": None},
        },
    )
    answer_commands(hass, mqtt_mock, ack={"success": False})
    with pytest.raises(HomeAssistantError):
        await press(hass, "button.pond_1_feed")
    await hass.async_block_till_done()
    assert [trigger["event"].data["state"] for trigger in fired] == ["rejected"]

    remove()
    answer_commands(hass, mqtt_mock, complete={"success": False})
    with pytest.raises(HomeAssistantError):
        await press(hass, "button.pond_1_feed")
    await hass.async_block_till_done()
    assert len(fired) == 1


async def test_command_timed_out(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    calls: list[ServiceCall],
    freezer: FrozenDateTimeFactory,
) -> None:
    """A command the controller never answers fails the automation's way too."""
    answer_commands(hass, mqtt_mock, ack=None)
    pressing = await start(
        hass.services.async_call(
            Platform.BUTTON,
            SERVICE_PRESS,
            {ATTR_ENTITY_ID: "button.pond_1_feed"},
            blocking=True,
        )
    )
    # Past the acknowledgement deadline (10 s), resends included.
    await tick(hass, freezer, 11)
    with pytest.raises(HomeAssistantError):
        await pressing
    await hass.async_block_till_done()
    assert ran(calls) == [("pond 1", "command_failed")]


async def test_trigger_the_device_lacks_is_invalid(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A pond never goes offline on its own, and a controller is never fed."""
    await setup_hub(hass)
    await report(hass)
    for key, kind in (
        (f"{DEVICE_ID}_pond1", "went_offline"),
        (DEVICE_ID, "feeding_completed"),
    ):
        with pytest.raises(InvalidDeviceAutomationConfig):
            await device_trigger.async_validate_trigger_config(
                hass,
                {
                    "platform": "device",
                    "domain": DOMAIN,
                    "device_id": device(hass, key).id,
                    "type": kind,
                },
            )
