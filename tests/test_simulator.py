"""The controller simulator (tools/simulator) speaks PROTOCOL.md like a field controller.

The e2e tests run a private Mosquitto (tools/broker.py), the simulator as a separate
process with --events, and a plain paho client as the observer. Rates and command
times are scaled so that every test takes about a second.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
import json
from pathlib import Path
import random
import re
import signal
import sys
import threading
import time
from typing import Any
import uuid

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
import pytest

from tools.broker import Mosquitto, MosquittoNotInstalledError
from tools.simulator import Fleet, FleetOptions, IdStyle
from tools.simulator.commands import (
    CommandRefusedError,
    firmware_version_from_url,
    parse_command,
    validate,
)
from tools.simulator.fleet import is_legacy
from tools.simulator.ids import device_ids
from tools.simulator.model import Pond, Walk

REPO = Path(__file__).resolve().parent.parent
TIMEOUT = 10.0
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
MAC_UPPER = re.compile(r"^EC:E3:34(:[0-9A-F]{2}){3}$")
IDENTITY = {
    "device_id",
    "timestamp",
    "firmware_version",
    "hardware_version",
    "ip_address",
    "wifi_ssid",
    "wifi_signal_strength",
    "cpu_frequency",
}
SENSORS_A = {"temperature", "dissolved_oxygen", "ph", "turbidity", "ammonia"}
SENSORS_B = {"battery", "water1", "feed1", "water2", "feed2"}
LEGACY_ONE_POND = {
    "temperature",
    "water_level",
    "feed_level",
    "turbidity",
    "dissolved_oxygen",
    "ph",
    "ammonia",
    "battery",
    "signal_strength",
}
# Fast enough for tests: a heartbeat every 0.2 s, a sensors cycle every 0.3 s.
FAST = ["--rate-multiplier", "100"]


async def wait_until[T](probe: Callable[[], T]) -> T:
    """Poll `probe` until it returns something truthy (or fail after TIMEOUT)."""
    deadline = time.monotonic() + TIMEOUT
    while not (result := probe()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {TIMEOUT} s waiting for {probe}")
        await asyncio.sleep(0.01)
    return result


@dataclass(frozen=True)
class Message:
    """One message the observer saw."""

    topic: str
    payload: bytes
    qos: int
    retain: bool

    @property
    def device_id(self) -> str:
        """The id in the topic."""
        return self.topic.split("/")[1]

    @property
    def kind(self) -> str:
        """The last topic segment: startup, heartbeat, ack ..."""
        return self.topic.split("/")[-1]

    def json(self) -> Any:
        """Parse the payload."""
        return json.loads(self.payload)


class Observer:
    """A plain paho client that records everything under the prefix."""

    def __init__(self, port: int) -> None:
        """Connect and start paho's network thread."""
        self._lock = threading.Lock()
        self._messages: list[Message] = []
        self._subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2)
        # Back soon after a broker restart (paho annotates ints, takes floats).
        self.client.reconnect_delay_set(0.05, 0.2)  # type: ignore[arg-type]
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _on_connect(self, client: mqtt.Client, *_: Any) -> None:
        client.subscribe("ff/#", qos=2)

    def _on_message(self, _client: mqtt.Client, _userdata: Any, msg: Any) -> None:
        with self._lock:
            self._messages.append(Message(msg.topic, msg.payload, msg.qos, msg.retain))

    def stop(self) -> None:
        """Disconnect first: that wakes paho's thread, which loop_stop() joins."""
        self.client.disconnect()
        self.client.loop_stop()

    def messages(
        self, kind: str | None = None, device_id: str | None = None
    ) -> list[Message]:
        """Return the messages seen so far, optionally of one kind and controller."""
        with self._lock:
            return [
                m
                for m in self._messages
                if (kind is None or m.kind == kind)
                and (device_id is None or m.device_id == device_id)
            ]

    def payloads(self, kind: str, device_id: str | None = None) -> list[Any]:
        """Return the parsed payloads seen so far."""
        return [m.json() for m in self.messages(kind, device_id)]

    async def wait_count(
        self, kind: str, count: int, device_id: str | None = None
    ) -> list[Message]:
        """Wait until `count` messages of a kind were seen; return all of them."""

        def probe() -> list[Message]:
            found = self.messages(kind, device_id)
            return found if len(found) >= count else []

        return await wait_until(probe)

    def answers(self, kind: str, command_id: str) -> list[dict[str, Any]]:
        """Return the acks or completes of a command, whichever id spelling."""
        return [
            p
            for p in self.payloads(kind)
            if uuid.UUID(p["command_id"]).hex == uuid.UUID(command_id).hex
        ]

    async def answer(self, kind: str, command_id: str) -> dict[str, Any]:
        """Wait for the first ack or complete of a command."""
        found = await wait_until(lambda: self.answers(kind, command_id))
        return found[0]

    def command(self, device_id: str, payload: dict[str, Any]) -> str:
        """Send a command with QoS 2, as the deployed backend does; return its id."""
        self.client.publish(f"ff/{device_id}/commands", json.dumps(payload), qos=2)
        return str(payload.get("command_id") or payload["id"])


