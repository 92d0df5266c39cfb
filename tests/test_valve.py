"""Valves: opening and closing while a command runs, then the confirmed position."""

from typing import Any, Final

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.valve import (
    SERVICE_CLOSE_VALVE,
    SERVICE_OPEN_VALVE,
    STATE_CLOSED,
    STATE_CLOSING,
    STATE_OPEN,
    STATE_OPENING,
)
from homeassistant.components.valve.const import ValveEntityFeature
from homeassistant.const import (
    ATTR_ASSUMED_STATE,
    ATTR_DEVICE_CLASS,
    ATTR_DEVICE_ID,
    ATTR_ENTITY_ID,
    ATTR_SUPPORTED_FEATURES,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_mock_service,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient
from syrupy.assertion import SnapshotAssertion

from custom_components.future_fish.const import DOMAIN

from .common import (
    DEVICE_ID,
    HEARTBEAT,
    answer,
    commands,
    current,
    last_command,
    make_entry,
    report,
    send,
    setup_hub,
    snapshot_entities,
    start,
    still_running,
    tick,
    writes,
)

INLET: Final = "valve.pond_1_inlet_valve"
OUTLET: Final = "valve.pond_1_outlet_valve"
POND_2_INLET: Final = "valve.pond_2_inlet_valve"


def move(hass: HomeAssistant, entity_id: str, *, to_open: bool) -> Any:
    """Return the call that opens or closes a valve as the UI does."""
    return hass.services.async_call(
        Platform.VALVE,
        SERVICE_OPEN_VALVE if to_open else SERVICE_CLOSE_VALVE,
        {ATTR_ENTITY_ID: entity_id},
        blocking=True,
    )


async def moved(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, entity_id: str, *, to_open: bool
) -> None:
    """Open or close a valve and let the controller acknowledge and complete it."""
    moving = await start(move(hass, entity_id, to_open=to_open))
    command = last_command(mqtt_mock)
    await answer(hass, "ack", command)
    await answer(hass, "complete", command)
    await moving


async def shown(hass: HomeAssistant, events: list[Event]) -> list[str]:
    """Return the states the captured state changes (see `writes`) showed."""
    await hass.async_block_till_done()
    return [event.data["new_state"].state for event in events]


@pytest.mark.usefixtures("init_integration")
async def test_valves_are_water_valves_unknown_until_confirmed(
    hass: HomeAssistant,
) -> None:
    """Each pond has two water valves without position, unknown before a command."""
    for entity_id in (INLET, OUTLET, POND_2_INLET, "valve.pond_2_outlet_valve"):
        state = current(hass, entity_id)
        assert state.state == STATE_UNKNOWN
        assert state.attributes[ATTR_DEVICE_CLASS] == "water"
        assert state.attributes[ATTR_SUPPORTED_FEATURES] == (
            ValveEntityFeature.OPEN | ValveEntityFeature.CLOSE
        )
        assert state.attributes["is_closed"] is None
        assert "current_position" not in state.attributes
        # Nothing reports the real position: open and close are always offered.
        assert state.attributes[ATTR_ASSUMED_STATE] is True
    assert hass.states.async_entity_ids(Platform.SWITCH) == []


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize(
    ("entity_id", "opening", "closing"),
    [
        (INLET, "WATER_INLET_OPEN", "WATER_INLET_CLOSE"),
        (OUTLET, "WATER_OUTLET_OPEN", "WATER_OUTLET_CLOSE"),
    ],
)
async def test_moving_until_the_controller_completes(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    entity_id: str,
    opening: str,
    closing: str,
) -> None:
    """Opening from the command's sending to its completion, then open; closing too."""
    seen = writes(hass, entity_id)
    moving = await start(move(hass, entity_id, to_open=True))
    command = last_command(mqtt_mock)
    assert command["command_type"] == opening
    assert command["pond_position"] == 1
    assert command["parameters"] == {"action": opening, "level": None}
    assert current(hass, entity_id).state == STATE_OPENING

    await answer(hass, "ack", command)
    assert await still_running(moving)
    assert current(hass, entity_id).state == STATE_OPENING
    await answer(hass, "complete", command)
    await moving
    state = current(hass, entity_id)
    assert state.state == STATE_OPEN
    assert state.attributes["is_closed"] is False

    moving = await start(move(hass, entity_id, to_open=False))
    command = last_command(mqtt_mock)
    assert command["command_type"] == closing
    assert current(hass, entity_id).state == STATE_CLOSING
    await answer(hass, "complete", command)
    await moving
    assert current(hass, entity_id).state == STATE_CLOSED
    assert await shown(hass, seen) == [
        STATE_OPENING,
        STATE_OPEN,
        STATE_CLOSING,
        STATE_CLOSED,
    ]
    # The other valve and pond 2 never moved.
    other = OUTLET if entity_id == INLET else INLET
    assert current(hass, other).state == STATE_UNKNOWN
    assert current(hass, POND_2_INLET).state == STATE_UNKNOWN


@pytest.mark.usefixtures("init_integration")
async def test_refused_command_returns_to_the_confirmed_position(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A refusal raises the translated error and shows the valve closed again."""
    await moved(hass, mqtt_mock, INLET, to_open=False)
    seen = writes(hass, INLET)
    moving = await start(move(hass, INLET, to_open=True))
    await answer(
        hass, "ack", last_command(mqtt_mock), success=False, message="manual mode"
    )
    with pytest.raises(HomeAssistantError) as raised:
        await moving
    assert raised.value.translation_key == "command_rejected"
    assert raised.value.translation_placeholders is not None
    assert raised.value.translation_placeholders["message"] == "manual mode"
    assert await shown(hass, seen) == [STATE_OPENING, STATE_CLOSED]


@pytest.mark.usefixtures("init_integration")
async def test_refusal_of_a_never_confirmed_valve_is_unknown_again(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Without a confirmed position, a refused command leaves the valve unknown."""
    moving = await start(move(hass, OUTLET, to_open=True))
    assert current(hass, OUTLET).state == STATE_OPENING
    await answer(hass, "ack", last_command(mqtt_mock), success=False)
    with pytest.raises(HomeAssistantError):
        await moving
    assert current(hass, OUTLET).state == STATE_UNKNOWN


@pytest.mark.usefixtures("init_integration")
async def test_failed_completion_keeps_the_position(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A valve that could not close shows open again, and the user is told why."""
    await moved(hass, mqtt_mock, INLET, to_open=True)
    moving = await start(move(hass, INLET, to_open=False))
    command = last_command(mqtt_mock)
    await answer(hass, "ack", command)
    assert current(hass, INLET).state == STATE_CLOSING
    await answer(
        hass,
        "complete",
        command,
        success=False,
        message="valve jammed",
        error_code="E_VALVE",
    )
    with pytest.raises(HomeAssistantError) as raised:
        await moving
    assert raised.value.translation_key == "command_failed"
    assert raised.value.translation_placeholders == {
        "command": "WATER_INLET_CLOSE",
        "controller": "Pond controller 4134",
        "message": "valve jammed",
        "error_code": "E_VALVE",
    }
    assert current(hass, INLET).state == STATE_OPEN


@pytest.mark.usefixtures("init_integration")
async def test_missing_completion_times_out(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """Acknowledged but never completed: opening ends after the valve timeout (60 s)."""
    await moved(hass, mqtt_mock, INLET, to_open=False)
    moving = await start(move(hass, INLET, to_open=True))
    await answer(hass, "ack", last_command(mqtt_mock))
    await tick(hass, freezer, 30)
    send(hass, "heartbeat", HEARTBEAT)  # still online, just slow
    await tick(hass, freezer, 29)
    assert await still_running(moving)
    assert current(hass, INLET).state == STATE_OPENING
    await tick(hass, freezer, 1)
    with pytest.raises(HomeAssistantError) as raised:
        await moving
    assert raised.value.translation_key == "command_timed_out"
    assert raised.value.translation_placeholders is not None
    assert raised.value.translation_placeholders["message"] == (
        "not completed within 60 s"
    )
    assert current(hass, INLET).state == STATE_CLOSED


@pytest.mark.usefixtures("init_integration")
async def test_late_completion_after_timeout_changes_nothing(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """A completion arriving after the deadline does not move the shown valve."""
    moving = await start(move(hass, INLET, to_open=True))
    command = last_command(mqtt_mock)
    await answer(hass, "ack", command)
    await tick(hass, freezer, 60)
    with pytest.raises(HomeAssistantError):
        await moving
    await answer(hass, "complete", command)
    assert current(hass, INLET).state == STATE_UNKNOWN


@pytest.mark.usefixtures("init_integration")
async def test_a_valve_command_from_an_action_shows_too(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Whoever sends it, the valve shows closing while the command runs."""
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, f"{DEVICE_ID}_pond2"), entry.entry_id
    )
    assert device is not None
    closing = await start(
        hass.services.async_call(
            DOMAIN,
            "water",
            {ATTR_DEVICE_ID: device.id, "action": "outlet_close"},
            blocking=True,
        )
    )
    command = last_command(mqtt_mock)
    assert command["command_type"] == "WATER_OUTLET_CLOSE"
    assert current(hass, "valve.pond_2_outlet_valve").state == STATE_CLOSING
    assert current(hass, OUTLET).state == STATE_UNKNOWN
    await answer(hass, "ack", command)
    await closing
    assert current(hass, "valve.pond_2_outlet_valve").state == STATE_CLOSING
    await answer(hass, "complete", command)
    assert current(hass, "valve.pond_2_outlet_valve").state == STATE_CLOSED


@pytest.mark.usefixtures("init_integration")
async def test_a_second_command_while_moving_is_refused(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """One water command per pond: closing while opening is refused, opening goes on."""
    moving = await start(move(hass, INLET, to_open=True))
    with pytest.raises(HomeAssistantError) as raised:
        await move(hass, INLET, to_open=False)
    assert raised.value.translation_key == "command_conflict"
    assert current(hass, INLET).state == STATE_OPENING
    await answer(hass, "complete", last_command(mqtt_mock))
    await moving
    assert current(hass, INLET).state == STATE_OPEN


@pytest.mark.usefixtures("init_integration")
async def test_offline_controller_valves_are_unavailable(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """While the controller is offline its valves cannot be moved."""
    send(hass, "status", "offline")
    await hass.async_block_till_done()
    assert current(hass, INLET).state == STATE_UNAVAILABLE
    await move(hass, INLET, to_open=True)
    assert commands(mqtt_mock) == []


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "mqtt_mock")
@pytest.mark.freeze_time("2026-05-01 04:00:00+00:00")
async def test_entities(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, snapshot: SnapshotAssertion
) -> None:
    """Every valve: registry entry and state after one report cycle."""
    await snapshot_entities(hass, entity_registry, snapshot, Platform.VALVE)


# --- installs that had valve switches ---------------------------------------------------


async def test_valve_switches_become_valves(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """What the user set on a valve switch moves to the valve; no switch is left."""
    entry = make_entry()
    entry.add_to_hass(hass)
    pond = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, f"{DEVICE_ID}_pond1")},
        name="Pond 1",
    )
    inlet = old_switch(entity_registry, entry, pond.id, "inlet_valve")
    entity_registry.async_update_entity(
        inlet,
        name="Koi inlet",
        aliases=["Fresh water"],
        area_id="garden",
        labels={"water"},
        hidden_by=er.RegistryEntryHider.USER,
    )
    entity_registry.async_update_entity_options(
        inlet, "conversation", {"should_expose": True}
    )
    outlet = old_switch(entity_registry, entry, pond.id, "outlet_valve")
    entity_registry.async_update_entity(
        outlet,
        new_entity_id="switch.koi_drain",
        disabled_by=er.RegistryEntryDisabler.USER,
    )

    await setup_hub(hass, entry)
    await report(hass)

    assert entity_registry.async_get(inlet) is None
    assert entity_registry.async_get(outlet) is None
    valve = entity_registry.async_get(INLET)
    assert valve is not None
    assert (valve.name, valve.aliases, valve.area_id, valve.labels) == (
        "Koi inlet",
        ["Fresh water"],
        "garden",
        {"water"},
    )
    assert valve.device_id == pond.id
    assert valve.hidden_by is er.RegistryEntryHider.USER
    assert valve.options["conversation"] == {"should_expose": True}
    assert current(hass, INLET).name == "Koi inlet"
    # A renamed id keeps its new name; a disabled switch is a disabled valve.
    drain = entity_registry.async_get("valve.koi_drain")
    assert drain is not None
    assert drain.disabled_by is er.RegistryEntryDisabler.USER
    assert hass.states.get("valve.koi_drain") is None
    # Pond 2 never had switches: its valves are new, with Home Assistant's defaults.
    assert current(hass, POND_2_INLET).state == STATE_UNKNOWN
    assert [
        entity.entity_id
        for entity in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
        if entity.domain == Platform.SWITCH
    ] == []

    # Nothing is left to migrate on the next start.
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entity_registry.async_get(INLET) == valve


