"""Describe the outcome of every command in the logbook, in words.

"Pond 1 fed 100 g, done in 31 s", "Pond 2 fill to 80 % failed: float switch stuck",
"Pond controller 4134 restarted in 12 s". One phrasing per command type, one per
way of ending; the placeholders are filled from the command the event describes.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_ICON,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

from .alarms import quantity_named
from .commands import EVENT_COMMAND, EVENT_COMMAND_LATE, CommandState
from .const import DOMAIN, EVENT_CONTROLLER_ALARM, EVENT_FEEDING, EVENT_THRESHOLD
from .coordinator import FutureFishHub
from .husbandry import FeedingEvent
from .models import PondState
from .protocol import CommandType, water_level_percent


@dataclass(frozen=True)
class Phrasing:
    """How a command reads once done, what it was while it failed, what it did."""

    done: str
    task: str
    icon: str
    # What it did, without how long it took: said of a completion that came late.
    did: str


PHRASINGS: Final[Mapping[CommandType, Phrasing]] = {
    CommandType.FEED: Phrasing(
        "fed {amount} g, done in {duration}",
        "feed {amount} g",
        "mdi:fish",
        "fed {amount} g",
    ),
    CommandType.WATER_FILL: Phrasing(
        "filled to {level}, done in {duration}",
        "fill to {level}",
        "mdi:water-plus",
        "filled to {level}",
    ),
    CommandType.WATER_DRAIN: Phrasing(
        "drained to {level}, done in {duration}",
        "drain to {level}",
        "mdi:water-minus",
        "drained to {level}",
    ),
    CommandType.FLUSH: Phrasing(
        "flushed: drained to {drain} and refilled to {fill} in {duration}",
        "flush (drain to {drain}, refill to {fill})",
        "mdi:water-sync",
        "flushed: drained to {drain} and refilled to {fill}",
    ),
    CommandType.WATER_INLET_OPEN: Phrasing(
        "opened the inlet valve in {duration}",
        "opening the inlet valve",
        "mdi:valve-open",
        "opened the inlet valve",
    ),
    CommandType.WATER_INLET_CLOSE: Phrasing(
        "closed the inlet valve in {duration}",
        "closing the inlet valve",
        "mdi:valve-closed",
        "closed the inlet valve",
    ),
    CommandType.WATER_OUTLET_OPEN: Phrasing(
        "opened the outlet valve in {duration}",
        "opening the outlet valve",
        "mdi:valve-open",
        "opened the outlet valve",
    ),
    CommandType.WATER_OUTLET_CLOSE: Phrasing(
        "closed the outlet valve in {duration}",
        "closing the outlet valve",
        "mdi:valve-closed",
        "closed the outlet valve",
    ),
    CommandType.FIRMWARE: Phrasing(
        "updated its firmware in {duration}",
        "firmware update from {url}",
        "mdi:update",
        "updated its firmware",
    ),
    CommandType.THRESHOLD: Phrasing(
        "set the {parameter} limits to {lower} to {upper}",
        "setting the {parameter} limits",
        "mdi:tune-variant",
        "set the {parameter} limits to {lower} to {upper}",
    ),
    CommandType.REBOOT: Phrasing(
        "restarted in {duration}", "restart", "mdi:restart", "restarted"
    ),
    CommandType.CONFIG_UPDATE: Phrasing(
        "applied the new configuration",
        "configuration update",
        "mdi:cog-outline",
        "applied the new configuration",
    ),
}
# The icon of an entry whose command ended without completing, and of alarm entries.
ICON_COMMAND_NOT_DONE: Final = "mdi:alert-circle-outline"
ICON_COMMAND_UNKNOWN: Final = "mdi:message-processing-outline"
ICON_ALARM_ON: Final = "mdi:alert"
ICON_ALARM_OFF: Final = "mdi:check-circle-outline"
# How each feeding event reads, and its icon. {reasons} are the hold's reasons.
FEEDING_PHRASINGS: Final[Mapping[FeedingEvent, tuple[str, str]]] = {
    FeedingEvent.HOLD_ON: ("feeding hold on: {reasons}", "mdi:food-off"),
    FeedingEvent.HOLD_OFF: ("feeding hold off: the pond may be fed", "mdi:food"),
    FeedingEvent.FEED_REFUSED: (
        "feed of {amount} g refused: feeding hold ({reasons})",
        "mdi:food-off",
    ),
    FeedingEvent.HOLD_OVERRIDDEN: (
        "fed {amount} g despite the feeding hold ({reasons}): overridden",
        "mdi:alert",
    ),
    FeedingEvent.RESTOCK: (
        "stocked {fish} fish of {average_weight} g; now {count} fish, {biomass}",
        "mdi:fish",
    ),
    FeedingEvent.SAMPLE: (
        "sample of {fish} fish weighed {weight}; now {biomass}, FCR {fcr}",
        "mdi:scale",
    ),
    FeedingEvent.MORTALITY: (
        "{fish} dead fish removed; now {count} fish, {biomass}, FCR {fcr}",
        "mdi:skull-outline",
    ),
    FeedingEvent.HARVEST: (
        "harvested {harvest}; now {count} fish, {biomass}, FCR {fcr}",
        "mdi:basket",
    ),
}
# Where the level the user asked for (in %) is in the event's `request`.
REQUESTED_LEVELS: Final = {
    "level": "level",
    "drain": "drain_level",
    "fill": "fill_level",
}
# Durations shorter than this are given in tenths of a second.
TENTHS_BELOW_MS: Final = 10_000
# How a command that did not complete reads; {reason} is ": message (code)".
ENDINGS: Final[Mapping[CommandState, str]] = {
    CommandState.FAILED: "{task} failed{reason}",
    CommandState.REJECTED: "{task} refused{reason}",
    CommandState.TIMED_OUT: "{task} timed out{reason}",
    CommandState.CANCELLED: "{task} cancelled{reason}",
}


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, str]]], None],
) -> None:
    """Describe the command events."""

    @callback
    def async_describe_command(event: Event) -> dict[str, str]:
        data = event.data
        hub, pond = _find(hass, data.get("controller"), data.get("pond"))
        return {
            LOGBOOK_ENTRY_NAME: _device_name(hass, data, hub, pond),
            LOGBOOK_ENTRY_MESSAGE: describe(data, pond),
            LOGBOOK_ENTRY_ICON: command_icon(data),
        }

    @callback
    def async_describe_alarm(event: Event) -> dict[str, str]:
        data = event.data
        hub, pond = _find(hass, data.get("controller"), data.get("pond"))
        describe_alarm = (
            describe_threshold
            if event.event_type == EVENT_THRESHOLD
            else describe_controller_alarm
        )
        return {
            LOGBOOK_ENTRY_NAME: _device_name(hass, data, hub, pond),
            LOGBOOK_ENTRY_MESSAGE: describe_alarm(data),
            # A controller's own alarm has no state: it is always a problem.
            LOGBOOK_ENTRY_ICON: (
                ICON_ALARM_OFF if data.get("state") == "off" else ICON_ALARM_ON
            ),
        }

    @callback
    def async_describe_feeding(event: Event) -> dict[str, str]:
        data = event.data
        hub, pond = _find(hass, data.get("controller"), data.get("pond"))
        try:
            kind = FeedingEvent(str(data.get("type")))
        except ValueError:
            # An event of another version of the integration.
            kind = None
        return {
            LOGBOOK_ENTRY_NAME: _device_name(hass, data, hub, pond),
            LOGBOOK_ENTRY_MESSAGE: describe_feeding(data),
            LOGBOOK_ENTRY_ICON: (
                ICON_COMMAND_UNKNOWN if kind is None else FEEDING_PHRASINGS[kind][1]
            ),
        }

    @callback
    def async_describe_late_command(event: Event) -> dict[str, str]:
        data = event.data
        hub, pond = _find(hass, data.get("controller"), data.get("pond"))
        return {
            LOGBOOK_ENTRY_NAME: _device_name(hass, data, hub, pond),
            LOGBOOK_ENTRY_MESSAGE: describe_late(data, pond),
            LOGBOOK_ENTRY_ICON: command_icon({**data, "state": "completed"}),
        }

    async_describe_event(DOMAIN, EVENT_COMMAND, async_describe_command)
    async_describe_event(DOMAIN, EVENT_COMMAND_LATE, async_describe_late_command)
    async_describe_event(DOMAIN, EVENT_FEEDING, async_describe_feeding)
    async_describe_event(DOMAIN, EVENT_THRESHOLD, async_describe_alarm)
    async_describe_event(DOMAIN, EVENT_CONTROLLER_ALARM, async_describe_alarm)


def _number(value: Any, unit: str = "") -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "?"
    return f"{value:g}{unit}"


def describe_threshold(data: Mapping[str, Any]) -> str:
    """Return an alarm of ours turning on or off, in words."""
    name = str(data.get("quantity"))
    quantity = quantity_named(name)
    label = name if quantity is None else quantity.label
    unit = f" {quantity.described_unit}" if quantity and quantity.described_unit else ""
    value = _number(data.get("value"), unit)
    if data.get("state") != "on":
        return f"{label} alarm cleared: back within its limits at {value}"
    side = "below the lower" if data.get("limit") == "lower" else "above the upper"
    limit = _number(data.get("limit_value"), unit)
    return f"{label} alarm: {value} is {side} limit of {limit}"


def describe_controller_alarm(data: Mapping[str, Any]) -> str:
    """Return an alarm the controller raised itself, in words."""
    text = f"controller alarm: {data.get('parameter') or 'a value'}"
    if data.get("value") is not None:
        text += f" at {_number(data.get('value'))}"
    if data.get("lower") is not None or data.get("upper") is not None:
        text += (
            f" (limits {_number(data.get('lower'))} to {_number(data.get('upper'))})"
        )
    if data.get("message"):
        text += f": {data['message']}"
    return text


def describe_feeding(data: Mapping[str, Any]) -> str:
    """Return a farm record or a change of the feeding hold, in words."""
    try:
        text = FEEDING_PHRASINGS[FeedingEvent(str(data.get("type")))][0]
    except ValueError:
        return f"feeding: {data.get('type')}"
    fish = data.get("fish")
    weight = data.get("weight")
    harvest = " and ".join(
        part
        for part in (
            None if fish is None else f"{_number(fish)} fish",
            None if weight is None else _number(weight, " kg"),
        )
        if part
    )
    reasons = data.get("reasons")
    return text.format(
        reasons=", ".join(map(str, reasons)) if isinstance(reasons, list) else "?",
        amount=_number(data.get("amount")),
        fish=_number(fish),
        weight=_number(weight, " kg"),
        average_weight=_number(data.get("average_weight")),
        count=_number(data.get("count")),
        biomass=_number(data.get("biomass"), " kg"),
        fcr="unknown" if data.get("fcr") is None else _number(data.get("fcr")),
        harvest=harvest or "?",
    )


def command_icon(data: Mapping[str, Any]) -> str:
    """Return the icon of a command's entry: what it does, or that it did not."""
    if data.get("state") in ENDINGS:
        return ICON_COMMAND_NOT_DONE
    try:
        return PHRASINGS[CommandType(data["command_type"])].icon
    except KeyError, ValueError:
        # A command type of another version of the integration.
        return ICON_COMMAND_UNKNOWN


