"""A broker that blinks: clocks stand still, nothing is queued, one resend afterwards.

Home Assistant's MQTT client queues what is published while it is disconnected and
sends all of it after the reconnect; the hub therefore publishes nothing while the
broker is away, stops its commands' clocks meanwhile, and sends each unfinished
command once more when its controller is heard from again.
"""

import asyncio
from datetime import UTC, datetime, timedelta
import json
from typing import Any, Final

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import mqtt
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_state_change_event
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
)

from custom_components.future_fish.commands import EVENT_COMMAND
from custom_components.future_fish.const import DOMAIN

from .common import DEVICE_ID, HEARTBEAT, MAC, OTHER_MAC, report, send, setup_hub

NOW: Final = datetime(2026, 6, 3, 9, 0, tzinfo=UTC)
COMMAND_TOPIC: Final = f"ff/{MAC}/commands"
FEED_GIVEN: Final = "sensor.pond_1_feed_given_today"
LAST_COMMAND: Final = "sensor.pond_controller_4134_last_command"


@pytest.fixture
async def entry(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> MockConfigEntry:
    """Return a hub whose controller reported; nothing published yet."""
    freezer.move_to(NOW)
    entry = await setup_hub(hass)
    await report(hass)
    mqtt_mock.async_publish.reset_mock()
    return entry


def sent_ids(mqtt_mock: MqttMockHAClient) -> list[str]:
    """Return the command id of every command handed to the MQTT client."""
    return [
        json.loads(call.args[1])["command_id"]
        for call in mqtt_mock.async_publish.call_args_list
        if call.args[0] == COMMAND_TOPIC
    ]


async def start_feed(hass: HomeAssistant, grams: float = 50) -> asyncio.Task[Any]:
    """Start the feed action, waiting for completion, as a script would."""
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, f"{DEVICE_ID}_pond1"), entry.entry_id
    )
    assert device is not None
    # Not a task of Home Assistant's: waiting for those would wait for the feed.
    task = asyncio.create_task(
        hass.services.async_call(
            DOMAIN,
            "feed",
            {"device_id": device.id, "amount": grams, "wait_for_completion": True},
            blocking=True,
            return_response=True,
        )
    )
    # Followed from here on: its clocks run.
    await state_reached(hass, LAST_COMMAND, "sent")
    return task


async def state_reached(hass: HomeAssistant, entity_id: str, state: str) -> None:
    """Wait until an entity is in `state`."""
    reached = asyncio.Event()

    @callback
    def changed(_: Event[EventStateChangedData]) -> None:
        if (current := hass.states.get(entity_id)) and current.state == state:
            reached.set()

    unsubscribe = async_track_state_change_event(hass, entity_id, changed)
    try:
        async with asyncio.timeout(5):
            await reached.wait()
    finally:
        unsubscribe()


async def advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    """Let time pass and run what became due, resends included."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def broker(hass: HomeAssistant, mqtt_mock: MqttMockHAClient, up: bool) -> None:
    """Let Home Assistant lose or find the MQTT broker."""
    mqtt_mock.connected = up
    async_dispatcher_send(hass, mqtt.MQTT_CONNECTION_STATE, up)
    await hass.async_block_till_done(wait_background_tasks=True)


def answer(hass: HomeAssistant, kind: str, command_id: str, **fields: Any) -> None:
    """Let the controller acknowledge or complete a command."""
    send(hass, kind, {"command_id": command_id, "success": True, **fields})


def ended(events: list[Event]) -> list[tuple[str, int]]:
    """Return each command event's state and attempts."""
    return [(event.data["state"], event.data["attempts"]) for event in events]


