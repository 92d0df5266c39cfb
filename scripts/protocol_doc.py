"""Render the generated tables of docs/PROTOCOL.md from the integration's code.

docs/PROTOCOL.md is written for firmware authors. Its tables of topics, fields,
ranges, commands and deadlines are generated here from protocol.py, commands.py,
const.py, config_flow.py and sensor.py, between marker comments

    <!-- generated:NAME -->
    ...
    <!-- /generated:NAME -->

so that the document cannot drift from what the code does: `--check` (run by
tests/test_docs.py) fails when they differ. What the code cannot say (what a field
means to a controller) lives in the dictionaries below, keyed by the code's own
names; a name without a description, or a description of a name the code no longer
has, is an error, so a new topic, field, key or command cannot go undocumented.

Run it with the project's Python, which has Home Assistant:
    .venv/bin/python scripts/protocol_doc.py          # rewrite the tables
    .venv/bin/python scripts/protocol_doc.py --check  # fail if they are stale
"""

import argparse
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import fields
from datetime import UTC, datetime
import json
from pathlib import Path
import re
import sys
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make custom_components importable
    sys.path.insert(0, str(ROOT))

from custom_components.future_fish import commands, config_flow, const, protocol, sensor  # noqa: E402
from custom_components.future_fish.protocol import (  # noqa: E402
    CommandType,
    MessageKind,
    NumberSpec,
    Reading,
    Reason,
    TextSpec,
)

DOC: Final = ROOT / "docs" / "PROTOCOL.md"
SECONDS_PER_MINUTE: Final = 60
STRINGS: Final = ROOT / "custom_components" / "future_fish" / "strings.json"
MARKER: Final = re.compile(
    r"(<!-- generated:(?P<name>[a-z_]+) -->\n)(?P<body>.*?)(<!-- /generated:(?P=name) -->)",
    re.DOTALL,
)

# protocol.py keeps these tables private; the document shows exactly the limits the
# parser applies, so it reads them instead of repeating them.
IDENTITY_CHECKS: Final = protocol._IDENTITY_FIELDS  # noqa: SLF001
TRUE_STRINGS: Final = protocol._TRUE_STRINGS  # noqa: SLF001
MESSAGE_SPEC: Final = protocol._MESSAGE_SPEC  # noqa: SLF001
ERROR_CODE_SPEC: Final = protocol._ERROR_CODE_SPEC  # noqa: SLF001
DEVICE_ID_RE: Final = protocol._DEVICE_ID_RE  # noqa: SLF001
MAX_TIMESTAMP_LENGTH: Final = protocol._MAX_TIMESTAMP_LENGTH  # noqa: SLF001
MAX_UUID_LENGTH: Final = protocol._MAX_UUID_LENGTH  # noqa: SLF001

# --- what the code cannot say ----------------------------------------------------------

TOPIC_MEANINGS: Final[Mapping[MessageKind, str]] = {
    MessageKind.STARTUP: "Once after every boot: who the controller is. Also "
    "completes a pending reboot.",
    MessageKind.HEARTBEAT: "Sign of life, every 20 s on deployed firmware; the same "
    "fields as `startup`.",
    MessageKind.SENSORS: "Readings, every 30 s, often split over two messages.",
    MessageKind.STATUS: "Optional (extension): `online` / `offline`, retained, with "
    "`offline` as the Last Will.",
    MessageKind.ACK: "Phase 1 of a command: received and accepted, or refused.",
    MessageKind.COMPLETE: "Phase 2 of a command: finished, or failed.",
    MessageKind.THRESHOLD: "An alarm the controller raised itself (a limit set with "
    "`THRESH` was crossed).",
    MessageKind.COMMANDS: "Commands for the controller; the only topic Home Assistant "
    "publishes to.",
}

IDENTITY_MEANINGS: Final[Mapping[str, str]] = {
    "timestamp": "The controller's clock; kept (diagnostics) to spot a wrong clock.",
    "firmware_version": "The device's firmware version, and the installed version of "
    "its Firmware update entity.",
    "hardware_version": "The device's hardware version and model.",
    "device_name": "A name set on the controller: names its device and its ponds.",
    "ip_address": "The IP address sensor.",
    "wifi_ssid": "Checked, shown redacted in diagnostics only.",
    "wifi_signal_strength": "The Wi-Fi signal sensor.",
    "free_heap": "The Free memory sensor (usually `heartbeat` only).",
    "cpu_frequency": "Checked, not shown.",
    "device_type": "The device's model when no `hardware_version` is sent "
    "(e.g. `camera`).",
    "seq": "Extension: a counter that increases with every message. Checked; lets a "
    "receiver count lost messages.",
}

