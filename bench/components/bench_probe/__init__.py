"""The benchmark's probe inside Home Assistant: counts, clocks and samples.

Written into the benchmark's temporary configuration directory next to the subject
under test, never shipped. It does the same for every subject, so its own small cost
is the same in every figure:

- counts MQTT messages Home Assistant's client handled (a counter in front of the
  client's `on_message`), and remembers when the first one after a `mark` and the
  latest one were handled, for the drain test;
- counts state writes (`state_changed` and `state_reported`) in event filters that
  return False, so no listener job is ever scheduled, and among the subject's
  `state_changed` those to `unavailable` (for the restart window);
- on request (the calibration), notes for each message which of the subject's
  entities it changed, with the message's kind and the keys of its `data`: what
  the writing floor (`bench_floor`) is told to write;
- keeps the write time and value of the latency probe entities;
- notes when the device or entity registry last changed (their storage is written
  10 s after the last change), and says when the recorder has committed what was
  queued when asked (it records every registry change of the setup as an event):
  setup costs no steady window should see;
- says when every expected entity of the subject is available;
- answers the orchestrator on a Unix socket, one JSON object per line each way.

It depends on no other integration, so Home Assistant sets it up as soon as the
recorder, before MQTT and so before any subject: it sees every state a subject
writes (`subject_states_at_start` says if one came first).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
import contextlib
from functools import partial
import json
import logging
from pathlib import Path
import time
from typing import Any

from homeassistant.components import mqtt
from homeassistant.components.mqtt.models import DATA_MQTT
from homeassistant.const import (
    EVENT_HOMEASSISTANT_STARTED,
    EVENT_HOMEASSISTANT_STOP,
    EVENT_STATE_CHANGED,
    EVENT_STATE_REPORTED,
    STATE_UNAVAILABLE,
)
from homeassistant.core import Event, HomeAssistant, State, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.json import json_bytes
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.typing import ConfigType

DOMAIN = "bench_probe"
_LOGGER = logging.getLogger(__name__)
_NOT_LOOKED_UP = object()
# A Future Fish feed command for the round-trip test: the smallest amount.
_FEED_GRAMS = 1


class Probe:
    """Everything the probe measures in one Home Assistant process."""

    def __init__(self, hass: HomeAssistant, settings: Mapping[str, Any]) -> None:
        """Measure what `settings` (written by the orchestrator) asks for."""
        self.hass = hass
        self.platform: str | None = settings["entity_platform"]
        self.expected: int = settings["expected_entities"]
        # unique_id -> index into latency_keys; the samples carry the index.
        self.latency_keys: list[str] = list(settings["latency_unique_ids"])
        self._latency_index = {uid: i for i, uid in enumerate(self.latency_keys)}
        self.command_ponds: list[str] = settings.get("command_ponds", [])
        self.started_at: float | None = None
        self.ready_at: float | None = None
        self.writes_changed = 0
        self.writes_reported = 0
        # Writes of the subject's own entities.
        self.subject_changed = 0
        self.subject_reported = 0
        self.messages = 0
        self.first_after_mark: float | None = None
        self.last_message: float | None = None
        self.registry_changed_at: float | None = None
        self.recorder_synced = False
        # Only the latest request's commit counts.
        self._sync_request = 0
        self.samples: list[tuple[int, str, float]] = []
        # The subject's `state_changed` to unavailable, and those of them that
        # were the entity's first state in this process.
        self.unavailable_written = 0
        self.unavailable_first = 0
        self.subject_states_at_start: int | None = None
        # While tracing: per message handled, [kind, data keys, unique ids changed].
        self.trace: list[tuple[str, list[str], list[str]]] | None = None
        self._traced_changes: list[str] | None = None
        self._kind: dict[str, object] = {}
        self._available: set[str] = set()
        self._entities = er.async_get(hass)

    # --- state writes ---------------------------------------------------------------

    @callback
    def count_changed(self, data: Mapping[str, Any]) -> bool:
        """Count a `state_changed`; never let a listener job be scheduled."""
        self.writes_changed += 1
        new_state: State | None = data["new_state"]
        if new_state is None:
            self._available.discard(data["entity_id"])
        elif self._observe(
            data["entity_id"], new_state, new_state.last_updated_timestamp
        ):
            self.subject_changed += 1
            if new_state.state == STATE_UNAVAILABLE:
                self.unavailable_written += 1
                self.unavailable_first += data["old_state"] is None
            if self._traced_changes is not None:
                self._traced_changes.append(self._unique_id(data["entity_id"]) or "")
        return False

    @callback
    def count_reported(self, data: Mapping[str, Any]) -> bool:
        """Count a `state_reported` (a write that changed nothing)."""
        self.writes_reported += 1
        state: State = data["new_state"]
        if self._observe(data["entity_id"], state, state.last_reported_timestamp):
            self.subject_reported += 1
        return False

    @callback
    def _observe(self, entity_id: str, state: State, written: float) -> bool:
        """Note a write; return whether the entity belongs to the subject."""
        kind = self._kind.get(entity_id, _NOT_LOOKED_UP)
        if kind is _NOT_LOOKED_UP:
            kind = self._kind[entity_id] = self._look_up(entity_id)
        if kind is None:
            return False
        if kind is not True:
            self.samples.append((kind, state.state, written))  # type: ignore[arg-type]
        if self.ready_at is None:
            self._track_availability(entity_id, state)
        return True

    @callback
    def _look_up(self, entity_id: str) -> object:
        """Return a latency index, True for another subject entity, None otherwise."""
        unique_id = self._unique_id(entity_id)
        if unique_id is None:
            return None
        return self._latency_index.get(unique_id, True)

    @callback
    def _unique_id(self, entity_id: str) -> str | None:
        """Return the unique id of a subject's entity, None for any other entity."""
        if (floor := self.hass.data.get("bench_floor")) is not None:
            return floor.unique_ids.get(entity_id)  # type: ignore[no-any-return]
        entry = self._entities.async_get(entity_id)
        if entry is None or entry.platform != self.platform:
            return None
        return entry.unique_id

    def _subject_entities(self) -> dict[str, bool]:
        """Return the subject's entity ids, each with whether it is enabled.

        The writing floor's entities are states without registry entries.
        """
        if (floor := self.hass.data.get("bench_floor")) is not None:
            return dict.fromkeys(floor.unique_ids, True)
        return {
            entry.entity_id: entry.disabled_by is None
            for entry in self._entities.entities.values()
            if entry.platform == self.platform
        }

    @callback
    def _track_availability(self, entity_id: str, state: State) -> None:
        if state.state == STATE_UNAVAILABLE:
            self._available.discard(entity_id)
            return
        self._available.add(entity_id)
        if len(self._available) >= self.expected > 0:
            self.ready_at = time.time()
            _LOGGER.warning("bench: all %d entities available", self.expected)

    @callback
    def scan_states(self) -> None:
        """Take in what was written before the probe listened (should be nothing)."""
        self.subject_states_at_start = sum(
            self._observe(state.entity_id, state, state.last_updated_timestamp)
            for state in self.hass.states.async_all()
        )

    @callback
    def registry_changed(self, _data: Mapping[str, Any]) -> bool:
        """Note a device or entity registry change; never schedule a listener job."""
        self.registry_changed_at = time.time()
        return False

    def sync_recorder(self) -> dict[str, Any]:
        """Have the recorder commit everything queued so far; `status` says when."""
        self._sync_request += 1
        self.recorder_synced = False
        future = get_instance(self.hass).async_get_commit_future()
        if future is None:
            self.recorder_synced = True
        else:
            future.add_done_callback(partial(self._recorder_synced, self._sync_request))
        return {}

    @callback
    def _recorder_synced(self, request: int, _future: asyncio.Future[None]) -> None:
        if request == self._sync_request:
            self.recorder_synced = True

    # --- MQTT messages ----------------------------------------------------------------

    def wrap_on_message(self) -> None:
        """Count every message in front of the MQTT client's own handler."""
        client = self.hass.data[DATA_MQTT].client
        paho = client._mqttc  # noqa: SLF001 - no public hook; same cost for all
        handle = paho.on_message

        def counted(mqttc: Any, userdata: Any, msg: Any) -> None:
            now = time.monotonic()
            self.messages += 1
            self.last_message = now
            if self.first_after_mark is None:
                self.first_after_mark = now
            if self.trace is None:
                handle(mqttc, userdata, msg)
                return
            # The subject handles a message synchronously: the states it changes
            # now are this message's.
            changed: list[str] = []
            self._traced_changes = changed
            try:
                handle(mqttc, userdata, msg)
            finally:
                self._traced_changes = None
            self.trace.append((msg.topic.rsplit("/", 1)[-1], _data_keys(msg), changed))

        paho.on_message = counted

    # --- answers to the orchestrator ----------------------------------------------------

    def status(self) -> dict[str, Any]:
        """Return the counters and clocks (CPU time of the whole process)."""
        ceiling = self.hass.data.get("bench_ceiling")
        ready_at = self.ready_at
        available = len(self._available)
        if ceiling is not None:
            # The ceiling has no entities: it is ready when every controller was heard.
            ready_at = ceiling.ready_at
            available = len(ceiling.heard)
        return {
            "time": time.time(),
            "monotonic": time.monotonic(),
            "cpu": time.process_time(),
            "started_at": self.started_at,
            "ready_at": ready_at,
            "available": available,
            "writes_changed": self.writes_changed,
            "writes_reported": self.writes_reported,
            "subject_changed": self.subject_changed,
            "subject_reported": self.subject_reported,
            "unavailable_written": self.unavailable_written,
            "unavailable_first": self.unavailable_first,
            "subject_states_at_start": self.subject_states_at_start,
            "messages": self.messages,
            "first_after_mark": self.first_after_mark,
            "last_message": self.last_message,
            "mqtt_connected": DATA_MQTT in self.hass.data
            and mqtt.is_connected(self.hass),
            "registry_changed_at": self.registry_changed_at,
            "recorder_backlog": get_instance(self.hass).backlog,
            "recorder_synced": self.recorder_synced,
        }

    def mark(self) -> dict[str, Any]:
        """Start a drain measurement: the next handled message is its first."""
        self.first_after_mark = None
        return self.status()

    def take_samples(self) -> dict[str, Any]:
        """Return the latency samples (the ceiling's carry raw payloads)."""
        ceiling = self.hass.data.get("bench_ceiling")
        if ceiling is not None:
            return {"payloads": ceiling.take_samples()}
        samples, self.samples = self.samples, []
        return {"keys": self.latency_keys, "writes": samples}

    def entity_ids(self) -> list[str]:
        """Return the entity ids of the subject's entities."""
        return list(self._subject_entities())

    def entity_counts(self) -> dict[str, int]:
        """Return how many of the subject's entities are enabled, disabled, shown."""
        entities = self._subject_entities()
        enabled = sum(entities.values())
        return {
            "enabled": enabled,
            "disabled": len(entities) - enabled,
            "states": sum(
                self.hass.states.get(entity_id) is not None for entity_id in entities
            ),
        }

    def unavailable(self) -> list[str]:
        """Return the subject's enabled entities that are not available (yet)."""
        return [
            entity_id
            for entity_id, enabled in self._subject_entities().items()
            if enabled and entity_id not in self._available
        ]

    def start_trace(self) -> dict[str, Any]:
        """Start noting which entities each message changes (see `trace`)."""
        self.trace = []
        return {}

    def take_trace(self) -> list[tuple[str, list[str], list[str]]]:
        """Stop tracing; return [kind, data keys, unique ids changed] per message."""
        trace, self.trace = self.trace or [], None
        return trace

    def subscriptions(self, integration: str) -> list[dict[str, Any]]:
        """Return the MQTT subscriptions whose callbacks belong to `integration`."""
        package = f"custom_components.{integration}"
        return sorted(
            (
                {"topic": subscription.topic, "qos": subscription.qos}
                for subscription in self.hass.data[DATA_MQTT].client.subscriptions
                if getattr(subscription.job.target, "__module__", "").startswith(
                    package
                )
            ),
            key=lambda item: (item["topic"], item["qos"]),
        )

    def inventory(self, device_id: str) -> list[dict[str, Any]]:
        """Describe the subject's entities of one controller and its ponds."""
        result = []
        prefix = f"{device_id}_"
        for entry in list(self._entities.entities.values()):
            if entry.platform != self.platform or not entry.unique_id.startswith(
                prefix
            ):
                continue
            rest = entry.unique_id.removeprefix(prefix)
            pond = None
            if rest.startswith("pond") and "_" in rest:
                head, rest = rest.split("_", 1)
                pond = int(head.removeprefix("pond"))
            state = self.hass.states.get(entry.entity_id)
            result.append(
                {
                    "domain": entry.domain,
                    "key": rest,
                    "pond": pond,
                    "device_class": entry.device_class or entry.original_device_class,
                    "unit": entry.unit_of_measurement,
                    "capabilities": dict(entry.capabilities or {}),
                    "entity_category": entry.entity_category,
                    "enabled": entry.disabled_by is None,
                    "available": state is not None and state.state != STATE_UNAVAILABLE,
                    # As shown, for the writing floor's copies.
                    "state": None if state is None else state.state,
                    "attributes": {} if state is None else dict(state.attributes),
                }
            )
        return result

    async def commands(self, count: int) -> dict[str, Any]:
        """Feed `count` times, round robin over the probe ponds, one at a time.

        Measures, from the action call, the time until it returns (the controller
        acknowledged) and until the command's final event.
        """
        devices = dr.async_get(self.hass)
        ponds = [
            devices.async_get_devices(identifiers={("future_fish", key)})[0].id
            for key in self.command_ponds
        ]
        if not ponds:
            return {"error": "no pond device found"}
        finished_at: dict[str, float] = {}
        waiting: dict[str, asyncio.Future[None]] = {}

        @callback
        def on_command(event: Event) -> None:
            command_id = event.data["command_id"]
            finished_at[command_id] = event.time_fired_timestamp
            if (future := waiting.get(command_id)) is not None and not future.done():
                future.set_result(None)

        remove = self.hass.bus.async_listen("future_fish_command", on_command)
        ack_ms: list[float] = []
        complete_ms: list[float] = []
        failures: list[str] = []
        try:
            for index in range(count):
                started = time.time()
                try:
                    response = await self.hass.services.async_call(
                        "future_fish",
                        "feed",
                        {"device_id": ponds[index % len(ponds)], "amount": _FEED_GRAMS},
                        blocking=True,
                        return_response=True,
                    )
                except Exception as err:  # noqa: BLE001 - reported, not raised
                    failures.append(repr(err))
                    continue
                acked = time.time()
                if not isinstance(response, dict):
                    failures.append(f"no response: {response!r}")
                    continue
                command_id = str(response["command_id"])
                if command_id not in finished_at:
                    waiting[command_id] = self.hass.loop.create_future()
                    async with asyncio.timeout(30):
                        await waiting[command_id]
                ack_ms.append((acked - started) * 1000)
                complete_ms.append((finished_at[command_id] - started) * 1000)
        finally:
            remove()
        return {"ack_ms": ack_ms, "complete_ms": complete_ms, "failures": failures}


