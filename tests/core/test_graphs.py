"""The fast graph generators draw networkx's models: degrees, clustering, connectivity.

Tolerances: 5 graphs of 3,000 nodes per generator. The degree histograms are compared by
their total variation distance (0 for equal distributions; the sampling noise of 15,000
degrees is about 0.01, so 0.04 leaves room for noise and nothing for a wrong model), the
mean clustering within 0.015 (its sd over seeds is about 0.003 for the small world).
"""

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataspace_abm.core.graphs import is_connected, scale_free_edges, small_world_edges
from dataspace_abm.core.structure import FAST_FROM, build_lateral_graph

N, SEEDS = 3000, range(5)


def _graph(edges: np.ndarray, n: int = N) -> nx.Graph:
    graph = nx.empty_graph(n)
    graph.add_edges_from(edges.tolist())
    return graph


def _histogram(graphs: list[nx.Graph], top: int = 40) -> np.ndarray:
    degrees = np.concatenate([[d for _, d in g.degree()] for g in graphs])
    counts = np.bincount(np.minimum(degrees, top), minlength=top + 1)
    return counts / counts.sum()


def _compare(fast: list[nx.Graph], reference: list[nx.Graph], clustering: float) -> None:
    distance = 0.5 * np.abs(_histogram(fast) - _histogram(reference)).sum()
    assert distance < 0.04, distance
    mean = [np.mean([nx.average_clustering(g) for g in gs]) for gs in (fast, reference)]
    assert mean[0] == pytest.approx(mean[1], abs=clustering), mean


def test_the_small_world_is_networkx_watts_strogatz():
    fast = [_graph(small_world_edges(N, 4, 0.1, np.random.default_rng(s))) for s in SEEDS]
    reference = [nx.connected_watts_strogatz_graph(N, 4, 0.1, seed=s) for s in SEEDS]
    for g in fast:
        assert g.number_of_edges() == 2 * N and nx.is_connected(g)
        assert nx.number_of_selfloops(g) == 0
    _compare(fast, reference, clustering=0.015)  # both about 0.36 = 0.5 (1 - 0.1)^3


def test_the_scale_free_graph_is_networkx_barabasi_albert():
    fast = [_graph(scale_free_edges(N, 2, np.random.default_rng(s))) for s in SEEDS]
    reference = [nx.barabasi_albert_graph(N, 2, seed=s) for s in SEEDS]
    for g, r in zip(fast, reference, strict=True):
        assert g.number_of_edges() == r.number_of_edges() == 2 + (N - 3) * 2
        assert nx.is_connected(g) and nx.number_of_selfloops(g) == 0
    _compare(fast, reference, clustering=0.01)
    # the heavy tail: the largest hubs are of the same size
    hubs = [np.mean([max(d for _, d in g.degree()) for g in gs]) for gs in (fast, reference)]
    assert 0.6 < hubs[0] / hubs[1] < 1.6, hubs


def test_a_seed_draws_the_same_graph_and_edges_are_distinct():
    for draw in (
        lambda r: small_world_edges(5000, 6, 0.3, r),
        lambda r: scale_free_edges(5000, 3, r),
    ):
        a, b = draw(np.random.default_rng(7)), draw(np.random.default_rng(7))
        np.testing.assert_array_equal(a, b)
        key = np.minimum(a[:, 0], a[:, 1]) * 5000 + np.maximum(a[:, 0], a[:, 1])
        assert np.unique(key).size == key.size and np.all(a[:, 0] != a[:, 1])


def test_connectivity_is_checked():
    assert is_connected(4, np.array([[0, 1], [1, 2], [2, 3]]))
    assert not is_connected(4, np.array([[0, 1], [2, 3]]))


def test_large_flat_graphs_are_drawn_fast_and_still_give_networkx_on_request():
    lateral = build_lateral_graph(FAST_FROM, "small_world", 4, 0.1, seed=3)
    assert lateral.nx_graph is None  # drawn without networkx
    assert lateral.src.size == 4 * FAST_FROM and np.all(np.diff(lateral.dst) >= 0)
    graph = lateral.graph
    assert graph.number_of_nodes() == FAST_FROM and graph.number_of_edges() == 2 * FAST_FROM
    i = 12345
    sent = lateral.sent_by(i)
    assert np.all(lateral.src[sent] == i)
    assert sorted(lateral.dst[sent].tolist()) == sorted(graph.neighbors(i))
    small = build_lateral_graph(500, "scale_free", 4, 0.1, seed=3)
    assert small.nx_graph is not None  # networkx's own below the threshold


@settings(max_examples=100, deadline=None)
@given(keys=st.lists(st.integers(0, 9), max_size=60))
def test_stable_order_is_a_stable_argsort(keys):
    from dataspace_abm.core.graphs import stable_order

    array = np.array(keys, dtype=np.int64)
    np.testing.assert_array_equal(stable_order(array, 10), np.argsort(array, kind="stable"))


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 80),
    pairs=st.lists(st.tuples(st.integers(0, 79), st.integers(0, 79)), max_size=400),
)
def test_by_receiver_sorts_as_lexsort_does(n, pairs):
    """The compiled pass puts a simple graph's directed edges in ``np.lexsort((src, dst))``'s
    order (hubs of more than 32 senders included, sorted another way), with the in-degrees,
    the order by sender and the Metropolis weights that the numpy path computes."""
    from dataspace_abm.core.graphs import by_receiver, metropolis_weights

    links = {(min(u, v) % n, max(u, v) % n) for u, v in pairs}
    links = sorted((u, v) for u, v in links if u != v)
    hub = [(0, v) for v in range(1, n)]  # a node with n - 1 senders
    for edges in (np.array(links, dtype=np.int64).reshape(-1, 2), np.array(hub)):
        src = np.concatenate([edges[:, 0], edges[:, 1]])
        dst = np.concatenate([edges[:, 1], edges[:, 0]])
        order = np.lexsort((src, dst))
        got_src, got_dst, deg, by_src = by_receiver(edges, n)
        np.testing.assert_array_equal(got_src, src[order])
        np.testing.assert_array_equal(got_dst, dst[order])
        np.testing.assert_array_equal(deg, np.bincount(dst, minlength=n))
        np.testing.assert_array_equal(by_src, np.argsort(got_src, kind="stable"))
        # each link both ways: every node's receivers, by sender, are its senders in order
        # (flat.upstream_edges searches its out-neighbours in ``src``)
        np.testing.assert_array_equal(got_dst[by_src], got_src)
        want = 1.0 / (1.0 + np.maximum(deg[got_src], deg[got_dst]))
        np.testing.assert_array_equal(metropolis_weights(got_src, got_dst, deg), want)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 40),
    pairs=st.lists(st.tuples(st.integers(0, 39), st.integers(0, 39)), max_size=80),
)
def test_is_connected_agrees_with_networkx(n, pairs):
    edges = np.array([(u % n, v % n) for u, v in pairs], dtype=np.int64).reshape(-1, 2)
    assert is_connected(n, edges) == nx.is_connected(_graph(edges, n))
