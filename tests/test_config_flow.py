"""Tests for the Future Fish config, options and reconfigure flows."""

from datetime import timedelta
import json
from pathlib import Path
import time
from typing import Any
from unittest.mock import AsyncMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import (
    SOURCE_IGNORE,
    SOURCE_MQTT,
    SOURCE_USER,
    ConfigEntryDisabler,
    ConfigEntryState,
    ConfigFlowResult,
)
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData, section
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.future_fish.alarms import (
    QUANTITIES,
    AlarmSettings,
    margin_option,
)
from custom_components.future_fish.ammonia import DEFAULT_AMMONIA_READING
from custom_components.future_fish.commands import (
    COMPLETION_TIMEOUT_OPTIONS,
    TrackerSettings,
)
from custom_components.future_fish.config_flow import (
    DISCOVERY_TOPICS,
    MAX_ACK_TIMEOUT,
    MAX_COMPLETION_TIMEOUT,
    MAX_PREFIX_LENGTH,
    MIN_ACK_TIMEOUT,
    MIN_COMPLETION_TIMEOUT,
    SECTION_ALARMS,
    SECTION_COMMANDS,
    SECTION_FIRMWARE,
    SECTION_HYSTERESIS,
    FutureFishConfigFlow,
    normalize_prefix,
)
from custom_components.future_fish.const import (
    CONF_ACK_TIMEOUT,
    CONF_ADD_NEW_CONTROLLERS,
    CONF_ALARM_READINGS,
    CONF_ALARM_SECONDS,
    CONF_ALLOW_HTTP_FIRMWARE,
    CONF_AMMONIA_READING,
    CONF_FIRMWARE_MANIFEST_URL,
    CONF_HEARTBEAT_TIMEOUT,
    CONF_MAX_CONTROLLERS,
    CONF_PREFIX,
    CONF_PUSH_LIMITS,
    CONF_RETRIES,
    DEFAULT_ACK_TIMEOUT,
    DEFAULT_ADD_NEW_CONTROLLERS,
    DEFAULT_ALARM_READINGS,
    DEFAULT_ALARM_SECONDS,
    DEFAULT_ALLOW_HTTP_FIRMWARE,
    DEFAULT_HEARTBEAT_TIMEOUT,
    DEFAULT_MAX_CONTROLLERS,
    DEFAULT_PREFIX,
    DEFAULT_PUSH_LIMITS,
    DEFAULT_RETRIES,
    DOMAIN,
    MAX_HEARTBEAT_TIMEOUT,
    MAX_MAX_CONTROLLERS,
    MIN_HEARTBEAT_TIMEOUT,
    MIN_MAX_CONTROLLERS,
)
from custom_components.future_fish.protocol import CommandType, firmware_url_error

MAC = "EC:E3:34:1C:41:34"
INTEGRATION = Path(__file__).parent.parent / "custom_components" / DOMAIN

# The options every hub gets when the command and firmware sections are left alone:
# the tracker's defaults, and no firmware manifest.
DEFAULT_COMMAND_OPTIONS: dict[str, Any] = {
    CONF_ACK_TIMEOUT: DEFAULT_ACK_TIMEOUT,
    CONF_RETRIES: DEFAULT_RETRIES,
    **{key: default for key, (default, _) in COMPLETION_TIMEOUT_OPTIONS.items()},
    CONF_ALLOW_HTTP_FIRMWARE: DEFAULT_ALLOW_HTTP_FIRMWARE,
}
# The same for the alarm and hysteresis sections: the alarms' defaults.
DEFAULT_ALARM_OPTIONS: dict[str, Any] = {
    CONF_ALARM_READINGS: DEFAULT_ALARM_READINGS,
    CONF_ALARM_SECONDS: DEFAULT_ALARM_SECONDS,
    CONF_PUSH_LIMITS: DEFAULT_PUSH_LIMITS,
    CONF_AMMONIA_READING: DEFAULT_AMMONIA_READING,
}
DEFAULT_HYSTERESIS_OPTIONS: dict[str, Any] = {
    margin_option(reading): quantity.margin for reading, quantity in QUANTITIES.items()
}

INVALID_PREFIXES = [
    pytest.param("", id="empty"),
    pytest.param("   ", id="only-whitespace"),
    pytest.param("/ff", id="leading-slash"),
    pytest.param("ff/", id="trailing-slash"),
    pytest.param("/", id="only-slash"),
    pytest.param("a//b", id="empty-level"),
    pytest.param("f+f", id="single-level-wildcard"),
    pytest.param("ff/#", id="multi-level-wildcard"),
    pytest.param("pond ff", id="space"),
    pytest.param("pond\tff", id="tab"),
    pytest.param("pond\u00a0ff", id="no-break-space"),
    pytest.param("ff\x00", id="nul"),
    pytest.param("x" * (MAX_PREFIX_LENGTH + 1), id="too-long"),
]


def _mqtt_info(
    topic: str = f"ff/{MAC}/startup", subscribed_topic: str = "ff/+/startup"
) -> MqttServiceInfo:
    """Return a discovery message as the MQTT integration hands it over."""
    return MqttServiceInfo(
        topic=topic,
        payload=json.dumps({"device_id": MAC}),
        qos=1,
        retain=False,
        subscribed_topic=subscribed_topic,
        # MQTT stamps what it receives with the monotonic clock.
        timestamp=time.monotonic(),
    )


