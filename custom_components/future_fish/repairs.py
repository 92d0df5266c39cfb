"""Repairs: every repair issue a hub raises, with the geometry and door fix flows.

Each issue kind has its id here and one small class that raises and clears it; the
hub and its components call them where the facts change.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from functools import partial
import itertools
from typing import Any, Final, Protocol

from homeassistant.components.repairs import RepairsFlow, RepairsFlowResult
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import UnitOfLength
from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import (
    device_registry as dr,
    entity_platform,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.helpers.event import async_call_later, async_track_time_interval
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
)
from homeassistant.util import dt as dt_util
import probatio

from .admission import NEW_PER_MINUTE, Admission
from .const import DOMAIN, LOGGER
from .context import HubContext
from .models import (
    AVAILABILITY,
    GEOMETRY_RANGE,
    SENSOR_HEIGHT,
    TANK_DEPTH,
    ControllerState,
    PondState,
)
from .protocol import Reading, controller_topic_filter

ISSUE_CONTROLLER_OFFLINE: Final = "controller_offline"
ISSUE_ENTITY_LIMIT: Final = "entity_limit_reached"
ISSUE_MISSING_GEOMETRY: Final = "missing_geometry"
ISSUE_TOO_MANY_CONTROLLERS: Final = "too_many_controllers"
ISSUE_PUSH_FAILED: Final = "push_limits_failed"
ISSUE_UNKNOWN_CONTROLLERS: Final = "unknown_controllers"
# Every kind of issue this integration raises (each has its strings).
ISSUE_KINDS: Final = (
    ISSUE_CONTROLLER_OFFLINE,
    ISSUE_ENTITY_LIMIT,
    ISSUE_MISSING_GEOMETRY,
    ISSUE_TOO_MANY_CONTROLLERS,
    ISSUE_PUSH_FAILED,
    ISSUE_UNKNOWN_CONTROLLERS,
)
# The unknown-controllers issue counts a burst this long after it began, then follows
# it at this pace, not at every message.
UNKNOWN_COUNT_REFRESH: Final = timedelta(seconds=10)
# Waiting ids its fix flow lists; the rest are handled by "ignore".
OFFERED_IN_FLOW: Final = 20
# The README section that explains the limit and the ways around it.
SCALE_DOCS_URL: Final = "https://github.com/future-fish/ha-future-fish#scale"
# A controller sends a heartbeat every 20 s; an hour without one is no Wi-Fi hiccup.
OFFLINE_ISSUE_AFTER: Final = timedelta(hours=1)
# The geometry issue names this many ponds and counts the others.
GEOMETRY_ISSUE_LISTED: Final = 10
# One timer for the whole hub; the issue may come a few minutes after the hour.
OFFLINE_CHECK_INTERVAL: Final = timedelta(minutes=5)
_GEOMETRY_SELECTOR: Final = NumberSelector(
    NumberSelectorConfig(
        min=GEOMETRY_RANGE.minimum,
        max=GEOMETRY_RANGE.maximum,
        step=GEOMETRY_RANGE.step,
        mode=NumberSelectorMode.BOX,
        unit_of_measurement=UnitOfLength.CENTIMETERS,
    )
)


def offline_issue_id(controller: ControllerState) -> str:
    """Return the id of the repair issue that says `controller` is offline."""
    return f"{ISSUE_CONTROLLER_OFFLINE}_{controller.device_id}"


def _push_issue_id(controller: ControllerState) -> str:
    return f"{ISSUE_PUSH_FAILED}_{controller.device_id}"


@callback
def async_update_push_issue(hass: HomeAssistant, controller: ControllerState) -> None:
    """Raise, update or clear the issue that lists limits a controller did not take."""
    if not controller.push_failures:
        async_forget_push_issue(hass, controller)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        _push_issue_id(controller),
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


@callback
def async_forget_push_issue(hass: HomeAssistant, controller: ControllerState) -> None:
    """Delete the push issue of a controller that took its limits or was removed."""
    ir.async_delete_issue(hass, DOMAIN, _push_issue_id(controller))


class OfflineIssues:
    """Raise a repair issue for every controller offline for more than an hour."""

    def __init__(self, context: HubContext) -> None:
        """Prepare the check of a hub's controllers; nothing runs yet."""
        self.hass = context.hass
        self._context = context
        # Reported controllers, with the remover of the listener that sees them return.
        self._reported: dict[ControllerState, CALLBACK_TYPE] = {}
        self._started = dt_util.utcnow()

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Check every few minutes; return what stops the checks."""
        # Controllers restored offline after a restart count as offline from now.
        self._started = dt_util.utcnow()
        return async_track_time_interval(
            self.hass,
            self._async_check,
            OFFLINE_CHECK_INTERVAL,
            cancel_on_shutdown=True,
        )

    @callback
    def async_stop(self) -> None:
        """Delete every issue: an unloaded hub knows nothing about its controllers."""
        for controller in list(self._reported):
            self.async_forget(controller)

    @callback
    def async_forget(self, controller: ControllerState) -> None:
        """Delete the issue of a controller that came back or was removed."""
        if (unlisten := self._reported.pop(controller, None)) is not None:
            unlisten()
            ir.async_delete_issue(self.hass, DOMAIN, offline_issue_id(controller))

    @callback
    def _async_check(self, now: datetime) -> None:
        for controller in self._context.controllers.values():
            if controller.online or controller in self._reported:
                continue
            since = controller.offline_since or self._started
            if now - since >= OFFLINE_ISSUE_AFTER:
                self._async_report(controller, since)

    @callback
    def _async_report(self, controller: ControllerState, since: datetime) -> None:
        @callback
        def availability_changed() -> None:
            if controller.online:
                self.async_forget(controller)

        self._reported[controller] = controller.async_listen(
            (AVAILABILITY,), availability_changed
        )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            offline_issue_id(controller),
            is_fixable=False,
            # Gone when Home Assistant restarts: the next check decides afresh.
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_CONTROLLER_OFFLINE,
            translation_placeholders={
                "controller": controller.name,
                "since": dt_util.as_local(since).strftime("%Y-%m-%d %H:%M"),
                "prefix": self._context.prefix,
                "topic": controller_topic_filter(
                    self._context.prefix, controller.topic_id
                ),
            },
        )


class EntityLimitIssue:
    """Say which controllers Home Assistant's per-entry entity limit left short.

    Home Assistant registers at most `MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY` enabled
    entities per config entry and refuses further ones with a single log line, while
    their devices are still created: a large farm would show empty devices and
    nothing would say why. One repair issue per hub counts the controllers whose
    own or ponds' devices lack some of their entities.
    """

    def __init__(self, context: HubContext) -> None:
        """Prepare the check of a hub's controllers; nothing is counted yet."""
        self.hass = context.hass
        self._context = context
        # How many entities a controller's device and a pond's device get, summed
        # over the platforms as they set up. Entities disabled by default count too:
        # Home Assistant registers them whatever the limit.
        self._per_controller = 0
        self._per_pond = 0
        # Device ids of the controllers found short: only the hub's own controllers,
        # so never more than its maximum number of controllers.
        self.short: set[str] = set()

    @callback
    def async_expect(self, per_controller: int, per_pond: int) -> None:
        """Add the entities one platform creates for each controller and pond."""
        self._per_controller += per_controller
        self._per_pond += per_pond

    @callback
    def async_check(self, controllers: Iterable[ControllerState]) -> None:
        """Note which of `controllers`, whose entities were just offered, lack some.

        Called when controllers or ponds are announced and once per setup, never per
        message: a counter lookup, and registry lookups only once the hub's entry has
        reached the limit.
        """
        entity_registry = er.async_get(self.hass)
        enabled = entity_registry.entities.get_enabled_count_for_config_entry_id(
            self._context.entry.entry_id
        )
        if enabled < self._limit:
            return
        found = {
            controller.device_id
            for controller in controllers
            if controller.device_id not in self.short
            and self._lacks_entities(entity_registry, controller)
        }
        if not found:
            return
        if not self.short:
            # Once per setup: the issue counts the further ones.
            LOGGER.warning(
                "Future Fish hub %s has reached Home Assistant's limit of %d enabled"
                " entities per integration entry: controllers beyond it lack some or"
                " all of their entities, counted in a repair issue",
                self._context.prefix,
                self._limit,
            )
        self.short |= found
        self._async_update_issue()

    @callback
    def async_forget(self, controller: ControllerState) -> None:
        """Stop counting a controller that was deleted."""
        if controller.device_id in self.short:
            self.short.discard(controller.device_id)
            self._async_update_issue()

    @callback
    def async_stop(self) -> None:
        """Delete the issue: the next setup finds out afresh what fits."""
        if self.short:
            self.short.clear()
            self._async_update_issue()

    @property
    def _limit(self) -> int:
        # Read at every use: Home Assistant may change it, and tests lower it.
        return entity_platform.MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY

    @property
    def _issue_id(self) -> str:
        return f"{ISSUE_ENTITY_LIMIT}_{self._context.entry.entry_id}"

    def _lacks_entities(
        self, entity_registry: er.EntityRegistry, controller: ControllerState
    ) -> bool:
        """Return whether the controller's or a pond's device has too few entities."""
        device_registry = dr.async_get(self.hass)
        for key, expected in (
            (controller.device_id, self._per_controller),
            *((pond.device_key, self._per_pond) for pond in controller.ponds.values()),
        ):
            device = device_registry.async_get_device_by_identifier(
                (DOMAIN, key), self._context.entry.entry_id
            )
            registered = (
                0
                if device is None
                else len(
                    er.async_entries_for_device(
                        entity_registry, device.id, include_disabled_entities=True
                    )
                )
            )
            if registered < expected:
                return True
        return False

    @callback
    def _async_update_issue(self) -> None:
        if not self.short:
            ir.async_delete_issue(self.hass, DOMAIN, self._issue_id)
            return
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._issue_id,
            is_fixable=False,
            learn_more_url=SCALE_DOCS_URL,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_ENTITY_LIMIT,
            translation_placeholders={
                "count": str(len(self.short)),
                "prefix": self._context.prefix,
                "limit": str(self._limit),
            },
        )


