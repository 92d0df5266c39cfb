"""Valves: the inlet and outlet valve of a pond.

Controllers do not report valve positions, so a valve shows the position the last
completed valve command confirmed (unknown until one did), and `opening` or
`closing` while a command to move it runs, whoever sent it (a valve, an action, an
automation). It is never optimistic: opening returns only once the controller
completed the command, and a refusal or a timeout leaves the position as it was.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from homeassistant.components.homeassistant.exposed_entities import KNOWN_ASSISTANTS
from homeassistant.components.valve.const import ValveDeviceClass, ValveEntityFeature
from homeassistant.components.valve.entity import ValveEntity, ValveEntityDescription
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback, split_entity_id
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import actions
from .actions import WaterAction
from .commands import Command
from .const import DOMAIN
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
class FutureFishValveDescription(ValveEntityDescription, FutureFishEntityDescription):
    """A valve of a pond: its confirmed position (`open_fn`) and its commands."""

    open_fn: Callable[[PondState], bool | None]
    open_action: WaterAction
    close_action: WaterAction
    device_class: ValveDeviceClass | None = ValveDeviceClass.WATER
    reports_position: bool = False


POND_VALVES: Final[tuple[FutureFishValveDescription, ...]] = (
    FutureFishValveDescription(
        key=INLET_VALVE,
        translation_key=INLET_VALVE,
        open_fn=lambda pond: pond.inlet_valve,
        open_action=WaterAction.INLET_OPEN,
        close_action=WaterAction.INLET_CLOSE,
    ),
    FutureFishValveDescription(
        key=OUTLET_VALVE,
        translation_key=OUTLET_VALVE,
        open_fn=lambda pond: pond.outlet_valve,
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
    _async_migrate_valve_switches(hass, entry)
    async_setup_device_entities(
        entry, async_add_entities, FutureFishValve, (), POND_VALVES
    )


@callback
def _async_migrate_valve_switches(
    hass: HomeAssistant, entry: FutureFishConfigEntry
) -> None:
    """Replace the valve switches of earlier versions by valves, keeping their ids.

    `switch.pond_1_inlet_valve` becomes `valve.pond_1_inlet_valve` (a renamed id keeps
    its new name), and what the user set on the switch moves along: name, area,
    aliases, labels, hidden or disabled, and which assistants it was exposed to, so
    voice commands keep working (not an icon: a valve's follows its state). The
    switch is deleted: none would be provided again.
    """
    registry = er.async_get(hass)
    suffixes = tuple(f"_{description.key}" for description in POND_VALVES)
    for switch in er.async_entries_for_config_entry(registry, entry.entry_id):
        if switch.domain != Platform.SWITCH or not switch.unique_id.endswith(suffixes):
            continue
        registry.async_remove(switch.entity_id)
        valve = registry.async_get_or_create(
            Platform.VALVE,
            DOMAIN,
            switch.unique_id,
            config_entry=entry,
            device_id=switch.device_id,
            suggested_object_id=split_entity_id(switch.entity_id)[1],
            disabled_by=switch.disabled_by,
            hidden_by=switch.hidden_by,
        )
        registry.async_update_entity(
            valve.entity_id,
            name=switch.name,
            area_id=switch.area_id,
            aliases=switch.aliases,
            labels=switch.labels,
        )
        for assistant in KNOWN_ASSISTANTS:
            if assistant in switch.options:
                registry.async_update_entity_options(
                    valve.entity_id, assistant, switch.options[assistant]
                )


class FutureFishValve(FutureFishEntity, ValveEntity):
    """A water valve: the position a controller last confirmed, or its movement."""

    entity_description: FutureFishValveDescription
    pond: PondState
    # Nothing reports the real position: both directions stay offered.
    _attr_assumed_state = True
    _attr_supported_features = ValveEntityFeature.OPEN | ValveEntityFeature.CLOSE

    @property
    def is_closed(self) -> bool | None:
        """Return whether the valve was last confirmed closed (None: never confirmed)."""
        is_open = self.entity_description.open_fn(self.pond)
        return None if is_open is None else not is_open

    @property
    def is_opening(self) -> bool:
        """Return whether a command to open the valve is running."""
        return self._moving() is True

    @property
    def is_closing(self) -> bool:
        """Return whether a command to close the valve is running."""
        return self._moving() is False

    def _moving(self) -> bool | None:
        return actions.valve_moving(
            self.hub.commands, self.pond, self.entity_description.key
        )

    async def async_added_to_hass(self) -> None:
        """Also follow the commands that move this valve."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.hub.commands.async_add_listener(self._async_command_changed)
        )

    @callback
    def _async_command_changed(self, command: Command) -> None:
        key = self.entity_description.key
        if actions.valve_motion(command, self.pond, key) is not None:
            self.async_write_ha_state()

    async def async_open_valve(self) -> None:
        """Open the valve and return once the controller completed it."""
        await self._async_move(self.entity_description.open_action)

    async def async_close_valve(self) -> None:
        """Close the valve and return once the controller completed it."""
        await self._async_move(self.entity_description.close_action)

    async def _async_move(self, action: WaterAction) -> None:
        command = await actions.async_water(
            self.hub.commands, self.pond, action, self._context
        )
        # The new position is written by the hub when the command completes.
        await actions.async_wait(command, until_completion=True)
