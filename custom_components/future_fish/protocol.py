"""The Future Fish controller protocol: parsing and validation of what controllers send.

This module is the only place that knows topic layouts and payload field names (see
PROTOCOL.md). It imports nothing from Home Assistant so that it can be tested, fuzzed
and documented on its own. Everything a controller sends is untrusted: parsers never
raise anything but `ProtocolError`, and drop single bad fields instead of whole
messages so that one broken probe does not hide the others.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
import ipaddress
import json
import math
import re
from typing import Any, Final
from urllib.parse import urlsplit
import uuid

# Deployed controllers send well under 1 KiB; anything far larger is hostile or broken
# and is refused before the JSON parser spends time on it.
MAX_PAYLOAD_BYTES: Final = 16 * 1024
# JSON nesting deeper than this is never legitimate here and would make the parser
# recurse needlessly.
MAX_JSON_DEPTH: Final = 8
MAX_DEVICE_ID_LENGTH: Final = 64
# Longest legitimate spellings; longer strings are refused before parsing them.
_MAX_TIMESTAMP_LENGTH: Final = 40
_MAX_ADDRESS_LENGTH: Final = 45
_MAX_UUID_LENGTH: Final = 45
POND_POSITIONS: Final = (1, 2)


class MessageKind(StrEnum):
    """The last topic segment: what a message is."""

    STARTUP = "startup"
    HEARTBEAT = "heartbeat"
    SENSORS = "sensors"
    STATUS = "status"
    ACK = "ack"
    COMPLETE = "complete"
    THRESHOLD = "threshold"
    COMMANDS = "commands"


INBOUND_KINDS: Final = (
    MessageKind.STARTUP,
    MessageKind.HEARTBEAT,
    MessageKind.SENSORS,
    MessageKind.STATUS,
    MessageKind.ACK,
    MessageKind.COMPLETE,
    MessageKind.THRESHOLD,
)
_INBOUND_BY_NAME: Final = {kind.value: kind for kind in INBOUND_KINDS}


class Reason(StrEnum):
    """Why a message or a single value was refused; counted in diagnostics."""

    TOO_LARGE = "too_large"
    NOT_UTF8 = "not_utf8"
    BAD_JSON = "bad_json"
    NOT_OBJECT = "not_object"
    WRONG_TYPE = "wrong_type"
    NOT_FINITE = "not_finite"
    OUT_OF_RANGE = "out_of_range"
    TOO_LONG = "too_long"
    NOT_PRINTABLE = "not_printable"
    BAD_TIMESTAMP = "bad_timestamp"
    BAD_ADDRESS = "bad_address"
    BAD_COMMAND_ID = "bad_command_id"
    BAD_STATUS = "bad_status"
    BAD_DEVICE_ID = "bad_device_id"


class ProtocolError(ValueError):
    """A whole message is unusable."""

    def __init__(self, reason: Reason) -> None:
        """Remember the reason for counting."""
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Rejection:
    """One field of a message that was dropped."""

    field: str
    reason: Reason


# --- topics and ids --------------------------------------------------------------------

_MAC_RE: Final = re.compile(
    r"^[0-9a-f]{2}([:-]?)[0-9a-f]{2}(?:\1[0-9a-f]{2}){4}$", re.IGNORECASE
)
# Ids end up in topics, unique ids and file names: a conservative alphabet keeps MQTT
# wildcards, separators, whitespace and look-alike unicode out. No underscore: pond
# devices are keyed "<id>_pond<n>", and an id "<mac>_pond1" must not take one over.
_DEVICE_ID_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.:-]*$")


def normalize_device_id(raw: str) -> str | None:
    """Return the canonical form of a controller id, or None when it is not valid.

    MAC addresses in any spelling become lower-case colon form (as Home Assistant's
    device registry writes MACs); other ids compare case-insensitively.
    """
    if len(raw) > MAX_DEVICE_ID_LENGTH or not _DEVICE_ID_RE.fullmatch(raw):
        return None
    if _MAC_RE.fullmatch(raw):
        hex_digits = re.sub(r"[:-]", "", raw).lower()
        return ":".join(hex_digits[i : i + 2] for i in range(0, 12, 2))
    return raw.casefold()


def is_mac(device_id: str) -> bool:
    """Return whether a normalised id is a MAC address."""
    return bool(_MAC_RE.fullmatch(device_id))


def subscription_topic(prefix: str, kind: MessageKind) -> str:
    """Return the wildcard topic that carries one kind of message of every controller."""
    return f"{prefix}/+/{kind}"


def subscription_topics(prefix: str) -> list[str]:
    """Return the wildcard topics that carry everything controllers send."""
    return [subscription_topic(prefix, kind) for kind in INBOUND_KINDS]


def controller_topic_filter(prefix: str, topic_id: str) -> str:
    """Return the topic filter of everything one controller sends and receives."""
    return f"{prefix}/{topic_id}/#"


def command_topic(prefix: str, topic_id: str) -> str:
    """Return the topic a controller listens on, with the id spelled as it spells it."""
    return f"{prefix}/{topic_id}/{MessageKind.COMMANDS}"


def split_topic(prefix: str, topic: str) -> tuple[str, MessageKind] | None:
    """Return the raw controller id and the message kind of an inbound topic."""
    head = f"{prefix}/"
    if not topic.startswith(head):
        return None
    raw_id, _, kind_name = topic[len(head) :].partition("/")
    kind = _INBOUND_BY_NAME.get(kind_name)
    if kind is None or not raw_id:
        return None
    return raw_id, kind


def firmware_url_error(url: str, *, allow_http: bool) -> str | None:
    """Return why `url` cannot be a firmware or manifest address, or None if it can.

    Args:
        url: The address without surrounding whitespace.
        allow_http: Whether plain http is allowed besides https.

    Returns:
        The translation key of the error (the same in the options form and the
        actions' exceptions), or None for a usable address.
    """
    try:
        parts = urlsplit(url)
        # Reading the port checks it: urlsplit alone accepts port 99999.
        _ = parts.port
    except ValueError:  # e.g. an unterminated IPv6 literal "https://[::1"
        return "firmware_url_invalid"
    if not parts.hostname or not url.isprintable() or " " in url:
        return "firmware_url_invalid"
    if parts.scheme == "https" or (parts.scheme == "http" and allow_http):
        return None
    return "firmware_url_http" if parts.scheme == "http" else "firmware_url_invalid"


# --- payloads --------------------------------------------------------------------------


def _depth_exceeded(value: Any, depth: int = 0) -> bool:
    """Return whether anything in `value` (at `depth`) lies deeper than allowed.

    Whatever a container holds counts one level deeper. Only containers are
    recursed into: a message is mostly scalars, and a call per scalar was about
    half of this check's time.
    """
    if isinstance(value, dict):
        items: Iterable[Any] = value.values()
    elif isinstance(value, list):
        items = value
    else:
        return False
    if depth >= MAX_JSON_DEPTH:
        # Whatever this container holds is too deep.
        return bool(value)
    for item in items:
        # A tuple, not `dict | list`: isinstance with a union is slower.
        if isinstance(item, (dict, list)) and _depth_exceeded(item, depth + 1):
            return True
    return False


def decode_text(payload: bytes | bytearray | str) -> str:
    """Return a payload as text, refusing oversized or non-UTF-8 payloads."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ProtocolError(Reason.TOO_LARGE)
    if isinstance(payload, str):
        # The limit is in bytes; a character takes up to four of them in UTF-8.
        if (
            len(payload) * 4 > MAX_PAYLOAD_BYTES
            and len(payload.encode("utf-8", "surrogatepass")) > MAX_PAYLOAD_BYTES
        ):
            raise ProtocolError(Reason.TOO_LARGE)
        return payload
    try:
        return payload.decode()
    except UnicodeDecodeError as err:
        raise ProtocolError(Reason.NOT_UTF8) from err


def decode_object(payload: bytes | bytearray | str) -> dict[str, Any]:
    """Return a payload's JSON object."""
    text = decode_text(payload)
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as err:
        raise ProtocolError(Reason.BAD_JSON) from err
    if not isinstance(value, dict):
        raise ProtocolError(Reason.NOT_OBJECT)
    if _depth_exceeded(value):
        raise ProtocolError(Reason.BAD_JSON)
    return value


# --- field validation -------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class NumberSpec:
    """The plausible range of a numeric field (PROTOCOL.md sections 3 and 4)."""

    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False

    def check(self, value: Any) -> float | int | Reason:
        """Return the value if it is plausible, else the reason it is not."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            return Reason.WRONG_TYPE
        try:
            # JSON integers are unbounded; one beyond float range is no reading.
            number = float(value)
        except OverflowError:
            return Reason.OUT_OF_RANGE
        if not math.isfinite(number):
            return Reason.NOT_FINITE
        if (self.minimum is not None and number < self.minimum) or (
            self.maximum is not None and number > self.maximum
        ):
            return Reason.OUT_OF_RANGE
        if self.integer:
            if not number.is_integer():
                return Reason.WRONG_TYPE
            return int(value)
        return value


@dataclass(frozen=True, slots=True, kw_only=True)
class TextSpec:
    """A free-text field with a length limit."""

    max_length: int

    def check(self, value: Any) -> str | Reason:
        """Return the text if it is acceptable, else the reason it is not."""
        if not isinstance(value, str):
            return Reason.WRONG_TYPE
        if len(value) > self.max_length:
            return Reason.TOO_LONG
        if not value.isprintable():
            return Reason.NOT_PRINTABLE
        return value


def parse_timestamp(value: Any) -> datetime | Reason:
    """Return an ISO 8601 timestamp as an aware UTC datetime (naive means UTC)."""
    if not isinstance(value, str) or len(value) > _MAX_TIMESTAMP_LENGTH:
        return Reason.BAD_TIMESTAMP
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return Reason.BAD_TIMESTAMP
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        return Reason.BAD_TIMESTAMP


def parse_ip_address(value: Any) -> str | Reason:
    """Return a valid IPv4 or IPv6 address in its compressed form."""
    if (
        not isinstance(value, str)
        or len(value) > _MAX_ADDRESS_LENGTH
        # ipaddress accepts any text as an IPv6 scope id, control characters too.
        or not (value.isascii() and value.isprintable())
        or " " in value
    ):
        return Reason.BAD_ADDRESS
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return Reason.BAD_ADDRESS


# --- startup and heartbeat (section 3) ----------------------------------------------------

SEQ_SPEC: Final = NumberSpec(minimum=0, integer=True)
SIGNAL_SPEC: Final = NumberSpec(minimum=-100, maximum=0, integer=True)
VERSION_SPEC: Final = TextSpec(max_length=20)

# Each identity field with the check that turns raw JSON into its value or a Reason.
_IDENTITY_FIELDS: Final[Mapping[str, Callable[[Any], object]]] = {
    "timestamp": parse_timestamp,
    "firmware_version": VERSION_SPEC.check,
    "hardware_version": VERSION_SPEC.check,
    "device_name": TextSpec(max_length=50).check,
    "ip_address": parse_ip_address,
    "wifi_ssid": TextSpec(max_length=50).check,
    "wifi_signal_strength": SIGNAL_SPEC.check,
    "free_heap": NumberSpec(minimum=0, integer=True).check,
    "cpu_frequency": NumberSpec(minimum=1, maximum=10_000, integer=True).check,
    "device_type": TextSpec(max_length=50).check,
    "seq": SEQ_SPEC.check,
}


@dataclass(slots=True)
class Identity:
    """What a controller says about itself in `startup` and `heartbeat`.

    Every field is optional: None means the message did not carry it (or carried it
    broken), never that the controller lost the property.
    """

    timestamp: datetime | None = None
    firmware_version: str | None = None
    hardware_version: str | None = None
    device_name: str | None = None
    ip_address: str | None = None
    wifi_ssid: str | None = None
    wifi_signal_strength: int | None = None
    free_heap: int | None = None
    cpu_frequency: int | None = None
    device_type: str | None = None
    seq: int | None = None
    rejections: list[Rejection] = field(default_factory=list)


def parse_identity(obj: Mapping[str, Any]) -> Identity:
    """Parse a `startup` or `heartbeat` object."""
    identity = Identity()
    for name, check in _IDENTITY_FIELDS.items():
        if (raw := obj.get(name)) is None:
            continue
        result = check(raw)
        if isinstance(result, Reason):
            identity.rejections.append(Rejection(name, result))
        else:
            setattr(identity, name, result)
    return identity


# --- sensors (section 4) -----------------------------------------------------------------


class Reading(StrEnum):
    """A measured quantity, independent of the payload format that carried it."""

    TEMPERATURE = "temperature"
    DISSOLVED_OXYGEN = "dissolved_oxygen"
    PH = "ph"
    TURBIDITY = "turbidity"
    AMMONIA = "ammonia"
    BATTERY = "battery"
    SIGNAL = "signal"
    WATER_DISTANCE = "water_distance"
    WATER_LEVEL = "water_level"
    FEED_LEVEL = "feed_level"


@dataclass(frozen=True, slots=True)
class SensorKey:
    """Where a payload key's value goes: the controller (pond None) or a pond."""

    reading: Reading
    pond: int | None
    spec: NumberSpec


PLAUSIBLE_RANGES: Final[Mapping[Reading, NumberSpec]] = {
    Reading.TEMPERATURE: NumberSpec(minimum=0, maximum=50),
    Reading.DISSOLVED_OXYGEN: NumberSpec(minimum=0, maximum=20),
    Reading.PH: NumberSpec(minimum=0, maximum=14),
    Reading.TURBIDITY: NumberSpec(minimum=0, maximum=1000),
    Reading.AMMONIA: NumberSpec(minimum=0, maximum=100),
    Reading.BATTERY: NumberSpec(minimum=0, maximum=100),
    Reading.SIGNAL: NumberSpec(minimum=-100, maximum=0),
    Reading.WATER_DISTANCE: NumberSpec(minimum=0),
    Reading.WATER_LEVEL: NumberSpec(minimum=0, maximum=100),
    Reading.FEED_LEVEL: NumberSpec(minimum=0, maximum=100),
}


def _key(reading: Reading, pond: int | None = None) -> SensorKey:
    return SensorKey(reading, pond, PLAUSIBLE_RANGES[reading])


# Keys of the current format's `data` object and of the older flat format. Both are
# accepted in either shape: controllers in the field mix firmware generations.
DATA_KEYS: Final[Mapping[str, SensorKey]] = {
    "temperature": _key(Reading.TEMPERATURE),
    "dissolved_oxygen": _key(Reading.DISSOLVED_OXYGEN),
    "ph": _key(Reading.PH),
    "turbidity": _key(Reading.TURBIDITY),
    "ammonia": _key(Reading.AMMONIA),
    "battery": _key(Reading.BATTERY),
    "water1": _key(Reading.WATER_DISTANCE, 1),
    "water2": _key(Reading.WATER_DISTANCE, 2),
    "feed1": _key(Reading.FEED_LEVEL, 1),
    "feed2": _key(Reading.FEED_LEVEL, 2),
    # older flat format
    "water_level": _key(Reading.WATER_LEVEL, 1),
    "water_level2": _key(Reading.WATER_LEVEL, 2),
    "feed_level": _key(Reading.FEED_LEVEL, 1),
    "feed_level2": _key(Reading.FEED_LEVEL, 2),
    "signal_strength": _key(Reading.SIGNAL),
}
METADATA_KEYS: Final[Mapping[str, SensorKey]] = {"signal": _key(Reading.SIGNAL)}


@dataclass(slots=True)
class SensorReport:
    """The readings one `sensors` message carried; absent keys are simply missing."""

    # Keyed by Reading values; plain str keys so consumers can merge them freely.
    controller: dict[str, float] = field(default_factory=dict)
    ponds: dict[int, dict[str, float]] = field(default_factory=dict)
    firmware_version: str | None = None
    hardware_version: str | None = None
    timestamp: datetime | None = None
    seq: int | None = None
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def identity(self) -> Identity:
        """Return what the report says about the controller itself."""
        return Identity(
            timestamp=self.timestamp,
            firmware_version=self.firmware_version,
            hardware_version=self.hardware_version,
        )


def _collect(
    report: SensorReport,
    section: str,
    values: Mapping[str, Any],
    keys: Mapping[str, SensorKey],
) -> None:
    for name, raw in values.items():
        key = keys.get(name)
        if key is None or raw is None:
            continue
        result = key.spec.check(raw)
        if isinstance(result, Reason):
            report.rejections.append(Rejection(f"{section}{name}", result))
        elif key.pond is None:
            report.controller[key.reading] = result
        else:
            report.ponds.setdefault(key.pond, {})[key.reading] = result


def parse_sensors(obj: Mapping[str, Any]) -> SensorReport:
    """Parse a `sensors` object in the current or the older flat format."""
    report = SensorReport()
    data = obj.get("data")
    if data is None:
        _collect(report, "", obj, DATA_KEYS)
    elif isinstance(data, dict):
        _collect(report, "data.", data, DATA_KEYS)
    else:
        report.rejections.append(Rejection("data", Reason.WRONG_TYPE))
    metadata = obj.get("metadata")
    if isinstance(metadata, dict):
        _collect(report, "metadata.", metadata, METADATA_KEYS)
        for name in ("firmware_version", "hardware_version"):
            if (raw := metadata.get(name)) is None:
                continue
            text = VERSION_SPEC.check(raw)
            if isinstance(text, Reason):
                report.rejections.append(Rejection(f"metadata.{name}", text))
            else:
                setattr(report, name, text)
    elif metadata is not None:
        report.rejections.append(Rejection("metadata", Reason.WRONG_TYPE))
    if (raw_time := obj.get("timestamp")) is not None:
        timestamp = parse_timestamp(raw_time)
        if isinstance(timestamp, Reason):
            report.rejections.append(Rejection("timestamp", timestamp))
        else:
            report.timestamp = timestamp
    if (raw_seq := obj.get("seq")) is not None:
        seq = SEQ_SPEC.check(raw_seq)
        if isinstance(seq, Reason):
            report.rejections.append(Rejection("seq", seq))
        else:
            report.seq = int(seq)
    return report


# --- status (section 7) -------------------------------------------------------------------


def parse_status(payload: bytes | bytearray | str) -> bool:
    """Return True for `online` and False for `offline` (any case, JSON-quoted or not)."""
    text = decode_text(payload).strip().strip('"').strip().lower()
    if text == "online":
        return True
    if text == "offline":
        return False
    raise ProtocolError(Reason.BAD_STATUS)


# --- ack and complete (section 6) ---------------------------------------------------------

_TRUE_STRINGS: Final = frozenset({"true", "1", "yes", "on"})
_ERROR_CODE_SPEC: Final = TextSpec(max_length=50)
_MESSAGE_SPEC: Final = TextSpec(max_length=1000)


def normalize_command_id(value: Any) -> str | None:
    """Return a command id as 32 lower-case hex digits, whichever UUID spelling it has."""
    if not isinstance(value, str) or len(value) > _MAX_UUID_LENGTH:
        return None
    try:
        return uuid.UUID(value).hex
    except ValueError:
        return None


def parse_success(value: Any) -> bool:
    """Interpret a `success` field: missing means true; strings per PROTOCOL.md 6."""
    if value is None:
        return True
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in _TRUE_STRINGS
    if isinstance(value, int | float):
        return value == 1
    return False


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandAnswer:
    """A controller's `ack` (phase 1) or `complete` (phase 2)."""

    command_id: str
    success: bool
    message: str | None = None
    error_code: str | None = None
    error_details: str | None = None
    execution_time_ms: float | None = None
    timestamp: datetime | None = None


def _optional_text(obj: Mapping[str, Any], name: str, spec: TextSpec) -> str | None:
    raw = obj.get(name)
    if raw is None:
        return None
    if isinstance(raw, str) and len(raw) > spec.max_length:
        # Keep the start of an over-long explanation instead of losing all of it.
        raw = raw[: spec.max_length]
    result = spec.check(raw)
    return None if isinstance(result, Reason) else result


def parse_answer(obj: Mapping[str, Any]) -> CommandAnswer:
    """Parse an `ack` or `complete` object; only a usable command id is required."""
    command_id = normalize_command_id(obj.get("command_id"))
    if command_id is None:
        raise ProtocolError(Reason.BAD_COMMAND_ID)
    execution = NumberSpec(minimum=0).check(obj.get("execution_time_ms"))
    timestamp = parse_timestamp(obj.get("timestamp"))
    return CommandAnswer(
        command_id=command_id,
        success=parse_success(obj.get("success")),
        message=_optional_text(obj, "message", _MESSAGE_SPEC),
        error_code=_optional_text(obj, "error_code", _ERROR_CODE_SPEC),
        error_details=_optional_text(obj, "error_details", _MESSAGE_SPEC),
        execution_time_ms=None if isinstance(execution, Reason) else execution,
        timestamp=None if isinstance(timestamp, Reason) else timestamp,
    )


# --- controller threshold alarms ------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ControllerAlarm:
    """An alarm a controller raised itself on `<prefix>/<id>/threshold`.

    PROTOCOL.md names the topic but not its fields; every field is optional and the
    field names follow the THRESH command's long forms.
    """

    parameter: str | None = None
    value: float | None = None
    lower: float | None = None
    upper: float | None = None
    pond: int | None = None
    message: str | None = None
    timestamp: datetime | None = None


def parse_controller_alarm(obj: Mapping[str, Any]) -> ControllerAlarm:
    """Parse a controller alarm leniently: whatever is readable is kept."""

    def number(name: str) -> float | None:
        result = NumberSpec().check(obj.get(name))
        return None if isinstance(result, Reason) else result

    pond = NumberSpec(integer=True).check(obj.get("pond_position"))
    timestamp = parse_timestamp(obj.get("timestamp"))
    return ControllerAlarm(
        parameter=_optional_text(obj, "parameter", TextSpec(max_length=50)),
        value=number("value"),
        lower=number("lower"),
        upper=number("upper"),
        pond=int(pond) if pond in POND_POSITIONS else None,
        message=_optional_text(obj, "message", _MESSAGE_SPEC),
        timestamp=None if isinstance(timestamp, Reason) else timestamp,
    )


# --- pond geometry (section 4) --------------------------------------------------------------


def water_level_percent(
    distance_cm: float, sensor_height_cm: float, tank_depth_cm: float
) -> float:
    """Return the water level in % from the distance the ultrasonic sensor measured."""
    level = (sensor_height_cm - distance_cm) / tank_depth_cm * 100
    return min(max(level, 0.0), 100.0)


# --- commands (section 5) ----------------------------------------------------------------


class CommandType(StrEnum):
    """What a command asks a controller to do, as `command_type`/`type` spells it."""

    FEED = "FEED"
    WATER_FILL = "WATER_FILL"
    WATER_DRAIN = "WATER_DRAIN"
    WATER_INLET_OPEN = "WATER_INLET_OPEN"
    WATER_INLET_CLOSE = "WATER_INLET_CLOSE"
    WATER_OUTLET_OPEN = "WATER_OUTLET_OPEN"
    WATER_OUTLET_CLOSE = "WATER_OUTLET_CLOSE"
    FLUSH = "FLUSH"
    FIRMWARE = "FW"
    THRESHOLD = "THRESH"
    REBOOT = "REBOOT"
    CONFIG_UPDATE = "CONFIG_UPDATE"


# The deployed backend sent these in the compact envelope for the controllers' small
# receive buffers; they must keep arriving that way.
COMPACT_COMMANDS: Final = frozenset(
    {CommandType.FLUSH, CommandType.FIRMWARE, CommandType.THRESHOLD}
)
WATER_COMMANDS: Final = frozenset(
    {
        CommandType.WATER_FILL,
        CommandType.WATER_DRAIN,
        CommandType.WATER_INLET_OPEN,
        CommandType.WATER_INLET_CLOSE,
        CommandType.WATER_OUTLET_OPEN,
        CommandType.WATER_OUTLET_CLOSE,
    }
)


def new_command_id() -> str:
    """Return a fresh command id: a uuid4 as 32 hex digits, as controllers expect."""
    return uuid.uuid4().hex


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def feed_parameters(grams: float) -> dict[str, Any]:
    """Return FEED's parameters."""
    return {"amount": grams, "unit": "grams"}


def water_parameters(
    command_type: CommandType, level_cm: float | None = None
) -> dict[str, Any]:
    """Return a water command's parameters; valves carry `level: null`."""
    return {"action": command_type.value, "level": level_cm}


def flush_parameters(drain_cm: float, fill_cm: float) -> dict[str, Any]:
    """Return FLUSH's compact fields: drain to `d`, then refill to `f` (distances)."""
    return {"d": drain_cm, "f": fill_cm}


def firmware_parameters(url: str) -> dict[str, Any]:
    """Return FW's compact field."""
    return {"url": url}


def threshold_parameters(parameter: str, lower: float, upper: float) -> dict[str, Any]:
    """Return THRESH's compact fields with the real limits (PROTOCOL 8.5)."""
    return {"p": parameter, "u": upper, "l": lower}


def build_command(
    command_id: str,
    command_type: CommandType,
    pond: int,
    parameters: Mapping[str, Any],
    sent_at: datetime,
) -> str:
    """Return a command's JSON in the envelope its type requires (PROTOCOL 5).

    Controller-wide commands (reboot, firmware, configuration) name pond 1: the
    envelope has no way to say "no pond", and deployed firmware ignores it there.
    """
    if command_type in COMPACT_COMMANDS:
        envelope: dict[str, Any] = {
            "id": command_id,
            "type": command_type.value,
            "pos": pond,
            **parameters,
        }
    else:
        envelope = {
            "command_id": command_id,
            "command_type": command_type.value,
            "pond_position": pond,
            "parameters": dict(parameters),
            "timestamp": _iso(sent_at),
        }
    return json.dumps(envelope, separators=(",", ":"), allow_nan=False)


def distance_for_level(
    level_percent: float, sensor_height_cm: float, tank_depth_cm: float
) -> float | None:
    """Return the sensor distance for a water level in %, or None if unreachable.

    The reverse of `water_level_percent`; PROTOCOL 4 requires the result to lie
    within 0..sensor height before it is sent (PROTOCOL 8.6: never negative).
    """
    distance = sensor_height_cm - tank_depth_cm * level_percent / 100
    if not 0 <= distance <= sensor_height_cm:
        return None
    return round(distance, 1)
