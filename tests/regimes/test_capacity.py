"""Every holon's capacity (``node_capacity``, fair network): queues, oldest first, waits."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataspace_abm import HolarchyModel
from dataspace_abm.core.parameter import ParameterError
from dataspace_abm.regimes.network import UNLIMITED, DelayLine

FAIR = {"network": "fair", "cell_rule": "filter", "k_a": 0.5}


def line_with(capacity: list[int], latency: int = 1) -> DelayLine:
    return DelayLine(capacity=np.array(capacity, dtype=np.int64), hop_latency=latency)


def test_a_busy_receiver_reads_the_oldest_first_and_counts_the_waits():
    """Five messages to a holon that reads two a step: read 2, 2, 1 over three steps in the
    order they were sent, having waited 0, 0, 1, 1, 2 steps."""
    mailbox, line = np.zeros(5), line_with([UNLIMITED] * 5 + [2])
    route = np.stack([np.arange(5), np.full(5, 5)], axis=1)  # five senders, one receiver
    line.send(1, np.arange(5), (mailbox, np.arange(1.0, 6.0)), route=route, sent_at=0)
    assert line.take_waits().tolist() == [0] * 5  # every sender sends at once
    read = []
    for t in (1, 2, 3):
        line.deliver(t)
        read.append(int(np.count_nonzero(mailbox)))
    assert read == [2, 4, 5] and line.in_flight() == 0
    assert sorted(line.take_waits().tolist()) == [0, 0, 1, 1, 2]


def test_a_queued_state_takes_the_fresher_value_in_its_place():
    """Up or down, a queue holds one message per mailbox row: a fresher value takes the
    waiting one's place (no extra message, no later arrival); one already on its way is
    not touched. Lateral messages are delivered one after the other."""
    expected = {"up": [1.0, 3.0, 3.0], "down": [1.0, 3.0, 3.0], "lateral": [1.0, 2.0, 3.0]}
    for direction, read in expected.items():
        # the sender handles one message a step: the first leaves, the others wait
        mailbox, line = np.zeros(1), line_with([1, UNLIMITED])
        route = np.array([[0, 1]])
        for value in (1.0, 2.0, 3.0):
            line.send(1, np.array([0]), (mailbox, np.array([value])), route=route,
                      direction=direction)  # fmt: skip
        got = []
        for t in (1, 2, 3):
            line.deliver(t)
            got.append(float(mailbox[0]))
        assert got == read, direction
        assert line.in_flight() == 0


def test_a_busy_society_does_not_let_landscape_shaping_diverge():
    """Society's capacity below its children (2 of 4 organizations): a fresher landscape
    replaces the queued one, so the queue stays short and the price settles (first in,
    first out, the queue grew every step and the tilt diverged: gap 1.96)."""
    settings = dict(n_organizations=4, organs_per_organization=5, cells_per_organ=5)
    model = HolarchyModel(rng=1, mode="landscape", central_capacity=2, **settings)
    for _ in range(600):
        model.step()
    table = model.datacollector.get_model_vars_dataframe().set_index("step").loc[300:]
    assert table.optimality_gap.mean() < 0.08  # 0.053 over seeds 1-3
    assert table.queue_wait_mean.max() < 1.0


def test_a_relay_handles_its_limit_and_the_rest_wait_there():
    """Three hops through a relay that handles one message a step: arrivals 3, 4, 5 with
    one step per hop (nobody busy: all at 3)."""
    mailbox, line = np.zeros(3), line_with([UNLIMITED] * 3 + [1, UNLIMITED, UNLIMITED])
    route = np.stack([np.arange(3), np.full(3, 3), np.full(3, 4), np.full(3, 5)], axis=1)
    line.send(3, np.arange(3), (mailbox, np.ones(3)), route=route, sent_at=0)
    arrived = [line.deliver(t) for t in range(1, 7)]
    assert arrived == [0, 0, 1, 1, 1, 0]


@given(
    sizes=st.lists(st.integers(1, 6), min_size=1, max_size=4),
    capacity=st.integers(1, 4),
    latency=st.integers(0, 2),
)
@settings(max_examples=40, deadline=None)
def test_every_message_arrives_once_and_no_holon_exceeds_its_capacity(sizes, capacity, latency):
    """Batches of messages to one receiver: each arrives exactly once, no earlier than
    its unqueued arrival, and the receiver never reads more than its capacity a step."""
    n = sum(sizes)
    line = line_with([UNLIMITED] * n + [capacity], latency)
    got, first = np.zeros(n), 0
    for t, size in enumerate(sizes):
        rows = np.arange(first, first + size)
        route = np.stack([rows, np.full(size, n)], axis=1)
        line.send(t + max(1, latency), rows, (got, got[rows] + 1), route=route, sent_at=t)
        first += size
    before = 0
    for t in range(1, len(sizes) + n + 3):
        line.deliver(t)
        now = int(got.sum())
        assert now - before <= capacity
        before = now
    assert (got == 1).all() and line.in_flight() == 0


@pytest.mark.parametrize("mode", ["landscape", "command", "flat"])
@pytest.mark.parametrize("latency", [0, 2])
def test_an_ample_capacity_changes_nothing(mode, latency):
    """Hop by hop through queues that never fill gives the run of the plain delay line."""
    kw = dict(rng=3, mode=mode, p_loss=0.1, hop_latency=latency, **FAIR)
    plain = HolarchyModel(**kw).run(40)
    queued = HolarchyModel(node_capacity=10**9, **kw).run(40)
    columns = [c for c in plain.columns if not c.startswith("queue")]
    pd.testing.assert_frame_equal(plain[columns], queued[columns])
    assert (queued["queue_wait_max"] == 0).all()


def test_a_small_capacity_delays_every_regime_and_counts_its_waits():
    """Organs that read 2 of their 8 cells' reports a step: the landscape waits; under
    command the relays wait too (an organ relays 8 reports and 8 orders)."""
    for mode in ("landscape", "command"):
        table = HolarchyModel(rng=1, mode=mode, node_capacity=2, **FAIR).run(30)
        assert table["queue_wait_max"].max() >= 3  # 8 reports at 2 a step: the last waits 3
        assert (table["queue_wait_mean"] <= table["queue_wait_max"]).all()


def test_societys_capacity_is_central_capacity_in_every_regime():
    """Under the fair network society reads at most central_capacity reports a step in
    landscape too: with 8 organizations and a capacity of 2, its reports wait."""
    table = HolarchyModel(rng=1, central_capacity=2, landscape_parts="tilt", **FAIR).run(10)
    assert table["queue_wait_max"].max() >= 3


def test_engines_agree_under_capacity():
    kw = dict(rng=5, mode="landscape", node_capacity=3, p_loss=0.1, landscape_parts="tilt")
    small = dict(n_organizations=2, organs_per_organization=3, cells_per_organ=5)
    a = HolarchyModel(engine="vectorized", **kw, **small, **FAIR).run(25)
    b = HolarchyModel(engine="agents", **kw, **small, **FAIR).run(25)
    pd.testing.assert_frame_equal(a, b, rtol=0, atol=1e-9)


def test_node_capacity_needs_the_fair_network():
    with pytest.raises(ParameterError, match="node_capacity"):
        HolarchyModel(node_capacity=5, network="v1")
