"""Helpers for tests of entities that send commands: calls, payloads, answers.

While a service call waits for a controller, `hass.async_block_till_done()` would
wait for it too (until the real-time deadline), so these helpers let the event loop
run a few rounds instead.
"""

import asyncio
from collections.abc import Coroutine
from datetime import timedelta
import json
from typing import Any, Final

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.number import ATTR_VALUE, SERVICE_SET_VALUE
from homeassistant.const import ATTR_ENTITY_ID, EVENT_STATE_CHANGED, Platform
from homeassistant.core import Event, HomeAssistant, State
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from .common import send

COMMAND_TOPIC: Final = "ff/EC:E3:34:1C:41:34/commands"
SETTLE_ROUNDS: Final = 20


def current(hass: HomeAssistant, entity_id: str) -> State:
    """Return an entity's state object, failing clearly when it does not exist."""
    state = hass.states.get(entity_id)
    assert state is not None, f"{entity_id} does not exist"
    return state


def writes(hass: HomeAssistant, entity_id: str) -> list[Event]:
    """Capture the state changes of one entity from now on."""
    captured: list[Event] = []

    def capture(event: Event) -> None:
        if event.data[ATTR_ENTITY_ID] == entity_id:
            captured.append(event)

    hass.bus.async_listen(EVENT_STATE_CHANGED, capture)
    return captured


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


async def answer(
    hass: HomeAssistant,
    kind: str,
    payload: dict[str, Any],
    success: bool = True,
    **fields: Any,
) -> None:
    """Let the controller acknowledge (`ack`) or complete a published command."""
    send(hass, kind, {"command_id": command_id(payload), "success": success, **fields})
    await settle()


async def settle() -> None:
    """Let the event loop run what is ready (messages, futures, publishes)."""
    for _ in range(SETTLE_ROUNDS):
        await asyncio.sleep(0)


async def start(call: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
    """Start a blocking service call and return once it published its command."""
    task = asyncio.create_task(call)
    await settle()
    return task


async def still_running(task: asyncio.Task[Any]) -> bool:
    """Return whether a started call is still waiting (after letting it run)."""
    await settle()
    return not task.done()


async def tick(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    """Let time pass and run what became due."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await settle()


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
