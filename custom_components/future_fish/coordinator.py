"""The Future Fish hub: everything one topic prefix's controllers send, in one place."""

from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Final, NotRequired, TypedDict

from homeassistant.components import mqtt
from homeassistant.components.mqtt import ReceiveMessage
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .admission import Admission, Verdict
from .ammonia import ammonia_reading, async_judged_readings
from .commands import CommandTracker, TrackerSettings
from .const import (
    CONF_ADD_NEW_CONTROLLERS,
    CONF_ALLOW_HTTP_FIRMWARE,
    CONF_FIRMWARE_MANIFEST_URL,
    CONF_HEARTBEAT_TIMEOUT,
    CONF_MAX_CONTROLLERS,
    CONF_PREFIX,
    DEFAULT_ADD_NEW_CONTROLLERS,
    DEFAULT_ALLOW_HTTP_FIRMWARE,
    DEFAULT_HEARTBEAT_TIMEOUT,
    DEFAULT_MAX_CONTROLLERS,
    DOMAIN,
    LOGGER,
    MANUFACTURER,
    SUBSCRIBE_QOS,
)
from .dawn import DawnForecaster
from .feeding import FeedingRecords
from .models import (
    AVAILABILITY,
    FIRMWARE_VERSION,
    FREE_HEAP,
    IP_ADDRESS,
    LAST_SEEN,
    SENSOR_HEIGHT,
    TANK_DEPTH,
    ControllerState,
    IgnoredControllers,
    MessageStats,
    PondState,
)
from .protocol import (
    Identity,
    MessageKind,
    ProtocolError,
    Reading,
    Reason,
    Rejection,
    decode_object,
    is_mac,
    normalize_device_id,
    parse_answer,
    parse_identity,
    parse_sensors,
    parse_status,
    split_topic,
)
from .repairs import EntityLimitIssue, OfflineIssues, UnknownControllersIssue
from .thresholds import Thresholds

type FutureFishConfigEntry = ConfigEntry[FutureFishHub]
type ControllerListener = Callable[[ControllerState], None]
# Called with `True` when the controller booted (its startup), `False` when it came
# back after being offline without a boot.
type ReturnListener = Callable[[ControllerState, bool], None]
type PondListener = Callable[[PondState], None]

STORAGE_VERSION: Final = 1
# Settings change rarely and a lost second of typing is harmless: batch the writes.
STORAGE_SAVE_DELAY: Final = 10
# Messages that prove a controller exists; answers and alarms only make sense from a
# controller that is already known.
ADMITTING_KINDS: Final = frozenset(
    {MessageKind.STARTUP, MessageKind.HEARTBEAT, MessageKind.SENSORS}
)
ISSUE_MISSING_GEOMETRY: Final = "missing_geometry"
ISSUE_TOO_MANY_CONTROLLERS: Final = "too_many_controllers"
# A new controller is shown once it said who it is (startup or heartbeat, at least
# every 20 s), so its devices and entity ids carry its own name from the start
# whichever message Home Assistant heard first; one that never says is shown anyway
# after this long.
ANNOUNCE_WAIT: Final = timedelta(seconds=25)


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


class StoredData(TypedDict):
    """The hub's storage file."""

    controllers: dict[str, StoredController]


