"""The shipped translations: complete, nothing extra, and every placeholder kept.

English (translations/en.json, generated from strings.json) is the reference. A
translation that misses a key shows English in its place; one with a key English
lacks is dead text; one that drops or renames a placeholder makes Home Assistant
fail to format the message, so the user sees no text at all.
"""

from collections.abc import Iterator
import json
from pathlib import Path
import re
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations
import pytest

from custom_components.future_fish.const import DOMAIN

TRANSLATIONS: Final = (
    Path(__file__).parent.parent / "custom_components" / DOMAIN / "translations"
)
# Every language shipped besides English, in the codes Home Assistant uses.
LANGUAGES: Final = ("de", "nl", "fr", "es", "pt-BR", "id", "vi")

PLACEHOLDER: Final = re.compile(r"\{([^{}]*)\}")
CODE_SPAN: Final = re.compile(r"`[^`]*`")


def _flatten(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _flatten(value, f"{path}::{key}" if path else key)
    else:
        yield path, node


def _strings(name: str) -> dict[str, Any]:
    text = (TRANSLATIONS / name).read_text(encoding="utf-8")
    return dict(_flatten(json.loads(text)))


ENGLISH: Final = _strings("en.json")


def test_languages_are_the_files_shipped() -> None:
    """LANGUAGES lists exactly the translation files there are besides English."""
    shipped = {path.stem for path in TRANSLATIONS.glob("*.json")} - {"en"}

    assert shipped == set(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_value_is_a_non_empty_string(language: str) -> None:
    """The file is valid JSON whose every leaf is text."""
    strings = _strings(f"{language}.json")

    not_text = [key for key, value in strings.items() if not isinstance(value, str)]
    empty = [
        key
        for key, value in strings.items()
        if isinstance(value, str) and not value.strip()
    ]
    assert not not_text
    assert not empty


@pytest.mark.parametrize("language", LANGUAGES)
def test_keys_are_those_of_english(language: str) -> None:
    """No key is missing, none is extra."""
    strings = _strings(f"{language}.json")

    assert sorted(set(ENGLISH) - set(strings)) == []
    assert sorted(set(strings) - set(ENGLISH)) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_and_markup_are_kept(language: str) -> None:
    """Each string has English's placeholders, code spans and bold markers."""
    strings = _strings(f"{language}.json")

    changed = {
        key: (english, strings[key])
        for key, english in ENGLISH.items()
        if key in strings
        and isinstance(strings[key], str)
        and (
            sorted(PLACEHOLDER.findall(english))
            != sorted(PLACEHOLDER.findall(strings[key]))
            or sorted(CODE_SPAN.findall(english))
            != sorted(CODE_SPAN.findall(strings[key]))
            or english.count("**") != strings[key].count("**")
        )
    }
    assert changed == {}


@pytest.mark.parametrize("language", LANGUAGES)
async def test_home_assistant_loads_the_language(
    hass: HomeAssistant, language: str
) -> None:
    """Home Assistant's translation loader gives the language's own text, not English."""
    loaded = await async_get_translations(hass, language, "entity", [DOMAIN])
    english = await async_get_translations(hass, "en", "entity", [DOMAIN])

    key = f"component.{DOMAIN}.entity.sensor.dissolved_oxygen.name"
    assert loaded.keys() == english.keys()
    assert loaded[key] != english[key]
