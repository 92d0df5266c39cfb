"""Unit and property tests of the Future Fish wire protocol parser.

Expected values come from PROTOCOL.md (sections 1-4, 6 and 7), not from the module
under test: the plausible ranges below are copied from the protocol's tables.
"""

from collections.abc import Callable, Mapping
import contextlib
from datetime import UTC, datetime, timedelta, timezone
import json
import math
import re
from typing import Any, Final
import uuid

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.future_fish.protocol import (
    INBOUND_KINDS,
    MAX_DEVICE_ID_LENGTH,
    MAX_JSON_DEPTH,
    MAX_PAYLOAD_BYTES,
    MessageKind,
    ProtocolError,
    Reading,
    Reason,
    Rejection,
    command_topic,
    decode_object,
    decode_text,
    is_mac,
    normalize_device_id,
    parse_answer,
    parse_controller_alarm,
    parse_identity,
    parse_sensors,
    parse_status,
    split_topic,
    subscription_topics,
    water_level_percent,
)

from .common import IDENTITY_FIELDS

MAC: Final = "EC:E3:34:1C:41:34"
CANONICAL_MAC: Final = "ec:e3:34:1c:41:34"
COMMAND_HEX: Final = "0123456789abcdef0123456789abcdef"
COMMAND_HYPHENATED: Final = "01234567-89ab-cdef-0123-456789abcdef"

# PROTOCOL.md section 4: payload key -> (reading, pond or None, minimum, maximum).
SENSOR_TABLE: Final[Mapping[str, tuple[Reading, int | None, float, float | None]]] = {
    "temperature": (Reading.TEMPERATURE, None, 0, 50),
    "dissolved_oxygen": (Reading.DISSOLVED_OXYGEN, None, 0, 20),
    "ph": (Reading.PH, None, 0, 14),
    "turbidity": (Reading.TURBIDITY, None, 0, 1000),
    "ammonia": (Reading.AMMONIA, None, 0, 100),
    "battery": (Reading.BATTERY, None, 0, 100),
    "water1": (Reading.WATER_DISTANCE, 1, 0, None),
    "water2": (Reading.WATER_DISTANCE, 2, 0, None),
    "feed1": (Reading.FEED_LEVEL, 1, 0, 100),
    "feed2": (Reading.FEED_LEVEL, 2, 0, 100),
    # older flat format (water levels already in %)
    "water_level": (Reading.WATER_LEVEL, 1, 0, 100),
    "water_level2": (Reading.WATER_LEVEL, 2, 0, 100),
    "feed_level": (Reading.FEED_LEVEL, 1, 0, 100),
    "feed_level2": (Reading.FEED_LEVEL, 2, 0, 100),
    "signal_strength": (Reading.SIGNAL, None, -100, 0),
}
# The range each reading must stay in, whichever key carried it.
READING_RANGES: Final[Mapping[Reading, tuple[float, float | None]]] = {
    reading: (low, high) for reading, _, low, high in SENSOR_TABLE.values()
}

# Keep the whole file fast and deterministic; never write a .hypothesis/ database
# into the work tree.
FUZZ: Final = settings(max_examples=150, deadline=None, database=None, derandomize=True)


def _nested(depth: int, *, leaf: Any = 1, container: str = "object") -> Any:
    """Return a value with `depth` nested containers around `leaf`."""
    value = leaf
    for _ in range(depth):
        value = {"k": value} if container == "object" else [value]
    return value


def _reason(call: Callable[[], object]) -> Reason:
    """Return the reason of the ProtocolError that `call` raises."""
    with pytest.raises(ProtocolError) as err:
        call()
    assert str(err.value) == err.value.reason.value
    return err.value.reason


# --- ids (section 1) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "EC:E3:34:1C:41:34",
        "ec:e3:34:1c:41:34",
        "Ec:e3:34:1C:41:34",
        "EC-E3-34-1C-41-34",
        "ec-e3-34-1c-41-34",
        "ECE3341C4134",
        "ece3341c4134",
    ],
)
def test_mac_spellings_normalise_to_one_id(raw: str) -> None:
    """Every spelling of the same MAC is the same controller."""
    assert normalize_device_id(raw) == CANONICAL_MAC
    assert is_mac(CANONICAL_MAC)


@pytest.mark.parametrize(
    ("device_id", "expected"),
    [
        (CANONICAL_MAC, True),
        ("ec-e3-34-1c-41-34", True),
        ("ece3341c4134", True),
        ("pond-controller-1", False),
        ("ece3341c41", False),
        ("ec:e3:34:1c:41:34:00", False),
        ("ec:e3-34:1c:41:34", False),
        ("gg:e3:34:1c:41:34", False),
    ],
)
def test_is_mac(device_id: str, expected: bool) -> None:
    """Only six hex pairs with one consistent separator (or none) are a MAC."""
    assert is_mac(device_id) is expected


def test_mixed_separators_are_not_a_mac_but_still_an_id() -> None:
    """An id that only looks like a MAC is kept as a plain (case-folded) id."""
    assert normalize_device_id("EC:E3-34:1C:41:34") == "ec:e3-34:1c:41:34"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Pond-Controller.1", "pond-controller.1"),
        ("CAMERA01", "camera01"),
        ("a", "A"),
    ],
)
def test_other_ids_are_case_insensitive(first: str, second: str) -> None:
    """Ids that are not MACs compare case-insensitively."""
    assert normalize_device_id(first) == normalize_device_id(second) == second.lower()


def test_id_length_limit() -> None:
    """An id of MAX_DEVICE_ID_LENGTH characters is fine, one more is not."""
    assert MAX_DEVICE_ID_LENGTH == 64
    assert normalize_device_id("a" * 64) == "a" * 64
    assert normalize_device_id("a" * 65) is None


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "+",
        "#",
        "ff/x",
        "a/b",
        "a+",
        "a#",
        "a b",
        " abc",
        "abc ",
        "-abc",
        ".abc",
        ":abc",
        "\u0415\u0421:E3:34:1C:41:34",  # Cyrillic look-alikes of E and C
        "\uff25\uff23:E3:34:1C:41:34",  # full-width E and C
        "caf\u00e9",
        "abc\u200b",  # zero-width space
        "abc\x00",
        "\x00abc",
        "a\tb",
        "abc\r",
        "abc\n",
        "\nabc",
        "EC:E3:34:1C:41:34\n",
        # Pond devices are keyed "<id>_pond<n>": no id may look like one.
        "EC:E3:34:1C:41:34_pond1",
        "a_b",
        "a" * 65,
        "a" * 1000,
        "EC:E3:34:1C:41:34" * 60,
    ],
)
def test_invalid_ids_are_refused(raw: str) -> None:
    """Ids that could break topics, unique ids or file names give None."""
    assert normalize_device_id(raw) is None


# --- topics (section 2) -------------------------------------------------------------------


@pytest.mark.parametrize("kind", INBOUND_KINDS)
@pytest.mark.parametrize("prefix", ["ff", "site/ponds/ff", "Farm"])
def test_split_topic_inbound(prefix: str, kind: MessageKind) -> None:
    """Every inbound kind is recognised and the id keeps its exact spelling."""
    assert split_topic(prefix, f"{prefix}/{MAC}/{kind}") == (MAC, kind)


def test_inbound_kinds_are_the_protocol_topics() -> None:
    """The inbound kinds are the controller -> HA topics of section 2."""
    assert {kind.value for kind in INBOUND_KINDS} == {
        "startup",
        "heartbeat",
        "sensors",
        "ack",
        "complete",
        "threshold",
        "status",
    }


