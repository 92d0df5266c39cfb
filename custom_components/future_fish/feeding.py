"""Feeding records: what each pond was given today, from the feeds that completed.

Every feed command that a controller reports completed counts, whatever sent it (a
button, an action, an automation, a voice assistant), also one whose completion
came after Home Assistant had given up on it; one that failed, was refused or timed
out without a completion does not, since Home Assistant cannot know that feed was
given. The totals start again at local midnight and survive restarts.
"""

from collections.abc import Callable
from datetime import date, datetime
from typing import Final, TypedDict

from homeassistant.core import callback
from homeassistant.helpers.event import async_track_time_change
from homeassistant.util import dt as dt_util

from .commands import Command, CommandState, CommandTracker
from .context import HubContext
from .models import PondState
from .protocol import CommandType
from .storage import StoredComponent

# Keys of a pond's values: grams and number of completed feeds today.
# Feeds are rare; a short delay only batches a burst of them.
SAVE_DELAY: Final = 10


class StoredTotals(TypedDict):
    """One pond's totals."""

    grams: float
    feedings: int


class StoredFeeding(TypedDict):
    """The feeding records' storage file."""

    day: str
    """The local date the totals belong to (ISO 8601)."""
    ponds: dict[str, StoredTotals]


class FeedingRecords(StoredComponent[StoredFeeding]):
    """Counts each pond's completed feeds of the day, kept on the pond's values."""

    def __init__(
        self,
        context: HubContext,
        commands: CommandTracker,
        on_feed: Callable[[PondState, float], None],
    ) -> None:
        """Prepare the records of one hub; nothing is loaded or listened to yet.

        `on_feed` hears of every completed feed too (the feed since stocking).
        """
        super().__init__(context.hass, f"{context.entry.entry_id}.feeding", SAVE_DELAY)
        self._context = context
        self._commands = commands
        self._on_feed = on_feed
        self._day = dt_util.now().date()

    async def async_load(self) -> None:
        """Bring back today's totals (the hub's ponds must be loaded) and listen."""
        stored = await self._store.async_load()
        self._day = dt_util.now().date()
        # Totals of another day ended at a midnight Home Assistant slept through.
        if stored is not None and stored["day"] == self._day.isoformat():
            for pond in self._ponds():
                if (totals := stored["ponds"].get(pond.device_key)) is not None:
                    pond.feed_given_today = totals["grams"]
                    pond.feedings_today = totals["feedings"]
        self._unsubscribe = [
            self._commands.async_add_listener(self._async_command_changed),
            # One timer for the whole hub, however many ponds it has.
            async_track_time_change(
                self.hass, self._async_midnight, hour=0, minute=0, second=0
            ),
        ]

    @callback
    def _async_command_changed(self, command: Command) -> None:
        # A feed confirmed after Home Assistant gave up on it was given all the same.
        if command.command_type is not CommandType.FEED or (
            command.state is not CommandState.COMPLETED
            and command.completed_late_at is None
        ):
            return
        pond = command.controller.ponds.get(command.pond or 0)
        if pond is None:
            # The user deleted the pond while it was being fed.
            return
        # Midnight's timer may not have run yet (a suspended host).
        self._async_start_day(dt_util.now().date())
        grams = float(command.parameters["amount"])
        pond.feed_given_today += grams
        pond.feedings_today += 1
        self._on_feed(pond, grams)
        self._async_schedule_save()

    @callback
    def _async_midnight(self, now: datetime) -> None:
        self._async_start_day(now.date())

    @callback
    def _async_start_day(self, today: date) -> None:
        """Set every pond's totals back to zero once the day changed."""
        if today == self._day:
            return
        self._day = today
        for pond in self._ponds():
            pond.feed_given_today = 0
            pond.feedings_today = 0
        self._async_schedule_save()

    def _ponds(self) -> list[PondState]:
        return [
            pond
            for controller in self._context.controllers.values()
            for pond in controller.ponds.values()
        ]

    def _stored_data(self) -> StoredFeeding:
        return {
            "day": self._day.isoformat(),
            "ponds": {
                pond.device_key: {
                    "grams": pond.feed_given_today,
                    "feedings": pond.feedings_today,
                }
                for pond in self._ponds()
                if pond.feedings_today
            },
        }
