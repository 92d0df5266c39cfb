"""Commands: envelopes, acknowledgement, deadlines, retries, conflicts and outcomes.

Everything is observed the way a user or a controller would: what is published on
`ff/<id>/commands`, what the command reports, which events fire, which translated
errors are raised and what the pond's valves show.
"""

import asyncio
from collections.abc import Awaitable, Callable, Generator
from datetime import datetime, timedelta
import json
import logging
from typing import Any, Final
from unittest.mock import patch
import uuid

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import mqtt
from homeassistant.const import Platform
from homeassistant.core import Context, Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.dispatcher import async_dispatcher_send
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import (
    MqttMockHAClient,
    MqttMockPahoClient,
)

from custom_components.future_fish import actions
from custom_components.future_fish.actions import WaterAction
from custom_components.future_fish.commands import (
    EVENT_COMMAND,
    Command,
    CommandState,
    TrackerSettings,
)
from custom_components.future_fish.const import DOMAIN
from custom_components.future_fish.coordinator import FutureFishHub
from custom_components.future_fish.models import (
    INLET_VALVE,
    OUTLET_VALVE,
    ControllerState,
    PondState,
)
from custom_components.future_fish.protocol import CommandType

from .common import (
    DEVICE_ID,
    HEARTBEAT,
    MAC,
    OTHER_MAC,
    SENSORS_B,
    STARTUP,
    make_entry,
    report,
    send,
    setup_hub,
)

NOW: Final = datetime.fromisoformat("2026-01-15T12:00:00+00:00")
NOW_ISO: Final = "2026-01-15T12:00:00Z"
COMMAND_TOPIC: Final = f"ff/{MAC}/commands"
CONTROLLER_NAME: Final = "Pond controller 4134"
OTHER_NAME: Final = "Pond controller BBCC"
FIRMWARE_URL: Final = "https://fw.example.com/aquagain-1.1.0.bin"
# Pond 1's geometry in the tests: the sensor 150 cm above the floor of a tank
# 100 cm deep, so a level of L % is 150 - L cm below the sensor.
SENSOR_HEIGHT: Final = 150
TANK_DEPTH: Final = 100

type Send = Callable[[FutureFishHub], Awaitable[Command]]
type Envelope = Callable[[str], dict[str, Any]]


# --- helpers -------------------------------------------------------------------------


def feed(grams: float = 250, position: int = 1) -> Send:
    """Return a sender that feeds a pond."""

    async def run(hub: FutureFishHub) -> Command:
        return await actions.async_feed(hub, pond_of(hub, position), grams, None)

    return run


def water(action: WaterAction, position: int = 1, **levels: float) -> Send:
    """Return a sender of a water action."""

    async def run(hub: FutureFishHub) -> Command:
        return await actions.async_water(
            hub, pond_of(hub, position), action, None, **levels
        )

    return run


def reboot() -> Send:
    """Return a sender that restarts the controller."""

    async def run(hub: FutureFishHub) -> Command:
        return await actions.async_reboot(hub, controller_of(hub), None)

    return run


def firmware(url: str = FIRMWARE_URL) -> Send:
    """Return a sender of a firmware update."""

    async def run(hub: FutureFishHub) -> Command:
        return await actions.async_update_firmware(hub, controller_of(hub), url, None)

    return run


def threshold(
    parameter: str = "temp",
    lower: float = 22.5,
    upper: float = 30,
    position: int | None = 1,
) -> Send:
    """Return a sender of a controller-side threshold."""

    async def run(hub: FutureFishHub) -> Command:
        return await actions.async_set_threshold(
            hub,
            controller_of(hub),
            None if position is None else pond_of(hub, position),
            parameter=parameter,
            lower=lower,
            upper=upper,
            context=None,
        )

    return run


def controller_of(hub: FutureFishHub, device_id: str = DEVICE_ID) -> ControllerState:
    """Return a controller of the hub."""
    return hub.controllers[device_id]


def pond_of(hub: FutureFishHub, position: int = 1) -> PondState:
    """Return a pond of the test controller."""
    pond: PondState = hub.controllers[DEVICE_ID].ponds[position]
    return pond


def published(mqtt_mock: MqttMockHAClient) -> list[dict[str, Any]]:
    """Return every command published so far, checking topic, QoS and retain."""
    commands = []
    for call in mqtt_mock.async_publish.call_args_list:
        topic, payload, qos, retain = call.args
        assert topic == COMMAND_TOPIC
        assert (qos, retain) == (2, False)
        commands.append(json.loads(payload))
    return commands


def answer(
    hass: HomeAssistant,
    kind: str,
    command: Command | str,
    device: str = MAC,
    **fields: Any,
) -> None:
    """Let a controller acknowledge or complete a command."""
    command_id = command if isinstance(command, str) else command.command_id
    send(hass, kind, {"command_id": command_id, **fields}, device)


async def advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    """Let time pass and run what became due."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    # Resends run as background tasks of the entry.
    await hass.async_block_till_done(wait_background_tasks=True)


def command_events(hass: HomeAssistant) -> list[Event[dict[str, Any]]]:
    """Capture the `future_fish_command` events."""
    return async_capture_events(hass, EVENT_COMMAND)


def assert_error(
    err: pytest.ExceptionInfo[HomeAssistantError],
    key: str,
    placeholders: dict[str, str] | None = None,
) -> None:
    """Check a raised error's translation and that it really is translated."""
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == key
    if placeholders is not None:
        assert err.value.translation_placeholders == placeholders
    message = str(err.value)
    assert message
    assert key not in message
    assert "{" not in message


