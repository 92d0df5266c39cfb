"""The simulated fleet as a process the orchestrator steers, one JSON line each way.

`python -m bench.fleet --port P --count N --prefix ff/g1 --prefix ff/g2 ...
--probe-log FILE --probe ID ...` reads requests on stdin and answers each with one
line on stdout:

    {"op": "start", "rate": 10, "sensors": true}  (re)start the fleet, answer when
                                                  every controller has booted
    {"op": "stop"}                                stop it (nothing is published)
    {"op": "stats"}                               messages published so far
    {"op": "burst", "messages": 20000}            publish that many at once
    {"op": "quit"}

It plays `tools.simulator`'s `Fleet` unchanged, one per topic prefix (the ids of
`--count` controllers with `--seed`, split over the prefixes by `bench.topology`),
with two hooks that only a benchmark needs: message timestamps carry microseconds
(PROTOCOL.md allows any ISO 8601; the deployed firmware sends whole seconds), and
every sensors message of the latency probe controllers is written to the probe log
with its topic, so that a state Home Assistant wrote can be traced to the message
that carried its value.
"""

from __future__ import annotations

import argparse
import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, fields
from datetime import UTC, datetime
import json
import logging
import math
from pathlib import Path
import random
import sys
import time
from typing import IO, Any

from tools.simulator import Fleet, FleetOptions, IdStyle, Stats, messages
from tools.simulator.controller import Controller
from tools.simulator.ids import device_ids
from tools.simulator.messages import PondReading
from tools.simulator.model import WaterQuality
from tools.simulator.transport import Broker, MqttConnection

from .topology import assign, prefix_of

_LOGGER = logging.getLogger("bench.fleet")
# Ten connections carry a thousand controllers comfortably (see FleetOptions);
# they are shared out among the prefixes' fleets.
_CONNECTIONS = 10
# "--command-time-scale 0": a command's work takes no time (the options refuse 0).
_INSTANT = 1e-9
# With the sensors switched off, a cycle would first be due in ~30 years.
_NEVER_S = 1e9
_BURST_QOS = 1
_BURST_INFLIGHT = 1000
_READY_TIMEOUT_S = 120.0


def precise_timestamp() -> str:
    """Return the current UTC time in ISO 8601 with microseconds and a Z."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def install_hooks(probe_topics: set[str], log: IO[str]) -> None:
    """Give messages microsecond timestamps and log the probe controllers' sensors."""
    messages.utc_timestamp = precise_timestamp
    publish = MqttConnection.publish

    def logged(
        self: MqttConnection, topic: str, payload: str, qos: int, retain: bool
    ) -> bool:
        queued = publish(self, topic, payload, qos, retain)
        if queued and topic in probe_topics:
            log.write(f"{topic}\t{payload}\n")
        return queued

    MqttConnection.publish = logged  # type: ignore[method-assign]


def fleet_ids(count: int, seed: int) -> list[str]:
    """Return the fleet's ids, as the orchestrator computes them."""
    return device_ids(count, seed, IdStyle.COLON_UPPER)


