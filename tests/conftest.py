"""Fixtures shared by the Future Fish tests."""

from collections.abc import AsyncGenerator, Generator
from unittest.mock import AsyncMock, PropertyMock, patch

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from pytest_homeassistant_custom_component.typing import MqttMockHAClient
from syrupy.assertion import SnapshotAssertion

# Import the repository's custom_components before Home Assistant mounts the test
# config dir: HA imports `custom_components` only once, and it must be ours.
import custom_components.future_fish  # noqa: F401

from .common import report, setup_hub


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components/."""


@pytest.fixture
def mock_setup_entry() -> Generator[AsyncMock]:
    """Replace the integration's entry setup, for tests that only create entries."""
    with patch(
        "custom_components.future_fish.async_setup_entry", return_value=True
    ) as mock:
        yield mock


@pytest.fixture
async def mqtt_mock(mqtt_mock: MqttMockHAClient) -> AsyncGenerator[MqttMockHAClient]:
    """Mock MQTT, and stop the housekeeping timer the mock never stops.

    The mocked paho client never closes its socket, so Home Assistant's MQTT client
    keeps a one-second timer that the test harness then reports as lingering (core
    exempts its own integration tests from that check; custom integrations are not).
    """
    yield mqtt_mock
    client = mqtt_mock._mock_wraps
    if client._misc_timer is not None:
        client._misc_timer.cancel()


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> MockConfigEntry:
    """Set up a hub whose controller (two ponds) booted and reported once."""
    entry = await setup_hub(hass)
    await report(hass)
    return entry


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Create entities that are disabled by default enabled, to test them too."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
        new_callable=PropertyMock,
    ):
        yield


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots in Home Assistant's format, without random ids and timestamps."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)
