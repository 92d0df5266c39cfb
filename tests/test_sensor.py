"""Entities: what controllers report, how it is validated and derived."""

from datetime import timedelta
import logging
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.number import ATTR_VALUE, SERVICE_SET_VALUE
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import snapshot_platform
from pytest_homeassistant_custom_component.typing import MqttMockHAClient
from syrupy.assertion import SnapshotAssertion

from custom_components.future_fish.const import DOMAIN

from .common import (
    DEVICE_ID,
    HEARTBEAT,
    MAC,
    SENSORS_A,
    SENSORS_B,
    make_entry,
    report,
    send,
    setup_hub,
)

CONTROLLER = "sensor.pond_controller_4134"
WATER_LEVEL = "sensor.pond_1_water_level"
SENSOR_HEIGHT = "number.pond_1_sensor_height"
TANK_DEPTH = "number.pond_1_tank_depth"
GEOMETRY_ISSUE = f"missing_geometry_{DEVICE_ID}_pond1"


def state(hass: HomeAssistant, entity_id: str) -> str:
    """Return an entity's state, failing clearly when it does not exist."""
    current = hass.states.get(entity_id)
    assert current is not None, f"{entity_id} does not exist"
    return current.state


async def set_number(hass: HomeAssistant, entity_id: str, value: float) -> None:
    """Change a number entity as the UI does."""
    await hass.services.async_call(
        Platform.NUMBER,
        SERVICE_SET_VALUE,
        {ATTR_ENTITY_ID: entity_id, ATTR_VALUE: value},
        blocking=True,
    )


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.freeze_time("2026-05-01 04:00:00+00:00")
@pytest.mark.parametrize(
    "platform",
    [
        Platform.BINARY_SENSOR,
        Platform.BUTTON,
        Platform.NUMBER,
        Platform.SELECT,
        Platform.SENSOR,
        Platform.SWITCH,
        Platform.UPDATE,
    ],
)
async def test_entities_snapshot(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Every entity's registry entry and state after one report cycle."""
    with patch("custom_components.future_fish.PLATFORMS", [platform]):
        entry = await setup_hub(hass)
    await report(hass)
    send(hass, "heartbeat", HEARTBEAT)
    await hass.async_block_till_done()
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


async def test_noisy_diagnostics_are_disabled_by_default(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, entity_registry: er.EntityRegistry
) -> None:
    """Signal, free memory and last seen change constantly: off until wanted."""
    await setup_hub(hass)
    await report(hass)
    disabled = {
        entry.entity_id
        for entry in entity_registry.entities.values()
        if entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    }
    assert disabled == {
        f"{CONTROLLER}_wi_fi_signal",
        f"{CONTROLLER}_free_memory",
        f"{CONTROLLER}_last_seen",
    }


async def test_partial_messages_keep_other_values(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A key missing from a message means no new reading, never zero."""
    await setup_hub(hass)
    await report(hass)
    send(hass, "sensors", {"data": {"ph": 7.9}})
    await hass.async_block_till_done()
    assert state(hass, f"{CONTROLLER}_ph") == "7.9"
    assert state(hass, f"{CONTROLLER}_water_temperature") == "26.4"
    assert state(hass, f"{CONTROLLER}_battery") == "87"
    assert state(hass, "sensor.pond_2_feed_level") == "64"


async def test_flat_format(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> None:
    """Older firmware sends a flat object with water levels already in %."""
    await setup_hub(hass)
    send(hass, "heartbeat", {})
    send(
        hass,
        "sensors",
        {
            "temperature": 21.5,
            "water_level": 73,
            "water_level2": 40,
            "feed_level": 55,
            "feed_level2": 12,
            "signal_strength": -71,
        },
    )
    await hass.async_block_till_done()
    assert state(hass, f"{CONTROLLER}_water_temperature") == "21.5"
    assert state(hass, WATER_LEVEL) == "73"
    assert state(hass, "sensor.pond_2_water_level") == "40"
    assert state(hass, "sensor.pond_2_feed_level") == "12"


async def test_names_do_not_depend_on_message_order(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Telemetry heard before the controller's name still gets named entity ids."""
    await setup_hub(hass)
    send(hass, "sensors", SENSORS_A)
    send(hass, "sensors", SENSORS_B)
    await hass.async_block_till_done()
    assert hass.states.async_entity_ids() == []

    send(hass, "heartbeat", {**HEARTBEAT, "device_name": "North"})
    # Readings of an id not yet admitted are not kept (admission): the next cycle's.
    send(hass, "sensors", SENSORS_A)
    send(hass, "sensors", SENSORS_B)
    await hass.async_block_till_done()
    assert state(hass, "sensor.north_water_temperature") == "26.4"
    assert state(hass, "sensor.north_pond_2_feed_level") == "64"
    assert state(hass, "button.north_pond_1_feed") == STATE_UNKNOWN


async def test_controller_that_never_says_who_it_is(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """A controller sending only telemetry is shown after 25 s, with default names."""
    await setup_hub(hass)
    send(hass, "sensors", {"data": {"temperature": 20.5, "feed1": 40}})
    await hass.async_block_till_done()
    freezer.tick(timedelta(seconds=24))
    send(hass, "sensors", {"data": {"temperature": 20.6}})
    await hass.async_block_till_done()
    assert hass.states.async_entity_ids() == []

    freezer.tick(timedelta(seconds=1))
    # Admitted with this message (admission): earlier readings were not kept.
    send(hass, "sensors", {"data": {"temperature": 20.7, "feed1": 40}})
    await hass.async_block_till_done()
    assert state(hass, f"{CONTROLLER}_water_temperature") == "20.7"
    assert state(hass, "sensor.pond_1_feed_level") == "40"


async def test_water_level_from_geometry(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, issue_registry: ir.IssueRegistry
) -> None:
    """The level in % follows PROTOCOL 4 once sensor height and tank depth are set."""
    await setup_hub(hass)
    await report(hass)
    assert state(hass, WATER_LEVEL) == STATE_UNKNOWN
    assert state(hass, "sensor.pond_1_distance_to_water") == "30"
    issue = issue_registry.async_get_issue(DOMAIN, GEOMETRY_ISSUE)
    assert issue is not None
    assert issue.translation_placeholders == {
        "pond": "Pond 1",
        "controller": "Pond controller 4134",
    }

    await set_number(hass, SENSOR_HEIGHT, 150)
    assert state(hass, WATER_LEVEL) == STATE_UNKNOWN
    await set_number(hass, TANK_DEPTH, 120)
    assert state(hass, WATER_LEVEL) == "100.0"
    assert issue_registry.async_get_issue(DOMAIN, GEOMETRY_ISSUE) is None

    send(hass, "sensors", {"data": {"water1": 90}})
    await hass.async_block_till_done()
    assert state(hass, WATER_LEVEL) == "50.0"
    send(hass, "sensors", {"data": {"water1": 200}})
    await hass.async_block_till_done()
    assert state(hass, WATER_LEVEL) == "0.0"
    await set_number(hass, SENSOR_HEIGHT, 240)
    assert state(hass, WATER_LEVEL) == "33.3"


async def test_impossible_geometry_is_refused(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A tank deeper than the sensor is high is refused with a translated error."""
    await setup_hub(hass)
    await report(hass)
    await set_number(hass, SENSOR_HEIGHT, 100)

    with pytest.raises(ServiceValidationError) as raised:
        await set_number(hass, TANK_DEPTH, 120)
    assert raised.value.translation_key == "tank_deeper_than_sensor"
    assert raised.value.translation_placeholders == {
        "pond": "Pond 1",
        "depth": "120",
        "height": "100",
    }
    assert state(hass, TANK_DEPTH) == STATE_UNKNOWN
    assert state(hass, SENSOR_HEIGHT) == "100.0"


async def test_settings_stay_available_while_offline(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Pond geometry belongs to Home Assistant and can be set any time."""
    await setup_hub(hass)
    await report(hass)
    send(hass, "status", "offline")
    await hass.async_block_till_done()
    await set_number(hass, SENSOR_HEIGHT, 150)
    assert state(hass, SENSOR_HEIGHT) == "150.0"


@pytest.mark.parametrize(
    ("payload", "field", "reason"),
    [
        ({"data": {"temperature": 75.3}}, "data.temperature", "out_of_range"),
        ({"data": {"temperature": float("nan")}}, "data.temperature", "not_finite"),
        ({"data": {"temperature": "26"}}, "data.temperature", "wrong_type"),
        ({"data": {"temperature": True}}, "data.temperature", "wrong_type"),
        ({"temperature": -3}, "temperature", "out_of_range"),
        ("{not json", "sensors", "bad_json"),
        ("[1, 2]", "sensors", "not_object"),
        (b"\xff\xfe", "sensors", "not_utf8"),
    ],
)
async def test_bad_values_are_dropped(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    caplog: pytest.LogCaptureFixture,
    payload: dict[str, object] | str | bytes,
    field: str,
    reason: str,
) -> None:
    """A bad value changes nothing, is counted, and is logged once an hour."""
    entry = await setup_hub(hass)
    await report(hass)
    for _ in range(3):
        send(hass, "sensors", payload)
    send(hass, "sensors", {"data": {"ph": 6.9}})
    await hass.async_block_till_done()

    assert state(hass, f"{CONTROLLER}_water_temperature") == "26.4"
    assert state(hass, f"{CONTROLLER}_ph") == "6.9"
    stats = entry.runtime_data.controllers[DEVICE_ID].stats
    assert stats.dropped == {f"{field}: {reason}": 3}
    warnings = [
        r
        for r in caplog.records
        if r.levelno == logging.WARNING and r.name.startswith("custom_components")
    ]
    assert [r.getMessage().split(" (")[0] for r in warnings] == [
        f"Dropped {field} from Pond controller 4134: {reason}"
    ]


async def test_invalid_ids_create_nothing(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Ids that are not safe (wildcards, spaces, unicode, too long) are refused."""
    entry = await setup_hub(hass)
    for device in ("a b", "ünïcode", "x" * 65, "-leading"):
        send(hass, "heartbeat", HEARTBEAT, device=device)
    await hass.async_block_till_done()
    assert hass.states.async_entity_ids() == []
    assert entry.runtime_data.stats.dropped == {"device_id: bad_device_id": 4}


async def test_id_spellings_are_one_controller(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Upper, lower and hyphenated MACs are one controller; the last spelling wins."""
    entry = await setup_hub(hass)
    await report(hass)
    send(hass, "sensors", {"data": {"ph": 8.1}}, device="ec-e3-34-1c-41-34")
    await hass.async_block_till_done()
    assert state(hass, f"{CONTROLLER}_ph") == "8.1"
    controller = entry.runtime_data.controllers[DEVICE_ID]
    assert controller.topic_id == "ec-e3-34-1c-41-34"

    send(hass, "sensors", {"data": {"ph": 8.2}}, device=MAC.lower())
    await hass.async_block_till_done()
    assert state(hass, f"{CONTROLLER}_ph") == "8.2"
    assert list(entry.runtime_data.controllers) == [DEVICE_ID]


async def test_new_controllers_can_be_ignored(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """With automatic adding off, unknown controllers are counted but not added."""
    entry = await setup_hub(hass, make_entry(add_new_controllers=False))
    send(hass, "sensors", SENSORS_A)
    send(hass, "sensors", SENSORS_B)
    await hass.async_block_till_done()
    assert hass.states.async_entity_ids() == []
    ignored = entry.runtime_data.ignored_controllers
    assert (ignored.messages, ignored.sample) == (2, {DEVICE_ID: 2})


async def test_other_prefixes_are_separate_hubs(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Two hubs on two prefixes see only their own controllers."""
    await setup_hub(hass, make_entry(prefix="farm/north"))
    send(hass, "heartbeat", HEARTBEAT, prefix="farm/north")
    send(hass, "heartbeat", HEARTBEAT, prefix="ff")
    await hass.async_block_till_done()
    assert state(hass, "binary_sensor.pond_controller_4134_connectivity") == "on"
    connectivity = [
        entity_id
        for entity_id in hass.states.async_entity_ids("binary_sensor")
        if entity_id.endswith("_connectivity")
    ]
    assert len(connectivity) == 1