@pytest.mark.parametrize(
    ("prefix", "topic"),
    [
        ("ff", f"ff/{MAC}/commands"),
        ("ff", f"ff/{MAC}/unknown"),
        ("ff", f"ff/{MAC}/SENSORS"),
        ("ff", f"ff/{MAC}/"),
        ("ff", f"ff/{MAC}"),
        ("ff", "ff/"),
        ("ff", "ff"),
        ("ff", ""),
        ("ff", "ff//sensors"),
        ("ff", f"ff/{MAC}/sensors/extra"),
        ("ff", f"ff/{MAC}/x/sensors"),
        ("ff", f"fff/{MAC}/sensors"),
        ("ff", f"xff/{MAC}/sensors"),
        ("ff", f"FF/{MAC}/sensors"),
        ("ff", f"gg/{MAC}/sensors"),
        ("ff", f"/ff/{MAC}/sensors"),
        ("site/ff", f"ff/{MAC}/sensors"),
        ("site/ff", f"site/{MAC}/sensors"),
        ("ff", f"site/ff/{MAC}/sensors"),
    ],
)
def test_split_topic_refuses(prefix: str, topic: str) -> None:
    """Outbound, unknown, malformed or foreign topics are not inbound messages."""
    assert split_topic(prefix, topic) is None


@pytest.mark.parametrize("prefix", ["ff", "site/ponds/ff"])
def test_subscription_topics(prefix: str) -> None:
    """HA subscribes to every inbound kind and never to its own commands."""
    topics = subscription_topics(prefix)
    assert sorted(topics) == sorted(
        f"{prefix}/+/{kind}"
        for kind in (
            "startup",
            "heartbeat",
            "sensors",
            "ack",
            "complete",
            "threshold",
            "status",
        )
    )
    assert f"{prefix}/+/commands" not in topics


@pytest.mark.parametrize(
    ("prefix", "topic_id", "expected"),
    [
        ("ff", MAC, f"ff/{MAC}/commands"),
        ("ff", "ec-e3-34-1c-41-34", "ff/ec-e3-34-1c-41-34/commands"),
        ("site/ff", "Camera01", "site/ff/Camera01/commands"),
    ],
)
def test_command_topic_keeps_spelling(
    prefix: str, topic_id: str, expected: str
) -> None:
    """Commands go back on the exact spelling the controller uses."""
    assert command_topic(prefix, topic_id) == expected


# --- payload decoding (section 1) ----------------------------------------------------------