def _hub_entry(prefix: str = DEFAULT_PREFIX, **kwargs: Any) -> MockConfigEntry:
    """Return a config entry as the config flow creates it."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Future Fish ({prefix})",
        unique_id=prefix,
        data={CONF_PREFIX: prefix},
        options={
            CONF_HEARTBEAT_TIMEOUT: DEFAULT_HEARTBEAT_TIMEOUT,
            CONF_ADD_NEW_CONTROLLERS: DEFAULT_ADD_NEW_CONTROLLERS,
        },
        **kwargs,
    )


def _field(result: ConfigFlowResult, key: str) -> Any:
    """Return the marker of a field of a shown form; `section/key` for sections."""
    schema = result["data_schema"]
    assert schema is not None
    *sections, name = key.split("/")
    for section_name in sections:
        schema = schema.schema[section_name].schema
    for marker in schema.schema:
        if marker == name:
            return marker
    raise KeyError(key)


def _suggested(result: ConfigFlowResult, key: str) -> Any:
    """Return the value a shown form prefills for a field (`section/key` in one)."""
    return (_field(result, key).description or {}).get("suggested_value")


def _section(result: ConfigFlowResult, name: str) -> section:
    """Return a section of a shown form."""
    schema = result["data_schema"]
    assert schema is not None
    value = schema.schema[name]
    assert isinstance(value, section)
    return value


async def _start_user_flow(hass: HomeAssistant) -> ConfigFlowResult:
    return await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )


async def _start_discovery(
    hass: HomeAssistant, info: MqttServiceInfo | None = None
) -> ConfigFlowResult:
    return await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_MQTT}, data=info or _mqtt_info()
    )


# --- prefix validation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ff", "ff"),
        ("  ff\t", "ff"),
        ("site/pond-1/ff", "site/pond-1/ff"),
        ("Teich_Ü", "Teich_Ü"),
        ("$pond", "$pond"),
        ("x" * MAX_PREFIX_LENGTH, "x" * MAX_PREFIX_LENGTH),
    ],
)
def test_normalize_prefix_accepts(raw: str, expected: str) -> None:
    """Valid prefixes come back without surrounding whitespace."""
    assert normalize_prefix(raw) == expected


@pytest.mark.parametrize("raw", INVALID_PREFIXES)
def test_normalize_prefix_refuses(raw: str) -> None:
    """Prefixes that cannot head a controller topic are refused."""
    assert normalize_prefix(raw) is None


# --- user step -------------------------------------------------------------------------


async def test_user_creates_entry(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, mock_setup_entry: AsyncMock
) -> None:
    """The user step creates an entry with the prefix in data, the rest in options."""
    result = await _start_user_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}
    assert result["data_schema"] is not None
    assert result["data_schema"]({}) == {
        CONF_PREFIX: DEFAULT_PREFIX,
        CONF_HEARTBEAT_TIMEOUT: DEFAULT_HEARTBEAT_TIMEOUT,
    }

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_PREFIX: "  site/ff ", CONF_HEARTBEAT_TIMEOUT: 90.0},
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Future Fish (site/ff)"
    assert result["data"] == {CONF_PREFIX: "site/ff"}
    assert result["options"] == {
        CONF_HEARTBEAT_TIMEOUT: 90,
        CONF_ADD_NEW_CONTROLLERS: DEFAULT_ADD_NEW_CONTROLLERS,
    }
    assert type(result["options"][CONF_HEARTBEAT_TIMEOUT]) is int
    entry = result["result"]
    assert entry.unique_id == "site/ff"
    assert entry.version == 1
    assert entry.minor_version == 1
    assert len(mock_setup_entry.mock_calls) == 1


@pytest.mark.parametrize("raw", INVALID_PREFIXES)
async def test_user_invalid_prefix_then_valid(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    mock_setup_entry: AsyncMock,
    raw: str,
) -> None:
    """An invalid prefix is reported on its field, kept in the form, and fixable."""
    result = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PREFIX: raw, CONF_HEARTBEAT_TIMEOUT: 120}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {CONF_PREFIX: "invalid_prefix"}
    assert _suggested(result, CONF_PREFIX) == raw
    assert _suggested(result, CONF_HEARTBEAT_TIMEOUT) == 120

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PREFIX: "ff", CONF_HEARTBEAT_TIMEOUT: 120}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_PREFIX: "ff"}
    assert result["options"][CONF_HEARTBEAT_TIMEOUT] == 120


@pytest.mark.parametrize(
    "heartbeat_timeout", [MIN_HEARTBEAT_TIMEOUT - 1, MAX_HEARTBEAT_TIMEOUT + 1]
)
async def test_user_heartbeat_timeout_out_of_range(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, heartbeat_timeout: int
) -> None:
    """The form refuses heartbeat timeouts outside the allowed range."""
    result = await _start_user_flow(hass)
    with pytest.raises(InvalidData):
        await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_PREFIX: "ff", CONF_HEARTBEAT_TIMEOUT: heartbeat_timeout},
        )


async def test_user_already_configured(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A prefix that already has an entry is refused (after normalisation)."""
    _hub_entry("ff").add_to_hass(hass)

    result = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PREFIX: " ff ", CONF_HEARTBEAT_TIMEOUT: 60}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_user_without_mqtt(hass: HomeAssistant) -> None:
    """Without any MQTT config entry the flow stops before asking anything."""
    result = await _start_user_flow(hass)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "mqtt_not_configured"


