"""The Future Fish actions: what they send, what they return, and what they refuse."""

import asyncio
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
from typing import Any, Final

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.number import ATTR_VALUE, SERVICE_SET_VALUE
from homeassistant.const import ATTR_DEVICE_ID, ATTR_ENTITY_ID, STATE_ON, STATE_UNKNOWN
from homeassistant.core import (
    Event,
    EventStateChangedData,
    HomeAssistant,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.helpers.service import async_get_all_descriptions
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import probatio
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.future_fish import actions, services
from custom_components.future_fish.alarms import CONTROLLER_QUANTITIES, POND_QUANTITIES
from custom_components.future_fish.const import DOMAIN

from .common import (
    DEVICE_ID,
    MAC,
    answer_commands,
    command_id,
    device_id,
    make_entry,
    report,
    send,
    setup_hub,
)

NOW: Final = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
SENT_AT: Final = "2026-11-27T08:00:00Z"
CONTROLLER: Final = DEVICE_ID
POND_1: Final = f"{DEVICE_ID}_pond1"
POND_2: Final = f"{DEVICE_ID}_pond2"
CONTROLLER_NAME: Final = "Pond controller 4134"
LAST_COMMAND: Final = "sensor.pond_controller_4134_last_command"
FIRMWARE_URL: Final = "https://firmware.example.com/future-fish/1.2.0.bin"
LEVELS: Final = ("level", "drain_level", "fill_level")
ACTIONS: Final = ("feed", "water", "update_firmware", "reboot", "set_threshold")
STRINGS: Final = Path(services.__file__).parent / "strings.json"
# Stands for the id the hub chose in the commands the tests expect.
ID: Final = "<id>"


@pytest.fixture
async def entry(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> MockConfigEntry:
    """Return a hub whose controller reports two ponds; pond 1 has its geometry.

    Pond 1's sensor hangs 150 cm above the tank floor and the tank is 120 cm deep,
    so a level of L % is a distance of 150 - 1.2 L cm.
    """
    freezer.move_to(NOW)
    entry = await setup_hub(hass)
    await report(hass)
    for key, value in (("sensor_height", 150), ("tank_depth", 120)):
        await hass.services.async_call(
            "number",
            SERVICE_SET_VALUE,
            {ATTR_ENTITY_ID: f"number.pond_1_{key}", ATTR_VALUE: value},
            blocking=True,
        )
    return entry


async def call(
    hass: HomeAssistant, name: str, device: str, /, **data: Any
) -> ServiceResponse:
    """Call an action on a device (given by its key) as a script asking for data."""
    return await hass.services.async_call(
        DOMAIN,
        name,
        {ATTR_DEVICE_ID: device_id(hass, device), **data},
        blocking=True,
        return_response=True,
    )


def standard(command_type: str, pond: int, parameters: dict[str, Any]) -> Any:
    """Return a command in the standard envelope."""
    return {
        "command_id": ID,
        "command_type": command_type,
        "pond_position": pond,
        "parameters": parameters,
        "timestamp": SENT_AT,
    }


def compact(command_type: str, pond: int, **fields: Any) -> Any:
    """Return a command in the compact envelope."""
    return {"id": ID, "type": command_type, "pos": pond, **fields}


def with_id(command: dict[str, Any], command_id: str) -> dict[str, Any]:
    """Return `command` with the id the hub chose in place of the placeholder."""
    key = "command_id" if "command_id" in command else "id"
    return {**command, key: command_id}


def response(
    published: dict[str, Any],
    pond: int | None,
    *,
    device: str,
    request: dict[str, float] | None = None,
    state: str = "acknowledged",
) -> dict[str, Any]:
    """Return the response data expected for a published command.

    `device` is the registry id of the pond or controller commanded, `request` the
    levels in % the action was given.
    """
    if "command_type" in published:
        command_type, parameters = published["command_type"], published["parameters"]
    else:
        command_type = published["type"]
        parameters = {
            key: value
            for key, value in published.items()
            if key not in {"id", "type", "pos"}
        }
    return {
        "command_id": command_id(published),
        "command_type": command_type,
        "device_id": device,
        "controller": DEVICE_ID,
        "pond": pond,
        "parameters": parameters,
        "request": request or {},
        "state": state,
        "attempts": 1,
        # Time is frozen: the answers came "at once".
        "ms_to_ack": 0,
        "ms_to_complete": 0 if state == "completed" else None,
        "message": None,
        "error_code": None,
        "error_details": None,
    }


async def test_actions_are_registered_without_a_hub(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """The actions exist before any hub is set up, and may return data."""
    assert await async_setup_component(hass, DOMAIN, {})

    for action in ACTIONS:
        assert hass.services.supports_response(DOMAIN, action) == (
            SupportsResponse.OPTIONAL
        )


@pytest.mark.parametrize(
    ("action", "device", "data", "command", "pond"),
    [
        (
            "feed",
            POND_1,
            {"amount": 50},
            standard("FEED", 1, {"amount": 50, "unit": "grams"}),
            1,
        ),
        (
            "feed",
            POND_2,
            {"amount": "12.5"},
            standard("FEED", 2, {"amount": 12.5, "unit": "grams"}),
            2,
        ),
        (
            "water",
            POND_1,
            {"action": "fill", "level": 80},
            standard("WATER_FILL", 1, {"action": "WATER_FILL", "level": 54}),
            1,
        ),
        (
            "water",
            POND_1,
            {"action": "drain", "level": 25},
            standard("WATER_DRAIN", 1, {"action": "WATER_DRAIN", "level": 120}),
            1,
        ),
        (
            "water",
            POND_1,
            {"action": "flush", "drain_level": 25, "fill_level": 90},
            compact("FLUSH", 1, d=120, f=42),
            1,
        ),
        *(
            (
                "water",
                POND_2,
                {"action": action},
                standard(command, 2, {"action": command, "level": None}),
                2,
            )
            for action, command in (
                ("inlet_open", "WATER_INLET_OPEN"),
                ("inlet_close", "WATER_INLET_CLOSE"),
                ("outlet_open", "WATER_OUTLET_OPEN"),
                ("outlet_close", "WATER_OUTLET_CLOSE"),
            )
        ),
        (
            "update_firmware",
            CONTROLLER,
            {"url": FIRMWARE_URL},
            compact("FW", 1, url=FIRMWARE_URL),
            None,
        ),
        ("reboot", CONTROLLER, {}, standard("REBOOT", 1, {}), None),
        (
            "set_threshold",
            CONTROLLER,
            {"parameter": "temp", "lower": 22, "upper": 30},
            compact("THRESH", 1, p="temp", u=30, l=22),
            None,
        ),
        (
            "set_threshold",
            POND_2,
            {"parameter": "ph", "lower": 6.5, "upper": 8.5},
            compact("THRESH", 2, p="ph", u=8.5, l=6.5),
            2,
        ),
    ],
)
async def test_action_publishes_command_and_returns_it(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    entry: MockConfigEntry,
    *,
    action: str,
    device: str,
    data: dict[str, Any],
    command: dict[str, Any],
    pond: int | None,
) -> None:
    """Each action publishes its command once and returns it once acknowledged.

    Levels in % arrive as distances computed from the pond's geometry.
    """
    published = answer_commands(hass, mqtt_mock)

    result = await call(hass, action, device, **data)

    assert len(published) == 1
    assert published == [with_id(command, command_id(published[0]))]
    assert len(command_id(published[0])) == 32
    topic, _, qos, retain = mqtt_mock.async_publish.call_args.args
    assert (topic, qos, retain) == (f"ff/{MAC}/commands", 2, False)
    levels = {key: data[key] for key in LEVELS if key in data}
    assert result == response(
        published[0], pond, device=device_id(hass, device), request=levels
    )


async def test_response_data_only_when_asked(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, entry: MockConfigEntry
) -> None:
    """A plain call still sends and waits, but returns nothing."""
    published = answer_commands(hass, mqtt_mock)

    result = await hass.services.async_call(
        DOMAIN,
        "feed",
        {ATTR_DEVICE_ID: device_id(hass, POND_1), "amount": 20},
        blocking=True,
    )

    assert result is None
    assert len(published) == 1


def acknowledged(hass: HomeAssistant) -> asyncio.Event:
    """Return an event set once the controller's Last command shows an ack."""
    event = asyncio.Event()

    @callback
    def changed(change: Event[EventStateChangedData]) -> None:
        if (state := change.data["new_state"]) and state.state == "acknowledged":
            event.set()

    async_track_state_change_event(hass, LAST_COMMAND, changed)
    return event


async def test_wait_for_completion_waits_for_complete(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, entry: MockConfigEntry
) -> None:
    """With wait_for_completion the action returns only after `complete`."""
    published = answer_commands(hass, mqtt_mock)
    ack = acknowledged(hass)
    task = hass.async_create_background_task(
        call(hass, "feed", POND_1, amount=50, wait_for_completion=True), "feed"
    )
    await ack.wait()
    await hass.async_block_till_done()

    assert not task.done()

    send(
        hass,
        "complete",
        {
            "command_id": command_id(published[0]),
            "success": True,
            "message": "fed 50 g",
            "execution_time_ms": 1500,
        },
    )
    result = await task

    assert result == {
        **response(published[0], 1, device=device_id(hass, POND_1), state="completed"),
        "message": "fed 50 g",
    }


async def test_wait_for_completion_times_out(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
) -> None:
    """A command acknowledged but never completed fails once its deadline passes."""
    answer_commands(hass, mqtt_mock)
    ack = acknowledged(hass)
    task = hass.async_create_background_task(
        call(hass, "feed", POND_1, amount=50, wait_for_completion=True), "feed"
    )
    await ack.wait()

    freezer.tick(timedelta(seconds=121))
    async_fire_time_changed(hass)

    with pytest.raises(HomeAssistantError) as err:
        await task
    assert err.value.translation_key == "command_timed_out"
    assert err.value.translation_placeholders == {
        "command": "FEED",
        "controller": CONTROLLER_NAME,
        "message": "not completed within 120 s",
        "error_code": "",
    }


async def test_reboot_completes_when_the_controller_starts(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, entry: MockConfigEntry
) -> None:
    """A reboot waited for ends with the controller's next startup."""
    published = answer_commands(hass, mqtt_mock, boot=True)

    result = await call(hass, "reboot", CONTROLLER, wait_for_completion=True)

    assert result == {
        **response(
            published[0], None, device=device_id(hass, CONTROLLER), state="completed"
        ),
        "message": "restarted",
    }


async def test_controller_refusal(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, entry: MockConfigEntry
) -> None:
    """An `ack` with success false fails the action with the controller's words."""
    answer_commands(
        hass,
        mqtt_mock,
        ack={"success": False, "message": "hopper empty", "error_code": "E_HOPPER"},
    )

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "feed", POND_1, amount=50)

    assert not isinstance(err.value, ServiceValidationError)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "command_rejected"
    assert err.value.translation_placeholders == {
        "command": "FEED",
        "controller": CONTROLLER_NAME,
        "message": "hopper empty",
        "error_code": "E_HOPPER",
    }


async def test_failure_after_acknowledgement(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, entry: MockConfigEntry
) -> None:
    """A `complete` with success false fails an action that waits for it."""
    answer_commands(
        hass,
        mqtt_mock,
        complete={"success": False, "message": "valve stuck", "error_code": "E_VALVE"},
    )

    with pytest.raises(HomeAssistantError) as err:
        await call(
            hass, "water", POND_1, action="outlet_open", wait_for_completion=True
        )

    assert err.value.translation_key == "command_failed"
    assert err.value.translation_placeholders == {
        "command": "WATER_OUTLET_OPEN",
        "controller": CONTROLLER_NAME,
        "message": "valve stuck",
        "error_code": "E_VALVE",
    }


async def test_offline_controller(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, entry: MockConfigEntry
) -> None:
    """Nothing is sent to a controller that is offline."""
    published = answer_commands(hass, mqtt_mock)
    send(hass, "status", "offline")
    await hass.async_block_till_done()

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "reboot", CONTROLLER)

    assert err.value.translation_key == "controller_offline"
    assert err.value.translation_placeholders == {
        "controller": CONTROLLER_NAME,
        "since": dt_util.as_local(NOW).strftime("%Y-%m-%d %H:%M:%S"),
    }
    assert published == []


@pytest.mark.parametrize(
    ("action", "device", "data", "key", "placeholders"),
    [
        # The wrong kind of device.
        (
            "feed",
            CONTROLLER,
            {"amount": 5},
            "device_not_pond",
            {"device": CONTROLLER_NAME},
        ),
        ("water", CONTROLLER, {"action": "inlet_open"}, "device_not_pond", None),
        ("reboot", POND_1, {}, "device_not_controller", {"device": "Pond 1"}),
        (
            "update_firmware",
            POND_2,
            {"url": FIRMWARE_URL},
            "device_not_controller",
            None,
        ),
        # Amounts, levels and geometry.
        ("feed", POND_1, {"amount": 0}, "feed_amount_invalid", {"maximum": "5000"}),
        ("feed", POND_1, {"amount": 5000.5}, "feed_amount_invalid", None),
        ("water", POND_2, {"action": "fill", "level": 50}, "geometry_missing", None),
        (
            "water",
            POND_1,
            {"action": "fill", "level": 130},
            "level_unreachable",
            {"pond": "Pond 1", "level": "130"},
        ),
        ("water", POND_1, {"action": "drain", "level": -1}, "level_unreachable", None),
        ("water", POND_1, {"action": "drain"}, "level_missing", {"action": "drain"}),
        (
            "water",
            POND_1,
            {"action": "flush", "drain_level": 20},
            "flush_levels_missing",
            None,
        ),
        (
            "water",
            POND_1,
            {"action": "flush", "drain_level": 60, "fill_level": 60},
            "flush_levels_order",
            {"drain": "60", "fill": "60"},
        ),
        # Firmware addresses.
        (
            "update_firmware",
            CONTROLLER,
            {"url": "http://firmware.example.com/1.2.0.bin"},
            "firmware_url_http",
            None,
        ),
        (
            "update_firmware",
            CONTROLLER,
            {"url": "ftp://firmware.example.com/1.2.0.bin"},
            "firmware_url_invalid",
            None,
        ),
        # Thresholds.
        (
            "set_threshold",
            CONTROLLER,
            {"parameter": "salinity", "lower": 1, "upper": 2},
            "threshold_parameter_unknown",
            {"parameter": "salinity", "known": "temp, do, ph, turbidity, ammonia"},
        ),
        (
            "set_threshold",
            POND_1,
            {"parameter": "ph", "lower": 8, "upper": 7},
            "threshold_limits_invalid",
            None,
        ),
        (
            "set_threshold",
            CONTROLLER,
            {"parameter": "ph", "lower": 6, "upper": 15},
            "threshold_limits_invalid",
            {
                "parameter": "ph",
                "lower": "6",
                "upper": "15",
                "minimum": "0",
                "maximum": "14",
            },
        ),
    ],
)
async def test_invalid_requests_are_refused_before_sending(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    entry: MockConfigEntry,
    *,
    action: str,
    device: str,
    data: dict[str, Any],
    key: str,
    placeholders: dict[str, str] | None,
) -> None:
    """Each invalid request gets its translated error and publishes nothing."""
    published = answer_commands(hass, mqtt_mock)

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, action, device, **data)

    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == key
    if placeholders is not None:
        assert err.value.translation_placeholders == placeholders
    assert published == []