def _padded_object(size: int, filler: str = "x") -> str:
    """Return a JSON object whose UTF-8 encoding is exactly `size` bytes long."""
    skeleton = '{"a":""}'
    width = len(filler.encode())
    assert (size - len(skeleton)) % width == 0
    return '{"a":"' + filler * ((size - len(skeleton)) // width) + '"}'


def _as(kind: str, text: str) -> bytes | bytearray | str:
    """Return a payload as the MQTT client may hand it over."""
    if kind == "bytes":
        return text.encode()
    if kind == "bytearray":
        return bytearray(text.encode())
    return text


PAYLOAD_KINDS: Final = ["bytes", "bytearray", "str"]


@pytest.mark.parametrize("kind", PAYLOAD_KINDS)
def test_decode_object(kind: str) -> None:
    """A JSON object comes back as a dict, from bytes or text."""
    text = '{"a": 1, "b": [1, 2, {"c": null}], "d": "\u00e9"}'
    payload = _as(kind, text)
    assert decode_object(payload) == {"a": 1, "b": [1, 2, {"c": None}], "d": "é"}
    assert decode_text(payload) == text


@pytest.mark.parametrize("kind", PAYLOAD_KINDS)
def test_payload_size_limit(kind: str) -> None:
    """A payload of exactly the limit is decoded; one byte more is refused."""
    at_limit = _as(kind, _padded_object(MAX_PAYLOAD_BYTES))
    over_limit = _as(kind, _padded_object(MAX_PAYLOAD_BYTES + 1))
    assert decode_object(at_limit)["a"]
    assert _reason(lambda: decode_object(over_limit)) is Reason.TOO_LARGE
    huge = _as(kind, "x" * 10**6)
    assert _reason(lambda: decode_text(huge)) is Reason.TOO_LARGE


def test_payload_size_limit_counts_bytes_of_text() -> None:
    """The size limit is in bytes: a text payload is measured as its UTF-8 encoding.

    The same wire message must be refused whether the MQTT client hands it over as
    bytes or as already decoded text.
    """
    oversized = _padded_object(MAX_PAYLOAD_BYTES + 2, filler="é")
    assert len(oversized) <= MAX_PAYLOAD_BYTES < len(oversized.encode())
    assert _reason(lambda: decode_object(oversized.encode())) is Reason.TOO_LARGE
    assert _reason(lambda: decode_object(oversized)) is Reason.TOO_LARGE


@pytest.mark.parametrize(
    "payload",
    [
        b"\xff",
        b'{"a": "\xc3\x28"}',
        b'{"a": "\xc0\xaf"}',  # overlong encoding of "/"
        b'{"a": "\xed\xa0\x80"}',  # encoded surrogate
        b'{"a": 1}\x80',
    ],
)
def test_invalid_utf8_is_refused(payload: bytes) -> None:
    """Payloads that are not UTF-8 are refused before JSON parsing."""
    assert _reason(lambda: decode_object(payload)) is Reason.NOT_UTF8
    assert _reason(lambda: decode_text(bytearray(payload))) is Reason.NOT_UTF8


@pytest.mark.parametrize(
    "payload",
    [
        "",
        " ",
        "{",
        "}",
        "{'a': 1}",
        '{"a": 1,}',
        '{"a" 1}',
        '{"a": 1} x',
        "nul",
        '{"a": undefined}',
        '{"a": 0x10}',
        # beyond Python's int-to-str digit limit
        pytest.param('{"a": ' + "1" * 5000 + "}", id="5000-digits"),
        pytest.param('{"a":' + "[" * 5000 + "]" * 5000 + "}", id="deep-lists"),
        pytest.param('{"a":' * 2000 + "1" + "}" * 2000, id="deep-objects"),
    ],
)
def test_bad_json_is_refused(payload: str) -> None:
    """Anything that is not JSON (or too deep for the parser) is BAD_JSON."""
    assert _reason(lambda: decode_object(payload)) is Reason.BAD_JSON


@pytest.mark.parametrize(
    "payload", ["[]", "[{}]", '"online"', "1", "-1.5", "null", "true", "NaN"]
)
def test_non_objects_are_refused(payload: str) -> None:
    """Only JSON objects are messages."""
    assert _reason(lambda: decode_object(payload)) is Reason.NOT_OBJECT


@pytest.mark.parametrize("container", ["object", "list"])
def test_nesting_depth_limit(container: str) -> None:
    """Nesting up to the limit is accepted, deeper nesting is BAD_JSON."""
    allowed = {"k": _nested(MAX_JSON_DEPTH - 1, container=container)}
    too_deep = {"k": _nested(MAX_JSON_DEPTH, container=container)}
    far_too_deep = {"k": _nested(100, container=container)}
    assert decode_object(json.dumps(allowed)) == allowed
    assert _reason(lambda: decode_object(json.dumps(too_deep))) is Reason.BAD_JSON
    assert _reason(lambda: decode_object(json.dumps(far_too_deep))) is Reason.BAD_JSON


@pytest.mark.parametrize("container", ["object", "list"])
def test_nesting_depth_counts_what_the_deepest_container_holds(container: str) -> None:
    """An empty container at the deepest level is accepted, one holding anything not.

    Scalars beside the nesting, at any shallower level, change nothing.
    """
    empty: Any = {} if container == "object" else []
    holding: Any = {"x": 1} if container == "object" else [1]
    allowed = {"a": 1, "b": [2, "3"], "k": _nested(MAX_JSON_DEPTH - 1, leaf=empty)}
    too_deep = {"a": 1, "b": [2, "3"], "k": _nested(MAX_JSON_DEPTH - 1, leaf=holding)}
    assert decode_object(json.dumps(allowed)) == allowed
    assert _reason(lambda: decode_object(json.dumps(too_deep))) is Reason.BAD_JSON


def test_non_finite_literals_parse_but_are_refused_where_used() -> None:
    """NaN and Infinity are not a JSON error; the fields that carry them are refused."""
    obj = decode_object(
        '{"data": {"temperature": NaN, "ph": Infinity, "battery": -Infinity,'
        ' "turbidity": 3}, "metadata": {"signal": NaN}, "seq": Infinity}'
    )
    assert math.isnan(obj["data"]["temperature"])
    report = parse_sensors(obj)
    assert report.controller == {Reading.TURBIDITY: 3}
    assert report.seq is None
    assert sorted(report.rejections, key=lambda item: item.field) == [
        Rejection("data.battery", Reason.NOT_FINITE),
        Rejection("data.ph", Reason.NOT_FINITE),
        Rejection("data.temperature", Reason.NOT_FINITE),
        Rejection("metadata.signal", Reason.NOT_FINITE),
        Rejection("seq", Reason.NOT_FINITE),
    ]
    identity = parse_identity(
        decode_object('{"wifi_signal_strength": -Infinity, "free_heap": NaN}')
    )
    assert identity.wifi_signal_strength is None
    assert identity.free_heap is None
    assert sorted(identity.rejections, key=lambda item: item.field) == [
        Rejection("free_heap", Reason.NOT_FINITE),
        Rejection("wifi_signal_strength", Reason.NOT_FINITE),
    ]


# --- startup and heartbeat (section 3) --------------------------------------------------------

EXPECTED_TIME: Final = datetime(2025, 12, 19, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("timestamp", "2025-12-19T10:00:00Z", EXPECTED_TIME),
        ("timestamp", "2025-12-19T10:00:00+00:00", EXPECTED_TIME),
        ("timestamp", "2025-12-19T12:00:00+02:00", EXPECTED_TIME),
        ("timestamp", "2025-12-19T04:30:00-05:30", EXPECTED_TIME),
        ("timestamp", "2025-12-19T10:00:00", EXPECTED_TIME),
        ("timestamp", "2025-12-19 10:00:00", EXPECTED_TIME),
        (
            "timestamp",
            "2025-12-19T10:00:00.250000Z",
            EXPECTED_TIME + timedelta(milliseconds=250),
        ),
        ("firmware_version", "1.0.0", "1.0.0"),
        ("firmware_version", "v" * 20, "v" * 20),
        ("hardware_version", "ESP32-WROOM-32", "ESP32-WROOM-32"),
        ("hardware_version", "h" * 20, "h" * 20),
        ("device_name", "Koi pond ☀", "Koi pond ☀"),
        ("device_name", "n" * 50, "n" * 50),
        ("ip_address", "192.168.1.23", "192.168.1.23"),
        ("ip_address", "10.0.0.1", "10.0.0.1"),
        ("ip_address", "2001:db8::1", "2001:db8::1"),
        ("ip_address", "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("ip_address", "FE80:0:0:0:0:0:0:1", "fe80::1"),
        ("ip_address", "::1", "::1"),
        ("wifi_ssid", "farm", "farm"),
        ("wifi_ssid", "s" * 50, "s" * 50),
        ("wifi_signal_strength", -61, -61),
        ("wifi_signal_strength", -100, -100),
        ("wifi_signal_strength", 0, 0),
        ("wifi_signal_strength", -61.0, -61),
        ("free_heap", 0, 0),
        ("free_heap", 234_567, 234_567),
        ("cpu_frequency", 240, 240),
        ("cpu_frequency", 160.0, 160),
        ("device_type", "camera", "camera"),
        ("device_type", "t" * 50, "t" * 50),
        ("seq", 0, 0),
        ("seq", 42, 42),
        ("seq", 2**53, 2**53),
    ],
)
def test_identity_field_accepted(name: str, raw: Any, expected: Any) -> None:
    """Each valid identity field is kept, normalised, without a rejection."""
    identity = parse_identity({name: raw})
    value = getattr(identity, name)
    assert value == expected
    assert type(value) is type(expected)
    if isinstance(value, datetime):
        assert value.utcoffset() == timedelta(0)
    assert identity.rejections == []


@pytest.mark.parametrize(
    ("name", "raw", "reason"),
    [
        ("timestamp", "yesterday", Reason.BAD_TIMESTAMP),
        ("timestamp", "", Reason.BAD_TIMESTAMP),
        ("timestamp", "2025-13-01T00:00:00Z", Reason.BAD_TIMESTAMP),
        ("timestamp", "2025-12-19T25:00:00Z", Reason.BAD_TIMESTAMP),
        ("timestamp", "2025-12-19T10:00:00+25:00", Reason.BAD_TIMESTAMP),
        ("timestamp", "2025-12-19T10:00:00Z" + " " * 30, Reason.BAD_TIMESTAMP),
        ("timestamp", "2" * 1000, Reason.BAD_TIMESTAMP),
        ("timestamp", 1_734_602_400, Reason.BAD_TIMESTAMP),
        ("timestamp", True, Reason.BAD_TIMESTAMP),
        ("timestamp", ["2025-12-19T10:00:00Z"], Reason.BAD_TIMESTAMP),
        ("firmware_version", "v" * 21, Reason.TOO_LONG),
        ("firmware_version", 1, Reason.WRONG_TYPE),
        ("firmware_version", True, Reason.WRONG_TYPE),
        ("firmware_version", {"v": "1.0"}, Reason.WRONG_TYPE),
        ("firmware_version", "1.0\n", Reason.NOT_PRINTABLE),
        ("hardware_version", "h" * 21, Reason.TOO_LONG),
        ("hardware_version", ["ESP32"], Reason.WRONG_TYPE),
        ("device_name", "n" * 51, Reason.TOO_LONG),
        ("device_name", "\x1b[31mred", Reason.NOT_PRINTABLE),
        ("device_name", 7, Reason.WRONG_TYPE),
        ("ip_address", "256.1.1.1", Reason.BAD_ADDRESS),
        ("ip_address", "192.168.1", Reason.BAD_ADDRESS),
        ("ip_address", "192.168.1.23 ", Reason.BAD_ADDRESS),
        ("ip_address", "localhost", Reason.BAD_ADDRESS),
        ("ip_address", "2001:db8:::1", Reason.BAD_ADDRESS),
        ("ip_address", "", Reason.BAD_ADDRESS),
        ("ip_address", "1" * 46, Reason.BAD_ADDRESS),
        ("ip_address", 3_232_235_777, Reason.BAD_ADDRESS),
        ("ip_address", ["192.168.1.23"], Reason.BAD_ADDRESS),
        ("ip_address", "fe80::1%\n", Reason.BAD_ADDRESS),
        ("ip_address", "fe80::1%eth0\x1b[2J", Reason.BAD_ADDRESS),
        ("wifi_ssid", "s" * 51, Reason.TOO_LONG),
        ("wifi_ssid", False, Reason.WRONG_TYPE),
        ("wifi_signal_strength", -101, Reason.OUT_OF_RANGE),
        ("wifi_signal_strength", 1, Reason.OUT_OF_RANGE),
        ("wifi_signal_strength", -60.5, Reason.WRONG_TYPE),
        ("wifi_signal_strength", "-60", Reason.WRONG_TYPE),
        ("wifi_signal_strength", True, Reason.WRONG_TYPE),
        ("wifi_signal_strength", False, Reason.WRONG_TYPE),
        ("wifi_signal_strength", float("nan"), Reason.NOT_FINITE),
        ("wifi_signal_strength", float("-inf"), Reason.NOT_FINITE),
        ("free_heap", -1, Reason.OUT_OF_RANGE),
        ("free_heap", 1.5, Reason.WRONG_TYPE),
        ("free_heap", True, Reason.WRONG_TYPE),
        ("free_heap", [1], Reason.WRONG_TYPE),
        ("cpu_frequency", 0, Reason.OUT_OF_RANGE),
        ("cpu_frequency", -240, Reason.OUT_OF_RANGE),
        ("cpu_frequency", 240.5, Reason.WRONG_TYPE),
        ("cpu_frequency", "240", Reason.WRONG_TYPE),
        ("cpu_frequency", float("inf"), Reason.NOT_FINITE),
        ("device_type", "t" * 51, Reason.TOO_LONG),
        ("device_type", 5, Reason.WRONG_TYPE),
        ("seq", -1, Reason.OUT_OF_RANGE),
        ("seq", 1.5, Reason.WRONG_TYPE),
        ("seq", True, Reason.WRONG_TYPE),
        ("seq", "7", Reason.WRONG_TYPE),
    ],
)
def test_identity_field_rejected(name: str, raw: Any, reason: Reason) -> None:
    """A bad field is None and named, with its reason, in the rejections."""
    identity = parse_identity({"firmware_version": "1.0.0"} | {name: raw})
    assert getattr(identity, name) is None
    assert identity.rejections == [Rejection(name, reason)]
    if name != "firmware_version":
        # One bad field never costs the others.
        assert identity.firmware_version == "1.0.0"


@pytest.mark.parametrize("obj", [{}, {"device_id": MAC}])
def test_identity_missing_fields_are_none(obj: dict[str, Any]) -> None:
    """Every field may be missing: it is None, and that is no rejection."""
    identity = parse_identity(obj)
    assert identity.rejections == []
    for name in IDENTITY_FIELDS:
        assert getattr(identity, name) is None
        # An explicit null is the same as a missing field.
        assert getattr(parse_identity({name: None}), name) is None
        assert parse_identity({name: None}).rejections == []


def test_identity_full_startup_and_heartbeat() -> None:
    """A full startup and a heartbeat as the deployed simulator sends them."""
    startup = parse_identity(
        {
            "device_id": MAC,
            "timestamp": "2025-12-19T10:00:00Z",
            "firmware_version": "1.0.0",
            "hardware_version": "ESP32-WROOM-32",
            "device_name": "AquaGain Starter",
            "ip_address": "192.168.1.23",
            "wifi_ssid": "farm",
            "wifi_signal_strength": -61,
            "cpu_frequency": 240,
            "unknown_field": {"ignored": True},
        }
    )
    assert startup.timestamp == EXPECTED_TIME
    assert startup.firmware_version == "1.0.0"
    assert startup.hardware_version == "ESP32-WROOM-32"
    assert startup.device_name == "AquaGain Starter"
    assert startup.ip_address == "192.168.1.23"
    assert startup.wifi_ssid == "farm"
    assert startup.wifi_signal_strength == -61
    assert startup.cpu_frequency == 240
    assert startup.free_heap is None
    assert startup.rejections == []

    heartbeat = parse_identity({"free_heap": 180_000, "seq": 12, "device_type": "pond"})
    assert (heartbeat.free_heap, heartbeat.seq, heartbeat.device_type) == (
        180_000,
        12,
        "pond",
    )
    assert heartbeat.firmware_version is None


# --- sensors (section 4) ----------------------------------------------------------------------


def _value_of(report: Any, key: str) -> Any:
    """Return where the reading of a payload key ended up, or None."""
    reading, pond, _, _ = SENSOR_TABLE[key]
    if pond is None:
        return report.controller.get(reading)
    return report.ponds.get(pond, {}).get(reading)


def _wrap(key: str, value: Any, shape: str) -> dict[str, Any]:
    """Return a sensors payload in the current (`data`) or the older flat shape."""
    if shape == "data":
        return {"device_id": MAC, "data": {key: value}, "metadata": {}}
    return {"device_id": MAC, key: value}


def _field_name(key: str, shape: str) -> str:
    return f"data.{key}" if shape == "data" else key


@pytest.mark.parametrize("shape", ["data", "flat"])
@pytest.mark.parametrize("key", list(SENSOR_TABLE))
def test_sensor_key_range_boundaries(key: str, shape: str) -> None:
    """Both ends of each plausible range are kept; just outside is refused."""
    _, _, low, high = SENSOR_TABLE[key]
    accepted = [low, low + 0.5] + ([high] if high is not None else [10_000])
    refused = [low - 0.01] + ([high + 0.01] if high is not None else [])
    for value in accepted:
        report = parse_sensors(_wrap(key, value, shape))
        assert _value_of(report, key) == value, value
        assert report.rejections == []
    for value in refused:
        report = parse_sensors(_wrap(key, value, shape))
        assert _value_of(report, key) is None, value
        assert report.controller == {}
        assert report.ponds == {}
        assert report.rejections == [
            Rejection(_field_name(key, shape), Reason.OUT_OF_RANGE)
        ]


@pytest.mark.parametrize("shape", ["data", "flat"])
@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("24.5", Reason.WRONG_TYPE),
        (True, Reason.WRONG_TYPE),
        (False, Reason.WRONG_TYPE),
        ([24.5], Reason.WRONG_TYPE),
        ({"value": 24.5}, Reason.WRONG_TYPE),
        (float("nan"), Reason.NOT_FINITE),
        (float("inf"), Reason.NOT_FINITE),
        (float("-inf"), Reason.NOT_FINITE),
    ],
)
def test_sensor_value_of_wrong_kind(shape: str, value: Any, reason: Reason) -> None:
    """Non-numbers and non-finite numbers are refused per field."""
    report = parse_sensors(_wrap("temperature", value, shape))
    assert report.controller == {}
    assert report.rejections == [Rejection(_field_name("temperature", shape), reason)]


