"""What a running fleet tells the outside world: events and counters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import json
import sys
from typing import Any, TextIO

# Receives one event, e.g. {"event": "executed", "device_id": ..., ...}.
type EventSink = Callable[[dict[str, Any]], None]


def json_lines(stream: TextIO = sys.stdout) -> EventSink:
    """Return a sink that writes each event as one JSON line and flushes it at once.

    Flushing per line lets a test that reads the pipe react to an event immediately.
    """

    def write(event: dict[str, Any]) -> None:
        stream.write(json.dumps(event, separators=(",", ":")) + "\n")
        stream.flush()

    return write


def discard(_event: dict[str, Any]) -> None:
    """Ignore an event (the default sink)."""


@dataclass(slots=True)
class Stats:
    """Counters over the whole fleet, for benchmarks and the closing log line."""

    # Messages handed to MQTT (QoS 0 ones may still be lost on the wire).
    published: int = 0
    # Messages the broker has: PUBACK or PUBCOMP received, QoS 0 written out. Falling
    # behind `published` means the broker (or the QoS 1/2 window) is the bottleneck.
    delivered: int = 0
    # Messages a controller produced while its connection was down: lost, as on a
    # real controller, which does not buffer.
    unsent: int = 0
    # Outgoing messages and incoming commands dropped on purpose (--drop-rate,
    # --drop-acks).
    dropped: int = 0
    commands_received: int = 0
    commands_executed: int = 0
    # Periodic messages that were due more than one interval ago: the simulator
    # cannot keep up with the rate it was asked for.
    late: int = 0