async def test_http_firmware_where_the_hub_allows_it(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """The hub's option, not the action, decides whether http is acceptable."""
    await setup_hub(hass, make_entry(allow_http_firmware=True))
    await report(hass)
    published = answer_commands(hass, mqtt_mock)

    await call(hass, "update_firmware", CONTROLLER, url="http://10.0.0.2/fw.bin")

    assert published[0]["url"] == "http://10.0.0.2/fw.bin"


@pytest.mark.parametrize(
    ("identifiers", "action", "data", "key"),
    [
        (
            {(DOMAIN, "forgotten")},
            "set_threshold",
            {"parameter": "temp", "lower": 20, "upper": 30},
            "device_not_pond_or_controller",
        ),
        ({(DOMAIN, f"{DEVICE_ID}_pond7")}, "feed", {"amount": 5}, "device_not_pond"),
        ({("mqtt", "bridge")}, "reboot", {}, "device_not_controller"),
    ],
)
async def test_devices_the_hub_does_not_know(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    *,
    identifiers: set[tuple[str, str]],
    action: str,
    data: dict[str, Any],
    key: str,
) -> None:
    """A device of the hub's entry that is no controller or pond of it is refused."""
    device = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers=identifiers, name="Leftover"
    )

    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            action,
            {ATTR_DEVICE_ID: device.id, **data},
            blocking=True,
            return_response=True,
        )

    assert err.value.translation_key == key
    assert err.value.translation_placeholders == {"device": "Leftover"}


