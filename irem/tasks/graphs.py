"""Graph algorithmic reasoning tasks (paper Section 4.2, App. C).

Every problem is a fully connected graph: every ordered pair of nodes (i, j), self-pairs
included as in the authors' release, is an edge with one input value, and the answer is one
value per edge. Nodes carry a constant feature 1.

* ``edge_copy``: input w_ij ~ U(-1, 1); answer w_ij.
* ``connected_components``: input a_ij = 1 with probability ``edge_prob`` (0.05), drawn for every
  ordered pair, self-pairs included (the authors' release: not symmetric); answer 1 if i and j
  lie in the same connected component of the undirected graph (a_ij or a_ji), else 0.
* ``shortest_path``: input w_ij ~ U(0, 1) symmetrised as w + w^T with a zero diagonal (the
  authors' release); answer the all-pairs shortest-path distance.

Training graphs have 2-10 nodes, drawn per problem; the test splits are ``same`` (10 nodes)
and ``harder`` (15 nodes), and ``sample_nodes`` draws any size (Fig. 2). Problems are drawn as
dense padded (B, n, n) matrices in torch on the generator's device, the answers computed there
(Floyd-Warshall, transitive closure), and the real nodes' edges gathered into a
torch-geometric ``Batch``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch_geometric.data import Batch as PygBatch
from torch_geometric.utils import scatter, to_dense_adj

from irem.config import TrainConfig
from irem.models.gnn import EnergyGNN, FeedforwardGNN, LandscapeEnergyGNN, RecurrentGNN, ReleaseEnergyGNN, StepGNN
from irem.tasks.base import pick_network
from irem.validate import check_choice, check_positive

TRAIN_NODES = (2, 10)  # training graph sizes, inclusive, drawn uniformly per problem
TEST_NODES = {"same": 10, "harder": 15}  # Table 1 (left): 10 and 15 nodes
GRAPH_DIFFICULTIES = tuple(TEST_NODES)
SPLITS = ("train", *GRAPH_DIFFICULTIES)


def from_dense(nodes: Tensor, inputs: Tensor, targets: Tensor, *extra: Tensor) -> tuple[GraphBatch, ...]:
    """Graphs of ``nodes[b]`` nodes from dense padded (B, n, n) edge values.

    Edges are ordered graph by graph, row-major over (i, j) of each graph's own nodes; node
    indices are offset by the nodes of earlier graphs. Each of ``extra`` (B, n, n) is
    gathered in the same edge order and returned after the batch as an (E, 1) tensor.
    """
    n_max = inputs.shape[1]
    ar = torch.arange(n_max, device=inputs.device)
    real = (ar[None, :, None] < nodes[:, None, None]) & (ar[None, None, :] < nodes[:, None, None])
    b, i, j = real.nonzero(as_tuple=True)  # row-major: graph, then i, then j
    ptr = torch.cat([nodes.new_zeros(1), nodes.cumsum(0)])
    graphs = PygBatch(
        x=torch.ones(int(ptr[-1]), 1, device=inputs.device),
        edge_index=torch.stack([ptr[b] + i, ptr[b] + j]),
        edge_attr=inputs[b, i, j].unsqueeze(-1),
        batch=torch.repeat_interleave(torch.arange(len(nodes), device=inputs.device), nodes),
        ptr=ptr,
    )
    return (GraphBatch(graphs, targets[b, i, j].unsqueeze(-1)), *(t[b, i, j].unsqueeze(-1) for t in extra))


@dataclass(frozen=True)
class GraphBatch:
    """A batch of graph problems.

    Attributes:
        x: the graphs (torch-geometric ``Batch``): ``x`` (N, 1) ones, ``edge_index`` (2, E),
            ``edge_attr`` (E, 1) input values, ``batch`` (N,), ``ptr`` (P + 1,).
        y: (E, 1) the answer on each edge, in ``edge_index`` order.
    """

    x: PygBatch
    y: Tensor

    starts_from_input = False  # reasoning starts from U(-1, 1) noise

    def __len__(self) -> int:
        return self.x.num_graphs

    @property
    def nodes(self) -> Tensor:
        """(P,) number of nodes of each graph."""
        return self.x.ptr[1:] - self.x.ptr[:-1]

    @property
    def row_problem(self) -> Tensor:
        """(E,) the graph each edge (row of ``y``) belongs to."""
        return self.x.batch[self.x.edge_index[0]]

    def to_rows(self, per_problem: Tensor) -> Tensor:
        """Per-graph values (P, ...) repeated on each graph's edges: (E, ...)."""
        return per_problem[self.row_problem]

    def problem_mean(self, per_row: Tensor) -> Tensor:
        """The mean of per-edge values (E, ...) over each graph: (P,)."""
        return scatter(per_row.flatten(1).mean(-1), self.row_problem, dim=0, dim_size=len(self), reduce="mean")

    def step_scale(self, rule: str) -> float:
        """The factor on IREM's test-time step size under ``EvalConfig.test_step_scaling=rule``.

        "edges": (n_train / n)^2 for graphs of n > n_train nodes, n_train the largest training
        graph, so that a step moves a larger graph's answer about as far as it did in training.
        One factor per batch, from its largest graph (test batches hold graphs of one size).
        """
        if rule != "edges":
            raise ValueError(f"test_step_scaling={rule!r} on graphs: use 'none' or 'edges'")
        return min(1.0, TRAIN_NODES[1] / int(self.nodes.max())) ** 2

    def dense(self, values: Tensor, n_max: int | None = None) -> Tensor:
        """Per-edge values (E, 1) as padded (P, n_max, n_max) matrices (zeros outside each graph)."""
        n_max = int(self.nodes.max()) if n_max is None else n_max
        adj = to_dense_adj(self.x.edge_index, self.x.batch, values, max_num_nodes=n_max, batch_size=len(self))
        return adj.squeeze(-1)

    def split(self, size: int) -> list[GraphBatch]:
        """Chunks of at most ``size`` graphs, in order."""
        nodes, inputs, targets = self.nodes, self.dense(self.x.edge_attr), self.dense(self.y)
        return [
            from_dense(nodes[s : s + size], inputs[s : s + size], targets[s : s + size])[0]
            for s in range(0, len(self), size)
        ]

    def replay_fields(self, y_hat: Tensor) -> dict[str, Tensor]:
        """The graphs and candidate answers as padded per-graph tensors, for the replay buffer.

        Padded to the largest training size, so every batch stored has the same shape.
        """
        n_max = TRAIN_NODES[1]
        if int(self.nodes.max()) > n_max:
            raise ValueError(f"replay stores training graphs of at most {n_max} nodes, got {int(self.nodes.max())}")
        return {
            "nodes": self.nodes,
            "input": self.dense(self.x.edge_attr, n_max),
            "target": self.dense(self.y, n_max),
            "y_hat": self.dense(y_hat, n_max),
        }

    @staticmethod
    def from_replay_fields(fields: dict[str, Tensor]) -> tuple[GraphBatch, Tensor]:
        """Inverse of :meth:`replay_fields`: the batch and the candidate answers (E, 1)."""
        batch, y_hat = from_dense(fields["nodes"], fields["input"], fields["target"], fields["y_hat"])
        return batch, y_hat


