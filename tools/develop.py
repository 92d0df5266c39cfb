"""Run the integration for real: Mosquitto, simulated controllers, Home Assistant.

`scripts/develop` calls this. On the first run it prepares `config/` the way a user
would, through Home Assistant's own onboarding and config-flow APIs (an owner
account, the MQTT integration pointing at our broker, and a Future Fish hub), so
nothing depends on private storage formats. Ctrl-C stops everything it started.

Every start copies the project's blueprints into `config/blueprints/`, as importing
them does for a user, so the automation editor offers the current ones; the
configuration has automations and an "Aerator" input boolean to point them at.

`run_stack()` is the same stack as a context manager, for tools that need it running
in a throwaway configuration directory on free ports (`tools.screenshots`).
"""

import argparse
import asyncio
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
import json
import os
from pathlib import Path
import shutil
import signal
import subprocess
import sys
import time
from types import FrameType
from typing import IO, Any
import urllib.error
import urllib.parse
import urllib.request

import aiohttp

from tools.broker import Mosquitto

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config"
HTTP_PORT = 8123
# Installed by `scripts/setup --develop` in other versions than Home Assistant pins.
ASSIST_AUDIO_PACKAGES = ("pymicro-vad", "pyspeex-noise")
USERNAME = "dev"
PASSWORD = "future-fish"  # noqa: S105 - a local development login, printed on start
# Not `default_config:`: several of its integrations need ffmpeg or voice packages
# that have no Python 3.14 wheels; the frontend brings what the UI needs.
CONFIGURATION_YAML = """\
# Written by scripts/develop.
frontend:
history:
logbook:
sun:
person:
automation: !include automations.yaml
# Something for the blueprints' automations to switch, in place of an aerator's plug.
input_boolean:
  aerator:
    name: Aerator
    icon: mdi:fan

logger:
  default: warning
  logs:
    custom_components.future_fish: debug
"""
# Only for a port other than Home Assistant's default: it starts such a port as a
# trial that the owner must confirm, which _bootstrap does.
HTTP_YAML = """
http:
  server_port: {port}
"""


def _request(
    method: str,
    url: str,
    path: str,
    body: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    form: bool = False,
) -> Any:
    """Call Home Assistant's HTTP API and return the decoded JSON answer."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        if form:
            data = urllib.parse.urlencode(body).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
    request = urllib.request.Request(  # noqa: S310 - always our own loopback URL
        url + path, data=data, headers=headers, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        raise SystemExit(
            f"develop: {method} {path} failed: {err.code} {err.read().decode()}"
        ) from err


def _wait_for_home_assistant(
    process: subprocess.Popen[bytes], url: str, timeout: float
) -> None:
    """Wait until the HTTP API answers (a first start installs nothing, ~20 s)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("develop: Home Assistant exited; see its output")
        try:
            _request("GET", url, "/api/onboarding")
        except urllib.error.URLError, ConnectionError, TimeoutError:
            time.sleep(0.5)
        else:
            return
    raise SystemExit(f"develop: Home Assistant did not answer within {timeout:.0f} s")


def _websocket(url: str, token: str, message: dict[str, Any]) -> Any:
    """Send one command over Home Assistant's WebSocket API and return its result."""

    async def call() -> Any:
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(f"{url}/api/websocket") as socket,
        ):
            await socket.receive_json()  # auth_required
            await socket.send_json({"type": "auth", "access_token": token})
            if (answer := await socket.receive_json())["type"] != "auth_ok":
                raise SystemExit(f"develop: WebSocket login failed: {answer}")
            await socket.send_json({"id": 1, **message})
            answer = await socket.receive_json()
        if not answer["success"]:
            raise SystemExit(f"develop: {message['type']} failed: {answer}")
        return answer["result"]

    return asyncio.run(call())


def _flow(
    url: str, token: str, handler: str, answers: list[dict[str, Any]]
) -> dict[str, Any]:
    """Run a config flow to its end, answering each form in turn."""
    result: dict[str, Any] = _request(
        "POST",
        url,
        "/api/config/config_entries/flow",
        {"handler": handler},
        token=token,
    )
    for answer in answers:
        if result["type"] != "form":
            break
        result = _request(
            "POST",
            url,
            f"/api/config/config_entries/flow/{result['flow_id']}",
            answer,
            token=token,
        )
    if result["type"] != "create_entry":
        raise SystemExit(f"develop: setting up {handler} failed: {result}")
    return result


