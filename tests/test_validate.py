"""What a core reviewer (and hassfest, and HACS) would check, with their own rules.

Home Assistant's loader, translation, icon and service description loaders read the
files here exactly as they do at run time. Where the rules live only in tools that
are not installed (hassfest, HACS), they are transcribed with a note of where from.
"""

from collections.abc import Iterator
from importlib import import_module
from importlib.util import find_spec, module_from_spec, spec_from_file_location
import json
from pathlib import Path
import re
from types import ModuleType
from typing import Any, Final, Literal, get_args, get_origin, get_type_hints

from awesomeversion import AwesomeVersion
from homeassistant import loader
from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.const import __version__ as ha_version
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv, entity_registry as er
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.icon import async_get_icons
from homeassistant.helpers.service import async_get_all_descriptions
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml
import probatio
import pytest
from pytest_homeassistant_custom_component.typing import MqttMockHAClient
import yaml

from custom_components.future_fish import PLATFORMS, device_condition, device_trigger
from custom_components.future_fish.const import CONF_AMMONIA_READING, DOMAIN

from .common import report, setup_hub
from .source_keys import Source

ROOT: Final = Path(__file__).parent.parent
INTEGRATION: Final = ROOT / "custom_components" / DOMAIN


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


STRINGS: Final = _json(INTEGRATION / "strings.json")
ICONS: Final = _json(INTEGRATION / "icons.json")
SERVICES: Final = yaml.safe_load((INTEGRATION / "services.yaml").read_text("utf-8"))
# The sections of strings.json this file checks; a new one must be checked too.
STRINGS_SECTIONS: Final = {
    "config",
    "options",
    "entity",
    "exceptions",
    "issues",
    "services",
    "selector",
    "system_health",
    "device_automation",
}

# --- manifest.json -------------------------------------------------------------------

# hassfest (script/hassfest/manifest.py, not installed with Home Assistant): the IoT
# classes it accepts, and its key order: domain, name, then alphabetical.
IOT_CLASSES: Final = {
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
}
# Keys the loader adds to the manifest itself.
LOADER_KEYS: Final = {"is_built_in", "overwrites_built_in"}


def _conforms(value: Any, hint: Any) -> bool:
    """Return whether a JSON value has the type of a loader.Manifest field."""
    origin = get_origin(hint)
    if origin is Literal:
        return value in get_args(hint)
    if origin is list:
        (item,) = get_args(hint)
        return isinstance(value, list) and all(_conforms(v, item) for v in value)
    if origin is dict:
        key, item = get_args(hint)
        return isinstance(value, dict) and all(
            _conforms(k, key) and _conforms(v, item) for k, v in value.items()
        )
    if get_args(hint):  # a union such as str | dict[str, str]
        return any(_conforms(value, option) for option in get_args(hint))
    return isinstance(value, hint)


async def test_manifest(hass: HomeAssistant) -> None:
    """The loader accepts the manifest; its keys, types and order are hassfest's."""
    integration = await loader.async_get_integration(hass, DOMAIN)
    manifest = integration.manifest
    on_disk = _json(INTEGRATION / "manifest.json")

    # The loader refuses custom integrations without a valid version.
    assert not integration.is_built_in
    assert integration.version == AwesomeVersion(on_disk["version"])
    assert find_spec(f"homeassistant.components.{DOMAIN}") is None, "core domain"
    assert on_disk["domain"] == INTEGRATION.name
    assert list(on_disk) == [
        "domain",
        "name",
        *sorted(set(on_disk) - {"domain", "name"}),
    ]

    hints = get_type_hints(loader.Manifest)
    assert set(on_disk) <= set(hints) - LOADER_KEYS
    for key, value in on_disk.items():
        assert _conforms(value, hints[key]), (key, value)
        assert manifest[key] == value  # type: ignore[literal-required]
    assert on_disk["iot_class"] in IOT_CLASSES
    assert on_disk["codeowners"]
    assert all(
        re.fullmatch(r"@[\w-]+(/[\w-]+)?", owner) for owner in on_disk["codeowners"]
    )
    for key in ("documentation", "issue_tracker"):
        assert cv.url(on_disk[key]).startswith("https://")

    assert integration.config_flow == (INTEGRATION / "config_flow.py").is_file()
    assert integration.has_services
    assert integration.has_translations
    assert integration.has_branding
    assert await integration.resolve_dependencies() is not None
    for dependency in on_disk["dependencies"]:
        assert (await loader.async_get_integration(hass, dependency)).is_built_in


# --- hacs.json -------------------------------------------------------------------------

# HACS's HACS_MANIFEST_JSON_SCHEMA (hacs/integration, custom_components/hacs/utils/
# validate.py), which refuses unknown keys.
HACS_SCHEMA: Final = probatio.Schema(
    {
        probatio.Required("name"): str,
        probatio.Optional("content_in_root"): bool,
        probatio.Optional("country"): probatio.Any(str, [str]),
        probatio.Optional("filename"): str,
        probatio.Optional("hacs"): str,
        probatio.Optional("hide_default_branch"): bool,
        probatio.Optional("homeassistant"): str,
        probatio.Optional("persistent_directory"): str,
        probatio.Optional("render_readme"): bool,
        probatio.Optional("zip_release"): bool,
    },
    extra=probatio.PREVENT_EXTRA,
)


