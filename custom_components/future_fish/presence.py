"""Who is online: the last time each controller spoke, and one timer for all.

Online controllers are kept least recently heard first, so the first one is always
the next to expire and a single timer serves the whole hub, however large.
"""

from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime, timedelta

from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from .const import LOGGER
from .models import AVAILABILITY, ControllerState


class Presence:
    """Availability of one hub's controllers, from what they send."""

    def __init__(self, hass: HomeAssistant, heartbeat_timeout: timedelta) -> None:
        """Prepare; nobody is online yet."""
        self.hass = hass
        self.heartbeat_timeout = heartbeat_timeout
        self._online: OrderedDict[ControllerState, datetime] = OrderedDict()
        self._expiry_job = HassJob(self._async_expire, cancel_on_shutdown=True)
        self._cancel_expiry: CALLBACK_TYPE | None = None

    @callback
    def async_seen(self, controller: ControllerState, now: datetime) -> bool:
        """Note that a controller spoke; return whether it was offline until now."""
        controller.last_seen = now
        self._online[controller] = now
        back = not controller.online
        if back:
            if controller.offline_since is not None:
                LOGGER.info("Future Fish controller %s is back online", controller.name)
            controller.async_set_online(True, now)
            if self._cancel_expiry is None:
                self._async_schedule_expiry()
        else:
            self._online.move_to_end(controller)
        return back

    @callback
    def async_restore(
        self, controllers: Iterable[ControllerState], fresh_since: datetime
    ) -> None:
        """Bring back online those heard after `fresh_since` (a timeout ago).

        Before their entities exist, so none is written unavailable in between: no
        gap in the history, no trigger. Each goes offline when the timeout after its
        last message passes without a new one.
        """
        heard = {
            controller: last_seen
            for controller in controllers
            if (last_seen := controller.last_seen) and last_seen > fresh_since
        }
        for controller, last_seen in sorted(heard.items(), key=lambda item: item[1]):
            self._online[controller] = last_seen
            controller.online = True
        if self._online and self._cancel_expiry is None:
            self._async_schedule_expiry()

    @callback
    def async_go_offline(
        self, controller: ControllerState, now: datetime, why: str
    ) -> None:
        """Mark a controller offline now, saying why in the log."""
        self._online.pop(controller, None)
        LOGGER.info("Future Fish controller %s is offline: %s", controller.name, why)
        controller.async_set_online(False, now)

    @callback
    def async_connection_changed(
        self, connected: bool, controllers: Iterable[ControllerState]
    ) -> None:
        """Follow the broker: without it no controller can be known to be online."""
        if not connected and self.hass.is_stopping:
            # Home Assistant disconnects on its way down: no controller went
            # offline, and writing them unavailable would leave a gap in every
            # history and trigger automations at each restart.
            return
        if connected:
            LOGGER.info(
                "MQTT connection restored: Future Fish controllers return as they report"
            )
        else:
            LOGGER.info(
                "MQTT connection lost: every Future Fish controller is unavailable"
            )
            now = dt_util.utcnow()
            while self._online:
                controller, _ = self._online.popitem(last=False)
                controller.async_set_online(False, now)
            self.async_stop()
        for controller in controllers:
            controller.async_notify((AVAILABILITY,))

    @callback
    def async_stop(self) -> None:
        """Cancel the expiry timer."""
        if self._cancel_expiry is not None:
            self._cancel_expiry()
            self._cancel_expiry = None

    @callback
    def _async_schedule_expiry(self) -> None:
        last_seen = next(iter(self._online.values()))
        delay = last_seen + self.heartbeat_timeout - dt_util.utcnow()
        self._cancel_expiry = async_call_later(
            self.hass, max(delay.total_seconds(), 0), self._expiry_job
        )

    @callback
    def _async_expire(self, _: datetime) -> None:
        self._cancel_expiry = None
        now = dt_util.utcnow()
        cutoff = now - self.heartbeat_timeout
        while self._online:
            oldest, last_seen = next(iter(self._online.items()))
            if last_seen > cutoff:
                self._async_schedule_expiry()
                return
            self.async_go_offline(
                oldest,
                now,
                f"no message for {int(self.heartbeat_timeout.total_seconds())} s",
            )
