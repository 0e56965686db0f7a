"""Graph networks for the graph tasks (paper App. D, Tables 6-9), built on torch-geometric.

A problem is a fully connected graph with one input value per edge; the answer is one value
per edge. Every network embeds each per-edge value it reads (the input, and the candidate
answer where there is one) with its own ``Linear(1, 64)``, concatenates them as the edge
feature, and runs a stack of GINEConv layers (hidden width 128) over constant node features.
Answers are read per edge from the pair of node features ``[h_i; h_j]`` (``Linear(256, 1)``);
energies and PonderNet's halting logit are read per graph from the nodes' max-pool (as in the
authors' release).

The energy uses SiLU so that its gradient in the candidate (the reasoning step) is smooth; the
baselines use ReLU as the paper's tables do.

Speed: every layer computes the same function as torch-geometric's ``GINEConv`` with the same
parameters (so cached weights load), but two products are taken in a cheaper order, exactly:
the embedded edge feature is only ever read through a ``GINEConv.lin``, so it is never built
(:meth:`EdgeEmbedding.through`), and the edge readout projects the nodes before gathering them.
On the fully connected training graphs the edges outnumber the nodes about tenfold, and these
two were most of the arithmetic (``tests/test_graph_methods.py`` checks both against the direct computation).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn
from torch_geometric.data import Batch as PygBatch
from torch_geometric.nn import GINEConv, global_max_pool

from irem.models.mlp import mlp, sinusoidal

EDGE_EMBED = 64  # width of each embedded per-edge value


class EdgeEmbedding(nn.Module):
    """Per-edge values (E, 1) each, embedded to 64 and concatenated: (E, 64 * count)."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.embed = nn.ModuleList(nn.Linear(1, EDGE_EMBED) for _ in range(count))
        self.dim = EDGE_EMBED * count

    def forward(self, *values: Tensor) -> Tensor:
        return torch.cat([emb(v) for emb, v in zip(self.embed, values)], dim=-1)

    def through(self, lin: nn.Linear, *values: Tensor) -> Tensor:
        """``lin(self(*values))`` without building the (E, 64 * count) feature.

        Each value enters its embedding linearly, so ``lin`` after the embedding is a
        (count -> out) affine map: O(E * count * out) work instead of O(E * 64 * count * out).
        Given only the first values, the others' terms are left out (their biases stay): the
        rest is added later with :meth:`slope` (the energy's fixed input, then each candidate).

        Shapes:
            values: up to count x (E, 1) -> (E, lin.out_features)
        """
        blocks = lin.weight.split(EDGE_EMBED, dim=1)
        out = lin.bias + sum(w @ emb.bias for w, emb in zip(blocks, self.embed))
        for i, v in enumerate(values):
            # element-wise, not a (E, count) @ (count, out) product: one that thin is slow on CPU
            out = torch.addcmul(out, v, self.slope(lin, i))
        return out

    def slope(self, lin: nn.Linear, i: int) -> Tensor:
        """How ``lin(self(...))`` moves per unit of the ``i``-th value: (lin.out_features,)."""
        return (lin.weight[:, i * EDGE_EMBED : (i + 1) * EDGE_EMBED] @ self.embed[i].weight).squeeze(1)


def gine(conv: GINEConv, h: Tensor, edge_index: Tensor, edge_proj: Tensor) -> Tensor:
    """``conv``'s GINEConv layer, given its edge term ``conv.lin(edge feature)`` already computed.

    nn((1 + eps) h_i + sum over edges j -> i of ReLU(h_j + edge_proj_ji)), as torch-geometric's
    GINEConv (sum aggregation, messages from ``edge_index[0]`` to ``edge_index[1]``).

    Shapes:
        h: (N, d), edge_index: (2, E), edge_proj: (E, d) -> (N, nn's output)
    """
    messages = (h.index_select(0, edge_index[0]) + edge_proj).relu()
    summed = messages.new_zeros(h.shape[0], messages.shape[1]).index_add(0, edge_index[1], messages)
    return conv.nn(summed + (1 + conv.eps) * h)


def _node_features(g: PygBatch, value: float) -> Tensor:
    """The graphs' constant node features (N, 1), set to ``value`` (the graphs hold 1; 1 keeps them as they are)."""
    return g.x if value == 1.0 else torch.full_like(g.x, value)


class GINEStack(nn.Module):
    """Node embedding, then ``layers`` GINEConv layers with edge features.

    Shapes:
        nodes: (N, node_in), edge_index: (2, E), edge_feat: (E, edge_dim) -> (N, hidden)
    """

    def __init__(
        self, edge_dim: int, node_in: int = 1, hidden: int = 128, layers: int = 3, act: type[nn.Module] = nn.ReLU
    ) -> None:
        super().__init__()
        self.node_in = nn.Linear(node_in, hidden)
        self.convs = nn.ModuleList(
            GINEConv(mlp([hidden, hidden, hidden], act), edge_dim=edge_dim) for _ in range(layers)
        )
        self.act = act()

    def edge_terms(self, edges: EdgeEmbedding, *values: Tensor) -> list[Tensor]:
        """Each layer's edge term ``conv.lin(edges(*values))``: (E, hidden) per layer."""
        return [edges.through(conv.lin, *values) for conv in self.convs]

    def forward(self, nodes: Tensor, edge_index: Tensor, edge_terms: Sequence[Tensor]) -> Tensor:
        """``edge_terms``: one per layer, from :meth:`edge_terms`."""
        h = self.node_in(nodes)
        for conv, term in zip(self.convs, edge_terms):
            h = self.act(gine(conv, h, edge_index, term))
        return h