class Simulator:
    """`python -m tools.simulator` in a subprocess, with its events."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        """Wrap a started simulator process."""
        self.process = process
        self.events: list[dict[str, Any]] = []

    async def _read_event(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = await self.process.stdout.readline()
        assert line, "the simulator exited"
        event: dict[str, Any] = json.loads(line)
        self.events.append(event)
        return event

    async def wait_event(self, name: str, **fields: Any) -> dict[str, Any]:
        """Wait for an event with these fields (one already read counts too)."""

        def matches(event: dict[str, Any]) -> bool:
            return event["event"] == name and fields.items() <= event.items()

        for event in self.events:
            if matches(event):
                return event
        async with asyncio.timeout(TIMEOUT):
            while not matches(event := await self._read_event()):
                pass
        return event

    async def ready(self) -> list[str]:
        """Wait for the ready event; return the controller ids."""
        controllers: list[str] = (await self.wait_event("ready"))["controllers"]
        return controllers

    def count(self, name: str) -> int:
        """Count the events read so far (all of them after `stop()`)."""
        return sum(1 for event in self.events if event["event"] == name)

    async def stop(self, signum: int = signal.SIGTERM) -> int:
        """Signal the simulator, collect its remaining events, return its exit code."""
        if self.process.returncode is None:
            self.process.send_signal(signum)
        assert self.process.stdout is not None
        async with asyncio.timeout(TIMEOUT):
            rest = await self.process.stdout.read()
            code = await self.process.wait()
        self.events += [json.loads(line) for line in rest.splitlines()]
        return code


@pytest.fixture
def broker(socket_enabled: None) -> Iterator[Mosquitto]:
    """Run a private Mosquitto for one test."""
    with Mosquitto() as mosquitto:
        yield mosquitto


@pytest.fixture
def observer(broker: Mosquitto) -> Iterator[Observer]:
    """Record everything under ff/ with a plain paho client."""
    client = Observer(broker.port)
    assert client._subscribed.wait(TIMEOUT)
    yield client
    client.stop()


@pytest.fixture
async def start_simulator(
    broker: Mosquitto,
) -> AsyncIterator[Callable[..., Any]]:
    """Return an async function starting the simulator with extra CLI options."""
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
            cwd=REPO,
            stdout=asyncio.subprocess.PIPE,
        )
        started.append(Simulator(process))
        return started[-1]

    yield start
    for simulator in started:
        if simulator.process.returncode is None:
            simulator.process.kill()
            await simulator.process.wait()


def standard(
    command_type: str, pond: int | None = 1, **parameters: Any
) -> dict[str, Any]:
    """Build a command in the standard envelope."""
    return {
        "command_id": uuid.uuid4().hex,
        "command_type": command_type,
        "pond_position": pond,
        "parameters": parameters,
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def compact(command_type: str, pos: int = 1, **fields: Any) -> dict[str, Any]:
    """Build a command in the compact envelope."""
    return {"id": uuid.uuid4().hex, "type": command_type, "pos": pos, **fields}


def assert_answer(payload: dict[str, Any], device_id: str, *, complete: bool) -> None:
    """Check the field set of ack and complete (PROTOCOL.md section 6)."""
    required = {"command_id", "success", "message", "device_id", "timestamp"}
    if complete:
        required.add("execution_time_ms")
    if not payload["success"]:
        required |= {"error_code", "error_details"}
    assert set(payload) == required
    assert payload["device_id"] == device_id
    assert TIMESTAMP.match(payload["timestamp"])


# --- telemetry ---------------------------------------------------------------------


@pytest.mark.e2e
async def test_telemetry_shapes(observer: Observer, start_simulator: Any) -> None:
    """startup, heartbeat and split sensors messages carry exactly PROTOCOL.md's fields."""
    simulator = await start_simulator("--count", "2", *FAST)
    named, unnamed = await simulator.ready()
    for device_id in (named, unnamed):
        await observer.wait_count("heartbeat", 1, device_id)
        await observer.wait_count("sensors", 2, device_id)
    assert await simulator.stop() == 0

    assert MAC_UPPER.match(named) and MAC_UPPER.match(unnamed)
    messages = observer.messages()
    assert {m.qos for m in messages} == {2}
    assert not any(m.retain for m in messages)
    assert {m.kind for m in messages} == {"startup", "heartbeat", "sensors"}
    for device_id, identity in (
        (named, IDENTITY | {"device_name"}),
        (unnamed, IDENTITY),
    ):
        (startup,) = observer.payloads("startup", device_id)
        assert set(startup) == identity
        assert startup["device_id"] == device_id
        assert TIMESTAMP.match(startup["timestamp"])
        assert startup["firmware_version"] == "1.0.0"
        assert startup["hardware_version"] == "ESP32-WROOM-32"
        assert -100 <= startup["wifi_signal_strength"] <= 0
        for heartbeat in observer.payloads("heartbeat", device_id):
            assert set(heartbeat) == identity | {"free_heap"}
            assert heartbeat["free_heap"] > 0
        sensors = observer.payloads("sensors", device_id)
        assert {frozenset(s["data"]) for s in sensors} == {
            frozenset(SENSORS_A),
            frozenset(SENSORS_B),
        }
        for message in sensors:
            assert set(message) == {"device_id", "timestamp", "data", "metadata"}
            data, metadata = message["data"], message["metadata"]
            if "temperature" in data:
                assert set(metadata) == {
                    "signal",
                    "firmware_version",
                    "hardware_version",
                }
                assert 0 <= data["temperature"] <= 50
                assert 0 <= data["dissolved_oxygen"] <= 20
                assert 0 <= data["ph"] <= 14
            else:
                assert metadata == {}
                assert 30 <= data["water1"] <= 150
                assert 30 <= data["water2"] <= 150
                assert 0 <= data["feed1"] <= 100
    assert observer.payloads("startup", named)[0]["device_name"].startswith("Farm")


