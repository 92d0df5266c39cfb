"""Tests for the Future Fish config, options and reconfigure flows."""

import json
from pathlib import Path
import time
from typing import Any
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import (
    SOURCE_MQTT,
    SOURCE_USER,
    ConfigEntryDisabler,
    ConfigEntryState,
    ConfigFlowResult,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.future_fish.config_flow import (
    DISCOVERY_TOPICS,
    MAX_PREFIX_LENGTH,
    normalize_prefix,
)
from custom_components.future_fish.const import (
    CONF_ADD_NEW_CONTROLLERS,
    CONF_HEARTBEAT_TIMEOUT,
    CONF_PREFIX,
    DEFAULT_ADD_NEW_CONTROLLERS,
    DEFAULT_HEARTBEAT_TIMEOUT,
    DEFAULT_PREFIX,
    DOMAIN,
    MAX_HEARTBEAT_TIMEOUT,
    MIN_HEARTBEAT_TIMEOUT,
)

MAC = "EC:E3:34:1C:41:34"

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
    topic: str = f"ff/{MAC}/heartbeat", subscribed_topic: str = "ff/+/heartbeat"
) -> MqttServiceInfo:
    """Return a discovery message as the MQTT integration hands it over."""
    return MqttServiceInfo(
        topic=topic,
        payload=json.dumps({"device_id": MAC}),
        qos=1,
        retain=False,
        subscribed_topic=subscribed_topic,
        timestamp=time.time(),
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


def _suggested(result: ConfigFlowResult, key: str) -> Any:
    """Return the value a shown form prefills for a field."""
    schema = result["data_schema"]
    assert schema is not None
    for marker in schema.schema:
        if marker == key:
            return (marker.description or {}).get("suggested_value")
    raise KeyError(key)


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


@pytest.mark.parametrize("kind", ["startup", "heartbeat", "sensors"])
async def test_discovery_confirm_creates_entry(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    mock_setup_entry: AsyncMock,
    kind: str,
) -> None:
    """A controller message offers its prefix; confirming creates a default entry."""
    result = await _start_discovery(
        hass, _mqtt_info(f"ff/{MAC}/{kind}", f"ff/+/{kind}")
    )

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
        hass, _mqtt_info("ff/other-controller/sensors", "ff/+/sensors")
    )

    assert first["type"] is FlowResultType.FORM
    assert second["type"] is FlowResultType.ABORT
    assert second["reason"] == "already_in_progress"
    assert len(hass.config_entries.flow.async_progress_by_handler(DOMAIN)) == 1


async def test_heartbeat_stream_opens_one_offer(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Messages arriving through MQTT discovery open exactly one offer."""
    for count in range(3):
        async_fire_mqtt_message(
            hass, f"ff/{MAC}/heartbeat", json.dumps({"free_heap": count})
        )
        await hass.async_block_till_done()
    async_fire_mqtt_message(hass, "ff/another/sensors", "{}")
    await hass.async_block_till_done()

    (progress,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert progress["context"]["source"] == SOURCE_MQTT
    assert progress["step_id"] == "mqtt_confirm"
    assert progress["context"]["unique_id"] == "ff"


@pytest.mark.parametrize(
    ("subscribed_topic", "topic"),
    [
        pytest.param("ff/+/ack", f"ff/{MAC}/ack", id="foreign-subscription"),
        pytest.param("gg/+/heartbeat", f"gg/{MAC}/heartbeat", id="foreign-prefix"),
        pytest.param("ff/+/heartbeat", f"gg/{MAC}/heartbeat", id="topic-other-prefix"),
        pytest.param("ff/+/heartbeat", f"ff/{MAC}/sensors", id="topic-other-kind"),
        pytest.param("ff/+/heartbeat", "ff/heartbeat", id="no-id-level"),
        pytest.param("ff/+/heartbeat", "ff//heartbeat", id="empty-id"),
        pytest.param("ff/+/heartbeat", f"ff/a/{MAC}/heartbeat", id="two-id-levels"),
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
    assert _suggested(result, CONF_HEARTBEAT_TIMEOUT) == 45
    assert _suggested(result, CONF_ADD_NEW_CONTROLLERS) is False

    with patch(
        "custom_components.future_fish.async_unload_entry", return_value=True
    ) as mock_unload_entry:
        result = await hass.config_entries.options.async_configure(
            result["flow_id"],
            {CONF_HEARTBEAT_TIMEOUT: 300.0, CONF_ADD_NEW_CONTROLLERS: True},
        )
        await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    expected = {CONF_HEARTBEAT_TIMEOUT: 300, CONF_ADD_NEW_CONTROLLERS: True}
    assert result["data"] == expected
    assert entry.options == expected
    assert type(entry.options[CONF_HEARTBEAT_TIMEOUT]) is int
    # The hub reads options only when it starts: saving must reload it.
    assert len(mock_unload_entry.mock_calls) == 1
    assert len(mock_setup_entry.mock_calls) == 2
    assert entry.state is ConfigEntryState.LOADED


async def test_options_flow_refuses_out_of_range(hass: HomeAssistant) -> None:
    """The options form refuses a heartbeat timeout above the maximum."""
    entry = _hub_entry()
    entry.add_to_hass(hass)

    result = await hass.config_entries.options.async_init(entry.entry_id)
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"],
            {
                CONF_HEARTBEAT_TIMEOUT: MAX_HEARTBEAT_TIMEOUT + 1,
                CONF_ADD_NEW_CONTROLLERS: True,
            },
        )
    assert entry.options[CONF_HEARTBEAT_TIMEOUT] == DEFAULT_HEARTBEAT_TIMEOUT


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
