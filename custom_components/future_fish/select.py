"""Selects: the species profile of a controller's limits, the species of a pond."""

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
from .models import POND_SPECIES, SPECIES_PROFILE, PondState
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

# Set once; disabled until the user wants it (docs/feeding.md). Until a species is
# chosen, it shows the controller's profile, which the pond follows.
POND_SPECIES_SELECT: Final = SpeciesProfileDescription(
    key=POND_SPECIES,
    translation_key="pond_species",
    options=[profile.value for profile in Profile],
    entity_category=EntityCategory.CONFIG,
    entity_registry_enabled_default=False,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FutureFishConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the species profile of every controller and the species of every pond."""
    async_setup_device_entities(
        entry,
        async_add_entities,
        FutureFishSpeciesProfile,
        (SPECIES_PROFILE_SELECT,),
        (),
    )
    async_setup_device_entities(
        entry, async_add_entities, FutureFishPondSpecies, (), (POND_SPECIES_SELECT,)
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


class FutureFishPondSpecies(FutureFishEntity, SelectEntity):
    """The species in a pond, whose feeding tables its ration and hold use."""

    entity_description: SpeciesProfileDescription
    pond: PondState

    async def async_added_to_hass(self) -> None:
        """Listen to the pond's species, and to the profile it follows until set."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.controller.async_listen((SPECIES_PROFILE,), self.async_write_ha_state)
        )

    @property
    def current_option(self) -> str:
        """Return the pond's species; its controller's profile until one is chosen."""
        return self.pond.fish_species

    async def async_select_option(self, option: str) -> None:
        """Set the species; the ration and the hold follow it at once."""
        self.hub.husbandry.async_set_species(self.pond, Profile(option))
