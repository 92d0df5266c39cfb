"""What a user can ask of a controller, validated once for services and entities.

Buttons, valves, the update entity and the actions (services) all end here, so a
bad request gets the same translated error whichever way it was made, and nothing
is published before it is known to be valid.
"""

import asyncio
from enum import StrEnum
import math
from typing import Final

from homeassistant.core import Context
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .alarms import CONTROLLER_QUANTITIES, POND_QUANTITIES, THRESHOLD_PARAMETERS
from .commands import VALVE_EFFECTS, Command, CommandState, CommandTracker
from .const import DOMAIN
from .feeding_hold import HoldReason
from .husbandry import FeedingEvent, async_fire_feeding_event, hold_details
from .models import ControllerState, PondState
from .protocol import (
    PLAUSIBLE_RANGES,
    CommandType,
    Reading,
    distance_for_level,
    feed_parameters,
    firmware_parameters,
    firmware_url_error,
    flush_parameters,
    threshold_parameters,
    water_parameters,
)

# One feeding of more than this is surely a typo (a hopper holds a few kg). A larger
# portion is fed in several feeds (the feeding blueprint does, docs/feeding.md).
MAX_FEED_GRAMS: Final = 5000
# A full tank; a higher target would lie above the brim.
FULL_PERCENT: Final = 100


class WaterAction(StrEnum):
    """The water actions of the `future_fish.water` action."""

    FILL = "fill"
    DRAIN = "drain"
    FLUSH = "flush"
    INLET_OPEN = "inlet_open"
    INLET_CLOSE = "inlet_close"
    OUTLET_OPEN = "outlet_open"
    OUTLET_CLOSE = "outlet_close"


VALVE_COMMANDS: Final = {
    WaterAction.INLET_OPEN: CommandType.WATER_INLET_OPEN,
    WaterAction.INLET_CLOSE: CommandType.WATER_INLET_CLOSE,
    WaterAction.OUTLET_OPEN: CommandType.WATER_OUTLET_OPEN,
    WaterAction.OUTLET_CLOSE: CommandType.WATER_OUTLET_CLOSE,
}


def _invalid(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
    )


def _distance(pond: PondState, level_percent: float) -> float:
    """Return the distance to send for a level in %, or explain what is missing."""
    geometry = pond.geometry
    if geometry is None:
        raise _invalid("geometry_missing", pond=pond.name)
    distance = distance_for_level(level_percent, *geometry)
    # Within 0..sensor height is not enough: above 100 % the target lies above the
    # tank's brim, which the tank cannot hold.
    if distance is None or not 0 <= level_percent <= FULL_PERCENT:
        raise _invalid(
            "level_unreachable",
            pond=pond.name,
            level=f"{level_percent:g}",
        )
    return distance


async def async_feed(
    commands: CommandTracker,
    pond: PondState,
    grams: float,
    context: Context | None,
    *,
    override: bool = False,
) -> Command:
    """Feed a pond, unless its feeding hold is on and the user did not override it.

    A refused feed and an overridden hold are logged with the hold's reasons.
    """
    if not 0 < grams <= MAX_FEED_GRAMS:
        raise _invalid("feed_amount_invalid", maximum=str(MAX_FEED_GRAMS))
    # An offline controller cannot be fed either way: the command's own error says
    # why (no broker, or offline since when), which the hold would only repeat.
    reasons = [
        reason
        for reason in hold_details(pond)
        if reason != HoldReason.CONTROLLER_OFFLINE
    ]
    if reasons and not override:
        async_fire_feeding_event(
            commands.hass,
            pond,
            FeedingEvent.FEED_REFUSED,
            context,
            amount=grams,
            reasons=reasons,
        )
        raise _invalid("feeding_held", pond=pond.name, reasons=", ".join(reasons))
    command = await commands.async_send(
        pond.controller,
        CommandType.FEED,
        pond.position,
        feed_parameters(grams),
        context,
    )
    if reasons:
        async_fire_feeding_event(
            commands.hass,
            pond,
            FeedingEvent.HOLD_OVERRIDDEN,
            context,
            amount=grams,
            reasons=reasons,
        )
    return command


async def async_water(
    commands: CommandTracker,
    pond: PondState,
    action: WaterAction,
    context: Context | None,
    *,
    level: float | None = None,
    drain_level: float | None = None,
    fill_level: float | None = None,
) -> Command:
    """Fill, drain or flush a pond to levels in %, or open or close a valve.

    The levels the user entered are what is sent (PROTOCOL 8.6), as distances
    computed from the pond's geometry.
    """
    # The levels as the user gave them, for the logbook and scripts: the controller
    # only gets distances, which depend on the geometry at the time.
    request: dict[str, float] = {}
    if action in VALVE_COMMANDS:
        command_type = VALVE_COMMANDS[action]
        parameters = water_parameters(command_type)
    elif action is WaterAction.FLUSH:
        if drain_level is None or fill_level is None:
            raise _invalid("flush_levels_missing")
        if drain_level >= fill_level:
            raise _invalid(
                "flush_levels_order",
                drain=f"{drain_level:g}",
                fill=f"{fill_level:g}",
            )
        command_type = CommandType.FLUSH
        parameters = flush_parameters(
            _distance(pond, drain_level), _distance(pond, fill_level)
        )
        request = {"drain_level": drain_level, "fill_level": fill_level}
    else:
        if level is None:
            raise _invalid("level_missing", action=action.value)
        command_type = (
            CommandType.WATER_FILL
            if action is WaterAction.FILL
            else CommandType.WATER_DRAIN
        )
        parameters = water_parameters(command_type, _distance(pond, level))
        request = {"level": level}
    return await commands.async_send(
        pond.controller,
        command_type,
        pond.position,
        parameters,
        context,
        request=request,
    )


