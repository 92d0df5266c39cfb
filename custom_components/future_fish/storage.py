"""What a hub keeps across restarts: its controllers, their ponds and settings.

Also each controller's last readings and when it was last heard, so that one heard
within the heartbeat timeout comes back with them after a restart instead of blank.
"""

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Final, NotRequired, TypedDict

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .alarms import AlarmState, Bound
from .const import DOMAIN
from .models import SPECIES_PROFILE, ControllerState, Observable, PondState, Value
from .species import Profile

STORAGE_VERSION: Final = 1
# Settings change rarely and a lost second of typing is harmless: batch the writes.
STORAGE_SAVE_DELAY: Final = 10
# Readings change with every message: written at most this often (in seconds), and
# when Home Assistant stops (Home Assistant writes pending saves then), so a restart
# finds the last ones and a crash loses at most this much.
READINGS_SAVE_DELAY: Final = 300


class StoredAlarm(TypedDict):
    """What an alarm showed (see alarms.AlarmState)."""

    is_on: bool
    bound: str | None
    value: float | None
    since: str | None


class StoredController(TypedDict):
    """What survives a restart of one controller."""

    topic_id: str
    device_name: str | None
    firmware_version: str | None
    hardware_version: str | None
    device_type: str | None
    ponds: dict[str, dict[str, float]]
    # Limits and species profile; missing in files written before alarms existed.
    settings: NotRequired[dict[str, float | str]]
    # What it last reported, and when it was last heard (ISO 8601) while it was
    # still online (None once it went offline, so a restart does not bring it back);
    # missing in files written before readings were kept.
    last_seen: NotRequired[str | None]
    ip_address: NotRequired[str | None]
    readings: NotRequired[dict[str, Value]]
    pond_readings: NotRequired[dict[str, dict[str, Value]]]
    # What its and its ponds' alarms showed, by reading (unknown ones left out).
    alarms: NotRequired[dict[str, StoredAlarm]]
    pond_alarms: NotRequired[dict[str, dict[str, StoredAlarm]]]


class StoredData(TypedDict):
    """The hub's storage file."""

    controllers: dict[str, StoredController]


