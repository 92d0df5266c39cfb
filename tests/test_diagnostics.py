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

from custom_components.future_fish.commands import url_without_secrets
from custom_components.future_fish.const import DOMAIN

from .common import (
    DEVICE_ID,
    HEARTBEAT,
    answer_commands,
    make_entry,
    report,
    send,
    setup_hub,
)


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
    assert controller["ip_address"] == "**REDACTED**"
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


@pytest.mark.freeze_time("2026-05-01 04:00:00+00:00")
async def test_diagnostics_hide_secrets_in_firmware_addresses(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_client: ClientSessionGenerator,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Passwords and tokens inside firmware addresses never reach diagnostics."""
    entry = await setup_hub(hass)
    await report(hass)
    controller = device_registry.async_get_device_by_identifier(
        (DOMAIN, DEVICE_ID), entry.entry_id
    )
    assert controller is not None

    async def update_firmware(url: str) -> None:
        await hass.services.async_call(
            DOMAIN,
            "update_firmware",
            {"device_id": controller.id, "url": url},
            blocking=True,
        )
        await hass.async_block_till_done()

    # A feed and the first update complete, the second update is acknowledged and
    # still running.
    answer_commands(hass, mqtt_mock, complete={"success": True})
    pond = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"{DEVICE_ID}_pond1"), entry.entry_id
    )
    assert pond is not None
    await hass.services.async_call(
        DOMAIN, "feed", {"device_id": pond.id, "amount": 10}, blocking=True
    )
    await update_firmware("https://fish:s3cret@firmware.example/fw.bin?sig=t0ken")
    answer_commands(hass, mqtt_mock)
    await update_firmware("https://fish:s3cret@firmware.example:8443/fw.bin")

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    commands = diagnostics["controllers"][0]["commands"]
    assert [c["parameters"] for c in commands["recent"]] == [
        {"amount": 10, "unit": "grams"},
        {"url": "https://**REDACTED**@firmware.example/fw.bin?**REDACTED**"},
    ]
    shown = "https://**REDACTED**@firmware.example:8443/fw.bin"
    assert [c["parameters"]["url"] for c in commands["active"]] == [shown]
    last = commands["last"]
    assert last["parameters"]["url"] == shown
    assert "s3cret" not in str(diagnostics)
    assert "t0ken" not in str(diagnostics)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://firmware.example/fw.bin", "https://firmware.example/fw.bin"),
        (
            "https://fish:s3cret@firmware.example:8443/fw.bin",
            "https://**REDACTED**@firmware.example:8443/fw.bin",
        ),
        (
            "https://token@firmware.example/fw.bin",
            "https://**REDACTED**@firmware.example/fw.bin",
        ),
        (
            "https://firmware.example/fw.bin?X-Amz-Signature=t0ken",
            "https://firmware.example/fw.bin?**REDACTED**",
        ),
        ("https://fish:s3cret@firmware.example:99999/fw.bin", "**REDACTED**"),
        ("https://[::1/fw.bin", "**REDACTED**"),
    ],
)
def test_urls_lose_their_secrets(url: str, shown: str) -> None:
    """User names, passwords and query strings never leave a URL in diagnostics.

    Unparsable URLs are refused before they are sent, but a manifest address stored
    by an older version could still be one.
    """
    assert url_without_secrets(url) == shown


async def test_device_diagnostics_of_a_forgotten_device(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_client: ClientSessionGenerator,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A device the hub no longer knows still gives the hub's diagnostics."""
    entry = await setup_hub(hass)
    device = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={("other_integration", "x"), (DOMAIN, "gone")},
    )

    diagnostics = await get_diagnostics_for_device(hass, hass_client, entry, device)

    assert set(diagnostics) == {"hub"}
    assert diagnostics["hub"]["controllers_known"] == 0
