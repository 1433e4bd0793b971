"""The network every regime's messages cross: delay per hop, loss per hop, repair by refresh,
and a capacity for every holon.

Under ``network = "v1"`` (version 1's protocol) a message is written into its receiver's
mailbox while it is sent and read the next step, whatever its hops, and a command message
draws its loss once. Under ``network = "fair"`` (version 2's rules, the same for every
regime) a message over ``h`` hops arrives ``max(1, h x hop_latency)`` steps after it was
sent, each hop draws its own loss, and every sender repairs losses by refreshing: a value
it has not sent for ``refresh_every`` steps is sent again.

Capacity (``node_capacity``, fair network): every holon on a message's route (its sender,
the holons that relay it, its receiver) handles it once, and handles at most
``node_capacity`` messages a step in each direction (up, down, lateral); the rest wait, the
oldest first, and their waits are counted. A report or a landscape (up or down) carries a
state, so a queue holds at most one per mailbox row: a fresher one takes the content of
one waiting in a queue, in its place (one already on a link goes on), as command's centre
does with its own queues (one report and one order per cell, see ``command.py``). Lateral
messages are queued first in, first out, every one delivered: flat's gossip moves shares of
a sum, none of which may be lost. Society's capacity is the smaller of ``node_capacity``
and ``central_capacity`` (version 1's name for it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

DIRECTIONS = ("up", "down", "lateral")
UNLIMITED = np.iinfo(np.int64).max


@dataclass
class Batch:
    """Messages sent together: rows ``index`` of each mailbox get their values on arrival.

    Under capacity limits each message also carries its ``route`` (one holon per column,
    sender first), the column it waits at (``stage``) and since when (``ready``)."""

    arrival: int  # when the messages arrive if nobody on the way is busy
    index: np.ndarray
    writes: tuple[tuple[np.ndarray, np.ndarray], ...]  # (mailbox, values for index)
    stamp: np.ndarray | None = None  # a queue: rows not yet waiting (< 0) get the arrival
    route: np.ndarray | None = None  # (messages, hops + 1) holon numbers
    direction: int = 0
    stage: np.ndarray | None = None
    ready: np.ndarray | None = None
    sent_at: int = 0

    def write(self, pick: np.ndarray | slice, t: int) -> None:
        """Deliver messages ``pick`` of this batch into their mailboxes at step ``t``."""
        rows = self.index[pick]
        for mailbox, values in self.writes:
            mailbox[rows] = values[pick]
        if self.stamp is not None:
            fresh = rows[self.stamp[rows] < 0]
            self.stamp[fresh] = t


@dataclass
class DelayLine:
    """Messages in flight, delivered in the order they were sent once their step comes.

    With ``capacity`` (one limit per holon; None: unlimited) a message moves hop by hop
    and waits wherever a holon on its route has handled its limit for the step."""

    pending: list[Batch] = field(default_factory=list)
    capacity: np.ndarray | None = None
    hop_latency: int = 1
    waits: list[np.ndarray] = field(default_factory=list)  # handled late, not yet counted
    _used: np.ndarray | None = None  # (holons, directions): handled this step
    _step: int = -1

    def send(
        self,
        arrival: int,
        index: np.ndarray,
        *writes: tuple[np.ndarray, np.ndarray],
        stamp: np.ndarray | None = None,
        route: np.ndarray | None = None,
        direction: str = "up",
        sent_at: int = 0,
    ) -> None:
        """Queue messages to rows ``index``; ``writes`` pairs each mailbox with its values.

        ``route`` (needed under a capacity) names the holons each message passes, sender
        first; the sender handles it now (``sent_at``) if it has capacity left."""
        if not index.size:
            return
        copies = tuple((mailbox, np.array(values)) for mailbox, values in writes)
        if self.capacity is not None and direction != "lateral":
            index, copies, route = self._supersede(index, copies, route, direction, sent_at)
            if not index.size:
                return
        batch = Batch(arrival, index.copy(), copies, stamp)
        if self.capacity is not None:
            assert route is not None and route.shape[0] == index.size
            n = index.size
            batch.route, batch.direction = route, DIRECTIONS.index(direction)
            batch.stage, batch.ready = np.zeros(n, np.int64), np.full(n, sent_at, np.int64)
            batch.sent_at = sent_at
            self._handle([batch], sent_at, sending=True)
        self.pending.append(batch)

    def _supersede(
        self,
        index: np.ndarray,
        copies: tuple[tuple[np.ndarray, np.ndarray], ...],
        route: np.ndarray | None,
        direction: str,
        t: int,
    ) -> tuple[np.ndarray, tuple[tuple[np.ndarray, np.ndarray], ...], np.ndarray | None]:
        """Give messages to the same mailbox rows that wait in a queue at step ``t`` (ready
        but not yet handled; not those still on a link) the new values, in their place;
        return the new messages that found none waiting."""
        fresh, d = np.ones(index.size, bool), DIRECTIONS.index(direction)
        for batch in self.pending:
            same = len(batch.writes) == len(copies) and all(
                a is b for (a, _), (b, _) in zip(batch.writes, copies, strict=True)
            )
            if batch.direction != d or not same:
                continue
            queued = np.flatnonzero((batch.stage < batch.route.shape[1]) & (batch.ready <= t))
            _, mine, theirs = np.intersect1d(index, batch.index[queued], return_indices=True)
            if mine.size:
                for (_, old), (_, new) in zip(batch.writes, copies, strict=True):
                    old[queued[theirs]] = new[mine]
                fresh[mine] = False
        if fresh.all():
            return index, copies, route
        kept = tuple((mailbox, values[fresh]) for mailbox, values in copies)
        return index[fresh], kept, None if route is None else route[fresh]

    def deliver(self, t: int) -> int:
        """Write every message due by step ``t`` into its mailboxes; returns how many."""
        if self.capacity is None:
            due = [b for b in self.pending if b.arrival <= t]
            self.pending = [b for b in self.pending if b.arrival > t]
            for batch in due:
                batch.write(slice(None), batch.arrival)
            return sum(b.index.size for b in due)
        delivered = 0
        while True:  # with hop_latency 0 a message may cross several holons in a step
            moved, arrived = self._handle(self.pending, t, sending=False)
            delivered += arrived
            if not moved:
                break
        self.pending = [b for b in self.pending if (b.stage < b.route.shape[1]).any()]
        return delivered

    def in_flight(self) -> int:
        if self.capacity is None:
            return sum(b.index.size for b in self.pending)
        return sum(int(np.count_nonzero(b.stage < b.route.shape[1])) for b in self.pending)

    def _handle(self, batches: Sequence[Batch], t: int, sending: bool) -> tuple[int, int]:
        """One round of handling at step ``t``: every message ready at its current holon is
        handled there, oldest first, while the holon has capacity; returns (handled,
        delivered). A sender's handling takes effect next step at the earliest (the
        update is synchronous); a relay's, ``hop_latency`` steps later."""
        if self._step != t:
            self._used = np.zeros((self.capacity.size, len(DIRECTIONS)), np.int64)
            self._step = t
        waiting = []
        for b, batch in enumerate(batches):
            pos = np.flatnonzero((batch.ready <= t) & (batch.stage < batch.route.shape[1]))
            if pos.size:
                waiting.append((b, pos))
        if not waiting:
            return 0, 0
        which = np.concatenate([np.full(p.size, b) for b, p in waiting])
        pos = np.concatenate([p for _, p in waiting])
        ready = np.concatenate([batches[b].ready[p] for b, p in waiting])
        sent = np.concatenate([np.full(p.size, batches[b].sent_at) for b, p in waiting])
        node = np.concatenate(
            [batches[b].route[p, batches[b].stage[p]] for b, p in waiting]
        )  # fmt: skip
        direction = np.concatenate([np.full(p.size, batches[b].direction) for b, p in waiting])
        # oldest first: waiting since, then sent at, then the sending holon, then the receiver
        origin = np.concatenate([batches[b].route[p, 0] for b, p in waiting])
        receiver = np.concatenate([batches[b].index[p] for b, p in waiting])
        order = np.lexsort((receiver, origin, sent, ready))
        key = node[order] * len(DIRECTIONS) + direction[order]
        by_key = np.argsort(key, kind="stable")
        sorted_key = key[by_key]
        first = np.searchsorted(sorted_key, sorted_key, side="left")
        rank = np.empty_like(by_key)
        rank[by_key] = np.arange(by_key.size) - first
        room = self.capacity[node[order]] - self._used[node[order], direction[order]]
        take = order[rank < room]
        if not take.size:
            return 0, 0
        np.add.at(self._used, (node[take], direction[take]), 1)
        self.waits.append(t - ready[take])  # zero for a message handled on time
        arrived = 0
        step = max(1, self.hop_latency) if sending else self.hop_latency
        for b in np.unique(which[take]):
            batch = batches[b]
            mine = pos[take[which[take] == b]]
            batch.stage[mine] += 1
            batch.ready[mine] = t + step
            done = mine[batch.stage[mine] == batch.route.shape[1]]
            if done.size:
                batch.write(done, t)
                arrived += done.size
        return take.size, arrived

    def take_waits(self) -> np.ndarray:
        """The waits counted since the last call (steps each message waited at a holon)."""
        waits = np.concatenate(self.waits) if self.waits else np.zeros(0, np.int64)
        self.waits = []
        return waits