READING_UNITS: Final[Mapping[Reading, str]] = {
    Reading.TEMPERATURE: "°C (water)",
    Reading.DISSOLVED_OXYGEN: "mg/L",
    Reading.PH: "pH",
    Reading.TURBIDITY: "NTU",
    Reading.AMMONIA: "mg/L",
    Reading.BATTERY: "%",
    Reading.SIGNAL: "dBm",
    Reading.WATER_DISTANCE: "cm",
    Reading.WATER_LEVEL: "%",
    Reading.FEED_LEVEL: "%",
}

SENSOR_KEY_NOTES: Final[Mapping[str, str]] = {
    "temperature": "",
    "dissolved_oxygen": "",
    "ph": "",
    "turbidity": "",
    "ammonia": "",
    "battery": "",
    "water1": "Distance from the ultrasonic sensor down to the water of pond 1; Home "
    "Assistant computes the water level in % from it (section 6.2).",
    "water2": "The same for pond 2.",
    "feed1": "Feed left in the hopper of pond 1.",
    "feed2": "Feed left in the hopper of pond 2.",
    "water_level": "Older flat format: the level of pond 1, already in %.",
    "water_level2": "Older flat format: the level of pond 2, already in %.",
    "feed_level": "Older flat format: `feed1`.",
    "feed_level2": "Older flat format: `feed2`.",
    "signal_strength": "Older flat format: `metadata.signal`.",
    "signal": "Wi-Fi signal.",
}

# The example parameters each command is documented with, made by protocol.py's own
# builders; None for a command Home Assistant never sends.
COMMAND_EXAMPLES: Final[Mapping[CommandType, Mapping[str, Any] | None]] = {
    CommandType.FEED: protocol.feed_parameters(100.0),
    CommandType.WATER_FILL: protocol.water_parameters(CommandType.WATER_FILL, 40.0),
    CommandType.WATER_DRAIN: protocol.water_parameters(CommandType.WATER_DRAIN, 130.0),
    CommandType.WATER_INLET_OPEN: protocol.water_parameters(
        CommandType.WATER_INLET_OPEN
    ),
    CommandType.WATER_INLET_CLOSE: protocol.water_parameters(
        CommandType.WATER_INLET_CLOSE
    ),
    CommandType.WATER_OUTLET_OPEN: protocol.water_parameters(
        CommandType.WATER_OUTLET_OPEN
    ),
    CommandType.WATER_OUTLET_CLOSE: protocol.water_parameters(
        CommandType.WATER_OUTLET_CLOSE
    ),
    CommandType.FLUSH: protocol.flush_parameters(130.0, 40.0),
    CommandType.FIRMWARE: protocol.firmware_parameters(
        "https://firmware.example/future-fish-1.2.0.bin"
    ),
    CommandType.THRESHOLD: protocol.threshold_parameters("do", 4.0, 12.0),
    CommandType.REBOOT: {},
    CommandType.CONFIG_UPDATE: None,
}

COMMAND_MEANINGS: Final[Mapping[CommandType, str]] = {
    CommandType.FEED: "Drop `amount` grams of feed into the pond. Sent by the pond's "
    "Feed button and `future_fish.feed`.",
    CommandType.WATER_FILL: "Fill until the sensor measures `level` cm to the water. "
    "Fill button, `future_fish.water` (fill).",
    CommandType.WATER_DRAIN: "Drain until the sensor measures `level` cm to the water. "
    "Drain button, `future_fish.water` (drain).",
    CommandType.WATER_INLET_OPEN: "Open the inlet valve (`level` is null). Inlet valve "
    "open, `future_fish.water`.",
    CommandType.WATER_INLET_CLOSE: "Close the inlet valve. Inlet valve close, "
    "`future_fish.water`.",
    CommandType.WATER_OUTLET_OPEN: "Open the outlet valve. Outlet valve open, "
    "`future_fish.water`.",
    CommandType.WATER_OUTLET_CLOSE: "Close the outlet valve. Outlet valve close, "
    "`future_fish.water`.",
    CommandType.FLUSH: "Drain to distance `d` cm, then refill to distance `f` cm. Flush "
    "button, `future_fish.water` (flush).",
    CommandType.FIRMWARE: "Download and install the firmware at `url` (https unless "
    "the user allowed http). Firmware update entity, `future_fish.update_firmware`.",
    CommandType.THRESHOLD: "Watch reading `p` (`temp`, `do`, `ph`, `turbidity`, "
    "`ammonia`) between `l` and `u` and raise a `threshold` alarm outside them. "
    "`future_fish.set_threshold`.",
    CommandType.REBOOT: "Restart; complete when the next `startup` arrives. Reboot "
    "button, `future_fish.reboot`.",
    CommandType.CONFIG_UPDATE: 'Deployed envelope `{"config_data": {...}}`; Home '
    "Assistant does not send it.",
}

