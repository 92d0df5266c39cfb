"""Entities: what controllers report, how it is validated and derived."""

from datetime import timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.future_fish.const import DOMAIN

from .common import (
    DEVICE_ID,
    HEARTBEAT,
    MAC,
    SENSORS_A,
    SENSORS_B,
    current,
    diagnostics,
    make_entry,
    report,
    send,
    set_number,
    setup_hub,
    snapshot_entities,
)

CONTROLLER = "sensor.pond_controller_4134"
WATER_LEVEL = "sensor.pond_1_water_level"
SENSOR_HEIGHT = "number.pond_1_sensor_height"
TANK_DEPTH = "number.pond_1_tank_depth"


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "mqtt_mock")
@pytest.mark.freeze_time("2026-05-01 04:00:00+00:00")
async def test_entities(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, snapshot: SnapshotAssertion
) -> None:
    """Every sensor: registry entry and state after one report cycle."""
    await snapshot_entities(hass, entity_registry, snapshot, Platform.SENSOR)


async def test_rarely_used_entities_are_disabled_by_default(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, entity_registry: er.EntityRegistry
) -> None:
    """What most users never touch is off until wanted (README lists why).

    So are what a pond's stock is set with once, and its rarer figures.
    """
    await setup_hub(hass)
    await report(hass)
    disabled = {
        entry.entity_id
        for entry in entity_registry.entities.values()
        if entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    }
    limits = {
        f"number.{device}_{quantity}_{bound}_limit"
        for device, quantities in (
            (
                "pond_controller_4134",
                (
                    "water_temperature",
                    "dissolved_oxygen",
                    "ph",
                    "turbidity",
                    "ammonia",
                    "battery",
                ),
            ),
            ("pond_1", ("water_level", "feed_level")),
            ("pond_2", ("water_level", "feed_level")),
        )
        for quantity in quantities
        for bound in ("lower", "upper")
    }
    assert disabled == {
        f"{CONTROLLER}_wi_fi_signal",
        f"{CONTROLLER}_free_memory",
        f"{CONTROLLER}_last_seen",
        f"{CONTROLLER}_ip_address",
        f"{CONTROLLER}_command_success_rate",
        "binary_sensor.pond_controller_4134_turbidity_alarm",
        "binary_sensor.pond_controller_4134_battery_alarm",
        *limits,
        *(
            entity_id
            for pond in (1, 2)
            for entity_id in (
                f"sensor.pond_{pond}_distance_to_water",
                f"sensor.pond_{pond}_feedings_today",
                f"number.pond_{pond}_feed_amount",
                f"number.pond_{pond}_fill_target",
                f"number.pond_{pond}_drain_target",
                f"number.pond_{pond}_surface_area",
                f"number.pond_{pond}_feeding_rate",
                f"number.pond_{pond}_number_of_fish",
                f"number.pond_{pond}_average_weight",
                f"date.pond_{pond}_stocking_date",
                f"select.pond_{pond}_species",
                f"sensor.pond_{pond}_feed_since_stocking",
                f"sensor.pond_{pond}_stocking_density",
                f"sensor.pond_{pond}_days_since_stocking",
            )
        ),
    }


