"""Scheduled feeding and the feeding hold, with a simulated oxygen crash."""

import asyncio
from datetime import timedelta
from pathlib import Path
import shutil
from typing import Any, Final

from homeassistant.const import STATE_OFF, STATE_ON, Platform
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.future_fish.commands import EVENT_COMMAND
from custom_components.future_fish.const import DOMAIN, EVENT_FEEDING
from custom_components.future_fish.protocol import normalize_device_id
from tests.common import setup_hub
from tests.e2e.conftest import TIMEOUT, Simulator, StartSimulator, wait_until
from tests.test_blueprints import BLUEPRINTS, automate

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("mqtt_entry")]

# One controller, its readings every second, feeding in a blink; the same seed is the
# same controller.
SIMULATOR: Final = (
    "--seed",
    "13",
    "--rate-multiplier",
    "30",
    "--command-time-scale",
    "0.01",
)
# Oxygen falls from about 7 mg/L to below tilapia's floor (2.3) within seconds.
CRASH: Final = ("--oxygen-crash", "600")


@pytest.fixture
async def midday(hass: HomeAssistant, tmp_path: Path) -> None:
    """Put Home Assistant where it is midday now, with the blueprints imported.

    The ponds are real-time here, so the hold's sun rules (the hour after sunrise,
    the evening) and the day's end are kept away by the place, not by the clock.
    """
    offset = round(12 - dt_util.utcnow().hour - dt_util.utcnow().minute / 60)
    offset = (offset + 12) % 24 - 12
    await hass.config.async_set_time_zone(f"Etc/GMT{-offset:+d}")
    hass.config.latitude, hass.config.longitude = 0.0, offset * 15.0
    hass.config.config_dir = str(tmp_path)
    shutil.copytree(BLUEPRINTS, hass.config.path("blueprints", "automation", DOMAIN))


def entity_id(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    """Return the entity id of a Future Fish entity by its unique id."""
    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)
    assert found is not None, unique_id
    return found


async def stocked_pond(hass: HomeAssistant, simulator: Simulator) -> tuple[str, str]:
    """Stock pond 1 with 200 tilapia of 150 g; return its device and device key.

    30 kg of fish eat 1,248 g a day in 2 portions of 624 g: what the simulated
    hopper (5 kg at most) holds.
    """
    ready = await simulator.wait_for(lambda event: event["event"] == "ready")
    controller = normalize_device_id(ready["controllers"][0])
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    key = f"{controller}_pond1"
    registry = dr.async_get(hass)
    await wait_until(
        hass,
        lambda: (
            registry.async_get_device_by_identifier((DOMAIN, key), entry.entry_id)
            is not None
        ),
    )
    pond = registry.async_get_device_by_identifier((DOMAIN, key), entry.entry_id)
    assert pond is not None
    await hass.services.async_call(
        Platform.SELECT,
        "select_option",
        {
            "entity_id": entity_id(hass, "select", f"{controller}_species_profile"),
            "option": "nile_tilapia",
        },
        blocking=True,
    )
    await hass.services.async_call(
        DOMAIN,
        "restock",
        {"device_id": pond.id, "fish": 200, "average_weight": 150},
        blocking=True,
    )
    return pond.id, key


@pytest.mark.usefixtures("midday")
async def test_a_feed_held_by_low_oxygen_is_given_when_it_recovers(
    hass: HomeAssistant, start_simulator: StartSimulator
) -> None:
    """The schedule's feed is skipped and logged in the crash, and given after it."""
    logged: list[dict[str, Any]] = []
    logged_once = asyncio.Event()

    async def log(call: ServiceCall) -> None:
        logged.append(dict(call.data))
        logged_once.set()

    # What the logbook integration provides, here without its database.
    hass.services.async_register("logbook", "log", log)
    feeding = async_capture_events(hass, EVENT_FEEDING)
    commands = async_capture_events(hass, EVENT_COMMAND)
    await setup_hub(hass)
    crashing = await start_simulator(*SIMULATOR, *CRASH)
    pond, key = await stocked_pond(hass, crashing)
    hold = entity_id(hass, "binary_sensor", f"{key}_feeding_hold")
    portion = entity_id(hass, "sensor", f"{key}_recommended_portion")
    given = entity_id(hass, "sensor", f"{key}_feed_given_today")

    await wait_until(hass, lambda: hass.states.is_state(hold, STATE_ON))
    assert hass.states.get(hold).attributes["reasons"] == ["oxygen_low"]

    # A feed by hand is refused and logged; with override it is given, and logged.
    with pytest.raises(ServiceValidationError) as refused:
        await hass.services.async_call(
            DOMAIN, "feed", {"device_id": pond, "amount": 100}, blocking=True
        )
    assert refused.value.translation_key == "feeding_held"
    await hass.services.async_call(
        DOMAIN,
        "feed",
        {"device_id": pond, "amount": 100, "override": True},
        blocking=True,
    )
    assert [
        (event.data["type"], event.data.get("reasons"))
        for event in feeding
        if event.data["type"] in {"feed_refused", "hold_overridden"}
    ] == [("feed_refused", ["oxygen_low"]), ("hold_overridden", ["oxygen_low"])]
    await wait_until(hass, lambda: hass.states.is_state(given, "100.0"))

    # The schedule's first feeding comes in the crash: skipped, and logged why.
    at = (dt_util.now() + timedelta(seconds=3)).strftime("%H:%M:%S")
    await automate(
        hass,
        "feeding_schedule",
        {
            "times": [at, "23:59:59"],
            "pond": pond,
            "portion": portion,
            "hold": hold,
        },
    )
    async with asyncio.timeout(TIMEOUT):
        await logged_once.wait()
    assert logged[0]["entity_id"] == hold
    assert logged[0]["message"] == (
        "scheduled feed of 524 g skipped: feeding hold (oxygen_low); it is given"
        " when the hold clears today"
    )
    assert hass.states.get(given).state == "100.0"

    # The aerator saves the night: the same controller, its oxygen back to normal.
    await crashing.stop()
    recovered = await start_simulator(*SIMULATOR)
    await wait_until(hass, lambda: hass.states.is_state(hold, STATE_OFF))

    # The held share of the ration is given now: a portion less the override's.
    await wait_until(hass, lambda: hass.states.is_state(given, "624.0"))
    fed = [
        (event.data["parameters"]["amount"], event.data["state"])
        for event in commands
        if event.data["command_type"] == "FEED"
    ]
    assert fed == [(100, "completed"), (524, "completed")]
    assert sum(event["event"] == "executed" for event in recovered.events) == 1
    assert hass.states.get(portion).state == "624.0"
    # Time triggers are not stopped with the test instance.
    await hass.services.async_call(
        "automation",
        "turn_off",
        {"entity_id": "automation.feeding_schedule"},
        blocking=True,
    )
