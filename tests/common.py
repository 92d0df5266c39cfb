"""Helpers shared by the Future Fish tests: a hub, controllers and a user.

Controllers report and answer commands over MQTT; the user calls services and reads
states, events and what was published.

While a service call waits for a controller, the event loop must keep running for the
controller's answer to arrive, so `settle` lets it run a few rounds where
`hass.async_block_till_done()` would wait for the call itself.
"""

import asyncio
from collections.abc import Coroutine
from datetime import timedelta
import json
from typing import Any, Final
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.button import SERVICE_PRESS
from homeassistant.components.number import ATTR_VALUE, SERVICE_SET_VALUE
from homeassistant.const import ATTR_ENTITY_ID, EVENT_STATE_CHANGED, Platform
from homeassistant.core import Event, HomeAssistant, State, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
    async_fire_time_changed,
    snapshot_platform,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.future_fish.const import (
    CONF_ADD_NEW_CONTROLLERS,
    CONF_HEARTBEAT_TIMEOUT,
    CONF_PREFIX,
    DOMAIN,
)

MAC: Final = "EC:E3:34:1C:41:34"
DEVICE_ID: Final = "ec:e3:34:1c:41:34"
OTHER_MAC: Final = "EC:E3:34:AA:BB:CC"
COMMAND_TOPIC: Final = f"ff/{MAC}/commands"
SETTLE_ROUNDS: Final = 20

STARTUP: Final = {
    "device_id": MAC,
    "timestamp": "2025-12-19T10:00:00Z",
    "firmware_version": "1.0.0",
    "hardware_version": "ESP32-WROOM-32",
    "ip_address": "192.168.1.23",
    "wifi_ssid": "farm",
    "wifi_signal_strength": -61,
    "cpu_frequency": 240,
}
HEARTBEAT: Final = {**STARTUP, "free_heap": 180_000}
SENSORS_A: Final = {
    "device_id": MAC,
    "timestamp": "2025-12-19T10:00:30Z",
    "data": {
        "temperature": 26.4,
        "dissolved_oxygen": 6.8,
        "ph": 7.2,
        "turbidity": 12,
        "ammonia": 0.02,
    },
    "metadata": {"signal": -62, "firmware_version": "1.0.0"},
}
SENSORS_B: Final = {
    "device_id": MAC,
    "timestamp": "2025-12-19T10:00:31Z",
    "data": {"battery": 87, "water1": 30, "water2": 55.5, "feed1": 80, "feed2": 64},
}


def make_entry(
    prefix: str = "ff",
    heartbeat_timeout: int = 60,
    add_new_controllers: bool = True,
    **options: Any,
) -> MockConfigEntry:
    """Return a hub's config entry as the config flow creates it, plus `options`."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Future Fish ({prefix})",
        unique_id=prefix,
        data={CONF_PREFIX: prefix},
        options={
            CONF_HEARTBEAT_TIMEOUT: heartbeat_timeout,
            CONF_ADD_NEW_CONTROLLERS: add_new_controllers,
            **options,
        },
    )


async def setup_hub(
    hass: HomeAssistant, entry: MockConfigEntry | None = None
) -> MockConfigEntry:
    """Set up a hub and wait until it listens."""
    entry = entry or make_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def send(
    hass: HomeAssistant,
    kind: str,
    payload: dict[str, Any] | str | bytes,
    device: str = MAC,
    prefix: str = "ff",
) -> None:
    """Publish what a controller would, as the broker delivers it."""
    if isinstance(payload, dict):
        payload = json.dumps(payload)
    async_fire_mqtt_message(hass, f"{prefix}/{device}/{kind}", payload)


async def report(hass: HomeAssistant, device: str = MAC) -> None:
    """Let a controller boot and send one full telemetry cycle."""
    send(hass, "startup", STARTUP, device)
    send(hass, "sensors", SENSORS_A, device)
    send(hass, "sensors", SENSORS_B, device)
    await hass.async_block_till_done()


ACCEPTED: Final = {"success": True}


async def snapshot_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Match one platform's entities (registry entry and state) with its snapshot file.

    Only `platform` is set up, then the controller reports a full cycle and a
    heartbeat. Use with every entity enabled and a frozen clock.
    """
    with patch("custom_components.future_fish.PLATFORMS", [platform]):
        entry = await setup_hub(hass)
    await report(hass)
    send(hass, "heartbeat", HEARTBEAT)
    await hass.async_block_till_done()
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


