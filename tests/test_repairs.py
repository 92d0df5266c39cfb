"""Repairs: the pond geometry fix flow and controllers offline for over an hour."""

from datetime import timedelta
from http import HTTPStatus
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import mqtt
from homeassistant.components.repairs import DOMAIN as REPAIRS_DOMAIN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
    WebSocketGenerator,
)

from custom_components.future_fish.const import DOMAIN

from .common import (
    DEVICE_ID,
    HEARTBEAT,
    OTHER_MAC,
    STARTUP,
    report,
    send,
    set_number,
    setup_hub,
    tick,
)

OTHER_DEVICE_ID = OTHER_MAC.lower()

GEOMETRY_ISSUE = f"missing_geometry_{DEVICE_ID}_pond1"
OFFLINE_ISSUE = f"controller_offline_{DEVICE_ID}"
HEIGHT = "number.pond_1_sensor_height"
DEPTH = "number.pond_1_tank_depth"
LEVEL = "sensor.pond_1_water_level"


class FixFlow:
    """Drive a fix flow through the HTTP views the repairs dashboard uses."""

    def __init__(self, client: Any) -> None:
        """Use `client`, an authenticated HTTP client of the test instance."""
        self.client = client

    async def start(self, issue_id: str) -> dict[str, Any]:
        """Select *Fix* on an issue."""
        response = await self.client.post(
            "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
        )
        assert response.status == HTTPStatus.OK
        result: dict[str, Any] = await response.json()
        return result

    async def submit(self, flow_id: str, data: dict[str, Any]) -> dict[str, Any]:
        """Submit the form shown."""
        response = await self.client.post(
            f"/api/repairs/issues/fix/{flow_id}", json=data
        )
        assert response.status == HTTPStatus.OK
        result: dict[str, Any] = await response.json()
        return result


async def setup_repairs(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> FixFlow:
    """Load the repairs dashboard and a hub whose controller reported."""
    assert await async_setup_component(hass, REPAIRS_DOMAIN, {})
    await setup_hub(hass)
    await report(hass)
    return FixFlow(await hass_client())


def suggested(form: dict[str, Any]) -> dict[str, Any]:
    """Return the values the form suggests, by field."""
    return {
        field["name"]: (field.get("description") or {}).get("suggested_value")
        for field in form["data_schema"]
    }


async def test_geometry_fix_flow(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_client: ClientSessionGenerator,
    issue_registry: ir.IssueRegistry,
) -> None:
    """The missing geometry is fixed from the repair, refusing an impossible one."""
    flows = await setup_repairs(hass, hass_client)
    issue = issue_registry.async_get_issue(DOMAIN, GEOMETRY_ISSUE)
    assert issue is not None
    assert issue.is_fixable
    assert hass.states.get(LEVEL).state == "unknown"

    form = await flows.start(GEOMETRY_ISSUE)
    assert form["type"] == "form"
    assert form["step_id"] == "geometry"
    assert form["description_placeholders"] == {"pond": "Pond 1"}
    assert suggested(form) == {"sensor_height": None, "tank_depth": None}

    form = await flows.submit(
        form["flow_id"], {"sensor_height": 100, "tank_depth": 120}
    )
    assert form["type"] == "form"
    assert form["errors"] == {"base": "tank_deeper_than_sensor"}
    # What was typed stays in the form, and nothing was saved.
    assert suggested(form) == {"sensor_height": 100, "tank_depth": 120}
    assert hass.states.get(HEIGHT).state == "unknown"
    assert hass.states.get(DEPTH).state == "unknown"

    done = await flows.submit(
        form["flow_id"], {"sensor_height": 200, "tank_depth": 170}
    )
    await hass.async_block_till_done()
    assert done["type"] == "create_entry"
    assert hass.states.get(HEIGHT).state == "200.0"
    assert hass.states.get(DEPTH).state == "170.0"
    # water1 is 30 cm: (200 - 30) / 170 = 100 %.
    assert hass.states.get(LEVEL).state == "100.0"
    assert issue_registry.async_get_issue(DOMAIN, GEOMETRY_ISSUE) is None


async def test_fix_flow_checks_both_values_together(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_client: ClientSessionGenerator,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A new height below the old depth is fine when the new depth fits it."""
    flows = await setup_repairs(hass, hass_client)
    await set_number(hass, DEPTH, 300)
    assert issue_registry.async_get_issue(DOMAIN, GEOMETRY_ISSUE) is not None

    form = await flows.start(GEOMETRY_ISSUE)
    assert suggested(form) == {"sensor_height": None, "tank_depth": 300}
    done = await flows.submit(
        form["flow_id"], {"sensor_height": 130, "tank_depth": 100}
    )
    await hass.async_block_till_done()

    assert done["type"] == "create_entry"
    assert hass.states.get(HEIGHT).state == "130.0"
    assert hass.states.get(DEPTH).state == "100.0"
    assert hass.states.get(LEVEL).state == "100.0"
    assert issue_registry.async_get_issue(DOMAIN, GEOMETRY_ISSUE) is None


async def test_fix_flow_without_a_loaded_hub(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_client: ClientSessionGenerator,
    issue_registry: ir.IssueRegistry,
) -> None:
    """The issue outlives an unloaded hub, but the flow cannot save anything then."""
    flows = await setup_repairs(hass, hass_client)
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert issue_registry.async_get_issue(DOMAIN, GEOMETRY_ISSUE) is not None

    result = await flows.start(GEOMETRY_ISSUE)

    assert result["type"] == "abort"
    assert result["reason"] == "pond_unavailable"


async def test_offline_issue_after_an_hour(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """An hour offline raises the issue; the controller's next message clears it."""
    freezer.move_to("2026-06-01 10:00:00+00:00")
    await setup_hub(hass)
    await report(hass)
    send(hass, "status", "offline")
    await hass.async_block_till_done()

    await tick(hass, freezer, timedelta(minutes=59))
    assert issue_registry.async_get_issue(DOMAIN, OFFLINE_ISSUE) is None

    await tick(hass, freezer, timedelta(minutes=6))
    issue = issue_registry.async_get_issue(DOMAIN, OFFLINE_ISSUE)
    assert issue is not None
    assert not issue.is_fixable
    assert issue.translation_key == "controller_offline"
    assert issue.translation_placeholders == {
        "controller": "Pond controller 4134",
        # The test instance's time zone is US/Pacific.
        "since": "2026-06-01 03:00",
        "prefix": "ff",
        "topic": "ff/EC:E3:34:1C:41:34/#",
    }
    # Reported once: later checks and a lost broker change nothing.
    await tick(hass, freezer, timedelta(minutes=5))
    async_dispatcher_send(hass, mqtt.MQTT_CONNECTION_STATE, False)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, OFFLINE_ISSUE) == issue
    async_dispatcher_send(hass, mqtt.MQTT_CONNECTION_STATE, True)

    send(hass, "heartbeat", HEARTBEAT)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, OFFLINE_ISSUE) is None

    # Back to offline: the hour starts again.
    send(hass, "status", "offline")
    await tick(hass, freezer, timedelta(minutes=30))
    assert issue_registry.async_get_issue(DOMAIN, OFFLINE_ISSUE) is None
    await tick(hass, freezer, timedelta(minutes=35))
    assert issue_registry.async_get_issue(DOMAIN, OFFLINE_ISSUE) is not None


