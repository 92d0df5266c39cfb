"""docs/benchmarks.md and its plots, from the figures of a benchmark run."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
import math
import os
from pathlib import Path
import platform
import subprocess
import time
from typing import Any

from homeassistant.const import __version__ as ha_version
from matplotlib.figure import Figure
import paho.mqtt

from tools.broker import find_mosquitto

SUBJECTS = ("future_fish", "peer", "ceiling", "floor")
NAMES = {
    "future_fish": "Future Fish",
    "peer": "MQTT discovery peer",
    "ceiling": "bare callback",
    "floor": "writing floor",
}
COLORS = {
    "future_fish": "tab:blue",
    "peer": "tab:orange",
    "ceiling": "tab:gray",
    "floor": "tab:green",
}
# Against which subjects the tables give Future Fish's ratio, and how they say it.
RATIOS = (("peer", "FF / peer"), ("ceiling", "FF / ceiling"), ("floor", "FF / floor"))
# The writing floor's goals (issue 12): Future Fish's figure at most (CPU, p99) or
# at least (throughput) this multiple of the floor's.
FLOOR_CPU = 1.25
FLOOR_THROUGHPUT = 0.8
FLOOR_P99 = 1.5
RATE_WINDOWS = (("deployed", "deployed rates"), ("tenx", "10x the deployed rates"))
WINDOW_NAMES = dict(RATE_WINDOWS) | {"heartbeats": "heartbeats only", "idle": "idle"}


def environment() -> dict[str, Any]:
    """Describe the machine and the versions."""
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory_kib = int(line.split()[1])
    mosquitto = subprocess.run(  # noqa: S603 - our broker's executable
        [str(find_mosquitto()), "-h"], capture_output=True, text=True, check=False
    ).stdout.splitlines()
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parent,
    ).stdout.strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": memory_kib / 1024 / 1024,
        "os": platform.platform(),
        "python": platform.python_version(),
        "home_assistant": ha_version,
        "paho_mqtt": paho.mqtt.__version__,
        "mosquitto": mosquitto[0] if mosquitto else "unknown",
        "bench_commit": commit,
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
    }


# --- figures ------------------------------------------------------------------------


def _controllers(count: int) -> str:
    return f"{count} controller{'s' if count != 1 else ''}"


def _runs(results: Mapping[str, Any]) -> dict[tuple[str, int], dict[str, Any]]:
    return {(run["subject"], run["controllers"]): run for run in results["runs"]}


def _sizes(results: Mapping[str, Any]) -> list[int]:
    return sorted({run["controllers"] for run in results["runs"]})


def _get(run: Mapping[str, Any] | None, *path: str) -> float:
    value: Any = run
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            return math.nan
        value = value[key]
    return math.nan if value is None else float(value)


@dataclass(frozen=True)
class Row:
    """One line of a results table."""

    label: str
    value: Callable[[Mapping[str, Any] | None], float]
    digits: int = 0
    # False when a ratio says nothing (e.g. counts that should be zero).
    ratio: bool = True


def _fmt(value: float, digits: int) -> str:
    if math.isnan(value):
        return "–"
    return f"{value:,.{digits}f}"


def _ratio(top: float, bottom: float) -> str:
    if math.isnan(top) or math.isnan(bottom) or top < 0 or bottom <= 0:
        return "–"
    return f"{top / bottom:.2f}"


def rows_for() -> list[Row]:
    """Return the rows of the table of a fleet size."""

    def window(name: str, *path: str) -> Callable[[Mapping[str, Any] | None], float]:
        return lambda run: _get(run, "windows", name, *path)

    rows = [
        Row(
            "setup: start until every entity available (s)",
            lambda r: _get(r, "setup_s"),
            1,
        ),
        Row(
            "setup: start until the recorder has caught up (s)",
            lambda r: (
                _get(r, "setup_s") + _get(r, "settle_s")
                if r is not None and r["settled"]
                else math.nan
            ),
            1,
        ),
        Row("entities", lambda r: _get(r, "expected_entities"), ratio=False),
        Row(
            "enabled entities per controller (two ponds)",
            lambda r: _get(r, "enabled_per_controller"),
            1,
            False,
        ),
        Row(
            "topic prefixes (one Future Fish hub each)",
            lambda r: math.nan if r is None else len(r["hubs"]),
            ratio=False,
        ),
    ]
    for name, label in RATE_WINDOWS:
        rows += [
            Row(
                f"{label}: controller messages/s",
                window(name, "offered_per_s"),
                1,
                False,
            ),
            Row(
                f"{label}: MQTT messages/s into Home Assistant",
                window(name, "ha_messages_per_s"),
                1,
            ),
            Row(
                f"{label}: still behind when the fleet stopped (s)",
                window(name, "catch_up_s"),
                1,
                False,
            ),
            Row(f"{label}: latency p50 (ms)", window(name, "latency_ms", "p50"), 1),
            Row(f"{label}: latency p99 (ms)", window(name, "latency_ms", "p99"), 1),
            Row(f"{label}: latency max (ms)", window(name, "latency_ms", "max"), 1),
            Row(
                f"{label}: latency samples",
                window(name, "latency_ms", "n"),
                ratio=False,
            ),
            Row(f"{label}: CPU ms per 1000 messages", window(name, "cpu_ms_per_1000")),
            Row(
                f"{label}: CPU ms per 1000 messages, net of idle",
                window(name, "net_cpu_ms_per_1000"),
            ),
            Row(f"{label}: state writes/min", window(name, "subject_writes_per_min")),
            Row(f"{label}: recorder rows/min", window(name, "recorder_rows_per_min")),
        ]
    rows += [
        Row(
            "heartbeats only (10x): heartbeats",
            window("heartbeats", "offered"),
            ratio=False,
        ),
        Row(
            "heartbeats only (10x): state writes",
            window("heartbeats", "subject_writes"),
            ratio=False,
        ),
        Row(
            "heartbeats only (10x): recorder rows",
            window("heartbeats", "recorder_rows"),
            ratio=False,
        ),
        Row(
            "throughput: controller messages/s, draining a backlog",
            lambda r: _get(r, "throughput"),
        ),
        Row("idle CPU (%)", lambda r: _get(r, "idle_cpu_percent"), 2),
        Row(
            "resident memory without a fleet (MiB)",
            lambda r: _get(r, "rss_empty") / 2**20,
        ),
        Row(
            "resident memory after setup, recorder caught up (MiB)",
            lambda r: _get(r, "rss_settled") / 2**20,
        ),
        Row(
            "resident memory per controller (KiB)",
            lambda r: _get(r, "rss_per_controller") / 1024,
            1,
        ),
        Row("restart: stopping (s)", lambda r: _get(r, "restart", "stop_s"), 1),
        Row(
            "restart: start until every entity available again (s)",
            lambda r: _get(r, "restart", "available_s"),
            1,
        ),
        Row(
            "restart: unavailable states written while stopping",
            lambda r: _get(r, "restart", "unavailable_stopping"),
            ratio=False,
        ),
        Row(
            "restart: unavailable states written while starting",
            lambda r: _get(r, "restart", "unavailable_starting"),
            ratio=False,
        ),
        Row(
            "bridge CPU ms per 1000 messages (deployed; outside HA)",
            window("deployed", "bridge_cpu_ms_per_1000"),
            ratio=False,
        ),
        Row(
            "command round trip to ack p50 / p99 (ms)",
            lambda r: _get(r, "commands", "ack_ms", "p50"),
            1,
            False,
        ),
        Row("", lambda r: _get(r, "commands", "ack_ms", "p99"), 1, False),
        Row(
            "command round trip to complete p50 / p99 (ms)",
            lambda r: _get(r, "commands", "complete_ms", "p50"),
            1,
            False,
        ),
        Row("", lambda r: _get(r, "commands", "complete_ms", "p99"), 1, False),
    ]
    return rows


def table(results: Mapping[str, Any], count: int) -> list[str]:
    """Return the markdown table of one fleet size."""
    runs = _runs(results)
    lines = [
        (
            f"| | {' | '.join(NAMES[s] for s in SUBJECTS)} | "
            f"{' | '.join(label for _, label in RATIOS)} |"
        ),
        "|---|" + "---:|" * (len(SUBJECTS) + len(RATIOS)),
    ]
    rows = rows_for()
    for index, row in enumerate(rows):
        if not row.label:
            continue
        values = [row.value(runs.get((subject, count))) for subject in SUBJECTS]
        cells = [_fmt(v, row.digits) for v in values]
        ratios = [
            _ratio(values[0], values[SUBJECTS.index(other)]) for other, _ in RATIOS
        ]
        if index + 1 < len(rows) and not rows[index + 1].label:
            # A p50 / p99 pair in one cell.
            second = [rows[index + 1].value(runs.get((s, count))) for s in SUBJECTS]
            cells = [
                f"{a} / {b}" if not (math.isnan(x) and math.isnan(y)) else "–"
                for a, b, x, y in zip(
                    cells,
                    (_fmt(v, row.digits) for v in second),
                    values,
                    second,
                    strict=True,
                )
            ]
        if not row.ratio:
            ratios = [""] * len(RATIOS)
        lines.append(f"| {row.label} | {' | '.join(cells)} | {' | '.join(ratios)} |")
    return lines


# --- goals ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One goal checked at one fleet size (and rate)."""

    where: str
    met: bool | None  # None: not measured
    detail: str


