"""The command tracker: two-phase acknowledgement, deadlines, safe retries, outcomes.

Every command is published with QoS 2 and never retained, then followed until it
reaches a final state. States only move forward (PROTOCOL.md 8.3): a late or
duplicate answer is counted and changes nothing, and an answer from a controller
other than the one commanded is ignored (8.4). A late completion is still a fact
about the pond: it is reported (event, feeding records) without changing the state.

Nothing is handed to the MQTT client while it is disconnected: it would queue the
message and send it, with every other queued one, after the reconnect. While the
broker is away a command's clocks stand still; they run again, and the command is
sent once more, when its controller is heard from after the reconnect.
"""

import asyncio
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit, urlunsplit

from homeassistant.components import mqtt
from homeassistant.core import CALLBACK_TYPE, Context, HassJob, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from .const import (
    CONF_ACK_TIMEOUT,
    CONF_ALLOW_HTTP_FIRMWARE,
    CONF_RETRIES,
    DEFAULT_ACK_TIMEOUT,
    DEFAULT_ALLOW_HTTP_FIRMWARE,
    DEFAULT_RETRIES,
    DOMAIN,
    LOGGER,
)
from .context import HubContext
from .models import INLET_VALVE, LAST_COMMAND, OUTLET_VALVE, ControllerState
from .protocol import (
    CommandAnswer,
    CommandType,
    build_command,
    command_topic,
    new_command_id,
)

EVENT_COMMAND: Final = f"{DOMAIN}_command"
# Fired when a controller reports a command done after Home Assistant gave up on it.
EVENT_COMMAND_LATE: Final = f"{DOMAIN}_command_late"
# How Home Assistant's diagnostics write what was left out.
REDACTED: Final = "**REDACTED**"
COMMAND_QOS: Final = 2
# Gaps between resends while no ack has arrived; all three fit in the default
# acknowledgement deadline (resends at 2, 5 and 9 s).
RETRY_GAPS: Final = (2, 3, 4)
# Completion deadlines: option key, default seconds, and the commands it applies to.
# Real fills, drains and firmware updates take minutes (PROTOCOL 6).
COMPLETION_TIMEOUT_OPTIONS: Final[Mapping[str, tuple[int, tuple[CommandType, ...]]]] = {
    "timeout_feed": (120, (CommandType.FEED,)),
    "timeout_water": (
        1800,
        (CommandType.WATER_FILL, CommandType.WATER_DRAIN, CommandType.FLUSH),
    ),
    "timeout_valve": (
        60,
        (
            CommandType.WATER_INLET_OPEN,
            CommandType.WATER_INLET_CLOSE,
            CommandType.WATER_OUTLET_OPEN,
            CommandType.WATER_OUTLET_CLOSE,
        ),
    ),
    "timeout_firmware": (900, (CommandType.FIRMWARE,)),
    "timeout_reboot": (180, (CommandType.REBOOT,)),
    "timeout_settings": (60, (CommandType.THRESHOLD, CommandType.CONFIG_UPDATE)),
}
# Commands that cannot run at the same time on one pond (or one controller).
CONFLICT_GROUPS: Final[Mapping[CommandType, str]] = {
    CommandType.FEED: "feed",
    CommandType.WATER_FILL: "water",
    CommandType.WATER_DRAIN: "water",
    CommandType.FLUSH: "water",
    CommandType.WATER_INLET_OPEN: "water",
    CommandType.WATER_INLET_CLOSE: "water",
    CommandType.WATER_OUTLET_OPEN: "water",
    CommandType.WATER_OUTLET_CLOSE: "water",
    CommandType.FIRMWARE: "system",
    CommandType.REBOOT: "system",
}
# What a completed valve command confirms: which valve, and open or closed.
VALVE_EFFECTS: Final[Mapping[CommandType, tuple[str, bool]]] = {
    CommandType.WATER_INLET_OPEN: (INLET_VALVE, True),
    CommandType.WATER_INLET_CLOSE: (INLET_VALVE, False),
    CommandType.WATER_OUTLET_OPEN: (OUTLET_VALVE, True),
    CommandType.WATER_OUTLET_CLOSE: (OUTLET_VALVE, False),
}
# Enough finished commands per controller for a meaningful success rate and for
# recognising late answers, without growing with uptime.
HISTORY_LENGTH: Final = 100


class CommandState(StrEnum):
    """Where a command is in its life."""

    PENDING = "pending"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    COMPLETED = "completed"
    FAILED = "failed"
    REJECTED = "rejected"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"


