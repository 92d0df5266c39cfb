"""Reading commands (PROTOCOL.md section 5) into checked requests.

Both envelopes end up as one `Command`; `validate` turns it into a typed request or
raises `CommandRefusedError`, whose error code the controller puts into a success-false
`ack`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
import math
import re
from typing import Any
from urllib.parse import urlsplit

from .model import SENSOR_HEIGHT_CM


class CommandType(StrEnum):
    """Every command type a field controller knows."""

    FEED = "FEED"
    WATER_DRAIN = "WATER_DRAIN"
    WATER_FILL = "WATER_FILL"
    WATER_INLET_OPEN = "WATER_INLET_OPEN"
    WATER_INLET_CLOSE = "WATER_INLET_CLOSE"
    WATER_OUTLET_OPEN = "WATER_OUTLET_OPEN"
    WATER_OUTLET_CLOSE = "WATER_OUTLET_CLOSE"
    FLUSH = "FLUSH"
    FW = "FW"
    THRESH = "THRESH"
    REBOOT = "REBOOT"
    CONFIG_UPDATE = "CONFIG_UPDATE"


# Older documents called the reboot command RESTART.
_ALIASES = {"RESTART": CommandType.REBOOT}

UNKNOWN_COMMAND = "UNKNOWN_COMMAND"
INVALID_PARAMETER = "INVALID_PARAMETER"
INVALID_POND = "INVALID_POND"
BUSY = "BUSY"
FEED_HOPPER_EMPTY = "FEED_HOPPER_EMPTY"

# THRESH `p` names (any case) and the reading each one watches. "water" is the pond's
# sensor distance in cm, "feed" its hopper level in %.
THRESHOLD_READINGS = {
    "temp": "temperature",
    "temperature": "temperature",
    "do": "dissolved_oxygen",
    "dissolved_oxygen": "dissolved_oxygen",
    "ph": "ph",
    "turbidity": "turbidity",
    "ammonia": "ammonia",
    "battery": "battery",
    "water": "water",
    "feed": "feed",
}

_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)")


class CommandRefusedError(Exception):
    """The controller refuses a command: `ack` with success false."""

    def __init__(self, code: str, message: str) -> None:
        """Keep the error code and the human-readable reason."""
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Command:
    """A command as received, whichever envelope it came in."""

    command_id: str
    type_name: str
    position: object
    parameters: Mapping[str, Any]


def parse_command(obj: Mapping[str, Any]) -> Command | None:
    """Read either envelope; None when there is no id to answer to."""
    if "command_id" in obj:
        command_id, type_name, position = (
            obj.get("command_id"),
            obj.get("command_type"),
            obj.get("pond_position"),
        )
        raw_parameters = obj.get("parameters")
        parameters = raw_parameters if isinstance(raw_parameters, Mapping) else {}
    else:
        # Compact envelope: the parameters sit beside id, type and pos.
        command_id, type_name, position = obj.get("id"), obj.get("type"), obj.get("pos")
        parameters = {k: v for k, v in obj.items() if k not in ("id", "type", "pos")}
    if not isinstance(command_id, str) or not command_id:
        return None
    return Command(
        command_id=command_id,
        type_name=type_name if isinstance(type_name, str) else "",
        position=position,
        parameters=parameters,
    )


@dataclass(frozen=True, slots=True)
class Feed:
    """Dispense `grams` into a pond."""

    pond: int
    grams: float


@dataclass(frozen=True, slots=True)
class MoveWater:
    """Fill (`fill`) or drain the pond until the sensor measures `target_cm`."""

    pond: int
    target_cm: float
    fill: bool


@dataclass(frozen=True, slots=True)
class Valve:
    """Open or close the inlet or outlet valve of a pond."""

    pond: int
    inlet: bool
    open: bool


@dataclass(frozen=True, slots=True)
class Flush:
    """Drain to `drain_cm`, then refill to `fill_cm`."""

    pond: int
    drain_cm: float
    fill_cm: float


@dataclass(frozen=True, slots=True)
class Firmware:
    """Install the firmware at `url`, which reports itself as `version`."""

    url: str
    version: str


@dataclass(frozen=True, slots=True)
class Threshold:
    """Watch `reading` of a pond between `lower` and `upper` (None: no limit)."""

    pond: int
    parameter: str
    reading: str
    lower: float | None
    upper: float | None


@dataclass(frozen=True, slots=True)
class Reboot:
    """Restart the controller."""


@dataclass(frozen=True, slots=True)
class ConfigUpdate:
    """Apply configuration values."""

    config: Mapping[str, Any]


# What a controller carries out and then completes; a reboot has no complete.
type Job = Feed | MoveWater | Valve | Flush | Firmware | Threshold | ConfigUpdate
type Request = Job | Reboot


def command_type(command: Command) -> CommandType:
    """Return the command's type, or refuse it as unknown."""
    name = command.type_name.upper()
    if name in _ALIASES:
        return _ALIASES[name]
    try:
        return CommandType(name)
    except ValueError:
        raise CommandRefusedError(
            UNKNOWN_COMMAND, f"Unknown command type {command.type_name!r}"
        ) from None