async def test_user_with_disabled_mqtt(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A disabled MQTT entry does not count."""
    (mqtt_entry,) = hass.config_entries.async_entries("mqtt")
    assert await hass.config_entries.async_set_disabled_by(
        mqtt_entry.entry_id, ConfigEntryDisabler.USER
    )

    result = await _start_user_flow(hass)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "mqtt_not_configured"


async def test_user_with_unloaded_mqtt(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """An MQTT entry that is not loaded does not count."""
    (mqtt_entry,) = hass.config_entries.async_entries("mqtt")
    assert await hass.config_entries.async_unload(mqtt_entry.entry_id)

    result = await _start_user_flow(hass)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "mqtt_not_configured"


def _add_mqtt_entry_in_state(hass: HomeAssistant, state: ConfigEntryState) -> None:
    """Add an MQTT entry that keeps the given state."""
    # With the MQTT component marked as set up, loading Future Fish (which depends
    # on it) leaves the entry alone.
    hass.config.components.add("mqtt")
    MockConfigEntry(domain="mqtt", state=state).add_to_hass(hass)


@pytest.mark.parametrize(
    "mqtt_state", [ConfigEntryState.SETUP_ERROR, ConfigEntryState.SETUP_RETRY]
)
async def test_user_with_failed_mqtt(
    hass: HomeAssistant, mqtt_state: ConfigEntryState
) -> None:
    """An MQTT entry whose set-up failed does not count."""
    _add_mqtt_entry_in_state(hass, mqtt_state)

    result = await _start_user_flow(hass)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "mqtt_not_configured"


async def test_user_with_mqtt_being_set_up(hass: HomeAssistant) -> None:
    """An MQTT entry that is still being set up is good enough to go on."""
    _add_mqtt_entry_in_state(hass, ConfigEntryState.SETUP_IN_PROGRESS)

    result = await _start_user_flow(hass)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"


async def test_user_closes_open_discovery_offer(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, mock_setup_entry: AsyncMock
) -> None:
    """Adding a discovered prefix by hand succeeds and withdraws the offer."""
    offer = await _start_discovery(hass)
    assert offer["type"] is FlowResultType.FORM

    result = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PREFIX: "ff", CONF_HEARTBEAT_TIMEOUT: 60}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []


# --- MQTT discovery --------------------------------------------------------------------


def test_discovery_topics_match_manifest() -> None:
    """The flow accepts exactly the topics the manifest subscribes to."""
    manifest = json.loads(
        (
            Path(__file__).parent.parent
            / "custom_components"
            / DOMAIN
            / "manifest.json"
        ).read_text(encoding="utf-8")
    )
    assert set(manifest["mqtt"]) == DISCOVERY_TOPICS


async def test_discovery_confirm_creates_entry(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    mock_setup_entry: AsyncMock,
) -> None:
    """A controller's startup offers its prefix; confirming creates a default entry."""
    result = await _start_discovery(hass)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "mqtt_confirm"
    assert result["description_placeholders"] == {"prefix": "ff"}
    (progress,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert progress["context"]["title_placeholders"] == {"prefix": "ff"}
    assert progress["context"]["unique_id"] == "ff"
    assert progress["context"]["confirm_only"] is True

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Future Fish (ff)"
    assert result["data"] == {CONF_PREFIX: "ff"}
    assert result["options"] == {
        CONF_HEARTBEAT_TIMEOUT: DEFAULT_HEARTBEAT_TIMEOUT,
        CONF_ADD_NEW_CONTROLLERS: DEFAULT_ADD_NEW_CONTROLLERS,
    }
    assert result["result"].unique_id == "ff"
    assert len(mock_setup_entry.mock_calls) == 1


async def test_confirmed_discovery_shows_its_controller(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    device_registry: dr.DeviceRegistry,
) -> None:
    """The startup that offered the hub is handled by it: no wait for the next one.

    It counts as heard when it arrived, so the controller goes offline a heartbeat
    timeout after that unless it speaks again.
    """
    info = MqttServiceInfo(
        topic=f"ff/{MAC}/startup",
        payload=json.dumps({"device_id": MAC, "firmware_version": "1.4.2"}),
        qos=1,
        retain=False,
        subscribed_topic="ff/+/startup",
        timestamp=time.monotonic(),
    )
    result = await _start_discovery(hass, info)
    freezer.tick(timedelta(seconds=20))
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()

    entry = result["result"]
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, MAC.lower()), entry.entry_id
    )
    assert device is not None
    assert device.sw_version == "1.4.2"
    connectivity = "binary_sensor.pond_controller_4134_connectivity"
    assert hass.states.get(connectivity).state == STATE_ON

    freezer.tick(timedelta(seconds=DEFAULT_HEARTBEAT_TIMEOUT - 20))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get(connectivity).state == STATE_OFF


