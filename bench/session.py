"""One subject with one fleet size: the phases of a run and what each measures.

A run, on a fresh broker and a fresh Home Assistant configuration, with the fleet on
the topic prefixes `bench.topology` gives its size (one Future Fish hub each):

0. memory without a fleet: Home Assistant with the subject set up but no
   controller, on a configuration of its own, until it has started and the recorder
   has committed; its resident memory, then it is stopped;
1. the fleet (and for the peer, the bridge) runs at the deployed rates before Home
   Assistant starts; its configuration is fresh, so every device and entity is
   created, as on the day a farm is added;
2. setup: from starting `python -m homeassistant` until every expected entity of the
   subject is available (for the ceiling: until every controller was heard);
3. once Home Assistant has settled (started, registries written, the recorder
   caught up with the setup): idle, the fleet stopped, Home Assistant's own CPU use
   with nothing to do; then steady windows, each after a short settling time: 10x
   the deployed rates, heartbeats only (10x, sensors off; Future Fish and the peer
   only), the deployed rates;
4. Future Fish only: feed commands, one at a time, to controllers that answer at
   once;
5. drain: Home Assistant is frozen (SIGSTOP), a burst of controller messages goes to
   the broker (and through the bridge), Home Assistant is resumed, and the time to
   handle the whole backlog gives its throughput;
6. restart (not the ceiling, which has no entities): with the fleet at the
   deployed rates (every controller just heard), Home Assistant is stopped
   (SIGTERM, waiting for it to finish) and started again on the same
   configuration: the `unavailable` states the recorder stored while it stopped,
   and those the new process wrote until every entity was available again, and
   how long that took.

Snapshots of the probe's counters, the fleet's and the bridge's at each window's
ends are kept raw; `analysis` turns them into figures.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
import json
from pathlib import Path
import shutil
import sqlite3
import time
from typing import Any

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.helpers.device_registry import EVENT_DEVICE_REGISTRY_UPDATED
from homeassistant.helpers.entity_platform import MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY
from homeassistant.helpers.entity_registry import EVENT_ENTITY_REGISTRY_UPDATED

from tools.broker import Mosquitto
from tools.simulator import FleetOptions

from . import analysis, floor_plan, topology
from .clients import BridgeClient, FleetClient
from .fleet import fleet_ids
from .ha_runner import HaSetup, HomeAssistant, prepare

FUTURE_FISH = "future_fish"
PEER = "peer"
CEILING = "ceiling"
FLOOR = "floor"
SUBJECTS = (FUTURE_FISH, PEER, CEILING, FLOOR)
SUBJECT_NAMES = {
    FUTURE_FISH: "Future Fish",
    PEER: "MQTT discovery peer",
    CEILING: "bare callback ceiling",
    FLOOR: "writing floor",
}
# A backlog must not be dropped by the broker while Home Assistant is frozen, and the
# broker's window of unacknowledged messages must not be what limits the drain.
BROKER_CONFIG = "max_queued_messages 0\nmax_inflight_messages 1000\n"
SEED = 1
MAX_LATENCY_PROBES = 50
# Readings whose entity shows the value as sent, for the latency probes: field of
# the sensors message per (pond, entity key).
LATENCY_FIELDS: dict[tuple[int | None, str], str] = {
    (None, "temperature"): "temperature",
    (None, "dissolved_oxygen"): "dissolved_oxygen",
    (None, "ph"): "ph",
    (None, "turbidity"): "turbidity",
    (None, "ammonia"): "ammonia",
    (None, "battery"): "battery",
    (1, "water_distance"): "water1",
    (2, "water_distance"): "water2",
    (1, "feed_level"): "feed1",
    (2, "feed_level"): "feed2",
}
# Controller messages per second of one controller at the deployed rates: a
# heartbeat per interval and two sensors messages per cycle; heartbeats alone.
_DEPLOYED = FleetOptions()
MESSAGES_PER_S = 1 / _DEPLOYED.heartbeat_interval + 2 / _DEPLOYED.sensor_interval
HEARTBEATS_PER_S = 1 / _DEPLOYED.heartbeat_interval
SETUP_TIMEOUT_S = 900.0
_STATISTICS_PERIOD_S = 300
_STATISTICS_OFFSET_S = 10
# How long the statistics run keeps the recorder busy (measured: ~1 s with 100
# controllers' entities).
_STATISTICS_BASE_S = 5.0
_STATISTICS_PER_CONTROLLER_S = 0.02
# The recorder's default commit interval plus a margin.
_RECORDER_COMMIT_S = 6.0
# Home Assistant writes the device and entity registries 10 s after their last
# change; with tens of thousands of entities that write takes a few seconds of CPU.
_REGISTRY_SAVED_S = 12.5
# The recorder works off the setup's events (two registry events per entity) in
# its thread: minutes with 1000 controllers.
SETTLE_TIMEOUT_S = 600.0
WINDOW_SYNC_TIMEOUT_S = 120.0
# No message for this long with the fleet stopped: everything is through.
_QUIET_S = 1.0
# How much longer than planned a window may last while the recorder catches up.
_WINDOW_SYNC_MARGIN_S = 10.0
# Stopping Home Assistant with tens of thousands of entities takes long; nothing
# is needed from it any more at that point, so it is killed after this.
_STOP_TIMEOUT_S = 10.0
# No entity became available for this long: something is wrong, say what.
SETUP_STALL_S = 120.0
PROBE_START_TIMEOUT_S = 180.0
DRAIN_TIMEOUT_S = 300.0
DRAIN_STALL_S = 15.0
_DRAIN_ESTIMATE_S = 20.0
# Future Fish's option minimum: lets the calibration see which entities follow
# their controller's availability without waiting a minute.
CALIBRATION_HEARTBEAT_TIMEOUT_S = 10
# Enough for the floor's trace to hold some hundred sensors messages in 30 s at 10x.
CALIBRATION_CONTROLLERS = 10
# A restart's stop is waited for (a kill would lose what Home Assistant and the
# subject write while stopping), up to Home Assistant's own stage timeouts.
RESTART_STOP_TIMEOUT_S = 300.0
# Home Assistant without a fleet: started and committed well within this.
EMPTY_TIMEOUT_S = 120.0


type Say = Callable[[str], None]


@dataclass(frozen=True, kw_only=True)
class Plan:
    """What to run and for how long."""

    sizes: tuple[int, ...]
    rates: tuple[str, ...]
    # The longest steady windows; each is cut to what holds `window_messages`
    # controller messages, but not below half its longest.
    deployed_s: float
    tenx_s: float
    heartbeat_s: float
    window_messages: int
    settle_s: float
    idle_s: float
    burst: int
    commands: int
    # How long the calibration traces which states each message changes.
    trace_s: float = 30.0
    # Controllers per Future Fish hub (topic prefix); None: as many as fit.
    per_hub: int | None = None
    # Whether the recorder records device and entity registry events, as by
    # default: a setup fires two per entity, and the recorder needs minutes for
    # them with 1000 controllers before anything can be measured.
    registry_events: bool = True
    keep: bool = False


@dataclass(kw_only=True)
class Bench:
    """What all runs share."""

    plan: Plan
    integration: Path
    workroot: Path
    say: Say
    entities: list[dict[str, Any]] = field(default_factory=list)
    entities_file: Path | None = None
    # Entities of one controller (and its ponds) that are enabled and available.
    per_controller: int = 0
    # What Future Fish subscribes to below its prefix ("+/heartbeat", ...) and with
    # which QoS, as seen in the calibration: the ceiling and the floor subscribe
    # to the same.
    subscriptions: list[tuple[str, int]] = field(default_factory=list)
    # What the writing floor writes (`bench.floor_plan`), from the calibration.
    floor: dict[str, Any] = field(default_factory=dict)

    @property
    def per_hub(self) -> int:
        """Return how many controllers one Future Fish hub (topic prefix) takes."""
        if self.plan.per_hub is not None:
            return self.plan.per_hub
        enabled = sum(entity["enabled"] for entity in self.entities)
        return topology.hub_capacity(MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY, enabled)


def probe_devices(count: int) -> list[str]:
    """Return the ids of the latency probe controllers, spread over the fleet."""
    ids = fleet_ids(count, SEED)
    step = max(1, count // MAX_LATENCY_PROBES)
    return ids[::step][:MAX_LATENCY_PROBES]


def unique_id(device_id: str, pond: int | None, key: str) -> str:
    """Return an entity's unique id as Future Fish (and the peer) spell it."""
    owner = device_id.lower() if pond is None else f"{device_id.lower()}_pond{pond}"
    return f"{owner}_{key}"