def describe(data: Mapping[str, Any], pond: PondState | None) -> str:
    """Return what happened to the command an event describes, in words."""
    try:
        phrasing = PHRASINGS[CommandType(data["command_type"])]
        state = CommandState(data["state"])
    except KeyError, ValueError:
        return f"{data.get('command_type')} {data.get('state')}"
    values = _placeholders(data, pond)
    try:
        if state is CommandState.COMPLETED:
            return phrasing.done.format_map(values)
        ending = ENDINGS.get(state, "{task} {state}")
        return ending.format_map(
            values | {"task": phrasing.task.format_map(values), "state": state}
        )
    except KeyError:
        # Parameters of another version of the integration: say at least what ended.
        return f"{data['command_type']} {state}"


def describe_late(data: Mapping[str, Any], pond: PondState | None) -> str:
    """Return what a command that completed after it timed out did, in words."""
    late = data.get("ms_to_late_complete")
    after = (
        f", confirmed late after {_duration(late)}"
        if isinstance(late, int | float)
        else ", confirmed late"
    )
    try:
        phrasing = PHRASINGS[CommandType(data["command_type"])]
        return phrasing.did.format_map(_placeholders(data, pond)) + after
    except KeyError, ValueError:
        return f"{data.get('command_type')} completed{after}"


