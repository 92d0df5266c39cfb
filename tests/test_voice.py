"""Voice: what Home Assistant's built-in conversation agent (Assist) does with a hub.

These tests speak to the real default agent with the real sentences of
`home-assistant-intents`, in every language Future Fish is translated to, so they
prove the sentences README.md promises, and also where the built-in sentences stop
(so the README's recipes for the rest are tested too). A simulated controller
confirms every command at once.
"""

from dataclasses import dataclass
from pathlib import Path
import re
from typing import Any, Final

from homeassistant.components import conversation
from homeassistant.components.homeassistant.exposed_entities import (
    async_expose_entity,
    async_should_expose,
)
from homeassistant.const import Platform
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

from custom_components.future_fish.const import DOMAIN

from .common import ACCEPTED, DEVICE_ID, answer_commands, report, setup_hub
from .doc_examples import README, automation

# These tests use entities that are disabled by default (limits, command settings).
pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")

TEMPERATURE: Final = "sensor.pond_controller_4134_water_temperature"
FEED: Final = "button.pond_1_feed"
# Unique ids (device key and description key), the same in every language.
INLET_1: Final = f"{DEVICE_ID}_pond1_inlet_valve"
INLET_2: Final = f"{DEVICE_ID}_pond2_inlet_valve"
OUTLET_1: Final = f"{DEVICE_ID}_pond1_outlet_valve"
OUTLET_2: Final = f"{DEVICE_ID}_pond2_outlet_valve"
DISSOLVED_OXYGEN: Final = f"{DEVICE_ID}_dissolved_oxygen"


@dataclass(frozen=True)
class Phrasebook:
    """README's sentences in one language, and what Assist must answer."""

    language: str
    # The areas pond 1 and pond 2 are in.
    areas: tuple[str, str]
    # The aliases the README asks for: the valves' own names, without the pond.
    inlet: str
    outlet: str
    open_by_name: str  # pond 1's inlet valve
    close_by_name: str  # pond 2's outlet valve
    open_in_area: str  # pond 2's inlet valve, by its area
    close_in_area: str  # pond 1's outlet valve, by its area
    is_open: str  # pond 1's inlet valve
    yes: str
    reading: str  # the controller's dissolved oxygen
    reading_answer: str


