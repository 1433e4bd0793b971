"""The fair network (``network = "fair"``): delay per hop, loss per hop, repair, queues, bits."""

import numpy as np
import pytest

from dataspace_abm import HolarchyModel
from dataspace_abm.regimes.network import DelayLine

FAIR = {"network": "fair", "cell_rule": "filter", "k_a": 0.5}
HOPS = {"landscape": 1, "command": 3, "flat": 1}


def test_a_delay_line_delivers_in_order_at_the_arrival_step():
    mailbox, queue = np.zeros(4), np.full(4, -1)
    line = DelayLine()
    line.send(5, np.array([0, 1]), (mailbox, np.array([1.0, 2.0])), stamp=queue)
    line.send(5, np.array([1]), (mailbox, np.array([3.0])), stamp=queue)  # fresher wins
    line.send(7, np.array([2]), (mailbox, np.array([4.0])))
    assert line.deliver(4) == 0 and not mailbox.any()
    assert line.deliver(5) == 3
    assert list(mailbox) == [1.0, 3.0, 0.0, 0.0] and list(queue) == [5, 5, -1, -1]
    assert line.in_flight() == 1 and line.deliver(9) == 1 and mailbox[2] == 4.0


@pytest.mark.parametrize("latency", [0, 1, 2, 5])
@pytest.mark.parametrize("mode", ["landscape", "command", "flat"])
def test_every_message_arrives_hops_times_latency_after_it_was_sent(mode, latency):
    """Every message put on the delay line (the numpy engine puts all of them there) is
    due ``max(1, hops x hop_latency)`` steps after the step it was sent in."""
    model = HolarchyModel(rng=2, mode=mode, hop_latency=latency, engine="numpy", **FAIR)
    line, delays = model.regime.network.line, []
    send = line.send

    def recording(arrival, index, *writes, **kw):
        delays.append((arrival - model.steps, index.size))
        send(arrival, index, *writes, **kw)

    line.send = recording
    model.run(40)
    assert {delay for delay, _ in delays} == {max(1, HOPS[mode] * latency)}
    assert sum(n for _, n in delays) > 0


def test_a_report_is_read_exactly_when_it_arrives():
    """A cell's report under hop_latency 3 reaches its organ's mailbox three steps later,
    before the phases of its arrival step (at the end of the step before)."""
    model = HolarchyModel(rng=2, mode="landscape", hop_latency=3, **FAIR)
    model.run(15)  # the first price reaches the cells after 9 steps; then they move
    line = model.regime.network.line
    batch = next(b for b in line.pending if b.arrival == model.steps + 3)
    mailbox, values = batch.writes[0]
    model.step()
    assert not np.array_equal(mailbox[batch.index], values)
    model.step()  # the step before the arrival: delivered at its end
    np.testing.assert_array_equal(mailbox[batch.index], values)


def test_a_three_hop_message_survives_with_probability_one_minus_p_cubed():
    model = HolarchyModel(rng=4, mode="command", p_loss=0.2, cells_per_organ=160, **FAIR)
    model.step()
    regime, n = model.regime, model.holarchy.n_cells
    survived = regime._survivors(model.inputs, "up", np.arange(n)).size / n
    expected = 0.8**3
    assert abs(survived - expected) < 4 * np.sqrt(expected * (1 - expected) / n)  # n = 10,240


def test_a_lost_order_is_repaired():
    """Version 1 never resends a lost order; the fair network refreshes it."""
    lossy = {"mode": "command", "p_loss": 0.3, "cell_rule": "filter", "k_a": 0.5}
    v1 = HolarchyModel(rng=1, **lossy, network="v1")
    fair = HolarchyModel(rng=1, **lossy, network="fair", refresh_every=10)
    v1.run(300), fair.run(300)
    stale = [
        np.mean(np.any(m.regime.arrays.order != m.regime.arrays.setpoint, axis=1))
        for m in (v1, fair)
    ]
    assert stale[0] > 0.1 and stale[1] == 0.0


def test_the_centres_queue_is_first_in_first_out_and_its_waits_counted():
    """512 cells, capacity 64: the first reports wait 0 to 7 steps, the centre reading the
    oldest first; the mean wait of a full queue of 512 is 3.5 steps."""
    model = HolarchyModel(rng=1, mode="command", central_capacity=64, **FAIR)
    table = model.run(12)
    assert table["queue_wait_max"].max() >= 7
    assert table["queue_wait_max"].max() <= 8  # nobody overtaken: 512 / 64 steps at most
    assert (table["queue_wait_mean"] <= table["queue_wait_max"]).all()


@pytest.mark.parametrize("mode", ["landscape", "command", "flat", "autonomous"])
def test_bits_are_messages_times_size_times_hops_under_the_fair_network(mode):
    model = HolarchyModel(rng=3, mode=mode, p_loss=0.1, **FAIR)
    for _ in range(20):
        model.step()
        tally = model.state.tally
        g = model.regime.g
        if mode == "command":
            expected_up = tally["msg_up"] * g.bits_state * 3
            expected_down = tally["msg_down"] * g.bits_state * 3
        else:
            size = model.regime.bits_gossip if mode == "flat" else g.bits_state
            expected_up = tally["msg_up"] * g.bits_state
            expected_down = tally["msg_down"] * g.bits_landscape
            assert tally["bits_lateral"] == tally["msg_lateral"] * size
        assert tally["bits_up"] == expected_up and tally["bits_down"] == expected_down


def test_a_calm_system_still_goes_quiet_with_refreshing():
    """Repair costs a refresh every 50 steps per sender; landscape's late traffic stays at
    least 10x below its first 50 steps."""
    table = HolarchyModel(rng=1, landscape_parts="tilt", **FAIR).run(600)
    first, late = table["bits_total"].iloc[1:51].mean(), table["bits_total"].iloc[-100:].mean()
    assert late * 10 <= first


def test_with_idiosyncratic_niches_shaping_costs_a_fraction_of_commands_bits():
    """Daily niches with independent phases, one step per hop: after step 200 landscape's
    bits were 0.19 of command's (8.23e6 against 4.39e7; about a sixth is expected: one hop
    against six) and its optimality gap 0.055 against command's 0.145."""
    daily = {"niche": "daily", "niche_phase": "independent", "hop_latency": 1, **FAIR}
    shaped = HolarchyModel(rng=1, landscape_parts="tilt", **daily).run(600).iloc[200:]
    commanded = HolarchyModel(rng=1, mode="command", **daily).run(600).iloc[200:]
    assert shaped["bits_total"].sum() < 0.3 * commanded["bits_total"].sum()
    assert shaped["optimality_gap"].mean() < commanded["optimality_gap"].mean()


def test_information_age_counts_the_hops_and_the_staleness():
    """Command's orders rest on niches read at the centre: at least a round trip old (three
    hops up, three down) when niches move; an order never resent (version 1, static niches)
    grows as old as the run. Autonomous cells use only what they know now."""
    daily = {"mode": "command", "niche": "daily", "hop_latency": 1, **FAIR}
    age = HolarchyModel(rng=1, **daily).run(200)["information_age"]
    assert age.iloc[100:].min() >= 6
    static = HolarchyModel(rng=1, mode="command", network="v1").run(120)
    assert static["information_age"].iloc[-1] == pytest.approx(119.0, abs=1.0)
    assert (HolarchyModel(rng=1, mode="autonomous").run(5)["information_age"] == 0).all()
