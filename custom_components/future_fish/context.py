"""What the hub's components may know of it: a narrow, typed view.

Each component (commands, presence, devices, storage, repairs, thresholds, dawn,
feeding) gets this instead of the hub, so none of them can reach into another's
state and none imports the coordinator.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
import time
from typing import Any, Final, NamedTuple

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.service_info.mqtt import MqttServiceInfo
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN
from .models import ControllerState


class DiscoveredMessage(NamedTuple):
    """A message as a discovery flow received it: topic, payload and when."""

    topic: str
    payload: bytes | bytearray | str
    received: datetime

    @classmethod
    def from_discovery(cls, info: MqttServiceInfo) -> DiscoveredMessage:
        """Return what MQTT handed a discovery flow; it stamps the monotonic clock."""
        age = timedelta(seconds=max(time.monotonic() - info.timestamp, 0))
        return cls(info.topic, info.payload, dt_util.utcnow() - age)


# The startup that a confirmed discovery flow saw, by prefix, until the new hub
# handles it: so the discovering controller is there when the flow closes.
DISCOVERED_STARTUPS: Final[HassKey[dict[str, DiscoveredMessage]]] = HassKey(
    f"{DOMAIN}_discovered_startups"
)


@dataclass(frozen=True, kw_only=True)
class HubContext:
    """The hub's Home Assistant, entry, topic prefix and controllers."""

    hass: HomeAssistant
    # Untyped runtime data on purpose: components must not reach the hub through it.
    entry: ConfigEntry[Any]
    prefix: str
    # Normalised controller id -> state; owned and changed by the hub only.
    controllers: Mapping[str, ControllerState]
    # Save the hub's stored controllers soon (batched).
    schedule_save: Callable[[], None]


def hand_over_discovery(
    hass: HomeAssistant, prefix: str, info: MqttServiceInfo
) -> None:
    """Keep what a confirmed discovery flow saw for the hub of `prefix` it creates."""
    hass.data.setdefault(DISCOVERED_STARTUPS, {})[prefix] = (
        DiscoveredMessage.from_discovery(info)
    )


def take_discovery(hass: HomeAssistant, prefix: str) -> DiscoveredMessage | None:
    """Return, once, what a discovery flow handed over to the hub of `prefix`."""
    return hass.data.get(DISCOVERED_STARTUPS, {}).pop(prefix, None)