async def test_discovery_already_configured(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A message under a configured prefix offers nothing."""
    _hub_entry("ff").add_to_hass(hass)

    result = await _start_discovery(hass)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_discovery_while_offer_open(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A second message for the same prefix does not open a second offer."""
    first = await _start_discovery(hass)
    second = await _start_discovery(
        hass, _mqtt_info("ff/other-controller/startup", "ff/+/startup")
    )

    assert first["type"] is FlowResultType.FORM
    assert second["type"] is FlowResultType.ABORT
    assert second["reason"] == "already_in_progress"
    assert len(hass.config_entries.flow.async_progress_by_handler(DOMAIN)) == 1


async def test_discovery_leaves_configured_entry_alone(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Controller messages under a configured prefix do not touch its entry.

    Each message starts a discovery flow; one that aborted with a unique ID would
    make Home Assistant record the message's topic in the entry's discovery_keys,
    rewriting the entry (and its storage) for every boot of every controller.
    """
    entry = _hub_entry("ff")
    entry.add_to_hass(hass)
    options, modified_at = dict(entry.options), entry.modified_at
    original_step = FutureFishConfigFlow.async_step_mqtt

    with patch.object(
        FutureFishConfigFlow,
        "async_step_mqtt",
        autospec=True,
        side_effect=original_step,
    ) as step_mqtt:
        for count in range(12):
            for kind in ("startup", "heartbeat", "sensors"):
                async_fire_mqtt_message(
                    hass, f"ff/controller-{count}/{kind}", json.dumps({"n": count})
                )
            await hass.async_block_till_done()

    # Every startup was offered to the flow, and each one ended quietly.
    assert step_mqtt.await_count == 12
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []
    assert entry.discovery_keys == {}
    assert entry.options == options
    assert entry.modified_at == modified_at


async def test_discovery_of_configured_prefix_has_no_unique_id(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """The abort happens before the flow claims the prefix as its unique ID."""
    _hub_entry("ff").add_to_hass(hass)

    with patch.object(
        FutureFishConfigFlow, "async_set_unique_id", autospec=True
    ) as set_unique_id:
        result = await _start_discovery(hass)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    set_unique_id.assert_not_called()


async def test_ignored_prefix_is_not_offered_again(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """An ignored prefix is not offered again, and its entry is left alone."""
    offer = await _start_discovery(hass)
    assert offer["type"] is FlowResultType.FORM
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_IGNORE},
        data={"unique_id": "ff", "title": "Future Fish (ff)"},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (ignored,) = hass.config_entries.async_entries(DOMAIN)
    assert ignored.source == SOURCE_IGNORE
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []
    discovery_keys, modified_at = ignored.discovery_keys, ignored.modified_at

    for count in range(12):
        async_fire_mqtt_message(
            hass, f"ff/controller-{count}/startup", json.dumps({"n": count})
        )
        await hass.async_block_till_done()

    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []
    assert ignored.discovery_keys == discovery_keys
    assert ignored.modified_at == modified_at
    result = await _start_discovery(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_discovery_of_other_prefix_still_offered(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """An entry for another prefix does not hide controllers under `ff`."""
    _hub_entry("site/ff").add_to_hass(hass)

    result = await _start_discovery(hass)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "mqtt_confirm"


async def test_only_startups_are_offered(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Heartbeats and sensors start no flow; startups open exactly one offer.

    Home Assistant's MQTT integration starts a config flow for every discovery
    message whose payload changed, which heartbeats and sensors always do.
    """
    for count in range(3):
        async_fire_mqtt_message(
            hass, f"ff/{MAC}/heartbeat", json.dumps({"free_heap": count})
        )
        async_fire_mqtt_message(hass, f"ff/{MAC}/sensors", json.dumps({"n": count}))
        await hass.async_block_till_done()

    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []

    for device_id in (MAC, "another"):
        async_fire_mqtt_message(
            hass, f"ff/{device_id}/startup", json.dumps({"device_id": device_id})
        )
        await hass.async_block_till_done()

    (progress,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert progress["context"]["source"] == SOURCE_MQTT
    assert progress["step_id"] == "mqtt_confirm"
    assert progress["context"]["unique_id"] == "ff"


@pytest.mark.parametrize(
    ("subscribed_topic", "topic"),
    [
        pytest.param("ff/+/ack", f"ff/{MAC}/ack", id="foreign-subscription"),
        pytest.param("ff/+/heartbeat", f"ff/{MAC}/heartbeat", id="heartbeat"),
        pytest.param("gg/+/startup", f"gg/{MAC}/startup", id="foreign-prefix"),
        pytest.param("ff/+/startup", f"gg/{MAC}/startup", id="topic-other-prefix"),
        pytest.param("ff/+/startup", f"ff/{MAC}/sensors", id="topic-other-kind"),
        pytest.param("ff/+/startup", "ff/startup", id="no-id-level"),
        pytest.param("ff/+/startup", "ff//startup", id="empty-id"),
        pytest.param("ff/+/startup", f"ff/a/{MAC}/startup", id="two-id-levels"),
    ],
)
async def test_discovery_invalid(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, subscribed_topic: str, topic: str
) -> None:
    """Messages that are not controller messages under a known topic are refused."""
    result = await _start_discovery(hass, _mqtt_info(topic, subscribed_topic))

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "invalid_discovery_info"


# --- options flow ----------------------------------------------------------------------


def _options_input(
    commands: dict[str, Any] | None = None,
    firmware: dict[str, Any] | None = None,
    alarms: dict[str, Any] | None = None,
    hysteresis: dict[str, Any] | None = None,
    **top: Any,
) -> dict[str, Any]:
    """Return a submitted options form; sections left out keep their defaults."""
    return {
        CONF_HEARTBEAT_TIMEOUT: DEFAULT_HEARTBEAT_TIMEOUT,
        CONF_ADD_NEW_CONTROLLERS: DEFAULT_ADD_NEW_CONTROLLERS,
        CONF_MAX_CONTROLLERS: DEFAULT_MAX_CONTROLLERS,
        **top,
        SECTION_COMMANDS: commands or {},
        SECTION_FIRMWARE: firmware or {},
        SECTION_ALARMS: alarms or {},
        SECTION_HYSTERESIS: hysteresis or {},
    }


async def _submit_options(
    hass: HomeAssistant, entry: MockConfigEntry, user_input: dict[str, Any]
) -> ConfigFlowResult:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    return await hass.config_entries.options.async_configure(
        result["flow_id"], user_input
    )


async def test_options_flow(hass: HomeAssistant, mock_setup_entry: AsyncMock) -> None:
    """The options form starts from the current options; saving reloads the hub."""
    entry = _hub_entry()
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry,
        options={CONF_HEARTBEAT_TIMEOUT: 45, CONF_ADD_NEW_CONTROLLERS: False},
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert len(mock_setup_entry.mock_calls) == 1

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    assert result["errors"] == {}
    assert _suggested(result, CONF_HEARTBEAT_TIMEOUT) == 45
    assert _suggested(result, CONF_ADD_NEW_CONTROLLERS) is False
    # Options the entry does not have yet show their defaults.
    assert _suggested(result, f"{SECTION_COMMANDS}/{CONF_ACK_TIMEOUT}") is None
    assert _section(result, SECTION_COMMANDS).options == {"collapsed": True}
    assert _section(result, SECTION_FIRMWARE).options == {"collapsed": True}

    with patch(
        "custom_components.future_fish.async_unload_entry", return_value=True
    ) as mock_unload_entry:
        result = await hass.config_entries.options.async_configure(
            result["flow_id"],
            _options_input(
                heartbeat_timeout=300.0,
                add_new_controllers=True,
                max_controllers=5000.0,
                commands={CONF_ACK_TIMEOUT: 20.0, "timeout_water": 3600},
                alarms={CONF_ALARM_READINGS: 5.0, CONF_PUSH_LIMITS: True},
                hysteresis={margin_option("dissolved_oxygen"): 0.5},
            ),
        )
        await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    expected = {
        CONF_HEARTBEAT_TIMEOUT: 300,
        CONF_ADD_NEW_CONTROLLERS: True,
        CONF_MAX_CONTROLLERS: 5000,
        **DEFAULT_COMMAND_OPTIONS,
        CONF_ACK_TIMEOUT: 20,
        "timeout_water": 3600,
        **DEFAULT_ALARM_OPTIONS,
        CONF_ALARM_READINGS: 5,
        CONF_PUSH_LIMITS: True,
        **DEFAULT_HYSTERESIS_OPTIONS,
        margin_option("dissolved_oxygen"): 0.5,
    }
    assert result["data"] == expected
    # Flat keys, whole seconds as int: what the hub and the tracker read.
    assert entry.options == expected
    assert type(entry.options[CONF_HEARTBEAT_TIMEOUT]) is int
    assert type(entry.options[CONF_ACK_TIMEOUT]) is int
    assert type(entry.options[CONF_MAX_CONTROLLERS]) is int
    assert type(entry.options[CONF_ALARM_READINGS]) is int
    # The hub reads options only when it starts: saving must reload it.
    assert len(mock_unload_entry.mock_calls) == 1
    assert len(mock_setup_entry.mock_calls) == 2
    assert entry.state is ConfigEntryState.LOADED


def test_command_fields_follow_the_tracker_table() -> None:
    """Every completion deadline of the tracker has a field, with its default."""
    assert set(COMPLETION_TIMEOUT_OPTIONS) == {
        "timeout_feed",
        "timeout_water",
        "timeout_valve",
        "timeout_firmware",
        "timeout_reboot",
        "timeout_settings",
    }
    for default, _ in COMPLETION_TIMEOUT_OPTIONS.values():
        assert MIN_COMPLETION_TIMEOUT <= default <= MAX_COMPLETION_TIMEOUT
    assert MIN_ACK_TIMEOUT <= DEFAULT_ACK_TIMEOUT <= MAX_ACK_TIMEOUT


async def test_options_form_fields(hass: HomeAssistant) -> None:
    """The sections hold the command and firmware options, defaults from the table."""
    entry = _hub_entry()
    entry.add_to_hass(hass)

    result = await hass.config_entries.options.async_init(entry.entry_id)
    schema = result["data_schema"]
    assert schema is not None

    assert [str(key) for key in schema.schema] == [
        CONF_HEARTBEAT_TIMEOUT,
        CONF_ADD_NEW_CONTROLLERS,
        CONF_MAX_CONTROLLERS,
        SECTION_COMMANDS,
        SECTION_FIRMWARE,
        SECTION_ALARMS,
        SECTION_HYSTERESIS,
    ]
    commands = _section(result, SECTION_COMMANDS).schema
    assert [str(key) for key in commands.schema] == [
        CONF_ACK_TIMEOUT,
        CONF_RETRIES,
        *COMPLETION_TIMEOUT_OPTIONS,
    ]
    assert commands({}) == {
        key: DEFAULT_COMMAND_OPTIONS[key] for key in commands.schema
    }
    firmware = _section(result, SECTION_FIRMWARE).schema
    assert [str(key) for key in firmware.schema] == [
        CONF_FIRMWARE_MANIFEST_URL,
        CONF_ALLOW_HTTP_FIRMWARE,
    ]
    assert firmware({}) == {CONF_ALLOW_HTTP_FIRMWARE: DEFAULT_ALLOW_HTTP_FIRMWARE}
    alarms = _section(result, SECTION_ALARMS).schema
    assert alarms({}) == DEFAULT_ALARM_OPTIONS
    assert list(alarms({})) == [str(key) for key in alarms.schema]
    # One margin per monitored quantity, with the alarms' defaults.
    hysteresis = _section(result, SECTION_HYSTERESIS).schema
    assert hysteresis({}) == DEFAULT_HYSTERESIS_OPTIONS
    assert len(DEFAULT_HYSTERESIS_OPTIONS) == 8
    # The whole form, with nothing changed, holds the defaults.
    assert schema(_options_input()) == _options_input(
        commands={key: DEFAULT_COMMAND_OPTIONS[key] for key in commands.schema},
        firmware={CONF_ALLOW_HTTP_FIRMWARE: DEFAULT_ALLOW_HTTP_FIRMWARE},
        alarms=DEFAULT_ALARM_OPTIONS,
        hysteresis=DEFAULT_HYSTERESIS_OPTIONS,
    )


async def test_options_form_shows_stored_options_in_sections(
    hass: HomeAssistant,
) -> None:
    """Flat stored options are shown in the section each belongs to."""
    entry = _hub_entry()
    entry.add_to_hass(hass)
    stored = {
        CONF_HEARTBEAT_TIMEOUT: 45,
        CONF_ADD_NEW_CONTROLLERS: True,
        CONF_MAX_CONTROLLERS: 3000,
        CONF_ACK_TIMEOUT: 30,
        CONF_RETRIES: False,
        **{key: 1000 + index for index, key in enumerate(COMPLETION_TIMEOUT_OPTIONS)},
        CONF_FIRMWARE_MANIFEST_URL: "https://firmware.example/manifest.json",
        CONF_ALLOW_HTTP_FIRMWARE: True,
        CONF_ALARM_READINGS: 4,
        CONF_ALARM_SECONDS: 90,
        CONF_PUSH_LIMITS: True,
        CONF_AMMONIA_READING: "nh3_n",
        **{key: margin + 0.1 for key, margin in DEFAULT_HYSTERESIS_OPTIONS.items()},
    }
    hass.config_entries.async_update_entry(entry, options=stored)

    result = await hass.config_entries.options.async_init(entry.entry_id)

    for key, value in stored.items():
        if key in (
            CONF_HEARTBEAT_TIMEOUT,
            CONF_ADD_NEW_CONTROLLERS,
            CONF_MAX_CONTROLLERS,
        ):
            path = key
        elif key in (CONF_FIRMWARE_MANIFEST_URL, CONF_ALLOW_HTTP_FIRMWARE):
            path = f"{SECTION_FIRMWARE}/{key}"
        elif key in DEFAULT_ALARM_OPTIONS:
            path = f"{SECTION_ALARMS}/{key}"
        elif key in DEFAULT_HYSTERESIS_OPTIONS:
            path = f"{SECTION_HYSTERESIS}/{key}"
        else:
            path = f"{SECTION_COMMANDS}/{key}"
        assert _suggested(result, path) == value, path

    # Saving the form unchanged (as the frontend submits it) keeps every option.
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_HEARTBEAT_TIMEOUT: 45,
            CONF_ADD_NEW_CONTROLLERS: True,
            CONF_MAX_CONTROLLERS: 3000,
            SECTION_COMMANDS: {
                key: stored[key]
                for key in (CONF_ACK_TIMEOUT, CONF_RETRIES, *COMPLETION_TIMEOUT_OPTIONS)
            },
            SECTION_FIRMWARE: {
                CONF_FIRMWARE_MANIFEST_URL: stored[CONF_FIRMWARE_MANIFEST_URL],
                CONF_ALLOW_HTTP_FIRMWARE: True,
            },
            SECTION_ALARMS: {key: stored[key] for key in DEFAULT_ALARM_OPTIONS},
            SECTION_HYSTERESIS: {
                key: stored[key] for key in DEFAULT_HYSTERESIS_OPTIONS
            },
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == stored


async def test_options_keep_options_the_form_does_not_show(
    hass: HomeAssistant,
) -> None:
    """Options stored by other parts of the integration survive a save."""
    entry = _hub_entry()
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, "something_else": [1, 2]}
    )

    result = await _submit_options(hass, entry, _options_input())

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options["something_else"] == [1, 2]


@pytest.mark.parametrize(
    ("user_input", "stored"),
    [
        pytest.param(
            {CONF_FIRMWARE_MANIFEST_URL: "  https://fw.example/m.json "},
            "https://fw.example/m.json",
            id="https-stripped",
        ),
        pytest.param(
            {
                CONF_FIRMWARE_MANIFEST_URL: "http://192.168.1.5:8080/m.json",
                CONF_ALLOW_HTTP_FIRMWARE: True,
            },
            "http://192.168.1.5:8080/m.json",
            id="http-allowed",
        ),
        pytest.param(
            {CONF_FIRMWARE_MANIFEST_URL: "HTTPS://user:pw@FW.example/m.json"},
            "HTTPS://user:pw@FW.example/m.json",
            id="upper-case-scheme-and-credentials",
        ),
        pytest.param({CONF_FIRMWARE_MANIFEST_URL: "   "}, None, id="only-whitespace"),
        pytest.param({CONF_FIRMWARE_MANIFEST_URL: ""}, None, id="empty"),
        pytest.param({}, None, id="left-out"),
    ],
)
async def test_options_firmware_manifest_url(
    hass: HomeAssistant, user_input: dict[str, Any], stored: str | None
) -> None:
    """A usable address is stored without surrounding whitespace; none clears it."""
    entry = _hub_entry()
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry,
        options={
            **entry.options,
            CONF_FIRMWARE_MANIFEST_URL: "https://old.example/manifest.json",
        },
    )

    result = await _submit_options(hass, entry, _options_input(firmware=user_input))

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options.get(CONF_FIRMWARE_MANIFEST_URL) == stored
    assert entry.options[CONF_ALLOW_HTTP_FIRMWARE] is user_input.get(
        CONF_ALLOW_HTTP_FIRMWARE, False
    )


