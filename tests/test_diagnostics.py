"""Diagnostics: what a user attaches to a bug report, with private data redacted."""

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.future_fish.const import DOMAIN

from .common import DEVICE_ID, HEARTBEAT, make_entry, report, send, setup_hub


@pytest.mark.freeze_time("2026-05-01 04:00:00+00:00")
async def test_entry_diagnostics(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    """Settings, controllers, counters and drop reasons; IP and SSID redacted."""
    entry = await setup_hub(
        hass,
        make_entry(firmware_manifest_url="https://fish:s3cret@firmware.example/m.json"),
    )
    await report(hass)
    send(hass, "heartbeat", HEARTBEAT)
    send(hass, "sensors", {"data": {"temperature": 99}})
    send(hass, "heartbeat", "not json", device="EC:E3:34:00:00:09")
    await hass.async_block_till_done()

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    assert diagnostics == snapshot
    assert diagnostics["entry"]["options"]["firmware_manifest_url"] == (
        "https://**REDACTED**@firmware.example/m.json"
    )
    controller = diagnostics["controllers"][0]
    assert controller["values"]["ip_address"] == "**REDACTED**"
    assert controller["stats"]["dropped"] == {"data.temperature: out_of_range": 1}
    assert diagnostics["hub"]["unattributed"]["dropped"] == {"heartbeat: bad_json": 1}


@pytest.mark.freeze_time("2026-05-01 04:00:00+00:00")
async def test_device_diagnostics(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_client: ClientSessionGenerator,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A pond's diagnostics are its controller's."""
    entry = await setup_hub(hass)
    await report(hass)
    pond = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"{DEVICE_ID}_pond2"), entry.entry_id
    )
    assert pond is not None

    diagnostics = await get_diagnostics_for_device(hass, hass_client, entry, pond)

    assert diagnostics["controller"]["device_id"] == DEVICE_ID
    assert diagnostics["controller"]["ponds"]["2"]["feed_level"] == 64
    assert diagnostics["hub"]["controllers_online"] == 1
