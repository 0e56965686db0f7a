"""Named training recipes: sets of config values that train as a given source does.

A recipe is shorthand for overrides: ``irem train --recipe release`` is the same run as the
values below passed with ``--set``, and its record stores those values (and is named by them),
not the recipe's name. Explicit ``--set`` values still override a recipe's.
"""

from __future__ import annotations

from irem.validate import check_choice

RECIPES: dict[str, dict[str, object]] = {
    # the paper's App. C: the defaults
    "paper": {},
    # graph tasks as the authors' released code trains them (graph_train.py): its energy network, node features of
    # 0, 32 replayed graphs before 64 fresh ones once the buffer holds a batch, and only the first 72 of those 96
    # (the replayed and 40 fresh) written back; Adam at 1e-4, lambda 100, 5 steps, the loss on the last answer
    "release": {"graph_energy": "release", "node_feature": 0.0, "replay_batch": 32, "replay_keep": 72,
                "lr": 1e-4, "step_size": 100.0, "steps": 5},
}  # fmt: skip
GRAPH_ONLY_RECIPES = ("release",)


def recipe(name: str, task_is_graph: bool = True) -> dict[str, object]:
    """The config values of recipe ``name`` (a copy); ``ValueError`` for an unknown name or a task it does not fit."""
    check_choice("recipe", name, RECIPES)
    if name in GRAPH_ONLY_RECIPES and not task_is_graph:
        raise ValueError(f"recipe={name!r} trains graph tasks (the release's graph_train.py); use it with "
                         "edge_copy, connected_components or shortest_path")  # fmt: skip
    return dict(RECIPES[name])
