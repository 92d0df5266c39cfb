"""Commands: envelopes, acknowledgement, deadlines, retries, conflicts and outcomes.

Everything goes through Home Assistant and is observed the way a user or a
controller would: the actions are called as a script calls them, and the tests read
what is published on `ff/<id>/commands`, what the action returns or raises
(translated), which `future_fish_command` events fire, what the controller's Last
command and Command success rate sensors and the pond's valves show, and what the
diagnostics a user attaches to a bug report say.
"""

import asyncio
from collections.abc import AsyncGenerator, Callable, Coroutine, Generator
from dataclasses import dataclass
from datetime import datetime, timedelta
import json
import logging
from typing import Any, Final
from unittest.mock import patch
import uuid

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import mqtt
from homeassistant.const import (
    ATTR_DEVICE_ID,
    ATTR_ENTITY_ID,
    SERVICE_OPEN_VALVE,
    STATE_CLOSED,
    STATE_CLOSING,
    STATE_OPEN,
    STATE_OPENING,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import Context, Event, HomeAssistant, ServiceResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.dispatcher import async_dispatcher_send
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
    MqttMockPahoClient,
)

from custom_components.future_fish.const import DOMAIN

from .common import (
    DEVICE_ID,
    HEARTBEAT,
    MAC,
    OTHER_MAC,
    SENSORS_B,
    STARTUP,
    answer,
    command_id,
    commands,
    current,
    device_id,
    diagnostics,
    last_command,
    make_entry,
    reply,
    report,
    send,
    set_geometry,
    set_number,
    settle,
    setup_hub,
    start,
    still_running,
    tick,
    writes,
)

NOW: Final = datetime.fromisoformat("2026-01-15T12:00:00+00:00")
NOW_ISO: Final = "2026-01-15T12:00:00Z"
CONTROLLER_NAME: Final = "Pond controller 4134"
OTHER_NAME: Final = "Pond controller BBCC"
FIRMWARE_URL: Final = "https://fw.example.com/aquagain-1.1.0.bin"
EVENT_COMMAND: Final = "future_fish_command"
LAST_COMMAND: Final = "sensor.pond_controller_4134_last_command"
SUCCESS_RATE: Final = "sensor.pond_controller_4134_command_success_rate"
# Pond 1's geometry (set_geometry): the sensor 150 cm above the floor of a tank
# 100 cm deep, so a level of L % is 150 - L cm below the sensor.

# An action, the key of the device it names (a controller's id, a pond's
# "<id>_pond<n>") and its other fields.
type Request = tuple[str, str, dict[str, Any]]
type Envelope = Callable[[str], dict[str, Any]]


# --- requests --------------------------------------------------------------------------


def pond(position: int) -> str:
    """Return the device key of a pond of the test controller."""
    return f"{DEVICE_ID}_pond{position}"


def feed(grams: float = 250, position: int = 1) -> Request:
    """Return a request to feed a pond."""
    return "feed", pond(position), {"amount": grams}


def water(action: str, position: int = 1, **levels: float) -> Request:
    """Return a request of a water action."""
    return "water", pond(position), {"action": action, **levels}


def reboot() -> Request:
    """Return a request to restart the controller."""
    return "reboot", DEVICE_ID, {}


def firmware(url: str = FIRMWARE_URL) -> Request:
    """Return a request of a firmware update."""
    return "update_firmware", DEVICE_ID, {"url": url}


def threshold(
    parameter: str = "temp",
    lower: float = 22.5,
    upper: float = 30,
    position: int | None = 1,
) -> Request:
    """Return a request of a controller-side threshold, of a pond or the controller."""
    device = DEVICE_ID if position is None else pond(position)
    return (
        "set_threshold",
        device,
        {"parameter": parameter, "lower": lower, "upper": upper},
    )


# --- the user ------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """A command an action published, and the action call waiting for its answer."""

    call: asyncio.Task[ServiceResponse]
    payload: dict[str, Any]

    @property
    def id(self) -> str:
        """Return the command's id."""
        return command_id(self.payload)


class User:
    """Calls the actions as a script does, and reads the hub's diagnostics."""

    def __init__(
        self,
        hass: HomeAssistant,
        mqtt_mock: MqttMockHAClient,
        hass_client: ClientSessionGenerator,
    ) -> None:
        """Act on the hub of `hass`."""
        self.hass = hass
        self.mqtt_mock = mqtt_mock
        self.hass_client = hass_client
        self.calls: list[asyncio.Task[Any]] = []

    def call(
        self,
        request: Request,
        *,
        wait: bool = False,
        context: Context | None = None,
    ) -> Coroutine[Any, Any, ServiceResponse]:
        """Return the call of an action, asking for its response."""
        action, device, fields = request
        return self.hass.services.async_call(
            DOMAIN,
            action,
            {
                ATTR_DEVICE_ID: device_id(self.hass, device),
                **fields,
                "wait_for_completion": wait,
            },
            blocking=True,
            return_response=True,
            context=context,
        )

    async def start(self, request: Request, **kwargs: Any) -> asyncio.Task[Any]:
        """Start an action call and return once it published its command."""
        task = await start(self.call(request, **kwargs))
        self.calls.append(task)
        return task

    async def begin(self, request: Request, **kwargs: Any) -> Sent:
        """Start an action call that publishes a command; return both."""
        before = len(commands(self.mqtt_mock))
        task = await self.start(request, **kwargs)
        assert len(commands(self.mqtt_mock)) == before + 1, "nothing was published"
        return Sent(task, last_command(self.mqtt_mock))

    async def diagnostics(self) -> dict[str, Any]:
        """Return the hub's diagnostics, as downloaded from its entry."""
        return await diagnostics(self.hass, self.hass_client)

    async def commands(self, device: str = DEVICE_ID) -> dict[str, Any]:
        """Return what the diagnostics say about a controller's commands."""
        for controller in (await self.diagnostics())["controllers"]:
            if controller["device_id"] == device:
                found: dict[str, Any] = controller["commands"]
                return found
        raise AssertionError(f"no controller {device} in the diagnostics")

    async def command(self, command_id: str) -> dict[str, Any]:
        """Return a running or recent command of the test controller.

        A recent (finished) one also says how many answers came too late.
        """
        known = await self.commands()
        for command in (*known["active"], *known["recent"]):
            if command["command_id"] == command_id:
                return dict(command)
        raise AssertionError(f"command {command_id} is not in the diagnostics")

    async def unknown_answers(self) -> int:
        """Return how many answers named commands the hub does not know."""
        count: int = (await self.diagnostics())["hub"]["unknown_command_answers"]
        return count