def test_sensors_current_format() -> None:
    """A full current-format message: controller readings, ponds and metadata."""
    report = parse_sensors(
        {
            "device_id": MAC,
            "timestamp": "2025-12-19T10:00:00Z",
            "seq": 7,
            "data": {
                "temperature": 24.5,
                "dissolved_oxygen": 7.2,
                "ph": 7,
                "turbidity": 12.5,
                "ammonia": 0.02,
                "battery": 88,
                "water1": 35.5,
                "water2": 41,
                "feed1": 80,
                "feed2": 12.5,
            },
            "metadata": {
                "signal": -67,
                "firmware_version": "1.2.3",
                "hardware_version": "ESP32-WROOM-32",
            },
        }
    )
    assert report.controller == {
        Reading.TEMPERATURE: 24.5,
        Reading.DISSOLVED_OXYGEN: 7.2,
        Reading.PH: 7,
        Reading.TURBIDITY: 12.5,
        Reading.AMMONIA: 0.02,
        Reading.BATTERY: 88,
        Reading.SIGNAL: -67,
    }
    assert report.ponds == {
        1: {Reading.WATER_DISTANCE: 35.5, Reading.FEED_LEVEL: 80},
        2: {Reading.WATER_DISTANCE: 41, Reading.FEED_LEVEL: 12.5},
    }
    assert report.firmware_version == "1.2.3"
    assert report.hardware_version == "ESP32-WROOM-32"
    assert report.timestamp == EXPECTED_TIME
    assert report.seq == 7
    assert report.rejections == []


