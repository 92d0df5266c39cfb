"""From raw snapshots and samples to figures."""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
import json
import math
from pathlib import Path
from typing import Any

# A state that cannot be traced to a message published within this long is not a
# latency sample (e.g. a value that came back after a long time).
_MAX_TRACE_S = 120.0
WINDOWS = ("tenx", "heartbeats", "deployed", "idle")


def percentile(values: Sequence[float], fraction: float) -> float:
    """Return the `fraction` percentile (nearest rank) of `values`; nan if empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def distribution(values: Sequence[float]) -> dict[str, float]:
    """Return p50, p99, max and the number of values."""
    return {
        "p50": percentile(values, 0.50),
        "p99": percentile(values, 0.99),
        "max": max(values) if values else math.nan,
        "n": len(values),
    }


def _delta(record: Mapping[str, Any], *path: str) -> float:
    start: Any = record["start"]
    end: Any = record["end"]
    for key in path:
        start, end = start[key], end[key]
    return float(end - start)


def window_figures(record: Mapping[str, Any]) -> dict[str, float]:
    """Return the rates and costs of one steady window.

    Rates are over the time the fleet published (start to stop); counts, the CPU
    and writes included, over the whole window (start to end, when Home Assistant
    had worked off its messages). CPU per message is per controller message Home
    Assistant handled in the window: the peer's Home Assistant gets several
    messages from the bridge for each, in the window's proportion.
    """
    seconds = record["stop"]["time"] - record["start"]["time"]
    span = _delta(record, "time")
    offered = _delta(record, "fleet", "published")
    cpu = _delta(record, "probe", "cpu")
    handled = _delta(record, "probe", "messages")
    if "bridge" in record["start"] and handled:
        handled *= _delta(record, "bridge", "in") / _delta(
            record, "bridge", "for_home_assistant"
        )
    writes = _delta(record, "probe", "writes_changed") + _delta(
        record, "probe", "writes_reported"
    )
    subject_writes = _delta(record, "probe", "subject_changed") + _delta(
        record, "probe", "subject_reported"
    )
    figures = {
        "seconds": seconds,
        "span_s": span,
        "catch_up_s": span - seconds,
        "offered": offered,
        "offered_per_s": offered / seconds,
        "ha_messages_per_s": _delta(record, "probe", "messages") / seconds,
        "cpu_s": cpu,
        "cpu_percent": cpu / span * 100,
        "handled": handled,
        "cpu_ms_per_1000": cpu * 1e6 / handled if handled else math.nan,
        "writes_per_min": writes / seconds * 60,
        "subject_writes": subject_writes,
        "subject_writes_per_min": subject_writes / seconds * 60,
        "rss": float(record["end"]["rss"]),
    }
    if "bridge" in record["start"]:
        bridge_cpu = _delta(record, "bridge", "cpu")
        figures["bridge_cpu_ms_per_1000"] = (
            bridge_cpu * 1e6 / offered if offered else math.nan
        )
    return figures


def _timestamp(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def read_probe_log(path: Path) -> dict[tuple[str, str], list[tuple[float, Any]]]:
    """Return, per (device id lower case, sensors field), (publish time, value)."""
    published: dict[tuple[str, str], list[tuple[float, Any]]] = defaultdict(list)
    with path.open() as log:
        for line in log:
            topic, _, payload = line.rstrip("\n").partition("\t")
            message = json.loads(payload)
            # <prefix>/<id>/sensors; a prefix may have several levels.
            device = topic.split("/")[-2].lower()
            sent = _timestamp(message["timestamp"])
            for name, value in (message.get("data") or {}).items():
                published[device, name].append((sent, value))
    for series in published.values():
        series.sort(key=lambda item: item[0])
    return published


def _same(state: str, value: Any) -> bool:
    try:
        return math.isclose(float(state), float(value), rel_tol=1e-9, abs_tol=1e-9)
    except TypeError, ValueError:
        return False


def trace_writes(
    writes: Iterable[Sequence[Any]],
    keys: Sequence[tuple[str, str] | None],
    published: Mapping[tuple[str, str], list[tuple[float, Any]]],
) -> list[tuple[float, float]]:
    """Return (write time, latency) for each write traced to its message.

    A write showing value v at time t comes from the latest message before t that
    carried v for that entity.
    """
    traced = []
    for index, state, written in writes:
        key = keys[index]
        if key is None or not (series := published.get(key)):
            continue
        position = bisect.bisect_right(series, written, key=lambda item: item[0])
        while position > 0:
            position -= 1
            sent, value = series[position]
            if written - sent > _MAX_TRACE_S:
                break
            if _same(state, value):
                traced.append((written, written - sent))
                break
    return traced


def ceiling_latencies(samples: Iterable[Sequence[Any]]) -> list[tuple[float, float]]:
    """Return (receive time, latency) of the ceiling's sampled messages."""
    traced = []
    for payload, received in samples:
        try:
            sent = _timestamp(json.loads(payload)["timestamp"])
        except KeyError, TypeError, ValueError:
            continue
        traced.append((received, received - sent))
    return traced