async def outcome(sent: Sent) -> str | None:
    """Return how an action call ended: the state it returned, or its error's key."""
    try:
        response = await sent.call
    except HomeAssistantError as err:
        return err.translation_key
    assert isinstance(response, dict)
    assert response["command_id"] == sent.id
    state: str = response["state"]
    return state


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
def command_entities() -> Generator[None]:
    """Set up the numbers (geometry), sensors (commands) and the valves."""
    with patch(
        "custom_components.future_fish.PLATFORMS",
        [Platform.NUMBER, Platform.SENSOR, Platform.VALVE],
    ):
        yield


@pytest.fixture
async def user(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_client: ClientSessionGenerator,
) -> AsyncGenerator[User]:
    """Return the user; calls still waiting at the end are given up, as on a timeout."""
    user = User(hass, mqtt_mock, hass_client)
    yield user
    for task in user.calls:
        task.cancel()
    await asyncio.gather(*user.calls, return_exceptions=True)


@pytest.fixture
async def entry(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    options: dict[str, Any],
    entity_registry_enabled_by_default: None,
) -> MockConfigEntry:
    """Set up a hub whose controller reported, with pond 1's geometry set."""
    freezer.move_to(NOW)
    entry = await setup_hub(hass, make_entry(**options))
    await report(hass)
    await set_geometry(hass)
    mqtt_mock.async_publish.reset_mock()
    return entry


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


@pytest.mark.usefixtures("entry")
@pytest.mark.parametrize(
    ("request_", "expected"),
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
            water("fill", level=80),
            standard("WATER_FILL", 1, {"action": "WATER_FILL", "level": 70.0}),
            id="fill",
        ),
        pytest.param(
            water("drain", level=25),
            standard("WATER_DRAIN", 1, {"action": "WATER_DRAIN", "level": 125.0}),
            id="drain",
        ),
        pytest.param(
            water("fill", level=100),
            standard("WATER_FILL", 1, {"action": "WATER_FILL", "level": 50.0}),
            id="fill-to-the-brim",
        ),
        pytest.param(
            water("drain", level=0),
            standard("WATER_DRAIN", 1, {"action": "WATER_DRAIN", "level": 150.0}),
            id="drain-empty",
        ),
        *(
            pytest.param(
                water(action, position=2),
                standard(command_type, 2, {"action": command_type, "level": None}),
                id=action,
            )
            for action, command_type in (
                ("inlet_open", "WATER_INLET_OPEN"),
                ("inlet_close", "WATER_INLET_CLOSE"),
                ("outlet_open", "WATER_OUTLET_OPEN"),
                ("outlet_close", "WATER_OUTLET_CLOSE"),
            )
        ),
        pytest.param(
            water("flush", drain_level=20, fill_level=90),
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
    user: User,
    request_: Request,
    expected: Envelope,
) -> None:
    """Each command goes out once, in the envelope PROTOCOL.md section 5 gives it."""
    sent = await user.begin(request_)

    assert len(sent.id) == 32
    assert uuid.UUID(hex=sent.id).version == 4
    assert commands(mqtt_mock) == [expected(sent.id)]
    last = current(hass, LAST_COMMAND)
    assert last.state == "sent"
    assert last.attributes["command_id"] == sent.id
    assert last.attributes["attempts"] == 1

    await answer(hass, "ack", sent.payload)
    assert await outcome(sent) == "acknowledged"


@pytest.mark.usefixtures("entry")
async def test_commands_use_the_controllers_spelling(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, user: User
) -> None:
    """Commands go back on the exact topic spelling the controller used last."""
    spelling = "ec-e3-34-1c-41-34"
    send(hass, "heartbeat", {}, device=spelling)
    await hass.async_block_till_done()
    calling = await user.start(feed())

    topics = [call.args[0] for call in mqtt_mock.async_publish.call_args_list]
    assert topics == [f"ff/{spelling}/commands"]
    payload = mqtt_mock.async_publish.call_args.args[1]
    await answer(hass, "complete", command_id(json.loads(payload)), device=spelling)
    assert (await calling)["state"] == "completed"


@pytest.mark.usefixtures("entry")
async def test_geometry_from_the_number_entities(
    hass: HomeAssistant, user: User
) -> None:
    """The geometry the user types into the pond's numbers is what levels use."""
    await set_number(hass, "number.pond_2_sensor_height", 200)
    await set_number(hass, "number.pond_2_tank_depth", 120)
    sent = await user.begin(water("fill", position=2, level=50))

    assert sent.payload["parameters"] == {"action": "WATER_FILL", "level": 140.0}


# --- validation ------------------------------------------------------------------------


@pytest.mark.usefixtures("entry")
@pytest.mark.parametrize(
    ("request_", "key", "placeholders"),
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
            water("fill", position=2, level=50),
            "geometry_missing",
            {"pond": "Pond 2"},
            id="fill-without-geometry",
        ),
        pytest.param(
            water("flush", position=2, drain_level=10, fill_level=50),
            "geometry_missing",
            {"pond": "Pond 2"},
            id="flush-without-geometry",
        ),
        pytest.param(
            water("fill", level=120),
            "level_unreachable",
            {"pond": "Pond 1", "level": "120"},
            id="fill-above-the-brim",
        ),
        pytest.param(
            water("drain", level=-5),
            "level_unreachable",
            {"pond": "Pond 1", "level": "-5"},
            id="drain-below-the-floor",
        ),
        pytest.param(
            water("flush", drain_level=10, fill_level=101),
            "level_unreachable",
            {"pond": "Pond 1", "level": "101"},
            id="flush-above-the-brim",
        ),
        pytest.param(
            water("fill"),
            "level_missing",
            {"action": "fill"},
            id="fill-without-level",
        ),
        pytest.param(
            water("drain"),
            "level_missing",
            {"action": "drain"},
            id="drain-without-level",
        ),
        pytest.param(
            water("flush", drain_level=20),
            "flush_levels_missing",
            {},
            id="flush-without-fill-level",
        ),
        pytest.param(
            water("flush", fill_level=80),
            "flush_levels_missing",
            {},
            id="flush-without-drain-level",
        ),
        pytest.param(
            water("flush", drain_level=80, fill_level=20),
            "flush_levels_order",
            {"drain": "80", "fill": "20"},
            id="flush-reversed",
        ),
        pytest.param(
            water("flush", drain_level=50.5, fill_level=50.5),
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
    user: User,
    request_: Request,
    key: str,
    placeholders: dict[str, str],
) -> None:
    """A bad request raises a translated validation error and publishes nothing."""
    with pytest.raises(ServiceValidationError) as err:
        await user.call(request_)

    assert_error(err, key, placeholders)
    assert mqtt_mock.async_publish.call_count == 0
    assert current(hass, LAST_COMMAND).state == STATE_UNKNOWN
    assert (await user.commands())["active"] == []


