"""Sensors: water quality and diagnostics of controllers, levels of ponds."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
    EntityCategory,
    Platform,
    UnitOfInformation,
    UnitOfLength,
    UnitOfMass,
    UnitOfTemperature,
    UnitOfTime,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .ammonia import UNIONISED_AMMONIA, AmmoniaReading
from .commands import Command, CommandState
from .const import UNIT_MILLIGRAMS_PER_LITER, UNIT_NTU
from .coordinator import FutureFishConfigEntry, FutureFishHub
from .entity import (
    FutureFishEntity,
    FutureFishEntityDescription,
    async_setup_device_entities,
)
from .husbandry import pond_density
from .models import (
    DAWN_OXYGEN,
    DAYS_SINCE_STOCKING,
    FEED_GIVEN_TODAY,
    FEEDING_ADVICE,
    FEEDINGS_TODAY,
    FREE_HEAP,
    IP_ADDRESS,
    LAST_COMMAND,
    LAST_SEEN,
    STOCK,
    SURFACE_AREA,
    TANK_DEPTH,
    ControllerState,
    FeedingAdvice,
    Observable,
    PondState,
)
from .protocol import Reading
from .stock import Stock

# Every update is pushed by the hub; there is nothing to poll or to throttle.
PARALLEL_UPDATES = 0

type SensorValue = StateType | datetime


@dataclass(frozen=True, kw_only=True)
class FutureFishSensorDescription[StateT: Observable](
    SensorEntityDescription, FutureFishEntityDescription
):
    """A sensor of a controller or a pond (`StateT`), and how it reads its value."""

    value_fn: Callable[[FutureFishHub, StateT], SensorValue]
    attributes_fn: Callable[[FutureFishHub, StateT], Mapping[str, Any] | None] = (
        lambda *_: None
    )
    # A unit that depends on the state; the description's own when None.
    unit_fn: Callable[[StateT], str | None] | None = None


def _value(key: str) -> Callable[[FutureFishHub, Observable], SensorValue]:
    """Return the function that reads a reported value, None until one arrived."""

    def read(_: FutureFishHub, state: Observable) -> SensorValue:
        value: SensorValue = state.values.get(key)
        return value

    return read


CONTROLLER_SENSORS: Final[tuple[FutureFishSensorDescription[ControllerState], ...]] = (
    FutureFishSensorDescription(
        key=Reading.TEMPERATURE,
        translation_key="water_temperature",
        device_class=SensorDeviceClass.TEMPERATURE,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=_value(Reading.TEMPERATURE),
    ),
    FutureFishSensorDescription(
        key=Reading.DISSOLVED_OXYGEN,
        translation_key="dissolved_oxygen",
        native_unit_of_measurement=UNIT_MILLIGRAMS_PER_LITER,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=_value(Reading.DISSOLVED_OXYGEN),
    ),
    FutureFishSensorDescription(
        key=Reading.PH,
        translation_key="ph",
        device_class=SensorDeviceClass.PH,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        value_fn=_value(Reading.PH),
    ),
    FutureFishSensorDescription(
        key=Reading.TURBIDITY,
        translation_key="turbidity",
        native_unit_of_measurement=UNIT_NTU,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=_value(Reading.TURBIDITY),
    ),
    FutureFishSensorDescription(
        key=Reading.AMMONIA,
        translation_key="ammonia",
        native_unit_of_measurement=UNIT_MILLIGRAMS_PER_LITER,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        value_fn=_value(Reading.AMMONIA),
    ),
    FutureFishSensorDescription(
        key=Reading.BATTERY,
        translation_key="battery",
        device_class=SensorDeviceClass.BATTERY,
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        suggested_display_precision=0,
        value_fn=_value(Reading.BATTERY),
    ),
    FutureFishSensorDescription(
        key=Reading.SIGNAL,
        translation_key="wifi_signal",
        device_class=SensorDeviceClass.SIGNAL_STRENGTH,
        native_unit_of_measurement=SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=_value(Reading.SIGNAL),
    ),
    FutureFishSensorDescription(
        key=FREE_HEAP,
        translation_key="free_memory",
        device_class=SensorDeviceClass.DATA_SIZE,
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_unit_of_measurement=UnitOfInformation.KIBIBYTES,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        suggested_display_precision=0,
        value_fn=_value(FREE_HEAP),
    ),
    # Needed to find a controller on the network, rarely: in the diagnostics too.
    FutureFishSensorDescription(
        key=IP_ADDRESS,
        translation_key="ip_address",
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda _, controller: controller.ip_address,
    ),
    FutureFishSensorDescription(
        key=LAST_SEEN,
        translation_key="last_seen",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda _, controller: controller.last_seen,
    ),
)


def _distance_until_geometry(
    _: FutureFishHub, pond: PondState
) -> Mapping[str, Any] | None:
    """Return the measured distance while the level cannot be computed from it."""
    distance = pond.values.get(Reading.WATER_DISTANCE)
    if pond.geometry is not None or distance is None:
        return None
    return {Reading.WATER_DISTANCE.value: distance}


POND_SENSORS: Final[tuple[FutureFishSensorDescription[PondState], ...]] = (
    # Unknown until the pond's geometry is set, with the distance (cm) until then:
    # the Distance to water sensor is disabled by default.
    FutureFishSensorDescription(
        key=Reading.WATER_LEVEL,
        translation_key="water_level",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        watched=(Reading.WATER_LEVEL, Reading.WATER_DISTANCE),
        value_fn=_value(Reading.WATER_LEVEL),
        attributes_fn=_distance_until_geometry,
    ),
    FutureFishSensorDescription(
        key=Reading.WATER_DISTANCE,
        translation_key="water_distance",
        device_class=SensorDeviceClass.DISTANCE,
        native_unit_of_measurement=UnitOfLength.CENTIMETERS,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        # The Water level shows it until the pond's geometry is set.
        entity_registry_enabled_default=False,
        suggested_display_precision=0,
        value_fn=_value(Reading.WATER_DISTANCE),
    ),
    FutureFishSensorDescription(
        key=Reading.FEED_LEVEL,
        translation_key="feed_level",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=_value(Reading.FEED_LEVEL),
    ),
    # Totals that start again at midnight: Home Assistant's statistics take the drop
    # to 0 as the start of a new cycle. Counted from commands Home Assistant saw
    # completed, so they stay available while the controller is offline.
    FutureFishSensorDescription(
        key=FEED_GIVEN_TODAY,
        translation_key=FEED_GIVEN_TODAY,
        device_class=SensorDeviceClass.WEIGHT,
        native_unit_of_measurement=UnitOfMass.GRAMS,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=0,
        available_offline=True,
        value_fn=lambda _, pond: pond.feed_given_today,
    ),
    FutureFishSensorDescription(
        key=FEEDINGS_TODAY,
        translation_key=FEEDINGS_TODAY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        # Feed given today says what matters; the logbook lists every feed.
        entity_registry_enabled_default=False,
        available_offline=True,
        value_fn=lambda _, pond: pond.feedings_today,
    ),
)


# Unit of the recommended daily feed: Home Assistant has no mass-per-day unit.
UNIT_GRAMS_PER_DAY: Final = "g/d"


def _source(source: object | None) -> str | None:
    return None if source is None else str(source)


def _ration_attributes(_: FutureFishHub, pond: PondState) -> Mapping[str, Any] | None:
    """Return what the ration rests on: the rate, its source and mark, the rules."""
    if (advice := pond.feeding_advice) is None:
        return None
    rate = advice.rate
    return {
        "species": pond.fish_species.value,
        "rate": rate.rate,
        "rate_range": None if rate.rate_range is None else list(rate.rate_range),
        "rate_source": "own" if rate.overridden else _source(rate.rate_source),
        "feedings_per_day": rate.feedings_per_day,
        "feedings_source": _source(rate.feedings_source),
        "temperature_rule": rate.temperature_rule.value,
        "temperature_source": _source(rate.temperature_source),
        "days_between_feedings": rate.days_between_feedings,
        "no_rate": None if rate.no_rate is None else rate.no_rate.value,
    }


def _portion_attributes(_: FutureFishHub, pond: PondState) -> Mapping[str, Any] | None:
    """Return what the portion is worked out from, for schedules that top it up."""
    if (advice := pond.feeding_advice) is None:
        return None
    return {
        "daily_ration": advice.ration,
        "feedings_per_day": advice.rate.feedings_per_day,
        "given_today": pond.feed_given_today,
    }


def _stock_value(
    read: Callable[[Stock], SensorValue],
) -> Callable[[FutureFishHub, PondState], SensorValue]:
    """Return the function that reads a figure of the pond's stock, None unstocked."""

    def value(_: FutureFishHub, pond: PondState) -> SensorValue:
        return None if pond.stock is None else read(pond.stock)

    return value


