"""The dawn oxygen forecast: tonight's fall of dissolved oxygen, extended to sunrise.

Dissolved oxygen is lowest just before dawn: at night nothing in the pond makes
oxygen and everything in it breathes. UF/IFAS FA-27 tells farmers to measure it at
dusk and again a few hours later, extend the straight line through both to sunrise
and aerate now if it will be too low by then. This module does the same with every
reading since sunset: a least-squares line through them, evaluated at sunrise.

It is pure (times and numbers in, a forecast out) so that it can be tested on
synthetic nights; Home Assistant's side (sun times, readings, storage) is `dawn.py`.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

# FA-27 takes its second reading two to four hours after dusk: a shorter stretch says
# too little about the night, and a few readings say too little against probe noise.
MIN_READINGS: Final = 6
MIN_SPAN: Final = timedelta(hours=2)
# A probe reads to about 0.1 mg/L, and a line extended over hours is no finer: the
# forecast changes (and is written) only when it moves by that much.
VALUE_DIGITS: Final = 1
RATE_DIGITS: Final = 2
_SECONDS_PER_HOUR: Final = 3600.0


@dataclass(frozen=True, kw_only=True)
class Forecast:
    """What the night's readings say about dissolved oxygen at sunrise."""

    value: float
    """Expected dissolved oxygen at sunrise, mg/L, never below 0."""
    sunrise: datetime
    decline_rate: float
    """How fast the fitted line falls, mg/L per hour (negative while it rises)."""
    readings: int
    """How many readings the line was fitted through."""


class NightFit:
    """The least-squares line through one controller's readings of one night.

    It keeps the five sums the line needs instead of the readings themselves: the
    same result in constant memory and time however often a controller reports over
    however long a night, and a handful of numbers to keep across a restart.
    """

    def __init__(self, sunset: datetime) -> None:
        """Start the night that began at `sunset`, with no readings yet."""
        self.sunset = sunset
        self.count = 0
        # Times are hours since sunset: small numbers keep the sums exact enough.
        self._sum_t = 0.0
        self._sum_y = 0.0
        self._sum_tt = 0.0
        self._sum_ty = 0.0
        self._first = 0.0
        self._last = 0.0

    def add(self, at: datetime, value: float) -> None:
        """Count one reading of dissolved oxygen (mg/L) taken at `at`."""
        t = self._hours(at)
        if self.count == 0:
            self._first = t
        self._last = t
        self.count += 1
        self._sum_t += t
        self._sum_y += value
        self._sum_tt += t * t
        self._sum_ty += t * value

    def forecast(self, sunrise: datetime) -> Forecast | None:
        """Return the line's value at `sunrise`, or None while it says too little."""
        if (
            self.count < MIN_READINGS
            or self._last - self._first < MIN_SPAN.total_seconds() / _SECONDS_PER_HOUR
        ):
            return None
        mean_t = self._sum_t / self.count
        mean_y = self._sum_y / self.count
        slope = (self._sum_ty - self.count * mean_t * mean_y) / (
            self._sum_tt - self.count * mean_t * mean_t
        )
        # At night oxygen only rises while something adds it (an aerator, wind): not
        # to be counted on until sunrise, so a rising line is held at its latest value.
        at = self._hours(sunrise) if slope < 0 else self._last
        value = mean_y + slope * (at - mean_t)
        return Forecast(
            value=round(max(value, 0.0), VALUE_DIGITS),
            sunrise=sunrise,
            # + 0.0 turns a flat line's -0.0 into 0.0.
            decline_rate=round(-slope, RATE_DIGITS) + 0.0,
            readings=self.count,
        )

    def as_dict(self) -> dict[str, Any]:
        """Return what has to be stored to carry the night across a restart."""
        return {
            "sunset": self.sunset.isoformat(),
            "count": self.count,
            "sums": [self._sum_t, self._sum_y, self._sum_tt, self._sum_ty],
            "span": [self._first, self._last],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NightFit:
        """Return the night stored by `as_dict`."""
        fit = cls(datetime.fromisoformat(data["sunset"]))
        fit.count = data["count"]
        fit._sum_t, fit._sum_y, fit._sum_tt, fit._sum_ty = data["sums"]
        fit._first, fit._last = data["span"]
        return fit

    def _hours(self, at: datetime) -> float:
        return (at - self.sunset).total_seconds() / _SECONDS_PER_HOUR
