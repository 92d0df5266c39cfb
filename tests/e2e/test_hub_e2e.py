"""The hub against a real broker and simulated controllers in another process."""

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.future_fish.const import DOMAIN
from custom_components.future_fish.protocol import normalize_device_id
from tests.common import make_entry, setup_hub
from tests.e2e.conftest import StartSimulator, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("mqtt_entry")]


def entities(hass: HomeAssistant, suffix: str) -> list[str]:
    """Return the Future Fish entity ids ending in `suffix`."""
    return [
        entity_id
        for entity_id in hass.states.async_entity_ids()
        if entity_id.endswith(suffix)
    ]


def reported(hass: HomeAssistant, entity_ids: list[str]) -> bool:
    """Return whether there are such entities and each shows a number."""
    values = [hass.states.get(entity_id) for entity_id in entity_ids]
    return bool(values) and all(
        state is not None and state.state.replace(".", "", 1).isdigit()
        for state in values
    )


async def test_controllers_report_and_vanish(
    hass: HomeAssistant, start_simulator: StartSimulator, mqtt_entry: MockConfigEntry
) -> None:
    """Entities get live values; a controller that dies is unavailable at once."""
    await setup_hub(hass)
    simulator = await start_simulator(
        "--count", "2", "--rate-multiplier", "30", "--status-topic"
    )
    ready = await simulator.wait_for(lambda event: event["event"] == "ready")
    assert len(ready["controllers"]) == 2

    await wait_until(
        hass,
        lambda: (
            len(entities(hass, "_water_temperature")) == 2
            and reported(hass, entities(hass, "_water_temperature"))
            and reported(hass, entities(hass, "_feed_level"))
        ),
    )
    devices = {normalize_device_id(raw) for raw in ready["controllers"]}
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    controllers = {
        key
        for device in dr.async_entries_for_config_entry(
            dr.async_get(hass), entry.entry_id
        )
        for _, key in device.identifiers
        if "_pond" not in key
    }
    assert controllers == devices

    # SIGKILL drops the connection without a DISCONNECT: the broker publishes each
    # controller's Last Will `offline` (PROTOCOL 7).
    await simulator.stop(kill=True)
    await wait_until(
        hass,
        lambda: all(
            hass.states.get(entity_id).state == STATE_UNAVAILABLE
            for entity_id in entities(hass, "_water_temperature")
        ),
    )


async def test_heartbeat_timeout_without_status_topic(
    hass: HomeAssistant, start_simulator: StartSimulator
) -> None:
    """Older firmware without a Last Will is found offline by the heartbeat timeout."""
    await setup_hub(hass, make_entry(heartbeat_timeout=2))
    simulator = await start_simulator(
        "--count", "1", "--rate-multiplier", "40", "--legacy-format"
    )
    await wait_until(hass, lambda: reported(hass, entities(hass, "_water_level")))

    await simulator.stop()
    await wait_until(
        hass,
        lambda: hass.states.get(entities(hass, "_connectivity")[0]).state == "off",
    )
    assert hass.states.get(entities(hass, "_water_temperature")[0]).state == (
        STATE_UNAVAILABLE
    )