class FutureFishHub:
    """Subscribes once per message kind and keeps every controller's state."""

    def __init__(self, hass: HomeAssistant, entry: FutureFishConfigEntry) -> None:
        """Prepare the hub of a config entry; nothing is subscribed yet."""
        self.hass = hass
        self.entry = entry
        self.prefix: str = entry.data[CONF_PREFIX]
        self.heartbeat_timeout = timedelta(
            seconds=entry.options.get(CONF_HEARTBEAT_TIMEOUT, DEFAULT_HEARTBEAT_TIMEOUT)
        )
        self.add_new_controllers: bool = entry.options.get(
            CONF_ADD_NEW_CONTROLLERS, DEFAULT_ADD_NEW_CONTROLLERS
        )
        self.max_controllers: int = entry.options.get(
            CONF_MAX_CONTROLLERS, DEFAULT_MAX_CONTROLLERS
        )
        self.allow_http_firmware: bool = entry.options.get(
            CONF_ALLOW_HTTP_FIRMWARE, DEFAULT_ALLOW_HTTP_FIRMWARE
        )
        self.firmware_manifest_url: str | None = (
            entry.options.get(CONF_FIRMWARE_MANIFEST_URL) or None
        )
        self.connected = False
        self.controllers: dict[str, ControllerState] = {}
        self.stats = MessageStats()
        self.ignored_controllers = IgnoredControllers()
        # Whether the repair issue says that the cap keeps new controllers out.
        self._cap_reported = False
        self._by_topic_id: dict[str, ControllerState] = {}
        # Online controllers with the time each was last heard, least recent first:
        # the first is always the next to expire, so one timer serves the whole hub.
        self._online: OrderedDict[ControllerState, datetime] = OrderedDict()
        self._expiry_job = HassJob(self._async_expire, cancel_on_shutdown=True)
        self._cancel_expiry: CALLBACK_TYPE | None = None
        self._controller_listeners: list[ControllerListener] = []
        self._pond_listeners: list[PondListener] = []
        self._return_listeners: list[ReturnListener] = []
        self._unsubscribe: list[CALLBACK_TYPE] = []
        self._store: Store[StoredData] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}"
        )
        self._handlers: dict[
            MessageKind, Callable[[ControllerState, dict[str, Any], datetime], None]
        ] = {
            MessageKind.STARTUP: self._async_handle_startup,
            MessageKind.HEARTBEAT: self._async_handle_identity,
            MessageKind.SENSORS: self._async_handle_sensors,
            MessageKind.ACK: partial(self._async_handle_answer, False),
            MessageKind.COMPLETE: partial(self._async_handle_answer, True),
            MessageKind.THRESHOLD: self._async_handle_controller_alarm,
        }
        self.commands = CommandTracker(
            hass, self, TrackerSettings.from_options(entry.options)
        )
        self.dawn = DawnForecaster(hass, self)
        self.feeding = FeedingRecords(hass, self)
        self.thresholds = Thresholds(hass, self)
        # What the controllers' ammonia reading is: the alarm judges it as NH3-N.
        self.ammonia_reading = ammonia_reading(entry.options)
        self.offline_issues = OfflineIssues(hass, self)
        self.entity_limit = EntityLimitIssue(hass, self)
        self.unknown_controllers = UnknownControllersIssue(hass, self)
        # Judged once the stored controllers are loaded: a hub knowing none is new.
        self.admission = Admission(knows_controllers=True, now=dt_util.utcnow())

    # --- life cycle ----------------------------------------------------------------

    async def async_load(self) -> None:
        """Bring back the controllers and ponds known before a restart (offline)."""
        stored = await self._store.async_load()
        for device_id, saved in (stored["controllers"] if stored else {}).items():
            controller = ControllerState(device_id, saved["topic_id"])
            controller.device_name = saved["device_name"]
            controller.firmware_version = saved["firmware_version"]
            controller.hardware_version = saved["hardware_version"]
            controller.device_type = saved["device_type"]
            controller.values.update(saved.get("settings", {}))
            for position, settings in saved["ponds"].items():
                pond = PondState(controller, int(position))
                pond.values.update(settings)
                controller.ponds[pond.position] = pond
            controller.announced = controller.identified = True
            self._add(controller)
        self.thresholds.async_load()
        await self.dawn.async_load()
        # After the ponds: their feeding totals are kept on them.
        await self.feeding.async_load()

    async def async_start(self) -> None:
        """Subscribe to every controller's messages with a handful of wildcards."""
        # Every platform has offered the known controllers' entities by now.
        self.entity_limit.async_check(self.controllers.values())
        self.admission = Admission(
            knows_controllers=bool(self.controllers), now=dt_util.utcnow()
        )
        kinds = [*self._handlers, MessageKind.STATUS]
        for kind in kinds:
            self._unsubscribe.append(
                await mqtt.async_subscribe(
                    self.hass,
                    f"{self.prefix}/+/{kind}",
                    self._async_handle_message,
                    SUBSCRIBE_QOS,
                    # Bytes, so oversized payloads are refused before decoding.
                    encoding=None,
                )
            )
        self._unsubscribe.append(
            mqtt.async_subscribe_connection_status(
                self.hass, self._async_connection_changed
            )
        )
        self._unsubscribe.append(self.offline_issues.async_start())
        self.connected = mqtt.is_connected(self.hass)

    async def async_stop(self) -> None:
        """Release every subscription and timer and write pending settings."""
        self.commands.async_stop()
        self.thresholds.async_stop()
        self.offline_issues.async_stop()
        self.entity_limit.async_stop()
        self.unknown_controllers.async_resolved()
        await self.dawn.async_stop()
        await self.feeding.async_stop()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        if self._cancel_expiry is not None:
            self._cancel_expiry()
            self._cancel_expiry = None
        # An unloaded hub ignores nobody; a reloaded one reports the cap again.
        self._async_clear_cap_issue()
        await self._store.async_save(self._stored_data())

    async def async_remove_storage(self) -> None:
        """Delete the hub's storage when its config entry is deleted."""
        await self._store.async_remove()
        await self.dawn.async_remove_storage()
        await self.feeding.async_remove_storage()

    # --- entity creation ------------------------------------------------------------

    @callback
    def async_add_device_listeners(
        self, on_controller: ControllerListener, on_pond: PondListener
    ) -> CALLBACK_TYPE:
        """Call the listeners for every known and every future controller and pond."""
        self._controller_listeners.append(on_controller)
        self._pond_listeners.append(on_pond)
        for controller in self.controllers.values():
            if controller.announced:
                on_controller(controller)
                for pond in controller.ponds.values():
                    on_pond(pond)

        @callback
        def remove() -> None:
            self._controller_listeners.remove(on_controller)
            self._pond_listeners.remove(on_pond)

        return remove

    @callback
    def async_add_return_listener(self, listener: ReturnListener) -> CALLBACK_TYPE:
        """Call `listener` whenever a controller boots or comes back online."""
        self._return_listeners.append(listener)

        @callback
        def remove() -> None:
            self._return_listeners.remove(listener)

        return remove

    @callback
    def _async_controller_returned(
        self, controller: ControllerState, back: bool, booted: bool
    ) -> None:
        if back:
            self.commands.async_controller_back(controller)
        if back or booted:
            for listener in self._return_listeners:
                listener(controller, booted)

    # --- message handling -------------------------------------------------------------

    @callback
    def _async_handle_message(self, msg: ReceiveMessage) -> None:
        """Handle any message a controller sent; never raises for bad input."""
        parts = split_topic(self.prefix, msg.topic)
        if parts is None:
            return
        raw_id, kind = parts
        now = dt_util.utcnow()
        controller = self._by_topic_id.get(raw_id)
        if controller is None:
            device_id = normalize_device_id(raw_id)
            if device_id is None:
                self._async_drop(None, "device_id", Reason.BAD_DEVICE_ID, now)
                return
            controller = self.controllers.get(device_id)
            # Before the payload is parsed: a closed hub spends next to nothing on
            # a flood of invented ids.
            if controller is None and not self._async_may_add(device_id):
                return
        else:
            device_id = controller.device_id
        try:
            if kind is MessageKind.STATUS:
                self._async_handle_status(controller, device_id, raw_id, msg, now)
                return
            payload = decode_object(msg.payload)
            if controller is None:
                if kind not in ADMITTING_KINDS or (
                    (controller := self._async_admit(device_id, raw_id, kind, now))
                    is None
                ):
                    return
            back = self._async_seen(controller, raw_id, kind, now)
            self._handlers[kind](controller, payload, now)
        except ProtocolError as err:
            self._async_drop(controller, kind, err.reason, now)
        else:
            # Only now: the message that brought it back may answer a command.
            self._async_controller_returned(
                controller, back, booted=kind is MessageKind.STARTUP
            )
        if controller is not None and not controller.announced:
            self._async_announce_when_known(controller, now)

    @callback
    def _async_handle_status(
        self,
        controller: ControllerState | None,
        device_id: str,
        raw_id: str,
        msg: ReceiveMessage,
        now: datetime,
    ) -> None:
        online = parse_status(msg.payload)
        if controller is None:
            # A retained `offline` of a controller we never knew must not create one.
            if not online or (
                (
                    controller := self._async_admit(
                        device_id, raw_id, MessageKind.STATUS, now
                    )
                )
                is None
            ):
                return
        if online:
            back = self._async_seen(controller, raw_id, MessageKind.STATUS, now)
            self._async_controller_returned(controller, back, booted=False)
        else:
            controller.stats.count_message(MessageKind.STATUS, now)
            if controller.online:
                self._async_go_offline(controller, now, "it reported offline")

    @callback
    def _async_handle_startup(
        self, controller: ControllerState, payload: dict[str, Any], now: datetime
    ) -> None:
        self._async_handle_identity(controller, payload, now)
        self.commands.async_handle_startup(controller)

    @callback
    def _async_handle_answer(
        self,
        complete: bool,
        controller: ControllerState,
        payload: dict[str, Any],
        now: datetime,  # noqa: ARG002
    ) -> None:
        self.commands.async_handle_answer(controller, complete, parse_answer(payload))

    @callback
    def _async_handle_controller_alarm(
        self, controller: ControllerState, payload: dict[str, Any], now: datetime
    ) -> None:
        self.thresholds.async_handle_controller_alarm(controller, payload, now)

    @callback
    def _async_handle_identity(
        self, controller: ControllerState, payload: dict[str, Any], now: datetime
    ) -> None:
        identity = parse_identity(payload)
        controller.identified = True
        self._async_report_rejections(controller, identity.rejections, now)
        self._async_apply_identity(controller, identity)
        controller.async_update(
            {
                key: value
                for key, value in (
                    (Reading.SIGNAL, identity.wifi_signal_strength),
                    (FREE_HEAP, identity.free_heap),
                    (IP_ADDRESS, identity.ip_address),
                )
                if value is not None
            }
        )

    @callback
    def _async_apply_identity(
        self, controller: ControllerState, identity: Identity
    ) -> None:
        for name in (
            "device_name",
            "firmware_version",
            "hardware_version",
            "device_type",
        ):
            if (value := getattr(identity, name)) is not None:
                setattr(controller, name, value)
        if identity.timestamp is not None:
            controller.controller_time = identity.timestamp
        controller.async_update({FIRMWARE_VERSION: controller.firmware_version})
        if controller.announced:
            self._async_register_devices(controller)

    @callback
    def _async_handle_sensors(
        self, controller: ControllerState, payload: dict[str, Any], now: datetime
    ) -> None:
        report = parse_sensors(payload)
        self._async_report_rejections(controller, report.rejections, now)
        if report.firmware_version or report.hardware_version:
            self._async_apply_identity(
                controller,
                Identity(
                    firmware_version=report.firmware_version,
                    hardware_version=report.hardware_version,
                ),
            )
        if report.timestamp is not None:
            controller.controller_time = report.timestamp
        controller.async_update(report.controller)
        # Every reading, also one equal to the last, which the state does not notify.
        self.dawn.async_handle_readings(controller, report.controller, now)
        self.thresholds.async_handle_readings(
            controller,
            async_judged_readings(controller, report.controller, self.ammonia_reading),
            now,
        )
        self.thresholds.async_check_controller_alarm(controller, report)
        for position, readings in report.ponds.items():
            pond = controller.ponds.get(position) or self._async_add_pond(
                controller, position
            )
            self.thresholds.async_handle_readings(
                pond, pond.async_apply_readings(readings), now
            )
            if Reading.WATER_DISTANCE in readings:
                self._async_check_geometry(pond)

    @callback
    def _async_report_rejections(
        self, controller: ControllerState, rejections: list[Rejection], now: datetime
    ) -> None:
        for rejection in rejections:
            self._async_drop(controller, rejection.field, rejection.reason, now)

    @callback
    def _async_drop(
        self,
        controller: ControllerState | None,
        what: str,
        reason: Reason,
        now: datetime,
    ) -> None:
        """Count a dropped message or value and warn at most once an hour about it."""
        stats = self.stats if controller is None else controller.stats
        if stats.count_drop(what, reason, now):
            LOGGER.warning(
                "Dropped %s from %s: %s (further drops of it are logged at most"
                " once an hour, counted in diagnostics)",
                what,
                "an unknown controller" if controller is None else controller.name,
                reason,
            )

    # --- controllers and ponds ----------------------------------------------------------

    @callback
    def _async_may_add(self, device_id: str) -> bool:
        """Return whether a message of an unknown controller may add it, else count it."""
        if self.add_new_controllers and len(self.controllers) < self.max_controllers:
            return True
        self.ignored_controllers.count(device_id)
        if self.add_new_controllers and not self._cap_reported:
            self._cap_reported = True
            LOGGER.warning(
                "Future Fish hub %s has reached its maximum of %d controllers: new"
                " controller ids are ignored until the maximum is raised in its options",
                self.prefix,
                self.max_controllers,
            )
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                self._cap_issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=ISSUE_TOO_MANY_CONTROLLERS,
                translation_placeholders={
                    "prefix": self.prefix,
                    "maximum": str(self.max_controllers),
                },
            )
        return False

    @callback
    def _async_clear_cap_issue(self) -> None:
        if self._cap_reported:
            self._cap_reported = False
            ir.async_delete_issue(self.hass, DOMAIN, self._cap_issue_id)

    @property
    def _cap_issue_id(self) -> str:
        return f"{ISSUE_TOO_MANY_CONTROLLERS}_{self.entry.entry_id}"

    @callback
    def _async_admit(
        self, device_id: str, raw_id: str, kind: MessageKind, now: datetime
    ) -> ControllerState | None:
        """Add an unknown controller, or keep it waiting at the door (admission)."""
        verdict, first_seen = self.admission.judge(device_id, raw_id, kind, now)
        if verdict is not Verdict.ADMIT:
            if verdict is Verdict.WAIT and self.admission.held:
                self.unknown_controllers.async_held(self.admission)
            return None
        controller = ControllerState(device_id, raw_id)
        controller.first_seen = first_seen
        self._add(controller)
        return controller

    @callback
    def _async_announce_when_known(
        self, controller: ControllerState, now: datetime
    ) -> None:
        """Create the devices and entities of a new controller once it is known."""
        if not controller.identified and (
            controller.first_seen is not None
            and now - controller.first_seen < ANNOUNCE_WAIT
        ):
            return
        controller.announced = True
        LOGGER.info("Found Future Fish controller %s", controller.name)
        self._async_register_devices(controller)
        for listener in self._controller_listeners:
            listener(controller)
        for pond in controller.ponds.values():
            for pond_listener in self._pond_listeners:
                pond_listener(pond)
        self.entity_limit.async_check((controller,))
        self._async_schedule_save()

    def _add(self, controller: ControllerState) -> None:
        self.controllers[controller.device_id] = controller
        self._by_topic_id[controller.topic_id] = controller

    @callback
    def _async_add_pond(self, controller: ControllerState, position: int) -> PondState:
        pond = PondState(controller, position)
        controller.ponds[position] = pond
        # Before its controller is announced, the announcement creates it.
        if controller.announced:
            self._async_register_pond_device(pond)
            for listener in self._pond_listeners:
                listener(pond)
            self.entity_limit.async_check((controller,))
            self._async_schedule_save()
        return pond

    @callback
    def _async_register_devices(self, controller: ControllerState) -> None:
        """Write the controller's identity, and its ponds', to the device registry.

        Called for every identity message, so it returns at once when nothing changed.
        """
        fields = (
            controller.name,
            controller.model,
            controller.firmware_version,
            controller.hardware_version,
        )
        if fields == controller.registered_device:
            return
        controller.registered_device = fields
        device = dr.async_get(self.hass).async_get_or_create(
            config_entry_id=self.entry.entry_id,
            identifiers={(DOMAIN, controller.device_id)},
            connections=(
                {(dr.CONNECTION_NETWORK_MAC, controller.device_id)}
                if is_mac(controller.device_id)
                else set()
            ),
            manufacturer=MANUFACTURER,
            model=controller.model,
            name=controller.name,
            sw_version=controller.firmware_version,
            hw_version=controller.hardware_version,
        )
        controller.device_entry_id = device.id
        # Pond names derive from the controller's name.
        for pond in controller.ponds.values():
            self._async_register_pond_device(pond)
        self._async_schedule_save()

    @callback
    def _async_register_pond_device(self, pond: PondState) -> None:
        pond.device_entry_id = (
            dr.async_get(self.hass)
            .async_get_or_create(
                config_entry_id=self.entry.entry_id,
                identifiers={(DOMAIN, pond.device_key)},
                manufacturer=MANUFACTURER,
                model="Pond",
                name=pond.name,
                via_device_id=pond.controller.device_entry_id,
            )
            .id
        )

    @callback
    def async_remove_device(self, device: dr.DeviceEntry) -> bool:
        """Forget a controller (with its ponds) or a pond the user deletes.

        An online controller would come straight back, so only offline ones can go.
        """
        for domain, key in device.identifiers:
            if domain != DOMAIN:
                continue
            device_id, _, pond_part = key.partition("_pond")
            controller = self.controllers.get(device_id)
            if controller is None:
                return True
            if controller.online:
                return False
            if pond_part:
                pond = controller.ponds.pop(int(pond_part), None)
                if pond is not None:
                    self._async_delete_geometry_issue(pond)
                    self.thresholds.async_forget(pond)
            else:
                del self.controllers[device_id]
                self._by_topic_id.pop(controller.topic_id, None)
                self.commands.history.pop(device_id, None)
                self.thresholds.async_forget(controller)
                self.offline_issues.async_forget(controller)
                self.entity_limit.async_forget(controller)
                for pond in controller.ponds.values():
                    self._async_delete_geometry_issue(pond)
                    self.thresholds.async_forget(pond)
                if len(self.controllers) < self.max_controllers:
                    self._async_clear_cap_issue()
            self._async_schedule_save()
            return True
        return True

    # --- availability -------------------------------------------------------------------

    @callback
    def _async_seen(
        self, controller: ControllerState, raw_id: str, kind: str, now: datetime
    ) -> bool:
        """Note that a controller spoke; return whether it was offline until now."""
        controller.stats.count_message(kind, now)
        if raw_id != controller.topic_id:
            del self._by_topic_id[controller.topic_id]
            controller.topic_id = raw_id
            self._by_topic_id[raw_id] = controller
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
        controller.async_update({LAST_SEEN: now})
        return back

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
            self._async_go_offline(
                oldest,
                now,
                f"no message for {int(self.heartbeat_timeout.total_seconds())} s",
            )

    @callback
    def _async_go_offline(
        self, controller: ControllerState, now: datetime, why: str
    ) -> None:
        self._online.pop(controller, None)
        LOGGER.info("Future Fish controller %s is offline: %s", controller.name, why)
        controller.async_set_online(False, now)

    @callback
    def _async_connection_changed(self, connected: bool) -> None:
        """Follow the broker: without it no controller can be known to be online."""
        self.connected = connected
        self.commands.async_connection_changed(connected)
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
            if self._cancel_expiry is not None:
                self._cancel_expiry()
                self._cancel_expiry = None
        for controller in self.controllers.values():
            controller.async_notify((AVAILABILITY,))

    # --- pond settings --------------------------------------------------------------------

    @callback
    def async_set_pond_setting(self, pond: PondState, key: str, value: float) -> None:
        """Set a pond's sensor height or tank depth, refusing impossible geometry."""
        self.async_set_pond_settings(pond, {key: value})

    @callback
    def async_set_pond_settings(
        self, pond: PondState, settings: dict[str, float]
    ) -> None:
        """Set several pond settings, checked together (the geometry repair flow).

        Checked as a whole, so a sensor height and tank depth that fit each other
        are accepted whatever the pond had before.
        """
        proposed = pond.values | settings
        height = proposed.get(SENSOR_HEIGHT)
        depth = proposed.get(TANK_DEPTH)
        if height is not None and depth is not None and depth > height:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="tank_deeper_than_sensor",
                translation_placeholders={
                    "pond": pond.name,
                    "depth": f"{depth:g}",
                    "height": f"{height:g}",
                },
            )
        for key, value in settings.items():
            pond.async_set_setting(key, value)
        self._async_check_geometry(pond)
        self._async_schedule_save()

    @callback
    def _async_check_geometry(self, pond: PondState) -> None:
        """Raise or clear the repair issue that asks for a pond's geometry."""
        if pond.geometry is not None:
            self._async_delete_geometry_issue(pond)
            return
        if pond.missing_geometry_reported:
            return
        pond.missing_geometry_reported = True
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._geometry_issue_id(pond),
            is_fixable=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_MISSING_GEOMETRY,
            translation_placeholders={
                "pond": pond.name,
                "controller": pond.controller.name,
            },
            # What the fix flow needs to find the pond.
            data={
                "entry_id": self.entry.entry_id,
                "device_id": pond.controller.device_id,
                "pond": pond.position,
            },
        )

    @callback
    def _async_delete_geometry_issue(self, pond: PondState) -> None:
        if pond.missing_geometry_reported:
            pond.missing_geometry_reported = False
            ir.async_delete_issue(self.hass, DOMAIN, self._geometry_issue_id(pond))

    @staticmethod
    def _geometry_issue_id(pond: PondState) -> str:
        return f"{ISSUE_MISSING_GEOMETRY}_{pond.device_key}"

    # --- storage -----------------------------------------------------------------------------

    @callback
    def _async_schedule_save(self) -> None:
        self._store.async_delay_save(self._stored_data, STORAGE_SAVE_DELAY)

    @callback
    def async_schedule_save(self) -> None:
        """Save soon, for the parts of the hub that change what it stores."""
        self._async_schedule_save()

    def _stored_data(self) -> StoredData:
        return {
            "controllers": {
                controller.device_id: {
                    "topic_id": controller.topic_id,
                    "device_name": controller.device_name,
                    "firmware_version": controller.firmware_version,
                    "hardware_version": controller.hardware_version,
                    "device_type": controller.device_type,
                    "settings": controller.settings,
                    "ponds": {
                        str(position): pond.settings
                        for position, pond in controller.ponds.items()
                    },
                }
                for controller in self.controllers.values()
            }
        }
