"""Hostile input against the live hub, and the cap on how many controllers it adds.

Everything here goes through Home Assistant's MQTT client (with a mocked paho
underneath), so a message reaches the hub exactly as one from a broker would. Anyone
who can publish on the broker can send these; none of it may raise out of a callback,
create a device from an invalid id, stop other controllers' data, or grow memory with
what the sender invents.
"""

from collections.abc import Iterator
import json
import logging
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.setup import async_setup_component
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
    WebSocketGenerator,
)

from custom_components.future_fish import protocol
from custom_components.future_fish.const import DOMAIN
from custom_components.future_fish.models import IGNORED_SAMPLE_SIZE
from custom_components.future_fish.protocol import (
    DATA_KEYS,
    MAX_PAYLOAD_BYTES,
    MessageKind,
    normalize_device_id,
)

from .common import (
    HEARTBEAT,
    IDENTITY_FIELDS,
    STARTUP,
    diagnostics,
    make_entry,
    report,
    send,
    setup_hub,
)

# Two well-behaved controllers: the victim also receives the hostile messages, the
# witness never does. Both must keep reporting whatever else arrives.
VICTIM: Final = "EC:E3:34:1C:41:34"
WITNESS: Final = "EC:E3:34:AA:BB:CC"
# Low enough that fuzzing reaches the cap, high enough that valid invented ids get
# added (and fuzzed as known controllers) before it.
FUZZ_CAP: Final = 12
ONE_MIB: Final = 1024 * 1024


# Ids that must never become a controller: MQTT wildcards and separators, whitespace,
# control characters, look-alike unicode, and far too long.
INVALID_IDS: Final = (
    "+",
    "#",
    "a+b",
    "EC:E3:34:1C:41:34#",
    "with space",
    " EC:E3:34:1C:41:34",
    "EC:E3:34:1C:41:34 ",
    "a\tb",
    "nul\x00",
    "\u200bEC:E3:34:1C:41:34",
    "ÉC:E3:34:1C:41:34",
    "ＥＣ:E3:34:1C:41:34",  # fullwidth letters
    "EC:E3:34:1C:41:3\u0664",  # an Arabic-Indic digit four
    "控制器",
    "🐟",
    ".hidden",
    "-dash",
    "x" * 1000,
    "E" * (protocol.MAX_DEVICE_ID_LENGTH + 1),
)


def _json(value: Any) -> bytes:
    """Return JSON with NaN and Infinity literals, as Python's encoder writes them."""
    return json.dumps(value).encode()


def _nested(depth: int) -> bytes:
    return ('{"data":' * depth + "1" + "}" * depth).encode()


# Payloads that must be refused as a whole or field by field.
HOSTILE_PAYLOADS: Final = {
    "random-bytes": bytes(range(256)),
    "invalid-utf8": b'{"data": {"temperature": 21\xff}}',
    "overlong-utf8": b'{"device_name": "\xc0\xaf"}',
    "lone-surrogate": b'{"device_name": "\xed\xa0\x80"}',
    "one-mib-object": _json({"pad": "x" * ONE_MIB, "data": {"temperature": 21}}),
    "one-mib-garbage": b"{" * ONE_MIB,
    "just-over-limit": _json(
        {"pad": "x" * MAX_PAYLOAD_BYTES, "data": {"temperature": 21}}
    ),
    # As deep as fits in the size limit.
    "deep-objects": _nested(1600),
    "deep-arrays": b"[" * 8000 + b"]" * 8000,
    "deep-unclosed": b"[" * MAX_PAYLOAD_BYTES,
    "nan": b'{"data": {"temperature": NaN, "ph": Infinity, "ammonia": -Infinity}}',
    "overflow": b'{"data": {"temperature": 1e400, "ph": -1e400}}',
    "huge-int": b'{"data": {"turbidity": 1' + b"0" * 5000 + b"}}",
    "wrong-types": _json(
        {
            "data": {"temperature": "21", "ph": True, "feed1": [50], "water1": {}},
            "metadata": "signal",
            "timestamp": 12,
            "firmware_version": 1,
            "wifi_signal_strength": "-50",
            "free_heap": -1,
            "ip_address": "999.1.1.1",
            "command_id": ["x"],
            "success": {"yes": True},
        }
    ),
    "not-an-object": b'["data", {"temperature": 21}]',
    "empty": b"",
    "status-lookalike": "onlıne".encode(),  # dotless i
}


# --- the hub under test ------------------------------------------------------------------