@pytest.mark.parametrize(
    ("url", "allow_http", "error"),
    [
        ("http://fw.example/m.json", False, "firmware_url_http"),
        ("ftp://fw.example/m.json", True, "firmware_url_invalid"),
        ("fw.example/m.json", True, "firmware_url_invalid"),
        ("https://", False, "firmware_url_invalid"),
        ("https:///m.json", False, "firmware_url_invalid"),
        ("https://[::1/m.json", False, "firmware_url_invalid"),
        ("https://fw.example/a b.json", False, "firmware_url_invalid"),
        ("https://fw.example/\x00", False, "firmware_url_invalid"),
        ("javascript:alert(1)", True, "firmware_url_invalid"),
    ],
)
def test_firmware_url_error(url: str, allow_http: bool, error: str) -> None:
    """Only complete https (or allowed http) addresses are usable."""
    assert firmware_url_error(url, allow_http=allow_http) == error


@pytest.mark.parametrize(
    ("url", "allow_http"),
    [
        ("https://fw.example/m.json", False),
        ("https://fw.example:8443/m.json?channel=beta", False),
        ("https://[fd00::1]/m.json", False),
        ("http://fw.local/m.json", True),
        ("https://fw.example/m.json", True),
    ],
)
def test_firmware_url_usable(url: str, allow_http: bool) -> None:
    """An https address is always usable, an http one only where allowed."""
    assert firmware_url_error(url, allow_http=allow_http) is None


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("http://fw.example/m.json", "firmware_url_http"),
        ("not an address", "firmware_url_invalid"),
    ],
)
async def test_options_invalid_firmware_url_then_valid(
    hass: HomeAssistant, url: str, error: str
) -> None:
    """A refused address is an error of the firmware section, which opens.

    The form keeps everything the user entered, and nothing is saved until the
    address is fixed.
    """
    entry = _hub_entry()
    entry.add_to_hass(hass)
    before = dict(entry.options)
    strings = json.loads((INTEGRATION / "strings.json").read_text(encoding="utf-8"))
    assert error in strings["options"]["error"]

    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        _options_input(
            heartbeat_timeout=120,
            commands={CONF_ACK_TIMEOUT: 15, CONF_RETRIES: False},
            firmware={CONF_FIRMWARE_MANIFEST_URL: url},
        ),
    )

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    assert result["errors"] == {SECTION_FIRMWARE: error}
    assert _section(result, SECTION_FIRMWARE).options == {"collapsed": False}
    assert _section(result, SECTION_COMMANDS).options == {"collapsed": True}
    assert _suggested(result, f"{SECTION_FIRMWARE}/{CONF_FIRMWARE_MANIFEST_URL}") == url
    assert _suggested(result, CONF_HEARTBEAT_TIMEOUT) == 120
    assert _suggested(result, f"{SECTION_COMMANDS}/{CONF_ACK_TIMEOUT}") == 15
    assert _suggested(result, f"{SECTION_COMMANDS}/{CONF_RETRIES}") is False
    assert entry.options == before

    # Allowing http (or fixing the address) lets it through.
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        _options_input(
            heartbeat_timeout=120,
            firmware={
                CONF_FIRMWARE_MANIFEST_URL: "http://fw.example/m.json",
                CONF_ALLOW_HTTP_FIRMWARE: True,
            },
        ),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_FIRMWARE_MANIFEST_URL] == "http://fw.example/m.json"
    assert entry.options[CONF_ALLOW_HTTP_FIRMWARE] is True
    assert entry.options[CONF_HEARTBEAT_TIMEOUT] == 120


