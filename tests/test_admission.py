"""Strangers wait at the door: unknown ids become controllers only at a farm's pace."""

from datetime import UTC, datetime, timedelta
import logging
from typing import Any, Final

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.repairs import DOMAIN as REPAIRS_DOMAIN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import (
    device_registry as dr,
    entity_platform,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    CLIENT_ID,
    MockConfigEntry,
    MockUser,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
)

from custom_components.future_fish.const import (
    DEFAULT_MAX_CONTROLLERS,
    DOMAIN,
    ENABLED_ENTITIES_PER_CONTROLLER,
)
from custom_components.future_fish.diagnostics import async_get_config_entry_diagnostics

from .common import HEARTBEAT, STARTUP, report, send, setup_hub
from .test_repairs import FixFlow

NOW: Final = datetime(2026, 6, 3, 9, 0, tzinfo=UTC)
SENSORS: Final = {"data": {"temperature": 21.5, "feed1": 40}}


def invented(number: int) -> str:
    """Return an invented controller id, as a stranger on the broker would."""
    return ":".join(f"{byte:02X}" for byte in (0x02, 0xAB, *number.to_bytes(4)))


def controller_devices(hass: HomeAssistant, entry: MockConfigEntry) -> set[str]:
    """Return the Future Fish identifiers of the entry's controller devices."""
    return {
        key
        for device in dr.async_entries_for_config_entry(
            dr.async_get(hass), entry.entry_id
        )
        for domain, key in device.identifiers
        if domain == DOMAIN and "_pond" not in key
    }


def issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    """Return the hub's unknown-controllers repair issue, if raised."""
    return ir.async_get(hass).async_get_issue(
        DOMAIN, f"unknown_controllers_{entry.entry_id}"
    )