def _entity_id(hass: HomeAssistant, device: str, key: str) -> str:
    """Return the entity id of a controller sensor, found by its unique id."""
    unique_id = f"{normalize_device_id(device)}_{key}"
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, unique_id)
    assert entity_id is not None, unique_id
    return entity_id


class Witnesses:
    """The two good controllers, and checks that their data still flows."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: MockConfigEntry,
        hass_client: ClientSessionGenerator,
    ) -> None:
        """Find the entities the checks read."""
        self.hass = hass
        self.entry = entry
        self.hass_client = hass_client
        self.victim_ph = _entity_id(hass, VICTIM, "ph")
        self.witness_temperature = _entity_id(hass, WITNESS, "temperature")
        self._round = 0

    async def diagnostics(self) -> dict[str, Any]:
        """Return the hub's diagnostics as a user downloads them."""
        return await diagnostics(self.hass, self.hass_client)

    async def assert_data_flows(self) -> None:
        """Send each controller a fresh reading; both must show it at once."""
        self._round += 1
        ph = self._round % 140 / 10
        temperature = self._round % 500 / 10
        send(self.hass, "sensors", {"data": {"ph": ph}}, VICTIM)
        send(self.hass, "sensors", {"data": {"temperature": temperature}}, WITNESS)
        await self.hass.async_block_till_done()
        assert float(self.hass.states.get(self.victim_ph).state) == ph
        assert float(self.hass.states.get(self.witness_temperature).state) == (
            temperature
        )


@pytest.fixture
async def witnesses(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_client: ClientSessionGenerator,
) -> Witnesses:
    """Return a hub (capped at FUZZ_CAP) with two controllers that report."""
    entry = await setup_hub(hass, make_entry(max_controllers=FUZZ_CAP))
    await report(hass, VICTIM)
    await report(hass, WITNESS)
    return Witnesses(hass, entry, hass_client)


async def deliver(hass: HomeAssistant, topic: str, payload: bytes) -> None:
    """Publish as the broker would and let every consequence happen."""
    async_fire_mqtt_message(hass, topic, payload)
    await hass.async_block_till_done()


# What a drop may be counted under: message kinds and the protocol's field names,
# never anything a sender makes up.
_FIELD_NAMES: Final = frozenset(
    {
        "device_id",
        "data",
        "metadata",
        "timestamp",
        "seq",
        "metadata.signal",
        "metadata.firmware_version",
        "metadata.hardware_version",
        *MessageKind,
        *IDENTITY_FIELDS,
        *DATA_KEYS,
        *(f"data.{key}" for key in DATA_KEYS),
    }
)


def _assert_bounded(stats: dict[str, Any]) -> None:
    assert set(stats["messages"]) <= set(MessageKind)
    assert set(stats["last_message"]) <= set(MessageKind)
    assert {key.partition(": ")[0] for key in stats["dropped"]} <= _FIELD_NAMES


def controller_ids(downloaded: dict[str, Any]) -> set[str]:
    """Return the ids of the controllers the diagnostics show."""
    return {controller["device_id"] for controller in downloaded["controllers"]}


async def assert_nothing_invented(witnesses: Witnesses) -> None:
    """Only valid ids became controllers, devices and entities; memory is bounded."""
    hass, entry = witnesses.hass, witnesses.entry
    downloaded = await witnesses.diagnostics()
    controllers = controller_ids(downloaded)
    assert len(controllers) <= FUZZ_CAP
    assert downloaded["hub"]["controllers_known"] == len(controllers)
    for controller in downloaded["controllers"]:
        device_id = controller["device_id"]
        assert normalize_device_id(device_id) == device_id
        assert normalize_device_id(controller["topic_id"]) == device_id
        _assert_bounded(controller["stats"])
    _assert_bounded(downloaded["hub"]["unattributed"])
    sample = downloaded["hub"]["ignored_controllers"]["sample"]
    assert len(sample) <= IGNORED_SAMPLE_SIZE
    # Every device and entity belongs to one of those controllers.
    for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id):
        ((domain, key),) = device.identifiers
        assert domain == DOMAIN
        assert any(
            key == controller_id or key.startswith(f"{controller_id}_pond")
            for controller_id in controllers
        ), key
    for entity in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id):
        assert any(
            entity.unique_id.startswith(f"{controller_id}_")
            for controller_id in controllers
        ), entity.unique_id


async def dropped(witnesses: Witnesses, device: str) -> dict[str, int]:
    """Return what the diagnostics say was dropped of a controller's messages."""
    for controller in (await witnesses.diagnostics())["controllers"]:
        if controller["device_id"] == normalize_device_id(device):
            counts: dict[str, int] = controller["stats"]["dropped"]
            return counts
    raise AssertionError(f"no controller {device}")


