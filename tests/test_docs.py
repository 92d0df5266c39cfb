"""The documentation: current with the code, complete, with working links and examples.

docs/PROTOCOL.md's tables are generated from the code by scripts/protocol_doc.py;
the README and docs/ must name every entity, option, action and event the
integration has, link only to what exists, and their automations and scripts must
pass Home Assistant's own configuration validation.
"""

from collections.abc import Iterator
import importlib.util
import json
from pathlib import Path
import re
from types import ModuleType
from typing import Any, Final
import unicodedata

from homeassistant.components.automation.config import (
    async_validate_config_item as async_validate_automation,
)
from homeassistant.components.script.config import (
    async_validate_config_item as async_validate_script,
)
from homeassistant.core import HomeAssistant
import probatio
import pytest
import yaml

from custom_components.future_fish import commands, const
from custom_components.future_fish.services import (
    SERVICE_CLEAR_LIMIT,
    SERVICE_FEED,
    SERVICE_REBOOT,
    SERVICE_RECORD_HARVEST,
    SERVICE_RECORD_MORTALITY,
    SERVICE_RECORD_SAMPLE,
    SERVICE_RESTOCK,
    SERVICE_SET_LIMIT,
    SERVICE_SET_THRESHOLD,
    SERVICE_UPDATE_FIRMWARE,
    SERVICE_WATER,
)

from .doc_examples import ROOT, Example, examples, pages, without_code

SCRIPT: Final = ROOT / "scripts" / "protocol_doc.py"
EN: Final = ROOT / "custom_components" / "future_fish" / "translations" / "en.json"
# Images scripts/screenshots takes in a browser; that check makes sure they exist.
GENERATED_IMAGES: Final = ROOT / "docs" / "screenshots"
_LINK: Final = re.compile(r"!?\[[^\]]*\]\((?P<target>[^)\s]+)\)")
_HEADING: Final = re.compile(r"^#{1,6}\s+(?P<title>.+?)\s*#*\s*$", re.MULTILINE)


