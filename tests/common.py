"""Helpers shared by the Future Fish tests: a hub and controllers that talk to it."""

import json
from typing import Any, Final

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
)

from custom_components.future_fish.const import (
    CONF_ADD_NEW_CONTROLLERS,
    CONF_HEARTBEAT_TIMEOUT,
    CONF_PREFIX,
    DOMAIN,
)

MAC: Final = "EC:E3:34:1C:41:34"
DEVICE_ID: Final = "ec:e3:34:1c:41:34"
OTHER_MAC: Final = "EC:E3:34:AA:BB:CC"

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
    commands: list[dict[str, Any]] = []
    publish = mqtt_mock._mock_wraps.async_publish

    def answer(prefix: str, device: str, command_id: str) -> None:
        for kind, fields in (("ack", ack), ("complete", complete)):
            if fields is not None:
                send(hass, kind, {"command_id": command_id, **fields}, device, prefix)
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
        commands.append(command)
        command_id = command["command_id"] if "command_id" in command else command["id"]
        hass.loop.call_soon(answer, prefix, device, command_id)

    mqtt_mock.async_publish.side_effect = publish_and_answer
    return commands
