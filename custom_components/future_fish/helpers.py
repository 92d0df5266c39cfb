"""What device triggers and conditions share: the sensors a device has, found by key.

Triggers and conditions look at a device's binary sensors, found in the entity
registry by their translation keys, so a renamed or re-created entity still counts.
"""

from collections.abc import Iterable, Mapping
from typing import Final

from homeassistant.components.device_automation.exceptions import (
    InvalidDeviceAutomationConfig,
)
from homeassistant.const import CONF_DEVICE_ID, CONF_DOMAIN, CONF_TYPE, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.typing import ConfigType

from .alarms import CONTROLLER_QUANTITIES, POND_QUANTITIES, alarm_key
from .const import DOMAIN
from .models import CONNECTIVITY, CONTROLLER_ALARM
from .protocol import Reading

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


@callback
def offered_types(
    hass: HomeAssistant, device_id: str, offered_on: Mapping[str, frozenset[str]]
) -> list[str]:
    """Return the types whose sensors (`offered_on`, by type) the device has."""
    return [
        kind
        for kind, keys in offered_on.items()
        if device_sensors(hass, device_id, keys)
    ]


@callback
def async_check_offered(
    hass: HomeAssistant,
    config: ConfigType,
    offered_on: Mapping[str, frozenset[str]],
    what: str,
) -> ConfigType:
    """Return a validated config, refusing a type its device has no sensors for."""
    kind = config[CONF_TYPE]
    if not device_sensors(hass, config[CONF_DEVICE_ID], offered_on[kind]):
        raise InvalidDeviceAutomationConfig(
            f"Device {config[CONF_DEVICE_ID]} has no {what} {kind}"
        )
    return config


def automations(
    device_id: str, base: Mapping[str, str], types: Iterable[str]
) -> list[dict[str, str]]:
    """Return the automations of `types` a device offers, as Home Assistant lists them."""
    return [
        {**base, CONF_DOMAIN: DOMAIN, CONF_DEVICE_ID: device_id, CONF_TYPE: kind}
        for kind in types
    ]