CONFLICT_MEANINGS: Final[Mapping[str, str]] = {
    "feed": "one feeding per pond at a time",
    "water": "one fill, drain, flush or valve command per pond at a time",
    "system": "one firmware update or reboot per controller at a time",
}

ANSWER_MEANINGS: Final[Mapping[str, str]] = {
    "command_id": "The id of the command answered: `command_id` of a standard "
    "envelope, `id` of a compact one. Required; an answer without a usable id is "
    "dropped.",
    "success": "Whether the command was accepted (`ack`) or done (`complete`).",
    "message": "Free text shown to the user (logbook, Last command sensor, errors).",
    "error_code": "A short machine-readable reason, shown with the message.",
    "error_details": "Longer explanation, kept with the command.",
    "execution_time_ms": "`complete` only: how long the controller worked on it.",
    "timestamp": "The controller's time of the answer; informational.",
}

# ControllerAlarm field -> the payload key it is read from, its type, its meaning.
ALARM_FIELDS: Final[Mapping[str, tuple[str, str, str]]] = {
    "parameter": (
        "parameter",
        "string <= 50",
        "The reading, as in `THRESH` (`temp`, `do`, `ph`, ...).",
    ),
    "value": ("value", "number", "The value that crossed the limit."),
    "lower": ("lower", "number", "The lower limit in force."),
    "upper": ("upper", "number", "The upper limit in force."),
    "pond": ("pond_position", "1 or 2", "The pond, for a pond's limit."),
    "message": ("message", f"string <= {MESSAGE_SPEC.max_length}", "Free text."),
    "timestamp": ("timestamp", "ISO 8601", "When the controller raised it."),
}

REASON_MEANINGS: Final[Mapping[Reason, str]] = {
    Reason.TOO_LARGE: f"The payload is larger than {protocol.MAX_PAYLOAD_BYTES} bytes.",
    Reason.NOT_UTF8: "The payload is not UTF-8.",
    Reason.BAD_JSON: "Not JSON, or nested deeper than "
    f"{protocol.MAX_JSON_DEPTH} levels.",
    Reason.NOT_OBJECT: "JSON, but not an object (`{...}`).",
    Reason.WRONG_TYPE: "A field of the wrong type (a string for a number, a fraction "
    "for an integer, `true` for a number).",
    Reason.NOT_FINITE: "NaN or infinity.",
    Reason.OUT_OF_RANGE: "A number outside its plausible range.",
    Reason.TOO_LONG: "A string longer than its limit.",
    Reason.NOT_PRINTABLE: "A string with control characters.",
    Reason.BAD_TIMESTAMP: "A timestamp that is not ISO 8601.",
    Reason.BAD_ADDRESS: "An `ip_address` that is no IPv4 or IPv6 address.",
    Reason.BAD_COMMAND_ID: "An answer whose `command_id` is no UUID.",
    Reason.BAD_STATUS: "A `status` that is neither `online` nor `offline`.",
    Reason.BAD_DEVICE_ID: "A topic whose controller id breaks the rules of section 2.",
}

# --- helpers -------------------------------------------------------------------------


class DocError(Exception):
    """The document or the descriptions do not fit the code."""


def require_same_keys(
    what: str, described: Iterable[Any], actual: Iterable[Any]
) -> None:
    """Fail when the code has names without a description, or the reverse."""
    described_set, actual_set = set(described), set(actual)
    if missing := actual_set - described_set:
        raise DocError(f"{what}: no description for {sorted(map(str, missing))}")
    if extra := described_set - actual_set:
        raise DocError(
            f"{what}: described but not in the code: {sorted(map(str, extra))}"
        )


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Return a Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines.extend(
        "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"
        for row in rows
    )
    return "\n".join(lines) + "\n"


