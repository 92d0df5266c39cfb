"""Home Assistant's side of the alarms: limits, debounce timers, events, pushing.

`alarms.py` decides; this module feeds it the readings where they arrive, runs the
timer of the "T seconds outside" rule, tells entities about changes and fires
`future_fish_threshold`. It also keeps the controllers' own alarms (`threshold`
topic) and sends limits to controllers that can watch them themselves (THRESH).
"""

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import CALLBACK_TYPE, HassJob, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from .actions import async_set_threshold, async_wait
from .alarms import (
    CONTROLLER_QUANTITIES,
    POND_QUANTITIES,
    QUANTITIES,
    Alarm,
    AlarmSettings,
    AlarmState,
    Bound,
    Limits,
    Quantity,
    alarm_key,
    controller_alarm_watch,
    limit_key,
)
from .commands import Command, CommandState, CommandTracker
from .const import DOMAIN, EVENT_CONTROLLER_ALARM, EVENT_THRESHOLD
from .context import HubContext
from .models import CONTROLLER_ALARM, ControllerState, Observable, PondState
from .protocol import PLAUSIBLE_RANGES, Reading, SensorReport, parse_controller_alarm
from .repairs import async_forget_push_issue, async_update_push_issue
from .settings import HubSettings
from .species import PROFILE_QUANTITIES, PROFILES, Profile

type Owner = ControllerState | PondState

# A controller's alarm that names no reading or no limit cannot be seen to end in
# the readings; it is shown this long after the controller last raised it.
CONTROLLER_ALARM_HOLD: Final = timedelta(minutes=10)


def _where(owner: Owner) -> tuple[ControllerState, PondState | None]:
    if isinstance(owner, PondState):
        return owner.controller, owner
    return owner, None


class Thresholds:
    """The limits and alarms of one hub's controllers and ponds."""

    def __init__(
        self, context: HubContext, settings: HubSettings, commands: CommandTracker
    ) -> None:
        """Prepare the alarms of a hub; nothing is watched yet."""
        self.hass = context.hass
        self._context = context
        self._commands = commands
        self.settings: AlarmSettings = settings.alarms
        self.push_limits = settings.push_limits
        # At most one timer per debouncing alarm and per controller alarm.
        self._timers: dict[Alarm | ControllerState, CALLBACK_TYPE] = {}

    # --- life cycle ---------------------------------------------------------------------

    @callback
    def async_load(
        self, restored: Mapping[Observable, Mapping[str, AlarmState]]
    ) -> None:
        """Watch the limits restored with the hub's controllers and ponds.

        Alarms of controllers heard within the timeout show again what they showed
        (`restored`), so a restart turns no alarm unknown and fires no event again.
        """
        for controller in self._context.controllers.values():
            self._async_configure(controller, CONTROLLER_QUANTITIES)
            for pond in controller.ponds.values():
                self._async_configure(pond, POND_QUANTITIES)
        for owner, states in restored.items():
            for reading, state in states.items():
                if (alarm := owner.alarms.get(reading)) is not None:
                    alarm.restore(state)

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
            async_forget_push_issue(self.hass, owner)

    # --- limits ------------------------------------------------------------------------

    @callback
    def async_set_limit(
        self, owner: Owner, reading: Reading, bound: Bound, value: float | None
    ) -> None:
        """Set (None: clear) one limit by hand, and push it where the options say.

        A limit of a quantity that species profiles set makes the profile custom.
        """
        key = limit_key(reading, bound)
        if owner.values.get(key) == value:
            return
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
        owner.async_update({key: value})
        if isinstance(owner, ControllerState) and reading in PROFILE_QUANTITIES:
            owner.species_profile = Profile.CUSTOM
        self._async_limits_changed(owner, (reading,))
        if isinstance(owner, ControllerState):
            self._async_push(owner, (reading,))

    @callback
    def async_set_profile(self, controller: ControllerState, profile: Profile) -> None:
        """Set the limits a species profile defines, and push those that changed."""
        controller.species_profile = profile
        changes: dict[str, float | None] = {}
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
        self._async_push(controller, changed)

    @callback
    def _async_limits_changed(self, owner: Owner, readings: Iterable[Reading]) -> None:
        for reading in readings:
            self._async_configure_one(owner, reading)
        self._context.schedule_save()

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
    def async_controller_returned(
        self, controller: ControllerState, booted: bool
    ) -> None:
        """Send limits again where a controller may have lost or missed them.

        After a boot, every limit set (nothing says THRESH survives one); after an
        outage, the quantities whose push failed, so the repair issue resolves itself.
        """
        self._async_push(
            controller,
            (
                quantity.reading
                for quantity in QUANTITIES.values()
                if quantity.pushed
                and (
                    quantity.parameter in controller.push_failures
                    or (
                        booted
                        and any(
                            controller.values.get(limit_key(quantity.reading, bound))
                            is not None
                            for bound in Bound
                        )
                    )
                )
            ),
        )

    @callback
    def _async_push(
        self, controller: ControllerState, readings: Iterable[Reading]
    ) -> None:
        """Send changed limits that the controller can watch itself, in the background.

        Only where the hub's options ask for it, and only for the quantities THRESH
        knows (temperature, dissolved oxygen, pH). One task per change, so the entity
        (and the user) never waits for the controller.
        """
        if not self.push_limits:
            return
        quantities = [
            QUANTITIES[reading] for reading in readings if QUANTITIES[reading].pushed
        ]
        if quantities:
            _ = self._context.entry.async_create_background_task(
                self.hass,
                self._async_send_limits(controller, quantities),
                f"{DOMAIN} push limits to {controller.device_id}",
            )

    async def _async_send_limits(
        self, controller: ControllerState, quantities: list[Quantity]
    ) -> None:
        """Send each quantity's limits and record the outcome for the repair issue.

        An unset limit is sent as the end of the range the readings may have, so the
        controller has a real value (PROTOCOL 8.5) on which it never triggers.
        """
        for quantity in quantities:
            parameter = quantity.parameter
            if TYPE_CHECKING:
                assert parameter is not None
            spec = PLAUSIBLE_RANGES[quantity.reading]
            lower = controller.values.get(limit_key(quantity.reading, Bound.LOWER))
            upper = controller.values.get(limit_key(quantity.reading, Bound.UPPER))
            command: Command | None = None
            error: str | None = None
            try:
                command = await async_set_threshold(
                    self._commands,
                    controller,
                    None,
                    parameter=parameter,
                    lower=(spec.minimum or 0) if lower is None else lower,
                    upper=(spec.maximum or 0) if upper is None else upper,
                    context=None,
                )
                await async_wait(command, until_completion=True)
            except HomeAssistantError as err:
                if command is not None and command.state is CommandState.CANCELLED:
                    # Home Assistant stopped it (the hub unloads): not the
                    # controller's fault.
                    return
                error = str(err)
            if error is None:
                controller.push_failures.pop(parameter, None)
            else:
                controller.push_failures[parameter] = error
            async_update_push_issue(self.hass, controller)

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
