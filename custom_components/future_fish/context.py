"""What the hub's components may know of it: a narrow, typed view.

Each component (commands, presence, devices, storage, repairs, thresholds, dawn,
feeding) gets this instead of the hub, so none of them can reach into another's
state and none imports the coordinator.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from .models import ControllerState


@dataclass(frozen=True, kw_only=True)
class HubContext:
    """The hub's Home Assistant, entry, topic prefix and controllers."""

    hass: HomeAssistant
    # Untyped runtime data on purpose: components must not reach the hub through it.
    entry: ConfigEntry[Any]
    prefix: str
    # Normalised controller id -> state; owned and changed by the hub only.
    controllers: Mapping[str, ControllerState]
    # Whether Home Assistant is connected to the broker now.
    is_connected: Callable[[], bool]
    # Save the hub's stored controllers soon (batched).
    schedule_save: Callable[[], None]