class ControllerStore:
    """Loads and saves one hub's controllers (batched)."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        controllers: Callable[[], Iterable[ControllerState]],
    ) -> None:
        """Prepare the store of the hub of `entry_id`, saving `controllers()`."""
        self._store: Store[StoredData] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}"
        )
        self._controllers = controllers
        # Whether a write is scheduled: a message then costs no more than this test.
        self._pending = False
        # What the alarms of controllers heard within the timeout showed, by owner,
        # until the alarms exist to show it again (see Thresholds.async_load).
        self._restored_alarms: dict[Observable, dict[str, AlarmState]] = {}

    async def async_load(self, fresh_since: datetime) -> list[ControllerState]:
        """Return the controllers known before the restart, offline.

        Those heard after `fresh_since` get their last readings back; older readings
        would pass for current ones when the controller speaks again.
        """
        stored = await self._store.async_load()
        return [
            _restore(device_id, saved, fresh_since, self._restored_alarms)
            for device_id, saved in (stored["controllers"] if stored else {}).items()
        ]

    def take_restored_alarms(self) -> dict[Observable, dict[str, AlarmState]]:
        """Return, once, what the alarms of the restored controllers showed."""
        alarms, self._restored_alarms = self._restored_alarms, {}
        return alarms

    @callback
    def async_schedule_save(self) -> None:
        """Save soon; many changes in a row make one write."""
        self._pending = True
        self._store.async_delay_save(self._data, STORAGE_SAVE_DELAY)

    @callback
    def async_schedule_readings_save(self) -> None:
        """Save new readings within `READINGS_SAVE_DELAY`; called for every message."""
        if not self._pending:
            self._pending = True
            self._store.async_delay_save(self._data, READINGS_SAVE_DELAY)

    async def async_save(self) -> None:
        """Save now (the hub unloads)."""
        await self._store.async_save(self._data())

    async def async_remove(self) -> None:
        """Delete the file (the config entry is deleted)."""
        await self._store.async_remove()

    def _data(self) -> StoredData:
        # Called when the store writes: what changes after this needs a new write.
        self._pending = False
        return {
            "controllers": {
                controller.device_id: _stored(controller)
                for controller in self._controllers()
            }
        }


def _restore(
    device_id: str,
    saved: StoredController,
    fresh_since: datetime,
    alarms: dict[Observable, dict[str, AlarmState]],
) -> ControllerState:
    controller = ControllerState(device_id, saved["topic_id"])
    controller.device_name = saved["device_name"]
    controller.firmware_version = saved["firmware_version"]
    controller.hardware_version = saved["hardware_version"]
    controller.device_type = saved["device_type"]
    # The profile is kept among the limits, as before it had a field of its own.
    for key, value in saved.get("settings", {}).items():
        if isinstance(value, str):
            controller.species_profile = Profile(value)
        else:
            controller.values[key] = value
    for position, pond_settings in saved["ponds"].items():
        pond = PondState(controller, int(position))
        pond.values.update(pond_settings)
        controller.ponds[pond.position] = pond
    controller.announced = True
    last_seen = dt_util.parse_datetime(saved.get("last_seen") or "")
    controller.last_seen = last_seen
    if last_seen is not None and last_seen > fresh_since:
        controller.ip_address = saved.get("ip_address")
        controller.values.update(saved.get("readings", {}))
        for position, readings in saved.get("pond_readings", {}).items():
            if (known := controller.ponds.get(int(position))) is not None:
                known.values.update(readings)
        alarms[controller] = _alarm_states(saved.get("alarms", {}))
        for position, states in saved.get("pond_alarms", {}).items():
            if (known := controller.ponds.get(int(position))) is not None:
                alarms[known] = _alarm_states(states)
    return controller


def _alarm_states(saved: Mapping[str, StoredAlarm]) -> dict[str, AlarmState]:
    return {
        reading: AlarmState(
            is_on=alarm["is_on"],
            bound=None if alarm["bound"] is None else Bound(alarm["bound"]),
            value=alarm["value"],
            since=dt_util.parse_datetime(alarm["since"] or ""),
        )
        for reading, alarm in saved.items()
    }


def _stored_alarms(owner: Observable) -> dict[str, StoredAlarm]:
    return {
        reading: {
            "is_on": state.is_on,
            "bound": state.bound,
            "value": state.value,
            "since": None if state.since is None else state.since.isoformat(),
        }
        for reading, alarm in owner.alarms.items()
        if (state := alarm.state) is not None
    }


def _stored(controller: ControllerState) -> StoredController:
    ponds: Mapping[int, PondState] = controller.ponds
    last_seen = controller.last_seen if controller.online else None
    return {
        "topic_id": controller.topic_id,
        "device_name": controller.device_name,
        "firmware_version": controller.firmware_version,
        "hardware_version": controller.hardware_version,
        "device_type": controller.device_type,
        "settings": {
            **controller.settings,
            SPECIES_PROFILE: controller.species_profile,
        },
        "ponds": {str(position): pond.settings for position, pond in ponds.items()},
        "last_seen": None if last_seen is None else last_seen.isoformat(),
        "ip_address": controller.ip_address,
        "readings": controller.readings,
        "pond_readings": {
            str(position): pond.readings for position, pond in ponds.items()
        },
        "alarms": _stored_alarms(controller),
        "pond_alarms": {
            str(position): _stored_alarms(pond) for position, pond in ponds.items()
        },
    }


class StoredComponent[DataT: Mapping[str, Any]](ABC):
    """A hub component with a store of its own, written in batches and at the end.

    Feeding records and stocks keep their listeners in `_unsubscribe` and say what
    they store in `_stored_data`.
    """

    def __init__(self, hass: HomeAssistant, key: str, save_delay: float) -> None:
        """Prepare the store `<domain>.<key>`; nothing is loaded or listened to yet."""
        self.hass = hass
        self._store: Store[DataT] = Store(hass, STORAGE_VERSION, f"{DOMAIN}.{key}")
        self._save_delay = save_delay
        self._unsubscribe: list[CALLBACK_TYPE] = []

    @abstractmethod
    def _stored_data(self) -> DataT:
        """Return what the store keeps."""

    @callback
    def _async_schedule_save(self) -> None:
        self._store.async_delay_save(self._stored_data, self._save_delay)

    async def async_stop(self) -> None:
        """Stop listening and write what is pending."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        await self._store.async_save(self._stored_data())

    async def async_remove_storage(self) -> None:
        """Delete the store when the hub's config entry is deleted."""
        await self._store.async_remove()
