"""Home Assistant's limit of enabled entities per config entry, made visible.

Home Assistant 2026.10 registers at most `MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY`
(10 000) enabled entities per config entry and silently refuses the rest while still
creating their devices. These tests lower the limit so that a handful of real
controllers reach it.
"""

from collections.abc import Generator, Iterator
from contextlib import contextmanager
import logging
from pathlib import Path
import re
from typing import Final
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    device_registry as dr,
    entity_platform,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
    WebSocketGenerator,
)

from custom_components.future_fish.const import DOMAIN
from custom_components.future_fish.repairs import SCALE_DOCS_URL

from .common import HEARTBEAT, STARTUP, report, send, setup_hub
from .test_docs import anchors

README: Final = Path(__file__).parent.parent / "README.md"
MACS: Final = [f"EC:E3:34:00:00:{number:02X}" for number in range(1, 5)]
# A controller that has not reported a pond yet.
PONDLESS: Final = "EC:E3:34:00:00:FF"
# What a controller with two ponds registers enabled: 19 of its own, 18 per pond
# (the rest are disabled by default).
OWN: Final = 19
PER_POND: Final = 18
PER_CONTROLLER: Final = OWN + 2 * PER_POND
# The feeding issue's enabled entities of a pond.
FEEDING_ENTITIES: Final = frozenset(
    {
        "recommended_daily_feed",
        "recommended_portion",
        "feeding_hold",
        "biomass",
        "feed_conversion_ratio",
    }
)
# Exactly two controllers with two ponds fit.
LIMIT: Final = 2 * PER_CONTROLLER


@contextmanager
def entity_cap(limit: int) -> Iterator[None]:
    """Change Home Assistant's limit, where it and the integration read it."""
    with patch.object(entity_platform, "MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY", limit):
        yield


@pytest.fixture
def limit() -> Generator[None]:
    """Room for exactly two controllers with two ponds each."""
    with entity_cap(LIMIT):
        yield


def issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    """Return the hub's entity limit issue, if raised."""
    return ir.async_get(hass).async_get_issue(
        DOMAIN, f"entity_limit_reached_{entry.entry_id}"
    )


def entities_of(
    hass: HomeAssistant, entry: MockConfigEntry, mac: str
) -> list[er.RegistryEntry]:
    """Return the enabled entities of a controller and its ponds."""
    devices = dr.async_get(hass)
    found = []
    for key in (mac.lower(), f"{mac.lower()}_pond1", f"{mac.lower()}_pond2"):
        device = devices.async_get_device_by_identifier((DOMAIN, key), entry.entry_id)
        assert device is not None, f"no device {key}"
        found += er.async_entries_for_device(er.async_get(hass), device.id)
    return found


def limit_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Return the integration's warnings about the limit."""
    return [
        record
        for record in caplog.records
        if record.name.startswith("custom_components.future_fish")
        and "limit of" in record.message
    ]


