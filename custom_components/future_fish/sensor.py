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
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .ammonia import UNIONISED_AMMONIA, AmmoniaReading
from .commands import Command, CommandState
from .const import UNIT_MILLIGRAMS_PER_LITER, UNIT_NTU
from .coordinator import FutureFishConfigEntry, FutureFishHub
from .dawn import DAWN_OXYGEN
from .entity import FutureFishEntity, async_setup_device_entities
from .feeding import FEED_GIVEN_TODAY, FEEDINGS_TODAY
from .forecast import Forecast
from .models import FREE_HEAP, IP_ADDRESS, LAST_COMMAND, LAST_SEEN, ControllerState
from .protocol import Reading

# Every update is pushed by the hub; there is nothing to poll or to throttle.
PARALLEL_UPDATES = 0

CONTROLLER_SENSORS: Final[tuple[SensorEntityDescription, ...]] = (
    SensorEntityDescription(
        key=Reading.TEMPERATURE,
        translation_key="water_temperature",
        device_class=SensorDeviceClass.TEMPERATURE,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
    ),
    SensorEntityDescription(
        key=Reading.DISSOLVED_OXYGEN,
        translation_key="dissolved_oxygen",
        native_unit_of_measurement=UNIT_MILLIGRAMS_PER_LITER,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
    ),
    SensorEntityDescription(
        key=Reading.PH,
        translation_key="ph",
        device_class=SensorDeviceClass.PH,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
    ),
    SensorEntityDescription(
        key=Reading.TURBIDITY,
        translation_key="turbidity",
        native_unit_of_measurement=UNIT_NTU,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
    ),
    SensorEntityDescription(
        key=Reading.AMMONIA,
        translation_key="ammonia",
        native_unit_of_measurement=UNIT_MILLIGRAMS_PER_LITER,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
    ),
    SensorEntityDescription(
        key=Reading.BATTERY,
        translation_key="battery",
        device_class=SensorDeviceClass.BATTERY,
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        suggested_display_precision=0,
    ),
    SensorEntityDescription(
        key=Reading.SIGNAL,
        translation_key="wifi_signal",
        device_class=SensorDeviceClass.SIGNAL_STRENGTH,
        native_unit_of_measurement=SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
    ),
    SensorEntityDescription(
        key=FREE_HEAP,
        translation_key="free_memory",
        device_class=SensorDeviceClass.DATA_SIZE,
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_unit_of_measurement=UnitOfInformation.KIBIBYTES,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        suggested_display_precision=0,
    ),
    SensorEntityDescription(
        key=IP_ADDRESS,
        translation_key="ip_address",
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    SensorEntityDescription(
        key=LAST_SEEN,
        translation_key="last_seen",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
    ),
)

POND_SENSORS: Final[tuple[SensorEntityDescription, ...]] = (
    SensorEntityDescription(
        key=Reading.WATER_LEVEL,
        translation_key="water_level",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
    ),
    SensorEntityDescription(
        key=Reading.WATER_DISTANCE,
        translation_key="water_distance",
        device_class=SensorDeviceClass.DISTANCE,
        native_unit_of_measurement=UnitOfLength.CENTIMETERS,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        suggested_display_precision=0,
    ),
    SensorEntityDescription(
        key=Reading.FEED_LEVEL,
        translation_key="feed_level",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
    ),
)


# Only where the controllers report TAN: with NH3-N it would repeat the Ammonia sensor.
UNIONISED_AMMONIA_SENSOR: Final = SensorEntityDescription(
    key=UNIONISED_AMMONIA,
    translation_key=UNIONISED_AMMONIA,
    native_unit_of_measurement=UNIT_MILLIGRAMS_PER_LITER,
    state_class=SensorStateClass.MEASUREMENT,
    # Harmful levels start at about 0.01 mg/L (rainbow trout).
    suggested_display_precision=3,
)
DAWN_OXYGEN_SENSOR: Final = SensorEntityDescription(
    key=DAWN_OXYGEN,
    translation_key=DAWN_OXYGEN,
    native_unit_of_measurement=UNIT_MILLIGRAMS_PER_LITER,
    suggested_display_precision=1,
)
# Totals that start again at midnight: Home Assistant's statistics take the drop to 0
# as the start of a new cycle.
FEEDING_SENSORS: Final[tuple[SensorEntityDescription, ...]] = (
    SensorEntityDescription(
        key=FEED_GIVEN_TODAY,
        translation_key=FEED_GIVEN_TODAY,
        device_class=SensorDeviceClass.WEIGHT,
        native_unit_of_measurement=UnitOfMass.GRAMS,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=0,
    ),
    SensorEntityDescription(
        key=FEEDINGS_TODAY,
        translation_key=FEEDINGS_TODAY,
        state_class=SensorStateClass.TOTAL_INCREASING,
    ),
)


@dataclass(frozen=True, kw_only=True)
class CommandSensorDescription(SensorEntityDescription):
    """A sensor about a controller's commands, as the hub's tracker knows them."""

    value_fn: Callable[[FutureFishHub, ControllerState], StateType]
    attributes_fn: Callable[[Command | None], Mapping[str, Any] | None] = lambda _: None


def _last_command(controller: ControllerState) -> tuple[Command, CommandState] | None:
    value: tuple[Command, CommandState] | None = controller.values.get(LAST_COMMAND)
    return value


def _last_command_attributes(command: Command | None) -> Mapping[str, Any] | None:
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


COMMAND_SENSORS: Final[tuple[CommandSensorDescription, ...]] = (
    CommandSensorDescription(
        key=LAST_COMMAND,
        translation_key=LAST_COMMAND,
        device_class=SensorDeviceClass.ENUM,
        options=[state.value for state in CommandState],
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda _, controller: (
            None if (last := _last_command(controller)) is None else last[1].value
        ),
        attributes_fn=_last_command_attributes,
    ),
    CommandSensorDescription(
        key="command_success_rate",
        translation_key="command_success_rate",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        suggested_display_precision=0,
        value_fn=lambda hub, controller: hub.commands.success_rate(controller),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FutureFishConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add sensors for every controller and pond, now and as they appear."""
    derived: tuple[SensorEntityDescription, ...] = (UNIONISED_AMMONIA_SENSOR,)
    if entry.runtime_data.settings.ammonia_reading is AmmoniaReading.NH3_N:
        derived = ()
        _async_remove_unionised_ammonia(hass, entry)
    for entity_class, controller_descriptions, pond_descriptions in (
        (FutureFishSensor, (*CONTROLLER_SENSORS, *derived), POND_SENSORS),
        (FutureFishCommandSensor, COMMAND_SENSORS, ()),
        (FutureFishDawnOxygenSensor, (DAWN_OXYGEN_SENSOR,), ()),
        (FutureFishFeedingSensor, (), FEEDING_SENSORS),
    ):
        async_setup_device_entities(
            entry,
            async_add_entities,
            entity_class,
            controller_descriptions,
            pond_descriptions,
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
    """A value a controller reports, or one derived from it."""

    entity_description: SensorEntityDescription

    @property
    def native_value(self) -> StateType | datetime:
        """Return the last reported value (None until one arrived)."""
        value: StateType | datetime = self.observed_value
        return value


class FutureFishCommandSensor(FutureFishEntity, SensorEntity):
    """How a controller's commands fare.

    What Home Assistant itself saw, so it stays available while the controller is
    offline, when a timed-out command is exactly what one wants to see.
    """

    entity_description: CommandSensorDescription

    @property
    def watched_keys(self) -> tuple[str, ...]:
        """Return the key the tracker updates on every command state change."""
        return (LAST_COMMAND,)

    @property
    def available(self) -> bool:
        """Return True: the command history never depends on the controller."""
        return True

    @property
    def native_value(self) -> StateType:
        """Return the value derived from the controller's commands."""
        return self.entity_description.value_fn(self.hub, self.controller)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Return the details of the command the state describes."""
        last = _last_command(self.controller)
        return self.entity_description.attributes_fn(None if last is None else last[0])


class FutureFishDawnOxygenSensor(FutureFishEntity, SensorEntity):
    """Dissolved oxygen expected at sunrise, from tonight's readings (see dawn.py).

    Unknown by day and until the night's readings say enough; its attributes are those
    of the forecast shown, written with it.
    """

    @property
    def forecast(self) -> Forecast | None:
        """Return the forecast shown."""
        forecast: Forecast | None = self.observed_value
        return forecast

    @property
    def native_value(self) -> float | None:
        """Return the dissolved oxygen expected at sunrise."""
        return None if (forecast := self.forecast) is None else forecast.value

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Return the sunrise it is for and the fit it comes from."""
        if (forecast := self.forecast) is None:
            return None
        return {
            "sunrise": forecast.sunrise,
            "readings_used": forecast.readings,
            "decline_rate": forecast.decline_rate,
        }


class FutureFishFeedingSensor(FutureFishSensor):
    """A pond's feeding total of the day, as Home Assistant counted it.

    Counted from commands Home Assistant saw completed, so it stays available while the
    controller is offline; 0 until the pond's first feed of the day.
    """

    @property
    def available(self) -> bool:
        """Return True: the record never depends on the controller."""
        return True

    @property
    def native_value(self) -> StateType:
        """Return today's total."""
        value: StateType = self.observed_value
        return value or 0
