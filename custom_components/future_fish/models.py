"""In-memory state of controllers and ponds, observed by entities."""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Self, overload

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.exceptions import ServiceValidationError

from .alarms import CONTROLLER_QUANTITIES, POND_QUANTITIES, Alarm, Bound, limit_key
from .const import DOMAIN, LOGGER
from .feeding_hold import HoldReason
from .forecast import Forecast
from .protocol import (
    ControllerAlarm,
    Identity,
    Reading,
    Reason,
    Rejection,
    is_mac,
    water_level_percent,
)
from .rations import FeedingRate
from .species import Profile
from .stock import Stock

type Value = float | None

# Listening to this key means hearing about availability changes.
AVAILABILITY: Final = "available"
# The translation key of the controller's connectivity sensor (device triggers use it).
CONNECTIVITY: Final = "connectivity"
SENSOR_HEIGHT: Final = "sensor_height"
TANK_DEPTH: Final = "tank_depth"
FEED_AMOUNT: Final = "feed_amount"
FILL_TARGET: Final = "fill_target"
DRAIN_TARGET: Final = "drain_target"
# The pond's water surface in m² (with the tank depth: its volume, for the density).
SURFACE_AREA: Final = "surface_area"
# The pond's own feeding rate in % body weight a day, replacing the sourced one.
FEEDING_RATE: Final = "feeding_rate"
# What the pond's buttons send until the user sets a value: the deployed system's.
POND_DEFAULTS: Final[Mapping[str, float]] = {
    FEED_AMOUNT: 100.0,
    FILL_TARGET: 80.0,
    DRAIN_TARGET: 20.0,
}
# A pond's device key is "<controller id><POND_KEY_INFIX><position>"; controller ids
# cannot contain an underscore (protocol.normalize_device_id), so it splits cleanly.
POND_KEY_INFIX: Final = "_pond"


@dataclass(frozen=True)
class SettingRange:
    """The values a setting may take, in its unit."""

    minimum: float
    maximum: float
    step: float


# Sensor height and tank depth in cm, wherever the user enters them.
GEOMETRY_RANGE: Final = SettingRange(minimum=1, maximum=1000, step=0.5)

# The lower and upper limit of every monitored quantity (`<reading>_lower`, ...):
# a float, or absent while unset.
CONTROLLER_LIMITS: Final = tuple(
    limit_key(quantity.reading, bound)
    for quantity in CONTROLLER_QUANTITIES
    for bound in Bound
)
POND_LIMITS: Final = tuple(
    limit_key(quantity.reading, bound)
    for quantity in POND_QUANTITIES
    for bound in Bound
)
# The controller's dissolved-oxygen lower limit in mg/L (None while unset): read it
# with `controller.values.get(DISSOLVED_OXYGEN_LOWER)`, follow it with
# `controller.async_listen((DISSOLVED_OXYGEN_LOWER,), ...)`.
DISSOLVED_OXYGEN_LOWER: Final = limit_key(Reading.DISSOLVED_OXYGEN, Bound.LOWER)
# What the user sets per pond and Home Assistant keeps (the controller never knows).
POND_SETTINGS: Final = (
    SENSOR_HEIGHT,
    TANK_DEPTH,
    FEED_AMOUNT,
    FILL_TARGET,
    DRAIN_TARGET,
    SURFACE_AREA,
    FEEDING_RATE,
    *POND_LIMITS,
)
# Listening to this key means hearing about the controller's own alarm (`threshold`).
CONTROLLER_ALARM: Final = "controller_alarm"
FREE_HEAP: Final = "free_heap"
# The tracker tells about every state change of a controller's commands under this key
# (the commands themselves are the tracker's).
LAST_COMMAND: Final = "last_command"

# One warning per controller and field per hour is enough to notice a broken probe
# without flooding the log at one message every few seconds.
WARNING_INTERVAL: Final = timedelta(hours=1)
_MISSING: Final = object()
# Ignored controller ids kept for diagnostics; the rest are only counted.
IGNORED_SAMPLE_SIZE: Final = 20


