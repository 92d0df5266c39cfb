"""Binary sensors: whether a controller is online."""

from typing import Final

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import FutureFishConfigEntry
from .entity import FutureFishEntity, async_setup_device_entities
from .models import AVAILABILITY

PARALLEL_UPDATES = 0

CONNECTIVITY: Final = BinarySensorEntityDescription(
    key=AVAILABILITY,
    translation_key="connectivity",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
    entity_category=EntityCategory.DIAGNOSTIC,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FutureFishConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a connectivity sensor for every controller."""
    entry.async_on_unload(
        async_setup_device_entities(
            entry.runtime_data,
            async_add_entities,
            FutureFishConnectivity,
            (CONNECTIVITY,),
            (),
        )
    )


class FutureFishConnectivity(FutureFishEntity, BinarySensorEntity):
    """On while the controller reports within the heartbeat timeout.

    Unlike the other entities it stays available while the controller is offline,
    since "offline" is exactly what it reports; only without the broker nothing can
    be known.
    """

    @property
    def available(self) -> bool:
        """Return whether the hub is connected to the broker."""
        return self.hub.connected

    @property
    def is_on(self) -> bool:
        """Return whether the controller is online."""
        return self.controller.online
