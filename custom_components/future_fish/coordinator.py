"""The Future Fish hub: subscribes once per message kind and routes each message.

Everything else lives with the component that owns it: presence (who is online),
devices (the registry), storage, commands, thresholds, the dawn forecast, feeding
records and repairs. Each gets a narrow `HubContext`, never the hub.
"""

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial
from typing import Any

from homeassistant.components import mqtt
from homeassistant.components.mqtt import ReceiveMessage
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .ammonia import async_judged_readings
from .commands import CommandTracker
from .const import SUBSCRIBE_QOS
from .context import DiscoveredMessage, HubContext, take_discovery
from .dawn import DawnForecaster
from .devices import Devices
from .feeding import FeedingRecords
from .husbandry import Husbandry
from .models import ControllerState, PondState
from .presence import Presence
from .protocol import (
    MessageKind,
    ProtocolError,
    Reading,
    decode_object,
    parse_answer,
    parse_identity,
    parse_sensors,
    parse_status,
    split_topic,
    subscription_topics,
)
from .repairs import (
    ControllerCapIssue,
    EntityLimitIssue,
    GeometryIssue,
    OfflineIssues,
    UnknownControllersIssue,
)
from .settings import HubSettings
from .storage import ControllerStore
from .thresholds import Thresholds

type FutureFishConfigEntry = ConfigEntry[FutureFishHub]
type Handler = Callable[[ControllerState, dict[str, Any], datetime], None]