def test_sensors_split_messages_leave_absent_keys_absent() -> None:
    """A key missing from one half of a split cycle is absent, never zero."""
    first = parse_sensors(
        {"device_id": MAC, "data": {"temperature": 24.5, "ph": 7.1, "water1": 30}}
    )
    assert first.controller == {Reading.TEMPERATURE: 24.5, Reading.PH: 7.1}
    assert first.ponds == {1: {Reading.WATER_DISTANCE: 30}}
    assert first.firmware_version is None
    assert first.timestamp is None
    assert first.seq is None

    second = parse_sensors(
        {"device_id": MAC, "data": {"feed2": 55}, "metadata": {"signal": -70}}
    )
    assert second.controller == {Reading.SIGNAL: -70}
    assert second.ponds == {2: {Reading.FEED_LEVEL: 55}}
    assert 1 not in second.ponds

    empty = parse_sensors({"device_id": MAC, "data": {}})
    assert empty.controller == {}
    assert empty.ponds == {}
    assert empty.rejections == []


def test_sensors_flat_format() -> None:
    """The older flat format: water levels already in %, signal_strength."""
    report = parse_sensors(
        {
            "device_id": MAC,
            "timestamp": "2025-12-19T10:00:00Z",
            "temperature": 22.0,
            "water_level": 75,
            "water_level2": 60.5,
            "feed_level": 40,
            "feed_level2": 35,
            "turbidity": 3,
            "dissolved_oxygen": 6.5,
            "ph": 7.4,
            "ammonia": 0.1,
            "battery": 99,
            "signal_strength": -55,
        }
    )
    assert report.controller == {
        Reading.TEMPERATURE: 22.0,
        Reading.TURBIDITY: 3,
        Reading.DISSOLVED_OXYGEN: 6.5,
        Reading.PH: 7.4,
        Reading.AMMONIA: 0.1,
        Reading.BATTERY: 99,
        Reading.SIGNAL: -55,
    }
    assert report.ponds == {
        1: {Reading.WATER_LEVEL: 75, Reading.FEED_LEVEL: 40},
        2: {Reading.WATER_LEVEL: 60.5, Reading.FEED_LEVEL: 35},
    }
    assert report.timestamp == EXPECTED_TIME
    assert report.rejections == []


@pytest.mark.parametrize("data", [[1, 2], "temperature=20", 20, True, False])
def test_sensors_data_of_wrong_type(data: Any) -> None:
    """A `data` that is not an object is one rejection; top-level keys are not read."""
    report = parse_sensors(
        {"data": data, "temperature": 20, "metadata": {"signal": -50}}
    )
    assert report.rejections == [Rejection("data", Reason.WRONG_TYPE)]
    assert report.controller == {Reading.SIGNAL: -50}
    assert report.ponds == {}


@pytest.mark.parametrize("metadata", [[1], "v1", -50, True])
def test_sensors_metadata_of_wrong_type(metadata: Any) -> None:
    """A `metadata` that is not an object is refused without losing `data`."""
    report = parse_sensors({"data": {"ph": 7}, "metadata": metadata})
    assert report.rejections == [Rejection("metadata", Reason.WRONG_TYPE)]
    assert report.controller == {Reading.PH: 7}
    assert report.firmware_version is None


@pytest.mark.parametrize(
    ("metadata", "rejection"),
    [
        ({"signal": -101}, Rejection("metadata.signal", Reason.OUT_OF_RANGE)),
        ({"signal": 1}, Rejection("metadata.signal", Reason.OUT_OF_RANGE)),
        ({"signal": "-60"}, Rejection("metadata.signal", Reason.WRONG_TYPE)),
        (
            {"firmware_version": "v" * 21},
            Rejection("metadata.firmware_version", Reason.TOO_LONG),
        ),
        (
            {"firmware_version": 2},
            Rejection("metadata.firmware_version", Reason.WRONG_TYPE),
        ),
        (
            {"hardware_version": "ESP\x0032"},
            Rejection("metadata.hardware_version", Reason.NOT_PRINTABLE),
        ),
    ],
)
def test_sensors_bad_metadata_fields(
    metadata: dict[str, Any], rejection: Rejection
) -> None:
    """Bad metadata fields are named in the rejections and not kept."""
    report = parse_sensors({"data": {"battery": 50}, "metadata": metadata})
    assert report.rejections == [rejection]
    assert report.controller == {Reading.BATTERY: 50}
    assert report.firmware_version is None
    assert report.hardware_version is None


@pytest.mark.parametrize("signal", [-100, -67.5, 0])
def test_sensors_metadata_signal_range(signal: float) -> None:
    """The metadata signal is kept at both ends of -100..0 dBm."""
    report = parse_sensors({"data": {}, "metadata": {"signal": signal}})
    assert report.controller == {Reading.SIGNAL: signal}


def test_sensors_ignore_nulls_and_unknown_keys() -> None:
    """Null values and keys the protocol does not name are neither read nor refused."""
    report = parse_sensors(
        {
            "data": {
                "temperature": None,
                "water1": None,
                "humidity": 50,
                "water3": 10,
                "TEMPERATURE": 20,
                "ph": 7,
            },
            "metadata": {
                "signal": None,
                "firmware_version": None,
                "uptime": 100,
                "battery": 10,
            },
            "timestamp": None,
            "seq": None,
            "extra": [1, 2, 3],
        }
    )
    assert report.controller == {Reading.PH: 7}
    assert report.ponds == {}
    assert report.timestamp is None
    assert report.seq is None
    assert report.rejections == []

    flat = parse_sensors({"device_id": MAC, "ph": None, "humidity": 3, "seq": 4})
    assert flat.controller == {}
    assert flat.seq == 4
    assert flat.rejections == []


@pytest.mark.parametrize(
    ("extra", "rejection"),
    [
        ({"timestamp": "not a time"}, Rejection("timestamp", Reason.BAD_TIMESTAMP)),
        ({"timestamp": 1_734_602_400}, Rejection("timestamp", Reason.BAD_TIMESTAMP)),
        ({"seq": -1}, Rejection("seq", Reason.OUT_OF_RANGE)),
        ({"seq": 1.5}, Rejection("seq", Reason.WRONG_TYPE)),
        ({"seq": "3"}, Rejection("seq", Reason.WRONG_TYPE)),
        ({"seq": True}, Rejection("seq", Reason.WRONG_TYPE)),
    ],
)
def test_sensors_bad_timestamp_and_seq(
    extra: dict[str, Any], rejection: Rejection
) -> None:
    """A broken timestamp or seq is refused; the readings still count."""
    report = parse_sensors({"data": {"ph": 7}} | extra)
    assert report.rejections == [rejection]
    assert report.controller == {Reading.PH: 7}
    assert report.timestamp is None
    assert report.seq is None


@pytest.mark.parametrize(
    ("extra", "timestamp", "seq"),
    [
        ({"timestamp": "2025-12-19T11:00:00+01:00", "seq": 0}, EXPECTED_TIME, 0),
        ({"timestamp": "2025-12-19T10:00:00", "seq": 3.0}, EXPECTED_TIME, 3),
    ],
)
def test_sensors_timestamp_and_seq(
    extra: dict[str, Any], timestamp: datetime, seq: int
) -> None:
    """The controller's own timestamp (in UTC) and seq (an int) are kept."""
    report = parse_sensors({"data": {}} | extra)
    assert report.timestamp == timestamp
    assert report.timestamp is not None
    assert report.timestamp.utcoffset() == timedelta(0)
    assert report.seq == seq
    assert type(report.seq) is int


