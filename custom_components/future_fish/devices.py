"""A hub's controllers and ponds as Home Assistant sees them: devices and entities.

Owns the directory of controllers (by normalised id and by topic spelling), admits
new ones within the hub's maximum, announces them to the platforms at their first
message, writes the device registry only on change (a name that arrives later renames
the devices; entity ids stay), and removes what the user deletes.
"""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

from .admission import Admission, Verdict
from .const import DOMAIN, LOGGER, MANUFACTURER
from .models import (
    ControllerState,
    IgnoredControllers,
    MessageStats,
    PondState,
    parse_device_key,
)
from .protocol import Identity, MessageKind, Reason, is_mac, normalize_device_id
from .repairs import ControllerCapIssue, EntityLimitIssue, UnknownControllersIssue
from .settings import HubSettings

type ControllerListener = Callable[[ControllerState], None]
type PondListener = Callable[[PondState], None]


# Messages that prove a controller exists (an `online` status too); answers and
# alarms only make sense from a controller that is already known.
ADMITTING_KINDS: Final = frozenset(
    {
        MessageKind.STARTUP,
        MessageKind.HEARTBEAT,
        MessageKind.SENSORS,
        MessageKind.STATUS,
    }
)


class Devices:
    """The controllers and ponds of one hub, and their devices."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        settings: HubSettings,
        controllers: dict[str, ControllerState],
        *,
        entity_limit: EntityLimitIssue,
        cap_issue: ControllerCapIssue,
        unknown_issue: UnknownControllersIssue,
        schedule_save: Callable[[], None],
    ) -> None:
        """Prepare the directory `controllers`; `schedule_save` follows every change."""
        self.hass = hass
        self._entry_id = entry_id
        self._settings = settings
        self._entity_limit = entity_limit
        self._cap_issue = cap_issue
        self._unknown_issue = unknown_issue
        self.admission = Admission()
        self._schedule_save = schedule_save
        self.controllers = controllers
        self.ignored = IgnoredControllers()
        # Messages no controller can be charged with (invalid ids).
        self.stats = MessageStats()
        self._by_topic_id: dict[str, ControllerState] = {}
        self._controller_listeners: list[ControllerListener] = []
        self._pond_listeners: list[PondListener] = []
        # What else must forget a controller or pond the user deletes.
        self.forget_controller: list[Callable[[ControllerState], None]] = []
        self.forget_pond: list[Callable[[PondState], None]] = []

    # --- directory -----------------------------------------------------------------

    def by_topic_id(self, raw_id: str) -> ControllerState | None:
        """Return the controller that spells its id `raw_id` in topics."""
        return self._by_topic_id.get(raw_id)

    def add(self, controller: ControllerState) -> None:
        """Add a controller, known from storage or just admitted."""
        self.controllers[controller.device_id] = controller
        self._by_topic_id[controller.topic_id] = controller

    def respell(self, controller: ControllerState, raw_id: str) -> None:
        """Follow a controller that spells its id differently now.

        Commands go back on the spelling the controller uses (PROTOCOL 1).
        """
        if raw_id != controller.topic_id:
            del self._by_topic_id[controller.topic_id]
            controller.topic_id = raw_id
            self._by_topic_id[raw_id] = controller

    @callback
    def async_sender(
        self, raw_id: str, now: datetime
    ) -> tuple[str, ControllerState | None] | None:
        """Return who sent on `raw_id`: its normalised id, and its controller if known.

        None for an invalid id (counted) or an unknown one the hub may not add: a
        closed hub spends next to nothing on a flood of invented ids, as this comes
        before the payload is parsed.
        """
        if (controller := self._by_topic_id.get(raw_id)) is not None:
            return controller.device_id, controller
        device_id = normalize_device_id(raw_id)
        if device_id is None:
            self.async_drop(None, "device_id", Reason.BAD_DEVICE_ID, now)
            return None
        controller = self.controllers.get(device_id)
        if controller is None and not self.async_may_add(device_id):
            return None
        return device_id, controller

    @callback
    def async_drop(
        self,
        controller: ControllerState | None,
        what: str,
        reason: Reason,
        now: datetime,
    ) -> None:
        """Count a dropped message or value of a controller, or of an unknown id."""
        if controller is None:
            self.stats.async_drop("an unknown controller", what, reason, now)
        else:
            controller.stats.async_drop(controller.name, what, reason, now)

    @callback
    def async_may_add(self, device_id: str) -> bool:
        """Return whether a message of an unknown controller may add it, else count it."""
        settings = self._settings
        if settings.add_new_controllers and (
            len(self.controllers) < settings.max_controllers
        ):
            return True
        self.ignored.count(device_id)
        if settings.add_new_controllers:
            self._cap_issue.async_report()
        return False

    @callback
    def async_start(self, now: datetime) -> None:
        """Open the door; a hub that knows no controller yet is meeting a farm."""
        if not self.controllers:
            self.admission.greet_farm(now)

    @callback
    def async_admit(
        self, device_id: str, raw_id: str, kind: MessageKind, now: datetime
    ) -> ControllerState | None:
        """Add a controller heard for the first time, or keep it waiting at the door.

        Its first message shows it (see admission.py for who waits).
        """
        if kind not in ADMITTING_KINDS:
            return None
        verdict = self.admission.judge(device_id, raw_id, kind, now)
        if verdict is not Verdict.ADMIT:
            if verdict is Verdict.WAIT and self.admission.held:
                self._unknown_issue.async_held(self.admission)
            return None
        controller = ControllerState(device_id, raw_id)
        self.add(controller)
        return controller

    @callback
    def async_allow(self, device_ids: Iterable[str]) -> None:
        """Let waiting ids in with their next message (the user added them)."""
        self.admission.allow(device_ids)
        self._unknown_issue.async_resolved()

    @callback
    def async_ignore_waiting(self) -> None:
        """Ignore every waiting id until the hub is reloaded (the user said so)."""
        self.admission.ignore_pending()
        self._unknown_issue.async_resolved()

    # --- entities ------------------------------------------------------------------

    @callback
    def async_add_listeners(
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
    def async_announce(self, controller: ControllerState) -> None:
        """Create the devices and entities of a new controller, named as known now.

        Deployed firmware sends no name, so waiting for one would only leave the page
        empty: the devices take the name made from the MAC, and a name that arrives
        later renames them (entity ids stay, as for any rename in Home Assistant).
        """
        controller.announced = True
        LOGGER.info("Found Future Fish controller %s", controller.name)
        self.async_register(controller)
        for listener in self._controller_listeners:
            listener(controller)
        for pond in controller.ponds.values():
            for pond_listener in self._pond_listeners:
                pond_listener(pond)
        self._entity_limit.async_check((controller,))
        self._schedule_save()

    @callback
    def async_add_pond(self, controller: ControllerState, position: int) -> PondState:
        """Add a pond a controller reported for the first time."""
        pond = PondState(controller, position)
        controller.ponds[position] = pond
        # Before its controller is announced, the announcement creates it.
        if controller.announced:
            self._async_register_pond(pond)
            for listener in self._pond_listeners:
                listener(pond)
            self._entity_limit.async_check((controller,))
            self._schedule_save()
        return pond

    @callback
    def async_apply_identity(
        self, controller: ControllerState, identity: Identity
    ) -> None:
        """Take what a message says about a controller; rename its devices if shown."""
        controller.async_apply_identity(identity)
        if controller.announced:
            self.async_register(controller)

    # --- device registry -----------------------------------------------------------

    @callback
    def async_register(self, controller: ControllerState) -> None:
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
            config_entry_id=self._entry_id,
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
            self._async_register_pond(pond)
        self._schedule_save()

    @callback
    def _async_register_pond(self, pond: PondState) -> None:
        pond.device_entry_id = (
            dr.async_get(self.hass)
            .async_get_or_create(
                config_entry_id=self._entry_id,
                identifiers={(DOMAIN, pond.device_key)},
                manufacturer=MANUFACTURER,
                model="Pond",
                name=pond.name,
                via_device_id=pond.controller.device_entry_id,
            )
            .id
        )

    @callback
    def async_remove(self, device: dr.DeviceEntry) -> bool:
        """Forget a controller (with its ponds) or a pond the user deletes.

        An online controller would come straight back, so only offline ones can go.
        """
        # Every device of the hub's entry carries the hub's identifier.
        key = next(key for domain, key in device.identifiers if domain == DOMAIN)
        device_id, position = parse_device_key(key)
        controller = self.controllers.get(device_id)
        if controller is None:
            return True
        if controller.online:
            return False
        if position is not None:
            if (pond := controller.ponds.pop(position, None)) is not None:
                self._async_forget_pond(pond)
        else:
            del self.controllers[device_id]
            self._by_topic_id.pop(controller.topic_id, None)
            for forget in self.forget_controller:
                forget(controller)
            for pond in controller.ponds.values():
                self._async_forget_pond(pond)
            if len(self.controllers) < self._settings.max_controllers:
                self._cap_issue.async_clear()
        self._schedule_save()
        return True

    @callback
    def async_stop(self) -> None:
        """Clear the cap and door issues: an unloaded hub ignores nobody."""
        self._cap_issue.async_clear()
        self._unknown_issue.async_resolved()

    @callback
    def _async_forget_pond(self, pond: PondState) -> None:
        for forget in self.forget_pond:
            forget(pond)
