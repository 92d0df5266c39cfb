"""Threshold alarms that a fish farmer can trust: debounced on, hysteresis off.

A probe that reads 3.9 mg/L once in a series of 4.1 should not wake anyone, and a
value hovering at its limit should not switch an aerator on and off every reading.
So an alarm turns on only after N consecutive readings outside its limits, or once
the value has been outside for T seconds, whichever comes first, and turns off only
when a reading is back inside by a margin. It knows nothing (unknown, not off) until
a reading has been compared with a limit.

Pure logic, without Home Assistant: readings and times in, state out. The hub feeds
it readings, runs the timer for the T-second rule and turns changes into entity
states and events.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from .const import (
    CONF_ALARM_READINGS,
    CONF_ALARM_SECONDS,
    DEFAULT_ALARM_READINGS,
    DEFAULT_ALARM_SECONDS,
    UNIT_MILLIGRAMS_PER_LITER,
    UNIT_NTU,
)
from .protocol import ControllerAlarm, Reading


class Bound(StrEnum):
    """Which of a quantity's two limits."""

    LOWER = "lower"
    UPPER = "upper"


@dataclass(frozen=True, kw_only=True, slots=True)
class Quantity:
    """A monitored quantity: what its limits and its hysteresis are measured in."""

    reading: Reading
    # How the logbook names it (Home Assistant does not translate logbook text).
    label: str
    unit: str | None
    # Default hysteresis, in the quantity's unit: a little more than what a
    # healthy probe or a ripple on the water changes between two readings.
    margin: float
    # Resolution of its limits.
    step: float
    # Its parameter name in the controllers' THRESH command (PROTOCOL 5 names temp,
    # do and ph and allows others), None where controllers cannot watch it.
    parameter: str | None = None
    # Whether the limits set in Home Assistant are sent to controllers (when the hub
    # option says so): only for the quantities PROTOCOL 5 names.
    pushed: bool = False
    # The unit the logbook names a judged value in, where it says more than `unit`.
    judged_unit: str | None = None

    @property
    def described_unit(self) -> str | None:
        """Return the unit the logbook shows values of this quantity in."""
        return self.judged_unit or self.unit


CONTROLLER_QUANTITIES: Final[tuple[Quantity, ...]] = (
    Quantity(
        reading=Reading.TEMPERATURE,
        label="Water temperature",
        unit="°C",
        margin=0.5,
        step=0.1,
        parameter="temp",
        pushed=True,
    ),
    Quantity(
        reading=Reading.DISSOLVED_OXYGEN,
        label="Dissolved oxygen",
        unit=UNIT_MILLIGRAMS_PER_LITER,
        margin=0.3,
        step=0.1,
        parameter="do",
        pushed=True,
    ),
    Quantity(
        reading=Reading.PH,
        label="pH",
        unit=None,
        margin=0.1,
        step=0.1,
        parameter="ph",
        pushed=True,
    ),
    Quantity(
        reading=Reading.TURBIDITY,
        label="Turbidity",
        unit=UNIT_NTU,
        margin=5,
        step=1,
        parameter="turbidity",
    ),
    Quantity(
        reading=Reading.AMMONIA,
        label="Ammonia",
        unit=UNIT_MILLIGRAMS_PER_LITER,
        margin=0.005,
        step=0.0005,
        parameter="ammonia",
        # The alarm judges un-ionised ammonia (see ammonia.py).
        judged_unit=f"{UNIT_MILLIGRAMS_PER_LITER} NH3-N",
    ),
    Quantity(reading=Reading.BATTERY, label="Battery", unit="%", margin=2, step=1),
)
POND_QUANTITIES: Final[tuple[Quantity, ...]] = (
    Quantity(
        reading=Reading.WATER_LEVEL, label="Water level", unit="%", margin=2, step=1
    ),
    Quantity(
        reading=Reading.FEED_LEVEL, label="Feed level", unit="%", margin=2, step=1
    ),
)
QUANTITIES: Final[Mapping[Reading, Quantity]] = {
    quantity.reading: quantity
    for quantity in (*CONTROLLER_QUANTITIES, *POND_QUANTITIES)
}
_BY_NAME: Final[Mapping[str, Quantity]] = {
    quantity.reading.value: quantity for quantity in QUANTITIES.values()
}
# The THRESH parameter names and the quantities they set.
THRESHOLD_PARAMETERS: Final[Mapping[str, Reading]] = {
    quantity.parameter: quantity.reading
    for quantity in QUANTITIES.values()
    if quantity.parameter is not None
}
# Parameter names of controllers' own alarms besides THRESH's and the readings' own
# names: the simulator (tools/simulator) calls the pond's sensor distance "water" and
# its hopper level "feed".
_ALARM_PARAMETERS: Final[Mapping[str, Reading]] = {
    **THRESHOLD_PARAMETERS,
    "water": Reading.WATER_DISTANCE,
    "feed": Reading.FEED_LEVEL,
}
_READING_NAMES: Final = frozenset(Reading)


