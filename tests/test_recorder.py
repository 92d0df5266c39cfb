"""What Home Assistant's History keeps of Future Fish's states."""

from functools import partial

from homeassistant.components.recorder import Recorder, get_instance, history
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from .common import current, report, send, setup_hub

WATER_LEVEL = "sensor.pond_1_water_level"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_db_url: str, enable_custom_integrations: None
) -> None:
    """Prepare the recorder's database before Home Assistant starts (it asks so)."""


async def test_water_distance_shown_but_not_recorded(
    recorder_mock: Recorder, hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """The distance changes with every reading: History keeps the level without it."""
    start = dt_util.utcnow()
    await setup_hub(hass)
    await report(hass)
    send(hass, "sensors", {"data": {"water1": 32.5}})
    await hass.async_block_till_done()
    assert current(hass, WATER_LEVEL).attributes["water_distance"] == 32.5
    await async_wait_recording_done(hass)
    recorded = await get_instance(hass).async_add_executor_job(
        partial(
            history.get_significant_states,
            hass,
            start,
            entity_ids=[WATER_LEVEL],
            significant_changes_only=False,
        )
    )
    # Shown before the first reading, with 30 cm, with 32.5 cm.
    assert [state.state for state in recorded[WATER_LEVEL]] == [STATE_UNKNOWN] * 3
    assert all(
        "water_distance" not in state.attributes for state in recorded[WATER_LEVEL]
    )
    assert all(
        state.attributes["unit_of_measurement"] == "%"
        for state in recorded[WATER_LEVEL]
    )
