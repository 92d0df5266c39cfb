"""The peer: controllers exposed through Home Assistant's own MQTT discovery.

What a user would build instead of Future Fish: a small bridge (a script or a
Node-RED flow) that subscribes to the controllers' topics and republishes them the
way Home Assistant's MQTT integration understands:

- on the first message of a controller, one retained device discovery config
  (`homeassistant/device/<mac>/config`) with one component per entity, mirroring
  Future Fish's entities of that controller and its ponds one for one (the
  orchestrator measures them in a calibration run and passes them as `--entities`):
  same platforms, device and state classes, units, categories, enabled-by-default
  flags, and the same unique ids;
- per reading, one message on that entity's state topic (`ffpeer/<device>/<key>`),
  passed through as it comes, as a bridge does; Home Assistant itself skips state
  writes that change nothing;
- every heartbeat and startup publishes `online` on the controller's retained
  availability topic, and after 60 s without one the bridge publishes `offline`
  (Future Fish's default heartbeat timeout); the entities that Future Fish shows
  unavailable while their controller is offline use that topic, and the
  connectivity binary sensor shows it.

It subscribes to the controllers' topics under every prefix the fleet uses
(`--prefix`, once per hub Future Fish has).

Every 0.5 s one status line goes to stdout: controllers known, messages in, out and
delivered, and the bridge's own CPU time (not Home Assistant's, but on the same
machine). SIGTERM stops it.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
import json
from pathlib import Path
import signal
import sys
import threading
import time
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

BASE = "ffpeer"
DISCOVERY = "homeassistant"
QOS = 1
EXPIRY_S = 60.0
_STATUS_INTERVAL_S = 0.5
_MAX_INFLIGHT = 1000
_MIN_NUMBER_STEP = 0.001
# Which entity (pond, key) shows a field of a sensors message's data or metadata, or
# of a startup or heartbeat (PROTOCOL.md sections 3 and 4).
SENSOR_FIELDS: Mapping[str, tuple[int | None, str]] = {
    "temperature": (None, "temperature"),
    "dissolved_oxygen": (None, "dissolved_oxygen"),
    "ph": (None, "ph"),
    "turbidity": (None, "turbidity"),
    "ammonia": (None, "ammonia"),
    "battery": (None, "battery"),
    "water1": (1, "water_distance"),
    "water2": (2, "water_distance"),
    "feed1": (1, "feed_level"),
    "feed2": (2, "feed_level"),
    "signal": (None, "signal"),
}
IDENTITY_FIELDS: Mapping[str, tuple[int | None, str]] = {
    "wifi_signal_strength": (None, "signal"),
    "free_heap": (None, "free_heap"),
    "ip_address": (None, "ip_address"),
    "firmware_version": (None, "firmware"),
}
# Home Assistant MQTT platforms that take a state topic, and those that only take
# commands (Future Fish keeps their state itself; here they are optimistic).
_STATE_PLATFORMS = {"sensor", "binary_sensor", "update"}
_COMMAND_PLATFORMS = {"button", "number", "switch", "select", "text", "valve"}
_PASSED_ON = ("device_class", "unit_of_measurement", "entity_category")


def device_key(device_id: str, pond: int | None) -> str:
    """Return the device part of unique ids, as Future Fish spells it."""
    return device_id if pond is None else f"{device_id}_pond{pond}"


def component(entity: Mapping[str, Any], device_id: str) -> dict[str, Any]:
    """Return the discovery config of one entity of one controller."""
    key = entity["key"]
    pond = entity["pond"]
    owner = device_key(device_id, pond)
    platform = entity["domain"]
    if platform not in _STATE_PLATFORMS | _COMMAND_PLATFORMS:
        platform = "sensor"  # e.g. an entity type MQTT has no platform for
    config: dict[str, Any] = {
        "platform": platform,
        "unique_id": f"{owner}_{key}",
        "name": f"{'' if pond is None else f'Pond {pond} '}{key.replace('_', ' ')}",
        "enabled_by_default": entity["enabled"],
        "qos": QOS,
    }
    for name in _PASSED_ON:
        source = "unit" if name == "unit_of_measurement" else name
        if entity.get(source) is not None:
            config[name] = entity[source]
    capabilities = entity.get("capabilities") or {}
    availability = f"{BASE}/{device_id}/availability"
    if key == "available" and platform == "binary_sensor":
        config |= {
            "state_topic": availability,
            "payload_on": "online",
            "payload_off": "offline",
        }
    elif platform in _STATE_PLATFORMS:
        config["state_topic"] = f"{BASE}/{owner}/{key}"
        if platform == "sensor":
            for name in ("state_class", "options"):
                if name in capabilities:
                    config[name] = capabilities[name]
    else:
        config["command_topic"] = f"{BASE}/{owner}/{key}/set"
        if platform == "number":
            config |= {
                name: capabilities[name]
                for name in ("min", "max", "step", "mode")
                if name in capabilities
            }
            if "step" in config:
                # MQTT numbers refuse steps below 0.001 (e.g. ammonia's 0.0005).
                config["step"] = max(config["step"], _MIN_NUMBER_STEP)
        if platform == "select":
            config["options"] = capabilities.get("options", ["-"])
    if entity.get("follows_controller"):
        config["availability_topic"] = availability
    return config


def discovery(
    entities: list[dict[str, Any]], device_id: str, identity: Mapping[str, Any]
) -> tuple[str, str]:
    """Return the topic and payload of one controller's device discovery config."""
    mac = device_id.replace(":", "")
    device = {
        "identifiers": [device_id],
        "connections": [["mac", device_id]],
        "name": identity.get("device_name") or f"Pond controller {mac[-4:].upper()}",
        "manufacturer": "Future Fish",
        "model": identity.get("hardware_version"),
        "sw_version": identity.get("firmware_version"),
    }
    payload = {
        # A first message without identity (sensors) leaves these out.
        "device": {key: value for key, value in device.items() if value is not None},
        "origin": {"name": "Future Fish MQTT bridge (benchmark peer)"},
        "components": {
            f"{device_key(device_id, entity['pond'])}_{entity['key']}": component(
                entity, device_id
            )
            for entity in entities
        },
    }
    return f"{DISCOVERY}/device/{mac}/config", json.dumps(payload)


