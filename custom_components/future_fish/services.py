"""The actions (services) of Future Fish: feed, water, firmware, reboot, thresholds.

Registered once in `async_setup`, so automations that use them validate even while
no hub is loaded. Each action names a pond or controller device, lets actions.py
validate and send the command, waits for the acknowledgement (or, when asked, the
end) and returns the command so scripts can branch on its outcome.
"""

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.const import ATTR_DEVICE_ID, Platform
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    service,
)
from homeassistant.helpers.entity import Entity
import probatio

from . import actions
from .alarms import Bound
from .commands import Command
from .const import DOMAIN
from .coordinator import FutureFishHub
from .entity import ClearableLimit
from .husbandry import FeedingEvent
from .models import ControllerState, PondState, parse_device_key

SERVICE_FEED: Final = "feed"
SERVICE_WATER: Final = "water"
SERVICE_UPDATE_FIRMWARE: Final = "update_firmware"
SERVICE_REBOOT: Final = "reboot"
SERVICE_SET_THRESHOLD: Final = "set_threshold"
SERVICE_CLEAR_LIMIT: Final = "clear_limit"
SERVICE_RESTOCK: Final = "restock"
SERVICE_RECORD_SAMPLE: Final = "record_sample"
SERVICE_RECORD_MORTALITY: Final = "record_mortality"
SERVICE_RECORD_HARVEST: Final = "record_harvest"
SERVICE_SET_LIMIT: Final = "set_limit"

ATTR_AMOUNT: Final = "amount"
ATTR_ACTION: Final = "action"
ATTR_LEVEL: Final = "level"
ATTR_DRAIN_LEVEL: Final = "drain_level"
ATTR_FILL_LEVEL: Final = "fill_level"
ATTR_URL: Final = "url"
ATTR_PARAMETER: Final = "parameter"
ATTR_LOWER: Final = "lower"
ATTR_UPPER: Final = "upper"
ATTR_WAIT_FOR_COMPLETION: Final = "wait_for_completion"
ATTR_OVERRIDE: Final = "override"
ATTR_FISH: Final = "fish"
ATTR_WEIGHT: Final = "weight"
ATTR_AVERAGE_WEIGHT: Final = "average_weight"
ATTR_DATE: Final = "date"
ATTR_QUANTITY: Final = "quantity"
ATTR_BOUND: Final = "bound"
ATTR_VALUE: Final = "value"

# Only types are checked here: ranges, levels, URLs and parameter names are checked
# by actions.py, which raises translated errors that say what is allowed.
_NUMBER: Final = probatio.Coerce(float)
_FISH: Final = probatio.Coerce(int)


@dataclass(frozen=True, kw_only=True)
class Expected[T: (PondState, ControllerState, PondState | ControllerState)]:
    """The kind of device an action needs, and the error naming it otherwise."""

    kinds: tuple[type[T], ...]
    error: str


POND: Final = Expected[PondState](kinds=(PondState,), error="device_not_pond")
CONTROLLER: Final = Expected[ControllerState](
    kinds=(ControllerState,), error="device_not_controller"
)
POND_OR_CONTROLLER: Final = Expected[PondState | ControllerState](
    kinds=(PondState, ControllerState), error="device_not_pond_or_controller"
)


def _state_of(
    hub: FutureFishHub, device: dr.DeviceEntry
) -> ControllerState | PondState | None:
    """Return the controller or pond a device of the hub stands for."""
    for domain, key in device.identifiers:
        if domain != DOMAIN:
            continue
        device_id, position = parse_device_key(key)
        if (controller := hub.controllers.get(device_id)) is not None:
            return controller if position is None else controller.ponds.get(position)
    return None


def _resolve[T: (PondState, ControllerState, PondState | ControllerState)](
    call: ServiceCall, expected: Expected[T]
) -> tuple[FutureFishHub, T]:
    """Return the loaded hub and the pond or controller `device_id` names.

    Home Assistant's helper refuses unknown devices, devices of other integrations
    and devices whose config entry is not loaded, each with its own message.
    """
    device, entry = service.async_get_device_and_config_entry(
        call.hass, DOMAIN, call.data[ATTR_DEVICE_ID], include_child_devices=False
    )
    hub: FutureFishHub = entry.runtime_data
    state = _state_of(hub, device)
    if not isinstance(state, expected.kinds):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=expected.error,
            translation_placeholders={
                "device": device.name_by_user or device.name or device.id
            },
        )
    return hub, state


