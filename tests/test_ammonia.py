"""Un-ionised ammonia: the Ammonia alarm judges NH3-N, whatever the probe reports.

What a user sees: the Un-ionised ammonia sensor, the Ammonia alarm and its
attributes, the `future_fish_threshold` event, and the option that says what the
controllers' ammonia reading is.
"""

import json
from pathlib import Path
from typing import Any, Final

from homeassistant.components.select import ATTR_OPTION, SERVICE_SELECT_OPTION
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    ATTR_ENTITY_ID,
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_OFF,
    STATE_ON,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.future_fish.ammonia import AmmoniaReading, unionised_fraction
from custom_components.future_fish.config_flow import SECTION_ALARMS
from custom_components.future_fish.const import (
    CONF_ADD_NEW_CONTROLLERS,
    CONF_AMMONIA_READING,
    CONF_HEARTBEAT_TIMEOUT,
    CONF_MAX_CONTROLLERS,
    DEFAULT_MAX_CONTROLLERS,
    EVENT_THRESHOLD,
)

from .common import STARTUP, current, make_entry, send, setup_hub, writes

EN: Final = (
    Path(__file__).parent.parent
    / "custom_components"
    / "future_fish"
    / "translations"
    / "en.json"
)
CONTROLLER = "pond_controller_4134"
UNIONISED = f"sensor.{CONTROLLER}_un_ionised_ammonia"
AMMONIA = f"sensor.{CONTROLLER}_ammonia"
ALARM = f"binary_sensor.{CONTROLLER}_ammonia_alarm"
PROFILE = f"select.{CONTROLLER}_species_profile"
# Nile tilapia's ammonia upper limit, mg/L NH3-N.
TILAPIA_LIMIT = 0.06


async def sensors(hass: HomeAssistant, **data: float) -> None:
    """Let the controller report one sensors message with `data`."""
    send(hass, "sensors", {"data": data})
    await hass.async_block_till_done()