@pytest.mark.usefixtures("entry")
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
    user: User,
    url: str,
    key: str | None,
) -> None:
    """With the option on, http firmware addresses go out; broken ones still not."""
    if key is None:
        sent = await user.begin(firmware(url))
        assert commands(mqtt_mock) == [compact("FW", 1, url=url)(sent.id)]
        return
    with pytest.raises(ServiceValidationError) as err:
        await user.call(firmware(url))
    assert_error(err, key, {"url": url})
    assert mqtt_mock.async_publish.call_count == 0


# --- answers: transitions and guards (PROTOCOL 6, 8.3, 8.4) ---------------------------


@pytest.mark.usefixtures("entry")
@pytest.mark.parametrize(
    ("answers", "returned", "state", "fields"),
    [
        pytest.param(
            [("ack", {})],
            "acknowledged",
            "acknowledged",
            {"message": None},
            id="ack",
        ),
        pytest.param(
            [("ack", {"success": "YES"})],
            "acknowledged",
            "acknowledged",
            {"message": None},
            id="ack-success-string",
        ),
        pytest.param(
            [("ack", {}), ("complete", {"message": "fed 250 g"})],
            "acknowledged",
            "completed",
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
            "acknowledged",
            "failed",
            {
                "message": "feeder jammed",
                "error_code": "E_JAM",
                "error_details": "motor stalled after 3 s",
            },
            id="complete-failure",
        ),
        pytest.param(
            [("ack", {"success": "no", "message": "busy", "error_code": "E_BUSY"})],
            "command_rejected",
            "rejected",
            {"message": "busy", "error_code": "E_BUSY"},
            id="ack-refusal",
        ),
        pytest.param(
            [("complete", {"message": "done"})],
            "completed",
            "completed",
            {"message": "done"},
            id="complete-without-ack",
        ),
        pytest.param(
            [("complete", {"success": 0})],
            "command_failed",
            "failed",
            {"message": None},
            id="failure-without-ack",
        ),
    ],
)
async def test_answers(
    hass: HomeAssistant,
    user: User,
    freezer: FrozenDateTimeFactory,
    *,
    answers: list[tuple[str, dict[str, Any]]],
    returned: str,
    state: str,
    fields: dict[str, Any],
) -> None:
    """Acks and completes move a command forward and say how it went."""
    events = command_events(hass)
    context = Context()
    sent = await user.begin(feed(), context=context)
    for kind, payload in answers:
        # Only the clock moves: no resend is due yet.
        freezer.tick(timedelta(seconds=1.5))
        await answer(hass, kind, sent.payload, **payload)

    assert await outcome(sent) == returned
    # A refusal is no acknowledgement.
    ack_ms = None if state == "rejected" else 1500
    last = current(hass, LAST_COMMAND)
    assert last.state == state
    assert last.attributes["command_id"] == sent.id
    assert last.attributes["ms_to_ack"] == ack_ms
    assert last.attributes["message"] == fields["message"]
    active = [command["command_id"] for command in (await user.commands())["active"]]
    if state == "acknowledged":
        assert active == [sent.id]
        assert events == []
        return
    assert active == []
    assert len(events) == 1
    assert events[0].context is context
    assert events[0].data == {
        "command_id": sent.id,
        "command_type": "FEED",
        "device_id": device_id(hass, pond(1)),
        "controller": DEVICE_ID,
        "pond": 1,
        "parameters": {"amount": 250, "unit": "grams"},
        "request": {},
        "state": state,
        "attempts": 1,
        "ms_to_ack": ack_ms,
        "ms_to_complete": 1500 * len(answers),
        "message": fields.get("message"),
        "error_code": fields.get("error_code"),
        "error_details": fields.get("error_details"),
    }


@pytest.mark.usefixtures("entry")
@pytest.mark.parametrize(
    ("answers", "late", "state"),
    [
        pytest.param(
            [("ack", {}), ("complete", {})],
            [("ack", {})],
            "completed",
            id="ack-after-completion",
        ),
        pytest.param(
            [("ack", {}), ("complete", {"success": False, "message": "jammed"})],
            [("complete", {"success": True, "message": "ok"})],
            "failed",
            id="complete-after-failure",
        ),
        pytest.param(
            [("ack", {"success": False, "message": "busy"})],
            [("ack", {}), ("complete", {})],
            "rejected",
            id="answers-after-refusal",
        ),
        pytest.param(
            [("ack", {})],
            [("ack", {"message": "again"})],
            "acknowledged",
            id="duplicate-ack",
        ),
        pytest.param(
            [("complete", {"message": "done"})],
            [("complete", {"message": "done again"}), ("ack", {})],
            "completed",
            id="duplicate-complete",
        ),
    ],
)
async def test_late_and_duplicate_answers(
    hass: HomeAssistant,
    user: User,
    freezer: FrozenDateTimeFactory,
    answers: list[tuple[str, dict[str, Any]]],
    late: list[tuple[str, dict[str, Any]]],
    state: str,
) -> None:
    """States only move forward: late answers are counted and change nothing."""
    events = command_events(hass)
    sent = await user.begin(feed())
    for kind, payload in answers:
        await answer(hass, kind, sent.payload, **payload)
    await outcome(sent)
    before = await user.command(sent.id)

    await tick(hass, freezer, 5)
    for kind, payload in late:
        await answer(hass, kind, sent.payload, **payload)

    after = await user.command(sent.id)
    assert after["state"] == state
    assert len(events) == (0 if state == "acknowledged" else 1)
    assert await user.unknown_answers() == 0
    if state == "acknowledged":
        # Running commands show no count; it shows once the command ends.
        assert after == before
        await answer(hass, "complete", sent.payload)
        after = await user.command(sent.id)
        assert after["state"] == "completed"
    else:
        assert after == before | {"late_answers": len(late)}
    assert after["late_answers"] == len(late)