def quantity_named(name: str) -> Quantity | None:
    """Return the monitored quantity whose reading is called `name`, if any."""
    return _BY_NAME.get(name)


def limit_key(reading: str, bound: Bound) -> str:
    """Return the settings key of a limit, e.g. `limit_dissolved_oxygen_lower`."""
    return f"limit_{reading}_{bound}"


def alarm_key(reading: str) -> str:
    """Return the key whose listeners hear about a quantity's alarm changing."""
    return f"{reading}_alarm"


def margin_option(reading: str) -> str:
    """Return the option key of a quantity's hysteresis margin."""
    return f"hysteresis_{reading}"


def alarm_reading(parameter: str) -> Reading | None:
    """Return the reading a controller's alarm names (`do`, `dissolved_oxygen`, ...)."""
    name = parameter.strip().lower()
    if name in _ALARM_PARAMETERS:
        return _ALARM_PARAMETERS[name]
    return Reading(name) if name in _READING_NAMES else None


@dataclass(frozen=True, kw_only=True)
class AlarmSettings:
    """What the options flow lets the user change about alarms."""

    readings: int = DEFAULT_ALARM_READINGS
    duration: timedelta = timedelta(seconds=DEFAULT_ALARM_SECONDS)
    margins: Mapping[str, float]

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> AlarmSettings:
        """Read the settings from a config entry's options, with defaults."""
        return cls(
            readings=options.get(CONF_ALARM_READINGS, DEFAULT_ALARM_READINGS),
            duration=timedelta(
                seconds=options.get(CONF_ALARM_SECONDS, DEFAULT_ALARM_SECONDS)
            ),
            margins={
                reading: options.get(margin_option(reading), quantity.margin)
                for reading, quantity in QUANTITIES.items()
            },
        )


@dataclass(frozen=True, slots=True)
class Limits:
    """A quantity's limits; None is an unset limit, on which nothing is outside."""

    lower: float | None = None
    upper: float | None = None

    def __getitem__(self, bound: Bound) -> float | None:
        """Return the lower or the upper limit."""
        return self.lower if bound is Bound.LOWER else self.upper

    @property
    def is_set(self) -> bool:
        """Return whether at least one limit is set."""
        return self.lower is not None or self.upper is not None

    def crossed(self, value: float) -> Bound | None:
        """Return the limit `value` lies beyond, or None when it is within both."""
        if self.lower is not None and value < self.lower:
            return Bound.LOWER
        if self.upper is not None and value > self.upper:
            return Bound.UPPER
        return None


def controller_alarm_watch(alarm: ControllerAlarm) -> tuple[Reading, Limits] | None:
    """Return the reading and limits that show a controller's alarm has ended.

    None when the alarm names no known reading or no limit: then only time can.
    """
    reading = None if alarm.parameter is None else alarm_reading(alarm.parameter)
    limits = Limits(alarm.lower, alarm.upper)
    if reading is None or not limits.is_set:
        return None
    return reading, limits


@dataclass(frozen=True, kw_only=True, slots=True)
class AlarmState:
    """What an alarm shows: kept across a restart, so it shows the same after it."""

    is_on: bool
    bound: Bound | None
    value: float | None
    since: datetime | None


