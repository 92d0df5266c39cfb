"""Render the brand images of the integration from brand/source.svg.

Home Assistant 2026.3 and newer show a custom integration's own icon and logo from
its `brand/` folder. The images follow the rules of Home Assistant's brands
repository: PNG with transparency, icon square at 256 px (512 px for @2x), logo with
its shortest side between 128 and 256 px (256 and 512 for @2x), trimmed.

The shapes are drawn with Pillow (installed with Home Assistant), four times larger
and then scaled down for smooth edges, so the images come out the same on every
machine without a system SVG library. Only the SVG subset described at the top of
source.svg is understood; anything else is refused rather than drawn wrongly.

    scripts/brand          write the PNGs
    scripts/brand --check  exit 1 if a PNG differs from what the SVG gives
"""

import argparse
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from math import cos, pi, sin
from pathlib import Path
import re
import sys
from xml.etree import ElementTree as ET

from PIL import Image, ImageChops, ImageDraw

BRAND = Path(__file__).parent.parent / "custom_components" / "future_fish" / "brand"
SOURCE = BRAND / "source.svg"
SVG = "{http://www.w3.org/2000/svg}"
# Output file: (group id in source.svg, width, height).
OUTPUTS = {
    "icon.png": ("icon", 256, 256),
    "icon@2x.png": ("icon", 512, 512),
    "logo.png": ("logo", 512, 256),
    "logo@2x.png": ("logo", 1024, 512),
}
SUPERSAMPLE = 4
# Straight segments per Bézier curve, at the supersampled size.
CURVE_STEPS = 32
PATH_TOKEN = re.compile(r"[MLQCZ]|-?(?:\d+\.?\d*|\.\d+)")
TRANSFORM = re.compile(r"(translate|scale)\(\s*([^)]*)\)")

type Point = tuple[float, float]


@dataclass(frozen=True)
class Transform:
    """Scale, then translate: all the subset needs."""

    sx: float = 1
    sy: float = 1
    tx: float = 0
    ty: float = 0

    def then(self, outer: Transform) -> Transform:
        """Return this transform followed by `outer`."""
        return Transform(
            self.sx * outer.sx,
            self.sy * outer.sy,
            self.tx * outer.sx + outer.tx,
            self.ty * outer.sy + outer.ty,
        )

    def apply(self, point: Point) -> Point:
        """Return where `point` goes."""
        return point[0] * self.sx + self.tx, point[1] * self.sy + self.ty


def parse_transform(text: str | None) -> Transform:
    """Return the transform of a `transform` attribute (translate and scale)."""
    result = Transform()
    # SVG applies the rightmost transform first.
    for kind, args in reversed(TRANSFORM.findall(text or "")):
        values = [float(v) for v in args.replace(",", " ").split()]
        if kind == "translate":
            step = Transform(tx=values[0], ty=values[1] if len(values) > 1 else 0)
        else:
            step = Transform(sx=values[0], sy=values[-1])
        result = result.then(step)
    return result


def _bezier(points: list[Point]) -> Iterator[Point]:
    """Yield a quadratic or cubic Bézier curve as points, without its start."""
    for step in range(1, CURVE_STEPS + 1):
        t = step / CURVE_STEPS
        layer = points
        while len(layer) > 1:  # de Casteljau
            layer = [
                (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)
                for a, b in pairwise(layer)
            ]
        yield layer[0]


def parse_path(d: str) -> list[list[Point]]:
    """Return the closed outlines of a path's absolute M, L, Q, C and Z commands."""
    tokens = PATH_TOKEN.findall(d)
    if "".join(tokens).replace(" ", "") != re.sub(r"[\s,]", "", d):
        raise ValueError(f"unsupported path data: {d}")
    outlines: list[list[Point]] = []
    current: list[Point] = []
    command = ""
    position = 0
    sizes = {"M": 1, "L": 1, "Q": 2, "C": 3, "Z": 0}
    while position < len(tokens):
        if tokens[position] in sizes:
            command = tokens[position]
            position += 1
        count = sizes[command]
        numbers = [float(v) for v in tokens[position : position + 2 * count]]
        position += 2 * count
        points = list(zip(numbers[::2], numbers[1::2], strict=True))
        if command == "M":
            if current:
                outlines.append(current)
            current = points
        elif command == "L":
            current.extend(points)
        elif command in {"Q", "C"}:
            current.extend(_bezier([current[-1], *points]))
        else:
            outlines.append(current)
            current = []
    if current:
        outlines.append(current)
    return outlines


