"""The logbook: every command's outcome in words, naming the device."""

from typing import Any, Final

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.logbook.models import async_event_to_row
from homeassistant.components.logbook.processor import EventProcessor
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_OPEN_VALVE, Platform
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.future_fish.commands import EVENT_COMMAND
from custom_components.future_fish.const import (
    DOMAIN,
    EVENT_CONTROLLER_ALARM,
    EVENT_FEEDING,
    EVENT_THRESHOLD,
)
from custom_components.future_fish.logbook import (
    describe_controller_alarm,
    describe_threshold,
)

from .common import (
    DEVICE_ID,
    HEARTBEAT,
    STARTUP,
    answer,
    device_id,
    last_command,
    press,
    report,
    send,
    set_geometry,
    set_number,
    setup_hub,
    start,
    tick,
)

# These tests use entities that are disabled by default (limits, command settings).
pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")


def humanify(hass: HomeAssistant, events: list[Event]) -> list[dict[str, Any]]:
    """Return the logbook entries of events, as the logbook shows them live."""
    processor = EventProcessor(hass, (EVENT_COMMAND,))
    return processor.humanify(async_event_to_row(event) for event in events)


def entries(hass: HomeAssistant, events: list[Event]) -> list[tuple[str, str]]:
    """Return (name, message) of each entry."""
    return [(entry["name"], entry["message"]) for entry in humanify(hass, events)]


@pytest.fixture
async def events(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> list[Event]:
    """Set up the logbook and a hub with a controller; return the command events."""
    # Stand-ins: the logbook only needs them loaded, and the frontend package is
    # installed by `scripts/setup --develop` alone, not for the test suite.
    hass.config.components.add("recorder")
    hass.config.components.add("frontend")
    assert await async_setup_component(hass, "logbook", {})
    await setup_hub(hass)
    await report(hass)
    return async_capture_events(hass, EVENT_COMMAND)


async def test_completed_feed(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    events: list[Event],
) -> None:
    """A feeding that completed names the pond, the amount and the duration."""
    pressing = await start(press(hass, "button.pond_1_feed"))
    command = last_command(mqtt_mock)
    await answer(hass, "ack", command)
    await pressing
    await tick(hass, freezer, 31)
    await answer(hass, "complete", command)
    assert entries(hass, events) == [("Pond 1", "fed 100 g, done in 31 s")]
    assert humanify(hass, events)[0]["domain"] == DOMAIN
    assert humanify(hass, events)[0]["icon"] == "mdi:fish"


async def test_failed_fill_in_percent(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, events: list[Event]
) -> None:
    """The level reads in % as the user set it, with the controller's message."""
    await set_geometry(hass, pond=2)
    pressing = await start(press(hass, "button.pond_2_fill"))
    command = last_command(mqtt_mock)
    await answer(hass, "ack", command)
    await pressing
    await answer(hass, "complete", command, success=False, message="float switch stuck")
    assert entries(hass, events) == [
        ("Pond 2", "fill to 80 % failed: float switch stuck")
    ]
    assert humanify(hass, events)[0]["icon"] == "mdi:alert-circle-outline"


async def test_flush_and_valve(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    events: list[Event],
) -> None:
    """A flush lists both levels; a valve says which valve moved."""
    await set_geometry(hass)
    pressing = await start(press(hass, "button.pond_1_flush"))
    command = last_command(mqtt_mock)
    await answer(hass, "ack", command)
    await pressing
    await tick(hass, freezer, 50)
    send(hass, "heartbeat", HEARTBEAT)
    await tick(hass, freezer, 50)
    send(hass, "heartbeat", HEARTBEAT)
    await tick(hass, freezer, 25)
    await answer(hass, "complete", command)

    turning = await start(
        hass.services.async_call(
            Platform.VALVE,
            SERVICE_OPEN_VALVE,
            {ATTR_ENTITY_ID: "valve.pond_1_inlet_valve"},
            blocking=True,
        )
    )
    command = last_command(mqtt_mock)
    await tick(hass, freezer, 3.2)
    await answer(hass, "complete", command)
    await turning
    assert entries(hass, events) == [
        ("Pond 1", "flushed: drained to 20 % and refilled to 80 % in 2 min 5 s"),
        ("Pond 1", "opened the inlet valve in 3.2 s"),
    ]


async def test_reboot(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    events: list[Event],
) -> None:
    """A reboot completes with the next startup and names the controller."""
    pressing = await start(press(hass, "button.pond_controller_4134_reboot"))
    await answer(hass, "ack", last_command(mqtt_mock))
    await pressing
    await tick(hass, freezer, 12)
    send(hass, "startup", STARTUP)
    await hass.async_block_till_done()
    assert entries(hass, events) == [("Pond controller 4134", "restarted in 12 s")]


async def test_refused_and_timed_out(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    events: list[Event],
) -> None:
    """Refusals carry the message and code; timeouts say what was missing."""
    pressing = await start(press(hass, "button.pond_1_feed"))
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

    pressing = await start(press(hass, "button.pond_2_feed"))
    await tick(hass, freezer, 10)
    with pytest.raises(HomeAssistantError):
        await pressing
    assert entries(hass, events) == [
        ("Pond 1", "feed 100 g refused: hopper empty (E_HOPPER)"),
        ("Pond 2", "feed 100 g timed out: no acknowledgement within 10 s"),
    ]


async def test_user_names_are_used(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    device_registry: dr.DeviceRegistry,
    freezer: FrozenDateTimeFactory,
    events: list[Event],
) -> None:
    """A device the user renamed appears under its new name.

    The clock is frozen: on a busy machine the real one made it "0.1 s".
    """
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"{DEVICE_ID}_pond1"), entry.entry_id
    )
    assert device is not None
    device_registry.async_update_device(device.id, name_by_user="Koi pond")
    pressing = await start(press(hass, "button.pond_1_feed"))
    await answer(hass, "complete", last_command(mqtt_mock))
    await pressing
    assert entries(hass, events) == [("Koi pond", "fed 100 g, done in 0.0 s")]


