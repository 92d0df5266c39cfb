"""MQTT connections driven by the asyncio event loop instead of one thread each.

paho-mqtt 2.x can run without its network thread: the owner watches the socket and
calls `loop_read`, `loop_write` and `loop_misc` (Home Assistant's MQTT client does the
same). That is what lets one process hold a thousand connections. Only the blocking
TCP connect runs in an executor thread; paho's socket callbacks fire on that thread
during the connect, so they hand their work to the loop thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
import logging
import random
import socket
import threading
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.reasoncodes import ReasonCode

_LOGGER = logging.getLogger(__name__)

# After a lost connection: first retry soon (a restarted broker is back within a
# second), then back off to spare a broker that stays down.
_RETRY_MIN_S = 0.1
_RETRY_MAX_S = 5.0
_MISC_INTERVAL_S = 1.0
_CLOSE_TIMEOUT_S = 2.0
# Topics per SUBSCRIBE packet when a shared connection subscribes for many controllers.
_SUBSCRIBE_CHUNK = 100


@dataclass(frozen=True, slots=True)
class Will:
    """The Last Will the broker publishes when the connection dies uncleanly."""

    topic: str
    payload: str
    qos: int = 1
    retain: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Broker:
    """Where to connect and how to log in."""

    host: str
    port: int
    keepalive: int = 60
    username: str | None = None
    password: str | None = None


class MqttConnection:
    """One MQTT connection that reconnects by itself and resubscribes after that.

    `on_up` runs once the connection is usable: connected and every subscription
    acknowledged, so that a command sent after it is received. `on_message` gets the
    topic and payload of every message. `on_delivered` runs for every message the
    broker has (PUBACK, PUBCOMP, or written out for QoS 0).
    """

    def __init__(
        self,
        *,
        broker: Broker,
        client_id: str,
        subscriptions: Sequence[tuple[str, int]],
        on_up: Callable[[], None],
        on_message: Callable[[str, bytes], None],
        on_delivered: Callable[[], None],
        executor: Executor,
        will: Will | None = None,
        max_inflight: int = 20,
    ) -> None:
        """Prepare the client; nothing connects before `start()`."""
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._broker = broker
        self._client_id = client_id
        self._subscriptions = list(subscriptions)
        self._on_up = on_up
        self._on_message = on_message
        self._on_delivered = on_delivered
        self._executor = executor
        self._rng = random.Random(client_id)
        self._up = False
        self._closing = False
        self._offline_until = 0.0
        self._retry_delay = _RETRY_MIN_S
        self._lost = asyncio.Event()
        self._pending_subscriptions: set[int] = set()
        # Deliveries someone waits for, by message id.
        self._deliveries: dict[int, asyncio.Future[bool]] = {}
        self._misc_timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None
        self._connecting: Future[MQTTErrorCode] | None = None
        self._client = self._make_client(will, max_inflight)

    def _make_client(self, will: Will | None, max_inflight: int) -> mqtt.Client:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self._client_id,
            protocol=MQTTProtocolVersion.MQTTv311,
            clean_session=True,
        )
        client.max_inflight_messages_set(max_inflight)
        if self._broker.username is not None:
            client.username_pw_set(self._broker.username, self._broker.password)
        if will is not None:
            client.will_set(will.topic, will.payload, will.qos, will.retain)
        client.on_connect = self._handle_connect
        client.on_disconnect = self._handle_disconnect
        client.on_subscribe = self._handle_subscribe
        client.on_publish = self._handle_publish
        client.on_message = self._handle_message
        client.on_socket_open = self._handle_socket_open
        client.on_socket_close = self._handle_socket_close
        client.on_socket_register_write = self._handle_register_write
        client.on_socket_unregister_write = self._handle_unregister_write
        # Only stores the address; `reconnect()` in `_run` does the connecting.
        client.connect_async(
            self._broker.host, self._broker.port, self._broker.keepalive
        )
        return client

    @property
    def up(self) -> bool:
        """Whether the connection is usable (see the class doc)."""
        return self._up

    def start(self) -> None:
        """Connect in the background and keep reconnecting until `close()`."""
        self._task = self._loop.create_task(self._run(), name=f"mqtt {self._client_id}")

    def publish(self, topic: str, payload: str, qos: int, retain: bool) -> bool:
        """Queue a message; False (and nothing queued) while the connection is down."""
        return self._publish(topic, payload, qos, retain) is not None

    async def deliver(self, topic: str, payload: str, qos: int, retain: bool) -> bool:
        """Publish and wait until the broker has the message.

        That is PUBACK or PUBCOMP, or written out for QoS 0. False when it was not sent
        or the connection dropped before; a dead peer is noticed within the keepalive.
        """
        info = self._publish(topic, payload, qos, retain)
        if info is None:
            return False
        if info.is_published():
            return True
        delivery: asyncio.Future[bool] = self._loop.create_future()
        self._deliveries[info.mid] = delivery
        try:
            return await delivery
        finally:
            self._deliveries.pop(info.mid, None)

    def _publish(
        self, topic: str, payload: str, qos: int, retain: bool
    ) -> mqtt.MQTTMessageInfo | None:
        if not self._up:
            return None
        info = self._client.publish(topic, payload, qos, retain)
        return info if info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS else None

    def drop(self, offline_for: float) -> None:
        """Cut the connection without DISCONNECT and stay away for `offline_for` s.

        The broker sees the TCP connection close without a DISCONNECT packet, as when
        a controller loses power, and publishes the Last Will.
        """
        self._offline_until = self._loop.time() + offline_for
        sock = self._client.socket()
        if not isinstance(sock, socket.socket):
            return  # not connected (paho uses plain sockets without TLS)
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            _LOGGER.debug("%s: socket already gone", self._client_id)
        # Let paho read the end of the stream now: it closes the socket and reports
        # the loss, which wakes `_run`.
        self._client.loop_read()

    async def close(self) -> None:
        """Disconnect cleanly (no Last Will) and stop reconnecting."""
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._connecting is not None:
            # A cancelled task does not stop the executor thread: let a connect that is
            # under way finish, so that the socket below is the last one.
            await asyncio.gather(
                asyncio.wrap_future(self._connecting), return_exceptions=True
            )
        if self._client.socket() is not None:
            self._lost.clear()
            self._client.disconnect()
            try:
                async with asyncio.timeout(_CLOSE_TIMEOUT_S):
                    await self._lost.wait()
            except TimeoutError:
                _LOGGER.warning("%s: no clean disconnect", self._client_id)
        self._stop_misc()

    async def _run(self) -> None:
        while True:
            if (wait := self._offline_until - self._loop.time()) > 0:
                await asyncio.sleep(wait)
            self._lost.clear()
            self._connecting = self._executor.submit(self._client.reconnect)
            try:
                await asyncio.wrap_future(self._connecting)
            except OSError as err:
                _LOGGER.debug("%s: connect failed: %s", self._client_id, err)
            else:
                await self._lost.wait()
            # Jitter spreads the reconnects of a thousand controllers after a restart.
            await asyncio.sleep(self._retry_delay * self._rng.uniform(0.5, 1.5))
            self._retry_delay = min(self._retry_delay * 2, _RETRY_MAX_S)

    # --- paho callbacks (on the loop thread unless said otherwise) -----------------

    def _handle_connect(
        self,
        client: mqtt.Client,
        _userdata: Any,
        _flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        _properties: Any,
    ) -> None:
        if reason_code.is_failure:
            # paho closes the socket itself, which wakes `_run` to retry.
            _LOGGER.warning("%s: broker refused: %s", self._client_id, reason_code)
            return
        self._retry_delay = _RETRY_MIN_S
        self._pending_subscriptions.clear()
        for start in range(0, len(self._subscriptions), _SUBSCRIBE_CHUNK):
            _rc, mid = client.subscribe(
                self._subscriptions[start : start + _SUBSCRIBE_CHUNK]
            )
            if mid is not None:
                self._pending_subscriptions.add(mid)
        if not self._pending_subscriptions:
            self._become_up()

    def _handle_subscribe(
        self,
        _client: mqtt.Client,
        _userdata: Any,
        mid: int,
        _reason_codes: list[ReasonCode],
        _properties: Any,
    ) -> None:
        self._pending_subscriptions.discard(mid)
        if not self._pending_subscriptions and not self._up:
            self._become_up()

    def _become_up(self) -> None:
        self._up = True
        self._on_up()

    def _handle_disconnect(
        self,
        _client: mqtt.Client,
        _userdata: Any,
        _flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        _properties: Any,
    ) -> None:
        if self._up and not self._closing:
            _LOGGER.info("%s: connection lost: %s", self._client_id, reason_code)
        self._up = False
        # Whatever was in flight is gone with the clean session.
        for delivery in self._deliveries.values():
            if not delivery.done():
                delivery.set_result(False)
        self._lost.set()

    def _handle_publish(
        self,
        _client: mqtt.Client,
        _userdata: Any,
        mid: int,
        _reason_code: ReasonCode,
        _properties: Any,
    ) -> None:
        self._on_delivered()
        delivery = self._deliveries.get(mid)
        if delivery is not None and not delivery.done():
            delivery.set_result(True)

    def _handle_message(
        self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage
    ) -> None:
        try:
            self._on_message(message.topic, message.payload)
        except Exception:
            # paho would swallow the traceback; a bug in a handler must be visible.
            _LOGGER.exception("%s: failed to handle %s", self._client_id, message.topic)

    # --- socket callbacks: may fire on the executor thread during a connect --------

    def _in_loop(self, function: Callable[..., object], *args: Any) -> None:
        if threading.get_ident() == self._loop_thread:
            function(*args)
        else:
            self._loop.call_soon_threadsafe(function, *args)

    def _handle_socket_open(
        self, _client: mqtt.Client, _userdata: Any, sock: mqtt.SocketLike
    ) -> None:
        self._in_loop(self._watch_socket, sock)

    def _handle_socket_close(
        self, _client: mqtt.Client, _userdata: Any, sock: mqtt.SocketLike
    ) -> None:
        self._in_loop(self._unwatch_socket, sock)

    def _handle_register_write(
        self, _client: mqtt.Client, _userdata: Any, sock: mqtt.SocketLike
    ) -> None:
        self._in_loop(self._watch_writable, sock)

    def _handle_unregister_write(
        self, _client: mqtt.Client, _userdata: Any, sock: mqtt.SocketLike
    ) -> None:
        self._in_loop(self._loop.remove_writer, sock)

    def _watch_socket(self, sock: mqtt.SocketLike) -> None:
        # Handed over from another thread, the socket may already be closed again.
        if self._client.socket() is not sock or sock.fileno() < 0:
            return
        self._loop.add_reader(sock, self._client.loop_read)
        if self._misc_timer is None:
            self._misc_timer = self._loop.call_later(_MISC_INTERVAL_S, self._misc)
        # Data may have arrived before the reader was registered.
        self._client.loop_read()

    def _unwatch_socket(self, sock: mqtt.SocketLike) -> None:
        self._loop.remove_reader(sock)
        self._loop.remove_writer(sock)
        self._stop_misc()

    def _watch_writable(self, sock: mqtt.SocketLike) -> None:
        if self._client.socket() is sock and sock.fileno() >= 0:
            self._loop.add_writer(sock, self._write, sock)

    def _write(self, sock: mqtt.SocketLike) -> None:
        self._client.loop_write()
        # paho unregisters only what it registered itself; a registration handed over
        # from the connect thread could outlive it and spin the loop. (A socket that
        # paho has closed meanwhile was unregistered by `_unwatch_socket`.)
        if self._client.socket() is sock and not self._client.want_write():
            self._loop.remove_writer(sock)

    def _misc(self) -> None:
        # Keepalive pings and retries of unacknowledged QoS 1/2 messages.
        self._misc_timer = None
        if self._client.loop_misc() == MQTTErrorCode.MQTT_ERR_SUCCESS:
            self._misc_timer = self._loop.call_later(_MISC_INTERVAL_S, self._misc)

    def _stop_misc(self) -> None:
        if self._misc_timer is not None:
            self._misc_timer.cancel()
            self._misc_timer = None