async def disconnect_broker(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> None:
    """Let Home Assistant lose the MQTT broker."""
    mqtt_mock.connected = False
    async_dispatcher_send(hass, mqtt.MQTT_CONNECTION_STATE, False)
    await hass.async_block_till_done()


async def reconnect_broker(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> None:
    """Let Home Assistant find the MQTT broker again."""
    mqtt_mock.connected = True
    async_dispatcher_send(hass, mqtt.MQTT_CONNECTION_STATE, True)
    await hass.async_block_till_done(wait_background_tasks=True)


# --- fixtures ----------------------------------------------------------------------


@pytest.fixture
def options() -> dict[str, Any]:
    """Return extra options of the hub's entry; parametrize to change them."""
    return {}


@pytest.fixture(autouse=True)
def only_number_entities() -> Generator[None]:
    """Set up only the geometry numbers: entities are other tests' business."""
    with patch("custom_components.future_fish.PLATFORMS", [Platform.NUMBER]):
        yield


@pytest.fixture
async def entry(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    options: dict[str, Any],
) -> MockConfigEntry:
    """Set up a hub whose controller reported, with pond 1's geometry set."""
    freezer.move_to(NOW)
    base = make_entry()
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=base.title,
        unique_id=base.unique_id,
        data=dict(base.data),
        options={**base.options, **options},
    )
    await setup_hub(hass, entry)
    await report(hass)
    hub: FutureFishHub = entry.runtime_data
    hub.async_set_pond_setting(pond_of(hub), "sensor_height", SENSOR_HEIGHT)
    hub.async_set_pond_setting(pond_of(hub), "tank_depth", TANK_DEPTH)
    mqtt_mock.async_publish.reset_mock()
    return entry


@pytest.fixture
def hub(entry: MockConfigEntry) -> FutureFishHub:
    """Return the hub of the set-up entry."""
    hub: FutureFishHub = entry.runtime_data
    return hub


# --- envelopes (PROTOCOL 5) -----------------------------------------------------------


def standard(command_type: str, position: int, parameters: dict[str, Any]) -> Envelope:
    """Return the expected standard envelope, given the command id."""
    return lambda command_id: {
        "command_id": command_id,
        "command_type": command_type,
        "pond_position": position,
        "parameters": parameters,
        "timestamp": NOW_ISO,
    }


def compact(command_type: str, position: int, **fields: Any) -> Envelope:
    """Return the expected compact envelope, given the command id."""
    return lambda command_id: {
        "id": command_id,
        "type": command_type,
        "pos": position,
        **fields,
    }


@pytest.mark.parametrize(
    ("sender", "expected"),
    [
        pytest.param(
            feed(250),
            standard("FEED", 1, {"amount": 250, "unit": "grams"}),
            id="feed",
        ),
        pytest.param(
            feed(12.5, position=2),
            standard("FEED", 2, {"amount": 12.5, "unit": "grams"}),
            id="feed-pond-2",
        ),
        pytest.param(
            water(WaterAction.FILL, level=80),
            standard("WATER_FILL", 1, {"action": "WATER_FILL", "level": 70.0}),
            id="fill",
        ),
        pytest.param(
            water(WaterAction.DRAIN, level=25),
            standard("WATER_DRAIN", 1, {"action": "WATER_DRAIN", "level": 125.0}),
            id="drain",
        ),
        pytest.param(
            water(WaterAction.FILL, level=100),
            standard("WATER_FILL", 1, {"action": "WATER_FILL", "level": 50.0}),
            id="fill-to-the-brim",
        ),
        pytest.param(
            water(WaterAction.DRAIN, level=0),
            standard("WATER_DRAIN", 1, {"action": "WATER_DRAIN", "level": 150.0}),
            id="drain-empty",
        ),
        *(
            pytest.param(
                water(action, position=2),
                standard(command_type, 2, {"action": command_type, "level": None}),
                id=action.value,
            )
            for action, command_type in (
                (WaterAction.INLET_OPEN, "WATER_INLET_OPEN"),
                (WaterAction.INLET_CLOSE, "WATER_INLET_CLOSE"),
                (WaterAction.OUTLET_OPEN, "WATER_OUTLET_OPEN"),
                (WaterAction.OUTLET_CLOSE, "WATER_OUTLET_CLOSE"),
            )
        ),
        pytest.param(
            water(WaterAction.FLUSH, drain_level=20, fill_level=90),
            compact("FLUSH", 1, d=130.0, f=60.0),
            id="flush",
        ),
        pytest.param(
            firmware(),
            compact("FW", 1, url=FIRMWARE_URL),
            id="firmware",
        ),
        pytest.param(
            threshold("temp", 22.5, 30, position=2),
            compact("THRESH", 2, p="temp", u=30, l=22.5),
            id="threshold-pond-2",
        ),
        pytest.param(
            threshold("ph", 6.5, 8.5, position=None),
            compact("THRESH", 1, p="ph", u=8.5, l=6.5),
            id="threshold-controller",
        ),
        pytest.param(reboot(), standard("REBOOT", 1, {}), id="reboot"),
    ],
)
async def test_envelopes(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hub: FutureFishHub,
    sender: Send,
    expected: Envelope,
) -> None:
    """Each command goes out once, in the envelope PROTOCOL.md section 5 gives it."""
    command = await sender(hub)

    assert len(command.command_id) == 32
    assert uuid.UUID(hex=command.command_id).version == 4
    assert published(mqtt_mock) == [expected(command.command_id)]
    assert command.state is CommandState.SENT
    assert command.attempts == 1


async def test_commands_use_the_controllers_spelling(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, hub: FutureFishHub
) -> None:
    """Commands go back on the exact topic spelling the controller used last."""
    spelling = "ec-e3-34-1c-41-34"
    send(hass, "heartbeat", {}, device=spelling)
    await hass.async_block_till_done()
    command = await feed()(hub)

    assert [call.args[0] for call in mqtt_mock.async_publish.call_args_list] == [
        f"ff/{spelling}/commands"
    ]
    answer(hass, "complete", command, device=spelling)
    await hass.async_block_till_done()
    assert command.state is CommandState.COMPLETED


async def test_geometry_from_the_number_entities(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, hub: FutureFishHub
) -> None:
    """The geometry the user types into the pond's numbers is what levels use."""
    for entity_id, value in (
        ("number.pond_2_sensor_height", 200),
        ("number.pond_2_tank_depth", 120),
    ):
        await hass.services.async_call(
            "number",
            "set_value",
            {"entity_id": entity_id, "value": value},
            blocking=True,
        )
    await water(WaterAction.FILL, position=2, level=50)(hub)

    assert published(mqtt_mock)[0]["parameters"] == {
        "action": "WATER_FILL",
        "level": 140.0,
    }


# --- validation (actions.py) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("sender", "key", "placeholders"),
    [
        *(
            pytest.param(
                feed(grams), "feed_amount_invalid", {"maximum": "5000"}, id=name
            )
            for name, grams in (
                ("feed-zero", 0),
                ("feed-negative", -5),
                ("feed-too-much", 5000.5),
                ("feed-nan", float("nan")),
            )
        ),
        pytest.param(
            water(WaterAction.FILL, position=2, level=50),
            "geometry_missing",
            {"pond": "Pond 2"},
            id="fill-without-geometry",
        ),
        pytest.param(
            water(WaterAction.FLUSH, position=2, drain_level=10, fill_level=50),
            "geometry_missing",
            {"pond": "Pond 2"},
            id="flush-without-geometry",
        ),
        pytest.param(
            water(WaterAction.FILL, level=120),
            "level_unreachable",
            {"pond": "Pond 1", "level": "120"},
            id="fill-above-the-brim",
        ),
        pytest.param(
            water(WaterAction.DRAIN, level=-5),
            "level_unreachable",
            {"pond": "Pond 1", "level": "-5"},
            id="drain-below-the-floor",
        ),
        pytest.param(
            water(WaterAction.FLUSH, drain_level=10, fill_level=101),
            "level_unreachable",
            {"pond": "Pond 1", "level": "101"},
            id="flush-above-the-brim",
        ),
        pytest.param(
            water(WaterAction.FILL),
            "level_missing",
            {"action": "fill"},
            id="fill-without-level",
        ),
        pytest.param(
            water(WaterAction.DRAIN),
            "level_missing",
            {"action": "drain"},
            id="drain-without-level",
        ),
        pytest.param(
            water(WaterAction.FLUSH, drain_level=20),
            "flush_levels_missing",
            {},
            id="flush-without-fill-level",
        ),
        pytest.param(
            water(WaterAction.FLUSH, fill_level=80),
            "flush_levels_missing",
            {},
            id="flush-without-drain-level",
        ),
        pytest.param(
            water(WaterAction.FLUSH, drain_level=80, fill_level=20),
            "flush_levels_order",
            {"drain": "80", "fill": "20"},
            id="flush-reversed",
        ),
        pytest.param(
            water(WaterAction.FLUSH, drain_level=50.5, fill_level=50.5),
            "flush_levels_order",
            {"drain": "50.5", "fill": "50.5"},
            id="flush-equal",
        ),
        pytest.param(
            firmware("http://fw.example.com/fw.bin"),
            "firmware_url_http",
            {"url": "http://fw.example.com/fw.bin"},
            id="firmware-http",
        ),
        pytest.param(
            firmware("ftp://fw.example.com/fw.bin"),
            "firmware_url_invalid",
            {"url": "ftp://fw.example.com/fw.bin"},
            id="firmware-ftp",
        ),
        pytest.param(
            firmware("https:///fw.bin"),
            "firmware_url_invalid",
            {"url": "https:///fw.bin"},
            id="firmware-no-host",
        ),
        pytest.param(
            firmware("fw.example.com/fw.bin"),
            "firmware_url_invalid",
            {"url": "fw.example.com/fw.bin"},
            id="firmware-no-scheme",
        ),
        pytest.param(
            threshold("salinity", 1, 2),
            "threshold_parameter_unknown",
            {"parameter": "salinity", "known": "temp, do, ph, turbidity, ammonia"},
            id="threshold-unknown-parameter",
        ),
        *(
            pytest.param(
                threshold(parameter, lower, upper),
                "threshold_limits_invalid",
                {
                    "parameter": parameter,
                    "lower": f"{lower:g}",
                    "upper": f"{upper:g}",
                    "minimum": minimum,
                    "maximum": maximum,
                },
                id=name,
            )
            for name, parameter, lower, upper, minimum, maximum in (
                ("threshold-reversed", "temp", 30, 20, "0", "50"),
                ("threshold-equal", "do", 5, 5, "0", "20"),
                ("threshold-below-range", "ph", -1, 8, "0", "14"),
                ("threshold-above-range", "turbidity", 10, 1001, "0", "1000"),
                ("threshold-nan", "ammonia", float("nan"), 1, "0", "100"),
            )
        ),
    ],
)
async def test_invalid_requests(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hub: FutureFishHub,
    sender: Send,
    key: str,
    placeholders: dict[str, str],
) -> None:
    """A bad request raises a translated validation error and publishes nothing."""
    with pytest.raises(ServiceValidationError) as err:
        await sender(hub)

    assert_error(err, key, placeholders)
    assert mqtt_mock.async_publish.call_count == 0
    assert hub.commands.active == {}


