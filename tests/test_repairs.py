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


def geometry_issue(hass: HomeAssistant) -> ir.IssueEntry | None:
    """Return the hub's one geometry issue, if raised."""
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    return ir.async_get(hass).async_get_issue(
        DOMAIN, f"missing_geometry_{entry.entry_id}"
    )


async def test_one_geometry_issue_lists_the_ponds(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    issue_registry: ir.IssueRegistry,
) -> None:
    """However many ponds lack their geometry, the hub raises one issue naming them."""
    await setup_hub(hass)
    await report(hass)
    await report(hass, OTHER_MAC)

    issues = [
        issue
        for issue in issue_registry.issues.values()
        if issue.domain == DOMAIN and issue.translation_key == "missing_geometry"
    ]
    assert len(issues) == 1
    issue = geometry_issue(hass)
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders == {
        "count": "4",
        "ponds": "- Pond 1 (Pond controller 4134)\n- Pond 2 (Pond controller 4134)\n"
        "- Pond 1 (Pond controller BBCC)\n- Pond 2 (Pond controller BBCC)",
    }
    # Until then the level says what the sensor measures.
    level = hass.states.get(LEVEL)
    assert level.state == "unknown"
    assert level.attributes["water_distance"] == 30

    await set_number(hass, HEIGHT, 200)
    await set_number(hass, DEPTH, 170)
    issue = geometry_issue(hass)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["count"] == "3"
    assert "water_distance" not in hass.states.get(LEVEL).attributes


async def test_a_large_farm_is_counted_not_listed(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Ten ponds are named, the others counted."""
    await setup_hub(hass)
    for number in range(6):
        await report(hass, f"EC:E3:34:00:00:{number:02X}")

    issue = geometry_issue(hass)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["count"] == "12"
    listed = issue.translation_placeholders["ponds"].split("\n")
    assert len(listed) == 11
    assert listed[-1] == "- … +2"


async def test_geometry_fix_flow_walks_through_the_ponds(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_client: ClientSessionGenerator,
) -> None:
    """One pond after another, refusing an impossible geometry on the way."""
    flows = await setup_repairs(hass, hass_client)
    issue = geometry_issue(hass)
    assert issue is not None

    form = await flows.start(issue.issue_id)
    assert form["type"] == "form"
    assert form["step_id"] == "geometry"
    assert form["description_placeholders"] == {
        "pond": "Pond 1",
        "controller": "Pond controller 4134",
        "distance": "30",
        "number": "1",
        "count": "2",
    }
    assert suggested(form) == {"sensor_height": None, "tank_depth": None}

    form = await flows.submit(
        form["flow_id"], {"sensor_height": 100, "tank_depth": 120}
    )
    assert form["type"] == "form"
    assert form["errors"] == {"base": "tank_deeper_than_sensor"}
    assert form["description_placeholders"]["pond"] == "Pond 1"
    # What was typed stays in the form, and nothing was saved.
    assert suggested(form) == {"sensor_height": 100, "tank_depth": 120}
    assert hass.states.get(HEIGHT).state == "unknown"
    assert hass.states.get(DEPTH).state == "unknown"

    form = await flows.submit(
        form["flow_id"], {"sensor_height": 200, "tank_depth": 170}
    )
    assert form["type"] == "form"
    assert form["errors"] == {}
    assert form["description_placeholders"] == {
        "pond": "Pond 2",
        "controller": "Pond controller 4134",
        "distance": "55.5",
        "number": "2",
        "count": "2",
    }
    assert suggested(form) == {"sensor_height": None, "tank_depth": None}
    # water1 is 30 cm: (200 - 30) / 170 = 100 %.
    assert hass.states.get(LEVEL).state == "100.0"

    done = await flows.submit(
        form["flow_id"], {"sensor_height": 155.5, "tank_depth": 100}
    )
    await hass.async_block_till_done()
    assert done["type"] == "create_entry"
    assert hass.states.get("sensor.pond_2_water_level").state == "100.0"
    assert geometry_issue(hass) is None


async def test_fix_flow_checks_both_values_together(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_client: ClientSessionGenerator,
) -> None:
    """A new height below the old depth is fine when the new depth fits it."""
    flows = await setup_repairs(hass, hass_client)
    await set_number(hass, DEPTH, 300)
    issue = geometry_issue(hass)
    assert issue is not None

    form = await flows.start(issue.issue_id)
    assert suggested(form) == {"sensor_height": None, "tank_depth": 300}
    form = await flows.submit(
        form["flow_id"], {"sensor_height": 130, "tank_depth": 100}
    )
    await hass.async_block_till_done()

    assert form["description_placeholders"]["pond"] == "Pond 2"
    assert hass.states.get(HEIGHT).state == "130.0"
    assert hass.states.get(DEPTH).state == "100.0"
    assert hass.states.get(LEVEL).state == "100.0"


async def test_geometry_issue_after_a_restart(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Ponds restored with their distance are asked for again; an unloaded hub not."""
    entry = await setup_hub(hass)
    await report(hass)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert geometry_issue(hass) is None

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    issue = geometry_issue(hass)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["count"] == "2"


async def test_fix_flow_without_a_loaded_hub(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_client: ClientSessionGenerator,
) -> None:
    """A flow whose hub unloads meanwhile cannot save anything."""
    flows = await setup_repairs(hass, hass_client)
    issue = geometry_issue(hass)
    assert issue is not None
    form = await flows.start(issue.issue_id)
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert await hass.config_entries.async_unload(entry.entry_id)

    result = await flows.submit(
        form["flow_id"], {"sensor_height": 200, "tank_depth": 170}
    )

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