def _verdict(checks: Sequence[Check]) -> str:
    measured = [c for c in checks if c.met is not None]
    if not measured:
        return "not measured"
    met = sum(c.met for c in measured if c.met)
    if met == len(measured):
        return "**met**"
    if met == 0:
        return "**not met**"
    return f"**not met** (met in {met} of {len(measured)})"


def goals(results: Mapping[str, Any]) -> list[tuple[str, list[Check]]]:
    """Check the issue's goals at every fleet size; None where nothing was measured."""
    runs = _runs(results)
    sizes = _sizes(results)
    cpu: list[Check] = []
    throughput: list[Check] = []
    latency: list[Check] = []
    heartbeats: list[Check] = []
    for count in sizes:
        ff = runs.get(("future_fish", count))
        peer = runs.get(("peer", count))
        ceiling = runs.get(("ceiling", count))
        for name, label in RATE_WINDOWS:
            a = _get(ff, "windows", name, "net_cpu_ms_per_1000")
            b = _get(peer, "windows", name, "net_cpu_ms_per_1000")
            if not (math.isnan(a) or math.isnan(b)):
                cpu.append(
                    Check(
                        f"{_controllers(count)}, {label}",
                        a <= b / 2,
                        f"{a:,.0f} vs {b:,.0f} ms (ratio {_ratio(a, b)})",
                    )
                )
        a = _get(ff, "throughput")
        b = _get(ceiling, "throughput")
        if not (math.isnan(a) or math.isnan(b)):
            throughput.append(
                Check(
                    _controllers(count),
                    a >= b / 2,
                    f"{a:,.0f} vs {b:,.0f} msg/s (ratio {_ratio(a, b)})",
                )
            )
        a = _get(ff, "windows", "deployed", "latency_ms", "p99")
        b = _get(ceiling, "windows", "deployed", "latency_ms", "p99")
        if not (math.isnan(a) or math.isnan(b)):
            latency.append(
                Check(
                    _controllers(count),
                    a <= 2 * b,
                    f"{a:.1f} vs {b:.1f} ms (ratio {_ratio(a, b)})",
                )
            )
        writes = _get(ff, "windows", "heartbeats", "subject_writes")
        rows = _get(ff, "windows", "heartbeats", "recorder_rows")
        beats = _get(ff, "windows", "heartbeats", "offered")
        if not math.isnan(writes):
            heartbeats.append(
                Check(
                    _controllers(count),
                    writes == 0 and rows == 0,
                    f"{beats:,.0f} heartbeats: {writes:.0f} state writes, "
                    f"{rows:.0f} recorder rows",
                )
            )
    setup = [
        _compare(
            runs,
            count,
            ("setup_s",),
            "peer",
            met=lambda a, b: a < b,
            unit="{:.1f} s",
        )
        for count in sizes
    ]
    return [
        ("CPU per 1000 messages at most half of the MQTT-discovery peer's", cpu),
        ("Sustained throughput at least half of the bare-callback ceiling", throughput),
        ("p99 latency at the deployed rates at most twice the ceiling's", latency),
        (
            "Zero state writes and recorder rows from heartbeats that change nothing",
            heartbeats,
        ),
        ("Setup faster than the peer's at every fleet size", _measured(setup)),
        *floor_goals(runs, sizes),
        *restart_goals(runs, sizes),
    ]


