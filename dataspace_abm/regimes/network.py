"""The network every regime's messages cross: delay per hop, loss per hop, repair by refresh.

Under ``network = "v1"`` (version 1's protocol, the default for now) a message is written
into its receiver's mailbox while it is sent and read the next step, whatever its hops,
and a command message draws its loss once. Under ``network = "fair"`` (version 2's rules,
the same for every regime) a message over ``h`` hops arrives ``max(1, h x hop_latency)``
steps after it was sent, each hop draws its own loss, and every sender repairs losses by
refreshing: a value it has not sent for ``refresh_every`` steps is sent again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Batch:
    """Messages sent together: rows ``index`` of each mailbox get their values on arrival."""

    arrival: int
    index: np.ndarray
    writes: tuple[tuple[np.ndarray, np.ndarray], ...]  # (mailbox, values for index)
    stamp: np.ndarray | None = None  # a queue: rows not yet waiting (< 0) get the arrival


@dataclass
class DelayLine:
    """Messages in flight, delivered in the order they were sent once their step comes."""

    pending: list[Batch] = field(default_factory=list)

    def send(
        self,
        arrival: int,
        index: np.ndarray,
        *writes: tuple[np.ndarray, np.ndarray],
        stamp: np.ndarray | None = None,
    ) -> None:
        """Queue messages to rows ``index``; ``writes`` pairs each mailbox with its values."""
        if index.size:
            copies = tuple((mailbox, np.array(values)) for mailbox, values in writes)
            self.pending.append(Batch(arrival, index.copy(), copies, stamp))

    def deliver(self, t: int) -> int:
        """Write every batch due by step ``t`` into its mailboxes; returns messages delivered."""
        due = [b for b in self.pending if b.arrival <= t]
        self.pending = [b for b in self.pending if b.arrival > t]
        for batch in due:
            for mailbox, values in batch.writes:
                mailbox[batch.index] = values
            if batch.stamp is not None:
                fresh = batch.index[batch.stamp[batch.index] < 0]
                batch.stamp[fresh] = batch.arrival
        return sum(b.index.size for b in due)

    def in_flight(self) -> int:
        return sum(b.index.size for b in self.pending)


class Network:
    """The protocol settings of a run and its messages in flight."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.fair = params["network"] == "fair"
        self.hop_latency = params["hop_latency"]
        self.refresh_every = params["refresh_every"]
        self.line = DelayLine()

    def arrival(self, t: int, hops: int) -> int:
        """When a message sent at step ``t`` over ``hops`` hops can be read."""
        return t + max(1, hops * self.hop_latency)

    def due(self, t: int, last_sent: np.ndarray) -> np.ndarray:
        """Rows whose value was last sent ``refresh_every`` or more steps ago (the repair of
        the fair network; version 1's protocol never refreshes, so callers ask only then)."""
        return t - last_sent >= self.refresh_every