@pytest.mark.usefixtures("entry")
async def test_late_ack_after_timeout(
    hass: HomeAssistant, user: User, freezer: FrozenDateTimeFactory
) -> None:
    """An ack after the deadline does not bring a timed-out command back."""
    events = command_events(hass)
    sent = await user.begin(feed())
    await tick(hass, freezer, 10)
    assert await outcome(sent) == "command_timed_out"

    await answer(hass, "ack", sent.payload)
    await answer(hass, "complete", sent.payload)

    command = await user.command(sent.id)
    assert command["state"] == "timed_out"
    assert command["late_answers"] == 2
    assert command["ms_to_ack"] is None
    assert current(hass, LAST_COMMAND).state == "timed_out"
    assert [event.data["state"] for event in events] == ["timed_out"]


@pytest.mark.usefixtures("entry")
@pytest.mark.parametrize(
    "spelling",
    [
        pytest.param(lambda cid: str(uuid.UUID(cid)), id="hyphenated"),
        pytest.param(lambda cid: cid.upper(), id="upper-case"),
        pytest.param(lambda cid: str(uuid.UUID(cid)).upper(), id="both"),
    ],
)
async def test_answer_id_spellings(
    hass: HomeAssistant, user: User, spelling: Callable[[str], str]
) -> None:
    """Controllers may answer with any spelling of the command's UUID."""
    sent = await user.begin(feed())
    await answer(hass, "ack", spelling(sent.id))
    assert await outcome(sent) == "acknowledged"
    await answer(hass, "complete", spelling(sent.id))
    assert current(hass, LAST_COMMAND).state == "completed"
    assert await user.unknown_answers() == 0


@pytest.mark.usefixtures("entry")
async def test_answer_from_another_controller(
    hass: HomeAssistant, user: User, caplog: pytest.LogCaptureFixture
) -> None:
    """Only the controller a command was sent to can answer it (PROTOCOL 8.4)."""
    await report(hass, OTHER_MAC)
    sent = await user.begin(feed())

    await answer(hass, "ack", sent.payload, device=OTHER_MAC)
    await answer(hass, "complete", sent.payload, success=False, device=OTHER_MAC)

    assert await still_running(sent.call)
    assert current(hass, LAST_COMMAND).state == "sent"
    warnings = [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.WARNING and "Ignored an answer" in record.message
    ]
    warning = (
        f"Ignored an answer from {OTHER_NAME} to command {sent.id},"
        f" which was sent to {CONTROLLER_NAME}"
    )
    assert warnings == [warning, warning]

    await answer(hass, "complete", sent.payload)
    assert await outcome(sent) == "completed"
    # Once finished, the other controller's answer is simply unknown to it.
    await answer(hass, "ack", sent.payload, device=OTHER_MAC)
    assert (await user.command(sent.id))["late_answers"] == 0
    assert await user.unknown_answers() == 1


@pytest.mark.usefixtures("entry")
async def test_unknown_command_id(hass: HomeAssistant, user: User) -> None:
    """An answer to a command nobody sent is counted and otherwise ignored."""
    sent = await user.begin(feed())
    await answer(hass, "ack", uuid.uuid4().hex)
    await answer(hass, "complete", str(uuid.uuid4()))

    assert await user.unknown_answers() == 2
    assert await still_running(sent.call)
    assert current(hass, LAST_COMMAND).state == "sent"


@pytest.mark.usefixtures("entry")
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
    user: User,
    kind: str,
    payload: dict[str, Any] | str,
    reason: str,
) -> None:
    """Broken answers are dropped and counted for the controller; nothing changes."""
    events = command_events(hass)
    sent = await user.begin(feed())
    send(hass, kind, payload)
    await settle()

    diagnostics = await user.diagnostics()
    assert diagnostics["controllers"][0]["stats"]["dropped"] == {f"{kind}: {reason}": 1}
    assert diagnostics["hub"]["unknown_command_answers"] == 0
    assert await still_running(sent.call)
    assert current(hass, LAST_COMMAND).state == "sent"
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
        await tick(hass, freezer, 1)
        if on_tick is not None:
            on_tick(second)
            await settle()
        times += [second] * (mqtt_mock.async_publish.call_count - len(times))
    return times


@pytest.mark.usefixtures("entry")
async def test_resends_until_acknowledged_deadline(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    user: User,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Without an ack the same command goes out again at 2, 5 and 9 s, then gives up."""
    events = command_events(hass)
    sent = await user.begin(feed())

    times = await publish_times(hass, mqtt_mock, freezer, 9)
    assert times == [0, 2, 5, 9]
    envelopes = commands(mqtt_mock)
    assert {envelope["command_id"] for envelope in envelopes} == {sent.id}
    assert [envelope["timestamp"] for envelope in envelopes] == [
        (NOW + timedelta(seconds=second)).isoformat().replace("+00:00", "Z")
        for second in times
    ]
    command = await user.command(sent.id)
    assert (command["state"], command["attempts"]) == ("sent", 4)

    await tick(hass, freezer, 1)
    assert await outcome(sent) == "command_timed_out"
    assert mqtt_mock.async_publish.call_count == 4
    assert [event.data["state"] for event in events] == ["timed_out"]
    assert events[0].data["message"] == "no acknowledgement within 10 s"
    assert events[0].data["attempts"] == 4


@pytest.mark.usefixtures("entry")
async def test_resends_stop_once_acknowledged(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    user: User,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An ack ends the resends; the completion deadline takes over."""
    sent = await user.begin(feed())

    def ack_at_three(second: int) -> None:
        if second == 3:
            reply(hass, "ack", sent.payload)

    assert await publish_times(hass, mqtt_mock, freezer, 60, ack_at_three) == [0, 2]
    response = await sent.call
    assert response is not None
    assert response["state"] == "acknowledged"
    assert response["attempts"] == 2
    assert response["ms_to_ack"] == 3000
    assert current(hass, LAST_COMMAND).state == "acknowledged"


@pytest.mark.usefixtures("entry")
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
    user: User,
    freezer: FrozenDateTimeFactory,
    times: list[int],
    deadline: int,
) -> None:
    """Retries can be switched off, and resends never pass the ack deadline."""
    events = command_events(hass)
    sent = await user.begin(feed())

    assert await publish_times(hass, mqtt_mock, freezer, deadline - 1) == times
    assert await still_running(sent.call)
    await tick(hass, freezer, 1)
    assert await outcome(sent) == "command_timed_out"
    assert events[0].data["message"] == f"no acknowledgement within {deadline} s"
    assert mqtt_mock.async_publish.call_count == len(times)