def latency_unique_ids(devices: list[str]) -> list[str]:
    """Return the unique ids of the latency probe entities."""
    return [
        unique_id(device, pond, key)
        for device in devices
        for pond, key in LATENCY_FIELDS
    ]


class Run:
    """One subject with one fleet size."""

    def __init__(
        self, bench: Bench, subject: str, count: int, name: str | None = None
    ) -> None:
        """Prepare the run's working directory (`name`, by default subject-count)."""
        self.bench = bench
        self.subject = subject
        self.count = count
        self.workdir = bench.workroot / (name or f"{subject}-{count}")
        self.workdir.mkdir(parents=True)
        self.probes = probe_devices(count)
        self.prefixes = topology.prefixes(count, bench.per_hub)
        self.result: dict[str, Any] = {
            "subject": subject,
            "controllers": count,
            "hubs": {
                prefix: len(group)
                for prefix, group in topology.assign(
                    fleet_ids(count, SEED), self.prefixes
                ).items()
            },
        }
        self.ha: HomeAssistant | None = None
        self.fleet: FleetClient | None = None
        self.bridge: BridgeClient | None = None
        # A snapshot taken while Home Assistant had handled every message offered:
        # the counters' reference for `lag`.
        self.in_step: dict[str, Any] | None = None

    def say(self, text: str) -> None:
        """Print progress, prefixed with the run's name."""
        self.bench.say(f"  {SUBJECT_NAMES[self.subject]}, {self.count}: {text}")

    # --- the pieces ------------------------------------------------------------------

    def ha_setup(
        self, port: int, expected: int, *, fleet: bool = True, **overrides: Any
    ) -> HaSetup:
        """Return what Home Assistant holds for this subject (`fleet`: or none)."""
        base: dict[str, Any] = {
            "broker_port": port,
            "expected_entities": expected,
            "latency_unique_ids": latency_unique_ids(self.probes),
            "recorder_exclude": []
            if self.bench.plan.registry_events
            else [EVENT_DEVICE_REGISTRY_UPDATED, EVENT_ENTITY_REGISTRY_UPDATED],
        }
        if self.subject == FUTURE_FISH:
            base |= {
                "entity_platform": "future_fish",
                "integration": self.bench.integration,
                "prefixes": self.prefixes,
                "command_ponds": [unique_id(d, 1, "")[:-1] for d in self.probes],
            }
        elif self.subject == PEER:
            base |= {"entity_platform": "mqtt"}
        elif self.subject == FLOOR:
            base |= {
                "entity_platform": "bench_floor",
                "floor": {
                    # Each controller's id and the tail of its name.
                    "controllers": {
                        device: floor_plan.name_tail(device)
                        for device in (fleet_ids(self.count, SEED) if fleet else [])
                    },
                    "subscriptions": self.subscriptions(),
                    **self.bench.floor,
                },
            }
        else:
            prefix_of = topology.prefix_of(fleet_ids(self.count, SEED), self.prefixes)
            base |= {
                "entity_platform": None,
                "ceiling": {
                    "controllers": self.count,
                    "subscriptions": self.subscriptions(),
                    "probe_topics": [
                        f"{prefix_of[d]}/{d}/sensors" for d in self.probes
                    ],
                },
            }
        return HaSetup(**(base | overrides))

    def subscriptions(self) -> list[tuple[str, int]]:
        """Return Future Fish's subscriptions under every prefix of the fleet."""
        return [
            (f"{prefix}/{below}", qos)
            for prefix in self.prefixes
            for below, qos in self.bench.subscriptions
        ]

    def snapshot(self) -> dict[str, Any]:
        """Read every counter at once."""
        if self.ha is None or self.fleet is None:
            raise RuntimeError("not running")
        snap = {
            "time": time.time(),
            "probe": self.ha.request("status"),
            "fleet": self.fleet.request("stats"),
            "rss": self.ha.child.rss_bytes(),
        }
        if self.bridge is not None:
            snap["bridge"] = self.bridge.status()
        return snap

    def clear_of_statistics(self, seconds: float) -> None:
        """Wait if the next `seconds` would include the recorder's statistics run.

        Every 5 minutes (at :00:10, :05:10, ...) the recorder compiles statistics of
        every measurement sensor, a burst of CPU that depends on the entities, not
        on the messages: a window that caught it would charge it to the messages.
        """
        now = time.time()
        upcoming = (now // _STATISTICS_PERIOD_S + 1) * _STATISTICS_PERIOD_S
        upcoming += _STATISTICS_OFFSET_S
        previous = upcoming - _STATISTICS_PERIOD_S
        busy = _STATISTICS_BASE_S + self.count * _STATISTICS_PER_CONTROLLER_S
        if now < previous + busy:
            until = previous + busy
        elif now + seconds > upcoming - 1:
            until = upcoming + busy
        else:
            return
        self.say(f"waiting {until - now:.0f} s for the recorder's statistics run")
        time.sleep(until - now)

    def window_s(self, longest: float, per_controller: float) -> float:
        """Return how long a window lasts, given a controller's messages per second.

        Long enough for `Plan.window_messages`, between half its longest and its
        longest. A fleet that cannot send a tenth of them even then (one
        controller: a handful of messages) gets the shortest: its per-message
        figures are noise at either length.
        """
        enough = self.bench.plan.window_messages / (self.count * per_controller)
        if enough > 10 * longest:
            return longest / 2
        return min(longest, max(longest / 2, enough))

    def sync_recorder(self, timeout: float) -> bool:
        """Wait until the recorder has committed what is queued now; False: timeout."""
        if self.ha is None:
            raise RuntimeError("not running")
        self.ha.request("sync_recorder")
        started = time.monotonic()
        next_report = started + 10
        while not (status := self.ha.request("status"))["recorder_synced"]:
            now = time.monotonic()
            if now - started > timeout:
                return False
            if now > next_report:
                next_report += 10
                self.say(f"recorder backlog {status['recorder_backlog']}")
            time.sleep(0.2)
        return True

    def lag(self, snap: Mapping[str, Any]) -> int:
        """Return how many messages Home Assistant has yet to handle (see `in_step`).

        Future Fish and the ceiling get every controller message; the peer's Home
        Assistant gets what the bridge republished on topics it subscribes to,
        once the bridge has had the controllers' messages.
        """
        if self.in_step is None:
            raise RuntimeError("no reference")
        published = snap["fleet"]["published"] - self.in_step["fleet"]["published"]
        handled = snap["probe"]["messages"] - self.in_step["probe"]["messages"]
        if "bridge" not in snap:
            return published - handled
        bridged = snap["bridge"]["in"] - self.in_step["bridge"]["in"]
        offered = (
            snap["bridge"]["for_home_assistant"]
            - self.in_step["bridge"]["for_home_assistant"]
        )
        return max(published - bridged, 0) + offered - handled

    def catch_up(self, timeout: float) -> bool:
        """Wait until Home Assistant has handled every message (the fleet stopped).

        Then until the recorder has committed what is queued. False if either
        takes too long.
        """
        started = time.monotonic()
        progress = (-1, started)
        while (lag := self.lag(self.snapshot())) > 0:
            now = time.monotonic()
            if lag != progress[0]:
                progress = (lag, now)
            if now - started > timeout or now - progress[1] > DRAIN_STALL_S:
                self.say(f"Home Assistant is {lag} messages behind")
                return False
            time.sleep(0.2)
        return self.sync_recorder(max(1.0, timeout - (time.monotonic() - started)))

    def quiesce(self) -> dict[str, Any]:
        """Return a snapshot once no message moves any more (the fleet stopped)."""
        deadline = time.monotonic() + WINDOW_SYNC_TIMEOUT_S
        previous = self.snapshot()
        while time.monotonic() < deadline:
            time.sleep(_QUIET_S)
            snap = self.snapshot()
            if _moving(snap) == _moving(previous):
                return snap
            previous = snap
        raise TimeoutError("messages kept coming with the fleet stopped")

    def window(self, name: str, seconds: float, rate: float) -> dict[str, Any]:
        """Measure a steady window of `seconds` of the fleet at `rate` (0: stopped).

        It starts once the recorder has committed what was queued before. At its
        end the fleet stops, and it ends when Home Assistant, the recorder
        included, has worked off every message: with 1000 controllers at 10x
        either may fall behind. The rates are over the `seconds` the fleet
        published; the CPU, over the whole window, is divided by the messages Home
        Assistant handled in it (`analysis.window_figures`), whether they came
        before or during the window.
        """
        self.clear_of_statistics(seconds + _WINDOW_SYNC_MARGIN_S)
        in_step = self.sync_recorder(WINDOW_SYNC_TIMEOUT_S)
        start = self.snapshot()
        time.sleep(seconds)
        stop = self.snapshot()
        if rate and self.fleet is not None:
            self.fleet.request("stop")
        caught_up = self.catch_up(WINDOW_SYNC_TIMEOUT_S)
        end = self.snapshot()
        if not (in_step and caught_up):
            self.say(f"{name}: Home Assistant did not keep up, the CPU is incomplete")
        record = {
            "name": name,
            "seconds": seconds,
            "kept_up": in_step and caught_up,
            "start": start,
            "stop": stop,
            "end": end,
        }
        figures = analysis.window_figures(record)
        self.say(
            f"{name}: {figures['offered_per_s']:.0f} msg/s offered, "
            f"CPU {figures['cpu_ms_per_1000']:.0f} ms/1000 msgs, "
            f"{figures['writes_per_min']:.0f} state writes/min"
        )
        return record

    # --- the run ----------------------------------------------------------------------

    def execute(self) -> dict[str, Any]:
        """Run every phase; return the raw result (analysed by the caller)."""
        plan = self.bench.plan
        with ExitStack() as stack:
            broker = Mosquitto(extra_config=BROKER_CONFIG)
            broker.start()
            stack.callback(broker.stop)
            self.fleet = FleetClient(
                port=broker.port,
                count=self.count,
                prefixes=self.prefixes,
                probes=self.probes,
                workdir=self.workdir,
            )
            stack.callback(self.fleet.close)
            if self.subject == PEER:
                if self.bench.entities_file is None:
                    raise RuntimeError("the peer needs the calibration's entities")
                self.bridge = BridgeClient(
                    port=broker.port,
                    entities=self.bench.entities_file,
                    prefixes=self.prefixes,
                    workdir=self.workdir,
                )
                stack.callback(self.bridge.close)
            self.measure_without_fleet(broker.port)
            self.fleet.request("start", rate=1, sensors=True)
            if self.bridge is not None:
                self.bridge.wait_for(
                    lambda s: s["known"] >= self.count, 120, "all controllers known"
                )
            self.start_home_assistant(broker.port, stack)
            self.wait_for_setup()
            if self.ha is None:
                raise RuntimeError("not running")
            self.result["entity_counts"] = self.ha.request("entity_counts")
            self.wait_until_settled()
            # Idle first, while nothing but the setup has happened: later, the
            # commands' aftermath (e.g. Future Fish saving its feeding records 10 s
            # after a feed) would be taken for idle background.
            self.stop_fleet()
            self.in_step = self.quiesce()
            self.result["idle"] = self.window("idle", plan.idle_s, 0)
            if "10x" in plan.rates:
                self.restart_fleet(10, sensors=True)
                self.result["tenx"] = self.window(
                    "10x", self.window_s(plan.tenx_s, 10 * MESSAGES_PER_S), 10
                )
            else:
                # First values (unknown -> value) are written within a sensor cycle.
                self.restart_fleet(1, sensors=True)
                time.sleep(max(0, 32 - self.since_ready()))
            # The ceiling writes nothing and the floor writes for a heartbeat what
            # Future Fish did: 0 by construction where Future Fish's goal is met.
            if self.subject in (FUTURE_FISH, PEER):
                self.restart_fleet(10, sensors=False)
                self.result["heartbeats"] = self.window(
                    "heartbeats only (10x)",
                    self.window_s(plan.heartbeat_s, 10 * HEARTBEATS_PER_S),
                    10,
                )
            if "deployed" in plan.rates:
                self.restart_fleet(1, sensors=True)
                self.result["deployed"] = self.window(
                    "deployed", self.window_s(plan.deployed_s, MESSAGES_PER_S), 1
                )
            if self.subject == FUTURE_FISH and plan.commands:
                # The controllers have to answer.
                self.restart_fleet(1, sensors=True)
                self.run_commands(plan.commands)
                self.stop_fleet()
            self.drain()
            if self.ha is None:
                raise RuntimeError("not running")
            self.result["samples"] = self.ha.request("samples", timeout=120)
            entity_ids = self.ha.request("entity_ids")
            self.result["recorder"] = self.recorder_rows(entity_ids)
            # The ceiling has no entity to be unavailable: its restart would only
            # wait for every controller's next heartbeat.
            if self.subject != CEILING:
                self.restart(entity_ids)
        self.result["probe_log"] = str(self.fleet.probe_log)
        return self.result

    def start_home_assistant(self, port: int, stack: ExitStack) -> None:
        """Write a fresh configuration and start Home Assistant on it."""
        if self.subject == FUTURE_FISH:
            expected = self.count * self.bench.per_controller
            if len(self.prefixes) > 1:
                sizes = sorted(set(self.result["hubs"].values()))
                self.say(
                    f"{len(self.prefixes)} hubs, one per topic prefix "
                    f"({self.prefixes[0]} ... {self.prefixes[-1]}), "
                    f"{' or '.join(map(str, sizes))} controllers each"
                )
        elif self.subject == PEER:
            enabled = sum(entity["enabled"] for entity in self.bench.entities)
            expected = self.count * enabled
        elif self.subject == FLOOR:
            expected = self.count * len(self.bench.floor["entities"])
        else:
            expected = 0
        self.result["expected_entities"] = expected
        config = self.workdir / "config"
        sock = prepare(config, self.ha_setup(port, expected))
        self.say("starting Home Assistant")
        self.ha = HomeAssistant(config, sock)
        stack.callback(self.stop_home_assistant)
        self.ha.connect(PROBE_START_TIMEOUT_S)

    def stop_home_assistant(self) -> None:
        """Stop Home Assistant and note how long it took."""
        if self.ha is not None:
            started = time.monotonic()
            self.result["ha_exit_code"] = self.ha.stop(_STOP_TIMEOUT_S)
            self.result["ha_stop_s"] = time.monotonic() - started

    def since_ready(self) -> float:
        """Seconds since the subject was set up."""
        return time.time() - self.result["ready_at"]

    def wait_for_setup(self) -> None:
        """Wait until every expected entity (or controller) is there."""
        if self.ha is None:
            raise RuntimeError("not running")
        status = self.wait_until_available("setting up")
        self.result["ready_at"] = status["ready_at"]
        self.result["setup_s"] = status["ready_at"] - self.ha.started
        self.result["ha_started_s"] = (status["started_at"] or 0) - self.ha.started
        self.result["rss_setup"] = self.ha.child.rss_bytes()
        self.say(f"set up in {self.result['setup_s']:.1f} s")

    def wait_until_available(self, doing: str) -> dict[str, Any]:
        """Wait until every expected entity (or controller) is available; return the status.

        Raises TimeoutError when none became available for `SETUP_STALL_S`.
        """
        if self.ha is None:
            raise RuntimeError("not running")
        expected = self.result["expected_entities"] or self.count
        next_report = time.monotonic() + 10
        progress = (-1, time.monotonic())
        while True:
            status = self.ha.request("status")
            if status["ready_at"] is not None:
                break
            if status["available"] != progress[0]:
                progress = (status["available"], time.monotonic())
            if (
                time.time() - self.ha.started > SETUP_TIMEOUT_S
                or time.monotonic() - progress[1] > SETUP_STALL_S
            ):
                missing = self.ha.request("unavailable")
                raise TimeoutError(
                    f"setup not done after {time.time() - self.ha.started:.0f} s: "
                    f"{status['available']} of {expected} available; not available: "
                    f"{', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''}"
                )
            if time.monotonic() > next_report:
                next_report += 10
                what = "entities" if self.subject != CEILING else "controllers"
                self.say(
                    f"{doing}: {status['available']} of {expected} {what} "
                    f"after {time.time() - self.ha.started:.0f} s"
                )
            time.sleep(0.25)
        return status  # type: ignore[no-any-return]

    def measure_without_fleet(self, port: int) -> None:
        """Note Home Assistant's memory with the subject set up but no controller.

        On a configuration of its own, so that the run's setup is still a first
        start; once Home Assistant has started and the recorder has committed.
        """
        config = self.workdir / "config-empty"
        sock = prepare(config, self.ha_setup(port, 0, fleet=False))
        ha = HomeAssistant(config, sock)
        try:
            ha.connect(PROBE_START_TIMEOUT_S)
            deadline = time.monotonic() + EMPTY_TIMEOUT_S
            while ha.request("status")["started_at"] is None:
                if time.monotonic() > deadline:
                    raise TimeoutError("Home Assistant without a fleet did not start")
                time.sleep(0.25)
            ha.request("sync_recorder")
            while not ha.request("status")["recorder_synced"]:
                if time.monotonic() > deadline:
                    raise TimeoutError("the recorder without a fleet did not commit")
                time.sleep(0.25)
            self.result["rss_empty"] = ha.child.rss_bytes()
            self.result["empty_started_s"] = time.time() - ha.started
        finally:
            ha.stop(_STOP_TIMEOUT_S)
        self.say(
            f"without a fleet: {self.result['rss_empty'] / 2**20:.0f} MiB resident "
            f"after {self.result['empty_started_s']:.1f} s"
        )

    def wait_until_settled(self) -> None:
        """Wait until Home Assistant has started and worked off its setup.

        Started, the registries written, then the recorder caught up: everything
        queued by then committed. Setup costs (the peer is set up before Home
        Assistant has even finished starting) that no steady window should charge
        to the messages. After `SETTLE_TIMEOUT_S` the windows start anyway, and the
        run says it did not settle.
        """
        if self.ha is None:
            raise RuntimeError("not running")
        started = time.monotonic()
        while True:
            status = self.ha.request("status")
            changed = status["registry_changed_at"] or 0
            if (
                status["started_at"] is not None
                and time.time() - changed >= _REGISTRY_SAVED_S
            ):
                break
            if time.monotonic() - started > SETTLE_TIMEOUT_S:
                raise TimeoutError(f"Home Assistant did not settle: {status}")
            time.sleep(0.5)
        # Twice: the second time for what came in while it worked off the setup.
        settled = self.sync_recorder(SETTLE_TIMEOUT_S) and self.sync_recorder(
            SETTLE_TIMEOUT_S
        )
        self.result["settled"] = settled
        self.result["settle_s"] = time.monotonic() - started
        self.result["rss_settled"] = self.ha.child.rss_bytes()
        if settled:
            self.say(f"settled after {self.result['settle_s']:.0f} s")
        else:
            self.say(
                f"not settled after {self.result['settle_s']:.0f} s: measuring anyway"
            )

    def restart_fleet(self, rate: float, *, sensors: bool) -> None:
        """Restart the fleet at `rate` and let it settle."""
        if self.fleet is None:
            raise RuntimeError("not running")
        self.fleet.request("start", rate=rate, sensors=sensors)
        time.sleep(self.bench.plan.settle_s)

    def run_commands(self, count: int) -> None:
        """Feed `count` times and keep the round trips."""
        if self.ha is None:
            raise RuntimeError("not running")
        self.say(f"{count} feed commands")
        self.result["commands"] = self.ha.request(
            "commands", count=count, timeout=30 + count
        )

    def stop_fleet(self) -> None:
        """Stop the fleet and let its last messages through."""
        if self.fleet is None:
            raise RuntimeError("not running")
        self.fleet.request("stop")
        time.sleep(2)

    def drain(self) -> None:
        """Measure how fast Home Assistant works off a backlog (fleet stopped)."""
        if self.ha is None or self.fleet is None:
            raise RuntimeError("not running")
        plan = self.bench.plan
        self.clear_of_statistics(_DRAIN_ESTIMATE_S)
        self.catch_up(WINDOW_SYNC_TIMEOUT_S)
        bridge_before = self.bridge.status() if self.bridge is not None else None
        mark = self.ha.request("mark")
        cpu_before = mark["cpu"]
        self.say(f"drain: freezing Home Assistant, {plan.burst} messages queued")
        paused = time.monotonic()
        self.ha.child.pause()
        try:
            burst = self.fleet.request("burst", messages=plan.burst)
            expected = plan.burst
            if self.bridge is not None and bridge_before is not None:
                done = self.bridge.wait_for(
                    lambda s: (
                        s["in"] >= bridge_before["in"] + plan.burst
                        and s["delivered"] >= s["out"]
                    ),
                    DRAIN_TIMEOUT_S,
                    "burst bridged",
                )
                expected = (
                    done["for_home_assistant"] - bridge_before["for_home_assistant"]
                )
        finally:
            frozen = time.monotonic() - paused
            self.ha.child.resume()
        progress = (-1, time.monotonic())
        while True:
            status = self.ha.request("status")
            if status["messages"] >= mark["messages"] + expected:
                break
            if status["messages"] != progress[0]:
                progress = (status["messages"], time.monotonic())
            elif time.monotonic() - progress[1] > DRAIN_STALL_S:
                self.say("drain: Home Assistant stopped receiving before the end")
                break
            time.sleep(0.25)
        handled = status["messages"] - mark["messages"]
        seconds = (status["last_message"] or 0) - (status["first_after_mark"] or 0)
        self.result["drain"] = {
            "burst": burst,
            "controller_messages": plan.burst,
            "ha_messages_expected": expected,
            "ha_messages_handled": handled,
            "seconds": seconds,
            "frozen_s": frozen,
            "complete": handled >= expected,
            "cpu_s": status["cpu"] - cpu_before,
        }
        if seconds > 0:
            self.say(
                f"drain: {handled} MQTT messages in {seconds:.2f} s, "
                f"{plan.burst / seconds:.0f} controller msgs/s"
            )

    def restart(self, entity_ids: list[str]) -> None:
        """Stop and start Home Assistant with the fleet at the deployed rates.

        Counts the `unavailable` states of the subject's entities: while stopping,
        the recorder's rows from the stop request on (the old process has exited,
        so they are committed); while starting, the probe's count of
        `state_changed` to `unavailable` from its setup (before the subject's)
        until every entity is available again and Home Assistant has started.
        """
        if self.ha is None:
            raise RuntimeError("not running")
        self.restart_fleet(1, sensors=True)
        config = self.ha.config_dir
        sock = self.ha.sock_path
        self.say("restart: stopping Home Assistant")
        stop_at = time.time()
        exit_code = self.ha.stop(RESTART_STOP_TIMEOUT_S)
        stopped_at = time.time()
        stopping = self.unavailable_rows(entity_ids, stop_at)
        self.say(f"restart: stopped in {stopped_at - stop_at:.1f} s, starting again")
        self.ha = HomeAssistant(config, sock)
        self.ha.connect(PROBE_START_TIMEOUT_S)
        status = self.wait_until_available("restarting")
        ready_at = status["ready_at"]
        while status["started_at"] is None:
            time.sleep(0.25)
            status = self.ha.request("status")
        # What a straggler might still write, e.g. at Home Assistant's start.
        time.sleep(self.bench.plan.settle_s)
        status = self.ha.request("status")
        self.result["restart"] = {
            "stop_s": stopped_at - stop_at,
            "exit_code": exit_code,
            "available_s": ready_at - self.ha.started,
            "gap_s": ready_at - stop_at,
            "unavailable_stopping": stopping,
            "unavailable_starting": status["unavailable_written"],
            "unavailable_starting_first": status["unavailable_first"],
            "subject_states_before_probe": status["subject_states_at_start"],
        }
        self.say(
            f"restart: every entity available {ready_at - self.ha.started:.1f} s "
            f"after the start; unavailable states written: {stopping} while "
            f"stopping, {status['unavailable_written']} while starting"
        )

    def unavailable_rows(self, entity_ids: list[str], since: float) -> int:
        """Count the recorder's `unavailable` rows of `entity_ids` from `since` on."""
        database = self.workdir / "config" / "home-assistant_v2.db"
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        try:
            connection.execute("CREATE TEMP TABLE subject (entity_id TEXT)")
            connection.executemany(
                "INSERT INTO subject VALUES (?)", [(e,) for e in entity_ids]
            )
            (count,) = connection.execute(
                "SELECT COUNT(*) FROM states"
                " JOIN states_meta USING (metadata_id)"
                " JOIN subject ON subject.entity_id = states_meta.entity_id"
                " WHERE state = ? AND last_updated_ts >= ?",
                (STATE_UNAVAILABLE, since),
            ).fetchone()
        finally:
            connection.close()
        return int(count)

    def recorder_rows(self, entity_ids: list[str]) -> dict[str, Any]:
        """Count the recorder's state rows in each window, once they are committed."""
        database = self.workdir / "config" / "home-assistant_v2.db"
        windows = {
            name: (self.result[name]["start"]["time"], self.result[name]["end"]["time"])
            for name in ("tenx", "heartbeats", "deployed", "idle")
            if name in self.result
        }
        last = max(end for _, end in windows.values())
        time.sleep(max(0.0, last + _RECORDER_COMMIT_S - time.time()))
        rows: dict[str, Any] = {}
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        try:
            connection.execute("CREATE TEMP TABLE subject (entity_id TEXT)")
            connection.executemany(
                "INSERT INTO subject VALUES (?)", [(e,) for e in entity_ids]
            )
            for name, (start, end) in windows.items():
                total, own = connection.execute(
                    "SELECT COUNT(*), COUNT(subject.entity_id) FROM states"
                    " JOIN states_meta USING (metadata_id)"
                    " LEFT JOIN subject ON subject.entity_id = states_meta.entity_id"
                    " WHERE last_updated_ts >= ? AND last_updated_ts < ?",
                    (start, end),
                ).fetchone()
                rows[name] = {"all": total, "subject": own}
        finally:
            connection.close()
        return rows

    def cleanup(self) -> None:
        """Remove the run's files unless asked to keep them."""
        if not self.bench.plan.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)


