"""Who may become a controller: strangers wait at the door.

Anyone who can publish on the broker can invent controller ids, and each admitted id
costs a device, dozens of entities and a share of Home Assistant's entity budget. A
real farm adds controllers slowly, and a new controller announces itself with a
`startup`; an id that only sends heartbeats or readings is a running controller the
hub has not met, or an invention. So:

- a `startup` admits at once;
- a hub that knows no controller yet (just created) admits every id for a short
  grace period: it is meeting a running farm;
- otherwise at most `NEW_PER_MINUTE` ids are admitted per minute, whatever they
  first sent (a running controller heard first on `sensors` is shown at once);
  beyond that ids wait as pending (a bounded, expiring list) until the user adds or
  ignores them.

Pure: no Home Assistant objects; the hub asks, the repairs show what waits.
"""

from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from .protocol import MessageKind

# More new controllers than this in a minute is no farm growing.
NEW_PER_MINUTE: Final = 10
RATE_WINDOW: Final = timedelta(minutes=1)
# How long a hub that knows no controller admits every id: every running controller
# reports within a heartbeat (20 s) and a sensors cycle (30 s), several times over.
STARTUP_GRACE: Final = timedelta(minutes=2)
# Ids kept waiting, and for how long after their last message: bounded whatever is
# invented, long enough for a user to answer the repair issue the same day.
PENDING_SIZE: Final = 100
PENDING_EXPIRY: Final = timedelta(hours=6)
# A pending id that kept reporting this long behaves like a controller: offered first.
STEADY_AFTER: Final = timedelta(minutes=1)


class Verdict(StrEnum):
    """What to do with a message of an unknown id."""

    ADMIT = "admit"
    WAIT = "wait"
    IGNORE = "ignore"


@dataclass(slots=True, kw_only=True)
class PendingId:
    """An unknown id kept waiting: its spelling on the topic and how it reported."""

    topic_id: str
    first_seen: datetime
    last_seen: datetime
    messages: int = 1
    # Sent a heartbeat (or status): it claims to be a controller, not only a sensor.
    identified: bool = False
    # Counted among the ids held at the door.
    held: bool = False

    @property
    def steady(self) -> bool:
        """Return whether it kept reporting like a controller."""
        return self.identified and self.last_seen - self.first_seen >= STEADY_AFTER


class Admission:
    """Decides whether an unknown id may become a controller, and keeps the rest."""

    def __init__(self) -> None:
        """Start judging at the farm's pace; `greet_farm` opens a grace period."""
        self.grace_until: datetime | None = None
        # Ids waiting, least recently heard first: the first is the next to expire.
        self.pending: OrderedDict[str, PendingId] = OrderedDict()
        # Ids that arrived while the door was shut, since the user last decided.
        self.held = 0
        # Messages of ignored and waiting ids, for diagnostics.
        self.refused_messages = 0
        self._admitted: deque[datetime] = deque()
        self._allowed: set[str] = set()
        self._ignored: set[str] = set()

    def judge(
        self, device_id: str, topic_id: str, kind: MessageKind, now: datetime
    ) -> Verdict:
        """Return what to do with a message of an id the hub does not know."""
        if device_id in self._ignored:
            self.refused_messages += 1
            return Verdict.IGNORE
        if kind is MessageKind.STARTUP or device_id in self._allowed:
            return self._admit(device_id, now)
        waiting = self._note(device_id, topic_id, kind, now)
        while self._admitted and now - self._admitted[0] >= RATE_WINDOW:
            self._admitted.popleft()
        if (self.grace_until is not None and now < self.grace_until) or len(
            self._admitted
        ) < NEW_PER_MINUTE:
            return self._admit(device_id, now)
        if not waiting.held:
            waiting.held = True
            self.held += 1
        self.refused_messages += 1
        return Verdict.WAIT

    def greet_farm(self, now: datetime) -> None:
        """Admit every id for a while: the hub knows no controller yet."""
        self.grace_until = now + STARTUP_GRACE

    def allow(self, device_ids: Iterable[str]) -> None:
        """Let pending ids in with their next message, whatever the rate."""
        for device_id in device_ids:
            self.pending.pop(device_id, None)
            self._allowed.add(device_id)
        self.held = 0

    def ignore_pending(self) -> None:
        """Ignore every pending id from now on (until the hub is reloaded)."""
        self._ignored.update(self.pending)
        self.pending.clear()
        self.held = 0

    def offered(self, now: datetime) -> list[tuple[str, PendingId]]:
        """Return the pending ids, those that report like a controller first."""
        self._forget_expired(now)
        return sorted(
            self.pending.items(),
            key=lambda item: (not item[1].steady, -item[1].messages),
        )

    def _admit(self, device_id: str, now: datetime) -> Verdict:
        self._allowed.discard(device_id)
        self.pending.pop(device_id, None)
        self._admitted.append(now)
        return Verdict.ADMIT

    def _note(
        self, device_id: str, topic_id: str, kind: MessageKind, now: datetime
    ) -> PendingId:
        """Remember (or refresh) a waiting id, within the list's bounds."""
        self._forget_expired(now)
        waiting = self.pending.get(device_id)
        if waiting is None:
            if len(self.pending) >= PENDING_SIZE:
                self.pending.popitem(last=False)
            waiting = self.pending[device_id] = PendingId(
                topic_id=topic_id, first_seen=now, last_seen=now
            )
        else:
            waiting.messages += 1
            waiting.last_seen = now
            self.pending.move_to_end(device_id)
        waiting.identified |= kind is not MessageKind.SENSORS
        return waiting

    def _forget_expired(self, now: datetime) -> None:
        while self.pending:
            oldest = next(iter(self.pending.values()))
            if now - oldest.last_seen < PENDING_EXPIRY:
                return
            self.pending.popitem(last=False)