class FutureFishHub:
    """One topic prefix's controllers: subscriptions, routing, and their states."""

    def __init__(self, hass: HomeAssistant, entry: FutureFishConfigEntry) -> None:
        """Prepare the hub of a config entry; nothing is subscribed yet."""
        self.hass = hass
        self.entry = entry
        self.settings = HubSettings.from_entry(entry.data, entry.options)
        self.prefix = self.settings.prefix
        self.connected = False
        self.controllers: dict[str, ControllerState] = {}
        self._unsubscribe: list[CALLBACK_TYPE] = []
        self.store = ControllerStore(hass, entry.entry_id, self.controllers.values)
        context = HubContext(
            hass=hass,
            entry=entry,
            prefix=self.prefix,
            controllers=self.controllers,
            schedule_save=self.store.async_schedule_save,
        )
        self.presence = Presence(hass, self.settings.heartbeat_timeout)
        self.commands = CommandTracker(
            context, self.settings.commands, self.settings.heartbeat_timeout
        )
        self.thresholds = Thresholds(context, self.settings, self.commands)
        self.dawn = DawnForecaster(context)
        self.husbandry = Husbandry(context, self.settings.ammonia_reading)
        self.feeding = FeedingRecords(
            context, self.commands, self.husbandry.async_record_feed
        )
        self.offline_issues = OfflineIssues(context)
        self.entity_limit = EntityLimitIssue(context)
        self.geometry_issue = GeometryIssue(context)
        self.devices = Devices(
            hass,
            entry.entry_id,
            self.settings,
            self.controllers,
            entity_limit=self.entity_limit,
            cap_issue=ControllerCapIssue(context, self.settings.max_controllers),
            unknown_issue=UnknownControllersIssue(context),
            schedule_save=self.store.async_schedule_save,
        )
        self.devices.forget_controller += (
            self.commands.async_forget,
            self.thresholds.async_forget,
            self.offline_issues.async_forget,
            self.entity_limit.async_forget,
        )
        self.devices.forget_pond += (
            self.geometry_issue.async_forget,
            self.thresholds.async_forget,
            self.husbandry.async_forget,
        )
        self._handlers: dict[MessageKind, Handler] = {
            MessageKind.STARTUP: self._async_handle_startup,
            MessageKind.HEARTBEAT: self._async_handle_identity,
            MessageKind.SENSORS: self._async_handle_sensors,
            MessageKind.ACK: partial(self._async_handle_answer, False),
            MessageKind.COMPLETE: partial(self._async_handle_answer, True),
            MessageKind.THRESHOLD: self.thresholds.async_handle_controller_alarm,
        }

    # --- life cycle ----------------------------------------------------------------

    async def async_load(self) -> None:
        """Bring back known controllers before the platforms add their entities."""
        fresh_since = dt_util.utcnow() - self.settings.heartbeat_timeout
        for controller in await self.store.async_load(fresh_since):
            self.devices.add(controller)
        self.presence.async_restore(self.controllers.values(), fresh_since)
        self.geometry_issue.async_load()
        self.connected = mqtt.is_connected(self.hass)
        self.thresholds.async_load(self.store.take_restored_alarms())
        await self.dawn.async_load()
        await self.husbandry.async_load(self.devices.async_add_listeners)
        # After the ponds: their feeding totals are kept on them.
        await self.feeding.async_load()

    async def async_start(self) -> None:
        """Subscribe with a handful of wildcards; then a discovery's startup, if any."""
        # Every platform has offered the known controllers' entities by now.
        self.entity_limit.async_check(self.controllers.values())
        self.devices.async_start(dt_util.utcnow())
        for topic in subscription_topics(self.prefix):
            self._unsubscribe.append(
                await mqtt.async_subscribe(
                    self.hass,
                    topic,
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
        # The broker may have (dis)connected since async_load, before anyone listened.
        if (connected := mqtt.is_connected(self.hass)) is not self.connected:
            self._async_connection_changed(connected)
        if (discovered := take_discovery(self.hass, self.prefix)) is not None:
            self._async_handle_message(discovered)

    async def async_stop(self) -> None:
        """Release every subscription and timer and write pending settings."""
        self.commands.async_stop()
        self.thresholds.async_stop()
        self.offline_issues.async_stop()
        self.entity_limit.async_stop()
        self.geometry_issue.async_stop()
        await self.dawn.async_stop()
        await self.feeding.async_stop()
        await self.husbandry.async_stop()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        self.presence.async_stop()
        # An unloaded hub ignores nobody; a reloaded one reports the cap again.
        self.devices.async_stop()
        await self.store.async_save()

    async def async_remove_storage(self) -> None:
        """Delete the hub's storage when its config entry is deleted."""
        await self.store.async_remove()
        await self.dawn.async_remove_storage()
        await self.feeding.async_remove_storage()
        await self.husbandry.async_remove_storage()

    # --- routing -------------------------------------------------------------------

    @callback
    def _async_handle_message(self, msg: ReceiveMessage | DiscoveredMessage) -> None:
        """Handle any message a controller sent; never raises for bad input."""
        now = msg.received if isinstance(msg, DiscoveredMessage) else dt_util.utcnow()
        parts = split_topic(self.prefix, msg.topic)
        if parts is None:
            return
        raw_id, kind = parts
        if (sender := self.devices.async_sender(raw_id, now)) is None:
            return
        device_id, controller = sender
        try:
            if kind is MessageKind.STATUS:
                controller = self._async_handle_status(
                    controller, device_id, raw_id, parse_status(msg.payload), now
                )
            else:
                payload = decode_object(msg.payload)
                controller = controller or self.devices.async_admit(
                    device_id, raw_id, kind, now
                )
                if controller is None:
                    return
                back = self._async_seen(controller, raw_id, kind, now)
                self._handlers[kind](controller, payload, now)
                # Only now: the message that brought it back may answer a command.
                self._async_returned(controller, back, kind is MessageKind.STARTUP)
        except ProtocolError as err:
            self.devices.async_drop(controller, kind, err.reason, now)
        # After the message: a name or ponds it carries are in the first devices.
        if controller is not None and not controller.announced:
            self.devices.async_announce(controller)

    @callback
    def _async_handle_status(
        self,
        controller: ControllerState | None,
        device_id: str,
        raw_id: str,
        online: bool,
        now: datetime,
    ) -> ControllerState | None:
        """Follow an `online`/`offline` status; return its controller, if any."""
        if online:
            controller = controller or self.devices.async_admit(
                device_id, raw_id, MessageKind.STATUS, now
            )
            if controller is None:
                return None
            back = self._async_seen(controller, raw_id, MessageKind.STATUS, now)
            self._async_returned(controller, back, booted=False)
        # A retained `offline` of a controller we never knew must not create one.
        elif controller is not None:
            controller.stats.count_message(MessageKind.STATUS, now)
            if controller.online:
                self.presence.async_go_offline(controller, now, "it reported offline")
        return controller

    @callback
    def _async_returned(
        self, controller: ControllerState, back: bool, booted: bool
    ) -> None:
        if back:
            self.commands.async_controller_back(controller)
        if back or booted:
            self.thresholds.async_controller_returned(controller, booted)

    @callback
    def _async_seen(
        self, controller: ControllerState, raw_id: str, kind: str, now: datetime
    ) -> bool:
        """Note that a controller spoke; return whether it was offline until now."""
        controller.stats.count_message(kind, now)
        self.devices.respell(controller, raw_id)
        self.store.async_schedule_readings_save()
        return self.presence.async_seen(controller, now)

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
    def _async_handle_identity(
        self, controller: ControllerState, payload: dict[str, Any], now: datetime
    ) -> None:
        identity = parse_identity(payload)
        controller.async_drop_rejected(identity.rejections, now)
        self.devices.async_apply_identity(controller, identity)

    @callback
    def _async_handle_sensors(
        self, controller: ControllerState, payload: dict[str, Any], now: datetime
    ) -> None:
        report = parse_sensors(payload)
        controller.async_drop_rejected(report.rejections, now)
        if report.firmware_version or report.hardware_version:
            self.devices.async_apply_identity(controller, report.identity)
        elif report.timestamp is not None:
            controller.controller_time = report.timestamp
        controller.async_update(report.controller)
        # Every reading, also one equal to the last, which the state does not notify.
        self.dawn.async_handle_readings(controller, report.controller, now)
        self.thresholds.async_handle_readings(
            controller,
            async_judged_readings(
                controller, report.controller, self.settings.ammonia_reading
            ),
            now,
        )
        self.thresholds.async_check_controller_alarm(controller, report)
        for position, readings in report.ponds.items():
            pond = controller.ponds.get(position) or self.devices.async_add_pond(
                controller, position
            )
            self.thresholds.async_handle_readings(
                pond, pond.async_apply_readings(readings), now
            )
            if Reading.WATER_DISTANCE in readings:
                self.geometry_issue.async_check(pond)

    @callback
    def _async_connection_changed(self, connected: bool) -> None:
        self.connected = connected
        self.commands.async_connection_changed(connected)
        self.presence.async_connection_changed(connected, self.controllers.values())

    @callback
    def async_set_pond_settings(
        self, pond: PondState, settings: Mapping[str, float | None]
    ) -> None:
        """Set pond settings (checked together; None unsets), follow the geometry."""
        pond.async_set_settings(settings)
        self.geometry_issue.async_check(pond)
        self.store.async_schedule_save()
