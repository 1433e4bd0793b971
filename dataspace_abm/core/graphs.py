"""Fast generators of the flat regime's graphs, as edge arrays, for large numbers of cells.

networkx builds a graph of 10^6 nodes in seconds to tens of seconds (its Watts-Strogatz
and Barabasi-Albert generators are loops over Python dictionaries); these draw the same
random graph models in numpy (small world) and in a compiled loop (scale free), and hand
networkx the graph only when a user asks for it (``LateralGraph.graph``). Their degree
distributions and clustering are tested against networkx's generators
(tests/core/test_graphs.py); the random streams differ, so the graphs themselves do.
"""

from __future__ import annotations

import numpy as np
from numba import njit


def small_world_edges(n: int, k: int, p: float, rng: np.random.Generator, tries: int = 100):
    """A connected Watts-Strogatz graph as an (E, 2) array of undirected edges.

    The ring lattice links each node to its ``k / 2`` nearest neighbours on each side; each
    lattice edge ``(u, u + j)`` is rewired with probability ``p`` to ``(u, w)``, ``w``
    uniform over the nodes, drawn again while it makes a self-loop or a duplicate edge (as
    networkx's ``watts_strogatz_graph``). Drawn again, whole, until connected
    (``connected_watts_strogatz_graph``)."""
    half = k // 2
    u = np.repeat(np.arange(n, dtype=np.int64), half)
    lattice = (u + np.tile(np.arange(1, half + 1, dtype=np.int64), n)) % n
    for _ in range(tries):
        v = lattice.copy()
        rewired = rng.random(u.size) < p
        redraw = np.flatnonzero(rewired)
        while redraw.size:
            v[redraw] = rng.integers(0, n, redraw.size)
            redraw = _clashes(u, v, rewired, n)
        edges = np.stack([u, v], axis=1)
        if is_connected(n, edges):
            return edges
    raise ValueError(f"no connected small-world graph of {n} nodes in {tries} tries")


def _clashes(u: np.ndarray, v: np.ndarray, rewired: np.ndarray, n: int) -> np.ndarray:
    """Rewired edges that are self-loops or repeat an edge met before (a lattice edge
    first, so only rewired ones are drawn again)."""
    key = np.minimum(u, v) * n + np.maximum(u, v)
    order = np.lexsort((rewired, key))
    sorted_key = key[order]
    repeat = np.zeros(u.size, dtype=bool)
    repeat[order[1:]] = sorted_key[1:] == sorted_key[:-1]
    return np.flatnonzero((repeat | (u == v)) & rewired)


def scale_free_edges(n: int, m: int, rng: np.random.Generator) -> np.ndarray:
    """A Barabasi-Albert graph as an (E, 2) array: a star of ``m + 1`` nodes, then each new
    node links to ``m`` distinct nodes drawn in proportion to their degree (as networkx's
    ``barabasi_albert_graph``). The uniform numbers come from ``rng``, so the graph is the
    same for a seed on any machine."""
    pool = max(1024, 2 * n * m)
    while True:
        src, dst, used = _attach(n, m, rng.random(pool))
        if used >= 0:
            return np.stack([src, dst], axis=1)
        pool *= 2  # ran out of numbers (many repeats): draw a longer stream


@njit(cache=True)
def _attach(n, m, uniforms):
    """Preferential attachment over a list holding each node once per link end."""
    count = m + (n - m - 1) * m
    src = np.empty(count, dtype=np.int64)
    dst = np.empty(count, dtype=np.int64)
    ends = np.empty(2 * count, dtype=np.int64)
    size, e, pos = 0, 0, 0
    for j in range(1, m + 1):  # the star
        src[e], dst[e] = 0, j
        ends[size], ends[size + 1] = 0, j
        size += 2
        e += 1
    targets = np.empty(m, dtype=np.int64)
    for node in range(m + 1, n):
        got = 0
        while got < m:
            if pos >= uniforms.size:
                return src, dst, -1
            pick = ends[int(uniforms[pos] * size)]
            pos += 1
            fresh = True
            for q in range(got):
                if targets[q] == pick:
                    fresh = False
                    break
            if fresh:
                targets[got] = pick
                got += 1
        for q in range(m):
            src[e], dst[e] = node, targets[q]
            ends[size], ends[size + 1] = targets[q], node
            size += 2
            e += 1
    return src, dst, pos