class GraphTask(ABC):
    """A task on fully connected graphs: one input and one answer value per ordered node pair."""

    name: str
    label: str
    train_split = "train"  # training graphs: TRAIN_NODES sizes
    test_splits = GRAPH_DIFFICULTIES
    split_labels = {split: f"{n} nodes" for split, n in TEST_NODES.items()}  # the graph sizes of Table 1 (left)

    def network(self, method: str, config: TrainConfig) -> nn.Module:
        """GINEConv stacks (App. D, Tables 6-9) of width ``config.hidden``."""
        h = config.hidden
        return pick_network(self.name, method, {
            "irem": lambda: (EnergyGNN if config.graph_energy == "ours" else ReleaseEnergyGNN)(
                config.scratchpad, h, node_feature=config.node_feature),
            "feedforward": lambda: FeedforwardGNN(h),
            "recurrent": lambda: RecurrentGNN(h),
            "programmatic": lambda: StepGNN(h, halting=True),
            "iterative_feedforward": lambda: StepGNN(h),
            "ired": lambda: LandscapeEnergyGNN(h),
        })  # fmt: skip

    def generate(self, nodes: Tensor | list[int], generator: torch.Generator) -> GraphBatch:
        """One graph per entry of ``nodes`` (each >= 2), on ``generator.device``."""
        nodes = torch.as_tensor(nodes, dtype=torch.long, device=generator.device).flatten()
        if nodes.numel() == 0 or int(nodes.min()) < 2:
            raise ValueError(f"nodes: every graph needs at least 2 nodes, got {nodes.tolist()}")
        n_max = int(nodes.max())
        ar = torch.arange(n_max, device=nodes.device)
        real = (ar[None, :, None] < nodes[:, None, None]) & (ar[None, None, :] < nodes[:, None, None])
        inputs, targets = self._dense(real, generator)
        return from_dense(nodes, inputs, targets)[0]

    def sample(self, batch_size: int, difficulty: str, generator: torch.Generator) -> GraphBatch:
        """``batch_size`` graphs of a split: ``train`` (2-10 nodes), ``same`` (10) or ``harder`` (15)."""
        check_positive("batch_size", batch_size, integer=True)
        check_choice("difficulty", difficulty, SPLITS)
        if difficulty == "train":
            low, high = TRAIN_NODES
            nodes = torch.randint(low, high + 1, (batch_size,), generator=generator, device=generator.device)
            return self.generate(nodes, generator)
        return self.sample_nodes(batch_size, TEST_NODES[difficulty], generator)

    def sample_nodes(self, batch_size: int, nodes: int, generator: torch.Generator) -> GraphBatch:
        """``batch_size`` graphs of exactly ``nodes`` nodes (>= 2)."""
        check_positive("batch_size", batch_size, integer=True)
        if isinstance(nodes, bool) or not isinstance(nodes, int) or nodes < 2:
            raise ValueError(f"nodes must be an integer >= 2, got {nodes!r}")
        return self.generate([nodes] * batch_size, generator)

    @abstractmethod
    def _dense(self, real: Tensor, gen: torch.Generator) -> tuple[Tensor, Tensor]:
        """Inputs and answers (B, n, n) for graphs whose real node pairs are ``real`` (B, n, n).

        Entries outside ``real`` are dropped by the caller, but must not change the answers
        of real pairs.
        """