def valve_motion(command: Command, pond: PondState, valve: str) -> bool | None:
    """Return whether `command` opens (True) or closes (False) `valve` of `pond`.

    None when it does not move that valve.
    """
    effect = VALVE_EFFECTS.get(command.command_type)
    if (
        effect is None
        or effect[0] != valve
        or command.controller is not pond.controller
        or command.pond != pond.position
    ):
        return None
    return effect[1]


def valve_moving(commands: CommandTracker, pond: PondState, valve: str) -> bool | None:
    """Return True while a command opens `valve` of `pond`, False while one closes it.

    None while none runs; the hub runs at most one water command per pond.
    """
    for command in commands.active.values():
        if (motion := valve_motion(command, pond, valve)) is not None:
            return motion
    return None


async def async_reboot(
    commands: CommandTracker, controller: ControllerState, context: Context | None
) -> Command:
    """Restart a controller; it completes when the controller boots again."""
    return await commands.async_send(controller, CommandType.REBOOT, None, {}, context)


async def async_update_firmware(
    commands: CommandTracker,
    controller: ControllerState,
    url: str,
    context: Context | None,
) -> Command:
    """Make a controller download and install firmware from `url`."""
    if error := firmware_url_error(
        url, allow_http=commands.settings.allow_http_firmware
    ):
        raise _invalid(error, url=url)
    return await commands.async_send(
        controller, CommandType.FIRMWARE, None, firmware_parameters(url), context
    )


async def async_set_threshold(
    commands: CommandTracker,
    controller: ControllerState,
    pond: PondState | None,
    *,
    parameter: str,
    lower: float,
    upper: float,
    context: Context | None,
) -> Command:
    """Set a limit pair the controller watches itself, with the real values."""
    reading = THRESHOLD_PARAMETERS.get(parameter)
    if reading is None:
        raise _invalid(
            "threshold_parameter_unknown",
            parameter=parameter,
            known=", ".join(THRESHOLD_PARAMETERS),
        )
    spec = PLAUSIBLE_RANGES[reading]
    if (
        not lower < upper
        or (spec.minimum is not None and lower < spec.minimum)
        or (spec.maximum is not None and upper > spec.maximum)
    ):
        raise _invalid(
            "threshold_limits_invalid",
            parameter=parameter,
            lower=f"{lower:g}",
            upper=f"{upper:g}",
            minimum=f"{spec.minimum or 0:g}",
            maximum=f"{spec.maximum or 0:g}",
        )
    return await commands.async_send(
        controller,
        CommandType.THRESHOLD,
        None if pond is None else pond.position,
        threshold_parameters(parameter, lower, upper),
        context,
    )


def limit_reading(
    owner: ControllerState | PondState, quantity: str, value: float | None
) -> Reading:
    """Return the reading whose limit the `set_limit` action sets, once it may.

    A controller's limits are its water's and battery's, a pond's its levels'; a
    value must lie within the range the readings may have (None clears).
    """
    quantities = (
        POND_QUANTITIES if isinstance(owner, PondState) else (CONTROLLER_QUANTITIES)
    )
    known = [str(each.reading) for each in quantities]
    if quantity not in known:
        raise _invalid(
            "limit_quantity_invalid",
            quantity=quantity,
            device=owner.name,
            known=", ".join(known),
        )
    reading = Reading(quantity)
    spec = PLAUSIBLE_RANGES[reading]
    minimum, maximum = spec.minimum or 0, spec.maximum or 0
    if value is not None and not (math.isfinite(value) and minimum <= value <= maximum):
        raise _invalid(
            "limit_out_of_range",
            value=f"{value:g}",
            minimum=f"{minimum:g}",
            maximum=f"{maximum:g}",
        )
    return reading


async def async_wait(command: Command, *, until_completion: bool) -> None:
    """Wait for the acknowledgement (or the end) and raise if the command failed."""
    # Shielded: a waiter that gives up (a script's timeout, an unloading entity)
    # must not cancel the future every other waiter of this command relies on.
    await asyncio.shield(command.finished if until_completion else command.acknowledged)
    if command.state in (CommandState.SENT, CommandState.ACKNOWLEDGED):
        return
    if command.state is CommandState.COMPLETED:
        return
    raise HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=f"command_{command.state.value}",
        translation_placeholders={
            "command": command.command_type.value,
            "controller": command.controller.name,
            "message": command.message or "",
            "error_code": command.error_code or "",
        },
    )