# States in which the controller's ack is still awaited: PENDING while the broker has
# not yet confirmed the publish, which a fast controller's answer may overtake.
AWAITING_ACK: Final = frozenset({CommandState.PENDING, CommandState.SENT})
# Never resent: a controller forgets the ids it executed when it restarts, so a
# reboot resent after the boot would restart it again. Its answer is the next
# startup, which may come before any ack, so it waits for one until its completion
# deadline instead of the acknowledgement deadline.
NOT_RESENT: Final = frozenset({CommandType.REBOOT})
FINAL_STATES: Final = frozenset(
    {
        CommandState.COMPLETED,
        CommandState.FAILED,
        CommandState.REJECTED,
        CommandState.TIMED_OUT,
        CommandState.CANCELLED,
    }
)


@dataclass(eq=False, kw_only=True)
class Command:
    """One command and everything that happened to it."""

    command_id: str
    controller: ControllerState
    command_type: CommandType
    pond: int | None
    parameters: dict[str, Any]
    request: dict[str, float]
    context: Context | None
    ack_timeout: timedelta
    completion_timeout: timedelta
    created_at: datetime
    state: CommandState = CommandState.PENDING
    attempts: int = 0
    first_sent_at: datetime | None = None
    acknowledged_at: datetime | None = None
    finished_at: datetime | None = None
    message: str | None = None
    error_code: str | None = None
    error_details: str | None = None
    late_answers: int = 0
    # When a controller reported it done after Home Assistant had given up.
    completed_late_at: datetime | None = None
    # The clocks stand still while the broker is away: since when, and how long
    # they stood still in the current phase (acknowledgement, then completion).
    paused_at: datetime | None = None
    paused_for: timedelta = timedelta()
    acknowledged: asyncio.Future[None] = field(repr=False)
    finished: asyncio.Future[None] = field(repr=False)

    @property
    def is_final(self) -> bool:
        """Return whether nothing can change this command any more."""
        return self.state in FINAL_STATES

    @property
    def ack_due(self) -> datetime:
        """Return when the acknowledgement deadline ends, stopped time added."""
        if TYPE_CHECKING:
            assert self.first_sent_at is not None
        return self.first_sent_at + self.ack_timeout + self.paused_for

    @property
    def completion_due(self) -> datetime:
        """Return when the completion deadline ends, stopped time added."""
        if TYPE_CHECKING:
            assert self.first_sent_at is not None
        started = self.acknowledged_at or self.first_sent_at
        return started + self.completion_timeout + self.paused_for

    @property
    def ms_to_ack(self) -> int | None:
        """Return milliseconds from the first send to the acknowledgement."""
        return _ms_between(self.first_sent_at, self.acknowledged_at)

    @property
    def ms_to_complete(self) -> int | None:
        """Return milliseconds from the first send to the final state."""
        return _ms_between(self.first_sent_at, self.finished_at)

    def as_dict(self) -> dict[str, Any]:
        """Return what scripts, events and diagnostics see of the command."""
        pond = self.controller.ponds.get(self.pond) if self.pond else None
        return {
            "command_id": self.command_id,
            "command_type": self.command_type.value,
            # The device registry id, which the logbook and device pages filter on.
            "device_id": (self.controller if pond is None else pond).device_entry_id,
            "controller": self.controller.device_id,
            "pond": self.pond,
            # Events end up in the recorder and the logbook: no URL secrets there.
            "parameters": (
                self.parameters | {"url": url_without_secrets(url)}
                if isinstance(url := self.parameters.get("url"), str)
                else self.parameters
            ),
            "request": self.request,
            "state": self.state.value,
            "attempts": self.attempts,
            "ms_to_ack": self.ms_to_ack,
            "ms_to_complete": self.ms_to_complete,
            "message": self.message,
            "error_code": self.error_code,
            "error_details": self.error_details,
        }


