"""The shape README "Architecture" describes: who may import whom."""

from pathlib import Path
import re
from typing import Final

from homeassistant.const import Platform

INTEGRATION: Final = Path(__file__).parent.parent / "custom_components" / "future_fish"
MODULES: Final = {path.stem: path.read_text() for path in INTEGRATION.glob("*.py")}
# Every `from .x import` and `from . import x`, TYPE_CHECKING blocks included.
IMPORTS: Final = {
    module: {
        name
        for name in re.findall(r"^\s*from \.(\w+) import", text, re.MULTILINE)
        + re.findall(r"^\s*from \. import (\w+)", text, re.MULTILINE)
        if name in MODULES
    }
    for module, text in MODULES.items()
}
PLATFORMS: Final = {platform.value for platform in Platform} & set(MODULES)


def test_no_import_cycle() -> None:
    """No module reaches itself through its imports."""
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " -> ".join((*path, module))
        if module in done:
            return
        for imported in sorted(IMPORTS[module]):
            visit(imported, (*path, module))
        done.add(module)

    for module in sorted(MODULES):
        visit(module, ())


def test_components_do_not_import_the_hub() -> None:
    """Only the entry setup, the platforms and the services know the coordinator."""
    allowed = (
        PLATFORMS
        | {"__init__", "entity", "services", "diagnostics"}
        | {
            "logbook",
            "system_health",
        }
    )
    importers = {module for module, names in IMPORTS.items() if "coordinator" in names}
    assert importers <= allowed, importers - allowed


def test_no_platform_imports_a_platform() -> None:
    """Platforms and the services share code through entity.py and helpers.py only."""
    for module in (*PLATFORMS, "services"):
        assert not IMPORTS[module] & PLATFORMS, (module, IMPORTS[module] & PLATFORMS)


def test_the_hub_stays_a_dispatcher() -> None:
    """coordinator.py subscribes and routes; what it grows belongs in a component."""
    assert len(MODULES["coordinator"].splitlines()) <= 350
