"""Device conditions of controllers and ponds: an alarm is active, a controller online.

Like the triggers, they look at the device's binary sensors, found in the entity
registry by the translation keys of the binary sensor platform's descriptions.
"""

from typing import Final

from homeassistant.const import CONF_CONDITION, CONF_DEVICE_ID, CONF_TYPE, STATE_ON
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.condition import ConditionCheckerType
from homeassistant.helpers.typing import ConfigType, TemplateVarsType
import probatio

from .helpers import (
    ALARMS,
    ONLINE,
    async_check_offered,
    automations,
    device_sensors,
    offered_types,
)

# Each condition is true while any of the device's sensors of these keys is on.
CONDITIONS: Final[dict[str, frozenset[str]]] = {
    "alarm_active": ALARMS,
    "controller_online": ONLINE,
}

CONDITION_SCHEMA: Final = cv.DEVICE_CONDITION_BASE_SCHEMA.extend(
    {probatio.Required(CONF_TYPE): probatio.In(CONDITIONS)}
)


async def async_validate_condition_config(
    hass: HomeAssistant, config: ConfigType
) -> ConfigType:
    """Validate a condition, and that its device has the sensors it looks at."""
    return async_check_offered(hass, CONDITION_SCHEMA(config), CONDITIONS, "condition")


async def async_get_conditions(
    hass: HomeAssistant, device_id: str
) -> list[dict[str, str]]:
    """List the conditions of a controller or pond."""
    return automations(
        device_id,
        {CONF_CONDITION: "device"},
        offered_types(hass, device_id, CONDITIONS),
    )


@callback
def async_condition_from_config(
    hass: HomeAssistant, config: ConfigType
) -> ConditionCheckerType:
    """Return a check that any of the device's sensors of the condition is on."""
    device_id: str = config[CONF_DEVICE_ID]
    keys = CONDITIONS[config[CONF_TYPE]]

    def check(hass: HomeAssistant, _: TemplateVarsType = None) -> bool:
        # Looked up when checked, so a sensor renamed since still counts.
        return any(
            hass.states.is_state(entity_id, STATE_ON)
            for entity_id in device_sensors(hass, device_id, keys)
        )

    return check