def _advice_value(
    read: Callable[[FeedingAdvice], SensorValue],
) -> Callable[[FutureFishHub, PondState], SensorValue]:
    """Return the function that reads the pond's feeding advice, None without one."""

    def value(_: FutureFishHub, pond: PondState) -> SensorValue:
        advice = pond.feeding_advice
        return None if advice is None else read(advice)

    return value


# What the pond's stock and the feeding tables recommend. The stock is Home
# Assistant's and stays shown offline; the ration follows the water temperature.
FEEDING_SENSORS: Final[tuple[FutureFishSensorDescription[PondState], ...]] = (
    FutureFishSensorDescription(
        key="recommended_daily_feed",
        translation_key="recommended_daily_feed",
        native_unit_of_measurement=UNIT_GRAMS_PER_DAY,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        watched=(FEEDING_ADVICE,),
        value_fn=_advice_value(lambda advice: advice.ration),
        attributes_fn=_ration_attributes,
    ),
    FutureFishSensorDescription(
        key="recommended_portion",
        translation_key="recommended_portion",
        device_class=SensorDeviceClass.WEIGHT,
        native_unit_of_measurement=UnitOfMass.GRAMS,
        suggested_display_precision=0,
        watched=(FEEDING_ADVICE,),
        value_fn=_advice_value(lambda advice: advice.portion),
        attributes_fn=_portion_attributes,
    ),
    FutureFishSensorDescription(
        key="biomass",
        translation_key="biomass",
        device_class=SensorDeviceClass.WEIGHT,
        native_unit_of_measurement=UnitOfMass.KILOGRAMS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        available_offline=True,
        watched=(STOCK,),
        value_fn=_stock_value(lambda stock: stock.biomass),
        attributes_fn=lambda _, pond: (
            None
            if (stock := pond.stock) is None
            else {"fish": stock.count, "average_weight": stock.average_weight}
        ),
    ),
    FutureFishSensorDescription(
        key="feed_conversion_ratio",
        translation_key="feed_conversion_ratio",
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        available_offline=True,
        watched=(STOCK,),
        value_fn=_stock_value(lambda stock: stock.fcr),
        attributes_fn=lambda _, pond: (
            None
            if (stock := pond.stock) is None
            else {
                "gained": stock.gained_kg,
                "harvested": stock.harvested_kg,
                "dead": stock.dead_kg,
            }
        ),
    ),
    # For long-term statistics; a new stocking of an empty pond starts a new cycle.
    FutureFishSensorDescription(
        key="feed_since_stocking",
        translation_key="feed_since_stocking",
        device_class=SensorDeviceClass.WEIGHT,
        native_unit_of_measurement=UnitOfMass.KILOGRAMS,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=1,
        available_offline=True,
        entity_registry_enabled_default=False,
        watched=(STOCK,),
        value_fn=_stock_value(lambda stock: stock.feed_kg),
    ),
    # kg/m³ with the pond's volume, fish/m² with only its surface: no statistics,
    # as the unit changes when the tank depth is set.
    FutureFishSensorDescription(
        key="stocking_density",
        translation_key="stocking_density",
        suggested_display_precision=2,
        available_offline=True,
        entity_registry_enabled_default=False,
        watched=(STOCK, SURFACE_AREA, TANK_DEPTH),
        value_fn=lambda _, pond: (
            None if (density := pond_density(pond)) is None else density.value
        ),
        unit_fn=lambda pond: (
            None if (density := pond_density(pond)) is None else density.unit.value
        ),
    ),
    FutureFishSensorDescription(
        key=DAYS_SINCE_STOCKING,
        translation_key=DAYS_SINCE_STOCKING,
        native_unit_of_measurement=UnitOfTime.DAYS,
        available_offline=True,
        entity_registry_enabled_default=False,
        value_fn=lambda _, pond: pond.days_since_stocking,
    ),
)