def url_without_secrets(url: str) -> str:
    """Return a URL with its user name, password and query (tokens) redacted."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # not even a URL: nothing of it can be shown safely
        return REDACTED
    if parts.username is not None or parts.password is not None:
        host = parts.hostname or ""
        parts = parts._replace(
            netloc=f"{REDACTED}@{host}" + (f":{port}" if port else "")
        )
    # Signed download links carry their secret in the query.
    if parts.query:
        parts = parts._replace(query=REDACTED)
    return urlunsplit(parts)


def success_rate(commands: Iterable[Command]) -> float | None:
    """Return the % of finished commands that completed, None if none finished.

    A command Home Assistant cancelled itself (on unload) says nothing about the
    controller, so it does not count.
    """
    ended = [
        command
        for command in commands
        if command.is_final and command.state is not CommandState.CANCELLED
    ]
    if not ended:
        return None
    done = sum(command.state is CommandState.COMPLETED for command in ended)
    return round(100 * done / len(ended), 1)


def _ms_between(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() * 1000)


@dataclass(frozen=True, kw_only=True)
class TrackerSettings:
    """What the options flow lets the user change about commands."""

    ack_timeout: timedelta
    completion_timeouts: Mapping[CommandType, timedelta]
    retries: bool
    allow_http_firmware: bool

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> TrackerSettings:
        """Read the settings from a config entry's options, with defaults."""
        return cls(
            ack_timeout=timedelta(
                seconds=options.get(CONF_ACK_TIMEOUT, DEFAULT_ACK_TIMEOUT)
            ),
            completion_timeouts={
                command_type: timedelta(seconds=options.get(key, default))
                for key, (default, types) in COMPLETION_TIMEOUT_OPTIONS.items()
                for command_type in types
            },
            retries=options.get(CONF_RETRIES, DEFAULT_RETRIES),
            allow_http_firmware=options.get(
                CONF_ALLOW_HTTP_FIRMWARE, DEFAULT_ALLOW_HTTP_FIRMWARE
            ),
        )


type CommandListener = Callable[[Command], None]