def _placeholders(data: Mapping[str, Any], pond: PondState | None) -> dict[str, str]:
    """Return every placeholder the event's command can fill."""
    parameters: Mapping[str, Any] = data.get("parameters") or {}
    values: dict[str, str] = {}
    texts = {"url": "url", "parameter": "p"}
    numbers = {"amount": "amount", "lower": "l", "upper": "u"}
    levels = {"level": "level", "drain": "d", "fill": "f"}
    for name, field in texts.items():
        if isinstance(parameters.get(field), str):
            values[name] = parameters[field]
    for name, field in numbers.items():
        if isinstance(number := parameters.get(field), int | float):
            values[name] = f"{number:g}"
    requested: Mapping[str, Any] = data.get("request") or {}
    for name, field in levels.items():
        if isinstance(percent := requested.get(REQUESTED_LEVELS[name]), int | float):
            values[name] = f"{percent:g} %"
        elif isinstance(distance := parameters.get(field), int | float):
            values[name] = _level(distance, pond)
    if isinstance(ms := data.get("ms_to_complete"), int | float):
        values["duration"] = _duration(ms)
    message = data.get("message")
    code = data.get("error_code")
    reason = f": {message}" if message else ""
    if code:
        reason += f" ({code})" if message else f": {code}"
    values["reason"] = reason
    return values