# Only where the controllers report TAN: with NH3-N it would repeat the Ammonia sensor.
UNIONISED_AMMONIA_SENSOR: Final = FutureFishSensorDescription[ControllerState](
    key=UNIONISED_AMMONIA,
    translation_key=UNIONISED_AMMONIA,
    native_unit_of_measurement=UNIT_MILLIGRAMS_PER_LITER,
    state_class=SensorStateClass.MEASUREMENT,
    # Harmful levels start at about 0.01 mg/L (rainbow trout).
    suggested_display_precision=3,
    value_fn=_value(UNIONISED_AMMONIA),
)


def _last_command_attributes(
    hub: FutureFishHub, controller: ControllerState
) -> Mapping[str, Any] | None:
    command: Command | None = hub.commands.last_command(controller)
    if command is None:
        return None
    return {
        "command_type": command.command_type.value,
        "pond": command.pond,
        "command_id": command.command_id,
        "attempts": command.attempts,
        "ms_to_ack": command.ms_to_ack,
        "ms_to_complete": command.ms_to_complete,
        "message": command.message,
        "error_code": command.error_code,
    }


def _dawn_attributes(
    _: FutureFishHub, controller: ControllerState
) -> Mapping[str, Any] | None:
    if (forecast := controller.dawn_oxygen) is None:
        return None
    return {
        "sunrise": forecast.sunrise,
        "readings_used": forecast.readings,
        "decline_rate": forecast.decline_rate,
    }