def _compare(
    runs: Mapping[tuple[str, int], Mapping[str, Any]],
    count: int,
    path: Sequence[str],
    other: str,
    *,
    met: Callable[[float, float], bool],
    unit: str,
    where: str | None = None,
) -> Check:
    """Compare Future Fish's figure at `path` with `other`'s at one fleet size."""
    a = _get(runs.get(("future_fish", count)), *path)
    b = _get(runs.get((other, count)), *path)
    where = where or _controllers(count)
    if math.isnan(a) or math.isnan(b):
        return Check(where, None, "")
    return Check(
        where,
        met(a, b),
        f"{unit.format(a)} vs {unit.format(b)} (ratio {_ratio(a, b)})",
    )


def _measured(checks: Iterable[Check]) -> list[Check]:
    return [check for check in checks if check.met is not None]


def floor_goals(
    runs: Mapping[tuple[str, int], Mapping[str, Any]], sizes: Sequence[int]
) -> list[tuple[str, list[Check]]]:
    """Check Future Fish against the writing floor (issue 12)."""
    cpu = [
        _compare(
            runs,
            count,
            ("windows", name, "net_cpu_ms_per_1000"),
            "floor",
            met=lambda a, b: a <= FLOOR_CPU * b,
            unit="{:,.0f} ms",
            where=f"{_controllers(count)}, {label}",
        )
        for count in sizes
        for name, label in RATE_WINDOWS
    ]
    throughput = [
        _compare(
            runs,
            count,
            ("throughput",),
            "floor",
            met=lambda a, b: a >= FLOOR_THROUGHPUT * b,
            unit="{:,.0f} msg/s",
        )
        for count in sizes
    ]
    latency = [
        _compare(
            runs,
            count,
            ("windows", "deployed", "latency_ms", "p99"),
            "floor",
            met=lambda a, b: a <= FLOOR_P99 * b,
            unit="{:.1f} ms",
        )
        for count in sizes
    ]
    return [
        (
            f"CPU per 1000 messages at most {FLOOR_CPU:g}x the writing floor's",
            _measured(cpu),
        ),
        (
            f"Backlog throughput at least {FLOOR_THROUGHPUT:g}x the writing floor's",
            _measured(throughput),
        ),
        (
            (
                f"p99 latency at the deployed rates at most {FLOOR_P99:g}x the "
                "writing floor's"
            ),
            _measured(latency),
        ),
    ]


