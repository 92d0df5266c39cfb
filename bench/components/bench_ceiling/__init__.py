"""The benchmark's ceiling: Future Fish's subscriptions with callbacks that do nothing.

Written into the benchmark's temporary configuration directory, never shipped. It
subscribes to exactly the topics Future Fish subscribed to in the calibration, under
every topic prefix of the fleet, with the same QoS and as bytes, so what Future Fish
costs beyond it is the integration's own work. Until every
controller was heard it notes the id in the topic (to time the setup); after that the
callback only keeps the payload and receive time of the latency probe controllers.
"""

from __future__ import annotations

import json
from pathlib import Path
import time
from typing import Any

from homeassistant.components import mqtt
from homeassistant.components.mqtt import ReceiveMessage
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.typing import ConfigType

DOMAIN = "bench_ceiling"


class Ceiling:
    """The bare callback and what it noted."""

    def __init__(self, controllers: int, probe_topics: set[str]) -> None:
        """Wait for `controllers` ids; sample the messages on `probe_topics`."""
        self.controllers = controllers
        self.probe_topics = probe_topics
        self.heard: set[str] = set()
        self.ready_at: float | None = None
        self.samples: list[tuple[bytes, float]] = []

    @callback
    def received(self, msg: ReceiveMessage) -> None:
        """Do (almost) nothing with a message."""
        if msg.topic in self.probe_topics:
            self.samples.append((msg.payload, time.time()))  # type: ignore[arg-type]
        if self.ready_at is None:
            # <prefix>/<id>/<kind>; a prefix may have several levels.
            self.heard.add(msg.topic.split("/")[-2])
            if len(self.heard) >= self.controllers:
                self.ready_at = time.time()

    def take_samples(self) -> list[tuple[str, float]]:
        """Return the sampled payloads (decoded) and receive times, and forget them."""
        samples, self.samples = self.samples, []
        return [(payload.decode(errors="replace"), at) for payload, at in samples]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Subscribe as Future Fish does, once the MQTT client is there."""
    path = Path(config[DOMAIN]["settings"])
    settings: dict[str, Any] = json.loads(
        await hass.async_add_executor_job(path.read_text)
    )
    ceiling = Ceiling(settings["controllers"], set(settings["probe_topics"]))
    hass.data[DOMAIN] = ceiling
    if not await mqtt.async_wait_for_mqtt_client(hass):
        return False
    for topic, qos in settings["subscriptions"]:
        await mqtt.async_subscribe(hass, topic, ceiling.received, qos, encoding=None)
    return True