def ours(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Return the warnings the integration logged."""
    return [
        record
        for record in caplog.records
        if record.name.startswith("custom_components.future_fish")
        and record.levelno >= logging.WARNING
    ]


def count(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """Return how many waiting ids the issue says appeared."""
    found = issue(hass, entry)
    assert found is not None
    assert found.translation_placeholders is not None
    return found.translation_placeholders["count"]


async def admission(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """Return what the diagnostics say about ids waiting at the door."""
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    result: dict[str, Any] = diagnostics["hub"]["admission"]
    return result


async def fix_flows(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    hass_admin_user: MockUser,
) -> FixFlow:
    """Return the repairs dashboard's client, with a token fresh at the frozen time."""
    refresh_token = await hass.auth.async_create_refresh_token(
        hass_admin_user, CLIENT_ID
    )
    return FixFlow(
        await hass_client(hass.auth.async_create_access_token(refresh_token))
    )


async def repairs(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    hass_admin_user: MockUser,
) -> FixFlow:
    """Load the repairs dashboard; return its client."""
    assert await async_setup_component(hass, REPAIRS_DOMAIN, {})
    return await fix_flows(hass, hass_client, hass_admin_user)


async def advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    """Let time pass and run what became due."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def running_hub(hass: HomeAssistant) -> MockConfigEntry:
    """Return a hub that knows its farm's one controller (set up, then reloaded)."""
    entry = await setup_hub(hass)
    await report(hass)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def heartbeats(hass: HomeAssistant, numbers: range, **fields: Any) -> None:
    """Let invented ids each send a heartbeat."""
    for number in numbers:
        send(hass, "heartbeat", {**HEARTBEAT, **fields}, invented(number))
    await hass.async_block_till_done()


@pytest.fixture(autouse=True)
def frozen(freezer: FrozenDateTimeFactory) -> None:
    """Start every test at the same moment."""
    freezer.move_to(NOW)


async def test_default_maximum_follows_the_entity_budget(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """As many controllers as Home Assistant's entity budget of one entry holds."""
    entry = await setup_hub(hass)
    await report(hass)
    enabled = er.async_get(hass).entities.get_enabled_count_for_config_entry_id(
        entry.entry_id
    )

    # One controller with its two ponds.
    assert enabled == ENABLED_ENTITIES_PER_CONTROLLER
    assert (
        entity_platform.MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY // enabled
    ) == DEFAULT_MAX_CONTROLLERS
    result = await hass.config_entries.options.async_init(entry.entry_id)
    defaults = {
        str(key): key.default()
        for key in result["data_schema"].schema
        if callable(getattr(key, "default", None))
    }
    assert defaults["max_controllers"] == DEFAULT_MAX_CONTROLLERS


async def test_new_hub_meets_a_running_farm(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    hass_client: ClientSessionGenerator,
) -> None:
    """A hub that knows no controller yet admits a whole farm at once."""
    entry = await setup_hub(hass)
    await heartbeats(hass, range(40))

    assert len(controller_devices(hass, entry)) == 40
    assert issue(hass, entry) is None
    assert (await admission(hass, entry))["grace_until"] == (
        "2026-06-03T09:02:00+00:00"
    )


async def test_strangers_wait_at_the_door(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    hass_client: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Beyond 10 new ids a minute: pending, one repair issue, logged once."""
    entry = await running_hub(hass)
    caplog.clear()
    await heartbeats(hass, range(25))

    assert len(controller_devices(hass, entry)) == 1 + 10
    # Counted once the burst had a moment: one issue, not one per id.
    assert issue(hass, entry) is None
    await advance(hass, freezer, 10)
    found = issue(hass, entry)
    assert found is not None
    assert found.is_fixable
    assert found.translation_placeholders == {
        "count": "15",
        "prefix": "ff",
        "rate": "10",
    }
    warnings = ours(caplog)
    assert len(warnings) == 1
    assert "more than 10 unknown controller ids appeared in a minute" in (
        warnings[0].getMessage()
    )
    # They keep reporting: still waiting, nothing logged again.
    await heartbeats(hass, range(25))
    assert len(controller_devices(hass, entry)) == 11
    assert len(ours(caplog)) == 1

    # A retained `online` status of an unknown id waits as well.
    send(hass, "status", "online", invented(400))
    await hass.async_block_till_done()
    assert invented(400).lower() not in controller_devices(hass, entry)

    # A controller that boots is admitted at once, whatever the rate.
    send(hass, "startup", STARTUP, invented(100))
    await hass.async_block_till_done()
    assert invented(100).lower() in controller_devices(hass, entry)

    # More arrive: the issue's count follows at a calm pace.
    await heartbeats(hass, range(200, 210))
    await advance(hass, freezer, 5)
    assert count(hass, entry) == "15"
    await advance(hass, freezer, 5)
    assert count(hass, entry) == "26"
    assert await admission(hass, entry) == {
        "grace_until": None,
        "pending": 26,
        "held": 26,
        "refused_messages": 41,
    }

    # A minute later the door opens for a few again.
    await advance(hass, freezer, 50)
    await heartbeats(hass, range(300, 310))
    assert len(controller_devices(hass, entry)) == 12 + 10


async def test_waiting_ids_are_bounded_and_forgotten(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    hass_client: ClientSessionGenerator,
) -> None:
    """However many ids are invented, at most 100 wait, and not for ever."""
    entry = await running_hub(hass)
    await heartbeats(hass, range(500))
    # Ids heard on sensors only are not even candidates yet.
    for number in range(1000, 1500):
        send(hass, "sensors", SENSORS, invented(number))
    await hass.async_block_till_done()

    assert len(controller_devices(hass, entry)) == 11
    assert (await admission(hass, entry))["pending"] == 100
    await advance(hass, freezer, 6 * 3600)
    await heartbeats(hass, range(600, 611))  # ten are admitted, one waits
    assert (await admission(hass, entry))["pending"] == 1


async def test_an_id_heard_first_on_readings_is_shown_at_once(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """A running controller heard first on `sensors` is shown with that message.

    Within a farm's pace, readings admit like heartbeats: the start-up issue wants a
    controller shown within a second of its first message of any kind.
    """
    entry = await running_hub(hass)
    stranger = invented(7)
    send(hass, "sensors", SENSORS, stranger)
    await hass.async_block_till_done()
    assert stranger.lower() in controller_devices(hass, entry)


async def start_fix(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, flows: FixFlow
) -> tuple[MockConfigEntry, dict[str, Any]]:
    """Let 5 steady and 15 one-off strangers wait; open the issue's fix flow."""
    entry = await running_hub(hass)
    await heartbeats(hass, range(10))  # the ten the minute admits
    await heartbeats(hass, range(100, 120))
    await advance(hass, freezer, 70)
    await heartbeats(hass, range(10, 20))  # the next minute's ten
    await heartbeats(hass, range(100, 105))  # the steady ones report again
    menu = await flows.start(f"unknown_controllers_{entry.entry_id}")
    assert menu["type"] == FlowResultType.MENU
    assert menu["menu_options"] == ["add", "ignore"]
    return entry, menu


async def test_fix_flow_adds_the_chosen_ids(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    hass_client: ClientSessionGenerator,
    hass_admin_user: MockUser,
) -> None:
    """The steady ones come ticked; those added appear with their next message."""
    flows = await repairs(hass, hass_client, hass_admin_user)
    entry, menu = await start_fix(hass, freezer, flows)
    form = await flows.submit(menu["flow_id"], {"next_step_id": "add"})
    assert form["step_id"] == "add"
    assert form["description_placeholders"] == {"waiting": "20"}
    (field,) = form["data_schema"]
    steady = [invented(number).lower() for number in range(100, 105)]
    assert sorted(field["default"]) == sorted(steady)
    assert len(field["selector"]["select"]["options"]) == 20

    done = await flows.submit(form["flow_id"], {"controllers": steady[:3]})
    assert done["type"] == FlowResultType.CREATE_ENTRY
    assert issue(hass, entry) is None
    before = controller_devices(hass, entry)
    await heartbeats(hass, range(100, 120))
    assert controller_devices(hass, entry) - before == set(steady[:3])


async def test_fix_flow_ignores_them(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    hass_client: ClientSessionGenerator,
    hass_admin_user: MockUser,
) -> None:
    """Ignored ids stay out even when the door is open again."""
    flows = await repairs(hass, hass_client, hass_admin_user)
    entry, menu = await start_fix(hass, freezer, flows)
    done = await flows.submit(menu["flow_id"], {"next_step_id": "ignore"})
    assert done["type"] == FlowResultType.CREATE_ENTRY
    assert issue(hass, entry) is None

    await advance(hass, freezer, 120)
    before = controller_devices(hass, entry)
    await heartbeats(hass, range(100, 120))
    assert controller_devices(hass, entry) == before
    diagnostics = await admission(hass, entry)
    assert diagnostics["pending"] == 0


async def test_fix_flow_when_nothing_waits_or_the_hub_is_gone(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    hass_client: ClientSessionGenerator,
    hass_admin_user: MockUser,
) -> None:
    """Forgotten ids, or an unloaded hub: the flow says why it cannot go on."""
    flows = await repairs(hass, hass_client, hass_admin_user)
    entry, menu = await start_fix(hass, freezer, flows)
    await advance(hass, freezer, 7 * 3600)
    flows = await fix_flows(hass, hass_client, hass_admin_user)
    aborted = await flows.submit(menu["flow_id"], {"next_step_id": "add"})
    assert aborted["reason"] == "nothing_waits"

    for step in ("add", "ignore"):
        menu = await flows.start(f"unknown_controllers_{entry.entry_id}")
        assert await hass.config_entries.async_unload(entry.entry_id)
        aborted = await flows.submit(menu["flow_id"], {"next_step_id": step})
        assert aborted["reason"] == "hub_unavailable"
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        await heartbeats(hass, range(1000, 1020))
        await advance(hass, freezer, 10)
