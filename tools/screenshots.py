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
   and feed level with values; stock the pond (2,000 African catfish of 150 g,
   chosen as the controller's species profile: no sourced oxygen floor above its
   3 mg/L limit, so the simulator's oxygen never holds the feed) with the
   `future_fish.restock` action, called through the page's own connection as a
   script would, and see its biomass, recommended daily feed and portion and the
   feeding hold; press Feed and see "fed 100 g, done in ..." appear in the page's
   activity (logbook) card (`pond.png`);
5. a German user: Home Assistant's language (which names the entities) and the
   user's profile language (which the frontend speaks) become German, and the
   Future Fish entry is reloaded, as after a restart; the controller's and pond's
   device pages show the German entity names of translations/de.json with values,
   German states and a German sidebar (`controller-de.png`, `pond-de.png`); then
   English again;
6. an alarm, as issue 4 promises it: a fourth controller comes online (a simulator
   of its own, `--count 1` with another seed, since the simulator's options apply
   to a whole fleet); on its device page choose the species profile Nile tilapia,
   which sets the dissolved-oxygen lower limit to 4 mg/L, and see the "Dissolved
   oxygen alarm" OK;
7. create an automation from the "Future Fish - low dissolved oxygen" blueprint in
   the automation editor, as a user does (Settings > Automations & scenes >
   Blueprints, pick the alarm and the develop configuration's "Aerator", Save);
8. make its oxygen fall: stop that controller's simulator and start it again with
   `--oxygen-crash` (the fall counts from the simulator's start, so it starts only
   now, with the profile and the automation in place, and the alarm turns on from
   OK, which the blueprint's trigger needs); its device page shows it offline and
   back, then the alarm on (Problem) and in the activity card "Dissolved oxygen
   alarm: ... is below the lower limit of 4 mg/L" (`alarm.png`);
9. the automation ran: the Activity page shows it triggered by the alarm and the
   Aerator turned on by it (`automation.png`), and the notification it created is
   in the notification drawer.

Screenshots go to docs/screenshots/ (the README shows them), or to --output. It exits
non-zero when anything is not as expected, keeping its working directory (Home
Assistant's log, the processes' output, a screenshot of the failing page), and stops
everything it started in every case.
"""

import argparse
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
import json
from pathlib import Path
import re
import shutil
import signal
import sys
import tempfile
import time
from types import FrameType
from typing import Final
from urllib.parse import quote

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
from tools.develop import PASSWORD, ROOT, USERNAME, Stack, run_stack
from tools.simulator.ids import device_ids
from tools.simulator.options import FleetOptions

OUTPUT: Final = ROOT / "docs" / "screenshots"
VIEWPORT: Final[ViewportSize] = {"width": 1280, "height": 900}
POND_VIEWPORT: Final[ViewportSize] = {"width": 1280, "height": 1500}
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
# The alarm's controller: another seed than the fleet's gives another MAC. Its
# readings come every 2 s, so that the alarm's 3 readings take seconds, not minutes.
ALARM_SEED: Final = 2
ALARM_CONTROLLER_ARGS: Final = (
    "--count",
    "1",
    "--seed",
    str(ALARM_SEED),
    "--rate-multiplier",
    "15",
)
# mg/L per simulated hour; at 15 times the speed 0.2 mg/L a second. The simulator
# starts from 4.8 to 9.2 mg/L depending on the (UTC) time of day, so the alarm at
# 4 mg/L turns on 5 to 30 s after the restart; 0.4 mg/L between two readings keeps
# the value shown well above 0 by then.
OXYGEN_CRASH: Final = ("--oxygen-crash", "48")
# The worst case above, the restart and three readings, with room for a slow machine.
ALARM_TIMEOUT_MS: Final = 120_000
# How often, and how long each time, to look for entries on the Activity page
# (open_activity).
ACTIVITY_LOADS: Final = 3
ACTIVITY_TIMEOUT_MS: Final = 10_000
PROFILE: Final = "Nile tilapia"
OXYGEN_LIMIT: Final = "4"  # Nile tilapia's lower limit, docs/species.md
BLUEPRINT: Final = "Future Fish - low dissolved oxygen"
AERATOR: Final = "Aerator"  # tools/develop.py's input boolean

# A decimal point in English, a comma in German.
NUMBER = r"-?\d+([.,]\d+)?"
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
# The German run: the language code, the names of the entities in it (as Home
# Assistant shows them), the frontend's words for the states checked, and a word
# of its sidebar.
GERMAN: Final = "de"
TRANSLATIONS: Final = ROOT / "custom_components" / "future_fish" / "translations"
GERMAN_STATES: Final[Mapping[str, str]] = {"Connected": "Verbunden"}
GERMAN_SIDEBAR: Final = "Einstellungen"
# Shown on a pond's page, with no value to check (unknown until a command).
VALVES: Final = ("Inlet valve", "Outlet valve")
# Sets Home Assistant's language and the user's profile language (as Settings >
# System > General and the Profile page do), then reloads the Future Fish entry,
# whose entities take their names in Home Assistant's language when they are added.
# English again afterwards, for the checks that follow.
LANGUAGE_JS: Final = """async (language) => {
  const hass = document.querySelector("home-assistant").hass;
  await hass.callWS({type: "config/core/update", language});
  await hass.callWS({type: "frontend/set_user_data", key: "language", value: {
    language, number_format: "language", time_format: "language",
    date_format: "language", time_zone: "local", first_weekday: "language"}});
  const [entry] = await hass.callWS(
    {type: "config_entries/get", domain: "future_fish"});
  await hass.callApi("POST", `config/config_entries/entry/${entry.entry_id}/reload`);
}"""
FED = re.compile(rf"fed 100 g, done in {NUMBER} s")
# The pond's stock and what the feeding tables make of it: 2,000 fish of 150 g are
# 300 kg; African catfish eat 4 % a day in 3 feedings: 12,000 g, portions of 4,000 g.
STOCK: Final[Mapping[str, int | float]] = {"fish": 2000, "average_weight": 150}
STOCK_PROFILE: Final = "African catfish"
FEEDING_STATES: Final[Mapping[str, str]] = {
    "Biomass": r"300(\.0)? kg",
    "Recommended daily feed": r"12,?000 g/d",
    "Recommended portion": r"4,?000 g",
    "Feeding hold": "OK",
}
RESTOCK_JS: Final = """([device, stock]) => document.querySelector("home-assistant")
  .hass.callService("future_fish", "restock", {device_id: device, ...stock})"""
# The logbook's words for the alarm event (custom_components/future_fish/logbook.py).
ALARM_ON = re.compile(
    rf"Dissolved oxygen alarm: {NUMBER} mg/L is below the lower limit of "
    rf"{OXYGEN_LIMIT} mg/L"
)
# True once the page looks finished: no visible spinner, no image still loading, and
# every entity's icon drawn (icons arrive after the states; an entity with a picture,
# such as the firmware update, shows it as the badge's background). A badge with
# neither entity nor icon is not waited for: the Activity page gives an
# integration's events only the integration's image, which this frontend leaves
# out (an empty square). Walks the shadow roots.
SETTLED_JS: Final = """() => {
  const below = (root) => [...root.querySelectorAll("*")].flatMap(
    (element) => [element, ...(element.shadowRoot ? below(element.shadowRoot) : [])]
  );
  const elements = below(document);
  const busy = elements.some((element) =>
    (element.getAttribute("role") === "progressbar" && element.checkVisibility())
    || (element.tagName === "IMG" && !element.complete));
  const blank = elements.some((element) => element.tagName === "STATE-BADGE"
    && (element.stateObj || element.overrideIcon)
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


def controller_name(count: int, seed: int) -> str:
    """Return the name of a simulated fleet's first controller, which sends a name.

    The simulator draws its MACs from its seed and names even-numbered controllers
    "Farm controller" plus the last four hex digits of the MAC.
    """
    mac = device_ids(count, seed, FleetOptions().id_style)[0]
    return f"Farm controller {mac[-5:].replace(':', '')}"


def entity_row(page: Page, name: str) -> Locator:
    """Return the row of a device page's card that shows the entity called `name`."""
    return page.locator(
        "hui-generic-entity-row", has=page.get_by_text(name, exact=True)
    )


def expect_states(
    page: Page, states: Mapping[str, str], timeout_ms: float = TIMEOUT_MS
) -> None:
    """Wait until each entity's row shows a state that matches."""
    for name, state in states.items():
        # The row's text is its name and its state; in which order is the frontend's
        # business, so look for the state as a word of its own anywhere.
        expect(entity_row(page, name)).to_have_text(
            re.compile(rf"(^|\s){state}(\s|$)"), timeout=timeout_ms
        )


def open_device(page: Page, url: str, name: str) -> None:
    """Open a device's page from the integration page, as a user finds it."""
    page.goto(f"{url}/config/integrations/integration/future_fish")
    page.get_by_text(name, exact=True).click()
    page.wait_for_url(re.compile(r"/config/devices/device/"))


def choose_option(page: Page, name: str, option: str) -> None:
    """Choose an option of the select entity called `name` on a device page."""
    row = page.locator("hui-select-entity-row", has_text=name)
    row.click()
    row.get_by_text(option, exact=True).click()


def pick_entity(page: Page, field: str, search: str, choice: str) -> None:
    """Pick an entity for a blueprint input in the automation editor.

    `search` goes into the picker's search field; `choice` is the text of the one
    item to click in what it finds (the entity's name, or its device's).
    """
    row = page.locator("ha-settings-row", has=page.get_by_text(field, exact=True))
    row.locator("ha-entity-picker").click()
    # Typed into the page instead, letters are the frontend's shortcuts.
    row.get_by_placeholder("Search").fill(search)
    # The list the picker opens: the last visible text that is the choice (the
    # row's own label can be the same word, as "Aerator" is).
    page.get_by_text(choice, exact=True).locator("visible=true").last.click()


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
    """Say what is being checked and how long it took; on failure, show the page."""
    print(f"screenshots: {what}", flush=True)
    started = time.monotonic()
    try:
        yield
    except (AssertionError, PlaywrightError) as err:
        failed = work / "failed.png"
        page.screenshot(path=failed)
        raise CheckFailedError(f"{what}: {err}\nthe page as it was: {failed}") from err
    print(f"screenshots:   done in {time.monotonic() - started:.1f} s", flush=True)


def check(browser: Browser, stack: Stack, output: Path, work: Path) -> None:
    """Walk through the pages, checking each and taking its screenshot."""
    page = browser.new_page(viewport=VIEWPORT, color_scheme="light")
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    with step(page, "logging in", work):
        log_in(page, stack.url)
    check_devices(page, stack.url, output, work)
    check_german(page, stack.url, output, work)
    check_alarm(page, stack, output, work)


def check_devices(page: Page, url: str, output: Path, work: Path) -> None:
    """Check the integration page and the first controller's and pond's pages."""
    controller = controller_name(CONTROLLERS, FleetOptions().seed)
    pond = f"{controller} pond 1"

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

    with step(page, f"{controller}'s species profile is set to {STOCK_PROFILE}", work):
        choose_option(page, "Species profile", STOCK_PROFILE)
        expect(
            page.locator("hui-select-entity-row", has_text="Species profile")
        ).to_contain_text(STOCK_PROFILE)

    with step(page, f"{pond}'s page shows its levels once its geometry is set", work):
        # Listed under the controller's "Connected devices", with an entity count.
        page.get_by_text(pond).click()
        expect(page.get_by_text(pond, exact=True)).to_be_visible()  # the title
        for name, value in POND_GEOMETRY.items():
            field = entity_row(page, name).get_by_role("spinbutton")
            field.fill(value)
            field.press("Enter")
        expect_states(page, POND_STATES)

    with step(page, f"{pond}'s page shows its stock, ration, portion and hold", work):
        device = page.url.rstrip("/").rsplit("/", 1)[-1]
        page.evaluate(RESTOCK_JS, [device, STOCK])
        expect_states(page, FEEDING_STATES)

    with step(page, f"pressing {pond}'s Feed shows the feed in its activity", work):
        entity_row(page, "Feed").get_by_role("button", name="Press").click()
        expect(page.get_by_text(FED)).to_be_visible()
        # Tall enough for the whole Sensors card: stock, ration, portion and hold.
        page.set_viewport_size(POND_VIEWPORT)
        save(page, output / "pond.png")
        page.set_viewport_size(VIEWPORT)


def check_alarm(page: Page, stack: Stack, output: Path, work: Path) -> None:
    """Make a controller's oxygen fall and check the alarm and a blueprint's automation."""
    controller = controller_name(1, ALARM_SEED)
    url = stack.url
    simulator = stack.start_simulator(*ALARM_CONTROLLER_ARGS)

    with step(page, f"{controller} comes online with its dissolved oxygen", work):
        open_device(page, url, controller)
        expect_states(page, {"Dissolved oxygen": CONTROLLER_STATES["Dissolved oxygen"]})
        device_page = page.url

    with step(page, f"choosing {PROFILE} sets {controller}'s oxygen limit", work):
        choose_option(page, "Species profile", PROFILE)
        # The limit numbers are disabled by default: the alarm, unknown until a
        # limit is set, shows the profile's limit, and its logbook entry below
        # names the value (OXYGEN_LIMIT). Limits apply from the next reading,
        # which is above the limit.
        expect_states(page, {"Dissolved oxygen alarm": "OK"})

    with step(page, f"creating an automation from the blueprint {BLUEPRINT}", work):
        page.goto(f"{url}/config/blueprint/dashboard")
        page.get_by_text(BLUEPRINT, exact=True).click()
        pick_entity(
            page,
            "Dissolved oxygen alarm",
            f"{controller} dissolved oxygen alarm",
            controller,
        )
        pick_entity(page, "Aerator", AERATOR, AERATOR)
        page.get_by_role("button", name="Save").click()
        # Saved, the new automation's editor has its own address.
        page.wait_for_url(re.compile(r"/config/automation/edit/(?!new)"))

    with step(page, f"{controller}'s oxygen falls and its alarm turns on", work):
        page.goto(device_page)
        expect(page.get_by_text(BLUEPRINT, exact=True)).to_be_visible()  # Related
        simulator.terminate()
        simulator.wait(timeout=30)
        expect_states(page, {"Connectivity": "Disconnected"})
        stack.start_simulator(*ALARM_CONTROLLER_ARGS, *OXYGEN_CRASH)
        expect_states(
            page, {"Connectivity": "Connected", "Dissolved oxygen alarm": "OK"}
        )
        since = datetime.now(UTC)
        back = time.monotonic()
        expect_states(
            page, {"Dissolved oxygen alarm": "Problem"}, timeout_ms=ALARM_TIMEOUT_MS
        )
        print(
            f"screenshots:   the alarm turned on {time.monotonic() - back:.0f} s "
            "after the controller was back",
            flush=True,
        )
        expect(page.get_by_text(ALARM_ON)).to_be_visible()
        save(page, output / "alarm.png")

    with step(page, f"the automation ran and turned on the {AERATOR}", work):
        open_activity(page, f"{url}/logbook?start_date={quote(since.isoformat())}")
        save(page, output / "automation.png")
        page.get_by_text("Notifications", exact=True).click()
        expect(page.get_by_text(f"Turned on {AERATOR}.")).to_be_visible()


def entity_names(language: str) -> dict[str, str]:
    """Return each English entity name's translation (translations/<language>.json)."""

    def names(code: str) -> dict[tuple[str, str], str]:
        path = TRANSLATIONS / f"{code}.json"
        strings = json.loads(path.read_text(encoding="utf-8"))
        return {
            (platform, key): entity["name"]
            for platform, entities in strings["entity"].items()
            for key, entity in entities.items()
        }

    translated = names(language)
    return {name: translated[key] for key, name in names("en").items()}


def in_german(states: Mapping[str, str]) -> dict[str, str]:
    """Return what a device page shows in German instead of `states`."""
    german = entity_names(GERMAN)
    return {
        german[name]: GERMAN_STATES.get(state, state) for name, state in states.items()
    }


def check_german(page: Page, url: str, output: Path, work: Path) -> None:
    """Check the first controller's and pond's pages for a German user."""
    controller = controller_name(CONTROLLERS, FleetOptions().seed)
    pond = f"{controller} pond 1"

    with step(page, "a German user: Home Assistant and the profile in German", work):
        page.evaluate(LANGUAGE_JS, GERMAN)

    with step(page, f"{controller}'s page shows German names and values", work):
        open_device(page, url, controller)
        expect(page.get_by_text(GERMAN_SIDEBAR, exact=True)).to_be_visible()
        expect_states(page, in_german(CONTROLLER_STATES))
        save(page, output / "controller-de.png")

    with step(page, f"{pond}'s page shows German names and values", work):
        # From the integration page, so that the page opens at its top (through the
        # controller's page it keeps where that one was scrolled to).
        open_device(page, url, pond)
        expect(page.get_by_text(pond, exact=True)).to_be_visible()
        expect_states(page, in_german(POND_STATES))
        for valve in VALVES:
            expect(entity_row(page, entity_names(GERMAN)[valve])).to_be_visible()
        save(page, output / "pond-de.png")

    with step(page, "back to English", work):
        page.evaluate(LANGUAGE_JS, "en")
        open_device(page, url, controller)
        expect_states(page, CONTROLLER_STATES)


def open_activity(page: Page, address: str) -> None:
    """Open the Activity page until it shows the alarm, the automation and the Aerator.

    In a new installation the page can leave out, for good, an event of a type that
    Home Assistant's recorder stores for the first time while the page loads: seen
    with the automation's first "Triggered" entry, the Aerator then credited to
    "Home Assistant Core" instead of the automation. Loaded again, it shows them, as
    it does for a user who reloads.
    """
    entries = page.locator("ha-logbook-entry")
    for load in range(1, ACTIVITY_LOADS + 1):
        page.goto(address)
        try:
            expect(page.get_by_text(ALARM_ON)).to_be_visible(
                timeout=ACTIVITY_TIMEOUT_MS
            )
            expect(
                entries.filter(has_text=BLUEPRINT).filter(has_text="Triggered")
            ).to_have_text(
                re.compile("Dissolved oxygen alarm"), timeout=ACTIVITY_TIMEOUT_MS
            )
            expect(entries.filter(has_text=AERATOR)).to_have_text(
                re.compile(rf"\bOn\b.*{re.escape(BLUEPRINT)}"),
                timeout=ACTIVITY_TIMEOUT_MS,
            )
        except AssertionError:
            if load == ACTIVITY_LOADS:
                raise
            print(
                "screenshots:   the Activity page lacks entries; loading it again",
                flush=True,
            )
        else:
            return


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
                check(browser, stack, args.output, work)
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