async def test_partial_messages_keep_other_values(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A key missing from a message means no new reading, never zero."""
    await setup_hub(hass)
    await report(hass)
    send(hass, "sensors", {"data": {"ph": 7.9}})
    await hass.async_block_till_done()
    assert current(hass, f"{CONTROLLER}_ph").state == "7.9"
    assert current(hass, f"{CONTROLLER}_water_temperature").state == "26.4"
    assert current(hass, f"{CONTROLLER}_battery").state == "87"
    assert current(hass, "sensor.pond_2_feed_level").state == "64"


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
    assert current(hass, f"{CONTROLLER}_water_temperature").state == "21.5"
    assert current(hass, WATER_LEVEL).state == "73"
    assert current(hass, "sensor.pond_2_water_level").state == "40"
    assert current(hass, "sensor.pond_2_feed_level").state == "12"


async def test_controllers_are_shown_at_their_first_message(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """A controller that sends only telemetry is shown at once, named from its MAC.

    Deployed firmware sends no name: waiting for one would leave the page empty.
    """
    await setup_hub(hass)
    heard = dt_util.utcnow()
    send(hass, "sensors", {"data": {"temperature": 20.5, "feed1": 40}})
    await hass.async_block_till_done()

    assert dt_util.utcnow() - heard < timedelta(seconds=1)
    assert current(hass, f"{CONTROLLER}_water_temperature").state == "20.5"
    assert current(hass, "sensor.pond_1_feed_level").state == "40"


async def test_a_later_name_renames_the_devices(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A name that arrives after the first message renames; entity ids stay."""
    await setup_hub(hass)
    send(hass, "sensors", SENSORS_A)
    send(hass, "sensors", SENSORS_B)
    await hass.async_block_till_done()
    temperature = f"{CONTROLLER}_water_temperature"
    assert hass.states.get(temperature).name == "Pond controller 4134 Water temperature"

    send(hass, "heartbeat", {**HEARTBEAT, "device_name": "North"})
    # Readings of an id not yet admitted are not kept (admission): the next cycle's.
    send(hass, "sensors", SENSORS_A)
    send(hass, "sensors", SENSORS_B)
    await hass.async_block_till_done()

    entry_id = hass.config_entries.async_entries(DOMAIN)[0].entry_id
    controller = device_registry.async_get_device_by_identifier(
        (DOMAIN, DEVICE_ID), entry_id
    )
    pond = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"{DEVICE_ID}_pond2"), entry_id
    )
    assert (controller.name, pond.name) == ("North", "North pond 2")
    assert current(hass, temperature).state == "26.4"
    assert hass.states.get(temperature).name == "North Water temperature"
    assert hass.states.get("sensor.pond_2_feed_level").name == (
        "North pond 2 Feed level"
    )
    assert hass.states.get("sensor.north_water_temperature") is None


async def test_water_level_from_geometry(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, issue_registry: ir.IssueRegistry
) -> None:
    """The level in % follows PROTOCOL 4 once sensor height and tank depth are set."""
    await setup_hub(hass)
    await report(hass)
    assert current(hass, WATER_LEVEL).state == STATE_UNKNOWN
    assert current(hass, WATER_LEVEL).attributes["water_distance"] == 30
    entry_id = hass.config_entries.async_entries(DOMAIN)[0].entry_id
    issue_id = f"missing_geometry_{entry_id}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None

    await set_number(hass, SENSOR_HEIGHT, 150)
    assert current(hass, WATER_LEVEL).state == STATE_UNKNOWN
    await set_number(hass, TANK_DEPTH, 120)
    assert current(hass, WATER_LEVEL).state == "100.0"
    assert "water_distance" not in current(hass, WATER_LEVEL).attributes
    # Pond 2 still lacks its geometry.
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["count"] == "1"

    send(hass, "sensors", {"data": {"water1": 90}})
    await hass.async_block_till_done()
    assert current(hass, WATER_LEVEL).state == "50.0"
    send(hass, "sensors", {"data": {"water1": 200}})
    await hass.async_block_till_done()
    assert current(hass, WATER_LEVEL).state == "0.0"
    await set_number(hass, SENSOR_HEIGHT, 240)
    assert current(hass, WATER_LEVEL).state == "33.3"


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
    assert current(hass, TANK_DEPTH).state == STATE_UNKNOWN
    assert current(hass, SENSOR_HEIGHT).state == "100.0"


