"""Set-up, unload, restart and device life cycle of a Future Fish hub."""

from collections import Counter

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import MATCH_ALL, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events
from pytest_homeassistant_custom_component.typing import (
    MqttMockHAClient,
    WebSocketGenerator,
)

from custom_components.future_fish.const import DOMAIN

from .common import (
    DEVICE_ID,
    MAC,
    OTHER_MAC,
    STARTUP,
    make_entry,
    report,
    send,
    setup_hub,
    tick,
)

WATER_TEMPERATURE = "sensor.pond_controller_4134_water_temperature"


def subscriptions(hass: HomeAssistant) -> Counter[str]:
    """Return how often each topic is subscribed on the real MQTT client.

    Home Assistant's MQTT discovery of the manifest's topic counts too: compare with
    what was subscribed before the hub was set up.
    """
    # The mqtt_mock fixture wraps the real client; its subscription table is real.
    client = hass.data[mqtt.DATA_MQTT].client._mock_wraps
    return Counter(subscription.topic for subscription in client.subscriptions)


async def test_subscribes_once_per_message_kind(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A handful of wildcards serve every controller; controllers add none."""
    before = subscriptions(hass)
    await setup_hub(hass)
    expected = Counter(
        f"ff/+/{kind}"
        for kind in (
            "startup",
            "heartbeat",
            "sensors",
            "status",
            "ack",
            "complete",
            "threshold",
        )
    )
    assert subscriptions(hass) - before == expected

    for device in (MAC, OTHER_MAC, "EC:E3:34:00:00:01"):
        await report(hass, device)

    assert subscriptions(hass) - before == expected
    assert len(hass.states.async_entity_ids("sensor")) > 3 * 5


async def test_controller_and_pond_devices(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, device_registry: dr.DeviceRegistry
) -> None:
    """Each controller and each pond it reports becomes a device."""
    entry = await setup_hub(hass)
    await report(hass)

    controller = device_registry.async_get_device_by_identifier(
        (DOMAIN, DEVICE_ID), entry.entry_id
    )
    assert controller is not None
    assert controller.name == "Pond controller 4134"
    assert controller.manufacturer == "Future Fish"
    assert controller.model == "ESP32-WROOM-32"
    assert controller.sw_version == "1.0.0"
    assert controller.connections == {(dr.CONNECTION_NETWORK_MAC, DEVICE_ID)}
    ponds = [
        device_registry.async_get_device_by_identifier(
            (DOMAIN, f"{DEVICE_ID}_pond{n}"), entry.entry_id
        )
        for n in (1, 2)
    ]
    assert [pond.name for pond in ponds if pond] == ["Pond 1", "Pond 2"]
    assert all(pond and pond.via_device_id == controller.id for pond in ponds)
    assert len(dr.async_entries_for_config_entry(device_registry, entry.entry_id)) == 3


async def test_device_follows_identity_changes(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, device_registry: dr.DeviceRegistry
) -> None:
    """A name set on the controller and a new firmware reach the device registry."""
    entry = await setup_hub(hass)
    await report(hass)
    send(
        hass,
        "startup",
        {**STARTUP, "device_name": "North pond", "firmware_version": "1.1.0"},
    )
    await hass.async_block_till_done()

    controller = device_registry.async_get_device_by_identifier(
        (DOMAIN, DEVICE_ID), entry.entry_id
    )
    assert controller is not None
    assert (controller.name, controller.sw_version) == ("North pond", "1.1.0")
    pond = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"{DEVICE_ID}_pond1"), entry.entry_id
    )
    assert pond is not None
    assert pond.name == "North pond pond 1"


async def test_camera_units_use_their_device_type(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, device_registry: dr.DeviceRegistry
) -> None:
    """A unit that reports only its type is modelled by it; other ids keep their name."""
    entry = await setup_hub(hass)
    send(hass, "heartbeat", {"device_type": "camera"}, device="cam-7")
    await hass.async_block_till_done()

    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, "cam-7"), entry.entry_id
    )
    assert device is not None
    assert (device.model, device.name, device.connections) == (
        "camera",
        "Pond controller cam-7",
        set(),
    )


async def test_mqtt_not_available_retries(hass: HomeAssistant) -> None:
    """Without the MQTT integration the hub waits and retries."""
    entry = make_entry()
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_unload_leaves_nothing_behind(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Unload releases every subscription and timer; a reload works again.

    The controller's heartbeat timeout passes after the unload, and nothing
    happens: no controller goes offline, no event fires, nothing is logged.
    """
    before = subscriptions(hass)
    entry = await setup_hub(hass)
    await report(hass)
    assert subscriptions(hass) - before

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert subscriptions(hass) == before
    assert hass.states.get(WATER_TEMPERATURE).state == STATE_UNAVAILABLE
    events = async_capture_events(hass, MATCH_ALL)
    caplog.clear()
    await tick(hass, freezer, 3600)
    await hass.async_block_till_done()
    assert events == []
    assert [
        record
        for record in caplog.records
        if record.name.startswith("custom_components.future_fish")
    ] == []

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await report(hass)
    assert hass.states.get(WATER_TEMPERATURE).state == "26.4"


async def test_known_controllers_return_after_restart(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Controllers, ponds and pond settings come back; readings heard just now too.

    (Controllers silent for longer than the timeout: see test_restore.py.)
    """
    entry = await setup_hub(hass)
    await report(hass)
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": "number.pond_1_sensor_height", "value": 150},
        blocking=True,
    )
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()

    assert hass.states.get(WATER_TEMPERATURE).state == "26.4"
    assert hass.states.get("sensor.pond_2_feed_level").state == "64"
    assert hass.states.get("number.pond_1_sensor_height").state == "150.0"


async def test_remove_stale_controller(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """An offline controller can be deleted; an online one would come right back."""
    assert await async_setup_component(hass, "config", {})
    entry = await setup_hub(hass)
    await report(hass)
    controller = device_registry.async_get_device_by_identifier(
        (DOMAIN, DEVICE_ID), entry.entry_id
    )
    pond = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"{DEVICE_ID}_pond2"), entry.entry_id
    )
    assert controller and pond
    client = await hass_ws_client(hass)

    response = await client.remove_device(controller.id)
    assert not response["success"]

    send(hass, "status", "offline")
    await hass.async_block_till_done()
    response = await client.remove_device(pond.id)
    assert response["success"]
    response = await client.remove_device(controller.id)
    assert response["success"]
    assert device_registry.async_get(controller.id) is None
    assert entity_registry.async_get(WATER_TEMPERATURE) is None