class GeometryIssue:
    """Ask, in one repair issue per hub, for the geometry of the ponds that lack it.

    A pond that reports a distance to its water needs its sensor height and tank
    depth for a level in %. A new farm has many such ponds at once: one issue lists
    them and its fix flow walks through them, instead of an issue per pond.
    """

    def __init__(self, context: HubContext) -> None:
        """Prepare the issue of a hub's ponds; none is missing anything yet."""
        self.hass = context.hass
        self._context = context
        self._issue_id = f"{ISSUE_MISSING_GEOMETRY}_{context.entry.entry_id}"
        # The ponds that lack it, in the order they reported (a dict keeps it).
        self._missing: dict[PondState, None] = {}

    @property
    def missing(self) -> list[PondState]:
        """Return the ponds that report a distance but have no geometry."""
        return list(self._missing)

    @callback
    def async_load(self) -> None:
        """Raise the issue for restored ponds whose last readings had a distance."""
        for controller in self._context.controllers.values():
            for pond in controller.ponds.values():
                if Reading.WATER_DISTANCE in pond.values and pond.geometry is None:
                    self._missing[pond] = None
        self._async_update()

    @callback
    def async_check(self, pond: PondState) -> None:
        """Follow a pond that reported a distance or whose settings changed."""
        if pond.geometry is not None:
            self.async_forget(pond)
        elif pond not in self._missing:
            self._missing[pond] = None
            self._async_update()

    @callback
    def async_forget(self, pond: PondState) -> None:
        """Stop asking for a pond that got its geometry or was removed."""
        if pond in self._missing:
            del self._missing[pond]
            self._async_update()

    @callback
    def async_stop(self) -> None:
        """Delete the issue: an unloaded hub knows nothing about its ponds."""
        self._missing.clear()
        self._async_update()

    @callback
    def _async_update(self) -> None:
        if not self._missing:
            ir.async_delete_issue(self.hass, DOMAIN, self._issue_id)
            return
        ponds = [
            f"- {pond.name} ({pond.controller.name})"
            for pond in itertools.islice(self._missing, GEOMETRY_ISSUE_LISTED)
        ]
        if (more := len(self._missing) - GEOMETRY_ISSUE_LISTED) > 0:
            ponds.append(f"- … +{more}")
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._issue_id,
            is_fixable=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_MISSING_GEOMETRY,
            translation_placeholders={
                "count": str(len(self._missing)),
                "ponds": "\n".join(ponds),
            },
            # What the fix flow needs to find the hub.
            data={"entry_id": self._context.entry.entry_id},
        )