async def test_settings_stay_available_while_offline(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Pond geometry belongs to Home Assistant and can be set any time."""
    await setup_hub(hass)
    await report(hass)
    send(hass, "status", "offline")
    await hass.async_block_till_done()
    await set_number(hass, SENSOR_HEIGHT, 150)
    assert current(hass, SENSOR_HEIGHT).state == "150.0"


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
    hass_client: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
    *,
    payload: dict[str, object] | str | bytes,
    field: str,
    reason: str,
) -> None:
    """A bad value changes nothing, is counted, and is logged once an hour."""
    await setup_hub(hass)
    await report(hass)
    for _ in range(3):
        send(hass, "sensors", payload)
    send(hass, "sensors", {"data": {"ph": 6.9}})
    await hass.async_block_till_done()

    assert current(hass, f"{CONTROLLER}_water_temperature").state == "26.4"
    assert current(hass, f"{CONTROLLER}_ph").state == "6.9"
    (controller,) = (await diagnostics(hass, hass_client))["controllers"]
    assert controller["stats"]["dropped"] == {f"{field}: {reason}": 3}
    warnings = [
        r
        for r in caplog.records
        if r.levelno == logging.WARNING and r.name.startswith("custom_components")
    ]
    assert [r.getMessage().split(" (")[0] for r in warnings] == [
        f"Dropped {field} from Pond controller 4134: {reason}"
    ]


async def test_invalid_ids_create_nothing(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_client: ClientSessionGenerator,
) -> None:
    """Ids that are not safe (wildcards, spaces, unicode, too long) are refused."""
    await setup_hub(hass)
    for device in ("a b", "ünïcode", "x" * 65, "-leading"):
        send(hass, "heartbeat", HEARTBEAT, device=device)
    await hass.async_block_till_done()
    assert hass.states.async_entity_ids() == []
    hub = (await diagnostics(hass, hass_client))["hub"]
    assert hub["unattributed"]["dropped"] == {"device_id: bad_device_id": 4}


async def test_id_spellings_are_one_controller(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_client: ClientSessionGenerator,
) -> None:
    """Upper, lower and hyphenated MACs are one controller; the last spelling wins."""
    await setup_hub(hass)
    await report(hass)
    send(hass, "sensors", {"data": {"ph": 8.1}}, device="ec-e3-34-1c-41-34")
    await hass.async_block_till_done()
    assert current(hass, f"{CONTROLLER}_ph").state == "8.1"
    (controller,) = (await diagnostics(hass, hass_client))["controllers"]
    assert controller["topic_id"] == "ec-e3-34-1c-41-34"

    send(hass, "sensors", {"data": {"ph": 8.2}}, device=MAC.lower())
    await hass.async_block_till_done()
    assert current(hass, f"{CONTROLLER}_ph").state == "8.2"
    controllers = (await diagnostics(hass, hass_client))["controllers"]
    assert [controller["device_id"] for controller in controllers] == [DEVICE_ID]


async def test_new_controllers_can_be_ignored(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_client: ClientSessionGenerator,
) -> None:
    """With automatic adding off, unknown controllers are counted but not added."""
    await setup_hub(hass, make_entry(add_new_controllers=False))
    send(hass, "sensors", SENSORS_A)
    send(hass, "sensors", SENSORS_B)
    await hass.async_block_till_done()
    assert hass.states.async_entity_ids() == []
    hub = (await diagnostics(hass, hass_client))["hub"]
    assert hub["ignored_controllers"] == {"messages": 2, "sample": {DEVICE_ID: 2}}


async def test_other_prefixes_are_separate_hubs(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Two hubs on two prefixes see only their own controllers."""
    await setup_hub(hass, make_entry(prefix="farm/north"))
    send(hass, "heartbeat", HEARTBEAT, prefix="farm/north")
    send(hass, "heartbeat", HEARTBEAT, prefix="ff")
    await hass.async_block_till_done()
    assert (
        current(hass, "binary_sensor.pond_controller_4134_connectivity").state == "on"
    )
    connectivity = [
        entity_id
        for entity_id in hass.states.async_entity_ids("binary_sensor")
        if entity_id.endswith("_connectivity")
    ]
    assert len(connectivity) == 1
