"""Base entity of Future Fish controllers and ponds."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .coordinator import FutureFishConfigEntry, FutureFishHub
from .models import AVAILABILITY, ControllerState, PondState


@dataclass(frozen=True, kw_only=True)
class FutureFishEntityDescription(EntityDescription):
    """What every Future Fish entity adds to Home Assistant's description."""

    # The state keys whose changes the entity shows; its own key when None.
    watched: tuple[str, ...] | None = None
    # What Home Assistant itself keeps (settings, records, command history) stays
    # shown while the controller is offline.
    available_offline: bool = False


class FutureFishEntity(Entity):
    """An entity of a controller or of one of its ponds.

    It listens only to the keys it shows, so a message that changes nothing it shows
    costs it nothing and writes no state.
    """

    _attr_has_entity_name = True
    _attr_should_poll = False
    entity_description: FutureFishEntityDescription

    def __init__(
        self,
        hub: FutureFishHub,
        controller: ControllerState,
        description: FutureFishEntityDescription,
        pond: PondState | None = None,
    ) -> None:
        """Describe the entity `description` of a controller or a pond."""
        self.hub = hub
        self.controller = controller
        self.pond = pond
        self.entity_description = description
        device_key = controller.device_id if pond is None else pond.device_key
        self._attr_unique_id = f"{device_key}_{description.key}"
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, device_key)})

    @property
    def observed(self) -> ControllerState | PondState:
        """Return the state object whose values this entity shows."""
        return self.controller if self.pond is None else self.pond

    @property
    def available(self) -> bool:
        """Return whether the controller is online, or the value is Home Assistant's."""
        return self.entity_description.available_offline or self.controller.online

    async def async_added_to_hass(self) -> None:
        """Start listening to the values this entity shows and to availability."""
        description = self.entity_description
        watched = (
            (description.key,) if description.watched is None else description.watched
        )
        self.async_on_remove(
            self.observed.async_listen(watched, self.async_write_ha_state)
        )
        self.async_on_remove(
            self.controller.async_listen((AVAILABILITY,), self.async_write_ha_state)
        )


@runtime_checkable
class ClearableLimit(Protocol):
    """An entity holding an alarm limit, which the `clear_limit` action unsets."""

    def async_clear_limit(self) -> None:
        """Unset the limit."""


@callback
def async_setup_device_entities[DescriptionT: FutureFishEntityDescription](
    entry: FutureFishConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    entity_class: Callable[..., FutureFishEntity],
    controller_descriptions: Sequence[DescriptionT],
    pond_descriptions: Sequence[DescriptionT],
) -> None:
    """Add entities for every known and every future controller and pond.

    Each platform calls this from its `async_setup_entry`; the listening ends when
    the entry unloads.
    """
    hub = entry.runtime_data
    # So the hub can tell which devices Home Assistant's entity limit left short.
    hub.entity_limit.async_expect(len(controller_descriptions), len(pond_descriptions))

    @callback
    def add_controller(controller: ControllerState) -> None:
        if controller_descriptions:
            async_add_entities(
                entity_class(hub, controller, description)
                for description in controller_descriptions
            )

    @callback
    def add_pond(pond: PondState) -> None:
        if pond_descriptions:
            async_add_entities(
                entity_class(hub, pond.controller, description, pond)
                for description in pond_descriptions
            )

    entry.async_on_unload(hub.devices.async_add_listeners(add_controller, add_pond))
