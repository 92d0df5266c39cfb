"""Binary sensors: online, alarms, and whether a controller's oxygen will crash."""

from collections.abc import Mapping
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
from .dawn import DAWN_OXYGEN, OXYGEN_LOWER_LIMIT, oxygen_lower_limit
from .entity import FutureFishEntity, async_setup_device_entities
from .forecast import Forecast
from .models import AVAILABILITY, CONNECTIVITY, CONTROLLER_ALARM
from .protocol import Reading

PARALLEL_UPDATES = 0

CONNECTIVITY_SENSOR: Final = BinarySensorEntityDescription(
    key=AVAILABILITY,
    translation_key=CONNECTIVITY,
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
    entity_category=EntityCategory.DIAGNOSTIC,
)
OXYGEN_CRASH_EXPECTED: Final = BinarySensorEntityDescription(
    key="oxygen_crash_expected",
    translation_key="oxygen_crash_expected",
    device_class=BinarySensorDeviceClass.PROBLEM,
)
CONTROLLER_ALARM_SENSOR: Final = BinarySensorEntityDescription(
    key=CONTROLLER_ALARM,
    translation_key=CONTROLLER_ALARM,
    device_class=BinarySensorDeviceClass.PROBLEM,
)


@dataclass(frozen=True, kw_only=True)
class AlarmDescription(BinarySensorEntityDescription):
    """The threshold alarm of one monitored quantity."""

    reading: Reading


def _alarm_sensors(quantities: tuple[Quantity, ...]) -> tuple[AlarmDescription, ...]:
    return tuple(
        AlarmDescription(
            key=alarm_key(quantity.reading),
            translation_key=alarm_key(quantity.reading),
            reading=quantity.reading,
            device_class=BinarySensorDeviceClass.PROBLEM,
            # Like the battery level itself: about the equipment, not the water.
            entity_category=(
                EntityCategory.DIAGNOSTIC
                if quantity.reading is Reading.BATTERY
                else None
            ),
        )
        for quantity in quantities
    )


CONTROLLER_ALARM_SENSORS: Final = _alarm_sensors(CONTROLLER_QUANTITIES)
POND_ALARM_SENSORS: Final = _alarm_sensors(POND_QUANTITIES)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FutureFishConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add connectivity, alarm and oxygen crash sensors for every controller and pond."""
    async_setup_device_entities(
        entry,
        async_add_entities,
        FutureFishAlarm,
        CONTROLLER_ALARM_SENSORS,
        POND_ALARM_SENSORS,
    )
    for entity_class, description in (
        (FutureFishConnectivity, CONNECTIVITY_SENSOR),
        (FutureFishOxygenCrashExpected, OXYGEN_CRASH_EXPECTED),
        (FutureFishControllerAlarm, CONTROLLER_ALARM_SENSOR),
    ):
        async_setup_device_entities(
            entry,
            async_add_entities,
            entity_class,
            (description,),
            (),
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


class FutureFishAlarm(FutureFishEntity, BinarySensorEntity):
    """On while a quantity is outside its limits, debounced, with hysteresis.

    Unknown until a reading has been compared with a limit: after a start, while the
    value is unknown, and while the quantity has no limit. Written only when the
    alarm changes, not for every reading.
    """

    entity_description: AlarmDescription

    @property
    def is_on(self) -> bool | None:
        """Return whether the alarm is on."""
        alarm = self.observed.alarms.get(self.entity_description.reading)
        return None if alarm is None else alarm.is_on

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Return the reading that changed the alarm, the limit crossed and since when."""
        alarm = self.observed.alarms.get(self.entity_description.reading)
        if alarm is None or alarm.is_on is None:
            return None
        return {
            "value": alarm.value,
            "limit": alarm.bound if alarm.is_on else None,
            "limit_value": alarm.limit if alarm.is_on else None,
            "since": alarm.since,
        }


class FutureFishControllerAlarm(FutureFishEntity, BinarySensorEntity):
    """On while an alarm the controller raised itself lasts.

    The protocol has no message that ends an alarm: it ends when a reading is back
    within the limits the alarm named, or, for one that names no reading or limit,
    some minutes after the controller last raised it (see `thresholds`).
    """

    @property
    def is_on(self) -> bool:
        """Return whether the controller's alarm lasts."""
        return self.controller.controller_alarm is not None

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Return what the controller said about its alarm."""
        alarm = self.controller.controller_alarm
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
            "received": self.controller.controller_alarm_at,
        }