class CommandTracker:
    """Sends commands and follows each one until it ends."""

    def __init__(
        self,
        context: HubContext,
        settings: TrackerSettings,
        heartbeat_timeout: timedelta,
    ) -> None:
        """Track the commands of one hub, whose controllers speak this often."""
        self.hass = context.hass
        self._context = context
        self.settings = settings
        self._heartbeat_timeout = heartbeat_timeout
        self.active: dict[str, Command] = {}
        self.history: dict[str, deque[Command]] = {}
        # Each controller's most recently changed command.
        self._last: dict[str, Command] = {}
        self.unknown_answers = 0
        self._slots: dict[tuple[str, int | None, str], Command] = {}
        self._timers: dict[str, CALLBACK_TYPE] = {}
        # Resends already made per command id, so each gap of RETRY_GAPS is used
        # once however long (or unsuccessful) the publish itself is.
        self._resends: dict[str, int] = {}
        self._listeners: list[CommandListener] = []
        # After a reconnect: what resumes the clocks of commands whose controller
        # stays silent (it is offline, it cannot be waited for), and when.
        self._cancel_resume: CALLBACK_TYPE | None = None
        self._resume_at = dt_util.utcnow()

    # --- sending ------------------------------------------------------------------------

    async def async_send(
        self,
        controller: ControllerState,
        command_type: CommandType,
        pond: int | None,
        parameters: Mapping[str, Any],
        context: Context | None = None,
        *,
        request: Mapping[str, float] | None = None,
    ) -> Command:
        """Publish a command and start following it; raise if it cannot be sent.

        `request` is what the user asked in their own terms (water levels in %),
        reported with the command where `parameters` carry the controller's.
        """
        self._check_connected()
        if not controller.online:
            since = controller.offline_since
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key=(
                    "controller_not_seen" if since is None else "controller_offline"
                ),
                translation_placeholders={
                    "controller": controller.name,
                    "since": "" if since is None else _local_time(since),
                },
            )
        slot = self._slot(controller, command_type, pond)
        if slot is not None and (running := self._slots.get(slot)) is not None:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="command_conflict",
                translation_placeholders={
                    "target": _target_name(controller, pond),
                    "running": running.command_type.value,
                },
            )
        loop = self.hass.loop
        command = Command(
            command_id=new_command_id(),
            controller=controller,
            command_type=command_type,
            pond=pond,
            parameters=dict(parameters),
            request=dict(request or {}),
            context=context,
            ack_timeout=(
                self.settings.completion_timeouts[command_type]
                if command_type in NOT_RESENT
                else self.settings.ack_timeout
            ),
            completion_timeout=self.settings.completion_timeouts[command_type],
            created_at=dt_util.utcnow(),
            acknowledged=loop.create_future(),
            finished=loop.create_future(),
        )
        # Claimed before publishing: the broker's confirmation of a QoS 2 publish can
        # take seconds, and neither a second request nor the controller's answer,
        # which may overtake that confirmation, must find the command missing.
        self.active[command.command_id] = command
        if slot is not None:
            self._slots[slot] = command
        try:
            await self._async_publish(command)
        except BaseException:
            # Nothing left behind that could block the next attempt.
            self._release(command)
            raise
        if command.state is CommandState.PENDING:
            command.state = CommandState.SENT
            self._schedule(command)
            self._notify(command)
        return command

    def _check_connected(self) -> None:
        # The client's own state, not the hub's: it changes first.
        if not mqtt.is_connected(self.hass):
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="mqtt_disconnected"
            )

    async def _async_publish(self, command: Command) -> None:
        # A disconnected client would queue the message and send it later, with
        # everything else queued meanwhile, uncounted.
        self._check_connected()
        now = dt_util.utcnow()
        payload = build_command(
            command.command_id,
            command.command_type,
            command.pond or 1,
            command.parameters,
            now,
        )
        if command.first_sent_at is None:
            command.first_sent_at = now
        # Counted before the broker confirms, so that an answer overtaking the
        # confirmation reports the attempt it answers.
        command.attempts += 1
        try:
            await mqtt.async_publish(
                self.hass,
                command_topic(self._context.prefix, command.controller.topic_id),
                payload,
                qos=COMMAND_QOS,
                retain=False,
            )
        except BaseException:
            command.attempts -= 1
            raise

    @callback
    def _async_resend(self, command: Command) -> None:
        """Send the same command id again; a deduping controller executes it once."""

        async def resend() -> None:
            try:
                await self._async_publish(command)
            except HomeAssistantError as err:
                # The broker refused it or is away; the next resend, or the
                # controller's return after the reconnect, sends it again.
                LOGGER.debug("Resend of %s failed: %s", command.command_id, err)

        # A task per resend (rare), never per message; the entry cancels it on unload.
        _ = self._context.entry.async_create_background_task(
            self.hass, resend(), f"{DOMAIN} resend {command.command_id}"
        )

    # --- deadlines and retries ---------------------------------------------------------

    def _schedule(self, command: Command) -> None:
        """Set the one timer a command needs: next resend, or the deadline due."""
        self._cancel_timer(command)
        if command.paused_at is not None:
            # Its clocks stand still until the controller can be reached again.
            return
        if TYPE_CHECKING:
            assert command.first_sent_at is not None
        now = dt_util.utcnow()
        resend = False
        if command.state is CommandState.SENT:
            due = command.ack_due
            if self.settings.retries and command.command_type not in NOT_RESENT:
                # The next resend not yet made, skipping those a late timer (a
                # suspended host) or an outage missed: they would only go out in
                # a burst.
                made = self._resends.get(command.command_id, 0)
                for resend_at in (
                    command.first_sent_at
                    + command.paused_for
                    + timedelta(seconds=sum(RETRY_GAPS[:count]))
                    for count in range(made + 1, len(RETRY_GAPS) + 1)
                ):
                    if now < resend_at < due:
                        due, resend = resend_at, True
                        break
        else:
            due = command.completion_due
        self._timers[command.command_id] = async_call_later(
            self.hass,
            max((due - now).total_seconds(), 0),
            HassJob(
                partial(self._async_timer_fired, command, resend),
                cancel_on_shutdown=True,
            ),
        )

    def _cancel_timer(self, command: Command) -> None:
        if (cancel := self._timers.pop(command.command_id, None)) is not None:
            cancel()

    @callback
    def _async_timer_fired(self, command: Command, resend: bool, _: datetime) -> None:
        # Final commands have no timer: _finish cancels it.
        self._timers.pop(command.command_id, None)
        if resend and dt_util.utcnow() < command.ack_due:
            self._resends[command.command_id] = (
                self._resends.get(command.command_id, 0) + 1
            )
            self._async_resend(command)
            self._schedule(command)
            return
        if command.state is CommandState.SENT:
            self._finish(
                command,
                CommandState.TIMED_OUT,
                message=f"no acknowledgement within "
                f"{int(command.ack_timeout.total_seconds())} s",
            )
            return
        self._finish(
            command,
            CommandState.TIMED_OUT,
            message=f"not completed within "
            f"{int(command.completion_timeout.total_seconds())} s",
        )

    # --- answers ------------------------------------------------------------------------

    @callback
    def async_handle_answer(
        self, controller: ControllerState, complete: bool, answer: CommandAnswer
    ) -> None:
        """Apply an `ack` (complete False) or `complete` (True) from a controller."""
        command = self.active.get(answer.command_id)
        if command is None:
            self._async_handle_stray_answer(controller, complete, answer)
            return
        if command.controller is not controller:
            LOGGER.warning(
                "Ignored an answer from %s to command %s, which was sent to %s",
                controller.name,
                answer.command_id,
                command.controller.name,
            )
            return
        now = dt_util.utcnow()
        if not complete:
            if command.state not in AWAITING_ACK:
                command.late_answers += 1
                return
            if not answer.success:
                self._finish(command, CommandState.REJECTED, answer=answer)
                return
            self._acknowledge(command, now)
            return
        if command.acknowledged_at is None:
            # A complete without an ack proves both phases.
            command.acknowledged_at = now
        self._finish(
            command,
            CommandState.COMPLETED if answer.success else CommandState.FAILED,
            answer=answer,
        )

    def _acknowledge(self, command: Command, now: datetime) -> None:
        command.state = CommandState.ACKNOWLEDGED
        command.acknowledged_at = now
        # The completion clock starts now; an answer proves the way is open again.
        command.paused_at = None
        command.paused_for = timedelta()
        _resolve(command.acknowledged)
        self._schedule(command)
        self._notify(command)

    @callback
    def _async_handle_stray_answer(
        self, controller: ControllerState, complete: bool, answer: CommandAnswer
    ) -> None:
        for finished in self.history.get(controller.device_id, ()):
            if finished.command_id == answer.command_id:
                # Late answers to a finished command change nothing (PROTOCOL 8.3).
                finished.late_answers += 1
                if complete and answer.success:
                    self._async_completed_late(finished)
                return
        self.unknown_answers += 1
        LOGGER.debug(
            "Ignored an answer from %s to unknown command %s",
            controller.name,
            answer.command_id,
        )

    @callback
    def _async_completed_late(self, command: Command) -> None:
        """Report what a controller did after Home Assistant gave up on it.

        Only for commands that timed out: one that failed, was refused or cancelled
        was told so by the controller or never ran. The state stays final; the
        records that follow what the pond got (feeding) count it, once.
        """
        if (
            command.state is not CommandState.TIMED_OUT
            or command.completed_late_at is not None
        ):
            return
        command.completed_late_at = dt_util.utcnow()
        LOGGER.info(
            "Future Fish controller %s completed %s %s after Home Assistant gave up",
            command.controller.name,
            command.command_type.value,
            command.command_id,
        )
        self.hass.bus.async_fire(
            EVENT_COMMAND_LATE,
            command.as_dict()
            | {
                "ms_to_late_complete": _ms_between(
                    command.first_sent_at, command.completed_late_at
                )
            },
            context=command.context,
        )
        for listener in self._listeners:
            listener(command)

    @callback
    def async_handle_startup(self, controller: ControllerState) -> None:
        """Complete the reboot of a controller that booted (PROTOCOL 6)."""
        for command in list(self.active.values()):
            if (
                command.controller is controller
                and command.command_type is CommandType.REBOOT
            ):
                if command.acknowledged_at is None:
                    command.acknowledged_at = dt_util.utcnow()
                self._finish(command, CommandState.COMPLETED, message="restarted")

    @callback
    def async_controller_back(self, controller: ControllerState) -> None:
        """Resend what a controller may have missed while it was offline.

        Losing the broker takes every controller offline too, and each reconnects on
        its own schedule, often after Home Assistant: its first message afterwards
        is the moment it can receive again, so the clocks the outage stopped run
        again from here, and each command is sent once more, once per outage.
        """
        for command in list(self.active.values()):
            if command.controller is not controller:
                continue
            paused = self._resume(command, dt_util.utcnow())
            if self._may_resend(command):
                self._async_resend(command)
            if paused:
                self._schedule(command)

    @callback
    def async_connection_changed(self, connected: bool) -> None:
        """Stop every command's clocks while the broker is away (nothing can move).

        After the reconnect each controller's first message resumes its commands;
        those of a controller still silent after the hub's heartbeat timeout resume
        then, so that no command waits forever for a controller that is gone.
        """
        if self._cancel_resume is not None:
            self._cancel_resume()
            self._cancel_resume = None
        if connected:
            if any(command.paused_at for command in self.active.values()):
                self._resume_at = dt_util.utcnow() + self._heartbeat_timeout
                self._cancel_resume = async_call_later(
                    self.hass,
                    self._heartbeat_timeout,
                    HassJob(self._async_resume_all, cancel_on_shutdown=True),
                )
            return
        now = dt_util.utcnow()
        for command in self.active.values():
            if command.paused_at is None:
                command.paused_at = now
                self._cancel_timer(command)

    @callback
    def _async_resume_all(self, _: datetime) -> None:
        self._cancel_resume = None
        for command in list(self.active.values()):
            # From when it was due: a late timer (a suspended host) adds nothing.
            if self._resume(command, self._resume_at):
                self._schedule(command)

    def _resume(self, command: Command, now: datetime) -> bool:
        """Let a paused command's clocks run again; return whether it was paused."""
        if command.paused_at is None:
            return False
        command.paused_for += now - command.paused_at
        command.paused_at = None
        return True

    def _may_resend(self, command: Command) -> bool:
        # Unacknowledged commands may never have arrived. Acknowledged ones are
        # resent only where retries are on, which assumes controllers dedupe.
        return not command.is_final and (
            command.command_type not in NOT_RESENT
            and (command.state in AWAITING_ACK or self.settings.retries)
        )

    # --- outcomes -----------------------------------------------------------------------

    def _finish(
        self,
        command: Command,
        state: CommandState,
        *,
        answer: CommandAnswer | None = None,
        message: str | None = None,
    ) -> None:
        self._release(command)
        command.state = state
        command.finished_at = dt_util.utcnow()
        if answer is not None:
            command.message = answer.message
            command.error_code = answer.error_code
            command.error_details = answer.error_details
        if message is not None:
            command.message = message
        self.history.setdefault(
            command.controller.device_id, deque(maxlen=HISTORY_LENGTH)
        ).append(command)
        _resolve(command.acknowledged, command.finished)
        effect = VALVE_EFFECTS.get(command.command_type)
        pond = command.controller.ponds.get(command.pond or 0)
        if state is CommandState.COMPLETED and effect and pond is not None:
            setattr(pond, *effect)
        self.hass.bus.async_fire(
            EVENT_COMMAND, command.as_dict(), context=command.context
        )
        self._notify(command)

    def _release(self, command: Command) -> None:
        """Stop following a command and free its conflict slot."""
        self._cancel_timer(command)
        self._resends.pop(command.command_id, None)
        self.active.pop(command.command_id, None)
        slot = self._slot(command.controller, command.command_type, command.pond)
        if slot is not None and self._slots.get(slot) is command:
            del self._slots[slot]

    @callback
    def async_add_listener(self, listener: CommandListener) -> CALLBACK_TYPE:
        """Call `listener` whenever a command changes state."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _notify(self, command: Command) -> None:
        self._last[command.controller.device_id] = command
        # Also when the same command changed state: its sensors show the state.
        command.controller.async_notify((LAST_COMMAND,))
        for listener in self._listeners:
            listener(command)

    def success_rate(self, controller: ControllerState) -> float | None:
        """Return the % of the controller's recent finished commands that succeeded."""
        return success_rate(self.history.get(controller.device_id, ()))

    def last_command(self, controller: ControllerState) -> Command | None:
        """Return the controller's most recently changed command."""
        return self._last.get(controller.device_id)

    @callback
    def async_forget(self, controller: ControllerState) -> None:
        """Drop the history of a controller that was removed."""
        self.history.pop(controller.device_id, None)
        self._last.pop(controller.device_id, None)

    @callback
    def async_stop(self) -> None:
        """Cancel what is still running (the hub unloads)."""
        if self._cancel_resume is not None:
            self._cancel_resume()
            self._cancel_resume = None
        for command in list(self.active.values()):
            self._finish(
                command, CommandState.CANCELLED, message="Home Assistant stopped it"
            )

    # --- helpers -------------------------------------------------------------------------

    @staticmethod
    def _slot(
        controller: ControllerState, command_type: CommandType, pond: int | None
    ) -> tuple[str, int | None, str] | None:
        group = CONFLICT_GROUPS.get(command_type)
        if group is None:
            return None
        return controller.device_id, pond, group


def _resolve(*futures: asyncio.Future[None]) -> None:
    """Wake whoever waits; a future a waiter cancelled stays as it is."""
    for future in futures:
        if not future.done():
            future.set_result(None)


def _local_time(moment: datetime) -> str:
    return dt_util.as_local(moment).strftime("%Y-%m-%d %H:%M:%S")


def _target_name(controller: ControllerState, pond: int | None) -> str:
    pond_device = controller.ponds.get(pond) if pond is not None else None
    return controller.name if pond_device is None else pond_device.name