@pytest.mark.e2e
async def test_legacy_format_seq_one_pond(
    observer: Observer, start_simulator: Any
) -> None:
    """--legacy-format sends one flat message per cycle; --seq counts per topic."""
    simulator = await start_simulator("--legacy-format", "--ponds", "1", "--seq", *FAST)
    (device_id,) = await simulator.ready()
    await observer.wait_count("sensors", 3, device_id)
    await observer.wait_count("heartbeat", 3, device_id)
    assert await simulator.stop() == 0

    sensors = observer.payloads("sensors")
    for message in sensors:
        assert set(message) == LEGACY_ONE_POND | {"seq"}
        assert 0 <= message["water_level"] <= 100
    assert [m["seq"] for m in sensors] == list(range(len(sensors)))
    heartbeats = observer.payloads("heartbeat")
    assert [m["seq"] for m in heartbeats] == list(range(len(heartbeats)))
    assert "seq" not in observer.payloads("startup")[0]


@pytest.mark.e2e
async def test_faulty_readings(observer: Observer, start_simulator: Any) -> None:
    """--out-of-range-rate 1 spoils every reading; --bad-json-rate 1 every payload."""
    simulator = await start_simulator("--out-of-range-rate", "1", *FAST)
    await simulator.ready()
    await observer.wait_count("sensors", 2)
    assert await simulator.stop() == 0
    for message in observer.payloads("sensors"):
        for key, value in message["data"].items():
            if key.startswith("water"):
                assert value < 0
            else:
                assert not 0 <= value <= 14, (key, value)  # outside even the pH range
        if "signal" in message["metadata"]:
            assert not -100 <= message["metadata"]["signal"] <= 0

    simulator = await start_simulator("--seed", "2", "--bad-json-rate", "1", *FAST)
    (device_id,) = await simulator.ready()
    for message in await observer.wait_count("heartbeat", 2, device_id):
        with pytest.raises(ValueError):
            message.json()
    assert await simulator.stop() == 0