def _outlines(element: ET.Element) -> list[list[Point]]:
    """Return a circle or path as outlines in its own coordinates."""
    tag = element.tag.removeprefix(SVG)
    if tag == "path":
        return parse_path(element.attrib["d"])
    if tag == "circle":
        cx, cy, r = (float(element.attrib[k]) for k in ("cx", "cy", "r"))
        steps = 4 * CURVE_STEPS
        return [
            [
                (cx + r * cos(2 * pi * i / steps), cy + r * sin(2 * pi * i / steps))
                for i in range(steps)
            ]
        ]
    raise ValueError(f"unsupported element <{tag}>")


class Renderer:
    """Draws one group of the source onto a supersampled RGBA canvas."""

    def __init__(self, root: ET.Element, size: tuple[int, int]) -> None:
        """Prepare a canvas of `size` (already supersampled)."""
        self.by_id = {e.attrib["id"]: e for e in root.iter() if "id" in e.attrib}
        self.size = size
        self.canvas = Image.new("RGBA", size, (0, 0, 0, 0))

    def mask(self, element: ET.Element, transform: Transform) -> Image.Image:
        """Return the coverage of a shape (255 inside)."""
        mask = Image.new("L", self.size, 0)
        draw = ImageDraw.Draw(mask)
        for outline in _outlines(element):
            draw.polygon([transform.apply(p) for p in outline], fill=255)
        return mask

    def draw(
        self, element: ET.Element, transform: Transform, clip: Image.Image | None
    ) -> None:
        """Draw an element and its children."""
        tag = element.tag.removeprefix(SVG)
        transform = parse_transform(element.attrib.get("transform")).then(transform)
        if reference := element.attrib.get("clip-path"):
            (shape,) = self.by_id[reference.removeprefix("url(#").removesuffix(")")]
            own = self.mask(shape, transform)
            clip = own if clip is None else ImageChops.multiply(clip, own)
        if tag == "g":
            for child in element:
                self.draw(child, transform, clip)
        elif tag == "use":
            self.draw(
                self.by_id[element.attrib["href"].removeprefix("#")], transform, clip
            )
        else:
            mask = self.mask(element, transform)
            if clip is not None:
                mask = ImageChops.multiply(mask, clip)
            layer = Image.new("RGBA", self.size, element.attrib["fill"])
            layer.putalpha(mask)
            self.canvas = Image.alpha_composite(self.canvas, layer)


def render(source: str, group: str, width: int, height: int) -> Image.Image:
    """Return the group `group` of an SVG text drawn at width x height."""
    root = ET.fromstring(source)  # noqa: S314 (our own file, not untrusted input)
    element = next(e for e in root.iter() if e.attrib.get("id") == group)
    x, y, box_width, box_height = (float(v) for v in element.attrib["data-box"].split())
    size = (width * SUPERSAMPLE, height * SUPERSAMPLE)
    renderer = Renderer(root, size)
    scale = Transform(sx=size[0] / box_width, sy=size[1] / box_height)
    # The group's own transform places it in the sheet; the box is in sheet units.
    to_canvas = Transform(tx=-x, ty=-y).then(scale)
    for child in element:
        renderer.draw(
            child,
            parse_transform(element.attrib.get("transform")).then(to_canvas),
            None,
        )
    return renderer.canvas.resize((width, height), Image.Resampling.LANCZOS)


def images() -> dict[str, Image.Image]:
    """Return every brand image as source.svg gives it."""
    source = SOURCE.read_text(encoding="utf-8")
    return {name: render(source, *spec) for name, spec in OUTPUTS.items()}


def main() -> int:
    """Write the PNGs, or with --check report those that differ from the SVG."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    check = parser.parse_args().check
    stale = []
    for name, image in images().items():
        target = BRAND / name
        if check:
            if not target.is_file() or Image.open(target).tobytes() != image.tobytes():
                stale.append(name)
        else:
            image.save(target, optimize=True)
    if stale:
        print(f"out of date: {', '.join(stale)}; run scripts/brand")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