@pytest.mark.usefixtures("entry")
async def test_failed_resend_is_retried_later(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    user: User,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A resend the broker refuses is not counted and does not hurry the next one."""
    caplog.set_level(logging.DEBUG, "custom_components.future_fish")
    events = command_events(hass)
    sent = await user.begin(feed())
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
    assert (await user.command(sent.id))["attempts"] == 3
    assert f"Resend of {sent.id} failed: broker said no" in caplog.text
    assert [envelope["command_id"] for envelope in commands(mqtt_mock)] == [sent.id] * 4
    await tick(hass, freezer, 1)
    assert await outcome(sent) == "command_timed_out"
    assert events[0].data["attempts"] == 3


# --- completion deadlines -------------------------------------------------------------


@pytest.mark.usefixtures("entry")
@pytest.mark.parametrize(
    ("request_", "seconds"),
    [
        pytest.param(feed(), 120, id="feed"),
        pytest.param(water("fill", level=80), 1800, id="fill"),
        pytest.param(water("drain", level=20), 1800, id="drain"),
        pytest.param(water("flush", drain_level=20, fill_level=80), 1800, id="flush"),
        pytest.param(water("outlet_open"), 60, id="valve"),
        pytest.param(firmware(), 900, id="firmware"),
        pytest.param(reboot(), 180, id="reboot"),
        pytest.param(threshold(), 60, id="threshold"),
    ],
)
async def test_completion_deadlines(
    hass: HomeAssistant,
    user: User,
    freezer: FrozenDateTimeFactory,
    request_: Request,
    seconds: int,
) -> None:
    """An acknowledged command that never completes times out, per type."""
    events = command_events(hass)
    sent = await user.begin(request_)
    await tick(hass, freezer, 3)
    await answer(hass, "ack", sent.payload)
    assert await outcome(sent) == "acknowledged"

    await tick(hass, freezer, seconds - 1)
    assert current(hass, LAST_COMMAND).state == "acknowledged"
    await tick(hass, freezer, 1)
    last = current(hass, LAST_COMMAND)
    assert last.state == "timed_out"
    assert last.attributes["message"] == f"not completed within {seconds} s"
    assert last.attributes["ms_to_complete"] == (seconds + 3) * 1000
    assert [event.data["state"] for event in events] == ["timed_out"]


@pytest.mark.usefixtures("entry")
@pytest.mark.parametrize(
    "options",
    [{"timeout_feed": 30, "timeout_valve": 15, "timeout_water": 600}],
)
@pytest.mark.parametrize(
    ("request_", "seconds"),
    [
        pytest.param(feed(), 30, id="feed"),
        pytest.param(water("inlet_close"), 15, id="valve"),
        pytest.param(water("fill", level=10), 600, id="fill"),
        pytest.param(water("flush", drain_level=20, fill_level=80), 600, id="flush"),
        pytest.param(reboot(), 180, id="reboot-keeps-default"),
    ],
)
async def test_completion_deadline_options(
    hass: HomeAssistant,
    user: User,
    freezer: FrozenDateTimeFactory,
    request_: Request,
    seconds: int,
) -> None:
    """The options override the default completion deadlines."""
    sent = await user.begin(request_, wait=True)
    await answer(hass, "ack", sent.payload)

    await tick(hass, freezer, seconds - 1)
    assert await still_running(sent.call)
    assert current(hass, LAST_COMMAND).state == "acknowledged"
    await tick(hass, freezer, 1)
    with pytest.raises(HomeAssistantError) as err:
        await sent.call
    assert_error(err, "command_timed_out")
    assert err.value.translation_placeholders["message"] == (
        f"not completed within {seconds} s"
    )


@pytest.mark.usefixtures("entry")
async def test_completed_command_has_no_deadline_left(
    hass: HomeAssistant, user: User, freezer: FrozenDateTimeFactory
) -> None:
    """A command completed without an ack has no deadline left to fire."""
    events = command_events(hass)
    sent = await user.begin(feed())
    await answer(hass, "complete", sent.payload)
    assert await outcome(sent) == "completed"

    await tick(hass, freezer, 3600)
    last = current(hass, LAST_COMMAND)
    assert last.state == "completed"
    assert last.attributes["message"] is None
    assert len(events) == 1


# --- reboot ---------------------------------------------------------------------------


@pytest.mark.usefixtures("entry")
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
    user: User,
    freezer: FrozenDateTimeFactory,
    acknowledged: bool,
    boot_seconds: int,
) -> None:
    """A reboot is done when the controller's next startup arrives (PROTOCOL 6)."""
    events = command_events(hass)
    restarting = await user.begin(reboot())
    fed = await user.begin(feed())
    await answer(hass, "ack", fed.payload)
    assert await outcome(fed) == "acknowledged"
    if acknowledged:
        await answer(hass, "ack", restarting.payload)
        assert await outcome(restarting) == "acknowledged"
    await tick(hass, freezer, boot_seconds)
    send(hass, "startup", STARTUP)
    await settle()

    if not acknowledged:
        assert await outcome(restarting) == "completed"
    assert [event.data["command_type"] for event in events] == ["REBOOT"]
    assert events[0].data["state"] == "completed"
    assert events[0].data["message"] == "restarted"
    assert events[0].data["ms_to_complete"] == boot_seconds * 1000
    assert events[0].data["ms_to_ack"] == (0 if acknowledged else boot_seconds * 1000)
    assert (await user.command(fed.id))["state"] == "acknowledged"


@pytest.mark.usefixtures("entry")
async def test_reboot_is_never_resent(
    hass: HomeAssistant,
    user: User,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A resent reboot could arrive after the boot, when the id is forgotten."""
    events = command_events(hass)
    sent = await user.begin(reboot())
    for _ in range(6):
        await tick(hass, freezer, 5)
    await disconnect_broker(hass, mqtt_mock)
    await reconnect_broker(hass, mqtt_mock)
    # Back after the reconnect: the deadline runs on from where the outage stopped it.
    send(hass, "heartbeat", HEARTBEAT)

    assert [command["command_type"] for command in commands(mqtt_mock)] == ["REBOOT"]
    command = await user.command(sent.id)
    assert (command["state"], command["attempts"]) == ("sent", 1)
    await tick(hass, freezer, 151)
    assert await outcome(sent) == "command_timed_out"
    assert events[0].data["message"] == "no acknowledgement within 180 s"


@pytest.mark.usefixtures("entry")
async def test_startup_of_another_controller(hass: HomeAssistant, user: User) -> None:
    """Only the restarted controller's reboot completes."""
    sent = await user.begin(reboot())
    await report(hass, OTHER_MAC)
    assert await still_running(sent.call)
    assert current(hass, LAST_COMMAND).state == "sent"


# --- broker and controller availability ---------------------------------------------


@pytest.mark.usefixtures("entry")
async def test_broker_lost(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, user: User
) -> None:
    """Without the broker no command can be sent."""
    await disconnect_broker(hass, mqtt_mock)
    with pytest.raises(HomeAssistantError) as err:
        await user.call(feed())
    assert_error(err, "mqtt_disconnected", None)
    assert not isinstance(err.value, ServiceValidationError)
    assert mqtt_mock.async_publish.call_count == 0


@pytest.mark.usefixtures("entry")
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
    user: User,
    acknowledge: bool,
    resent: bool,
) -> None:
    """What may have been lost with the broker is sent again once the controller is.

    Controllers reconnect on their own schedule, after Home Assistant: the resend
    waits for the controller's first message.
    """
    events = command_events(hass)
    sent = await user.begin(feed())
    if acknowledge:
        await answer(hass, "ack", sent.payload)
        assert await outcome(sent) == "acknowledged"
    await disconnect_broker(hass, mqtt_mock)
    assert mqtt_mock.async_publish.call_count == 1
    await reconnect_broker(hass, mqtt_mock)
    assert mqtt_mock.async_publish.call_count == 1
    send(hass, "heartbeat", HEARTBEAT)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert [envelope["command_id"] for envelope in commands(mqtt_mock)] == [sent.id] * (
        2 if resent else 1
    )
    assert (await user.command(sent.id))["attempts"] == (2 if resent else 1)
    await answer(hass, "ack", sent.payload)
    await answer(hass, "complete", sent.payload, message="fed")
    assert [event.data["state"] for event in events] == ["completed"]
    assert events[0].data["message"] == "fed"


@pytest.mark.usefixtures("entry")
async def test_answer_that_brings_a_controller_back_is_not_resent(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, user: User
) -> None:
    """A complete arriving as a controller's first message after an outage ends it."""
    sent = await user.begin(feed())
    await disconnect_broker(hass, mqtt_mock)
    await reconnect_broker(hass, mqtt_mock)
    await answer(hass, "complete", sent.payload)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert await outcome(sent) == "completed"
    assert mqtt_mock.async_publish.call_count == 1


@pytest.mark.usefixtures("entry")
async def test_controller_offline(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    user: User,
    freezer: FrozenDateTimeFactory,
) -> None:
    """No command goes to an offline controller; the error says since when."""
    freezer.tick(timedelta(minutes=5))
    send(hass, "status", "offline")
    await hass.async_block_till_done()

    with pytest.raises(HomeAssistantError) as err:
        await user.call(feed())
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
    user: User,
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

    with pytest.raises(HomeAssistantError) as err:
        await user.call(reboot())
    assert_error(err, "controller_not_seen", {"controller": "Koi pond", "since": ""})
    assert mqtt_mock.async_publish.call_count == 0


# --- conflicts ------------------------------------------------------------------------


@pytest.mark.usefixtures("entry")
@pytest.mark.parametrize(
    ("first", "second", "elsewhere", "target", "running"),
    [
        pytest.param(
            water("fill", level=80),
            water("inlet_open"),
            water("inlet_open", position=2),
            "Pond 1",
            "WATER_FILL",
            id="water",
        ),
        pytest.param(
            water("outlet_open"),
            water("flush", drain_level=10, fill_level=90),
            water("outlet_open", position=2),
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
    user: User,
    *,
    first: Request,
    second: Request,
    elsewhere: Request,
    target: str,
    running: str,
) -> None:
    """A second command of a kind waits for the first; other ponds are free."""
    sent = await user.begin(first)
    with pytest.raises(HomeAssistantError) as err:
        await user.call(second)
    assert_error(err, "command_conflict", {"target": target, "running": running})
    assert mqtt_mock.async_publish.call_count == 1

    other = await user.begin(elsewhere)
    unrelated = await user.begin(threshold())
    for command in (other, unrelated):
        assert (await user.command(command.id))["state"] == "sent"

    await answer(hass, "complete", sent.payload)
    assert await outcome(sent) == "completed"
    again = await user.begin(second)
    assert (await user.command(again.id))["state"] == "sent"


@pytest.mark.usefixtures("entry")
async def test_simultaneous_requests_conflict(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, user: User
) -> None:
    """Two feeds asked for at the same moment do not both go out."""
    calls = [asyncio.create_task(user.call(feed())) for _ in range(2)]
    user.calls.extend(calls)
    await settle()

    refused = [call for call in calls if call.done()]
    assert len(refused) == 1
    with pytest.raises(HomeAssistantError) as err:
        await refused[0]
    assert err.value.translation_key == "command_conflict"
    published = commands(mqtt_mock)
    assert published == [
        standard("FEED", 1, {"amount": 250, "unit": "grams"})(command_id(published[0]))
    ]


@pytest.mark.usefixtures("entry")
async def test_failed_publish_blocks_nothing(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, user: User
) -> None:
    """A publish the broker refuses raises and leaves the pond free."""
    events = command_events(hass)
    mqtt_mock.async_publish.side_effect = HomeAssistantError("broker said no")
    with pytest.raises(HomeAssistantError, match="broker said no"):
        await user.call(feed())
    assert (await user.commands())["active"] == []
    assert current(hass, LAST_COMMAND).state == STATE_UNKNOWN

    mqtt_mock.async_publish.side_effect = None
    sent = await user.begin(feed())
    active = (await user.commands())["active"]
    assert [(command["command_id"], command["state"]) for command in active] == [
        (sent.id, "sent")
    ]
    assert events == []


@pytest.mark.usefixtures("entry")
async def test_answer_before_publish_returns(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    mqtt_client_mock: MqttMockPahoClient,
    user: User,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A controller may answer before the broker confirms the publish (QoS 2)."""
    deliver = mqtt_client_mock.publish.side_effect

    def publish_and_answer(topic: str, payload: str, *args: Any) -> Any:
        info = deliver(topic, payload, *args)
        envelope = json.loads(payload)
        reply(hass, "ack", envelope)
        if envelope.get("command_type") == "WATER_INLET_OPEN":
            reply(hass, "complete", envelope)
        return info

    mqtt_client_mock.publish.side_effect = publish_and_answer
    events = command_events(hass)
    response = await user.call(feed())
    assert response is not None
    assert response["state"] == "acknowledged"
    await hass.services.async_call(
        Platform.VALVE,
        SERVICE_OPEN_VALVE,
        {ATTR_ENTITY_ID: "valve.pond_1_inlet_valve"},
        blocking=True,
    )
    assert current(hass, "valve.pond_1_inlet_valve").state == STATE_OPEN
    assert await user.unknown_answers() == 0

    await tick(hass, freezer, 30)
    assert mqtt_mock.async_publish.call_count == 2
    assert (await user.command(str(response["command_id"])))["state"] == "acknowledged"
    assert [event.data["command_type"] for event in events] == ["WATER_INLET_OPEN"]
    assert events[0].data["state"] == "completed"


# --- valves ---------------------------------------------------------------------------


@pytest.mark.usefixtures("entry")
@pytest.mark.parametrize(
    ("action", "valve", "moving", "position"),
    [
        ("inlet_open", "inlet_valve", STATE_OPENING, STATE_OPEN),
        ("inlet_close", "inlet_valve", STATE_CLOSING, STATE_CLOSED),
        ("outlet_open", "outlet_valve", STATE_OPENING, STATE_OPEN),
        ("outlet_close", "outlet_valve", STATE_CLOSING, STATE_CLOSED),
    ],
)
async def test_valve_positions(
    hass: HomeAssistant,
    user: User,
    action: str,
    valve: str,
    moving: str,
    position: str,
) -> None:
    """Only a completed valve command changes the position the pond's valve shows."""
    entity_id = f"valve.pond_2_{valve}"
    sent = await user.begin(water(action, position=2))
    await answer(hass, "ack", sent.payload)
    assert await outcome(sent) == "acknowledged"
    assert current(hass, entity_id).state == moving

    await answer(hass, "complete", sent.payload, success=False)
    assert current(hass, entity_id).state == STATE_UNKNOWN

    sent = await user.begin(water(action, position=2))
    await answer(hass, "complete", sent.payload)
    assert await outcome(sent) == "completed"
    assert current(hass, entity_id).state == position
    for other in ("valve.pond_1_inlet_valve", "valve.pond_1_outlet_valve"):
        assert current(hass, other).state == STATE_UNKNOWN


@pytest.mark.usefixtures("entry")
async def test_completed_fill_sets_no_valve(hass: HomeAssistant, user: User) -> None:
    """Other water commands say nothing about the valves."""
    sent = await user.begin(water("fill", level=90))
    await answer(hass, "complete", sent.payload)
    assert await outcome(sent) == "completed"
    for valve in ("valve.pond_1_inlet_valve", "valve.pond_1_outlet_valve"):
        assert current(hass, valve).state == STATE_UNKNOWN


# --- unload ---------------------------------------------------------------------------


async def test_unload_cancels_running_commands(
    hass: HomeAssistant, entry: MockConfigEntry, user: User
) -> None:
    """Unloading the hub ends what is still running, with an event each."""
    events = command_events(hass)
    context = Context()
    fed = await user.begin(feed(100), wait=True, context=context)
    await answer(hass, "ack", fed.payload)
    assert await still_running(fed.call)
    restarting = await user.begin(reboot())
    done = await user.begin(feed(position=2))
    await answer(hass, "complete", done.payload)
    assert await outcome(done) == "completed"
    events.clear()

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

    with pytest.raises(HomeAssistantError) as err:
        await fed.call
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
    assert await outcome(restarting) == "command_cancelled"
    cancelled = {event.data["command_id"]: event for event in events}
    assert {key: event.data["state"] for key, event in cancelled.items()} == {
        fed.id: "cancelled",
        restarting.id: "cancelled",
    }
    assert cancelled[fed.id].context is context
    assert cancelled[fed.id].data["message"] == "Home Assistant stopped it"


# --- waiting for the outcome --------------------------------------------------------------


@pytest.mark.usefixtures("entry")
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
        pytest.param(
            False,
            [],
            "command_timed_out",
            "no acknowledgement within 10 s",
            "",
            id="ack-timed-out",
        ),
        pytest.param(
            True,
            [("ack", {})],
            "command_timed_out",
            "not completed within 120 s",
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
    user: User,
    freezer: FrozenDateTimeFactory,
    *,
    until_completion: bool,
    answers: list[tuple[str, dict[str, Any]]],
    key: str | None,
    message: str | None,
    error_code: str | None,
) -> None:
    """The action returns on success and raises the controller's reason otherwise."""
    sent = await user.begin(feed(), wait=until_completion)
    assert await still_running(sent.call)

    for kind, payload in answers:
        await answer(hass, kind, sent.payload, **payload)
    if not sent.call.done():
        await tick(hass, freezer, 120 if until_completion else 10)
    if key is None:
        completed = until_completion or answers[-1][0] == "complete"
        assert await outcome(sent) == ("completed" if completed else "acknowledged")
        return
    with pytest.raises(HomeAssistantError) as err:
        await sent.call
    assert_error(
        err,
        key,
        {
            "command": "FEED",
            "controller": CONTROLLER_NAME,
            "message": message or "",
            "error_code": error_code or "",
        },
    )


@pytest.mark.usefixtures("entry")
async def test_giving_up_waiting_leaves_the_command_alone(
    hass: HomeAssistant, user: User
) -> None:
    """A call that gives up waiting (a script's timeout) does not cancel the command."""
    events = command_events(hass)
    impatient = await user.begin(feed(), wait=True)
    impatient.call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await impatient.call

    await answer(hass, "ack", impatient.payload)
    await answer(hass, "complete", impatient.payload)
    assert current(hass, LAST_COMMAND).state == "completed"
    assert [event.data["state"] for event in events] == ["completed"]


# --- history, success rate and the last command ---------------------------------------


async def finish_feed(
    hass: HomeAssistant, user: User, kind: str, success: bool, position: int = 1
) -> Sent:
    """Feed a pond and let the controller end it."""
    sent = await user.begin(feed(position=position))
    await answer(hass, kind, sent.payload, success=success)
    await outcome(sent)
    return sent


@pytest.mark.usefixtures("entry")
async def test_success_rate(
    hass: HomeAssistant, user: User, freezer: FrozenDateTimeFactory
) -> None:
    """The rate is the share of finished commands that completed."""
    assert current(hass, SUCCESS_RATE).state == STATE_UNKNOWN
    await finish_feed(hass, user, "complete", True)
    await finish_feed(hass, user, "complete", True)
    await finish_feed(hass, user, "complete", False)
    await finish_feed(hass, user, "ack", False)
    running = await user.begin(feed())
    assert current(hass, SUCCESS_RATE).state == "50.0"

    await tick(hass, freezer, 10)
    assert await outcome(running) == "command_timed_out"
    assert current(hass, SUCCESS_RATE).state == "40.0"
    assert (await user.commands())["success_rate"] == 40.0
    await report(hass, OTHER_MAC)
    other = "sensor.pond_controller_bbcc_command_success_rate"
    assert current(hass, other).state == STATE_UNKNOWN


async def test_cancelled_commands_do_not_count(
    hass: HomeAssistant, entry: MockConfigEntry, user: User
) -> None:
    """Commands Home Assistant cancelled say nothing about the controller.

    The rate is not lowered on the way out: the sensor goes from 100 % straight
    to unavailable, and a reloaded hub starts without a rate.
    """
    await finish_feed(hass, user, "complete", True)
    await user.begin(feed(position=2))
    assert current(hass, SUCCESS_RATE).state == "100.0"
    rates = writes(hass, SUCCESS_RATE)
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert [event.data["new_state"].state for event in rates] == [STATE_UNAVAILABLE]

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await report(hass)
    assert current(hass, SUCCESS_RATE).state == STATE_UNKNOWN


@pytest.mark.usefixtures("entry")
async def test_history_is_bounded(hass: HomeAssistant, user: User) -> None:
    """Only the last 100 finished commands are kept and counted."""
    failed = [await finish_feed(hass, user, "complete", False) for _ in range(10)]
    for _ in range(100):
        await finish_feed(hass, user, "complete", True)

    recent = (await user.commands())["recent"]
    assert len(recent) == 100
    assert {command["state"] for command in recent} == {"completed"}
    assert current(hass, SUCCESS_RATE).state == "100.0"
    # A forgotten command's answer is unknown now, not late.
    await answer(hass, "complete", failed[-1].payload)
    assert await user.unknown_answers() == 1


@pytest.mark.usefixtures("entry")
async def test_last_command_follows_every_state(
    hass: HomeAssistant, user: User
) -> None:
    """The Last command sensor shows every state change of the latest command."""
    assert current(hass, LAST_COMMAND).state == STATE_UNKNOWN
    changes = writes(hass, LAST_COMMAND)
    fed = await user.begin(feed())
    await answer(hass, "ack", fed.payload)
    await answer(hass, "complete", fed.payload)
    restarting = await user.begin(reboot())
    await answer(hass, "ack", restarting.payload)

    assert [
        (
            event.data["new_state"].attributes["command_type"],
            event.data["new_state"].state,
        )
        for event in changes
    ] == [
        ("FEED", "sent"),
        ("FEED", "acknowledged"),
        ("FEED", "completed"),
        ("REBOOT", "sent"),
        ("REBOOT", "acknowledged"),
    ]
    assert current(hass, LAST_COMMAND).attributes["command_id"] == restarting.id


@pytest.mark.usefixtures("entry")
async def test_sensors_do_not_disturb_commands(hass: HomeAssistant, user: User) -> None:
    """Telemetry and heartbeats from the controller leave its commands alone."""
    sent = await user.begin(reboot())
    send(hass, "sensors", SENSORS_B)
    send(hass, "heartbeat", STARTUP)
    await settle()
    assert await still_running(sent.call)
    assert current(hass, LAST_COMMAND).state == "sent"


@pytest.mark.usefixtures("entry")
async def test_firmware_url_secrets_stay_out_of_events(
    hass: HomeAssistant, user: User
) -> None:
    """The controller gets the whole URL; responses and events (recorder) do not."""
    url = "https://fish:s3cret@fw.example.com/fw.bin?token=abc"
    redacted = {"url": "https://**REDACTED**@fw.example.com/fw.bin?**REDACTED**"}
    events = command_events(hass)
    sent = await user.begin(firmware(url))
    await answer(hass, "complete", sent.payload)
    response = await sent.call

    assert sent.payload["url"] == url
    assert response is not None
    assert response["parameters"] == redacted
    assert events[0].data["parameters"] == redacted