async def test_offline_issue_after_a_restart(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A controller that stays silent after a restart counts from the restart."""
    entry = await setup_hub(hass)
    await report(hass)
    send(hass, "status", "offline")
    await tick(hass, freezer, timedelta(minutes=65))
    assert issue_registry.async_get_issue(DOMAIN, OFFLINE_ISSUE) is not None

    # Unloading forgets what the hub knew, issue included.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, OFFLINE_ISSUE) is None

    await tick(hass, freezer, timedelta(minutes=55))
    assert issue_registry.async_get_issue(DOMAIN, OFFLINE_ISSUE) is None
    await tick(hass, freezer, timedelta(minutes=10))
    assert issue_registry.async_get_issue(DOMAIN, OFFLINE_ISSUE) is not None


async def test_offline_issue_of_a_deleted_controller(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    device_registry: dr.DeviceRegistry,
    hass_ws_client: WebSocketGenerator,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Deleting a controller that is gone for good deletes its issue."""
    assert await async_setup_component(hass, "config", {})
    entry = await setup_hub(hass)
    await report(hass)
    # Connected before time passes: its access token lasts only 30 minutes.
    client = await hass_ws_client(hass)
    send(hass, "status", "offline")
    await tick(hass, freezer, timedelta(minutes=65))
    assert issue_registry.async_get_issue(DOMAIN, OFFLINE_ISSUE) is not None
    controller = device_registry.async_get_device_by_identifier(
        (DOMAIN, DEVICE_ID), entry.entry_id
    )
    assert controller is not None

    response = await client.remove_device(controller.id)

    assert response["success"]
    assert issue_registry.async_get_issue(DOMAIN, OFFLINE_ISSUE) is None
    # A controller deleted before its hour was up had no issue to delete.
    send(hass, "startup", {**STARTUP, "device_id": OTHER_MAC}, OTHER_MAC)
    send(hass, "status", "offline", OTHER_MAC)
    await hass.async_block_till_done()
    other = device_registry.async_get_device_by_identifier(
        (DOMAIN, OTHER_DEVICE_ID), entry.entry_id
    )
    assert other is not None
    assert (await client.remove_device(other.id))["success"]
    # The next checks find nothing to report.
    await tick(hass, freezer, timedelta(minutes=10))
    assert issue_registry.async_get_issue(DOMAIN, OFFLINE_ISSUE) is None