def calibrate(bench: Bench) -> None:
    """Learn Future Fish's entities per controller from a few controllers at 10x.

    Which entities the first controller has (and which are enabled and available),
    and which follow their controller's availability: the fleet is stopped and,
    after Future Fish's shortest heartbeat timeout, the entities that became
    unavailable are those. The peer mirrors exactly these. Which topics Future
    Fish subscribes to, for the ceiling and the floor; and, traced for
    `Plan.trace_s` over every controller (more messages, steadier figures), which
    states each message changed, for the floor (`bench.floor_plan`).
    """
    run = Run(bench, FUTURE_FISH, CALIBRATION_CONTROLLERS, "calibration")
    device = run.probes[0].lower()
    with ExitStack() as stack:
        broker = Mosquitto(extra_config=BROKER_CONFIG)
        broker.start()
        stack.callback(broker.stop)
        run.fleet = fleet = FleetClient(
            port=broker.port,
            count=CALIBRATION_CONTROLLERS,
            prefixes=run.prefixes,
            probes=run.probes,
            workdir=run.workdir,
        )
        stack.callback(fleet.close)
        config = run.workdir / "config"
        setup = run.ha_setup(
            broker.port,
            0,
            future_fish_options={"heartbeat_timeout": CALIBRATION_HEARTBEAT_TIMEOUT_S},
        )
        run.ha = ha = HomeAssistant(config, prepare(config, setup))
        stack.callback(ha.stop)
        ha.connect(PROBE_START_TIMEOUT_S)
        fleet.request("start", rate=10, sensors=True)
        inventory = _stable_inventory(ha, device)
        bench.subscriptions = _subscriptions_below(
            ha.request("subscriptions", integration="future_fish"), run.prefixes[0]
        )
        # Every controller's entities there, so that no first value is traced.
        shown = CALIBRATION_CONTROLLERS * sum(e["state"] is not None for e in inventory)
        deadline = time.monotonic() + 120
        while ha.request("entity_counts")["states"] < shown:
            if time.monotonic() > deadline:
                raise TimeoutError("the calibration's controllers were not all shown")
            time.sleep(0.5)
        time.sleep(bench.plan.settle_s)
        before = ha.request("status")["subject_changed"]
        ha.request("start_trace")
        time.sleep(bench.plan.trace_s)
        trace = ha.request("take_trace")
        changed = ha.request("status")["subject_changed"] - before
        fleet.request("stop")
        time.sleep(CALIBRATION_HEARTBEAT_TIMEOUT_S + 3)
        offline = {
            (e["pond"], e["key"]): e["available"]
            for e in ha.request("inventory", device_id=device)
        }
    for entity in inventory:
        entity["follows_controller"] = entity["available"] and not offline.get(
            (entity["pond"], entity["key"]), True
        )
    bench.entities = inventory
    bench.per_controller = sum(e["enabled"] and e["available"] for e in inventory)
    bench.floor = floor_plan.floor_settings(inventory, trace, changed, device)
    bench.entities_file = bench.workroot / "entities.json"
    bench.entities_file.write_text(
        json.dumps(
            [{k: v for k, v in e.items() if k not in _SHOWN} for e in inventory],
            indent=1,
        )
    )
    run.cleanup()