def latencies(
    result: Mapping[str, Any], key_map: Mapping[str, tuple[str, str]]
) -> list[tuple[float, float]]:
    """Return (time, latency) for every latency sample of a run."""
    samples = result["samples"]
    if "payloads" in samples:
        return ceiling_latencies(samples["payloads"])
    keys = [key_map.get(uid) for uid in samples["keys"]]
    published = read_probe_log(Path(result["probe_log"]))
    return trace_writes(samples["writes"], keys, published)


def by_window(
    result: Mapping[str, Any], traced: Sequence[tuple[float, float]]
) -> dict[str, dict[str, float]]:
    """Return the latency distribution (ms) of each steady window."""
    figures = {}
    for name in WINDOWS:
        if name not in result:
            continue
        start = result[name]["start"]["time"]
        end = result[name]["end"]["time"]
        figures[name] = distribution(
            [latency * 1000 for at, latency in traced if start <= at < end]
        )
    return figures


def summarize(
    result: Mapping[str, Any], key_map: Mapping[str, tuple[str, str]]
) -> dict[str, Any]:
    """Return every figure of one run."""
    idle = window_figures(result["idle"])
    idle_cpu_per_s = idle["cpu_s"] / idle["span_s"]
    windows = {}
    for name in WINDOWS:
        if name not in result:
            continue
        figures = window_figures(result[name])
        net = figures["cpu_s"] - idle_cpu_per_s * figures["span_s"]
        figures["net_cpu_ms_per_1000"] = (
            max(net, 0.0) * 1e6 / figures["handled"] if figures["handled"] else math.nan
        )
        rows = result["recorder"].get(name, {})
        figures["recorder_rows_per_min"] = (
            rows.get("subject", 0) / figures["seconds"] * 60
        )
        figures["recorder_rows_all_per_min"] = (
            rows.get("all", 0) / figures["seconds"] * 60
        )
        figures["recorder_rows"] = rows.get("subject", 0)
        windows[name] = figures | {"kept_up": result[name]["kept_up"]}
    for name, latency in by_window(result, latencies(result, key_map)).items():
        windows[name]["latency_ms"] = latency
    drain = result["drain"]
    count = result["controllers"]
    entity_counts = result.get("entity_counts", {})
    summary: dict[str, Any] = {
        "subject": result["subject"],
        "controllers": result["controllers"],
        "setup_s": result["setup_s"],
        "settle_s": result["settle_s"],
        "settled": result["settled"],
        "expected_entities": result["expected_entities"],
        "hubs": result["hubs"],
        "rss_setup": result["rss_setup"],
        "rss_empty": result.get("rss_empty"),
        "rss_settled": result.get("rss_settled"),
        # What a controller adds, against the same subject without a fleet.
        "rss_per_controller": (result["rss_settled"] - result["rss_empty"]) / count
        if "rss_settled" in result and "rss_empty" in result
        else math.nan,
        "entity_counts": entity_counts,
        "enabled_per_controller": entity_counts.get("enabled", 0) / count
        if entity_counts
        else math.nan,
        "restart": result.get("restart"),
        "windows": windows,
        "idle_cpu_percent": idle["cpu_percent"],
        "throughput": drain["controller_messages"] / drain["seconds"]
        if drain["seconds"] > 0 and drain["complete"]
        else math.nan,
        "drain": drain,
        "ha_stop_s": result.get("ha_stop_s"),
    }
    if "commands" in result:
        commands = result["commands"]
        summary["commands"] = {
            "ack_ms": distribution(commands.get("ack_ms", [])),
            "complete_ms": distribution(commands.get("complete_ms", [])),
            "failures": commands.get("failures", []),
        }
    return summary