class ControllerCapIssue:
    """Say that a hub reached its maximum of controllers and ignores new ids."""

    def __init__(self, context: HubContext, maximum: int) -> None:
        """Prepare the issue of a hub that adds at most `maximum` controllers."""
        self.hass = context.hass
        self._prefix = context.prefix
        self._issue_id = f"{ISSUE_TOO_MANY_CONTROLLERS}_{context.entry.entry_id}"
        self._maximum = maximum
        self.reported = False

    @callback
    def async_report(self) -> None:
        """Raise the issue and log once, until it is cleared."""
        if self.reported:
            return
        self.reported = True
        LOGGER.warning(
            "Future Fish hub %s has reached its maximum of %d controllers: new"
            " controller ids are ignored until the maximum is raised in its options",
            self._prefix,
            self._maximum,
        )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_TOO_MANY_CONTROLLERS,
            translation_placeholders={
                "prefix": self._prefix,
                "maximum": str(self._maximum),
            },
        )

    @callback
    def async_clear(self) -> None:
        """Delete the issue (room again, or the hub unloads)."""
        if self.reported:
            self.reported = False
            ir.async_delete_issue(self.hass, DOMAIN, self._issue_id)


class UnknownControllersIssue:
    """One repair issue per hub while unknown ids wait at the door; logged once."""

    def __init__(self, context: HubContext) -> None:
        """Prepare the issue of a hub; nothing is reported yet."""
        self.hass = context.hass
        self._context = context
        self._logged = False
        self._reported = 0
        self._cancel_refresh: CALLBACK_TYPE | None = None

    @property
    def issue_id(self) -> str:
        """Return the id of the hub's issue."""
        return f"{ISSUE_UNKNOWN_CONTROLLERS}_{self._context.entry.entry_id}"

    @callback
    def async_held(self, admission: Admission) -> None:
        """Say that ids wait: logged at once, the issue once the burst is counted."""
        if not self._logged:
            self._logged = True
            LOGGER.warning(
                "Future Fish hub %s: more than %d unknown controller ids appeared in a"
                " minute; they wait in a repair issue instead of becoming devices"
                " (logged once)",
                self._context.prefix,
                NEW_PER_MINUTE,
            )
        if self._cancel_refresh is None and admission.held != self._reported:
            self._cancel_refresh = async_call_later(
                self.hass,
                UNKNOWN_COUNT_REFRESH,
                HassJob(
                    partial(self._async_report, admission), cancel_on_shutdown=True
                ),
            )

    @callback
    def async_resolved(self) -> None:
        """Forget the issue once the user decided, or the hub unloads."""
        self._async_cancel_refresh()
        if self._reported:
            self._reported = 0
            ir.async_delete_issue(self.hass, DOMAIN, self.issue_id)

    @callback
    def _async_cancel_refresh(self) -> None:
        if self._cancel_refresh is not None:
            self._cancel_refresh()
            self._cancel_refresh = None

    @callback
    def _async_report(self, admission: Admission, _: datetime) -> None:
        self._cancel_refresh = None
        self._reported = admission.held
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self.issue_id,
            is_fixable=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_UNKNOWN_CONTROLLERS,
            translation_placeholders={
                "count": str(admission.held),
                "prefix": self._context.prefix,
                "rate": str(NEW_PER_MINUTE),
            },
            data={"entry_id": self._context.entry.entry_id},
        )


