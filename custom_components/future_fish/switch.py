"""Switches: the inlet and outlet valves of a pond.

Controllers do not report valve positions, so a switch shows the position the last
completed valve command confirmed (unknown until one did) and is never optimistic:
turning it returns only when the controller completed the command, and a failure
leaves the shown position as it was.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import actions
from .actions import WaterAction
from .coordinator import FutureFishConfigEntry
from .entity import (
    FutureFishEntity,
    FutureFishEntityDescription,
    async_setup_device_entities,
)
from .models import INLET_VALVE, OUTLET_VALVE, PondState

# A valve command takes up to a minute; the two valves of a pond (and other ponds)
# must not wait for each other here (the hub refuses conflicting commands itself).
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ValveDescription(SwitchEntityDescription, FutureFishEntityDescription):
    """A valve of a pond: its confirmed position (`position_fn`) and its commands."""

    position_fn: Callable[[PondState], bool | None]
    open_action: WaterAction
    close_action: WaterAction


POND_VALVES: Final[tuple[ValveDescription, ...]] = (
    ValveDescription(
        key=INLET_VALVE,
        translation_key=INLET_VALVE,
        position_fn=lambda pond: pond.inlet_valve,
        open_action=WaterAction.INLET_OPEN,
        close_action=WaterAction.INLET_CLOSE,
    ),
    ValveDescription(
        key=OUTLET_VALVE,
        translation_key=OUTLET_VALVE,
        position_fn=lambda pond: pond.outlet_valve,
        open_action=WaterAction.OUTLET_OPEN,
        close_action=WaterAction.OUTLET_CLOSE,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FutureFishConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the valves of every pond, now and as ponds appear."""
    async_setup_device_entities(
        entry, async_add_entities, FutureFishValve, (), POND_VALVES
    )


class FutureFishValve(FutureFishEntity, SwitchEntity):
    """A valve, on when open; its position is the last one a controller confirmed."""

    entity_description: ValveDescription
    pond: PondState
    _attr_assumed_state = True

    @property
    def is_on(self) -> bool | None:
        """Return whether the valve was last confirmed open (None: never confirmed)."""
        return self.entity_description.position_fn(self.pond)

    async def async_turn_on(self, **kwargs: Any) -> None:  # noqa: ARG002
        """Open the valve and return once the controller completed it."""
        await self._async_move(self.entity_description.open_action)

    async def async_turn_off(self, **kwargs: Any) -> None:  # noqa: ARG002
        """Close the valve and return once the controller completed it."""
        await self._async_move(self.entity_description.close_action)

    async def _async_move(self, action: WaterAction) -> None:
        command = await actions.async_water(
            self.hub.commands, self.pond, action, self._context
        )
        # The new position is written by the hub when the command completes.
        await actions.async_wait(command, until_completion=True)
