"""Fixtures shared by the Future Fish tests."""

from collections.abc import Generator
from unittest.mock import AsyncMock, patch

import pytest


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