class UnknownControllersRepairFlow(RepairsFlow):
    """Add the listed unknown ids as controllers, or ignore every waiting id."""

    def __init__(self, data: dict[str, str | int | float | None]) -> None:
        """Decide about the ids waiting at the hub the issue's data names."""
        self._data = data

    async def async_step_init(
        self,
        user_input: dict[str, str] | None = None,  # noqa: ARG002
    ) -> RepairsFlowResult:
        """Offer both ways out."""
        return self.async_show_menu(step_id="init", menu_options=["add", "ignore"])

    async def async_step_add(
        self, user_input: dict[str, list[str]] | None = None
    ) -> RepairsFlowResult:
        """List the waiting ids, those that report like a controller ticked."""
        if (hub := _loaded_hub(self.hass, self._data)) is None:
            return self.async_abort(reason="hub_unavailable")
        door: DoorKeeper = hub.devices
        if user_input is not None:
            door.async_allow(user_input["controllers"])
            return self.async_create_entry(data={})
        offered = door.admission.offered(dt_util.utcnow())[:OFFERED_IN_FLOW]
        if not offered:
            return self.async_abort(reason="nothing_waits")
        options = [
            SelectOptionDict(
                value=device_id,
                label=f"{waiting.topic_id} ({waiting.messages} messages)",
            )
            for device_id, waiting in offered
        ]
        return self.async_show_form(
            step_id="add",
            data_schema=probatio.Schema(
                {
                    probatio.Required(
                        "controllers",
                        default=[
                            device_id
                            for device_id, waiting in offered
                            if waiting.steady
                        ],
                    ): SelectSelector(
                        SelectSelectorConfig(options=options, multiple=True)
                    )
                }
            ),
            description_placeholders={"waiting": str(len(door.admission.pending))},
        )

    async def async_step_ignore(
        self,
        user_input: dict[str, str] | None = None,  # noqa: ARG002
    ) -> RepairsFlowResult:
        """Ignore every waiting id until the hub is reloaded."""
        if (hub := _loaded_hub(self.hass, self._data)) is None:
            return self.async_abort(reason="hub_unavailable")
        door: DoorKeeper = hub.devices
        door.async_ignore_waiting()
        return self.async_create_entry(data={})


