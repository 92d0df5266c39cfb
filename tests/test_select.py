"""Selects: the species profile.

Their behaviour is tested with what uses them (thresholds, commands, species);
here is what each entity looks like in Home Assistant.
"""

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from syrupy.assertion import SnapshotAssertion

from .common import snapshot_entities


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "mqtt_mock")
@pytest.mark.freeze_time("2026-05-01 04:00:00+00:00")
async def test_entities(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, snapshot: SnapshotAssertion
) -> None:
    """Every select: registry entry and state after one report cycle."""
    await snapshot_entities(hass, entity_registry, snapshot, Platform.SELECT)