def test_hacs_json() -> None:
    """HACS accepts hacs.json and finds exactly our integration where it looks."""
    hacs = HACS_SCHEMA(_json(ROOT / "hacs.json"))

    assert hacs["name"] == _json(INTEGRATION / "manifest.json")["name"]
    assert not hacs.get("content_in_root", False)
    assert [
        path.name
        for path in (ROOT / "custom_components").iterdir()
        if path.is_dir() and path.name != "__pycache__"
    ] == [DOMAIN]
    assert not hacs.get("zip_release") or "filename" in hacs
    # The minimum version we announce is one we test with.
    assert AwesomeVersion(hacs["homeassistant"]) <= AwesomeVersion(ha_version)


# --- translations ----------------------------------------------------------------------


def _translations_script() -> ModuleType:
    spec = spec_from_file_location("translations", ROOT / "scripts" / "translations.py")
    assert spec is not None
    assert spec.loader is not None
    module = module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_en_json_is_generated_from_strings_json() -> None:
    """translations/en.json is what scripts/translations.py makes of strings.json."""
    expected = _translations_script().generate()

    assert (INTEGRATION / "translations" / "en.json").read_text("utf-8") == expected


def test_strings_have_only_checked_sections() -> None:
    """Every section of strings.json is one whose keys this file checks."""
    assert set(STRINGS) <= STRINGS_SECTIONS


async def test_home_assistant_loads_every_section(hass: HomeAssistant) -> None:
    """Home Assistant's translation loader finds each section in en.json."""
    for category in STRINGS:
        loaded = await async_get_translations(hass, "en", category, [DOMAIN])
        assert loaded, category
        assert all(key.startswith(f"component.{DOMAIN}.{category}.") for key in loaded)


# --- entities --------------------------------------------------------------------------