def _loaded_hub(hass: HomeAssistant, data: Mapping[str, Any]) -> Any | None:
    """Return the runtime data of the hub an issue's data names, None if not loaded.

    Typed by each flow as the Protocol of what it needs: repairs must not import the
    coordinator.
    """
    entry: ConfigEntry[Any] | None = hass.config_entries.async_get_entry(
        str(data.get("entry_id"))
    )
    if entry is None or entry.state is not ConfigEntryState.LOADED:
        return None
    return entry.runtime_data


class DoorKeeper(Protocol):
    """What the unknown-controllers flow needs of a hub's devices."""

    admission: Admission

    def async_allow(self, device_ids: Iterable[str]) -> None:
        """Let waiting ids in."""

    def async_ignore_waiting(self) -> None:
        """Ignore every waiting id."""


class PondSettingsOwner(Protocol):
    """What the fix flow needs of a loaded hub: its geometry issue and pond settings."""

    @property
    def geometry_issue(self) -> GeometryIssue:
        """Return the hub's geometry issue, which knows the ponds that lack it."""

    def async_set_pond_settings(
        self, pond: PondState, settings: Mapping[str, float]
    ) -> None:
        """Set pond settings, checked together."""


class GeometryRepairFlow(RepairsFlow):
    """Ask for the sensor height and tank depth of each pond that lacks them in turn."""

    def __init__(self, data: dict[str, str | int | float | None]) -> None:
        """Fix the ponds of the hub the issue's data names."""
        self._entry_id = str(data.get("entry_id"))
        self._pond: PondState | None = None
        self._done = 0

    async def async_step_init(
        self,
        user_input: dict[str, str] | None = None,  # noqa: ARG002
    ) -> RepairsFlowResult:
        """Go straight to the first pond."""
        return await self.async_step_geometry()

    async def async_step_geometry(
        self, user_input: dict[str, float] | None = None
    ) -> RepairsFlowResult:
        """Show a pond's form; save both values at once, then go to the next pond."""
        if (hub := self._hub()) is None:
            return self.async_abort(reason="pond_unavailable")
        errors: dict[str, str] = {}
        if user_input is not None and self._pond is not None:
            try:
                hub.async_set_pond_settings(
                    self._pond,
                    {
                        SENSOR_HEIGHT: user_input[SENSOR_HEIGHT],
                        TANK_DEPTH: user_input[TANK_DEPTH],
                    },
                )
            except ServiceValidationError as err:
                errors["base"] = str(err.translation_key)
            else:
                self._done += 1
                user_input = None
        missing = hub.geometry_issue.missing
        if not errors:
            # The next pond; one deleted or set elsewhere meanwhile is skipped.
            self._pond = missing[0] if missing else None
        if self._pond is None:
            return self.async_create_entry(data={})
        pond = self._pond
        distance = pond.values.get(Reading.WATER_DISTANCE)
        schema = probatio.Schema(
            {
                probatio.Required(SENSOR_HEIGHT): _GEOMETRY_SELECTOR,
                probatio.Required(TANK_DEPTH): _GEOMETRY_SELECTOR,
            }
        )
        return self.async_show_form(
            step_id="geometry",
            data_schema=self.add_suggested_values_to_schema(
                schema, user_input or pond.settings
            ),
            errors=errors,
            description_placeholders={
                "pond": pond.name,
                "controller": pond.controller.name,
                "distance": "?" if distance is None else f"{distance:g}",
                "number": str(self._done + 1),
                "count": str(self._done + len(missing)),
            },
        )

    def _hub(self) -> PondSettingsOwner | None:
        """Return the hub, or None while it is not loaded."""
        hub: PondSettingsOwner | None = _loaded_hub(
            self.hass, {"entry_id": self._entry_id}
        )
        return hub


async def async_create_fix_flow(
    hass: HomeAssistant,
    issue_id: str,
    data: dict[str, str | int | float | None] | None,
) -> RepairsFlow:
    """Create the flow of a fixable issue: unknown ids, or the ponds' geometry."""
    if issue_id.startswith(ISSUE_UNKNOWN_CONTROLLERS):
        return UnknownControllersRepairFlow(data or {})
    return GeometryRepairFlow(data or {})