def test_one_bad_sensor_does_not_hide_the_others() -> None:
    """Each bad value is refused on its own; the good ones are kept."""
    report = parse_sensors(
        {"data": {"temperature": 99, "ph": 7.2, "water1": -3, "feed1": 50}}
    )
    assert report.controller == {Reading.PH: 7.2}
    assert report.ponds == {1: {Reading.FEED_LEVEL: 50}}
    assert sorted(report.rejections, key=lambda item: item.field) == [
        Rejection("data.temperature", Reason.OUT_OF_RANGE),
        Rejection("data.water1", Reason.OUT_OF_RANGE),
    ]


# --- huge numbers and extreme timestamps never escape as another exception ----------------

HUGE: Final = 10**400  # valid JSON, far beyond the range of a float


@pytest.mark.parametrize(
    ("obj", "field"),
    [
        ({"data": {"temperature": HUGE}}, "data.temperature"),
        ({"data": {"water1": HUGE}}, "data.water1"),
        ({"data": {"water2": -HUGE}}, "data.water2"),
        ({"temperature": -HUGE}, "temperature"),
        ({"data": {}, "metadata": {"signal": -HUGE}}, "metadata.signal"),
        ({"data": {}, "seq": HUGE}, "seq"),
    ],
    ids=lambda item: item if isinstance(item, str) else "",
)
def test_huge_integer_readings_are_refused(obj: dict[str, Any], field: str) -> None:
    """Integers beyond float range (valid JSON) are refused like any bad value."""
    decoded = decode_object(json.dumps(obj))
    assert decoded == obj
    report = parse_sensors(decoded)
    assert report.controller == {}
    assert report.ponds == {}
    assert report.seq is None
    assert [item.field for item in report.rejections] == [field]


def test_huge_integer_out_of_a_bounded_range() -> None:
    """A huge reading of a bounded quantity is out of range."""
    report = parse_sensors({"data": {"turbidity": HUGE, "ph": 7}})
    assert report.controller == {Reading.PH: 7}
    assert report.rejections == [Rejection("data.turbidity", Reason.OUT_OF_RANGE)]


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        pytest.param("free_heap", HUGE, id="free_heap"),
        pytest.param("cpu_frequency", HUGE, id="cpu_frequency"),
        pytest.param("wifi_signal_strength", -HUGE, id="wifi_signal_strength"),
        pytest.param("seq", HUGE, id="seq"),
    ],
)
def test_huge_integer_identity_fields_are_refused(name: str, raw: int) -> None:
    """A huge identity number is None and named in the rejections."""
    identity = parse_identity({name: raw})
    assert getattr(identity, name) is None
    assert [item.field for item in identity.rejections] == [name]


def test_huge_integer_answer_and_alarm_numbers_are_dropped() -> None:
    """Lenient parsers drop huge numbers instead of failing."""
    answer = parse_answer({"command_id": COMMAND_HEX, "execution_time_ms": HUGE})
    assert answer.execution_time_ms is None
    alarm = parse_controller_alarm({"value": HUGE, "lower": -HUGE, "upper": 30})
    assert (alarm.value, alarm.lower, alarm.upper) == (None, None, 30)


@pytest.mark.parametrize(
    "raw",
    [
        "0001-01-01T00:00:00+01:00",
        "0001-01-01T00:30:00+23:59",
        "9999-12-31T23:59:59-01:00",
        "9999-12-31T23:00:00-23:59",
    ],
)
def test_timestamps_beyond_utc_range_are_refused(raw: str) -> None:
    """Offsets that push a timestamp outside datetime's range are BAD_TIMESTAMP."""
    identity = parse_identity({"timestamp": raw})
    assert identity.timestamp is None
    assert identity.rejections == [Rejection("timestamp", Reason.BAD_TIMESTAMP)]
    report = parse_sensors({"data": {}, "timestamp": raw})
    assert report.rejections == [Rejection("timestamp", Reason.BAD_TIMESTAMP)]
    assert parse_answer({"command_id": COMMAND_HEX, "timestamp": raw}).timestamp is None
    assert parse_controller_alarm({"timestamp": raw}).timestamp is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0001-01-01T00:00:00", datetime(1, 1, 1, tzinfo=UTC)),
        ("0001-01-01T01:00:00+01:00", datetime(1, 1, 1, tzinfo=UTC)),
        ("9999-12-31T23:59:59Z", datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)),
    ],
)
def test_timestamps_at_the_edge_of_range(raw: str, expected: datetime) -> None:
    """Extreme timestamps that still fit are converted like any other."""
    assert parse_identity({"timestamp": raw}).timestamp == expected


# --- status (section 7) -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "online"),
    [
        ("online", True),
        ("ONLINE", True),
        ("Online", True),
        (b"online", True),
        ('"online"', True),
        (b'"OnLine"', True),
        (" online\n", True),
        ('  "online"\r\n', True),
        ('" online "', True),
        ("offline", False),
        ("OFFLINE", False),
        (b"Offline", False),
        (bytearray(b"offline"), False),
        ('"offline"', False),
        ("\toffline ", False),
    ],
)
def test_status(payload: bytes | str, online: bool) -> None:
    """online/offline in any case, bare or JSON-quoted, with whitespace."""
    assert parse_status(payload) is online


@pytest.mark.parametrize(
    "payload",
    [
        "",
        " ",
        '""',
        "on",
        "off",
        "onlinee",
        "on line",
        "1",
        "0",
        "true",
        "null",
        '{"status": "online"}',
        "online offline",
        b"\x00online",
    ],
)
def test_status_garbage(payload: bytes | str) -> None:
    """Anything else is BAD_STATUS."""
    assert _reason(lambda: parse_status(payload)) is Reason.BAD_STATUS


def test_status_decoding_errors() -> None:
    """Status payloads go through the same size and UTF-8 checks."""
    assert _reason(lambda: parse_status(b"onl\xffine")) is Reason.NOT_UTF8
    too_large = "online" + " " * MAX_PAYLOAD_BYTES
    assert _reason(lambda: parse_status(too_large)) is Reason.TOO_LARGE


# --- ack and complete (section 6) -------------------------------------------------------------


@pytest.mark.parametrize(
    "command_id",
    [
        COMMAND_HEX,
        COMMAND_HEX.upper(),
        COMMAND_HYPHENATED,
        COMMAND_HYPHENATED.upper(),
    ],
)
def test_answer_command_id_spellings(command_id: str) -> None:
    """Hex and hyphenated ids, in any case, normalise to the same id."""
    answer = parse_answer({"command_id": command_id})
    assert answer.command_id == COMMAND_HEX


@pytest.mark.parametrize(
    "obj",
    [
        {},
        {"command_id": None},
        {"command_id": ""},
        {"command_id": "abc"},
        {"command_id": COMMAND_HEX[:-1]},
        {"command_id": COMMAND_HEX + "0"},
        {"command_id": "g" * 32},
        {"command_id": COMMAND_HYPHENATED + "-00"},
        {"command_id": COMMAND_HEX + " " * 20},
        {"command_id": "f" * 1000},
        {"command_id": int(COMMAND_HEX, 16)},
        {"command_id": True},
        {"command_id": [COMMAND_HEX]},
        {"id": COMMAND_HEX},
    ],
)
def test_answer_without_usable_command_id(obj: dict[str, Any]) -> None:
    """An answer whose command id is missing or invalid is BAD_COMMAND_ID."""
    assert _reason(lambda: parse_answer(obj | {"success": True})) is (
        Reason.BAD_COMMAND_ID
    )


_MISSING: Final = object()


