"""A private broker, the real MQTT integration, and simulated controllers."""

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
import json
from pathlib import Path
import sys
from typing import Any

from homeassistant.components import mqtt
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, HomeAssistant, callback
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tools.broker import Mosquitto

ROOT = Path(__file__).resolve().parents[2]
# Generous: a slow CI machine under load; the awaited events usually come in < 1 s.
TIMEOUT = 30


@pytest.fixture
def broker() -> Generator[Mosquitto]:
    """Run a Mosquitto of our own on a free loopback port."""
    with Mosquitto() as running:
        yield running


@pytest.fixture
async def mqtt_entry(
    hass: HomeAssistant,
    socket_enabled: None,
    mock_hass_config: None,
    broker: Mosquitto,
) -> AsyncGenerator[MockConfigEntry]:
    """Set up Home Assistant's real MQTT client against the private broker.

    `mock_hass_config` stands in for configuration.yaml, which MQTT reads.
    """
    entry = MockConfigEntry(
        domain=mqtt.DOMAIN,
        data={mqtt.CONF_BROKER: broker.host, "port": broker.port},
        version=mqtt.CONFIG_ENTRY_VERSION,
        minor_version=mqtt.CONFIG_ENTRY_MINOR_VERSION,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await wait_for_broker(hass, connected=True)
    yield entry
    # Unload everything while the broker still runs, so the client stops cleanly;
    # the hubs before MQTT, so that they unsubscribe while it is connected.
    for loaded in reversed(hass.config_entries.async_entries()):
        if loaded.state.recoverable:
            await hass.config_entries.async_unload(loaded.entry_id)
    await hass.async_block_till_done()


class Simulator:
    """The simulator as a separate process, with its JSON event lines."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        """Wrap a started simulator process."""
        self.process = process
        self.events: list[dict[str, Any]] = []
        self._new_event = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            async with self._new_event:
                self.events.append(json.loads(line))
                self._new_event.notify_all()

    async def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool]
    ) -> dict[str, Any]:
        """Return the first event (past or future) that satisfies `predicate`."""
        async with asyncio.timeout(TIMEOUT), self._new_event:
            while True:
                for event in self.events:
                    if predicate(event):
                        return event
                await self._new_event.wait()

    def executed(self, command_id: str) -> int:
        """Return how often the controllers really executed a command."""
        return self._count("executed", command_id)

    def received(self, command_id: str) -> int:
        """Return how often the broker delivered a command to the controllers."""
        return self._count("received", command_id)

    def _count(self, kind: str, command_id: str) -> int:
        return sum(
            event["event"] == kind and event["command_id"] == command_id
            for event in self.events
        )

    async def stop(self, *, kill: bool = False) -> None:
        """End the process: SIGTERM disconnects cleanly, SIGKILL drops the socket."""
        if self.process.returncode is None:
            if kill:
                self.process.kill()
            else:
                self.process.terminate()
            await self.process.wait()
        await self._reader


type StartSimulator = Callable[..., Awaitable[Simulator]]


@pytest.fixture
async def start_simulator(broker: Mosquitto) -> AsyncGenerator[StartSimulator]:
    """Start simulators with the given options; each is stopped after the test."""
    started: list[Simulator] = []

    async def start(*options: str) -> Simulator:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tools.simulator",
            "--port",
            str(broker.port),
            "--events",
            "--log-level",
            "WARNING",
            *options,
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
        )
        simulator = Simulator(process)
        started.append(simulator)
        await simulator.wait_for(lambda event: event["event"] == "ready")
        return simulator

    yield start
    for simulator in started:
        await simulator.stop()


async def wait_until(hass: HomeAssistant, condition: Callable[[], bool]) -> None:
    """Wait until `condition` on entity states holds, checking on every change."""
    if condition():
        return
    reached = asyncio.Event()

    @callback
    def check(_: Event) -> None:
        if condition():
            reached.set()

    unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, check)
    try:
        async with asyncio.timeout(TIMEOUT):
            await reached.wait()
    finally:
        unsubscribe()


async def wait_for_broker(hass: HomeAssistant, *, connected: bool) -> None:
    """Wait until Home Assistant's MQTT client is (dis)connected."""
    if mqtt.is_connected(hass) is connected:
        return
    reached = asyncio.Event()

    @callback
    def changed(state: bool) -> None:
        if state is connected:
            reached.set()

    unsubscribe = mqtt.async_subscribe_connection_status(hass, changed)
    try:
        async with asyncio.timeout(TIMEOUT):
            await reached.wait()
    finally:
        unsubscribe()
