"""Voice: what Home Assistant's built-in conversation agent (Assist) does with a hub.

These tests speak to the real default agent with the real English sentences of
`home-assistant-intents`, so they prove the sentences README.md promises, and also
where the built-in sentences stop (so the README's recipes for the rest are tested
too). A simulated controller confirms every command at once.
"""

from typing import Any, Final, NamedTuple

from homeassistant.components import conversation
from homeassistant.components.homeassistant.exposed_entities import (
    async_expose_entity,
    async_should_expose,
)
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
    intent,
)
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from .common import ACCEPTED, answer_commands, report, setup_hub
from .doc_examples import automation

# These tests use entities that are disabled by default (limits, command settings).
pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")

TEMPERATURE: Final = "sensor.pond_controller_4134_water_temperature"
FEED: Final = "button.pond_1_feed"


@pytest.fixture
async def entry(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> MockConfigEntry:
    """Set up Assist and a hub whose controller of two ponds has reported."""
    for component in ("homeassistant", "intent", "conversation"):
        assert await async_setup_component(hass, component, {})
    entry = await setup_hub(hass)
    await report(hass)
    return entry


@pytest.fixture
def published(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> list[dict[str, Any]]:
    """Return the commands the controller receives; it acks and completes each."""
    return answer_commands(hass, mqtt_mock, complete=ACCEPTED)


async def say(hass: HomeAssistant, text: str) -> intent.IntentResponse:
    """Say a sentence to the built-in agent in English and return its answer."""
    result = await conversation.async_converse(
        hass, text, None, Context(), language="en"
    )
    await hass.async_block_till_done()
    return result.response


def speech(response: intent.IntentResponse) -> str:
    """Return what the assistant says."""
    text: str = response.speech["plain"]["speech"]
    return text


def targets(response: intent.IntentResponse) -> list[str]:
    """Return the ids of what the assistant acted on (areas and entities)."""
    return [target.id for target in response.success_results]


def pond_device(hass: HomeAssistant, entry: MockConfigEntry, name: str) -> str:
    """Return the device registry id of a pond of the hub."""
    registry = dr.async_get(hass)
    return next(
        device.id
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id)
        if device.name == name
    )


def set_aliases(hass: HomeAssistant, entity_id: str, *aliases: str) -> None:
    """Give an entity voice aliases besides its name, as the expose dialog does."""
    er.async_get(hass).async_update_entity(
        entity_id, aliases=[er.COMPUTED_NAME, *aliases]
    )


@pytest.mark.usefixtures("entry")
def test_what_assist_sees_by_default(hass: HomeAssistant) -> None:
    """Valves and the water temperature are exposed at once; buttons are not."""
    assert async_should_expose(hass, "conversation", "switch.pond_1_inlet_valve")
    assert async_should_expose(hass, "conversation", TEMPERATURE)
    assert not async_should_expose(hass, "conversation", FEED)


class ValveCase(NamedTuple):
    """A sentence about a valve and what it must lead to."""

    sentence: str
    answer: str
    entity_id: str
    command_type: str
    pond: int
    state: str
    question: str


@pytest.mark.usefixtures("entry")
@pytest.mark.parametrize(
    "case",
    [
        ValveCase(
            "turn on pond 1 inlet valve",
            "Turned on the switch",
            "switch.pond_1_inlet_valve",
            "WATER_INLET_OPEN",
            1,
            "on",
            "is pond 1 inlet valve on",
        ),
        ValveCase(
            "turn on the pond 2 outlet valve",
            "Turned on the switch",
            "switch.pond_2_outlet_valve",
            "WATER_OUTLET_OPEN",
            2,
            "on",
            "is the pond 2 outlet valve on",
        ),
        ValveCase(
            "turn off pond 1 outlet valve",
            "Turned off the switch",
            "switch.pond_1_outlet_valve",
            "WATER_OUTLET_CLOSE",
            1,
            "off",
            "is pond 1 outlet valve off",
        ),
    ],
    ids=lambda case: case.sentence,
)
async def test_valves_by_their_full_name(
    hass: HomeAssistant, published: list[dict[str, Any]], case: ValveCase
) -> None:
    """A valve's full name works out of the box; the controller gets the command."""
    response = await say(hass, case.sentence)

    assert response.response_type is intent.IntentResponseType.ACTION_DONE
    assert speech(response) == case.answer
    assert targets(response) == [case.entity_id]
    assert [(sent["command_type"], sent["pond_position"]) for sent in published] == [
        (case.command_type, case.pond)
    ]
    # The switch shows what the controller confirmed, and Assist knows it.
    state = hass.states.get(case.entity_id)
    assert state is not None
    assert state.state == case.state
    response = await say(hass, case.question)
    assert response.response_type is intent.IntentResponseType.QUERY_ANSWER
    assert speech(response) == "Yes"


@pytest.mark.usefixtures("entry")
async def test_open_is_not_for_switches(
    hass: HomeAssistant, published: list[dict[str, Any]]
) -> None:
    """Saying "open" is for valves and covers; the valves here are switches."""
    response = await say(hass, "open pond 1 inlet valve")
    assert response.response_type is intent.IntentResponseType.ERROR
    assert published == []


def put_ponds_in_areas(
    hass: HomeAssistant, entry: MockConfigEntry, pond_1: str, pond_2: str
) -> None:
    """Put each pond's device in an area of its own, created with these names."""
    areas = ar.async_get(hass)
    devices = dr.async_get(hass)
    for device, area in (("Pond 1", pond_1), ("Pond 2", pond_2)):
        devices.async_update_device(
            pond_device(hass, entry, device), area_id=areas.async_create(area).id
        )


async def test_valve_in_a_pond_area(
    hass: HomeAssistant, entry: MockConfigEntry, published: list[dict[str, Any]]
) -> None:
    """In areas named like the ponds, "the inlet valve in pond 2" is a valve."""
    response = await say(hass, "turn on the inlet valve in pond 2")
    assert response.response_type is intent.IntentResponseType.ERROR
    assert published == []

    put_ponds_in_areas(hass, entry, "Pond 1", "Pond 2")
    response = await say(hass, "turn on the inlet valve in pond 2")
    assert response.response_type is intent.IntentResponseType.ACTION_DONE
    assert targets(response) == ["switch.pond_2_inlet_valve"]
    response = await say(hass, "turn off outlet valve in pond 1")
    assert targets(response) == ["switch.pond_1_outlet_valve"]
    assert [(sent["command_type"], sent["pond_position"]) for sent in published] == [
        ("WATER_INLET_OPEN", 2),
        ("WATER_OUTLET_CLOSE", 1),
    ]

    # "of" is no area preposition for a bare entity name: that needs an alias.
    response = await say(hass, "turn on the inlet valve of pond 1")
    assert response.response_type is intent.IntentResponseType.ERROR
    for position in (1, 2):
        set_aliases(hass, f"switch.pond_{position}_inlet_valve", "Inlet valve")
    response = await say(hass, "turn on the inlet valve of pond 1")
    assert response.response_type is intent.IntentResponseType.ACTION_DONE
    assert "switch.pond_1_inlet_valve" in targets(response)
    assert published[-1]["command_type"] == "WATER_INLET_OPEN"
    assert published[-1]["pond_position"] == 1

    # Without a pond, the alias alone is ambiguous, and nothing is sent.
    response = await say(hass, "turn off the inlet valve")
    assert response.response_type is intent.IntentResponseType.ERROR
    assert speech(response) == "Sorry, there are multiple devices called Inlet valve"
    assert len(published) == 3


async def test_valve_by_alias_in_a_named_area(
    hass: HomeAssistant, entry: MockConfigEntry, published: list[dict[str, Any]]
) -> None:
    """Areas with their own names need the valves' alias too."""
    put_ponds_in_areas(hass, entry, "Koi pond", "Nursery")
    response = await say(hass, "turn on the inlet valve in the nursery")
    assert response.response_type is intent.IntentResponseType.ERROR

    set_aliases(hass, "switch.pond_1_inlet_valve", "Inlet valve")
    set_aliases(hass, "switch.pond_2_inlet_valve", "Inlet valve")
    response = await say(hass, "turn on the inlet valve in the nursery")
    assert response.response_type is intent.IntentResponseType.ACTION_DONE
    assert "switch.pond_2_inlet_valve" in targets(response)
    response = await say(hass, "turn on the inlet valve in the koi pond")
    assert "switch.pond_1_inlet_valve" in targets(response)
    assert [(sent["command_type"], sent["pond_position"]) for sent in published] == [
        ("WATER_INLET_OPEN", 2),
        ("WATER_INLET_OPEN", 1),
    ]


@pytest.mark.usefixtures("entry")
async def test_water_temperature(hass: HomeAssistant) -> None:
    """The full name answers at once; "the water temperature" needs an alias."""
    response = await say(hass, "what is the pond controller 4134 water temperature")
    assert response.response_type is intent.IntentResponseType.QUERY_ANSWER
    assert speech(response) == "Pond controller 4134 water temperature is 26.4 °C"

    # Without an alias, "the water temperature" is taken for the weather.
    response = await say(hass, "what is the water temperature")
    assert response.response_type is intent.IntentResponseType.ERROR
    assert TEMPERATURE not in targets(response)

    set_aliases(hass, TEMPERATURE, "Water temperature")
    for sentence in ("what is the water temperature", "what's the water temperature"):
        response = await say(hass, sentence)
        assert response.response_type is intent.IntentResponseType.QUERY_ANSWER
        assert speech(response) == "Water temperature is 26.4 °C"
        assert targets(response) == [TEMPERATURE]


@pytest.mark.usefixtures("entry")
async def test_no_built_in_sentence_presses_a_button(
    hass: HomeAssistant, published: list[dict[str, Any]]
) -> None:
    """Home Assistant's English sentences have no "press": nothing is fed."""
    response = await say(hass, "press pond 1 feed")
    assert response.response_type is intent.IntentResponseType.ERROR
    # Exposing the button does not help: the agent finds it but has no intent.
    async_expose_entity(hass, "conversation", FEED, True)
    response = await say(hass, "press pond 1 feed")
    assert response.response_type is intent.IntentResponseType.ERROR
    assert "Pond 1 Feed" in speech(response)
    assert published == []


def feed_by_voice(pond_device_id: str) -> dict[str, Any]:
    """Return README.md's voice feeding automation, for this Pond 1 device."""
    config = automation("Feed pond 1 by voice")
    feed = config["actions"][0]
    assert feed["action"] == "future_fish.feed"
    feed["data"]["device_id"] = pond_device_id
    return config


@pytest.mark.parametrize("sentence", ["press pond 1 feed", "feed the fish in pond 1"])
async def test_feed_by_voice_with_the_readme_automation(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    entry: MockConfigEntry,
    sentence: str,
) -> None:
    """README's conversation trigger feeds pond 1, and says if the controller agreed."""
    assert await async_setup_component(
        hass,
        "automation",
        {"automation": [feed_by_voice(pond_device(hass, entry, "Pond 1"))]},
    )
    published = answer_commands(hass, mqtt_mock, complete=ACCEPTED)

    response = await say(hass, sentence)
    assert speech(response) == "Feeding pond 1"
    assert [
        (sent["command_type"], sent["pond_position"], sent["parameters"])
        for sent in published
    ] == [("FEED", 1, {"amount": 100.0, "unit": "grams"})]

    # A controller that refuses is not reported as feeding.
    published = answer_commands(
        hass, mqtt_mock, ack={"success": False, "message": "hopper empty"}
    )
    response = await say(hass, sentence)
    assert speech(response) == "Pond 1 was not fed, the logbook says why"
    assert len(published) == 1