def number(value: float) -> str:
    """Return a number without a useless `.0`."""
    return f"{value:g}"


def describe_number(spec: NumberSpec) -> str:
    """Return what a number field accepts."""
    kind = "integer" if spec.integer else "number"
    if spec.minimum is not None and spec.maximum is not None:
        return f"{kind}, {number(spec.minimum)} to {number(spec.maximum)}"
    if spec.minimum is not None:
        return f"{kind} >= {number(spec.minimum)}"
    if spec.maximum is not None:
        return f"{kind} <= {number(spec.maximum)}"
    return kind


def describe_check(check: Callable[[Any], object]) -> str:
    """Return what a field check of protocol.py accepts."""
    spec = getattr(check, "__self__", None)
    if isinstance(spec, NumberSpec):
        return describe_number(spec)
    if isinstance(spec, TextSpec):
        return f"string <= {spec.max_length}, printable"
    if check is protocol.parse_timestamp:
        return f"ISO 8601 <= {MAX_TIMESTAMP_LENGTH} chars; no zone means UTC"
    if check is protocol.parse_ip_address:
        return "IPv4 or IPv6 address"
    raise DocError(f"no way to describe the check {check!r}")


def seconds(value: float) -> str:
    """Return a duration for people."""
    value = int(value)
    if value >= SECONDS_PER_MINUTE and value % SECONDS_PER_MINUTE == 0:
        return f"{value} s ({value // SECONDS_PER_MINUTE} min)"
    return f"{value} s"


def entity_names() -> Mapping[str, str]:
    """Return the English entity names of the sensors by translation key."""
    strings = json.loads(STRINGS.read_text(encoding="utf-8"))
    return {key: entry["name"] for key, entry in strings["entity"]["sensor"].items()}


# --- the generated regions ---------------------------------------------------------------


def render_limits() -> str:
    """Return the limits every message must keep."""
    return table(
        ("what", "limit", "beyond it"),
        [
            (
                "payload",
                (
                    f"UTF-8 JSON object, at most {protocol.MAX_PAYLOAD_BYTES} bytes and "
                    f"{protocol.MAX_JSON_DEPTH} levels deep"
                ),
                "the whole message is dropped",
            ),
            (
                "controller id (2nd topic level)",
                (
                    f"1 to {protocol.MAX_DEVICE_ID_LENGTH} characters matching "
                    f"`{DEVICE_ID_RE.pattern}`"
                ),
                "the message is dropped, no device is created",
            ),
            (
                "a field",
                "the type and range of its table",
                "that field is dropped, the rest of the message is used",
            ),
            (
                "`status` (extension)",
                "`online` or `offline`, any case, JSON-quoted or not",
                "the message is dropped",
            ),
        ],
    )


def render_reasons() -> str:
    """Return the reasons a drop is counted under in diagnostics."""
    require_same_keys("Reason", REASON_MEANINGS, Reason)
    return table(
        ("reason", "meaning"),
        [(f"`{reason.value}`", REASON_MEANINGS[reason]) for reason in Reason],
    )


def render_topics() -> str:
    """Return every topic, its direction and QoS."""
    require_same_keys("MessageKind", TOPIC_MEANINGS, MessageKind)
    rows = []
    for kind in MessageKind:
        if kind in protocol.INBOUND_KINDS:
            direction = "controller → HA"
            qos = f"HA subscribes with QoS {const.SUBSCRIBE_QOS}"
        else:
            direction = "HA → controller"
            qos = f"QoS {commands.COMMAND_QOS}, not retained"
        rows.append(
            (f"`<prefix>/<id>/{kind.value}`", direction, qos, TOPIC_MEANINGS[kind])
        )
    return table(("topic", "direction", "QoS", "meaning"), rows)


def render_identity() -> str:
    """Return the fields of `startup` and `heartbeat`."""
    require_same_keys("startup/heartbeat fields", IDENTITY_MEANINGS, IDENTITY_CHECKS)
    return table(
        ("field", "type and accepted values", "what Home Assistant does with it"),
        [
            (f"`{name}`", describe_check(check), IDENTITY_MEANINGS[name])
            for name, check in IDENTITY_CHECKS.items()
        ],
    )


