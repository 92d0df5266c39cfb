"""A fleet of controllers and their MQTT connections, run in the caller's event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from functools import partial
import logging
import math
import random
from types import TracebackType
from typing import Self

from .controller import Controller
from .events import EventSink, Stats, discard
from .ids import device_ids
from .model import SimClock
from .options import FleetOptions
from .transport import Broker, MqttConnection, Will

_LOGGER = logging.getLogger(__name__)

# Commands are subscribed with QoS 1, as small firmwares do; a command may then arrive
# twice, which deduplication by command_id absorbs.
COMMAND_QOS = 1
# A shared connection carries hundreds of controllers: let more QoS 1/2 messages be
# on the way at once than paho's default of 20.
_SHARED_MAX_INFLIGHT = 500
_CONNECT_THREADS = 8
# Tell the user when the fleet is not up after this long: the broker is probably down.
_SLOW_START_S = 5.0


def is_legacy(index: int, fraction: float) -> bool:
    """Spread `fraction` of a fleet evenly over the indexes (0.5: every second one)."""
    return math.floor((index + 1) * fraction) > math.floor(index * fraction)


class Fleet:
    """Plays `options.count` controllers until stopped.

        async with Fleet(FleetOptions(port=1883, count=10)) as fleet:
            await fleet.wait_ready()
            ...

    or `await Fleet(options).run()`, which also honours `options.duration`.
    """

    def __init__(self, options: FleetOptions, *, on_event: EventSink = discard) -> None:
        """Prepare the fleet; nothing runs before `start()`."""
        self.options = options
        self.stats = Stats()
        self.device_ids = device_ids(options.count, options.seed, options.id_style)
        self.controllers: list[Controller] = []
        self._events = on_event
        self._connections: list[MqttConnection] = []
        self._by_topic: dict[str, Controller] = {}
        self._flappers: list[asyncio.Task[None]] = []
        self._slow_start: asyncio.TimerHandle | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._booted = 0
        self._ready = asyncio.Event()
        self._stop_requested = asyncio.Event()
        self._stopped = False

    async def start(self) -> None:
        """Create the controllers and start connecting; returns at once."""
        loop = asyncio.get_running_loop()
        options = self.options
        clock = SimClock.starting_now(loop.time(), options.rate_multiplier)
        self.controllers = [
            Controller(
                index=index,
                device_id=device_id,
                options=options,
                legacy=is_legacy(index, options.legacy_fraction),
                clock=clock,
                stats=self.stats,
                events=self._events,
                on_first_boot=self._controller_booted,
            )
            for index, device_id in enumerate(self.device_ids)
        ]
        self._by_topic = {
            f"{options.prefix}/{c.device_id}/commands": c for c in self.controllers
        }
        # Our own pool for the blocking TCP connects, shut down by stop(), so that no
        # thread outlives the fleet.
        self._executor = executor = ThreadPoolExecutor(
            max_workers=min(_CONNECT_THREADS, options.connection_count),
            thread_name_prefix="future-fish-sim-connect",
        )
        groups = [
            self.controllers[k :: options.connection_count]
            for k in range(options.connection_count)
        ]
        self._connections = [self._connect(group, executor) for group in groups]
        if options.flap is not None:
            rng = random.Random(options.seed)
            self._flappers = [
                loop.create_task(self._flap(connection, options.flap, rng.random()))
                for connection in self._connections
            ]
        self._slow_start = loop.call_later(_SLOW_START_S, self._warn_slow_start)
        _LOGGER.info(
            "%d controllers over %d connections to %s:%d",
            options.count,
            len(self._connections),
            options.host,
            options.port,
        )

    def _connect(
        self, group: Sequence[Controller], executor: Executor
    ) -> MqttConnection:
        options = self.options
        shared = options.shared_connection
        first = group[0].device_id
        will = None
        if options.status_topic:
            # Only exclusive connections get here (FleetOptions refuses the mix).
            will = Will(f"{options.prefix}/{first}/status", "offline")
        mac = first.replace(":", "").replace("-", "").lower()
        connection = MqttConnection(
            broker=Broker(
                host=options.host,
                port=options.port,
                keepalive=options.keepalive,
                username=options.username,
                password=options.password,
            ),
            client_id=f"ffsim-shared-{options.seed}-{mac}"
            if shared
            else f"ffsim-{mac}",
            subscriptions=[
                (f"{options.prefix}/{c.device_id}/commands", COMMAND_QOS) for c in group
            ],
            on_up=partial(self._link_up, group),
            on_message=self._dispatch,
            on_delivered=self._delivered,
            executor=executor,
            will=will,
            max_inflight=_SHARED_MAX_INFLIGHT if shared else 20,
        )
        for controller in group:
            controller.attach(connection, exclusive=not shared)
        connection.start()
        return connection

    @staticmethod
    def _link_up(group: Sequence[Controller]) -> None:
        for controller in group:
            controller.link_up()

    def _delivered(self) -> None:
        self.stats.delivered += 1

    def _dispatch(self, topic: str, payload: bytes) -> None:
        if (controller := self._by_topic.get(topic)) is not None:
            controller.handle_command(payload)

    async def _flap(
        self, connection: MqttConnection, period: float, phase: float
    ) -> None:
        """Cut the connection every `period` s (Last Will included), back soon after."""
        await asyncio.sleep(period * (0.5 + phase / 2))
        while True:
            connection.drop(offline_for=min(period / 4, 1.0))
            await asyncio.sleep(period)

    def _warn_slow_start(self) -> None:
        # Connection failures are retried quietly (a thousand controllers would flood
        # the log); one line here says what is going on.
        _LOGGER.warning(
            "%d of %d controllers started after %.0f s; is the broker at %s:%d up?",
            self._booted,
            len(self.controllers),
            _SLOW_START_S,
            self.options.host,
            self.options.port,
        )

    def _controller_booted(self) -> None:
        self._booted += 1
        if self._booted == len(self.controllers):
            _LOGGER.info("all %d controllers started", self._booted)
            if self._slow_start is not None:
                self._slow_start.cancel()
            self._events({"event": "ready", "controllers": list(self.device_ids)})
            self._ready.set()

    @property
    def ready(self) -> bool:
        """Whether every controller has connected, subscribed and sent its startup."""
        return self._ready.is_set()

    async def wait_ready(self) -> None:
        """Wait until `ready`."""
        await self._ready.wait()

    def request_stop(self) -> None:
        """Ask `run()` to stop (e.g. from a signal handler)."""
        self._stop_requested.set()

    async def run(self) -> None:
        """Start, run until `request_stop()` or `options.duration`, then stop."""
        await self.start()
        try:
            async with asyncio.timeout(self.options.duration):
                await self._stop_requested.wait()
        except TimeoutError:
            _LOGGER.info("duration of %s s reached", self.options.duration)
        finally:
            await self.stop()

    async def stop(self) -> None:
        """Stop every controller and disconnect cleanly (no Last Will fires)."""
        if self._stopped:
            return
        self._stopped = True
        if self._slow_start is not None:
            self._slow_start.cancel()
        for task in self._flappers:
            task.cancel()
        await asyncio.gather(*self._flappers, return_exceptions=True)
        await asyncio.gather(*(c.shutdown() for c in self.controllers))
        await asyncio.gather(*(c.close() for c in self._connections))
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        _LOGGER.info("stopped: %s", self.stats)

    async def __aenter__(self) -> Self:
        """Start the fleet."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the fleet."""
        await self.stop()