async def _serve(probe: Probe, path: str) -> asyncio.Server:
    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        with contextlib.suppress(ConnectionError):
            while line := await reader.readline():
                request = json.loads(line)
                answer = await _answer(probe, request)
                # Home Assistant's encoder: attributes may hold e.g. enums or sets.
                writer.write(json_bytes(answer) + b"\n")
                await writer.drain()
        writer.close()

    return await asyncio.start_unix_server(handle, path, limit=1 << 24)


async def _answer(probe: Probe, request: Mapping[str, Any]) -> Any:
    operations: dict[str, Callable[[], Any]] = {
        "status": probe.status,
        "mark": probe.mark,
        "samples": probe.take_samples,
        "entity_ids": probe.entity_ids,
        "unavailable": probe.unavailable,
        "entity_counts": probe.entity_counts,
        "sync_recorder": probe.sync_recorder,
        "start_trace": probe.start_trace,
        "take_trace": probe.take_trace,
    }
    op = request["op"]
    if op in operations:
        return operations[op]()
    if op == "inventory":
        return probe.inventory(request["device_id"])
    if op == "subscriptions":
        return probe.subscriptions(request["integration"])
    if op == "commands":
        return await probe.commands(request["count"])
    return {"error": f"unknown op {op}"}


def _data_keys(msg: Any) -> list[str]:
    """Return the sorted keys of a message's `data` object (none: not a sensors one)."""
    try:
        data = json.loads(msg.payload).get("data")
    except AttributeError, ValueError:
        return []
    return sorted(data) if isinstance(data, dict) else []


