"""`scripts/bench`: Future Fish, the MQTT-discovery peer, the ceiling and the floor.

Runs every subject with every fleet size on this machine, one after the other, each
on a fresh broker and a fresh Home Assistant, then writes docs/benchmarks.md, its
plots and the raw figures (docs/benchmarks/results.json), the goals' verdicts
included.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
import json
import math
import os
from pathlib import Path
import shlex
import subprocess
import sys
import tempfile
import time
from typing import Any

from homeassistant.helpers.entity_platform import MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY

from . import analysis, report
from .processes import raise_keyboard_interrupt_on_sigterm
from .session import (
    CALIBRATION_CONTROLLERS,
    LATENCY_FIELDS,
    SUBJECT_NAMES,
    SUBJECTS,
    Bench,
    Plan,
    Run,
    calibrate,
    probe_devices,
    unique_id,
)

ROOT = Path(__file__).resolve().parent.parent
RATES = ("deployed", "10x")


def _sizes(text: str) -> tuple[int, ...]:
    sizes = tuple(sorted({int(part) for part in text.split(",") if part}))
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError("fleet sizes are positive integers")
    return sizes


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("a positive integer")
    return value


def _rates(text: str) -> tuple[str, ...]:
    rates = tuple(part for part in text.split(",") if part)
    if not rates or set(rates) - set(RATES):
        raise argparse.ArgumentTypeError(f"rates are among {', '.join(RATES)}")
    return rates


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="scripts/bench",
        description=__doc__,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--controllers", type=_sizes, help="fleet sizes, e.g. 1,100,1000"
    )
    parser.add_argument("--rates", type=_rates, default=RATES, help="deployed,10x")
    parser.add_argument(
        "--duration",
        type=float,
        help="longest steady window at the deployed rates, in seconds; the 10x "
        "window takes at most half of it and the heartbeats-only window a quarter; "
        "each is cut to what holds enough messages, but not below half its longest",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run of about six minutes: 20 controllers, short windows, "
        "every measurement",
    )
    parser.add_argument(
        "--controllers-per-hub",
        type=_positive,
        help="controllers per topic prefix (one Future Fish hub each); by default as "
        "many as fill 90 %% of Home Assistant's limit of enabled entities per config "
        "entry",
    )
    parser.add_argument(
        "--no-registry-events",
        dest="registry_events",
        action="store_false",
        help="let the recorder leave out device and entity registry events, which "
        "only the setup fires (two per entity): it then catches up with a setup of "
        "1000 controllers in one to two minutes instead of three to four, and a full "
        "run takes about 30 minutes instead of 35 (estimates); the method says so",
    )
    parser.add_argument(
        "--ref",
        default="HEAD",
        help="the git commit whose custom_components/future_fish is measured; the "
        "results name the last commit up to it that changed its Python modules",
    )
    parser.add_argument(
        "--worktree",
        action="store_true",
        help="measure the working tree's integration instead of --ref",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=ROOT / "docs",
        help="where benchmarks.md and benchmarks/ are written",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep every run's files (logs, databases)"
    )
    return parser.parse_args(argv)


def make_plan(args: argparse.Namespace) -> Plan:
    """Turn the options into a plan."""
    if args.quick:
        deployed = args.duration or 12.0
        return Plan(
            sizes=args.controllers or (20,),
            rates=args.rates,
            deployed_s=deployed,
            tenx_s=deployed / 2,
            heartbeat_s=deployed / 4,
            window_messages=500,
            settle_s=2.0,
            idle_s=2.0,
            burst=2000,
            commands=5,
            trace_s=10.0,
            per_hub=args.controllers_per_hub,
            registry_events=args.registry_events,
            keep=args.keep,
        )
    # 24 s rather than 30: room for the floor subject and the restarts in about
    # the same time; 100 controllers still send some 280 messages in it.
    deployed = args.duration or 24.0
    return Plan(
        sizes=args.controllers or (1, 100, 1000),
        rates=args.rates,
        deployed_s=deployed,
        tenx_s=deployed / 2,
        heartbeat_s=deployed / 4,
        # Enough for CPU per message (a window's CPU is then far above the idle
        # background) at 100 and 1000 controllers.
        window_messages=2000,
        settle_s=2.0,
        idle_s=4.0,
        # Small enough to sit in the socket buffers and Mosquitto's memory while
        # Home Assistant is frozen; large enough to take a few seconds to drain.
        burst=5000,
        commands=20,
        # About 20 sensors messages and 15 heartbeats of one controller at 10x.
        trace_s=30.0,
        per_hub=args.controllers_per_hub,
        registry_events=args.registry_events,
        keep=args.keep,
    )


def extract_integration(args: argparse.Namespace, workroot: Path) -> tuple[Path, str]:
    """Copy the integration to measure; return its directory and its commit.

    The commit is the last one up to `--ref` that changed the integration's code
    (its Python modules), so that results of a later commit that changed only e.g.
    the benchmark, or documentation such as quality_scale.yaml, name the code they
    measured.
    """
    source = ROOT / "custom_components" / "future_fish"
    if args.worktree:
        return source, "working tree"
    commit = subprocess.run(  # noqa: S603 - git with our arguments
        [  # noqa: S607
            "git",
            "log",
            "-1",
            "--format=%H",
            f"{args.ref}^{{commit}}",
            "--",
            "custom_components/future_fish/*.py",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if not commit:
        raise SystemExit(f"no commit up to {args.ref} changed the integration")
    archive = subprocess.run(  # noqa: S603
        ["git", "archive", commit, "custom_components/future_fish"],  # noqa: S607
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(  # noqa: S603
        ["tar", "-x", "-C", str(workroot)],  # noqa: S607
        input=archive,
        check=True,
    )
    return workroot / "custom_components" / "future_fish", commit


def key_map(count: int) -> dict[str, tuple[str, str]]:
    """Map latency probe unique ids to (device id, sensors field)."""
    return {
        unique_id(device, pond, key): (device.lower(), field)
        for device in probe_devices(count)
        for (pond, key), field in LATENCY_FIELDS.items()
    }


def say(text: str) -> None:
    """Print a progress line with the time."""
    print(f"{time.strftime('%H:%M:%S')} {text}", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and write the report."""
    args = parse_args(argv)
    plan = make_plan(args)
    raise_keyboard_interrupt_on_sigterm()
    command = "scripts/bench" + "".join(
        f" {shlex.quote(a)}" for a in (sys.argv[1:] if argv is None else argv)
    )
    started = time.monotonic()
    load_start = os.getloadavg()[0]
    runs = len(plan.sizes) * len(SUBJECTS)
    with tempfile.TemporaryDirectory(prefix="future-fish-bench-") as temporary:
        workroot = Path(temporary)
        if plan.keep:
            workroot = Path(tempfile.mkdtemp(prefix="future-fish-bench-kept-"))
            say(f"keeping every run's files in {workroot}")
        integration, version = extract_integration(args, workroot)
        bench = Bench(plan=plan, integration=integration, workroot=workroot, say=say)
        summaries: list[dict[str, Any]] = []
        try:
            say(f"calibration: Future Fish's entities per controller ({version})")
            calibrate(bench)
            say(
                f"calibration: {bench.per_controller} entities enabled and available "
                f"per controller with 2 ponds, {len(bench.entities)} in all; "
                f"up to {bench.per_hub} controllers per hub (topic prefix)"
            )
            traced = bench.floor["traced"]
            say(
                "calibration: the floor writes "
                + "; ".join(
                    f"{name}: {plan['per_direct']:.2f} derived states per reading "
                    f"changed, {plan['per_message']:.2f} per message"
                    for name, plan in bench.floor["shapes"].items()
                )
                + f" ({traced['tied_to_a_message']} of {traced['changed']} state "
                "changes tied to a message)"
            )
            number = 0
            for count in plan.sizes:
                for subject in SUBJECTS:
                    number += 1
                    say(
                        f"[{number}/{runs}] {SUBJECT_NAMES[subject]}, {count} "
                        f"controller{'s' if count != 1 else ''}"
                    )
                    run = Run(bench, subject, count)
                    result = run.execute()
                    summaries.append(analysis.summarize(result, key_map(count)))
                    run.cleanup()
        except KeyboardInterrupt:
            say("interrupted: every process started by the benchmark is stopped")
            return 130
        elapsed = time.monotonic() - started
        results = {
            "command": command,
            "integration": version,
            "plan": plan.__dict__,
            "entities": bench.entities,
            "per_controller": bench.per_controller,
            "enabled_per_controller": sum(e["enabled"] for e in bench.entities),
            "entity_limit": MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY,
            "per_hub": bench.per_hub,
            "per_hub_set": plan.per_hub is not None,
            "floor": {
                "shapes": {
                    name: {
                        "per_direct": shape["per_direct"],
                        "per_message": shape["per_message"],
                        "derived_changes_traced": len(shape["others"]),
                    }
                    for name, shape in bench.floor["shapes"].items()
                },
                "traced": bench.floor["traced"]
                | {"controllers": CALIBRATION_CONTROLLERS},
                "entities_per_controller": len(bench.floor["entities"]),
            },
            "elapsed_s": elapsed,
            "load": {"start": load_start, "end": os.getloadavg()[0]},
            "runs": summaries,
            "environment": report.environment(),
        }
        results["goals"] = report.goal_results(results)
    out = args.output
    (out / "benchmarks").mkdir(parents=True, exist_ok=True)
    (out / "benchmarks" / "results.json").write_text(
        json.dumps(_plain(results), indent=1) + "\n"
    )
    report.write(results, out)
    say(f"done in {elapsed / 60:.1f} min: {out / 'benchmarks.md'}")
    report.print_summary(results)
    return 0


def _plain(value: Any) -> Any:
    """Return `value` as strict JSON: NaN becomes null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value