def assert_no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    """Nothing escaped a callback: Home Assistant logs those as errors."""
    errors = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR]
    assert errors == []


# --- named hostile input -------------------------------------------------------------------


@pytest.mark.parametrize("raw_id", INVALID_IDS)
async def test_invalid_ids_create_nothing(
    hass: HomeAssistant,
    witnesses: Witnesses,
    caplog: pytest.LogCaptureFixture,
    raw_id: str,
) -> None:
    """Messages under an invalid id are counted and create no controller."""
    for kind in ("startup", "heartbeat", "sensors", "status"):
        payload = "online" if kind == "status" else json.dumps(HEARTBEAT)
        await deliver(hass, f"ff/{raw_id}/{kind}", payload.encode())

    downloaded = await witnesses.diagnostics()
    assert controller_ids(downloaded) == {
        normalize_device_id(VICTIM),
        normalize_device_id(WITNESS),
    }
    assert downloaded["hub"]["unattributed"]["dropped"] == {
        "device_id: bad_device_id": 4
    }
    assert len(dr.async_get(hass).devices) == 6  # two controllers, two ponds each
    await assert_nothing_invented(witnesses)
    await witnesses.assert_data_flows()
    assert_no_errors_logged(caplog)


async def test_ids_with_separators_never_reach_the_hub(
    hass: HomeAssistant, witnesses: Witnesses
) -> None:
    """An id with `/` makes a topic the hub's wildcards do not match."""
    before = await witnesses.diagnostics()
    await deliver(hass, f"ff/{VICTIM}/x/heartbeat", json.dumps(HEARTBEAT).encode())
    await deliver(hass, "ff//heartbeat", json.dumps(HEARTBEAT).encode())
    after = await witnesses.diagnostics()
    assert after["hub"]["unattributed"] == before["hub"]["unattributed"]
    assert len(controller_ids(after)) == 2


@pytest.mark.parametrize("name", list(HOSTILE_PAYLOADS))
async def test_hostile_payloads_change_nothing(
    hass: HomeAssistant,
    witnesses: Witnesses,
    caplog: pytest.LogCaptureFixture,
    name: str,
) -> None:
    """A hostile payload, of any kind, to a known controller, changes no reading."""
    victim_temperature = _entity_id(hass, VICTIM, "temperature")
    before = hass.states.get(victim_temperature).state

    for kind in ("startup", "heartbeat", "sensors", "ack", "complete", "status"):
        await deliver(hass, f"ff/{VICTIM}/{kind}", HOSTILE_PAYLOADS[name])

        # No reading of a refused payload was applied (they carry 21 °C or worse).
        assert hass.states.get(victim_temperature).state == before
        await assert_nothing_invented(witnesses)
        await witnesses.assert_data_flows()
    assert_no_errors_logged(caplog)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("one-mib-object", "heartbeat: too_large"),
        ("one-mib-garbage", "heartbeat: too_large"),
        ("just-over-limit", "heartbeat: too_large"),
        ("invalid-utf8", "heartbeat: not_utf8"),
        ("deep-objects", "heartbeat: bad_json"),
        ("deep-arrays", "heartbeat: not_object"),
        ("huge-int", "heartbeat: bad_json"),
        ("not-an-object", "heartbeat: not_object"),
    ],
)
async def test_refused_payloads_are_counted_by_reason(
    hass: HomeAssistant, witnesses: Witnesses, name: str, reason: str
) -> None:
    """Diagnostics say why a whole message was refused."""
    await deliver(hass, f"ff/{VICTIM}/heartbeat", HOSTILE_PAYLOADS[name])
    assert (await dropped(witnesses, VICTIM)) == {reason: 1}


async def test_non_finite_numbers_are_dropped_field_by_field(
    hass: HomeAssistant, witnesses: Witnesses
) -> None:
    """NaN, Infinity and overflowing numbers are no readings; the rest still counts."""
    await deliver(hass, f"ff/{VICTIM}/sensors", HOSTILE_PAYLOADS["nan"])
    await deliver(hass, f"ff/{VICTIM}/sensors", HOSTILE_PAYLOADS["overflow"])
    assert (await dropped(witnesses, VICTIM)) == {
        "data.temperature: not_finite": 2,
        "data.ph: not_finite": 2,
        "data.ammonia: not_finite": 1,
    }
    assert hass.states.get(_entity_id(hass, VICTIM, "temperature")).state == "26.4"


# --- property-based: anything at all, to any id --------------------------------------------