class Network:
    """The protocol settings of a run, its holons' capacities and its messages in flight."""

    def __init__(self, params: Mapping[str, Any], sizes: Sequence[int] = (), exempt_root=False):
        self.fair = params["network"] == "fair"
        self.hop_latency = params["hop_latency"]
        self.refresh_every = params["refresh_every"]
        self.offset = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        capacity = None
        node, central = params["node_capacity"], params["central_capacity"]
        # society's limit binds only if it is below what its children can send it a step
        root_binds = len(sizes) > 1 and central < sizes[-2] and not exempt_root
        if self.fair and (node > 0 or root_binds):
            capacity = np.full(int(self.offset[-1]), node if node > 0 else UNLIMITED, np.int64)
            capacity[-1] = UNLIMITED if exempt_root else min(capacity[-1], central)
        self.line = DelayLine(capacity=capacity, hop_latency=self.hop_latency)
        # a sender's own books that follow its messages' arrival (no capacity: no message)
        self.books = DelayLine()

    def deliver(self, t: int) -> None:
        """Messages, and the books that follow them, due by step ``t``."""
        self.line.deliver(t)
        self.books.deliver(t)

    @property
    def limited(self) -> bool:
        """Whether messages move hop by hop through capacity queues."""
        return self.line.capacity is not None

    def direct(self, hops: int) -> bool:
        """Whether a message over ``hops`` hops may be written into its mailbox as it is
        sent: version 1's protocol, or the fair network when it would arrive next step
        with no queue on the way (the receiver reads it in the next step's phases)."""
        return not self.fair or (not self.limited and hops * self.hop_latency <= 1)

    def arrival(self, t: int, hops: int) -> int:
        """When a message sent at step ``t`` over ``hops`` hops can be read (nobody busy)."""
        return t + max(1, hops * self.hop_latency)

    def holons(self, level: int, rows: np.ndarray) -> np.ndarray:
        """Network-wide numbers of holons ``rows`` of ``level``."""
        return self.offset[level] + rows

    def due(self, t: int, last_sent: np.ndarray) -> np.ndarray:
        """Rows whose value was last sent ``refresh_every`` or more steps ago (the repair of
        the fair network; version 1's protocol never refreshes, so callers ask only then)."""
        return t - last_sent >= self.refresh_every
