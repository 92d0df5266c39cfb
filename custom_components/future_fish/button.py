"""Buttons: feed, fill, drain and flush a pond; restart a controller.

A press returns once the controller acknowledged the command, so a refusal shows as
an error where the user pressed; the outcome arrives later, in the logbook and in the
controller's Last command sensor.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.components.button.const import ButtonDeviceClass
from homeassistant.const import EntityCategory
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import actions
from .actions import WaterAction
from .commands import Command, CommandTracker
from .coordinator import FutureFishConfigEntry
from .entity import FutureFishEntity, async_setup_device_entities
from .models import DRAIN_TARGET, FEED_AMOUNT, FILL_TARGET, ControllerState, PondState

# Each press waits for its own acknowledgement; presses on different ponds must not
# queue behind each other (the hub refuses conflicting commands itself).
PARALLEL_UPDATES = 0

type PondSender = Callable[
    [CommandTracker, PondState, Context | None], Awaitable[Command]
]
type ControllerSender = Callable[
    [CommandTracker, ControllerState, Context | None], Awaitable[Command]
]


@dataclass(frozen=True, kw_only=True)
class PondButtonDescription(ButtonEntityDescription):
    """A button of a pond and the command it sends, with the pond's settings."""

    send_fn: PondSender


@dataclass(frozen=True, kw_only=True)
class ControllerButtonDescription(ButtonEntityDescription):
    """A button of a controller and the command it sends."""

    send_fn: ControllerSender


POND_BUTTONS: Final[tuple[PondButtonDescription, ...]] = (
    PondButtonDescription(
        key="feed",
        translation_key="feed",
        send_fn=lambda commands, pond, context: actions.async_feed(
            commands, pond, pond.setting(FEED_AMOUNT), context
        ),
    ),
    PondButtonDescription(
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
    PondButtonDescription(
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
    PondButtonDescription(
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

CONTROLLER_BUTTONS: Final[tuple[ControllerButtonDescription, ...]] = (
    ControllerButtonDescription(
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
        entry, async_add_entities, FutureFishPondButton, (), POND_BUTTONS
    )
    async_setup_device_entities(
        entry, async_add_entities, FutureFishControllerButton, CONTROLLER_BUTTONS, ()
    )


class FutureFishButton(FutureFishEntity, ButtonEntity):
    """A button that sends one command and waits for its acknowledgement."""

    @property
    def watched_keys(self) -> tuple[str, ...]:
        """Return nothing: a button shows only when it was last pressed."""
        return ()

    async def _async_send(self) -> Command:
        raise NotImplementedError

    async def async_press(self) -> None:
        """Send the command; a refusal or a missing acknowledgement raises."""
        command = await self._async_send()
        await actions.async_wait(command, until_completion=False)


class FutureFishPondButton(FutureFishButton):
    """A button of a pond."""

    entity_description: PondButtonDescription
    pond: PondState

    async def _async_send(self) -> Command:
        return await self.entity_description.send_fn(
            self.hub.commands, self.pond, self._context
        )


class FutureFishControllerButton(FutureFishButton):
    """A button of a controller."""

    entity_description: ControllerButtonDescription

    async def _async_send(self) -> Command:
        return await self.entity_description.send_fn(
            self.hub.commands, self.controller, self._context
        )
