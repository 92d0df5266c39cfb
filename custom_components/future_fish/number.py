"""Numbers: settings of a pond that the controller does not know, and alarm limits."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfArea,
    UnitOfLength,
    UnitOfMass,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .actions import MAX_FEED_GRAMS
from .alarms import CONTROLLER_QUANTITIES, POND_QUANTITIES, Bound, Quantity, limit_key
from .coordinator import FutureFishConfigEntry
from .entity import (
    FutureFishEntity,
    FutureFishEntityDescription,
    async_setup_device_entities,
)
from .husbandry import Husbandry
from .models import (
    DRAIN_TARGET,
    FEED_AMOUNT,
    FEEDING_RATE,
    FILL_TARGET,
    GEOMETRY_RANGE,
    POND_DEFAULTS,
    SENSOR_HEIGHT,
    STOCK,
    SURFACE_AREA,
    TANK_DEPTH,
    PondState,
)
from .protocol import PLAUSIBLE_RANGES, Reading
from .stock import Stock

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class PondSettingDescription(NumberEntityDescription, FutureFishEntityDescription):
    """A pond setting, with the value that applies until the user sets one.

    Settings belong to Home Assistant, not to the controller, so they can be changed
    while it is offline.
    """

    default: float | None = None
    available_offline: bool = True


GEOMETRY_NUMBERS: Final[tuple[PondSettingDescription, ...]] = tuple(
    PondSettingDescription(
        key=key,
        translation_key=key,
        device_class=NumberDeviceClass.DISTANCE,
        native_unit_of_measurement=UnitOfLength.CENTIMETERS,
        native_min_value=GEOMETRY_RANGE.minimum,
        native_max_value=GEOMETRY_RANGE.maximum,
        native_step=GEOMETRY_RANGE.step,
        mode=NumberMode.BOX,
        entity_category=EntityCategory.CONFIG,
    )
    for key in (SENSOR_HEIGHT, TANK_DEPTH)
)
# What the pond's buttons send. The defaults are those of the deployed system, and
# they are what the buttons use until the user sets a value; the actions take any
# amount or level, so few users ever change these: disabled by default.
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
        entity_registry_enabled_default=False,
        default=POND_DEFAULTS[FEED_AMOUNT],
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
            entity_registry_enabled_default=False,
            default=POND_DEFAULTS[key],
        )
        for key in (FILL_TARGET, DRAIN_TARGET)
    ),
)
# Set once per pond: disabled until the user wants them (docs/feeding.md).
SURFACE_AREA_NUMBER: Final = PondSettingDescription(
    key=SURFACE_AREA,
    translation_key=SURFACE_AREA,
    device_class=NumberDeviceClass.AREA,
    native_unit_of_measurement=UnitOfArea.SQUARE_METERS,
    native_min_value=0.1,
    native_max_value=1_000_000,
    native_step=0.1,
    mode=NumberMode.BOX,
    entity_category=EntityCategory.CONFIG,
    entity_registry_enabled_default=False,
)
POND_NUMBERS: Final = (*GEOMETRY_NUMBERS, *COMMAND_NUMBERS, SURFACE_AREA_NUMBER)
# The pond's own rate, % body weight a day: unknown (the sourced rate applies) until
# set, and unset again with the `clear_limit` action.
FEEDING_RATE_NUMBER: Final = PondSettingDescription(
    key=FEEDING_RATE,
    translation_key=FEEDING_RATE,
    native_unit_of_measurement=PERCENTAGE,
    native_min_value=0,
    native_max_value=50,
    native_step=0.01,
    mode=NumberMode.BOX,
    entity_category=EntityCategory.CONFIG,
    entity_registry_enabled_default=False,
)


@dataclass(frozen=True, kw_only=True)
class StockNumberDescription(NumberEntityDescription, FutureFishEntityDescription):
    """A figure of the pond's stock, corrected by hand (see husbandry.py)."""

    available_offline: bool = True
    watched: tuple[str, ...] | None = (STOCK,)
    entity_category: EntityCategory | None = EntityCategory.CONFIG
    entity_registry_enabled_default: bool = False
    mode: NumberMode = NumberMode.BOX
    value_fn: Callable[[Stock], float]
    correct_fn: Callable[[Husbandry, PondState, float], None]


STOCK_NUMBERS: Final[tuple[StockNumberDescription, ...]] = (
    StockNumberDescription(
        key="fish_count",
        translation_key="fish_count",
        native_min_value=0,
        native_max_value=100_000_000,
        native_step=1,
        value_fn=lambda stock: stock.count,
        correct_fn=lambda husbandry, pond, value: husbandry.async_correct(
            pond, count=round(value)
        ),
    ),
    StockNumberDescription(
        key="average_weight",
        translation_key="average_weight",
        device_class=NumberDeviceClass.WEIGHT,
        native_unit_of_measurement=UnitOfMass.GRAMS,
        native_min_value=0.01,
        native_max_value=100_000,
        native_step=0.01,
        value_fn=lambda stock: stock.average_weight,
        correct_fn=lambda husbandry, pond, value: husbandry.async_correct(
            pond, average_weight=value
        ),
    ),
)