# --- what a user sees -------------------------------------------------------------------


def current(hass: HomeAssistant, entity_id: str) -> State:
    """Return an entity's state object, failing clearly when it does not exist."""
    state = hass.states.get(entity_id)
    assert state is not None, f"{entity_id} does not exist"
    return state


def writes(hass: HomeAssistant, entity_id: str) -> list[Event]:
    """Capture the state changes of one entity from now on."""
    captured: list[Event] = []

    # A callback, run as the state is written: a plain function would run in the
    # executor, and be counted late.
    @callback
    def capture(event: Event) -> None:
        if event.data[ATTR_ENTITY_ID] == entity_id:
            captured.append(event)

    hass.bus.async_listen(EVENT_STATE_CHANGED, capture)
    return captured


async def diagnostics(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> dict[str, Any]:
    """Return the hub's diagnostics as a user downloads them (one hub set up)."""
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    downloaded: dict[str, Any] = await get_diagnostics_for_config_entry(
        hass, hass_client, entry
    )
    return downloaded


def device_id(hass: HomeAssistant, key: str) -> str:
    """Return the registry id of the controller or pond device with key `key`.

    A controller's key is its device id, a pond's `<device id>_pond<n>`.
    """
    registry = dr.async_get(hass)
    for entry in hass.config_entries.async_entries(DOMAIN):
        device = registry.async_get_device_by_identifier((DOMAIN, key), entry.entry_id)
        if device is not None:
            return device.id
    raise AssertionError(f"no device {key}")


# --- what a user does -------------------------------------------------------------------


def press(hass: HomeAssistant, entity_id: str) -> Coroutine[Any, Any, Any]:
    """Return the call that presses a button as the UI does."""
    return hass.services.async_call(
        Platform.BUTTON, SERVICE_PRESS, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


async def set_number(hass: HomeAssistant, entity_id: str, value: float) -> None:
    """Change a number entity as the UI does."""
    await hass.services.async_call(
        Platform.NUMBER,
        SERVICE_SET_VALUE,
        {ATTR_ENTITY_ID: entity_id, ATTR_VALUE: value},
        blocking=True,
    )


async def set_geometry(hass: HomeAssistant, pond: int = 1) -> None:
    """Give a pond a 150 cm sensor over a 100 cm deep tank: level % = 150 - cm."""
    await set_number(hass, f"number.pond_{pond}_sensor_height", 150)
    await set_number(hass, f"number.pond_{pond}_tank_depth", 100)


async def start(call: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
    """Start a blocking service call and return once it published its command."""
    task = asyncio.create_task(call)
    await settle()
    return task


async def still_running(task: asyncio.Task[Any]) -> bool:
    """Return whether a started call is still waiting (after letting it run)."""
    await settle()
    return not task.done()


# --- time and the event loop ------------------------------------------------------------


async def settle() -> None:
    """Let the event loop run what is ready (messages, futures, publishes)."""
    for _ in range(SETTLE_ROUNDS):
        await asyncio.sleep(0)


async def tick(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float | timedelta
) -> None:
    """Let time pass and run what became due, service calls still waiting included."""
    freezer.tick(
        seconds if isinstance(seconds, timedelta) else timedelta(seconds=seconds)
    )
    async_fire_time_changed(hass)
    await settle()


# --- commands, as the controller sees and answers them ----------------------------------


def commands(mqtt_mock: MqttMockHAClient) -> list[dict[str, Any]]:
    """Return every command published so far, decoded, checking how it was sent."""
    sent = []
    for call in mqtt_mock.async_publish.call_args_list:
        topic, payload, qos, retain = call.args
        if not topic.endswith("/commands"):
            continue
        assert topic == COMMAND_TOPIC
        assert (qos, retain) == (2, False)
        sent.append(json.loads(payload))
    return sent


def last_command(mqtt_mock: MqttMockHAClient) -> dict[str, Any]:
    """Return the command published last."""
    sent = commands(mqtt_mock)
    assert sent, "no command was published"
    return sent[-1]


def command_id(payload: dict[str, Any]) -> str:
    """Return the id of a command in either envelope."""
    value = payload.get("command_id", payload.get("id"))
    assert isinstance(value, str)
    return value


def reply(
    hass: HomeAssistant,
    kind: str,
    command: dict[str, Any] | str,
    device: str = MAC,
    prefix: str = "ff",
    **fields: Any,
) -> None:
    """Let a controller send an `ack` or `complete` for a command (or a command id).

    The one way a test's controller answers: `answer` waits for the answer to be
    handled, `answer_commands` answers every command as it is published.
    """
    identifier = command if isinstance(command, str) else command_id(command)
    # A field may name another id: an answer to a command nobody sent.
    send(hass, kind, {"command_id": identifier, **fields}, device, prefix)


async def answer(
    hass: HomeAssistant,
    kind: str,
    command: dict[str, Any] | str,
    success: Any = True,
    *,
    device: str = MAC,
    **fields: Any,
) -> None:
    """Let the controller acknowledge (`ack`) or complete a published command."""
    reply(hass, kind, command, device, success=success, **fields)
    await settle()


def answer_commands(
    hass: HomeAssistant,
    mqtt_mock: Any,
    *,
    ack: dict[str, Any] | None = ACCEPTED,
    complete: dict[str, Any] | None = None,
    boot: bool = False,
) -> list[dict[str, Any]]:
    """Make controllers answer every command Home Assistant publishes to them.

    `mqtt_mock` is the fixture of that name, whose publishing this takes over.
    Each command published on `<prefix>/<device>/commands` is decoded and appended to
    the returned list. Then the controller it went to answers: an `ack`, then a
    `complete` (None sends no such message), each with the command's id added unless
    it names one itself, and with `boot` a `startup` (what completes a reboot). The
    answers arrive as from a broker, once the publish has returned, so the command is
    already being tracked. Call again to change the answers.
    """
    published: list[dict[str, Any]] = []
    publish = mqtt_mock._mock_wraps.async_publish

    def respond(prefix: str, device: str, command: dict[str, Any]) -> None:
        for kind, fields in (("ack", ack), ("complete", complete)):
            if fields is not None:
                reply(hass, kind, command, device, prefix, **fields)
        if boot:
            send(hass, "startup", {**STARTUP, "device_id": device}, device, prefix)

    async def publish_and_answer(
        topic: str, payload: str, qos: int, retain: bool, **kwargs: Any
    ) -> None:
        await publish(topic, payload, qos, retain, **kwargs)
        parts = topic.rsplit("/", 2)
        if len(parts) != 3 or parts[2] != "commands":
            return
        prefix, device, _ = parts
        command = json.loads(payload)
        published.append(command)
        hass.loop.call_soon(respond, prefix, device, command)

    mqtt_mock.async_publish.side_effect = publish_and_answer
    return published


# The fields of startup and heartbeat messages that describe the controller
# (PROTOCOL.md 3; `seq` from 7).
IDENTITY_FIELDS: Final = (
    "timestamp",
    "firmware_version",
    "hardware_version",
    "device_name",
    "ip_address",
    "wifi_ssid",
    "wifi_signal_strength",
    "free_heap",
    "cpu_frequency",
    "device_type",
    "seq",
)
