"""Home Assistant's side of the alarms: limits, debounce timers, events, repairs.

`alarms.py` decides; this module feeds it the readings where they arrive, runs the
timer of the "T seconds outside" rule, tells entities about changes and fires
`future_fish_threshold`. It also keeps the controllers' own alarms (`threshold`
topic) and the repair issue of limits that could not be pushed to a controller.
"""

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from .alarms import (
    CONF_PUSH_LIMITS,
    CONTROLLER_QUANTITIES,
    DEFAULT_PUSH_LIMITS,
    POND_QUANTITIES,
    Alarm,
    AlarmSettings,
    Bound,
    Limits,
    Quantity,
    alarm_key,
    controller_alarm_watch,
    limit_key,
)
from .const import DOMAIN, EVENT_CONTROLLER_ALARM, EVENT_THRESHOLD
from .models import CONTROLLER_ALARM, SPECIES_PROFILE, ControllerState, PondState
from .protocol import Reading, SensorReport, parse_controller_alarm
from .species import PROFILE_QUANTITIES, PROFILES, Profile

if TYPE_CHECKING:
    from .coordinator import FutureFishHub

type Owner = ControllerState | PondState

ISSUE_PUSH_FAILED: Final = "push_limits_failed"
# A controller's alarm that names no reading or no limit cannot be seen to end in
# the readings; it is shown this long after the controller last raised it.
CONTROLLER_ALARM_HOLD: Final = timedelta(minutes=10)


def _where(owner: Owner) -> tuple[ControllerState, PondState | None]:
    if isinstance(owner, PondState):
        return owner.controller, owner
    return owner, None