def render_sensors() -> str:
    """Return every key of `sensors`, its unit, range and entity."""
    keys = {**protocol.DATA_KEYS, **protocol.METADATA_KEYS}
    require_same_keys("sensors keys", SENSOR_KEY_NOTES, keys)
    require_same_keys("reading units", READING_UNITS, Reading)
    names = entity_names()
    entities = {
        description.key: names[str(description.translation_key)]
        for description in (*sensor.CONTROLLER_SENSORS, *sensor.POND_SENSORS)
    }
    rows = []
    for section, mapping in (
        ("`data` (or top level)", protocol.DATA_KEYS),
        ("`metadata`", protocol.METADATA_KEYS),
    ):
        for key, sensor_key in mapping.items():
            spec = sensor_key.spec
            rows.append(
                (
                    f"`{key}`",
                    section,
                    "controller"
                    if sensor_key.pond is None
                    else f"pond {sensor_key.pond}",
                    READING_UNITS[sensor_key.reading],
                    describe_number(spec)
                    .removeprefix("number, ")
                    .removeprefix("number "),
                    entities.get(sensor_key.reading, "—"),
                    SENSOR_KEY_NOTES[key],
                )
            )
    return table(
        ("key", "in", "of", "unit", "plausible range", "entity", "notes"), rows
    )


def _deadline(command_type: CommandType) -> str:
    for key, (default, types) in commands.COMPLETION_TIMEOUT_OPTIONS.items():
        if command_type in types:
            return f"{seconds(default)}, option `{key}`"
    raise DocError(f"{command_type} has no completion deadline")


def _parameters(command_type: CommandType, example: Mapping[str, Any] | None) -> str:
    if example is None:
        return "—"
    if command_type in protocol.COMPACT_COMMANDS:
        return ", ".join(f"`{key}`" for key in example) + " (top level)"
    return "`parameters`: " + (
        ", ".join(f"`{key}`" for key in example) if example else "`{}`"
    )


def render_commands() -> str:
    """Return every command type, its envelope, deadline and retry rule."""
    require_same_keys("command examples", COMMAND_EXAMPLES, CommandType)
    require_same_keys("command meanings", COMMAND_MEANINGS, CommandType)
    require_same_keys(
        "conflict groups", CONFLICT_MEANINGS, set(commands.CONFLICT_GROUPS.values())
    )
    rows = []
    for command_type in CommandType:
        group = commands.CONFLICT_GROUPS.get(command_type)
        rows.append(
            (
                f"`{command_type.value}`",
                "compact" if command_type in protocol.COMPACT_COMMANDS else "standard",
                _parameters(command_type, COMMAND_EXAMPLES[command_type]),
                COMMAND_MEANINGS[command_type],
                _deadline(command_type),
                "never" if command_type in commands.NOT_RESENT else "yes, same id",
                "—" if group is None else CONFLICT_MEANINGS[group],
            )
        )
    return table(
        (
            "type",
            "envelope",
            "fields",
            "meaning and what sends it",
            "completion deadline",
            "resent",
            "exclusive",
        ),
        rows,
    )


EXAMPLE_ID: Final = "3f1c0a6e5b6d4f0e9a8b7c6d5e4f3a2b"
EXAMPLE_TIME: Final = datetime(2025, 12, 19, 10, 0, tzinfo=UTC)


def render_command_examples() -> str:
    """Return each command as Home Assistant publishes it, byte for byte."""
    blocks = []
    for command_type, example in COMMAND_EXAMPLES.items():
        if example is None:
            continue
        payload = protocol.build_command(
            EXAMPLE_ID, command_type, 1, example, EXAMPLE_TIME
        )
        blocks.append(f"`{command_type.value}`:\n\n```json\n{payload}\n```\n")
    return "\n".join(blocks)


def render_answers() -> str:
    """Return the fields of `ack` and `complete`."""
    answer_fields = [field.name for field in fields(protocol.CommandAnswer)]
    require_same_keys("ack/complete fields", ANSWER_MEANINGS, answer_fields)
    truths = ", ".join(f"`{text}`" for text in sorted(TRUE_STRINGS))
    types = {
        "command_id": f"UUID: 32 hex digits or hyphenated, any case "
        f"(<= {MAX_UUID_LENGTH} chars)",
        "success": f"`true`/`false`; the strings {truths} (any case) and the number "
        "1 are true, other strings and numbers false; missing means true",
        "message": f"string; cut to {MESSAGE_SPEC.max_length} chars",
        "error_code": f"string; cut to {ERROR_CODE_SPEC.max_length} chars",
        "error_details": f"string; cut to {MESSAGE_SPEC.max_length} chars",
        "execution_time_ms": "number >= 0",
        "timestamp": "ISO 8601",
    }
    return table(
        ("field", "type", "meaning"),
        [(f"`{name}`", types[name], ANSWER_MEANINGS[name]) for name in answer_fields],
    )


