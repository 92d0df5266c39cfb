"""Firmware update entities: reported version, manifest, install with progress."""

import logging
from typing import Any, Final

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.homeassistant import SERVICE_UPDATE_ENTITY
from homeassistant.components.update import (
    ATTR_IN_PROGRESS,
    ATTR_INSTALLED_VERSION,
    ATTR_LATEST_VERSION,
    SERVICE_INSTALL,
    UpdateEntityFeature,
)
from homeassistant.const import (
    ATTR_ENTITY_ID,
    ATTR_SUPPORTED_FEATURES,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker
from pytest_homeassistant_custom_component.typing import (
    MqttMockHAClient,
    WebSocketGenerator,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.future_fish.const import (
    CONF_ALLOW_HTTP_FIRMWARE,
    CONF_FIRMWARE_MANIFEST_URL,
)

from .common import (
    HEARTBEAT,
    STARTUP,
    answer,
    commands,
    current,
    last_command,
    make_entry,
    report,
    send,
    setup_hub,
    snapshot_entities,
    start,
    still_running,
    tick,
)

FIRMWARE: Final = "update.pond_controller_4134_firmware"
MANIFEST_URL: Final = "https://firmware.example.com/future-fish/manifest.json"
FIRMWARE_URL: Final = "https://firmware.example.com/future-fish/fw-1.2.0.bin"
MANIFEST: Final = {
    "version": "1.2.0",
    "url": FIRMWARE_URL,
    "release_notes": "Steadier dissolved oxygen readings.",
}
SIX_HOURS: Final = 6 * 3600


def manifest_entry(allow_http: bool = False) -> MockConfigEntry:
    """Return a hub's config entry with a firmware manifest."""
    entry = make_entry()
    return MockConfigEntry(
        domain=entry.domain,
        title=entry.title,
        unique_id=entry.unique_id,
        data=entry.data,
        options={
            **entry.options,
            CONF_FIRMWARE_MANIFEST_URL: MANIFEST_URL,
            CONF_ALLOW_HTTP_FIRMWARE: allow_http,
        },
    )


async def setup_with_manifest(hass: HomeAssistant, allow_http: bool = False) -> None:
    """Set up a hub with a manifest, let it fetch it, and let a controller report."""
    await setup_hub(hass, manifest_entry(allow_http))
    await hass.async_block_till_done(wait_background_tasks=True)
    await report(hass)


def install(hass: HomeAssistant) -> Any:
    """Return the call that installs the offered firmware, as the UI does."""
    return hass.services.async_call(
        Platform.UPDATE, SERVICE_INSTALL, {ATTR_ENTITY_ID: FIRMWARE}, blocking=True
    )


async def refresh_later(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    """Let time pass, keeping the controller online, and finish any fetch."""
    await tick(hass, freezer, seconds)
    send(hass, "heartbeat", HEARTBEAT)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_without_manifest_only_the_installed_version_shows(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """No manifest: latest is what is installed, and nothing can be installed."""
    assert await async_setup_component(hass, "homeassistant", {})
    await setup_hub(hass)
    await report(hass)
    await hass.services.async_call(
        "homeassistant",
        SERVICE_UPDATE_ENTITY,
        {ATTR_ENTITY_ID: FIRMWARE},
        blocking=True,
    )
    state = current(hass, FIRMWARE)
    assert state.state == STATE_OFF
    assert state.attributes[ATTR_INSTALLED_VERSION] == "1.0.0"
    assert state.attributes[ATTR_LATEST_VERSION] == "1.0.0"
    assert state.attributes[ATTR_SUPPORTED_FEATURES] == UpdateEntityFeature.PROGRESS
    with pytest.raises(HomeAssistantError):
        await install(hass)
    assert aioclient_mock.call_count == 0
    assert commands(mqtt_mock) == []


async def test_installed_version_follows_the_controller(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A startup reporting another version changes the installed version."""
    await setup_hub(hass)
    await report(hass)
    send(hass, "startup", {**STARTUP, "firmware_version": "1.1.0"})
    await hass.async_block_till_done()
    assert current(hass, FIRMWARE).attributes[ATTR_INSTALLED_VERSION] == "1.1.0"


async def test_manifest_offers_newer_firmware(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    aioclient_mock: AiohttpClientMocker,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """The manifest's version, with its release notes, is offered for install."""
    aioclient_mock.get(MANIFEST_URL, json=MANIFEST)
    await setup_with_manifest(hass)
    state = current(hass, FIRMWARE)
    assert state.state == STATE_ON
    assert state.attributes[ATTR_INSTALLED_VERSION] == "1.0.0"
    assert state.attributes[ATTR_LATEST_VERSION] == "1.2.0"
    assert state.attributes[ATTR_IN_PROGRESS] is False
    assert state.attributes[ATTR_SUPPORTED_FEATURES] == (
        UpdateEntityFeature.INSTALL
        | UpdateEntityFeature.PROGRESS
        | UpdateEntityFeature.RELEASE_NOTES
    )
    assert aioclient_mock.call_count == 1

    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {"type": "update/release_notes", "entity_id": FIRMWARE}
    )
    result = await client.receive_json()
    assert result["result"] == "Steadier dissolved oxygen readings."


async def test_install_shows_progress_until_complete(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """Install sends the manifest's URL and runs until the controller completes."""
    aioclient_mock.get(MANIFEST_URL, json=MANIFEST)
    await setup_with_manifest(hass)

    installing = await start(install(hass))
    command = last_command(mqtt_mock)
    assert command == {
        "id": command["id"],
        "type": "FW",
        "pos": 1,
        "url": FIRMWARE_URL,
    }
    assert current(hass, FIRMWARE).attributes[ATTR_IN_PROGRESS] is True
    await answer(hass, "ack", command)
    assert await still_running(installing)
    assert current(hass, FIRMWARE).attributes[ATTR_IN_PROGRESS] is True

    await answer(hass, "complete", command)
    await installing
    state = current(hass, FIRMWARE)
    assert state.attributes[ATTR_IN_PROGRESS] is False
    assert state.state == STATE_ON  # until the controller reports the new version

    send(hass, "startup", {**STARTUP, "firmware_version": "1.2.0"})
    await hass.async_block_till_done()
    state = current(hass, FIRMWARE)
    assert state.state == STATE_OFF
    assert state.attributes[ATTR_INSTALLED_VERSION] == "1.2.0"


async def test_failed_install_raises_and_ends_progress(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """A controller that could not install: translated error, no progress left."""
    aioclient_mock.get(MANIFEST_URL, json=MANIFEST)
    await setup_with_manifest(hass)
    installing = await start(install(hass))
    command = last_command(mqtt_mock)
    await answer(hass, "ack", command)
    await answer(
        hass,
        "complete",
        command,
        success=False,
        message="checksum mismatch",
        error_code="E_OTA_CRC",
    )
    with pytest.raises(HomeAssistantError) as raised:
        await installing
    assert raised.value.translation_key == "command_failed"
    assert raised.value.translation_placeholders == {
        "command": "FW",
        "controller": "Pond controller 4134",
        "message": "checksum mismatch",
        "error_code": "E_OTA_CRC",
    }
    state = current(hass, FIRMWARE)
    assert state.attributes[ATTR_IN_PROGRESS] is False
    assert state.attributes[ATTR_INSTALLED_VERSION] == "1.0.0"


async def test_install_times_out(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
) -> None:
    """No acknowledgement: the install fails after the ack timeout."""
    aioclient_mock.get(MANIFEST_URL, json=MANIFEST)
    await setup_with_manifest(hass)
    installing = await start(install(hass))
    await tick(hass, freezer, 10)
    with pytest.raises(HomeAssistantError) as raised:
        await installing
    assert raised.value.translation_key == "command_timed_out"
    assert current(hass, FIRMWARE).attributes[ATTR_IN_PROGRESS] is False


@pytest.mark.parametrize(("allow_http", "sent"), [(False, 0), (True, 1)])
async def test_http_firmware_url(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    aioclient_mock: AiohttpClientMocker,
    allow_http: bool,
    sent: int,
) -> None:
    """A plain-http firmware URL is refused unless the options allow http."""
    http_url = "http://192.168.1.5/fw.bin"
    aioclient_mock.get(MANIFEST_URL, json={**MANIFEST, "url": http_url})
    await setup_with_manifest(hass, allow_http=allow_http)
    if allow_http:
        installing = await start(install(hass))
        command = last_command(mqtt_mock)
        assert command["url"] == http_url
        await answer(hass, "complete", command)
        await installing
    else:
        with pytest.raises(ServiceValidationError) as raised:
            await install(hass)
        assert raised.value.translation_key == "firmware_url_http"
        assert raised.value.translation_placeholders == {"url": http_url}
    assert len(commands(mqtt_mock)) == sent


async def test_offline_controller_cannot_install(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """An offline controller's firmware entity is unavailable."""
    aioclient_mock.get(MANIFEST_URL, json=MANIFEST)
    await setup_with_manifest(hass)
    send(hass, "status", "offline")
    await hass.async_block_till_done()
    assert current(hass, FIRMWARE).state == STATE_UNAVAILABLE
    await install(hass)
    assert commands(mqtt_mock) == []


@pytest.mark.parametrize(
    ("response", "logged"),
    [
        ({"status": 404}, "Error requesting"),
        ({"exc": TimeoutError()}, "Timeout fetching"),
        ({"text": "<html>not a manifest</html>"}, "manifest is not JSON"),
        ({"json": ["1.2.0"]}, "not a JSON object"),
        ({"json": {"url": FIRMWARE_URL}}, "no valid `version`"),
        ({"json": {"version": "1.2.0"}}, "no `url`"),
        ({"json": {**MANIFEST, "release_notes": 3}}, "not text"),
        ({"text": "x" * 70_000}, "larger than"),
    ],
)
async def test_unusable_manifest_offers_nothing(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    aioclient_mock: AiohttpClientMocker,
    caplog: pytest.LogCaptureFixture,
    response: dict[str, Any],
    logged: str,
) -> None:
    """Without a usable manifest the latest version is unknown, and said why."""
    aioclient_mock.get(MANIFEST_URL, **response)
    await setup_with_manifest(hass)
    state = current(hass, FIRMWARE)
    assert state.state == STATE_UNKNOWN
    assert state.attributes[ATTR_INSTALLED_VERSION] == "1.0.0"
    assert state.attributes[ATTR_LATEST_VERSION] is None
    assert logged in caplog.text
    with pytest.raises(HomeAssistantError):
        await install(hass)
    assert commands(mqtt_mock) == []


async def test_manifest_is_fetched_again_and_failures_keep_it(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every 6 h once per hub; failures are logged once and keep the last release."""
    send(hass, "startup", STARTUP, device="EC:E3:34:AA:BB:CC")
    aioclient_mock.get(MANIFEST_URL, json=MANIFEST)
    await setup_with_manifest(hass)
    send(
        hass,
        "heartbeat",
        {**HEARTBEAT, "device_id": "EC:E3:34:AA:BB:CC"},
        "EC:E3:34:AA:BB:CC",
    )
    await hass.async_block_till_done()
    assert len(hass.states.async_entity_ids(Platform.UPDATE)) == 2
    assert aioclient_mock.call_count == 1

    await refresh_later(hass, freezer, SIX_HOURS)
    assert aioclient_mock.call_count == 2

    aioclient_mock.clear_requests()
    aioclient_mock.get(MANIFEST_URL, status=503)
    caplog.clear()
    for _ in range(3):
        await refresh_later(hass, freezer, SIX_HOURS)
    assert aioclient_mock.call_count == 3
    assert current(hass, FIRMWARE).attributes[ATTR_LATEST_VERSION] == "1.2.0"
    errors = [
        r
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name.startswith("custom_components")
    ]
    assert len(errors) == 1
    assert "Error requesting" in errors[0].getMessage()

    aioclient_mock.clear_requests()
    aioclient_mock.get(MANIFEST_URL, json={**MANIFEST, "version": "1.3.0"})
    await refresh_later(hass, freezer, SIX_HOURS)
    assert current(hass, FIRMWARE).attributes[ATTR_LATEST_VERSION] == "1.3.0"
    assert "recovered" in caplog.text


async def test_update_entity_fetches_on_demand(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """Asking the entity to update fetches the manifest again at once."""
    assert await async_setup_component(hass, "homeassistant", {})
    aioclient_mock.get(MANIFEST_URL, json=MANIFEST)
    await setup_with_manifest(hass)
    aioclient_mock.clear_requests()
    aioclient_mock.get(MANIFEST_URL, json={**MANIFEST, "version": "2.0.0"})
    await hass.services.async_call(
        "homeassistant",
        SERVICE_UPDATE_ENTITY,
        {ATTR_ENTITY_ID: FIRMWARE},
        blocking=True,
    )
    assert aioclient_mock.call_count == 1
    assert current(hass, FIRMWARE).attributes[ATTR_LATEST_VERSION] == "2.0.0"


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "mqtt_mock")
@pytest.mark.freeze_time("2026-05-01 04:00:00+00:00")
async def test_entities(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, snapshot: SnapshotAssertion
) -> None:
    """Every update entity: registry entry and state after one report cycle."""
    await snapshot_entities(hass, entity_registry, snapshot, Platform.UPDATE)