class Observable:
    """Values with listeners per key, so entities hear only about what changed."""

    def __init__(self) -> None:
        """Start empty."""
        # Readings and settings by key (None: a level that cannot be computed).
        self.values: dict[str, Value] = {}
        self._listeners: dict[str, list[CALLBACK_TYPE]] = {}
        # Alarms of the quantities that have a limit, by reading: readings of the
        # others cost nothing. Fed and configured by the hub.
        self.alarms: dict[str, Alarm] = {}

    @callback
    def async_listen(
        self, keys: Iterable[str], listener: CALLBACK_TYPE
    ) -> CALLBACK_TYPE:
        """Call `listener` when any of `keys` changes; return the remover."""
        keys = tuple(keys)
        for key in keys:
            self._listeners.setdefault(key, []).append(listener)

        @callback
        def remove() -> None:
            for key in keys:
                self._listeners[key].remove(listener)

        return remove

    @callback
    def async_update(self, changes: Mapping[str, Any]) -> None:
        """Store new values and notify the listeners of those that differ."""
        changed = [
            key
            for key, value in changes.items()
            if self.values.get(key, _MISSING) != value
        ]
        if not changed:
            return
        for key in changed:
            self.values[key] = changes[key]
        self.async_notify(changed)

    @callback
    def async_notify(self, keys: Iterable[str]) -> None:
        """Call each listener of `keys` once."""
        notified: set[CALLBACK_TYPE] = set()
        for key in keys:
            for listener in self._listeners.get(key, ()):
                if listener not in notified:
                    notified.add(listener)
                    listener()


class Watched[T]:
    """A typed field of an `Observable` whose changes notify the listeners of its name.

    For what is not a reading (a forecast, a confirmed valve position, a total): the
    field keeps its type, and entities listen to its name as to any value key.
    """

    def __init__(self, default: T) -> None:
        """Start every object's field at `default`."""
        self._default = default
        self.key = ""

    def __set_name__(self, owner: type, name: str) -> None:
        """Take the field's name as the key its listeners use."""
        self.key = name

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> Self: ...

    @overload
    def __get__(self, obj: Observable, objtype: type | None = None) -> T: ...

    def __get__(self, obj: Observable | None, objtype: type | None = None) -> Self | T:
        """Return the field's value (the descriptor itself on the class)."""
        if obj is None:
            return self
        value: T = obj.__dict__.get(self.key, self._default)
        return value

    def __set__(self, obj: Observable, value: T) -> None:
        """Change the value and notify its listeners, only if it differs."""
        if obj.__dict__.get(self.key, self._default) != value:
            obj.__dict__[self.key] = value
            obj.async_notify((self.key,))


class MessageStats:
    """Counters for diagnostics: what arrived, what was dropped and why."""

    def __init__(self) -> None:
        """Start with nothing counted."""
        # Keyed by message kinds and the protocol's field names, never by anything
        # a controller invents, so these stay as small as the protocol.
        self.messages: Counter[str] = Counter()
        self.dropped: Counter[str] = Counter()
        self.last_message: dict[str, datetime] = {}
        self._last_warned: dict[str, datetime] = {}

    def count_message(self, kind: str, now: datetime) -> None:
        """Count one message of a kind."""
        self.messages[kind] += 1
        self.last_message[kind] = now

    @callback
    def async_drop(self, source: str, what: str, reason: Reason, now: datetime) -> None:
        """Count a dropped message or value of `source`; warn at most once an hour."""
        self.dropped[f"{what}: {reason}"] += 1
        last = self._last_warned.get(what)
        if last is not None and now - last < WARNING_INTERVAL:
            return
        self._last_warned[what] = now
        LOGGER.warning(
            "Dropped %s from %s: %s (further drops of it are logged at most once an"
            " hour, counted in diagnostics)",
            what,
            source,
            reason,
        )


class IgnoredControllers:
    """Messages from controllers the hub did not add: counted, with a few of the ids.

    Ids are invented by whoever can publish on the broker, so only a small sample of
    them is kept: memory stays the same whether ten ids or ten million arrive.
    """

    def __init__(self) -> None:
        """Start with nothing counted."""
        self.messages = 0
        self.sample: Counter[str] = Counter()

    def count(self, device_id: str) -> None:
        """Count one message from a controller that was not added."""
        self.messages += 1
        if device_id in self.sample or len(self.sample) < IGNORED_SAMPLE_SIZE:
            self.sample[device_id] += 1


@dataclass(frozen=True, kw_only=True, slots=True)
class FeedingAdvice:
    """How much a pond's fish should eat now (see husbandry.py)."""

    rate: FeedingRate
    ration: float | None
    """Grams a day; None without a rate."""
    portion: float | None
    """Grams for the next feeding; None without a ration or feedings a day."""


