"""The holarchy's structure: level sizes, parent indices, contiguous child blocks, graphs.

Rows of each level are ordered by parent, so every parent's children form one contiguous
block of rows. That makes coarse-graining a segment sum (``numpy.add.reduceat``) for a
whole level and a slice for one holon.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from .graphs import by_receiver, metropolis_weights, scale_free_edges, small_world_edges

LEVELS = ("cell", "organ", "organization", "society")


def _sizes(value: int | Sequence[int], count: int) -> np.ndarray:
    """One size per parent, from a single value or a list of ``count`` values."""
    if isinstance(value, int | np.integer):
        return np.full(count, int(value), dtype=np.int64)
    return np.asarray(value, dtype=np.int64)


def count_holons(n_parents: int, per_parent: int | Sequence[int]) -> int:
    """Children of ``n_parents`` holons: one size for all, or a list of one size each."""
    if isinstance(per_parent, int | np.integer):
        return n_parents * int(per_parent)
    return int(sum(per_parent))


@dataclass
class Holarchy:
    """Sizes and links of the four levels (0 cell, 1 organ, 2 organization, 3 society)."""

    sizes: list[int]
    parent: list[np.ndarray]  # parent[L][i]: row at level L+1 of row i at level L (L < 3)
    starts: list[np.ndarray]  # starts[L][j]: first child row (at L-1) of row j at L (L >= 1)
    ends: list[np.ndarray] = field(default_factory=list)

    @property
    def n_cells(self) -> int:
        return self.sizes[0]

    def children(self, level: int, row: int) -> slice:
        """Rows at ``level - 1`` of the children of ``row`` at ``level``."""
        return slice(int(self.starts[level][row]), int(self.ends[level][row]))


def build_holarchy(
    n_organizations: int,
    organs_per_organization: int | Sequence[int],
    cells_per_organ: int | Sequence[int],
) -> Holarchy:
    """The nested structure; sizes may be uniform or given per parent."""
    organs = _sizes(organs_per_organization, n_organizations)
    cells = _sizes(cells_per_organ, int(organs.sum()))
    branching = [cells, organs, np.array([n_organizations])]
    sizes = [int(cells.sum()), int(organs.sum()), n_organizations, 1]
    parent, starts, ends = [], [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for level in range(3):
        counts = branching[level]
        parent.append(np.repeat(np.arange(counts.size), counts))
        edges = np.concatenate([[0], np.cumsum(counts)])
        starts.append(edges[:-1].copy())
        ends.append(edges[1:].copy())
    return Holarchy(sizes, parent, starts, ends)


@dataclass
class LateralGraph:
    """A directed edge list sorted by receiver (CSR), for gossip among cells (flat regime).

    Each undirected link appears twice. ``in_starts[i]`` is the first edge into cell ``i``;
    ``sent_by(i)`` lists the edges cell ``i`` sends on. ``graph`` is the networkx graph,
    built from the edges on first use where a fast generator drew them.
    """

    src: np.ndarray
    dst: np.ndarray
    in_starts: np.ndarray
    in_ends: np.ndarray
    by_src: np.ndarray  # edge numbers sorted by sender
    out_starts: np.ndarray  # by_src[out_starts[i]:out_starts[i + 1]]: cell i's edges
    weight: np.ndarray  # Metropolis weights: 1 / (1 + max(deg_src, deg_dst))
    nx_graph: nx.Graph | None = None

    def sent_by(self, i: int) -> np.ndarray:
        """The edges cell ``i`` sends on."""
        return self.by_src[self.out_starts[i] : self.out_starts[i + 1]]

    @property
    def graph(self) -> nx.Graph:
        if self.nx_graph is None:
            n = self.in_starts.size
            graph = nx.empty_graph(n)
            once = self.src < self.dst
            graph.add_edges_from(zip(self.src[once].tolist(), self.dst[once].tolist(), strict=True))
            self.nx_graph = graph
        return self.nx_graph


FAST_FROM = 100_001  # cells from which the flat graph is drawn without networkx


def build_lateral_graph(n: int, kind: str, degree: int, rewire: float, seed: int) -> LateralGraph:
    """A connected small-world (Watts-Strogatz) or scale-free (Barabasi-Albert) graph.

    Up to 10^5 cells networkx's generators draw it (as every recorded run did); above, the
    fast generators of ``graphs.py`` draw the same models in numpy and a compiled loop."""
    if n >= FAST_FROM:
        rng = np.random.default_rng(seed)
        if kind == "small_world":
            edges = small_world_edges(n, max(2, degree - degree % 2), rewire, rng)
        else:
            edges = scale_free_edges(n, max(1, degree // 2), rng)
        return lateral_edges(edges, n)
    if kind == "small_world":
        k = max(2, degree - degree % 2)
        graph = nx.connected_watts_strogatz_graph(n, k, rewire, tries=1000, seed=seed)
    else:
        graph = nx.barabasi_albert_graph(n, max(1, degree // 2), seed=seed)
    return lateral(graph, n)


def build_trust_graph(n: int, threshold: float, rng: np.random.Generator) -> LateralGraph:
    """The data space: every pair of organizations with a trust in [0, 1) drawn at random;
    the usage policy keeps the links whose trust is at least ``threshold``."""
    graph = nx.complete_graph(n)
    for (u, v), trust in zip(graph.edges(), rng.random(graph.number_of_edges()), strict=True):
        graph.edges[u, v]["trust"] = float(trust)
    kept = [(u, v) for u, v, t in graph.edges(data="trust") if t >= threshold]
    policy = nx.Graph(graph.edge_subgraph(kept)) if kept else nx.empty_graph(0)
    policy.add_nodes_from(range(n))
    policy.graph["trust"] = graph
    return lateral(policy, n)


def lateral(graph: nx.Graph, n: int) -> LateralGraph:
    """A networkx graph's links as directed edges sorted by receiver, with Metropolis weights."""
    edges = np.array(list(graph.edges()), dtype=np.int64).reshape(-1, 2)
    return lateral_edges(edges, n, graph)


def lateral_edges(edges: np.ndarray, n: int, graph: nx.Graph | None = None) -> LateralGraph:
    """Undirected ``edges`` (E, 2) as directed edges sorted by receiver, with weights."""
    if n >= FAST_FROM:  # by receiver, then sender, in one compiled pass (the same order)
        src, dst, deg, by_src = by_receiver(np.ascontiguousarray(edges, dtype=np.int64), n)
        weight = metropolis_weights(src, dst, deg)
    else:  # a small graph never loads the compiled code
        src = np.concatenate([edges[:, 0], edges[:, 1]])
        dst = np.concatenate([edges[:, 1], edges[:, 0]])
        order = np.lexsort((src, dst))
        src, dst = src[order], dst[order]
        deg = np.bincount(dst, minlength=n)
        by_src = np.argsort(src, kind="stable")
        weight = 1.0 / (1.0 + np.maximum(deg[src], deg[dst]))
    # each link runs both ways, so a node sends on as many edges as it receives on
    starts = np.concatenate([[0], np.cumsum(deg)])
    in_starts = starts[:-1]
    return LateralGraph(src, dst, in_starts, in_starts + deg, by_src, starts, weight, graph)