@pytest.fixture(scope="module")
def protocol_doc() -> ModuleType:
    """Load scripts/protocol_doc.py, which is a script, not a package module."""
    spec = importlib.util.spec_from_file_location("protocol_doc", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- docs/PROTOCOL.md -----------------------------------------------------------------


def test_protocol_doc_is_current(
    protocol_doc: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    """The generated tables say what the code does (else run the script)."""
    assert protocol_doc.main(["--check"]) == 0, capsys.readouterr().out


def test_protocol_doc_check_finds_and_fixes_stale_tables(
    protocol_doc: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A hand-edited table fails the check; running the script restores it."""
    current = protocol_doc.DOC.read_text(encoding="utf-8")
    stale = current.replace("| `FEED` | standard |", "| `FEED` | compact |")
    assert stale != current
    doc = tmp_path / "PROTOCOL.md"
    doc.write_text(stale, encoding="utf-8")

    assert protocol_doc.main(["--check", "--doc", str(doc)]) == 1
    assert "out of date" in capsys.readouterr().out
    assert doc.read_text(encoding="utf-8") == stale
    assert protocol_doc.main(["--doc", str(doc)]) == 0
    assert doc.read_text(encoding="utf-8") == current


@pytest.mark.parametrize(
    ("edit", "error"),
    [
        (
            lambda text: text.replace("<!-- generated:timing -->\n", "", 1),
            "lacks the generated regions ['timing']",
        ),
        (
            lambda text: (
                text + "\n<!-- generated:novel -->\n<!-- /generated:novel -->\n"
            ),
            "unknown generated region 'novel'",
        ),
        (
            lambda text: (
                text + "\n<!-- generated:alarm -->\n<!-- /generated:alarm -->\n"
            ),
            "generated region 'alarm' appears twice",
        ),
    ],
)
def test_protocol_doc_refuses_broken_markers(
    protocol_doc: ModuleType,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    edit: Any,
    error: str,
) -> None:
    """Every region appears exactly once, and only regions the script knows."""
    doc = tmp_path / "PROTOCOL.md"
    doc.write_text(edit(protocol_doc.DOC.read_text(encoding="utf-8")), "utf-8")
    assert protocol_doc.main(["--doc", str(doc)]) == 1
    assert error in capsys.readouterr().out


@pytest.mark.parametrize(
    ("table", "change", "error"),
    [
        (
            "TOPIC_MEANINGS",
            lambda meanings: {k: v for k, v in meanings.items() if k != "threshold"},
            "MessageKind: no description for ['threshold']",
        ),
        (
            "IDENTITY_MEANINGS",
            lambda meanings: meanings | {"uptime": "seconds since boot"},
            "described but not in the code: ['uptime']",
        ),
        (
            "SENSOR_KEY_NOTES",
            lambda notes: {k: v for k, v in notes.items() if k != "water2"},
            "sensors keys: no description for ['water2']",
        ),
        (
            "COMMAND_MEANINGS",
            lambda meanings: {k: v for k, v in meanings.items() if k != "FEED"},
            "command meanings: no description for ['FEED']",
        ),
        (
            "ALARM_FIELDS",
            lambda alarm: {k: v for k, v in alarm.items() if k != "pond"},
            "threshold fields: no description for ['pond']",
        ),
    ],
)
def test_protocol_doc_wants_a_description_for_everything(
    protocol_doc: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    table: str,
    change: Any,
    error: str,
) -> None:
    """A new topic, field, key or command cannot slip into the code undocumented."""
    monkeypatch.setattr(protocol_doc, table, change(getattr(protocol_doc, table)))
    with pytest.raises(protocol_doc.DocError, match=re.escape(error)):
        protocol_doc.render(protocol_doc.DOC.read_text(encoding="utf-8"))


def test_protocol_doc_examples_are_what_is_published(protocol_doc: ModuleType) -> None:
    """The example envelopes are built by protocol.py: spot-check two by hand."""
    doc = protocol_doc.DOC.read_text(encoding="utf-8")
    assert (
        '{"id":"3f1c0a6e5b6d4f0e9a8b7c6d5e4f3a2b","type":"THRESH","pos":1,'
        '"p":"do","u":12.0,"l":4.0}'
    ) in doc
    assert '"command_type":"REBOOT","pond_position":1,"parameters":{}' in doc


# --- completeness ------------------------------------------------------------------------


def _documentation() -> str:
    return "\n".join(page.read_text(encoding="utf-8") for page in pages()).casefold()


def _names(node: Any, *path: str) -> Iterator[str]:
    for key in path:
        node = node.get(key, {})
    yield from node.values()


def _documented_strings() -> Iterator[tuple[str, str]]:
    """Yield (what, English text) for everything a user can meet in the UI."""
    strings = json.loads(EN.read_text(encoding="utf-8"))
    for platform, entities in strings["entity"].items():
        for key, entity in entities.items():
            if "name" in entity:
                yield f"{platform} entity {key}", entity["name"]
    for step in ("user", "reconfigure"):
        for label in _names(strings, "config", "step", step, "data"):
            yield f"setup field of {step}", label
    init = strings["options"]["step"]["init"]
    for label in init.get("data", {}).values():
        yield "option", label
    for section in init.get("sections", {}).values():
        for label in section["data"].values():
            yield f"option in section {section['name']}", label


@pytest.mark.parametrize(("what", "text"), list(_documented_strings()), ids=str)
def test_everything_in_the_ui_is_documented(what: str, text: str) -> None:
    """Every entity, setup field and option appears by its English name."""
    # A placeholder ({quantity} ...) stands for any words.
    pattern = ".+?".join(re.escape(part) for part in re.split(r"\{\w+\}", text))
    documented = re.search(pattern.casefold(), _documentation()) is not None
    assert documented, f"the {what} {text!r} is not documented in README.md or docs/"


def _events() -> list[str]:
    return sorted(
        {commands.EVENT_COMMAND}
        | {value for name, value in vars(const).items() if name.startswith("EVENT_")}
    )


@pytest.mark.parametrize(
    "name",
    [
        *(
            f"{const.DOMAIN}.{service}"
            for service in (
                SERVICE_FEED,
                SERVICE_WATER,
                SERVICE_UPDATE_FIRMWARE,
                SERVICE_REBOOT,
                SERVICE_SET_THRESHOLD,
                SERVICE_CLEAR_LIMIT,
                SERVICE_RESTOCK,
                SERVICE_RECORD_SAMPLE,
                SERVICE_RECORD_MORTALITY,
                SERVICE_RECORD_HARVEST,
                SERVICE_SET_LIMIT,
            )
        ),
        *_events(),
    ],
)
def test_every_action_and_event_is_documented(name: str) -> None:
    """Every action and every event can be found by its name."""
    assert name in _documentation(), f"{name} is not documented"


def test_services_yaml_lists_only_documented_actions() -> None:
    """No action exists that the test above does not know about."""
    services = yaml.safe_load(
        (ROOT / "custom_components" / "future_fish" / "services.yaml").read_text()
    )
    assert set(services) == {
        SERVICE_FEED,
        SERVICE_WATER,
        SERVICE_UPDATE_FIRMWARE,
        SERVICE_REBOOT,
        SERVICE_SET_THRESHOLD,
        SERVICE_CLEAR_LIMIT,
        SERVICE_RESTOCK,
        SERVICE_RECORD_SAMPLE,
        SERVICE_RECORD_MORTALITY,
        SERVICE_RECORD_HARVEST,
        SERVICE_SET_LIMIT,
    }


# --- links ---------------------------------------------------------------------------


def slug(title: str) -> str:
    """Return the anchor GitHub gives a heading."""
    kept = "".join(
        char
        for char in title.strip().lower()
        if char in " -_" or unicodedata.category(char)[0] in {"L", "N"}
    )
    return kept.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Return the anchors of a page's headings (repeated ones get -1, -2, ...)."""
    seen: dict[str, int] = {}
    result = set()
    for match in _HEADING.finditer(without_code(page.read_text(encoding="utf-8"))):
        base = slug(match["title"])
        count = seen.get(base, 0)
        seen[base] = count + 1
        result.add(base if count == 0 else f"{base}-{count}")
    return result


def test_slug_is_github_s() -> None:
    """The anchors this test expects are the ones GitHub makes."""
    assert slug("Voice (Assist)") == "voice-assist"
    assert (
        slug("11.2 Commands that are idempotent by `command_id`")
        == "112-commands-that-are-idempotent-by-command_id"
    )
    assert slug("Commands: confirmed, with deadlines and safe retries") == (
        "commands-confirmed-with-deadlines-and-safe-retries"
    )


def _links() -> list[tuple[Path, str]]:
    return [
        (page, match["target"])
        for page in pages()
        for match in _LINK.finditer(without_code(page.read_text(encoding="utf-8")))
        if not re.match(r"[a-z][a-z0-9+.-]*:", match["target"])  # http:, mailto:
    ]


@pytest.mark.parametrize(
    ("page", "target"),
    _links(),
    ids=lambda value: value.name if isinstance(value, Path) else value,
)
def test_every_link_leads_somewhere(page: Path, target: str) -> None:
    """Relative links point to files that exist, and anchors to their headings."""
    path_part, _, anchor = target.partition("#")
    path = (page.parent / path_part).resolve() if path_part else page
    if GENERATED_IMAGES in path.parents:
        return
    assert path.exists(), f"{page.name} links to {target}, which does not exist"
    if anchor:
        assert path.suffix == ".md", f"{page.name}: anchor into {path.name}"
        assert anchor in anchors(path), (
            f"{page.name} links to {target}, but {path.name} has no such heading"
        )


# --- examples --------------------------------------------------------------------------

# What a test instance cannot validate: device automations need that very device, and
# blueprints their file.
_NEEDS_MORE: Final = re.compile(
    r"'(trigger|condition|platform)': 'device'|use_blueprint"
)


def _examples() -> list[Example]:
    return [example for page in pages() for example in examples(page)]


def test_there_are_examples() -> None:
    """The pages do have examples, so the next test checks something."""
    kinds = {(example.page.name, example.kind) for example in _examples()}
    assert {
        ("README.md", "automation"),
        ("README.md", "script"),
        ("use-cases.md", "automation"),
        ("use-cases.md", "script"),
    } <= kinds


@pytest.mark.parametrize(
    "example",
    [example for example in _examples() if not _NEEDS_MORE.search(str(example.config))],
    ids=lambda example: f"{example.page.name}: {example.key}",
)
async def test_examples_are_valid_configuration(
    hass: HomeAssistant, example: Example
) -> None:
    """Every example automation and script passes Home Assistant's validation."""
    if example.kind == "automation":
        await async_validate_automation(hass, example.key, example.config)
    else:
        await async_validate_script(hass, example.key, example.config)


async def test_validation_would_catch_a_broken_example(hass: HomeAssistant) -> None:
    """The validation above is strict: a typo in an example does not pass."""
    config = {
        "alias": "Broken",
        "triggers": [{"trigger": "time", "at": "08:00:00"}],
        "actions": [{"action": "notify.notify", "data": {"message": "{{ oops"}}],
    }
    with pytest.raises(probatio.Invalid):
        await async_validate_automation(hass, "Broken", config)
    with pytest.raises(probatio.Invalid):
        await async_validate_script(hass, "broken", {"sequence": [{"actoin": "x.y"}]})