_SCALARS: Final = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=60)
)
_JSON: Final = st.recursive(
    _SCALARS,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
# Every name a controller message can carry, so that values land on real fields.
_KEYS: Final = st.sampled_from(
    sorted(
        {
            *IDENTITY_FIELDS,
            *DATA_KEYS,
            "device_id",
            "data",
            "metadata",
            "signal",
            "command_id",
            "success",
            "message",
            "error_code",
            "error_details",
            "execution_time_ms",
        }
    )
) | st.text(max_size=10)
_OBJECTS: Final = st.dictionaries(_KEYS, _JSON, max_size=6) | st.fixed_dictionaries(
    {},
    optional={
        "data": st.dictionaries(st.sampled_from(sorted(DATA_KEYS)), _JSON, max_size=5)
        | _JSON,
        "metadata": st.dictionaries(
            st.sampled_from(["signal", "firmware_version", "hardware_version"]), _JSON
        )
        | _JSON,
        "timestamp": _JSON | st.datetimes().map(lambda moment: moment.isoformat()),
        # Well-formed answers to commands nobody sent.
        "command_id": st.uuids().map(str) | _JSON,
        "success": _JSON,
    },
)
_PAYLOADS: Final = (
    _OBJECTS.map(_json)
    | _JSON.map(_json)
    | st.binary(max_size=300)
    | st.binary(max_size=100).map(lambda data: b'{"data": "' + data + b'\xff"}')
    | st.sampled_from(sorted(HOSTILE_PAYLOADS.values()))
    | st.sampled_from(["online", "OFFLINE", '"online"', " Online\n", "offline!"]).map(
        str.encode
    )
)
# Valid ids too: they are added (up to the cap) and then receive hostile payloads as
# known controllers.
_IDS: Final = (
    st.sampled_from(INVALID_IDS)
    | st.sampled_from([VICTIM, VICTIM.lower(), VICTIM.replace(":", "-")])
    | st.text(min_size=1, max_size=70)
    | st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,20}", fullmatch=True)
)
_KINDS: Final = st.sampled_from([*protocol.INBOUND_KINDS, "commands", "other"])


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    derandomize=True,
    # One hub for every example, on purpose: the stream of messages is the test.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(raw_id=_IDS, kind=_KINDS, payload=_PAYLOADS)
async def test_live_hub_survives_anything(
    hass: HomeAssistant,
    witnesses: Witnesses,
    caplog: pytest.LogCaptureFixture,
    raw_id: str,
    kind: str,
    payload: bytes,
) -> None:
    """Whatever arrives under whichever id, the hub stays sound and data flows."""
    await deliver(hass, f"ff/{raw_id}/{kind}", payload)

    await assert_nothing_invented(witnesses)
    await witnesses.assert_data_flows()
    assert_no_errors_logged(caplog)


# --- the cap on controllers (topic spam) -----------------------------------------------------


def _macs(count: int, start: int = 0) -> Iterator[str]:
    """Return `count` distinct MACs in the deployed spelling."""
    for number in range(start, start + count):
        yield ":".join(f"{byte:02X}" for byte in (0x02, 0, *number.to_bytes(4)))


def _cap_issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(
        DOMAIN, f"too_many_controllers_{entry.entry_id}"
    )


