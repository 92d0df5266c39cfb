"""Brand images: served by Home Assistant, within the brands rules, drawn from the SVG.

scripts/brand draws them from brand/source.svg.
"""

from importlib.util import module_from_spec, spec_from_file_location
from pathlib import Path
from types import ModuleType
from typing import Final

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from PIL import Image
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.future_fish.const import DOMAIN

ROOT: Final = Path(__file__).parent.parent
BRAND: Final = ROOT / "custom_components" / DOMAIN / "brand"


def _brand_script() -> ModuleType:
    spec = spec_from_file_location("brand", ROOT / "scripts" / "brand.py")
    assert spec is not None
    assert spec.loader is not None
    module = module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["icon.png", "icon@2x.png", "logo.png", "logo@2x.png"])
async def test_home_assistant_serves_our_images(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, name: str
) -> None:
    """The brands proxy answers with our file, not the CDN's placeholder."""
    assert await async_setup_component(hass, "brands", {})
    client = await hass_client()

    response = await client.get(f"/api/brands/integration/{DOMAIN}/{name}")

    assert response.status == 200
    assert response.content_type == "image/png"
    assert await response.read() == (BRAND / name).read_bytes()


@pytest.mark.parametrize(
    ("name", "shortest", "square"),
    [
        ("icon.png", (256, 256), True),
        ("icon@2x.png", (512, 512), True),
        ("logo.png", (128, 256), False),
        ("logo@2x.png", (256, 512), False),
    ],
)
def test_images_follow_the_brands_rules(
    name: str, shortest: tuple[int, int], square: bool
) -> None:
    """PNG with transparency, sized as the brands rules say, and trimmed.

    An icon is exactly square at its size, a logo landscape with its shortest side in
    range; trimmed means that the drawing reaches every edge.
    """
    with Image.open(BRAND / name) as image:
        assert image.format == "PNG"
        assert image.mode == "RGBA"
        width, height = image.size
        if square:
            assert width == height == shortest[1]
        else:
            assert width > height
            assert shortest[0] <= height <= shortest[1]
        alpha = image.getchannel("A")
        assert alpha.getbbox() == (0, 0, width, height)
        assert alpha.getextrema()[0] == 0  # transparent somewhere


def test_images_are_drawn_from_the_source() -> None:
    """scripts/brand --check would pass: every PNG is exactly what the SVG gives."""
    for name, drawn in _brand_script().images().items():
        with Image.open(BRAND / name) as image:
            assert image.size == drawn.size, name
            assert image.tobytes() == drawn.tobytes(), name
