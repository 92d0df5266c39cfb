"""What the writing floor (`bench_floor`) writes, from the calibration's trace.

The calibration lists one controller's entities as Future Fish shows them and, for
every message of its controllers handled while it traced, which entities Future
Fish changed (every controller has the same ones). From that
the floor gets:

- its entities: those Future Fish has enabled and available, with their state and
  attributes; a name that carries the calibrated controller's name (`name_tail`)
  carries each controller's own, as any integration's entity names do;
- the fields it writes as they come: each message field that Future Fish shows as
  an entity (`bench.translator`'s mapping, the one the peer uses);
- per message shape (kind, and for a sensors message the keys of its `data`): the
  entities no field maps to that Future Fish changed (derived values), in the
  order it changed them, and how many per reading it changed (readings are what
  derived values change with, and how many readings change per message depends on
  the rates), or per message for a shape whose readings never changed. State
  changes the trace could not tie to a message (made later, e.g. by a timer) are
  spread over the shapes in proportion.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from .translator import IDENTITY_FIELDS, SENSOR_FIELDS

type EntityKey = tuple[int | None, str]
# Where a message kind's fields are: section of the payload ("" for the top level).
_SECTIONS: Mapping[str, tuple[tuple[str, Mapping[str, EntityKey]], ...]] = {
    "sensors": (("data", SENSOR_FIELDS), ("metadata", SENSOR_FIELDS)),
    "heartbeat": (("", IDENTITY_FIELDS),),
    "startup": (("", IDENTITY_FIELDS),),
}


def name_tail(device_id: str) -> str:
    """Return the part of a controller's id its default name ends with.

    Future Fish names a controller "Pond controller 4134" and the simulator "Farm
    controller 4134" after the last four hex digits of the MAC.
    """
    return "".join(c for c in device_id if c not in ":-")[-4:].upper()


def entity_key(unique_id: str) -> EntityKey:
    """Return (pond, key) of a unique id: `<mac>_<key>` or `<mac>_pond<n>_<key>`."""
    _, _, rest = unique_id.partition("_")
    head, _, key = rest.partition("_")
    if head.startswith("pond") and head.removeprefix("pond").isdigit() and key:
        return int(head.removeprefix("pond")), key
    return None, rest


def shape(kind: str, data_keys: Sequence[str]) -> str:
    """Return a message's shape as `bench_floor` spells it."""
    return f"{kind}:{','.join(data_keys)}" if data_keys else kind


def floor_settings(
    inventory: Sequence[Mapping[str, Any]],
    trace: Sequence[Sequence[Any]],
    changed_while_tracing: int,
    device_id: str,
) -> dict[str, Any]:
    """Return the floor's entities, fields and shapes (without the fleet's parts)."""
    template = [e for e in inventory if e["enabled"] and e["available"]]
    index = {(e["pond"], e["key"]): number for number, e in enumerate(template)}
    fields = {
        kind: {
            section: {
                name: index[target]
                for name, target in mapping.items()
                if target in index
            }
            for section, mapping in sections
        }
        for kind, sections in _SECTIONS.items()
    }
    messages: Counter[str] = Counter()
    direct: Counter[str] = Counter()
    # Per shape, the entities no field maps to, in the order Future Fish changed them.
    others: dict[str, list[int]] = defaultdict(list)
    for kind, data_keys, unique_ids in trace:
        name = shape(kind, data_keys)
        messages[name] += 1
        mapped = {
            n for section in fields.get(kind, {}).values() for n in section.values()
        }
        for unique_id in unique_ids:
            number = index.get(entity_key(unique_id))
            if number is None:
                continue
            if number in mapped:
                direct[name] += 1
            else:
                others[name].append(number)
    traced = direct.total() + sum(len(changes) for changes in others.values())
    untraced = max(0, changed_while_tracing - traced)
    shapes = {}
    for name, count in messages.items():
        # Untraced changes are spread over the shapes like the traced ones.
        extra: float = len(others[name])
        if traced:
            extra += untraced * (direct[name] + len(others[name])) / traced
        # Derived values change with the readings they derive from: per reading
        # written where the shape has readings that change, else per message.
        shapes[name] = {
            "per_direct": extra / direct[name] if direct[name] else 0.0,
            "per_message": 0.0 if direct[name] else extra / count,
            "others": others[name],
        }
    return {
        "entities": [
            {
                "pond": e["pond"],
                "key": e["key"],
                "domain": e["domain"],
                "state": e["state"],
                "attributes": e["attributes"],
            }
            for e in template
        ],
        "name_tail": name_tail(device_id),
        "fields": fields,
        "shapes": shapes,
        "traced": {
            "messages": dict(messages),
            "changed": changed_while_tracing,
            "tied_to_a_message": traced,
            "readings": dict(direct),
        },
    }