@pytest.mark.parametrize(
    ("success", "expected"),
    [
        (_MISSING, True),
        (None, True),
        (True, True),
        (False, False),
        ("true", True),
        ("TRUE", True),
        ("True", True),
        ("1", True),
        ("yes", True),
        ("YES", True),
        ("Yes", True),
        ("on", True),
        ("ON", True),
        ("false", False),
        ("False", False),
        ("0", False),
        ("no", False),
        ("off", False),
        ("", False),
        ("maybe", False),
        ("y", False),
        ("t", False),
        ("truee", False),
        ("success", False),
        (1, True),
        (1.0, True),
        (0, False),
        (0.0, False),
        ([], False),
        ({"ok": True}, False),
    ],
)
def test_answer_success(success: Any, expected: bool) -> None:
    """`success` per PROTOCOL.md 6: bools, true-ish strings, numbers; missing is true."""
    obj: dict[str, Any] = {"command_id": COMMAND_HEX}
    if success is not _MISSING:
        obj["success"] = success
    assert parse_answer(obj).success is expected


def test_answer_full_complete() -> None:
    """A full `complete` as the deployed simulator sends it."""
    answer = parse_answer(
        {
            "command_id": COMMAND_HYPHENATED,
            "device_id": MAC,
            "success": False,
            "message": "Valve stuck",
            "error_code": "VALVE_TIMEOUT",
            "error_details": "outlet valve did not close within 30 s",
            "execution_time_ms": 31_250,
            "timestamp": "2025-12-19T10:00:00Z",
        }
    )
    assert answer.command_id == COMMAND_HEX
    assert answer.success is False
    assert answer.message == "Valve stuck"
    assert answer.error_code == "VALVE_TIMEOUT"
    assert answer.error_details == "outlet valve did not close within 30 s"
    assert answer.execution_time_ms == 31_250
    assert answer.timestamp == EXPECTED_TIME


def test_answer_minimal() -> None:
    """Only the command id is required; everything else is None."""
    answer = parse_answer({"command_id": COMMAND_HEX})
    assert answer.success is True
    assert answer.message is None
    assert answer.error_code is None
    assert answer.error_details is None
    assert answer.execution_time_ms is None
    assert answer.timestamp is None


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("error_code", "E" * 50, "E" * 50),
        ("error_code", "E" * 49 + "XYZ", "E" * 49 + "X"),
        ("error_code", "C" * 1000, "C" * 50),
        ("error_code", 42, None),
        ("error_code", "E\n1", None),
        ("message", "m" * 1000, "m" * 1000),
        ("message", "ok " + "m" * 5000, "ok " + "m" * 997),
        ("message", ["ok"], None),
        ("error_details", "d" * 1001, "d" * 1000),
        ("error_details", {"x": 1}, None),
    ],
)
def test_answer_texts_are_truncated_or_dropped(
    name: str, raw: Any, expected: str | None
) -> None:
    """Long texts keep their start (error_code <= 50); unusable ones are None."""
    answer = parse_answer({"command_id": COMMAND_HEX, name: raw})
    assert getattr(answer, name) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (0, 0),
        (1234, 1234),
        (12.5, 12.5),
        (-1, None),
        ("1234", None),
        (True, None),
        (float("nan"), None),
        (float("inf"), None),
        (None, None),
    ],
)
def test_answer_execution_time(raw: Any, expected: float | None) -> None:
    """execution_time_ms is a finite non-negative number or None."""
    answer = parse_answer({"command_id": COMMAND_HEX, "execution_time_ms": raw})
    assert answer.execution_time_ms == expected


@pytest.mark.parametrize("raw", ["garbage", 1_734_602_400, ["2025-12-19T10:00:00Z"]])
def test_answer_bad_timestamp_is_none(raw: Any) -> None:
    """A broken timestamp does not cost the answer."""
    answer = parse_answer({"command_id": COMMAND_HEX, "timestamp": raw})
    assert answer.timestamp is None
    assert answer.command_id == COMMAND_HEX


# --- controller threshold alarms --------------------------------------------------------------


def test_controller_alarm_full() -> None:
    """Every readable field of a threshold alarm is kept."""
    alarm = parse_controller_alarm(
        {
            "device_id": MAC,
            "parameter": "temp",
            "value": 31.5,
            "lower": 18,
            "upper": 30,
            "pond_position": 2,
            "message": "Temperature above upper limit",
            "timestamp": "2025-12-19T11:00:00+01:00",
        }
    )
    assert alarm.parameter == "temp"
    assert alarm.value == 31.5
    assert alarm.lower == 18
    assert alarm.upper == 30
    assert alarm.pond == 2
    assert alarm.message == "Temperature above upper limit"
    assert alarm.timestamp == EXPECTED_TIME


def test_controller_alarm_empty_and_broken() -> None:
    """Missing or broken fields are None; parsing never fails."""
    assert parse_controller_alarm({}) == parse_controller_alarm(
        {
            "parameter": 5,
            "value": "31.5",
            "lower": True,
            "upper": float("nan"),
            "pond_position": "1",
            "message": None,
            "timestamp": "noon",
        }
    )
    alarm = parse_controller_alarm({})
    assert alarm.parameter is None
    assert alarm.value is None
    assert alarm.lower is None
    assert alarm.upper is None
    assert alarm.pond is None
    assert alarm.message is None
    assert alarm.timestamp is None


def test_controller_alarm_long_parameter_is_truncated() -> None:
    """A long parameter name keeps its first 50 characters."""
    assert parse_controller_alarm({"parameter": "p" * 80}).parameter == "p" * 50


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1, 1),
        (2, 2),
        (0, None),
        (3, None),
        (-1, None),
        (True, None),
        (False, None),
        ("1", None),
        ([1], None),
        (1.5, None),
        (None, None),
    ],
)
def test_controller_alarm_pond(raw: Any, expected: int | None) -> None:
    """The pond is 1 or 2; anything else (bools included) is None."""
    assert parse_controller_alarm({"pond_position": raw}).pond == expected


@pytest.mark.parametrize("raw", [1.0, 2.0])
def test_controller_alarm_pond_is_an_int(raw: float) -> None:
    """A pond that is kept is the int the dataclass promises (or dropped), never a float."""
    pond = parse_controller_alarm({"pond_position": raw}).pond
    assert pond is None or type(pond) is int


# --- water level formula (section 4) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("distance", "sensor_height", "tank_depth", "expected"),
    [
        (50, 200, 150, 100.0),  # surface exactly at the brim
        (125, 200, 150, 50.0),
        (200, 200, 150, 0.0),  # surface at the bottom
        (50, 200, 200, 75.0),
        (87.5, 100, 50, 25.0),
        (10, 200, 150, 100.0),  # above the brim: clamped
        (0, 200, 150, 100.0),
        (260, 200, 150, 0.0),  # below the bottom: clamped
        (10_000, 200, 150, 0.0),
        (20.5, 120.5, 100, 100.0),
    ],
)
def test_water_level_percent(
    distance: float, sensor_height: float, tank_depth: float, expected: float
) -> None:
    """The level is clamp((height - distance) / depth * 100, 0, 100) in %."""
    assert water_level_percent(distance, sensor_height, tank_depth) == pytest.approx(
        expected
    )


# --- property-based tests -----------------------------------------------------------------------