PHRASEBOOKS: Final = (
    Phrasebook(
        language="en",
        areas=("Koi pond", "Nursery"),
        inlet="Inlet valve",
        outlet="Outlet valve",
        open_by_name="open pond 1 inlet valve",
        close_by_name="close the pond 2 outlet valve",
        open_in_area="open the inlet valve in the nursery",
        close_in_area="close the outlet valve in the koi pond",
        is_open="is pond 1 inlet valve open",
        yes="Yes",
        reading="what is the pond controller 4134 dissolved oxygen",
        reading_answer="Pond controller 4134 dissolved oxygen is 6.8 mg/L",
    ),
    Phrasebook(
        language="de",
        areas=("Koiteich", "Kinderstube"),
        inlet="Zulaufventil",
        outlet="Ablaufventil",
        open_by_name="öffne Pond 1 Zulaufventil",
        close_by_name="Pond 2 Ablaufventil schließen",
        open_in_area="öffne das Zulaufventil in der Kinderstube",
        close_in_area="schließe das Ablaufventil im Koiteich",
        is_open="ist Pond 1 Zulaufventil offen",
        yes="Ja",
        reading="was ist Pond controller 4134 Gelöster Sauerstoff",
        reading_answer="Pond controller 4134 gelöster sauerstoff ist 6,8 mg/L",
    ),
    Phrasebook(
        language="nl",
        areas=("Koivijver", "Kraamkamer"),
        inlet="Inlaatklep",
        outlet="Uitlaatklep",
        open_by_name="open pond 1 inlaatklep",
        close_by_name="draai de pond 2 uitlaatklep dicht",
        open_in_area="draai de inlaatklep in de kraamkamer open",
        close_in_area="sluit de uitlaatklep in de koivijver",
        is_open="is pond 1 inlaatklep open",
        yes="Ja",
        reading="wat is pond controller 4134 opgeloste zuurstof",
        reading_answer="Pond controller 4134 opgeloste zuurstof is 6.8 mg/L",
    ),
    Phrasebook(
        language="fr",
        areas=("Bassin koï", "Nurserie"),
        inlet="Vanne d'arrivée",
        outlet="Vanne de vidange",
        open_by_name="ouvre pond 1 vanne d'arrivée",
        close_by_name="ferme pond 2 vanne de vidange",
        open_in_area="ouvre la vanne d'arrivée dans la nurserie",
        close_in_area="ferme la vanne de vidange dans le bassin koï",
        is_open="pond 1 vanne d'arrivée est-elle ouverte",
        yes="Oui",
        reading="quel est pond controller 4134 oxygène dissous",
        reading_answer="Pond controller 4134 oxygène dissous est 6.8 mg/L",
    ),
    Phrasebook(
        language="es",
        areas=("Estanque koi", "Vivero"),
        inlet="Válvula de entrada",
        outlet="Válvula de salida",
        open_by_name="abre pond 1 válvula de entrada",
        close_by_name="cierra la pond 2 válvula de salida",
        open_in_area="abre la válvula de entrada en el vivero",
        close_in_area="cierra la válvula de salida en el estanque koi",
        is_open="está la pond 1 válvula de entrada abierta",
        yes="Sí",
        reading="cuál es pond controller 4134 oxígeno disuelto",
        reading_answer=(
            "El dispositivo Pond controller 4134 oxígeno disuelto indica 6.8 mg/L"
        ),
    ),
    Phrasebook(
        language="pt-BR",
        areas=("Tanque koi", "Berçário"),
        inlet="Válvula de entrada",
        outlet="Válvula de saída",
        open_by_name="abra a pond 1 válvula de entrada",
        close_by_name="feche pond 2 válvula de saída",
        open_in_area="abra a válvula de entrada no berçário",
        close_in_area="feche a válvula de saída no tanque koi",
        is_open="pond 1 válvula de entrada está aberta",
        yes="Sim",
        reading="qual é o pond controller 4134 oxigênio dissolvido",
        reading_answer="6.8 mg/L",
    ),
    Phrasebook(
        language="vi",
        areas=("Ao koi", "Ao ương"),
        inlet="Van cấp",
        outlet="Van xả",
        open_by_name="mở pond 1 van cấp",
        close_by_name="đóng pond 2 van xả",
        open_in_area="mở van cấp trong ao ương",
        close_in_area="đóng van xả ở ao koi",
        is_open="pond 1 van cấp có mở không",
        yes="có",
        reading="pond controller 4134 oxy hòa tan là bao nhiêu",
        reading_answer="Pond controller 4134 oxy hòa tan là 6.8 mg/L",
    ),
)


async def start_assist(hass: HomeAssistant, language: str) -> MockConfigEntry:
    """Set up Assist and a hub (names in `language`) whose controller has reported."""
    hass.config.language = language
    for component in ("homeassistant", "intent", "conversation"):
        assert await async_setup_component(hass, component, {})
    entry = await setup_hub(hass)
    await report(hass)
    return entry


