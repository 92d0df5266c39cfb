"""Simulated Future Fish pond controllers speaking the deployed MQTT protocol.

The reference peer for the integration's end-to-end tests, `scripts/develop` and
benchmarks. It speaks PROTOCOL.md (the MQTT contract of the deployed controllers) like a
field controller; what follows is what PROTOCOL.md leaves open and this simulator
decided.

Command line (`python -m tools.simulator --help` lists every option):

    python -m tools.simulator --port 1883 --count 3 --rate-multiplier 10 --events

Library (what the CLI does; run it in your own event loop):

    from tools.simulator import Fleet, FleetOptions

    async with Fleet(FleetOptions(port=port, count=1000, shared_connection=True,
                                  rate_multiplier=10, qos=0)) as fleet:
        await fleet.wait_ready()
        ...  # fleet.stats counts what was published, delivered, late ...

Ids and identity
    Ids are Wi-Fi MACs `EC:E3:34:xx:xx:xx`, drawn from `seed` (the same seed gives the
    same MACs in every `id_style`). Even-numbered controllers (0, 2, ...) send
    `device_name` "Farm controller XXXX" (last four hex digits), odd ones leave it out.
    `ip_address` values such as 192.168.1.10 are data only; nothing connects to them.

Telemetry
    `startup` once per boot, after the commands subscription is acknowledged; then
    `heartbeat` every 20 s and a `sensors` cycle every 30 s (divided by
    `rate_multiplier`), each controller starting at a random point of the interval so
    that a fleet does not publish in bursts. A current-format cycle is two messages:
    A = temperature, dissolved_oxygen, ph, turbidity, ammonia with metadata signal,
    firmware_version, hardware_version; B = battery, water1, feed1 (water2, feed2 with
    two ponds) with an empty metadata object. A legacy controller sends one flat message
    per cycle (water levels in %). Values are bounded random walks; temperature and
    dissolved oxygen follow a day cycle of simulated time (faster with
    `rate_multiplier`); message timestamps are always the real UTC time.
    Pond geometry: sensor 150 cm above the floor, tank 120 cm deep, so water distances
    run from 30 cm (full) to 150 cm (empty); a hopper holds 5 kg of feed.
    With `seq`, heartbeat and sensors carry a top-level `seq`, counted per topic from 0
    at every boot (so a reset is a reboot, a gap a loss).
    Nothing is buffered while the connection is down: those messages are lost, as on a
    real controller.

Commands
    Subscribed with QoS 1. Both envelopes are understood; RESTART is an alias of REBOOT.
    `ack` is published at once, `complete` when the work is done; times below are
    multiplied by `command_time_scale`: FEED 2 s + 0.04 s/g (takes the feed from the
    hopper; FEED_HOPPER_EMPTY in complete when it runs out), WATER_FILL/WATER_DRAIN/
    FLUSH move the surface at 12 cm/min towards the target distance (clamped to the
    tank; a target already reached completes at once), valves 1 s, THRESH 0.2 s,
    CONFIG_UPDATE 0.5 s (applies `device_name`), FW 45 s then complete, then a reboot.
    REBOOT: ack, 5 s of silence, then a new `startup`; there is no complete. A reboot
    (also after FW) drops the TCP connection without DISCONNECT on a connection of its
    own (so the Last Will fires), resets `seq`, and aborts running commands: their
    completes never come and the pumps stop where they are. The firmware version after
    FW comes from the URL's file name (`future-fish-1.2.0.bin` -> 1.2.0), else the
    patch number goes up.
    Refusals (ack with success false, no complete): UNKNOWN_COMMAND, INVALID_PARAMETER
    (e.g. amount <= 0, level outside 0..150 cm, FLUSH d < f, lower > upper, a non-http
    FW url), INVALID_POND, BUSY (a second feed or water job on a pond while one runs).
    A message without an id is logged and dropped (`invalid_command` event): there is
    nothing to answer to.
    Deduplication (default on): the last 256 accepted command ids (hex and hyphenated
    spellings are the same id) are answered again with the same ack (and complete, if
    done) without acting again; the memory survives reboots, as if kept in flash.
    Refused commands are not remembered: a resend is judged afresh.

Threshold alarms (`<prefix>/<id>/threshold`; PROTOCOL.md defines no fields)
    {"device_id", "timestamp", "pond_position", "parameter", "value", "lower", "upper",
     "message"}: `parameter` is THRESH's `p` as sent (temp, do, ph, turbidity, ammonia,
    battery, water = distance in cm, feed = %), `lower`/`upper` the limits (null when
    not set). Checked at every sensors cycle, one alarm per crossing: raised again only
    after the value was back within its limits (or new limits were set).

Status topic (`status_topic`, needs one connection per controller)
    Retained `online` (QoS 1) after every connect; Last Will retained `offline`. A
    clean stop publishes the retained `offline` itself before DISCONNECT, so no stale
    `online` stays on the broker; a power loss, a reboot or `flap` leaves it to the
    Last Will.

Faults
    `drop_acks` N: the first N acks of each controller are not sent (the command is
    executed). `never_complete`: commands are executed and acked but no complete is
    sent (a reboot still ends with a startup). `refuse` CODE: every command is acked
    with success false and that error code. `compact_ids`: answers carry the id in
    hyphenated UUID form. `drop_rate`: each outgoing JSON message and each incoming
    command is lost with that probability (the status topic is exempt).
    `bad_json_rate`: a JSON message is cut in half. `out_of_range_rate`: each reading
    is replaced by one outside PROTOCOL.md's plausible range (negative distances
    included). `silence_after` S: S s after its first startup a controller publishes
    nothing and ignores commands, but stays connected. `flap` PERIOD: every PERIOD s
    each connection is cut without DISCONNECT and comes back after min(PERIOD/4, 1 s).

Events (CLI `--events`, library `on_event`)
    One JSON object per line on stdout: {"event": "ready", "controllers": [ids]} once
    every controller has connected, subscribed and had its startup delivered;
    "received", "executed" (really carried out, not deduplicated) and "deduped", each
    with device_id, command_id, command_type; "invalid_command" with device_id and
    payload. Logging goes to stderr. SIGINT/SIGTERM stop cleanly with exit code 0.
"""

from .events import EventSink, Stats, json_lines
from .fleet import Fleet
from .options import FleetOptions, IdStyle

__all__ = ["EventSink", "Fleet", "FleetOptions", "IdStyle", "Stats", "json_lines"]