def readings(
    kind: str, payload: Mapping[str, Any]
) -> Iterator[tuple[tuple[int | None, str], Any]]:
    """Yield ((pond, entity key), value) for each reading a message carries."""
    if kind == "sensors":
        data = payload.get("data", payload)
        metadata = payload.get("metadata") or {}
        for source in (data, metadata):
            for name, value in source.items():
                if (target := SENSOR_FIELDS.get(name)) is not None:
                    yield target, value
    elif kind in ("heartbeat", "startup"):
        for name, value in payload.items():
            if (target := IDENTITY_FIELDS.get(name)) is not None:
                yield target, value


class Bridge:
    """The bridge's state: which controllers it announced and when each was heard."""

    def __init__(self, client: mqtt.Client, entities: list[dict[str, Any]]) -> None:
        """Republish through `client` with discovery configs for `entities`."""
        self.client = client
        self.entities = entities
        self.known: set[str] = set()
        self.heartbeat_at: dict[str, float] = {}
        self.online: set[str] = set()
        # State topics Home Assistant subscribes to (its enabled entities').
        self.subscribed = {
            (entity["pond"], entity["key"]) for entity in entities if entity["enabled"]
        }
        self.received = 0
        self.published = 0
        # Messages on topics Home Assistant subscribes to: what it has to handle.
        self.for_home_assistant = 0
        self.delivered = 0
        self.lock = threading.Lock()

    def publish(
        self, topic: str, payload: str, *, retain: bool = False, seen: bool = True
    ) -> None:
        """Publish with the bridge's QoS and count it (`seen` by Home Assistant)."""
        self.client.publish(topic, payload, QOS, retain)
        self.published += 1
        if seen:
            self.for_home_assistant += 1

    def handle(self, topic: str, raw: bytes) -> None:
        """Translate one controller message."""
        self.received += 1
        # <prefix>/<id>/<kind>; a prefix may have several levels.
        *_prefix, raw_id, kind = topic.split("/")
        try:
            payload = json.loads(raw)
        except ValueError:
            return
        if not isinstance(payload, dict):
            return
        device_id = raw_id.lower().replace("-", ":")
        with self.lock:
            if device_id not in self.known:
                self.known.add(device_id)
                self.publish(*discovery(self.entities, device_id, payload), retain=True)
            if kind in ("heartbeat", "startup"):
                self.heartbeat_at[device_id] = time.monotonic()
                self.online.add(device_id)
                self.publish(f"{BASE}/{device_id}/availability", "online", retain=True)
        for target, value in readings(kind, payload):
            text = value if isinstance(value, str) else json.dumps(value)
            self.publish(
                f"{BASE}/{device_key(device_id, target[0])}/{target[1]}",
                text,
                seen=target in self.subscribed,
            )
        self.publish(
            f"{BASE}/{device_id}/last_seen",
            datetime.now(UTC).isoformat(timespec="seconds"),
            seen=(None, "last_seen") in self.subscribed,
        )

    def expire(self) -> None:
        """Mark controllers offline whose last heartbeat is older than the expiry."""
        cutoff = time.monotonic() - EXPIRY_S
        with self.lock:
            for device_id in [d for d in self.online if self.heartbeat_at[d] < cutoff]:
                self.online.discard(device_id)
                self.publish(f"{BASE}/{device_id}/availability", "offline", retain=True)

    def status(self) -> dict[str, Any]:
        """Return the counters for the orchestrator."""
        return {
            "known": len(self.known),
            "in": self.received,
            "out": self.published,
            "for_home_assistant": self.for_home_assistant,
            "delivered": self.delivered,
            "cpu": time.process_time(),
            "time": time.time(),
        }