class PondState(Observable):
    """One pond served by a controller, with the geometry the user set for it."""

    # The valve positions the controller last confirmed (True open, None unknown).
    inlet_valve: Watched[bool | None] = Watched(None)
    outlet_valve: Watched[bool | None] = Watched(None)
    # What completed feeds gave today (see feeding.py).
    feed_given_today: Watched[float] = Watched(0)
    feedings_today: Watched[int] = Watched(0)
    # The species the user chose for the pond; None: its controller's profile.
    species: Watched[Profile | None] = Watched(None)
    # The pond's stock ledger, None until it was stocked (see husbandry.py).
    stock: Watched[Stock | None] = Watched(None)
    days_since_stocking: Watched[int | None] = Watched(None)
    # None while the water temperature or the stock is unknown.
    feeding_advice: Watched[FeedingAdvice | None] = Watched(None)
    # Why the pond must not be fed now (empty: it may be); None until worked out.
    feeding_hold: Watched[frozenset[HoldReason] | None] = Watched(None)

    def __init__(self, controller: ControllerState, position: int) -> None:
        """Create the state of pond `position` (1 or 2) of `controller`."""
        super().__init__()
        self.controller = controller
        self.position = position
        self.device_entry_id: str | None = None

    @property
    def device_key(self) -> str:
        """Return the identifier of the pond's device (see `parse_device_key`)."""
        return f"{self.controller.device_id}{POND_KEY_INFIX}{self.position}"

    @property
    def name(self) -> str:
        """Return the pond's default device name."""
        if self.controller.device_name:
            return f"{self.controller.device_name} pond {self.position}"
        return f"Pond {self.position}"

    @property
    def geometry(self) -> tuple[float, float] | None:
        """Return (sensor height, tank depth) in cm once both are set."""
        return _geometry(self.values)

    @property
    def fish_species(self) -> Profile:
        """Return the species in the pond: its own, or its controller's profile."""
        return self.species or self.controller.species_profile

    @property
    def settings(self) -> dict[str, float]:
        """Return what the user set for this pond, for storage."""
        return _settings(self.values, POND_SETTINGS)

    @property
    def readings(self) -> dict[str, Value]:
        """Return what the controller last reported for this pond, for storage."""
        return _readings(self.values, POND_SETTINGS)

    @callback
    def async_apply_readings(self, readings: Mapping[str, float]) -> dict[str, Any]:
        """Apply a sensors message's readings for this pond; return what they set."""
        changes: dict[str, Any] = dict(readings)
        if (distance := readings.get(Reading.WATER_DISTANCE)) is not None:
            changes[Reading.WATER_LEVEL] = _level(distance, self.geometry)
        self.async_update(changes)
        return changes

    def setting(self, key: str) -> float:
        """Return a command setting: what the user set, or its default."""
        value: float | None = self.values.get(key)
        return POND_DEFAULTS[key] if value is None else value

    @callback
    def async_set_settings(self, settings: Mapping[str, float | None]) -> None:
        """Set pond settings, refusing impossible geometry; recompute the level.

        Checked as a whole, so a sensor height and tank depth that fit each other
        are accepted whatever the pond had before.
        """
        proposed = self.values | dict(settings)
        geometry = _geometry(proposed)
        if geometry is not None and geometry[1] > geometry[0]:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="tank_deeper_than_sensor",
                translation_placeholders={
                    "pond": self.name,
                    "depth": f"{geometry[1]:g}",
                    "height": f"{geometry[0]:g}",
                },
            )
        changes: dict[str, Any] = dict(settings)
        if (distance := self.values.get(Reading.WATER_DISTANCE)) is not None:
            changes[Reading.WATER_LEVEL] = _level(distance, geometry)
        self.async_update(changes)


def parse_device_key(key: str) -> tuple[str, int | None]:
    """Return the controller id and pond position (None: the controller) of a key."""
    device_id, infix, position = key.rpartition(POND_KEY_INFIX)
    if infix and position.isdigit():
        return device_id, int(position)
    return key, None


