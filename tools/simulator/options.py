"""Everything a fleet can be told: one frozen dataclass, shared by the CLI and library."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# error_code, PROTOCOL.md section 6
MAX_ERROR_CODE_LENGTH = 50


class IdStyle(StrEnum):
    """How a controller spells its Wi-Fi MAC, which is its device id."""

    COLON_UPPER = "colon-upper"  # EC:E3:34:1C:41:34, as deployed
    COLON_LOWER = "colon-lower"  # ec:e3:34:1c:41:34
    HYPHEN = "hyphen"  # EC-E3-34-1C-41-34


def _check_rate(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must lie within 0..1, not {value}")


def _check_positive(name: str, value: float | None) -> None:
    if value is not None and value <= 0:
        raise ValueError(f"{name} must be > 0, not {value}")


@dataclass(frozen=True, slots=True, kw_only=True)
class FleetOptions:
    """How many controllers to play, how they behave and where the broker is.

    Intervals are the deployed ones in seconds and are divided by `rate_multiplier`;
    command durations are multiplied by `command_time_scale`. `duration`,
    `silence_after` and `flap` are wall-clock seconds and are not scaled.
    """

    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = None
    prefix: str = "ff"
    count: int = 1
    seed: int = 1
    id_style: IdStyle = IdStyle.COLON_UPPER
    ponds: int = 2
    heartbeat_interval: float = 20.0
    sensor_interval: float = 30.0
    rate_multiplier: float = 1.0
    command_time_scale: float = 1.0
    duration: float | None = None
    qos: int = 2
    keepalive: int = 60
    # Share of controllers (spread evenly over the fleet) that send the older flat
    # sensors format; 1.0 is the CLI's --legacy-format.
    legacy_fraction: float = 0.0
    # Optional firmware extensions (PROTOCOL.md section 7).
    status_topic: bool = False
    seq: bool = False
    dedupe: bool = True
    # Many controllers over a few MQTT connections, for large benchmarks.
    shared_connection: bool = False
    connections: int = 1
    # Fault injection for tests.
    drop_acks: int = 0
    never_complete: bool = False
    refuse: str | None = None
    compact_ids: bool = False
    drop_rate: float = 0.0
    bad_json_rate: float = 0.0
    out_of_range_rate: float = 0.0
    # mg/L per simulated hour by which dissolved oxygen falls from the start, to
    # make the alarms and the dawn forecast fire in scripts/develop.
    oxygen_crash: float = 0.0
    silence_after: float | None = None
    flap: float | None = None

    def __post_init__(self) -> None:
        """Refuse combinations that cannot work, before anything connects."""
        if self.count < 1:
            raise ValueError(f"count must be >= 1, not {self.count}")
        if self.ponds not in (1, 2):
            raise ValueError(f"ponds must be 1 or 2, not {self.ponds}")
        if self.qos not in (0, 1, 2):
            raise ValueError(f"qos must be 0, 1 or 2, not {self.qos}")
        if self.connections < 1:
            raise ValueError(f"connections must be >= 1, not {self.connections}")
        if self.drop_acks < 0:
            raise ValueError(f"drop_acks must be >= 0, not {self.drop_acks}")
        if self.oxygen_crash < 0:
            raise ValueError(f"oxygen_crash must be >= 0, not {self.oxygen_crash}")
        for name in (
            "legacy_fraction",
            "drop_rate",
            "bad_json_rate",
            "out_of_range_rate",
        ):
            _check_rate(name, getattr(self, name))
        for name in (
            "heartbeat_interval",
            "sensor_interval",
            "rate_multiplier",
            "command_time_scale",
            "duration",
            "silence_after",
            "flap",
        ):
            _check_positive(name, getattr(self, name))
        if (
            self.refuse is not None
            and not 0 < len(self.refuse) <= MAX_ERROR_CODE_LENGTH
        ):
            raise ValueError("refuse must be an error code of 1 to 50 characters")
        if self.shared_connection and self.status_topic:
            # A Last Will belongs to a connection, so a shared connection cannot carry
            # one per controller.
            raise ValueError("status_topic needs one connection per controller")

    @property
    def connection_count(self) -> int:
        """How many MQTT connections the fleet opens."""
        if self.shared_connection:
            return min(self.connections, self.count)
        return self.count
