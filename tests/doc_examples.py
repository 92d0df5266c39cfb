"""The documentation as tests see it: pages, their links and their YAML examples."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
import re
from typing import Any, Final

import yaml

ROOT: Final = Path(__file__).resolve().parent.parent
README: Final = ROOT / "README.md"
DOCS: Final = ROOT / "docs"

_FENCE: Final = re.compile(
    r"^(```|~~~)(?P<lang>\w*)\n(?P<body>.*?)^\1[ \t]*$", re.MULTILINE | re.DOTALL
)


def pages() -> list[Path]:
    """Return README.md and every Markdown page under docs/."""
    return [README, *sorted(DOCS.rglob("*.md"))]


def without_code(text: str) -> str:
    """Return Markdown without its fenced code blocks (headings, links are prose)."""
    return _FENCE.sub("", text)


@dataclass(frozen=True)
class Example:
    """One automation or script from a page's YAML examples."""

    page: Path
    kind: str  # "automation" or "script"
    key: str  # the alias of an automation, the object id of a script
    config: dict[str, Any]


def examples(page: Path) -> Iterator[Example]:
    """Yield the automations and scripts of a page's ```yaml blocks."""
    for match in _FENCE.finditer(page.read_text(encoding="utf-8")):
        if match["lang"] != "yaml":
            continue
        block = yaml.safe_load(match["body"])
        if not isinstance(block, dict):
            continue
        for automation in block.get("automation", ()):
            yield Example(page, "automation", automation["alias"], automation)
        for object_id, script in block.get("script", {}).items():
            yield Example(page, "script", object_id, script)


def automation(alias: str, page: Path = README) -> dict[str, Any]:
    """Return the automation of a page with this alias."""
    for example in examples(page):
        if example.kind == "automation" and example.key == alias:
            return example.config
    raise LookupError(f"{page.name} has no automation {alias!r}")