@pytest.mark.parametrize("outage", [3, 15, 60, 600])
async def test_unacknowledged_feed_survives_an_outage(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    outage: int,
) -> None:
    """The broker drops before the ack; the feed completes after it, sent twice.

    Longer than the acknowledgement deadline or not: the clocks stood still, the
    resends due meanwhile were not handed to the client, and the one resend after
    the controller's return is the second and last send of the command.
    """
    events = async_capture_events(hass, EVENT_COMMAND)
    feeding = await start_feed(hass)
    (command_id,) = sent_ids(mqtt_mock)
    await advance(hass, freezer, 1)
    await broker(hass, mqtt_mock, up=False)
    for _ in range(outage):
        await advance(hass, freezer, 1)
    assert sent_ids(mqtt_mock) == [command_id]

    await broker(hass, mqtt_mock, up=True)
    # Home Assistant is back before the controller: nothing to send to yet.
    await advance(hass, freezer, 5)
    assert sent_ids(mqtt_mock) == [command_id]
    send(hass, "heartbeat", HEARTBEAT)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert sent_ids(mqtt_mock) == [command_id] * 2
    answer(hass, "ack", command_id)
    answer(hass, "complete", command_id, message="Fed 50 g to pond 1")
    response = await feeding

    assert response is not None
    assert (response["state"], response["attempts"]) == ("completed", 2)
    assert ended(events) == [("completed", 2)]
    assert hass.states.get(FEED_GIVEN).state == "50.0"
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    (recent,) = diagnostics["controllers"][0]["commands"]["recent"]
    assert (recent["command_id"], recent["attempts"]) == (command_id, 2)
    assert len(sent_ids(mqtt_mock)) == 2


async def test_deadline_resumes_with_the_time_left(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
) -> None:
    """4 s of the 10 s acknowledgement deadline had passed: 6 s are left afterwards.

    The resends the retry schedule still holds (at 5 and 9 s of the deadline) go out
    on time after the return; those due during the outage are skipped.
    """
    events = async_capture_events(hass, EVENT_COMMAND)
    feeding = await start_feed(hass)
    await advance(hass, freezer, 4)  # resent at 2 s
    await broker(hass, mqtt_mock, up=False)
    await advance(hass, freezer, 100)
    await broker(hass, mqtt_mock, up=True)
    await advance(hass, freezer, 20)
    assert len(sent_ids(mqtt_mock)) == 2
    send(hass, "heartbeat", HEARTBEAT)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(sent_ids(mqtt_mock)) == 3

    await advance(hass, freezer, 1)  # 5 s of the deadline
    await advance(hass, freezer, 4)  # 9 s
    assert len(sent_ids(mqtt_mock)) == 5
    assert events == []
    await advance(hass, freezer, 1)

    assert ended(events) == [("timed_out", 5)]
    assert events[0].data["message"] == "no acknowledgement within 10 s"
    with pytest.raises(HomeAssistantError) as err:
        await feeding
    assert err.value.translation_key == "command_timed_out"


async def test_completion_clock_stands_still(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
) -> None:
    """An acknowledged feed outlives an outage longer than its completion deadline."""
    events = async_capture_events(hass, EVENT_COMMAND)
    feeding = await start_feed(hass)
    (command_id,) = sent_ids(mqtt_mock)
    answer(hass, "ack", command_id)
    await advance(hass, freezer, 100)
    await broker(hass, mqtt_mock, up=False)
    await advance(hass, freezer, 300)
    await broker(hass, mqtt_mock, up=True)
    send(hass, "heartbeat", HEARTBEAT)
    await hass.async_block_till_done(wait_background_tasks=True)
    # Resent, so that a controller whose complete was lost repeats it.
    assert sent_ids(mqtt_mock) == [command_id] * 2
    await advance(hass, freezer, 19)
    assert events == []
    await advance(hass, freezer, 2)

    assert ended(events) == [("timed_out", 2)]
    assert events[0].data["message"] == "not completed within 120 s"
    with pytest.raises(HomeAssistantError):
        await feeding


async def test_silent_controller_is_not_waited_for_forever(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
) -> None:
    """A controller not heard within the heartbeat timeout after the reconnect.

    Its command's clock runs again from then (nothing is sent to a controller that
    is not there) and ends at the deadline.
    """
    events = async_capture_events(hass, EVENT_COMMAND)
    feeding = await start_feed(hass)
    await advance(hass, freezer, 1)
    await broker(hass, mqtt_mock, up=False)
    await advance(hass, freezer, 30)
    # Lost again before the controller came back: the wait starts afresh.
    await broker(hass, mqtt_mock, up=True)
    await advance(hass, freezer, 30)
    await broker(hass, mqtt_mock, up=False)
    await broker(hass, mqtt_mock, up=True)
    # Resumed 60 s after the last reconnect, with the 9 s it had left; the resends
    # left in the retry schedule go out as usual (at 2 s of the deadline here).
    await advance(hass, freezer, 60)
    await advance(hass, freezer, 8)
    assert events == []
    await advance(hass, freezer, 1)

    assert ended(events) == [("timed_out", 2)]
    with pytest.raises(HomeAssistantError):
        await feeding