@pytest.mark.e2e
async def test_oxygen_crash(observer: Observer, start_simulator: Any) -> None:
    """--oxygen-crash makes dissolved oxygen fall until it reaches 0."""
    # 1000 mg/L per simulated hour on a 100x clock: 0 within a few readings.
    simulator = await start_simulator("--oxygen-crash", "1000", *FAST)
    await simulator.ready()
    await observer.wait_count("sensors", 6)
    assert await simulator.stop() == 0
    oxygen = [
        message["data"]["dissolved_oxygen"]
        for message in observer.payloads("sensors")
        if "dissolved_oxygen" in message["data"]
    ]
    assert oxygen
    assert oxygen[-1] == 0.0


@pytest.mark.e2e
async def test_silence_after(observer: Observer, start_simulator: Any) -> None:
    """--silence-after: publishing stops, the connection stays (no Last Will)."""
    simulator = await start_simulator("--status-topic", "--silence-after", "0.3", *FAST)
    (device_id,) = await simulator.ready()
    await asyncio.sleep(0.5)

    def heard() -> list[Message]:
        return [m for m in observer.messages() if m.kind != "commands"]

    before = heard()
    command_id = observer.command(device_id, compact("THRESH", 1, p="ph", u=9, l=6))
    await asyncio.sleep(0.5)  # two heartbeat intervals
    assert heard() == before
    assert not observer.answers("ack", command_id)
    assert [m.payload for m in observer.messages("status")] == [b"online"]
    assert await simulator.stop() == 0


# --- commands -----------------------------------------------------------------------


@pytest.mark.e2e
async def test_standard_commands(observer: Observer, start_simulator: Any) -> None:
    """Feed, fill, valves and configuration are acked, executed and completed."""
    simulator = await start_simulator("--command-time-scale", "0.01", *FAST)
    (device_id,) = await simulator.ready()

    def pond_data() -> dict[str, Any]:
        """Return the latest pond half of a sensors cycle ({} before the first)."""
        return next(
            (
                p["data"]
                for p in reversed(observer.payloads("sensors"))
                if "water1" in p["data"]
            ),
            {},
        )

    before = await wait_until(pond_data)
    feed = observer.command(device_id, standard("FEED", 2, amount=250, unit="grams"))
    ack = await observer.answer("ack", feed)
    assert_answer(ack, device_id, complete=False)
    assert ack["success"] is True
    assert ack["command_id"] == feed
    done = await observer.answer("complete", feed)
    assert_answer(done, device_id, complete=True)
    assert done["success"] is True
    assert done["execution_time_ms"] >= 100  # (2 s + 10 s) * 0.01

    # 250 g of a 5 kg hopper: 5 %.
    after = await wait_until(
        lambda: pond_data() if pond_data()["feed2"] < before["feed2"] else {}
    )
    assert after["feed2"] == pytest.approx(before["feed2"] - 5, abs=0.15)

    # Filling to 30 cm (full) moves the surface at 20 cm/s at this scale.
    fill = observer.command(
        device_id, standard("WATER_FILL", 1, action="WATER_FILL", level=30)
    )
    assert (await observer.answer("ack", fill))["success"] is True
    assert (await observer.answer("complete", fill))["success"] is True
    await wait_until(lambda: (data := pond_data()) and data["water1"] == 30.0)

    for command_type in ("WATER_INLET_OPEN", "WATER_OUTLET_CLOSE"):
        valve = observer.command(
            device_id, standard(command_type, 1, action=command_type, level=None)
        )
        complete = await observer.answer("complete", valve)
        assert complete["success"] is True
        assert "valve of pond 1" in complete["message"]

    config = observer.command(
        device_id,
        standard("CONFIG_UPDATE", None, config_data={"device_name": "Hatchery"}),
    )
    assert (await observer.answer("complete", config))["success"] is True

    def names() -> set[str | None]:
        return {h.get("device_name") for h in observer.payloads("heartbeat")}

    await wait_until(lambda: "Hatchery" in names())
    assert await simulator.stop() == 0
    assert simulator.count("executed") == 5