def _token(url: str, auth_code: str) -> str:
    """Exchange an authorization code for an access token."""
    token: str = _request(
        "POST",
        url,
        "/auth/token",
        {"grant_type": "authorization_code", "code": auth_code, "client_id": f"{url}/"},
        form=True,
    )["access_token"]
    return token


def _log_in(url: str) -> str:
    """Log in as the developer through the login flow, as the frontend does."""
    flow = _request(
        "POST",
        url,
        "/auth/login_flow",
        {
            "client_id": f"{url}/",
            "handler": ["homeassistant", None],
            "redirect_uri": f"{url}/?auth_callback=1",
        },
    )
    result = _request(
        "POST",
        url,
        f"/auth/login_flow/{flow['flow_id']}",
        {"client_id": f"{url}/", "username": USERNAME, "password": PASSWORD},
    )
    if result["type"] != "create_entry":
        raise SystemExit(f"develop: logging in as {USERNAME!r} failed: {result}")
    return _token(url, result["result"])


def _wait_until_started(url: str, timeout: float) -> None:
    """Wait until every integration has started; the API answers long before."""
    token = _log_in(url)
    deadline = time.monotonic() + timeout
    while _request("GET", url, "/api/config", token=token)["state"] != "RUNNING":
        if time.monotonic() > deadline:
            raise SystemExit(
                f"develop: Home Assistant did not start in {timeout:.0f} s"
            )
        time.sleep(0.5)


def _bootstrap(url: str, mqtt_port: int) -> None:
    """Onboard Home Assistant and add MQTT and Future Fish, once."""
    steps = _request("GET", url, "/api/onboarding")
    if {step["step"]: step["done"] for step in steps}.get("user"):
        return
    print("develop: first start: creating the owner and the integrations")
    client_id = f"{url}/"
    auth_code = _request(
        "POST",
        url,
        "/api/onboarding/users",
        {
            "client_id": client_id,
            "name": "Developer",
            "username": USERNAME,
            "password": PASSWORD,
            "language": "en",
        },
    )["auth_code"]
    token = _token(url, auth_code)
    _request("POST", url, "/api/onboarding/core_config", {}, token=token)
    _request("POST", url, "/api/onboarding/analytics", {}, token=token)
    # A port set in configuration.yaml runs as a trial, reverted after 5 minutes
    # unless the owner confirms it (HTTP settings live in storage now).
    if _websocket(url, token, {"type": "http/config"})["pending"] is not None:
        _websocket(url, token, {"type": "http/config/promote"})
    _request(
        "POST",
        url,
        "/api/onboarding/integration",
        {"client_id": client_id, "redirect_uri": f"{url}/?auth_callback=1"},
        token=token,
    )
    _flow(
        url,
        token,
        "mqtt",
        [
            {
                "broker": "127.0.0.1",
                "port": mqtt_port,
                "other_settings": {"set_client_cert": False, "set_ca_cert": "off"},
            }
        ],
    )
    _flow(url, token, "future_fish", [{"prefix": "ff", "heartbeat_timeout": 60}])


def _prepare_config(config: Path, http_port: int) -> None:
    config.mkdir(exist_ok=True)
    yaml = config / "configuration.yaml"
    if not yaml.exists():
        http = "" if http_port == HTTP_PORT else HTTP_YAML.format(port=http_port)
        yaml.write_text(CONFIGURATION_YAML + http, encoding="utf-8")
    elif "automation:" not in yaml.read_text(encoding="utf-8"):
        print(
            f"develop: {yaml} predates automations: delete {config} to start afresh, "
            "or add the lines it lacks from tools/develop.py's CONFIGURATION_YAML"
        )
    automations = config / "automations.yaml"
    if not automations.exists():
        automations.write_text("[]\n", encoding="utf-8")
    # Copies, not a link: Home Assistant does not look into linked directories.
    shutil.copytree(ROOT / "blueprints", config / "blueprints", dirs_exist_ok=True)
    link = config / "custom_components" / "future_fish"
    link.parent.mkdir(exist_ok=True)
    if not link.is_symlink():
        if link.exists():
            shutil.rmtree(link)
        link.symlink_to(ROOT / "custom_components" / "future_fish")


