"""Check Future Fish in a real browser, as a user sees it, and take the screenshots.

`scripts/screenshots` runs this. It starts the `scripts/develop` stack (Mosquitto,
Home Assistant with its frontend, simulated controllers) in a throwaway
configuration directory on free ports, and drives Debian's Chromium with Playwright
(which downloads no browser here) through what a user does:

1. log in on Home Assistant's login page;
2. the Future Fish integration page lists the first simulated controller and its
   ponds (screenshot `integration.png`);
3. that controller's device page shows its water quality with values
   (`controller.png`);
4. on its first pond's device page, enter the pond's geometry, see the water level
   and feed level with values, press Feed and see "fed 100 g, done in ..." appear in
   the page's activity (logbook) card (`pond.png`).

Screenshots go to docs/screenshots/ (the README shows them), or to --output. It exits
non-zero when anything is not as expected, keeping its working directory (Home
Assistant's log, the processes' output, a screenshot of the failing page), and stops
everything it started in every case.
"""

import argparse
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
import re
import shutil
import signal
import sys
import tempfile
import time
from types import FrameType
from typing import Final

from playwright.sync_api import (
    Browser,
    Error as PlaywrightError,
    Locator,
    Page,
    ViewportSize,
    expect,
    sync_playwright,
)

from tools.broker import free_port
from tools.develop import PASSWORD, ROOT, USERNAME, run_stack
from tools.simulator.ids import device_ids
from tools.simulator.options import FleetOptions