async def test_nothing_is_handed_to_a_disconnected_client(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
) -> None:
    """The client knows first: a resend due before the hub hears of it is skipped.

    Handed over, the client would queue it and send it after the reconnect.
    """
    events = async_capture_events(hass, EVENT_COMMAND)
    feeding = await start_feed(hass)
    mqtt_mock.connected = False
    await advance(hass, freezer, 2)
    assert len(sent_ids(mqtt_mock)) == 1
    mqtt_mock.connected = True
    await advance(hass, freezer, 3)

    assert len(sent_ids(mqtt_mock)) == 2
    (command_id,) = set(sent_ids(mqtt_mock))
    answer(hass, "complete", command_id)
    response = await feeding
    assert response is not None
    assert response["attempts"] == 2
    assert ended(events) == [("completed", 2)]


async def test_unload_during_an_outage(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
) -> None:
    """Unloading cancels the commands the outage paused, and their wait."""
    events = async_capture_events(hass, EVENT_COMMAND)
    feeding = await start_feed(hass)
    await broker(hass, mqtt_mock, up=False)
    await broker(hass, mqtt_mock, up=True)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await advance(hass, freezer, 3600)

    assert ended(events) == [("cancelled", 1)]
    with pytest.raises(HomeAssistantError) as err:
        await feeding
    assert err.value.translation_key == "command_cancelled"


async def test_each_controller_resumes_its_own_commands(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
) -> None:
    """Another controller's return neither resends nor resumes this one's command."""
    await report(hass, OTHER_MAC)
    events = async_capture_events(hass, EVENT_COMMAND)
    feeding = await start_feed(hass)
    await broker(hass, mqtt_mock, up=False)
    await broker(hass, mqtt_mock, up=True)
    send(hass, "heartbeat", HEARTBEAT, OTHER_MAC)
    await advance(hass, freezer, 30)
    assert len(sent_ids(mqtt_mock)) == 1
    assert events == []

    send(hass, "heartbeat", HEARTBEAT)
    await hass.async_block_till_done(wait_background_tasks=True)
    (command_id,) = set(sent_ids(mqtt_mock))
    assert len(sent_ids(mqtt_mock)) == 2
    answer(hass, "complete", command_id)
    response = await feeding
    assert response is not None
    assert response["state"] == "completed"


async def test_broker_lost_while_publishing(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
) -> None:
    """Lost before the broker confirmed the first send: no clock starts until back."""
    publish = mqtt_mock._mock_wraps.async_publish  # what the mock wraps

    async def publish_then_lose(*args: Any, **kwargs: Any) -> None:
        await publish(*args, **kwargs)
        mqtt_mock.async_publish.side_effect = None
        mqtt_mock.connected = False
        async_dispatcher_send(hass, mqtt.MQTT_CONNECTION_STATE, False)

    mqtt_mock.async_publish.side_effect = publish_then_lose
    events = async_capture_events(hass, EVENT_COMMAND)
    feeding = await start_feed(hass)
    await advance(hass, freezer, 600)
    assert events == []
    await broker(hass, mqtt_mock, up=True)
    send(hass, "heartbeat", HEARTBEAT)
    await hass.async_block_till_done(wait_background_tasks=True)
    (command_id,) = set(sent_ids(mqtt_mock))
    answer(hass, "complete", command_id)

    response = await feeding
    assert response is not None
    assert (response["state"], response["attempts"]) == ("completed", 2)


async def test_reconnect_without_commands(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, entry: MockConfigEntry
) -> None:
    """An outage while nothing runs leaves nothing behind: the next feed works."""
    await broker(hass, mqtt_mock, up=False)
    await broker(hass, mqtt_mock, up=True)
    send(hass, "heartbeat", HEARTBEAT)
    feeding = await start_feed(hass)
    (command_id,) = sent_ids(mqtt_mock)
    answer(hass, "complete", command_id)
    response = await feeding
    assert response is not None
    assert (response["state"], response["attempts"]) == ("completed", 1)
