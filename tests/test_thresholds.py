"""Limits, species profiles, threshold alarms, pushing limits and controller alarms.

What a user sees: limit numbers, the profile select, problem sensors with their
attributes, the `future_fish_threshold` and `future_fish_alarm` events, THRESH
commands on the broker and repair issues.
"""

from datetime import timedelta
import json
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.select import ATTR_OPTION, SERVICE_SELECT_OPTION
from homeassistant.const import (
    ATTR_ENTITY_ID,
    EVENT_STATE_CHANGED,
    STATE_OFF,
    STATE_ON,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
    WebSocketGenerator,
)

from custom_components.future_fish.const import (
    CONF_ALARM_READINGS,
    CONF_ALARM_SECONDS,
    CONF_PUSH_LIMITS,
    DOMAIN,
    EVENT_CONTROLLER_ALARM,
    EVENT_THRESHOLD,
)
from custom_components.future_fish.models import DISSOLVED_OXYGEN_LOWER
from custom_components.future_fish.protocol import MAX_PAYLOAD_BYTES

from .common import (
    DEVICE_ID,
    MAC,
    OTHER_MAC,
    STARTUP,
    answer_commands,
    current,
    diagnostics,
    make_entry,
    report,
    send,
    set_number,
    setup_hub,
    tick,
    writes,
)

# These tests use entities that are disabled by default (limits, command settings).
pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")


@pytest.fixture
async def init_integration(
    entity_registry_enabled_by_default: None, init_integration: MockConfigEntry
) -> MockConfigEntry:
    """Return the shared hub, set up with the entities disabled by default enabled."""
    return init_integration


CONTROLLER = "pond_controller_4134"
PROFILE = f"select.{CONTROLLER}_species_profile"
DO_ALARM = f"binary_sensor.{CONTROLLER}_dissolved_oxygen_alarm"
DO_LOWER = f"number.{CONTROLLER}_dissolved_oxygen_lower_limit"
DO_UPPER = f"number.{CONTROLLER}_dissolved_oxygen_upper_limit"
CONTROLLER_ALARM = f"binary_sensor.{CONTROLLER}_controller_alarm"
PUSH_ISSUE = f"push_limits_failed_{DEVICE_ID}"
LIMIT_QUANTITIES = (
    "water_temperature",
    "dissolved_oxygen",
    "ph",
    "turbidity",
    "ammonia",
    "battery",
)


async def choose(hass: HomeAssistant, profile: str) -> None:
    """Choose a species profile as the UI does."""
    await hass.services.async_call(
        Platform.SELECT,
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: PROFILE, ATTR_OPTION: profile},
        blocking=True,
    )


async def readings(
    hass: HomeAssistant, *values: float, key: str = "dissolved_oxygen"
) -> None:
    """Let the controller report one value of `key` per message."""
    for value in values:
        send(hass, "sensors", {"data": {key: value}})
        await hass.async_block_till_done()


# --- entities -------------------------------------------------------------------------------


@pytest.mark.usefixtures("init_integration")
async def test_nothing_is_known_without_limits(hass: HomeAssistant) -> None:
    """No limit, no judgement: alarms unknown, limits unset, profile custom."""
    for quantity in LIMIT_QUANTITIES:
        for bound in ("lower", "upper"):
            entity_id = f"number.{CONTROLLER}_{quantity}_{bound}_limit"
            assert current(hass, entity_id).state == STATE_UNKNOWN
    for entity_id in (
        *(f"binary_sensor.{CONTROLLER}_{q}_alarm" for q in LIMIT_QUANTITIES),
        *(
            f"binary_sensor.pond_{n}_{q}_alarm"
            for n in (1, 2)
            for q in ("water_level", "feed_level")
        ),
    ):
        state = current(hass, entity_id)
        assert state.state == STATE_UNKNOWN, entity_id
        assert state.attributes["device_class"] == "problem"
    assert current(hass, PROFILE).state == "custom"
    assert current(hass, CONTROLLER_ALARM).state == STATE_OFF
    assert current(hass, "number.pond_1_feed_level_lower_limit").state == (
        STATE_UNKNOWN
    )