def _descriptions(value: Any) -> Iterator[EntityDescription]:
    """Yield the entity descriptions in a module attribute (tables included)."""
    # Home Assistant rebuilds description classes as frozen dataclasses, so an
    # isinstance check against the imported EntityDescription does not hold.
    if any(cls.__name__ == EntityDescription.__name__ for cls in type(value).__mro__):
        yield value
    elif isinstance(value, tuple | list | frozenset | set):
        for item in value:
            yield from _descriptions(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _descriptions(item)


def _platform_descriptions() -> dict[str, list[EntityDescription]]:
    """Return every entity description of every platform, by platform."""
    found: dict[str, list[EntityDescription]] = {}
    for platform in PLATFORMS:
        module = import_module(f"custom_components.{DOMAIN}.{platform}")
        unique = {
            id(description): description
            for value in vars(module).values()
            for description in _descriptions(value)
        }
        found[str(platform)] = list(unique.values())
    return found


DESCRIPTIONS: Final = _platform_descriptions()


def _keys(platform: str) -> set[str]:
    return {d.translation_key for d in DESCRIPTIONS[platform] if d.translation_key}


def test_every_platform_has_parallel_updates() -> None:
    """Every platform says how many updates may run at once (all are pushed)."""
    for platform in PLATFORMS:
        module = import_module(f"custom_components.{DOMAIN}.{platform}")
        assert getattr(module, "PARALLEL_UPDATES", None) == 0, platform


def test_entity_translation_keys_match_strings() -> None:
    """Each description has a translation key with a name; no name is unused."""
    for platform, descriptions in DESCRIPTIONS.items():
        assert all(d.translation_key for d in descriptions), platform
        translated = STRINGS["entity"].get(platform, {})
        assert set(translated) == _keys(platform), platform
        assert all(entry["name"] for entry in translated.values()), platform
    assert set(STRINGS["entity"]) <= set(DESCRIPTIONS)


def test_entity_states_are_translated() -> None:
    """An enum sensor's options are exactly its translated states."""
    for description in DESCRIPTIONS["sensor"]:
        translated = STRINGS["entity"]["sensor"][description.translation_key]
        if getattr(description, "device_class", None) is SensorDeviceClass.ENUM:
            assert set(translated["state"]) == set(description.options), description.key  # type: ignore[attr-defined]
        else:
            assert "state" not in translated, description.key


def _states(platform: str, description: EntityDescription) -> set[str] | None:
    """Return the states an entity can have, where they are a known set."""
    if platform == "binary_sensor":
        return {"on", "off"}
    options = getattr(description, "options", None)
    return None if options is None else set(options)


def test_icons_match_entities() -> None:
    """icons.json has icons only for real entities, states and numeric ranges.

    Every entity without a device class (which brings its own icon) has one.
    """
    for platform, icons in ICONS["entity"].items():
        assert set(icons) <= _keys(platform), platform
    for platform, descriptions in DESCRIPTIONS.items():
        icons = ICONS["entity"].get(platform, {})
        for description in descriptions:
            key = description.translation_key
            if getattr(description, "device_class", None) is None:
                assert key in icons, f"{platform}.{key} has neither icon nor class"
            icon = icons.get(key)
            if icon is None:
                continue
            assert icon["default"].startswith("mdi:")
            states = _states(platform, description)
            if "state" in icon:
                assert states is not None
                assert set(icon["state"]) <= states, key
            if "range" in icon:
                assert getattr(description, "native_unit_of_measurement", None)
                assert all(float(bound) >= 0 for bound in icon["range"])
            assert all(
                name.startswith("mdi:")
                for group in ("state", "range")
                for name in icon.get(group, {}).values()
            )


def test_no_icon_in_code() -> None:
    """Icons come from icons.json only, so they can follow states and themes."""
    for descriptions in DESCRIPTIONS.values():
        assert all(d.icon is None for d in descriptions)
    for path in INTEGRATION.glob("*.py"):
        assert "_attr_icon" not in path.read_text("utf-8"), path.name


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_entities_of_a_running_hub_are_described(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Every entity a reporting controller gets comes from a described table."""
    entry = await setup_hub(hass)
    await report(hass)

    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    assert entities
    for entity in entities:
        assert entity.translation_key in _keys(entity.domain), entity.entity_id
        assert entity.has_entity_name


# --- keys that exist only in code ------------------------------------------------------

SOURCE: Final = Source(INTEGRATION)


@pytest.mark.parametrize("section", ["exceptions", "issues"])
def test_exception_and_issue_keys(section: str) -> None:
    """Every key raised or reported in code is translated; no translation is left."""
    used = SOURCE.translation_keys(section)
    translated = set(STRINGS.get(section, {}))

    assert used.unresolved == []
    assert used.unknown(translated) == set()
    assert {key for key in translated if not used.uses(key)} == set()


def test_device_automation_keys() -> None:
    """Every device trigger and condition is named, and nothing else is."""
    names = STRINGS["device_automation"]

    assert set(names) == {"trigger_type", "condition_type"}
    assert set(names["trigger_type"]) == set(device_trigger.TRIGGERS)
    assert set(names["condition_type"]) == set(device_condition.CONDITIONS)


@pytest.mark.parametrize(
    ("section", "flow_base"), [("config", "ConfigFlow"), ("options", "OptionsFlow")]
)
def test_flow_keys(section: str, flow_base: str) -> None:
    """Steps, errors and aborts of the flows are exactly those translated."""
    for part, used in SOURCE.flow_keys(flow_base).items():
        translated = set(STRINGS[section].get(part, {}))
        assert used.unresolved == [], part
        assert used.unknown(translated) == set(), part
        assert {key for key in translated if not used.uses(key)} == set(), part


# --- actions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        ROOT / "custom_components" / "future_fish" / "services.yaml",
        *sorted((ROOT / "blueprints").rglob("*.yaml")),
    ],
    ids=lambda path: path.name,
)
def test_yaml_loads_without_warnings(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Home Assistant's YAML loader has nothing to say (it logs duplicate keys)."""
    load_yaml(path)
    assert caplog.records == []


async def test_actions_translations_and_icons(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    """Home Assistant loads services.yaml, and strings and icons describe exactly it.

    Each action and field has a name and a description, each action an icon, and
    each select selector's options are translated.
    """
    assert await async_setup_component(hass, DOMAIN, {})
    descriptions = (await async_get_all_descriptions(hass))[DOMAIN]
    icons = (await async_get_icons(hass, "services", [DOMAIN]))[DOMAIN]

    assert set(descriptions) == set(SERVICES) == set(STRINGS["services"])
    assert set(icons) == set(SERVICES)
    assert all(icon["service"].startswith("mdi:") for icon in icons.values())
    selectors = set()
    for action, description in descriptions.items():
        translated = STRINGS["services"][action]
        assert translated["name"]
        assert translated["description"]
        assert set(translated.get("fields", {})) == set(description["fields"]), action
        for field, spec in description["fields"].items():
            assert translated["fields"][field]["name"], (action, field)
            assert translated["fields"][field]["description"], (action, field)
            if select := spec["selector"].get("select"):
                selectors.add(select["translation_key"])
                options = STRINGS["selector"][select["translation_key"]]["options"]
                assert set(options) == set(select["options"]), (action, field)
    # Besides the options flow's own (tests/test_ammonia.py checks its options).
    assert set(STRINGS.get("selector", {})) == selectors | {CONF_AMMONIA_READING}


async def test_entity_icons_load(hass: HomeAssistant) -> None:
    """Home Assistant's icon loader reads icons.json as written."""
    loaded = await async_get_icons(hass, "entity", [DOMAIN])

    assert loaded[DOMAIN] == ICONS["entity"]