def run(port: int, entities: list[dict[str, Any]], prefixes: list[str]) -> None:
    """Bridge until SIGTERM."""
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id="ffpeer-bridge",
        protocol=MQTTProtocolVersion.MQTTv311,
    )
    client.max_inflight_messages_set(_MAX_INFLIGHT)
    bridge = Bridge(client, entities)
    stop = threading.Event()

    def on_connect(*_: Any) -> None:
        client.subscribe(
            [
                (f"{prefix}/+/{kind}", QOS)
                for prefix in prefixes
                for kind in ("startup", "heartbeat", "sensors")
            ]
        )

    def on_publish(*_: Any) -> None:
        bridge.delivered += 1

    client.on_connect = on_connect
    client.on_message = lambda _c, _u, msg: bridge.handle(msg.topic, msg.payload)
    client.on_publish = on_publish

    def stopper(_signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, stopper)
    signal.signal(signal.SIGINT, stopper)
    client.connect("127.0.0.1", port, keepalive=60)
    client.loop_start()
    try:
        while not stop.wait(_STATUS_INTERVAL_S):
            bridge.expire()
            sys.stdout.write(json.dumps(bridge.status()) + "\n")
            sys.stdout.flush()
    finally:
        client.disconnect()
        client.loop_stop()


def main() -> int:
    """Run the bridge."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--prefix", action="append", required=True, help="topic prefix, repeatable"
    )
    parser.add_argument(
        "--entities", type=Path, required=True, help="JSON from the calibration"
    )
    args = parser.parse_args()
    run(args.port, json.loads(args.entities.read_text()), args.prefix)
    return 0


if __name__ == "__main__":
    sys.exit(main())
