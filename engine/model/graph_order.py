"""The topological order of a topology's nodes, without a graph library.

The order is networkx's ``topological_sort`` of the multigraph built from the nodes (in
their order) and the edges (in theirs), generation by generation, so code that used it
keeps the same order; importing networkx costs a run about 0.15 s of start-up.
"""

from __future__ import annotations

from collections.abc import Iterable


def topological_order(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> list[str] | None:
    """``nodes`` in topological order, or None when ``edges`` make a cycle. Edges must join
    nodes of ``nodes``; repeated edges count once per repetition, as in a multigraph."""
    successors: dict[str, dict[str, int]] = {n: {} for n in nodes}
    indegree = dict.fromkeys(successors, 0)
    for source, target in edges:
        out = successors[source]
        out[target] = out.get(target, 0) + 1
        indegree[target] += 1
    waiting = {n: d for n, d in indegree.items() if d > 0}
    generation = [n for n, d in indegree.items() if d == 0]
    order: list[str] = []
    while generation:
        order += generation
        following = []
        for node in generation:
            for child, count in successors[node].items():
                left = waiting[child] = waiting[child] - count
                if left == 0:
                    following.append(child)
                    del waiting[child]
        generation = following
    return None if waiting else order
