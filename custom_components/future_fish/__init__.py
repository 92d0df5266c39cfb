"""The Future Fish integration: pond controllers over Home Assistant's MQTT."""

from homeassistant.components import mqtt
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import ConfigType

from .const import DOMAIN
from .coordinator import FutureFishConfigEntry, FutureFishHub
from .services import async_setup_services

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:  # noqa: ARG001
    """Register the actions once, so they validate even with no hub loaded."""
    async_setup_services(hass)
    return True


PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.UPDATE,
    Platform.VALVE,
]


async def async_setup_entry(hass: HomeAssistant, entry: FutureFishConfigEntry) -> bool:
    """Set up a Future Fish hub for one topic prefix."""
    if not await mqtt.async_wait_for_mqtt_client(hass):
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN, translation_key="mqtt_not_available"
        )
    hub = FutureFishHub(hass, entry)
    await hub.async_load()
    entry.runtime_data = hub
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # Subscribe only once every platform listens for new devices, so the first
    # messages already create entities.
    await hub.async_start()
    return True


async def async_unload_entry(hass: HomeAssistant, entry: FutureFishConfigEntry) -> bool:
    """Unload a hub, releasing every subscription and timer."""
    # Stop listening first so no message creates entities while platforms unload.
    await entry.runtime_data.async_stop()
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: FutureFishConfigEntry) -> None:
    """Delete what the hub stored when its config entry is deleted."""
    await FutureFishHub(hass, entry).async_remove_storage()


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: FutureFishConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete a controller or pond that is offline."""
    return entry.runtime_data.devices.async_remove(device)
