"""The dawn oxygen forecast in Home Assistant: sun times, readings and storage.

Sunset and sunrise come from Home Assistant's own location through its sun helpers,
so the forecast works whether or not the `sun` integration is set up. Each night,
every dissolved-oxygen reading a controller sends goes into its `NightFit`; the
forecast is published on the controller's state (`dawn_oxygen`) for the sensor and
the "Oxygen crash expected" problem sensor, and withdrawn at sunrise.
"""

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Final, TypedDict

from homeassistant.const import (
    EVENT_CORE_CONFIG_UPDATE,
    SUN_EVENT_SUNRISE,
    SUN_EVENT_SUNSET,
)
from homeassistant.core import CALLBACK_TYPE, Event, HassJob, HomeAssistant, callback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.storage import Store
from homeassistant.helpers.sun import get_astral_event_next

from .const import DOMAIN
from .context import HubContext
from .forecast import Forecast, NightFit
from .models import DISSOLVED_OXYGEN_LOWER, ControllerState
from .protocol import Reading

STORAGE_VERSION: Final = 1
# Thousands of controllers report every 30 s: the nights are written at most every
# five minutes (and at once when Home Assistant stops), as losing a few minutes of
# readings to a crash barely changes a night's line.
SAVE_DELAY: Final = 300
# No sunset within a day means a polar night, which has no dawn worth forecasting.
LONGEST_NIGHT: Final = timedelta(days=1)

type Night = tuple[datetime, datetime]
"""A night's sunset and the sunrise that ends it."""


class StoredNights(TypedDict):
    """The forecast's storage file: each controller's night so far."""

    fits: dict[str, dict[str, Any]]


def oxygen_lower_limit(controller: ControllerState) -> float | None:
    """Return the dissolved-oxygen lower limit set for a controller, if any."""
    limit: float | None = controller.values.get(DISSOLVED_OXYGEN_LOWER)
    return limit


def oxygen_crash_expected(controller: ControllerState) -> bool | None:
    """Return whether oxygen is expected below the lower limit at sunrise.

    Unknown while either is: by day, early in the night, or with no limit set.
    """
    forecast = controller.dawn_oxygen
    limit = oxygen_lower_limit(controller)
    if forecast is None or limit is None:
        return None
    return forecast.value < limit


@callback
def night_at(hass: HomeAssistant, now: datetime) -> tuple[Night | None, datetime]:
    """Return the night `now` falls in (None by day), and until when that holds."""
    try:
        sunrise = get_astral_event_next(hass, SUN_EVENT_SUNRISE, now)
        sunset = get_astral_event_next(hass, SUN_EVENT_SUNSET, now)
    except ValueError:
        # No sunrise or sunset within a year: a pole (or a broken location).
        return None, now + LONGEST_NIGHT
    if sunset < sunrise:
        return None, sunset
    began = get_astral_event_next(hass, SUN_EVENT_SUNSET, now - LONGEST_NIGHT)
    if began > now:
        return None, sunrise
    # While days shorten, two sunsets can fall within a day: take the later.
    while (following := get_astral_event_next(hass, SUN_EVENT_SUNSET, began)) <= now:
        began = following
    return (began, sunrise), sunrise


def _location(hass: HomeAssistant) -> tuple[float, float, int]:
    """Return what sun times depend on."""
    return hass.config.latitude, hass.config.longitude, hass.config.elevation


def _shown(forecast: Forecast | None) -> tuple[float, datetime] | None:
    """Return what a change of the forecast must change to be worth a state write."""
    return None if forecast is None else (forecast.value, forecast.sunrise)