@dataclass(frozen=True, kw_only=True)
class LimitDescription(NumberEntityDescription, FutureFishEntityDescription):
    """The lower or upper limit of a monitored quantity.

    Kept by Home Assistant, so it can be changed while the controller is offline.
    """

    available_offline: bool = True

    reading: Reading
    bound: Bound


# Device classes let Home Assistant convert temperatures for the user's unit system.
_LIMIT_DEVICE_CLASSES: Final = {
    Reading.TEMPERATURE: NumberDeviceClass.TEMPERATURE,
    Reading.PH: NumberDeviceClass.PH,
    Reading.BATTERY: NumberDeviceClass.BATTERY,
}


def _limit_numbers(quantities: tuple[Quantity, ...]) -> tuple[LimitDescription, ...]:
    """Return both limits of each quantity, within the range its readings may have.

    Disabled by default: a species profile sets the limits that matter, and the
    `future_fish.set_limit` action sets or clears any limit of a controller or pond
    without its entity. Twenty numbers per controller would otherwise cost a quarter
    of its entities, and Home Assistant allows 10,000 enabled ones per hub.
    """
    return tuple(
        LimitDescription(
            key=limit_key(quantity.reading, bound),
            translation_key=limit_key(quantity.reading, bound),
            reading=quantity.reading,
            bound=bound,
            device_class=_LIMIT_DEVICE_CLASSES.get(quantity.reading),
            native_unit_of_measurement=quantity.unit,
            native_min_value=PLAUSIBLE_RANGES[quantity.reading].minimum or 0,
            native_max_value=PLAUSIBLE_RANGES[quantity.reading].maximum or 0,
            native_step=quantity.step,
            mode=NumberMode.BOX,
            entity_category=EntityCategory.CONFIG,
            entity_registry_enabled_default=False,
        )
        for quantity in quantities
        for bound in Bound
    )


CONTROLLER_LIMIT_NUMBERS: Final = _limit_numbers(CONTROLLER_QUANTITIES)
POND_LIMIT_NUMBERS: Final = _limit_numbers(POND_QUANTITIES)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FutureFishConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the pond settings and the alarm limits of every controller and pond."""
    async_setup_device_entities(
        entry,
        async_add_entities,
        FutureFishPondSetting,
        (),
        POND_NUMBERS,
    )
    async_setup_device_entities(
        entry, async_add_entities, FutureFishFeedingRate, (), (FEEDING_RATE_NUMBER,)
    )
    async_setup_device_entities(
        entry, async_add_entities, FutureFishStockNumber, (), STOCK_NUMBERS
    )
    async_setup_device_entities(
        entry,
        async_add_entities,
        FutureFishLimit,
        CONTROLLER_LIMIT_NUMBERS,
        POND_LIMIT_NUMBERS,
    )


class FutureFishPondSetting(FutureFishEntity, NumberEntity):
    """A pond setting kept by Home Assistant, such as the ultrasonic sensor's height."""

    entity_description: PondSettingDescription
    pond: PondState

    @property
    def native_value(self) -> float | None:
        """Return the setting, its default, or None while a geometry is unset."""
        value: float | None = self.pond.values.get(self.entity_description.key)
        return self.entity_description.default if value is None else value

    async def async_set_native_value(self, value: float) -> None:
        """Change the setting; impossible geometry raises a translated error."""
        self.hub.async_set_pond_settings(
            self.pond, {self.entity_description.key: value}
        )


class FutureFishFeedingRate(FutureFishPondSetting):
    """The pond's own feeding rate, which `clear_limit` unsets."""

    @callback
    def async_clear_limit(self) -> None:
        """Unset the rate: the sourced one applies again."""
        self.hub.async_set_pond_settings(self.pond, {FEEDING_RATE: None})


class FutureFishStockNumber(FutureFishEntity, NumberEntity):
    """The number of fish or their average weight; unknown until stocked."""

    entity_description: StockNumberDescription
    pond: PondState

    @property
    def native_value(self) -> float | None:
        """Return the figure of the pond's stock."""
        stock = self.pond.stock
        return None if stock is None else self.entity_description.value_fn(stock)

    async def async_set_native_value(self, value: float) -> None:
        """Correct the stock; an unstocked pond is stocked with `restock` first."""
        self.entity_description.correct_fn(self.hub.husbandry, self.pond, value)


class FutureFishLimit(FutureFishEntity, NumberEntity):
    """A lower or upper alarm limit; unknown while unset."""

    entity_description: LimitDescription

    @property
    def native_value(self) -> float | None:
        """Return the limit, None while it is unset."""
        value: float | None = self.observed.values.get(self.entity_description.key)
        return value

    async def async_set_native_value(self, value: float) -> None:
        """Change the limit; a lower limit not below the upper one raises."""
        self._async_change(value)

    @callback
    def async_clear_limit(self) -> None:
        """Unset the limit: nothing to compare this side of the reading with."""
        self._async_change(None)

    @callback
    def _async_change(self, value: float | None) -> None:
        description = self.entity_description
        self.hub.thresholds.async_set_limit(
            self.pond or self.controller, description.reading, description.bound, value
        )