def _moving(snap: Mapping[str, Any]) -> tuple[int, ...]:
    """Return the counters that move while messages are on their way."""
    bridge = snap.get("bridge", {})
    return (
        snap["fleet"]["published"],
        snap["probe"]["messages"],
        bridge.get("in", 0),
        bridge.get("out", 0),
    )


def _subscriptions_below(
    subscriptions: list[dict[str, Any]], prefix: str
) -> list[tuple[str, int]]:
    """Return (topic below `prefix`, QoS) of each subscription under `prefix`."""
    below = [
        (item["topic"].removeprefix(f"{prefix}/"), item["qos"])
        for item in subscriptions
        if item["topic"].startswith(f"{prefix}/")
    ]
    if not below:
        raise RuntimeError(f"Future Fish subscribed to nothing under {prefix}")
    return sorted(below)


# What an inventory says about how an entity looks now rather than what it is.
_SHOWN = ("state", "attributes")


def _stable_inventory(ha: HomeAssistant, device: str) -> list[dict[str, Any]]:
    """Wait until the controller's entities, ponds included, stop changing.

    Changing: coming, going, being enabled or becoming available, not their values.
    """
    deadline = time.monotonic() + 120
    previous: list[dict[str, Any]] = []
    stable_since = time.monotonic()
    while time.monotonic() < deadline:
        inventory = ha.request("inventory", device_id=device)
        ponds = {e["pond"] for e in inventory}
        what = [{k: v for k, v in e.items() if k not in _SHOWN} for e in inventory]
        if what != previous:
            previous, stable_since = what, time.monotonic()
        elif {1, 2} <= ponds and time.monotonic() - stable_since > 5:
            return inventory
        time.sleep(0.5)
    raise TimeoutError("Future Fish's entities did not settle in the calibration")
