"""A hub's options, read once into one frozen object when the hub starts.

The options flow reloads the entry on every change, so nothing needs to follow an
option while the hub runs.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from .alarms import AlarmSettings
from .ammonia import AmmoniaReading, ammonia_reading
from .commands import TrackerSettings
from .const import (
    CONF_ADD_NEW_CONTROLLERS,
    CONF_FIRMWARE_MANIFEST_URL,
    CONF_HEARTBEAT_TIMEOUT,
    CONF_MAX_CONTROLLERS,
    CONF_PREFIX,
    CONF_PUSH_LIMITS,
    DEFAULT_ADD_NEW_CONTROLLERS,
    DEFAULT_HEARTBEAT_TIMEOUT,
    DEFAULT_MAX_CONTROLLERS,
    DEFAULT_PUSH_LIMITS,
)


@dataclass(frozen=True, kw_only=True)
class HubSettings:
    """Everything the user chose for one hub (topic prefix and options)."""

    prefix: str
    heartbeat_timeout: timedelta
    add_new_controllers: bool
    max_controllers: int
    firmware_manifest_url: str | None
    # What the controllers' ammonia reading is: the alarm judges it as NH3-N.
    ammonia_reading: AmmoniaReading
    push_limits: bool
    commands: TrackerSettings
    alarms: AlarmSettings

    @classmethod
    def from_entry(
        cls, data: Mapping[str, Any], options: Mapping[str, Any]
    ) -> HubSettings:
        """Read a config entry's data and options, with defaults."""
        return cls(
            prefix=data[CONF_PREFIX],
            heartbeat_timeout=timedelta(
                seconds=options.get(CONF_HEARTBEAT_TIMEOUT, DEFAULT_HEARTBEAT_TIMEOUT)
            ),
            add_new_controllers=options.get(
                CONF_ADD_NEW_CONTROLLERS, DEFAULT_ADD_NEW_CONTROLLERS
            ),
            max_controllers=options.get(CONF_MAX_CONTROLLERS, DEFAULT_MAX_CONTROLLERS),
            firmware_manifest_url=options.get(CONF_FIRMWARE_MANIFEST_URL) or None,
            ammonia_reading=ammonia_reading(options),
            push_limits=options.get(CONF_PUSH_LIMITS, DEFAULT_PUSH_LIMITS),
            commands=TrackerSettings.from_options(options),
            alarms=AlarmSettings.from_options(options),
        )