class Alarm:
    """One quantity's alarm on one controller or pond.

    `is_on` is None (unknown) until a reading decided it: after a start, while the
    value is unknown, and while a debounce that started from unknown is running
    (showing "off" there would claim a safety nobody has checked yet).
    """

    def __init__(
        self,
        reading: str,
        limits: Limits,
        *,
        readings: int,
        duration: timedelta,
        margin: float,
    ) -> None:
        """Watch `reading` against `limits`; nothing is known until the first reading."""
        self.reading = reading
        self.limits = limits
        self._readings = readings
        self._duration = duration
        self._margin = margin
        self.is_on: bool | None = None
        # While on, the limit crossed; after turning off, the one it came back from.
        self.bound: Bound | None = None
        # The reading that made the last change, and since when that state holds:
        # while on, since the first reading outside the limit.
        self.value: float | None = None
        self.since: datetime | None = None
        # The debounce: consecutive readings outside `_pending` and when they began.
        self._pending: Bound | None = None
        self._count = 0
        self._outside_since: datetime | None = None
        # The latest of those readings (meaningful only while debouncing).
        self._last_outside = 0.0

    @property
    def deadline(self) -> datetime | None:
        """Return when the running debounce turns the alarm on without a reading."""
        if self._outside_since is None:
            return None
        return self._outside_since + self._duration

    @property
    def limit(self) -> float | None:
        """Return the value of the limit crossed (or the one last crossed)."""
        return None if self.bound is None else self.limits[self.bound]

    def update(self, value: float | None, now: datetime) -> bool:
        """Take one reading; return whether the state or its details changed."""
        if value is None:
            self._reset()
            return self._set(None, None, None, None)
        changed = False
        if self.is_on:
            if not self._recovered(value):
                return False
            changed = self._set(False, self.bound, value, now)
        outside = self.limits.crossed(value)
        if outside is None:
            self._reset()
            # Known to be fine; an alarm that was on turned off just above.
            return self._set(False, self.bound, value, now) or changed
        if outside is not self._pending:
            self._reset()
            self._pending = outside
            self._outside_since = now
        self._count += 1
        self._last_outside = value
        deadline = self.deadline
        if self._count >= self._readings or (deadline is not None and now >= deadline):
            return self._turn_on()
        # Debouncing keeps the state: off stays off, unknown stays unknown.
        return changed

    @property
    def state(self) -> AlarmState | None:
        """Return what the alarm shows, None while unknown."""
        if self.is_on is None:
            return None
        return AlarmState(
            is_on=self.is_on, bound=self.bound, value=self.value, since=self.since
        )

    def restore(self, state: AlarmState) -> None:
        """Show again what the alarm showed before a restart; debouncing starts anew."""
        self._set(state.is_on, state.bound, state.value, state.since)

    def expire(self, now: datetime) -> bool:
        """Turn on if the value has stayed outside for the duration; return if it did."""
        deadline = self.deadline
        if deadline is None or now < deadline:
            return False
        return self._turn_on()

    def _turn_on(self) -> bool:
        bound, since = self._pending, self._outside_since
        self._reset()
        return self._set(True, bound, self._last_outside, since)

    def _set(
        self,
        is_on: bool | None,
        bound: Bound | None,
        value: float | None,
        since: datetime | None,
    ) -> bool:
        """Change the state; an off or unknown alarm that stays so changes nothing.

        An off alarm keeps the details of when it turned off, so that readings
        inside the limits write no state.
        """
        if is_on is not True and is_on == self.is_on:
            return False
        self.is_on, self.bound, self.value, self.since = is_on, bound, value, since
        return True

    def _reset(self) -> None:
        self._pending = None
        self._count = 0
        self._outside_since = None

    def _recovered(self, value: float) -> bool:
        """Return whether the value is back inside the limit it crossed, by the margin.

        The margin is at most half the distance between the limits, so that a
        narrow band can still be re-entered; a limit that was unset meanwhile has
        nothing left to be outside of.
        """
        lower, upper = self.limits.lower, self.limits.upper
        margin = self._margin
        if lower is not None and upper is not None:
            margin = min(margin, (upper - lower) / 2)
        if self.bound is Bound.LOWER:
            return lower is None or value >= lower + margin
        return upper is None or value <= upper - margin