@pytest.mark.parametrize(
    "user_input",
    [
        pytest.param(
            _options_input(heartbeat_timeout=MAX_HEARTBEAT_TIMEOUT + 1),
            id="heartbeat-too-long",
        ),
        pytest.param(
            _options_input(max_controllers=MIN_MAX_CONTROLLERS - 1),
            id="no-controllers",
        ),
        pytest.param(
            _options_input(max_controllers=MAX_MAX_CONTROLLERS + 1),
            id="too-many-controllers",
        ),
        pytest.param(_options_input(max_controllers=10.5), id="controllers-fraction"),
        pytest.param(
            _options_input(commands={CONF_ACK_TIMEOUT: MIN_ACK_TIMEOUT - 1}),
            id="ack-too-short",
        ),
        pytest.param(
            _options_input(commands={CONF_ACK_TIMEOUT: MAX_ACK_TIMEOUT + 1}),
            id="ack-too-long",
        ),
        pytest.param(
            _options_input(commands={CONF_ACK_TIMEOUT: 10.5}), id="ack-fraction"
        ),
        pytest.param(
            _options_input(commands={CONF_ACK_TIMEOUT: float("nan")}), id="ack-nan"
        ),
        pytest.param(
            _options_input(commands={"timeout_feed": MIN_COMPLETION_TIMEOUT - 1}),
            id="completion-too-short",
        ),
        pytest.param(
            _options_input(commands={"timeout_water": MAX_COMPLETION_TIMEOUT + 1}),
            id="completion-too-long",
        ),
        pytest.param(
            _options_input(commands={"timeout_firmware": float("inf")}),
            id="completion-infinite",
        ),
        pytest.param(
            {CONF_HEARTBEAT_TIMEOUT: 60, CONF_ADD_NEW_CONTROLLERS: True},
            id="sections-missing",
        ),
        pytest.param(
            _options_input(commands={"ack_timeout_typo": 10}), id="unknown-field"
        ),
        pytest.param(
            _options_input(alarms={CONF_ALARM_READINGS: 0}), id="no-alarm-readings"
        ),
        pytest.param(
            _options_input(alarms={CONF_ALARM_READINGS: 101}),
            id="too-many-alarm-readings",
        ),
        pytest.param(
            _options_input(alarms={CONF_ALARM_READINGS: 2.5}),
            id="alarm-readings-fraction",
        ),
        pytest.param(
            _options_input(alarms={CONF_ALARM_SECONDS: 0}), id="no-alarm-seconds"
        ),
        pytest.param(
            _options_input(hysteresis={margin_option("ph"): -0.1}),
            id="negative-margin",
        ),
        pytest.param(
            _options_input(hysteresis={margin_option("ph"): 1.5}),
            id="margin-over-a-tenth-of-the-range",
        ),
        pytest.param(
            _options_input(hysteresis={margin_option("ammonia"): float("nan")}),
            id="margin-nan",
        ),
    ],
)
async def test_options_flow_refuses_invalid(
    hass: HomeAssistant, user_input: dict[str, Any]
) -> None:
    """The options form refuses values outside the allowed ranges."""
    entry = _hub_entry()
    entry.add_to_hass(hass)
    before = dict(entry.options)

    result = await hass.config_entries.options.async_init(entry.entry_id)
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(result["flow_id"], user_input)
    assert entry.options == before


