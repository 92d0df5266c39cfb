"""Buttons: feed, fill, drain, flush and reboot, with the pond's settings."""

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import MqttMockHAClient
from syrupy.assertion import SnapshotAssertion

from .common import (
    STARTUP,
    answer,
    commands,
    current,
    last_command,
    press,
    report,
    send,
    set_geometry,
    set_number,
    snapshot_entities,
    start,
    still_running,
    tick,
)

# These tests use entities that are disabled by default (limits, command settings).
pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")


@pytest.fixture
async def init_integration(
    entity_registry_enabled_by_default: None, init_integration: MockConfigEntry
) -> MockConfigEntry:
    """Return the shared hub, set up with the entities disabled by default enabled."""
    return init_integration


FEED = "button.pond_1_feed"
FILL = "button.pond_1_fill"
DRAIN = "button.pond_1_drain"
FLUSH = "button.pond_1_flush"
REBOOT = "button.pond_controller_4134_reboot"
LAST_COMMAND = "sensor.pond_controller_4134_last_command"


@pytest.mark.usefixtures("init_integration")
async def test_feed_sends_the_feed_amount_and_waits_for_the_ack(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Feed sends the pond's Feed amount (100 g until set) and returns on the ack."""
    assert current(hass, "number.pond_1_feed_amount").state == "100.0"
    pressing = await start(press(hass, FEED))
    command = last_command(mqtt_mock)
    assert command["command_type"] == "FEED"
    assert command["pond_position"] == 1
    assert command["parameters"] == {"amount": 100, "unit": "grams"}
    assert await still_running(pressing)

    await answer(hass, "ack", command)
    await pressing
    assert current(hass, LAST_COMMAND).state == "acknowledged"
    await answer(hass, "complete", command, message="fed")
    assert current(hass, LAST_COMMAND).state == "completed"

    await set_number(hass, "number.pond_2_feed_amount", 250)
    pressing = await start(press(hass, "button.pond_2_feed"))
    command = last_command(mqtt_mock)
    assert (command["pond_position"], command["parameters"]["amount"]) == (2, 250)
    await answer(hass, "ack", command)
    await pressing


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize(
    ("button", "settings", "expected"),
    [
        (FILL, {}, {"command_type": "WATER_FILL", "parameters": {"level": 70}}),
        (DRAIN, {}, {"command_type": "WATER_DRAIN", "parameters": {"level": 130}}),
        (FLUSH, {}, {"type": "FLUSH", "d": 130, "f": 70}),
        (
            FILL,
            {"fill_target": 95},
            {"command_type": "WATER_FILL", "parameters": {"level": 55}},
        ),
        (
            FLUSH,
            {"fill_target": 60, "drain_target": 5},
            {"type": "FLUSH", "d": 145, "f": 90},
        ),
    ],
)
async def test_water_buttons_send_the_targets(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    button: str,
    settings: dict[str, float],
    expected: dict[str, Any],
) -> None:
    """Fill, drain and flush send the targets in % (80/20 until set) as distances."""
    await set_geometry(hass)
    assert current(hass, "number.pond_1_fill_target").state == "80.0"
    assert current(hass, "number.pond_1_drain_target").state == "20.0"
    for key, value in settings.items():
        await set_number(hass, f"number.pond_1_{key}", value)

    pressing = await start(press(hass, button))
    command = last_command(mqtt_mock)
    for key, value in expected.items():
        if isinstance(value, dict):
            assert command[key].items() >= value.items()
        else:
            assert command[key] == value
    await answer(hass, "ack", command)
    await pressing


@pytest.mark.usefixtures("init_integration")
async def test_targets_survive_a_restart(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """The hub keeps the settings: after a reload the buttons use them again."""
    await set_number(hass, "number.pond_1_feed_amount", 42)
    entry = hass.config_entries.async_entries("future_fish")[0]
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await report(hass)
    assert current(hass, "number.pond_1_feed_amount").state == "42.0"

    pressing = await start(press(hass, FEED))
    assert last_command(mqtt_mock)["parameters"]["amount"] == 42
    await answer(hass, "ack", last_command(mqtt_mock))
    await pressing


@pytest.mark.usefixtures("init_integration")
async def test_water_buttons_need_the_geometry(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Without sensor height and tank depth nothing is sent and the user is told."""
    with pytest.raises(ServiceValidationError) as raised:
        await press(hass, FILL)
    assert raised.value.translation_key == "geometry_missing"
    assert raised.value.translation_placeholders == {"pond": "Pond 1"}
    assert commands(mqtt_mock) == []


@pytest.mark.usefixtures("init_integration")
async def test_flush_needs_drain_below_fill(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A drain target above the fill target cannot flush."""
    await set_geometry(hass)
    await set_number(hass, "number.pond_1_drain_target", 90)
    with pytest.raises(ServiceValidationError) as raised:
        await press(hass, FLUSH)
    assert raised.value.translation_key == "flush_levels_order"
    assert commands(mqtt_mock) == []


@pytest.mark.usefixtures("init_integration")
async def test_refused_command_raises(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A controller's refusal is the press's error, with its message and code."""
    pressing = await start(press(hass, FEED))
    await answer(
        hass,
        "ack",
        last_command(mqtt_mock),
        success=False,
        message="hopper empty",
        error_code="E_HOPPER",
    )
    with pytest.raises(HomeAssistantError) as raised:
        await pressing
    assert raised.value.translation_key == "command_rejected"
    assert raised.value.translation_placeholders == {
        "command": "FEED",
        "controller": "Pond controller 4134",
        "message": "hopper empty",
        "error_code": "E_HOPPER",
    }
    assert current(hass, LAST_COMMAND).state == "rejected"


@pytest.mark.usefixtures("init_integration")
async def test_missing_ack_times_out(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    """Without an acknowledgement the press fails after the ack timeout (10 s)."""
    pressing = await start(press(hass, FEED))
    for _ in range(9):
        await tick(hass, freezer, 1)
    assert await still_running(pressing)
    # Resent with the same id while waiting (at 2, 5 and 9 s).
    assert len({c["command_id"] for c in commands(mqtt_mock)}) == 1
    assert len(commands(mqtt_mock)) == 4
    await tick(hass, freezer, 1)
    with pytest.raises(HomeAssistantError) as raised:
        await pressing
    assert raised.value.translation_key == "command_timed_out"
    assert raised.value.translation_placeholders is not None
    assert raised.value.translation_placeholders["message"] == (
        "no acknowledgement within 10 s"
    )


@pytest.mark.usefixtures("init_integration")
async def test_busy_pond_refuses_a_second_water_command(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """While a fill runs, a drain of the same pond is refused before sending."""
    await set_geometry(hass)
    pressing = await start(press(hass, FILL))
    await answer(hass, "ack", last_command(mqtt_mock))
    await pressing
    with pytest.raises(HomeAssistantError) as raised:
        await press(hass, DRAIN)
    assert raised.value.translation_key == "command_conflict"
    assert len(commands(mqtt_mock)) == 1


@pytest.mark.usefixtures("init_integration")
async def test_offline_controller_cannot_be_pressed(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """An offline controller's buttons are unavailable and send nothing."""
    send(hass, "status", "offline")
    await hass.async_block_till_done()
    for entity_id in (FEED, FILL, REBOOT):
        assert current(hass, entity_id).state == STATE_UNAVAILABLE
    await press(hass, FEED)
    assert commands(mqtt_mock) == []


@pytest.mark.usefixtures("init_integration")
async def test_reboot_completes_on_startup(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Reboot returns on the ack; the next startup completes it."""
    entity = current(hass, REBOOT)
    assert entity.attributes["device_class"] == "restart"
    pressing = await start(press(hass, REBOOT))
    command = last_command(mqtt_mock)
    assert command["command_type"] == "REBOOT"
    assert command["parameters"] == {}
    await answer(hass, "ack", command)
    await pressing
    assert current(hass, LAST_COMMAND).state == "acknowledged"

    send(hass, "startup", STARTUP)
    await hass.async_block_till_done()
    last = current(hass, LAST_COMMAND)
    assert last.state == "completed"
    assert last.attributes["message"] == "restarted"


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "mqtt_mock")
@pytest.mark.freeze_time("2026-05-01 04:00:00+00:00")
async def test_entities(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, snapshot: SnapshotAssertion
) -> None:
    """Every button: registry entry and state after one report cycle."""
    await snapshot_entities(hass, entity_registry, snapshot, Platform.BUTTON)