@pytest.mark.parametrize("options", [{"allow_http_firmware": True}])
@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("http://192.168.1.5/fw.bin", None),
        (FIRMWARE_URL, None),
        ("http:///fw.bin", "firmware_url_invalid"),
        ("ftp://fw.example.com/fw.bin", "firmware_url_invalid"),
        ("https://[::1/fw.bin", "firmware_url_invalid"),
        ("https://fw.example.com:99999/fw.bin", "firmware_url_invalid"),
        ("https://:443/fw.bin", "firmware_url_invalid"),
    ],
)
async def test_http_firmware_when_allowed(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hub: FutureFishHub,
    url: str,
    key: str | None,
) -> None:
    """With the option on, http firmware addresses go out; broken ones still not."""
    if key is None:
        command = await firmware(url)(hub)
        assert published(mqtt_mock) == [compact("FW", 1, url=url)(command.command_id)]
        return
    with pytest.raises(ServiceValidationError) as err:
        await firmware(url)(hub)
    assert_error(err, key, {"url": url})
    assert mqtt_mock.async_publish.call_count == 0


# --- answers: transitions and guards (PROTOCOL 6, 8.3, 8.4) ---------------------------


@pytest.mark.parametrize(
    ("answers", "state", "fields"),
    [
        pytest.param(
            [("ack", {})],
            CommandState.ACKNOWLEDGED,
            {"message": None},
            id="ack",
        ),
        pytest.param(
            [("ack", {"success": "YES"})],
            CommandState.ACKNOWLEDGED,
            {"message": None},
            id="ack-success-string",
        ),
        pytest.param(
            [("ack", {}), ("complete", {"message": "fed 250 g"})],
            CommandState.COMPLETED,
            {"message": "fed 250 g"},
            id="complete",
        ),
        pytest.param(
            [
                ("ack", {}),
                (
                    "complete",
                    {
                        "success": False,
                        "message": "feeder jammed",
                        "error_code": "E_JAM",
                        "error_details": "motor stalled after 3 s",
                    },
                ),
            ],
            CommandState.FAILED,
            {
                "message": "feeder jammed",
                "error_code": "E_JAM",
                "error_details": "motor stalled after 3 s",
            },
            id="complete-failure",
        ),
        pytest.param(
            [("ack", {"success": "no", "message": "busy", "error_code": "E_BUSY"})],
            CommandState.REJECTED,
            {"message": "busy", "error_code": "E_BUSY"},
            id="ack-refusal",
        ),
        pytest.param(
            [("complete", {"message": "done"})],
            CommandState.COMPLETED,
            {"message": "done"},
            id="complete-without-ack",
        ),
        pytest.param(
            [("complete", {"success": 0})],
            CommandState.FAILED,
            {"message": None},
            id="failure-without-ack",
        ),
    ],
)
async def test_answers(
    hass: HomeAssistant,
    hub: FutureFishHub,
    freezer: FrozenDateTimeFactory,
    answers: list[tuple[str, dict[str, Any]]],
    state: CommandState,
    fields: dict[str, Any],
) -> None:
    """Acks and completes move a command forward and say how it went."""
    events = command_events(hass)
    context = Context()
    command = await actions.async_feed(hub, pond_of(hub), 250, context)
    for kind, payload in answers:
        freezer.tick(timedelta(seconds=1.5))
        answer(hass, kind, command, **payload)
        await hass.async_block_till_done()

    assert command.state is state
    assert command.is_final is (state is not CommandState.ACKNOWLEDGED)
    for name, value in fields.items():
        assert getattr(command, name) == value
    # A refusal is no acknowledgement.
    ack_ms = None if state is CommandState.REJECTED else 1500
    assert command.ms_to_ack == ack_ms
    assert hub.commands.last_command(controller_of(hub)) is command
    if state is CommandState.ACKNOWLEDGED:
        assert command.acknowledged.done()
        assert not command.finished.done()
        assert hub.commands.active == {command.command_id: command}
        assert events == []
        return
    assert command.finished.done()
    assert hub.commands.active == {}
    assert command.ms_to_complete == 1500 * len(answers)
    assert len(events) == 1
    assert events[0].context is context
    assert events[0].data == {
        "command_id": command.command_id,
        "command_type": "FEED",
        "device_id": pond_of(hub).device_entry_id,
        "controller": DEVICE_ID,
        "pond": 1,
        "parameters": {"amount": 250, "unit": "grams"},
        "request": {},
        "state": state.value,
        "attempts": 1,
        "ms_to_ack": ack_ms,
        "ms_to_complete": 1500 * len(answers),
        "message": fields.get("message"),
        "error_code": fields.get("error_code"),
        "error_details": fields.get("error_details"),
    }


