"""The blueprints shipped in blueprints/automation/future_fish/, as users import them."""

from datetime import timedelta
from pathlib import Path
import shutil
from typing import Any, Final

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.automation.helpers import async_get_blueprints
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.future_fish.const import DOMAIN

from .common import (
    DEVICE_ID,
    HEARTBEAT,
    answer_commands,
    report,
    send,
    set_number,
    setup_hub,
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


BLUEPRINTS: Final = Path(__file__).parents[1] / "blueprints" / "automation" / DOMAIN
CONTROLLER: Final = "pond_controller_4134"
DO_ALARM: Final = f"binary_sensor.{CONTROLLER}_dissolved_oxygen_alarm"
CRASH_EXPECTED: Final = f"binary_sensor.{CONTROLLER}_oxygen_crash_expected"
CONNECTIVITY: Final = f"binary_sensor.{CONTROLLER}_connectivity"
FEED_LEVEL: Final = "sensor.pond_1_feed_level"
HOLD: Final = "binary_sensor.pond_1_feeding_hold"
PORTION: Final = "sensor.pond_1_recommended_portion"
AERATOR: Final = "switch.aerator"
# What users put into a blueprint's notification input.
NOTIFY: Final = [{"action": "notify.notify", "data": {"message": "{{ message }}"}}]


@pytest.fixture
def config_dir(hass: HomeAssistant, tmp_path: Path) -> None:
    """Import the blueprints as the README says: copy them into the config dir.

    A config dir of the test's own, so parallel tests share no files.
    """
    hass.config.config_dir = str(tmp_path)
    shutil.copytree(BLUEPRINTS, hass.config.path("blueprints", "automation", DOMAIN))


async def automate(hass: HomeAssistant, blueprint: str, inputs: dict[str, Any]) -> None:
    """Create an automation from a blueprint and check that it is valid and on."""
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "id": blueprint,
                "alias": blueprint,
                "use_blueprint": {
                    "path": f"{DOMAIN}/{blueprint}.yaml",
                    "input": inputs,
                },
            }
        },
    )
    await hass.async_block_till_done()
    state = hass.states.get(f"automation.{blueprint}")
    assert state is not None
    assert state.state == STATE_ON


def messages(calls: list[Any]) -> list[str]:
    """Return the messages sent by notify calls."""
    return [" ".join(call.data["message"].split()) for call in calls]


def test_every_blueprint_is_tested() -> None:
    """The directory holds exactly the blueprints tested here."""
    assert sorted(path.stem for path in BLUEPRINTS.iterdir()) == sorted(
        {
            "controller_offline",
            "feed_hopper_low",
            "feeding_schedule",
            "low_oxygen",
            "oxygen_crash_expected",
        }
    )


@pytest.mark.usefixtures("config_dir")
@pytest.mark.parametrize("path", sorted(BLUEPRINTS.iterdir()), ids=lambda p: p.stem)
async def test_blueprint_is_valid(hass: HomeAssistant, path: Path) -> None:
    """Home Assistant's blueprint code loads each file as a valid automation."""
    blueprint = await async_get_blueprints(hass).async_get_blueprint(
        f"{DOMAIN}/{path.name}"
    )
    assert blueprint.domain == "automation"
    assert blueprint.name.startswith("Future Fish - ")
    assert blueprint.validate() is None


@pytest.mark.usefixtures("config_dir", "init_integration")
async def test_low_oxygen(hass: HomeAssistant) -> None:
    """Three low readings: the aerator is turned on and the user told, once."""
    turn_on = async_mock_service(hass, "homeassistant", "turn_on")
    notify = async_mock_service(hass, "notify", "notify")
    await automate(
        hass,
        "low_oxygen",
        {"oxygen_alarm": DO_ALARM, "aerator": AERATOR, "notify": NOTIFY},
    )
    await set_number(hass, f"number.{CONTROLLER}_dissolved_oxygen_lower_limit", 5)

    for value in (6.8, 4.2, 4.1, 4.0, 3.9):
        send(hass, "sensors", {"data": {"dissolved_oxygen": value}})
        await hass.async_block_till_done()

    assert hass.states.get(DO_ALARM).state == STATE_ON
    assert [call.data["entity_id"] for call in turn_on] == [[AERATOR]]
    assert messages(notify) == [
        (
            "Pond controller 4134 Dissolved oxygen alarm: dissolved oxygen is 4.0"
            " mg/L, below 5.0 mg/L. Turned on switch.aerator."
        )
    ]