class EdgeReadout(nn.Module):
    """One value per edge from its endpoints' features: Linear(2 * hidden, 1) on [h_i; h_j]."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.out = nn.Linear(2 * hidden, 1)

    def forward(self, h: Tensor, edge_index: Tensor) -> Tensor:
        # W [h_i; h_j] + b = (W_i h)_i + (W_j h)_j + b: project the N nodes, then gather per edge
        w_src, w_dst = self.out.weight.split(h.shape[1], dim=1)
        src, dst = h @ w_src.t(), h @ w_dst.t()
        return src.index_select(0, edge_index[0]) + dst.index_select(0, edge_index[1]) + self.out.bias


class EnergyGNN(nn.Module):
    """The IREM graph energy E_theta(graph, y[, z]) -> one scalar per graph (Table 6).

    With a scratchpad (App. B), each graph's ``z`` is appended to its nodes' features.

    Shapes:
        g: a batch of P graphs, y: (E, 1), z: (P, z_dim) -> (P,)
    """

    def __init__(self, z_dim: int = 0, hidden: int = 128, node_feature: float = 1.0) -> None:
        super().__init__()
        self.edges = EdgeEmbedding(2)
        self.gnn = GINEStack(self.edges.dim, node_in=1 + z_dim, hidden=hidden, act=nn.SiLU)
        self.out = nn.Linear(hidden, 1)
        self.node_feature = node_feature  # the constant every node carries (the graphs hold 1)

    def forward(self, g: PygBatch, y: Tensor, z: Tensor | None = None) -> Tensor:
        return self.bind(g)(y, z)

    def bind(self, g: PygBatch) -> Callable[[Tensor, Tensor | None], Tensor]:
        """``E(g, .)``: the energy of candidates ``(y, z)`` on the fixed graphs ``g``.

        The input's part of every layer's edge term is computed here, once per descent; each call
        adds the candidate's part (one multiply-add per layer) and runs the layers.
        """
        fixed = self.gnn.edge_terms(self.edges, g.edge_attr)
        slopes = [self.edges.slope(conv.lin, 1) for conv in self.gnn.convs]

        x = _node_features(g, self.node_feature)

        def energy(y: Tensor, z: Tensor | None = None) -> Tensor:
            nodes = x if z is None else torch.cat([x, z[g.batch]], dim=-1)
            terms = [torch.addcmul(f, y, s) for f, s in zip(fixed, slopes)]
            h = self.gnn(nodes, g.edge_index, terms)
            return self.out(global_max_pool(h, g.batch, size=g.num_graphs)).squeeze(-1)

        return energy


class ReleaseEnergyGNN(nn.Module):
    """The graph energy of the authors' code release (Table 6 as released): E_theta(graph, y[, z]) per graph.

    The input and candidate edge values are embedded by a ``Linear(1, 64)`` each (the edge
    feature); three GINEConv layers, each with a single ``Linear`` as its network (1 -> hidden,
    then hidden -> hidden) and no activation between the layers (GINEConv's message keeps its
    own ReLU); the nodes are max-pooled per graph and the energy read by ``Linear``, ReLU,
    ``Linear(hidden, 1)``. It does about half the arithmetic of :class:`EnergyGNN`. With a
    scratchpad, each graph's ``z`` is appended to its nodes' (constant) features.

    Shapes:
        g: a batch of P graphs, y: (E, 1), z: (P, z_dim) -> (P,)
    """

    def __init__(self, z_dim: int = 0, hidden: int = 128, layers: int = 3, node_feature: float = 1.0) -> None:
        super().__init__()
        self.node_feature = node_feature  # the release feeds nodes 0 (the graphs hold 1)
        self.edges = EdgeEmbedding(2)
        sizes = [1 + z_dim] + [hidden] * layers
        self.convs = nn.ModuleList(
            GINEConv(nn.Linear(a, b), edge_dim=self.edges.dim) for a, b in zip(sizes[:-1], sizes[1:])
        )
        self.out = mlp([hidden, hidden, 1], nn.ReLU)

    def forward(self, g: PygBatch, y: Tensor, z: Tensor | None = None) -> Tensor:
        return self.bind(g)(y, z)

    def bind(self, g: PygBatch) -> Callable[[Tensor, Tensor | None], Tensor]:
        """``E(g, .)``, with the input's part of the edge terms computed once (as :meth:`EnergyGNN.bind`)."""
        fixed = [self.edges.through(conv.lin, g.edge_attr) for conv in self.convs]
        slopes = [self.edges.slope(conv.lin, 1) for conv in self.convs]

        x = _node_features(g, self.node_feature)

        def energy(y: Tensor, z: Tensor | None = None) -> Tensor:
            h = x if z is None else torch.cat([x, z[g.batch]], dim=-1)
            for conv, f, s in zip(self.convs, fixed, slopes):
                h = gine(conv, h, g.edge_index, torch.addcmul(f, y, s))
            return self.out(global_max_pool(h, g.batch, size=g.num_graphs)).squeeze(-1)

        return energy


