"""Run the integration for real: Mosquitto, simulated controllers, Home Assistant.

`scripts/develop` calls this. On the first run it prepares `config/` the way a user
would, through Home Assistant's own onboarding and config-flow APIs (an owner
account, the MQTT integration pointing at our broker, and a Future Fish hub), so
nothing depends on private storage formats. Ctrl-C stops everything it started.
"""

import argparse
import json
import os
from pathlib import Path
import shutil
import signal
import subprocess
import sys
import time
from types import FrameType
from typing import Any
import urllib.error
import urllib.parse
import urllib.request

from tools.broker import Mosquitto

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config"
HA_URL = "http://127.0.0.1:8123"
CLIENT_ID = f"{HA_URL}/"
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

logger:
  default: warning
  logs:
    custom_components.future_fish: debug
"""


def _request(
    method: str,
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
        HA_URL + path, data=data, headers=headers, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        raise SystemExit(
            f"develop: {method} {path} failed: {err.code} {err.read().decode()}"
        ) from err


def _wait_for_home_assistant(process: subprocess.Popen[bytes], timeout: float) -> None:
    """Wait until the HTTP API answers (a first start installs nothing, ~20 s)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("develop: Home Assistant exited; see its output above")
        try:
            _request("GET", "/api/onboarding")
        except urllib.error.URLError, ConnectionError, TimeoutError:
            time.sleep(0.5)
        else:
            return
    raise SystemExit(f"develop: Home Assistant did not answer within {timeout:.0f} s")


def _flow(token: str, handler: str, answers: list[dict[str, Any]]) -> dict[str, Any]:
    """Run a config flow to its end, answering each form in turn."""
    result: dict[str, Any] = _request(
        "POST", "/api/config/config_entries/flow", {"handler": handler}, token=token
    )
    for answer in answers:
        if result["type"] != "form":
            break
        result = _request(
            "POST",
            f"/api/config/config_entries/flow/{result['flow_id']}",
            answer,
            token=token,
        )
    if result["type"] != "create_entry":
        raise SystemExit(f"develop: setting up {handler} failed: {result}")
    return result


def _bootstrap(mqtt_port: int) -> None:
    """Onboard Home Assistant and add MQTT and Future Fish, once."""
    if {step["step"]: step["done"] for step in _request("GET", "/api/onboarding")}.get(
        "user"
    ):
        return
    print("develop: first start: creating the owner and the integrations")
    auth_code = _request(
        "POST",
        "/api/onboarding/users",
        {
            "client_id": CLIENT_ID,
            "name": "Developer",
            "username": USERNAME,
            "password": PASSWORD,
            "language": "en",
        },
    )["auth_code"]
    token = _request(
        "POST",
        "/auth/token",
        {"grant_type": "authorization_code", "code": auth_code, "client_id": CLIENT_ID},
        form=True,
    )["access_token"]
    _request("POST", "/api/onboarding/core_config", {}, token=token)
    _request("POST", "/api/onboarding/analytics", {}, token=token)
    _request(
        "POST",
        "/api/onboarding/integration",
        {"client_id": CLIENT_ID, "redirect_uri": f"{HA_URL}/?auth_callback=1"},
        token=token,
    )
    _flow(
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
    _flow(token, "future_fish", [{"prefix": "ff", "heartbeat_timeout": 60}])


def _prepare_config() -> None:
    CONFIG.mkdir(exist_ok=True)
    yaml = CONFIG / "configuration.yaml"
    if not yaml.exists():
        yaml.write_text(CONFIGURATION_YAML, encoding="utf-8")
    link = CONFIG / "custom_components" / "future_fish"
    link.parent.mkdir(exist_ok=True)
    if not link.is_symlink():
        if link.exists():
            shutil.rmtree(link)
        link.symlink_to(ROOT / "custom_components" / "future_fish")


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
        "--simulator-args",
        default="",
        help='extra simulator options, e.g. "--legacy-format --drop-rate 0.05"',
    )
    args = parser.parse_args()
    _prepare_config()
    children: list[subprocess.Popen[bytes]] = []

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    def stop() -> None:
        for child in reversed(children):
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
        broker.stop()

    with Mosquitto(port=args.mqtt_port) as broker:
        signal.signal(signal.SIGTERM, interrupt)
        hass = [sys.executable, "-m", "homeassistant", "--config", str(CONFIG)]
        children.append(subprocess.Popen(hass, cwd=ROOT))  # noqa: S603
        try:
            _wait_for_home_assistant(children[-1], timeout=300)
            _bootstrap(broker.port)
            # Started last so that Home Assistant hears each controller's startup,
            # which carries its name, before the first telemetry creates its ponds.
            simulator = [
                sys.executable,
                "-m",
                "tools.simulator",
                "--port",
                str(broker.port),
                "--count",
                str(args.controllers),
                "--status-topic",
                *args.simulator_args.split(),
            ]
            children.append(subprocess.Popen(simulator, cwd=ROOT))  # noqa: S603
            print(
                "\n"
                f"develop: Home Assistant with Future Fish is running on {HA_URL}\n"
                f"develop: log in as {USERNAME!r} with password {PASSWORD!r}\n"
                f"develop: broker 127.0.0.1:{broker.port}, "
                f"{args.controllers} simulated controllers\n"
                "develop: press Ctrl-C to stop everything\n",
                flush=True,
            )
            while all(child.poll() is None for child in children):
                time.sleep(1)
            print("develop: a process exited; stopping the rest")
        except KeyboardInterrupt:
            print("\ndevelop: stopping")
        finally:
            stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