# What Home Assistant itself saw of the controller's commands, and what it expects at
# dawn: the command sensors stay available while the controller is offline, when a
# timed-out command is exactly what one wants to see.
DERIVED_SENSORS: Final[tuple[FutureFishSensorDescription[ControllerState], ...]] = (
    FutureFishSensorDescription(
        key=LAST_COMMAND,
        translation_key=LAST_COMMAND,
        device_class=SensorDeviceClass.ENUM,
        options=[state.value for state in CommandState],
        entity_category=EntityCategory.DIAGNOSTIC,
        available_offline=True,
        value_fn=lambda hub, controller: (
            None
            if (command := hub.commands.last_command(controller)) is None
            else command.state.value
        ),
        attributes_fn=_last_command_attributes,
    ),
    FutureFishSensorDescription(
        key="command_success_rate",
        translation_key="command_success_rate",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        # Last command shows each outcome; the rate is for judging a link over time.
        entity_registry_enabled_default=False,
        suggested_display_precision=0,
        available_offline=True,
        # The tracker tells about every command state change under this key.
        watched=(LAST_COMMAND,),
        value_fn=lambda hub, controller: hub.commands.success_rate(controller),
    ),
    # Unknown by day and until the night's readings say enough (see dawn.py).
    FutureFishSensorDescription(
        key=DAWN_OXYGEN,
        translation_key=DAWN_OXYGEN,
        native_unit_of_measurement=UNIT_MILLIGRAMS_PER_LITER,
        suggested_display_precision=1,
        value_fn=lambda _, controller: (
            None if (forecast := controller.dawn_oxygen) is None else forecast.value
        ),
        attributes_fn=_dawn_attributes,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FutureFishConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add sensors for every controller and pond, now and as they appear."""
    derived: tuple[FutureFishSensorDescription[ControllerState], ...] = (
        UNIONISED_AMMONIA_SENSOR,
    )
    if entry.runtime_data.settings.ammonia_reading is AmmoniaReading.NH3_N:
        derived = ()
        _async_remove_unionised_ammonia(hass, entry)
    async_setup_device_entities(
        entry,
        async_add_entities,
        FutureFishSensor,
        (*CONTROLLER_SENSORS, *derived, *DERIVED_SENSORS),
        (*POND_SENSORS, *FEEDING_SENSORS),
    )


@callback
def _async_remove_unionised_ammonia(
    hass: HomeAssistant, entry: FutureFishConfigEntry
) -> None:
    """Delete the Un-ionised ammonia sensors left from when the option said TAN.

    Otherwise every controller would keep one that is no longer provided, for the
    user to delete by hand.
    """
    registry = er.async_get(hass)
    suffix = f"_{UNIONISED_AMMONIA}"
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        if entity.domain == Platform.SENSOR and entity.unique_id.endswith(suffix):
            registry.async_remove(entity.entity_id)


class FutureFishSensor(FutureFishEntity, SensorEntity):
    """A value a controller reports, one derived from it, or Home Assistant's own."""

    # It changes with every reading while the level cannot be computed: recorded, it
    # would cost an attributes row per reading; the Water distance sensor has its
    # history.
    _unrecorded_attributes = frozenset({Reading.WATER_DISTANCE.value})
    entity_description: FutureFishSensorDescription[Any]

    @property
    def native_value(self) -> SensorValue:
        """Return the value (None until one is known)."""
        return self.entity_description.value_fn(self.hub, self.observed)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Return the details of what the state shows, where there are any."""
        return self.entity_description.attributes_fn(self.hub, self.observed)

    @property
    def native_unit_of_measurement(self) -> str | None:
        """Return the unit: the description's, or the one the state calls for."""
        if (unit_fn := self.entity_description.unit_fn) is None:
            return super().native_unit_of_measurement
        return unit_fn(self.observed)