@pytest.fixture
async def entry(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> MockConfigEntry:
    """Set up Assist and a hub in English."""
    return await start_assist(hass, "en")


@pytest.fixture
def published(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> list[dict[str, Any]]:
    """Return the commands the controller receives; it acks and completes each."""
    return answer_commands(hass, mqtt_mock, complete=ACCEPTED)


async def say(
    hass: HomeAssistant, text: str, language: str = "en"
) -> intent.IntentResponse:
    """Say a sentence to the built-in agent and return its answer."""
    result = await conversation.async_converse(
        hass, text, None, Context(), language=language
    )
    await hass.async_block_till_done()
    return result.response


def speech(response: intent.IntentResponse) -> str:
    """Return what the assistant says."""
    text: str = response.speech["plain"]["speech"]
    return text


def targets(response: intent.IntentResponse) -> list[str]:
    """Return the ids of the entities the assistant acted on."""
    return [
        target.id
        for target in response.success_results
        if target.type is intent.IntentResponseTargetType.ENTITY
    ]


def sent(published: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """Return the type and pond of each command the controller received."""
    return [
        (command["command_type"], command["pond_position"]) for command in published
    ]


def entity_id(hass: HomeAssistant, platform: Platform, unique_id: str) -> str:
    """Return the entity id of one of the hub's entities (it depends on the language)."""
    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)
    assert found is not None
    return found


def pond_device(hass: HomeAssistant, entry: MockConfigEntry, name: str) -> str:
    """Return the device registry id of a pond of the hub."""
    registry = dr.async_get(hass)
    return next(
        device.id
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id)
        if device.name == name
    )


def set_aliases(hass: HomeAssistant, entity: str, *aliases: str) -> None:
    """Give an entity voice aliases besides its name, as the expose dialog does."""
    er.async_get(hass).async_update_entity(entity, aliases=[er.COMPUTED_NAME, *aliases])


def put_ponds_in_areas(
    hass: HomeAssistant, entry: MockConfigEntry, areas: tuple[str, str]
) -> None:
    """Put each pond's device in an area of its own, created with these names."""
    area_registry = ar.async_get(hass)
    devices = dr.async_get(hass)
    for device, area in zip(("Pond 1", "Pond 2"), areas, strict=True):
        devices.async_update_device(
            pond_device(hass, entry, device),
            area_id=area_registry.async_create(area).id,
        )


def expose_as_the_readme_says(hass: HomeAssistant, inlet: str, outlet: str) -> None:
    """Expose the valves, aliased by their own names, and the oxygen sensor."""
    for unique_id, alias in (
        (INLET_1, inlet),
        (INLET_2, inlet),
        (OUTLET_1, outlet),
        (OUTLET_2, outlet),
    ):
        valve = entity_id(hass, Platform.VALVE, unique_id)
        async_expose_entity(hass, conversation.DOMAIN, valve, True)
        set_aliases(hass, valve, alias)
    async_expose_entity(
        hass,
        conversation.DOMAIN,
        entity_id(hass, Platform.SENSOR, DISSOLVED_OXYGEN),
        True,
    )


# --- what Assist sees ---------------------------------------------------------------


@pytest.mark.usefixtures("entry")
def test_what_assist_sees_by_default(hass: HomeAssistant) -> None:
    """The water temperature is exposed at once; valves, oxygen and buttons are not."""
    assert async_should_expose(hass, conversation.DOMAIN, TEMPERATURE)
    for entity in (
        "valve.pond_1_inlet_valve",
        "sensor.pond_controller_4134_dissolved_oxygen",
        FEED,
    ):
        assert not async_should_expose(hass, conversation.DOMAIN, entity)
    # Nothing of ours is a switch any more: valves are valves.
    assert hass.states.async_entity_ids(Platform.SWITCH) == []


@pytest.mark.usefixtures("entry")
async def test_valves_need_exposing(
    hass: HomeAssistant, published: list[dict[str, Any]]
) -> None:
    """Assist refuses an unexposed valve and sends nothing; once exposed, it opens."""
    response = await say(hass, "open pond 1 inlet valve")
    assert response.response_type is intent.IntentResponseType.ERROR
    assert published == []

    async_expose_entity(hass, conversation.DOMAIN, "valve.pond_1_inlet_valve", True)
    response = await say(hass, "open pond 1 inlet valve")
    assert response.response_type is intent.IntentResponseType.ACTION_DONE
    assert speech(response) == "Opening"
    assert targets(response) == ["valve.pond_1_inlet_valve"]
    assert sent(published) == [("WATER_INLET_OPEN", 1)]
    state = hass.states.get("valve.pond_1_inlet_valve")
    assert state is not None
    assert state.state == "open"

    response = await say(hass, "close pond 1 inlet valve")
    assert speech(response) == "Closing"
    assert sent(published)[-1] == ("WATER_INLET_CLOSE", 1)


# --- the README's sentences, in every language with Home Assistant's intents --------


@pytest.mark.parametrize("book", PHRASEBOOKS, ids=lambda book: book.language)
async def test_valves_and_readings_by_voice(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, book: Phrasebook
) -> None:
    """By name and by area, each valve opens and closes; a reading is answered."""
    entry = await start_assist(hass, book.language)
    expose_as_the_readme_says(hass, book.inlet, book.outlet)
    put_ponds_in_areas(hass, entry, book.areas)
    published = answer_commands(hass, mqtt_mock, complete=ACCEPTED)
    lang = book.language

    for sentence, unique_id, command in (
        (book.open_by_name, INLET_1, ("WATER_INLET_OPEN", 1)),
        (book.close_by_name, OUTLET_2, ("WATER_OUTLET_CLOSE", 2)),
        (book.open_in_area, INLET_2, ("WATER_INLET_OPEN", 2)),
        (book.close_in_area, OUTLET_1, ("WATER_OUTLET_CLOSE", 1)),
    ):
        published.clear()
        response = await say(hass, sentence, lang)
        assert response.response_type is intent.IntentResponseType.ACTION_DONE, (
            sentence,
            speech(response),
        )
        valve = entity_id(hass, Platform.VALVE, unique_id)
        assert targets(response) == [valve], sentence
        assert sent(published) == [command], sentence
        state = hass.states.get(valve)
        assert state is not None
        assert state.state == ("open" if command[0].endswith("OPEN") else "closed")

    response = await say(hass, book.is_open, lang)
    assert response.response_type is intent.IntentResponseType.QUERY_ANSWER
    assert speech(response) == book.yes

    response = await say(hass, book.reading, lang)
    assert response.response_type is intent.IntentResponseType.QUERY_ANSWER
    assert speech(response) == book.reading_answer
    assert targets(response) == [entity_id(hass, Platform.SENSOR, DISSOLVED_OXYGEN)]


@pytest.mark.parametrize(
    "book",
    [book for book in PHRASEBOOKS if book.language != "en"],
    ids=lambda book: book.language,
)
async def test_by_area_needs_the_alias(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, book: Phrasebook
) -> None:
    """Outside English, "the inlet valve in <area>" finds a valve only by its alias."""
    entry = await start_assist(hass, book.language)
    expose_as_the_readme_says(hass, book.inlet, book.outlet)
    put_ponds_in_areas(hass, entry, book.areas)
    published = answer_commands(hass, mqtt_mock, complete=ACCEPTED)
    valve = entity_id(hass, Platform.VALVE, INLET_2)
    er.async_get(hass).async_update_entity(valve, aliases=[er.COMPUTED_NAME])

    response = await say(hass, book.open_in_area, book.language)
    assert response.response_type is intent.IntentResponseType.ERROR
    assert published == []


async def test_english_finds_a_valve_in_an_area_without_alias(
    hass: HomeAssistant, entry: MockConfigEntry, published: list[dict[str, Any]]
) -> None:
    """English matches the device-less name ("the inlet valve") of the area's valve."""
    put_ponds_in_areas(hass, entry, ("Pond 1", "Pond 2"))
    for valve in ("valve.pond_2_inlet_valve", "valve.pond_1_outlet_valve"):
        async_expose_entity(hass, conversation.DOMAIN, valve, True)

    response = await say(hass, "open the inlet valve in pond 2")
    assert targets(response) == ["valve.pond_2_inlet_valve"]
    response = await say(hass, "close outlet valve in pond 1")
    assert targets(response) == ["valve.pond_1_outlet_valve"]
    assert sent(published) == [("WATER_INLET_OPEN", 2), ("WATER_OUTLET_CLOSE", 1)]


@pytest.mark.usefixtures("entry")
async def test_turn_on_and_off_also_move_a_valve_in_english(
    hass: HomeAssistant, published: list[dict[str, Any]]
) -> None:
    """What worked for the old valve switches still works: on opens, off closes."""
    async_expose_entity(hass, conversation.DOMAIN, "valve.pond_1_inlet_valve", True)
    response = await say(hass, "turn on pond 1 inlet valve")
    assert targets(response) == ["valve.pond_1_inlet_valve"]
    response = await say(hass, "turn off pond 1 inlet valve")
    assert targets(response) == ["valve.pond_1_inlet_valve"]
    assert sent(published) == [("WATER_INLET_OPEN", 1), ("WATER_INLET_CLOSE", 1)]
    response = await say(hass, "is pond 1 inlet valve closed")
    assert speech(response) == "Yes"


@pytest.mark.usefixtures("entry")
async def test_a_refusal_is_said(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A refusal makes Assist answer with an error (not which); the valve stays put."""
    published = answer_commands(
        hass, mqtt_mock, ack={"success": False, "message": "manual mode"}
    )
    async_expose_entity(hass, conversation.DOMAIN, "valve.pond_1_inlet_valve", True)

    response = await say(hass, "open pond 1 inlet valve")
    assert response.response_type is intent.IntentResponseType.ERROR
    assert speech(response) == "An unexpected error occurred"
    assert sent(published) == [("WATER_INLET_OPEN", 1)]
    state = hass.states.get("valve.pond_1_inlet_valve")
    assert state is not None
    assert state.state == "unknown"


async def test_indonesian_has_no_valve_or_reading_sentences(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Home Assistant's Indonesian sentences open only covers and read nothing."""
    await start_assist(hass, "id")
    expose_as_the_readme_says(hass, "Katup masuk", "Katup buang")
    published = answer_commands(hass, mqtt_mock, complete=ACCEPTED)

    for sentence in (
        "buka pond 1 katup masuk",
        "nyalakan pond 1 katup masuk",
        "berapa pond controller 4134 oksigen terlarut",
    ):
        response = await say(hass, sentence, "id")
        assert response.response_type is intent.IntentResponseType.ERROR, sentence
    assert published == []


# --- readings -----------------------------------------------------------------------


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
async def test_dissolved_oxygen(hass: HomeAssistant) -> None:
    """Once exposed, oxygen is read by its full name, or by an alias; not "of"."""
    oxygen = "sensor.pond_controller_4134_dissolved_oxygen"
    sentence = "what is the pond controller 4134 dissolved oxygen"
    response = await say(hass, sentence)
    assert response.response_type is intent.IntentResponseType.ERROR

    async_expose_entity(hass, conversation.DOMAIN, oxygen, True)
    response = await say(hass, sentence)
    assert response.response_type is intent.IntentResponseType.QUERY_ANSWER
    assert speech(response) == "Pond controller 4134 dissolved oxygen is 6.8 mg/L"
    assert targets(response) == [oxygen]
    response = await say(hass, "what is the dissolved oxygen of pond controller 4134")
    assert response.response_type is intent.IntentResponseType.ERROR

    set_aliases(hass, oxygen, "Oxygen")
    response = await say(hass, "what is the oxygen")
    assert response.response_type is intent.IntentResponseType.QUERY_ANSWER
    assert speech(response) == "Oxygen is 6.8 mg/L"


# --- feeding ------------------------------------------------------------------------


@pytest.mark.usefixtures("entry")
async def test_no_built_in_sentence_presses_a_button(
    hass: HomeAssistant, published: list[dict[str, Any]]
) -> None:
    """Home Assistant's English sentences have no "press": nothing is fed."""
    response = await say(hass, "press pond 1 feed")
    assert response.response_type is intent.IntentResponseType.ERROR
    # Exposing the button does not help: the agent finds it but has no intent.
    async_expose_entity(hass, conversation.DOMAIN, FEED, True)
    response = await say(hass, "press pond 1 feed")
    assert response.response_type is intent.IntentResponseType.ERROR
    assert "Pond 1 Feed" in speech(response)
    assert published == []


def feed_by_voice(pond_device_id: str, sentence: str) -> dict[str, Any]:
    """Return README.md's voice feeding automation, for this Pond 1 device.

    A sentence the README does not list replaces its English ones, as a user
    speaking another language would.
    """
    config = automation("Feed pond 1 by voice")
    trigger = config["triggers"][0]
    if sentence not in trigger["command"]:
        trigger["command"] = [sentence]
    feed = config["actions"][0]
    assert feed["action"] == "future_fish.feed"
    feed["data"]["device_id"] = pond_device_id
    return config


@pytest.mark.parametrize(
    ("sentence", "language"),
    [
        ("feed pond 1", "en"),
        ("feed the fish in pond 1", "en"),
        ("press pond 1 feed", "en"),
        ("füttere Teich 1", "de"),
        ("beri makan kolam 1", "id"),
        ("cho cá ăn ao 1", "vi"),
    ],
)
async def test_feed_by_voice_with_the_readme_automation(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    entry: MockConfigEntry,
    sentence: str,
    language: str,
) -> None:
    """README's conversation trigger feeds pond 1, and says if the controller agreed."""
    assert await async_setup_component(
        hass,
        "automation",
        {"automation": [feed_by_voice(pond_device(hass, entry, "Pond 1"), sentence)]},
    )
    published = answer_commands(hass, mqtt_mock, complete=ACCEPTED)

    response = await say(hass, sentence, language)
    assert speech(response) == "Feeding pond 1"
    assert [
        (sent["command_type"], sent["pond_position"], sent["parameters"])
        for sent in published
    ] == [("FEED", 1, {"amount": 100.0, "unit": "grams"})]

    # A controller that refuses is not reported as feeding.
    published = answer_commands(
        hass, mqtt_mock, ack={"success": False, "message": "hopper empty"}
    )
    response = await say(hass, sentence, language)
    assert speech(response) == "Pond 1 was not fed, the logbook says why"
    assert len(published) == 1


def test_the_readme_lists_only_tested_sentences() -> None:
    """Every quoted sentence of README's voice tables is said in these tests."""
    section = README.read_text(encoding="utf-8").split("## Voice (Assist)\n")[1]
    section = section.split("\n## ")[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    quoted = {sentence for row in rows for sentence in re.findall(r'"([^"]+)"', row)}
    tested = Path(__file__).read_text(encoding="utf-8")

    assert len(quoted) > 40
    assert sorted(s for s in quoted if f'"{s}"' not in tested) == []
