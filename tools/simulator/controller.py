"""One simulated pond controller: its state, its timers and how it answers commands.

The controller talks to MQTT only through a `Link` (one connection of its own, or a
share of one), so the same code plays a device with a Last Will and one of a thousand
multiplexed benchmark controllers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum, auto
import json
import logging
import random
from typing import Any, Protocol

from . import messages
from .commands import (
    BUSY,
    FEED_HOPPER_EMPTY,
    Command,
    CommandRefusedError,
    ConfigUpdate,
    Feed,
    Firmware,
    Flush,
    Job,
    MoveWater,
    Reboot,
    Request,
    Threshold,
    Valve,
    parse_command,
    validate,
)
from .events import EventSink, Stats
from .ids import hyphenated, normalize_command_id
from .messages import MAX_NAME_LENGTH, Identity, PondReading
from .model import WATER_RATE_CM_PER_S, Pond, SimClock, Walk, WaterQuality
from .options import FleetOptions

_LOGGER = logging.getLogger(__name__)

# How long things take on a field controller, in seconds at command_time_scale 1.
FEED_BASE_S = 2.0
FEED_S_PER_GRAM = 0.04  # 100 g: 6 s
VALVE_S = 1.0
FIRMWARE_S = 45.0  # download and flash
REBOOT_S = 5.0  # silent between the ack (or FW complete) and the next startup
THRESHOLD_S = 0.2
CONFIG_S = 0.5

# Command ids remembered for deduplication: a few hours of commands, as a small
# firmware would keep in a ring buffer.
_ANSWER_MEMORY = 256
_DELIVERY_TIMEOUT_S = 10.0


class Link(Protocol):
    """What a controller needs from its MQTT connection (see transport.py)."""

    @property
    def up(self) -> bool:
        """Whether publishing is possible now."""
        ...

    def publish(self, topic: str, payload: str, qos: int, retain: bool) -> bool:
        """Queue a message; False when the connection is down."""
        ...

    async def deliver(self, topic: str, payload: str, qos: int, retain: bool) -> bool:
        """Publish and wait until the broker has it."""
        ...

    def drop(self, offline_for: float) -> None:
        """Cut the connection uncleanly and stay away for a while."""
        ...


class _Power(Enum):
    OFF = auto()  # not booted yet, or rebooting
    BOOTING = auto()  # startup under way
    ON = auto()


@dataclass(slots=True)
class _Answers:
    """What the controller said about one accepted command, to repeat it on a resend."""

    ack: dict[str, Any]
    complete: dict[str, Any] | None = None


class Controller:
    """One controller serving one or two ponds."""

    def __init__(
        self,
        *,
        index: int,
        device_id: str,
        options: FleetOptions,
        legacy: bool,
        clock: SimClock,
        stats: Stats,
        events: EventSink,
        on_first_boot: Callable[[], None],
    ) -> None:
        """Create the controller switched off; it boots when its link comes up."""
        self._loop = asyncio.get_running_loop()
        self._options = options
        self._legacy = legacy
        self._clock = clock
        self._stats = stats
        self._events = events
        self._on_first_boot = on_first_boot
        self._rng = random.Random(f"{options.seed}:{index}")
        self._topic = f"{options.prefix}/{device_id}/"
        # Even-numbered controllers carry a name, odd ones leave device_name out, so
        # that both naming paths of the integration get exercised.
        name = f"Farm controller {device_id[-5:].replace(':', '').replace('-', '')}"
        self.identity = Identity(
            device_id=device_id,
            device_name=name if index % 2 == 0 else None,
            # Data only: nothing ever connects to these addresses.
            ip_address=f"192.168.{1 + index // 250 % 250}.{10 + index % 250}",
        )
        self._quality = WaterQuality.initial(self._rng)
        self._free_heap = Walk(
            self._rng.uniform(170_000, 210_000), 140_000, 230_000, 1500
        )
        self.ponds = [Pond.initial(n, self._rng) for n in range(1, options.ponds + 1)]
        self.thresholds: dict[tuple[int, str], Threshold] = {}
        self._alarms: set[tuple[int, str]] = set()
        self._link: Link | None = None
        self._exclusive = False
        self._power = _Power.OFF
        self._booted_once = False
        self._down_until = 0.0
        self._silent_from = float("inf")
        self._seq = {"heartbeat": 0, "sensors": 0}
        self._answers: dict[str, _Answers] = {}
        self._acks = 0
        self._busy: set[tuple[int, str]] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def device_id(self) -> str:
        """The id in the topics, spelled as this controller spells it."""
        return self.identity.device_id

    def attach(self, link: Link, *, exclusive: bool) -> None:
        """Connect to MQTT; `exclusive` when the connection is this controller's own."""
        self._link = link
        self._exclusive = exclusive

    # --- lifecycle -----------------------------------------------------------------

    def link_up(self) -> None:
        """React to the connection (re)established, subscriptions included.

        A real controller keeps running across a broker outage: it re-announces the
        retained online status but sends no new startup.
        """
        if self._options.status_topic:
            self._send("status", "online", qos=1, retain=True)
        self._try_boot()

    def _try_boot(self) -> None:
        if (
            self._power is _Power.OFF
            and self._loop.time() >= self._down_until
            and self._link is not None
            and self._link.up
        ):
            self._power = _Power.BOOTING
            self._spawn(self._boot())

    async def _boot(self) -> None:
        self._seq = dict.fromkeys(self._seq, 0)
        await self._deliver("startup", self.identity.fields(self._wifi_signal()))
        self._power = _Power.ON
        interval = self._options.heartbeat_interval / self._options.rate_multiplier
        self._spawn(self._every(interval, self._heartbeat))
        interval = self._options.sensor_interval / self._options.rate_multiplier
        self._spawn(self._every(interval, self._sensors))
        if not self._booted_once:
            self._booted_once = True
            if self._options.silence_after is not None:
                self._silent_from = self._loop.time() + self._options.silence_after
            self._on_first_boot()

    async def _reboot(self) -> None:
        """Restart: everything running is lost, the next startup comes after a pause."""
        self._power = _Power.OFF
        await self._cancel_tasks(keep=asyncio.current_task())
        self._busy.clear()
        downtime = REBOOT_S * self._options.command_time_scale
        self._down_until = self._loop.time() + downtime
        if self._exclusive and self._link is not None:
            # The TCP connection dies with the old firmware: the broker publishes the
            # Last Will; `link_up` boots once the reconnect succeeds.
            self._link.drop(downtime)
        self._spawn(self._wake_after(downtime))

    async def _wake_after(self, delay: float) -> None:
        await asyncio.sleep(delay)
        self._try_boot()

    async def shutdown(self) -> None:
        """Stop everything (clean exit); the caller then disconnects.

        With the status topic, an orderly shutdown says `offline` itself: no Last Will
        fires on a clean DISCONNECT, and a retained `online` would outlive us.
        """
        self._power = _Power.OFF
        await self._cancel_tasks(keep=None)
        if self._options.status_topic:
            self._send("status", "offline", qos=1, retain=True)

    async def _cancel_tasks(self, keep: asyncio.Task[Any] | None) -> None:
        tasks = [task for task in self._tasks if task is not keep]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = self._loop.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            _LOGGER.error("%s: task failed", self.device_id, exc_info=error)

    # --- telemetry -------------------------------------------------------------------

    async def _every(self, interval: float, action: Callable[[], None]) -> None:
        # A random first delay spreads a fleet's messages over the whole interval.
        due = self._loop.time() + self._rng.uniform(0, interval)
        while True:
            await asyncio.sleep(due - self._loop.time())
            action()
            due += interval
            if due < self._loop.time():
                # A whole interval behind: count it and start afresh instead of
                # publishing a burst.
                self._stats.late += 1
                due = self._loop.time() + interval

    def _wifi_signal(self) -> int:
        return round(self._quality.signal.value)

    def _heartbeat(self) -> None:
        free_heap = round(self._free_heap.advance(self._rng))
        self._publish_counted(
            "heartbeat",
            messages.heartbeat(self.identity, self._wifi_signal(), free_heap),
        )

    def _sensors(self) -> None:
        now = self._loop.time()
        probes = self._quality.sample(self._rng, self._clock.hour(now))
        if crash := self._options.oxygen_crash:
            # An algae die-off or a still, hot night: oxygen only goes down.
            fallen = probes["dissolved_oxygen"] - crash * self._clock.elapsed_hours(now)
            probes["dissolved_oxygen"] = round(max(fallen, 0.0), 2)
        readings = [PondReading(p.distance(now), p.feed_percent) for p in self.ponds]
        self._check_thresholds(probes, readings)
        rate = self._options.out_of_range_rate
        if self._legacy:
            payload = messages.legacy_sensors(probes, readings)
            messages.spoil(payload, self._rng, rate)
            self._publish_counted("sensors", payload)
            return
        for payload in messages.sensors(self.identity, probes, readings):
            messages.spoil(payload["data"], self._rng, rate)
            messages.spoil(payload["metadata"], self._rng, rate)
            self._publish_counted("sensors", payload)

    def _publish_counted(self, kind: str, payload: dict[str, Any]) -> None:
        """Publish heartbeat or sensors, with `seq` when that extension is on."""
        if self._options.seq:
            payload["seq"] = self._seq[kind]
            self._seq[kind] += 1
        self._publish(kind, payload)

    def _check_thresholds(
        self, probes: Mapping[str, float], ponds: Sequence[PondReading]
    ) -> None:
        """Raise an alarm when a reading crosses a limit set by THRESH.

        One alarm per crossing: it is raised again only after the reading has been
        back within its limits.
        """
        for key, limit in self.thresholds.items():
            pond = ponds[limit.pond - 1]
            if limit.reading == "water":
                value = pond.water_cm
            elif limit.reading == "feed":
                value = pond.feed_percent
            else:
                value = probes[limit.reading]
            crossed = (limit.upper is not None and value > limit.upper) or (
                limit.lower is not None and value < limit.lower
            )
            if not crossed:
                self._alarms.discard(key)
            elif key not in self._alarms:
                self._alarms.add(key)
                self._publish(
                    "threshold",
                    messages.threshold_alarm(
                        self.device_id,
                        limit.pond,
                        limit.parameter,
                        round(value, 2),
                        (limit.lower, limit.upper),
                    ),
                )

    # --- the wire ----------------------------------------------------------------------

    def _encode(self, payload: Mapping[str, Any]) -> str | None:
        """Apply the outgoing faults; None when the message is lost on purpose."""
        options = self._options
        if self._loop.time() >= self._silent_from:
            return None
        if options.drop_rate and self._rng.random() < options.drop_rate:
            self._stats.dropped += 1
            return None
        text = json.dumps(payload, separators=(",", ":"))
        if options.bad_json_rate and self._rng.random() < options.bad_json_rate:
            text = text[: len(text) // 2]
        return text

    def _publish(self, kind: str, payload: Mapping[str, Any]) -> None:
        if (text := self._encode(payload)) is not None:
            self._send(kind, text, qos=self._options.qos, retain=False)

    def _send(self, kind: str, text: str, *, qos: int, retain: bool) -> bool:
        if self._link is not None and self._link.publish(
            self._topic + kind, text, qos, retain
        ):
            self._stats.published += 1
            return True
        self._stats.unsent += 1
        return False

    async def _deliver(self, kind: str, payload: Mapping[str, Any]) -> None:
        """Publish and wait until the broker has it (startup, ack, complete)."""
        text = self._encode(payload)
        if text is None or self._link is None:
            return
        try:
            async with asyncio.timeout(_DELIVERY_TIMEOUT_S):
                delivered = await self._link.deliver(
                    self._topic + kind, text, self._options.qos, False
                )
        except TimeoutError:
            delivered = False
        if delivered:
            self._stats.published += 1
        else:
            self._stats.unsent += 1

    # --- commands ----------------------------------------------------------------------

    def handle_command(self, payload: bytes) -> None:
        """Answer a message from the commands topic (PROTOCOL.md sections 5 and 6)."""
        options = self._options
        if self._power is _Power.OFF or self._loop.time() >= self._silent_from:
            return
        self._stats.commands_received += 1
        if options.drop_rate and self._rng.random() < options.drop_rate:
            self._stats.dropped += 1
            return
        command = self._parse(payload)
        if command is None:
            return
        self._emit("received", command)
        key = normalize_command_id(command.command_id)
        if options.dedupe and (answers := self._answers.get(key)) is not None:
            self._emit("deduped", command)
            self._spawn(self._repeat(answers))
            return
        reply_id = (
            hyphenated(command.command_id)
            if options.compact_ids
            else command.command_id
        )
        try:
            request, claim = self._accept(command)
        except CommandRefusedError as refusal:
            # Not remembered: a refused command was not executed, so a resend is
            # judged afresh (the pond may no longer be busy).
            ack = messages.answer(
                self.device_id,
                reply_id,
                success=False,
                message=refusal.message,
                error_code=refusal.code,
            )
            self._spawn(self._answer("ack", ack))
            return
        answers = _Answers(
            ack=messages.answer(
                self.device_id, reply_id, success=True, message="Command received"
            )
        )
        if options.dedupe:
            self._answers[key] = answers
            if len(self._answers) > _ANSWER_MEMORY:
                del self._answers[next(iter(self._answers))]
        self._stats.commands_executed += 1
        self._emit("executed", command)
        self._spawn(self._serve(answers, reply_id, request, claim))

    def _parse(self, payload: bytes) -> Command | None:
        try:
            obj = json.loads(payload)
        except ValueError:
            obj = None
        command = parse_command(obj) if isinstance(obj, dict) else None
        if command is None:
            _LOGGER.warning("%s: unusable command %r", self.device_id, payload[:200])
            self._events(
                {
                    "event": "invalid_command",
                    "device_id": self.device_id,
                    "payload": payload[:200].decode(errors="replace"),
                }
            )
        return command

    def _emit(self, event: str, command: Command) -> None:
        self._events(
            {
                "event": event,
                "device_id": self.device_id,
                "command_id": command.command_id,
                "command_type": command.type_name,
            }
        )

    def _accept(self, command: Command) -> tuple[Request, tuple[int, str] | None]:
        """Check a command; return the request and the actuator it reserved."""
        if self._options.refuse is not None:
            raise CommandRefusedError(self._options.refuse, "Refused (simulated fault)")
        request = validate(command, self._options.ponds, self.identity.firmware_version)
        return request, self._claim(request)

    def _claim(self, request: Request) -> tuple[int, str] | None:
        """Reserve the actuator a request needs: one feed or water job per pond."""
        match request:
            case Feed():
                claim = (request.pond, "feeder")
            case MoveWater() | Flush():
                claim = (request.pond, "water pumps")
            case _:
                return None
        if claim in self._busy:
            raise CommandRefusedError(
                BUSY, f"The {claim[1]} of pond {claim[0]} are busy"
            )
        self._busy.add(claim)
        return claim

    async def _answer(self, kind: str, payload: dict[str, Any]) -> None:
        if kind == "ack":
            self._acks += 1
            if self._acks <= self._options.drop_acks:
                # Executed all the same: only the acknowledgement is lost.
                self._stats.dropped += 1
                return
        await self._deliver(kind, payload)

    async def _repeat(self, answers: _Answers) -> None:
        """Answer a resent command again, without acting again."""
        now = {"timestamp": messages.utc_timestamp()}
        await self._answer("ack", answers.ack | now)
        if answers.complete is not None:
            await self._answer("complete", answers.complete | now)

    async def _serve(
        self,
        answers: _Answers,
        reply_id: str,
        request: Request,
        claim: tuple[int, str] | None,
    ) -> None:
        await self._answer("ack", answers.ack)
        if isinstance(request, Reboot):
            # No complete: the next startup tells that the reboot is done.
            await self._reboot()
            return
        started = self._loop.time()
        try:
            success, message, error_code = await self._execute(request)
        finally:
            if claim is not None:
                self._busy.discard(claim)
        complete = messages.answer(
            self.device_id,
            reply_id,
            success=success,
            message=message,
            error_code=error_code,
            execution_time_ms=round((self._loop.time() - started) * 1000),
        )
        if not self._options.never_complete:
            answers.complete = complete
            await self._answer("complete", complete)
        if isinstance(request, Firmware):
            self.identity.firmware_version = request.version
            await self._reboot()

    async def _execute(self, request: Job) -> tuple[bool, str, str | None]:
        """Carry a request out; return success, message and error code."""
        scale = self._options.command_time_scale
        match request:
            case Feed(pond=pond, grams=grams):
                await asyncio.sleep((FEED_BASE_S + grams * FEED_S_PER_GRAM) * scale)
                dispensed = self.ponds[pond - 1].dispense(grams)
                if dispensed < grams:
                    return (
                        False,
                        f"Hopper of pond {pond} ran empty after {dispensed:g} of {grams:g} g",
                        FEED_HOPPER_EMPTY,
                    )
                return True, f"Fed {grams:g} g to pond {pond}", None
            case MoveWater(pond=pond, target_cm=target, fill=fill):
                return True, await self._move_water(pond, target, fill=fill), None
            case Flush(pond=pond, drain_cm=drain, fill_cm=fill):
                drained = await self._move_water(pond, drain, fill=False)
                filled = await self._move_water(pond, fill, fill=True)
                return True, f"Flushed: {drained}; {filled}", None
            case Valve(pond=pond, inlet=inlet, open=opening):
                await asyncio.sleep(VALVE_S * scale)
                if inlet:
                    self.ponds[pond - 1].inlet_open = opening
                else:
                    self.ponds[pond - 1].outlet_open = opening
                valve, state = (
                    "Inlet" if inlet else "Outlet",
                    "open" if opening else "closed",
                )
                return True, f"{valve} valve of pond {pond} {state}", None
            case Firmware(version=version):
                await asyncio.sleep(FIRMWARE_S * scale)
                return True, f"Firmware {version} installed, rebooting", None
            case Threshold():
                await asyncio.sleep(THRESHOLD_S * scale)
                key = (request.pond, request.reading)
                self.thresholds[key] = request
                self._alarms.discard(key)
                return (
                    True,
                    (
                        f"Threshold {request.parameter} of pond {request.pond}: "
                        f"{request.lower}..{request.upper}"
                    ),
                    None,
                )
            case ConfigUpdate(config=config):
                await asyncio.sleep(CONFIG_S * scale)
                name = config.get("device_name")
                if isinstance(name, str) and 0 < len(name) <= MAX_NAME_LENGTH:
                    self.identity.device_name = name
                return True, f"Configuration updated: {', '.join(sorted(config))}", None

    async def _move_water(self, position: int, target: float, *, fill: bool) -> str:
        """Pump until the sensor measures `target` cm; telemetry shows the way there."""
        pond = self.ponds[position - 1]
        now = self._loop.time()
        current = pond.distance(now)
        # Filling brings the surface closer to the sensor: the distance shrinks.
        if (fill and target >= current) or (not fill and target <= current):
            return f"Pond {position} already at {current:.1f} cm"
        rate = WATER_RATE_CM_PER_S / self._options.command_time_scale
        reached, seconds = pond.move_water(target, now, rate)
        try:
            await asyncio.sleep(seconds)
        finally:
            # Also on a reboot in between: the pumps stop where they are.
            pond.stop_water(self._loop.time())
        verb = "Filled" if fill else "Drained"
        clamped = "" if reached == target else f" (tank limit; {target:g} cm asked)"
        return f"{verb} pond {position} to {reached:.1f} cm{clamped}"