class FleetProcess:
    """One fleet per prefix at a time, restarted with new rates on request."""

    def __init__(self, args: argparse.Namespace) -> None:
        """Remember how to build the fleets."""
        self.args = args
        self.groups = assign(fleet_ids(args.count, args.seed), args.prefix)
        self.fleets: list[Fleet] = []
        # Every controller with its topic prefix, in the order of the ids.
        self.controllers: list[tuple[str, Controller]] = []
        self.done = Stats()

    def options(
        self, number: int, prefix: str, rate: float, sensors: bool
    ) -> FleetOptions:
        """Return the options of one prefix's fleet at `rate` times the deployed rates."""
        count = len(self.groups[prefix])
        return FleetOptions(
            port=self.args.port,
            prefix=prefix,
            count=count,
            # Only for the controllers' random walks and the connections' client ids:
            # the ids are the fleet's (see start()).
            seed=self.args.seed + number,
            shared_connection=True,
            connections=min(math.ceil(_CONNECTIONS / len(self.groups)), count),
            rate_multiplier=rate,
            sensor_interval=30.0 if sensors else _NEVER_S,
            command_time_scale=_INSTANT,
        )

    async def start(self, rate: float, sensors: bool) -> dict[str, Any]:
        """Replace the running fleets by ones at `rate`; answer once all have booted."""
        await self.stop()
        started = time.monotonic()
        for number, (prefix, ids) in enumerate(self.groups.items()):
            fleet = Fleet(self.options(number, prefix, rate, sensors))
            # The prefix's share of the fleet's ids rather than ids of its own seed,
            # which could collide with another prefix's.
            fleet.device_ids = ids
            self.fleets.append(fleet)
            await fleet.start()
        async with asyncio.timeout(_READY_TIMEOUT_S):
            await asyncio.gather(*(fleet.wait_ready() for fleet in self.fleets))
        self.controllers = [
            (fleet.options.prefix, controller)
            for fleet in self.fleets
            for controller in fleet.controllers
        ]
        return {"seconds": time.monotonic() - started}

    async def stop(self) -> dict[str, Any]:
        """Stop the running fleets and add their counters to the totals."""
        fleets, self.fleets = self.fleets, []
        await asyncio.gather(*(fleet.stop() for fleet in fleets))
        for fleet in fleets:
            _add(self.done, fleet.stats)
        return {}

    def stats(self) -> dict[str, Any]:
        """Return what all fleets of this process published, delivered, ..."""
        totals = Stats()
        _add(totals, self.done)
        for fleet in self.fleets:
            _add(totals, fleet.stats)
        return asdict(totals) | {"time": time.time()}

    def burst_payloads(self, count: int) -> list[tuple[str, str]]:
        """Return `count` messages in the fleet's mix, round robin over controllers.

        Heartbeat, sensors A and sensors B in turn, with values that move, so that
        they cause the state writes a real cycle causes.
        """
        rng = random.Random(self.args.seed)
        qualities = [WaterQuality.initial(rng) for _ in self.controllers]
        now = asyncio.get_running_loop().time()
        payloads: list[tuple[str, str]] = []
        index = 0
        while len(payloads) < count:
            round_, position = divmod(index, len(self.controllers))
            prefix, controller = self.controllers[position]
            identity = controller.identity
            topic = f"{prefix}/{identity.device_id}/"
            probes = qualities[position].sample(rng, 12.0)
            if round_ % 3 == 0:
                body = messages.heartbeat(identity, probes["signal"], 180_000)
                payloads.append((topic + "heartbeat", json.dumps(body)))
            else:
                readings = [
                    PondReading(pond.distance(now), pond.feed_percent)
                    for pond in controller.ponds
                ]
                first, second = messages.sensors(identity, probes, readings)
                body = first if round_ % 3 == 1 else second
                payloads.append((topic + "sensors", json.dumps(body)))
            index += 1
        return payloads

    async def burst(self, count: int) -> dict[str, Any]:
        """Publish `count` messages as fast as the broker takes them.

        Over one connection of its own at QoS 1, so the broker fills quickly; Home
        Assistant subscribes with QoS 1, so it receives them as it would from
        controllers publishing with QoS 2.
        """
        payloads = self.burst_payloads(count)
        up = asyncio.Event()
        delivered = 0
        all_delivered = asyncio.Event()

        def on_delivered() -> None:
            nonlocal delivered
            delivered += 1
            if delivered >= count:
                all_delivered.set()

        with ThreadPoolExecutor(1) as executor:
            connection = MqttConnection(
                broker=Broker(host="127.0.0.1", port=self.args.port),
                client_id=f"ffbench-burst-{self.args.seed}",
                subscriptions=[],
                on_up=up.set,
                on_message=lambda _topic, _payload: None,
                on_delivered=on_delivered,
                executor=executor,
                max_inflight=_BURST_INFLIGHT,
            )
            connection.start()
            async with asyncio.timeout(30):
                await up.wait()
            started = time.monotonic()
            for topic, payload in payloads:
                connection.publish(topic, payload, _BURST_QOS, False)
            async with asyncio.timeout(300):
                await all_delivered.wait()
            seconds = time.monotonic() - started
            await connection.close()
        return {"published": count, "delivered": delivered, "seconds": seconds}


def _add(totals: Stats, more: Stats) -> None:
    """Add the counters of `more` to `totals`."""
    for counter in fields(Stats):
        name = counter.name
        setattr(totals, name, getattr(totals, name) + getattr(more, name))


async def serve(process: FleetProcess) -> None:
    """Answer requests from stdin until `quit` or end of input."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
    )
    while line := await reader.readline():
        request = json.loads(line)
        op = request["op"]
        answer: dict[str, Any]
        if op == "start":
            answer = await process.start(request["rate"], request.get("sensors", True))
        elif op == "stop":
            answer = await process.stop()
        elif op == "stats":
            answer = process.stats()
        elif op == "burst":
            answer = await process.burst(request["messages"])
        elif op == "quit":
            break
        else:
            answer = {"error": f"unknown op {op}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
    await process.stop()


def main() -> int:
    """Run the fleet process."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--prefix", action="append", required=True, help="topic prefix, one per hub"
    )
    parser.add_argument("--probe-log", type=Path, required=True)
    parser.add_argument("--probe", action="append", default=[], help="device id")
    args = parser.parse_args()
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    process = FleetProcess(args)
    prefix = prefix_of(fleet_ids(args.count, args.seed), args.prefix)
    with args.probe_log.open("w", buffering=1 << 16) as log:
        install_hooks({f"{prefix[d]}/{d}/sensors" for d in args.probe}, log)
        asyncio.run(serve(process))
    return 0


if __name__ == "__main__":
    sys.exit(main())
