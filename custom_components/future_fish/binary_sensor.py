"""Binary sensors: online, alarms, and whether a controller's oxygen will crash."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .alarms import CONTROLLER_QUANTITIES, POND_QUANTITIES, Quantity, alarm_key
from .coordinator import FutureFishConfigEntry
from .dawn import oxygen_crash_expected
from .entity import (
    FutureFishEntity,
    FutureFishEntityDescription,
    async_setup_device_entities,
)
from .models import (
    AVAILABILITY,
    CONNECTIVITY,
    CONTROLLER_ALARM,
    DAWN_OXYGEN,
    DISSOLVED_OXYGEN_LOWER,
    FEEDING_HOLD,
    ControllerState,
    Observable,
    PondState,
)
from .protocol import Reading
from .species import PROFILE_QUANTITIES

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class FutureFishBinarySensorDescription[StateT: Observable](
    BinarySensorEntityDescription, FutureFishEntityDescription
):
    """A binary sensor of a controller or a pond (`StateT`), and how it decides."""

    is_on_fn: Callable[[StateT], bool | None]
    attributes_fn: Callable[[StateT], Mapping[str, Any] | None] = lambda _: None


def _controller_alarm_attributes(
    controller: ControllerState,
) -> Mapping[str, Any] | None:
    alarm = controller.controller_alarm
    if alarm is None:
        return None
    return {
        "parameter": alarm.parameter,
        "value": alarm.value,
        "lower": alarm.lower,
        "upper": alarm.upper,
        "pond": alarm.pond,
        "message": alarm.message,
        "controller_time": alarm.timestamp,
        "received": controller.controller_alarm_at,
    }


# On while the controller reports within the heartbeat timeout. It stays available
# while the controller is offline, since "offline" is exactly what it reports; only
# without the broker nothing can be known (see FutureFishConnectivity).
CONNECTIVITY_SENSOR: Final = FutureFishBinarySensorDescription[ControllerState](
    key=AVAILABILITY,
    translation_key=CONNECTIVITY,
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
    entity_category=EntityCategory.DIAGNOSTIC,
    is_on_fn=lambda controller: controller.online,
)
CONTROLLER_SENSORS: Final[
    tuple[FutureFishBinarySensorDescription[ControllerState], ...]
] = (
    FutureFishBinarySensorDescription(
        key="oxygen_crash_expected",
        translation_key="oxygen_crash_expected",
        device_class=BinarySensorDeviceClass.PROBLEM,
        watched=(DAWN_OXYGEN, DISSOLVED_OXYGEN_LOWER),
        is_on_fn=oxygen_crash_expected,
    ),
    # On while an alarm the controller raised itself lasts. The protocol has no
    # message that ends one: it ends when a reading is back within the limits it
    # named, or some minutes after it was last raised (see thresholds.py).
    FutureFishBinarySensorDescription(
        key=CONTROLLER_ALARM,
        translation_key=CONTROLLER_ALARM,
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=lambda controller: controller.controller_alarm is not None,
        attributes_fn=_controller_alarm_attributes,
    ),
)


# Alarms shown by default: those whose limits a species profile sets, and the ponds'
# (device triggers know a pond by them). The others (turbidity, battery) stay unknown
# until someone sets a limit by hand, which most users never do.
SHOWN_ALARMS: Final = frozenset(
    {*PROFILE_QUANTITIES, *(quantity.reading for quantity in POND_QUANTITIES)}
)


def _alarm_sensors(
    quantities: tuple[Quantity, ...],
) -> tuple[FutureFishBinarySensorDescription[Observable], ...]:
    """Return the threshold alarm of each quantity.

    On while the quantity is outside its limits, debounced, with hysteresis; unknown
    until a reading has been compared with a limit. Written only when the alarm
    changes, not for every reading.
    """

    def is_on(reading: Reading) -> Callable[[Observable], bool | None]:
        def alarm_is_on(state: Observable) -> bool | None:
            alarm = state.alarms.get(reading)
            return None if alarm is None else alarm.is_on

        return alarm_is_on

    def attributes(
        reading: Reading,
    ) -> Callable[[Observable], Mapping[str, Any] | None]:
        def alarm_attributes(state: Observable) -> Mapping[str, Any] | None:
            alarm = state.alarms.get(reading)
            if alarm is None or alarm.is_on is None:
                return None
            return {
                "value": alarm.value,
                "limit": alarm.bound if alarm.is_on else None,
                "limit_value": alarm.limit if alarm.is_on else None,
                "since": alarm.since,
            }

        return alarm_attributes

    return tuple(
        FutureFishBinarySensorDescription(
            key=alarm_key(quantity.reading),
            translation_key=alarm_key(quantity.reading),
            device_class=BinarySensorDeviceClass.PROBLEM,
            # Like the battery level itself: about the equipment, not the water.
            entity_category=(
                EntityCategory.DIAGNOSTIC
                if quantity.reading is Reading.BATTERY
                else None
            ),
            entity_registry_enabled_default=quantity.reading in SHOWN_ALARMS,
            is_on_fn=is_on(quantity.reading),
            attributes_fn=attributes(quantity.reading),
        )
        for quantity in quantities
    )


# On: do not feed now, for the reasons it lists. Available offline, since an offline
# controller is itself a reason (see husbandry.py).
FEEDING_HOLD_SENSOR: Final = FutureFishBinarySensorDescription[PondState](
    key=FEEDING_HOLD,
    translation_key=FEEDING_HOLD,
    device_class=BinarySensorDeviceClass.PROBLEM,
    available_offline=True,
    is_on_fn=lambda pond: (
        None if pond.feeding_hold is None else bool(pond.feeding_hold)
    ),
    attributes_fn=lambda pond: {"reasons": sorted(pond.feeding_hold or ())},
)
CONTROLLER_ALARM_SENSORS: Final = _alarm_sensors(CONTROLLER_QUANTITIES)
POND_ALARM_SENSORS: Final = _alarm_sensors(POND_QUANTITIES)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FutureFishConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add connectivity, alarm and oxygen crash sensors for every controller and pond."""
    controller_sensors: tuple[FutureFishBinarySensorDescription[Any], ...] = (
        *CONTROLLER_ALARM_SENSORS,
        *CONTROLLER_SENSORS,
    )
    pond_sensors: tuple[FutureFishBinarySensorDescription[Any], ...] = (
        *POND_ALARM_SENSORS,
        FEEDING_HOLD_SENSOR,
    )
    async_setup_device_entities(
        entry,
        async_add_entities,
        FutureFishBinarySensor,
        controller_sensors,
        pond_sensors,
    )
    async_setup_device_entities(
        entry, async_add_entities, FutureFishConnectivity, (CONNECTIVITY_SENSOR,), ()
    )


class FutureFishBinarySensor(FutureFishEntity, BinarySensorEntity):
    """A binary sensor that reads its state from a controller's or pond's state."""

    entity_description: FutureFishBinarySensorDescription[Any]

    @property
    def is_on(self) -> bool | None:
        """Return the state (None: unknown)."""
        return self.entity_description.is_on_fn(self.observed)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Return the details of what the state shows, where there are any."""
        return self.entity_description.attributes_fn(self.observed)


class FutureFishConnectivity(FutureFishBinarySensor):
    """Whether the controller is online; known whenever the broker is connected."""

    @property
    def available(self) -> bool:
        """Return whether the hub is connected to the broker."""
        return self.hub.connected