async def test_options_are_what_the_hub_reads(hass: HomeAssistant) -> None:
    """Saved options reach the tracker settings with the values the user chose."""
    entry = _hub_entry()
    entry.add_to_hass(hass)
    await _submit_options(
        hass,
        entry,
        _options_input(
            commands={CONF_ACK_TIMEOUT: 25, CONF_RETRIES: False, "timeout_feed": 300},
            alarms={CONF_ALARM_READINGS: 2, CONF_ALARM_SECONDS: 120},
            hysteresis={margin_option("temperature"): 1.5},
        ),
    )
    alarms = AlarmSettings.from_options(entry.options)
    assert alarms.readings == 2
    assert alarms.duration.total_seconds() == 120
    assert alarms.margins["temperature"] == 1.5
    assert alarms.margins["dissolved_oxygen"] == QUANTITIES["dissolved_oxygen"].margin

    settings = TrackerSettings.from_options(entry.options)
    assert settings.ack_timeout.total_seconds() == 25
    assert settings.retries is False
    assert settings.completion_timeouts[CommandType.FEED].total_seconds() == 300
    assert (
        settings.completion_timeouts[CommandType.REBOOT].total_seconds()
        == (COMPLETION_TIMEOUT_OPTIONS["timeout_reboot"][0])
    )


