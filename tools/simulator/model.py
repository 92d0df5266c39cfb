"""The simulated world of one controller: water quality and its ponds.

Nothing here knows about MQTT or JSON; times are plain floats (the event loop's clock)
so that the physics can be tested without waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
import math
import random

# Pond geometry (PROTOCOL.md section 4): the ultrasonic sensor hangs 150 cm above the
# tank floor, the tank is 120 cm deep, so the measured distance runs from 30 cm (full)
# to 150 cm (empty).
SENSOR_HEIGHT_CM = 150.0
TANK_DEPTH_CM = 120.0
FULL_DISTANCE_CM = SENSOR_HEIGHT_CM - TANK_DEPTH_CM

# Pumps move the surface by 12 cm a minute, so a fill or drain takes minutes.
WATER_RATE_CM_PER_S = 0.2
HOPPER_CAPACITY_G = 5000.0

# Limits of PROTOCOL.md section 4, used to build implausible readings on purpose.
PLAUSIBLE_RANGES: dict[str, tuple[float, float | None]] = {
    "temperature": (0.0, 50.0),
    "dissolved_oxygen": (0.0, 20.0),
    "ph": (0.0, 14.0),
    "turbidity": (0.0, 1000.0),
    "ammonia": (0.0, 100.0),
    "battery": (0.0, 100.0),
    "signal": (-100.0, 0.0),
    "water": (0.0, None),
    "feed": (0.0, 100.0),
    "level": (0.0, 100.0),
}


def level_percent(distance_cm: float) -> float:
    """Return the water level in % for a measured distance (PROTOCOL.md section 4)."""
    level = (SENSOR_HEIGHT_CM - distance_cm) / TANK_DEPTH_CM * 100
    return min(max(level, 0.0), 100.0)


def implausible(kind: str, rng: random.Random) -> float:
    """Return a reading outside the plausible range of `kind` (a PLAUSIBLE_RANGES key)."""
    low, high = PLAUSIBLE_RANGES[kind]
    span = (high - low) if high is not None else 1000.0
    if high is not None and rng.getrandbits(1):
        return round(high + span * rng.uniform(0.1, 1.0), 1)
    return round(low - span * rng.uniform(0.1, 1.0), 1)


def diurnal(hour: float, peak_hour: float) -> float:
    """Return a day cycle in -1..1 that peaks at `peak_hour`."""
    return math.cos(2 * math.pi * (hour - peak_hour) / 24)


@dataclass(slots=True)
class Walk:
    """A bounded random walk: each step moves by at most `step`, reflecting at the bounds."""

    value: float
    low: float
    high: float
    step: float

    def advance(self, rng: random.Random) -> float:
        """Take one step and return the new value."""
        value = self.value + rng.uniform(-self.step, self.step)
        if value < self.low:
            value = 2 * self.low - value
        elif value > self.high:
            value = 2 * self.high - value
        self.value = min(max(value, self.low), self.high)
        return self.value


@dataclass(frozen=True, slots=True)
class SimClock:
    """Simulated time of day, running `multiplier` times faster than the wall clock.

    It drives the day/night cycles, so that an accelerated run shows them too; message
    timestamps always use the real time.
    """

    start_hour: float
    start_time: float
    multiplier: float

    @classmethod
    def starting_now(cls, now: float, multiplier: float) -> SimClock:
        """Start at the current UTC time of day."""
        wall = datetime.now(UTC)
        hour = wall.hour + wall.minute / 60 + wall.second / 3600
        return cls(start_hour=hour, start_time=now, multiplier=multiplier)

    def elapsed_hours(self, now: float) -> float:
        """Return the simulated hours since the start at loop time `now`."""
        return (now - self.start_time) * self.multiplier / 3600

    def hour(self, now: float) -> float:
        """Return the simulated hour of day (0..24) at loop time `now`."""
        return (self.start_hour + self.elapsed_hours(now)) % 24


@dataclass(slots=True)
class WaterQuality:
    """The controller's shared probes: one set of sensors for both ponds."""

    temperature: Walk
    oxygen_noise: Walk
    ph: Walk
    turbidity: Walk
    ammonia: Walk
    battery: Walk
    signal: Walk

    @classmethod
    def initial(cls, rng: random.Random) -> WaterQuality:
        """Start from plausible, slightly different values per controller."""
        return cls(
            temperature=Walk(rng.uniform(22, 27), 15, 32, 0.1),
            oxygen_noise=Walk(0.0, -0.8, 0.8, 0.1),
            ph=Walk(rng.uniform(6.9, 7.6), 6.3, 8.7, 0.03),
            turbidity=Walk(rng.uniform(5, 30), 1, 120, 1.5),
            ammonia=Walk(rng.uniform(0.05, 0.4), 0.0, 2.5, 0.02),
            battery=Walk(rng.uniform(70, 100), 35, 100, 0.3),
            signal=Walk(rng.uniform(-75, -45), -95, -35, 1.5),
        )

    def sample(self, rng: random.Random, hour: float) -> dict[str, float]:
        """Take the next reading of every probe.

        Water warms towards the afternoon; dissolved oxygen follows photosynthesis: it
        peaks in the late afternoon and bottoms out before dawn.
        """
        temperature = self.temperature.advance(rng) + 1.2 * diurnal(hour, 15.0)
        oxygen = 7.0 + 2.2 * diurnal(hour, 16.0) + self.oxygen_noise.advance(rng)
        return {
            "temperature": round(temperature, 2),
            "dissolved_oxygen": round(max(oxygen, 0.0), 2),
            "ph": round(self.ph.advance(rng), 2),
            "turbidity": round(self.turbidity.advance(rng), 1),
            "ammonia": round(self.ammonia.advance(rng), 3),
            "battery": round(self.battery.advance(rng), 1),
            "signal": round(self.signal.advance(rng)),
        }