def old_switch(
    registry: er.EntityRegistry, entry: MockConfigEntry, device_id: str, key: str
) -> str:
    """Register a valve switch as earlier versions did; return its entity id."""
    return registry.async_get_or_create(
        Platform.SWITCH,
        DOMAIN,
        f"{DEVICE_ID}_pond1_{key}",
        config_entry=entry,
        device_id=device_id,
        suggested_object_id=f"pond_1_{key}",
        translation_key=key,
        has_entity_name=True,
    ).entity_id


@pytest.mark.usefixtures("init_integration")
async def test_home_assistants_valve_triggers_fire_on_completion(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """*Valve opened* fires when the controller completed, not when opening starts."""
    calls = async_mock_service(hass, "test", "automation")
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": [
                {
                    "triggers": [
                        {
                            "trigger": f"valve.{change}",
                            "target": {ATTR_ENTITY_ID: INLET},
                        }
                    ],
                    "actions": [
                        {"action": "test.automation", "data": {"change": change}}
                    ],
                }
                for change in ("opened", "closed")
            ]
        },
    )
    await moved(hass, mqtt_mock, INLET, to_open=False)
    moving = await start(move(hass, INLET, to_open=True))
    command = last_command(mqtt_mock)
    await answer(hass, "ack", command)
    assert current(hass, INLET).state == STATE_OPENING
    assert calls == []

    await answer(hass, "complete", command)
    await moving
    await hass.async_block_till_done()
    assert [call.data["change"] for call in calls] == ["opened"]

    # A refused close fires nothing: the valve never was closed.
    moving = await start(move(hass, INLET, to_open=False))
    await answer(hass, "ack", last_command(mqtt_mock), success=False)
    with pytest.raises(HomeAssistantError):
        await moving
    await hass.async_block_till_done()
    assert [call.data["change"] for call in calls] == ["opened"]