def is_connected(n: int, edges: np.ndarray) -> bool:
    """Whether the undirected graph of ``n`` nodes and ``edges`` is one component."""
    return n <= 1 or _components(n, np.ascontiguousarray(edges, dtype=np.int64)) == 1


@njit(cache=True)
def _components(n: int, edges: np.ndarray) -> int:
    """The number of connected components, by union-find with path halving (one pass over
    the edges, no sparse matrix to build)."""
    parent = np.arange(n)
    count = n
    for j in range(edges.shape[0]):
        a, b = edges[j, 0], edges[j, 1]
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        while parent[b] != b:
            parent[b] = parent[parent[b]]
            b = parent[b]
        if a != b:
            parent[max(a, b)] = min(a, b)
            count -= 1
    return count


@njit(cache=True)
def stable_order(keys: np.ndarray, n: int) -> np.ndarray:
    """The stable argsort of ``keys`` in ``[0, n)``, by counting: two passes, where a
    comparison sort of 4 x 10^6 edges takes a quarter of a second."""
    starts = np.zeros(n + 1, dtype=np.int64)
    for k in keys:
        starts[k + 1] += 1
    for j in range(n):
        starts[j + 1] += starts[j]
    order = np.empty(keys.size, dtype=np.int64)
    for i in range(keys.size):
        order[starts[keys[i]]] = i
        starts[keys[i]] += 1
    return order


@njit(cache=True)
def by_receiver(edges: np.ndarray, n: int):
    """Undirected ``edges`` (E, 2) of a simple graph as directed edges sorted by receiver,
    then sender (``np.lexsort((src, dst))``'s order), with each node's in-degree and the
    edges' order by sender (a stable argsort of the sorted senders): one counting pass
    and a sort of each receiver's few senders, where two stable sorts of the whole edge
    list and their gathers took four times as long at 10^6 nodes."""
    e2 = 2 * edges.shape[0]
    deg = np.zeros(n, dtype=np.int64)
    for j in range(edges.shape[0]):
        deg[edges[j, 0]] += 1
        deg[edges[j, 1]] += 1
    starts = np.zeros(n + 1, dtype=np.int64)
    for i in range(n):
        starts[i + 1] = starts[i] + deg[i]
    fill = starts[:-1].copy()
    src = np.empty(e2, dtype=np.int64)
    for j in range(edges.shape[0]):  # each link into both of its ends
        u, v = edges[j, 0], edges[j, 1]
        src[fill[v]] = u
        fill[v] += 1
        src[fill[u]] = v
        fill[u] += 1
    dst = np.empty(e2, dtype=np.int64)
    for i in range(n):
        lo, hi = starts[i], starts[i + 1]
        dst[lo:hi] = i
        if hi - lo > 32:  # a hub
            src[lo:hi] = np.sort(src[lo:hi])
            continue
        for j in range(lo + 1, hi):  # a few senders: sorted in place
            v, k = src[j], j - 1
            while k >= lo and src[k] > v:
                src[k + 1] = src[k]
                k -= 1
            src[k + 1] = v
    return src, dst, deg, stable_order(src, n)


@njit(cache=True)
def metropolis_weights(src: np.ndarray, dst: np.ndarray, deg: np.ndarray) -> np.ndarray:
    """``1 / (1 + max(deg[src], deg[dst]))`` per edge, the same operations as numpy's
    without its four temporaries of the edges' size."""
    weight = np.empty(src.size)
    for e in range(src.size):
        weight[e] = 1.0 / (1.0 + max(deg[src[e]], deg[dst[e]]))
    return weight