def restart_goals(
    runs: Mapping[tuple[str, int], Mapping[str, Any]], sizes: Sequence[int]
) -> list[tuple[str, list[Check]]]:
    """Check Future Fish's restart: no blank, and back sooner than the peer."""
    blank: list[Check] = []
    for count in sizes:
        restart = (runs.get(("future_fish", count)) or {}).get("restart")
        if restart is None:
            continue
        stopping = restart["unavailable_stopping"]
        starting = restart["unavailable_starting"]
        blank.append(
            Check(
                _controllers(count),
                stopping + starting == 0,
                f"{stopping:,} while stopping, {starting:,} while starting",
            )
        )
    back = [
        _compare(
            runs,
            count,
            ("restart", "available_s"),
            "peer",
            met=lambda a, b: a < b,
            unit="{:.1f} s",
        )
        for count in sizes
    ]
    return [
        (
            (
                "After a restart, no `unavailable` state written for controllers "
                "that were online"
            ),
            blank,
        ),
        (
            "After a restart, every entity available again sooner than the peer's",
            _measured(back),
        ),
    ]


def goal_results(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the goals with their verdicts and checks, for results.json."""
    return [
        {
            "goal": title,
            "verdict": _verdict(checks).replace("*", ""),
            "checks": [
                {"where": c.where, "met": c.met, "detail": c.detail} for c in checks
            ],
        }
        for title, checks in goals(results)
    ]


def settle_notes(results: Mapping[str, Any], count: int) -> list[str]:
    """Say where the recorder had not caught up, so CPU figures are off."""
    notes = []
    for subject in SUBJECTS:
        run = _runs(results).get((subject, count))
        if run is None:
            continue
        if not run["settled"]:
            notes.append(
                f"**{NAMES[subject]}: the recorder had not caught up with the setup "
                f"{run['settle_s']:.0f} s after it**, so the first windows also carry "
                "that work."
            )
        if behind := [
            name for name, window in run["windows"].items() if not window["kept_up"]
        ]:
            notes.append(
                f"**{NAMES[subject]}: Home Assistant did not catch up with the "
                f"messages of the {', '.join(WINDOW_NAMES[n] for n in behind)} "
                "window in time**, so its figures miss some of that work."
            )
    return notes


def goal_lines(results: Mapping[str, Any]) -> list[str]:
    """Return the goals as a markdown table."""
    lines = ["| goal | result | where: Future Fish vs the other |", "|---|---|---|"]
    for title, checks in goals(results):
        detail = "; ".join(
            f"{c.where}: {c.detail}{' ✗' if c.met is False else ''}" for c in checks
        )
        lines.append(f"| {title} | {_verdict(checks)} | {detail or '–'} |")
    return lines


# --- plots ----------------------------------------------------------------------------


def _loggable(value: float) -> float:
    """Return `value`, or nan where a log scale has no room (e.g. net CPU of 0)."""
    return value if value > 0 else math.nan


def _plot(
    results: Mapping[str, Any],
    path: Path,
    title: str,
    ylabel: str,
    series: Iterable[tuple[str, Sequence[str], str]],
) -> None:
    """Plot one figure per rate window: each subject's values against fleet size."""
    runs = _runs(results)
    sizes = _sizes(results)
    windows = [
        w for w in RATE_WINDOWS if any(w[0] in r["windows"] for r in results["runs"])
    ]
    figure = Figure(figsize=(5.5 * len(windows), 4))
    axes = figure.subplots(1, len(windows), squeeze=False)
    series = list(series)
    for axis, (name, label) in zip(axes[0], windows, strict=True):
        for subject in SUBJECTS:
            for suffix, path_keys, style in series:
                values = [
                    _loggable(
                        _get(runs.get((subject, count)), "windows", name, *path_keys)
                    )
                    for count in sizes
                ]
                if all(math.isnan(v) for v in values):
                    continue
                axis.plot(
                    sizes,
                    values,
                    style,
                    color=COLORS[subject],
                    label=f"{NAMES[subject]} {suffix}".strip(),
                    marker="o",
                )
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xticks(sizes, [str(s) for s in sizes])
        axis.set_xlabel("controllers")
        axis.set_ylabel(ylabel)
        axis.set_title(label)
        axis.grid(visible=True, which="both", alpha=0.3)
        axis.legend(fontsize="small")
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def plots(results: Mapping[str, Any], directory: Path) -> list[str]:
    """Write the PNG plots; return their file names."""
    directory.mkdir(parents=True, exist_ok=True)
    _plot(
        results,
        directory / "latency.png",
        "Latency from a controller's publish to the state written (ceiling: to the callback)",
        "ms",
        [("p50", ("latency_ms", "p50"), "-"), ("p99", ("latency_ms", "p99"), "--")],
    )
    _plot(
        results,
        directory / "cpu.png",
        "Home Assistant CPU time per 1000 controller messages, net of idle",
        "CPU ms per 1000 messages",
        [("", ("net_cpu_ms_per_1000",), "-")],
    )
    return ["latency.png", "cpu.png"]


# --- the document ------------------------------------------------------------------------


def _hubs(hubs: Mapping[str, int]) -> str:
    """Describe one fleet size's prefixes: `ff`, or `ff/g1` … `ff/g9`."""
    prefixes = list(hubs)
    if len(prefixes) == 1:
        return f"one hub on `{prefixes[0]}`"
    smallest, largest = min(hubs.values()), max(hubs.values())
    each = f"{smallest}" if smallest == largest else f"{smallest} to {largest}"
    return f"{len(prefixes)} hubs on `{prefixes[0]}` … `{prefixes[-1]}`, {each} each"


def _split_lines(results: Mapping[str, Any]) -> list[str]:
    """Say how the fleet was spread over topic prefixes, one hub each."""
    limit = results["entity_limit"]
    enabled = results["enabled_per_controller"]
    per_hub = results["per_hub"]
    why = (
        "set with `--controllers-per-hub`"
        if results["per_hub_set"]
        else "leaving room for the entities disabled by default"
    )
    runs = _runs(results)
    sizes = ", ".join(
        f"{_controllers(count)}: "
        + _hubs(next(run for (_, size), run in runs.items() if size == count)["hubs"])
        for count in _sizes(results)
    )
    return [
        (
            f"- **Configuration measured, topic prefixes:** Home Assistant adds at most "
            f"{limit:,} enabled entities to one config entry (MQTT, the peer's, is "
            f"exempt) and a Future Fish hub is one config entry for one topic prefix; "
            f"with {enabled} enabled entities per controller, one hub holds "
            f"{limit // enabled} controllers. As README's [Scale](../README.md#scale) "
            f"section advises, a larger fleet gets a prefix per group of controllers "
            f"and a hub per prefix: here as few groups as hold at most {per_hub} "
            f"controllers each ({per_hub * enabled / limit:.0%} of the limit, {why}). "
            f"{sizes}. The controllers "
            f"publish under these prefixes for every subject; the peer's bridge, "
            f"the ceiling and the floor subscribe under every one of them, the "
            f"ceiling and the floor to the topics the hubs subscribe to."
        )
    ]


def _recorder_note(results: Mapping[str, Any]) -> str:
    """Say how the recorder's configuration departs from its defaults, if it does."""
    if results["plan"].get("registry_events", True):
        return " and its other defaults"
    return (
        ", leaving out device and entity registry events (`--no-registry-events`: a "
        "setup fires two per entity, and with 1000 controllers the recorder needs "
        "minutes for them; the windows do not see them, but the time until the "
        "recorder has caught up is shorter than after a user's first setup)"
    )


def _plan_lines(results: Mapping[str, Any]) -> list[str]:
    plan = results["plan"]
    return [
        f"- Fleet sizes: {', '.join(str(s) for s in plan['sizes'])} controllers, two "
        "ponds each; rates: " + ", ".join(plan["rates"]) + ".",
        (
            f"- Steady windows, each after {plan['settle_s']:g} s of settling: at most "
            f"{plan['deployed_s']:g} s at the deployed rates, {plan['tenx_s']:g} s at "
            f"10x and {plan['heartbeat_s']:g} s of heartbeats only at 10x (Future "
            "Fish and the peer: the ceiling writes nothing, the floor what Future "
            "Fish wrote), shortened "
            f"to what holds about {plan['window_messages']:,} controller messages but "
            "not below half of that, and to half where even the longest would hold "
            f"less than a tenth of them ({_window_lengths(results)}); "
            f"{plan['idle_s']:g} s idle; a backlog of {plan['burst']:,} controller "
            f"messages; {plan['commands']} feed commands; the calibration traced "
            f"{plan['trace_s']:g} s of {results['floor']['traced']['controllers']} "
            f"controllers at 10x for the floor ({_traced(results)})."
        ),
    ]


def _traced(results: Mapping[str, Any]) -> str:
    """Say what the floor writes per message shape, from the calibration's trace."""
    floor = results["floor"]
    messages = floor["traced"]["messages"]
    return "; ".join(
        f"{name}: {messages[name]} messages, {shape['per_direct']:.2f} derived "
        f"states per reading changed, {shape['per_message']:.2f} per message"
        for name, shape in floor["shapes"].items()
    )


def _window_lengths(results: Mapping[str, Any]) -> str:
    """Say how long the windows of each fleet size were, e.g. "1000: 17, 8, 4 s"."""
    names = [name for name, _ in RATE_WINDOWS] + ["heartbeats"]
    parts = []
    for count in _sizes(results):
        run = next(r for r in results["runs"] if r["controllers"] == count)
        seconds = [
            f"{run['windows'][name]['seconds']:.0f}"
            for name in names
            if name in run["windows"]
        ]
        parts.append(f"{count}: {', '.join(seconds)} s")
    return "deployed, 10x, heartbeats: " + "; ".join(parts)


def document(results: Mapping[str, Any], images: Sequence[str]) -> str:
    """Return docs/benchmarks.md."""
    env = results["environment"]
    sizes = _sizes(results)
    lines = [
        "# Benchmarks",
        "",
        (
            "Future Fish against what a user would pick instead, on one machine, with the "
            "same simulated fleet: (1) **Future Fish**; (2) the **MQTT discovery peer**: "
            "a bridge process republishes the controllers as Home Assistant MQTT "
            "discovery devices with one entity per value, the same number and kinds of "
            "entities as Future Fish, and per-entity state topics; heartbeats feed MQTT "
            "availability; (3) the **ceiling**: a bare `mqtt.async_subscribe` callback on "
            "Future Fish's topics that does no work; (4) the **writing floor**: a bare "
            "callback on the same topics that writes, with `hass.states.async_set`, as "
            "many states per message as Future Fish changes, to as many entities with "
            "Future Fish's attributes: what any integration showing these readings "
            "must pay. Generated by `scripts/bench`; method below."
        ),
        "",
        "## Goals",
        "",
        *goal_lines(results),
        "",
        (
            "CPU is compared net of Home Assistant's idle CPU use (measured in each run "
            "with the fleet stopped); the gross figures are in the tables. With one "
            "controller a window holds only a handful of messages, so its per-message "
            "figures are mostly noise."
        ),
        "",
        "## Results",
        "",
    ]
    for count in sizes:
        lines += [f"### {_controllers(count)}", ""]
        lines += table(results, count)
        lines += [""]
        if notes := settle_notes(results, count):
            lines += [*notes, ""]
    lines += ["## Plots", ""]
    lines += [f"![{name}](benchmarks/{name})" for name in images]
    lines += [
        "",
        "## Method",
        "",
        (
            "Each subject runs with each fleet size on a fresh Mosquitto "
            "(`max_queued_messages 0`, `max_inflight_messages 1000`, otherwise defaults) "
            "and a fresh Home Assistant configuration: `python -m homeassistant` in a "
            "process of its own (asyncio debug mode off), the recorder on its default "
            "SQLite database with its default commit interval"
            + _recorder_note(results)
            + ", the MQTT integration on "
            "the private broker, and the subject. A small probe component, the same in "
            "every subject, counts the MQTT messages Home Assistant's client handles, the "
            "state writes (`state_changed` and `state_reported`, in event filters that "
            "never schedule a job) and keeps the write times of the latency probe "
            "entities; it answers the orchestrator on a Unix socket."
        ),
        "",
        (
            "- **Fleet:** `tools/simulator` in its own process, the controllers over 10 "
            "shared MQTT connections, QoS 2 as deployed: a heartbeat every 20 s and two "
            "sensors messages every 30 s (≈ 0.117 messages/s per controller), or ten "
            "times that. Message timestamps carry microseconds (a hook in `bench/fleet.py`)."
        ),
        (
            "- **Setup:** the fleet (and the bridge) already run when Home Assistant "
            "starts on its fresh configuration, so every device and entity is created, "
            "as on the day a farm is added; the time runs from starting the process "
            "until every expected entity is available (the ceiling: until every "
            "controller was heard; the floor writes its entities at its setup). How "
            "soon a subject shows a new controller is up to it; the peer's retained "
            "discovery configs and availability are there at once. Then, before any "
            "window, Home Assistant has to settle: "
            "to have started, written its device and entity registries (10 s after "
            "their last change), and the recorder to have worked off the setup's "
            "events (two registry events and a first state per entity) and committed "
            "them. That is shown as the time until the recorder has caught up."
        ),
        (
            "- **Latency:** for up to 50 probe controllers spread over the fleet, each "
            "state written for a water-quality, battery, distance or feed entity is traced "
            "to the latest message that carried that value, and the time from the "
            "message's timestamp to the state's write time is taken; for the ceiling, the "
            "time from the timestamp to the callback."
        ),
        (
            "- **CPU:** `time.process_time()` of the Home Assistant process (every thread: "
            "the event loop, the recorder, executors) over a window, divided by the "
            "controller messages Home Assistant handled in it (the peer's Home "
            "Assistant gets several messages from the bridge for each). A window "
            "starts once the recorder has committed what was queued before; at its end "
            "the fleet stops, and it ends once Home Assistant has handled every message "
            "and the recorder has committed them: when they fall behind (with 1000 "
            "controllers at 10x), the work they defer stays in the window whose "
            "messages caused it, and the time they needed after the fleet stopped is "
            'shown as "still behind". The peer\'s bridge runs outside Home '
            "Assistant; its own CPU is shown separately."
        ),
        (
            "- **Throughput:** Home Assistant is frozen (SIGSTOP), the backlog is published "
            "(for the peer also bridged), Home Assistant is resumed, and the time from its "
            "first to its last handled message gives controller messages per second."
        ),
        (
            "- **Writing floor:** a calibration run of Future Fish with a few "
            "controllers at 10x lists the first one's entities (enabled and available "
            "ones become the floor's, with their attributes; a name that carries that "
            "controller's name carries each controller's own there, as Future Fish's "
            "and the peer's names do, so the recorder stores and caches their "
            "attributes rows as it does theirs) and traces, for every "
            "message, which states Future Fish changed while handling it. The floor parses each message, "
            "writes each field that Future Fish shows as an entity (the peer's "
            "mapping) when it differs from what the entity shows, the value as sent; "
            "then, per message shape (kind, and for sensors messages the keys of "
            "`data`), new values to the entities no field maps to that Future Fish "
            "changed for that shape (derived values such as un-ionised ammonia), in "
            "the order it changed them and as many per reading written as Future "
            "Fish did (per message for a shape whose readings never changed). "
            "No entity objects, no registry entries."
        ),
        (
            "- **Restart (not the ceiling, which has no entity to be unavailable):** "
            "last in a run, with the fleet restarted at the deployed "
            "rates (every controller just heard), Home Assistant is stopped (SIGTERM, "
            "waiting until it has exited, so the subject and the recorder finish "
            "their writes) and started again on the same configuration. *Stopping:* "
            "from the stop request until the process exited. *Available again:* from "
            "the new process's start until every expected entity is available. "
            "*Unavailable states written:* while "
            "stopping, the recorder's `states` rows of the subject's entities with "
            "state `unavailable` and `last_updated_ts` from the stop request on; while "
            "starting, the probe's count of the subject's `state_changed` events to "
            "`unavailable` (the entity's first state after the start included, e.g. "
            "the registry's placeholder for an entity not yet set up) from the probe's "
            "setup, before any subject's, until every entity was available and Home "
            "Assistant had started, plus 2 s."
        ),
        (
            "- **Memory:** resident memory (VmRSS) of the Home Assistant process. "
            "Without a fleet: a Home Assistant of its own with the subject set up and "
            "no controller, once started and its recorder committed, just before the "
            "run. After setup: once the recorder has caught up. Per controller: the "
            "difference divided by the controllers; with one controller, mostly noise."
        ),
        (
            "- **Enabled entities per controller:** the subject's enabled entities "
            "(the floor's: its states) after setup, divided by the controllers."
        ),
        (
            "- **State writes and recorder rows:** the probe's counts of the subject's "
            "entities, and the rows of the recorder's `states` table whose "
            "`last_updated_ts` falls into the window (counted once the recorder has "
            "committed them)."
        ),
        (
            "- **Commands (Future Fish):** `future_fish.feed` actions one at a time, round "
            "robin over the probe controllers' first ponds; the simulated controllers "
            "execute at once (`command_time_scale` → 0). To ack: until the action returns; "
            "to complete: until the command's final `future_fish_command` event. "
            "Most of a round trip is probably TCP's delayed acknowledgement: with "
            "Mosquitto's default `set_tcp_nodelay false`, and neither paho-mqtt nor the "
            "simulator setting TCP_NODELAY, a QoS 2 message from one client to another "
            "on Linux loopback waits some 40 ms for it, once in each direction."
        ),
        *_split_lines(results),
        *_plan_lines(results),
        "",
        "## Machine, versions, command",
        "",
        (
            f"- CPU: {env['cpu']}, {env['cores']} cores; RAM: {env['memory_gib']:.1f} GiB; "
            f"{env['os']}."
        ),
        (
            f"- Home Assistant {env['home_assistant']}, Python {env['python']}, "
            f"{env['mosquitto']}, paho-mqtt {env['paho_mqtt']}."
        ),
        (
            f"- Future Fish measured: commit `{results['integration']}`; benchmark code "
            f"at `{env['bench_commit'][:12]}`."
        ),
        (
            f"- Load average (1 min) when the run started / ended: "
            f"{results['load']['start']:.2f} / {results['load']['end']:.2f}."
        ),
        (
            f"- Date: {env['date']}; the whole run took {results['elapsed_s'] / 60:.1f} "
            "minutes."
        ),
        "",
        "```sh",
        results["command"],
        "```",
        "",
        "The raw figures are in [benchmarks/results.json](benchmarks/results.json).",
        "",
    ]
    return "\n".join(lines)


def write(results: Mapping[str, Any], out: Path) -> None:
    """Write docs/benchmarks.md and the plots."""
    images = plots(results, out / "benchmarks")
    (out / "benchmarks.md").write_text(document(results, images))


def print_summary(results: Mapping[str, Any]) -> None:
    """Print the tables and the goals."""
    for count in _sizes(results):
        print(f"\n{_controllers(count)}")
        for line in table(results, count):
            print(line)
    print()
    for line in goal_lines(results):
        print(line)