def _level(distance: float, pond: PondState | None) -> str:
    """Return a level as the user gave it, in %, from the distance that was sent."""
    geometry = None if pond is None else pond.geometry
    if geometry is None:
        return f"{distance:g} cm below the sensor"
    return f"{round(water_level_percent(distance, *geometry), 1):g} %"


def _duration(ms: float) -> str:
    """Return a duration as a person says it: 0.4 s, 31 s, 4 min 5 s, 1 h 2 min."""
    if ms < TENTHS_BELOW_MS:
        return f"{ms / 1000:.1f} s"
    minutes, seconds = divmod(round(ms / 1000), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {seconds} s"
    return f"{seconds} s"


def _find(
    hass: HomeAssistant, device_id: Any, position: Any
) -> tuple[FutureFishHub | None, PondState | None]:
    """Return the hub that knows the controller, and the pond the command named."""
    for entry in hass.config_entries.async_loaded_entries(DOMAIN):
        hub: FutureFishHub = entry.runtime_data
        if (controller := hub.controllers.get(device_id)) is not None:
            return hub, controller.ponds.get(position)
    return None, None


def _device_name(
    hass: HomeAssistant,
    data: Mapping[str, Any],
    hub: FutureFishHub | None,
    pond: PondState | None,
) -> str:
    """Return the name of the device the command was for, as the user sees it."""
    device_id = str(data.get("controller"))
    if hub is None:
        position = data.get("pond")
        return device_id if position is None else f"{device_id} pond {position}"
    controller = hub.controllers[device_id]
    key, name = (
        (controller.device_id, controller.name)
        if pond is None
        else (pond.device_key, pond.name)
    )
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, key), hub.entry.entry_id
    )
    if device is None:
        return name
    return device.name_by_user or device.name or name