@callback
def _never_called(_: Event) -> None:
    """Stand in for a listener: the probe's event filters always return False."""


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Start measuring; the settings file comes from configuration.yaml."""
    path = Path(config[DOMAIN]["settings"])
    settings = json.loads(await hass.async_add_executor_job(path.read_text))
    probe = Probe(hass, settings)
    hass.data[DOMAIN] = probe
    hass.bus.async_listen(
        EVENT_STATE_CHANGED, _never_called, event_filter=probe.count_changed
    )
    hass.bus.async_listen(
        EVENT_STATE_REPORTED, _never_called, event_filter=probe.count_reported
    )
    for registry_event in (
        dr.EVENT_DEVICE_REGISTRY_UPDATED,
        er.EVENT_ENTITY_REGISTRY_UPDATED,
    ):
        hass.bus.async_listen(
            registry_event, _never_called, event_filter=probe.registry_changed
        )
    probe.scan_states()
    server = await _serve(probe, settings["socket"])

    @callback
    def started(_: Event) -> None:
        probe.started_at = time.time()

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STARTED, started)

    async def wrap_when_ready() -> None:
        if await mqtt.async_wait_for_mqtt_client(hass):
            probe.wrap_on_message()

    hass.async_create_background_task(wrap_when_ready(), "bench probe wrap mqtt")

    @callback
    def stop(_: Event) -> None:
        server.close()

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, stop)
    return True
