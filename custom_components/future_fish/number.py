"""Numbers: settings of a pond that the controller does not know."""

from typing import TYPE_CHECKING, Final

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import EntityCategory, UnitOfLength
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import FutureFishConfigEntry
from .entity import FutureFishEntity, async_setup_device_entities
from .models import SENSOR_HEIGHT, TANK_DEPTH

PARALLEL_UPDATES = 0

POND_NUMBERS: Final[tuple[NumberEntityDescription, ...]] = tuple(
    NumberEntityDescription(
        key=key,
        translation_key=key,
        device_class=NumberDeviceClass.DISTANCE,
        native_unit_of_measurement=UnitOfLength.CENTIMETERS,
        native_min_value=1,
        native_max_value=1000,
        native_step=0.5,
        mode=NumberMode.BOX,
        entity_category=EntityCategory.CONFIG,
    )
    for key in (SENSOR_HEIGHT, TANK_DEPTH)
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FutureFishConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the geometry settings of every pond."""
    entry.async_on_unload(
        async_setup_device_entities(
            entry.runtime_data,
            async_add_entities,
            FutureFishPondSetting,
            (),
            POND_NUMBERS,
        )
    )


class FutureFishPondSetting(FutureFishEntity, NumberEntity):
    """A pond setting kept by Home Assistant, such as the ultrasonic sensor's height.

    Settings belong to Home Assistant, not to the controller, so they can be changed
    while it is offline.
    """

    @property
    def available(self) -> bool:
        """Return True: a setting never depends on the controller being online."""
        return True

    @property
    def native_value(self) -> float | None:
        """Return the setting, or None while it has not been set."""
        value: float | None = self.observed_value
        return value

    async def async_set_native_value(self, value: float) -> None:
        """Change the setting; impossible geometry raises a translated error."""
        if TYPE_CHECKING:
            assert self.pond is not None
        self.hub.async_set_pond_setting(self.pond, self.entity_description.key, value)