async def start(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set up a hub, let the controller boot, and choose Nile tilapia for it."""
    await setup_hub(hass, entry)
    send(hass, "startup", STARTUP)
    await hass.async_block_till_done()
    await hass.services.async_call(
        Platform.SELECT,
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: PROFILE, ATTR_OPTION: "nile_tilapia"},
        blocking=True,
    )


# --- the formula ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("temperature", "ph", "percent", "rounding"),
    [
        # UF/IFAS FA-16, Table 1 (from Emerson et al. 1975), as printed.
        pytest.param(25, 7, 0.56, 0.005, id="25C-pH7"),
        pytest.param(25, 8, 5.4, 0.05, id="25C-pH8"),
        pytest.param(25, 9, 36, 0.5, id="25C-pH9"),
    ],
)
def test_fraction_matches_fa16(
    temperature: float, ph: float, percent: float, rounding: float
) -> None:
    """The un-ionised share is FA-16's table value, within the table's rounding."""
    assert unionised_fraction(ph, temperature) * 100 == pytest.approx(
        percent, abs=rounding
    )


def test_fraction_rises_with_ph_and_temperature() -> None:
    """Warmer or more alkaline water makes more of the same TAN toxic."""
    assert unionised_fraction(8, 30) > unionised_fraction(8, 20)
    assert unionised_fraction(8.5, 25) > unionised_fraction(8, 25)


# --- with TAN (the default) ----------------------------------------------------------


async def test_sensor_unknown_until_all_inputs_are_known(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """TAN, pH and temperature are all needed; then NH3-N = TAN x fraction."""
    await start(hass, make_entry())
    state = current(hass, UNIONISED)
    assert state.state == STATE_UNKNOWN
    assert state.attributes[ATTR_UNIT_OF_MEASUREMENT] == "mg/L"
    assert state.attributes["state_class"] == "measurement"

    await sensors(hass, ammonia=1.0)
    assert current(hass, UNIONISED).state == STATE_UNKNOWN
    # Still nothing the alarm could judge: unknown, not off.
    assert current(hass, ALARM).state == STATE_UNKNOWN
    await sensors(hass, ph=8.0)
    assert current(hass, UNIONISED).state == STATE_UNKNOWN
    await sensors(hass, temperature=25.0)
    assert float(current(hass, UNIONISED).state) == pytest.approx(0.0537, abs=1e-4)
    # The controller's own reading is shown as it reported it.
    assert current(hass, AMMONIA).state == "1.0"


async def test_sensor_written_only_when_the_value_changes(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Repeated readings write nothing; a pH change writes once."""
    await start(hass, make_entry())
    await sensors(hass, ammonia=1.0, ph=7.0, temperature=25.0)
    captured = writes(hass, UNIONISED)

    await sensors(hass, ammonia=1.0, ph=7.0, temperature=25.0)
    # A message without any of the inputs (battery, levels) changes nothing either.
    await sensors(hass, battery=80)
    assert captured == []

    await sensors(hass, ph=9.0)
    assert len(captured) == 1
    assert float(current(hass, UNIONISED).state) == pytest.approx(0.3618, abs=1e-4)


async def test_alarm_judges_unionised_ammonia(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """The same TAN is harmless at pH 7 and harmful at pH 9."""
    events = async_capture_events(hass, EVENT_THRESHOLD)
    await start(hass, make_entry())
    # 1 mg/L TAN at 25 °C: 0.0056 mg/L NH3-N at pH 7, far below tilapia's 0.06.
    for _ in range(3):
        await sensors(hass, ammonia=1.0, ph=7.0, temperature=25.0)
    state = current(hass, ALARM)
    assert state.state == STATE_OFF
    assert state.attributes["value"] == pytest.approx(0.0056, abs=1e-4)
    assert events == []

    # 0.36 mg/L NH3-N at pH 9: after three readings, as any alarm.
    for _ in range(3):
        await sensors(hass, ammonia=1.0, ph=9.0, temperature=25.0)
    state = current(hass, ALARM)
    assert state.state == STATE_ON
    assert state.attributes["value"] == pytest.approx(0.3618, abs=1e-4)
    assert state.attributes["limit"] == "upper"
    assert state.attributes["limit_value"] == TILAPIA_LIMIT
    assert [event.data["quantity"] for event in events] == ["ammonia"]
    assert events[0].data["value"] == state.attributes["value"]
    assert current(hass, AMMONIA).state == "1.0"

    # Back to pH 7: off again, with the same TAN.
    await sensors(hass, ph=7.0)
    assert current(hass, ALARM).state == STATE_OFF


# --- with NH3-N ----------------------------------------------------------------------


async def test_nh3_n_reading_is_judged_directly(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, entity_registry: er.EntityRegistry
) -> None:
    """No Un-ionised ammonia sensor; the alarm judges the reading itself."""
    entry = make_entry(**{CONF_AMMONIA_READING: AmmoniaReading.NH3_N})
    await start(hass, entry)
    assert hass.states.get(UNIONISED) is None
    assert entity_registry.async_get(UNIONISED) is None

    # At pH 7 a TAN of 0.1 would be harmless; as NH3-N it is above the limit.
    for _ in range(3):
        await sensors(hass, ammonia=0.1, ph=7.0, temperature=25.0)
    state = current(hass, ALARM)
    assert state.state == STATE_ON
    assert state.attributes["value"] == 0.1

    await sensors(hass, ammonia=0.02)
    assert current(hass, ALARM).state == STATE_OFF


# --- the option -----------------------------------------------------------------------


def _options_input(**alarms: Any) -> dict[str, Any]:
    return {
        CONF_HEARTBEAT_TIMEOUT: 60,
        CONF_ADD_NEW_CONTROLLERS: True,
        CONF_MAX_CONTROLLERS: DEFAULT_MAX_CONTROLLERS,
        "commands": {},
        "firmware": {},
        SECTION_ALARMS: alarms,
        "hysteresis": {},
    }


async def test_option_round_trip(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, entity_registry: er.EntityRegistry
) -> None:
    """TAN by default; choosing NH3-N stores it flat, reloads and drops the sensor."""
    entry = make_entry()
    await start(hass, entry)
    await sensors(hass, ammonia=1.0, ph=7.0, temperature=25.0)
    assert entity_registry.async_get(UNIONISED) is not None
    ammonia = entity_registry.async_get(AMMONIA)

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    schema = result["data_schema"]
    assert schema is not None
    alarms = schema.schema[SECTION_ALARMS].schema
    assert alarms({})[CONF_AMMONIA_READING] == "tan"
    selector = alarms.schema[CONF_AMMONIA_READING].config
    assert selector["options"] == ["tan", "nh3_n"]
    translations = json.loads(EN.read_text(encoding="utf-8"))
    assert translations["selector"][selector["translation_key"]]["options"] == {
        "tan": "Total ammonia nitrogen (TAN)",
        "nh3_n": "Un-ionised ammonia (NH3-N)",
    }

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _options_input(**{CONF_AMMONIA_READING: "nh3_n"})
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_AMMONIA_READING] == "nh3_n"
    assert entry.state is ConfigEntryState.LOADED
    # Left over from TAN, it would stay as "no longer provided" on every controller.
    assert entity_registry.async_get(UNIONISED) is None
    assert entity_registry.async_get(AMMONIA) == ammonia

    # The form shows the stored choice next time.
    result = await hass.config_entries.options.async_init(entry.entry_id)
    schema = result["data_schema"]
    assert schema is not None
    section_value = schema.schema[SECTION_ALARMS]
    suggested = {
        str(key): (key.description or {}).get("suggested_value")
        for key in section_value.schema.schema
    }
    assert suggested[CONF_AMMONIA_READING] == "nh3_n"


async def test_option_refuses_other_values(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Only the two kinds of reading can be chosen."""
    entry = await setup_hub(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"], _options_input(**{CONF_AMMONIA_READING: "ppm"})
        )
    assert CONF_AMMONIA_READING not in entry.options
