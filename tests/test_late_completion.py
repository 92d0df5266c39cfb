"""A completion after Home Assistant gave up: counted in the records, state final."""

from datetime import UTC, datetime, timedelta
import json
from typing import Any, Final

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.logbook.models import async_event_to_row
from homeassistant.components.logbook.processor import EventProcessor
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.future_fish.commands import EVENT_COMMAND, EVENT_COMMAND_LATE
from custom_components.future_fish.logbook import describe_late

from .common import report, send, setup_hub
from .test_broker_outage import LAST_COMMAND, start_feed

NOW: Final = datetime(2026, 6, 3, 9, 0, tzinfo=UTC)
# Feedings today is disabled by default; these tests read it.
pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")


@pytest.fixture
async def entry(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> MockConfigEntry:
    """Return a hub with the logbook, whose controller reported; nothing sent yet."""
    freezer.move_to(NOW)
    # Stand-ins: the logbook only needs them loaded.
    hass.config.components.add("recorder")
    hass.config.components.add("frontend")
    assert await async_setup_component(hass, "logbook", {})
    entry = await setup_hub(hass)
    await report(hass)
    mqtt_mock.async_publish.reset_mock()
    return entry


def state(hass: HomeAssistant, entity_id: str) -> str:
    """Return an entity's state."""
    current = hass.states.get(entity_id)
    assert current is not None, entity_id
    return current.state


def totals(hass: HomeAssistant) -> tuple[str, str]:
    """Return pond 1's feed given today and feedings today."""
    return (
        state(hass, "sensor.pond_1_feed_given_today"),
        state(hass, "sensor.pond_1_feedings_today"),
    )


def logbook(hass: HomeAssistant, events: list[Event]) -> list[tuple[str, str, str]]:
    """Return (name, message, icon) of the logbook entries of `events`."""
    processor = EventProcessor(hass, (EVENT_COMMAND, EVENT_COMMAND_LATE))
    return [
        (entry["name"], entry["message"], entry["icon"])
        for entry in processor.humanify(async_event_to_row(event) for event in events)
    ]


async def feed_that_times_out(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> str:
    """Feed 50 g; the controller stays silent until the command timed out."""
    pressing = await start_feed(hass)
    for _ in range(11):
        freezer.tick(timedelta(seconds=1))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    with pytest.raises(HomeAssistantError):
        await pressing
    assert state(hass, LAST_COMMAND) == "timed_out"
    return sent_id(mqtt_mock)


def sent_id(mqtt_mock: MqttMockHAClient) -> str:
    """Return the id of the command published last."""
    command: dict[str, Any] = json.loads(mqtt_mock.async_publish.call_args.args[1])
    return str(command["command_id"])


async def answer(
    hass: HomeAssistant, kind: str, command_id: str, **fields: Any
) -> None:
    """Let the controller answer a command."""
    send(hass, kind, {"command_id": command_id, **fields})
    await hass.async_block_till_done()


async def test_late_feed_counts_once(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
) -> None:
    """The feed was given: the records count it once, the command stays timed out."""
    endings = async_capture_events(hass, EVENT_COMMAND)
    late = async_capture_events(hass, EVENT_COMMAND_LATE)
    command_id = await feed_that_times_out(hass, mqtt_mock, freezer)
    assert totals(hass) == ("0", "0")

    freezer.tick(timedelta(seconds=20))
    await answer(hass, "ack", command_id, success=True)
    await answer(hass, "complete", command_id, success=True, message="Fed 50 g")
    # The controller repeats itself (a resend it deduplicated): nothing twice.
    await answer(hass, "complete", command_id, success=True)

    assert totals(hass) == ("50.0", "1")
    assert state(hass, LAST_COMMAND) == "timed_out"
    assert [event.data["state"] for event in endings] == ["timed_out"]
    (event,) = late
    assert event.data["command_id"] == command_id
    assert event.data["state"] == "timed_out"
    assert event.data["ms_to_late_complete"] == 31_000
    assert logbook(hass, [*endings, *late]) == [
        (
            "Pond 1",
            "feed 50 g timed out: no acknowledgement within 10 s",
            "mdi:alert-circle-outline",
        ),
        ("Pond 1", "fed 50 g, confirmed late after 31 s", "mdi:fish"),
    ]


@pytest.mark.parametrize(
    "answers",
    [
        pytest.param([("complete", {"success": False})], id="failed-late"),
        pytest.param([("ack", {"success": True})], id="ack-only"),
    ],
)
async def test_late_answers_without_a_completion_count_nothing(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
    answers: list[tuple[str, dict[str, Any]]],
) -> None:
    """Only a successful completion is a feed given."""
    late = async_capture_events(hass, EVENT_COMMAND_LATE)
    command_id = await feed_that_times_out(hass, mqtt_mock, freezer)
    for kind, fields in answers:
        await answer(hass, kind, command_id, **fields)

    assert totals(hass) == ("0", "0")
    assert late == []
    assert state(hass, LAST_COMMAND) == "timed_out"


async def test_late_completion_of_a_refused_command_counts_nothing(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
) -> None:
    """A controller that refused a feed did not give it, whatever it says later."""
    late = async_capture_events(hass, EVENT_COMMAND_LATE)
    pressing = await start_feed(hass)
    command_id = sent_id(mqtt_mock)
    await answer(hass, "ack", command_id, success=False, error_code="BUSY")
    with pytest.raises(HomeAssistantError):
        await pressing
    await answer(hass, "complete", command_id, success=True)

    assert state(hass, LAST_COMMAND) == "rejected"
    assert totals(hass) == ("0", "0")
    assert late == []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(
            {
                "command_type": "WATER_FILL",
                "request": {"level": 80},
                "ms_to_late_complete": 125_000,
            },
            "filled to 80 %, confirmed late after 2 min 5 s",
            id="fill",
        ),
        pytest.param(
            {"command_type": "REBOOT"}, "restarted, confirmed late", id="no-duration"
        ),
        pytest.param(
            {"command_type": "FEED", "parameters": {}, "ms_to_late_complete": 3_000},
            "FEED completed, confirmed late after 3.0 s",
            id="old-parameters",
        ),
        pytest.param(
            {"command_type": "DANCE"}, "DANCE completed, confirmed late", id="unknown"
        ),
    ],
)
def test_late_wording(data: dict[str, Any], expected: str) -> None:
    """Every command type reads what it did; unknown ones say at least that."""
    assert describe_late(data, None) == expected
