"""Payloads exactly as field controllers publish them (PROTOCOL.md sections 3, 4, 6).

Pure functions of the values they are given: the controller decides what to say,
this module only knows how it is spelled on the wire.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
import random
from typing import Any

from .model import PLAUSIBLE_RANGES, implausible, level_percent

FIRMWARE_VERSION = "1.0.0"
HARDWARE_VERSION = "ESP32-WROOM-32"
WIFI_SSID = "FutureFish-Farm"
CPU_FREQUENCY_MHZ = 240
MAX_NAME_LENGTH = 50  # device_name, PROTOCOL.md section 3

# The first half of a sensors cycle (PROTOCOL.md section 4: "often split over two
# messages"); the second carries the battery and the ponds.
SENSORS_A_KEYS = ("temperature", "dissolved_oxygen", "ph", "turbidity", "ammonia")

# Which plausible range (model.PLAUSIBLE_RANGES) a wire key belongs to.
_RANGE_OF = {
    "water1": "water",
    "water2": "water",
    "feed1": "feed",
    "feed2": "feed",
    "water_level": "level",
    "water_level2": "level",
    "feed_level": "feed",
    "feed_level2": "feed",
    "signal_strength": "signal",
}


def utc_timestamp() -> str:
    """Return the current time as ISO 8601 UTC with a Z, to the second."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(slots=True)
class Identity:
    """What a controller says about itself in startup and heartbeat."""

    device_id: str
    device_name: str | None
    ip_address: str
    firmware_version: str = FIRMWARE_VERSION
    hardware_version: str = HARDWARE_VERSION

    def fields(self, wifi_signal: int) -> dict[str, Any]:
        """Return the identity fields shared by startup and heartbeat."""
        fields: dict[str, Any] = {
            "device_id": self.device_id,
            "timestamp": utc_timestamp(),
            "firmware_version": self.firmware_version,
            "hardware_version": self.hardware_version,
        }
        if self.device_name is not None:
            fields["device_name"] = self.device_name
        fields |= {
            "ip_address": self.ip_address,
            "wifi_ssid": WIFI_SSID,
            "wifi_signal_strength": wifi_signal,
            "cpu_frequency": CPU_FREQUENCY_MHZ,
        }
        return fields


def heartbeat(identity: Identity, wifi_signal: int, free_heap: int) -> dict[str, Any]:
    """Return a heartbeat: the startup fields plus free heap."""
    return identity.fields(wifi_signal) | {"free_heap": free_heap}


def spoil(values: dict[str, Any], rng: random.Random, rate: float) -> None:
    """Replace each reading in `values` by an implausible one with probability `rate`.

    Only keys with a plausible range are touched (not e.g. firmware_version).
    """
    for key in values:
        kind = _RANGE_OF.get(key, key)
        if kind in PLAUSIBLE_RANGES and rng.random() < rate:
            values[key] = implausible(kind, rng)


@dataclass(frozen=True, slots=True)
class PondReading:
    """One pond's part of a sensors cycle."""

    water_cm: float
    feed_percent: float


def sensors(
    identity: Identity, probes: Mapping[str, float], ponds: Sequence[PondReading]
) -> list[dict[str, Any]]:
    """Return the two current-format messages of one sensors cycle (without seq).

    The first carries the water-quality probes and the metadata, the second the battery
    and the ponds, with an empty metadata object.
    """
    first = {key: probes[key] for key in SENSORS_A_KEYS}
    second: dict[str, Any] = {"battery": probes["battery"]}
    for number, pond in enumerate(ponds, start=1):
        second[f"water{number}"] = round(pond.water_cm, 1)
        second[f"feed{number}"] = round(pond.feed_percent, 1)
    metadata = {
        "signal": probes["signal"],
        "firmware_version": identity.firmware_version,
        "hardware_version": identity.hardware_version,
    }
    return [
        {
            "device_id": identity.device_id,
            "timestamp": utc_timestamp(),
            "data": data,
            "metadata": meta,
        }
        for data, meta in ((first, metadata), (second, {}))
    ]


def legacy_sensors(
    probes: Mapping[str, float], ponds: Sequence[PondReading]
) -> dict[str, Any]:
    """Return the older flat format: one message, water levels in %, no envelope."""
    suffixes = [
        "" if number == 1 else str(number) for number in range(1, len(ponds) + 1)
    ]
    data: dict[str, Any] = {"temperature": probes["temperature"]}
    for suffix, pond in zip(suffixes, ponds, strict=True):
        data[f"water_level{suffix}"] = round(level_percent(pond.water_cm), 1)
    for suffix, pond in zip(suffixes, ponds, strict=True):
        data[f"feed_level{suffix}"] = round(pond.feed_percent, 1)
    for key in ("turbidity", "dissolved_oxygen", "ph", "ammonia", "battery"):
        data[key] = probes[key]
    data["signal_strength"] = probes["signal"]
    return data


def answer(
    device_id: str,
    command_id: str,
    *,
    success: bool,
    message: str,
    error_code: str | None = None,
    execution_time_ms: int | None = None,
) -> dict[str, Any]:
    """Return an ack (no `execution_time_ms`) or complete payload."""
    payload: dict[str, Any] = {
        "command_id": command_id,
        "success": success,
        "message": message,
    }
    if execution_time_ms is not None:
        payload["execution_time_ms"] = execution_time_ms
    if error_code is not None:
        payload["error_code"] = error_code
        payload["error_details"] = message
    payload |= {"device_id": device_id, "timestamp": utc_timestamp()}
    return payload


def threshold_alarm(
    device_id: str,
    pond: int,
    parameter: str,
    value: float,
    limits: tuple[float | None, float | None],
) -> dict[str, Any]:
    """Return a controller threshold alarm (fields chosen here; see the package doc)."""
    lower, upper = limits
    if upper is not None and value > upper:
        message = f"{parameter} {value:g} is above the upper limit {upper:g}"
    else:
        message = f"{parameter} {value:g} is below the lower limit {lower}"
    return {
        "device_id": device_id,
        "timestamp": utc_timestamp(),
        "pond_position": pond,
        "parameter": parameter,
        "value": value,
        "lower": lower,
        "upper": upper,
        "message": message,
    }
