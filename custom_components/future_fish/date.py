"""Dates: when a pond was stocked."""

from dataclasses import dataclass
from datetime import date
from typing import Final

from homeassistant.components.date import DateEntity, DateEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import FutureFishConfigEntry
from .entity import (
    FutureFishEntity,
    FutureFishEntityDescription,
    async_setup_device_entities,
)
from .models import STOCK, PondState

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class StockingDateDescription(DateEntityDescription, FutureFishEntityDescription):
    """The stocking date: Home Assistant's record, changeable while offline."""


# Set once; disabled until the user wants it (docs/feeding.md).
STOCKING_DATE: Final = StockingDateDescription(
    key="stocking_date",
    translation_key="stocking_date",
    entity_category=EntityCategory.CONFIG,
    entity_registry_enabled_default=False,
    available_offline=True,
    watched=(STOCK,),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FutureFishConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the stocking date of every pond."""
    async_setup_device_entities(
        entry, async_add_entities, FutureFishStockingDate, (), (STOCKING_DATE,)
    )


class FutureFishStockingDate(FutureFishEntity, DateEntity):
    """When the pond was stocked; unknown until it was (`restock`)."""

    entity_description: StockingDateDescription
    pond: PondState

    @property
    def native_value(self) -> date | None:
        """Return the stocking date."""
        return None if self.pond.stock is None else self.pond.stock.stocked_on

    async def async_set_value(self, value: date) -> None:
        """Correct the stocking date."""
        self.hub.husbandry.async_correct(self.pond, stocked_on=value)