class EdgeCopy(GraphTask):
    """Copy each edge's input to its output."""

    name = "edge_copy"
    label = "Edge copy"

    def _dense(self, real: Tensor, gen: torch.Generator) -> tuple[Tensor, Tensor]:
        w = torch.rand(real.shape, generator=gen, device=real.device) * 2 - 1
        return w, w


class ConnectedComponents(GraphTask):
    """1 on the edges between nodes of the same connected component, else 0.

    As the authors' release draws them: a_ij = 1 where u_ij > 1 - ``edge_prob`` (0.95), u drawn
    independently for every ordered pair, self-pairs included, so the input is not symmetric;
    i and j are joined when a_ij or a_ji is drawn.
    """

    name = "connected_components"
    label = "Connected components"
    version = 2  # 2: the release's rule (version 1 drew one symmetric edge per unordered pair)

    def __init__(self, edge_prob: float = 0.05) -> None:
        if isinstance(edge_prob, bool) or not isinstance(edge_prob, (int, float)) or not 0 <= edge_prob <= 1:
            raise ValueError(f"edge_prob must be a probability in [0, 1], got {edge_prob!r}")
        self.edge_prob = float(edge_prob)

    def _dense(self, real: Tensor, gen: torch.Generator) -> tuple[Tensor, Tensor]:
        n = real.shape[1]
        drawn = (torch.rand(real.shape, generator=gen, device=real.device) > 1 - self.edge_prob) & real
        eye = torch.eye(n, dtype=torch.bool, device=real.device)
        joined = drawn | drawn.transpose(1, 2)  # the undirected graph
        # transitive closure by repeated squaring of (A + I): paths double in length each time
        reach = (joined | eye).float()
        for _ in range(max(1, (n - 1).bit_length())):
            reach = ((reach @ reach) > 0).float()
        return drawn.float(), reach


class ShortestPath(GraphTask):
    """All-pairs shortest-path distances of a weighted undirected graph."""

    name = "shortest_path"
    label = "Shortest path"

    def _dense(self, real: Tensor, gen: torch.Generator) -> tuple[Tensor, Tensor]:
        n = real.shape[1]
        w = torch.rand(real.shape, generator=gen, device=real.device)
        eye = torch.eye(n, dtype=torch.bool, device=real.device)
        w = (w + w.transpose(1, 2)).masked_fill(eye, 0.0)
        dist = w.masked_fill(~real, float("inf")).masked_fill(eye, 0.0)  # padded nodes are unreachable
        for k in range(n):  # Floyd-Warshall, all graphs at once
            dist = torch.minimum(dist, dist[:, :, k : k + 1] + dist[:, k : k + 1, :])
        return w, dist


GRAPH_TASKS: dict[str, type[GraphTask]] = {t.name: t for t in (EdgeCopy, ConnectedComponents, ShortestPath)}
