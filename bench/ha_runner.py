"""Home Assistant in a process of its own, set up for one subject, and its probe.

`prepare()` writes a fresh configuration directory: configuration.yaml with the
recorder on its default SQLite database; the config entries in Home Assistant's own
storage format, produced by its `ConfigEntry` class: MQTT pointing at the private
broker and, for Future Fish, one hub per topic prefix of `bench.topology`'s split;
and the bench's custom components. `HomeAssistant` then runs `python -m
homeassistant` on it, the way users start it (asyncio debug mode off), and talks to
the probe over a Unix socket.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import json
import os
from pathlib import Path
import shutil
import socket
import sys
import time
from types import MappingProxyType
from typing import Any

from homeassistant.components.http.config import (
    HTTP_STORAGE_SCHEMA,
    STORAGE_KEY as HTTP_STORAGE_KEY,
    STORAGE_MINOR_VERSION as HTTP_STORAGE_MINOR_VERSION,
    STORAGE_VERSION as HTTP_STORAGE_VERSION,
)
from homeassistant.components.mqtt.const import (
    CONFIG_ENTRY_MINOR_VERSION as MQTT_MINOR_VERSION,
    CONFIG_ENTRY_VERSION as MQTT_VERSION,
)
from homeassistant.config_entries import (
    STORAGE_KEY,
    STORAGE_VERSION,
    STORAGE_VERSION_MINOR,
    ConfigEntry,
)
from homeassistant.helpers.json import json_bytes
from homeassistant.util import dt as dt_util

from tools.broker import free_port

from .processes import Child

COMPONENTS = Path(__file__).resolve().parent / "components"
_CONFIGURATION_YAML = """\
# Written by the Future Fish benchmark (bench/ha_runner.py).
homeassistant:
  name: Benchmark
  unit_system: metric
  time_zone: UTC
  latitude: 0
  longitude: 0
  elevation: 0
  currency: EUR
  country: NL

recorder:{recorder}

logger:
  default: warning

bench_probe:
  settings: {probe}
{extra}"""
# The ceiling's and the floor's settings: configuration.yaml names their file.
_COMPONENT_YAML = """
{domain}:
  settings: {settings}