async def test_limit_units_match_the_readings(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A limit is in the unit of the sensor it limits."""
    for quantity in LIMIT_QUANTITIES:
        sensor = current(hass, f"sensor.{CONTROLLER}_{quantity}")
        limit = current(hass, f"number.{CONTROLLER}_{quantity}_upper_limit")
        assert limit.attributes.get("unit_of_measurement") == sensor.attributes.get(
            "unit_of_measurement"
        ), quantity
        assert limit.attributes["min"] == 0


# --- debounce ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("init_integration")
async def test_alarm_after_three_readings_with_event(hass: HomeAssistant) -> None:
    """Known at the next reading; on after three low readings in a row, once."""
    events = async_capture_events(hass, EVENT_THRESHOLD)
    changes = writes(hass, DO_ALARM)
    await set_number(hass, DO_LOWER, 5)
    # Limits apply from the next reading.
    assert current(hass, DO_ALARM).state == STATE_UNKNOWN

    await readings(hass, 6.8)
    assert current(hass, DO_ALARM).state == STATE_OFF
    await readings(hass, 4.0, 4.0)
    assert current(hass, DO_ALARM).state == STATE_OFF
    await readings(hass, 4.0)

    state = current(hass, DO_ALARM)
    assert state.state == STATE_ON
    assert state.attributes["value"] == 4.0
    assert state.attributes["limit"] == "lower"
    assert state.attributes["limit_value"] == 5.0
    assert state.attributes["since"] is not None
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, DEVICE_ID), current_entry(hass).entry_id
    )
    assert device is not None
    assert [event.data for event in events] == [
        {
            "device_id": device.id,
            "controller": DEVICE_ID,
            "pond": None,
            "quantity": "dissolved_oxygen",
            "state": "on",
            "value": 4.0,
            "limit": "lower",
            "limit_value": 5.0,
        }
    ]
    # Further low readings write nothing; nor did the three that were debounced.
    await readings(hass, 3.9, 3.9, 3.8)
    assert [event.data["new_state"].state for event in changes] == [
        STATE_OFF,
        STATE_ON,
    ]
    assert len(events) == 1


def current_entry(hass: HomeAssistant) -> Any:
    """Return the one Future Fish entry."""
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    return entry


async def test_alarm_after_thirty_seconds_without_a_reading(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """Continuously outside for the debounce time: on, even before N readings."""
    await setup_hub(
        hass, make_entry(**{CONF_ALARM_READINGS: 10, CONF_ALARM_SECONDS: 30})
    )
    await report(hass)
    await set_number(hass, DO_LOWER, 5)
    await readings(hass, 6.8)
    freezer.tick(timedelta(seconds=1))
    started = dt_util.utcnow()
    await readings(hass, 4.0)

    await tick(hass, freezer, 29)
    assert current(hass, DO_ALARM).state == STATE_OFF
    await tick(hass, freezer, 1)
    state = current(hass, DO_ALARM)
    assert state.state == STATE_ON
    # Since the first reading outside.
    assert state.attributes["since"] == started
    assert state.attributes["value"] == 4.0


async def test_a_timer_that_fires_early_waits_on(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """The wall clock says the time is not up yet (it was set back): wait on."""
    await setup_hub(
        hass, make_entry(**{CONF_ALARM_READINGS: 10, CONF_ALARM_SECONDS: 30})
    )
    await report(hass)
    await set_number(hass, DO_LOWER, 5)
    await readings(hass, 4.0)
    # The timer runs while the clock reads only a few seconds later.
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=5), True)
    await hass.async_block_till_done()
    assert current(hass, DO_ALARM).state == STATE_UNKNOWN
    await tick(hass, freezer, 30)
    assert current(hass, DO_ALARM).state == STATE_ON


async def test_a_reading_inside_stops_the_clock(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """Back inside before the debounce time: the timer turns nothing on."""
    await setup_hub(
        hass, make_entry(**{CONF_ALARM_READINGS: 10, CONF_ALARM_SECONDS: 30})
    )
    await report(hass)
    await set_number(hass, DO_LOWER, 5)
    events = async_capture_events(hass, EVENT_THRESHOLD)
    await readings(hass, 4.0)
    await tick(hass, freezer, 20)
    await readings(hass, 5.5)
    # Well past the 30 s since the reading outside.
    await tick(hass, freezer, 20)
    assert current(hass, DO_ALARM).state == STATE_OFF
    assert events == []


# --- hysteresis ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("init_integration")
async def test_off_only_back_inside_by_the_margin(hass: HomeAssistant) -> None:
    """A value hovering at the limit keeps the alarm on; 0.3 mg/L above clears it."""
    events = async_capture_events(hass, EVENT_THRESHOLD)
    await set_number(hass, DO_LOWER, 5)
    await readings(hass, 4.0, 4.0, 4.0)
    assert current(hass, DO_ALARM).state == STATE_ON

    await readings(hass, 5.0, 5.1, 4.9, 5.2, 5.29)
    assert current(hass, DO_ALARM).state == STATE_ON
    await readings(hass, 5.3)

    state = current(hass, DO_ALARM)
    assert state.state == STATE_OFF
    assert state.attributes["value"] == 5.3
    assert state.attributes["limit"] is None
    assert [(e.data["state"], e.data["limit"], e.data["value"]) for e in events] == [
        ("on", "lower", 4.0),
        ("off", "lower", 5.3),
    ]


async def test_hysteresis_from_the_options(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """The margin of each quantity comes from the options."""
    await setup_hub(hass, make_entry(hysteresis_dissolved_oxygen=1.0))
    await report(hass)
    await set_number(hass, DO_LOWER, 5)
    await readings(hass, 4.0, 4.0, 4.0, 5.9)
    assert current(hass, DO_ALARM).state == STATE_ON
    await readings(hass, 6.0)
    assert current(hass, DO_ALARM).state == STATE_OFF


# --- unknown ------------------------------------------------------------------------------------


async def test_unknown_while_the_value_is(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A water level without pond geometry is unknown, and so is its alarm."""
    await setup_hub(hass)
    await report(hass)
    alarm = "binary_sensor.pond_1_water_level_alarm"
    await set_number(hass, "number.pond_1_water_level_lower_limit", 30)
    await readings(hass, 60, 60, 60, key="water1")
    assert current(hass, "sensor.pond_1_water_level").state == STATE_UNKNOWN
    assert current(hass, alarm).state == STATE_UNKNOWN

    await set_number(hass, "number.pond_1_sensor_height", 100)
    await set_number(hass, "number.pond_1_tank_depth", 80)
    # 100 - 90 cm of 80 cm: 12.5 %, below 30 % three times.
    await readings(hass, 90, 90, 90, key="water1")
    state = current(hass, alarm)
    assert state.state == STATE_ON
    assert state.attributes["value"] == 12.5


async def test_alarms_show_the_same_after_a_restart(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A reload keeps an alarm on, fires no event again, and it turns off as before.

    The controller was heard within the timeout, so its alarms come back with it.
    """
    entry = await setup_hub(hass)
    await report(hass)
    events = async_capture_events(hass, EVENT_THRESHOLD)
    await set_number(hass, DO_LOWER, 5)
    await readings(hass, 4.0, 4.0, 4.0)
    on = current(hass, DO_ALARM)
    assert on.state == STATE_ON

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    again = current(hass, DO_ALARM)
    assert again.state == STATE_ON
    assert again.attributes == on.attributes
    await readings(hass, 4.0)
    assert [event.data["state"] for event in events] == ["on"]
    await readings(hass, 6.0)
    assert current(hass, DO_ALARM).state == STATE_OFF
    assert [event.data["state"] for event in events] == ["on", "off"]


async def test_alarms_of_a_silent_controller_start_unknown(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """Heard longer ago than the timeout: its alarms are decided afresh."""
    entry = await setup_hub(hass)
    await report(hass)
    await set_number(hass, DO_LOWER, 5)
    await readings(hass, 4.0, 4.0, 4.0)
    freezer.tick(timedelta(minutes=2))
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()

    send(hass, "startup", STARTUP)
    await hass.async_block_till_done()
    assert current(hass, DO_ALARM).state == STATE_UNKNOWN
    await readings(hass, 4.0, 4.0, 4.0)
    assert current(hass, DO_ALARM).state == STATE_ON


# --- limits and profiles --------------------------------------------------------------------------


@pytest.mark.usefixtures("init_integration")
async def test_profile_sets_the_limits_it_defines(hass: HomeAssistant) -> None:
    """Tilapia sets four quantities' limits; turbidity keeps what the user set."""
    await set_number(hass, f"number.{CONTROLLER}_turbidity_upper_limit", 50)
    await set_number(hass, DO_UPPER, 15)

    await choose(hass, "nile_tilapia")

    expected = {
        "water_temperature_lower": "17.0",
        "water_temperature_upper": "35.0",
        "dissolved_oxygen_lower": "4.0",
        # Tilapia has no upper oxygen limit: the one set by hand is unset.
        "dissolved_oxygen_upper": STATE_UNKNOWN,
        "ph_lower": "6.0",
        "ph_upper": "9.0",
        "ammonia_lower": STATE_UNKNOWN,
        "ammonia_upper": "0.06",
        "turbidity_upper": "50.0",
        "turbidity_lower": STATE_UNKNOWN,
    }
    assert {
        key: current(hass, f"number.{CONTROLLER}_{key}_limit").state for key in expected
    } == expected
    assert current(hass, PROFILE).state == "nile_tilapia"

    # Goldfish have no temperature limits: tilapia's are not left behind.
    await choose(hass, "goldfish")
    assert current(
        hass, f"number.{CONTROLLER}_water_temperature_lower_limit"
    ).state == (STATE_UNKNOWN)
    assert current(hass, f"number.{CONTROLLER}_ph_upper_limit").state == "8.0"

    # Custom changes no limit.
    await choose(hass, "custom")
    assert current(hass, PROFILE).state == "custom"
    assert current(hass, f"number.{CONTROLLER}_ph_upper_limit").state == "8.0"


@pytest.mark.usefixtures("init_integration")
async def test_profile_change_applies_to_alarms(hass: HomeAssistant) -> None:
    """A profile's limits judge the next readings; removed limits leave no alarm."""
    temperature_alarm = f"binary_sensor.{CONTROLLER}_water_temperature_alarm"
    await choose(hass, "rainbow_trout")
    await readings(hass, 22.0, 22.0, 22.0, key="temperature")
    assert current(hass, temperature_alarm).state == STATE_ON

    await choose(hass, "nile_tilapia")
    await readings(hass, 22.0, key="temperature")
    assert current(hass, temperature_alarm).state == STATE_OFF

    await choose(hass, "goldfish")
    assert current(hass, temperature_alarm).state == STATE_UNKNOWN


@pytest.mark.usefixtures("init_integration")
async def test_changing_a_limit_by_hand_makes_the_profile_custom(
    hass: HomeAssistant,
) -> None:
    """Only limits the profiles set; the same value again changes nothing."""
    await choose(hass, "channel_catfish")
    await set_number(hass, DO_LOWER, 5)
    assert current(hass, PROFILE).state == "channel_catfish"
    await set_number(hass, f"number.{CONTROLLER}_battery_lower_limit", 20)
    assert current(hass, PROFILE).state == "channel_catfish"
    await set_number(hass, "number.pond_2_feed_level_lower_limit", 15)
    assert current(hass, PROFILE).state == "channel_catfish"

    await set_number(hass, DO_LOWER, 4.5)
    assert current(hass, PROFILE).state == "custom"
    assert current(hass, DO_LOWER).state == "4.5"


async def clear_limits(hass: HomeAssistant, *entity_ids: str) -> None:
    """Clear limits with the `clear_limit` action."""
    await hass.services.async_call(
        DOMAIN, "clear_limit", {ATTR_ENTITY_ID: list(entity_ids)}, blocking=True
    )


@pytest.mark.usefixtures("init_integration")
async def test_clearing_a_limit_ends_its_alarm(hass: HomeAssistant) -> None:
    """A cleared limit is unknown again, and so is an alarm with no limit left."""
    events = async_capture_events(hass, EVENT_THRESHOLD)
    await choose(hass, "nile_tilapia")
    await readings(hass, 3.0, 3.0, 3.0)
    assert current(hass, DO_ALARM).state == STATE_ON

    await clear_limits(hass, DO_LOWER, "number.pond_1_feed_level_lower_limit")

    assert current(hass, DO_LOWER).state == STATE_UNKNOWN
    assert current(hass, PROFILE).state == "custom"
    assert current(hass, DO_ALARM).state == STATE_UNKNOWN
    await readings(hass, 2.0, 2.0, 2.0)
    assert current(hass, DO_ALARM).state == STATE_UNKNOWN
    assert [event.data["state"] for event in events] == ["on"]


@pytest.mark.usefixtures("init_integration")
async def test_clearing_one_side_keeps_the_other(hass: HomeAssistant) -> None:
    """With pH 6-9, clearing the lower limit still alarms above 9."""
    await choose(hass, "nile_tilapia")
    ph_lower = f"number.{CONTROLLER}_ph_lower_limit"
    await clear_limits(hass, ph_lower)
    await readings(hass, 4.0, 4.0, 4.0, key="ph")
    ph_alarm = f"binary_sensor.{CONTROLLER}_ph_alarm"
    assert current(hass, ph_alarm).state == STATE_OFF
    await readings(hass, 9.5, 9.5, 9.5, key="ph")
    assert current(hass, ph_alarm).state == STATE_ON
    assert current(hass, ph_alarm).attributes["limit"] == "upper"


@pytest.mark.usefixtures("init_integration")
async def test_only_limits_can_be_cleared(hass: HomeAssistant) -> None:
    """A pond setting is not a limit: a translated error, nothing changes."""
    setting = "number.pond_1_feed_amount"
    before = current(hass, setting).state
    with pytest.raises(ServiceValidationError) as err:
        await clear_limits(hass, setting)
    assert err.value.translation_key == "not_a_limit"
    assert err.value.translation_placeholders == {"entity_id": setting}
    assert current(hass, setting).state == before


async def test_a_cleared_limit_is_pushed_as_the_range_end(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """With pushing on, the controller gets a value on which it never triggers."""
    await push_hub(hass)
    sent = answer_commands(hass, mqtt_mock, complete={"success": True})
    await set_number(hass, DO_LOWER, 4.5)
    await clear_limits(hass, DO_LOWER)
    await pushes_done(hass)
    assert [(c["p"], c["l"], c["u"]) for c in sent] == [
        ("do", 4.5, 20),
        ("do", 0, 20),
    ]


@pytest.mark.usefixtures("init_integration")
async def test_lower_limit_must_be_below_the_upper(hass: HomeAssistant) -> None:
    """An impossible pair is refused with a translated error; nothing changes."""
    await choose(hass, "nile_tilapia")
    ph_lower = f"number.{CONTROLLER}_ph_lower_limit"
    with pytest.raises(ServiceValidationError) as err:
        await set_number(hass, ph_lower, 9)
    assert err.value.translation_key == "limits_order"
    assert err.value.translation_placeholders == {"lower": "9", "upper": "9"}
    with pytest.raises(ServiceValidationError):
        await set_number(hass, f"number.{CONTROLLER}_ph_upper_limit", 5.5)
    assert current(hass, ph_lower).state == "6.0"
    assert current(hass, PROFILE).state == "nile_tilapia"


@pytest.mark.usefixtures("init_integration")
async def test_pond_alarm(hass: HomeAssistant) -> None:
    """A pond's feed level alarm names the pond and its device."""
    events = async_capture_events(hass, EVENT_THRESHOLD)
    await set_number(hass, "number.pond_2_feed_level_lower_limit", 20)
    await readings(hass, 10, 10, 10, key="feed2")
    assert current(hass, "binary_sensor.pond_2_feed_level_alarm").state == STATE_ON
    assert current(hass, "binary_sensor.pond_1_feed_level_alarm").state == (
        STATE_UNKNOWN
    )
    pond = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, f"{DEVICE_ID}_pond2"), current_entry(hass).entry_id
    )
    assert pond is not None
    (event,) = events
    assert (event.data["pond"], event.data["device_id"], event.data["quantity"]) == (
        2,
        pond.id,
        "feed_level",
    )


async def test_limits_and_profile_survive_a_restart(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, hass_storage: dict[str, Any]
) -> None:
    """Limits and profile are stored with the controller and come back."""
    entry = await setup_hub(hass)
    await report(hass)
    await choose(hass, "whiteleg_shrimp")
    await set_number(hass, "number.pond_1_water_level_lower_limit", 25)

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()

    stored = hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"]["controllers"]
    assert stored[DEVICE_ID]["settings"][DISSOLVED_OXYGEN_LOWER] == 4
    assert "limit_dissolved_oxygen_upper" not in stored[DEVICE_ID]["settings"]
    assert current(hass, PROFILE).state == "whiteleg_shrimp"
    assert current(hass, DO_LOWER).state == "4.0"
    assert current(hass, DO_UPPER).state == STATE_UNKNOWN
    assert current(hass, "number.pond_1_water_level_lower_limit").state == "25.0"
    # The restored limits judge readings again.
    send(hass, "startup", STARTUP)
    await readings(hass, 3.0, 3.0, 3.0)
    assert current(hass, DO_ALARM).state == STATE_ON


async def test_storage_from_before_alarms_loads(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, hass_storage: dict[str, Any]
) -> None:
    """A controller stored without settings comes back with no limits."""
    entry = make_entry()
    hass_storage[f"{DOMAIN}.{entry.entry_id}"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.{entry.entry_id}",
        "data": {
            "controllers": {
                DEVICE_ID: {
                    "topic_id": MAC,
                    "device_name": None,
                    "firmware_version": "1.0.0",
                    "hardware_version": None,
                    "device_type": None,
                    "ponds": {"1": {"sensor_height": 150}},
                }
            }
        },
    }
    await setup_hub(hass, entry)
    registry = er.async_get(hass)

    def entity_id(platform: str, key: str) -> str:
        # No device registry entry yet, so not the usual entity ids.
        found = registry.async_get_entity_id(platform, DOMAIN, key)
        assert found is not None, key
        return found

    assert current(hass, entity_id("select", f"{DEVICE_ID}_species_profile")).state == (
        "custom"
    )
    assert current(
        hass, entity_id("number", f"{DEVICE_ID}_{DISSOLVED_OXYGEN_LOWER}")
    ).state == (STATE_UNKNOWN)
    assert current(
        hass, entity_id("number", f"{DEVICE_ID}_pond1_sensor_height")
    ).state == ("150")


# --- pushing limits to the controller ---------------------------------------------------------


async def push_hub(hass: HomeAssistant) -> Any:
    """Set up a hub that pushes limits, with a controller that reported."""
    entry = await setup_hub(hass, make_entry(**{CONF_PUSH_LIMITS: True}))
    await report(hass)
    return entry


async def pushes_done(hass: HomeAssistant) -> None:
    """Wait for the background pushes and the controller's answers."""
    await hass.async_block_till_done(wait_background_tasks=True)


def push_issue(hass: HomeAssistant) -> ir.IssueEntry | None:
    """Return the repair issue about limits that did not reach the controller."""
    return ir.async_get(hass).async_get_issue(DOMAIN, PUSH_ISSUE)


async def test_push_sends_the_real_limits(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A profile sends temperature, oxygen and pH; unset limits as the range's end."""
    await push_hub(hass)
    sent = answer_commands(hass, mqtt_mock, complete={"success": True})

    await choose(hass, "nile_tilapia")
    await pushes_done(hass)

    assert [
        (command["type"], command["pos"], command["p"], command["l"], command["u"])
        for command in sent
    ] == [
        ("THRESH", 1, "temp", 17, 35),
        ("THRESH", 1, "do", 4, 20),
        ("THRESH", 1, "ph", 6, 9),
    ]
    assert push_issue(hass) is None

    # A change by hand sends that quantity only; ammonia is not THRESH's.
    await set_number(hass, DO_LOWER, 4.5)
    await set_number(hass, f"number.{CONTROLLER}_ammonia_upper_limit", 0.05)
    await pushes_done(hass)
    assert [(c["p"], c["l"], c["u"]) for c in sent[3:]] == [("do", 4.5, 20)]


async def test_push_failure_raises_a_repair_issue_until_a_success(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A refusal shows a repair issue naming what failed; the next success clears it."""
    await push_hub(hass)
    answer_commands(hass, mqtt_mock, ack={"success": False, "message": "limits locked"})
    await set_number(hass, DO_LOWER, 4.5)
    await pushes_done(hass)

    issue = push_issue(hass)
    assert issue is not None
    assert issue.translation_key == "push_limits_failed"
    assert issue.severity is ir.IssueSeverity.WARNING
    placeholders = issue.translation_placeholders or {}
    assert placeholders["controller"] == "Pond controller 4134"
    assert placeholders["errors"].startswith("- do: ")
    assert "limits locked" in placeholders["errors"]
    # The limit itself was set: the user's change never waits for the controller.
    assert current(hass, DO_LOWER).state == "4.5"

    answer_commands(hass, mqtt_mock, complete={"success": True})
    await set_number(hass, DO_LOWER, 4.0)
    await pushes_done(hass)
    assert push_issue(hass) is None


async def test_push_to_an_offline_controller_fails(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """An offline controller cannot take limits: the issue says so, per parameter."""
    await push_hub(hass)
    answer_commands(hass, mqtt_mock, complete={"success": True})
    send(hass, "status", "offline")
    await hass.async_block_till_done()

    await choose(hass, "rainbow_trout")
    await pushes_done(hass)

    issue = push_issue(hass)
    assert issue is not None
    errors = (issue.translation_placeholders or {})["errors"].splitlines()
    assert [line.split(":")[0] for line in errors] == ["- do", "- ph", "- temp"]
    assert "offline" in errors[0]

    # Back online: what failed is sent again by itself, and the issue resolves.
    sent = answer_commands(hass, mqtt_mock, complete={"success": True})
    send(hass, "heartbeat", STARTUP)
    await pushes_done(hass)
    assert sorted((c["p"], c["l"], c["u"]) for c in sent) == [
        ("do", 6, 20),
        ("ph", 6.5, 9),
        ("temp", 0, 19),
    ]
    assert push_issue(hass) is None


async def test_a_booted_controller_gets_its_limits_again(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """After a boot every quantity with a limit is sent again; nothing else is."""
    await push_hub(hass)
    sent = answer_commands(hass, mqtt_mock, complete={"success": True})
    await set_number(hass, DO_LOWER, 4.5)
    await pushes_done(hass)
    assert [(c["p"], c["l"], c["u"]) for c in sent] == [("do", 4.5, 20)]

    send(hass, "startup", STARTUP)
    await pushes_done(hass)
    assert [(c["p"], c["l"], c["u"]) for c in sent[1:]] == [("do", 4.5, 20)]

    # A heartbeat of a controller that never went away sends nothing.
    send(hass, "heartbeat", STARTUP)
    await pushes_done(hass)
    assert len(sent) == 2


async def test_a_boot_sends_nothing_without_limits_or_the_option(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """No limit set, or pushing off: a boot publishes no THRESH."""
    await push_hub(hass)
    sent = answer_commands(hass, mqtt_mock, complete={"success": True})
    send(hass, "startup", STARTUP)
    await pushes_done(hass)
    assert sent == []


async def test_nothing_is_pushed_by_default(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, init_integration: MockConfigEntry
) -> None:
    """Pushing is an option, off unless chosen."""
    sent = answer_commands(hass, mqtt_mock, complete={"success": True})
    await choose(hass, "nile_tilapia")
    await pushes_done(hass)
    assert sent == []


async def test_a_push_home_assistant_cancels_is_not_a_failure(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Commands cancelled because the hub stops raise no repair issue."""
    entry = await push_hub(hass)
    answer_commands(hass, mqtt_mock, ack=None)  # the controller never answers
    await set_number(hass, DO_LOWER, 4.5)
    await hass.async_block_till_done()
    # What unloading does first; the push then learns its command was cancelled.
    entry.runtime_data.commands.async_stop()
    await pushes_done(hass)
    assert push_issue(hass) is None
    assert await hass.config_entries.async_unload(entry.entry_id)


# --- controllers' own alarms ------------------------------------------------------------------

ALARM = {
    "device_id": MAC,
    "timestamp": "2026-05-01T03:12:00Z",
    "pond_position": 1,
    "parameter": "do",
    "value": 3.1,
    "lower": 4.0,
    "upper": None,
    "message": "do 3.1 is below the lower limit 4.0",
}


@pytest.mark.usefixtures("init_integration")
async def test_controller_alarm_until_the_value_is_back(hass: HomeAssistant) -> None:
    """On with the controller's details; off once a reading is within its limits."""
    events = async_capture_events(hass, EVENT_CONTROLLER_ALARM)
    send(hass, "threshold", ALARM)
    await hass.async_block_till_done()

    state = current(hass, CONTROLLER_ALARM)
    assert state.state == STATE_ON
    assert {
        key: state.attributes[key]
        for key in ("parameter", "value", "lower", "upper", "pond", "message")
    } == {
        "parameter": "do",
        "value": 3.1,
        "lower": 4.0,
        "upper": None,
        "pond": 1,
        "message": "do 3.1 is below the lower limit 4.0",
    }
    (event,) = events
    assert event.data["controller"] == DEVICE_ID
    assert event.data["timestamp"] == "2026-05-01T03:12:00+00:00"
    assert event.data["parameter"] == "do"

    await readings(hass, 3.5)
    assert current(hass, CONTROLLER_ALARM).state == STATE_ON
    await readings(hass, 4.2)
    assert current(hass, CONTROLLER_ALARM).state == STATE_OFF


@pytest.mark.usefixtures("init_integration")
async def test_controller_alarm_of_a_pond(hass: HomeAssistant) -> None:
    """A pond reading ends it, and only that pond's."""
    send(
        hass,
        "threshold",
        {"parameter": "feed", "pond_position": 2, "value": 10, "lower": 20},
    )
    await hass.async_block_till_done()
    await readings(hass, 30, key="feed1")
    assert current(hass, CONTROLLER_ALARM).state == STATE_ON
    await readings(hass, 30, key="feed2")
    assert current(hass, CONTROLLER_ALARM).state == STATE_OFF


async def test_controller_alarm_without_limits_ends_after_a_while(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """Nothing to compare with: off ten minutes after the controller last raised it."""
    await setup_hub(hass, make_entry(heartbeat_timeout=3600))
    await report(hass)
    send(hass, "threshold", {"parameter": "salinity", "value": 9})
    await hass.async_block_till_done()
    await tick(hass, freezer, 9 * 60)
    # Readings say nothing about it.
    await report(hass)
    assert current(hass, CONTROLLER_ALARM).state == STATE_ON
    send(hass, "threshold", {"parameter": "salinity", "value": 9})
    await hass.async_block_till_done()
    await tick(hass, freezer, 9 * 60)
    assert current(hass, CONTROLLER_ALARM).state == STATE_ON
    await tick(hass, freezer, 60)
    assert current(hass, CONTROLLER_ALARM).state == STATE_OFF


HOSTILE: list[Any] = [
    pytest.param(b"\xff\xfe\x00", id="not-utf8"),
    pytest.param("not json", id="not-json"),
    pytest.param("[1, 2, 3]", id="not-an-object"),
    pytest.param("{" * 50 + "}" * 50, id="deep"),
    pytest.param(json.dumps({"x": "a" * MAX_PAYLOAD_BYTES}), id="too-large"),
]
HOSTILE_OBJECTS: list[Any] = [
    pytest.param({}, id="empty"),
    pytest.param(
        '{"parameter": "do", "value": NaN, "lower": Infinity, "upper": -Infinity}',
        id="not-finite",
    ),
    pytest.param(
        {
            "parameter": {"do": 1},
            "value": "3.1",
            "lower": [4],
            "pond_position": 7,
            "message": "\x00\x1b[31m" + "x" * 5000,
            "timestamp": "yesterday",
        },
        id="wrong-types",
    ),
    pytest.param({"parameter": "x" * 500, "value": True}, id="long-parameter"),
]


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize("payload", HOSTILE)
async def test_unreadable_controller_alarms_are_dropped(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, payload: Any
) -> None:
    """What is not a JSON object is counted and dropped; nothing raises."""
    events = async_capture_events(hass, EVENT_CONTROLLER_ALARM)
    send(hass, "threshold", payload)
    await hass.async_block_till_done()
    assert current(hass, CONTROLLER_ALARM).state == STATE_OFF
    assert events == []
    (controller,) = (await diagnostics(hass, hass_client))["controllers"]
    assert any(key.startswith("threshold: ") for key in controller["stats"]["dropped"])


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize("payload", HOSTILE_OBJECTS)
async def test_odd_controller_alarms_are_shown_as_far_as_readable(
    hass: HomeAssistant, payload: Any
) -> None:
    """A JSON object is an alarm; unreadable fields are left out, never raised."""
    events = async_capture_events(hass, EVENT_CONTROLLER_ALARM)
    send(hass, "threshold", payload)
    await hass.async_block_till_done()
    state = current(hass, CONTROLLER_ALARM)
    assert state.state == STATE_ON
    assert state.attributes["pond"] is None
    assert state.attributes["lower"] is None
    (event,) = events
    json.dumps(event.data)  # what the logbook and automations get is plain JSON
    assert all(
        value is None or isinstance(value, (str, int, float))
        for value in event.data.values()
    )


async def test_alarms_of_unknown_controllers_create_nothing(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """An alarm only makes sense from a controller that is already known."""
    entry = await setup_hub(hass)
    send(hass, "threshold", ALARM, device=OTHER_MAC)
    await hass.async_block_till_done()
    assert dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id) == []
    assert hass.states.async_entity_ids() == []


# --- life cycle -------------------------------------------------------------------------------


async def test_deleting_a_controller_drops_its_timers_and_issue(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_ws_client: WebSocketGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A deleted controller leaves no timer running and no repair issue behind.

    Its two debouncing alarms and its own alarm would have turned on (or off)
    within the hour; nothing fires and nothing is published once it is deleted.
    """
    assert await async_setup_component(hass, "config", {})
    entry = await setup_hub(
        hass, make_entry(**{CONF_PUSH_LIMITS: True, CONF_ALARM_READINGS: 10})
    )
    await report(hass)
    answer_commands(hass, mqtt_mock, ack={"success": False})
    await set_number(hass, DO_LOWER, 5)
    await set_number(hass, "number.pond_1_feed_level_lower_limit", 90)
    await pushes_done(hass)
    await readings(hass, 4.0)
    await readings(hass, 50, key="feed1")
    send(hass, "threshold", {"parameter": "salinity"})
    await hass.async_block_till_done()
    assert push_issue(hass) is not None

    send(hass, "status", "offline")
    await hass.async_block_till_done()
    client = await hass_ws_client(hass)
    registry = dr.async_get(hass)
    for key in (f"{DEVICE_ID}_pond1", DEVICE_ID):
        device = registry.async_get_device_by_identifier((DOMAIN, key), entry.entry_id)
        assert device is not None
        assert (await client.remove_device(device.id))["success"]
    assert push_issue(hass) is None

    events = async_capture_events(hass, EVENT_THRESHOLD)
    controller_alarms = async_capture_events(hass, EVENT_CONTROLLER_ALARM)
    changes = async_capture_events(hass, EVENT_STATE_CHANGED)
    mqtt_mock.async_publish.reset_mock()
    await tick(hass, freezer, 3600)
    await hass.async_block_till_done()
    assert events == controller_alarms == changes == []
    assert mqtt_mock.async_publish.call_count == 0


async def test_unload_cancels_the_debounce_timers(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """Unloading leaves no alarm timer behind: nothing turns on afterwards.

    A timer left behind would also fail the test as lingering.
    """
    entry = await setup_hub(hass, make_entry(**{CONF_ALARM_READINGS: 10}))
    await report(hass)
    await set_number(hass, DO_LOWER, 5)
    await readings(hass, 4.0)
    events = async_capture_events(hass, EVENT_THRESHOLD)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await tick(hass, freezer, 3600)
    await hass.async_block_till_done()
    assert events == []
