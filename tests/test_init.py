"""Set-up, unload, restart and device life cycle of a Future Fish hub."""

from asyncio import TimerHandle

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HassJob, HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util.async_ import get_scheduled_timer_handles
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
)

WATER_TEMPERATURE = "sensor.pond_controller_4134_water_temperature"


def hub_subscriptions(hass: HomeAssistant, hub: object) -> set[str]:
    """Return the topics `hub` is subscribed to on the real MQTT client."""
    # The mqtt_mock fixture wraps the real client; its subscription table is real.
    client = hass.data[mqtt.DATA_MQTT].client._mock_wraps
    return {
        subscription.topic
        for subscription in client.subscriptions
        if getattr(subscription.job.target, "__self__", None) is hub
    }


def hub_timers(hass: HomeAssistant, hub: object) -> list[TimerHandle]:
    """Return the pending timers whose job belongs to `hub`."""
    return [
        handle
        for handle in get_scheduled_timer_handles(hass.loop)
        if not handle.cancelled()
        and any(
            isinstance(arg, HassJob) and getattr(arg.target, "__self__", None) is hub
            for arg in handle._args
        )
    ]


async def test_subscribes_once_per_message_kind(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A handful of wildcards serve every controller; controllers add none."""
    entry = await setup_hub(hass)
    expected = {
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
    }
    assert hub_subscriptions(hass, entry.runtime_data) == expected

    for device in (MAC, OTHER_MAC, "EC:E3:34:00:00:01"):
        await report(hass, device)

    assert hub_subscriptions(hass, entry.runtime_data) == expected
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
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Unload releases every subscription and timer; a reload works again."""
    entry = await setup_hub(hass)
    hub = entry.runtime_data
    await report(hass)
    assert hub_subscriptions(hass, hub)
    assert hub_timers(hass, hub.presence)

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert hub_subscriptions(hass, hub) == set()
    assert hub_timers(hass, hub.presence) == []
    assert hass.states.get(WATER_TEMPERATURE).state == STATE_UNAVAILABLE

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
    assert entry.runtime_data.controllers == {}