@pytest.mark.usefixtures("config_dir", "init_integration")
async def test_low_oxygen_from_unknown(hass: HomeAssistant) -> None:
    """A limit set while oxygen is already low: unknown to on runs it too."""
    turn_on = async_mock_service(hass, "homeassistant", "turn_on")
    async_mock_service(hass, "notify", "notify")
    await automate(
        hass,
        "low_oxygen",
        {"oxygen_alarm": DO_ALARM, "aerator": AERATOR, "notify": NOTIFY},
    )
    assert hass.states.get(DO_ALARM).state == STATE_UNKNOWN
    await set_number(hass, f"number.{CONTROLLER}_dissolved_oxygen_lower_limit", 8)

    for value in (4.2, 4.1, 4.0):
        send(hass, "sensors", {"data": {"dissolved_oxygen": value}})
        await hass.async_block_till_done()

    assert hass.states.get(DO_ALARM).state == STATE_ON
    assert [call.data["entity_id"] for call in turn_on] == [[AERATOR]]


@pytest.mark.usefixtures("config_dir", "init_integration")
async def test_oxygen_crash_expected(hass: HomeAssistant) -> None:
    """The forecast expects a crash: the aerator starts at once."""
    turn_on = async_mock_service(hass, "homeassistant", "turn_on")
    await automate(
        hass,
        "oxygen_crash_expected",
        {"crash_expected": CRASH_EXPECTED, "aerator": AERATOR},
    )
    # The forecast's own tests make this sensor turn on from synthetic nights.
    hass.states.async_set(CRASH_EXPECTED, STATE_OFF)
    await hass.async_block_till_done()
    assert turn_on == []

    hass.states.async_set(CRASH_EXPECTED, STATE_ON)
    await hass.async_block_till_done()

    assert [call.data["entity_id"] for call in turn_on] == [[AERATOR]]