async def test_device_name_set_by_the_user_is_shown(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """The error names the device as the user named it."""
    device_registry.async_update_device(
        device_id(hass, CONTROLLER), name_by_user="Koi pond controller"
    )

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "feed", CONTROLLER, amount=5)

    assert err.value.translation_placeholders == {"device": "Koi pond controller"}


async def test_unknown_and_foreign_devices(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Home Assistant's own errors name unknown devices and other integrations'."""
    other = MockConfigEntry(domain="other")
    other.add_to_hass(hass)
    lamp = device_registry.async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("other", "lamp")}, name="Lamp"
    )

    for device, key in (
        ("no-such-device", "service_device_not_found"),
        (lamp.id, "service_device_wrong_domain"),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(
                DOMAIN, "reboot", {ATTR_DEVICE_ID: device}, blocking=True
            )
        assert err.value.translation_domain == "homeassistant"
        assert err.value.translation_key == key


async def test_unloaded_hub(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, entry: MockConfigEntry
) -> None:
    """The actions stay, and say that the device's hub is not loaded."""
    published = answer_commands(hass, mqtt_mock)
    assert await hass.config_entries.async_unload(entry.entry_id)

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "feed", POND_1, amount=5)

    assert err.value.translation_domain == "homeassistant"
    assert err.value.translation_key == "service_config_entry_not_loaded"
    assert published == []


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("water", {"action": "boil"}),
        ("feed", {"amount": "lots"}),
        ("feed", {}),
        ("set_threshold", {"parameter": "ph", "lower": 6}),
        ("reboot", {"wait_for_completion": "perhaps"}),
    ],
)
async def test_malformed_data_is_refused_by_the_schema(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    entry: MockConfigEntry,
    action: str,
    data: dict[str, Any],
) -> None:
    """Fields of the wrong type never reach the handler."""
    device = POND_1 if action in {"feed", "water"} else CONTROLLER

    with pytest.raises(probatio.Invalid):
        await call(hass, action, device, **data)