class Thresholds:
    """The limits and alarms of one hub's controllers and ponds."""

    def __init__(self, hass: HomeAssistant, hub: FutureFishHub) -> None:
        """Read the alarm options of a hub; nothing is watched yet."""
        self.hass = hass
        self.hub = hub
        self.settings = AlarmSettings.from_options(hub.entry.options)
        self.push_limits: bool = hub.entry.options.get(
            CONF_PUSH_LIMITS, DEFAULT_PUSH_LIMITS
        )
        # At most one timer per debouncing alarm and per controller alarm.
        self._timers: dict[Alarm | ControllerState, CALLBACK_TYPE] = {}

    # --- life cycle ---------------------------------------------------------------------

    @callback
    def async_load(self) -> None:
        """Watch the limits restored with the hub's controllers and ponds."""
        for controller in self.hub.controllers.values():
            self._async_configure(controller, CONTROLLER_QUANTITIES)
            for pond in controller.ponds.values():
                self._async_configure(pond, POND_QUANTITIES)

    @callback
    def async_stop(self) -> None:
        """Cancel every timer (the hub unloads)."""
        for cancel in self._timers.values():
            cancel()
        self._timers.clear()

    @callback
    def async_forget(self, owner: Owner) -> None:
        """Drop the timers and the repair issue of a controller or pond deleted."""
        for alarm in owner.alarms.values():
            self._async_cancel(alarm)
        if isinstance(owner, ControllerState):
            self._async_cancel(owner)
            ir.async_delete_issue(self.hass, DOMAIN, _push_issue_id(owner))

    # --- limits ------------------------------------------------------------------------

    @callback
    def async_set_limit(
        self, owner: Owner, reading: Reading, bound: Bound, value: float | None
    ) -> bool:
        """Set (None: clear) one limit by hand; return whether it changed.

        A limit of a quantity that species profiles set makes the profile custom.
        """
        key = limit_key(reading, bound)
        if owner.values.get(key) == value:
            return False
        other = Bound.UPPER if bound is Bound.LOWER else Bound.LOWER
        limits: dict[Bound, float | None] = {
            bound: value,
            other: owner.values.get(limit_key(reading, other)),
        }
        lower, upper = limits[Bound.LOWER], limits[Bound.UPPER]
        if lower is not None and upper is not None and lower >= upper:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="limits_order",
                translation_placeholders={"lower": f"{lower:g}", "upper": f"{upper:g}"},
            )
        changes: dict[str, Any] = {key: value}
        if isinstance(owner, ControllerState) and reading in PROFILE_QUANTITIES:
            changes[SPECIES_PROFILE] = Profile.CUSTOM
        owner.async_update(changes)
        self._async_limits_changed(owner, (reading,))
        return True

    @callback
    def async_set_profile(
        self, controller: ControllerState, profile: Profile
    ) -> list[Reading]:
        """Set the limits a species profile defines; return the quantities changed."""
        changes: dict[str, Any] = {SPECIES_PROFILE: profile}
        changed: list[Reading] = []
        for reading, limits in PROFILES.get(profile, {}).items():
            differing = {
                key: value
                for bound in Bound
                # Floats, like limits set by hand: 17.0, not 17.
                if controller.values.get(key := limit_key(reading, bound))
                != (value := _float(limits[bound]))
            }
            if differing:
                changes |= differing
                changed.append(reading)
        controller.async_update(changes)
        self._async_limits_changed(controller, changed)
        return changed

    @callback
    def _async_limits_changed(self, owner: Owner, readings: Iterable[Reading]) -> None:
        for reading in readings:
            self._async_configure_one(owner, reading)
        self.hub.async_schedule_save()

    @callback
    def _async_configure(self, owner: Owner, quantities: tuple[Quantity, ...]) -> None:
        for quantity in quantities:
            self._async_configure_one(owner, quantity.reading)

    @callback
    def _async_configure_one(self, owner: Owner, reading: Reading) -> None:
        """Give a quantity an alarm while it has a limit; limits apply from the next reading."""
        limits = Limits(
            owner.values.get(limit_key(reading, Bound.LOWER)),
            owner.values.get(limit_key(reading, Bound.UPPER)),
        )
        alarm = owner.alarms.get(reading)
        if not limits.is_set:
            if alarm is not None:
                # Nothing left to compare with: unknown, like a quantity never limited.
                del owner.alarms[reading]
                self._async_cancel(alarm)
                owner.async_notify((alarm_key(reading),))
            return
        if alarm is None:
            owner.alarms[reading] = Alarm(
                reading,
                limits,
                readings=self.settings.readings,
                duration=self.settings.duration,
                margin=self.settings.margins[reading],
            )
            return
        alarm.limits = limits
        # The alarm's attributes show the limit crossed.
        owner.async_notify((alarm_key(reading),))

    # --- readings -----------------------------------------------------------------------

    @callback
    def async_handle_readings(
        self, owner: Owner, readings: Mapping[str, Any], now: datetime
    ) -> None:
        """Compare every reading of a message with its limits, equal ones included."""
        for reading, alarm in owner.alarms.items():
            if reading in readings:
                before = alarm.is_on
                if alarm.update(readings[reading], now):
                    self._async_alarm_changed(owner, alarm, before)
                self._async_arm(owner, alarm)

    @callback
    def _async_arm(self, owner: Owner, alarm: Alarm) -> None:
        """Run a timer for the duration rule while the alarm debounces, and only then."""
        deadline = alarm.deadline
        if deadline is None:
            self._async_cancel(alarm)
        elif alarm not in self._timers:
            self._async_start(alarm, deadline, partial(self._async_due, owner, alarm))

    @callback
    def _async_due(self, owner: Owner, alarm: Alarm, now: datetime) -> None:
        self._timers.pop(alarm, None)
        before = alarm.is_on
        if alarm.expire(now):
            self._async_alarm_changed(owner, alarm, before)
        self._async_arm(owner, alarm)

    @callback
    def _async_alarm_changed(
        self, owner: Owner, alarm: Alarm, before: bool | None
    ) -> None:
        owner.async_notify((alarm_key(alarm.reading),))
        # Events for turning on and off; becoming known (off) or unknown is neither.
        if not (
            (alarm.is_on is True and before is not True)
            or (alarm.is_on is False and before is True)
        ):
            return
        controller, pond = _where(owner)
        self.hass.bus.async_fire(
            EVENT_THRESHOLD,
            {
                "device_id": owner.device_entry_id,
                "controller": controller.device_id,
                "pond": None if pond is None else pond.position,
                "quantity": alarm.reading,
                "state": "on" if alarm.is_on else "off",
                "value": alarm.value,
                "limit": None if alarm.bound is None else alarm.bound.value,
                "limit_value": alarm.limit,
            },
        )

    # --- controllers' own alarms ---------------------------------------------------------

    @callback
    def async_handle_controller_alarm(
        self, controller: ControllerState, payload: dict[str, Any], now: datetime
    ) -> None:
        """Show a controller's alarm and fire `future_fish_alarm`; never raises."""
        alarm = parse_controller_alarm(payload)
        controller.controller_alarm = alarm
        controller.controller_alarm_at = now
        controller.async_notify((CONTROLLER_ALARM,))
        self._async_cancel(controller)
        if controller_alarm_watch(alarm) is None:
            self._async_start(
                controller,
                now + CONTROLLER_ALARM_HOLD,
                partial(self._async_end_controller_alarm, controller),
            )
        self.hass.bus.async_fire(
            EVENT_CONTROLLER_ALARM,
            {
                "device_id": controller.device_entry_id,
                "controller": controller.device_id,
                "pond": alarm.pond,
                "parameter": alarm.parameter,
                "value": alarm.value,
                "lower": alarm.lower,
                "upper": alarm.upper,
                "message": alarm.message,
                "timestamp": alarm.timestamp and alarm.timestamp.isoformat(),
            },
        )

    @callback
    def async_check_controller_alarm(
        self, controller: ControllerState, report: SensorReport
    ) -> None:
        """End a controller's alarm once a reading is back within the limits it named."""
        if controller.controller_alarm is None:
            return
        watch = controller_alarm_watch(controller.controller_alarm)
        if watch is None:
            return
        reading, limits = watch
        value = report.controller.get(reading)
        if value is None:
            pond = report.ponds.get(controller.controller_alarm.pond or 1, {})
            value = pond.get(reading)
        if value is not None and limits.crossed(value) is None:
            self._async_end_controller_alarm(controller)

    @callback
    def _async_end_controller_alarm(
        self, controller: ControllerState, _: datetime | None = None
    ) -> None:
        self._async_cancel(controller)
        controller.controller_alarm = None
        controller.controller_alarm_at = None
        controller.async_notify((CONTROLLER_ALARM,))

    # --- pushing limits to controllers ---------------------------------------------------

    @callback
    def async_push_result(
        self, controller: ControllerState, parameter: str, error: str | None
    ) -> None:
        """Record how pushing one pair of limits went; a repair issue lists failures."""
        if error is None:
            controller.push_failures.pop(parameter, None)
        else:
            controller.push_failures[parameter] = error
        issue_id = _push_issue_id(controller)
        if not controller.push_failures:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_PUSH_FAILED,
            translation_placeholders={
                "controller": controller.name,
                "errors": "\n".join(
                    f"- {name}: {why}"
                    for name, why in sorted(controller.push_failures.items())
                ),
            },
        )

    # --- timers ----------------------------------------------------------------------------

    @callback
    def _async_start(
        self,
        key: Alarm | ControllerState,
        when: datetime,
        action: Callable[[datetime], None],
    ) -> None:
        delay = max((when - dt_util.utcnow()).total_seconds(), 0)
        self._timers[key] = async_call_later(
            self.hass, delay, HassJob(action, cancel_on_shutdown=True)
        )

    @callback
    def _async_cancel(self, key: Alarm | ControllerState) -> None:
        if (cancel := self._timers.pop(key, None)) is not None:
            cancel()


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


def _push_issue_id(controller: ControllerState) -> str:
    return f"{ISSUE_PUSH_FAILED}_{controller.device_id}"
