"""One subject with one fleet size: the phases of a run and what each measures.

A run, on a fresh broker and a fresh Home Assistant configuration:

1. the fleet (and for the peer, the bridge) runs at the deployed rates before Home
   Assistant starts, as on a farm where Home Assistant restarts;
2. setup: from starting `python -m homeassistant` until every expected entity of the
   subject is available (for the ceiling: until every controller was heard);
3. steady windows, each after a short settling time: 10x the deployed rates,
   heartbeats only (10x, sensors off), the deployed rates;
4. Future Fish only: feed commands, one at a time, to controllers that answer at
   once;
5. idle: the fleet stopped, Home Assistant's own CPU use with nothing to do;
6. drain: Home Assistant is frozen (SIGSTOP), a burst of controller messages goes to
   the broker (and through the bridge), Home Assistant is resumed, and the time to
   handle the whole backlog gives its throughput.

Snapshots of the probe's counters, the fleet's and the bridge's at each window's
ends are kept raw; `analysis` turns them into figures.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
import json
from pathlib import Path
import shutil
import sqlite3
import time
from typing import Any

from homeassistant.helpers.entity_platform import MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY

from tools.broker import Mosquitto
from tools.simulator import IdStyle
from tools.simulator.ids import device_ids

from . import analysis
from .clients import BridgeClient, FleetClient
from .ha_runner import PREFIX, HaSetup, HomeAssistant, prepare

FUTURE_FISH = "future_fish"
PEER = "peer"
CEILING = "ceiling"
SUBJECTS = (FUTURE_FISH, PEER, CEILING)
SUBJECT_NAMES = {
    FUTURE_FISH: "Future Fish",
    PEER: "MQTT discovery peer",
    CEILING: "bare callback ceiling",
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
SETUP_TIMEOUT_S = 900.0
_STATISTICS_PERIOD_S = 300
_STATISTICS_OFFSET_S = 10
# How long the statistics run keeps the recorder busy (measured: ~1 s with 100
# controllers' entities).
_STATISTICS_BASE_S = 5.0
_STATISTICS_PER_CONTROLLER_S = 0.02
# The recorder's default commit interval plus a margin.
_RECORDER_COMMIT_S = 6.0
# Stopping Home Assistant with tens of thousands of entities takes long; nothing
# is needed from it any more at that point.
_STOP_TIMEOUT_S = 30.0
# No entity became available for this long: something is wrong, say what.
SETUP_STALL_S = 120.0
PROBE_START_TIMEOUT_S = 180.0
DRAIN_TIMEOUT_S = 300.0
DRAIN_STALL_S = 15.0
_DRAIN_ESTIMATE_S = 20.0
# Future Fish's option minimum: lets the calibration see which entities follow
# their controller's availability without waiting a minute.
CALIBRATION_HEARTBEAT_TIMEOUT_S = 10


type Say = Callable[[str], None]


@dataclass(frozen=True, kw_only=True)
class Plan:
    """What to run and for how long."""

    sizes: tuple[int, ...]
    rates: tuple[str, ...]
    deployed_s: float
    tenx_s: float
    heartbeat_s: float
    settle_s: float
    idle_s: float
    burst: int
    commands: int
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


def probe_devices(count: int) -> list[str]:
    """Return the ids of the latency probe controllers, spread over the fleet."""
    ids = device_ids(count, SEED, IdStyle.COLON_UPPER)
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

    def __init__(self, bench: Bench, subject: str, count: int) -> None:
        """Prepare the run's working directory."""
        self.bench = bench
        self.subject = subject
        self.count = count
        self.workdir = bench.workroot / f"{subject}-{count}"
        self.workdir.mkdir(parents=True)
        self.probes = probe_devices(count)
        self.result: dict[str, Any] = {"subject": subject, "controllers": count}
        self.ha: HomeAssistant | None = None
        self.fleet: FleetClient | None = None
        self.bridge: BridgeClient | None = None

    def say(self, text: str) -> None:
        """Print progress, prefixed with the run's name."""
        self.bench.say(f"  {SUBJECT_NAMES[self.subject]}, {self.count}: {text}")

    # --- the pieces ------------------------------------------------------------------

    def ha_setup(self, port: int, expected: int, **overrides: Any) -> HaSetup:
        """Return what Home Assistant holds for this subject."""
        base: dict[str, Any] = {
            "broker_port": port,
            "expected_entities": expected,
            "latency_unique_ids": latency_unique_ids(self.probes),
        }
        if self.subject == FUTURE_FISH:
            base |= {
                "entity_platform": "future_fish",
                "integration": self.bench.integration,
                "command_ponds": [unique_id(d, 1, "")[:-1] for d in self.probes],
            }
        elif self.subject == PEER:
            base |= {"entity_platform": "mqtt"}
        else:
            base |= {
                "entity_platform": None,
                "ceiling": {
                    "controllers": self.count,
                    "topics": [f"{PREFIX}/+/{kind}" for kind in _FUTURE_FISH_KINDS],
                    "qos": 1,
                    "probe_topics": [f"{PREFIX}/{d}/sensors" for d in self.probes],
                },
            }
        return HaSetup(**(base | overrides))

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

    def window(self, name: str, seconds: float) -> dict[str, Any]:
        """Measure a steady window of `seconds`."""
        self.clear_of_statistics(seconds)
        start = self.snapshot()
        time.sleep(seconds)
        end = self.snapshot()
        record = {"name": name, "seconds": seconds, "start": start, "end": end}
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
                    workdir=self.workdir,
                )
                stack.callback(self.bridge.close)
            self.fleet.request("start", rate=1, sensors=True)
            if self.bridge is not None:
                self.bridge.wait_for(
                    lambda s: s["known"] >= self.count, 120, "all controllers known"
                )
            self.start_home_assistant(broker.port, stack)
            self.wait_for_setup()
            if "10x" in plan.rates:
                self.restart_fleet(10, sensors=True)
                self.result["tenx"] = self.window("10x", plan.tenx_s)
            else:
                # First values (unknown -> value) are written within a sensor cycle.
                time.sleep(max(plan.settle_s, 32 - self.since_ready()))
            self.restart_fleet(10, sensors=False)
            self.result["heartbeats"] = self.window(
                "heartbeats only (10x)", plan.heartbeat_s
            )
            if "deployed" in plan.rates:
                self.restart_fleet(1, sensors=True)
                self.result["deployed"] = self.window("deployed", plan.deployed_s)
            if self.subject == FUTURE_FISH and plan.commands:
                self.run_commands(plan.commands)
            self.idle_and_drain()
            if self.ha is None:
                raise RuntimeError("not running")
            self.result["samples"] = self.ha.request("samples", timeout=120)
            # Counted while Home Assistant runs (the windows' rows were committed
            # long ago): stopping it with 78 000 entities can take a minute.
            self.result["recorder"] = self.recorder_rows(self.ha.request("entity_ids"))
        self.result["probe_log"] = str(self.fleet.probe_log)
        return self.result

    def start_home_assistant(self, port: int, stack: ExitStack) -> None:
        """Write a fresh configuration and start Home Assistant on it."""
        if self.subject == FUTURE_FISH:
            # Home Assistant adds at most this many enabled entities per config
            # entry (MQTT, the peer's, is exempt); Future Fish has one entry per
            # topic prefix.
            wanted = self.count * self.bench.per_controller
            expected = min(wanted, MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY)
            self.result["capped"] = wanted > expected
            if self.result["capped"]:
                self.say(
                    f"Home Assistant shows at most {expected} enabled entities per "
                    f"config entry: {wanted} do not fit"
                )
        elif self.subject == PEER:
            enabled = sum(entity["enabled"] for entity in self.bench.entities)
            expected = self.count * enabled
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
                    f"setting up: {status['available']} of {expected} {what} "
                    f"after {time.time() - self.ha.started:.0f} s"
                )
            time.sleep(0.25)
        self.result["ready_at"] = status["ready_at"]
        self.result["setup_s"] = status["ready_at"] - self.ha.started
        self.result["ha_started_s"] = (status["started_at"] or 0) - self.ha.started
        self.result["rss_setup"] = self.ha.child.rss_bytes()
        self.say(f"set up in {self.result['setup_s']:.1f} s")

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

    def idle_and_drain(self) -> None:
        """Measure Home Assistant idle, then how fast it works off a backlog."""
        if self.ha is None or self.fleet is None:
            raise RuntimeError("not running")
        plan = self.bench.plan
        self.fleet.request("stop")
        time.sleep(2)
        # The drain right after the idle window must not meet the statistics either.
        self.clear_of_statistics(plan.idle_s + _DRAIN_ESTIMATE_S)
        self.result["idle"] = self.window("idle", plan.idle_s)
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

    def recorder_rows(self, entity_ids: list[str]) -> dict[str, Any]:
        """Count the recorder's state rows in each window (Home Assistant stopped)."""
        database = self.workdir / "config" / "home-assistant_v2.db"
        time.sleep(_RECORDER_COMMIT_S)
        windows = {
            name: (self.result[name]["start"]["time"], self.result[name]["end"]["time"])
            for name in ("tenx", "heartbeats", "deployed", "idle")
            if name in self.result
        }
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