def _settings(values: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    return {key: values[key] for key in keys if values.get(key) is not None}


def _readings(values: Mapping[str, Value], settings: Iterable[str]) -> dict[str, Value]:
    return {key: value for key, value in values.items() if key not in settings}


def _geometry(values: Mapping[str, Any]) -> tuple[float, float] | None:
    height = values.get(SENSOR_HEIGHT)
    depth = values.get(TANK_DEPTH)
    if height is None or depth is None:
        return None
    return height, depth


def _level(distance: float, geometry: tuple[float, float] | None) -> float | None:
    if geometry is None:
        return None
    return round(water_level_percent(distance, *geometry), 1)


class ControllerState(Observable):
    """One controller: what it last reported and whether it is online."""

    last_seen: Watched[datetime | None] = Watched(None)
    # The firmware version the controller reported last (startup, heartbeat, sensors).
    firmware_version: Watched[str | None] = Watched(None)
    ip_address: Watched[str | None] = Watched(None)
    # The species profile the controller's limits were set from.
    species_profile: Watched[Profile] = Watched(Profile.CUSTOM)
    # Dissolved oxygen expected at the next sunrise (see dawn.py), None by day.
    dawn_oxygen: Watched[Forecast | None] = Watched(None)

    def __init__(self, device_id: str, topic_id: str) -> None:
        """Create a controller known by its normalised id and its topic spelling."""
        super().__init__()
        self.device_id = device_id
        # Commands go back on the exact spelling the controller uses (PROTOCOL 1).
        self.topic_id = topic_id
        self.online = False
        # Whether its devices and entities exist (from its first message on).
        self.announced = False
        self.offline_since: datetime | None = None
        self.device_name: str | None = None
        self.hardware_version: str | None = None
        self.device_type: str | None = None
        self.controller_time: datetime | None = None
        self.ponds: dict[int, PondState] = {}
        self.stats = MessageStats()
        # What was last written to the device registry, to skip identical updates.
        self.registered_device: tuple[str | None, ...] | None = None
        self.device_entry_id: str | None = None
        # The controller's own alarm while it lasts, and when it arrived.
        self.controller_alarm: ControllerAlarm | None = None
        self.controller_alarm_at: datetime | None = None
        # Why pushing limits failed, by THRESH parameter, until a push succeeds.
        self.push_failures: dict[str, str] = {}

    @property
    def name(self) -> str:
        """Return the controller's name: its own, or one made from its MAC."""
        if self.device_name:
            return self.device_name
        if is_mac(self.device_id):
            return f"Pond controller {self.device_id.replace(':', '')[-4:].upper()}"
        return f"Pond controller {self.device_id}"

    @property
    def settings(self) -> dict[str, float]:
        """Return the limits the user set for this controller, for storage."""
        return _settings(self.values, CONTROLLER_LIMITS)

    @property
    def readings(self) -> dict[str, Value]:
        """Return what the controller last reported of itself, for storage."""
        return _readings(self.values, CONTROLLER_LIMITS)

    @property
    def model(self) -> str | None:
        """Return the model the controller reports."""
        return self.hardware_version or self.device_type

    @callback
    def async_apply_identity(self, identity: Identity) -> None:
        """Take what a message says about the controller; absent fields keep theirs."""
        for name in (
            "device_name",
            "firmware_version",
            "hardware_version",
            "device_type",
        ):
            if (value := getattr(identity, name)) is not None:
                setattr(self, name, value)
        if identity.timestamp is not None:
            self.controller_time = identity.timestamp
        if identity.ip_address is not None:
            self.ip_address = identity.ip_address
        self.async_update(
            {
                key: value
                for key, value in (
                    (Reading.SIGNAL, identity.wifi_signal_strength),
                    (FREE_HEAP, identity.free_heap),
                )
                if value is not None
            }
        )

    @callback
    def async_drop_rejected(
        self, rejections: Iterable[Rejection], now: datetime
    ) -> None:
        """Count the fields a message carried broken (see `MessageStats.async_drop`)."""
        for rejection in rejections:
            self.stats.async_drop(self.name, rejection.field, rejection.reason, now)

    @callback
    def async_set_online(self, online: bool, now: datetime) -> None:
        """Change availability and notify every entity of this controller."""
        self.online = online
        self.offline_since = None if online else now
        self.async_notify((AVAILABILITY,))


# The keys of the typed fields, for entity descriptions and listeners.
INLET_VALVE: Final = PondState.inlet_valve.key
OUTLET_VALVE: Final = PondState.outlet_valve.key
FEED_GIVEN_TODAY: Final = PondState.feed_given_today.key
FEEDINGS_TODAY: Final = PondState.feedings_today.key
POND_SPECIES: Final = PondState.species.key
STOCK: Final = PondState.stock.key
DAYS_SINCE_STOCKING: Final = PondState.days_since_stocking.key
FEEDING_ADVICE: Final = PondState.feeding_advice.key
FEEDING_HOLD: Final = PondState.feeding_hold.key
LAST_SEEN: Final = ControllerState.last_seen.key
FIRMWARE_VERSION: Final = ControllerState.firmware_version.key
IP_ADDRESS: Final = ControllerState.ip_address.key
SPECIES_PROFILE: Final = ControllerState.species_profile.key
DAWN_OXYGEN: Final = ControllerState.dawn_oxygen.key