# --- what each action sends ---------------------------------------------------------------


def _feed(call: ServiceCall) -> Coroutine[Any, Any, Command]:
    hub, pond = _resolve(call, POND)
    return actions.async_feed(
        hub.commands,
        pond,
        call.data[ATTR_AMOUNT],
        call.context,
        override=call.data[ATTR_OVERRIDE],
    )


def _water(call: ServiceCall) -> Coroutine[Any, Any, Command]:
    hub, pond = _resolve(call, POND)
    return actions.async_water(
        hub.commands,
        pond,
        call.data[ATTR_ACTION],
        call.context,
        level=call.data.get(ATTR_LEVEL),
        drain_level=call.data.get(ATTR_DRAIN_LEVEL),
        fill_level=call.data.get(ATTR_FILL_LEVEL),
    )


def _update_firmware(call: ServiceCall) -> Coroutine[Any, Any, Command]:
    hub, controller = _resolve(call, CONTROLLER)
    return actions.async_update_firmware(
        hub.commands, controller, call.data[ATTR_URL], call.context
    )


def _reboot(call: ServiceCall) -> Coroutine[Any, Any, Command]:
    hub, controller = _resolve(call, CONTROLLER)
    return actions.async_reboot(hub.commands, controller, call.context)


def _set_threshold(call: ServiceCall) -> Coroutine[Any, Any, Command]:
    hub, state = _resolve(call, POND_OR_CONTROLLER)
    pond = state if isinstance(state, PondState) else None
    return actions.async_set_threshold(
        hub.commands,
        state.controller if isinstance(state, PondState) else state,
        pond,
        parameter=call.data[ATTR_PARAMETER],
        lower=call.data[ATTR_LOWER],
        upper=call.data[ATTR_UPPER],
        context=call.context,
    )


type Sender = Callable[[ServiceCall], Coroutine[Any, Any, Command]]

# Each action: what it sends, and its fields besides device_id and
# wait_for_completion.
ACTIONS: Final[dict[str, tuple[Sender, dict[probatio.Marker, Any]]]] = {
    SERVICE_FEED: (
        _feed,
        {
            probatio.Required(ATTR_AMOUNT): _NUMBER,
            probatio.Optional(ATTR_OVERRIDE, default=False): cv.boolean,
        },
    ),
    SERVICE_WATER: (
        _water,
        {
            probatio.Required(ATTR_ACTION): probatio.Coerce(actions.WaterAction),
            probatio.Optional(ATTR_LEVEL): _NUMBER,
            probatio.Optional(ATTR_DRAIN_LEVEL): _NUMBER,
            probatio.Optional(ATTR_FILL_LEVEL): _NUMBER,
        },
    ),
    SERVICE_UPDATE_FIRMWARE: (
        _update_firmware,
        {probatio.Required(ATTR_URL): cv.string},
    ),
    SERVICE_REBOOT: (_reboot, {}),
    SERVICE_SET_THRESHOLD: (
        _set_threshold,
        {
            probatio.Required(ATTR_PARAMETER): cv.string,
            probatio.Required(ATTR_LOWER): _NUMBER,
            probatio.Required(ATTR_UPPER): _NUMBER,
        },
    ),
}


def _handler(
    send: Sender,
) -> Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]:
    async def handle(call: ServiceCall) -> ServiceResponse:
        command = await send(call)
        await actions.async_wait(
            command, until_completion=call.data[ATTR_WAIT_FOR_COMPLETION]
        )
        return command.as_dict() if call.return_response else None

    return handle


