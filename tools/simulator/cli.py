"""Command line: `python -m tools.simulator [options]`, a thin layer over `Fleet`."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
import logging
import signal
import sys

from .events import discard, json_lines
from .fleet import Fleet
from .options import FleetOptions, IdStyle


def _parser() -> argparse.ArgumentParser:
    defaults = FleetOptions()
    parser = argparse.ArgumentParser(
        prog="python -m tools.simulator",
        description="Play Future Fish pond controllers against an MQTT broker.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    broker = parser.add_argument_group("broker")
    broker.add_argument("--host", default=defaults.host)
    broker.add_argument("--port", type=int, default=defaults.port)
    broker.add_argument("--username")
    broker.add_argument("--password")
    broker.add_argument("--prefix", default=defaults.prefix, help="topic prefix")
    broker.add_argument("--keepalive", type=int, default=defaults.keepalive)

    fleet = parser.add_argument_group("fleet")
    fleet.add_argument("--count", type=int, default=defaults.count)
    fleet.add_argument("--seed", type=int, default=defaults.seed, help="picks the ids")
    fleet.add_argument(
        "--id-style",
        choices=[s.value for s in IdStyle],
        default=defaults.id_style.value,
    )
    fleet.add_argument("--ponds", type=int, choices=(1, 2), default=defaults.ponds)
    fleet.add_argument("--qos", type=int, choices=(0, 1, 2), default=defaults.qos)
    fleet.add_argument(
        "--legacy-format",
        action="store_true",
        help="every controller sends the older flat sensors format",
    )
    fleet.add_argument(
        "--legacy-fraction",
        type=float,
        default=defaults.legacy_fraction,
        help="share of controllers (0..1) sending the older flat format",
    )
    fleet.add_argument(
        "--shared-connection",
        action="store_true",
        help="multiplex the controllers over --connections MQTT connections",
    )
    fleet.add_argument("--connections", type=int, default=defaults.connections)

    timing = parser.add_argument_group("timing")
    timing.add_argument(
        "--heartbeat-interval", type=float, default=defaults.heartbeat_interval
    )
    timing.add_argument(
        "--sensor-interval", type=float, default=defaults.sensor_interval
    )
    timing.add_argument(
        "--rate-multiplier",
        type=float,
        default=defaults.rate_multiplier,
        help="10 = heartbeats and sensors ten times as often",
    )
    timing.add_argument(
        "--command-time-scale",
        type=float,
        default=defaults.command_time_scale,
        help="multiplies how long commands take (0.01 for tests)",
    )
    timing.add_argument("--duration", type=float, help="stop after this many seconds")

    firmware = parser.add_argument_group("optional firmware extensions")
    firmware.add_argument(
        "--status-topic",
        action="store_true",
        help="retained online/offline status with a Last Will",
    )
    firmware.add_argument(
        "--seq", action="store_true", help="seq counter in heartbeat and sensors"
    )
    firmware.add_argument(
        "--no-dedupe",
        dest="dedupe",
        action="store_false",
        help="execute a resent command_id again",
    )

    faults = parser.add_argument_group("faults")
    faults.add_argument("--drop-acks", type=int, default=0, metavar="N")
    faults.add_argument("--never-complete", action="store_true")
    faults.add_argument("--refuse", metavar="ERROR_CODE")
    faults.add_argument(
        "--compact-ids", action="store_true", help="answer with hyphenated command ids"
    )
    faults.add_argument("--drop-rate", type=float, default=0.0, metavar="P")
    faults.add_argument("--bad-json-rate", type=float, default=0.0, metavar="P")
    faults.add_argument("--out-of-range-rate", type=float, default=0.0, metavar="P")
    faults.add_argument("--silence-after", type=float, metavar="S")
    faults.add_argument(
        "--oxygen-crash",
        type=float,
        default=0.0,
        metavar="MG_L_PER_HOUR",
        help="dissolved oxygen falls by this much per simulated hour",
    )
    faults.add_argument("--flap", type=float, metavar="PERIOD")

    output = parser.add_argument_group("output")
    output.add_argument(
        "--events", action="store_true", help="one JSON line per event on stdout"
    )
    output.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="logging on stderr",
    )
    return parser


def _options(args: argparse.Namespace) -> FleetOptions:
    return FleetOptions(
        host=args.host,
        port=args.port,
        username=args.username,
        password=args.password,
        prefix=args.prefix,
        keepalive=args.keepalive,
        count=args.count,
        seed=args.seed,
        id_style=IdStyle(args.id_style),
        ponds=args.ponds,
        qos=args.qos,
        legacy_fraction=1.0 if args.legacy_format else args.legacy_fraction,
        shared_connection=args.shared_connection,
        connections=args.connections,
        heartbeat_interval=args.heartbeat_interval,
        sensor_interval=args.sensor_interval,
        rate_multiplier=args.rate_multiplier,
        command_time_scale=args.command_time_scale,
        duration=args.duration,
        status_topic=args.status_topic,
        seq=args.seq,
        dedupe=args.dedupe,
        drop_acks=args.drop_acks,
        never_complete=args.never_complete,
        refuse=args.refuse,
        compact_ids=args.compact_ids,
        drop_rate=args.drop_rate,
        bad_json_rate=args.bad_json_rate,
        out_of_range_rate=args.out_of_range_rate,
        oxygen_crash=args.oxygen_crash,
        silence_after=args.silence_after,
        flap=args.flap,
    )


async def _run(fleet: Fleet) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, fleet.request_stop)
    await fleet.run()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the simulator until SIGINT/SIGTERM or --duration; 0 on a clean stop."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=args.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        options = _options(args)
    except ValueError as err:
        parser.error(str(err))
    fleet = Fleet(options, on_event=json_lines() if args.events else discard)
    asyncio.run(_run(fleet))
    return 0
