"""Commands against a real broker and simulated controllers in another process."""

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
import pytest

from custom_components.future_fish.const import DOMAIN
from custom_components.future_fish.protocol import normalize_device_id
from tests.common import make_entry, setup_hub
from tests.e2e.conftest import Simulator, StartSimulator, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("mqtt_entry")]


async def feed_pond_1(
    hass: HomeAssistant, simulator: Simulator, *, wait_for_completion: bool
) -> dict[str, Any]:
    """Feed pond 1 of the simulated controller through the action."""
    ready = await simulator.wait_for(lambda event: event["event"] == "ready")
    device_id = normalize_device_id(ready["controllers"][0])
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    registry = dr.async_get(hass)
    key = (DOMAIN, f"{device_id}_pond1")
    # The pond's device is registered before its entities write their first state.
    await wait_until(
        hass,
        lambda: (
            registry.async_get_device_by_identifier(key, entry.entry_id) is not None
        ),
    )
    pond = registry.async_get_device_by_identifier(key, entry.entry_id)
    assert pond is not None
    response = await hass.services.async_call(
        DOMAIN,
        "feed",
        {
            "device_id": pond.id,
            "amount": 50,
            "wait_for_completion": wait_for_completion,
        },
        blocking=True,
        return_response=True,
    )
    assert isinstance(response, dict)
    return response


async def test_feed_completes(
    hass: HomeAssistant, start_simulator: StartSimulator
) -> None:
    """A feed is acknowledged, executed once and completed by the controller."""
    await setup_hub(hass)
    simulator = await start_simulator(
        "--rate-multiplier", "30", "--command-time-scale", "0.01"
    )

    response = await feed_pond_1(hass, simulator, wait_for_completion=True)

    assert response["state"] == "completed"
    assert response["attempts"] == 1
    assert response["ms_to_ack"] <= response["ms_to_complete"]
    assert simulator.executed(response["command_id"]) == 1


async def test_lost_ack_is_resent_and_executed_once(
    hass: HomeAssistant, start_simulator: StartSimulator
) -> None:
    """The first ack is lost; the resent id is deduped: fed once, not twice."""
    await setup_hub(hass)
    # Feeding takes seconds here, so the resend at 2 s comes before the complete.
    simulator = await start_simulator("--rate-multiplier", "30", "--drop-acks", "1")

    response = await feed_pond_1(hass, simulator, wait_for_completion=True)

    assert response["state"] == "completed"
    assert response["attempts"] >= 2
    assert simulator.executed(response["command_id"]) == 1
    deduped = await simulator.wait_for(
        lambda event: (
            event["event"] == "deduped"
            and event["command_id"] == response["command_id"]
        )
    )
    assert deduped["command_type"] == "FEED"


async def test_controller_that_never_completes_times_out(
    hass: HomeAssistant, start_simulator: StartSimulator
) -> None:
    """An acknowledged feed that never completes ends timed_out, with a clear error."""
    await setup_hub(hass, make_entry(timeout_feed=2))
    simulator = await start_simulator("--rate-multiplier", "30", "--never-complete")

    with pytest.raises(HomeAssistantError) as raised:
        await feed_pond_1(hass, simulator, wait_for_completion=True)

    assert raised.value.translation_key == "command_timed_out"
    assert "not completed within 2 s" in str(raised.value)