async def test_descriptions_and_translations(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """services.yaml loads, matches the schemas and actions.py, and is translated."""
    assert await async_setup_component(hass, DOMAIN, {})
    descriptions = (await async_get_all_descriptions(hass))[DOMAIN]
    strings = json.loads(STRINGS.read_text(encoding="utf-8"))
    registered = hass.services.async_services_for_domain(DOMAIN)

    assert (
        set(descriptions)
        == {
            *ACTIONS,
            *services.RECORDS,
            services.SERVICE_CLEAR_LIMIT,
            services.SERVICE_SET_LIMIT,
        }
        == set(registered)
    )
    for action in (*ACTIONS, *services.RECORDS, services.SERVICE_SET_LIMIT):
        fields = descriptions[action]["fields"]
        schema = registered[action].schema
        assert schema is not None
        assert set(fields) == {str(key) for key in schema.schema}
        translated = strings["services"][action]
        assert translated["name"]
        assert translated["description"]
        for field, spec in fields.items():
            assert translated["fields"][field]["name"], (action, field)
            assert translated["fields"][field]["description"], (action, field)
            if select := spec["selector"].get("select"):
                options = strings["selector"][select["translation_key"]]["options"]
                assert set(options) == set(select["options"])

    clear_limit = descriptions[services.SERVICE_CLEAR_LIMIT]
    assert clear_limit["fields"] == {}
    assert clear_limit["target"] == {
        "entity": [{"integration": DOMAIN, "domain": ["number"]}]
    }
    assert strings["services"][services.SERVICE_CLEAR_LIMIT]["name"] == "Clear limit"
    assert strings["services"][services.SERVICE_CLEAR_LIMIT]["description"]

    water = descriptions["water"]["fields"]["action"]["selector"]["select"]
    assert water["options"] == [action.value for action in actions.WaterAction]
    parameter = descriptions["set_threshold"]["fields"]["parameter"]
    assert parameter["selector"]["select"]["options"] == list(
        actions.THRESHOLD_PARAMETERS
    )
    quantity = descriptions["set_limit"]["fields"]["quantity"]["selector"]["select"]
    assert quantity["options"] == [
        quantity.reading for quantity in (*CONTROLLER_QUANTITIES, *POND_QUANTITIES)
    ]
    amount = descriptions["feed"]["fields"]["amount"]["selector"]["number"]
    assert amount["max"] == actions.MAX_FEED_GRAMS
    for expected in (services.POND, services.CONTROLLER, services.POND_OR_CONTROLLER):
        assert strings["exceptions"][expected.error]["message"]


# --- limits without their (disabled) numbers -------------------------------------------


async def set_limit(hass: HomeAssistant, device: str, /, **data: Any) -> None:
    """Call `future_fish.set_limit` on a device (given by its key)."""
    await hass.services.async_call(
        DOMAIN,
        services.SERVICE_SET_LIMIT,
        {ATTR_DEVICE_ID: device_id(hass, device), **data},
        blocking=True,
    )


async def sensors(hass: HomeAssistant, data: dict[str, float], times: int) -> None:
    """Let the controller report the same readings `times` times."""
    for _ in range(times):
        send(hass, "sensors", {"data": data})
    await hass.async_block_till_done()


@pytest.mark.usefixtures("entry")
async def test_set_limit_without_its_number(hass: HomeAssistant) -> None:
    """Limit numbers are disabled by default; the action sets and clears limits."""
    alarm = "binary_sensor.pond_controller_4134_dissolved_oxygen_alarm"
    assert (
        hass.states.get("number.pond_controller_4134_dissolved_oxygen_lower_limit")
        is None
    )
    assert hass.states.get(alarm).state == STATE_UNKNOWN

    await set_limit(
        hass, CONTROLLER, quantity="dissolved_oxygen", bound="lower", value=7
    )
    await sensors(hass, {"dissolved_oxygen": 6.5}, 3)
    assert hass.states.get(alarm).state == STATE_ON
    # A limit of a quantity profiles set makes the profile custom, as by hand.
    assert hass.states.get("select.pond_controller_4134_species_profile").state == (
        "custom"
    )

    await set_limit(hass, CONTROLLER, quantity="dissolved_oxygen", bound="lower")
    assert hass.states.get(alarm).state == STATE_UNKNOWN


@pytest.mark.usefixtures("entry")
async def test_set_limit_of_a_pond(hass: HomeAssistant) -> None:
    """A pond's level limits are set on the pond's device."""
    await set_limit(hass, POND_1, quantity="feed_level", bound="lower", value=90)
    await sensors(hass, {"feed1": 80, "feed2": 80}, 3)
    assert hass.states.get("binary_sensor.pond_1_feed_level_alarm").state == STATE_ON
    assert hass.states.get("binary_sensor.pond_2_feed_level_alarm").state == (
        STATE_UNKNOWN
    )


@pytest.mark.usefixtures("entry")
@pytest.mark.parametrize(
    ("device", "data", "error", "placeholders"),
    [
        pytest.param(
            CONTROLLER,
            {"quantity": "water_level", "bound": "lower", "value": 20},
            "limit_quantity_invalid",
            {
                "quantity": "water_level",
                "device": CONTROLLER_NAME,
                "known": "temperature, dissolved_oxygen, ph, turbidity, ammonia,"
                " battery",
            },
            id="a pond's quantity on the controller",
        ),
        pytest.param(
            POND_1,
            {"quantity": "salinity", "bound": "upper", "value": 20},
            "limit_quantity_invalid",
            {
                "quantity": "salinity",
                "device": "Pond 1",
                "known": "water_level, feed_level",
            },
            id="unknown quantity",
        ),
        pytest.param(
            CONTROLLER,
            {"quantity": "ph", "bound": "upper", "value": 15},
            "limit_out_of_range",
            {"value": "15", "minimum": "0", "maximum": "14"},
            id="beyond the range",
        ),
        pytest.param(
            CONTROLLER,
            {"quantity": "ph", "bound": "upper", "value": float("nan")},
            "limit_out_of_range",
            {"value": "nan", "minimum": "0", "maximum": "14"},
            id="not a number",
        ),
    ],
)
async def test_set_limit_refuses_what_cannot_be(
    hass: HomeAssistant,
    device: str,
    data: dict[str, Any],
    error: str,
    placeholders: dict[str, str],
) -> None:
    """Each refusal says what is allowed, and changes nothing."""
    with pytest.raises(ServiceValidationError) as raised:
        await set_limit(hass, device, **data)
    assert raised.value.translation_key == error
    assert raised.value.translation_placeholders == placeholders


@pytest.mark.usefixtures("entry")
async def test_set_limit_keeps_lower_below_upper(hass: HomeAssistant) -> None:
    """The pair is checked as when the numbers are edited."""
    await set_limit(hass, CONTROLLER, quantity="temperature", bound="upper", value=20)
    with pytest.raises(ServiceValidationError) as raised:
        await set_limit(
            hass, CONTROLLER, quantity="temperature", bound="lower", value=25
        )
    assert raised.value.translation_key == "limits_order"
    with pytest.raises(probatio.Invalid):
        await set_limit(hass, CONTROLLER, quantity="temperature", bound="middle")