@pytest.mark.e2e
async def test_refused_commands(observer: Observer, start_simulator: Any) -> None:
    """Unknown types and invalid parameters are refused in the ack; nothing runs."""
    simulator = await start_simulator("--command-time-scale", "0.01", *FAST)
    (device_id,) = await simulator.ready()
    cases = {
        "UNKNOWN_COMMAND": standard("LAUNCH_ROCKET"),
        "INVALID_PARAMETER": standard("FEED", 1, amount=-5, unit="grams"),
        "INVALID_POND": standard("FEED", 3, amount=5, unit="grams"),
    }
    cases_too = [
        standard("WATER_FILL", 1, action="WATER_FILL", level=151),
        standard("WATER_DRAIN", 1, action="WATER_DRAIN", level=-1),
        compact("FLUSH", 1, d=20, f=80),
        compact("THRESH", 1, p="ph", u=6, l=8),
        compact("FW", 1, url="ftp://example.invalid/fw.bin"),
    ]
    for code, command in [
        *cases.items(),
        *(("INVALID_PARAMETER", c) for c in cases_too),
    ]:
        command_id = observer.command(device_id, command)
        ack = await observer.answer("ack", command_id)
        assert_answer(ack, device_id, complete=False)
        assert ack["success"] is False
        assert ack["error_code"] == code
    # A second feed while the first runs: the feeder is busy.
    first = observer.command(device_id, standard("FEED", 1, amount=500, unit="grams"))
    second = observer.command(device_id, standard("FEED", 1, amount=5, unit="grams"))
    assert (await observer.answer("ack", second))["error_code"] == "BUSY"
    await observer.answer("complete", first)
    assert await simulator.stop() == 0
    assert len(observer.messages("complete")) == 1
    assert simulator.count("executed") == 1


@pytest.mark.e2e
async def test_compact_commands(observer: Observer, start_simulator: Any) -> None:
    """FLUSH, THRESH (with an alarm), FW and REBOOT, as field controllers answer them."""
    simulator = await start_simulator("--command-time-scale", "0.002", *FAST)
    (device_id,) = await simulator.ready()

    flush = observer.command(device_id, compact("FLUSH", 2, d=80, f=40))
    assert (await observer.answer("ack", flush))["success"] is True
    complete = await observer.answer("complete", flush)
    assert complete["success"] is True
    assert "80.0 cm" in complete["message"] and "40.0 cm" in complete["message"]

    # Limits the temperature cannot meet: the controller raises an alarm itself.
    thresh = observer.command(device_id, compact("THRESH", 1, p="temp", u=1.0, l=0.5))
    assert (await observer.answer("complete", thresh))["success"] is True
    (alarm,) = [m.json() for m in await observer.wait_count("threshold", 1)]
    assert set(alarm) == {
        "device_id",
        "timestamp",
        "pond_position",
        "parameter",
        "value",
        "lower",
        "upper",
        "message",
    }
    assert alarm["pond_position"] == 1
    assert alarm["parameter"] == "temp"
    assert (alarm["lower"], alarm["upper"]) == (0.5, 1.0)
    assert alarm["value"] > 1.0
    # One alarm per crossing, not one per sensors cycle.
    count = len(observer.messages("sensors"))
    await observer.wait_count("sensors", count + 4)
    assert len(observer.messages("threshold")) == 1

    fw = observer.command(
        device_id, compact("FW", 1, url="https://updates.invalid/future-fish-1.2.0.bin")
    )
    assert (await observer.answer("complete", fw))["success"] is True
    startups = await observer.wait_count("startup", 2)
    assert startups[-1].json()["firmware_version"] == "1.2.0"

    reboot = observer.command(device_id, standard("REBOOT", None))
    assert (await observer.answer("ack", reboot))["success"] is True
    await observer.wait_count("startup", 3)
    assert await simulator.stop() == 0
    assert not observer.answers("complete", reboot)  # the startup is the completion


