"""Diagnostics: what the hub knows, what arrived, and what was dropped and why."""

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from .commands import url_without_secrets
from .const import CONF_FIRMWARE_MANIFEST_URL, DOMAIN
from .coordinator import FutureFishConfigEntry, FutureFishHub
from .models import IP_ADDRESS, ControllerState, MessageStats, parse_device_key

# Where a controller is and which network it uses is nobody else's business.
TO_REDACT = {IP_ADDRESS, "wifi_ssid"}


def _stats(stats: MessageStats) -> dict[str, Any]:
    return {
        "messages": dict(stats.messages),
        "last_message": {
            kind: when.isoformat() for kind, when in stats.last_message.items()
        },
        "dropped": dict(stats.dropped),
    }


def _controller(controller: ControllerState) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "device_id": controller.device_id,
        "topic_id": controller.topic_id,
        "name": controller.name,
        "online": controller.online,
        "last_seen": controller.last_seen and controller.last_seen.isoformat(),
        "offline_since": controller.offline_since
        and controller.offline_since.isoformat(),
        "controller_time": controller.controller_time
        and controller.controller_time.isoformat(),
        "firmware_version": controller.firmware_version,
        "hardware_version": controller.hardware_version,
        "device_type": controller.device_type,
        "ip_address": controller.ip_address,
        "species_profile": controller.species_profile,
        "values": controller.values,
        "dawn_oxygen": controller.dawn_oxygen and controller.dawn_oxygen.value,
        "ponds": {
            position: pond.values
            | {
                "inlet_valve": pond.inlet_valve,
                "outlet_valve": pond.outlet_valve,
                "feed_given_today": pond.feed_given_today,
                "feedings_today": pond.feedings_today,
            }
            for position, pond in controller.ponds.items()
        },
        "stats": _stats(controller.stats),
    }
    redacted: dict[str, Any] = async_redact_data(shown, TO_REDACT)
    return redacted


def _commands(hub: FutureFishHub, controller: ControllerState) -> dict[str, Any]:
    return {
        "active": [
            command.as_dict()
            for command in hub.commands.active.values()
            if command.controller is controller
        ],
        "recent": [
            command.as_dict() | {"late_answers": command.late_answers}
            for command in hub.commands.history.get(controller.device_id, ())
        ],
        "last": None
        if (last := hub.commands.last_command(controller)) is None
        else last.as_dict(),
        "success_rate": hub.commands.success_rate(controller),
    }


def _hub(hub: FutureFishHub) -> dict[str, Any]:
    return {
        "prefix": hub.prefix,
        "heartbeat_timeout_s": hub.settings.heartbeat_timeout.total_seconds(),
        "add_new_controllers": hub.settings.add_new_controllers,
        "max_controllers": hub.settings.max_controllers,
        "mqtt_connected": hub.connected,
        "controllers_known": len(hub.controllers),
        "controllers_online": sum(c.online for c in hub.controllers.values()),
        # Those Home Assistant's entity limit left short of some or all entities.
        "controllers_without_entities": len(hub.entity_limit.short),
        "ignored_controllers": {
            "messages": hub.devices.ignored.messages,
            "sample": dict(hub.devices.ignored.sample),
        },
        # Unknown ids waiting at the door (admission); never more than its bound.
        "admission": {
            "grace_until": hub.devices.admission.grace_until
            and hub.devices.admission.grace_until.isoformat(),
            "pending": len(hub.devices.admission.pending),
            "held": hub.devices.admission.held,
            "refused_messages": hub.devices.admission.refused_messages,
        },
        "unattributed": _stats(hub.devices.stats),
        "unknown_command_answers": hub.commands.unknown_answers,
    }


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: FutureFishConfigEntry
) -> dict[str, Any]:
    """Return the whole hub's diagnostics."""
    hub = entry.runtime_data
    options = dict(entry.options)
    if url := options.get(CONF_FIRMWARE_MANIFEST_URL):
        options[CONF_FIRMWARE_MANIFEST_URL] = url_without_secrets(url)
    return {
        "entry": {"data": dict(entry.data), "options": options},
        "hub": _hub(hub),
        "controllers": [
            _controller(c) | {"commands": _commands(hub, c)}
            for c in hub.controllers.values()
        ],
    }


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: FutureFishConfigEntry, device: dr.DeviceEntry
) -> dict[str, Any]:
    """Return the diagnostics of one controller (a pond shows its controller's)."""
    hub = entry.runtime_data
    for domain, key in device.identifiers:
        if domain == DOMAIN:
            controller = hub.controllers.get(parse_device_key(key)[0])
            if controller is not None:
                return {
                    "hub": _hub(hub),
                    "controller": _controller(controller)
                    | {"commands": _commands(hub, controller)},
                }
    return {"hub": _hub(hub)}
