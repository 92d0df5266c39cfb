"""Device triggers of controllers and ponds: alarms, availability and commands.

What the triggers watch already exists as entities and events, so each one is
Home Assistant's own state trigger on the device's binary sensors or its event
trigger on `future_fish_command`; this module only knows which of them a device
has. The sensors are found in the entity registry by their translation keys, taken
from the binary sensor platform's description tables.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.components.device_automation import DEVICE_TRIGGER_BASE_SCHEMA
from homeassistant.components.homeassistant.triggers import (
    event as event_trigger,
    state as state_trigger,
)
from homeassistant.const import (
    CONF_DEVICE_ID,
    CONF_ENTITY_ID,
    CONF_EVENT_DATA,
    CONF_PLATFORM,
    CONF_TYPE,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.trigger import TriggerActionType, TriggerInfo
from homeassistant.helpers.typing import ConfigType
import probatio

from .commands import EVENT_COMMAND, CommandState
from .helpers import (
    ALARMS,
    ONLINE,
    OXYGEN_ALARM,
    POND,
    async_check_offered,
    automations,
    device_sensors,
    offered_types,
)
from .protocol import CommandType


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

# Each trigger is offered on devices that have any of these sensors.
OFFERED_ON: Final = {kind: trigger.offered_on for kind, trigger in TRIGGERS.items()}
TRIGGER_SCHEMA: Final = DEVICE_TRIGGER_BASE_SCHEMA.extend(
    {probatio.Required(CONF_TYPE): probatio.In(TRIGGERS)}
)


async def async_validate_trigger_config(
    hass: HomeAssistant, config: ConfigType
) -> ConfigType:
    """Validate a trigger, and that its device has what it watches."""
    return async_check_offered(hass, TRIGGER_SCHEMA(config), OFFERED_ON, "trigger")


async def async_get_triggers(
    hass: HomeAssistant, device_id: str
) -> list[dict[str, str]]:
    """List the triggers of a controller or pond."""
    return automations(
        device_id, {CONF_PLATFORM: "device"}, offered_types(hass, device_id, OFFERED_ON)
    )


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