"""


class ProbeError(RuntimeError):
    """The probe did not answer as expected."""


@dataclass(frozen=True, kw_only=True)
class HaSetup:
    """What one Home Assistant run holds."""

    broker_port: int
    # "future_fish" (with `integration` copied in), "mqtt" (the peer's entities),
    # "bench_floor" (the floor's states, without registry entries) or None (the
    # ceiling, which has no entities).
    entity_platform: str | None
    expected_entities: int
    latency_unique_ids: list[str]
    integration: Path | None = None
    # Event types the recorder leaves out (none: its defaults).
    recorder_exclude: list[str] = field(default_factory=list)
    # One Future Fish hub (config entry) per topic prefix.
    prefixes: list[str] = field(default_factory=list)
    future_fish_options: dict[str, Any] = field(default_factory=dict)
    command_ponds: list[str] = field(default_factory=list)
    ceiling: dict[str, Any] | None = None
    floor: dict[str, Any] | None = None


def _entry(domain: str, **kwargs: Any) -> ConfigEntry:
    return ConfigEntry(
        discovery_keys=MappingProxyType({}),
        domain=domain,
        source="user",
        subentries_data=None,
        **kwargs,
    )


def _write_http_storage(storage: Path) -> None:
    """Serve the (always loaded) frontend on loopback, on a free port.

    Through storage, as confirmed ("stable") settings: settings from YAML would be
    a pending trial that Home Assistant reverts, restarting itself, after 5 minutes.
    """
    stable = HTTP_STORAGE_SCHEMA(
        {"server_host": ["127.0.0.1"], "server_port": free_port()}
    ) | {
        "created_at": dt_util.utcnow().isoformat(),
        "error": None,
        "error_message": None,
    }
    (storage / HTTP_STORAGE_KEY).write_bytes(
        json_bytes(
            {
                "version": HTTP_STORAGE_VERSION,
                "minor_version": HTTP_STORAGE_MINOR_VERSION,
                "key": HTTP_STORAGE_KEY,
                "data": {
                    "stable": stable,
                    "pending": None,
                    "yaml_migration_done": True,
                },
            }
        )
    )


def prepare(config_dir: Path, setup: HaSetup) -> Path:
    """Write a configuration directory for `setup`; return the probe's socket path."""
    storage = config_dir / ".storage"
    storage.mkdir(parents=True)
    components = config_dir / "custom_components"
    components.mkdir()
    shutil.copytree(COMPONENTS / "bench_probe", components / "bench_probe")
    entries = [
        _entry(
            "mqtt",
            data={"broker": "127.0.0.1", "port": setup.broker_port},
            options={},
            title="MQTT",
            unique_id=None,
            version=MQTT_VERSION,
            minor_version=MQTT_MINOR_VERSION,
        )
    ]
    if setup.integration is not None:
        shutil.copytree(setup.integration, components / "future_fish")
        entries += [
            _entry(
                "future_fish",
                data={"prefix": prefix},
                options=setup.future_fish_options,
                title=f"Future Fish ({prefix})",
                unique_id=prefix,
                version=1,
                minor_version=1,
            )
            for prefix in setup.prefixes
        ]
    (storage / STORAGE_KEY).write_bytes(
        json_bytes(
            {
                "version": STORAGE_VERSION,
                "minor_version": STORAGE_VERSION_MINOR,
                "key": STORAGE_KEY,
                "data": {"entries": [entry.as_storage_fragment for entry in entries]},
            }
        )
    )
    _write_http_storage(storage)
    # A short path: Unix socket paths are limited to ~100 bytes.
    sock = config_dir / "probe.sock"
    probe = config_dir / "probe.json"
    probe.write_text(
        json.dumps(
            {
                "socket": str(sock),
                "entity_platform": setup.entity_platform,
                "expected_entities": setup.expected_entities,
                "latency_unique_ids": setup.latency_unique_ids,
                "command_ponds": setup.command_ponds,
            }
        )
    )
    extra = ""
    for domain, settings in (
        ("bench_ceiling", setup.ceiling),
        ("bench_floor", setup.floor),
    ):
        if settings is None:
            continue
        shutil.copytree(COMPONENTS / domain, components / domain)
        path = config_dir / f"{domain}.json"
        path.write_text(json.dumps(settings))
        extra += _COMPONENT_YAML.format(domain=domain, settings=path)
    recorder = "".join(f"\n      - {event}" for event in setup.recorder_exclude)
    if recorder:
        recorder = f"\n  exclude:\n    event_types:{recorder}"
    (config_dir / "configuration.yaml").write_text(
        _CONFIGURATION_YAML.format(probe=probe, extra=extra, recorder=recorder)
    )
    return sock


class HomeAssistant:
    """A running Home Assistant and a line-based JSON client for its probe."""

    def __init__(self, config_dir: Path, sock: Path) -> None:
        """Start `python -m homeassistant` on `config_dir`."""
        self.config_dir = config_dir
        self.sock_path = sock
        self._sock: socket.socket | None = None
        self._reader: Any = None
        self.started = time.time()
        self.child = Child(
            "home-assistant",
            [
                sys.executable,
                "-m",
                "homeassistant",
                "--config",
                str(config_dir),
                "--skip-pip",
                "--log-file",
                str(config_dir / "home-assistant.log"),
            ],
            log_path=config_dir / "stdout.log",
            # Not the repository, nor with it on PYTHONPATH: its custom_components/
            # would join the configuration's as one namespace package.
            cwd=config_dir,
            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        )

    def connect(self, timeout: float) -> None:
        """Wait until the probe listens (Home Assistant has loaded it)."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.child.running:
                raise ProbeError(
                    f"Home Assistant exited; see {self.config_dir}/home-assistant.log"
                )
            try:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.connect(str(self.sock_path))
            except OSError:
                sock.close()
                if time.monotonic() > deadline:
                    raise ProbeError("the probe did not start") from None
                time.sleep(0.2)
                continue
            self._sock = sock
            self._reader = sock.makefile("rb")
            return

    def request(self, op: str, timeout: float = 60.0, **arguments: Any) -> Any:
        """Send one request to the probe and return its answer."""
        if self._sock is None:
            raise ProbeError("not connected")
        self._sock.settimeout(timeout)
        self._sock.sendall(json.dumps({"op": op, **arguments}).encode() + b"\n")
        line = self._reader.readline()
        if not line:
            raise ProbeError(f"the probe closed the connection during {op}")
        return json.loads(line)

    def stop(self, timeout: float = 60.0) -> int | None:
        """Stop Home Assistant (SIGTERM), killing it after `timeout`."""
        if self._sock is not None:
            self._reader.close()
            self._sock.close()
            self._sock = None
        return self.child.stop(timeout)