async def test_a_hub_holds_at_least_180_two_pond_controllers(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Lean by default: 45 enabled entities per two-pond controller, 55 with feeding.

    The feeding entities (five per pond) may take a two-pond controller to 60.
    """
    entry = await setup_hub(hass)
    await report(hass, MACS[0])

    enabled = entities_of(hass, entry, MACS[0])
    feeding = [
        entity for entity in enabled if entity.translation_key in FEEDING_ENTITIES
    ]
    assert len(enabled) - len(feeding) == 45
    assert len(enabled) == PER_CONTROLLER <= 60
    assert entity_platform.MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY // len(enabled) >= 180


@pytest.mark.usefixtures("limit")
async def test_controllers_beyond_the_limit_are_counted_in_a_repair_issue(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_client: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Two controllers fit exactly; the others get devices without entities."""
    entry = await setup_hub(hass)
    for mac in MACS:
        await report(hass, mac)
    send(hass, "startup", STARTUP, PONDLESS)
    await hass.async_block_till_done()

    for mac in MACS[:2]:
        entities = entities_of(hass, entry, mac)
        assert len(entities) == PER_CONTROLLER
        assert all(hass.states.get(entity.entity_id) for entity in entities)
    for mac in MACS[2:]:
        assert entities_of(hass, entry, mac) == []

    found = issue(hass, entry)
    assert found is not None
    assert found.translation_key == "entity_limit_reached"
    assert found.translation_placeholders == {
        "count": "3",
        "prefix": "ff",
        "limit": str(LIMIT),
    }
    assert found.severity is ir.IssueSeverity.WARNING
    assert not found.is_fixable
    assert found.learn_more_url == SCALE_DOCS_URL

    # Further messages of a controller without entities count it no second time.
    send(hass, "heartbeat", HEARTBEAT, MACS[3])
    await report(hass, MACS[3])
    found = issue(hass, entry)
    assert found is not None
    assert found.translation_placeholders is not None
    assert found.translation_placeholders["count"] == "3"
    assert len(limit_warnings(caplog)) == 1

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["hub"]["controllers_without_entities"] == 3


@pytest.mark.parametrize(
    "room",
    [
        pytest.param(10, id="part of the controller's own entities"),
        pytest.param(OWN + 3, id="the controller's own entities and a few of a pond"),
        pytest.param(OWN + PER_POND, id="the controller's own entities and one pond"),
        pytest.param(PER_CONTROLLER - 1, id="all but one"),
    ],
)
async def test_a_controller_cut_off_midway_is_counted(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, room: int
) -> None:
    """A controller whose entities only partly fit is short too."""
    with entity_cap(PER_CONTROLLER + room):
        entry = await setup_hub(hass)
        for mac in MACS[:2]:
            await report(hass, mac)

        assert len(entities_of(hass, entry, MACS[1])) == room
        found = issue(hass, entry)
        assert found is not None
        assert found.translation_placeholders is not None
        assert found.translation_placeholders["count"] == "1"


async def test_a_reload_with_room_for_everything_clears_the_issue(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A reload still at the limit raises the issue again; one with room does not."""
    with entity_cap(LIMIT):
        entry = await setup_hub(hass)
        for mac in MACS:
            await report(hass, mac)
        await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        found = issue(hass, entry)
        assert found is not None
        assert found.translation_placeholders is not None
        assert found.translation_placeholders["count"] == "2"

    with entity_cap(2 * LIMIT):
        await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()

        assert issue(hass, entry) is None
        for mac in MACS:
            assert len(entities_of(hass, entry, mac)) == PER_CONTROLLER


@pytest.mark.usefixtures("limit")
async def test_disabling_entity_kinds_makes_room_after_a_reload(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, entity_registry: er.EntityRegistry
) -> None:
    """Only enabled entities count: disabling whole kinds of entities frees room."""
    entry = await setup_hub(hass)
    for mac in MACS[:3]:
        await report(hass, mac)
    assert entities_of(hass, entry, MACS[2]) == []
    assert issue(hass, entry) is not None

    for entity in er.async_entries_for_config_entry(entity_registry, entry.entry_id):
        if entity.domain in {"number", "button", "valve", "binary_sensor"}:
            entity_registry.async_update_entity(
                entity.entity_id, disabled_by=er.RegistryEntryDisabler.USER
            )
    await hass.async_block_till_done()
    # Nothing changes until the hub is reloaded.
    assert issue(hass, entry) is not None

    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()

    assert issue(hass, entry) is None
    # Its entities are new, so all of them are enabled.
    assert len(entities_of(hass, entry, MACS[2])) == PER_CONTROLLER


@pytest.mark.usefixtures("limit")
async def test_deleting_controllers_without_entities_updates_the_issue(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """A deleted controller is no longer counted; with none left the issue goes."""
    assert await async_setup_component(hass, "config", {})
    entry = await setup_hub(hass)
    for mac in MACS:
        await report(hass, mac)
    client = await hass_ws_client(hass)
    devices = dr.async_get(hass)

    # A controller that has its entities changes nothing.
    for mac, count in ((MACS[0], "2"), (MACS[3], "1"), (MACS[2], None)):
        send(hass, "status", "offline", mac)
        await hass.async_block_till_done()
        device = devices.async_get_device_by_identifier(
            (DOMAIN, mac.lower()), entry.entry_id
        )
        assert device is not None
        assert (await client.remove_device(device.id))["success"]

        found = issue(hass, entry)
        if count is None:
            assert found is None
        else:
            assert found is not None
            assert found.translation_placeholders is not None
            assert found.translation_placeholders["count"] == count


@pytest.mark.usefixtures("limit")
async def test_unloading_the_hub_deletes_the_issue(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """An unloaded hub claims nothing about its controllers."""
    entry = await setup_hub(hass)
    for mac in MACS[:3]:
        await report(hass, mac)
    assert issue(hass, entry) is not None

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert issue(hass, entry) is None


async def test_below_the_limit_nothing_is_reported(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, caplog: pytest.LogCaptureFixture
) -> None:
    """With Home Assistant's real limit a few controllers raise nothing."""
    entry = await setup_hub(hass)
    for mac in MACS:
        await report(hass, mac)
    send(hass, "startup", STARTUP)
    await hass.async_block_till_done()

    assert issue(hass, entry) is None
    assert limit_warnings(caplog) == []


async def test_readme_states_the_entity_counts(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """The README's Scale section gives the counts the integration really creates."""
    entry = await setup_hub(hass)
    await report(hass, MACS[0])
    registry = er.async_get(hass)
    devices = dr.async_get(hass)

    def registered(key: str) -> list[er.RegistryEntry]:
        device = devices.async_get_device_by_identifier((DOMAIN, key), entry.entry_id)
        assert device is not None
        return er.async_entries_for_device(
            registry, device.id, include_disabled_entities=True
        )

    own = registered(MACS[0].lower())
    ponds = registered(f"{MACS[0].lower()}_pond1")
    enabled = sum(not entity.disabled for entity in own)
    pond = sum(not entity.disabled for entity in ponds)
    two_ponds = enabled + 2 * pond
    assert two_ponds == PER_CONTROLLER
    limit = entity_platform.MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY

    text = README.read_text(encoding="utf-8")
    section = re.search(r"^## Scale\n(.*?)^## ", text, re.MULTILINE | re.DOTALL)
    assert section is not None
    scale = " ".join(section[1].split())
    for stated in (
        f"at most {limit:,} enabled entities",
        f"{enabled} enabled entities of its own",
        f"plus {len(own) - enabled} disabled by default",
        f"each pond {pond} (plus {len(ponds) - pond} disabled by default",
        f"two ponds has {two_ponds}",
        f"about {limit // two_ponds} controllers with two ponds",
        f"{limit // (enabled + pond)} with one pond",
    ):
        assert stated in scale, stated
    assert SCALE_DOCS_URL.partition("#")[2] in anchors(README)
