"""Numbers: settings of a pond that the controller does not know."""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfLength, UnitOfMass
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .actions import MAX_FEED_GRAMS
from .coordinator import FutureFishConfigEntry
from .entity import FutureFishEntity, async_setup_device_entities
from .models import (
    DRAIN_TARGET,
    FEED_AMOUNT,
    FILL_TARGET,
    SENSOR_HEIGHT,
    TANK_DEPTH,
    PondState,
)

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class PondSettingDescription(NumberEntityDescription):
    """A pond setting, with the value that applies until the user sets one."""

    default: float | None = None


GEOMETRY_NUMBERS: Final[tuple[PondSettingDescription, ...]] = tuple(
    PondSettingDescription(
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
# What the pond's buttons send. The defaults are those of the deployed system, and
# they are what the buttons use until the user sets a value.
COMMAND_NUMBERS: Final[tuple[PondSettingDescription, ...]] = (
    PondSettingDescription(
        key=FEED_AMOUNT,
        translation_key=FEED_AMOUNT,
        device_class=NumberDeviceClass.WEIGHT,
        native_unit_of_measurement=UnitOfMass.GRAMS,
        native_min_value=1,
        native_max_value=MAX_FEED_GRAMS,
        native_step=1,
        mode=NumberMode.BOX,
        entity_category=EntityCategory.CONFIG,
        default=100.0,
    ),
    *(
        PondSettingDescription(
            key=key,
            translation_key=key,
            native_unit_of_measurement=PERCENTAGE,
            native_min_value=0,
            native_max_value=100,
            native_step=1,
            mode=NumberMode.SLIDER,
            entity_category=EntityCategory.CONFIG,
            default=default,
        )
        for key, default in ((FILL_TARGET, 80.0), (DRAIN_TARGET, 20.0))
    ),
)
POND_NUMBERS: Final = GEOMETRY_NUMBERS + COMMAND_NUMBERS
DEFAULTS: Final[dict[str, float]] = {
    description.key: description.default
    for description in POND_NUMBERS
    if description.default is not None
}


def pond_setting(pond: PondState, key: str) -> float:
    """Return a pond's command setting: what the user set, or its default."""
    value: float | None = pond.values.get(key)
    return DEFAULTS[key] if value is None else value


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FutureFishConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the geometry and command settings of every pond."""
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

    entity_description: PondSettingDescription

    @property
    def native_value(self) -> float | None:
        """Return the setting, its default, or None while a geometry is unset."""
        value: float | None = self.observed_value
        return self.entity_description.default if value is None else value

    async def async_set_native_value(self, value: float) -> None:
        """Change the setting; impossible geometry raises a translated error."""
        if TYPE_CHECKING:
            assert self.pond is not None
        self.hub.async_set_pond_setting(self.pond, self.entity_description.key, value)