# The icon of each entry below: what completed, or that it ended otherwise.
ICONS: Final = {
    "THRESH": "mdi:tune-variant",
    "FW": "mdi:alert-circle-outline",
    "WATER_DRAIN": "mdi:alert-circle-outline",
    "FEED": "mdi:fish",
    "REBOOT": "mdi:restart",
    "DANCE": "mdi:message-processing-outline",
}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {
                "command_type": "THRESH",
                "controller": DEVICE_ID,
                "pond": None,
                "parameters": {"p": "ph", "l": 6.5, "u": 8.5},
                "state": "completed",
                "ms_to_complete": 800,
            },
            ("Pond controller 4134", "set the ph limits to 6.5 to 8.5"),
        ),
        (
            {
                "command_type": "FW",
                "controller": DEVICE_ID,
                "pond": None,
                "parameters": {"url": "https://x.example/fw.bin"},
                "state": "failed",
                "error_code": "E_OTA",
            },
            (
                "Pond controller 4134",
                "firmware update from https://x.example/fw.bin failed: E_OTA",
            ),
        ),
        (
            {
                "command_type": "WATER_DRAIN",
                "controller": DEVICE_ID,
                "pond": 1,
                "parameters": {"level": 130},
                "state": "cancelled",
                "message": "stopped",
            },
            ("Pond 1", "drain to 130 cm below the sensor cancelled: stopped"),
        ),
        (
            {
                "command_type": "FEED",
                "controller": DEVICE_ID,
                "pond": 1,
                "parameters": {"grams": 100},
                "state": "completed",
                "ms_to_complete": 4_000_000,
            },
            ("Pond 1", "FEED completed"),
        ),
        (
            {
                "command_type": "REBOOT",
                "controller": DEVICE_ID,
                "pond": None,
                "parameters": {},
                "state": "completed",
                "ms_to_complete": 3_725_000,
            },
            ("Pond controller 4134", "restarted in 1 h 2 min"),
        ),
        (
            {
                "command_type": "DANCE",
                "controller": "aa:bb:cc:dd:ee:ff",
                "pond": 2,
                "state": "completed",
            },
            ("aa:bb:cc:dd:ee:ff pond 2", "DANCE completed"),
        ),
    ],
)
async def test_other_commands_and_old_events(
    hass: HomeAssistant,
    events: list[Event],
    data: dict[str, Any],
    expected: tuple[str, str],
) -> None:
    """Every command type has words; events the phrasing cannot fill still read."""
    hass.bus.async_fire(EVENT_COMMAND, data)
    await hass.async_block_till_done()
    assert entries(hass, events) == [expected]
    (entry,) = humanify(hass, events)
    assert entry["icon"] == ICONS[data["command_type"]]


async def test_device_missing_from_the_registry(
    hass: HomeAssistant, device_registry: dr.DeviceRegistry, events: list[Event]
) -> None:
    """A pond whose device entry is gone still reads under the pond's own name."""
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"{DEVICE_ID}_pond2"), entry.entry_id
    )
    assert device is not None
    device_registry.async_remove_device(device.id)
    hass.bus.async_fire(
        EVENT_COMMAND,
        {
            "command_type": "FEED",
            "controller": DEVICE_ID,
            "pond": 2,
            "parameters": {"amount": 20, "unit": "grams"},
            "state": "completed",
            "ms_to_complete": 1500,
        },
    )
    await hass.async_block_till_done()
    assert entries(hass, events) == [("Pond 2", "fed 20 g, done in 1.5 s")]