class DawnForecaster:
    """Fits every controller's night and publishes its dawn forecast."""

    def __init__(self, context: HubContext) -> None:
        """Prepare the forecasts of one hub; nothing is loaded or listened to yet."""
        self.hass = context.hass
        self._context = context
        self._store: Store[StoredNights] = Store(
            context.hass, STORAGE_VERSION, f"{DOMAIN}.{context.entry.entry_id}.dawn"
        )
        self._fits: dict[str, NightFit] = {}
        # The night (or day) worked out last and until when it holds, so a reading
        # costs a comparison, not an astronomical calculation.
        self._night: Night | None = None
        self._until: datetime | None = None
        self._location: tuple[float, float, int] | None = None
        self._sunrise_job = HassJob(self._async_sunrise, cancel_on_shutdown=True)
        self._cancel_sunrise: CALLBACK_TYPE | None = None
        self._unsubscribe: list[CALLBACK_TYPE] = []
        self._save_pending = False

    async def async_load(self) -> None:
        """Bring back the nights in progress when Home Assistant stopped."""
        stored = await self._store.async_load()
        if stored is not None:
            self._fits = {
                device_id: NightFit.from_dict(data)
                for device_id, data in stored["fits"].items()
            }
        self._location = _location(self.hass)
        self._unsubscribe = [
            self.hass.bus.async_listen(
                EVENT_CORE_CONFIG_UPDATE, self._async_config_changed
            )
        ]

    async def async_stop(self) -> None:
        """Stop listening and write the nights so far."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        self._async_cancel_sunrise()
        await self._store.async_save(self._stored_data())

    async def async_remove_storage(self) -> None:
        """Delete the stored nights when the hub's config entry is deleted."""
        await self._store.async_remove()

    @callback
    def async_handle_readings(
        self, controller: ControllerState, readings: Mapping[str, float], now: datetime
    ) -> None:
        """Take a sensors message's dissolved oxygen into the controller's night."""
        value = readings.get(Reading.DISSOLVED_OXYGEN)
        if value is None:
            return
        night = self._async_night(now)
        if night is None:
            return
        sunset, sunrise = night
        fit = self._fits.get(controller.device_id)
        if fit is None or fit.sunset != sunset:
            fit = self._fits[controller.device_id] = NightFit(sunset)
        fit.add(now, value)
        self._async_publish(controller, fit.forecast(sunrise))
        self._async_schedule_save()

    @callback
    def _async_night(self, now: datetime) -> Night | None:
        if self._until is None or now >= self._until:
            self._night, self._until = night_at(self.hass, now)
            self._async_cancel_sunrise()
            if self._night is not None:
                self._cancel_sunrise = async_track_point_in_utc_time(
                    self.hass, self._sunrise_job, self._until
                )
        return self._night

    @callback
    def _async_sunrise(self, _: datetime) -> None:
        self._cancel_sunrise = None
        self._async_forget_nights()

    @callback
    def _async_config_changed(self, _: Event) -> None:
        """Start the night afresh when Home Assistant's location moved."""
        location = _location(self.hass)
        if location == self._location:
            return
        self._location = location
        self._async_cancel_sunrise()
        self._async_forget_nights()

    @callback
    def _async_forget_nights(self) -> None:
        """Drop every night's readings and withdraw every forecast."""
        self._until = None
        self._fits.clear()
        for controller in self._context.controllers.values():
            self._async_publish(controller, None)
        self._async_schedule_save()

    @callback
    def _async_cancel_sunrise(self) -> None:
        if self._cancel_sunrise is not None:
            self._cancel_sunrise()
            self._cancel_sunrise = None

    @callback
    def _async_publish(
        self, controller: ControllerState, forecast: Forecast | None
    ) -> None:
        if _shown(forecast) != _shown(controller.dawn_oxygen):
            controller.dawn_oxygen = forecast

    @callback
    def _async_schedule_save(self) -> None:
        # Store.async_delay_save postpones a pending write on every call, and readings
        # never pause at night: ask once and let the write happen.
        if not self._save_pending:
            self._save_pending = True
            self._store.async_delay_save(self._async_data_to_save, SAVE_DELAY)

    @callback
    def _async_data_to_save(self) -> StoredNights:
        self._save_pending = False
        return self._stored_data()

    def _stored_data(self) -> StoredNights:
        return {
            "fits": {device_id: fit.as_dict() for device_id, fit in self._fits.items()}
        }
