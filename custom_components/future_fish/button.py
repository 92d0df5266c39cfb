"""Buttons: feed, fill, drain and flush a pond; restart a controller.

A press returns once the controller acknowledged the command, so a refusal shows as
an error where the user pressed; the outcome arrives later, in the logbook and in the
controller's Last command sensor.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.components.button.const import ButtonDeviceClass
from homeassistant.const import EntityCategory
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import actions
from .actions import WaterAction
from .commands import Command, CommandTracker
from .coordinator import FutureFishConfigEntry
from .entity import (
    FutureFishEntity,
    FutureFishEntityDescription,
    async_setup_device_entities,
)
from .models import (
    DRAIN_TARGET,
    FEED_AMOUNT,
    FILL_TARGET,
    ControllerState,
    Observable,
    PondState,
)

# Each press waits for its own acknowledgement; presses on different ponds must not
# queue behind each other (the hub refuses conflicting commands itself).
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class FutureFishButtonDescription[StateT: Observable](
    ButtonEntityDescription, FutureFishEntityDescription
):
    """A button of a controller or a pond (`StateT`) and the command it sends."""

    send_fn: Callable[[CommandTracker, StateT, Context | None], Awaitable[Command]]
    # A button shows only when it was last pressed.
    watched: tuple[str, ...] | None = ()


POND_BUTTONS: Final[tuple[FutureFishButtonDescription[PondState], ...]] = (
    FutureFishButtonDescription(
        key="feed",
        translation_key="feed",
        send_fn=lambda commands, pond, context: actions.async_feed(
            commands, pond, pond.setting(FEED_AMOUNT), context
        ),
    ),
    FutureFishButtonDescription(
        key="fill",
        translation_key="fill",
        send_fn=lambda commands, pond, context: actions.async_water(
            commands,
            pond,
            WaterAction.FILL,
            context,
            level=pond.setting(FILL_TARGET),
        ),
    ),
    FutureFishButtonDescription(
        key="drain",
        translation_key="drain",
        send_fn=lambda commands, pond, context: actions.async_water(
            commands,
            pond,
            WaterAction.DRAIN,
            context,
            level=pond.setting(DRAIN_TARGET),
        ),
    ),
    FutureFishButtonDescription(
        key="flush",
        translation_key="flush",
        send_fn=lambda commands, pond, context: actions.async_water(
            commands,
            pond,
            WaterAction.FLUSH,
            context,
            drain_level=pond.setting(DRAIN_TARGET),
            fill_level=pond.setting(FILL_TARGET),
        ),
    ),
)

CONTROLLER_BUTTONS: Final[tuple[FutureFishButtonDescription[ControllerState], ...]] = (
    FutureFishButtonDescription(
        key="reboot",
        translation_key="reboot",
        device_class=ButtonDeviceClass.RESTART,
        entity_category=EntityCategory.CONFIG,
        send_fn=actions.async_reboot,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: FutureFishConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the buttons of every controller and pond, now and as they appear."""
    async_setup_device_entities(
        entry, async_add_entities, FutureFishButton, CONTROLLER_BUTTONS, POND_BUTTONS
    )


class FutureFishButton(FutureFishEntity, ButtonEntity):
    """A button that sends one command and waits for its acknowledgement."""

    entity_description: FutureFishButtonDescription[Any]

    async def async_press(self) -> None:
        """Send the command; a refusal or a missing acknowledgement raises."""
        command = await self.entity_description.send_fn(
            self.hub.commands, self.observed, self._context
        )
        await actions.async_wait(command, until_completion=False)