# Farm records: what each adds to the pond's stock, and its fields besides device_id.
# Ranges are checked by the stock model, which names what is wrong.
RECORDS: Final[dict[str, tuple[FeedingEvent, dict[probatio.Marker, Any]]]] = {
    SERVICE_RESTOCK: (
        FeedingEvent.RESTOCK,
        {
            probatio.Required(ATTR_FISH): _FISH,
            probatio.Required(ATTR_AVERAGE_WEIGHT): _NUMBER,
            probatio.Optional(ATTR_DATE): cv.date,
        },
    ),
    SERVICE_RECORD_SAMPLE: (
        FeedingEvent.SAMPLE,
        {
            probatio.Required(ATTR_FISH): _FISH,
            probatio.Required(ATTR_WEIGHT): _NUMBER,
        },
    ),
    SERVICE_RECORD_MORTALITY: (
        FeedingEvent.MORTALITY,
        {
            probatio.Required(ATTR_FISH): _FISH,
            probatio.Optional(ATTR_WEIGHT): _NUMBER,
        },
    ),
    SERVICE_RECORD_HARVEST: (
        FeedingEvent.HARVEST,
        {
            probatio.Optional(ATTR_FISH): _FISH,
            probatio.Optional(ATTR_WEIGHT): _NUMBER,
        },
    ),
}


def _recorder(kind: FeedingEvent) -> Callable[[ServiceCall], ServiceResponse]:
    @callback
    def record(call: ServiceCall) -> ServiceResponse:
        hub, pond = _resolve(call, POND)
        stock = hub.husbandry.async_record(
            pond,
            kind,
            call.context,
            fish=call.data.get(ATTR_FISH),
            weight=call.data.get(ATTR_WEIGHT),
            average_weight=call.data.get(ATTR_AVERAGE_WEIGHT),
            on=call.data.get(ATTR_DATE),
        )
        if not call.return_response:
            return None
        return {
            **stock.as_dict(),
            "biomass": stock.biomass,
            "fcr": stock.fcr,
        }

    return record


@callback
def _set_limit(call: ServiceCall) -> None:
    """Set or clear (no value) one limit of a controller or pond, entity or not.

    The limit numbers are disabled by default, so this is the way to a limit that
    no species profile sets.
    """
    hub, owner = _resolve(call, POND_OR_CONTROLLER)
    value: float | None = call.data.get(ATTR_VALUE)
    reading = actions.limit_reading(owner, call.data[ATTR_QUANTITY], value)
    hub.thresholds.async_set_limit(owner, reading, call.data[ATTR_BOUND], value)


async def _clear_limit(entity: Entity, _call: ServiceCall) -> None:
    """Clear the limit behind the `clear_limit` action; other numbers refuse."""
    if not isinstance(entity, ClearableLimit):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_a_limit",
            translation_placeholders={"entity_id": entity.entity_id},
        )
    entity.async_clear_limit()


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register every Future Fish action."""
    for name, (send, fields) in ACTIONS.items():
        hass.services.async_register(
            DOMAIN,
            name,
            _handler(send),
            schema=probatio.Schema(
                {
                    probatio.Required(ATTR_DEVICE_ID): cv.string,
                    **fields,
                    probatio.Optional(ATTR_WAIT_FOR_COMPLETION, default=False): (
                        cv.boolean
                    ),
                }
            ),
            supports_response=SupportsResponse.OPTIONAL,
        )
    for name, (kind, fields) in RECORDS.items():
        hass.services.async_register(
            DOMAIN,
            name,
            _recorder(kind),
            schema=probatio.Schema(
                {probatio.Required(ATTR_DEVICE_ID): cv.string, **fields}
            ),
            supports_response=SupportsResponse.OPTIONAL,
        )
    hass.services.async_register(
        DOMAIN,
        SERVICE_SET_LIMIT,
        _set_limit,
        schema=probatio.Schema(
            {
                probatio.Required(ATTR_DEVICE_ID): cv.string,
                probatio.Required(ATTR_QUANTITY): cv.string,
                probatio.Required(ATTR_BOUND): probatio.Coerce(Bound),
                probatio.Optional(ATTR_VALUE): _NUMBER,
            }
        ),
    )
    service.async_register_platform_entity_service(
        hass,
        DOMAIN,
        SERVICE_CLEAR_LIMIT,
        entity_domain=Platform.NUMBER,
        schema=None,
        func=_clear_limit,
    )
