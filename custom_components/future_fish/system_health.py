"""System health: are the hubs connected, are the controllers there, do commands work.

Shown under Settings → System → Repairs → ⋮ → System information, and included in
the text users paste into bug reports, so it answers the first questions of one.
"""

from datetime import timedelta
from itertools import chain
from typing import Any, Final

from homeassistant.components.system_health import SystemHealthRegistration
from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .commands import success_rate
from .const import DOMAIN
from .coordinator import FutureFishHub

COMMAND_WINDOW: Final = timedelta(hours=1)


@callback
def async_register(hass: HomeAssistant, register: SystemHealthRegistration) -> None:
    """Register the info callback."""
    register.async_register_info(system_health_info)


async def system_health_info(hass: HomeAssistant) -> dict[str, Any]:
    """Return what every loaded hub knows, summed over the hubs."""
    hubs: list[FutureFishHub] = [
        entry.runtime_data for entry in hass.config_entries.async_loaded_entries(DOMAIN)
    ]
    info: dict[str, Any] = {"hubs": len(hubs)}
    if not hubs:
        return info
    controllers = [c for hub in hubs for c in hub.controllers.values()]
    since = dt_util.utcnow() - COMMAND_WINDOW
    # The tracker keeps the last 100 finished commands per controller, far more than
    # any controller gets in an hour.
    commands = [
        command
        for hub in hubs
        for command in chain(
            hub.commands.active.values(), *hub.commands.history.values()
        )
        if command.created_at >= since
    ]
    info |= {
        "topic_prefixes": ", ".join(hub.prefix for hub in hubs),
        "mqtt_connected": all(hub.connected for hub in hubs),
        "controllers_online": sum(controller.online for controller in controllers),
        "controllers_known": len(controllers),
        "commands_last_hour": len(commands),
    }
    if (rate := success_rate(commands)) is not None:
        info["command_success_rate"] = f"{rate:g} %"
    return info