def _number(parameters: Mapping[str, Any], name: str) -> float:
    value = parameters.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CommandRefusedError(
            INVALID_PARAMETER, f"{name} must be a number, not {value!r}"
        )
    if not math.isfinite(value):
        raise CommandRefusedError(INVALID_PARAMETER, f"{name} must be finite")
    return float(value)


def _optional_number(parameters: Mapping[str, Any], name: str) -> float | None:
    return None if parameters.get(name) is None else _number(parameters, name)


def _distance(parameters: Mapping[str, Any], name: str) -> float:
    value = _number(parameters, name)
    if not 0 <= value <= SENSOR_HEIGHT_CM:
        raise CommandRefusedError(
            INVALID_PARAMETER,
            f"{name} {value} cm is outside 0..{SENSOR_HEIGHT_CM:g} cm (sensor height)",
        )
    return value


def _pond(command: Command, ponds: int) -> int:
    position = command.position
    if isinstance(position, int) and not isinstance(position, bool):
        if 1 <= position <= ponds:
            return position
    raise CommandRefusedError(
        INVALID_POND, f"pond_position must be 1..{ponds}, not {position!r}"
    )


def firmware_version_from_url(url: str, current: str) -> str:
    """Return the version a firmware image will report after installing.

    `.../future-fish-1.2.0.bin` gives `1.2.0`; a file name without a version bumps the
    patch number of the running firmware.
    """
    file_name = urlsplit(url).path.rsplit("/", 1)[-1]
    if found := _VERSION.findall(file_name):
        return ".".join(found[-1])
    if match := _VERSION.fullmatch(current):
        major, minor, patch = (int(part) for part in match.groups())
        return f"{major}.{minor}.{patch + 1}"
    return "1.0.1"


def _threshold(command: Command, ponds: int) -> Threshold:
    parameters = command.parameters
    name = parameters.get("p")
    reading = THRESHOLD_READINGS.get(name.lower()) if isinstance(name, str) else None
    if reading is None:
        known = ", ".join(sorted(THRESHOLD_READINGS))
        raise CommandRefusedError(
            INVALID_PARAMETER, f"p must be one of {known}, not {name!r}"
        )
    upper, lower = _optional_number(parameters, "u"), _optional_number(parameters, "l")
    if upper is None and lower is None:
        raise CommandRefusedError(
            INVALID_PARAMETER, "at least one of u and l is needed"
        )
    if upper is not None and lower is not None and lower > upper:
        raise CommandRefusedError(
            INVALID_PARAMETER, f"lower limit {lower} > upper limit {upper}"
        )
    return Threshold(_pond(command, ponds), str(name), reading, lower, upper)


def validate(command: Command, ponds: int, firmware_version: str) -> Request:
    """Check a command's parameters; raise `CommandRefusedError` for anything a controller refuses."""
    kind = command_type(command)
    parameters = command.parameters
    match kind:
        case CommandType.FEED:
            grams = _number(parameters, "amount")
            if grams <= 0:
                raise CommandRefusedError(
                    INVALID_PARAMETER, f"amount must be > 0, not {grams}"
                )
            unit = parameters.get("unit", "grams")
            if unit not in ("grams", "g"):
                raise CommandRefusedError(
                    INVALID_PARAMETER, f"unit must be grams, not {unit!r}"
                )
            return Feed(_pond(command, ponds), grams)
        case CommandType.WATER_FILL | CommandType.WATER_DRAIN:
            return MoveWater(
                _pond(command, ponds),
                _distance(parameters, "level"),
                fill=kind is CommandType.WATER_FILL,
            )
        case (
            CommandType.WATER_INLET_OPEN
            | CommandType.WATER_INLET_CLOSE
            | CommandType.WATER_OUTLET_OPEN
            | CommandType.WATER_OUTLET_CLOSE
        ):
            return Valve(
                _pond(command, ponds),
                inlet="INLET" in kind,
                open=kind.endswith("_OPEN"),
            )
        case CommandType.FLUSH:
            drain, fill = _distance(parameters, "d"), _distance(parameters, "f")
            if drain < fill:
                raise CommandRefusedError(
                    INVALID_PARAMETER,
                    f"drain distance d={drain} must be >= fill distance f={fill}",
                )
            return Flush(_pond(command, ponds), drain, fill)
        case CommandType.FW:
            url = parameters.get("url")
            if not isinstance(url, str) or urlsplit(url).scheme not in (
                "http",
                "https",
            ):
                raise CommandRefusedError(
                    INVALID_PARAMETER, f"url must be an http(s) URL: {url!r}"
                )
            return Firmware(url, firmware_version_from_url(url, firmware_version))
        case CommandType.THRESH:
            return _threshold(command, ponds)
        case CommandType.REBOOT:
            return Reboot()
        case CommandType.CONFIG_UPDATE:
            config = parameters.get("config_data")
            if not isinstance(config, Mapping):
                raise CommandRefusedError(
                    INVALID_PARAMETER, "config_data must be an object"
                )
            return ConfigUpdate(config)