@dataclass(frozen=True, slots=True)
class Stack:
    """A running stack: where Home Assistant answers, and what runs it."""

    url: str
    broker: Mosquitto
    processes: list[subprocess.Popen[bytes]]
    output: IO[bytes] | None = None

    def start_simulator(self, *args: str) -> subprocess.Popen[bytes]:
        """Start a simulated fleet on the broker; the stack stops it with the rest.

        The options are the simulator's; `--count` and `--seed` pick its controllers,
        so a second fleet with another seed adds controllers that behave otherwise.
        """
        command = [
            sys.executable,
            "-m",
            "tools.simulator",
            "--port",
            str(self.broker.port),
            "--status-topic",
            *args,
        ]
        process = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, stdout=self.output, stderr=self.output
        )
        self.processes.append(process)
        return process

    def alive(self) -> bool:
        """Whether the broker, Home Assistant and the simulator all still run."""
        return self.broker.running and all(p.poll() is None for p in self.processes)


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """Stop the simulator first, then Home Assistant, killing what hangs."""
    for process in reversed(processes):
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def run_stack(
    config: Path,
    *,
    http_port: int,
    mqtt_port: int,
    controllers: int,
    simulator_args: Sequence[str] = (),
    output: IO[bytes] | None = None,
) -> Iterator[Stack]:
    """Start Mosquitto, Home Assistant and the simulator; stop all of them on exit.

    Returns once Home Assistant has started every integration and is set up, and
    the simulator runs. `http_port` only applies to a new `config` (it goes into
    configuration.yaml). The processes write to `output` (default: this process's
    stdout and stderr).
    """
    _prepare_config(config, http_port)
    url = f"http://127.0.0.1:{http_port}"
    processes: list[subprocess.Popen[bytes]] = []
    with Mosquitto(port=mqtt_port) as broker:
        try:
            hass = [
                sys.executable,
                "-m",
                "homeassistant",
                "--config",
                str(config),
                # requirements_develop.txt explains why these are not Home
                # Assistant's pins, which it would otherwise try to build each start.
                "--skip-pip-packages",
                ",".join(ASSIST_AUDIO_PACKAGES),
            ]
            processes.append(
                subprocess.Popen(hass, cwd=ROOT, stdout=output, stderr=output)  # noqa: S603
            )
            _wait_for_home_assistant(processes[-1], url, timeout=300)
            _bootstrap(url, broker.port)
            _wait_until_started(url, timeout=300)
            stack = Stack(url, broker, processes, output)
            # Started last so that Home Assistant hears each controller's startup,
            # which carries its name, before the first telemetry creates its ponds.
            stack.start_simulator("--count", str(controllers), *simulator_args)
            yield stack
        finally:
            _stop(processes)


def main() -> int:
    """Start everything, print how to log in, and wait for Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--controllers", type=int, default=3)
    parser.add_argument(
        "--mqtt-port",
        type=int,
        default=int(os.environ.get("FUTURE_FISH_MQTT_PORT", "18830")),
        help="fixed, because the MQTT integration in config/ remembers it",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=CONFIG,
        help="Home Assistant's configuration directory, set up on first use "
        "(default: config/)",
    )
    parser.add_argument(
        "--simulator-args",
        default="",
        help='extra simulator options, e.g. "--legacy-format --drop-rate 0.05"',
    )
    args = parser.parse_args()

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    try:
        with run_stack(
            args.config,
            http_port=HTTP_PORT,
            mqtt_port=args.mqtt_port,
            controllers=args.controllers,
            simulator_args=args.simulator_args.split(),
        ) as stack:
            print(
                "\n"
                f"develop: Home Assistant with Future Fish is running on {stack.url}\n"
                f"develop: log in as {USERNAME!r} with password {PASSWORD!r}\n"
                f"develop: broker 127.0.0.1:{stack.broker.port}, "
                f"{args.controllers} simulated controllers\n"
                "develop: press Ctrl-C to stop everything\n",
                flush=True,
            )
            while stack.alive():
                time.sleep(1)
            print("develop: a process exited; stopping the rest")
    except KeyboardInterrupt:
        pass  # Ctrl-C, or SIGTERM: run_stack has stopped everything on the way out
    print("develop: stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
