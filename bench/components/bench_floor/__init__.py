"""The benchmark's writing floor: Future Fish's state writes at `async_set` cost.

Written into the benchmark's temporary configuration directory, never shipped. What
any integration has to pay for the states Future Fish writes: it subscribes as the
ceiling does (Future Fish's topics and QoS, as bytes) and, per message, writes as
many states as Future Fish changed for a message of that shape, with
`hass.states.async_set`, to entities like Future Fish's. No entity objects, no
registry, no validation, no domain logic.

- **Entities:** for every controller, one state per entity that Future Fish has
  enabled and available (the calibration's inventory), with Future Fish's
  attributes (unit, device and state class, name, ...), so the recorder stores rows
  of the same size; all written at setup. A name that carries the calibrated
  controller's name carries this controller's instead: every controller's entities
  have attributes of their own, as with any integration, and the recorder cannot
  share one attributes row between controllers (with 1000 controllers its cache
  of attribute rows no longer holds them all, as for Future Fish and the peer).
- **Readings:** a field of a message that Future Fish shows as an entity (the
  peer's mapping) is written to that entity when it differs from what it shows,
  the value as sent: so the latency probe can trace it.
- **The rest:** Future Fish also changes entities no field maps to (derived
  values, alarms). The calibration traced, per message shape (kind, and for
  sensors messages the keys of `data`), which of those Future Fish changed and how
  many per reading it wrote (or per message); after the readings, the floor writes
  new values to as many of them, in the order Future Fish changed them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import json
from pathlib import Path
from typing import Any

from homeassistant.components import mqtt
from homeassistant.components.mqtt import ReceiveMessage
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.typing import ConfigType
from homeassistant.util import slugify

DOMAIN = "bench_floor"


def shape(kind: str, payload: dict[str, Any]) -> str:
    """Return a message's shape: its kind, and the keys of its `data` if it has one."""
    data = payload.get("data")
    if not isinstance(data, dict) or not data:
        return kind
    return f"{kind}:{','.join(sorted(data))}"


@dataclass
class Shape:
    """How many derived states to write for messages of one shape, and which."""

    per_direct: float
    per_message: float
    # Indexes into a controller's entities, in the order Future Fish changed them.
    others: list[int]
    owed: float = 0.0
    next_other: int = 0


@dataclass
class Controller:
    """One controller's entities: ids, what each shows, its attributes."""

    entity_ids: list[str]
    states: list[str]
    attributes: list[dict[str, Any]]


@dataclass
class Floor:
    """Every controller's entities and the writing plan."""

    hass: HomeAssistant
    # What the calibrated controller's name ends with (see `add_controller`).
    name_tail: str
    # Per message kind: section of the payload ("" for the top level) -> field ->
    # entity index.
    fields: dict[str, dict[str, dict[str, int]]]
    shapes: dict[str, Shape]
    controllers: dict[str, Controller] = field(default_factory=dict)
    # entity id -> unique id, for the probe.
    unique_ids: dict[str, str] = field(default_factory=dict)
    sequence: int = 0

    def add_controller(
        self, topic_id: str, name_tail: str, template: list[dict[str, Any]]
    ) -> Controller:
        """Write one controller's entities as Future Fish showed them."""
        device = topic_id.lower()
        controller = Controller([], [], [])
        for entity in template:
            attributes = entity["attributes"]
            if self.name_tail in (name := attributes.get("friendly_name", "")):
                attributes = attributes | {
                    "friendly_name": name.replace(self.name_tail, name_tail)
                }
            owner = (
                device if entity["pond"] is None else f"{device}_pond{entity['pond']}"
            )
            unique_id = f"{owner}_{entity['key']}"
            entity_id = f"{entity['domain']}.{slugify(unique_id)}"
            self.unique_ids[entity_id] = unique_id
            controller.entity_ids.append(entity_id)
            controller.states.append(entity["state"])
            controller.attributes.append(attributes)
            self.hass.states.async_set(entity_id, entity["state"], attributes)
        self.controllers[topic_id] = controller
        return controller

    @callback
    def write(self, controller: Controller, index: int, state: str) -> bool:
        """Write `state` unless the entity shows it already; return whether it did."""
        if controller.states[index] == state:
            return False
        controller.states[index] = state
        self.hass.states.async_set(
            controller.entity_ids[index], state, controller.attributes[index]
        )
        return True

    @callback
    def received(self, msg: ReceiveMessage) -> None:
        """Write what Future Fish would have written for this message."""
        # <prefix>/<id>/<kind>; a prefix may have several levels.
        _, topic_id, kind = msg.topic.rsplit("/", 2)
        controller = self.controllers.get(topic_id)
        sections = self.fields.get(kind)
        if controller is None or sections is None:
            return
        try:
            payload = json.loads(msg.payload)
        except ValueError:
            return
        if not isinstance(payload, dict):
            return
        written = 0
        for section, mapping in sections.items():
            source = payload.get(section) if section else payload
            if not isinstance(source, dict):
                continue
            for name, value in source.items():
                index = mapping.get(name)
                if index is not None and self.write(
                    controller, index, value if isinstance(value, str) else str(value)
                ):
                    written += 1
        plan = self.shapes.get(shape(kind, payload))
        if plan is None or not plan.others:
            return
        plan.owed += plan.per_message + plan.per_direct * written
        while plan.owed >= 1:
            plan.owed -= 1
            index = plan.others[plan.next_other % len(plan.others)]
            plan.next_other += 1
            # A value the entity does not show, so that it is a change.
            self.sequence += 1
            while not self.write(controller, index, str(self.sequence)):
                self.sequence += 1


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Write every controller's entities, then subscribe as Future Fish does."""
    path = Path(config[DOMAIN]["settings"])
    settings: dict[str, Any] = json.loads(
        await hass.async_add_executor_job(path.read_text)
    )
    floor = Floor(
        hass,
        name_tail=settings["name_tail"],
        fields=settings["fields"],
        shapes={name: Shape(**plan) for name, plan in settings["shapes"].items()},
    )
    # Before the first state: the probe asks it which entities are the subject's.
    hass.data[DOMAIN] = floor
    for topic_id, name_tail in settings["controllers"].items():
        floor.add_controller(topic_id, name_tail, settings["entities"])
    if not await mqtt.async_wait_for_mqtt_client(hass):
        return False
    for topic, qos in settings["subscriptions"]:
        await mqtt.async_subscribe(hass, topic, floor.received, qos, encoding=None)
    return True
