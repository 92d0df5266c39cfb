"""Selects: the species profile that sets a controller's alarm limits."""

from dataclasses import dataclass
from typing import Final

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import FutureFishConfigEntry
from .entity import (
    FutureFishEntity,
    FutureFishEntityDescription,
    async_setup_device_entities,
)
from .models import SPECIES_PROFILE
from .species import Profile

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SpeciesProfileDescription(SelectEntityDescription, FutureFishEntityDescription):
    """The species profile: kept by Home Assistant, changeable while offline."""

    available_offline: bool = True


SPECIES_PROFILE_SELECT: Final = SpeciesProfileDescription(
    key=SPECIES_PROFILE,
    translation_key=SPECIES_PROFILE,
    options=[profile.value for profile in Profile],
    entity_category=EntityCategory.CONFIG,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FutureFishConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a species profile select for every controller."""
    async_setup_device_entities(
        entry,
        async_add_entities,
        FutureFishSpeciesProfile,
        (SPECIES_PROFILE_SELECT,),
        (),
    )


class FutureFishSpeciesProfile(FutureFishEntity, SelectEntity):
    """The species whose limits the controller's alarms use; custom once edited.

    Choosing a species sets the limits of water temperature, dissolved oxygen, pH
    and ammonia; choosing custom changes none. Kept by Home Assistant, so it can be
    changed while the controller is offline.
    """

    entity_description: SpeciesProfileDescription

    @property
    def current_option(self) -> str:
        """Return the profile; custom until one was chosen."""
        return self.controller.species_profile

    async def async_select_option(self, option: str) -> None:
        """Apply a profile's limits and send those the controller watches itself."""
        self.hub.thresholds.async_set_profile(self.controller, Profile(option))