OUTPUT: Final = ROOT / "docs" / "screenshots"
VIEWPORT: Final[ViewportSize] = {"width": 1280, "height": 900}
CONTROLLERS: Final = 3
# Sensors every 6 s instead of 30 s, so that every value is there within seconds.
SIMULATOR_ARGS: Final = ("--rate-multiplier", "5")
# Without the networking switches Chromium keeps trying to reach Google's services,
# which a closed network refuses, many connections at a time.
CHROMIUM_ARGS: Final = (
    "--no-sandbox",  # root in CI
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
# Long enough for a first telemetry cycle and a simulated feed (about 6 s).
TIMEOUT_MS: Final = 60_000

NUMBER = r"-?\d+(\.\d+)?"
# What each device page must show, by entity name: the state as a regular expression.
CONTROLLER_STATES: Final[Mapping[str, str]] = {
    "Water temperature": rf"{NUMBER} °C",
    "Dissolved oxygen": rf"{NUMBER} mg/L",
    "pH": NUMBER,
    "Turbidity": rf"{NUMBER} NTU",
    "Ammonia": rf"{NUMBER} mg/L",
    "Battery": rf"{NUMBER} ?%",
    "Connectivity": "Connected",
}
POND_STATES: Final[Mapping[str, str]] = {
    "Water level": rf"{NUMBER} ?%",
    "Feed level": rf"{NUMBER} ?%",
}
# The simulator's pond geometry (tools/simulator: sensor 150 cm above the floor,
# tank 120 cm deep), entered as the README tells users to.
POND_GEOMETRY: Final[Mapping[str, str]] = {"Sensor height": "150", "Tank depth": "120"}
FED = re.compile(rf"fed 100 g, done in {NUMBER} s")
# True once the page looks finished: no visible spinner, no image still loading, and
# every entity's icon drawn (icons arrive after the states; an entity with a picture,
# such as the firmware update, shows it as the badge's background). Walks the shadow
# roots.
SETTLED_JS: Final = """() => {
  const below = (root) => [...root.querySelectorAll("*")].flatMap(
    (element) => [element, ...(element.shadowRoot ? below(element.shadowRoot) : [])]
  );
  const elements = below(document);
  const busy = elements.some((element) =>
    (element.getAttribute("role") === "progressbar" && element.checkVisibility())
    || (element.tagName === "IMG" && !element.complete));
  const blank = elements.some((element) => element.tagName === "STATE-BADGE"
    && !element.style.backgroundImage
    && !below(element.shadowRoot ?? element).some(
      (node) => node.tagName === "path" && node.getAttribute("d")));
  return !busy && !blank;
}"""


class CheckFailedError(Exception):
    """The page did not show what it should."""


def save(page: Page, path: Path) -> None:
    """Photograph the page once it has settled, without the pointer's hover effects."""
    page.wait_for_function(SETTLED_JS, polling=250)
    page.mouse.move(0, 0)
    page.screenshot(path=path, animations="disabled", caret="hide")
    print(f"screenshots:   saved {path}", flush=True)


def controller_name() -> str:
    """Return the name of the simulator's first controller, which sends a name.

    The simulator draws its MACs from its seed and names even-numbered controllers
    "Farm controller" plus the last four hex digits of the MAC.
    """
    defaults = FleetOptions()
    mac = device_ids(CONTROLLERS, defaults.seed, defaults.id_style)[0]
    return f"Farm controller {mac[-5:].replace(':', '')}"


def entity_row(page: Page, name: str) -> Locator:
    """Return the row of a device page's card that shows the entity called `name`."""
    return page.locator(
        "hui-generic-entity-row", has=page.get_by_text(name, exact=True)
    )


def expect_states(page: Page, states: Mapping[str, str]) -> None:
    """Wait until each entity's row shows a state that matches."""
    for name, state in states.items():
        # The row's text is its name and its state; in which order is the frontend's
        # business, so look for the state as a word of its own anywhere.
        expect(entity_row(page, name)).to_have_text(re.compile(rf"(^|\s){state}(\s|$)"))


def log_in(page: Page, url: str) -> None:
    """Log in on Home Assistant's own login page."""
    page.goto(url)
    page.get_by_role("textbox", name="Username").fill(USERNAME)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # The frontend only leaves the login page once it holds a token.
    page.wait_for_url(re.compile(r"/(home|lovelace)\b"))


@contextmanager
def step(page: Page, what: str, work: Path) -> Iterator[None]:
    """Say what is being checked; on failure, say it again with the page as it was."""
    print(f"screenshots: {what}", flush=True)
    try:
        yield
    except (AssertionError, PlaywrightError) as err:
        failed = work / "failed.png"
        page.screenshot(path=failed)
        raise CheckFailedError(f"{what}: {err}\nthe page as it was: {failed}") from err


def check(browser: Browser, url: str, output: Path, work: Path) -> None:
    """Walk through the pages, checking each and taking its screenshot."""
    page = browser.new_page(viewport=VIEWPORT, color_scheme="light")
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    controller = controller_name()
    pond = f"{controller} pond 1"

    with step(page, "logging in", work):
        log_in(page, url)

    with step(page, f"the integration page lists {controller} and {pond}", work):
        page.goto(f"{url}/config/integrations/integration/future_fish")
        expect(page.get_by_text(controller, exact=True)).to_be_visible()
        expect(page.get_by_text(pond, exact=True)).to_be_visible()
        save(page, output / "integration.png")

    with step(page, f"{controller}'s page shows its water quality", work):
        page.get_by_text(controller, exact=True).click()
        page.wait_for_url(re.compile(r"/config/devices/device/"))
        expect_states(page, CONTROLLER_STATES)
        save(page, output / "controller.png")

    with step(page, f"{pond}'s page shows its levels once its geometry is set", work):
        # Listed under the controller's "Connected devices", with an entity count.
        page.get_by_text(pond).click()
        expect(page.get_by_text(pond, exact=True)).to_be_visible()  # the title
        for name, value in POND_GEOMETRY.items():
            field = entity_row(page, name).get_by_role("spinbutton")
            field.fill(value)
            field.press("Enter")
        expect_states(page, POND_STATES)

    with step(page, f"pressing {pond}'s Feed shows the feed in its activity", work):
        entity_row(page, "Feed").get_by_role("button", name="Press").click()
        expect(page.get_by_text(FED)).to_be_visible()
        save(page, output / "pond.png")


@contextmanager
def chromium(executable: str) -> Iterator[Browser]:
    """Launch headless Chromium with a fresh profile; close it on the way out."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=list(CHROMIUM_ARGS), headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


def _tail(path: Path, lines: int) -> str:
    if not path.exists():
        return f"({path} does not exist)"
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(text[-lines:])


def main() -> int:
    """Run the check; 0 when every page showed what it should."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=OUTPUT,
        help="where the screenshots go (default: docs/screenshots/)",
    )
    parser.add_argument(
        "--chromium",
        default=shutil.which("chromium") or "/usr/bin/chromium",
        help="the Chromium executable (default: chromium on PATH)",
    )
    args = parser.parse_args()
    if not Path(args.chromium).is_file():
        print(
            f"screenshots: no Chromium at {args.chromium}; install Debian's with "
            "`apt-get install -y chromium`, or pass --chromium PATH",
            file=sys.stderr,
        )
        return 2
    args.output.mkdir(parents=True, exist_ok=True)

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    work = Path(tempfile.mkdtemp(prefix="future-fish-screenshots-"))
    log = work / "processes.log"
    started = time.monotonic()
    passed = False
    try:
        with (
            log.open("wb") as output,
            run_stack(
                work / "config",
                http_port=free_port(),
                mqtt_port=free_port(),
                controllers=CONTROLLERS,
                simulator_args=SIMULATOR_ARGS,
                output=output,
            ) as stack,
        ):
            print(
                f"screenshots: Home Assistant has started on {stack.url} "
                f"({time.monotonic() - started:.0f} s)",
                flush=True,
            )
            with chromium(args.chromium) as browser:
                check(browser, stack.url, args.output, work)
        passed = True
    except CheckFailedError as err:
        print(f"screenshots: FAILED: {err}", file=sys.stderr)
        return 1
    finally:
        if passed:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(
                f"--- Home Assistant's log, last lines:\n"
                f"{_tail(work / 'config' / 'home-assistant.log', 40)}\n"
                f"--- the processes' output, last lines:\n{_tail(log, 20)}\n"
                f"--- everything is kept in {work}",
                file=sys.stderr,
            )
    print(
        f"screenshots: OK, every page showed what it should "
        f"({time.monotonic() - started:.0f} s)",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