class FeedforwardGNN(nn.Module):
    """The feedforward baseline (Table 7): GINEConv x3 on the input, an answer per edge.

    Shapes:
        g: a batch of graphs with E edges -> (E, 1)
    """

    def __init__(self, hidden: int = 128) -> None:
        super().__init__()
        self.edges = EdgeEmbedding(1)
        self.gnn = GINEStack(self.edges.dim, hidden=hidden)
        self.readout = EdgeReadout(hidden)

    def forward(self, g: PygBatch) -> Tensor:
        h = self.gnn(g.x, g.edge_index, self.gnn.edge_terms(self.edges, g.edge_attr))
        return self.readout(h, g.edge_index)


class RecurrentGNN(nn.Module):
    """The recurrent baseline (Table 8): GINEConv, an LSTM cell per node, GINEConv, per step.

    Shapes:
        g: a batch of graphs with E edges -> steps x (E, 1)
    """

    def __init__(self, hidden: int = 128) -> None:
        super().__init__()
        self.edges = EdgeEmbedding(1)
        self.encode = GINEStack(self.edges.dim, hidden=hidden, layers=1)
        self.cell = nn.LSTMCell(hidden, hidden)
        self.decode = GINEConv(mlp([hidden, hidden, hidden], nn.ReLU), edge_dim=self.edges.dim)
        self.readout = EdgeReadout(hidden)

    def forward(self, g: PygBatch, steps: int) -> list[Tensor]:
        inp = self.encode(g.x, g.edge_index, self.encode.edge_terms(self.edges, g.edge_attr))
        decode_edges = self.edges.through(self.decode.lin, g.edge_attr)
        state = None
        outputs = []
        for _ in range(steps):
            state = self.cell(inp, state)
            h = gine(self.decode, state[0], g.edge_index, decode_edges).relu()
            outputs.append(self.readout(h, g.edge_index))
        return outputs


class StepGNN(nn.Module):
    """A step on (graph, current answer): GINEConv x3 -> a new value per edge.

    The iterative feedforward baseline adds it to the answer; with ``halting`` (PonderNet,
    Table 9) it also returns a halting logit per graph from the max-pooled nodes.

    Shapes:
        g: a batch of P graphs, y: (E, 1) -> (E, 1) [, (P,)]
    """

    def __init__(self, hidden: int = 128, halting: bool = False) -> None:
        super().__init__()
        self.edges = EdgeEmbedding(2)
        self.gnn = GINEStack(self.edges.dim, hidden=hidden)
        self.readout = EdgeReadout(hidden)
        self.halt = nn.Linear(hidden, 1) if halting else None

    def forward(self, g: PygBatch, y: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        h = self.gnn(g.x, g.edge_index, self.gnn.edge_terms(self.edges, g.edge_attr, y))
        answer = self.readout(h, g.edge_index)
        if self.halt is None:
            return answer
        return answer, self.halt(global_max_pool(h, g.batch, size=g.num_graphs)).squeeze(-1)


class LandscapeEnergyGNN(nn.Module):
    r"""IRED's energy on graphs, one landscape per noise level: :math:`E_\theta(g, y, k) \ge 0` per graph.

    The chapter's IREM graph energy (input and candidate embedded per edge, GINEConv layers with SiLU)
    with the landscape k as every node's feature (a sinusoidal embedding, as IRED's release conditions
    its networks), and, as the release's energies, a squared norm: the sum over a graph's edges of
    the square of one value per edge (read as :class:`EdgeReadout` reads answers).

    Shapes:
        g: a batch of P graphs, y: (E, 1), k: (P,) integer landscapes -> (P,)
    """

    EMBED = 32  # width of the landscape embedding (the release's graph networks: 32)

    def __init__(self, hidden: int = 128) -> None:
        super().__init__()
        self.edges = EdgeEmbedding(2)
        self.gnn = GINEStack(self.edges.dim, node_in=self.EMBED, hidden=hidden, act=nn.SiLU)
        self.readout = EdgeReadout(hidden)

    def forward(self, g: PygBatch, y: Tensor, k: Tensor) -> Tensor:
        nodes = sinusoidal(k, self.EMBED)[g.batch]
        h = self.gnn(nodes, g.edge_index, self.gnn.edge_terms(self.edges, g.edge_attr, y))
        per_edge = self.readout(h, g.edge_index).squeeze(-1) ** 2
        return per_edge.new_zeros(g.num_graphs).index_add(0, g.batch[g.edge_index[0]], per_edge)