async def at(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, local: str, **readings: float
) -> None:
    """Move to a local time of 1 June 2026, the controller reporting `readings`.

    It reports before the timers run, so its heartbeat keeps it online.
    """
    freezer.move_to(f"2026-06-01 {local}-07:00")
    send(hass, "heartbeat", HEARTBEAT)
    if readings:
        send(hass, "sensors", {"data": readings})
    await hass.async_block_till_done()
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def test_feeding_schedule(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    config_dir: None,
    freezer: FrozenDateTimeFactory,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Feeds the portion, skips while held (logged), makes it up when the hold clears.

    2,000 tilapia of 150 g at 28 °C: 12,480 g a day in 2 portions of 6,240 g, each
    given as 5,000 g and 1,240 g (one feed command carries at most 5,000 g).
    """
    # The test instance's time zone is US/Pacific.
    await at(hass, freezer, "07:59:30")
    entry = await setup_hub(hass)
    await report(hass)
    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": f"select.{CONTROLLER}_species_profile", "option": "nile_tilapia"},
        blocking=True,
    )
    commands = answer_commands(hass, mqtt_mock, complete={"success": True})
    logbook = async_mock_service(hass, "logbook", "log")
    pond = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"{DEVICE_ID}_pond1"), entry.entry_id
    )
    assert pond is not None
    await hass.services.async_call(
        DOMAIN,
        "restock",
        {"device_id": pond.id, "fish": 2000, "average_weight": 150},
        blocking=True,
    )
    await automate(
        hass,
        "feeding_schedule",
        {
            "times": ["08:00:00", "16:00:00"],
            "pond": pond.id,
            "portion": "sensor.pond_1_recommended_portion",
            "hold": HOLD,
        },
    )

    def fed() -> list[float]:
        return [command["parameters"]["amount"] for command in commands]

    # Low oxygen at dawn: the 08:00 feed is held and the logbook says why.
    await at(hass, freezer, "07:59:40", temperature=28, dissolved_oxygen=2.0)
    assert hass.states.get(HOLD).state == STATE_ON
    await at(hass, freezer, "08:00:00")
    assert fed() == []
    assert [call.data["message"] for call in logbook] == [
        (
            "scheduled feed of 6240 g skipped: feeding hold (oxygen_low); it is"
            " given when the hold clears today"
        )
    ]
    assert logbook[0].data["entity_id"] == HOLD

    # The oxygen recovers at 10:00: the held portion is given then.
    await at(hass, freezer, "10:00:00", dissolved_oxygen=5.5)
    assert fed() == [5000, 1240]
    assert hass.states.get(PORTION).state == "6240.0"

    # 16:00: the second portion, and the day's ration is given.
    await at(hass, freezer, "16:00:00")
    assert fed() == [5000, 1240, 5000, 1240]
    assert hass.states.get("sensor.pond_1_feed_given_today").state == "12480.0"
    assert hass.states.get(PORTION).state == "0.0"

    # A hold that clears once the ration is given feeds nothing more.
    await at(hass, freezer, "17:00:00", dissolved_oxygen=2.0)
    await at(hass, freezer, "17:30:00", dissolved_oxygen=6.0)
    assert hass.states.get(HOLD).state == STATE_OFF
    assert len(fed()) == 4
    # Time triggers are not stopped with the test instance: detach tomorrow's.
    await hass.services.async_call(
        "automation",
        "turn_off",
        {"entity_id": "automation.feeding_schedule"},
        blocking=True,
    )


@pytest.mark.usefixtures("config_dir", "init_integration")
async def test_controller_offline(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Notified once the controller has been offline for the minutes set."""
    notify = async_mock_service(hass, "notify", "notify")
    await automate(
        hass,
        "controller_offline",
        {"connectivity": CONNECTIVITY, "minutes": 10, "notify": NOTIFY},
    )

    send(hass, "status", "offline")
    await tick(hass, freezer, timedelta(minutes=9, seconds=59))
    assert notify == []
    await tick(hass, freezer, timedelta(seconds=1))

    assert messages(notify) == [
        (
            "Pond controller 4134 has been offline for 10 minutes: check its power"
            " and Wi-Fi."
        )
    ]


@pytest.mark.usefixtures("config_dir", "init_integration")
async def test_feed_hopper_low(hass: HomeAssistant) -> None:
    """Notified when the feed level falls below the threshold, not while above."""
    notify = async_mock_service(hass, "notify", "notify")
    await automate(
        hass,
        "feed_hopper_low",
        {"feed_level": FEED_LEVEL, "threshold": 25, "notify": NOTIFY},
    )

    send(hass, "sensors", {"data": {"feed1": 30}})
    await hass.async_block_till_done()
    assert notify == []
    send(hass, "sensors", {"data": {"feed1": 15}})
    await hass.async_block_till_done()

    assert messages(notify) == ["Pond 1 Feed level is 15 %: refill the feed hopper."]


@pytest.mark.usefixtures("config_dir", "init_integration")
async def test_default_notification(hass: HomeAssistant) -> None:
    """Without a notification input the blueprints create a persistent notification."""
    created = async_mock_service(hass, "persistent_notification", "create")
    await automate(hass, "feed_hopper_low", {"feed_level": FEED_LEVEL})

    send(hass, "sensors", {"data": {"feed1": 10}})
    await hass.async_block_till_done()

    assert [call.data["title"] for call in created] == ["Feed hopper low"]