@pytest.mark.e2e
@pytest.mark.parametrize(("dedupe", "executions"), [(True, 1), (False, 2)])
async def test_resent_command(
    observer: Observer, start_simulator: Any, dedupe: bool, executions: int
) -> None:
    """A resent command_id is answered again but executed once (unless --no-dedupe)."""
    options = () if dedupe else ("--no-dedupe",)
    simulator = await start_simulator("--command-time-scale", "0.001", *options)
    (device_id,) = await simulator.ready()
    command = standard("FEED", 1, amount=10, unit="grams")
    command_id = observer.command(device_id, command)
    await observer.answer("complete", command_id)
    # Hyphenated on the resend: the same command.
    observer.command(device_id, command | {"command_id": str(uuid.UUID(command_id))})
    await wait_until(lambda: len(observer.answers("complete", command_id)) == 2)
    assert len(observer.answers("ack", command_id)) == 2
    assert await simulator.stop() == 0
    assert simulator.count("received") == 2
    assert simulator.count("executed") == executions
    assert simulator.count("deduped") == 2 - executions


@pytest.mark.e2e
async def test_lost_ack(observer: Observer, start_simulator: Any) -> None:
    """--drop-acks 1: the first command runs without an ack; the resend gets one."""
    simulator = await start_simulator(
        "--command-time-scale", "0.001", "--drop-acks", "1"
    )
    (device_id,) = await simulator.ready()
    command = standard("FEED", 1, amount=10, unit="grams")
    command_id = observer.command(device_id, command)
    await observer.answer("complete", command_id)
    assert not observer.answers("ack", command_id)
    observer.command(device_id, command)
    assert (await observer.answer("ack", command_id))["success"] is True
    await simulator.wait_event("deduped", command_id=command_id)
    assert await simulator.stop() == 0
    assert simulator.count("executed") == 1


@pytest.mark.e2e
async def test_never_complete_refuse_compact_ids(
    observer: Observer, start_simulator: Any
) -> None:
    """--never-complete acks only; --refuse refuses all; --compact-ids hyphenates."""
    simulator = await start_simulator(
        "--command-time-scale", "0.001", "--never-complete"
    )
    (device_id,) = await simulator.ready()
    first = observer.command(device_id, standard("FEED", 1, amount=1, unit="grams"))
    assert (await observer.answer("ack", first))["success"] is True
    second = observer.command(device_id, compact("THRESH", 1, p="ph", u=9, l=6))
    await observer.answer("ack", second)
    await simulator.wait_event("executed", command_id=second)
    await asyncio.sleep(0.2)  # both would have completed within a few ms
    assert not observer.messages("complete")
    assert await simulator.stop() == 0

    simulator = await start_simulator("--seed", "2", "--refuse", "HARDWARE_FAULT")
    (device_id,) = await simulator.ready()
    command_id = observer.command(
        device_id, standard("FEED", 1, amount=1, unit="grams")
    )
    ack = await observer.answer("ack", command_id)
    assert (ack["success"], ack["error_code"]) == (False, "HARDWARE_FAULT")
    assert_answer(ack, device_id, complete=False)
    assert await simulator.stop() == 0
    assert simulator.count("executed") == 0

    simulator = await start_simulator("--seed", "3", "--compact-ids")
    (device_id,) = await simulator.ready()
    command_id = observer.command(device_id, compact("THRESH", 1, p="do", l=2))
    ack = await observer.answer("ack", command_id)
    assert ack["command_id"] == str(uuid.UUID(command_id))
    assert await simulator.stop() == 0