# What Future Fish subscribes to (coordinator.FutureFishHub.async_start): the
# ceiling subscribes to the same.
_FUTURE_FISH_KINDS = ("startup", "heartbeat", "sensors", "ack", "complete", "status")


def calibrate(bench: Bench) -> None:
    """Learn Future Fish's entities per controller from one controller at 10x.

    Which entities exist (and are enabled and available), and which follow their
    controller's availability: the controller is stopped and, after Future Fish's
    shortest heartbeat timeout, the entities that became unavailable are those.
    The peer mirrors exactly these.
    """
    run = Run(bench, FUTURE_FISH, 1)
    device = run.probes[0].lower()
    with ExitStack() as stack:
        broker = Mosquitto(extra_config=BROKER_CONFIG)
        broker.start()
        stack.callback(broker.stop)
        run.fleet = fleet = FleetClient(
            port=broker.port, count=1, probes=run.probes, workdir=run.workdir
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
    bench.entities_file = bench.workroot / "entities.json"
    bench.entities_file.write_text(json.dumps(inventory, indent=1))
    run.cleanup()


def _stable_inventory(ha: HomeAssistant, device: str) -> list[dict[str, Any]]:
    """Wait until the controller's entities, ponds included, stop changing."""
    deadline = time.monotonic() + 120
    previous: list[dict[str, Any]] = []
    stable_since = time.monotonic()
    while time.monotonic() < deadline:
        inventory = ha.request("inventory", device_id=device)
        ponds = {e["pond"] for e in inventory}
        if inventory != previous:
            previous, stable_since = inventory, time.monotonic()
        elif {1, 2} <= ponds and time.monotonic() - stable_since > 5:
            return inventory
        time.sleep(0.5)
    raise TimeoutError("Future Fish's entities did not settle in the calibration")