@pytest.mark.parametrize(
    ("answers", "late", "state"),
    [
        pytest.param(
            [("ack", {}), ("complete", {})],
            [("ack", {})],
            CommandState.COMPLETED,
            id="ack-after-completion",
        ),
        pytest.param(
            [("ack", {}), ("complete", {"success": False, "message": "jammed"})],
            [("complete", {"success": True, "message": "ok"})],
            CommandState.FAILED,
            id="complete-after-failure",
        ),
        pytest.param(
            [("ack", {"success": False, "message": "busy"})],
            [("ack", {}), ("complete", {})],
            CommandState.REJECTED,
            id="answers-after-refusal",
        ),
        pytest.param(
            [("ack", {})],
            [("ack", {"message": "again"})],
            CommandState.ACKNOWLEDGED,
            id="duplicate-ack",
        ),
        pytest.param(
            [("complete", {"message": "done"})],
            [("complete", {"message": "done again"}), ("ack", {})],
            CommandState.COMPLETED,
            id="duplicate-complete",
        ),
    ],
)
async def test_late_and_duplicate_answers(
    hass: HomeAssistant,
    hub: FutureFishHub,
    freezer: FrozenDateTimeFactory,
    answers: list[tuple[str, dict[str, Any]]],
    late: list[tuple[str, dict[str, Any]]],
    state: CommandState,
) -> None:
    """States only move forward: late answers are counted and change nothing."""
    events = command_events(hass)
    command = await feed()(hub)
    for kind, payload in answers:
        answer(hass, kind, command, **payload)
    await hass.async_block_till_done()
    before = command.as_dict()
    timestamps = (command.acknowledged_at, command.finished_at)

    freezer.tick(timedelta(seconds=5))
    for kind, payload in late:
        answer(hass, kind, command, **payload)
    await hass.async_block_till_done()

    assert command.state is state
    assert command.late_answers == len(late)
    assert command.as_dict() == before
    assert (command.acknowledged_at, command.finished_at) == timestamps
    assert len(events) == (0 if state is CommandState.ACKNOWLEDGED else 1)
    assert hub.commands.unknown_answers == 0