# --- connection ----------------------------------------------------------------------


@pytest.mark.e2e
async def test_status_topic_and_last_will(
    broker: Mosquitto, observer: Observer, start_simulator: Any
) -> None:
    """Retained online; the Last Will says offline when the process dies uncleanly."""
    simulator = await start_simulator("--status-topic", *FAST)
    (device_id,) = await simulator.ready()
    online = (await observer.wait_count("status", 1))[0]
    assert (online.payload, online.qos) == (b"online", 1)
    assert await simulator.stop(signal.SIGKILL) != 0
    offline = (await observer.wait_count("status", 2))[1]
    assert offline.payload == b"offline"

    # Retained: a client connecting now learns it at once.
    late = Observer(broker.port)
    try:
        (status,) = await late.wait_count("status", 1, device_id)
        assert (status.payload, status.retain) == (b"offline", True)
    finally:
        late.stop()

    # A clean stop (SIGTERM) says offline itself and exits with 0.
    simulator = await start_simulator("--status-topic", *FAST)
    await simulator.ready()
    await observer.wait_count("status", 3)
    assert await simulator.stop() == 0
    assert (await observer.wait_count("status", 4))[3].payload == b"offline"


@pytest.mark.e2e
async def test_flap(observer: Observer, start_simulator: Any) -> None:
    """--flap cuts the connection (the Last Will fires) and reconnects."""
    simulator = await start_simulator("--status-topic", "--flap", "0.4", *FAST)
    (device_id,) = await simulator.ready()
    statuses = await observer.wait_count("status", 5, device_id)
    assert [m.payload for m in statuses[:5]] == [b"online", b"offline"] * 2 + [
        b"online"
    ]
    await observer.wait_count("heartbeat", len(observer.messages("heartbeat")) + 1)
    assert len(observer.messages("startup")) == 1  # reconnecting is not rebooting
    assert await simulator.stop() == 0


@pytest.mark.e2e
async def test_broker_restart(
    broker: Mosquitto, observer: Observer, start_simulator: Any
) -> None:
    """After a broker restart the controller reconnects: online again, no new startup."""
    simulator = await start_simulator("--status-topic", "--seq", *FAST)
    (device_id,) = await simulator.ready()
    await observer.wait_count("heartbeat", 2)
    broker.restart()
    # Online again (the broker's shutdown may also have published the Last Will).
    await wait_until(
        lambda: [m.payload for m in observer.messages("status")].count(b"online") == 2
    )
    last_seq = observer.payloads("heartbeat")[-1]["seq"]
    await wait_until(lambda: observer.payloads("heartbeat")[-1]["seq"] > last_seq + 1)
    assert len(observer.messages("startup")) == 1
    # Commands work on the new connection.
    command_id = observer.command(device_id, compact("THRESH", 1, p="ph", u=9, l=6))
    assert (await observer.answer("ack", command_id))["success"] is True
    assert await simulator.stop() == 0


