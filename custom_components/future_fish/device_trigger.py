"""Device triggers of controllers and ponds: alarms, availability and commands.

What the triggers watch already exists as entities and events, so each one is
Home Assistant's own state trigger on the device's binary sensors or its event
trigger on `future_fish_command`; this module only knows which of them a device
has. The sensors are found in the entity registry by their translation keys, taken
from the binary sensor platform's description tables.
"""

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.components.device_automation import DEVICE_TRIGGER_BASE_SCHEMA
from homeassistant.components.device_automation.exceptions import (
    InvalidDeviceAutomationConfig,
)
from homeassistant.components.homeassistant.triggers import (
    event as event_trigger,
    state as state_trigger,
)
from homeassistant.const import (
    CONF_DEVICE_ID,
    CONF_DOMAIN,
    CONF_ENTITY_ID,
    CONF_EVENT_DATA,
    CONF_PLATFORM,
    CONF_TYPE,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    Platform,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.trigger import TriggerActionType, TriggerInfo
from homeassistant.helpers.typing import ConfigType
import probatio

from .alarms import CONTROLLER_QUANTITIES, POND_QUANTITIES, alarm_key
from .commands import EVENT_COMMAND, CommandState
from .const import DOMAIN
from .models import CONNECTIVITY, CONTROLLER_ALARM
from .protocol import CommandType, Reading

# Translation keys of the binary sensors that tell what a device is and what it has.
ONLINE: Final = frozenset({CONNECTIVITY})
POND: Final = frozenset(alarm_key(quantity.reading) for quantity in POND_QUANTITIES)
# Every problem sensor that is an alarm: the thresholds' and the controller's own
# (not the dawn forecast, which is a prediction).
ALARMS: Final = frozenset(
    {
        *(alarm_key(quantity.reading) for quantity in CONTROLLER_QUANTITIES),
        *POND,
        CONTROLLER_ALARM,
    }
)
OXYGEN_ALARM: Final = frozenset({alarm_key(Reading.DISSOLVED_OXYGEN)})


@callback
def device_sensors(
    hass: HomeAssistant, device_id: str, translation_keys: frozenset[str]
) -> list[str]:
    """Return the entity ids of a device's enabled binary sensors of those keys."""
    return [
        entry.entity_id
        for entry in er.async_entries_for_device(er.async_get(hass), device_id)
        if entry.platform == DOMAIN
        and entry.domain == Platform.BINARY_SENSOR
        and entry.translation_key in translation_keys
    ]


@dataclass(frozen=True, kw_only=True)
class Trigger(ABC):
    """A device trigger, offered on devices that have a sensor of `offered_on`."""

    offered_on: frozenset[str]

    @abstractmethod
    async def async_attach(
        self,
        hass: HomeAssistant,
        device_id: str,
        action: TriggerActionType,
        trigger_info: TriggerInfo,
    ) -> CALLBACK_TYPE:
        """Attach Home Assistant's trigger that does the watching."""


@dataclass(frozen=True, kw_only=True)
class SensorChange(Trigger):
    """Any of the device's `offered_on` sensors changing as the state trigger says."""

    change: dict[str, Any]

    async def async_attach(
        self,
        hass: HomeAssistant,
        device_id: str,
        action: TriggerActionType,
        trigger_info: TriggerInfo,
    ) -> CALLBACK_TYPE:
        """Attach a state trigger on the sensors."""
        config = await state_trigger.async_validate_trigger_config(
            hass,
            {
                CONF_PLATFORM: "state",
                CONF_ENTITY_ID: device_sensors(hass, device_id, self.offered_on),
                **self.change,
            },
        )
        return await state_trigger.async_attach_trigger(
            hass, config, action, trigger_info, platform_type="device"
        )


@dataclass(frozen=True, kw_only=True)
class CommandEnded(Trigger):
    """A command to the device (`device_id` of `future_fish_command`) ending so."""

    states: tuple[CommandState, ...]
    command_type: CommandType | None = None

    async def async_attach(
        self,
        hass: HomeAssistant,
        device_id: str,
        action: TriggerActionType,
        trigger_info: TriggerInfo,
    ) -> CALLBACK_TYPE:
        """Attach an event trigger per final state (it matches data by equality)."""
        removers = []
        for state in self.states:
            event_data = {CONF_DEVICE_ID: device_id, "state": state.value}
            if self.command_type is not None:
                event_data["command_type"] = self.command_type.value
            config = await event_trigger.async_validate_trigger_config(
                hass,
                {
                    CONF_PLATFORM: "event",
                    event_trigger.CONF_EVENT_TYPE: EVENT_COMMAND,
                    CONF_EVENT_DATA: event_data,
                },
            )
            removers.append(
                await event_trigger.async_attach_trigger(
                    hass, config, action, trigger_info, platform_type="device"
                )
            )

        @callback
        def remove() -> None:
            for remover in removers:
                remover()

        return remove


# An alarm that becomes available again (the controller is back) did not start.
STARTED: Final = {
    state_trigger.CONF_TO: STATE_ON,
    state_trigger.CONF_NOT_FROM: [STATE_UNAVAILABLE],
}
TRIGGERS: Final[dict[str, Trigger]] = {
    "dissolved_oxygen_alarm_started": SensorChange(
        offered_on=OXYGEN_ALARM, change=STARTED
    ),
    "alarm_started": SensorChange(offered_on=ALARMS, change=STARTED),
    "alarm_cleared": SensorChange(
        offered_on=ALARMS,
        change={state_trigger.CONF_FROM: STATE_ON, state_trigger.CONF_TO: STATE_OFF},
    ),
    "went_offline": SensorChange(
        offered_on=ONLINE,
        change={state_trigger.CONF_FROM: STATE_ON, state_trigger.CONF_TO: STATE_OFF},
    ),
    "came_online": SensorChange(
        offered_on=ONLINE,
        change={state_trigger.CONF_FROM: STATE_OFF, state_trigger.CONF_TO: STATE_ON},
    ),
    "feeding_completed": CommandEnded(
        offered_on=POND,
        command_type=CommandType.FEED,
        states=(CommandState.COMPLETED,),
    ),
    "command_failed": CommandEnded(
        offered_on=ONLINE | POND,
        states=(CommandState.FAILED, CommandState.REJECTED, CommandState.TIMED_OUT),
    ),
}

TRIGGER_SCHEMA: Final = DEVICE_TRIGGER_BASE_SCHEMA.extend(
    {probatio.Required(CONF_TYPE): probatio.In(TRIGGERS)}
)


@callback
def offered(
    hass: HomeAssistant, device_id: str, choices: Iterable[tuple[str, Trigger]]
) -> list[str]:
    """Return the types among `choices` that the device has sensors for."""
    return [
        kind
        for kind, trigger in choices
        if device_sensors(hass, device_id, trigger.offered_on)
    ]


async def async_validate_trigger_config(
    hass: HomeAssistant, config: ConfigType
) -> ConfigType:
    """Validate a trigger, and that its device has what it watches."""
    config = TRIGGER_SCHEMA(config)
    kind = config[CONF_TYPE]
    if not offered(hass, config[CONF_DEVICE_ID], ((kind, TRIGGERS[kind]),)):
        raise InvalidDeviceAutomationConfig(
            f"Device {config[CONF_DEVICE_ID]} has no trigger {kind}"
        )
    return config


async def async_get_triggers(
    hass: HomeAssistant, device_id: str
) -> list[dict[str, str]]:
    """List the triggers of a controller or pond."""
    return [
        {
            CONF_PLATFORM: "device",
            CONF_DOMAIN: DOMAIN,
            CONF_DEVICE_ID: device_id,
            CONF_TYPE: kind,
        }
        for kind in offered(hass, device_id, TRIGGERS.items())
    ]


async def async_attach_trigger(
    hass: HomeAssistant,
    config: ConfigType,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Attach Home Assistant's state or event trigger for a device trigger."""
    return await TRIGGERS[config[CONF_TYPE]].async_attach(
        hass, config[CONF_DEVICE_ID], action, trigger_info
    )