# --- strings ---------------------------------------------------------------------------


def _assert_labelled(schema: Any, strings: dict[str, Any], where: str) -> None:
    """Every field of `schema` has a label and a description in `strings`."""
    for marker, value in schema.schema.items():
        key = str(marker)
        if isinstance(value, section):
            texts = strings["sections"][key]
            assert texts["name"], f"{where}: section {key} has no name"
            assert texts["description"], f"{where}: section {key} has no description"
            _assert_labelled(value.schema, texts, f"{where}/{key}")
        else:
            assert strings["data"][key], f"{where}: {key} has no label"
            assert strings["data_description"][key], f"{where}: {key} undescribed"


async def test_every_field_has_strings(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Every field of every form, sections included, has data and data_description."""
    strings = json.loads((INTEGRATION / "strings.json").read_text(encoding="utf-8"))
    entry = _hub_entry("site/ff")
    entry.add_to_hass(hass)

    forms = {
        "config/user": await _start_user_flow(hass),
        "config/reconfigure": await entry.start_reconfigure_flow(hass),
        "options/init": await hass.config_entries.options.async_init(entry.entry_id),
    }
    for where, result in forms.items():
        kind, step = where.split("/")
        _assert_labelled(result["data_schema"], strings[kind]["step"][step], where)
    retries = strings["options"]["step"]["init"]["sections"][SECTION_COMMANDS][
        "data_description"
    ][CONF_RETRIES]
    for fact in ("same command id", "command_id", "twice", "Turn this off"):
        assert fact in retries


# --- reconfigure -----------------------------------------------------------------------


async def test_reconfigure_new_prefix(
    hass: HomeAssistant, mock_setup_entry: AsyncMock
) -> None:
    """Reconfiguring moves the entry to the new prefix and keeps its options."""
    entry = _hub_entry("ff")
    entry.add_to_hass(hass)

    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert _suggested(result, CONF_PREFIX) == "ff"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PREFIX: " site/ff "}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.unique_id == "site/ff"
    assert entry.data == {CONF_PREFIX: "site/ff"}
    assert entry.title == "Future Fish (site/ff)"
    assert entry.options[CONF_HEARTBEAT_TIMEOUT] == DEFAULT_HEARTBEAT_TIMEOUT
    assert hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, "ff") is None
    assert len(mock_setup_entry.mock_calls) == 1


async def test_reconfigure_same_prefix(
    hass: HomeAssistant, mock_setup_entry: AsyncMock
) -> None:
    """Submitting the current prefix is not mistaken for a clash with itself."""
    entry = _hub_entry("ff")
    entry.add_to_hass(hass)

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PREFIX: "ff "}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.unique_id == "ff"
    assert entry.data == {CONF_PREFIX: "ff"}


async def test_reconfigure_to_prefix_of_other_entry(hass: HomeAssistant) -> None:
    """A prefix that another entry uses is refused and nothing changes."""
    entry = _hub_entry("ff")
    entry.add_to_hass(hass)
    _hub_entry("other").add_to_hass(hass)

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PREFIX: "other"}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.unique_id == "ff"
    assert entry.data == {CONF_PREFIX: "ff"}


async def test_reconfigure_to_prefix_with_open_offer(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A prefix with an open discovery offer is refused until the offer is handled."""
    entry = _hub_entry("site/ff")
    entry.add_to_hass(hass)
    await _start_discovery(hass)

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PREFIX: "ff"}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_in_progress"
    assert entry.unique_id == "site/ff"


async def test_reconfigure_invalid_then_valid(
    hass: HomeAssistant, mock_setup_entry: AsyncMock
) -> None:
    """An invalid prefix is reported on its field, kept, and can be corrected."""
    entry = _hub_entry("ff")
    entry.add_to_hass(hass)

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PREFIX: "ff/#"}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {CONF_PREFIX: "invalid_prefix"}
    assert _suggested(result, CONF_PREFIX) == "ff/#"
    assert entry.data == {CONF_PREFIX: "ff"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PREFIX: "ff2"}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.unique_id == "ff2"
    assert entry.data == {CONF_PREFIX: "ff2"}