@pytest.mark.e2e
async def test_shared_connection_library(broker: Mosquitto, observer: Observer) -> None:
    """The library API: 200 controllers over 2 connections in this event loop."""
    options = FleetOptions(
        port=broker.port,
        count=200,
        shared_connection=True,
        connections=2,
        qos=1,
        rate_multiplier=100,
        command_time_scale=0.001,
        id_style=IdStyle.HYPHEN,
    )
    events: list[dict[str, Any]] = []
    async with Fleet(options, on_event=events.append) as fleet:
        async with asyncio.timeout(TIMEOUT):
            await fleet.wait_ready()
        assert len(events) == 1
        assert events[0]["controllers"] == fleet.device_ids
        await observer.wait_count("startup", 200)
        device_id = fleet.device_ids[123]
        assert re.match(r"^EC-E3-34(-[0-9A-F]{2}){3}$", device_id)
        command_id = observer.command(
            device_id, standard("FEED", 1, amount=3, unit="grams")
        )
        done = await observer.answer("complete", command_id)
        assert done["device_id"] == device_id
        await observer.wait_count("heartbeat", 400)
        # Rebooting a controller on a shared connection: silence, then a new startup.
        observer.command(device_id, standard("REBOOT", None))
        await wait_until(lambda: len(observer.messages("startup", device_id)) == 2)
    assert fleet.stats.published >= 600
    assert fleet.stats.delivered >= 600
    assert fleet.stats.commands_executed == 2
    assert {m.device_id for m in observer.messages("startup")} == set(fleet.device_ids)


# --- units --------------------------------------------------------------------------


def test_broker_not_installed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without mosquitto the error says how to install it."""
    monkeypatch.setattr("tools.broker._DEBIAN_PATH", tmp_path / "mosquitto")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(
        MosquittoNotInstalledError, match="apt-get install -y mosquitto"
    ):
        Mosquitto()


def test_device_ids() -> None:
    """Ids come from the seed, and every style spells the same MACs."""
    upper = device_ids(5, 7, IdStyle.COLON_UPPER)
    assert upper == device_ids(5, 7, IdStyle.COLON_UPPER)
    assert upper != device_ids(5, 8, IdStyle.COLON_UPPER)
    assert len(set(upper)) == 5
    assert all(MAC_UPPER.match(mac) for mac in upper)
    assert device_ids(5, 7, IdStyle.COLON_LOWER) == [mac.lower() for mac in upper]
    assert device_ids(5, 7, IdStyle.HYPHEN) == [mac.replace(":", "-") for mac in upper]


def test_validate_commands() -> None:
    """Parameter checks, the reboot alias and versions derived from firmware URLs."""

    def check(payload: dict[str, Any]) -> Any:
        command = parse_command(payload)
        assert command is not None
        return validate(command, 2, "1.0.0")

    assert type(check(standard("RESTART", None))).__name__ == "Reboot"
    assert check(standard("FEED", 2, amount=5)).grams == 5
    for bad in (True, "5", float("nan"), 0):
        with pytest.raises(CommandRefusedError):
            check(standard("FEED", 1, amount=bad))
    with pytest.raises(CommandRefusedError):
        check(standard("FEED", True, amount=5))
    assert parse_command({"type": "FEED"}) is None
    assert (
        firmware_version_from_url("https://x.invalid/a/future-fish-1.2.0.bin", "1.0.0")
        == "1.2.0"
    )
    assert (
        firmware_version_from_url("https://x.invalid/latest.bin", "1.0.9") == "1.0.10"
    )


def test_pond_and_walk() -> None:
    """Water moves linearly and stops at the tank; walks stay within their bounds."""
    pond = Pond(position=1, resting_cm=100.0, feed_grams=100.0)
    target, seconds = pond.move_water(10.0, now=0.0, rate=2.0)
    assert (target, seconds) == (30.0, 35.0)
    assert pond.distance(10.0) == 80.0
    assert pond.distance(99.0) == 30.0
    pond.stop_water(5.0)
    assert pond.distance(1000.0) == 90.0
    assert pond.dispense(150.0) == 100.0
    walk = Walk(0.0, -1.0, 1.0, 0.9)
    rng = random.Random(1)
    assert all(-1.0 <= walk.advance(rng) <= 1.0 for _ in range(1000))
    assert [is_legacy(i, 0.5) for i in range(4)] == [False, True, False, True]
    with pytest.raises(ValueError):
        FleetOptions(shared_connection=True, status_topic=True)