async def test_late_ack_after_timeout(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hub: FutureFishHub,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An ack after the deadline does not bring a timed-out command back."""
    events = command_events(hass)
    command = await feed()(hub)
    await advance(hass, freezer, 10)
    assert command.state is CommandState.TIMED_OUT

    answer(hass, "ack", command)
    answer(hass, "complete", command)
    await hass.async_block_till_done()

    assert command.state is CommandState.TIMED_OUT
    assert command.late_answers == 2
    assert command.acknowledged_at is None
    assert [event.data["state"] for event in events] == ["timed_out"]


@pytest.mark.parametrize(
    "spelling",
    [
        pytest.param(lambda cid: str(uuid.UUID(cid)), id="hyphenated"),
        pytest.param(lambda cid: cid.upper(), id="upper-case"),
        pytest.param(lambda cid: str(uuid.UUID(cid)).upper(), id="both"),
    ],
)
async def test_answer_id_spellings(
    hass: HomeAssistant, hub: FutureFishHub, spelling: Callable[[str], str]
) -> None:
    """Controllers may answer with any spelling of the command's UUID."""
    command = await feed()(hub)
    answer(hass, "ack", spelling(command.command_id))
    await hass.async_block_till_done()
    assert command.state is CommandState.ACKNOWLEDGED
    answer(hass, "complete", spelling(command.command_id))
    await hass.async_block_till_done()
    assert command.state is CommandState.COMPLETED
    assert hub.commands.unknown_answers == 0


async def test_answer_from_another_controller(
    hass: HomeAssistant,
    hub: FutureFishHub,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Only the controller a command was sent to can answer it (PROTOCOL 8.4)."""
    await report(hass, OTHER_MAC)
    command = await feed()(hub)

    answer(hass, "ack", command, device=OTHER_MAC)
    answer(hass, "complete", command, device=OTHER_MAC, success=False)
    await hass.async_block_till_done()

    assert command.state is CommandState.SENT
    assert command.late_answers == 0
    warnings = [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.WARNING and "Ignored an answer" in record.message
    ]
    warning = (
        f"Ignored an answer from {OTHER_NAME} to command {command.command_id},"
        f" which was sent to {CONTROLLER_NAME}"
    )
    assert warnings == [warning, warning]

    answer(hass, "complete", command)
    await hass.async_block_till_done()
    assert command.state is CommandState.COMPLETED
    # Once finished, the other controller's answer is simply unknown to it.
    answer(hass, "ack", command, device=OTHER_MAC)
    await hass.async_block_till_done()
    assert command.late_answers == 0
    assert hub.commands.unknown_answers == 1


async def test_unknown_command_id(hass: HomeAssistant, hub: FutureFishHub) -> None:
    """An answer to a command nobody sent is counted and otherwise ignored."""
    command = await feed()(hub)
    answer(hass, "ack", uuid.uuid4().hex)
    answer(hass, "complete", str(uuid.uuid4()))
    await hass.async_block_till_done()

    assert hub.commands.unknown_answers == 2
    assert command.state is CommandState.SENT


@pytest.mark.parametrize("kind", ["ack", "complete"])
@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        pytest.param("{not json", "bad_json", id="bad-json"),
        pytest.param("[1, 2]", "not_object", id="not-an-object"),
        pytest.param({"success": True}, "bad_command_id", id="missing-id"),
        pytest.param({"command_id": "feed-42"}, "bad_command_id", id="invalid-id"),
        pytest.param({"command_id": 42}, "bad_command_id", id="number-id"),
    ],
)
async def test_malformed_answers(
    hass: HomeAssistant,
    hub: FutureFishHub,
    kind: str,
    payload: dict[str, Any] | str,
    reason: str,
) -> None:
    """Broken answers are dropped and counted for the controller; nothing changes."""
    events = command_events(hass)
    command = await feed()(hub)
    send(hass, kind, payload)
    await hass.async_block_till_done()

    assert controller_of(hub).stats.dropped == {f"{kind}: {reason}": 1}
    assert command.state is CommandState.SENT
    assert hub.commands.unknown_answers == 0
    assert events == []


# --- retries and the acknowledgement deadline ---------------------------------------


async def publish_times(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    seconds: int,
    on_tick: Callable[[int], None] | None = None,
) -> list[int]:
    """Advance one second at a time and return when commands were published."""
    times = [0] * mqtt_mock.async_publish.call_count
    for second in range(1, seconds + 1):
        await advance(hass, freezer, 1)
        if on_tick is not None:
            on_tick(second)
            await hass.async_block_till_done()
        times += [second] * (mqtt_mock.async_publish.call_count - len(times))
    return times


async def test_resends_until_acknowledged_deadline(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hub: FutureFishHub,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Without an ack the same command goes out again at 2, 5 and 9 s, then gives up."""
    events = command_events(hass)
    command = await feed()(hub)

    times = await publish_times(hass, mqtt_mock, freezer, 9)
    assert times == [0, 2, 5, 9]
    envelopes = published(mqtt_mock)
    assert {envelope["command_id"] for envelope in envelopes} == {command.command_id}
    assert [envelope["timestamp"] for envelope in envelopes] == [
        (NOW + timedelta(seconds=second)).isoformat().replace("+00:00", "Z")
        for second in times
    ]
    assert command.state is CommandState.SENT
    assert command.attempts == 4

    await advance(hass, freezer, 1)
    assert command.state is CommandState.TIMED_OUT
    assert command.message == "no acknowledgement within 10 s"
    assert command.attempts == 4
    assert mqtt_mock.async_publish.call_count == 4
    assert [event.data["state"] for event in events] == ["timed_out"]
    assert events[0].data["message"] == "no acknowledgement within 10 s"


async def test_resends_stop_once_acknowledged(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hub: FutureFishHub,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An ack ends the resends; the completion deadline takes over."""
    command = await feed()(hub)

    def ack_at_three(second: int) -> None:
        if second == 3:
            answer(hass, "ack", command)

    assert await publish_times(hass, mqtt_mock, freezer, 60, ack_at_three) == [0, 2]
    assert command.state is CommandState.ACKNOWLEDGED
    assert command.attempts == 2
    assert command.ms_to_ack == 3000


@pytest.mark.parametrize(
    ("options", "times", "deadline"),
    [
        pytest.param({"retries": False}, [0], 10, id="retries-off"),
        pytest.param({"ack_timeout": 4}, [0, 2], 4, id="short-deadline"),
        pytest.param({"ack_timeout": 30}, [0, 2, 5, 9], 30, id="long-deadline"),
    ],
)
async def test_retry_options(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hub: FutureFishHub,
    freezer: FrozenDateTimeFactory,
    times: list[int],
    deadline: int,
) -> None:
    """Retries can be switched off, and resends never pass the ack deadline."""
    command = await feed()(hub)

    assert await publish_times(hass, mqtt_mock, freezer, deadline - 1) == times
    assert command.state is CommandState.SENT
    await advance(hass, freezer, 1)
    assert command.state is CommandState.TIMED_OUT
    assert command.message == f"no acknowledgement within {deadline} s"
    assert mqtt_mock.async_publish.call_count == len(times)


def test_tracker_settings_from_options() -> None:
    """Options override the defaults; what is not set keeps its default."""
    settings = TrackerSettings.from_options(
        {"retries": False, "ack_timeout": 15, "timeout_feed": 30}
    )
    assert settings.retries is False
    assert settings.ack_timeout == timedelta(seconds=15)
    assert settings.completion_timeouts[CommandType.FEED] == timedelta(seconds=30)
    assert settings.completion_timeouts[CommandType.FLUSH] == timedelta(minutes=30)
    defaults = TrackerSettings.from_options({})
    assert defaults.retries is True
    assert defaults.ack_timeout == timedelta(seconds=10)
    assert set(defaults.completion_timeouts) == set(CommandType)


async def test_failed_resend_is_retried_later(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hub: FutureFishHub,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A resend the broker refuses is not counted and does not hurry the next one."""
    caplog.set_level(logging.DEBUG, "custom_components.future_fish")
    command = await feed()(hub)
    mqtt_mock.async_publish.side_effect = HomeAssistantError("broker said no")

    def broker_back(second: int) -> None:
        if second == 2:
            mqtt_mock.async_publish.side_effect = None

    assert await publish_times(hass, mqtt_mock, freezer, 9, broker_back) == [
        0,
        2,
        5,
        9,
    ]
    assert command.attempts == 3
    assert f"Resend of {command.command_id} failed: broker said no" in caplog.text
    assert [envelope["command_id"] for envelope in published(mqtt_mock)] == [
        command.command_id
    ] * 4


# --- completion deadlines -------------------------------------------------------------


@pytest.mark.parametrize(
    ("sender", "seconds"),
    [
        pytest.param(feed(), 120, id="feed"),
        pytest.param(water(WaterAction.FILL, level=80), 1800, id="fill"),
        pytest.param(water(WaterAction.DRAIN, level=20), 1800, id="drain"),
        pytest.param(
            water(WaterAction.FLUSH, drain_level=20, fill_level=80), 1800, id="flush"
        ),
        pytest.param(water(WaterAction.OUTLET_OPEN), 60, id="valve"),
        pytest.param(firmware(), 900, id="firmware"),
        pytest.param(reboot(), 180, id="reboot"),
        pytest.param(threshold(), 60, id="threshold"),
    ],
)
async def test_completion_deadlines(
    hass: HomeAssistant,
    hub: FutureFishHub,
    freezer: FrozenDateTimeFactory,
    sender: Send,
    seconds: int,
) -> None:
    """An acknowledged command that never completes times out, per type."""
    events = command_events(hass)
    command = await sender(hub)
    await advance(hass, freezer, 3)
    answer(hass, "ack", command)
    await hass.async_block_till_done()

    await advance(hass, freezer, seconds - 1)
    assert command.state is CommandState.ACKNOWLEDGED
    await advance(hass, freezer, 1)
    assert command.state is CommandState.TIMED_OUT
    assert command.message == f"not completed within {seconds} s"
    assert command.ms_to_complete == (seconds + 3) * 1000
    assert [event.data["state"] for event in events] == ["timed_out"]


@pytest.mark.parametrize(
    "options",
    [{"timeout_feed": 30, "timeout_valve": 15, "timeout_water": 600}],
)
@pytest.mark.parametrize(
    ("sender", "seconds"),
    [
        pytest.param(feed(), 30, id="feed"),
        pytest.param(water(WaterAction.INLET_CLOSE), 15, id="valve"),
        pytest.param(water(WaterAction.FILL, level=10), 600, id="fill"),
        pytest.param(reboot(), 180, id="reboot-keeps-default"),
    ],
)
async def test_completion_deadline_options(
    hass: HomeAssistant,
    hub: FutureFishHub,
    freezer: FrozenDateTimeFactory,
    sender: Send,
    seconds: int,
) -> None:
    """The options override the default completion deadlines."""
    command = await sender(hub)
    answer(hass, "ack", command)
    await hass.async_block_till_done()

    await advance(hass, freezer, seconds - 1)
    assert command.state is CommandState.ACKNOWLEDGED
    await advance(hass, freezer, 1)
    assert command.state is CommandState.TIMED_OUT
    assert command.message == f"not completed within {seconds} s"


async def test_completed_command_has_no_deadline_left(
    hass: HomeAssistant,
    hub: FutureFishHub,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A command completed without an ack has no deadline left to fire."""
    command = await feed()(hub)
    answer(hass, "complete", command)
    await hass.async_block_till_done()
    await advance(hass, freezer, 3600)
    assert command.state is CommandState.COMPLETED
    assert command.message is None


# --- reboot ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("acknowledged", "boot_seconds"),
    [
        pytest.param(True, 21, id="acknowledged"),
        # The ack can be lost in the restart; the startup proves both phases, and
        # may come long after the acknowledgement deadline of other commands.
        pytest.param(False, 40, id="unacknowledged"),
    ],
)
async def test_reboot_completes_on_startup(
    hass: HomeAssistant,
    hub: FutureFishHub,
    freezer: FrozenDateTimeFactory,
    acknowledged: bool,
    boot_seconds: int,
) -> None:
    """A reboot is done when the controller's next startup arrives (PROTOCOL 6)."""
    events = command_events(hass)
    command = await reboot()(hub)
    running_feed = await feed()(hub)
    answer(hass, "ack", running_feed)
    if acknowledged:
        answer(hass, "ack", command)
    await hass.async_block_till_done()
    await advance(hass, freezer, boot_seconds)
    send(hass, "startup", STARTUP)
    await hass.async_block_till_done()

    assert command.state is CommandState.COMPLETED
    assert command.message == "restarted"
    assert command.ms_to_complete == boot_seconds * 1000
    assert command.ms_to_ack == (0 if acknowledged else boot_seconds * 1000)
    assert [event.data["command_type"] for event in events] == ["REBOOT"]
    assert running_feed.state is CommandState.ACKNOWLEDGED


async def test_reboot_is_never_resent(
    hass: HomeAssistant,
    hub: FutureFishHub,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A resent reboot could arrive after the boot, when the id is forgotten."""
    command = await reboot()(hub)
    for _ in range(6):
        await advance(hass, freezer, 5)
    await disconnect_broker(hass, mqtt_mock)
    await reconnect_broker(hass, mqtt_mock)
    # Back after the reconnect: the deadline runs on from where the outage stopped it.
    send(hass, "heartbeat", HEARTBEAT)

    assert [sent["command_type"] for sent in published(mqtt_mock)] == ["REBOOT"]
    assert command.attempts == 1
    assert command.state is CommandState.SENT
    await advance(hass, freezer, 151)
    assert command.state is CommandState.TIMED_OUT
    assert command.message == "no acknowledgement within 180 s"


async def test_startup_of_another_controller(
    hass: HomeAssistant, hub: FutureFishHub
) -> None:
    """Only the restarted controller's reboot completes."""
    command = await reboot()(hub)
    await report(hass, OTHER_MAC)
    assert command.state is CommandState.SENT


# --- broker and controller availability ---------------------------------------------


async def test_broker_lost(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, hub: FutureFishHub
) -> None:
    """Without the broker no command can be sent."""
    await disconnect_broker(hass, mqtt_mock)
    with pytest.raises(HomeAssistantError) as err:
        await feed()(hub)
    assert_error(err, "mqtt_disconnected", None)
    assert not isinstance(err.value, ServiceValidationError)
    assert mqtt_mock.async_publish.call_count == 0


@pytest.mark.parametrize(
    ("options", "acknowledge", "resent"),
    [
        pytest.param({}, False, True, id="unacknowledged"),
        pytest.param({"retries": False}, False, True, id="unacknowledged-no-retries"),
        pytest.param({}, True, True, id="acknowledged"),
        pytest.param({"retries": False}, True, False, id="acknowledged-no-retries"),
    ],
)
async def test_broker_reconnect_resends(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hub: FutureFishHub,
    acknowledge: bool,
    resent: bool,
) -> None:
    """What may have been lost with the broker is sent again once the controller is.

    Controllers reconnect on their own schedule, after Home Assistant: the resend
    waits for the controller's first message.
    """
    command = await feed()(hub)
    if acknowledge:
        answer(hass, "ack", command)
        await hass.async_block_till_done()
    await disconnect_broker(hass, mqtt_mock)
    assert mqtt_mock.async_publish.call_count == 1
    await reconnect_broker(hass, mqtt_mock)
    assert mqtt_mock.async_publish.call_count == 1
    send(hass, "heartbeat", HEARTBEAT)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert [envelope["command_id"] for envelope in published(mqtt_mock)] == [
        command.command_id
    ] * (2 if resent else 1)
    assert command.attempts == (2 if resent else 1)
    answer(hass, "ack", command)
    answer(hass, "complete", command, message="fed")
    await hass.async_block_till_done()
    assert command.state is CommandState.COMPLETED
    assert command.message == "fed"


async def test_answer_that_brings_a_controller_back_is_not_resent(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, hub: FutureFishHub
) -> None:
    """A complete arriving as a controller's first message after an outage ends it."""
    command = await feed()(hub)
    await disconnect_broker(hass, mqtt_mock)
    await reconnect_broker(hass, mqtt_mock)
    answer(hass, "complete", command)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert command.state is CommandState.COMPLETED
    assert mqtt_mock.async_publish.call_count == 1


async def test_controller_offline(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hub: FutureFishHub,
    freezer: FrozenDateTimeFactory,
) -> None:
    """No command goes to an offline controller; the error says since when."""
    freezer.tick(timedelta(minutes=5))
    send(hass, "status", "offline")
    await hass.async_block_till_done()

    with pytest.raises(HomeAssistantError) as err:
        await feed()(hub)
    # Local time: the tests run in US/Pacific.
    assert_error(
        err,
        "controller_offline",
        {"controller": CONTROLLER_NAME, "since": "2026-01-15 04:05:00"},
    )
    assert mqtt_mock.async_publish.call_count == 0


async def test_controller_never_seen(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_storage: dict[str, Any],
) -> None:
    """A controller known from before the restart but silent since is refused."""
    entry = make_entry()
    hass_storage[f"{DOMAIN}.{entry.entry_id}"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.{entry.entry_id}",
        "data": {
            "controllers": {
                DEVICE_ID: {
                    "topic_id": MAC,
                    "device_name": "Koi pond",
                    "firmware_version": "1.0.0",
                    "hardware_version": None,
                    "device_type": None,
                    "ponds": {"1": {"sensor_height": 150, "tank_depth": 100}},
                }
            }
        },
    }
    await setup_hub(hass, entry)
    hub: FutureFishHub = entry.runtime_data

    with pytest.raises(HomeAssistantError) as err:
        await actions.async_reboot(hub, controller_of(hub), None)
    assert_error(err, "controller_not_seen", {"controller": "Koi pond", "since": ""})
    assert mqtt_mock.async_publish.call_count == 0


# --- conflicts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second", "elsewhere", "target", "running"),
    [
        pytest.param(
            water(WaterAction.FILL, level=80),
            water(WaterAction.INLET_OPEN),
            water(WaterAction.INLET_OPEN, position=2),
            "Pond 1",
            "WATER_FILL",
            id="water",
        ),
        pytest.param(
            water(WaterAction.OUTLET_OPEN),
            water(WaterAction.FLUSH, drain_level=10, fill_level=90),
            water(WaterAction.OUTLET_OPEN, position=2),
            "Pond 1",
            "WATER_OUTLET_OPEN",
            id="valve-then-flush",
        ),
        pytest.param(
            feed(100), feed(200), feed(100, position=2), "Pond 1", "FEED", id="feed"
        ),
        pytest.param(
            firmware(), reboot(), feed(), CONTROLLER_NAME, "FW", id="reboot-in-update"
        ),
        pytest.param(
            reboot(), firmware(), feed(), CONTROLLER_NAME, "REBOOT", id="update-reboot"
        ),
    ],
)
async def test_conflicts(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hub: FutureFishHub,
    *,
    first: Send,
    second: Send,
    elsewhere: Send,
    target: str,
    running: str,
) -> None:
    """A second command of a kind waits for the first; other ponds are free."""
    command = await first(hub)
    with pytest.raises(HomeAssistantError) as err:
        await second(hub)
    assert_error(err, "command_conflict", {"target": target, "running": running})
    assert mqtt_mock.async_publish.call_count == 1

    other = await elsewhere(hub)
    assert other.state is CommandState.SENT
    unrelated = await threshold()(hub)
    assert unrelated.state is CommandState.SENT

    answer(hass, "complete", command)
    await hass.async_block_till_done()
    assert (await second(hub)).state is CommandState.SENT


async def test_simultaneous_requests_conflict(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, hub: FutureFishHub
) -> None:
    """Two feeds asked for at the same moment do not both go out."""
    results = await asyncio.gather(feed()(hub), feed()(hub), return_exceptions=True)

    commands = [result for result in results if isinstance(result, Command)]
    errors = [result for result in results if isinstance(result, HomeAssistantError)]
    assert len(commands) == 1
    assert [error.translation_key for error in errors] == ["command_conflict"]
    assert published(mqtt_mock) == [
        standard("FEED", 1, {"amount": 250, "unit": "grams"})(commands[0].command_id)
    ]


async def test_failed_publish_blocks_nothing(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, hub: FutureFishHub
) -> None:
    """A publish the broker refuses raises and leaves the pond free."""
    events = command_events(hass)
    mqtt_mock.async_publish.side_effect = HomeAssistantError("broker said no")
    with pytest.raises(HomeAssistantError, match="broker said no"):
        await feed()(hub)
    assert hub.commands.active == {}
    assert hub.commands.last_command(controller_of(hub)) is None

    mqtt_mock.async_publish.side_effect = None
    command = await feed()(hub)
    assert command.state is CommandState.SENT
    assert hub.commands.active == {command.command_id: command}
    assert events == []


async def test_answer_before_publish_returns(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    mqtt_client_mock: MqttMockPahoClient,
    hub: FutureFishHub,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A controller may answer before the broker confirms the publish (QoS 2)."""
    deliver = mqtt_client_mock.publish.side_effect

    def publish_and_answer(topic: str, payload: str, *args: Any) -> Any:
        info = deliver(topic, payload, *args)
        envelope = json.loads(payload)
        command_id = envelope.get("command_id") or envelope["id"]
        answer(hass, "ack", command_id)
        if envelope.get("command_type") == "WATER_INLET_OPEN":
            answer(hass, "complete", command_id)
        return info

    mqtt_client_mock.publish.side_effect = publish_and_answer
    events = command_events(hass)
    command = await feed()(hub)
    assert command.state is CommandState.ACKNOWLEDGED
    valve = await water(WaterAction.INLET_OPEN)(hub)
    assert valve.state is CommandState.COMPLETED
    assert hub.commands.unknown_answers == 0

    await advance(hass, freezer, 30)
    assert mqtt_mock.async_publish.call_count == 2
    assert command.state is CommandState.ACKNOWLEDGED
    assert [event.data["state"] for event in events] == ["completed"]
    assert pond_of(hub).values[INLET_VALVE] is True


# --- valves ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "key", "value"),
    [
        (WaterAction.INLET_OPEN, INLET_VALVE, True),
        (WaterAction.INLET_CLOSE, INLET_VALVE, False),
        (WaterAction.OUTLET_OPEN, OUTLET_VALVE, True),
        (WaterAction.OUTLET_CLOSE, OUTLET_VALVE, False),
    ],
)
async def test_valve_positions(
    hass: HomeAssistant,
    hub: FutureFishHub,
    action: WaterAction,
    key: str,
    value: bool,
) -> None:
    """Only a completed valve command changes what the pond shows for the valve."""
    pond = pond_of(hub, 2)
    command = await water(action, position=2)(hub)
    answer(hass, "ack", command)
    await hass.async_block_till_done()
    assert key not in pond.values

    answer(hass, "complete", command, success=False)
    await hass.async_block_till_done()
    assert key not in pond.values

    command = await water(action, position=2)(hub)
    answer(hass, "complete", command)
    await hass.async_block_till_done()
    assert pond.values[key] is value
    assert INLET_VALVE not in pond_of(hub, 1).values
    assert OUTLET_VALVE not in pond_of(hub, 1).values


async def test_completed_fill_sets_no_valve(
    hass: HomeAssistant, hub: FutureFishHub
) -> None:
    """Other water commands say nothing about the valves."""
    command = await water(WaterAction.FILL, level=90)(hub)
    answer(hass, "complete", command)
    await hass.async_block_till_done()
    assert INLET_VALVE not in pond_of(hub).values
    assert OUTLET_VALVE not in pond_of(hub).values


# --- unload ---------------------------------------------------------------------------


async def test_unload_cancels_running_commands(
    hass: HomeAssistant, entry: MockConfigEntry, hub: FutureFishHub
) -> None:
    """Unloading the hub ends what is still running, with an event each."""
    events = command_events(hass)
    context = Context()
    fed = await actions.async_feed(hub, pond_of(hub), 100, context)
    answer(hass, "ack", fed)
    await hass.async_block_till_done()
    restarting = await reboot()(hub)
    done = await feed(position=2)(hub)
    answer(hass, "complete", done)
    await hass.async_block_till_done()
    events.clear()

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

    for command in (fed, restarting):
        assert command.state is CommandState.CANCELLED
        assert command.message == "Home Assistant stopped it"
        assert command.finished.done()
    assert done.state is CommandState.COMPLETED
    assert hub.commands.active == {}
    assert {event.data["command_id"]: event.data["state"] for event in events} == {
        fed.command_id: "cancelled",
        restarting.command_id: "cancelled",
    }
    assert events[0].context is context
    with pytest.raises(HomeAssistantError) as err:
        await actions.async_wait(fed, until_completion=True)
    assert_error(
        err,
        "command_cancelled",
        {
            "command": "FEED",
            "controller": CONTROLLER_NAME,
            "message": "Home Assistant stopped it",
            "error_code": "",
        },
    )


# --- waiting for the outcome (actions.async_wait) -----------------------------------


@pytest.mark.parametrize(
    ("until_completion", "answers", "key", "message", "error_code"),
    [
        pytest.param(
            False,
            [("ack", {"success": False, "message": "busy", "error_code": "E_BUSY"})],
            "command_rejected",
            "busy",
            "E_BUSY",
            id="ack-rejected",
        ),
        pytest.param(
            True,
            [("ack", {"success": "false", "message": "hopper empty"})],
            "command_rejected",
            "hopper empty",
            "",
            id="completion-rejected",
        ),
        pytest.param(
            True,
            [
                ("ack", {}),
                (
                    "complete",
                    {"success": False, "message": "jammed", "error_code": "E7"},
                ),
            ],
            "command_failed",
            "jammed",
            "E7",
            id="failed",
        ),
        pytest.param(
            False,
            [("complete", {"success": "off"})],
            "command_failed",
            "",
            "",
            id="ack-failed-without-ack",
        ),
        pytest.param(False, [], "command_timed_out", None, "", id="ack-timed-out"),
        pytest.param(
            True,
            [("ack", {})],
            "command_timed_out",
            None,
            "",
            id="completion-timed-out",
        ),
        pytest.param(False, [("ack", {})], None, None, None, id="acknowledged"),
        pytest.param(
            True, [("ack", {}), ("complete", {})], None, None, None, id="completed"
        ),
        pytest.param(
            False, [("complete", {})], None, None, None, id="completed-without-ack"
        ),
    ],
)
async def test_wait(
    hass: HomeAssistant,
    hub: FutureFishHub,
    freezer: FrozenDateTimeFactory,
    *,
    until_completion: bool,
    answers: list[tuple[str, dict[str, Any]]],
    key: str | None,
    message: str | None,
    error_code: str | None,
) -> None:
    """Waiting returns on success and raises the controller's reason otherwise."""
    command = await feed()(hub)
    waiter = asyncio.ensure_future(
        actions.async_wait(command, until_completion=until_completion)
    )
    await hass.async_block_till_done()
    assert not waiter.done()

    for kind, payload in answers:
        answer(hass, kind, command, **payload)
    await hass.async_block_till_done()
    if not waiter.done():
        await advance(hass, freezer, 120 if until_completion else 10)
    if key is None:
        await waiter
        return
    with pytest.raises(HomeAssistantError) as err:
        await waiter
    if message is None:
        message = command.message
        assert message is not None
        assert message.endswith("within 120 s" if until_completion else "within 10 s")
    assert_error(
        err,
        key,
        {
            "command": "FEED",
            "controller": CONTROLLER_NAME,
            "message": message,
            "error_code": error_code or "",
        },
    )


async def test_giving_up_waiting_leaves_the_command_alone(
    hass: HomeAssistant, hub: FutureFishHub
) -> None:
    """One waiter giving up (a script's timeout) does not cancel it for the others."""
    command = await feed()(hub)
    impatient = asyncio.ensure_future(
        actions.async_wait(command, until_completion=True)
    )
    patient = asyncio.ensure_future(actions.async_wait(command, until_completion=True))
    await hass.async_block_till_done()
    impatient.cancel()
    with pytest.raises(asyncio.CancelledError):
        await impatient

    answer(hass, "ack", command)
    answer(hass, "complete", command)
    await hass.async_block_till_done()
    await patient
    await actions.async_wait(command, until_completion=True)
    assert command.state is CommandState.COMPLETED
    assert not command.finished.cancelled()


# --- history, success rate and listeners --------------------------------------------


async def finish_feed(
    hass: HomeAssistant, hub: FutureFishHub, kind: str, success: bool
) -> Command:
    """Feed pond 1 and let the controller end it."""
    command = await feed()(hub)
    answer(hass, kind, command, success=success)
    await hass.async_block_till_done()
    return command


async def test_success_rate(
    hass: HomeAssistant, hub: FutureFishHub, freezer: FrozenDateTimeFactory
) -> None:
    """The rate is the share of finished commands that completed."""
    controller = controller_of(hub)
    assert hub.commands.success_rate(controller) is None
    await finish_feed(hass, hub, "complete", True)
    await finish_feed(hass, hub, "complete", True)
    await finish_feed(hass, hub, "complete", False)
    await finish_feed(hass, hub, "ack", False)
    running = await feed()(hub)
    assert hub.commands.success_rate(controller) == 50.0

    await advance(hass, freezer, 10)
    assert running.state is CommandState.TIMED_OUT
    assert hub.commands.success_rate(controller) == 40.0
    await report(hass, OTHER_MAC)
    assert hub.commands.success_rate(controller_of(hub, "ec:e3:34:aa:bb:cc")) is None


async def test_cancelled_commands_do_not_count(
    hass: HomeAssistant, entry: MockConfigEntry, hub: FutureFishHub
) -> None:
    """Commands Home Assistant cancelled say nothing about the controller."""
    await finish_feed(hass, hub, "complete", True)
    await feed(position=2)(hub)
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert hub.commands.success_rate(controller_of(hub)) == 100.0

    hub.commands.history.clear()
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    hub = entry.runtime_data
    await report(hass)
    await feed()(hub)
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert hub.commands.success_rate(controller_of(hub)) is None


async def test_history_is_bounded(hass: HomeAssistant, hub: FutureFishHub) -> None:
    """Only the last 100 finished commands are kept and counted."""
    failed = [await finish_feed(hass, hub, "complete", False) for _ in range(10)]
    for _ in range(100):
        await finish_feed(hass, hub, "complete", True)

    history = hub.commands.history[DEVICE_ID]
    assert len(history) == 100
    assert all(command.state is CommandState.COMPLETED for command in history)
    assert hub.commands.success_rate(controller_of(hub)) == 100.0
    # A forgotten command's answer is unknown now, not late.
    answer(hass, "complete", failed[-1])
    await hass.async_block_till_done()
    assert failed[-1].late_answers == 0
    assert hub.commands.unknown_answers == 1


async def test_listeners_and_last_command(
    hass: HomeAssistant, hub: FutureFishHub
) -> None:
    """Listeners hear every state change until they stop listening."""
    controller = controller_of(hub)
    assert hub.commands.last_command(controller) is None
    heard: list[tuple[str, CommandState]] = []
    remove = hub.commands.async_add_listener(
        lambda command: heard.append((command.command_type.value, command.state))
    )
    fed = await feed()(hub)
    answer(hass, "ack", fed)
    answer(hass, "complete", fed)
    await hass.async_block_till_done()
    restarting = await reboot()(hub)
    assert hub.commands.last_command(controller) is restarting

    remove()
    answer(hass, "ack", restarting)
    await hass.async_block_till_done()
    assert heard == [
        ("FEED", CommandState.SENT),
        ("FEED", CommandState.ACKNOWLEDGED),
        ("FEED", CommandState.COMPLETED),
        ("REBOOT", CommandState.SENT),
    ]
    assert hub.commands.last_command(controller) is restarting
    assert controller.values["last_command"] == (
        restarting,
        CommandState.ACKNOWLEDGED,
    )


async def test_sensors_do_not_disturb_commands(
    hass: HomeAssistant, hub: FutureFishHub
) -> None:
    """Telemetry and heartbeats from the controller leave its commands alone."""
    command = await reboot()(hub)
    send(hass, "sensors", SENSORS_B)
    send(hass, "heartbeat", STARTUP)
    await hass.async_block_till_done()
    assert command.state is CommandState.SENT


async def test_firmware_url_secrets_stay_out_of_events(
    hass: HomeAssistant, hub: FutureFishHub, mqtt_mock: MqttMockHAClient
) -> None:
    """The controller gets the whole URL; events (recorder, logbook) do not."""
    url = "https://fish:s3cret@fw.example.com/fw.bin?token=abc"
    events = command_events(hass)
    command = await firmware(url)(hub)
    answer(hass, "complete", command)
    await hass.async_block_till_done()

    assert published(mqtt_mock)[0]["url"] == url
    assert events[0].data["parameters"] == {
        "url": "https://**REDACTED**@fw.example.com/fw.bin?**REDACTED**"
    }