async def test_alarms_in_words(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, events: list[Event]
) -> None:
    """Our alarms and the controller's own read as a person would say them."""
    alarms = async_capture_events(hass, EVENT_THRESHOLD)
    controller_alarms = async_capture_events(hass, EVENT_CONTROLLER_ALARM)
    await set_number(
        hass, "number.pond_controller_4134_dissolved_oxygen_lower_limit", 4
    )
    for value in (3.4, 3.2, 3.1, 4.6):
        send(hass, "sensors", {"data": {"dissolved_oxygen": value}})
        await hass.async_block_till_done()
    send(
        hass,
        "threshold",
        {"parameter": "do", "value": 3.1, "lower": 4, "upper": 9, "message": "low"},
    )
    await hass.async_block_till_done()

    processor = EventProcessor(hass, (EVENT_THRESHOLD, EVENT_CONTROLLER_ALARM))
    described = [
        (entry["name"], entry["message"], entry["icon"])
        for entry in processor.humanify(
            async_event_to_row(event) for event in (*alarms, *controller_alarms)
        )
    ]
    assert described == [
        (
            "Pond controller 4134",
            "Dissolved oxygen alarm: 3.1 mg/L is below the lower limit of 4 mg/L",
            "mdi:alert",
        ),
        (
            "Pond controller 4134",
            "Dissolved oxygen alarm cleared: back within its limits at 4.6 mg/L",
            "mdi:check-circle-outline",
        ),
        (
            "Pond controller 4134",
            "controller alarm: do at 3.1 (limits 4 to 9): low",
            "mdi:alert",
        ),
    ]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {
                "quantity": "temperature",
                "state": "on",
                "value": 36.2,
                "limit": "upper",
                "limit_value": 35,
            },
            "Water temperature alarm: 36.2 °C is above the upper limit of 35 °C",
        ),
        (
            {
                "quantity": "ammonia",
                "state": "on",
                "value": 0.0812,
                "limit": "upper",
                "limit_value": 0.06,
            },
            (
                "Ammonia alarm: 0.0812 mg/L NH3-N is above the upper limit of"
                " 0.06 mg/L NH3-N"
            ),
        ),
        (
            {"quantity": "unknown", "state": "on", "value": None, "limit": "lower"},
            "unknown alarm: ? is below the lower limit of ?",
        ),
    ],
)
def test_threshold_wording(data: dict[str, Any], expected: str) -> None:
    """Upper limits, and events of another version, still read sensibly."""
    assert describe_threshold(data) == expected


def test_controller_alarm_without_details() -> None:
    """A controller alarm that names nothing still says what happened."""
    assert describe_controller_alarm({}) == "controller alarm: a value"


async def test_feeding_records_and_the_hold(
    hass: HomeAssistant, events: list[Event]
) -> None:
    """Farm records and the hold name the pond, say what happened, with an icon."""
    feeding = async_capture_events(hass, EVENT_FEEDING)
    pond = device_id(hass, f"{DEVICE_ID}_pond1")
    await hass.services.async_call(
        DOMAIN,
        "restock",
        {"device_id": pond, "fish": 100, "average_weight": 20},
        blocking=True,
    )
    await hass.services.async_call(
        DOMAIN,
        "record_harvest",
        {"device_id": pond, "fish": 10, "weight": 0.25},
        blocking=True,
    )
    send(hass, "sensors", {"data": {"temperature": 26, "dissolved_oxygen": 6}})
    send(hass, "status", "offline")
    # A type this version does not know, from another version of the integration.
    hass.bus.async_fire(
        EVENT_FEEDING, {"controller": DEVICE_ID, "pond": 1, "type": "vaccinated"}
    )
    await hass.async_block_till_done()

    shown = [
        (entry["name"], entry["message"], entry["icon"])
        for entry in EventProcessor(hass, (EVENT_FEEDING,)).humanify(
            async_event_to_row(event) for event in feeding
        )
    ]
    assert shown == [
        ("Pond 1", "stocked 100 fish of 20 g; now 100 fish, 2 kg", "mdi:fish"),
        (
            "Pond 1",
            "harvested 10 fish and 0.25 kg; now 90 fish, 1.8 kg, FCR 0",
            "mdi:basket",
        ),
        ("Pond 1", "feeding hold on: controller_offline", "mdi:food-off"),
        ("Pond 2", "feeding hold on: controller_offline", "mdi:food-off"),
        ("Pond 1", "feeding: vaccinated", "mdi:message-processing-outline"),
    ]