async def test_cap_ignores_new_controllers_and_says_so(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_client: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Beyond the cap, new ids are counted only; a repair issue tells how to fix it."""
    entry = await setup_hub(hass, make_entry(max_controllers=2))
    first, second, third, fourth = _macs(4)
    for mac in (first, second, third, fourth, third):
        await report(hass, mac)

    downloaded = await diagnostics(hass, hass_client)
    assert controller_ids(downloaded) == {first.lower(), second.lower()}
    assert {
        key.partition("_pond")[0]
        for device in dr.async_entries_for_config_entry(
            dr.async_get(hass), entry.entry_id
        )
        for _, key in device.identifiers
    } == controller_ids(downloaded)
    # Three messages (startup and two sensors) per report of an ignored controller.
    assert downloaded["hub"]["ignored_controllers"] == {
        "messages": 9,
        "sample": {third.lower(): 6, fourth.lower(): 3},
    }

    issue = _cap_issue(hass, entry)
    assert issue is not None
    assert issue.translation_key == "too_many_controllers"
    assert issue.translation_placeholders == {"prefix": "ff", "maximum": "2"}
    assert issue.severity is ir.IssueSeverity.WARNING
    warnings = [r for r in caplog.records if "maximum of 2 controllers" in r.message]
    assert len(warnings) == 1

    # The controllers it has keep reporting.
    send(hass, "sensors", {"data": {"ph": 6.5}}, second)
    await hass.async_block_till_done()
    assert hass.states.get(_entity_id(hass, second, "ph")).state == "6.5"


async def test_ignored_ids_use_bounded_memory(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_client: ClientSessionGenerator,
) -> None:
    """A thousand invented ids are counted, and only a small sample of them kept."""
    await setup_hub(hass, make_entry(max_controllers=1))
    for mac in _macs(1001):
        send(hass, "heartbeat", HEARTBEAT, mac)
    await hass.async_block_till_done()

    downloaded = await diagnostics(hass, hass_client)
    assert len(controller_ids(downloaded)) == 1
    ignored = downloaded["hub"]["ignored_controllers"]
    assert ignored["messages"] == 1000
    assert len(ignored["sample"]) == IGNORED_SAMPLE_SIZE
    assert sum(ignored["sample"].values()) == IGNORED_SAMPLE_SIZE


async def test_cap_issue_clears_when_a_controller_is_deleted(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_ws_client: WebSocketGenerator,
    hass_client: ClientSessionGenerator,
) -> None:
    """Deleting a controller that is gone makes room; the repair issue goes away."""
    # All before the first client starts the server, which then takes no new views.
    for component in ("diagnostics", "websocket_api", "config"):
        assert await async_setup_component(hass, component, {})
    entry = await setup_hub(hass, make_entry(max_controllers=1))
    old, new = _macs(2)
    await report(hass, old)
    await report(hass, new)
    assert _cap_issue(hass, entry) is not None

    send(hass, "status", "offline", old)
    await hass.async_block_till_done()
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, old.lower()), entry.entry_id
    )
    assert device is not None
    client = await hass_ws_client(hass)
    assert (await client.remove_device(device.id))["success"]

    assert _cap_issue(hass, entry) is None
    await report(hass, new)
    assert controller_ids(await diagnostics(hass, hass_client)) == {new.lower()}


async def test_raising_the_cap_lets_controllers_in(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_client: ClientSessionGenerator,
) -> None:
    """New options reload the hub: the issue goes, and the next message adds them."""
    entry = await setup_hub(hass, make_entry(max_controllers=1))
    first, second = _macs(2)
    await report(hass, first)
    await report(hass, second)
    assert _cap_issue(hass, entry) is not None

    hass.config_entries.async_update_entry(
        entry, options={**entry.options, "max_controllers": 10}
    )
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert _cap_issue(hass, entry) is None

    await report(hass, second)
    assert controller_ids(await diagnostics(hass, hass_client)) == {
        first.lower(),
        second.lower(),
    }
    assert _cap_issue(hass, entry) is None


async def test_lowered_cap_keeps_known_controllers(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_ws_client: WebSocketGenerator,
    hass_client: ClientSessionGenerator,
) -> None:
    """Controllers already known stay when the cap is lowered below their number."""
    # All before the first client starts the server, which then takes no new views.
    for component in ("diagnostics", "websocket_api", "config"):
        assert await async_setup_component(hass, component, {})
    entry = await setup_hub(hass)
    macs = list(_macs(4))
    for mac in macs[:3]:
        await report(hass, mac)
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, "max_controllers": 1}
    )
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert len(controller_ids(await diagnostics(hass, hass_client))) == 3

    await report(hass, macs[3])
    assert len(controller_ids(await diagnostics(hass, hass_client))) == 3
    assert _cap_issue(hass, entry) is not None

    # One fewer is still above the cap: the issue stays. (Only an offline controller
    # can be deleted; the reload brought them back online.)
    send(hass, "status", "offline", macs[0])
    await hass.async_block_till_done()
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, macs[0].lower()), entry.entry_id
    )
    assert device is not None
    client = await hass_ws_client(hass)
    assert (await client.remove_device(device.id))["success"]
    assert len(controller_ids(await diagnostics(hass, hass_client))) == 2
    assert _cap_issue(hass, entry) is not None


async def test_no_cap_issue_when_adding_is_off(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_client: ClientSessionGenerator,
) -> None:
    """With automatic adding off, ignoring new ids is what the user chose."""
    entry = await setup_hub(
        hass, make_entry(add_new_controllers=False, max_controllers=1)
    )
    send(hass, "startup", STARTUP)
    send(hass, "startup", STARTUP, WITNESS)
    await hass.async_block_till_done()
    downloaded = await diagnostics(hass, hass_client)
    assert downloaded["controllers"] == []
    assert downloaded["hub"]["ignored_controllers"]["messages"] == 2
    assert _cap_issue(hass, entry) is None