@dataclass(frozen=True, slots=True)
class _Motion:
    """The water surface moving linearly from `origin` to `target` (distances, cm)."""

    start: float
    origin: float
    target: float
    rate: float

    def distance(self, now: float) -> float:
        travelled = (now - self.start) * self.rate
        if self.target >= self.origin:
            return min(self.origin + travelled, self.target)
        return max(self.origin - travelled, self.target)


@dataclass(slots=True)
class Pond:
    """One pond served by the controller: water level, feed hopper and valves."""

    position: int
    # The distance while no pump runs (cm).
    resting_cm: float
    feed_grams: float
    inlet_open: bool = False
    outlet_open: bool = False
    _motion: _Motion | None = None

    @classmethod
    def initial(cls, position: int, rng: random.Random) -> Pond:
        """Start mostly full, with a mostly full hopper."""
        return cls(
            position=position,
            resting_cm=rng.uniform(35, 60),
            feed_grams=HOPPER_CAPACITY_G * rng.uniform(0.6, 1.0),
        )

    def distance(self, now: float) -> float:
        """Return the distance from the sensor to the water surface at `now` (cm)."""
        return self.resting_cm if self._motion is None else self._motion.distance(now)

    @property
    def feed_percent(self) -> float:
        """What is left in the hopper, in %."""
        return self.feed_grams / HOPPER_CAPACITY_G * 100

    def move_water(
        self, target_cm: float, now: float, rate: float
    ) -> tuple[float, float]:
        """Start moving the surface towards `target_cm`, clamped to the tank.

        Returns the reachable target and the seconds it takes at `rate` cm/s.
        """
        target = min(max(target_cm, FULL_DISTANCE_CM), SENSOR_HEIGHT_CM)
        origin = self.distance(now)
        self._motion = _Motion(start=now, origin=origin, target=target, rate=rate)
        return target, abs(target - origin) / rate

    def stop_water(self, now: float) -> None:
        """Freeze the surface where it is (operation finished or aborted)."""
        self.resting_cm = self.distance(now)
        self._motion = None

    def dispense(self, grams: float) -> float:
        """Take up to `grams` from the hopper; return what was really dispensed."""
        dispensed = min(grams, self.feed_grams)
        self.feed_grams -= dispensed
        return dispensed
