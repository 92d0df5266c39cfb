"""Binary sensors: whether a controller is online, whether its oxygen will crash."""

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
from .dawn import DAWN_OXYGEN, OXYGEN_LOWER_LIMIT, oxygen_lower_limit
from .entity import FutureFishEntity, async_setup_device_entities
from .forecast import Forecast
from .models import AVAILABILITY

PARALLEL_UPDATES = 0

CONNECTIVITY: Final = BinarySensorEntityDescription(
    key=AVAILABILITY,
    translation_key="connectivity",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
    entity_category=EntityCategory.DIAGNOSTIC,
)
OXYGEN_CRASH_EXPECTED: Final = BinarySensorEntityDescription(
    key="oxygen_crash_expected",
    translation_key="oxygen_crash_expected",
    device_class=BinarySensorDeviceClass.PROBLEM,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FutureFishConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a connectivity and an oxygen crash sensor for every controller."""
    for entity_class, description in (
        (FutureFishConnectivity, CONNECTIVITY),
        (FutureFishOxygenCrashExpected, OXYGEN_CRASH_EXPECTED),
    ):
        entry.async_on_unload(
            async_setup_device_entities(
                entry.runtime_data,
                async_add_entities,
                entity_class,
                (description,),
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


class FutureFishOxygenCrashExpected(FutureFishEntity, BinarySensorEntity):
    """On when the dawn forecast is below the dissolved-oxygen lower limit.

    Unknown while either is: by day, early in the night, or with no limit set.
    """

    @property
    def watched_keys(self) -> tuple[str, ...]:
        """Return the forecast and the limit it is compared with."""
        return (DAWN_OXYGEN, OXYGEN_LOWER_LIMIT)

    @property
    def is_on(self) -> bool | None:
        """Return whether oxygen is expected below the limit at sunrise."""
        forecast: Forecast | None = self.controller.values.get(DAWN_OXYGEN)
        limit = oxygen_lower_limit(self.controller)
        if forecast is None or limit is None:
            return None
        return forecast.value < limit