def render_alarm() -> str:
    """Return the fields of a controller's `threshold` alarm."""
    alarm_fields = [field.name for field in fields(protocol.ControllerAlarm)]
    require_same_keys("threshold fields", ALARM_FIELDS, alarm_fields)
    return table(
        ("field", "type", "meaning"),
        [
            (f"`{payload}`", kind, meaning)
            for payload, kind, meaning in (ALARM_FIELDS[name] for name in alarm_fields)
        ],
    )


def render_timing() -> str:
    """Return the deadlines, resend times and their options."""
    resends = []
    elapsed = 0
    for gap in commands.RETRY_GAPS:
        elapsed += gap
        resends.append(number(elapsed))
    completion = "; ".join(
        f"`{key}` {seconds(default)}"
        for key, (default, _types) in commands.COMPLETION_TIMEOUT_OPTIONS.items()
    )
    return table(
        ("what", "default", "option (range)"),
        [
            (
                "offline after silence",
                seconds(const.DEFAULT_HEARTBEAT_TIMEOUT),
                (
                    f"`{const.CONF_HEARTBEAT_TIMEOUT}` "
                    f"({const.MIN_HEARTBEAT_TIMEOUT} to {const.MAX_HEARTBEAT_TIMEOUT} s)"
                ),
            ),
            (
                "a new controller is shown",
                "at its first message, named from its MAC until it sends a name",
                "—",
            ),
            (
                "`ack` deadline, from the first send",
                seconds(const.DEFAULT_ACK_TIMEOUT),
                (
                    f"`{const.CONF_ACK_TIMEOUT}` ({config_flow.MIN_ACK_TIMEOUT} to "
                    f"{config_flow.MAX_ACK_TIMEOUT} s)"
                ),
            ),
            (
                "resends while no `ack` came",
                (
                    f"{', '.join(resends)} s after the first send, within the `ack` "
                    "deadline"
                ),
                (
                    f"`{const.CONF_RETRIES}` (on or off; default "
                    f"{'on' if const.DEFAULT_RETRIES else 'off'})"
                ),
            ),
            (
                "`complete` deadline, from the `ack`",
                completion,
                (
                    f"each {config_flow.MIN_COMPLETION_TIMEOUT} to "
                    f"{config_flow.MAX_COMPLETION_TIMEOUT} s"
                ),
            ),
        ],
    )


RENDERERS: Final[Mapping[str, Callable[[], str]]] = {
    "limits": render_limits,
    "reasons": render_reasons,
    "topics": render_topics,
    "identity": render_identity,
    "sensors": render_sensors,
    "commands": render_commands,
    "command_examples": render_command_examples,
    "answers": render_answers,
    "alarm": render_alarm,
    "timing": render_timing,
}


def render(text: str) -> str:
    """Return the document with every generated region rewritten from the code."""
    found: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in RENDERERS:
            raise DocError(f"unknown generated region {name!r}")
        if name in found:
            raise DocError(f"generated region {name!r} appears twice")
        found.append(name)
        return f"{match[1]}\n{RENDERERS[name]()}\n{match[4]}"

    result = MARKER.sub(replace, text)
    if missing := [name for name in RENDERERS if name not in found]:
        raise DocError(f"docs/PROTOCOL.md lacks the generated regions {missing}")
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrite the document, or with --check report whether it is current."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="only check, write nothing"
    )
    parser.add_argument("--doc", type=Path, default=DOC, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    current = args.doc.read_text(encoding="utf-8")
    try:
        expected = render(current)
    except DocError as err:
        print(f"{args.doc}: {err}")
        return 1
    if args.check:
        if current != expected:
            print(
                f"{args.doc} is out of date: run "
                ".venv/bin/python scripts/protocol_doc.py"
            )
            return 1
        return 0
    if current != expected:
        args.doc.write_text(expected, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