_SCALARS: Final = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**500), max_value=10**500)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=60)
    | st.sampled_from(["", "1", "yes", "online", COMMAND_HEX, COMMAND_HYPHENATED])
)
_JSON_VALUES: Final = st.recursive(
    _SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
_DEEP_LISTS: Final = st.integers(min_value=0, max_value=40).map(
    lambda depth: _nested(depth, container="list")
)
_TIMESTAMPS: Final = st.builds(
    lambda moment, offset, naive: (
        moment.isoformat()
        if naive
        else moment.replace(tzinfo=timezone(offset)).isoformat()
    ),
    st.datetimes(),
    st.timedeltas(
        min_value=-timedelta(hours=23, minutes=59),
        max_value=timedelta(hours=23, minutes=59),
    ).map(lambda delta: timedelta(minutes=delta // timedelta(minutes=1))),
    st.booleans(),
)
_FIELD_VALUES: Final = _JSON_VALUES | _DEEP_LISTS | _TIMESTAMPS
_KNOWN_KEYS: Final = [
    *SENSOR_TABLE,
    "timestamp",
    "seq",
    "firmware_version",
    "hardware_version",
    "device_name",
    "ip_address",
    "wifi_ssid",
    "wifi_signal_strength",
    "free_heap",
    "cpu_frequency",
    "device_type",
    "command_id",
    "success",
    "message",
    "error_code",
    "error_details",
    "execution_time_ms",
    "parameter",
    "value",
    "lower",
    "upper",
    "pond_position",
    "signal",
]
_OBJECTS: Final = st.dictionaries(
    st.sampled_from(_KNOWN_KEYS) | st.text(max_size=10), _FIELD_VALUES, max_size=8
)
_SENSOR_OBJECTS: Final = st.one_of(
    _OBJECTS,
    st.fixed_dictionaries(
        {},
        optional={
            "data": _OBJECTS | _FIELD_VALUES,
            "metadata": _OBJECTS | _FIELD_VALUES,
            "timestamp": _FIELD_VALUES,
            "seq": _FIELD_VALUES,
        },
    ),
)
_OBJECT_PARSERS: Final = [
    parse_identity,
    parse_sensors,
    parse_answer,
    parse_controller_alarm,
]
_SAFE_ID: Final = re.compile(r"[a-z0-9][a-z0-9._:-]*")


def _assert_plausible(report: Any) -> None:
    """Assert that every reading of a report is finite and inside its range."""
    assert set(report.ponds) <= {1, 2}
    readings = [*report.controller.items()] + [
        item for pond in report.ponds.values() for item in pond.items()
    ]
    for reading, value in readings:
        low, high = READING_RANGES[reading]
        assert not isinstance(value, bool)
        assert math.isfinite(value)
        assert value >= low
        assert high is None or value <= high
    for reading in report.controller:
        assert reading not in {Reading.WATER_DISTANCE, Reading.WATER_LEVEL}
    for pond in report.ponds.values():
        assert set(pond) <= {
            Reading.WATER_DISTANCE,
            Reading.WATER_LEVEL,
            Reading.FEED_LEVEL,
        }
    assert report.seq is None or (type(report.seq) is int and report.seq >= 0)
    for rejection in report.rejections:
        assert isinstance(rejection.reason, Reason)


@FUZZ
@given(payload=st.binary(max_size=300) | st.text(max_size=300))
def test_fuzz_raw_payloads(payload: bytes | str) -> None:
    """Arbitrary bytes or text: decoding and status either work or raise ProtocolError."""
    with contextlib.suppress(ProtocolError):
        assert isinstance(decode_object(payload), dict)
    with contextlib.suppress(ProtocolError):
        assert parse_status(payload) in {True, False}


@FUZZ
@given(value=_FIELD_VALUES)
def test_fuzz_json_documents(value: Any) -> None:
    """Any JSON document (NaN, huge ints, deep lists) decodes or is ProtocolError."""
    with contextlib.suppress(ProtocolError):
        obj = decode_object(json.dumps(value))
        for parse in _OBJECT_PARSERS:
            with contextlib.suppress(ProtocolError):
                parse(obj)


@FUZZ
@given(obj=_OBJECTS)
def test_fuzz_object_parsers(obj: dict[str, Any]) -> None:
    """Every object parser returns or raises ProtocolError, never anything else."""
    identity = parse_identity(obj)
    assert all(isinstance(item.reason, Reason) for item in identity.rejections)
    if identity.timestamp is not None:
        assert identity.timestamp.utcoffset() == timedelta(0)
    _assert_plausible(parse_sensors(obj))
    with contextlib.suppress(ProtocolError):
        answer = parse_answer(obj)
        assert re.fullmatch(r"[0-9a-f]{32}", answer.command_id)
        assert answer.error_code is None or len(answer.error_code) <= 50
    alarm = parse_controller_alarm(obj)
    assert alarm.pond in {None, 1, 2}


@FUZZ
@given(obj=_SENSOR_OBJECTS)
def test_fuzz_sensor_readings_are_plausible(obj: dict[str, Any]) -> None:
    """Whatever a controller sends, every returned reading is finite and in range."""
    _assert_plausible(parse_sensors(obj))


@FUZZ
@given(
    raw=st.text(max_size=80)
    | st.text(alphabet="aAfF09:-._+#/ \n", max_size=20)
    # almost valid ids: a valid one with something appended
    | st.builds(
        "{}{}".format,
        st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,70}", fullmatch=True),
        st.sampled_from(["", "\n", "\r", " ", "\x00", "/", "+", "é"]),
    )
)
def test_fuzz_device_ids(raw: str) -> None:
    """Normalised ids use a safe alphabet, fit the limit, and are idempotent."""
    device_id = normalize_device_id(raw)
    if device_id is None:
        return
    assert _SAFE_ID.fullmatch(device_id)
    assert len(device_id) <= MAX_DEVICE_ID_LENGTH
    assert normalize_device_id(device_id) == device_id
    assert normalize_device_id(raw.upper()) == device_id


@FUZZ
@given(
    mac=st.binary(min_size=6, max_size=6),
    separator=st.sampled_from([":", "-", ""]),
    upper=st.booleans(),
)
def test_fuzz_mac_spellings(mac: bytes, separator: str, upper: bool) -> None:
    """Every MAC, spelled any way, normalises to lower-case colon form."""
    spelled = separator.join(f"{byte:02x}" for byte in mac)
    if upper:
        spelled = spelled.upper()
    device_id = normalize_device_id(spelled)
    assert device_id == ":".join(f"{byte:02x}" for byte in mac)
    assert is_mac(device_id)


@FUZZ
@given(
    prefix=st.text(max_size=20),
    raw_id=st.text(max_size=20),
    kind=st.sampled_from(list(MessageKind)),
    topic=st.text(max_size=60),
)
def test_fuzz_topics(prefix: str, raw_id: str, kind: MessageKind, topic: str) -> None:
    """Topics built from any prefix and id split back; arbitrary topics never crash."""
    result = split_topic(prefix, topic)
    assert result is None or (result[0] and "/" not in result[0])
    built = split_topic(prefix, f"{prefix}/{raw_id}/{kind}")
    if raw_id and "/" not in raw_id and kind is not MessageKind.COMMANDS:
        assert built == (raw_id, kind)
    else:
        assert built is None


@FUZZ
@given(command_id=st.uuids())
def test_fuzz_command_id_spellings(command_id: uuid.UUID) -> None:
    """Any UUID, hex or hyphenated, upper or lower case, gives the same answer id."""
    spellings = [
        command_id.hex,
        str(command_id),
        command_id.hex.upper(),
        str(command_id).upper(),
    ]
    answers = {parse_answer({"command_id": raw}).command_id for raw in spellings}
    assert answers == {command_id.hex}


@FUZZ
@given(
    distance=st.floats(min_value=0, max_value=1e6),
    sensor_height=st.floats(min_value=1, max_value=1e4),
    tank_depth=st.floats(min_value=1, max_value=1e4),
)
def test_fuzz_water_level_is_clamped(
    distance: float, sensor_height: float, tank_depth: float
) -> None:
    """The water level is always within 0..100 % and falls as the distance grows."""
    level = water_level_percent(distance, sensor_height, tank_depth)
    assert 0.0 <= level <= 100.0
    assert water_level_percent(distance + 1, sensor_height, tank_depth) <= level
